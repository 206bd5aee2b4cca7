/*
 * netdemo: a small SMTP-like line server built on src/net, so integration
 * tests can drive the network core with real clients (openssl s_client,
 * Python's ssl module) over real sockets.
 *
 *   netdemo [-ip ADDR]... [-plain PORT] [-tls PORT] [-cert FILE -key FILE]...
 *           [-maxconn N] [-maxperip N] [-clientauth] [-alpn LIST] [-minversion V]
 *           [-notickets] [-linemax N] [-timeout MS] [-loglevel LEVEL]
 *
 * -plain serves plaintext with STARTTLS (when certificates are given), -tls
 * serves implicit TLS. Commands: EHLO/HELO, STARTTLS, NOOP, TLSINFO (reports
 * the TLS session), QUIT. A line longer than -linemax gets "500 line too
 * long" and the session continues; a bare LF gets a 500. When the server shuts
 * down (SIGTERM/SIGINT) idle clients get "421 shutting down". Once a second
 * the certificate files are checked for changes. "netdemo ready" is printed on
 * stdout once every listener is accepting.
 */
#include "base/log.h"
#include "base/str.h"
#include "net/conn.h"
#include "net/limits.h"
#include "net/listener.h"
#include "net/shutdown.h"
#include "net/tls.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEMO_MAX_ITEMS        16
#define DEMO_SKIP_MAX         (1024 * 1024) /* bytes of an overlong line we read past */
#define DEMO_SHUTDOWN_WAIT_MS 10000
#define DEMO_HANDSHAKE_MS     10000

struct opts {
	const char *ips[DEMO_MAX_ITEMS];
	size_t nips;
	struct tls_keypair pairs[DEMO_MAX_ITEMS];
	size_t ncerts, nkeys;
	const char *alpn[TLS_ALPN_MAX];
	size_t nalpn;
	char *alpn_copy;
	uint16_t plain_port, tls_port;
	unsigned maxconn, maxperip;
	bool clientauth, notickets;
	const char *minversion;
	size_t linemax;
	int timeout_ms;
	const char *loglevel;
};

/* What connection threads share; lives until every connection has ended. */
struct demo {
	struct tls_ctx *tls; /* NULL: no STARTTLS */
	size_t linemax;
	int timeout_ms;
};

__attribute__((noreturn)) static void usage(void)
{
	fprintf(stderr, "usage: netdemo [-ip ADDR]... [-plain PORT] [-tls PORT] "
			"[-cert FILE -key FILE]... [-maxconn N] [-maxperip N] [-clientauth] "
			"[-alpn a,b] [-minversion TLSv1.2|TLSv1.3] [-notickets] [-linemax N] "
			"[-timeout MS] [-loglevel LEVEL]\n");
	exit(2);
}

static uint64_t number(const char *s, uint64_t max)
{
	uint64_t v;
	if (!s || !str_parse_u64(str_from(s), max, &v))
		usage();
	return v;
}

static void add(const char **list, size_t *n, const char *v)
{
	if (!v || *n >= DEMO_MAX_ITEMS)
		usage();
	list[(*n)++] = v;
}

