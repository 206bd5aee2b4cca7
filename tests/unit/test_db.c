/*
 * Unit tests of the SQLite layer (db/db.h, db/pool.h): settings and file modes, schema
 * versions (creation, upgrade, a newer file refused), the error mapping, statements,
 * transactions and savepoints, backups and the reader pool.
 */
#include "db/db.h"
#include "db/pool.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];
static char path[128];

static void setup(void)
{
	strcpy(dir, "/tmp/tern-db-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/t.db", dir);
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(db, .init = setup, .fini = teardown, .timeout = 60);

static const char *const steps[] = {
    "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);",
    "ALTER TABLE t ADD COLUMN size INTEGER NOT NULL DEFAULT 0;",
};
static const struct db_schema v1 = {1, steps};
static const struct db_schema v2 = {2, steps};

static void open_rw(struct db *db, const struct db_schema *s)
{
	struct db_options o = {.role = DB_READ_WRITE, .create = true, .schema = s};
	struct error err = {0};
	cr_assert(db_open(db, path, &o, &err), "%s", err.msg);
}

static int64_t query(struct db *db, const char *sql)
{
	struct error err = {0};
	sqlite3_stmt *st = db_stmt_temp(db, sql, &err);
	cr_assert_not_null(st, "%s", err.msg);
	int64_t v = -1;
	cr_assert(db_query_int(db, st, &v, NULL, &err), "%s: %s", sql, err.msg);
	sqlite3_finalize(st);
	return v;
}

static bool insert(struct db *db, const char *name, struct error *err)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO t (name) VALUES (?)", err);
	if (!st)
		return false;
	db_bind_text(st, 1, name);
	return db_step_done(db, st, err);
}

Test(db, settings_and_mode)
{
	struct db db;
	open_rw(&db, &v1);
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, DB_FILE_MODE, "new files are the owner's only");
	struct error err = {0};
	sqlite3_stmt *jm = db_stmt_temp(&db, "PRAGMA journal_mode", &err);
	cr_assert_eq(db_step(&db, jm, &err), 1);
	cr_assert_str_eq(db_col_text(jm, 0), "wal");
	sqlite3_finalize(jm);
	cr_assert_eq(query(&db, "PRAGMA synchronous"), 2, "synchronous=FULL");
	cr_assert_eq(query(&db, "PRAGMA user_version"), 1);
	db_close(&db);

	char other[160];
	snprintf(other, sizeof other, "%s/group.db", dir);
	struct db_options o = {.role = DB_READ_WRITE, .create = true, .mode = 0660};
	mode_t old = umask(0);
	cr_assert(db_open(&db, other, &o, &err), "%s", err.msg);
	umask(old);
	cr_assert_eq(stat(other, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0660);
	db_close(&db);

	snprintf(other, sizeof other, "%s/missing.db", dir);
	struct db_options nocreate = {.role = DB_READ_WRITE};
	cr_assert_not(db_open(&db, other, &nocreate, &err));
	cr_assert_eq(err.kind, ERR_IO, "%s", err.msg);
	cr_assert(strstr(err.msg, other), "the message names the file: %s", err.msg);
}

Test(db, schema_upgrade_and_newer_file)
{
	struct db db;
	struct error err = {0};
	open_rw(&db, &v1);
	cr_assert(insert(&db, "a", &err), "%s", err.msg);
	db_close(&db);
	/* Opening again at the same version runs no step (creating t again would fail). */
	open_rw(&db, &v1);
	db_close(&db);
	open_rw(&db, &v2);
	cr_assert_eq(query(&db, "PRAGMA user_version"), 2);
	cr_assert_eq(query(&db, "SELECT size FROM t WHERE name = 'a'"), 0, "step 2 ran");
	db_close(&db);
	struct db_options o = {.role = DB_READ_WRITE, .schema = &v1};
	cr_assert_not(db_open(&db, path, &o, &err));
	cr_assert_eq(err.kind, ERR_INVALID);
	cr_assert(strstr(err.msg, "schema version 2, newer than this tern knows (1)"), "%s",
		  err.msg);
}

