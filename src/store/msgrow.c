/*
 * Message rows: reading a row into a struct store_message, UID sets, and
 * walking the messages of a mailbox by UID ranges.
 */
#include "store/internal.h"

#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

static void read_parents(const char *s, struct arena *ar, struct store_message *m)
{
	m->thread_parents = NULL;
	m->nthread_parents = 0;
	if (!*s)
		return;
	size_t count = 1;
	for (const char *p = s; *p; p++)
		count += *p == ' ';
	int64_t *v = arena_array(ar, count, sizeof *v);
	size_t n = 0;
	const char *p = s;
	while (*p && n < count) {
		char *end;
		long long x = strtoll(p, &end, 10);
		if (end == p)
			break;
		v[n++] = x;
		p = end;
		while (*p == ' ')
			p++;
	}
	m->thread_parents = v;
	m->nthread_parents = n;
}

void msgrow_read(sqlite3_stmt *st, unsigned what, struct arena *ar, struct store_message *m)
{
	memset(m, 0, sizeof *m);
	m->id = sqlite3_column_int64(st, 0);
	m->mailbox_id = sqlite3_column_int64(st, 1);
	m->uid = (uint32_t)sqlite3_column_int64(st, 2);
	m->file_id = sqlite3_column_int64(st, 3);
	m->modseq = (uint64_t)sqlite3_column_int64(st, 4);
	m->createseq = (uint64_t)sqlite3_column_int64(st, 5);
	m->flags = (uint32_t)sqlite3_column_int64(st, 6);
	keywords_split(db_col_text(st, 7), ar, &m->keywords);
	m->size = sqlite3_column_int64(st, 8);
	m->received = sqlite3_column_int64(st, 9);
	m->received_tz = sqlite3_column_int(st, 10);
	m->saved = sqlite3_column_int64(st, 11);
	m->mailbox_orig_id = sqlite3_column_int64(st, 12);
	m->is_reject = sqlite3_column_int(st, 13) != 0;
	m->message_id = arena_strdup(ar, db_col_text(st, 14));
	m->from = arena_strdup(ar, db_col_text(st, 15));
	m->thread_id = sqlite3_column_int64(st, 16);
	if (what & STORE_FETCH_THREAD)
		read_parents(db_col_text(st, 17), ar, m);
	m->thread_missing_link = sqlite3_column_int(st, 18) != 0;
	if (what & STORE_FETCH_PARSED) {
		const void *p = sqlite3_column_blob(st, MSGROW_NCOLS);
		int n = sqlite3_column_bytes(st, MSGROW_NCOLS);
		if (p && n > 0) {
			void *copy = arena_alloc(ar, (size_t)n);
			memcpy(copy, p, (size_t)n);
			m->parsed = copy;
			m->parsed_len = (size_t)n;
		}
	}
}

bool uidset_check(const struct store_uid_set *uids, struct error *err)
{
	if (!uids)
		return true;
	if (uids->n > STORE_UID_RANGES_MAX)
		return error_set(err, ERR_INVALID, "more than %d UID ranges", STORE_UID_RANGES_MAX);
	for (size_t i = 0; i < uids->n; i++)
		if (uids->r[i].first == 0 || uids->r[i].last < uids->r[i].first)
			return error_set(err, ERR_INVALID, "bad UID range %u:%u", uids->r[i].first,
					 uids->r[i].last);
	return true;
}

bool uidset_contains(const struct store_uid_set *uids, uint32_t uid)
{
	if (!uids)
		return true;
	for (size_t i = 0; i < uids->n; i++)
		if (uid >= uids->r[i].first && uid <= uids->r[i].last)
			return true;
	return false;
}

void uid_span_bind(sqlite3_stmt *st, int64_t mailbox_id, struct uid_span span,
		   uint64_t changedsince)
{
	sqlite3_bind_int64(st, 1, mailbox_id);
	sqlite3_bind_int64(st, 2, span.first);
	sqlite3_bind_int64(st, 3, span.last);
	sqlite3_bind_int64(st, 4, (int64_t)changedsince);
}

static int cmp_span(const void *a, const void *b)
{
	const struct uid_span *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

struct uid_span *uidset_spans(const struct store_uid_set *uids, struct arena *ar, size_t *n)
{
	if (!uids) {
		struct uid_span *all = arena_alloc(ar, sizeof *all);
		*all = (struct uid_span){1, UINT32_MAX};
		*n = 1;
		return all;
	}
	struct uid_span *v = arena_array(ar, uids->n ? uids->n : 1, sizeof *v);
	for (size_t i = 0; i < uids->n; i++)
		v[i] = (struct uid_span){uids->r[i].first, uids->r[i].last};
	qsort(v, uids->n, sizeof *v, cmp_span);
	size_t m = 0;
	for (size_t i = 0; i < uids->n; i++) {
		if (m > 0 && (uint64_t)v[i].first <= (uint64_t)v[m - 1].last + 1) {
			if (v[i].last > v[m - 1].last)
				v[m - 1].last = v[i].last;
		} else {
			v[m++] = v[i];
		}
	}
	*n = m;
	return v;
}

static void vec_add(struct store_message **v, size_t *n, size_t *cap, const struct store_message *m)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*v = xreallocarray(*v, *cap, sizeof **v);
	}
	(*v)[(*n)++] = *m;
}

static bool list_span(struct db *db, int64_t mailbox_id, struct uid_span span,
		      uint64_t changedsince, unsigned what, struct arena *ar,
		      struct store_message **v, size_t *n, size_t *cap, struct error *err)
{
	sqlite3_stmt *st;
	if (what & STORE_FETCH_PARSED)
		st = db_stmt(db,
			     "SELECT " MSGROW_COLS ", f.parsed FROM messages m JOIN files f ON "
			     "f.id = m.file_id WHERE m.mailbox_id = ? AND m.uid BETWEEN ? AND ? "
			     "AND m.modseq > ? ORDER BY m.uid",
			     err);
	else
		st = db_stmt(db,
			     "SELECT " MSGROW_COLS " FROM messages m WHERE m.mailbox_id = ? AND "
			     "m.uid BETWEEN ? AND ? AND m.modseq > ? ORDER BY m.uid",
			     err);
	if (!st)
		return false;
	uid_span_bind(st, mailbox_id, span, changedsince);
	int rc;
	while ((rc = db_step(db, st, err)) == 1) {
		struct store_message m;
		msgrow_read(st, what, ar, &m);
		vec_add(v, n, cap, &m);
	}
	return rc == 0;
}

bool msgrow_list(struct db *db, int64_t mailbox_id, const struct store_uid_set *uids,
		 uint64_t changedsince, unsigned what, struct arena *ar, struct store_message **out,
		 size_t *nout, struct error *err)
{
	*out = NULL;
	*nout = 0;
	if (!uidset_check(uids, err))
		return false;
	size_t nspans;
	struct uid_span *spans = uidset_spans(uids, ar, &nspans);
	struct store_message *v = NULL;
	size_t n = 0, cap = 0;
	bool ok = true;
	for (size_t i = 0; ok && i < nspans; i++)
		ok = list_span(db, mailbox_id, spans[i], changedsince, what, ar, &v, &n, &cap, err);
	if (ok && n > 0) {
		*out = arena_array(ar, n, sizeof **out);
		memcpy(*out, v, n * sizeof *v);
		*nout = n;
	}
	free(v);
	return ok;
}
