/*
 * Account repairs that read message files: sizes, parses, threads (see
 * maint.h).
 */
#include "store/maint.h"

#include "base/mem.h"
#include "base/str.h"
#include "mail/mail.h"
#include "mail/serialize.h"
#include "store/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* A file parsed outside the write lock, to be stored in a batch. */
struct parsed_file {
	int64_t id;
	int64_t size; /* the file's size now */
	struct buf parsed;
	struct thread_info ti;
	const char *from;
};

struct parse_batch {
	struct parsed_file *v;
	size_t n;
	struct buf *out;
	struct arena ar;
	bool fix_sizes;
};

/* Reads and parses one message file; false (with a line in out) when it cannot be read. */
static bool parse_file(struct store_account *a, struct parsed_file *f, struct arena *ar,
		       struct buf *out)
{
	struct error err;
	int fd = store_message_open(a, f->id, &err);
	if (fd < 0) {
		buf_printf(out, "file %" PRId64 ": %s\n", f->id, err.msg);
		return false;
	}
	struct stat st;
	bool ok = fstat(fd, &st) == 0;
	void *map = NULL;
	if (ok && st.st_size > 0) {
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		ok = map != MAP_FAILED;
	}
	int e = errno;
	close(fd);
	if (!ok) {
		buf_printf(out, "file %" PRId64 ": %s\n", f->id, strerror(e));
		return false;
	}
	f->size = st.st_size;
	struct mail_message *m = mail_parse(map ? map : "", (size_t)st.st_size, ar);
	buf_init(&f->parsed);
	mail_serialize(m, &f->parsed);
	thread_info_from_parse(m, ar, &f->ti);
	f->from = parse_from_address(m, ar);
	if (map)
		munmap(map, (size_t)st.st_size);
	return true;
}

static bool store_parse(struct db *db, const struct parsed_file *f, struct error *err)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE files SET parsed = ? WHERE id = ?", err);
	if (!st)
		return false;
	sqlite3_bind_blob(st, 1, f->parsed.data, (int)f->parsed.len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, f->id);
	if (!db_step_done(db, st, err))
		return false;
	st = db_stmt(db,
		     "UPDATE messages SET message_id = ?, subject_base = ?, from_addr = ? WHERE "
		     "file_id = ?",
		     err);
	if (!st)
		return false;
	db_bind_text(st, 1, f->ti.message_id);
	db_bind_text(st, 2, f->ti.subject_base);
	db_bind_text(st, 3, f->from);
	sqlite3_bind_int64(st, 4, f->id);
	return db_step_done(db, st, err);
}

static bool store_size(struct db *db, const struct parsed_file *f, struct error *err)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE files SET size = ?1 WHERE id = ?2", err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, f->size);
	sqlite3_bind_int64(st, 2, f->id);
	if (!db_step_done(db, st, err))
		return false;
	st = db_stmt(db, "UPDATE messages SET size = ?1 WHERE file_id = ?2", err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, f->size);
	sqlite3_bind_int64(st, 2, f->id);
	return db_step_done(db, st, err);
}

static bool batch_fn(struct store_account *a, void *arg, struct change_list *cl, struct error *err)
{
	struct parse_batch *b = arg;
	for (size_t i = 0; i < b->n; i++) {
		if (!store_parse(&a->wdb, &b->v[i], err))
			return false;
		if (b->fix_sizes && !store_size(&a->wdb, &b->v[i], err))
			return false;
	}
	return !b->fix_sizes || maint_recount(a, cl, &b->ar, b->out, err);
}

/*
 * File ids after `after`, at most STORE_MAINT_BATCH: all, the never parsed,
 * or (sizes) all with their recorded size.
 */
static const char q_all[] = "SELECT id, size FROM files WHERE id > ? ORDER BY id LIMIT ?";
static const char q_unparsed[] =
    "SELECT id, size FROM files WHERE id > ? AND parsed IS NULL ORDER BY id LIMIT ?";

