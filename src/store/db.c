#include "store/db.h"

#include "base/mem.h"
#include "base/timeutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static enum error_kind kind_of(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED: return ERR_TEMPORARY;
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY: return ERR_IO;
	case SQLITE_CONSTRAINT: return ERR_EXISTS;
	default: return ERR_INTERNAL;
	}
}

bool db_fail(struct db *db, struct error *err, const char *what)
{
	int rc = db->h ? sqlite3_extended_errcode(db->h) : SQLITE_ERROR;
	return error_set(err, kind_of(rc), "%s: %s", what,
			 db->h ? sqlite3_errmsg(db->h) : "no database");
}

/*
 * Connection settings. WAL lets readers run beside the writer. synchronous=FULL
 * makes every COMMIT fsync the WAL, which is what "acknowledged data survives
 * power loss" needs. An account's writer switches to NORMAL after opening and
 * fsyncs the WAL itself, once for all commits waiting, outside its write lock
 * (store/durable.c). Pages are read through a shared mapping of the database
 * file (mmap_size; the WAL is still read with pread) rather than copied out of
 * the page cache by a system call per page.
 */
static const char *const pragmas_write = "PRAGMA journal_mode=WAL;"
					 "PRAGMA synchronous=FULL;"
					 "PRAGMA foreign_keys=OFF;"
					 "PRAGMA temp_store=MEMORY;"
					 "PRAGMA cache_size=-8000;"
					 "PRAGMA mmap_size=268435456;";
static const char *const pragmas_read = "PRAGMA synchronous=FULL;"
					"PRAGMA query_only=1;"
					"PRAGMA temp_store=MEMORY;"
					"PRAGMA cache_size=-8000;"
					"PRAGMA mmap_size=268435456;";

bool db_open(struct db *db, const char *path, bool create, bool readonly, struct error *err)
{
	memset(db, 0, sizeof *db);
	/*
	 * NOMUTEX: each connection is used by one thread at a time (see db.h).
	 * Readers open read-write too and are made read-only with query_only:
	 * a SQLITE_OPEN_READONLY connection cannot always use the WAL index.
	 */
	int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_READWRITE;
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	int rc = sqlite3_open_v2(path, &db->h, flags, NULL);
	if (rc != SQLITE_OK) {
		error_set(err, kind_of(rc), "open database %s: %s", path,
			  db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
		sqlite3_close(db->h);
		db->h = NULL;
		return false;
	}
	sqlite3_extended_result_codes(db->h, 1);
	sqlite3_busy_timeout(db->h, DB_BUSY_TIMEOUT_MS);
	if (!db_exec(db, readonly ? pragmas_read : pragmas_write, err)) {
		error_prefix(err, "database %s", path);
		db_close(db);
		return false;
	}
	return true;
}

void db_close(struct db *db)
{
	for (size_t i = 0; i < db->ncache; i++)
		sqlite3_finalize(db->cache[i].stmt);
	db->ncache = 0;
	if (db->h)
		sqlite3_close(db->h);
	db->h = NULL;
}

sqlite3_stmt *db_stmt_temp(struct db *db, const char *sql, struct error *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v3(db->h, sql, -1, 0, &st, NULL) != SQLITE_OK) {
		db_fail(db, err, "prepare");
		return NULL;
	}
	return st;
}

sqlite3_stmt *db_stmt(struct db *db, const char *sql, struct error *err)
{
	for (size_t i = 0; i < db->ncache; i++) {
		if (db->cache[i].sql == sql) {
			sqlite3_stmt *st = db->cache[i].stmt;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	}
	if (db->ncache == DB_STMT_CACHE_MAX) {
		error_set(err, ERR_INTERNAL, "statement cache full");
		return NULL;
	}
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		db_fail(db, err, "prepare");
		return NULL;
	}
	db->cache[db->ncache++] = (struct db_cached_stmt){sql, st};
	return st;
}

