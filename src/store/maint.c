/*
 * Account repairs: counts, UIDVALIDITY, UIDs, UIDNEXT (see maint.h).
 */
#include "store/maint.h"

#include "base/mem.h"
#include "store/internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct maint {
	struct buf *out;
	const char *mailbox; /* bump: NULL for all */
	int64_t mailbox_id;  /* reassign: 0 for all */
	struct arena ar;
};

/* Mailbox ids in name order (all, or the one named). */
static bool mailbox_ids(struct db *db, const char *name, int64_t id, struct arena *ar,
			int64_t **ids, size_t *n, struct error *err)
{
	sqlite3_stmt *st = db_stmt(db,
				   "SELECT id FROM mailboxes WHERE (?1 IS NULL OR name = ?1) AND "
				   "(?2 = 0 OR id = ?2) ORDER BY name",
				   err);
	if (!st)
		return false;
	if (name)
		db_bind_text(st, 1, name);
	sqlite3_bind_int64(st, 2, id);
	size_t cap = 16;
	*ids = arena_array(ar, cap, sizeof **ids);
	*n = 0;
	int rc;
	while ((rc = db_step(db, st, err)) == 1) {
		if (*n == cap) {
			int64_t *bigger = arena_array(ar, cap * 2, sizeof *bigger);
			memcpy(bigger, *ids, cap * sizeof *bigger);
			*ids = bigger;
			cap *= 2;
		}
		(*ids)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	if (rc < 0)
		return false;
	if (*n == 0 && (name || id))
		return error_set(err, ERR_NOTFOUND, "no mailbox %s", name ? name : "with that id");
	return true;
}

static bool run(struct store_account *a, store_write_fn fn, struct maint *m, struct error *err)
{
	arena_init(&m->ar, 16384);
	bool ok = store_write(a, NULL, fn, m, err);
	arena_free(&m->ar);
	return ok;
}

/* --- counts --- */

static const char q_real_counts[] =
    "SELECT mb.id, coalesce(c.total, 0), coalesce(c.deleted, 0), coalesce(c.unread, 0), "
    "coalesce(c.unseen, 0), coalesce(c.size, 0) FROM mailboxes mb LEFT JOIN "
    "(SELECT mailbox_id, sum((flags & 8) = 0) AS total, sum((flags & 8) != 0) AS deleted, "
    "sum((flags & 9) = 0) AS unread, sum((flags & 1) = 0) AS unseen, sum(size) AS size "
    "FROM messages GROUP BY mailbox_id) c ON c.mailbox_id = mb.id ORDER BY mb.name";

struct real_counts {
	int64_t id;
	struct store_mailbox_counts c;
};

static void report_counts(struct buf *out, const char *name, const struct store_mailbox_counts *o,
			  const struct store_mailbox_counts *n)
{
	const int64_t ov[] = {o->total, o->deleted, o->unread, o->unseen, o->size};
	const int64_t nv[] = {n->total, n->deleted, n->unread, n->unseen, n->size};
	static const char *const what[] = {"total", "deleted", "unread", "unseen", "size"};
	buf_printf(out, "mailbox %s:", name);
	const char *sep = " ";
	for (int i = 0; i < 5; i++) {
		if (ov[i] == nv[i])
			continue;
		buf_printf(out, "%s%s %" PRId64 " -> %" PRId64, sep, what[i], ov[i], nv[i]);
		sep = ", ";
	}
	buf_putc(out, '\n');
}

static bool fix_account_size(struct store_account *a, struct buf *out, struct error *err)
{
	sqlite3_stmt *st = db_stmt(&a->wdb, "SELECT coalesce(sum(size), 0) FROM messages", err);
	int64_t real, kept;
	if (!st || !db_query_int(&a->wdb, st, &real, NULL, err) || !acct_size(&a->wdb, &kept, err))
		return false;
	if (real == kept)
		return true;
	buf_printf(out, "account size %" PRId64 " -> %" PRId64 "\n", kept, real);
	return acct_add_size(a, real - kept, err);
}

/* Inside a write transaction: recounts every mailbox and the account size. */
static bool recount(struct store_account *a, struct change_list *cl, struct arena *ar,
		    struct buf *out, struct error *err)
{
	sqlite3_stmt *st = db_stmt(&a->wdb, q_real_counts, err);
	if (!st)
		return false;
	size_t n = 0, cap = 64;
	struct real_counts *v = arena_array(ar, cap, sizeof *v);
	int rc;
	while ((rc = db_step(&a->wdb, st, err)) == 1) {
		if (n == cap) {
			struct real_counts *bigger = arena_array(ar, cap * 2, sizeof *bigger);
			memcpy(bigger, v, cap * sizeof *v);
			v = bigger;
			cap *= 2;
		}
		v[n].id = sqlite3_column_int64(st, 0);
		v[n].c = (struct store_mailbox_counts){
		    sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
		    sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4),
		    sqlite3_column_int64(st, 5)};
		n++;
	}
	if (rc < 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		struct mbrow mb;
		bool found;
		if (!mbrow_by_id(&a->wdb, v[i].id, ar, &mb, &found, err))
			return false;
		if (!found || memcmp(&mb.counts, &v[i].c, sizeof mb.counts) == 0)
			continue;
		report_counts(out, mb.name, &mb.counts, &v[i].c);
		mb.counts = v[i].c;
		if (!mbrow_save(&a->wdb, &mb, err))
			return false;
		changes_mailbox_state(cl, &mb, mb.highestmodseq, false);
	}
	return fix_account_size(a, out, err);
}

