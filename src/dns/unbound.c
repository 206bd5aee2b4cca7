#include "dns/unbound.h"

#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "dns/cache.h"
#include "dns/rdata.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unbound.h>
#include <unistd.h>

#define CLASS_IN 1
/* RFC 1035 4.1.1 response codes. */
#define RCODE_NOERROR  0
#define RCODE_SERVFAIL 2
#define RCODE_NXDOMAIN 3
#define RCODE_REFUSED  5

/* libunbound's library defaults (1 MB caches, 16 ports, 2 TCP buffers) suit a
 * desktop program; a mail server looks up many names for many connections. */
static const char *const ub_options[][2] = {
    {"msg-cache-size:", "8m"},
    {"rrset-cache-size:", "16m"},
    {"key-cache-size:", "4m"},
    {"neg-cache-size:", "1m"},
    {"outgoing-range:", "256"},
    {"outgoing-num-tcp:", "16"},
    /* Trust the upstream servers for nothing but transport: every answer is
     * checked against the trust anchor, and missing signatures in a signed
     * zone are bogus (the default, stated because it is the point). */
    {"harden-dnssec-stripped:", "yes"},
    /* libunbound answers the private reverse zones itself (RFC 6303); tern
     * asks the configured servers, as mox (through the system resolver)
     * does, so PTR records of a LAN resolve where the local DNS serves them. */
    {"unblock-lan-zones:", "yes"},
    {"insecure-lan-zones:", "yes"},
};

/* More of libunbound's own zones (RFC 6761) that tern leaves to the configured
 * servers for the same reason; only localhost and onion stay local. */
static const char *const unblocked_zones[] = {"test.", "invalid.", "home.arpa.",
					      "127.in-addr.arpa."};

struct ub_resolver {
	struct dns_resolver base; /* first */
	struct ub_ctx *ctx;
	pthread_t dispatcher;
	int stop_fd; /* eventfd: the dispatcher ends when it is readable */
	struct logger log;
};

/* One outstanding question; lives on the waiting caller's stack. */
struct ub_slot {
	struct ub_wait *wait;
	int async_id;
	bool done;
	int err;               /* UB_* error from libunbound, 0 on success */
	struct ub_result *res; /* freed by the caller after conversion */
};

/* What a caller waits on for its batch. */
struct ub_wait {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t pending;
};

static struct log_pkg *dns_log_pkg(void)
{
	return log_pkg("dns");
}

/* Called by libunbound inside ub_process on the dispatcher thread. After the
 * unlock the slot may be gone: the caller returns as soon as pending is 0. */
static void on_answer(void *arg, int err, struct ub_result *res)
{
	struct ub_slot *slot = arg;
	struct ub_wait *w = slot->wait;
	pthread_mutex_lock(&w->mu);
	slot->err = err;
	slot->res = res;
	slot->done = true;
	w->pending--;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void *dispatch(void *arg)
{
	struct ub_resolver *u = arg;
	struct pollfd fds[2] = {{ub_fd(u->ctx), POLLIN, 0}, {u->stop_fd, POLLIN, 0}};
	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error(&u->log, "dns dispatcher poll failed",
				  LS("error", strerror(errno)));
			return NULL;
		}
		if (fds[1].revents)
			return NULL;
		if (fds[0].revents) {
			int rc = ub_process(u->ctx);
			if (rc != 0)
				log_error(&u->log, "libunbound processing answers failed",
					  LS("error", ub_strerror(rc)));
		}
	}
}

static const char *rcode_name(int rcode)
{
	switch (rcode) {
	case RCODE_SERVFAIL: return "SERVFAIL";
	case RCODE_REFUSED: return "REFUSED";
	case 1: return "FORMERR";
	case 4: return "NOTIMP";
	default: return "an error";
	}
}

static bool convert_records(const struct dns_question *q, const struct ub_result *res,
			    struct arena *a, struct dns_result *out, struct error *err)
{
	size_t n = 0;
	while (res->data[n])
		n++;
	if (n > DNS_RECORDS_MAX) {
		n = DNS_RECORDS_MAX;
		out->truncated = true;
	}
	out->records = arena_array(a, n ? n : 1, sizeof *out->records);
	uint32_t ttl = res->ttl < 0 ? 0 : (uint32_t)res->ttl;
	for (size_t i = 0; i < n; i++)
		if (!dns_rdata_parse(q->type, (const uint8_t *)res->data[i], (size_t)res->len[i],
				     ttl, a, &out->records[i], err))
			return error_prefix(err, "malformed %s record", dns_type_name(q->type));
	out->count = n;
	return true;
}

static void set_canonical(const struct ub_result *res, struct arena *a, struct dns_result *out)
{
	char text[DNS_TEXT_NAME_MAX];
	if (res->canonname && dns_presentation_name_text(res->canonname, text, NULL))
		out->canonical = arena_strdup(a, text);
}

