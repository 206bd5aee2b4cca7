/*
 * Held messages: hold.db, the message files, and the hold operation the SMTP
 * server calls for FUTURERELEASE (RFC 4865).
 */
#include "queue/hold_internal.h"

#include "base/file.h"
#include "base/mem.h"
#include "base/str.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Version 1. IF NOT EXISTS: files from before the version was kept in user_version
 * have the tables already. A later change to the tables is a new step. */
static const char schema_v1[] = "CREATE TABLE IF NOT EXISTS held ("
				" id INTEGER PRIMARY KEY,"
				" queued INTEGER NOT NULL,"
				" release INTEGER NOT NULL,"
				" request TEXT NOT NULL,"
				" sender_account TEXT NOT NULL,"
				" mailfrom TEXT NOT NULL,"
				" size INTEGER NOT NULL,"
				" attempts INTEGER NOT NULL DEFAULT 0,"
				" next_attempt INTEGER NOT NULL,"
				" last_error TEXT NOT NULL DEFAULT '');"
				"CREATE INDEX IF NOT EXISTS held_next ON held (next_attempt);"
				"CREATE TABLE IF NOT EXISTS held_rcpts ("
				" held_id INTEGER NOT NULL,"
				" seq INTEGER NOT NULL,"
				" account TEXT NOT NULL,"
				" mailbox TEXT NOT NULL,"
				" rcpt TEXT NOT NULL,"
				" quota INTEGER NOT NULL,"
				" prefix BLOB NOT NULL,"
				" state INTEGER NOT NULL DEFAULT 0,"
				" error TEXT NOT NULL DEFAULT '',"
				" PRIMARY KEY (held_id, seq));";
static const char *const schema_steps[] = {schema_v1};
static const struct db_schema schema = {1, schema_steps};

static bool hold_op(void *arg, const struct smtp_held *held, struct error *err);

struct queue_hold *queue_hold_new(const struct queue_hold_config *c)
{
	struct queue_hold *h = xcalloc(1, sizeof *h);
	h->dir = path_join(c->data_dir, "queue");
	h->msg_dir = path_join(h->dir, "msg");
	h->hostname = xstrdup(c->hostname);
	h->delivery = c->delivery;
	h->ops = (struct smtp_hold_ops){hold_op, h};
	h->lg = (struct logger){log_pkg("queue"), 0};
	pthread_mutex_init(&h->db_mu, NULL);
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	return h;
}

const struct smtp_hold_ops *queue_hold_ops(struct queue_hold *h)
{
	return &h->ops;
}

char *hold_msg_path(const struct queue_hold *h, int64_t id)
{
	return xasprintf("%s/%lld", h->msg_dir, (long long)id);
}

/* Whether the name is all digits: only such files are ours to remove. */
static bool numeric_name(const char *s, int64_t *id)
{
	return str_parse_i64(str_from(s), 1, INT64_MAX, id);
}

/* Removes message files the index does not know (a crash before the commit). */
static bool remove_orphans(struct queue_hold *h, struct error *err)
{
	DIR *d = opendir(h->msg_dir);
	if (!d)
		return error_errno(err, errno, "open %s", h->msg_dir);
	struct dirent *e;
	bool ok = true;
	while (ok && (e = readdir(d)) != NULL) {
		int64_t id, v;
		bool found;
		if (!numeric_name(e->d_name, &id))
			continue;
		sqlite3_stmt *st = db_stmt(&h->db, "SELECT 1 FROM held WHERE id = ?", err);
		ok = st != NULL;
		if (!ok)
			break;
		sqlite3_bind_int64(st, 1, id);
		ok = db_query_int(&h->db, st, &v, &found, err);
		if (ok && !found) {
			char *path = hold_msg_path(h, id);
			log_info(&h->lg, "removing held message file without index row",
				 LS("path", path));
			if (unlink(path) != 0 && errno != ENOENT)
				ok = error_errno(err, errno, "remove %s", path);
			free(path);
		}
	}
	closedir(d);
	return ok;
}

bool queue_hold_open(struct queue_hold *h, struct error *err)
{
	if (h->open)
		return true;
	if (!mkdir_p(h->msg_dir, 0750, err))
		return false;
	char *path = path_join(h->dir, "hold.db");
	struct db_options o = {.role = DB_READ_WRITE, .create = true, .schema = &schema};
	bool ok = db_open(&h->db, path, &o, err);
	free(path);
	if (!ok)
		return false;
	if (!remove_orphans(h, err)) {
		db_close(&h->db);
		return false;
	}
	h->open = true;
	return true;
}

