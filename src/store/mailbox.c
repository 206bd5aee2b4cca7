/*
 * Mailbox operations: create, rename (children, INBOX), delete, special use,
 * subscriptions. Each runs as one write transaction (see txn.c).
 */
#include "store/internal.h"

#include <string.h>

struct mb_op {
	const char *name; /* normalized */
	const char *to;   /* rename target, normalized */
	uint32_t specialuse;
	bool subscribe;
	int64_t id; /* out: created mailbox */
	struct arena ar;
};

static void op_init(struct mb_op *op)
{
	memset(op, 0, sizeof *op);
	arena_init(&op->ar, 4096);
}

static bool op_name(struct mb_op *op, const char *name, bool allow_inbox, const char **out,
		    struct error *err)
{
	return store_mailbox_name_check(name, allow_inbox, &op->ar, out, err);
}

/* --- create --- */

static bool do_create(struct store_account *a, void *arg, struct change_list *cl, struct error *err)
{
	struct mb_op *op = arg;
	struct mbrow mb;
	bool found;
	if (!mbrow_by_name(&a->wdb, op->name, &op->ar, &mb, &found, err))
		return false;
	if (found)
		return error_set(err, ERR_EXISTS, "mailbox %s already exists", op->name);
	if (!mbrow_ensure(a, op->name, true, op->specialuse, op->subscribe, &op->ar, cl, &mb, err))
		return false;
	op->id = mb.id;
	return true;
}

bool store_mailbox_create(struct store_account *a, const char *name,
			  const struct store_mailbox_create *o, struct store_subscriber *origin,
			  int64_t *id, struct error *err)
{
	struct mb_op op;
	op_init(&op);
	/* RFC 9051 6.3.4: a trailing separator only declares the intent to create children. */
	size_t n = strlen(name);
	const char *given = name;
	if (n > 1 && name[n - 1] == '/')
		given = arena_strndup(&op.ar, name, n - 1);
	bool ok = op_name(&op, given, false, &op.name, err);
	if (ok) {
		op.specialuse = o ? o->specialuse & STORE_SPECIALUSE_ALL : 0;
		op.subscribe = o && o->subscribe;
		ok = store_write(a, origin, do_create, &op, err);
	}
	if (ok && id)
		*id = op.id;
	arena_free(&op.ar);
	return ok;
}

/* --- rename --- */

static bool is_descendant(const char *name, const char *parent)
{
	size_t n = strlen(parent);
	return strncmp(name, parent, n) == 0 && name[n] == '/';
}

/* Ids and names of from and its descendants ("from/..."), from first. */
static bool list_subtree(struct db *db, const char *from, struct arena *ar, int64_t **ids,
			 const char ***names, size_t *n, struct error *err)
{
	/* '/' + 1 is '0': names in [from/, from0) are exactly the descendants. */
	sqlite3_stmt *st = db_stmt(db,
				   "SELECT id, name FROM mailboxes WHERE name = ?1 OR (name >= ?1 "
				   "|| '/' AND name < ?1 || '0') ORDER BY name",
				   err);
	if (!st)
		return false;
	db_bind_text(st, 1, from);
	size_t cap = 16;
	*ids = arena_array(ar, cap, sizeof **ids);
	*names = arena_array(ar, cap, sizeof **names);
	*n = 0;
	int rc;
	while ((rc = db_step(db, st, err)) == 1) {
		if (*n == cap) {
			int64_t *ni = arena_array(ar, cap * 2, sizeof *ni);
			const char **nn = arena_array(ar, cap * 2, sizeof *nn);
			memcpy(ni, *ids, cap * sizeof *ni);
			memcpy(nn, *names, cap * sizeof *nn);
			*ids = ni;
			*names = nn;
			cap *= 2;
		}
		(*ids)[*n] = sqlite3_column_int64(st, 0);
		(*names)[*n] = arena_strdup(ar, db_col_text(st, 1));
		(*n)++;
	}
	return rc == 0;
}

static bool name_taken(struct db *db, const char *name, struct arena *ar, bool *taken,
		       struct error *err)
{
	struct mbrow mb;
	return mbrow_by_name(db, name, ar, &mb, taken, err);
}

static bool move_subscription(struct db *db, const char *from, const char *to, struct error *err)
{
	sqlite3_stmt *st = db_stmt(db, "DELETE FROM subscriptions WHERE name = ? RETURNING 1", err);
	if (!st)
		return false;
	db_bind_text(st, 1, from);
	int64_t v;
	bool was;
	if (!db_query_int(db, st, &v, &was, err))
		return false;
	if (!was)
		return true;
	st = db_stmt(db, "INSERT INTO subscriptions (name) VALUES (?) ON CONFLICT DO NOTHING", err);
	if (!st)
		return false;
	db_bind_text(st, 1, to);
	return db_step_done(db, st, err);
}