/* Turns libunbound's answer into a dns_result (see dns.h for the statuses). */
static void convert(const struct dns_question *q, const struct ub_slot *slot, struct arena *a,
		    struct dns_result *out)
{
	const struct ub_result *res = slot->res;
	if (slot->err != 0 || res == NULL) {
		dns_result_fail(out, DNS_TEMPFAIL, q->name, q->type, a,
				slot->err == UB_NOERROR
				    ? "no answer"
				    : arena_sprintf(a, "resolver: %s", ub_strerror(slot->err)));
		return;
	}
	if (res->bogus) {
		/* RFC 4035 5.5: never hand out bogus data. */
		dns_result_fail(out, DNS_BOGUS, q->name, q->type, a,
				res->why_bogus ? res->why_bogus : "DNSSEC validation failed");
		return;
	}
	if (res->rcode != RCODE_NOERROR && res->rcode != RCODE_NXDOMAIN) {
		dns_result_fail(out, DNS_TEMPFAIL, q->name, q->type, a,
				arena_sprintf(a, "server answered %s", rcode_name(res->rcode)));
		return;
	}
	dns_result_fail(out, DNS_NODATA, q->name, q->type, a, "");
	set_canonical(res, a, out);
	out->authenticated = res->secure != 0;
	out->ttl = res->ttl < 0 ? 0 : (uint32_t)res->ttl;
	if (res->rcode == RCODE_NXDOMAIN) {
		out->status = DNS_NXDOMAIN;
		return;
	}
	if (!res->havedata)
		return;
	struct error err = {0};
	if (!convert_records(q, res, a, out, &err)) {
		dns_result_fail(out, DNS_TEMPFAIL, q->name, q->type, a, err.msg);
		return;
	}
	out->status = DNS_OK;
}

/* Deadline passed: cancel what libunbound has not answered yet. A query whose
 * answer is already being delivered cannot be cancelled (UB_NOID); its callback
 * is imminent and the caller waits for it. Called with w->mu held; libunbound
 * never holds its own lock while calling on_answer, so this cannot deadlock. */
static void cancel_pending(struct ub_resolver *u, struct ub_wait *w, struct ub_slot *slots,
			   size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (slots[i].done || slots[i].async_id < 0)
			continue;
		if (ub_cancel(u->ctx, slots[i].async_id) == UB_NOERROR) {
			slots[i].done = true;
			slots[i].err = UB_NOERROR;
			slots[i].res = NULL;
			w->pending--;
		}
	}
}

static void submit(struct ub_resolver *u, const struct dns_question *qs, size_t n,
		   struct ub_wait *w, struct ub_slot *slots)
{
	for (size_t i = 0; i < n; i++) {
		slots[i] = (struct ub_slot){.wait = w, .async_id = -1};
		int rc = ub_resolve_async(u->ctx, qs[i].name, (int)qs[i].type, CLASS_IN, &slots[i],
					  on_answer, &slots[i].async_id);
		if (rc != 0) {
			slots[i].done = true;
			slots[i].err = rc;
			w->pending--;
		}
	}
}

static void ub_resolve_batch(struct dns_resolver *r, const struct dns_question *qs, size_t n,
			     int64_t deadline_ms, struct arena *a, struct dns_result *out)
{
	struct ub_resolver *u = (struct ub_resolver *)r;
	struct ub_slot slots[DNS_BATCH_MAX];
	struct ub_wait w = {.pending = n};
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w.cv, &attr);
	pthread_condattr_destroy(&attr);
	pthread_mutex_init(&w.mu, NULL);

	int64_t start = mono_ms();
	pthread_mutex_lock(&w.mu);
	submit(u, qs, n, &w, slots);
	bool timed_out = false;
	while (w.pending > 0) {
		if (timed_out) {
			pthread_cond_wait(&w.cv, &w.mu);
			continue;
		}
		int64_t left = deadline_ms - mono_ms();
		struct timespec ts = timespec_after_ms(CLOCK_MONOTONIC, left > 0 ? left : 0);
		if (left <= 0 || pthread_cond_timedwait(&w.cv, &w.mu, &ts) == ETIMEDOUT) {
			timed_out = true;
			cancel_pending(u, &w, slots, n);
		}
	}
	pthread_mutex_unlock(&w.mu);
	pthread_mutex_destroy(&w.mu);
	pthread_cond_destroy(&w.cv);

	int64_t ms = mono_ms() - start;
	for (size_t i = 0; i < n; i++) {
		convert(&qs[i], &slots[i], a, &out[i]);
		if (slots[i].res == NULL && slots[i].err == UB_NOERROR)
			out[i].why = arena_sprintf(a, "no answer within %lld ms", (long long)ms);
		ub_resolve_free(slots[i].res);
		log_trace(&u->log, "dns lookup", LS("name", qs[i].name),
			  LS("type", dns_type_name(qs[i].type)),
			  LS("status", dns_status_name(out[i].status)),
			  LB("authenticated", out[i].authenticated), LU("records", out[i].count),
			  LI("ms", ms), LS("why", out[i].why));
	}
}

