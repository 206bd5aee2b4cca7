/*
 * IMAP sessions driven over socketpairs by transcripts in
 * tests/data/imap/transcripts/ (as tests/data/smtp/ does for SMTP): each file
 * lists what clients send and the lines they must get back, against a real
 * message store in a fresh data directory and the real authentication
 * service (every account's password is "secret", derived with cheap costs).
 *
 * Transcript lines (N is a connection number 1..4; "C:" means "C1:"):
 *   @option [value]       setup before the first step (see apply_option)
 *   CN: text              client N sends text CRLF (its connection opens on first use)
 *   RN: text              client N sends text raw, with \r \n \t \\ \0 \xNN escapes
 *   SN: pattern           client N's next line matches pattern: literal text in which
 *                         {*} matches any run of characters (IMAP lines start with "*")
 *   XN:                   the server closes connection N
 *   N: acct|mbox|flags|t  a delivery from outside the sessions (as SMTP would make it):
 *                         text t (escapes as R:) with flags "\Seen kw" (may be empty)
 *   # ...                 comment
 */
#include "auth/credentials.h"
#include "auth/service.h"
#include "base/buf.h"
#include "base/mem.h"
#include "config/config.h"
#include "imap/server_internal.h"
#include "net/conn.h"
#include "store/cfgopen.h"
#include "store/store.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define TRANSCRIPTS "tests/data/imap/transcripts"
#define CONF        "tests/data/imap/conf/tern.conf"
#define CONNS_MAX   4
#define PASSWORD    "secret"

static const struct auth_kdf_params cheap = {1, 8192, 4096, 4096};

struct tconn {
	bool started;
	int peer;
	pthread_t thread;
	struct conn *c;
	const struct imap_service *svc;
	char rbuf[256 * 1024];
	size_t rlen;
};

struct run {
	struct config *config;
	struct auth_service_once *auth;
	struct imap_server *server;
	struct imap_service svc;
	struct tconn conns[CONNS_MAX];
	const char *file;
	int lineno;
};

static void *server_thread(void *arg)
{
	struct tconn *t = arg;
	imap_serve(t->c, t->svc);
	conn_close(t->c);
	return NULL;
}

static void unescape(const char *s, struct buf *out)
{
	for (; *s; s++) {
		if (*s != '\\' || !s[1]) {
			buf_putc(out, *s);
			continue;
		}
		s++;
		switch (*s) {
		case 'r': buf_putc(out, '\r'); break;
		case 'n': buf_putc(out, '\n'); break;
		case 't': buf_putc(out, '\t'); break;
		case '0': buf_putc(out, '\0'); break;
		case 'x': {
			char hex[3] = {s[1], s[2], 0};
			buf_putc(out, (char)strtol(hex, NULL, 16));
			s += 2;
			break;
		}
		default: buf_putc(out, *s); break;
		}
	}
}

/* Literal text with "{*}" matching any run of characters. */
static bool match(const char *pat, const char *s)
{
	const char *star = strstr(pat, "{*}");
	if (!star)
		return strcmp(pat, s) == 0;
	size_t pre = (size_t)(star - pat);
	if (strncmp(pat, s, pre) != 0)
		return false;
	for (const char *t = s + pre;; t++) {
		if (match(star + 3, t))
			return true;
		if (!*t)
			return false;
	}
}

