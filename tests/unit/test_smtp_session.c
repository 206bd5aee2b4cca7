/*
 * SMTP sessions driven over a socketpair by transcripts in tests/data/smtp/
 * (the Postfix smtpd_check style): each file lists what the client sends and
 * the replies it must get, with a test store and a test SASL table plugged
 * into the seams. Transcript lines:
 *   @option [value]   session setup before the first line (see apply_option)
 *   C: text           client sends text CRLF
 *   R: text           client sends text raw, with \r \n \t \\ \xNN escapes
 *   S: pattern        next reply line matches pattern (fnmatch: * and ?)
 *   X:                the server closes the connection
 *   D: n              n deliveries so far in this transcript
 *   M: a|b|text       the last delivery went to account a, mailbox b and contains text
 *   # ...             comment
 */
#include "base/buf.h"
#include "base/mem.h"
#include "config/config.h"
#include "net/conn.h"
#include "smtp/server.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TRANSCRIPTS "tests/data/smtp/transcripts"
#define CONF        "tests/data/smtp/conf/tern.conf"

/* ---- a store that keeps deliveries in memory ---- */

struct stored {
	char account[64];
	char mailbox[64];
	struct buf msg;
};

struct test_store {
	pthread_mutex_t mu;
	struct stored v[64];
	size_t n;
	bool fail_quota;
};

static bool test_deliver(void *arg, const struct smtp_delivery *d, struct error *err)
{
	struct test_store *ts = arg;
	if (ts->fail_quota)
		return error_set(err, ERR_LIMIT, "over quota");
	pthread_mutex_lock(&ts->mu);
	bool ok = ts->n < 64;
	if (ok) {
		struct stored *s = &ts->v[ts->n++];
		str_copy(s->account, sizeof s->account, d->account);
		str_copy(s->mailbox, sizeof s->mailbox, d->mailbox);
		buf_init(&s->msg);
		buf_append(&s->msg, d->prefix, d->prefix_len);
		char tmp[4096];
		for (uint64_t off = 0; off < d->size;) {
			ssize_t r = pread(d->fd, tmp, sizeof tmp, (off_t)off);
			cr_assert_gt(r, 0);
			buf_append(&s->msg, tmp, (size_t)r);
			off += (uint64_t)r;
		}
	}
	pthread_mutex_unlock(&ts->mu);
	return ok || error_set(err, ERR_IO, "test store full");
}

/* ---- SASL PLAIN for mjl@test.example / secret, EXTERNAL never ---- */

struct plain_ex {
	int round;
};

static void test_mechs(void *arg, const struct smtp_sasl_env *env, struct buf *out)
{
	(void)arg;
	(void)env;
	buf_puts(out, "PLAIN");
}

static void *test_start(void *arg, const char *mech, const struct smtp_sasl_env *env,
			struct error *err)
{
	(void)arg;
	(void)env;
	if (strcmp(mech, "PLAIN") != 0) {
		error_set(err, ERR_NOTFOUND, "unknown mechanism");
		return NULL;
	}
	return xcalloc(1, sizeof(struct plain_ex));
}

static enum smtp_sasl_status test_step(void *ex, const uint8_t *in, size_t n, bool have_input,
				       struct buf *out, struct smtp_login *login, struct error *err)
{
	struct plain_ex *p = ex;
	(void)out;
	if (!have_input && p->round++ == 0)
		return SMTP_SASL_CONTINUE;
	/* authzid NUL authcid NUL password */
	const char *a = memchr(in, 0, n);
	const char *b = a ? memchr(a + 1, 0, n - (size_t)(a + 1 - (const char *)in)) : NULL;
	if (!b) {
		error_set(err, ERR_INVALID, "expected three fields");
		return SMTP_SASL_SYNTAX;
	}
	size_t userlen = (size_t)(b - a - 1);
	size_t passlen = n - (size_t)(b + 1 - (const char *)in);
	snprintf(login->username, sizeof login->username, "%.*s", (int)userlen, a + 1);
	if (strcmp(login->username, "mjl@test.example") == 0 && passlen == 6 &&
	    memcmp(b + 1, "secret", 6) == 0) {
		str_copy(login->account, sizeof login->account, "mjl");
		return SMTP_SASL_OK;
	}
	return SMTP_SASL_BAD_CREDS;
}

static void test_end(void *ex)
{
	free(ex);
}

