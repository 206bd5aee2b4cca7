/*
 * tern verifydata: every account of a data directory checked, leftovers
 * found (and with -fix moved away).
 */
#include "store/verify.h"

#include "base/file.h"
#include "base/mem.h"
#include "store/internal.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct verifier {
	const char *data_dir;
	const struct store_verify_options *o;
	struct buf *out;
	size_t problems;
	const char *account;
	int64_t *ids; /* file ids in the index, ascending */
	size_t nids;
};

static void report(struct verifier *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void report(struct verifier *v, const char *fmt, ...)
{
	v->problems++;
	buf_printf(v->out, "account %s: ", v->account);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(v->out, fmt, ap);
	va_end(ap);
	buf_putc(v->out, '\n');
}

static bool quick_check(struct store_account *a, struct verifier *v, struct error *err)
{
	struct db *db = store_reader(a, err);
	if (!db)
		return false;
	sqlite3_stmt *st = db_stmt_temp(db, "PRAGMA quick_check", err);
	bool ok = st != NULL;
	int rc;
	while (ok && (rc = db_step(db, st, err)) == 1) {
		const char *line = db_col_text(st, 0);
		if (strcmp(line, "ok") != 0)
			report(v, "index: %s", line);
	}
	if (ok && rc < 0)
		ok = false;
	sqlite3_finalize(st);
	store_reader_done(a, db);
	return ok;
}

static bool load_ids(struct store_account *a, struct verifier *v, struct error *err)
{
	struct db *db = store_reader(a, err);
	if (!db)
		return false;
	sqlite3_stmt *st = db_stmt(db, "SELECT id FROM files ORDER BY id", err);
	size_t cap = 0;
	int rc = st ? 0 : -1;
	while (st && (rc = db_step(db, st, err)) == 1) {
		if (v->nids == cap) {
			cap = cap ? cap * 2 : 1024;
			v->ids = xreallocarray(v->ids, cap, sizeof *v->ids);
		}
		v->ids[v->nids++] = sqlite3_column_int64(st, 0);
	}
	store_reader_done(a, db);
	return rc == 0;
}

static bool known_id(const struct verifier *v, int64_t id)
{
	size_t lo = 0, hi = v->nids;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->ids[mid] == id)
			return true;
		if (v->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static bool parse_id(const char *name, int64_t *id)
{
	char *end;
	if (!*name || *name == '0' || *name < '0' || *name > '9')
		return false;
	errno = 0;
	long long x = strtoll(name, &end, 10);
	if (errno || *end || x <= 0)
		return false;
	*id = x;
	return true;
}

/* Moves DIR/accounts/NAME/REL to DIR/moved/accounts/NAME/REL. */
static void move_away(struct verifier *v, const char *rel, const char *path)
{
	char *dst = xasprintf("%s/moved/accounts/%s/%s", v->data_dir, v->account, rel);
	char *dstdir = path_dirname(dst);
	struct error err;
	if (!mkdir_p(dstdir, 0770, &err))
		buf_printf(v->out, "account %s: cannot move %s: %s\n", v->account, path, err.msg);
	else if (rename(path, dst) < 0)
		buf_printf(v->out, "account %s: cannot move %s: %s\n", v->account, path,
			   strerror(errno));
	else
		buf_printf(v->out, "account %s: moved %s to %s\n", v->account, path, dst);
	free(dstdir);
	free(dst);
}

static void check_file(struct verifier *v, struct store_account *a, const char *sub,
		       const char *name)
{
	char *rel = xasprintf("msg/%s/%s", sub, name);
	char *path = path_join(a->dir, rel);
	int64_t id;
	char want[32];
	if (!parse_id(name, &id)) {
		report(v, "unrecognized file %s", path);
	} else if (snprintf(want, sizeof want, "%" PRIx64, (uint64_t)id >> STORE_FILES_DIR_SHIFT),
		   strcmp(want, sub) != 0) {
		report(v, "message file %s in the wrong directory", path);
	} else if (!known_id(v, id)) {
		report(v, "message file %s not in the index", path);
		if (v->o->fix)
			move_away(v, rel, path);
	}
	free(path);
	free(rel);
}

static bool scan_msgdir(struct verifier *v, struct store_account *a, struct error *err)
{
	DIR *d = opendir(a->msgdir);
	if (!d)
		return error_errno(err, errno, "open %s", a->msgdir);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char *sub = path_join(a->msgdir, e->d_name);
		DIR *sd = opendir(sub);
		if (!sd) {
			report(v, "unrecognized file %s", sub);
		} else {
			struct dirent *f;
			while ((f = readdir(sd)))
				if (strcmp(f->d_name, ".") != 0 && strcmp(f->d_name, "..") != 0)
					check_file(v, a, e->d_name, f->d_name);
			closedir(sd);
		}
		free(sub);
	}
	closedir(d);
	return true;
}

static void scan_tmpdir(struct verifier *v, struct store_account *a)
{
	DIR *d = opendir(a->tmpdir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char *p = path_join(a->tmpdir, e->d_name);
		report(v, "leftover temporary file %s", p);
		if (v->o->fix) {
			if (unlink(p) == 0)
				buf_printf(v->out, "account %s: removed %s\n", v->account, p);
		}
		free(p);
	}
	closedir(d);
}

static void verify_account(struct verifier *v, const char *name)
{
	v->account = name;
	v->nids = 0;
	struct store_account_options ao = {
	    .data_dir = v->data_dir, .name = name, .no_create = true, .no_cleanup = true};
	struct store_account *a;
	struct error err;
	if (!store_account_open(&ao, &a, &err)) {
		report(v, "%s", err.msg);
		return;
	}
	struct buf problems = BUF_INIT;
	bool ok;
	if (!quick_check(a, v, &err) ||
	    !store_account_check(a, v->o->skip_sizes, &problems, &ok, &err) ||
	    !load_ids(a, v, &err) || !scan_msgdir(v, a, &err)) {
		report(v, "%s", err.msg);
	} else {
		for (const char *p = buf_cstr(&problems); *p;) {
			const char *nl = strchr(p, '\n');
			size_t len = nl ? (size_t)(nl - p) : strlen(p);
			report(v, "%.*s", (int)len, p);
			p += len + (nl ? 1 : 0);
		}
		scan_tmpdir(v, a);
	}
	buf_free(&problems);
	store_account_close(a);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

bool store_verify_datadir(const char *data_dir, const struct store_verify_options *o,
			  struct buf *out, size_t *problems, struct error *err)
{
	*problems = 0;
	char *accounts = path_join(data_dir, "accounts");
	DIR *d = opendir(accounts);
	if (!d) {
		bool ok = errno == ENOENT; /* no accounts yet: nothing to verify */
		if (!ok)
			error_errno(err, errno, "open %s", accounts);
		free(accounts);
		return ok;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			names = xreallocarray(names, cap, sizeof *names);
		}
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	free(accounts);
	if (n > 1)
		qsort(names, n, sizeof *names, cmp_name);
	struct verifier v = {.data_dir = data_dir, .o = o, .out = out};
	for (size_t i = 0; i < n; i++) {
		verify_account(&v, names[i]);
		free(names[i]);
	}
	free(names);
	free(v.ids);
	*problems = v.problems;
	return true;
}
