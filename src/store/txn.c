/*
 * Transactions: the write path (one writer per account, changes published
 * after commit), read connections, and the account-wide counters.
 */
#include "store/internal.h"

void store_write_enqueue(struct store_account *a, struct store_pending_write **w, size_t n)
{
	pthread_mutex_lock(&a->qmu);
	for (size_t i = 0; i < n; i++) {
		w[i]->next = NULL;
		if (a->qtail)
			a->qtail->next = w[i];
		else
			a->qhead = w[i];
		a->qtail = w[i];
	}
	pthread_mutex_unlock(&a->qmu);
}

static struct store_pending_write *take_batch(struct store_account *a)
{
	pthread_mutex_lock(&a->qmu);
	struct store_pending_write *head = a->qhead, *last = NULL, *w = head;
	for (int n = 0; w && n < STORE_COMMIT_BATCH_MAX; n++) {
		last = w;
		w = w->next;
	}
	if (last) {
		a->qhead = last->next;
		if (!a->qhead)
			a->qtail = NULL;
		last->next = NULL;
	}
	pthread_mutex_unlock(&a->qmu);
	return head;
}

static void fail_all(struct store_pending_write *batch, const struct error *err)
{
	for (struct store_pending_write *w = batch; w; w = w->next) {
		if (w->ok)
			w->err = *err;
		w->ok = false;
	}
}

/* With the write lock held: runs the queued writes (at most a batch) in one transaction. */
static void commit_batch(struct store_account *a)
{
	struct store_pending_write *batch = take_batch(a);
	if (!batch)
		return;
	struct change_list cl;
	changes_init(&cl);
	struct error err;
	bool ok = db_begin_write(&a->wdb, &err);
	for (struct store_pending_write *w = batch; ok && w; w = w->next) {
		struct change_box *mark = changes_mark(&cl);
		cl.origin = w->origin;
		w->ok = db_savepoint(&a->wdb, &w->err) && w->fn(a, w->arg, &cl, &w->err) &&
			db_savepoint_release(&a->wdb, &w->err);
		if (!w->ok) {
			db_savepoint_rollback(&a->wdb);
			changes_truncate(&cl, mark);
		}
	}
	if (ok)
		ok = db_commit(&a->wdb, &err);
	if (ok) {
		uint64_t seq = acct_committed_seq(a);
		for (struct store_pending_write *w = batch; w; w = w->next) {
			w->seq = seq;
			w->committed = w->ok;
		}
		/* Under the write lock, so subscribers see changes in commit order. */
		changes_publish(a, &cl);
	} else {
		db_rollback(&a->wdb);
		changes_discard(&cl);
		error_prefix(&err, "committing");
		fail_all(batch, &err);
	}
	for (struct store_pending_write *w = batch; w; w = w->next)
		w->done = true;
}

void store_write_wait(struct store_account *a, struct store_pending_write *w)
{
	pthread_mutex_lock(&a->wmu);
	while (!w->done)
		commit_batch(a);
	pthread_mutex_unlock(&a->wmu);
	/* Outside the write lock: the next batch runs while the WAL is synced. */
	if (w->ok && !acct_make_durable(a, w->seq, &w->err))
		w->ok = false;
}

bool store_write(struct store_account *a, struct store_subscriber *origin, store_write_fn fn,
		 void *arg, struct error *err)
{
	struct store_pending_write w = {.fn = fn, .arg = arg, .origin = origin};
	struct store_pending_write *one = &w;
	store_write_enqueue(a, &one, 1);
	store_write_wait(a, &w);
	if (!w.ok && err)
		*err = w.err;
	return w.ok;
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
