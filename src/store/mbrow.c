/*
 * Mailbox rows inside transactions: load, save, insert, ensure (with
 * parents), counts and keywords in use.
 */
#include "store/internal.h"

#include <stdlib.h>
#include <string.h>

#define MB_COLS                                                                                    \
	"id, name, uidvalidity, uidnext, modseq, highestmodseq, specialuse, keywords, total, "     \
	"deleted, unread, unseen, size"

static void mbrow_read(sqlite3_stmt *st, struct arena *ar, struct mbrow *mb)
{
	mb->id = sqlite3_column_int64(st, 0);
	mb->name = arena_strdup(ar, db_col_text(st, 1));
	mb->uidvalidity = (uint32_t)sqlite3_column_int64(st, 2);
	mb->uidnext = (uint32_t)sqlite3_column_int64(st, 3);
	mb->modseq = (uint64_t)sqlite3_column_int64(st, 4);
	mb->highestmodseq = (uint64_t)sqlite3_column_int64(st, 5);
	mb->specialuse = (uint32_t)sqlite3_column_int64(st, 6);
	mb->keywords = arena_strdup(ar, db_col_text(st, 7));
	mb->counts.total = sqlite3_column_int64(st, 8);
	mb->counts.deleted = sqlite3_column_int64(st, 9);
	mb->counts.unread = sqlite3_column_int64(st, 10);
	mb->counts.unseen = sqlite3_column_int64(st, 11);
	mb->counts.size = sqlite3_column_int64(st, 12);
}

static bool mbrow_one(struct db *db, sqlite3_stmt *st, struct arena *ar, struct mbrow *out,
		      bool *found, struct error *err)
{
	int rc = db_step(db, st, err);
	if (rc < 0)
		return false;
	*found = rc == 1;
	if (rc == 1) {
		mbrow_read(st, ar, out);
		sqlite3_reset(st);
	}
	return true;
}

bool mbrow_by_id(struct db *db, int64_t id, struct arena *ar, struct mbrow *out, bool *found,
		 struct error *err)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT " MB_COLS " FROM mailboxes WHERE id = ?", err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, id);
	return mbrow_one(db, st, ar, out, found, err);
}

bool mbrow_by_name(struct db *db, const char *name, struct arena *ar, struct mbrow *out,
		   bool *found, struct error *err)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT " MB_COLS " FROM mailboxes WHERE name = ?", err);
	if (!st)
		return false;
	db_bind_text(st, 1, name);
	return mbrow_one(db, st, ar, out, found, err);
}

bool mbrow_get_by_id(struct db *db, int64_t id, struct arena *ar, struct mbrow *out,
		     struct error *err)
{
	bool found;
	if (!mbrow_by_id(db, id, ar, out, &found, err))
		return false;
	return found || error_set(err, ERR_NOTFOUND, "no mailbox with id %lld", (long long)id);
}

bool mbrow_get_by_name(struct db *db, const char *name, struct arena *ar, struct mbrow *out,
		       struct error *err)
{
	bool found;
	if (!mbrow_by_name(db, name, ar, out, &found, err))
		return false;
	return found || error_set(err, ERR_NOTFOUND, "no mailbox %s", name);
}

bool mbrow_save(struct db *db, const struct mbrow *mb, struct error *err)
{
	sqlite3_stmt *st =
	    db_stmt(db,
		    "UPDATE mailboxes SET name = ?, uidnext = ?, modseq = ?, highestmodseq = ?, "
		    "specialuse = ?, keywords = ?, total = ?, deleted = ?, unread = ?, unseen = ?, "
		    "size = ? WHERE id = ?",
		    err);
	if (!st)
		return false;
	db_bind_text(st, 1, mb->name);
	sqlite3_bind_int64(st, 2, mb->uidnext);
	sqlite3_bind_int64(st, 3, (int64_t)mb->modseq);
	sqlite3_bind_int64(st, 4, (int64_t)mb->highestmodseq);
	sqlite3_bind_int64(st, 5, mb->specialuse);
	db_bind_text(st, 6, mb->keywords);
	sqlite3_bind_int64(st, 7, mb->counts.total);
	sqlite3_bind_int64(st, 8, mb->counts.deleted);
	sqlite3_bind_int64(st, 9, mb->counts.unread);
	sqlite3_bind_int64(st, 10, mb->counts.unseen);
	sqlite3_bind_int64(st, 11, mb->counts.size);
	sqlite3_bind_int64(st, 12, mb->id);
	return db_step_done(db, st, err);
}

