/*
 * Reads: mailboxes, subscriptions, messages, VANISHED data. Each read runs in
 * one read transaction on a pooled connection, so it sees one committed state
 * and never waits for writers.
 */
#include "store/internal.h"

#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

static bool read_begin(struct store_account *a, struct db **db, struct error *err)
{
	*db = store_reader(a, err);
	if (!*db)
		return false;
	if (!db_begin_read(*db, err)) {
		store_reader_done(a, *db);
		return false;
	}
	return true;
}

static void read_end(struct store_account *a, struct db *db)
{
	store_reader_done(a, db); /* rolls the read transaction back */
}

bool store_mailboxes_list(struct store_account *a, struct arena *ar, struct store_mailbox **out,
			  size_t *n, struct error *err)
{
	*out = NULL;
	*n = 0;
	struct db *db;
	if (!read_begin(a, &db, err))
		return false;
	bool ok = true;
	int64_t count = 0;
	sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM mailboxes", err);
	ok = st && db_query_int(db, st, &count, NULL, err);
	if (ok)
		st = db_stmt(db, "SELECT id FROM mailboxes ORDER BY name", err);
	if (ok && st) {
		*out = arena_array(ar, count > 0 ? (size_t)count : 1, sizeof **out);
		int64_t *ids = xcalloc(count > 0 ? (size_t)count : 1, sizeof *ids);
		size_t k = 0;
		int rc;
		while ((rc = db_step(db, st, err)) == 1)
			if (k < (size_t)count)
				ids[k++] = sqlite3_column_int64(st, 0);
		ok = rc == 0;
		for (size_t i = 0; ok && i < k; i++) {
			struct mbrow mb;
			bool found;
			ok = mbrow_by_id(db, ids[i], ar, &mb, &found, err);
			if (ok && found) {
				mbrow_to_public(&mb, ar, &(*out)[*n]);
				ok = mbrow_subscribed(db, mb.name, &(*out)[*n].subscribed, err);
				(*n)++;
			}
		}
		free(ids);
	} else {
		ok = false;
	}
	read_end(a, db);
	return ok;
}

static bool mailbox_get(struct store_account *a, const char *name, int64_t id, struct arena *ar,
			struct store_mailbox *out, struct error *err)
{
	struct db *db;
	if (!read_begin(a, &db, err))
		return false;
	struct mbrow mb;
	bool ok = name ? mbrow_get_by_name(db, name, ar, &mb, err)
		       : mbrow_get_by_id(db, id, ar, &mb, err);
	if (ok) {
		mbrow_to_public(&mb, ar, out);
		ok = mbrow_subscribed(db, mb.name, &out->subscribed, err);
	}
	read_end(a, db);
	return ok;
}

bool store_mailbox_get(struct store_account *a, const char *name, struct arena *ar,
		       struct store_mailbox *out, struct error *err)
{
	const char *norm;
	if (!store_mailbox_name_check(name, true, ar, &norm, err))
		return false;
	return mailbox_get(a, norm, 0, ar, out, err);
}

bool store_mailbox_get_id(struct store_account *a, int64_t id, struct arena *ar,
			  struct store_mailbox *out, struct error *err)
{
	return mailbox_get(a, NULL, id, ar, out, err);
}

bool store_subscriptions_list(struct store_account *a, struct arena *ar, const char ***names,
			      size_t *n, struct error *err)
{
	*names = NULL;
	*n = 0;
	struct db *db;
	if (!read_begin(a, &db, err))
		return false;
	int64_t count = 0;
	sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM subscriptions", err);
	bool ok = st && db_query_int(db, st, &count, NULL, err);
	if (ok)
		st = db_stmt(db, "SELECT name FROM subscriptions ORDER BY name", err);
	if (ok && st) {
		*names = arena_array(ar, count > 0 ? (size_t)count : 1, sizeof **names);
		int rc;
		while ((rc = db_step(db, st, err)) == 1)
			if (*n < (size_t)count)
				(*names)[(*n)++] = arena_strdup(ar, db_col_text(st, 0));
		ok = rc == 0;
	} else {
		ok = false;
	}
	read_end(a, db);
	return ok;
}

static bool mailbox_exists(struct db *db, int64_t id, struct error *err)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT 1 FROM mailboxes WHERE id = ?", err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, id);
	int64_t v;
	bool found;
	if (!db_query_int(db, st, &v, &found, err))
		return false;
	return found || error_set(err, ERR_NOTFOUND, "no mailbox with id %lld", (long long)id);
}

bool store_messages_fetch(struct store_account *a, int64_t mailbox_id,
			  const struct store_uid_set *uids, uint64_t changedsince, unsigned what,
			  struct arena *ar, struct store_message **out, size_t *n,
			  struct error *err)
{
	*out = NULL;
	*n = 0;
	struct db *db;
	if (!read_begin(a, &db, err))
		return false;
	bool ok = mailbox_exists(db, mailbox_id, err) &&
		  msgrow_list(db, mailbox_id, uids, changedsince, what, ar, out, n, err);
	read_end(a, db);
	return ok;
}