static bool next_ids(struct store_account *a, const char *sql, int64_t after, int64_t *ids,
		     int64_t *sizes, size_t *n, struct error *err)
{
	struct db *db = store_reader(a, err);
	if (!db)
		return false;
	sqlite3_stmt *st = db_stmt(db, sql, err);
	bool ok = st != NULL;
	*n = 0;
	if (ok) {
		sqlite3_bind_int64(st, 1, after);
		sqlite3_bind_int(st, 2, STORE_MAINT_BATCH);
		int rc;
		while ((rc = db_step(db, st, err)) == 1) {
			ids[*n] = sqlite3_column_int64(st, 0);
			sizes[*n] = sqlite3_column_int64(st, 1);
			(*n)++;
		}
		ok = rc == 0;
	}
	store_reader_done(a, db);
	return ok;
}

/* Parses one batch (outside the write lock) and stores it; sizes: only files whose size differs. */
static bool one_batch(struct store_account *a, const int64_t *ids, const int64_t *sizes, size_t n,
		      bool sizes_only, struct buf *out, size_t *count, struct error *err)
{
	struct parse_batch b = {.out = out, .fix_sizes = sizes_only};
	arena_init(&b.ar, 65536);
	b.v = arena_array(&b.ar, n, sizeof *b.v);
	for (size_t i = 0; i < n; i++) {
		struct parsed_file *f = &b.v[b.n];
		f->id = ids[i];
		if (sizes_only) {
			struct stat st;
			const char *path = store_message_path(a, ids[i], &b.ar);
			if (stat(path, &st) < 0 || st.st_size == sizes[i])
				continue;
			buf_printf(out,
				   "file %" PRId64 ": size %" PRId64 " -> %lld, parsed again\n",
				   ids[i], sizes[i], (long long)st.st_size);
		}
		if (parse_file(a, f, &b.ar, out))
			b.n++;
	}
	bool ok = b.n == 0 || store_write(a, NULL, batch_fn, &b, err);
	if (ok)
		*count += b.n;
	for (size_t i = 0; i < b.n; i++)
		buf_free(&b.v[i].parsed);
	arena_free(&b.ar);
	return ok;
}

static bool each_batch(struct store_account *a, const char *sql, bool sizes_only, struct buf *out,
		       size_t *count, struct error *err)
{
	int64_t *ids = xcalloc(STORE_MAINT_BATCH, sizeof *ids);
	int64_t *sizes = xcalloc(STORE_MAINT_BATCH, sizeof *sizes);
	int64_t after = 0;
	size_t n, total = 0;
	bool ok;
	while ((ok = next_ids(a, sql, after, ids, sizes, &n, err)) && n > 0) {
		after = ids[n - 1];
		if (!(ok = one_batch(a, ids, sizes, n, sizes_only, out, &total, err)))
			break;
	}
	free(ids);
	free(sizes);
	if (count)
		*count = total;
	return ok;
}

bool store_reparse(struct store_account *a, bool only_unparsed, struct buf *out, size_t *count,
		   struct error *err)
{
	return each_batch(a, only_unparsed ? q_unparsed : q_all, false, out, count, err);
}

bool store_fix_msgsize(struct store_account *a, struct buf *out, struct error *err)
{
	return each_batch(a, q_all, true, out, NULL, err);
}

/* --- threads --- */

struct thread_job {
	struct buf *out;
	size_t count;
};

struct thread_msg {
	int64_t id;
	int64_t file_id;
	int64_t mailbox_orig_id;
	int64_t received;
};

static bool list_messages(struct db *db, struct thread_msg **v, size_t *n, struct error *err)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT id, file_id, mailbox_orig_id, received FROM messages ORDER BY id", err);
	if (!st)
		return false;
	size_t cap = 0;
	int rc;
	*v = NULL;
	*n = 0;
	while ((rc = db_step(db, st, err)) == 1) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			*v = xreallocarray(*v, cap, sizeof **v);
		}
		(*v)[(*n)++] =
		    (struct thread_msg){sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
					sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3)};
	}
	return rc == 0;
}

/* The threading fields from the stored parse (an unreadable parse gives none). */
static bool thread_fields(struct db *db, int64_t file_id, struct arena *ar, struct thread_info *ti,
			  struct error *err)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT parsed FROM files WHERE id = ?", err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, file_id);
	int rc = db_step(db, st, err);
	if (rc < 0)
		return false;
	struct mail_message *m = NULL;
	if (rc == 1 && sqlite3_column_blob(st, 0))
		m = mail_deserialize(sqlite3_column_blob(st, 0),
				     (size_t)sqlite3_column_bytes(st, 0), ar, NULL);
	if (rc == 1)
		sqlite3_reset(st);
	if (!m) {
		m = arena_alloc(ar, sizeof *m);
		mail_message_init_empty(m);
	}
	thread_info_from_parse(m, ar, ti);
	return true;
}