Test(db, failing_step_leaves_version)
{
	static const char *const bad[] = {"CREATE TABLE t (x);", "CREATE TABLE t (y);"};
	static const struct db_schema s = {2, bad};
	struct db db;
	struct db_options o = {.role = DB_READ_WRITE, .create = true, .schema = &s};
	struct error err = {0};
	cr_assert_not(db_open(&db, path, &o, &err));
	cr_assert(strstr(err.msg, "schema version 1 to 2"), "%s", err.msg);
	open_rw(&db, NULL);
	cr_assert_eq(query(&db, "PRAGMA user_version"), 0, "nothing of it committed");
	cr_assert_eq(query(&db, "SELECT count(*) FROM sqlite_master"), 0);
	db_close(&db);
}

Test(db, error_mapping)
{
	cr_assert_eq(db_error_kind(SQLITE_BUSY), ERR_TEMPORARY);
	cr_assert_eq(db_error_kind(SQLITE_LOCKED_SHAREDCACHE), ERR_TEMPORARY);
	cr_assert_eq(db_error_kind(SQLITE_FULL), ERR_IO);
	cr_assert_eq(db_error_kind(SQLITE_IOERR_FSYNC), ERR_IO);
	cr_assert_eq(db_error_kind(SQLITE_CORRUPT), ERR_INTERNAL);
	cr_assert_eq(db_error_kind(SQLITE_NOTADB), ERR_INTERNAL);
	cr_assert_eq(db_error_kind(SQLITE_CONSTRAINT_UNIQUE), ERR_EXISTS);

	struct db db;
	struct error err = {0};
	open_rw(&db, &v1);
	cr_assert(insert(&db, "a", &err));
	cr_assert_not(insert(&db, "a", &err));
	cr_assert_eq(err.kind, ERR_EXISTS);
	cr_assert(strstr(err.msg, "UNIQUE constraint failed"), "SQLite's message: %s", err.msg);

	/* A second connection finds the write lock taken: busy, a temporary error. */
	struct db other;
	open_rw(&other, &v1);
	sqlite3_busy_timeout(other.h, 0);
	cr_assert(db_begin_write(&db, &err));
	cr_assert_not(db_begin_write(&other, &err));
	cr_assert_eq(err.kind, ERR_TEMPORARY, "%s", err.msg);
	db_rollback(&db);
	db_close(&other);
	db_close(&db);

	/* A file that is not a database: corruption, an internal error. */
	char junk[160];
	snprintf(junk, sizeof junk, "%s/junk.db", dir);
	FILE *f = fopen(junk, "w");
	cr_assert_not_null(f);
	for (int i = 0; i < 200; i++)
		fputs("this is not an SQLite file. ", f);
	fclose(f);
	struct db_options o = {.role = DB_READ_WRITE};
	cr_assert_not(db_open(&db, junk, &o, &err));
	cr_assert_eq(err.kind, ERR_INTERNAL, "%s", err.msg);
	cr_assert(strstr(err.msg, "not a database"), "%s", err.msg);
}

