/*
 * Transactions: the write path (one writer per account, changes published
 * after commit), read connections, and the account-wide counters.
 */
#include "store/internal.h"

bool store_write(struct store_account *a, struct store_subscriber *origin, store_write_fn fn,
		 void *arg, struct error *err)
{
	struct change_list cl;
	changes_init(&cl);
	cl.origin = origin;
	pthread_mutex_lock(&a->wmu);
	bool ok = db_begin_write(&a->wdb, err);
	if (ok)
		ok = fn(a, arg, &cl, err) && db_commit(&a->wdb, err);
	if (ok) {
		/* Under the write lock, so subscribers see changes in commit order. */
		changes_publish(a, &cl);
	} else {
		db_rollback(&a->wdb);
		changes_discard(&cl);
	}
	pthread_mutex_unlock(&a->wmu);
	return ok;
}

struct db *store_reader(struct store_account *a, struct error *err)
{
	return db_pool_get(&a->readers, err);
}

void store_reader_done(struct store_account *a, struct db *db)
{
	db_pool_put(&a->readers, db);
}

bool acct_next_modseq(struct store_account *a, uint64_t *modseq, struct error *err)
{
	sqlite3_stmt *st = db_stmt(
	    &a->wdb, "UPDATE account SET last_modseq = last_modseq + 1 RETURNING last_modseq", err);
	int64_t v;
	if (!st || !db_query_int(&a->wdb, st, &v, NULL, err))
		return false;
	*modseq = (uint64_t)v;
	return true;
}

bool acct_next_uidvalidity(struct store_account *a, uint32_t *uidvalidity, struct error *err)
{
	sqlite3_stmt *st = db_stmt(&a->wdb,
				   "UPDATE account SET next_uidvalidity = next_uidvalidity + 1 "
				   "RETURNING next_uidvalidity - 1",
				   err);
	int64_t v;
	if (!st || !db_query_int(&a->wdb, st, &v, NULL, err))
		return false;
	if (v <= 0 || v >= UINT32_MAX)
		return error_set(err, ERR_INTERNAL, "UIDVALIDITY counter exhausted");
	*uidvalidity = (uint32_t)v;
	return true;
}

bool acct_size(struct db *db, int64_t *size, struct error *err)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT size FROM account WHERE id = 1", err);
	return st && db_query_int(db, st, size, NULL, err);
}

bool acct_add_size(struct store_account *a, int64_t delta, struct error *err)
{
	if (delta == 0)
		return true;
	sqlite3_stmt *st = db_stmt(&a->wdb, "UPDATE account SET size = size + ? WHERE id = 1", err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, delta);
	return db_step_done(&a->wdb, st, err);
}

bool acct_quota_check(struct store_account *a, int64_t quota, int64_t add, struct error *err)
{
	if (quota <= 0 || add <= 0)
		return true;
	int64_t size;
	if (!acct_size(&a->wdb, &size, err))
		return false;
	if (size + add > quota)
		return error_set(err, ERR_LIMIT,
				 "account over quota: %lld bytes used, %lld more would exceed the "
				 "limit of %lld",
				 (long long)size, (long long)add, (long long)quota);
	return true;
}
