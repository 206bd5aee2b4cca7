/*
 * EXPUNGE and UID EXPUNGE (RFC 9051 6.4.3, 6.4.9), with the expunge history
 * QRESYNC needs (RFC 7162 3.2.10), and the upkeep of mox's Rejects mailbox.
 */
#include "store/internal.h"

#include <string.h>

bool expunged_record(struct store_account *a, int64_t mailbox_id, uint32_t uid, uint64_t modseq,
		     struct error *err)
{
	sqlite3_stmt *st = db_stmt(
	    &a->wdb, "INSERT INTO expunged (mailbox_id, uid, modseq) VALUES (?, ?, ?)", err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, mailbox_id);
	sqlite3_bind_int64(st, 2, uid);
	sqlite3_bind_int64(st, 3, (int64_t)modseq);
	return db_step_done(&a->wdb, st, err);
}

static bool remove_row(struct store_account *a, const struct mbrow *mb,
		       const struct store_message *m, uint64_t modseq, struct error *err)
{
	sqlite3_stmt *st = db_stmt(&a->wdb, "DELETE FROM messages WHERE id = ?", err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, m->id);
	if (!db_step_done(&a->wdb, st, err))
		return false;
	return expunged_record(a, mb->id, m->uid, modseq, err);
}

bool expunge_messages(struct store_account *a, struct mbrow *mb, const struct store_message *msgs,
		      size_t n, struct change_list *cl, uint64_t *modseq, struct error *err)
{
	*modseq = 0;
	if (n == 0)
		return true;
	if (!acct_next_modseq(a, modseq, err))
		return false;
	struct store_change *c = changes_add(cl, STORE_CHANGE_REMOVE, *modseq, mb->id);
	uint32_t *uids = arena_array(store_change_arena(c), n, sizeof *uids);
	c->uids = uids;
	int64_t bytes = 0;
	for (size_t i = 0; i < n; i++) {
		const struct store_message *m = &msgs[i];
		bool unused;
		if (!remove_row(a, mb, m, *modseq, err) ||
		    !files_unref(&a->wdb, m->file_id, 1, &unused, err))
			return false;
		if (unused)
			changes_add_file(c, m->file_id);
		counts_apply(&mb->counts, m->flags, m->size, -1);
		bytes += m->size;
		uids[c->nuids++] = m->uid;
	}
	mb->highestmodseq = *modseq;
	if (!mbrow_save(&a->wdb, mb, err) || !acct_add_size(a, -bytes, err))
		return false;
	changes_mailbox_state(cl, mb, *modseq, false);
	return true;
}

struct expunge_op {
	int64_t mailbox_id;
	const char *name; /* rejects: by name */
	const struct store_uid_set *uids;
	int64_t older_than; /* rejects: received before this */
	struct arena *ar;
	uint32_t *expunged;
	size_t n;
	uint64_t modseq;
	bool has_space;
};

/* Keeps the messages marked \Deleted (RFC 9051 6.4.3), in order. */
static size_t select_deleted(struct store_message *msgs, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (msgs[i].flags & STORE_FLAG_DELETED)
			msgs[k++] = msgs[i];
	return k;
}

static bool do_expunge(struct store_account *a, void *arg, struct change_list *cl,
		       struct error *err)
{
	struct expunge_op *op = arg;
	struct mbrow mb;
	if (!mbrow_get_by_id(&a->wdb, op->mailbox_id, op->ar, &mb, err))
		return false;
	struct store_message *msgs;
	size_t n;
	if (!msgrow_list(&a->wdb, mb.id, op->uids, 0, 0, op->ar, &msgs, &n, err))
		return false;
	n = select_deleted(msgs, n);
	if (!expunge_messages(a, &mb, msgs, n, cl, &op->modseq, err))
		return false;
	op->expunged = arena_array(op->ar, n ? n : 1, sizeof *op->expunged);
	for (size_t i = 0; i < n; i++)
		op->expunged[op->n++] = msgs[i].uid;
	return true;
}

bool store_expunge(struct store_account *a, int64_t mailbox_id, const struct store_uid_set *uids,
		   struct store_subscriber *origin, struct arena *ar, uint32_t **expunged,
		   size_t *n, uint64_t *modseq, struct error *err)
{
	struct expunge_op op;
	memset(&op, 0, sizeof op);
	op.mailbox_id = mailbox_id;
	op.uids = uids;
	op.ar = ar;
	bool ok = store_write(a, origin, do_expunge, &op, err);
	*expunged = ok ? op.expunged : NULL;
	*n = ok ? op.n : 0;
	if (modseq)
		*modseq = ok ? op.modseq : 0;
	return ok;
}

static bool do_rejects(struct store_account *a, void *arg, struct change_list *cl,
		       struct error *err)
{
	struct expunge_op *op = arg;
	struct mbrow mb;
	bool found;
	if (!mbrow_by_name(&a->wdb, op->name, op->ar, &mb, &found, err))
		return false;
	if (!found) {
		op->has_space = true; /* nothing delivered there yet */
		return true;
	}
	struct store_message *msgs;
	size_t n;
	if (!msgrow_list(&a->wdb, mb.id, NULL, 0, 0, op->ar, &msgs, &n, err))
		return false;
	size_t old = 0;
	for (size_t i = 0; i < n; i++)
		if (msgs[i].received < op->older_than)
			msgs[old++] = msgs[i];
	if (!expunge_messages(a, &mb, msgs, old, cl, &op->modseq, err))
		return false;
	op->has_space = n - old < STORE_REJECTS_MAX;
	return true;
}

bool store_rejects_tidy(struct store_account *a, const char *mailbox, int64_t now, bool *has_space,
			struct error *err)
{
	struct arena ar;
	arena_init(&ar, 4096);
	struct expunge_op op;
	memset(&op, 0, sizeof op);
	op.ar = &ar;
	op.older_than = now - STORE_REJECTS_MAX_AGE;
	bool ok = store_mailbox_name_check(mailbox, false, &ar, &op.name, err) &&
		  store_write(a, NULL, do_rejects, &op, err);
	*has_space = ok && op.has_space;
	arena_free(&ar);
	return ok;
}