static bool flags_span(struct db *db, int64_t mailbox_id, struct uid_span span,
		       uint64_t changedsince, struct arena *ar, struct store_message_flags **v,
		       size_t *n, size_t *cap, struct error *err)
{
	sqlite3_stmt *st =
	    db_stmt(db,
		    "SELECT uid, flags, modseq, keywords FROM messages WHERE "
		    "mailbox_id = ? AND uid BETWEEN ? AND ? AND modseq > ? ORDER BY uid",
		    err);
	if (!st)
		return false;
	uid_span_bind(st, mailbox_id, span, changedsince);
	int rc;
	while ((rc = db_step(db, st, err)) == 1) {
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 1024;
			*v = xreallocarray(*v, *cap, sizeof **v);
		}
		struct store_message_flags *f = &(*v)[(*n)++];
		f->uid = (uint32_t)sqlite3_column_int64(st, 0);
		f->flags = (uint32_t)sqlite3_column_int64(st, 1);
		f->modseq = (uint64_t)sqlite3_column_int64(st, 2);
		keywords_split(db_col_text(st, 3), ar, &f->keywords);
	}
	return rc == 0;
}

bool store_messages_flags(struct store_account *a, int64_t mailbox_id,
			  const struct store_uid_set *uids, uint64_t changedsince, struct arena *ar,
			  struct store_message_flags **out, size_t *n, struct error *err)
{
	*out = NULL;
	*n = 0;
	if (!uidset_check(uids, err))
		return false;
	struct db *db;
	if (!read_begin(a, &db, err))
		return false;
	size_t nspans;
	struct uid_span *spans = uidset_spans(uids, ar, &nspans);
	struct store_message_flags *v = NULL;
	size_t count = 0, cap = 0;
	bool ok = mailbox_exists(db, mailbox_id, err);
	for (size_t i = 0; ok && i < nspans; i++)
		ok = flags_span(db, mailbox_id, spans[i], changedsince, ar, &v, &count, &cap, err);
	read_end(a, db);
	if (ok && count > 0) {
		*out = arena_array(ar, count, sizeof **out);
		memcpy(*out, v, count * sizeof *v);
		*n = count;
	}
	free(v);
	return ok;
}

bool store_message_get(struct store_account *a, int64_t id, unsigned what, struct arena *ar,
		       struct store_message *out, struct error *err)
{
	struct db *db;
	if (!read_begin(a, &db, err))
		return false;
	sqlite3_stmt *st = db_stmt(db,
				   "SELECT " MSGROW_COLS ", f.parsed FROM messages m JOIN files f "
				   "ON f.id = m.file_id WHERE m.id = ?",
				   err);
	bool ok = st != NULL;
	if (ok) {
		sqlite3_bind_int64(st, 1, id);
		int rc = db_step(db, st, err);
		if (rc == 1) {
			msgrow_read(st, what, ar, out);
			sqlite3_reset(st);
		} else {
			ok = rc == 0 &&
			     error_set(err, ERR_NOTFOUND, "no message with id %lld", (long long)id);
		}
	}
	read_end(a, db);
	return ok;
}

static void push_uid(uint32_t **v, size_t *n, size_t *cap, uint32_t uid)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		*v = xreallocarray(*v, *cap, sizeof **v);
	}
	(*v)[(*n)++] = uid;
}

static void uids_to_arena(uint32_t *v, size_t n, struct arena *ar, uint32_t **out, size_t *nout)
{
	*out = NULL;
	*nout = n;
	if (n > 0) {
		*out = arena_array(ar, n, sizeof **out);
		memcpy(*out, v, n * sizeof *v);
	}
	free(v);
}

bool store_vanished(struct store_account *a, int64_t mailbox_id, uint64_t since,
		    const struct store_uid_set *uids, struct arena *ar, uint32_t **out, size_t *n,
		    struct error *err)
{
	*out = NULL;
	*n = 0;
	if (!uidset_check(uids, err))
		return false;
	struct db *db;
	if (!read_begin(a, &db, err))
		return false;
	bool ok = mailbox_exists(db, mailbox_id, err);
	sqlite3_stmt *st = NULL;
	if (ok)
		st = db_stmt(db,
			     "SELECT uid FROM expunged WHERE mailbox_id = ? AND modseq > ? "
			     "ORDER BY uid",
			     err);
	uint32_t *v = NULL;
	size_t count = 0, cap = 0;
	if (ok && st) {
		sqlite3_bind_int64(st, 1, mailbox_id);
		sqlite3_bind_int64(st, 2, (int64_t)since);
		int rc;
		while ((rc = db_step(db, st, err)) == 1) {
			uint32_t uid = (uint32_t)sqlite3_column_int64(st, 0);
			if (uidset_contains(uids, uid))
				push_uid(&v, &count, &cap, uid);
		}
		ok = rc == 0;
	} else {
		ok = false;
	}
	read_end(a, db);
	uids_to_arena(v, ok ? count : 0, ar, out, n);
	return ok;
}