/* Copies the spooled message into a new file and makes it and its directory durable. */
static bool write_msg_file(struct queue_hold *h, int64_t id, const struct smtp_held *held,
			   struct error *err)
{
	char *path = hold_msg_path(h, id);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	bool ok = fd >= 0 || error_errno(err, errno, "create %s", path);
	char tmp[65536];
	for (uint64_t off = 0; ok && off < held->size;) {
		size_t want =
		    held->size - off < sizeof tmp ? (size_t)(held->size - off) : sizeof tmp;
		ssize_t r = pread(held->fd, tmp, want, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			ok = error_errno(err, r < 0 ? errno : EIO, "read spooled message");
		else
			ok = fd_write_all(fd, tmp, (size_t)r, err);
		off += r > 0 ? (uint64_t)r : 0;
	}
	if (ok && fsync(fd) != 0)
		ok = error_errno(err, errno, "fsync %s", path);
	if (fd >= 0 && close(fd) != 0 && ok)
		ok = error_errno(err, errno, "close %s", path);
	if (ok)
		ok = fsync_dir(h->msg_dir, err);
	if (!ok && fd >= 0)
		unlink(path);
	free(path);
	return ok;
}

static bool insert_held(struct queue_hold *h, const struct smtp_held *held, int64_t *id,
			struct error *err)
{
	sqlite3_stmt *st = db_stmt(&h->db,
				   "INSERT INTO held (queued, release, request, sender_account, "
				   "mailfrom, size, next_attempt) VALUES (?, ?, ?, ?, ?, ?, ?)",
				   err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, (int64_t)time(NULL));
	sqlite3_bind_int64(st, 2, held->release);
	db_bind_text(st, 3, held->request);
	db_bind_text(st, 4, held->sender_account);
	db_bind_text(st, 5, held->mailfrom);
	sqlite3_bind_int64(st, 6, (int64_t)held->size);
	sqlite3_bind_int64(st, 7, held->release);
	if (!db_step_done(&h->db, st, err))
		return false;
	*id = db_last_id(&h->db);
	return true;
}

static bool insert_rcpts(struct queue_hold *h, int64_t id, const struct smtp_held *held,
			 struct error *err)
{
	for (size_t i = 0; i < held->nrcpts; i++) {
		const struct smtp_held_rcpt *r = &held->rcpts[i];
		sqlite3_stmt *st =
		    db_stmt(&h->db,
			    "INSERT INTO held_rcpts (held_id, seq, account, mailbox, "
			    "rcpt, quota, prefix) VALUES (?, ?, ?, ?, ?, ?, ?)",
			    err);
		if (!st)
			return false;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, (int64_t)i);
		db_bind_text(st, 3, r->account);
		db_bind_text(st, 4, r->mailbox);
		db_bind_text(st, 5, r->rcpt);
		sqlite3_bind_int64(st, 6, r->quota);
		sqlite3_bind_blob(st, 7, r->prefix, (int)r->prefix_len, SQLITE_TRANSIENT);
		if (!db_step_done(&h->db, st, err))
			return false;
	}
	return true;
}

/*
 * The rows and the file in one transaction: the file is durable before the
 * commit, and a file whose commit never happened is an orphan removed at
 * the next open.
 */
static bool hold_op(void *arg, const struct smtp_held *held, struct error *err)
{
	struct queue_hold *h = arg;
	if (held->nrcpts == 0)
		return error_set(err, ERR_INVALID, "no recipients to hold for");
	pthread_mutex_lock(&h->db_mu);
	int64_t id = 0;
	bool ok = h->open || error_set(err, ERR_TEMPORARY, "queue not open");
	ok = ok && db_begin_write(&h->db, err);
	ok = ok && insert_held(h, held, &id, err) && insert_rcpts(h, id, held, err) &&
	     write_msg_file(h, id, held, err);
	if (ok && !db_commit(&h->db, err)) {
		ok = false;
		char *path = hold_msg_path(h, id);
		unlink(path);
		free(path);
	}
	if (!ok)
		db_rollback(&h->db);
	pthread_mutex_unlock(&h->db_mu);
	if (ok) {
		log_debug(held->lg, "message held", LI("id", id), LI("release", held->release));
		hold_wake(h);
	}
	return ok;
}

void queue_hold_free(struct queue_hold *h)
{
	if (!h)
		return;
	queue_hold_stop(h);
	if (h->open)
		db_close(&h->db);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	pthread_mutex_destroy(&h->db_mu);
	free(h->dir);
	free(h->msg_dir);
	free(h->hostname);
	free(h);
}
