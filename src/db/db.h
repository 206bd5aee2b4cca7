/*
 * db: tern's one SQLite layer, beneath every module that keeps a database:
 * the message store (DATADIR/accounts/NAME/index.db), authentication
 * (DATADIR/auth.db) and the queue (DATADIR/queue/).
 *
 * Why a layer of its own (src/db, above src/base, below everything that
 * stores): the settings that make a database safe and fast (WAL, the
 * synchronous mode, busy waiting, file modes, schema versions), the
 * statement cache and the mapping of SQLite's errors to tern's are decided
 * once here, and the modules above hold only their SQL and their rules.
 *
 * The storage seam: outside src/db, src/store, src/auth and src/queue no code
 * sees SQL or SQLite; the rest of tern uses those modules' interfaces
 * (store/store.h, auth/authdb.h, queue/...), which is the interface a
 * PostgreSQL back end for multi-node setups would implement anew with its
 * own dialect. Within them, everything engine-specific beyond binding and
 * reading columns (opening, settings, versions, transactions, errors,
 * backups, reader pools) goes through this header.
 *
 * Opening (db_open): WAL, so readers never wait for the writer and see the
 * last committed state; synchronous=FULL, so a COMMIT returns only after the
 * WAL is fsynced (the store's account writer switches to NORMAL and fsyncs
 * the WAL itself, once for many commits: store/durable.c); a busy database
 * is waited for up to DB_BUSY_TIMEOUT_MS; a new file gets the caller's mode
 * (DB_FILE_MODE, owner only, unless asked otherwise) before anything is
 * written into it. With a struct db_schema, the file's PRAGMA user_version
 * is brought to the schema's version by its steps in one transaction, and a
 * file from a newer tern is refused rather than misread.
 *
 * Errors carry SQLite's message and one mapping of its codes:
 * SQLITE_BUSY/LOCKED -> ERR_TEMPORARY (try again), FULL/IOERR/CANTOPEN/
 * READONLY/PERM -> ERR_IO, CONSTRAINT -> ERR_EXISTS, corruption and anything
 * else -> ERR_INTERNAL.
 *
 * A struct db is one connection, used by one thread at a time (SQLite's
 * multi-thread mode): the caller serializes, with its own lock or by
 * borrowing connections from a pool (db/pool.h).
 */
#ifndef TERN_DB_DB_H
#define TERN_DB_DB_H

#include "base/error.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Distinct cached statements per connection; the store uses fewer than this. */
#define DB_STMT_CACHE_MAX 128
/* How long a connection waits for a lock held by another connection. */
#define DB_BUSY_TIMEOUT_MS 10000
/* Mode of a new database file unless the caller asks for another. */
#define DB_FILE_MODE 0600

struct db_cached_stmt {
	const char *sql;
	sqlite3_stmt *stmt;
};

struct db {
	sqlite3 *h;
	char *path;
	struct db_cached_stmt cache[DB_STMT_CACHE_MAX];
	size_t ncache;
};

enum db_role {
	DB_READ_WRITE, /* a writer (and reader) */
	/* A reader of a live WAL database: opened read-write and made read-only with
	 * query_only, as a SQLITE_OPEN_READONLY connection cannot always use the WAL index. */
	DB_QUERY_ONLY,
	DB_READ_ONLY, /* a file nobody writes (a backup's copy): SQLITE_OPEN_READONLY */
};

/* The schema: steps[v] takes a file from user_version v to v + 1 (steps[0] creates it). */
struct db_schema {
	int version; /* the user_version this code reads and writes, >= 1 */
	const char *const *steps;
};

struct db_options {
	enum db_role role;
	bool create;                    /* create a missing file (DB_READ_WRITE only) */
	mode_t mode;                    /* of a created file; 0: DB_FILE_MODE */
	const struct db_schema *schema; /* brought up to date at open; NULL: none */
};

bool db_open(struct db *db, const char *path, const struct db_options *o, struct error *err);
void db_close(struct db *db);

/* The error kind for an SQLite result code (see above). */
enum error_kind db_error_kind(int rc);
/* Sets err from the connection's last error, "what: SQLite's message"; returns false. */
bool db_fail(struct db *db, struct error *err, const char *what);

/* Returns the cached statement for sql (a string literal), reset and with bindings cleared. */
sqlite3_stmt *db_stmt(struct db *db, const char *sql, struct error *err);
/* Compiles a one-off statement (dynamic SQL); the caller finalizes it. */
sqlite3_stmt *db_stmt_temp(struct db *db, const char *sql, struct error *err);

/* Runs SQL without results (may hold several statements). */
bool db_exec(struct db *db, const char *sql, struct error *err);
/*
 * Steps a statement: 1 for a row, 0 when done (statement reset), -1 on error
 * (err set, statement reset).
 */
int db_step(struct db *db, sqlite3_stmt *st, struct error *err);
/* Steps a statement expected to finish without rows, then resets it. */
bool db_step_done(struct db *db, sqlite3_stmt *st, struct error *err);
/* Runs a statement that yields one integer (or none: *found false; found NULL: an error). */
bool db_query_int(struct db *db, sqlite3_stmt *st, int64_t *out, bool *found, struct error *err);
/* Rows changed by the last statement, and the rowid of the last insert. */
int64_t db_changes(struct db *db);
int64_t db_last_id(struct db *db);

bool db_begin_read(struct db *db, struct error *err);
/* BEGIN IMMEDIATE: takes the write lock now, so the transaction cannot fail on it later. */
bool db_begin_write(struct db *db, struct error *err);
bool db_commit(struct db *db, struct error *err);
/* Rolls back if a transaction is open; never fails the caller. */
void db_rollback(struct db *db);
/* Ends a transaction: commits when ok, else rolls back; returns whether it committed. */
bool db_end(struct db *db, bool ok, struct error *err);
/* A savepoint inside a transaction, released or rolled back to (and released). */
bool db_savepoint(struct db *db, struct error *err);
bool db_savepoint_release(struct db *db, struct error *err);
void db_savepoint_rollback(struct db *db);

/* Binds NUL-terminated text (copied by SQLite; NULL binds ""). */
int db_bind_text(sqlite3_stmt *st, int idx, const char *s);
/* The column's text, "" for NULL. Valid until the next step/reset. */
const char *db_col_text(sqlite3_stmt *st, int col);
/* Copies a text column into dst of size cap (NUL-terminated); false when cut. */
bool db_col_copy(sqlite3_stmt *st, int col, char *dst, size_t cap);

/*
 * Copies the database at src into a new file dst (which must not exist) with
 * SQLite's online backup, in one read transaction: one committed state even
 * while writers go on.
 */
bool db_backup(const char *src, const char *dst, struct error *err);

#endif