static bool mailbox_count(struct db *db, int64_t *n, struct error *err)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM mailboxes", err);
	return st && db_query_int(db, st, n, NULL, err);
}

bool mbrow_insert(struct store_account *a, struct mbrow *mb, struct error *err)
{
	int64_t count;
	if (!mailbox_count(&a->wdb, &count, err))
		return false;
	if (count >= STORE_MAILBOXES_MAX)
		return error_set(err, ERR_INVALID, "account has the maximum of %d mailboxes",
				 STORE_MAILBOXES_MAX);
	if (!acct_next_uidvalidity(a, &mb->uidvalidity, err))
		return false;
	mb->uidnext = 1;
	sqlite3_stmt *st = db_stmt(&a->wdb,
				   "INSERT INTO mailboxes (name, uidvalidity, uidnext, modseq, "
				   "highestmodseq, specialuse, keywords, total, deleted, unread, "
				   "unseen, size) VALUES (?, ?, 1, ?, ?, ?, '', 0, 0, 0, 0, 0)",
				   err);
	if (!st)
		return false;
	db_bind_text(st, 1, mb->name);
	sqlite3_bind_int64(st, 2, mb->uidvalidity);
	sqlite3_bind_int64(st, 3, (int64_t)mb->modseq);
	sqlite3_bind_int64(st, 4, (int64_t)mb->highestmodseq);
	sqlite3_bind_int64(st, 5, mb->specialuse);
	if (!db_step_done(&a->wdb, st, err))
		return false;
	mb->id = db_last_id(&a->wdb);
	return true;
}

void mbrow_to_public(const struct mbrow *mb, struct arena *ar, struct store_mailbox *out)
{
	memset(out, 0, sizeof *out);
	out->id = mb->id;
	out->name = mb->name;
	out->uidvalidity = mb->uidvalidity;
	out->uidnext = mb->uidnext;
	out->highestmodseq = mb->highestmodseq;
	out->specialuse = mb->specialuse;
	keywords_split(mb->keywords, ar, &out->keywords);
	out->counts = mb->counts;
}

void counts_apply(struct store_mailbox_counts *c, uint32_t flags, int64_t size, int sign)
{
	bool deleted = flags & STORE_FLAG_DELETED;
	bool seen = flags & STORE_FLAG_SEEN;
	if (deleted)
		c->deleted += sign;
	else
		c->total += sign;
	if (!seen) {
		c->unseen += sign;
		if (!deleted)
			c->unread += sign;
	}
	c->size += sign * size;
}

void keywords_join(const struct store_keywords *k, struct buf *out)
{
	for (size_t i = 0; i < k->n; i++) {
		if (i > 0)
			buf_putc(out, ' ');
		buf_puts(out, k->v[i]);
	}
}

