/*
 * The release of held messages: delivery of those whose time has come,
 * retries with backoff, delivery status notifications for failures, and the
 * thread that does it at the right moments.
 */
#include "queue/dsn.h"
#include "queue/hold_internal.h"

#include "base/arena.h"
#include "base/file.h"
#include "base/mem.h"
#include "base/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The longest the thread sleeps without looking (a changed clock is noticed within it). */
#define HOLD_IDLE_WAIT_S 3600

enum outcome { OUT_DELIVERED, OUT_TEMPORARY, OUT_PERMANENT };

struct held_rcpt {
	int64_t seq;
	const char *account, *mailbox, *rcpt;
	int64_t quota;
	const char *prefix;
	size_t prefix_len;
	enum outcome outcome;
	struct error err;
};

struct held_msg {
	int64_t id, queued, attempts, size;
	const char *request, *sender_account, *mailfrom;
	struct held_rcpt *rcpts;
	size_t nrcpts;
};

static bool load_msg(struct queue_hold *h, int64_t id, struct arena *ar, struct held_msg *m,
		     bool *found, struct error *err)
{
	sqlite3_stmt *st =
	    db_stmt(&h->db,
		    "SELECT queued, attempts, size, request, sender_account, mailfrom "
		    "FROM held WHERE id = ?",
		    err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, id);
	int rc = db_step(&h->db, st, err);
	*found = rc == 1;
	if (rc == 1) {
		*m = (struct held_msg){id,
				       sqlite3_column_int64(st, 0),
				       sqlite3_column_int64(st, 1),
				       sqlite3_column_int64(st, 2),
				       arena_strdup(ar, db_col_text(st, 3)),
				       arena_strdup(ar, db_col_text(st, 4)),
				       arena_strdup(ar, db_col_text(st, 5)),
				       NULL,
				       0};
		sqlite3_reset(st);
	}
	return rc >= 0;
}

static bool load_rcpts(struct queue_hold *h, struct arena *ar, struct held_msg *m,
		       struct error *err)
{
	sqlite3_stmt *st =
	    db_stmt(&h->db,
		    "SELECT seq, account, mailbox, rcpt, quota, prefix FROM held_rcpts "
		    "WHERE held_id = ? AND state = 0 ORDER BY seq",
		    err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, m->id);
	size_t cap = 0;
	int rc;
	while ((rc = db_step(&h->db, st, err)) == 1) {
		if (m->nrcpts == cap) {
			cap = cap ? cap * 2 : 8;
			struct held_rcpt *v = arena_array(ar, cap, sizeof *v);
			if (m->nrcpts)
				memcpy(v, m->rcpts, m->nrcpts * sizeof *v);
			m->rcpts = v;
		}
		struct held_rcpt *r = &m->rcpts[m->nrcpts++];
		size_t plen = (size_t)sqlite3_column_bytes(st, 5);
		char *prefix = arena_alloc(ar, plen + 1);
		if (plen)
			memcpy(prefix, sqlite3_column_blob(st, 5), plen);
		prefix[plen] = '\0';
		*r = (struct held_rcpt){sqlite3_column_int64(st, 0),
					arena_strdup(ar, db_col_text(st, 1)),
					arena_strdup(ar, db_col_text(st, 2)),
					arena_strdup(ar, db_col_text(st, 3)),
					sqlite3_column_int64(st, 4),
					prefix,
					plen,
					OUT_TEMPORARY,
					{0}};
	}
	return rc == 0;
}