static bool rename_one(struct store_account *a, int64_t id, const char *old_name,
		       const char *new_name, uint64_t modseq, struct arena *ar,
		       struct change_list *cl, struct error *err)
{
	struct mbrow mb;
	bool found;
	if (!mbrow_by_id(&a->wdb, id, ar, &mb, &found, err))
		return false;
	mb.name = new_name;
	mb.modseq = modseq;
	mb.highestmodseq = modseq;
	if (!mbrow_save(&a->wdb, &mb, err) || !move_subscription(&a->wdb, old_name, new_name, err))
		return false;
	struct store_change *c = changes_add(cl, STORE_CHANGE_MAILBOX_RENAME, modseq, id);
	struct arena *car = store_change_arena(c);
	c->name = arena_strdup(car, new_name);
	c->old_name = arena_strdup(car, old_name);
	c->specialuse = mb.specialuse;
	c->highestmodseq = modseq;
	return true;
}

static bool rename_inbox(struct store_account *a, struct mb_op *op, struct change_list *cl,
			 struct error *err);

static bool do_rename(struct store_account *a, void *arg, struct change_list *cl, struct error *err)
{
	struct mb_op *op = arg;
	struct mbrow mb;
	if (!mbrow_get_by_name(&a->wdb, op->name, &op->ar, &mb, err))
		return false;
	bool found;
	if (!name_taken(&a->wdb, op->to, &op->ar, &found, err))
		return false;
	if (found)
		return error_set(err, ERR_EXISTS, "mailbox %s already exists", op->to);
	if (strcmp(op->name, "Inbox") == 0)
		return rename_inbox(a, op, cl, err);
	if (is_descendant(op->to, op->name))
		return error_set(err, ERR_INVALID, "cannot rename %s to its own child %s", op->name,
				 op->to);
	int64_t *ids;
	const char **names;
	size_t n;
	if (!list_subtree(&a->wdb, op->name, &op->ar, &ids, &names, &n, err))
		return false;
	const char **newnames = arena_array(&op->ar, n, sizeof *newnames);
	for (size_t i = 0; i < n; i++) {
		newnames[i] = arena_sprintf(&op->ar, "%s%s", op->to, names[i] + strlen(op->name));
		if (strlen(newnames[i]) > STORE_MAILBOX_NAME_MAX)
			return error_set(err, ERR_INVALID, "renamed mailbox name too long");
		if (!name_taken(&a->wdb, newnames[i], &op->ar, &found, err))
			return false;
		if (found)
			return error_set(err, ERR_EXISTS, "mailbox %s already exists", newnames[i]);
	}
	uint64_t modseq;
	if (!acct_next_modseq(a, &modseq, err))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!rename_one(a, ids[i], names[i], newnames[i], modseq, &op->ar, cl, err))
			return false;
	/* RFC 9051 6.3.6: superior names of the new name are created when missing. */
	const char *slash = strrchr(op->to, '/');
	if (slash) {
		const char *parent = arena_strndup(&op->ar, op->to, (size_t)(slash - op->to));
		struct mbrow pmb;
		if (!mbrow_ensure(a, parent, true, 0, false, &op->ar, cl, &pmb, err))
			return false;
	}
	return true;
}

bool store_mailbox_rename(struct store_account *a, const char *from, const char *to,
			  struct store_subscriber *origin, struct error *err)
{
	struct mb_op op;
	op_init(&op);
	bool ok = op_name(&op, from, true, &op.name, err) && op_name(&op, to, false, &op.to, err) &&
		  store_write(a, origin, do_rename, &op, err);
	arena_free(&op.ar);
	return ok;
}

/*
 * RFC 9051 6.3.6: renaming INBOX moves its messages to a new mailbox with the
 * new name and leaves INBOX in place, empty; its children stay.
 */
static bool rename_inbox(struct store_account *a, struct mb_op *op, struct change_list *cl,
			 struct error *err)
{
	struct mbrow inbox, dst;
	bool found;
	if (!mbrow_by_name(&a->wdb, "Inbox", &op->ar, &inbox, &found, err))
		return false;
	if (!mbrow_ensure(a, op->to, true, 0, false, &op->ar, cl, &dst, err))
		return false;
	return store_move_all_internal(a, &inbox, &dst, &op->ar, cl, err);
}

