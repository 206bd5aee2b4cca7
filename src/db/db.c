/*
 * Statements, steps, transactions and the error mapping of the SQLite layer (see db.h).
 */
#include "db/db.h"

#include "base/str.h"

#include <string.h>

enum error_kind db_error_kind(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED: return ERR_TEMPORARY;
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_PERM: return ERR_IO;
	case SQLITE_CONSTRAINT: return ERR_EXISTS;
	default: return ERR_INTERNAL; /* SQLITE_CORRUPT, SQLITE_NOTADB, misuse: a bug or bad file */
	}
}

bool db_fail(struct db *db, struct error *err, const char *what)
{
	int rc = db->h ? sqlite3_extended_errcode(db->h) : SQLITE_ERROR;
	return error_set(err, db_error_kind(rc), "%s: %s", what,
			 db->h ? sqlite3_errmsg(db->h) : "no database");
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
	/* Keyed by address: each call site passes its own string literal. */
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
		error_set(err, db_error_kind(sqlite3_extended_errcode(db->h)), "%s",
			  msg ? msg : sqlite3_errstr(rc));
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

int64_t db_changes(struct db *db)
{
	return sqlite3_changes64(db->h);
}

int64_t db_last_id(struct db *db)
{
	return sqlite3_last_insert_rowid(db->h);
}

/* ---- transactions ---- */

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

bool db_end(struct db *db, bool ok, struct error *err)
{
	if (ok && db_commit(db, err))
		return true;
	db_rollback(db);
	return false;
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

/* ---- values ---- */

int db_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
	return sqlite3_bind_text(st, idx, s ? s : "", -1, SQLITE_TRANSIENT);
}

const char *db_col_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? (const char *)t : "";
}

bool db_col_copy(sqlite3_stmt *st, int col, char *dst, size_t cap)
{
	return str_copy(dst, cap, db_col_text(st, col));
}
