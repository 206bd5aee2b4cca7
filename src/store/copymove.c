/*
 * COPY and MOVE (RFC 9051 6.4.7, RFC 6851), and the move of all messages
 * that renaming INBOX does. Copies share the message file; the copy gets a
 * new row, UID and MODSEQ in the destination and keeps flags, keywords,
 * internal date and thread. A moved message keeps its row id (and so its
 * place in threads), gets a new UID in the destination, and leaves an
 * expunge record in the source for VANISHED.
 */
#include "store/internal.h"

#include <string.h>
#include <time.h>

struct copy_op {
	int64_t src_id;
	int64_t dst_id;
	const struct store_uid_set *uids;
	int64_t quota;
	bool move;
	struct arena *ar;
	struct store_copy_result *out;
};

static bool next_uid(struct mbrow *dst, uint32_t *uid, struct error *err)
{
	if (dst->uidnext == UINT32_MAX)
		return error_set(err, ERR_INVALID, "mailbox %s has used all UIDs", dst->name);
	*uid = dst->uidnext++;
	return true;
}

static bool copy_row(struct store_account *a, const struct store_message *m, int64_t dst,
		     uint32_t uid, uint64_t modseq, int64_t now, struct error *err)
{
	sqlite3_stmt *st = db_stmt(
	    &a->wdb,
	    "INSERT INTO messages (mailbox_id, uid, file_id, modseq, createseq, flags, keywords, "
	    "size, received, received_tz, saved, mailbox_orig_id, is_reject, message_id, "
	    "subject_base, from_addr, thread_id, thread_parents, thread_missing_link) "
	    "SELECT ?1, ?2, file_id, ?3, ?3, flags, keywords, size, received, received_tz, ?4, "
	    "mailbox_orig_id, 0, message_id, subject_base, from_addr, thread_id, thread_parents, "
	    "thread_missing_link FROM messages WHERE id = ?5",
	    err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, dst);
	sqlite3_bind_int64(st, 2, uid);
	sqlite3_bind_int64(st, 3, (int64_t)modseq);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, m->id);
	if (!db_step_done(&a->wdb, st, err))
		return false;
	st = db_stmt(&a->wdb, "UPDATE files SET refs = refs + 1 WHERE id = ?", err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, m->file_id);
	return db_step_done(&a->wdb, st, err);
}

/*
 * A message moved out of mox's Rejects mailbox is no longer a reject, and
 * counts as delivered to where it was moved (for reputation, as mox does).
 */
static bool move_row(struct store_account *a, const struct store_message *m, int64_t src,
		     int64_t dst, uint32_t uid, uint64_t modseq, int64_t now, struct error *err)
{
	sqlite3_stmt *st =
	    db_stmt(&a->wdb,
		    "UPDATE messages SET mailbox_id = ?1, uid = ?2, modseq = ?3, createseq = ?3, "
		    "saved = ?4, mailbox_orig_id = CASE WHEN is_reject THEN ?1 ELSE "
		    "mailbox_orig_id END, is_reject = 0 WHERE id = ?5",
		    err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, dst);
	sqlite3_bind_int64(st, 2, uid);
	sqlite3_bind_int64(st, 3, (int64_t)modseq);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, m->id);
	if (!db_step_done(&a->wdb, st, err))
		return false;
	return expunged_record(a, src, m->uid, modseq, err);
}

static void change_msg(struct store_change *c, struct store_change_msg *msgs,
		       const struct store_message *m, uint32_t uid, uint64_t modseq)
{
	struct store_change_msg *cm = &msgs[c->nmsgs++];
	struct arena *ar = store_change_arena(c);
	cm->uid = uid;
	cm->modseq = modseq;
	cm->flags = m->flags;
	cm->keywords.n = m->keywords.n;
	cm->keywords.v = arena_array(ar, m->keywords.n ? m->keywords.n : 1, sizeof(char *));
	for (size_t k = 0; k < m->keywords.n; k++)
		cm->keywords.v[k] = arena_strdup(ar, m->keywords.v[k]);
}