/* Delivers to each pending recipient; records each outcome in the recipient. */
static void deliver_all(struct queue_hold *h, struct held_msg *m, int fd)
{
	struct logger lg = h->lg;
	for (size_t i = 0; i < m->nrcpts; i++) {
		struct held_rcpt *r = &m->rcpts[i];
		if (fd < 0) {
			error_set(&r->err, ERR_INTERNAL, "held message file is missing");
			r->outcome = OUT_PERMANENT;
			continue;
		}
		struct smtp_delivery d = {r->account, r->quota,          r->mailbox,
					  r->rcpt,    r->prefix,         r->prefix_len,
					  fd,         (uint64_t)m->size, &lg};
		if (h->delivery->deliver(h->delivery->arg, &d, &r->err))
			r->outcome = OUT_DELIVERED;
		else
			r->outcome = r->err.kind == ERR_LIMIT ? OUT_PERMANENT : OUT_TEMPORARY;
		if (r->outcome == OUT_DELIVERED)
			log_info(&h->lg, "held message delivered", LI("id", m->id),
				 LS("account", r->account), LS("mailbox", r->mailbox),
				 LS("rcpt", r->rcpt));
		else
			log_info(
			    &h->lg, "held message delivery failed", LI("id", m->id),
			    LS("rcpt", r->rcpt),
			    LS("failure", r->outcome == OUT_PERMANENT ? "permanent" : "temporary"),
			    LE(&r->err));
	}
}

/* The original's header section (up to DSN_HEADERS_MAX) for the DSN, in buf. */
static void read_headers(int fd, struct buf *out)
{
	if (fd < 0)
		return;
	char *tmp = xmalloc(DSN_HEADERS_MAX);
	ssize_t n = pread(fd, tmp, DSN_HEADERS_MAX, 0);
	if (n > 0) {
		const char *end = memmem(tmp, (size_t)n, "\r\n\r\n", 4);
		buf_append(out, tmp, end ? (size_t)(end - tmp) + 2 : (size_t)n);
	}
	free(tmp);
}

/* Writes the DSN to an unlinked temporary file and delivers it to the sender's Inbox. */
static void deliver_dsn(struct queue_hold *h, const struct held_msg *m, const struct buf *dsn)
{
	char *path = xasprintf("%s/dsn-XXXXXX", h->dir);
	int fd = mkostemp(path, O_CLOEXEC);
	struct error err = {0};
	bool ok = fd >= 0 || error_errno(&err, errno, "create %s", path);
	if (fd >= 0)
		unlink(path);
	ok = ok && fd_write_all(fd, dsn->data, dsn->len, &err);
	if (ok) {
		struct buf prefix = BUF_INIT;
		buf_printf(&prefix, "Return-Path: <>\r\nDelivered-To: %s\r\n", m->mailfrom);
		struct logger lg = h->lg;
		struct smtp_delivery d = {
		    m->sender_account, 0,  "Inbox",  m->mailfrom, buf_cstr(&prefix),
		    prefix.len,        fd, dsn->len, &lg};
		ok = h->delivery->deliver(h->delivery->arg, &d, &err);
		buf_free(&prefix);
	}
	if (fd >= 0)
		close(fd);
	free(path);
	if (ok)
		log_info(&h->lg, "delivery failure reported to sender", LI("id", m->id),
			 LS("account", m->sender_account));
	else
		log_error(&h->lg, "cannot deliver delivery failure report", LI("id", m->id),
			  LS("account", m->sender_account), LE(&err));
}

/*
 * RFC 3464: one DSN for the recipients that failed for good on this
 * attempt. None when the reverse-path is null (RFC 5321 4.5.5).
 */
static void report_failures(struct queue_hold *h, const struct held_msg *m, int fd, bool final)
{
	struct dsn_rcpt *v = xcalloc(m->nrcpts ? m->nrcpts : 1, sizeof *v);
	size_t n = 0;
	for (size_t i = 0; i < m->nrcpts; i++) {
		const struct held_rcpt *r = &m->rcpts[i];
		if (r->outcome == OUT_PERMANENT)
			v[n++] = (struct dsn_rcpt){
			    r->rcpt, r->err.kind == ERR_LIMIT ? "5.2.2" : "5.3.0", r->err.msg};
		else if (r->outcome == OUT_TEMPORARY && final)
			v[n++] = (struct dsn_rcpt){r->rcpt, "5.4.7", r->err.msg};
	}
	if (n > 0 && m->mailfrom[0]) {
		char why[256];
		snprintf(why, sizeof why,
			 "Your message, held for release (%s), could not be delivered to the "
			 "following recipients.",
			 m->request);
		struct buf headers = BUF_INIT, dsn = BUF_INIT;
		read_headers(fd, &headers);
		struct dsn_input in = {h->hostname,  m->mailfrom, why, m->queued,
				       headers.data, headers.len, v,   n};
		dsn_compose(&in, &dsn);
		deliver_dsn(h, m, &dsn);
		buf_free(&headers);
		buf_free(&dsn);
	}
	free(v);
}

