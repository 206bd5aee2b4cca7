/*
 * The \Recent mark of each mailbox (see recent.h): table recent
 * (mailbox_id, first_uid); no row means 1.
 */
#include "store/recent.h"

#include "store/internal.h"

static bool read_first(struct db *db, int64_t mailbox_id, uint32_t *first, struct error *err)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT first_uid FROM recent WHERE mailbox_id = ?", err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, mailbox_id);
	int64_t v = 1;
	bool found;
	if (!db_query_int(db, st, &v, &found, err))
		return false;
	*first = found && v > 0 && v <= UINT32_MAX ? (uint32_t)v : 1;
	return true;
}

/* A query on a pooled read connection in a read transaction. */
static bool with_reader(struct store_account *a,
			bool (*fn)(struct db *db, void *arg, struct error *err), void *arg,
			struct error *err)
{
	struct db *db = store_reader(a, err);
	if (!db)
		return false;
	bool ok = db_begin_read(db, err) && fn(db, arg, err);
	store_reader_done(a, db);
	return ok;
}

struct first_q {
	int64_t mailbox_id;
	uint32_t first;
	int64_t count;
};

static bool q_first(struct db *db, void *arg, struct error *err)
{
	struct first_q *q = arg;
	return read_first(db, q->mailbox_id, &q->first, err);
}

bool store_recent_first(struct store_account *a, int64_t mailbox_id, uint32_t *first,
			struct error *err)
{
	struct first_q q = {mailbox_id, 1, 0};
	if (!with_reader(a, q_first, &q, err))
		return false;
	*first = q.first;
	return true;
}

static bool q_count(struct db *db, void *arg, struct error *err)
{
	struct first_q *q = arg;
	if (!read_first(db, q->mailbox_id, &q->first, err))
		return false;
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT count(*) FROM messages WHERE mailbox_id = ? AND uid >= ?", err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, q->mailbox_id);
	sqlite3_bind_int64(st, 2, q->first);
	return db_query_int(db, st, &q->count, NULL, err);
}

bool store_recent_count(struct store_account *a, int64_t mailbox_id, int64_t *n, struct error *err)
{
	struct first_q q = {mailbox_id, 1, 0};
	if (!with_reader(a, q_count, &q, err))
		return false;
	*n = q.count;
	return true;
}

struct claim_op {
	int64_t mailbox_id;
	uint32_t upto;
	uint32_t first;
};

static bool do_claim(struct store_account *a, void *arg, struct change_list *cl, struct error *err)
{
	(void)cl;
	struct claim_op *op = arg;
	bool found;
	struct mbrow mb;
	struct arena ar;
	arena_init(&ar, 1024);
	bool ok = mbrow_by_id(&a->wdb, op->mailbox_id, &ar, &mb, &found, err);
	arena_free(&ar);
	if (!ok)
		return false;
	if (!found)
		return error_set(err, ERR_NOTFOUND, "no mailbox with id %lld",
				 (long long)op->mailbox_id);
	if (!read_first(&a->wdb, op->mailbox_id, &op->first, err))
		return false;
	if (op->first >= op->upto)
		return true;
	sqlite3_stmt *st = db_stmt(&a->wdb,
				   "INSERT INTO recent (mailbox_id, first_uid) VALUES (?1, ?2) "
				   "ON CONFLICT (mailbox_id) DO UPDATE SET first_uid = ?2",
				   err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, op->mailbox_id);
	sqlite3_bind_int64(st, 2, op->upto);
	return db_step_done(&a->wdb, st, err);
}

bool store_recent_claim(struct store_account *a, int64_t mailbox_id, uint32_t upto, uint32_t *first,
			struct error *err)
{
	/* Most calls find nothing to claim: a read decides without taking the write lock. */
	if (!store_recent_first(a, mailbox_id, first, err))
		return false;
	if (*first >= upto)
		return true;
	struct claim_op op = {mailbox_id, upto, 1};
	if (!store_write(a, NULL, do_claim, &op, err))
		return false;
	*first = op.first;
	return true;
}
