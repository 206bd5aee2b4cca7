/*
 * Message files: names, never-reused ids, durable writes and links,
 * temporary files, removal and the cleanup of leftovers.
 *
 * A message file is msg/D/ID where D is ID >> STORE_FILES_DIR_SHIFT in hex,
 * so no directory holds more than 4096 files. Ids come from the account row
 * in blocks (file_id_reserved): a block is committed before any id in it is
 * used, so after a crash ids continue above everything that may be on disk.
 */
#include "store/internal.h"

#include "base/file.h"
#include "base/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bytes copied at a time when a link across filesystems has to become a copy. */
#define COPY_CHUNK 65536

static int64_t dir_of(int64_t id)
{
	return id >> STORE_FILES_DIR_SHIFT;
}

static void path_into(char *out, size_t cap, const char *msgdir, int64_t id)
{
	snprintf(out, cap, "%s/%" PRIx64 "/%" PRId64, msgdir, (uint64_t)dir_of(id), id);
}

const char *files_path(const struct store_account *a, int64_t file_id, struct arena *ar)
{
	return arena_sprintf(ar, "%s/%" PRIx64 "/%" PRId64, a->msgdir, (uint64_t)dir_of(file_id),
			     file_id);
}

const char *store_message_path(struct store_account *a, int64_t file_id, struct arena *ar)
{
	return files_path(a, file_id, ar);
}

int store_message_open(struct store_account *a, int64_t file_id, struct error *err)
{
	char path[4096];
	path_into(path, sizeof path, a->msgdir, file_id);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		error_errno(err, errno, "open message file %s", path);
	return fd;
}

static bool reserve_block(struct store_account *a, struct error *err)
{
	pthread_mutex_lock(&a->wmu);
	bool ok = db_begin_write(&a->wdb, err);
	sqlite3_stmt *st = NULL;
	if (ok)
		st = db_stmt(&a->wdb,
			     "UPDATE account SET file_id_reserved = file_id_reserved + ? "
			     "RETURNING file_id_reserved",
			     err);
	int64_t limit = 0;
	uint64_t seq = 0;
	if (ok && st) {
		sqlite3_bind_int64(st, 1, STORE_FILE_ID_BLOCK);
		ok = db_query_int(&a->wdb, st, &limit, NULL, err) && db_commit(&a->wdb, err);
		if (ok)
			seq = acct_committed_seq(a);
	} else {
		ok = false;
	}
	if (!ok)
		db_rollback(&a->wdb);
	pthread_mutex_unlock(&a->wmu);
	/* Ids of a reservation lost at a crash would be handed out twice. */
	if (ok)
		ok = acct_make_durable(a, seq, err);
	if (ok) {
		a->next_file_id = limit - STORE_FILE_ID_BLOCK;
		a->file_id_limit = limit;
	}
	return ok;
}

bool files_new_id(struct store_account *a, int64_t *id, struct error *err)
{
	pthread_mutex_lock(&a->idmu);
	bool ok = a->next_file_id < a->file_id_limit || reserve_block(a, err);
	if (ok)
		*id = a->next_file_id++;
	pthread_mutex_unlock(&a->idmu);
	return ok;
}

bool files_ensure_dir(struct store_account *a, int64_t file_id, struct error *err)
{
	size_t d = (size_t)dir_of(file_id);
	pthread_mutex_lock(&a->idmu);
	if (d < a->ndurable_dirs && a->durable_dirs[d]) {
		pthread_mutex_unlock(&a->idmu);
		return true;
	}
	char path[4096];
	snprintf(path, sizeof path, "%s/%zx", a->msgdir, d);
	bool ok = true;
	if (mkdir(path, 0770) < 0 && errno != EEXIST)
		ok = error_errno(err, errno, "create directory %s", path);
	/* The new directory entry must be durable before files in it count as delivered. */
	if (ok)
		ok = fsync_dir(a->msgdir, err);
	if (ok) {
		if (d >= a->ndurable_dirs) {
			size_t n = d + 64;
			a->durable_dirs = xrealloc(a->durable_dirs, n);
			memset(a->durable_dirs + a->ndurable_dirs, 0, n - a->ndurable_dirs);
			a->ndurable_dirs = n;
		}
		a->durable_dirs[d] = 1;
	}
	pthread_mutex_unlock(&a->idmu);
	return ok;
}

static bool fsync_file_dir(struct store_account *a, int64_t id, struct error *err)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/%" PRIx64, a->msgdir, (uint64_t)dir_of(id));
	return fsync_dir(dir, err);
}

bool files_write(struct store_account *a, int64_t id, const void *data, size_t len,
		 struct error *err)
{
	if (!files_ensure_dir(a, id, err))
		return false;
	char path[4096];
	path_into(path, sizeof path, a->msgdir, id);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, STORE_FILE_MODE);
	if (fd < 0)
		return error_errno(err, errno, "create message file %s", path);
	bool ok = fd_write_all(fd, data, len, err);
	if (ok && fsync(fd) < 0)
		ok = error_errno(err, errno, "fsync %s", path);
	if (close(fd) < 0 && ok)
		ok = error_errno(err, errno, "close %s", path);
	if (ok)
		ok = fsync_file_dir(a, id, err);
	if (!ok)
		unlink(path);
	return ok;
}