static void parse_alpn(struct opts *o, const char *list)
{
	if (!list)
		usage();
	o->alpn_copy = strdup(list);
	char *save = NULL;
	for (char *p = strtok_r(o->alpn_copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		if (o->nalpn >= TLS_ALPN_MAX)
			usage();
		o->alpn[o->nalpn++] = p;
	}
}

static void parse_flag(struct opts *o, const char *f, const char *v, int *used)
{
	*used = 1;
	if (strcmp(f, "-ip") == 0)
		add(o->ips, &o->nips, v);
	else if (strcmp(f, "-plain") == 0)
		o->plain_port = (uint16_t)number(v, 65535);
	else if (strcmp(f, "-tls") == 0)
		o->tls_port = (uint16_t)number(v, 65535);
	else if (strcmp(f, "-cert") == 0 && v && o->ncerts < DEMO_MAX_ITEMS)
		o->pairs[o->ncerts++].cert_file = v;
	else if (strcmp(f, "-key") == 0 && v && o->nkeys < DEMO_MAX_ITEMS)
		o->pairs[o->nkeys++].key_file = v;
	else if (strcmp(f, "-maxconn") == 0)
		o->maxconn = (unsigned)number(v, 1000000);
	else if (strcmp(f, "-maxperip") == 0)
		o->maxperip = (unsigned)number(v, 1000000);
	else if (strcmp(f, "-alpn") == 0)
		parse_alpn(o, v);
	else if (strcmp(f, "-minversion") == 0 && v)
		o->minversion = v;
	else if (strcmp(f, "-linemax") == 0)
		o->linemax = (size_t)number(v, 1024 * 1024);
	else if (strcmp(f, "-timeout") == 0)
		o->timeout_ms = (int)number(v, 3600 * 1000);
	else if (strcmp(f, "-loglevel") == 0 && v)
		o->loglevel = v;
	else if (strcmp(f, "-clientauth") == 0)
		o->clientauth = true;
	else if (strcmp(f, "-notickets") == 0)
		o->notickets = true;
	else
		usage();
	if (strcmp(f, "-clientauth") == 0 || strcmp(f, "-notickets") == 0)
		*used = 0; /* flags without a value */
}

static void parse(struct opts *o, int argc, char **argv)
{
	*o = (struct opts){.linemax = 512, .timeout_ms = 60000, .loglevel = "info"};
	for (int i = 1; i < argc; i++) {
		int used;
		parse_flag(o, argv[i], i + 1 < argc ? argv[i + 1] : NULL, &used);
		i += used;
	}
	if (o->nips == 0)
		o->ips[o->nips++] = "127.0.0.1";
	if (o->ncerts != o->nkeys || (!o->plain_port && !o->tls_port) ||
	    (o->tls_port && !o->ncerts))
		usage();
}

/* ---- the protocol ---- */

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static bool tlsinfo(struct conn *c, struct error *err)
{
	const struct tls_info *t = conn_tls(c);
	if (!t)
		return conn_puts(c, "250 tls=none\r\n", err);
	return conn_printf(c, err, "250 version=%s cipher=%s sni=%s alpn=%s clientfp=%s\r\n",
			   t->version, t->cipher, or_dash(t->sni), or_dash(t->alpn),
			   or_dash(t->client_fp));
}

static bool ehlo(struct conn *c, const struct demo *d, struct error *err)
{
	bool offer_tls = d->tls && !conn_tls(c);
	return conn_puts(c, "250-netdemo\r\n250-PIPELINING\r\n", err) &&
	       (!offer_tls || conn_puts(c, "250-STARTTLS\r\n", err)) &&
	       conn_puts(c, "250 8BITMIME\r\n", err);
}

/* RFC 3207 4: reply, then the handshake; false ends the session. */
static bool starttls(struct conn *c, const struct demo *d, struct error *err)
{
	if (!d->tls || conn_tls(c))
		return conn_puts(c, "503 5.5.1 tls not available\r\n", err);
	if (conn_starttls(c, d->tls, "220 go ahead\r\n", DEMO_HANDSHAKE_MS, err))
		return true;
	log_info(conn_log(c), "starttls failed", LE(err));
	return false;
}

/* One command; false ends the session (after QUIT, or when the client is gone). */
static bool command(struct conn *c, const struct demo *d, struct str line, bool *quit,
		    struct error *err)
{
	struct str verb = line, rest;
	str_cut(line, ' ', &verb, &rest);
	if (str_eqi_cstr(verb, "EHLO") || str_eqi_cstr(verb, "HELO"))
		return ehlo(c, d, err);
	if (str_eqi_cstr(verb, "STARTTLS"))
		return starttls(c, d, err);
	if (str_eqi_cstr(verb, "NOOP"))
		return conn_puts(c, "250 ok\r\n", err);
	if (str_eqi_cstr(verb, "TLSINFO"))
		return tlsinfo(c, err);
	if (str_eqi_cstr(verb, "QUIT")) {
		*quit = true;
		return conn_puts(c, "221 bye\r\n", err);
	}
	return conn_puts(c, "500 unknown command\r\n", err);
}

/* Reads the next command line, answering protocol-level problems itself. */
static bool next_line(struct conn *c, const struct demo *d, struct str *line, bool *retry,
		      struct error *err)
{
	enum conn_eol eol;
	*retry = false;
	if (conn_read_line(c, d->linemax, line, &eol, err)) {
		if (eol == CONN_EOL_CRLF)
			return true;
		*retry = true; /* RFC 5321 2.3.8: lines end in CRLF */
		return conn_puts(c, "500 5.5.2 bare LF not allowed\r\n", err);
	}
	if (err->kind == ERR_LIMIT) {
		*retry = conn_puts(c, "500 line too long\r\n", err) && conn_flush(c, err) &&
			 conn_skip_line(c, DEMO_SKIP_MAX, err);
		return *retry;
	}
	if (err->kind == ERR_SHUTDOWN)
		conn_puts(c, "421 shutting down\r\n", NULL);
	else if (err->kind == ERR_TIMEOUT)
		conn_puts(c, "421 timeout\r\n", NULL);
	return false;
}

static void serve_demo(struct conn *c, void *arg)
{
	const struct demo *d = arg;
	struct error err;
	conn_set_timeouts(c, d->timeout_ms, d->timeout_ms);
	if (!conn_puts(c, "220 netdemo ready\r\n", &err) || !conn_flush(c, &err))
		return;
	bool quit = false;
	while (!quit) {
		struct str line;
		bool retry;
		bool ok = next_line(c, d, &line, &retry, &err);
		if (ok && !retry)
			ok = command(c, d, line, &quit, &err);
		/* Pipelined commands get their replies together (RFC 2920 3.2). */
		if (!ok || (conn_buffered(c) == 0 && !conn_flush(c, &err))) {
			if (err.kind != ERR_SHUTDOWN && err.kind != ERR_TIMEOUT)
				log_debug(conn_log(c), "session ended", LE(&err));
			return;
		}
	}
	conn_flush(c, NULL);
}

/* ---- the server ---- */

static struct tls_ctx *make_tls(const struct opts *o)
{
	if (o->ncerts == 0)
		return NULL;
	struct tls_config cfg = {
	    .pairs = o->pairs,
	    .npairs = o->ncerts,
	    .min_version = o->minversion,
	    .alpn = o->alpn,
	    .nalpn = o->nalpn,
	    .client_auth = o->clientauth,
	    .no_session_tickets = o->notickets,
	};
	struct error err;
	struct tls_ctx *t = tls_ctx_new(&cfg, &err);
	if (!t) {
		fprintf(stderr, "netdemo: %s\n", err.msg);
		exit(1);
	}
	return t;
}

static struct listener *listen_on(const struct opts *o, const char *name, uint16_t port,
				  struct tls_ctx *implicit, struct limits *lim, struct demo *d)
{
	struct listener_config cfg = {
	    .name = name,
	    .protocol = "demo",
	    .ips = o->ips,
	    .nips = o->nips,
	    .port = port,
	    .serve = serve_demo,
	    .arg = d,
	    .tls = implicit,
	    .handshake_timeout_ms = DEMO_HANDSHAKE_MS,
	    .refusal = "421 4.7.0 too many connections\r\n",
	    .limits = lim,
	    .pkg = log_pkg("netdemo"),
	};
	struct error err;
	struct listener *l = listener_bind(&cfg, &err);
	if (!l || !listener_start(l, &err)) {
		fprintf(stderr, "netdemo: %s\n", err.msg);
		exit(1);
	}
	return l;
}

/* Waits for SIGTERM/SIGINT, checking certificate files once a second. */
static int wait_for_signal(const sigset_t *set, struct tls_ctx *tls)
{
	const struct timespec tick = {1, 0};
	for (;;) {
		int sig = sigtimedwait(set, NULL, &tick);
		if (sig > 0)
			return sig;
		if (sig < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (tls)
			tls_ctx_reload(tls);
	}
}

int main(int argc, char **argv)
{
	struct opts o;
	parse(&o, argc, argv);
	enum log_level level;
	if (!log_level_parse(o.loglevel, &level))
		usage();
	log_set_default_level(level);
	/* Blocked before any thread starts, so only sigtimedwait below sees them. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	struct tls_ctx *tls = make_tls(&o);
	struct limits *lim = o.maxconn || o.maxperip ? limits_new(o.maxconn, o.maxperip) : NULL;
	struct demo d = {tls, o.linemax, o.timeout_ms};
	struct listener *plain =
	    o.plain_port ? listen_on(&o, "plain", o.plain_port, NULL, lim, &d) : NULL;
	struct listener *implicit =
	    o.tls_port ? listen_on(&o, "tls", o.tls_port, tls, lim, &d) : NULL;
	printf("netdemo ready\n");
	fflush(stdout);

	struct logger lg = {log_pkg("netdemo"), 0};
	int sig = wait_for_signal(&set, tls);
	log_info(&lg, "shutting down", LI("signal", sig));
	net_shutdown_begin();
	size_t left = net_shutdown_wait(DEMO_SHUTDOWN_WAIT_MS);
	log_info(&lg, "stopped", LU("connections_left", left));
	listener_free(plain);
	listener_free(implicit);
	limits_unref(lim);
	tls_ctx_unref(tls);
	free(o.alpn_copy);
	return left == 0 ? 0 : 1;
}