bool keywords_split(const char *s, struct arena *ar, struct store_keywords *out)
{
	out->v = NULL;
	out->n = 0;
	if (!s || !*s)
		return true;
	size_t count = 1;
	for (const char *p = s; *p; p++)
		count += *p == ' ';
	out->v = arena_array(ar, count, sizeof *out->v);
	const char *p = s;
	while (*p) {
		const char *sp = strchr(p, ' ');
		size_t len = sp ? (size_t)(sp - p) : strlen(p);
		if (len > 0)
			out->v[out->n++] = arena_strndup(ar, p, len);
		p += len;
		if (*p == ' ')
			p++;
	}
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void mbrow_merge_keywords(struct mbrow *mb, const struct store_keywords *k, struct arena *ar,
			  bool *changed)
{
	*changed = false;
	if (k->n == 0)
		return;
	struct store_keywords have;
	keywords_split(mb->keywords, ar, &have);
	const char **v = arena_array(ar, have.n + k->n, sizeof *v);
	size_t n = 0;
	for (size_t i = 0; i < have.n; i++)
		v[n++] = have.v[i];
	for (size_t i = 0; i < k->n; i++) {
		if (store_keywords_has(&have, k->v[i]))
			continue;
		if (n >= STORE_MAILBOX_KEYWORDS_MAX)
			break;
		v[n++] = k->v[i];
		*changed = true;
	}
	if (!*changed)
		return;
	qsort(v, n, sizeof *v, cmp_str);
	struct store_keywords merged = {v, n};
	struct buf b = BUF_INIT;
	keywords_join(&merged, &b);
	mb->keywords = arena_strdup(ar, buf_cstr(&b));
	buf_free(&b);
}

static bool subscription_insert(struct db *db, const char *name, struct error *err)
{
	sqlite3_stmt *st =
	    db_stmt(db, "INSERT INTO subscriptions (name) VALUES (?) ON CONFLICT DO NOTHING", err);
	if (!st)
		return false;
	db_bind_text(st, 1, name);
	return db_step_done(db, st, err);
}

bool mbrow_subscribed(struct db *db, const char *name, bool *yes, struct error *err)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT 1 FROM subscriptions WHERE name = ?", err);
	if (!st)
		return false;
	db_bind_text(st, 1, name);
	int64_t v;
	return db_query_int(db, st, &v, yes, err);
}

/* Creates one mailbox (its parents exist) and records the change. */
static bool create_one(struct store_account *a, const char *name, uint32_t specialuse,
		       bool subscribe, struct arena *ar, struct change_list *cl, struct mbrow *out,
		       struct error *err)
{
	uint64_t modseq;
	if (!acct_next_modseq(a, &modseq, err))
		return false;
	memset(out, 0, sizeof *out);
	out->name = arena_strdup(ar, name);
	out->modseq = modseq;
	out->highestmodseq = modseq;
	out->specialuse = specialuse;
	out->keywords = "";
	if (!mbrow_insert(a, out, err))
		return false;
	if (subscribe && !subscription_insert(&a->wdb, name, err))
		return false;
	bool subscribed = subscribe;
	if (!subscribe && !mbrow_subscribed(&a->wdb, name, &subscribed, err))
		return false;
	struct store_change *c = changes_add(cl, STORE_CHANGE_MAILBOX_ADD, modseq, out->id);
	c->name = arena_strdup(store_change_arena(c), name);
	c->specialuse = specialuse;
	c->subscribed = subscribed;
	c->uidnext = out->uidnext;
	c->highestmodseq = modseq;
	return true;
}

bool mbrow_ensure(struct store_account *a, const char *name, bool create, uint32_t specialuse,
		  bool subscribe, struct arena *ar, struct change_list *cl, struct mbrow *out,
		  struct error *err)
{
	bool found;
	if (!mbrow_by_name(&a->wdb, name, ar, out, &found, err))
		return false;
	if (found)
		return true;
	if (!create)
		return error_set(err, ERR_NOTFOUND, "no mailbox %s", name);
	/* RFC 9051 6.3.4: create missing superior names first. */
	for (const char *p = strchr(name, '/'); p; p = strchr(p + 1, '/')) {
		const char *parent = arena_strndup(ar, name, (size_t)(p - name));
		struct mbrow pmb;
		if (!mbrow_by_name(&a->wdb, parent, ar, &pmb, &found, err))
			return false;
		if (!found && !create_one(a, parent, 0, subscribe, ar, cl, &pmb, err))
			return false;
	}
	return create_one(a, name, specialuse, subscribe, ar, cl, out, err);
}