/* --- delete --- */

static bool has_children(struct db *db, const char *name, bool *yes, struct error *err)
{
	sqlite3_stmt *st = db_stmt(db,
				   "SELECT 1 FROM mailboxes WHERE name >= ?1 || '/' AND "
				   "name < ?1 || '0' LIMIT 1",
				   err);
	if (!st)
		return false;
	db_bind_text(st, 1, name);
	int64_t v;
	return db_query_int(db, st, &v, yes, err);
}

/* Removes all message rows of the mailbox; their unreferenced files go on the change. */
static bool delete_messages(struct store_account *a, int64_t mailbox_id, struct store_change *c,
			    struct error *err)
{
	sqlite3_stmt *st = db_stmt(&a->wdb,
				   "SELECT file_id, count(*), sum(size) FROM messages WHERE "
				   "mailbox_id = ? GROUP BY file_id",
				   err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, mailbox_id);
	/* Collect first: files_unref writes while this statement would still be reading. */
	size_t cap = 64, n = 0;
	int64_t(*rows)[3] = arena_array(store_change_arena(c), cap, sizeof *rows);
	int rc;
	while ((rc = db_step(&a->wdb, st, err)) == 1) {
		if (n == cap) {
			int64_t(*bigger)[3] =
			    arena_array(store_change_arena(c), cap * 2, sizeof *rows);
			memcpy(bigger, rows, cap * sizeof *rows);
			rows = bigger;
			cap *= 2;
		}
		for (int k = 0; k < 3; k++)
			rows[n][k] = sqlite3_column_int64(st, k);
		n++;
	}
	if (rc < 0)
		return false;
	int64_t bytes = 0;
	for (size_t i = 0; i < n; i++) {
		bool unused;
		if (!files_unref(&a->wdb, rows[i][0], rows[i][1], &unused, err))
			return false;
		if (unused)
			changes_add_file(c, rows[i][0]);
		bytes += rows[i][2];
	}
	st = db_stmt(&a->wdb, "DELETE FROM messages WHERE mailbox_id = ?", err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, mailbox_id);
	if (!db_step_done(&a->wdb, st, err))
		return false;
	st = db_stmt(&a->wdb, "DELETE FROM expunged WHERE mailbox_id = ?", err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, mailbox_id);
	if (!db_step_done(&a->wdb, st, err))
		return false;
	st = db_stmt(&a->wdb, "DELETE FROM recent WHERE mailbox_id = ?", err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, mailbox_id);
	return db_step_done(&a->wdb, st, err) && acct_add_size(a, -bytes, err);
}

static bool do_delete(struct store_account *a, void *arg, struct change_list *cl, struct error *err)
{
	struct mb_op *op = arg;
	struct mbrow mb;
	if (!mbrow_get_by_name(&a->wdb, op->name, &op->ar, &mb, err))
		return false;
	bool children;
	if (!has_children(&a->wdb, op->name, &children, err))
		return false;
	/* RFC 9051 6.3.5: a server may refuse; mox does, tern too. */
	if (children)
		return error_set(err, ERR_EXISTS, "mailbox %s has children, delete them first",
				 op->name);
	uint64_t modseq;
	if (!acct_next_modseq(a, &modseq, err))
		return false;
	struct store_change *c = changes_add(cl, STORE_CHANGE_MAILBOX_REMOVE, modseq, mb.id);
	c->name = arena_strdup(store_change_arena(c), mb.name);
	if (!delete_messages(a, mb.id, c, err))
		return false;
	sqlite3_stmt *st = db_stmt(&a->wdb, "DELETE FROM mailboxes WHERE id = ?", err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, mb.id);
	return db_step_done(&a->wdb, st, err);
}

bool store_mailbox_delete(struct store_account *a, const char *name,
			  struct store_subscriber *origin, struct error *err)
{
	struct mb_op op;
	op_init(&op);
	bool ok = op_name(&op, name, true, &op.name, err);
	if (ok && strcmp(op.name, "Inbox") == 0)
		ok = error_set(err, ERR_INVALID, "Inbox cannot be deleted");
	if (ok)
		ok = store_write(a, origin, do_delete, &op, err);
	arena_free(&op.ar);
	return ok;
}

/* --- special use --- */