/* --- search --- */

struct sqlq {
	struct buf sql;
	/* parameters, bound in order */
	enum { P_INT, P_TEXT } kinds[64];
	int64_t ints[64];
	const char *texts[64];
	int n;
	bool overflow;
};

static void q_int(struct sqlq *q, const char *clause, int64_t v)
{
	if (q->n == 64) {
		q->overflow = true;
		return;
	}
	buf_puts(&q->sql, clause);
	q->kinds[q->n] = P_INT;
	q->ints[q->n++] = v;
}

static void q_text(struct sqlq *q, const char *clause, const char *v)
{
	if (q->n == 64) {
		q->overflow = true;
		return;
	}
	buf_puts(&q->sql, clause);
	q->kinds[q->n] = P_TEXT;
	q->texts[q->n++] = v;
}

/* Keywords are stored space separated: match " kw " within " keywords ". */
static void q_keywords(struct sqlq *q, const char *const *kw, size_t n, bool present,
		       struct arena *ar)
{
	for (size_t i = 0; i < n; i++)
		q_text(q,
		       present ? " AND instr(' ' || keywords || ' ', ?) > 0"
			       : " AND instr(' ' || keywords || ' ', ?) = 0",
		       arena_sprintf(ar, " %s ", kw[i]));
}

static void build_search(struct sqlq *q, int64_t mailbox_id, const struct store_search *s,
			 struct arena *ar)
{
	q_int(q, "SELECT uid FROM messages WHERE mailbox_id = ?", mailbox_id);
	if (s->flags_set) {
		q_int(q, " AND (flags & ?)", s->flags_set);
		q_int(q, " = ?", s->flags_set);
	}
	if (s->flags_clear)
		q_int(q, " AND (flags & ?) = 0", s->flags_clear);
	q_keywords(q, s->keywords_set, s->nkeywords_set, true, ar);
	q_keywords(q, s->keywords_clear, s->nkeywords_clear, false, ar);
	if (s->received_since)
		q_int(q, " AND received >= ?", s->received_since);
	if (s->received_before)
		q_int(q, " AND received < ?", s->received_before);
	if (s->saved_since)
		q_int(q, " AND saved >= ?", s->saved_since);
	if (s->saved_before)
		q_int(q, " AND saved < ?", s->saved_before);
	if (s->larger > 0)
		q_int(q, " AND size > ?", s->larger);
	if (s->smaller > 0)
		q_int(q, " AND size < ?", s->smaller);
	if (s->modseq_min)
		q_int(q, " AND modseq >= ?", (int64_t)s->modseq_min);
	if (s->from)
		q_text(q, " AND from_addr = ?", s->from);
	buf_puts(&q->sql, " ORDER BY uid");
}

static bool bind_all(sqlite3_stmt *st, const struct sqlq *q)
{
	for (int i = 0; i < q->n; i++) {
		int rc = q->kinds[i] == P_INT ? sqlite3_bind_int64(st, i + 1, q->ints[i])
					      : db_bind_text(st, i + 1, q->texts[i]);
		if (rc != SQLITE_OK)
			return false;
	}
	return true;
}

bool store_search(struct store_account *a, int64_t mailbox_id, const struct store_search *s,
		  struct arena *ar, uint32_t **uids, size_t *n, struct error *err)
{
	*uids = NULL;
	*n = 0;
	if (!uidset_check(s->uids, err))
		return false;
	struct sqlq q;
	memset(&q, 0, sizeof q);
	build_search(&q, mailbox_id, s, ar);
	if (q.overflow) {
		buf_free(&q.sql);
		return error_set(err, ERR_INVALID, "search has too many conditions");
	}
	char *sql = arena_strdup(ar, buf_cstr(&q.sql));
	buf_free(&q.sql);
	struct db *db;
	if (!read_begin(a, &db, err))
		return false;
	bool ok = mailbox_exists(db, mailbox_id, err);
	sqlite3_stmt *st = ok ? db_stmt_temp(db, sql, err) : NULL;
	uint32_t *v = NULL;
	size_t count = 0, cap = 0;
	if (ok && st && bind_all(st, &q)) {
		int rc;
		while ((rc = db_step(db, st, err)) == 1) {
			uint32_t uid = (uint32_t)sqlite3_column_int64(st, 0);
			if (uidset_contains(s->uids, uid))
				push_uid(&v, &count, &cap, uid);
		}
		ok = rc == 0;
	} else if (ok) {
		ok = st ? db_fail(db, err, "search") : false;
	}
	sqlite3_finalize(st);
	read_end(a, db);
	uids_to_arena(v, ok ? count : 0, ar, uids, n);
	return ok;
}