static bool set_rcpt_state(struct queue_hold *h, int64_t id, const struct held_rcpt *r,
			   enum held_state state, struct error *err)
{
	sqlite3_stmt *st = db_stmt(
	    &h->db, "UPDATE held_rcpts SET state = ?, error = ? WHERE held_id = ? AND seq = ?",
	    err);
	if (!st)
		return false;
	sqlite3_bind_int(st, 1, (int)state);
	db_bind_text(st, 2, r->outcome == OUT_DELIVERED ? "" : r->err.msg);
	sqlite3_bind_int64(st, 3, id);
	sqlite3_bind_int64(st, 4, r->seq);
	return db_step_done(&h->db, st, err);
}

static bool remove_msg(struct queue_hold *h, int64_t id, struct error *err)
{
	sqlite3_stmt *st = db_stmt(&h->db, "DELETE FROM held_rcpts WHERE held_id = ?", err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, id);
	if (!db_step_done(&h->db, st, err))
		return false;
	st = db_stmt(&h->db, "DELETE FROM held WHERE id = ?", err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, id);
	return db_step_done(&h->db, st, err);
}

static bool reschedule(struct queue_hold *h, const struct held_msg *m, int64_t now,
		       const char *last_error, struct error *err)
{
	int64_t attempts = m->attempts + 1;
	int64_t delay = (int64_t)QUEUE_HOLD_BACKOFF_FIRST << (attempts - 1);
	sqlite3_stmt *st = db_stmt(
	    &h->db, "UPDATE held SET attempts = ?, next_attempt = ?, last_error = ? WHERE id = ?",
	    err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, attempts);
	sqlite3_bind_int64(st, 2, now + delay);
	db_bind_text(st, 3, last_error);
	sqlite3_bind_int64(st, 4, m->id);
	return db_step_done(&h->db, st, err);
}

/* Records the outcomes; true with *done when nothing is left to deliver. */
static bool record_outcomes(struct queue_hold *h, const struct held_msg *m, int64_t now, bool final,
			    bool *done, struct error *err)
{
	const char *last_error = NULL;
	bool ok = db_begin_write(&h->db, err);
	for (size_t i = 0; ok && i < m->nrcpts; i++) {
		const struct held_rcpt *r = &m->rcpts[i];
		if (r->outcome == OUT_TEMPORARY && !final) {
			last_error = r->err.msg;
			continue;
		}
		ok = set_rcpt_state(
		    h, m->id, r, r->outcome == OUT_DELIVERED ? HELD_DELIVERED : HELD_FAILED, err);
	}
	*done = last_error == NULL;
	if (ok)
		ok = *done ? remove_msg(h, m->id, err) : reschedule(h, m, now, last_error, err);
	ok = ok && db_commit(&h->db, err);
	if (!ok)
		db_rollback(&h->db);
	return ok;
}

static void release_one(struct queue_hold *h, int64_t id, int64_t now)
{
	struct arena ar;
	arena_init(&ar, 8192);
	struct held_msg m;
	struct error err = {0};
	bool found = false;
	pthread_mutex_lock(&h->db_mu);
	bool ok =
	    load_msg(h, id, &ar, &m, &found, &err) && (!found || load_rcpts(h, &ar, &m, &err));
	pthread_mutex_unlock(&h->db_mu);
	if (!ok || !found) {
		if (!ok)
			log_error(&h->lg, "cannot read held message", LI("id", id), LE(&err));
		arena_free(&ar);
		return;
	}
	char *path = hold_msg_path(h, id);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		log_error(&h->lg, "held message file missing", LS("path", path));
	deliver_all(h, &m, fd);
	bool final = m.attempts + 1 >= QUEUE_HOLD_ATTEMPTS_MAX;
	/* Reported before the outcome is recorded: a crash between repeats the report, never
	 * loses it. */
	report_failures(h, &m, fd, final);
	bool done = false;
	pthread_mutex_lock(&h->db_mu);
	ok = record_outcomes(h, &m, now, final, &done, &err);
	pthread_mutex_unlock(&h->db_mu);
	if (!ok)
		log_error(&h->lg, "cannot record held message delivery", LI("id", id), LE(&err));
	if (fd >= 0)
		close(fd);
	if (ok && done && unlink(path) != 0 && errno != ENOENT)
		log_error(&h->lg, "cannot remove released message file", LS("path", path));
	free(path);
	arena_free(&ar);
}