bool db_exec(struct db *db, const char *sql, struct error *err)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db->h, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		error_set(err, kind_of(rc), "%s", msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return false;
	}
	return true;
}

int db_step(struct db *db, sqlite3_stmt *st, struct error *err)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 0;
	}
	db_fail(db, err, "query");
	sqlite3_reset(st);
	return -1;
}

bool db_step_done(struct db *db, sqlite3_stmt *st, struct error *err)
{
	int rc = db_step(db, st, err);
	if (rc == 1) {
		sqlite3_reset(st);
		return true;
	}
	return rc == 0;
}

bool db_query_int(struct db *db, sqlite3_stmt *st, int64_t *out, bool *found, struct error *err)
{
	int rc = db_step(db, st, err);
	if (rc < 0)
		return false;
	if (found)
		*found = rc == 1;
	if (rc == 1) {
		*out = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	} else if (!found) {
		return error_set(err, ERR_INTERNAL, "query returned no row");
	}
	return true;
}

static bool exec_cached(struct db *db, const char *sql, struct error *err)
{
	sqlite3_stmt *st = db_stmt(db, sql, err);
	return st && db_step_done(db, st, err);
}

bool db_begin_read(struct db *db, struct error *err)
{
	return exec_cached(db, "BEGIN DEFERRED", err);
}

bool db_begin_write(struct db *db, struct error *err)
{
	return exec_cached(db, "BEGIN IMMEDIATE", err);
}

bool db_commit(struct db *db, struct error *err)
{
	return exec_cached(db, "COMMIT", err);
}

void db_rollback(struct db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		exec_cached(db, "ROLLBACK", NULL);
}

bool db_savepoint(struct db *db, struct error *err)
{
	return exec_cached(db, "SAVEPOINT op", err);
}

bool db_savepoint_release(struct db *db, struct error *err)
{
	return exec_cached(db, "RELEASE op", err);
}

void db_savepoint_rollback(struct db *db)
{
	exec_cached(db, "ROLLBACK TO op", NULL);
	exec_cached(db, "RELEASE op", NULL);
}

int db_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
	return sqlite3_bind_text(st, idx, s ? s : "", -1, SQLITE_TRANSIENT);
}

const char *db_col_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? (const char *)t : "";
}

void db_pool_init(struct db_pool *p, const char *path, size_t max)
{
	memset(p, 0, sizeof *p);
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);
	p->path = xstrdup(path);
	p->max = max;
	p->idle = xcalloc(max, sizeof *p->idle);
}

void db_pool_destroy(struct db_pool *p)
{
	for (size_t i = 0; i < p->nidle; i++) {
		db_close(p->idle[i]);
		free(p->idle[i]);
	}
	free(p->idle);
	free(p->path);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
}

struct db *db_pool_get(struct db_pool *p, struct error *err)
{
	struct timespec deadline = timespec_after_ms(CLOCK_MONOTONIC, DB_BUSY_TIMEOUT_MS);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		if (p->nidle > 0) {
			struct db *db = p->idle[--p->nidle];
			pthread_mutex_unlock(&p->mu);
			return db;
		}
		if (p->nopen < p->max)
			break;
		if (pthread_cond_timedwait(&p->cv, &p->mu, &deadline) == ETIMEDOUT) {
			pthread_mutex_unlock(&p->mu);
			error_set(err, ERR_TEMPORARY, "all %zu database readers busy", p->max);
			return NULL;
		}
	}
	p->nopen++;
	pthread_mutex_unlock(&p->mu);
	struct db *db = xcalloc(1, sizeof *db);
	if (!db_open(db, p->path, false, true, err)) {
		free(db);
		pthread_mutex_lock(&p->mu);
		p->nopen--;
		pthread_cond_signal(&p->cv);
		pthread_mutex_unlock(&p->mu);
		return NULL;
	}
	return db;
}

void db_pool_put(struct db_pool *p, struct db *db)
{
	db_rollback(db);
	pthread_mutex_lock(&p->mu);
	p->idle[p->nidle++] = db;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}