static const struct smtp_sasl_ops test_sasl = {test_mechs, test_start, test_step,
					       test_end,   NULL,       NULL};

/* ---- the transcript runner ---- */

struct run {
	struct config *config;
	struct test_store store;
	struct smtp_delivery_ops ops;
	struct smtp_server_config cfg;
	int peer;
	pthread_t server;
	struct conn *c;
	struct smtp_sendlimits *limits;
	char rbuf[65536];
	size_t rlen;
	const char *file;
	int lineno;
};

static void *server_thread(void *arg)
{
	struct run *r = arg;
	smtp_serve(r->c, &r->cfg);
	conn_close(r->c);
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

static void send_all(struct run *r, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(r->peer, p, n);
		cr_assert_gt(w, 0, "%s:%d: write failed", r->file, r->lineno);
		p += w;
		n -= (size_t)w;
	}
}

/* Reads one reply line (without CRLF) into line; false on EOF. */
static bool read_reply_line(struct run *r, char *line, size_t cap)
{
	for (;;) {
		char *nl = memchr(r->rbuf, '\n', r->rlen);
		if (nl) {
			size_t n = (size_t)(nl - r->rbuf) + 1;
			size_t len = n >= 2 && r->rbuf[n - 2] == '\r' ? n - 2 : n - 1;
			cr_assert_lt(len, cap);
			memcpy(line, r->rbuf, len);
			line[len] = '\0';
			memmove(r->rbuf, r->rbuf + n, r->rlen - n);
			r->rlen -= n;
			return true;
		}
		cr_assert_lt(r->rlen, sizeof r->rbuf, "%s:%d: reply line too long", r->file,
			     r->lineno);
		ssize_t got = read(r->peer, r->rbuf + r->rlen, sizeof r->rbuf - r->rlen);
		if (got <= 0)
			return false;
		r->rlen += (size_t)got;
	}
}

static void apply_option(struct run *r, const char *opt)
{
	if (strcmp(opt, "submission") == 0) {
		r->cfg.submission = true;
		r->cfg.sasl = &test_sasl;
	} else if (strcmp(opt, "nosasl") == 0)
		r->cfg.sasl = NULL;
	else if (strcmp(opt, "nostore") == 0)
		r->cfg.delivery = NULL;
	else if (strcmp(opt, "localserve") == 0) {
		r->cfg.localserve = true;
		r->cfg.localserve_account = "mjl";
		r->cfg.localserve_destination = "mjl@test.example";
	} else if (strncmp(opt, "maxsize ", 8) == 0)
		r->cfg.max_message_size = strtoull(opt + 8, NULL, 10);
	else if (strcmp(opt, "quotafull") == 0)
		r->store.fail_quota = true;
	else if (strcmp(opt, "sendlimits") == 0)
		r->cfg.sendlimits = r->limits = smtp_sendlimits_new();
	else if (strcmp(opt, "futurerelease") == 0)
		r->cfg.future_release = true;
	else if (strncmp(opt, "timeout ", 8) == 0)
		r->cfg.cmd_timeout_ms = r->cfg.data_timeout_ms = atoi(opt + 8);
	else
		cr_assert_fail("%s:%d: unknown option %s", r->file, r->lineno, opt);
}