size_t queue_hold_release_due(struct queue_hold *h, int64_t now)
{
	int64_t ids[QUEUE_HOLD_BATCH];
	size_t n = 0;
	struct error err = {0};
	pthread_mutex_lock(&h->db_mu);
	sqlite3_stmt *st = h->open ? db_stmt(&h->db,
					     "SELECT id FROM held WHERE next_attempt <= ? "
					     "ORDER BY next_attempt, id LIMIT ?",
					     &err)
				   : NULL;
	if (st) {
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_int(st, 2, QUEUE_HOLD_BATCH);
		int rc;
		while ((rc = db_step(&h->db, st, &err)) == 1)
			ids[n++] = sqlite3_column_int64(st, 0);
		if (rc < 0)
			log_error(&h->lg, "cannot list due held messages", LE(&err));
	}
	pthread_mutex_unlock(&h->db_mu);
	for (size_t i = 0; i < n; i++)
		release_one(h, ids[i], now);
	return n;
}

bool queue_hold_next(struct queue_hold *h, int64_t *when)
{
	struct error err = {0};
	bool found = false;
	pthread_mutex_lock(&h->db_mu);
	sqlite3_stmt *st =
	    h->open ? db_stmt(&h->db, "SELECT next_attempt FROM held ORDER BY next_attempt LIMIT 1",
			      &err)
		    : NULL;
	if (st && !db_query_int(&h->db, st, when, &found, &err))
		log_error(&h->lg, "cannot read next held message", LE(&err));
	pthread_mutex_unlock(&h->db_mu);
	return found;
}

void hold_wake(struct queue_hold *h)
{
	pthread_mutex_lock(&h->mu);
	h->woken = true;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

static bool stopping(struct queue_hold *h)
{
	pthread_mutex_lock(&h->mu);
	bool s = h->stopping;
	pthread_mutex_unlock(&h->mu);
	return s;
}

static void *release_thread(void *arg)
{
	struct queue_hold *h = arg;
	while (!stopping(h)) {
		int64_t now = (int64_t)time(NULL);
		while (queue_hold_release_due(h, now) == QUEUE_HOLD_BATCH && !stopping(h))
			;
		int64_t next;
		int64_t until = now + HOLD_IDLE_WAIT_S;
		if (queue_hold_next(h, &next) && next < until)
			until = next;
		pthread_mutex_lock(&h->mu);
		/* Release times are wall-clock times: CLOCK_REALTIME, the condvar's default. */
		struct timespec ts = {(time_t)until, 0};
		while (!h->stopping && !h->woken && (int64_t)time(NULL) < until)
			if (pthread_cond_timedwait(&h->cv, &h->mu, &ts) == ETIMEDOUT)
				break;
		h->woken = false;
		pthread_mutex_unlock(&h->mu);
	}
	return NULL;
}

bool queue_hold_start(struct queue_hold *h, struct error *err)
{
	if (!queue_hold_open(h, err))
		return false;
	int rc = pthread_create(&h->thread, NULL, release_thread, h);
	if (rc != 0)
		return error_errno(err, rc, "start release thread");
	h->running = true;
	return true;
}

void queue_hold_stop(struct queue_hold *h)
{
	if (!h->running)
		return;
	pthread_mutex_lock(&h->mu);
	h->stopping = true;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->thread, NULL);
	h->running = false;
}