static bool recount_fn(struct store_account *a, void *arg, struct change_list *cl,
		       struct error *err)
{
	struct maint *m = arg;
	return recount(a, cl, &m->ar, m->out, err);
}

bool store_recalculate_counts(struct store_account *a, struct buf *out, struct error *err)
{
	struct maint m = {.out = out};
	return run(a, recount_fn, &m, err);
}

/* --- UIDVALIDITY --- */

static bool set_uidvalidity(struct store_account *a, struct mbrow *mb, struct buf *out,
			    struct error *err)
{
	uint32_t v;
	if (!acct_next_uidvalidity(a, &v, err))
		return false;
	sqlite3_stmt *st =
	    db_stmt(&a->wdb, "UPDATE mailboxes SET uidvalidity = ? WHERE id = ?", err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, v);
	sqlite3_bind_int64(st, 2, mb->id);
	if (!db_step_done(&a->wdb, st, err))
		return false;
	buf_printf(out, "mailbox %s: uidvalidity %u -> %u\n", mb->name, mb->uidvalidity, v);
	mb->uidvalidity = v;
	return true;
}

static bool bump_fn(struct store_account *a, void *arg, struct change_list *cl, struct error *err)
{
	(void)cl;
	struct maint *m = arg;
	int64_t *ids;
	size_t n;
	if (!mailbox_ids(&a->wdb, m->mailbox, 0, &m->ar, &ids, &n, err))
		return false;
	for (size_t i = 0; i < n; i++) {
		struct mbrow mb;
		if (!mbrow_get_by_id(&a->wdb, ids[i], &m->ar, &mb, err) ||
		    !set_uidvalidity(a, &mb, m->out, err))
			return false;
	}
	return true;
}

bool store_bump_uidvalidity(struct store_account *a, const char *mailbox, struct buf *out,
			    struct error *err)
{
	struct maint m = {.out = out};
	struct arena ar;
	arena_init(&ar, 1024);
	bool ok = !mailbox || store_mailbox_name_check(mailbox, true, &ar, &m.mailbox, err);
	ok = ok && run(a, bump_fn, &m, err);
	arena_free(&ar);
	return ok;
}

/* --- UIDs --- */

static bool exec_id(struct db *db, const char *sql, int64_t id, struct error *err)
{
	sqlite3_stmt *st = db_stmt(db, sql, err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, id);
	return db_step_done(db, st, err);
}

/* Message ids of a mailbox whose UIDs were negated, in the old UID order. */
static bool renumber(struct db *db, int64_t mailbox_id, struct arena *ar, uint32_t *count,
		     struct error *err)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT id FROM messages WHERE mailbox_id = ? ORDER BY uid DESC", err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, mailbox_id);
	size_t n = 0, cap = 1024;
	int64_t *ids = arena_array(ar, cap, sizeof *ids);
	int rc;
	while ((rc = db_step(db, st, err)) == 1) {
		if (n == cap) {
			int64_t *bigger = arena_array(ar, cap * 2, sizeof *bigger);
			memcpy(bigger, ids, cap * sizeof *ids);
			ids = bigger;
			cap *= 2;
		}
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	if (rc < 0)
		return false;
	sqlite3_stmt *up = db_stmt(db, "UPDATE messages SET uid = ? WHERE id = ?", err);
	for (size_t i = 0; up && i < n; i++) {
		sqlite3_bind_int64(up, 1, (int64_t)i + 1);
		sqlite3_bind_int64(up, 2, ids[i]);
		if (!db_step_done(db, up, err))
			return false;
	}
	*count = (uint32_t)n;
	return up != NULL;
}

