/*
 * Opening databases with tern's settings, schema versions, closing and
 * backups (see db.h).
 */
#include "db/db.h"

#include "base/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Connection settings. WAL lets readers run beside the writer. synchronous=FULL
 * makes every COMMIT fsync the WAL, which is what "acknowledged data survives
 * power loss" needs (the store's account writer switches to NORMAL and syncs
 * the WAL itself: store/durable.c). Pages are read through a shared mapping of
 * the database file (mmap_size; the WAL is still read with pread) rather than
 * copied out of the page cache by a system call per page.
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

static pthread_once_t library_once = PTHREAD_ONCE_INIT;

/*
 * Before the first connection (it must precede SQLite's initialisation): no
 * memory statistics, which put every allocation of every connection behind
 * one global mutex that IMAP sessions and deliveries then queue on; tern
 * does not read them.
 */
static void library_init(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* A missing file is created with the mode asked for, before SQLite writes into it. */
static bool create_file(const char *path, mode_t mode, struct error *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode ? mode : DB_FILE_MODE);
	if (fd < 0)
		return error_errno(err, errno, "create database %s", path);
	close(fd);
	return true;
}

static int open_flags(const struct db_options *o)
{
	/* NOMUTEX: each connection is used by one thread at a time (see db.h). */
	if (o->role == DB_READ_ONLY)
		return SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_READONLY;
	return SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_READWRITE;
}

static bool user_version(struct db *db, int *out, struct error *err)
{
	sqlite3_stmt *st = db_stmt_temp(db, "PRAGMA user_version", err);
	if (!st)
		return false;
	int64_t v = 0;
	bool ok = db_query_int(db, st, &v, NULL, err);
	sqlite3_finalize(st);
	*out = (int)v;
	return ok;
}

static bool newer(const struct db *db, int version, const struct db_schema *s, struct error *err)
{
	return error_set(err, ERR_INVALID,
			 "%s has schema version %d, newer than this tern knows (%d)", db->path,
			 version, s->version);
}

/* Runs the steps from version up to the schema's and records the new version. */
static bool upgrade(struct db *db, int version, const struct db_schema *s, struct error *err)
{
	for (int v = version; v < s->version; v++)
		if (!db_exec(db, s->steps[v], err))
			return error_prefix(err, "schema version %d to %d", v, v + 1);
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", s->version);
	return db_exec(db, sql, err);
}

/*
 * Brings the file's user_version to the schema's. Another process may be
 * doing the same at this moment: BEGIN IMMEDIATE takes the write lock
 * first, and the version is read again under it.
 */
static bool apply_schema(struct db *db, const struct db_schema *s, struct error *err)
{
	int version;
	if (!user_version(db, &version, err))
		return false;
	if (version > s->version)
		return newer(db, version, s, err);
	if (version == s->version)
		return true;
	if (!db_begin_write(db, err))
		return false;
	bool ok = user_version(db, &version, err);
	if (ok && version > s->version)
		ok = newer(db, version, s, err);
	else if (ok && version < s->version)
		ok = upgrade(db, version, s, err);
	return db_end(db, ok, err);
}

bool db_open(struct db *db, const char *path, const struct db_options *o, struct error *err)
{
	memset(db, 0, sizeof *db);
	pthread_once(&library_once, library_init);
	db->path = xstrdup(path);
	if (o->create && o->role == DB_READ_WRITE && !create_file(path, o->mode, err)) {
		db_close(db);
		return false;
	}
	int rc = sqlite3_open_v2(path, &db->h, open_flags(o), NULL);
	if (rc != SQLITE_OK) {
		error_set(err, db_error_kind(rc), "open database %s: %s", path,
			  db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
		db_close(db);
		return false;
	}
	sqlite3_extended_result_codes(db->h, 1);
	sqlite3_busy_timeout(db->h, DB_BUSY_TIMEOUT_MS);
	bool ok = true;
	if (o->role == DB_READ_WRITE)
		ok = db_exec(db, pragmas_write, err) &&
		     (!o->schema || apply_schema(db, o->schema, err));
	else if (o->role == DB_QUERY_ONLY)
		ok = db_exec(db, pragmas_read, err);
	if (!ok) {
		error_prefix(err, "database %s", path);
		db_close(db);
	}
	return ok;
}

void db_close(struct db *db)
{
	for (size_t i = 0; i < db->ncache; i++)
		sqlite3_finalize(db->cache[i].stmt);
	db->ncache = 0;
	if (db->h)
		sqlite3_close(db->h);
	db->h = NULL;
	free(db->path);
	db->path = NULL;
}

bool db_backup(const char *src, const char *dst, struct error *err)
{
	struct db in, out;
	struct db_options ro = {.role = DB_READ_ONLY};
	if (!db_open(&in, src, &ro, err))
		return false;
	/* A new file with the original's mode; the backup writes its pages and settings. */
	struct stat st;
	mode_t mode = stat(src, &st) == 0 ? st.st_mode & 0777 : DB_FILE_MODE;
	int fd = open(dst, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		db_close(&in);
		return errno == EEXIST
			   ? error_set(err, ERR_EXISTS, "%s exists, not overwriting", dst)
			   : error_errno(err, errno, "create %s", dst);
	}
	close(fd);
	struct db_options rw = {.role = DB_READ_WRITE};
	memset(&out, 0, sizeof out);
	int rc = sqlite3_open_v2(dst, &out.h, open_flags(&rw), NULL);
	bool ok = rc == SQLITE_OK || db_fail(&out, err, "create backup");
	sqlite3_backup *bk = ok ? sqlite3_backup_init(out.h, "main", in.h, "main") : NULL;
	if (ok && !bk)
		ok = db_fail(&out, err, "backup");
	if (bk) {
		rc = sqlite3_backup_step(bk, -1);
		sqlite3_backup_finish(bk);
		if (rc != SQLITE_DONE)
			ok = error_set(err, db_error_kind(rc), "backup %s: %s", src,
				       sqlite3_errstr(rc));
	}
	db_close(&in);
	if (out.h && sqlite3_close(out.h) != SQLITE_OK && ok)
		ok = error_set(err, ERR_IO, "close %s", dst);
	return ok;
}