static void start_conn(struct run *r, struct tconn *t)
{
	int fds[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	t->peer = fds[1];
	/* A transcript that waits for a line that never comes fails after a while. */
	struct timeval tv = {.tv_sec = 20};
	setsockopt(t->peer, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	t->c = conn_new(fds[0], NULL);
	t->svc = &r->svc;
	t->started = true;
	cr_assert_eq(pthread_create(&t->thread, NULL, server_thread, t), 0);
}

static void send_all(struct run *r, struct tconn *t, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(t->peer, p, n);
		cr_assert_gt(w, 0, "%s:%d: write failed", r->file, r->lineno);
		p += w;
		n -= (size_t)w;
	}
}

/* One line (without CRLF) into line; false on EOF. */
static bool read_line(struct run *r, struct tconn *t, char *line, size_t cap)
{
	for (;;) {
		char *nl = memchr(t->rbuf, '\n', t->rlen);
		if (nl) {
			size_t n = (size_t)(nl - t->rbuf) + 1;
			size_t len = n >= 2 && t->rbuf[n - 2] == '\r' ? n - 2 : n - 1;
			cr_assert_lt(len, cap, "%s:%d: line too long", r->file, r->lineno);
			memcpy(line, t->rbuf, len);
			line[len] = '\0';
			memmove(t->rbuf, t->rbuf + n, t->rlen - n);
			t->rlen -= n;
			return true;
		}
		cr_assert_lt(t->rlen, sizeof t->rbuf, "%s:%d: line too long", r->file, r->lineno);
		ssize_t got = read(t->peer, t->rbuf + t->rlen, sizeof t->rbuf - t->rlen);
		if (got <= 0)
			return false;
		t->rlen += (size_t)got;
	}
}

static void apply_option(struct run *r, const char *opt)
{
	if (strcmp(opt, "requiretls") == 0)
		r->svc.no_require_starttls = false;
	else if (strncmp(opt, "inprogress ", 11) == 0)
		imap_server_set_inprogress_ms(r->server, atoi(opt + 11));
	else if (strncmp(opt, "accountmax ", 11) == 0)
		imap_server_set_account_max(r->server, atoi(opt + 11));
	else
		cr_assert_fail("%s:%d: unknown option %s", r->file, r->lineno, opt);
}

/* N: account|mailbox|flags|text */
static void deliver(struct run *r, const char *spec)
{
	char *copy = xstrdup(spec);
	char *fields[4];
	char *p = copy;
	for (int i = 0; i < 3; i++) {
		fields[i] = p;
		p = strchr(p, '|');
		cr_assert(p, "%s:%d: N: account|mailbox|flags|text", r->file, r->lineno);
		*p++ = '\0';
	}
	fields[3] = p;
	struct buf msg = BUF_INIT;
	unescape(fields[3], &msg);
	struct arena ar;
	arena_init(&ar, 4096);
	const char *names[16];
	size_t nnames = 0;
	for (char *save = NULL, *w = strtok_r(fields[2], " ", &save); w && nnames < 16;
	     w = strtok_r(NULL, " ", &save))
		names[nnames++] = w;
	struct store_target t = {.mailbox_name = fields[1]};
	struct error err;
	cr_assert(store_keywords_make(names, nnames, &ar, &t.flags, &t.keywords, &err), "%s:%d: %s",
		  r->file, r->lineno, err.msg);
	struct config_dynamic *dyn = config_dynamic_get(r->config);
	struct store_account *a;
	int64_t quota;
	cr_assert(store_account_open_configured(config_static(r->config), dyn->d, fields[0], &a,
						&quota, &err),
		  "%s:%d: %s", r->file, r->lineno, err.msg);
	config_dynamic_put(dyn);
	struct store_delivery d = {.data = msg.data, .len = msg.len, .targets = &t, .ntargets = 1};
	cr_assert(store_deliver(a, &d, &err), "%s:%d: deliver: %s", r->file, r->lineno, err.msg);
	store_account_close(a);
	arena_free(&ar);
	buf_free(&msg);
	free(copy);
}

/* "C:", "C2:", ...: the kind letter and the connection. */
static struct tconn *step_conn(struct run *r, const char *line, char *kind, const char **rest)
{
	*kind = line[0];
	int n = 1;
	const char *p = line + 1;
	if (*p >= '1' && *p <= '0' + CONNS_MAX)
		n = *p++ - '0';
	cr_assert(*p == ':', "%s:%d: bad transcript line %s", r->file, r->lineno, line);
	p++;
	if (*p == ' ')
		p++;
	*rest = p;
	return &r->conns[n - 1];
}

static void step(struct run *r, const char *line)
{
	if (strncmp(line, "N: ", 3) == 0) {
		deliver(r, line + 3);
		return;
	}
	char kind;
	const char *rest;
	struct tconn *t = step_conn(r, line, &kind, &rest);
	if (!t->started)
		start_conn(r, t);
	struct buf b = BUF_INIT;
	static char got[256 * 1024];
	switch (kind) {
	case 'C':
		buf_puts(&b, rest);
		buf_puts(&b, "\r\n");
		send_all(r, t, b.data, b.len);
		break;
	case 'R':
		unescape(rest, &b);
		send_all(r, t, b.data, b.len);
		break;
	case 'S':
		cr_assert(read_line(r, t, got, sizeof got), "%s:%d: connection closed, want %s",
			  r->file, r->lineno, rest);
		cr_assert(match(rest, got), "%s:%d:\n got: %s\nwant: %s", r->file, r->lineno, got,
			  rest);
		break;
	case 'X':
		cr_assert(!read_line(r, t, got, sizeof got), "%s:%d: want close, got \"%s\"",
			  r->file, r->lineno, got);
		break;
	default: cr_assert_fail("%s:%d: bad transcript line %s", r->file, r->lineno, line);
	}
	buf_free(&b);
}

/* Every account of the config gets the password PASSWORD. */
static void set_passwords(struct run *r)
{
	struct auth_credentials cred;
	struct error err;
	cr_assert(auth_credentials_derive(PASSWORD, strlen(PASSWORD), &cheap, &cred, &err), "%s",
		  err.msg);
	struct buf blob = BUF_INIT;
	auth_credentials_serialize(&cred, &blob);
	auth_credentials_wipe(&cred);
	struct config_dynamic *dyn = config_dynamic_get(r->config);
	for (size_t i = 0; i < dyn->d->accounts.n; i++) {
		struct store_account *a;
		int64_t quota;
		cr_assert(store_account_open_configured(config_static(r->config), dyn->d,
							dyn->d->accounts.keys[i], &a, &quota, &err),
			  "%s", err.msg);
		cr_assert(store_account_credentials_set(a, blob.data, blob.len, &err), "%s",
			  err.msg);
		store_account_close(a);
	}
	config_dynamic_put(dyn);
	buf_free(&blob);
}

static void end_conns(struct run *r)
{
	for (int i = 0; i < CONNS_MAX; i++) {
		struct tconn *t = &r->conns[i];
		if (!t->started)
			continue;
		shutdown(t->peer, SHUT_WR);
		char tmp[4096];
		while (read(t->peer, tmp, sizeof tmp) > 0)
			;
		pthread_join(t->thread, NULL);
		conn_free(t->c);
		close(t->peer);
	}
}

static void run_transcript(struct config *config, const char *path)
{
	const char *datadir = config_static(config)->datadir;
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", datadir);
	cr_assert_eq(system(cmd), 0);
	struct run *r = xcalloc(1, sizeof *r);
	r->file = path;
	r->config = config;
	struct auth_service_config ac = {
	    .datadir = datadir,
	    .hostname = "mail.test.example",
	    .credentials = store_credentials_lookup,
	    .credentials_arg = config,
	    .kdf = &cheap,
	};
	r->auth = auth_service_once_new(&ac, "auth");
	r->server = imap_server_new(config, r->auth);
	r->svc = (struct imap_service){
	    .server = r->server, .listener = "test", .no_require_starttls = true};
	set_passwords(r);
	FILE *f = fopen(path, "r");
	cr_assert(f, "open %s", path);
	char line[16384];
	bool started = false;
	while (fgets(line, sizeof line, f)) {
		r->lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (line[0] == '@') {
			cr_assert(!started, "%s:%d: options come first", path, r->lineno);
			apply_option(r, line + 1);
			continue;
		}
		started = true;
		step(r, line);
	}
	fclose(f);
	end_conns(r);
	imap_server_free(r->server);
	auth_service_once_free(r->auth);
	free(r);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

Test(imap_session, transcripts, .timeout = 300)
{
	struct error err;
	struct config *config = config_load(CONF, &err);
	cr_assert(config, "loading %s: %s", CONF, err.msg);
	const char *only = getenv("IMAP_TRANSCRIPT");
	struct dirent **names;
	int n = scandir(TRANSCRIPTS, &names, NULL, by_name);
	cr_assert_gt(n, 0, "no transcripts in %s", TRANSCRIPTS);
	int ran = 0;
	for (int i = 0; i < n; i++) {
		size_t len = strlen(names[i]->d_name);
		bool is_txt = len > 4 && strcmp(names[i]->d_name + len - 4, ".txt") == 0;
		if (is_txt && (!only || strstr(names[i]->d_name, only))) {
			char path[512];
			snprintf(path, sizeof path, "%s/%s", TRANSCRIPTS, names[i]->d_name);
			run_transcript(config, path);
			ran++;
		}
		free(names[i]);
	}
	free(names);
	cr_assert_gt(ran, 0);
	config_free(config);
}