static bool reassign_one(struct store_account *a, int64_t id, struct maint *m, struct error *err)
{
	struct mbrow mb;
	uint32_t n;
	uint64_t modseq;
	/* Negated first, so the new numbers never meet an old one (UNIQUE (mailbox_id, uid)). */
	if (!mbrow_get_by_id(&a->wdb, id, &m->ar, &mb, err) ||
	    !exec_id(&a->wdb, "UPDATE messages SET uid = -uid WHERE mailbox_id = ?", id, err) ||
	    !renumber(&a->wdb, id, &m->ar, &n, err) ||
	    !exec_id(&a->wdb, "DELETE FROM expunged WHERE mailbox_id = ?", id, err) ||
	    !acct_next_modseq(a, &modseq, err))
		return false;
	buf_printf(m->out, "mailbox %s: %u messages renumbered, uidnext %u -> %u\n", mb.name, n,
		   mb.uidnext, n + 1);
	mb.uidnext = n + 1;
	mb.modseq = modseq;
	mb.highestmodseq = modseq;
	return mbrow_save(&a->wdb, &mb, err) && set_uidvalidity(a, &mb, m->out, err);
}

static bool reassign_fn(struct store_account *a, void *arg, struct change_list *cl,
			struct error *err)
{
	(void)cl;
	struct maint *m = arg;
	int64_t *ids;
	size_t n;
	if (!mailbox_ids(&a->wdb, NULL, m->mailbox_id, &m->ar, &ids, &n, err))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!reassign_one(a, ids[i], m, err))
			return false;
	return true;
}

bool store_reassign_uids(struct store_account *a, int64_t mailbox_id, struct buf *out,
			 struct error *err)
{
	struct maint m = {.out = out, .mailbox_id = mailbox_id};
	return run(a, reassign_fn, &m, err);
}

/* --- UIDNEXT and the next UIDVALIDITY --- */

static const char q_uid_bounds[] =
    "SELECT mb.id, max(coalesce((SELECT max(uid) FROM messages WHERE mailbox_id = mb.id), 0), "
    "coalesce((SELECT max(uid) FROM expunged WHERE mailbox_id = mb.id), 0)) FROM mailboxes mb "
    "ORDER BY mb.name";

static bool fix_uidnext(struct store_account *a, struct maint *m, struct error *err)
{
	sqlite3_stmt *st = db_stmt(&a->wdb, q_uid_bounds, err);
	if (!st)
		return false;
	size_t n = 0, cap = 64;
	int64_t(*v)[2] = arena_array(&m->ar, cap, sizeof *v);
	int rc;
	while ((rc = db_step(&a->wdb, st, err)) == 1) {
		if (n == cap) {
			int64_t(*bigger)[2] = arena_array(&m->ar, cap * 2, sizeof *bigger);
			memcpy(bigger, v, cap * sizeof *v);
			v = bigger;
			cap *= 2;
		}
		v[n][0] = sqlite3_column_int64(st, 0);
		v[n][1] = sqlite3_column_int64(st, 1);
		n++;
	}
	if (rc < 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		struct mbrow mb;
		bool found;
		if (!mbrow_by_id(&a->wdb, v[i][0], &m->ar, &mb, &found, err))
			return false;
		if (!found || mb.uidnext > v[i][1] || v[i][1] >= UINT32_MAX)
			continue;
		buf_printf(m->out, "mailbox %s: uidnext %u -> %u\n", mb.name, mb.uidnext,
			   (uint32_t)v[i][1] + 1);
		mb.uidnext = (uint32_t)v[i][1] + 1;
		if (!mbrow_save(&a->wdb, &mb, err))
			return false;
	}
	return true;
}

static bool fix_next_uidvalidity(struct store_account *a, struct maint *m, struct error *err)
{
	sqlite3_stmt *st = db_stmt(&a->wdb,
				   "SELECT next_uidvalidity, (SELECT coalesce(max(uidvalidity), 0) "
				   "FROM mailboxes) FROM account WHERE id = 1",
				   err);
	if (!st || db_step(&a->wdb, st, err) != 1)
		return false;
	int64_t next = sqlite3_column_int64(st, 0), max = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	if (next > max)
		return true;
	buf_printf(m->out, "account next uidvalidity %" PRId64 " -> %" PRId64 "\n", next, max + 1);
	return exec_id(&a->wdb, "UPDATE account SET next_uidvalidity = ? WHERE id = 1", max + 1,
		       err);
}

static bool uidmeta_fn(struct store_account *a, void *arg, struct change_list *cl,
		       struct error *err)
{
	(void)cl;
	struct maint *m = arg;
	return fix_uidnext(a, m, err) && fix_next_uidvalidity(a, m, err);
}

bool store_fix_uidmeta(struct store_account *a, struct buf *out, struct error *err)
{
	struct maint m = {.out = out};
	return run(a, uidmeta_fn, &m, err);
}

bool maint_recount(struct store_account *a, struct change_list *cl, struct arena *ar,
		   struct buf *out, struct error *err)
{
	return recount(a, cl, ar, out, err);
}