Test(db, cached_statements_and_transactions)
{
	struct db db;
	struct error err = {0};
	open_rw(&db, &v1);
	static const char sql[] = "SELECT count(*) FROM t";
	sqlite3_stmt *a = db_stmt(&db, sql, &err);
	sqlite3_stmt *b = db_stmt(&db, sql, &err);
	cr_assert_eq(a, b, "one compiled statement per literal");

	cr_assert(db_begin_write(&db, &err));
	cr_assert(insert(&db, "kept", &err));
	cr_assert(db_end(&db, true, &err), "%s", err.msg);
	cr_assert(db_begin_write(&db, &err));
	cr_assert(insert(&db, "dropped", &err));
	cr_assert_not(db_end(&db, false, &err));
	cr_assert_eq(query(&db, "SELECT count(*) FROM t"), 1);
	cr_assert_eq(db_last_id(&db), 2, "the rolled-back insert was the last");

	cr_assert(db_begin_write(&db, &err));
	cr_assert(db_savepoint(&db, &err));
	cr_assert(insert(&db, "undone", &err));
	db_savepoint_rollback(&db);
	cr_assert(db_savepoint(&db, &err));
	cr_assert(insert(&db, "saved", &err));
	cr_assert(db_savepoint_release(&db, &err));
	cr_assert(db_commit(&db, &err));
	cr_assert_eq(query(&db, "SELECT count(*) FROM t"), 2);
	sqlite3_stmt *del = db_stmt(&db, "DELETE FROM t", &err);
	cr_assert(db_step_done(&db, del, &err));
	cr_assert_eq(db_changes(&db), 2);

	char small[3];
	cr_assert(insert(&db, "long name", &err));
	sqlite3_stmt *st = db_stmt(&db, "SELECT name FROM t", &err);
	cr_assert_eq(db_step(&db, st, &err), 1);
	cr_assert_not(db_col_copy(st, 0, small, sizeof small), "cut is reported");
	cr_assert_str_eq(small, "lo");
	sqlite3_reset(st);
	db_close(&db);
}

Test(db, readers)
{
	struct db db;
	struct error err = {0};
	open_rw(&db, &v1);
	cr_assert(insert(&db, "a", &err));
	struct db_pool pool;
	db_pool_init(&pool, path, 2);
	struct db *r1 = db_pool_get(&pool, &err);
	struct db *r2 = db_pool_get(&pool, &err);
	cr_assert(r1 && r2 && r1 != r2, "%s", err.msg);
	cr_assert(db_begin_read(r1, &err));
	cr_assert_eq(query(r1, "SELECT count(*) FROM t"), 1);
	cr_assert(insert(&db, "b", &err), "the writer goes on beside a reader: %s", err.msg);
	cr_assert_eq(query(r1, "SELECT count(*) FROM t"), 1, "the reader keeps its snapshot");
	cr_assert_eq(query(r2, "SELECT count(*) FROM t"), 2);
	cr_assert_not(insert(r2, "c", &err), "readers cannot write");
	db_pool_put(&pool, r1); /* ends the read transaction */
	struct db *again = db_pool_get(&pool, &err);
	cr_assert_eq(again, r1, "connections are reused");
	cr_assert_eq(query(again, "SELECT count(*) FROM t"), 2);
	db_pool_put(&pool, again);
	db_pool_put(&pool, r2);
	db_pool_destroy(&pool);
	db_close(&db);
}

Test(db, backup)
{
	struct db db;
	struct error err = {0};
	open_rw(&db, &v1);
	cr_assert(insert(&db, "a", &err));
	char copy[160];
	snprintf(copy, sizeof copy, "%s/copy.db", dir);
	cr_assert(db_backup(path, copy, &err), "%s", err.msg);
	cr_assert_not(db_backup(path, copy, &err));
	cr_assert_eq(err.kind, ERR_EXISTS);
	cr_assert(insert(&db, "b", &err));
	db_close(&db);
	struct db c;
	struct db_options o = {.role = DB_READ_ONLY};
	cr_assert(db_open(&c, copy, &o, &err), "%s", err.msg);
	cr_assert_eq(query(&c, "SELECT count(*) FROM t"), 1, "the state at the backup");
	cr_assert_eq(query(&c, "PRAGMA user_version"), 1);
	cr_assert_not(insert(&c, "x", &err), "read-only");
	db_close(&c);
	struct stat st;
	cr_assert_eq(stat(copy, &st), 0);
	cr_assert_eq(st.st_mode & 0777, DB_FILE_MODE, "the original's mode");
}