static bool set_use(struct store_account *a, struct mbrow *mb, uint32_t use, uint64_t modseq,
		    struct change_list *cl, struct error *err)
{
	mb->specialuse = use;
	mb->modseq = modseq;
	mb->highestmodseq = modseq;
	if (!mbrow_save(&a->wdb, mb, err))
		return false;
	struct store_change *c = changes_add(cl, STORE_CHANGE_MAILBOX_SPECIALUSE, modseq, mb->id);
	c->name = arena_strdup(store_change_arena(c), mb->name);
	c->specialuse = use;
	c->highestmodseq = modseq;
	return true;
}

static bool do_specialuse(struct store_account *a, void *arg, struct change_list *cl,
			  struct error *err)
{
	struct mb_op *op = arg;
	struct mbrow mb;
	if (!mbrow_get_by_name(&a->wdb, op->name, &op->ar, &mb, err))
		return false;
	uint64_t modseq;
	if (!acct_next_modseq(a, &modseq, err))
		return false;
	/* One mailbox per role, as mox keeps it: others lose the roles given here. */
	sqlite3_stmt *st =
	    db_stmt(&a->wdb,
		    "UPDATE mailboxes SET specialuse = specialuse & ~?1, modseq = ?2, "
		    "highestmodseq = ?2 WHERE id != ?3 AND (specialuse & ?1) != 0 "
		    "RETURNING id, name, specialuse",
		    err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, op->specialuse);
	sqlite3_bind_int64(st, 2, (int64_t)modseq);
	sqlite3_bind_int64(st, 3, mb.id);
	int rc;
	while ((rc = db_step(&a->wdb, st, err)) == 1) {
		struct store_change *c = changes_add(cl, STORE_CHANGE_MAILBOX_SPECIALUSE, modseq,
						     sqlite3_column_int64(st, 0));
		c->name = arena_strdup(store_change_arena(c), db_col_text(st, 1));
		c->specialuse = (uint32_t)sqlite3_column_int64(st, 2);
		c->highestmodseq = modseq;
	}
	if (rc < 0)
		return false;
	return set_use(a, &mb, op->specialuse, modseq, cl, err);
}

bool store_mailbox_set_specialuse(struct store_account *a, const char *name, uint32_t specialuse,
				  struct store_subscriber *origin, struct error *err)
{
	struct mb_op op;
	op_init(&op);
	op.specialuse = specialuse & STORE_SPECIALUSE_ALL;
	bool ok = op_name(&op, name, true, &op.name, err) &&
		  store_write(a, origin, do_specialuse, &op, err);
	arena_free(&op.ar);
	return ok;
}

/* --- subscriptions --- */

static bool do_subscription(struct store_account *a, void *arg, struct change_list *cl,
			    struct error *err)
{
	struct mb_op *op = arg;
	sqlite3_stmt *st;
	if (op->subscribe)
		st = db_stmt(&a->wdb,
			     "INSERT INTO subscriptions (name) VALUES (?) ON CONFLICT DO NOTHING "
			     "RETURNING 1",
			     err);
	else
		st = db_stmt(&a->wdb, "DELETE FROM subscriptions WHERE name = ? RETURNING 1", err);
	if (!st)
		return false;
	db_bind_text(st, 1, op->name);
	int64_t v;
	bool changed;
	if (!db_query_int(&a->wdb, st, &v, &changed, err))
		return false;
	if (!changed && !op->subscribe)
		return error_set(err, ERR_NOTFOUND, "not subscribed to %s", op->name);
	if (!changed)
		return true; /* already subscribed */
	uint64_t modseq;
	if (!acct_next_modseq(a, &modseq, err))
		return false;
	struct mbrow mb;
	bool found;
	if (!mbrow_by_name(&a->wdb, op->name, &op->ar, &mb, &found, err))
		return false;
	struct store_change *c =
	    changes_add(cl, STORE_CHANGE_SUBSCRIPTION, modseq, found ? mb.id : 0);
	c->name = arena_strdup(store_change_arena(c), op->name);
	c->subscribed = op->subscribe;
	return true;
}

static bool subscription(struct store_account *a, const char *name, bool subscribe,
			 struct store_subscriber *origin, struct error *err)
{
	struct mb_op op;
	op_init(&op);
	op.subscribe = subscribe;
	bool ok = op_name(&op, name, true, &op.name, err) &&
		  store_write(a, origin, do_subscription, &op, err);
	arena_free(&op.ar);
	return ok;
}

bool store_subscription_add(struct store_account *a, const char *name,
			    struct store_subscriber *origin, struct error *err)
{
	return subscription(a, name, true, origin, err);
}

bool store_subscription_remove(struct store_account *a, const char *name,
			       struct store_subscriber *origin, struct error *err)
{
	return subscription(a, name, false, origin, err);
}
