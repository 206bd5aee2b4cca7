/*
 * store/db: a thin layer over SQLite for the message store (internal).
 *
 * A struct db is one SQLite connection with a cache of prepared statements
 * keyed by the address of their SQL text (always a string literal), so hot
 * statements are compiled once per connection. A connection is used by one
 * thread at a time (SQLite "multi-thread" mode): the account's single writer
 * connection is guarded by the account's write lock, read connections come
 * from a db_pool and go back to it after each read transaction.
 *
 * Every connection runs in WAL mode with synchronous=FULL: a COMMIT returns
 * only after the WAL is fsynced, so a committed transaction survives power
 * loss (an account's writer instead syncs the WAL itself after commits, see
 * store/durable.c). Readers see the last committed state and never wait for the writer.
 * Errors carry SQLite's message and map SQLITE_BUSY/LOCKED to ERR_TEMPORARY,
 * SQLITE_FULL/IOERR to ERR_IO and corruption to ERR_INTERNAL.
 */
#ifndef TERN_STORE_DB_H
#define TERN_STORE_DB_H

#include "base/error.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Distinct cached statements per connection; the store uses fewer than this. */
#define DB_STMT_CACHE_MAX 128
/* How long a connection waits for a lock held by another connection. */
#define DB_BUSY_TIMEOUT_MS 10000

struct db_cached_stmt {
	const char *sql;
	sqlite3_stmt *stmt;
};

struct db {
	sqlite3 *h;
	struct db_cached_stmt cache[DB_STMT_CACHE_MAX];
	size_t ncache;
};

/* Opens path (created when create is set) and applies the connection settings. */
bool db_open(struct db *db, const char *path, bool create, bool readonly, struct error *err);
void db_close(struct db *db);

/* Returns the cached statement for sql (a string literal), reset and with bindings cleared. */
sqlite3_stmt *db_stmt(struct db *db, const char *sql, struct error *err);
/* Compiles a one-off statement (dynamic SQL); the caller finalizes it. */
sqlite3_stmt *db_stmt_temp(struct db *db, const char *sql, struct error *err);

/* Runs SQL without results (may hold several statements). */
bool db_exec(struct db *db, const char *sql, struct error *err);
/* Steps a statement expected to finish without rows, then resets it. */
bool db_step_done(struct db *db, sqlite3_stmt *st, struct error *err);
/*
 * Steps a statement: 1 for a row, 0 when done (statement reset), -1 on error
 * (err set, statement reset).
 */
int db_step(struct db *db, sqlite3_stmt *st, struct error *err);
/* Runs a statement that yields one integer (or none: *found false). */
bool db_query_int(struct db *db, sqlite3_stmt *st, int64_t *out, bool *found, struct error *err);

/* Sets err from the connection's last error with a prefix naming the operation. */
bool db_fail(struct db *db, struct error *err, const char *what);

bool db_begin_read(struct db *db, struct error *err);
bool db_begin_write(struct db *db, struct error *err);
bool db_commit(struct db *db, struct error *err);
/* Rolls back if a transaction is open; never fails the caller. */
void db_rollback(struct db *db);
bool db_savepoint(struct db *db, struct error *err);
bool db_savepoint_release(struct db *db, struct error *err);
void db_savepoint_rollback(struct db *db);

/* Binds text of known length (copied by SQLite) and NUL-terminated text. */
int db_bind_text(sqlite3_stmt *st, int idx, const char *s);
/* The column's text, "" for NULL. Valid until the next step/reset. */
const char *db_col_text(sqlite3_stmt *st, int col);

/*
 * A pool of read-only connections, at most max open at once; a caller that
 * finds none free waits until one is returned (bounded by
 * DB_BUSY_TIMEOUT_MS, then ERR_TEMPORARY).
 */
struct db_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *path;
	struct db **idle;
	size_t nidle;
	size_t nopen;
	size_t max;
};

void db_pool_init(struct db_pool *p, const char *path, size_t max);
void db_pool_destroy(struct db_pool *p);
struct db *db_pool_get(struct db_pool *p, struct error *err);
void db_pool_put(struct db_pool *p, struct db *db);

#endif