static void start(struct run *r)
{
	int fds[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	r->peer = fds[1];
	r->c = conn_new(fds[0], NULL);
	cr_assert_eq(pthread_create(&r->server, NULL, server_thread, r), 0);
}

static void check_delivery(struct run *r, const char *spec)
{
	char account[64], mailbox[64];
	const char *bar1 = strchr(spec, '|');
	const char *bar2 = bar1 ? strchr(bar1 + 1, '|') : NULL;
	cr_assert(bar2, "%s:%d: M: account|mailbox|text", r->file, r->lineno);
	snprintf(account, sizeof account, "%.*s", (int)(bar1 - spec), spec);
	snprintf(mailbox, sizeof mailbox, "%.*s", (int)(bar2 - bar1 - 1), bar1 + 1);
	struct buf want = BUF_INIT;
	unescape(bar2 + 1, &want);
	pthread_mutex_lock(&r->store.mu);
	cr_assert_gt(r->store.n, 0, "%s:%d: nothing delivered", r->file, r->lineno);
	struct stored *s = &r->store.v[r->store.n - 1];
	cr_assert_str_eq(s->account, account, "%s:%d", r->file, r->lineno);
	cr_assert_str_eq(s->mailbox, mailbox, "%s:%d", r->file, r->lineno);
	cr_assert(memmem(s->msg.data, s->msg.len, want.data, want.len), "%s:%d: %s not in\n%s",
		  r->file, r->lineno, buf_cstr(&want), buf_cstr(&s->msg));
	pthread_mutex_unlock(&r->store.mu);
	buf_free(&want);
}

static void step(struct run *r, char *line)
{
	char got[4096];
	struct buf b = BUF_INIT;
	if (strncmp(line, "C: ", 3) == 0 || strcmp(line, "C:") == 0) {
		buf_puts(&b, line[2] ? line + 3 : "");
		buf_puts(&b, "\r\n");
		send_all(r, b.data, b.len);
	} else if (strncmp(line, "R: ", 3) == 0) {
		unescape(line + 3, &b);
		send_all(r, b.data, b.len);
	} else if (strncmp(line, "S: ", 3) == 0) {
		cr_assert(read_reply_line(r, got, sizeof got), "%s:%d: connection closed, want %s",
			  r->file, r->lineno, line + 3);
		cr_assert(fnmatch(line + 3, got, 0) == 0, "%s:%d: got \"%s\", want \"%s\"", r->file,
			  r->lineno, got, line + 3);
	} else if (strncmp(line, "X:", 2) == 0) {
		bool more = read_reply_line(r, got, sizeof got);
		cr_assert(!more, "%s:%d: want close, got \"%s\"", r->file, r->lineno, got);
	} else if (strncmp(line, "D: ", 3) == 0) {
		pthread_mutex_lock(&r->store.mu);
		size_t n = r->store.n;
		pthread_mutex_unlock(&r->store.mu);
		cr_assert_eq(n, strtoul(line + 3, NULL, 10), "%s:%d: %zu deliveries", r->file,
			     r->lineno, n);
	} else if (strncmp(line, "M: ", 3) == 0) {
		check_delivery(r, line + 3);
	} else {
		cr_assert_fail("%s:%d: bad transcript line %s", r->file, r->lineno, line);
	}
	buf_free(&b);
}

static void run_transcript(struct config *config, const char *path)
{
	struct run *r = xcalloc(1, sizeof *r);
	pthread_mutex_init(&r->store.mu, NULL);
	r->file = path;
	r->ops = (struct smtp_delivery_ops){test_deliver, &r->store};
	r->cfg = (struct smtp_server_config){
	    .listener = "test",
	    .max_message_size = 10000,
	    .config = config,
	    .spool_dir = "build",
	    .delivery = &r->ops,
	    .requiretls = true,
	    .cmd_timeout_ms = 5000,
	    .data_timeout_ms = 5000,
	};
	struct error err;
	cr_assert(dns_domain_parse_cstr("mail.test.example", 0, &r->cfg.hostname, &err));
	FILE *f = fopen(path, "r");
	cr_assert(f, "open %s", path);
	char line[8192];
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
		if (!started) {
			start(r);
			started = true;
		}
		step(r, line);
	}
	fclose(f);
	if (started) {
		shutdown(r->peer, SHUT_WR);
		char tmp[4096];
		while (read(r->peer, tmp, sizeof tmp) > 0)
			;
		pthread_join(r->server, NULL);
		conn_free(r->c);
		close(r->peer);
	}
	for (size_t i = 0; i < r->store.n; i++)
		buf_free(&r->store.v[i].msg);
	smtp_sendlimits_free(r->limits);
	pthread_mutex_destroy(&r->store.mu);
	free(r);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

Test(smtp_session, transcripts, .timeout = 120)
{
	struct error err;
	struct config *config = config_load(CONF, &err);
	cr_assert(config, "loading %s: %s", CONF, err.msg);
	struct dirent **names;
	int n = scandir(TRANSCRIPTS, &names, NULL, by_name);
	cr_assert_gt(n, 0, "no transcripts in %s", TRANSCRIPTS);
	int ran = 0;
	for (int i = 0; i < n; i++) {
		size_t len = strlen(names[i]->d_name);
		if (len > 4 && strcmp(names[i]->d_name + len - 4, ".txt") == 0) {
			char path[512];
			snprintf(path, sizeof path, "%s/%s", TRANSCRIPTS, names[i]->d_name);
			run_transcript(config, path);
			ran++;
		}
		free(names[i]);
	}
	free(names);
	cr_assert_gt(ran, 10);
	config_free(config);
}
