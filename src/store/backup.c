/*
 * Backup of the config and data directories (see backup.h).
 */
#include "store/backup.h"

#include "base/file.h"
#include "base/mem.h"
#include "base/str.h"
#include "store/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY_CHUNK (256 * 1024)

struct backup {
	const struct store_backup_options *o;
	struct buf *out;
	size_t warnings;
	bool failed;
	struct error first;
	size_t linked;
	size_t copied;
};

/* The message file ids an account's snapshot references, ascending. */
struct idlist {
	int64_t *v;
	size_t n;
	size_t cap;
};

static void note(struct backup *b, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void note(struct backup *b, const char *kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_printf(b->out, "%s: ", kind);
	buf_vprintf(b->out, fmt, ap);
	buf_putc(b->out, '\n');
	va_end(ap);
}

static void failure(struct backup *b, const struct error *e)
{
	if (!b->failed)
		b->first = *e;
	b->failed = true;
	note(b, "error", "%s", e->msg);
}

/* --- files --- */

static bool copy_fd(int in, int out, const char *src, const char *dst, struct error *err)
{
	char *chunk = xmalloc(COPY_CHUNK);
	bool ok = true;
	for (;;) {
		ssize_t n = read(in, chunk, COPY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ok = error_errno(err, errno, "read %s", src);
			break;
		}
		if (n == 0 || !(ok = fd_write_all(out, chunk, (size_t)n, err)))
			break;
	}
	free(chunk);
	if (ok && fsync(out) < 0)
		ok = error_errno(err, errno, "fsync %s", dst);
	return ok;
}

static bool ensure_parent(const char *path, struct error *err)
{
	char *dir = path_dirname(path);
	bool ok = mkdir_p(dir, 0750, err);
	free(dir);
	return ok;
}

static bool copy_file(const char *src, const char *dst, struct error *err)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return error_errno(err, errno, "open %s", src);
	struct stat st;
	if (fstat(in, &st) < 0 || !ensure_parent(dst, err)) {
		close(in);
		return error_errno(err, errno, "stat %s", src);
	}
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 0777);
	if (out < 0) {
		int e = errno;
		close(in);
		return e == EEXIST ? error_set(err, ERR_EXISTS, "%s exists, not overwriting", dst)
				   : error_errno(err, e, "create %s", dst);
	}
	bool ok = copy_fd(in, out, src, dst, err);
	close(in);
	if (close(out) < 0 && ok)
		ok = error_errno(err, errno, "close %s", dst);
	return ok;
}

/* Message files never change: a hard link is a copy that costs nothing. */
static bool link_or_copy(struct backup *b, const char *src, const char *dst, struct error *err)
{
	if (!ensure_parent(dst, err))
		return false;
	if (link(src, dst) == 0) {
		b->linked++;
		return true;
	}
	int e = errno;
	if (e == EEXIST)
		return error_set(err, ERR_EXISTS, "%s exists, not overwriting", dst);
	if (e == ENOENT)
		return error_errno(err, e, "link %s", src);
	/* EXDEV (another file system), EPERM (links not allowed), EMLINK: copy. */
	if (!copy_file(src, dst, err))
		return false;
	b->copied++;
	return true;
}

/* --- SQLite databases --- */

static bool db_snapshot(const char *src, const char *dst, struct error *err)
{
	return ensure_parent(dst, err) && db_backup(src, dst, err);
}

/* The file ids a snapshot (a copy nobody writes) references, ascending. */
static bool snapshot_ids(const char *dbpath, struct idlist *ids, struct error *err)
{
	struct db db;
	struct db_options o = {.role = DB_READ_ONLY};
	if (!db_open(&db, dbpath, &o, err))
		return false;
	sqlite3_stmt *st = db_stmt(&db, "SELECT id FROM files ORDER BY id", err);
	int rc = st ? 1 : -1;
	while (st && (rc = db_step(&db, st, err)) == 1) {
		if (ids->n == ids->cap) {
			ids->cap = ids->cap ? ids->cap * 2 : 1024;
			ids->v = xreallocarray(ids->v, ids->cap, sizeof *ids->v);
		}
		ids->v[ids->n++] = sqlite3_column_int64(st, 0);
	}
	db_close(&db);
	return rc == 0 || error_prefix(err, "reading %s", dbpath);
}

