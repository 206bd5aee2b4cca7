#include "auth/attempts.h"

#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct auth_recorder {
	/* Shared, guarded by mu. */
	pthread_mutex_t mu;
	pthread_cond_t work; /* the writer waits for attempts or stop */
	pthread_cond_t done; /* flushers wait for done_seq */
	struct auth_attempt *ring;
	size_t head, count;
	uint64_t queued_seq, done_seq;
	bool stopping;
	struct auth_recorder_stats stats;

	/* The writer thread's own. */
	pthread_t thread;
	struct authdb *db;
	struct auth_attempt *batch;
	struct log_pkg *pkg;
	int64_t next_cleanup_ms; /* monotonic */
};

void auth_attempt_init(struct auth_attempt *a, const char *protocol, const char *remote_ip,
		       const char *local_ip, uint64_t cid)
{
	memset(a, 0, sizeof *a);
	a->time_ms = wall_ms();
	a->cid = cid;
	str_copy(a->protocol, sizeof a->protocol, protocol ? protocol : "");
	str_copy(a->remote_ip, sizeof a->remote_ip, remote_ip ? remote_ip : "");
	str_copy(a->local_ip, sizeof a->local_ip, local_ip ? local_ip : "");
}

void auth_attempt_set_sasl(struct auth_attempt *a, enum sasl_mech m, const struct sasl_result *r)
{
	str_copy(a->mechanism, sizeof a->mechanism, sasl_mech_lower(m));
	/* A cut login name is still useful in a record; it is never used to log in. */
	str_copy(a->login, sizeof a->login, r->ref.login);
	str_copy(a->account, sizeof a->account, r->ref.account);
	a->result = r->result;
}

void auth_attempt_log(struct log_pkg *pkg, const struct auth_attempt *a)
{
	struct logger lg = {pkg, a->cid};
	log_info(&lg, "login attempt", LS("address", a->login), LS("account", a->account),
		 LS("protocol", a->protocol), LS("authmech", a->mechanism),
		 LS("result", auth_result_name(a->result)), LS("remoteip", a->remote_ip),
		 LS("localip", a->local_ip), LS("tls", a->tls), LS("useragent", a->user_agent),
		 LS("tlspubkeyfp", a->tls_fp));
}

/* ---- the writer ---- */

static void cleanup(struct auth_recorder *r)
{
	struct error err = {0};
	size_t n = 0;
	struct logger lg = {r->pkg, 0};
	if (!authdb_attempts_cleanup(r->db, wall_ms() - AUTHDB_ATTEMPTS_KEEP_MS, &n, &err))
		log_error(&lg, "removing old login attempts", LE(&err));
	else if (n > 0)
		log_debug(&lg, "removed old login attempts", LU("count", n));
	r->next_cleanup_ms = mono_ms() + AUTH_RECORDER_CLEANUP_MS;
}

static void write_batch(struct auth_recorder *r, size_t n)
{
	struct error err = {0};
	bool ok = authdb_attempts_write(r->db, r->batch, n, &err);
	for (size_t i = 0; i < n; i++)
		auth_attempt_log(r->pkg, &r->batch[i]);
	if (!ok) {
		struct logger lg = {r->pkg, 0};
		log_error(&lg, "storing login attempts", LU("count", n), LE(&err));
	}
	pthread_mutex_lock(&r->mu);
	if (ok)
		r->stats.written += n;
	else
		r->stats.failed += n;
	r->done_seq += n;
	pthread_cond_broadcast(&r->done);
	pthread_mutex_unlock(&r->mu);
}

/* Takes up to a batch out of the ring (mu held). */
static size_t take(struct auth_recorder *r)
{
	size_t n = r->count < AUTH_RECORDER_BATCH ? r->count : AUTH_RECORDER_BATCH;
	for (size_t i = 0; i < n; i++) {
		r->batch[i] = r->ring[r->head];
		r->head = (r->head + 1) % AUTH_RECORDER_QUEUE;
	}
	r->count -= n;
	return n;
}

static void *writer(void *arg)
{
	struct auth_recorder *r = arg;
	cleanup(r);
	pthread_mutex_lock(&r->mu);
	for (;;) {
		while (r->count == 0 && !r->stopping) {
			int64_t wait = r->next_cleanup_ms - mono_ms();
			if (wait <= 0) {
				pthread_mutex_unlock(&r->mu);
				cleanup(r);
				pthread_mutex_lock(&r->mu);
				continue;
			}
			struct timespec until = timespec_after_ms(CLOCK_MONOTONIC, wait);
			pthread_cond_timedwait(&r->work, &r->mu, &until);
		}
		if (r->count == 0 && r->stopping)
			break;
		size_t n = take(r);
		pthread_mutex_unlock(&r->mu);
		write_batch(r, n);
		pthread_mutex_lock(&r->mu);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

struct auth_recorder *auth_recorder_start(const char *path, struct log_pkg *pkg, struct error *err)
{
	struct auth_recorder *r = xcalloc(1, sizeof *r);
	if (!authdb_open(path, &r->db, err)) {
		free(r);
		return NULL;
	}
	r->pkg = pkg ? pkg : log_pkg("auth");
	r->ring = xcalloc(AUTH_RECORDER_QUEUE, sizeof *r->ring);
	r->batch = xcalloc(AUTH_RECORDER_BATCH, sizeof *r->batch);
	pthread_mutex_init(&r->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->work, &ca);
	pthread_cond_init(&r->done, &ca);
	pthread_condattr_destroy(&ca);
	int rc = pthread_create(&r->thread, NULL, writer, r);
	if (rc != 0) {
		error_errno(err, rc, "starting the login attempt writer");
		pthread_cond_destroy(&r->work);
		pthread_cond_destroy(&r->done);
		pthread_mutex_destroy(&r->mu);
		authdb_close(r->db);
		free(r->ring);
		free(r->batch);
		free(r);
		return NULL;
	}
	return r;
}

bool auth_recorder_add(struct auth_recorder *r, const struct auth_attempt *a)
{
	pthread_mutex_lock(&r->mu);
	bool ok = !r->stopping && r->count < AUTH_RECORDER_QUEUE;
	if (ok) {
		r->ring[(r->head + r->count) % AUTH_RECORDER_QUEUE] = *a;
		r->count++;
		r->queued_seq++;
		r->stats.queued++;
		pthread_cond_signal(&r->work);
	} else {
		r->stats.dropped++;
	}
	pthread_mutex_unlock(&r->mu);
	if (!ok)
		auth_attempt_log(r->pkg, a); /* not stored, but seen */
	return ok;
}

bool auth_recorder_flush(struct auth_recorder *r, int timeout_ms)
{
	struct timespec until = timespec_after_ms(CLOCK_MONOTONIC, timeout_ms);
	pthread_mutex_lock(&r->mu);
	uint64_t target = r->queued_seq;
	int rc = 0;
	while (r->done_seq < target && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&r->done, &r->mu, &until);
	bool ok = r->done_seq >= target;
	pthread_mutex_unlock(&r->mu);
	return ok;
}

void auth_recorder_stats(struct auth_recorder *r, struct auth_recorder_stats *out)
{
	pthread_mutex_lock(&r->mu);
	*out = r->stats;
	pthread_mutex_unlock(&r->mu);
}

void auth_recorder_stop(struct auth_recorder *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->stopping = true;
	pthread_cond_signal(&r->work);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->thread, NULL);
	authdb_close(r->db);
	pthread_cond_destroy(&r->work);
	pthread_cond_destroy(&r->done);
	pthread_mutex_destroy(&r->mu);
	free(r->ring);
	free(r->batch);
	free(r);
}