static bool save_fields(struct db *db, int64_t id, const struct thread_info *ti, struct error *err)
{
	sqlite3_stmt *st =
	    db_stmt(db, "UPDATE messages SET message_id = ?, subject_base = ? WHERE id = ?", err);
	if (!st)
		return false;
	db_bind_text(st, 1, ti->message_id);
	db_bind_text(st, 2, ti->subject_base);
	sqlite3_bind_int64(st, 3, id);
	return db_step_done(db, st, err);
}

static bool threads_fn(struct store_account *a, void *arg, struct change_list *cl,
		       struct error *err)
{
	(void)cl;
	struct thread_job *j = arg;
	struct thread_msg *v = NULL;
	size_t n = 0;
	bool ok = db_exec(&a->wdb,
			  "UPDATE messages SET thread_id = 0, thread_parents = '', "
			  "thread_missing_link = 0",
			  err) &&
		  list_messages(&a->wdb, &v, &n, err);
	struct arena ar;
	arena_init(&ar, 16384);
	for (size_t i = 0; ok && i < n; i++) {
		struct arena_mark mark = arena_mark(&ar);
		struct thread_info ti;
		ok = thread_fields(&a->wdb, v[i].file_id, &ar, &ti, err) &&
		     save_fields(&a->wdb, v[i].id, &ti, err) &&
		     thread_assign(a, v[i].id, v[i].mailbox_orig_id, v[i].received, &ti, &ar, err);
		arena_rewind(&ar, mark);
	}
	arena_free(&ar);
	free(v);
	j->count = n;
	return ok;
}

bool store_reassign_threads(struct store_account *a, struct buf *out, size_t *count,
			    struct error *err)
{
	struct thread_job j = {.out = out};
	bool ok = store_write(a, NULL, threads_fn, &j, err);
	if (count)
		*count = ok ? j.count : 0;
	return ok;
}

/* --- one entry point --- */

static bool reparse_counted(struct store_account *a, bool only_unparsed, struct buf *out,
			    struct error *err)
{
	size_t n = 0;
	if (!store_reparse(a, only_unparsed, out, &n, err))
		return false;
	buf_printf(out, "parsed %zu message file%s\n", n, n == 1 ? "" : "s");
	return true;
}

bool store_maint_command(struct store_account *a, const char *op, const char *arg, struct buf *out,
			 struct error *err)
{
	size_t n = 0;
	bool none = !arg || !*arg;
	if (strcmp(op, "recalculatemailboxcounts") == 0 && none)
		return store_recalculate_counts(a, out, err);
	if (strcmp(op, "bumpuidvalidity") == 0)
		return store_bump_uidvalidity(a, none ? NULL : arg, out, err);
	if (strcmp(op, "reassignuids") == 0) {
		int64_t id = 0;
		if (!none && !str_parse_i64(str_from(arg), 1, INT64_MAX, &id))
			return error_set(err, ERR_INVALID, "bad mailbox id %s", arg);
		return store_reassign_uids(a, id, out, err);
	}
	if (strcmp(op, "fixuidmeta") == 0 && none)
		return store_fix_uidmeta(a, out, err);
	if (strcmp(op, "fixmsgsize") == 0 && none)
		return store_fix_msgsize(a, out, err);
	if (strcmp(op, "reparse") == 0 && none)
		return reparse_counted(a, false, out, err);
	if (strcmp(op, "ensureparsed") == 0 && (none || strcmp(arg, "all") == 0))
		return reparse_counted(a, none, out, err);
	if (strcmp(op, "reassignthreads") == 0 && none) {
		bool ok = store_reassign_threads(a, out, &n, err);
		if (ok)
			buf_printf(out, "threads assigned for %zu messages\n", n);
		return ok;
	}
	return error_set(err, ERR_INVALID, "unknown maintenance operation %s %s", op,
			 arg ? arg : "");
}