static bool copy_fd_to(int src, const char *dst, struct error *err)
{
	int fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, STORE_FILE_MODE);
	if (fd < 0)
		return error_errno(err, errno, "create message file %s", dst);
	char *chunk = xmalloc(COPY_CHUNK);
	bool ok = true;
	off_t off = 0;
	for (;;) {
		ssize_t n = pread(src, chunk, COPY_CHUNK, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ok = error_errno(err, errno, "read temporary file");
			break;
		}
		if (n == 0)
			break;
		if (!(ok = fd_write_all(fd, chunk, (size_t)n, err)))
			break;
		off += n;
	}
	free(chunk);
	if (ok && fsync(fd) < 0)
		ok = error_errno(err, errno, "fsync %s", dst);
	close(fd);
	if (!ok)
		unlink(dst);
	return ok;
}

bool files_link(struct store_account *a, int64_t id, struct store_tmpfile *tf, struct error *err)
{
	if (!tf->synced) {
		if (fsync(tf->fd) < 0)
			return error_errno(err, errno, "fsync %s", tf->path);
		tf->synced = true;
	}
	if (!files_ensure_dir(a, id, err))
		return false;
	char path[4096];
	path_into(path, sizeof path, a->msgdir, id);
	if (link(tf->path, path) < 0) {
		/* Another filesystem (a data directory spread over mounts): copy instead. */
		if (errno != EXDEV)
			return error_errno(err, errno, "link %s to %s", tf->path, path);
		if (!copy_fd_to(tf->fd, path, err))
			return false;
	}
	if (!fsync_file_dir(a, id, err)) {
		unlink(path);
		return false;
	}
	return true;
}

void files_remove(const char *msgdir, int64_t id)
{
	char path[4096];
	path_into(path, sizeof path, msgdir, id);
	if (unlink(path) < 0 && errno != ENOENT) {
		struct logger lg = {store_log_pkg(), 0};
		log_error(&lg, "removing message file", LS("path", path),
			  LS("err", strerror(errno)));
	}
}

bool files_unref(struct db *db, int64_t file_id, int64_t count, bool *unused, struct error *err)
{
	sqlite3_stmt *st =
	    db_stmt(db, "UPDATE files SET refs = refs - ? WHERE id = ? RETURNING refs", err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, count);
	sqlite3_bind_int64(st, 2, file_id);
	int64_t refs;
	bool found;
	if (!db_query_int(db, st, &refs, &found, err))
		return false;
	if (!found)
		return error_set(err, ERR_INTERNAL, "message file %lld not in index",
				 (long long)file_id);
	*unused = refs <= 0;
	if (!*unused)
		return true;
	st = db_stmt(db, "DELETE FROM files WHERE id = ?", err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, file_id);
	return db_step_done(db, st, err);
}

bool store_tmpfile_create(struct store_account *a, struct store_tmpfile *tf, struct error *err)
{
	tf->fd = -1;
	tf->synced = false;
	tf->path = xasprintf("%s/XXXXXX", a->tmpdir);
	tf->fd = mkostemp(tf->path, O_CLOEXEC);
	if (tf->fd < 0) {
		error_errno(err, errno, "create temporary file in %s", a->tmpdir);
		xfree(&tf->path);
		return false;
	}
	if (fchmod(tf->fd, STORE_FILE_MODE) < 0) {
		error_errno(err, errno, "chmod %s", tf->path);
		store_tmpfile_discard(tf);
		return false;
	}
	return true;
}

void store_tmpfile_discard(struct store_tmpfile *tf)
{
	if (tf->fd >= 0)
		close(tf->fd);
	tf->fd = -1;
	if (tf->path)
		unlink(tf->path);
	xfree(&tf->path);
}

/* Parses a decimal file name; false for anything else. */
static bool parse_id(const char *name, int64_t *id)
{
	if (!*name || *name == '0')
		return false;
	int64_t v = 0;
	for (const char *p = name; *p; p++) {
		if (*p < '0' || *p > '9' || v > (INT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (*p - '0');
	}
	*id = v;
	return true;
}

static bool remove_tmp(struct store_account *a, struct error *err)
{
	DIR *d = opendir(a->tmpdir);
	if (!d)
		return error_errno(err, errno, "open %s", a->tmpdir);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *p = path_join(a->tmpdir, e->d_name);
		if (unlink(p) == 0)
			log_info(&a->log, "removed leftover temporary file", LS("path", p));
		free(p);
	}
	closedir(d);
	return true;
}

static bool file_known(struct store_account *a, int64_t id, bool *known, struct error *err)
{
	sqlite3_stmt *st = db_stmt(&a->wdb, "SELECT 1 FROM files WHERE id = ?", err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, id);
	int64_t v;
	return db_query_int(&a->wdb, st, &v, known, err);
}

static bool clean_subdir(struct store_account *a, const char *sub, struct error *err)
{
	char *dirpath = path_join(a->msgdir, sub);
	DIR *d = opendir(dirpath);
	if (!d) {
		bool ok = errno == ENOTDIR || error_errno(err, errno, "open %s", dirpath);
		free(dirpath);
		return ok;
	}
	bool ok = true;
	struct dirent *e;
	while (ok && (e = readdir(d))) {
		int64_t id;
		bool known = true;
		if (!parse_id(e->d_name, &id))
			continue; /* not ours: verifydata reports it */
		ok = file_known(a, id, &known, err);
		if (ok && !known) {
			char *p = path_join(dirpath, e->d_name);
			if (unlink(p) == 0)
				log_info(&a->log, "removed message file not in index",
					 LS("path", p));
			free(p);
		}
	}
	closedir(d);
	free(dirpath);
	return ok;
}

bool files_cleanup(struct store_account *a, struct error *err)
{
	if (!remove_tmp(a, err))
		return false;
	DIR *d = opendir(a->msgdir);
	if (!d)
		return error_errno(err, errno, "open %s", a->msgdir);
	bool ok = true;
	struct dirent *e;
	while (ok && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		ok = clean_subdir(a, e->d_name, err);
	}
	closedir(d);
	return ok;
}
