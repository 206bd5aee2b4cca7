/*
 * STORE: changing flags and keywords, with CONDSTORE's UNCHANGEDSINCE
 * (RFC 7162 3.1.3).
 */
#include "store/internal.h"

#include <string.h>

struct flags_op {
	int64_t mailbox_id;
	const struct store_uid_set *uids;
	const struct store_flags_change *c;
	struct arena *ar; /* the caller's, for results */
	struct store_flags_result *out;
};

static bool kw_equal(const struct store_keywords *a, const struct store_keywords *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

/* Sorted merge of two sorted sets: union (add) or a minus b (!add). */
static bool kw_combine(const struct store_keywords *a, const struct store_keywords *b, bool add,
		       struct arena *ar, struct store_keywords *out, struct error *err)
{
	const char **v = arena_array(ar, a->n + b->n + 1, sizeof *v);
	size_t n = 0, i = 0, j = 0;
	while (i < a->n || j < b->n) {
		int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->v[i], b->v[j]);
		if (c < 0) {
			v[n++] = a->v[i++];
		} else if (c > 0) {
			if (add)
				v[n++] = b->v[j];
			j++;
		} else {
			if (add)
				v[n++] = a->v[i];
			i++;
			j++;
		}
	}
	if (n > STORE_MESSAGE_KEYWORDS_MAX)
		return error_set(err, ERR_INVALID, "more than %d keywords on a message",
				 STORE_MESSAGE_KEYWORDS_MAX);
	out->v = v;
	out->n = n;
	return true;
}

static bool apply(const struct store_flags_change *c, const struct store_message *m,
		  struct arena *ar, uint32_t *flags, struct store_keywords *kw, struct error *err)
{
	uint32_t f = c->flags & STORE_FLAGS_ALL;
	switch (c->op) {
	case STORE_FLAGS_REPLACE:
		*flags = f;
		*kw = c->keywords;
		return true;
	case STORE_FLAGS_ADD:
		*flags = m->flags | f;
		return kw_combine(&m->keywords, &c->keywords, true, ar, kw, err);
	case STORE_FLAGS_REMOVE:
		*flags = m->flags & ~f;
		return kw_combine(&m->keywords, &c->keywords, false, ar, kw, err);
	}
	return error_set(err, ERR_INVALID, "unknown flags operation");
}

static bool update_row(struct store_account *a, int64_t id, uint32_t flags,
		       const struct store_keywords *kw, uint64_t modseq, struct error *err)
{
	sqlite3_stmt *st = db_stmt(
	    &a->wdb, "UPDATE messages SET flags = ?, keywords = ?, modseq = ? WHERE id = ?", err);
	if (!st)
		return false;
	struct buf b = BUF_INIT;
	keywords_join(kw, &b);
	sqlite3_bind_int64(st, 1, flags);
	db_bind_text(st, 2, buf_cstr(&b));
	sqlite3_bind_int64(st, 3, (int64_t)modseq);
	sqlite3_bind_int64(st, 4, id);
	bool ok = db_step_done(&a->wdb, st, err);
	buf_free(&b);
	return ok;
}

static bool do_flags(struct store_account *a, void *arg, struct change_list *cl, struct error *err)
{
	struct flags_op *op = arg;
	struct store_flags_result *out = op->out;
	struct mbrow mb;
	if (!mbrow_get_by_id(&a->wdb, op->mailbox_id, op->ar, &mb, err))
		return false;
	struct store_message *msgs;
	size_t n;
	if (!msgrow_list(&a->wdb, mb.id, op->uids, 0, 0, op->ar, &msgs, &n, err))
		return false;
	out->messages = arena_array(op->ar, n ? n : 1, sizeof *out->messages);
	out->changed = arena_array(op->ar, n ? n : 1, sizeof *out->changed);
	out->failed = arena_array(op->ar, n ? n : 1, sizeof *out->failed);
	struct store_change *c = NULL;
	struct store_change_msg *cmsgs = NULL;
	bool kwchanged = false;
	for (size_t i = 0; i < n; i++) {
		struct store_message *m = &msgs[i];
		/* RFC 7162 3.1.3: a message changed since the client's MODSEQ is left alone. */
		if (op->c->unchangedsince && m->modseq > op->c->unchangedsince) {
			out->failed[out->nfailed++] = m->uid;
			continue;
		}
		uint32_t flags = 0;
		struct store_keywords kw = {NULL, 0};
		if (!apply(op->c, m, op->ar, &flags, &kw, err))
			return false;
		bool changed = flags != m->flags || !kw_equal(&kw, &m->keywords);
		if (changed) {
			if (!out->modseq && !acct_next_modseq(a, &out->modseq, err))
				return false;
			if (!c) {
				c = changes_add(cl, STORE_CHANGE_FLAGS, out->modseq, mb.id);
				cmsgs = arena_array(store_change_arena(c), n, sizeof *cmsgs);
				c->msgs = cmsgs;
			}
			counts_apply(&mb.counts, m->flags, m->size, -1);
			counts_apply(&mb.counts, flags, m->size, 1);
			if (!update_row(a, m->id, flags, &kw, out->modseq, err))
				return false;
			bool grew;
			mbrow_merge_keywords(&mb, &kw, op->ar, &grew);
			kwchanged |= grew;
			m->flags = flags;
			m->keywords = kw;
			m->modseq = out->modseq;
			struct store_change_msg *cm = &cmsgs[c->nmsgs++];
			cm->uid = m->uid;
			cm->modseq = out->modseq;
			cm->flags = flags;
			struct arena *car = store_change_arena(c);
			cm->keywords.n = kw.n;
			cm->keywords.v = arena_array(car, kw.n ? kw.n : 1, sizeof *cm->keywords.v);
			for (size_t k = 0; k < kw.n; k++)
				cm->keywords.v[k] = arena_strdup(car, kw.v[k]);
		}
		out->changed[out->nmessages] = changed;
		out->messages[out->nmessages++] = *m;
	}
	if (!out->modseq)
		return true;
	mb.highestmodseq = out->modseq;
	if (!mbrow_save(&a->wdb, &mb, err))
		return false;
	changes_mailbox_state(cl, &mb, out->modseq, kwchanged);
	return true;
}

bool store_flags_update(struct store_account *a, int64_t mailbox_id,
			const struct store_uid_set *uids, const struct store_flags_change *c,
			struct store_subscriber *origin, struct arena *ar,
			struct store_flags_result *out, struct error *err)
{
	memset(out, 0, sizeof *out);
	if (!store_keywords_valid(&c->keywords, err))
		return false;
	struct flags_op op = {mailbox_id, uids, c, ar, out};
	bool ok = store_write(a, origin, do_flags, &op, err);
	if (!ok)
		memset(out, 0, sizeof *out);
	return ok;
}