static bool has_id(const struct idlist *ids, int64_t id)
{
	size_t lo = 0, hi = ids->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ids->v[mid] == id)
			return true;
		if (ids->v[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* --- walking --- */

static char *join_rel(const char *rel, const char *name)
{
	return *rel ? path_join(rel, name) : xstrdup(name);
}

static bool str_ends(const char *s, const char *suffix)
{
	return str_has_suffix(str_from(s), suffix);
}

/* DB-wal, DB-shm, DB-journal beside an existing DB: part of its snapshot. */
static bool sqlite_side_file(const char *path)
{
	static const char *const sfx[] = {"-wal", "-shm", "-journal"};
	for (size_t i = 0; i < 3; i++) {
		if (!str_ends(path, sfx[i]))
			continue;
		char *db = xstrdup(path);
		db[strlen(db) - strlen(sfx[i])] = '\0';
		bool yes = str_ends(db, ".db") && file_exists(db);
		free(db);
		return yes;
	}
	return false;
}

struct walk_ctx {
	struct backup *b;
	const char *src_root;
	const char *dst_root;
	bool warn_unknown;
	const char *skip_real[2]; /* directories never entered (realpath): the destination, ... */
	const struct idlist *ids; /* an account's snapshot */
};

static bool skipped_dir(const struct walk_ctx *w, const char *full)
{
	char *real = realpath(full, NULL);
	bool skip = false;
	for (size_t i = 0; real && i < 2; i++)
		skip |= w->skip_real[i] && strcmp(real, w->skip_real[i]) == 0;
	free(real);
	return skip;
}

static void backup_other(struct walk_ctx *w, const char *rel)
{
	char *src = path_join(w->src_root, rel), *dst = path_join(w->dst_root, rel);
	struct error err;
	if (str_ends(rel, ".db")) {
		if (!db_snapshot(src, dst, &err))
			failure(w->b, &err);
		else if (w->b->o->verbose)
			note(w->b, "info", "database %s copied", rel);
	} else if (!sqlite_side_file(src)) {
		/* Messages held by data/queue/hold.db (FUTURERELEASE) are known files. */
		bool known = strncmp(rel, "queue/msg/", 10) == 0;
		if (w->warn_unknown && !known) {
			w->b->warnings++;
			note(w->b, "warning", "backing up unrecognized file %s", rel);
		}
		if (!copy_file(src, dst, &err))
			failure(w->b, &err);
	}
	free(src);
	free(dst);
}

/* Walks a directory, handing each entry to special first (true: handled). */
static void walk(struct walk_ctx *w, const char *rel, int depth,
		 bool (*special)(struct walk_ctx *, const char *, bool))
{
	char *dir = *rel ? path_join(w->src_root, rel) : xstrdup(w->src_root);
	DIR *dh = opendir(dir);
	if (!dh) {
		struct error err;
		error_errno(&err, errno, "open directory %s", dir);
		failure(w->b, &err);
		free(dir);
		return;
	}
	struct dirent *de;
	while ((de = readdir(dh)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char *r = join_rel(rel, de->d_name);
		char *full = path_join(dir, de->d_name);
		struct stat st;
		bool isdir = lstat(full, &st) == 0 && S_ISDIR(st.st_mode);
		bool isreg = !isdir && S_ISREG(st.st_mode);
		if (special && special(w, r, isdir)) {
			/* handled */
		} else if (isdir && skipped_dir(w, full)) {
			/* the backup itself, or the data directory inside the config directory */
		} else if (isdir && depth < STORE_BACKUP_DEPTH_MAX) {
			walk(w, r, depth + 1, special);
		} else if (isdir) {
			w->b->warnings++;
			note(w->b, "warning", "not descending into %s: deeper than %d", r,
			     STORE_BACKUP_DEPTH_MAX);
		} else if (isreg) {
			backup_other(w, r);
		}
		free(r);
		free(full);
	}
	closedir(dh);
	free(dir);
}

/* --- accounts --- */

static bool parse_id(const char *name, int64_t *id)
{
	return str_parse_i64(str_from(name), 1, INT64_MAX, id);
}

/* Entries of an account directory: the snapshot covers the index and the message files. */
static bool account_entry(struct walk_ctx *w, const char *rel, bool isdir)
{
	static const char *const skip[] = {"index.db", "index.db-wal", "index.db-shm", "index.lock",
					   "tmp"};
	for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
		if (strcmp(rel, skip[i]) == 0)
			return true;
	if (isdir || strncmp(rel, "msg/", 4) != 0)
		return false;
	const char *base = strrchr(rel, '/') + 1;
	int64_t id;
	bool numeric = parse_id(base, &id);
	if (numeric && has_id(w->ids, id))
		return true; /* linked already */
	if (numeric && (w->ids->n == 0 || id > w->ids->v[w->ids->n - 1]))
		return true; /* delivered after the snapshot */
	w->b->warnings++;
	note(w->b, "warning",
	     "backing up unrecognized file in message directory %s (should be moved away, see "
	     "verifydata -fix)",
	     rel);
	char *src = path_join(w->src_root, rel), *dst = path_join(w->dst_root, rel);
	struct error err;
	if (!copy_file(src, dst, &err))
		failure(w->b, &err);
	free(src);
	free(dst);
	return true;
}

static void link_messages(struct backup *b, const char *src, const char *dst,
			  const struct idlist *ids)
{
	for (size_t i = 0; i < ids->n; i++) {
		char rel[64];
		snprintf(rel, sizeof rel, "msg/%llx/%lld",
			 (unsigned long long)(ids->v[i] >> STORE_FILES_DIR_SHIFT),
			 (long long)ids->v[i]);
		char *s = path_join(src, rel), *d = path_join(dst, rel);
		struct error err;
		if (!link_or_copy(b, s, d, &err)) {
			if (err.kind == ERR_NOTFOUND)
				error_set(&err, ERR_NOTFOUND,
					  "message file %s was removed after the index snapshot "
					  "(expunged during the backup): backup incomplete, run it "
					  "again",
					  s);
			failure(b, &err);
		}
		free(s);
		free(d);
	}
}

static void backup_account(struct walk_ctx *top, const char *rel)
{
	struct backup *b = top->b;
	char *src = path_join(top->src_root, rel), *dst = path_join(top->dst_root, rel);
	char *sdb = path_join(src, "index.db"), *ddb = path_join(dst, "index.db");
	struct idlist ids = {0};
	struct error err;
	size_t linked = b->linked, copied = b->copied;
	if (!db_snapshot(sdb, ddb, &err) || !snapshot_ids(ddb, &ids, &err)) {
		failure(b, &err);
	} else {
		link_messages(b, src, dst, &ids);
		struct walk_ctx w = *top;
		w.src_root = src;
		w.dst_root = dst;
		w.ids = &ids;
		walk(&w, "", 0, account_entry);
		if (b->o->verbose)
			note(b, "info",
			     "account %s: index copied, %zu message files linked, %zu copied", rel,
			     b->linked - linked, b->copied - copied);
	}
	free(ids.v);
	free(sdb);
	free(ddb);
	free(src);
	free(dst);
}

/* Entries of the data directory. */
static bool data_entry(struct walk_ctx *w, const char *rel, bool isdir)
{
	if (strcmp(rel, "ctl") == 0 || strcmp(rel, "tern.pid") == 0 || strcmp(rel, "tmp") == 0)
		return true;
	if (!isdir || strncmp(rel, "accounts/", 9) != 0 || strchr(rel + 9, '/'))
		return false;
	char *full = path_join(w->src_root, rel);
	char *db = path_join(full, "index.db");
	bool account = file_exists(db);
	free(db);
	free(full);
	if (account)
		backup_account(w, rel);
	return account;
}

bool store_backup(const struct store_backup_options *o, struct buf *out, size_t *warnings,
		  struct error *err)
{
	struct backup b = {.o = o, .out = out};
	char *dconfig = path_join(o->dest, "config"), *ddata = path_join(o->dest, "data");
	bool ok = mkdir_p(o->dest, 0750, err);
	char *dest_real = ok ? realpath(o->dest, NULL) : NULL;
	char *data_real = realpath(o->data_dir, NULL);
	if (ok && !data_real)
		ok = error_errno(err, errno, "data directory %s", o->data_dir);
	if (ok) {
		struct walk_ctx w = {&b,    o->config_dir,          dconfig,
				     false, {dest_real, data_real}, NULL};
		walk(&w, "", 0, NULL);
		if (o->verbose)
			note(&b, "info", "config directory %s copied", o->config_dir);
		struct walk_ctx d = {&b, o->data_dir, ddata, true, {dest_real, NULL}, NULL};
		walk(&d, "", 0, data_entry);
		if (o->verbose)
			note(&b, "info",
			     "data directory done: %zu message files linked, %zu copied", b.linked,
			     b.copied);
	}
	free(dest_real);
	free(data_real);
	free(dconfig);
	free(ddata);
	if (warnings)
		*warnings = b.warnings;
	if (ok && b.failed) {
		if (err)
			*err = b.first;
		ok = error_prefix(err, "backup incomplete");
	}
	return ok;
}