/* Copies or moves msgs from src to dst inside the current transaction. */
static bool transfer(struct store_account *a, struct mbrow *src, struct mbrow *dst,
		     struct store_message *msgs, size_t n, bool move, struct arena *ar,
		     struct change_list *cl, struct store_copy_result *out, struct error *err)
{
	out->uidvalidity = dst->uidvalidity;
	if (n == 0)
		return true;
	if (!acct_next_modseq(a, &out->modseq, err))
		return false;
	int64_t now = (int64_t)time(NULL);
	out->map = arena_array(ar, n, sizeof *out->map);
	struct store_change *add = changes_add(cl, STORE_CHANGE_ADD, out->modseq, dst->id);
	struct store_change_msg *addmsgs = arena_array(store_change_arena(add), n, sizeof *addmsgs);
	add->msgs = addmsgs;
	struct store_change *rem = NULL;
	uint32_t *remuids = NULL;
	if (move) {
		rem = changes_add(cl, STORE_CHANGE_REMOVE, out->modseq, src->id);
		remuids = arena_array(store_change_arena(rem), n, sizeof *remuids);
		rem->uids = remuids;
	}
	bool kwchanged = false;
	for (size_t i = 0; i < n; i++) {
		struct store_message *m = &msgs[i];
		uint32_t uid = 0;
		if (!next_uid(dst, &uid, err))
			return false;
		bool ok = move ? move_row(a, m, src->id, dst->id, uid, out->modseq, now, err)
			       : copy_row(a, m, dst->id, uid, out->modseq, now, err);
		if (!ok)
			return false;
		counts_apply(&dst->counts, m->flags, m->size, 1);
		bool grew;
		mbrow_merge_keywords(dst, &m->keywords, ar, &grew);
		kwchanged |= grew;
		out->map[out->n++] = (struct store_uid_map){m->uid, uid};
		change_msg(add, addmsgs, m, uid, out->modseq);
		if (move) {
			counts_apply(&src->counts, m->flags, m->size, -1);
			remuids[rem->nuids++] = m->uid;
		}
	}
	dst->highestmodseq = out->modseq;
	if (!mbrow_save(&a->wdb, dst, err))
		return false;
	if (move) {
		src->highestmodseq = out->modseq;
		if (!mbrow_save(&a->wdb, src, err))
			return false;
		changes_mailbox_state(cl, src, out->modseq, false);
	}
	changes_mailbox_state(cl, dst, out->modseq, kwchanged);
	return true;
}

static bool load_pair(struct store_account *a, int64_t src_id, int64_t dst_id, struct arena *ar,
		      struct mbrow *src, struct mbrow *dst, struct error *err)
{
	bool found;
	if (!mbrow_by_id(&a->wdb, src_id, ar, src, &found, err))
		return false;
	if (!found)
		return error_set(err, ERR_NOTFOUND, "no source mailbox with id %lld",
				 (long long)src_id);
	if (!mbrow_by_id(&a->wdb, dst_id, ar, dst, &found, err))
		return false;
	if (!found)
		return error_set(err, ERR_NOTFOUND, "no destination mailbox with id %lld",
				 (long long)dst_id);
	return true;
}

static int64_t total_size(const struct store_message *msgs, size_t n)
{
	int64_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += msgs[i].size;
	return sum;
}

static bool do_copy(struct store_account *a, void *arg, struct change_list *cl, struct error *err)
{
	struct copy_op *op = arg;
	struct mbrow src, dst;
	if (!load_pair(a, op->src_id, op->dst_id, op->ar, &src, &dst, err))
		return false;
	struct store_message *msgs;
	size_t n;
	if (!msgrow_list(&a->wdb, src.id, op->uids, 0, 0, op->ar, &msgs, &n, err))
		return false;
	if (!op->move) {
		int64_t bytes = total_size(msgs, n);
		if (!acct_quota_check(a, op->quota, bytes, err) || !acct_add_size(a, bytes, err))
			return false;
	}
	/* Copying within one mailbox changes the mailbox twice: keep one row in memory. */
	struct mbrow *srcp = src.id == dst.id ? &dst : &src;
	return transfer(a, srcp, &dst, msgs, n, op->move, op->ar, cl, op->out, err);
}

static bool copy_or_move(struct store_account *a, int64_t src, const struct store_uid_set *uids,
			 int64_t dst, int64_t quota, bool move, struct store_subscriber *origin,
			 struct arena *ar, struct store_copy_result *out, struct error *err)
{
	memset(out, 0, sizeof *out);
	struct copy_op op = {src, dst, uids, quota, move, ar, out};
	bool ok = store_write(a, origin, do_copy, &op, err);
	if (!ok)
		memset(out, 0, sizeof *out);
	return ok;
}

bool store_copy(struct store_account *a, int64_t src_mailbox, const struct store_uid_set *uids,
		int64_t dst_mailbox, int64_t quota, struct store_subscriber *origin,
		struct arena *ar, struct store_copy_result *out, struct error *err)
{
	return copy_or_move(a, src_mailbox, uids, dst_mailbox, quota, false, origin, ar, out, err);
}

bool store_move(struct store_account *a, int64_t src_mailbox, const struct store_uid_set *uids,
		int64_t dst_mailbox, struct store_subscriber *origin, struct arena *ar,
		struct store_copy_result *out, struct error *err)
{
	return copy_or_move(a, src_mailbox, uids, dst_mailbox, 0, true, origin, ar, out, err);
}

bool store_move_all_internal(struct store_account *a, const struct mbrow *src,
			     const struct mbrow *dst, struct arena *ar, struct change_list *cl,
			     struct error *err)
{
	struct mbrow s = *src, d = *dst;
	struct store_message *msgs;
	size_t n;
	if (!msgrow_list(&a->wdb, s.id, NULL, 0, 0, ar, &msgs, &n, err))
		return false;
	struct store_copy_result out;
	memset(&out, 0, sizeof out);
	return transfer(a, &s, &d, msgs, n, true, ar, cl, &out, err);
}