static void ub_free(struct dns_resolver *r)
{
	struct ub_resolver *u = (struct ub_resolver *)r;
	uint64_t one = 1;
	if (write(u->stop_fd, &one, sizeof one) != sizeof one)
		log_error(&u->log, "stopping dns dispatcher failed", LS("error", strerror(errno)));
	pthread_join(u->dispatcher, NULL);
	close(u->stop_fd);
	ub_ctx_delete(u->ctx);
	free(u);
}

static const struct dns_resolver_ops ub_ops = {"unbound", ub_resolve_batch, ub_free};

const char *dns_unbound_anchor(const struct dns_unbound_opts *opts, char *path, size_t cap)
{
	const char *a = opts ? opts->trust_anchor : NULL;
	if (a == NULL)
		a = getenv(DNS_TRUST_ANCHOR_ENV);
	if (a == NULL || a[0] == '\0')
		a = DNS_ROOT_ANCHOR_FILE;
	if (strcmp(a, "none") == 0)
		return NULL;
	str_copy(path, cap, a);
	return path;
}

static bool ub_check(int rc, const char *what, struct error *err)
{
	if (rc == 0)
		return true;
	return error_set(err, ERR_INVALID, "%s: %s", what, ub_strerror(rc));
}

/* A file libunbound reads later (at the first lookup) is checked now, so a
 * missing one is a startup error with its name. */
static bool check_readable(const char *path, const char *what, struct error *err)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return error_errno(err, errno, "%s %s", what, path);
	fclose(f);
	return true;
}

static bool configure(struct ub_ctx *ctx, const struct dns_unbound_opts *opts, struct error *err)
{
	for (size_t i = 0; i < sizeof ub_options / sizeof ub_options[0]; i++)
		if (!ub_check(ub_ctx_set_option(ctx, ub_options[i][0], ub_options[i][1]),
			      ub_options[i][0], err))
			return false;
	char anchor[PATH_MAX];
	const char *anchor_text = dns_unbound_anchor(opts, anchor, sizeof anchor);
	if (anchor_text == NULL) {
		anchor_text = "none";
		/* No validator: every answer is insecure, none bogus. */
		if (!ub_check(ub_ctx_set_option(ctx, "module-config:", "iterator"), "module-config",
			      err))
			return false;
	} else if (!check_readable(anchor, "trust anchor", err) ||
		   !ub_check(ub_ctx_add_ta_file(ctx, anchor), anchor, err)) {
		return false;
	}
	const char *conf = opts && opts->resolv_conf ? opts->resolv_conf : "/etc/resolv.conf";
	if (!check_readable(conf, "resolver configuration", err) ||
	    !ub_check(ub_ctx_resolvconf(ctx, conf), conf, err))
		return false;
	/* Answers come through a background thread, not a forked process. */
	if (!ub_check(ub_ctx_async(ctx, 1), "async", err))
		return false;
	/* The first removal finalises the context: libunbound reads the trust
	 * anchor now (its own messages on stderr say what is wrong with it). */
	for (size_t i = 0; i < sizeof unblocked_zones / sizeof unblocked_zones[0]; i++) {
		int rc = ub_ctx_zone_remove(ctx, unblocked_zones[i]);
		if (rc != 0)
			return error_set(err, ERR_INVALID,
					 "setting up libunbound (trust anchor %s): %s", anchor_text,
					 ub_strerror(rc));
	}
	return true;
}

struct dns_resolver *dns_unbound_new(const struct dns_unbound_opts *opts, struct error *err)
{
	struct ub_ctx *ctx = ub_ctx_create();
	if (ctx == NULL) {
		error_set(err, ERR_INTERNAL, "libunbound: cannot create a context");
		return NULL;
	}
	if (!configure(ctx, opts, err)) {
		ub_ctx_delete(ctx);
		error_prefix(err, "dns resolver");
		return NULL;
	}
	struct ub_resolver *u = xcalloc(1, sizeof *u);
	u->base.ops = &ub_ops;
	u->base.timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : 0;
	u->ctx = ctx;
	u->log = (struct logger){dns_log_pkg(), 0};
	u->stop_fd = eventfd(0, EFD_CLOEXEC);
	int rc = u->stop_fd < 0 ? errno : pthread_create(&u->dispatcher, NULL, dispatch, u);
	if (rc != 0) {
		error_errno(err, rc, "dns resolver: starting its thread");
		if (u->stop_fd >= 0)
			close(u->stop_fd);
		ub_ctx_delete(ctx);
		free(u);
		return NULL;
	}
	if (opts && opts->no_result_cache)
		return &u->base;
	return dns_cache_new(&u->base, opts ? opts->cache_bytes : 0);
}
