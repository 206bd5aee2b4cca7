/*
 * imapload: an IMAP load generator for measuring any IMAP server (tern, Dovecot, ...).
 *
 * Three modes, all speaking plain IMAP4rev1/rev2 with LOGIN over TCP or implicit TLS:
 *   populate  creates mailboxes PREFIX1..PREFIXN and INBOX content with APPEND, messages generated
 *             deterministically from the seed (same seed, same bytes on every server);
 *   load      N clients, one thread each, each LOGINs, SELECTs its own mailbox PREFIXi and runs a
 *             fixed weighted mix of FETCH, UID FETCH BODY.PEEK[], SEARCH, STORE, APPEND, EXPUNGE
 *             and IDLE/DONE for a duration or an operation count, then prints ops/s and latency
 *             percentiles in total and per operation type;
 *   idle      K connections (spread over users and loopback source addresses with -U and -S)
 *             that LOGIN, SELECT INBOX and enter IDLE, are held, then the resident memory of the
 *             server's process tree is read from /proc and every connection is checked to be
 *             alive (DONE answered by a tagged OK).
 *
 * Correctness: every tagged response must be OK; NO, BAD, a BYE, a timeout, a malformed response
 * or a response missing the data the command asked for counts as an error, is printed (the first
 * few) and makes the exit status 1. Errors are never counted as operations.
 *
 * Limits: a response line (without its literals) is at most LINE_MAX_LOAD (LINE_MAX_IDLE for idle
 * connections) bytes; literals are read and discarded as they stream, bounded by LITERAL_MAX;
 * every read and write has a deadline of IO_TIMEOUT_S seconds. Load threads share nothing but the
 * op counter and the start and end barriers; statistics are per thread and merged at the end.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_LOAD    (256 * 1024) /* a FETCH 1:* FLAGS line is short; SEARCH results are not */
#define LINE_MAX_IDLE    (8 * 1024)   /* idle connections only see greeting, LOGIN and SELECT */
#define LITERAL_MAX      (64ull * 1024 * 1024)
#define IO_TIMEOUT_S     60
#define MAX_CLIENTS      2000
#define MAX_IDLE_CONNS   100000
#define MAX_ERRORS_SHOWN 20
#define MAX_SEARCH_NUMS  (1u << 20)
#define APPEND_SIZE      5000 /* the mix's APPEND: about 5 KB */
#define FETCH_RANGE      50
#define STORE_RANGE      20
#define INBOX_MESSAGES   100 /* populate also fills INBOX, which the idle mode SELECTs */

/* ---- options ---- */

struct options {
	const char *mode;
	const char *host;
	const char *port;
	const char *user;
	const char *password;
	const char *prefix;
	bool tls;
	int clients;
	double duration;
	long ops;
	long messages;
	uint64_t seed;
	int conns;
	int threads;
	int sources;
	int users;
	double hold;
	long pid;
};

static struct options opt = {
    .host = "127.0.0.1",
    .port = "143",
    .prefix = "load",
    .clients = 20,
    .duration = 30,
    .messages = 10000,
    .seed = 1,
    .conns = 10000,
    .threads = 16,
    .sources = 1,
    .hold = 10,
};

static SSL_CTX *ssl_ctx;
static atomic_long ops_done;
static atomic_int errors_shown;

/* ---- time, random numbers ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct rng {
	uint64_t s;
};

static void rng_seed(struct rng *r, uint64_t a, uint64_t b)
{
	/* splitmix64 of both parts: distinct streams for (seed, client) pairs */
	uint64_t z = a * 0x9e3779b97f4a7c15u + b + 0x632be59bd9b4e019u;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	r->s = (z ^ (z >> 31)) | 1;
}

static uint64_t rng_next(struct rng *r)
{
	/* xorshift64* */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1du;
}

static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)((rng_next(r) >> 32) % n) : 0;
}

/* ---- error reporting ---- */

static void report_error(const char *who, const char *fmt, ...)
{
	if (atomic_fetch_add(&errors_shown, 1) >= MAX_ERRORS_SHOWN)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "error: %s: %s\n", who, msg);
}

/* ---- connection: socket or TLS, buffered reads with deadlines ---- */

struct conn {
	int fd;
	SSL *ssl;
	char *buf; /* line buffer: capacity cap, data in [start, end) */
	size_t cap, start, end;
	unsigned tagseq;
	char tag[16];
	char who[128];
	bool dead;
};

enum status { ST_OK, ST_NO, ST_BAD, ST_ERR };

static bool conn_connect(struct conn *c, int source_index, size_t bufcap)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
	int rc = getaddrinfo(opt.host, opt.port, &hints, &res);
	if (rc != 0) {
		report_error(c->who, "resolving %s: %s", opt.host, gai_strerror(rc));
		return false;
	}
	c->fd = -1;
	for (ai = res; ai && c->fd < 0; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (source_index > 0 && ai->ai_family == AF_INET) {
			/* several loopback sources, when one address's ephemeral ports run out */
			struct sockaddr_in src = {.sin_family = AF_INET};
			src.sin_addr.s_addr = htonl(0x7f000001u + (uint32_t)source_index);
			int one = 1;
			setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
			if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0) {
				close(fd);
				continue;
			}
		}
		struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			c->fd = fd;
		else
			close(fd);
	}
	freeaddrinfo(res);
	if (c->fd < 0) {
		report_error(c->who, "connect %s:%s: %s", opt.host, opt.port, strerror(errno));
		return false;
	}
	c->buf = malloc(bufcap);
	if (!c->buf) {
		report_error(c->who, "out of memory");
		return false;
	}
	c->cap = bufcap;
	c->start = c->end = 0;
	if (opt.tls) {
		c->ssl = SSL_new(ssl_ctx);
		SSL_set_fd(c->ssl, c->fd);
		SSL_set_tlsext_host_name(c->ssl, opt.host);
		if (SSL_connect(c->ssl) != 1) {
			report_error(c->who, "TLS handshake failed");
			return false;
		}
	}
	return true;
}

static void conn_close(struct conn *c)
{
	if (c->ssl) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->dead = true;
}

static bool conn_write(struct conn *c, const void *p, size_t n)
{
	const char *s = p;
	while (n > 0) {
		ssize_t w;
		if (c->ssl) {
			int r = SSL_write(c->ssl, s, n > INT32_MAX ? INT32_MAX : (int)n);
			w = r > 0 ? r : -1;
		} else {
			w = send(c->fd, s, n, MSG_NOSIGNAL);
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			report_error(c->who, "write: %s", w < 0 ? strerror(errno) : "closed");
			c->dead = true;
			return false;
		}
		s += w;
		n -= (size_t)w;
	}
	return true;
}

/* Reads more bytes into the buffer; false on EOF, error or timeout. */
static bool conn_fill(struct conn *c)
{
	if (c->start > 0) {
		memmove(c->buf, c->buf + c->start, c->end - c->start);
		c->end -= c->start;
		c->start = 0;
	}
	if (c->end == c->cap) {
		report_error(c->who, "response line longer than %zu bytes", c->cap);
		return false;
	}
	for (;;) {
		ssize_t r;
		if (c->ssl) {
			int n = SSL_read(c->ssl, c->buf + c->end, (int)(c->cap - c->end));
			r = n > 0 ? n : -1;
		} else {
			r = recv(c->fd, c->buf + c->end, c->cap - c->end, 0);
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			report_error(c->who, "read: %s",
				     r == 0            ? "connection closed by server"
				     : errno == EAGAIN ? "timeout"
						       : strerror(errno));
			c->dead = true;
			return false;
		}
		c->end += (size_t)r;
		return true;
	}
}

/* One line without its CRLF; *line points into the buffer until the next read. */
static bool conn_line(struct conn *c, char **line, size_t *len)
{
	size_t scanned = c->start;
	for (;;) {
		char *nl = memchr(c->buf + scanned, '\n', c->end - scanned);
		if (nl) {
			size_t n = (size_t)(nl - (c->buf + c->start));
			*line = c->buf + c->start;
			c->start += n + 1;
			if (n > 0 && (*line)[n - 1] == '\r')
				n--;
			(*line)[n] = 0;
			*len = n;
			return true;
		}
		scanned = c->end;
		size_t before = c->start;
		if (!conn_fill(c))
			return false;
		scanned -= before - c->start; /* conn_fill moved the data to the front */
	}
}

/* Reads and discards n literal bytes. */
static bool conn_skip(struct conn *c, uint64_t n)
{
	while (n > 0) {
		if (c->start == c->end) {
			c->start = c->end = 0;
			if (!conn_fill(c))
				return false;
		}
		size_t have = c->end - c->start;
		size_t take = have < n ? have : (size_t)n;
		c->start += take;
		n -= take;
	}
	return true;
}

/* If the line ends in a literal announcement {n}, {n+} or ~{n} (RFC 9051 4.3), its size. */
static bool line_literal(const char *line, size_t len, uint64_t *n)
{
	if (len < 3 || line[len - 1] != '}')
		return false;
	size_t i = len - 1;
	if (i > 0 && (line[i - 1] == '+' || line[i - 1] == '-'))
		i--;
	size_t digits_end = i;
	while (i > 0 && isdigit((unsigned char)line[i - 1]))
		i--;
	if (i == 0 || line[i - 1] != '{' || i == digits_end || digits_end - i > 19)
		return false;
	uint64_t v = 0;
	for (size_t k = i; k < digits_end; k++)
		v = v * 10 + (uint64_t)(line[k] - '0');
	*n = v;
	return true;
}

/* What the untagged responses of one command carried. */
struct resp {
	unsigned fetches;
	unsigned literals;
	uint64_t literal_bytes;
	uint32_t appenduid;
	uint32_t *nums; /* SEARCH numbers, when want_search */
	size_t nnums, capnums;
	bool want_search;
	bool bye_expected; /* LOGOUT */
	bool bye;
	char text[200]; /* the tagged line's text, for error reports */
};

static void resp_reset(struct resp *r)
{
	r->fetches = r->literals = 0;
	r->literal_bytes = 0;
	r->appenduid = 0;
	r->nnums = 0;
	r->bye = false;
	r->text[0] = 0;
}

static bool resp_add_num(struct resp *r, uint32_t v)
{
	if (r->nnums == r->capnums) {
		if (r->capnums >= MAX_SEARCH_NUMS)
			return false;
		size_t cap = r->capnums ? r->capnums * 2 : 1024;
		uint32_t *p = realloc(r->nums, cap * sizeof *p);
		if (!p)
			return false;
		r->nums = p;
		r->capnums = cap;
	}
	r->nums[r->nnums++] = v;
	return true;
}

static bool prefix_ci(const char *s, const char *p)
{
	return strncasecmp(s, p, strlen(p)) == 0;
}

/* The first segment (up to any literal) of an untagged response. */
static void untagged(struct resp *r, const char *s)
{
	s += 2; /* "* " */
	if (isdigit((unsigned char)*s)) {
		while (isdigit((unsigned char)*s))
			s++;
		if (prefix_ci(s, " FETCH "))
			r->fetches++;
		return;
	}
	if (prefix_ci(s, "BYE")) {
		r->bye = true;
		return;
	}
	if (r->want_search && prefix_ci(s, "SEARCH")) {
		s += 6;
		while (*s == ' ') {
			s++;
			char *end;
			unsigned long v = strtoul(s, &end, 10);
			if (end == s)
				break;
			resp_add_num(r, (uint32_t)v);
			s = end;
		}
	}
}

/* Reads one whole response (with its literals); kind is '*', '+' or 't' (tagged) or 0 on error. */
static char read_response(struct conn *c, struct resp *r, char **tagged_line)
{
	char *line;
	size_t len;
	if (!conn_line(c, &line, &len))
		return 0;
	char kind;
	if (line[0] == '*' && line[1] == ' ') {
		kind = '*';
		untagged(r, line);
	} else if (line[0] == '+') {
		return '+';
	} else {
		kind = 't';
		*tagged_line = line;
	}
	uint64_t n;
	while (line_literal(line, len, &n)) {
		if (n > LITERAL_MAX) {
			report_error(c->who, "literal of %" PRIu64 " bytes", n);
			return 0;
		}
		r->literals++;
		r->literal_bytes += n;
		if (!conn_skip(c, n) || !conn_line(c, &line, &len))
			return 0;
	}
	return kind;
}

static enum status parse_tagged(struct conn *c, struct resp *r, char *line)
{
	size_t tl = strlen(c->tag);
	if (strncmp(line, c->tag, tl) != 0 || line[tl] != ' ') {
		report_error(c->who, "unexpected line: %.120s", line);
		return ST_ERR;
	}
	const char *s = line + tl + 1;
	snprintf(r->text, sizeof r->text, "%s", s);
	const char *au = strcasestr(s, "[APPENDUID ");
	if (au) {
		unsigned long validity, uid;
		if (sscanf(au + 11, "%lu %lu", &validity, &uid) == 2)
			r->appenduid = (uint32_t)uid;
	}
	if (prefix_ci(s, "OK"))
		return ST_OK;
	if (prefix_ci(s, "NO"))
		return ST_NO;
	if (prefix_ci(s, "BAD"))
		return ST_BAD;
	report_error(c->who, "malformed tagged response: %.120s", line);
	return ST_ERR;
}

/* Reads responses until the tagged one (or a continuation when want_cont). */
static enum status wait_for(struct conn *c, struct resp *r, bool want_cont)
{
	for (;;) {
		char *tl = NULL;
		char k = read_response(c, r, &tl);
		if (k == 0)
			return ST_ERR;
		if (k == '+') {
			if (want_cont)
				return ST_OK;
			report_error(c->who, "unexpected continuation request");
			return ST_ERR;
		}
		if (k == 't')
			return parse_tagged(c, r, tl);
		if (r->bye && !r->bye_expected) {
			report_error(c->who, "server sent BYE");
			c->dead = true;
			return ST_ERR;
		}
	}
}

static bool send_command(struct conn *c, const char *fmt, va_list ap)
{
	char cmd[1024];
	snprintf(c->tag, sizeof c->tag, "a%u", ++c->tagseq);
	int n = snprintf(cmd, sizeof cmd, "%s ", c->tag);
	int m = vsnprintf(cmd + n, sizeof cmd - (size_t)n - 2, fmt, ap);
	if (m < 0 || (size_t)(n + m) >= sizeof cmd - 2)
		return false;
	memcpy(cmd + n + m, "\r\n", 2);
	return conn_write(c, cmd, (size_t)(n + m + 2));
}

/* Sends one command and reads up to its tagged response. */
static enum status command(struct conn *c, struct resp *r, const char *fmt, ...)
{
	resp_reset(r);
	va_list ap;
	va_start(ap, fmt);
	bool ok = send_command(c, fmt, ap);
	va_end(ap);
	if (!ok)
		return ST_ERR;
	return wait_for(c, r, false);
}

/* APPEND with a synchronizing literal (RFC 9051 6.3.12), which every server takes. */
static enum status append(struct conn *c, struct resp *r, const char *mailbox, const char *msg,
			  size_t len)
{
	resp_reset(r);
	char head[300];
	snprintf(c->tag, sizeof c->tag, "a%u", ++c->tagseq);
	int n = snprintf(head, sizeof head, "%s APPEND \"%s\" {%zu}\r\n", c->tag, mailbox, len);
	if (n < 0 || (size_t)n >= sizeof head || !conn_write(c, head, (size_t)n))
		return ST_ERR;
	enum status st = wait_for(c, r, true);
	if (st != ST_OK)
		return st;
	if (!conn_write(c, msg, len) || !conn_write(c, "\r\n", 2))
		return ST_ERR;
	return wait_for(c, r, false);
}

static bool greeting(struct conn *c)
{
	char *line;
	size_t len;
	if (!conn_line(c, &line, &len))
		return false;
	if (!prefix_ci(line, "* OK")) {
		report_error(c->who, "greeting: %.120s", line);
		return false;
	}
	return true;
}

/* An IMAP quoted string for LOGIN: user names and passwords here are printable. */
static bool quoted(char *out, size_t cap, const char *s)
{
	size_t o = 0;
	out[o++] = '"';
	for (; *s; s++) {
		if (o + 3 >= cap || *s == '\r' || *s == '\n')
			return false;
		if (*s == '"' || *s == '\\')
			out[o++] = '\\';
		out[o++] = *s;
	}
	out[o++] = '"';
	out[o] = 0;
	return true;
}

/* RFC 9051 6.1.3: the server sends BYE, then the tagged OK. */
static enum status logout(struct conn *c, struct resp *r)
{
	r->bye_expected = true;
	enum status st = command(c, r, "LOGOUT");
	r->bye_expected = false;
	return st;
}

static enum status login_as(struct conn *c, struct resp *r, const char *user)
{
	char u[300], p[300];
	if (!quoted(u, sizeof u, user) || !quoted(p, sizeof p, opt.password)) {
		report_error(c->who, "user or password too long or with CR/LF");
		return ST_ERR;
	}
	return command(c, r, "LOGIN %s %s", u, p);
}

static enum status login(struct conn *c, struct resp *r)
{
	return login_as(c, r, opt.user);
}

/* Idle connection i's login name: with -U N, the "%d" in the user name becomes 1 + i % N. */
static void idle_user(char *out, size_t cap, int i)
{
	const char *pct = opt.users > 1 ? strstr(opt.user, "%d") : NULL;
	if (!pct) {
		snprintf(out, cap, "%s", opt.user);
		return;
	}
	snprintf(out, cap, "%.*s%d%s", (int)(pct - opt.user), opt.user, 1 + i % opt.users, pct + 2);
}

/* ---- deterministic messages ---- */

static const char *const first_names[] = {
    "Alice",   "Bob",  "Carol",  "Dave",  "Eve",    "Frank", "Grace", "Heidi", "Ivan",   "Judy",
    "Mallory", "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Uma",   "Victor", "Walter"};
static const char *const domains[] = {"example.com", "example.net", "example.org", "mail.test",
				      "lists.example"};
static const char *const words[] = {
    "report",  "meeting", "invoice", "project",  "update", "quarterly", "budget", "release",
    "server",  "backup",  "holiday", "schedule", "review", "draft",     "final",  "urgent",
    "weekly",  "notes",   "travel",  "contract", "design", "proposal",  "agenda", "summary",
    "request", "status",  "team",    "launch",   "photos", "feedback",  "order",  "shipping"};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Message sizes for the populated mailboxes: mostly small, some large, like a real mailbox. */
static size_t populate_size(struct rng *r)
{
	uint32_t p = rng_below(r, 100);
	if (p < 50)
		return 1000 + rng_below(r, 3000);
	if (p < 85)
		return 4000 + rng_below(r, 16000);
	if (p < 98)
		return 20000 + rng_below(r, 80000);
	return 100000 + rng_below(r, 400000);
}

/* Writes a message of about target bytes (CRLF lines) into out (capacity cap); its length. */
static size_t make_message(struct rng *r, char *out, size_t cap, size_t target, uint64_t serial)
{
	const char *from = first_names[rng_below(r, NELEM(first_names))];
	const char *dom = domains[rng_below(r, NELEM(domains))];
	const char *to = first_names[rng_below(r, NELEM(first_names))];
	size_t o = 0;
	o += (size_t)snprintf(out + o, cap - o,
			      "From: %s <%c%s@%s>\r\nTo: %s <%c%s@test.example>\r\nSubject:", from,
			      tolower((unsigned char)from[0]), from + 1, dom, to,
			      tolower((unsigned char)to[0]), to + 1);
	int nw = 2 + (int)rng_below(r, 4);
	for (int i = 0; i < nw; i++)
		o += (size_t)snprintf(out + o, cap - o, " %s", words[rng_below(r, NELEM(words))]);
	uint32_t day = 1 + rng_below(r, 28), hour = rng_below(r, 24), min = rng_below(r, 60);
	o += (size_t)snprintf(
	    out + o, cap - o,
	    "\r\nDate: %s, %u Mar 2025 %02u:%02u:00 +0000\r\n"
	    "Message-ID: <%" PRIu64 ".%" PRIu64 "@bench.example>\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n",
	    day % 2 ? "Mon" : "Tue", day, hour, min, serial, opt.seed);
	size_t linelen = 0;
	while (o < target && o + 80 < cap) {
		const char *w = words[rng_below(r, NELEM(words))];
		size_t wl = strlen(w);
		if (linelen + wl + 1 > 72) {
			memcpy(out + o, "\r\n", 2);
			o += 2;
			linelen = 0;
		}
		if (linelen > 0)
			out[o++] = ' ', linelen++;
		memcpy(out + o, w, wl);
		o += wl;
		linelen += wl;
	}
	memcpy(out + o, "\r\n", 2);
	return o + 2;
}

/* ---- statistics ---- */

enum op {
	OP_FETCH_FLAGS_ALL,
	OP_FETCH_ENVELOPE,
	OP_FETCH_BODY,
	OP_SEARCH,
	OP_STORE,
	OP_APPEND,
	OP_EXPUNGE,
	OP_IDLE,
	OP_MIX_COUNT, /* the mix ends here; below: setup operations, not in ops/s */
	OP_LOGIN = OP_MIX_COUNT,
	OP_SELECT,
	OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
    "fetch 1:* flags", "fetch 50 envelope", "uid fetch body[]", "search", "store \\seen",
    "append 5k",       "expunge",           "idle/done",        "login",  "select"};

/* Weights of the mix, in percent of the operations (see README.md). */
static const unsigned op_weight[OP_MIX_COUNT] = {5, 20, 25, 15, 15, 8, 7, 5};

/* Latency histogram: 16 linear sub-buckets per power of two of microseconds (about 6% wide). */
#define HIST_BUCKETS 700

struct stats {
	uint64_t count[OP_COUNT];
	uint64_t errors[OP_COUNT];
	uint64_t hist[OP_COUNT][HIST_BUCKETS];
	uint64_t hist_all[HIST_BUCKETS];
};

static unsigned hist_index(uint64_t us)
{
	if (us < 16)
		return (unsigned)us;
	unsigned msb = 63u - (unsigned)__builtin_clzll(us);
	unsigned idx = (msb - 3) * 16 + (unsigned)((us >> (msb - 4)) & 15);
	return idx < HIST_BUCKETS ? idx : HIST_BUCKETS - 1;
}

static uint64_t hist_value(unsigned idx)
{
	if (idx < 16)
		return idx;
	unsigned msb = idx / 16 + 3, sub = idx % 16;
	return ((uint64_t)(16 + sub) << (msb - 4)); /* the bucket's lower bound */
}

static uint64_t hist_pct(const uint64_t *h, uint64_t total, double p)
{
	uint64_t want = (uint64_t)(p * (double)total + 0.999999), seen = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h[i];
		if (seen >= want && want > 0)
			return hist_value(i);
	}
	return 0;
}

static void stats_record(struct stats *s, enum op op, uint64_t t0, enum status st)
{
	if (st != ST_OK) {
		s->errors[op]++;
		return;
	}
	unsigned i = hist_index((now_ns() - t0) / 1000);
	s->count[op]++;
	s->hist[op][i]++;
	if (op < OP_MIX_COUNT)
		s->hist_all[i]++;
}

static void stats_merge(struct stats *into, const struct stats *s)
{
	for (int op = 0; op < OP_COUNT; op++) {
		into->count[op] += s->count[op];
		into->errors[op] += s->errors[op];
		for (int i = 0; i < HIST_BUCKETS; i++)
			into->hist[op][i] += s->hist[op][i];
	}
	for (int i = 0; i < HIST_BUCKETS; i++)
		into->hist_all[i] += s->hist_all[i];
}

/* ---- CPU time of a process tree, from /proc ---- */

struct proc_usage {
	double cpu_s;    /* utime + stime, seconds */
	uint64_t rss_kb; /* VmRSS summed */
	uint64_t pss_kb; /* Pss summed (shared pages divided among sharers) */
	unsigned nprocs;
};

static bool read_stat(long pid, long *ppid, double *cpu)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')'); /* the command name may hold spaces */
	if (!p)
		return false;
	unsigned long ut, st;
	/* fields after comm: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
	 * utime stime */
	if (sscanf(p + 2, "%*c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", ppid, &ut, &st) !=
	    3)
		return false;
	*cpu = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	return true;
}

static uint64_t read_kb_field(const char *path, const char *field)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	char line[256];
	uint64_t v = 0;
	size_t fl = strlen(field);
	while (fgets(line, sizeof line, f))
		if (strncmp(line, field, fl) == 0) {
			v = strtoull(line + fl, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* Sums over root and all its descendants (Dovecot: master, login, auth, imap processes). */
static struct proc_usage tree_usage(long root)
{
	struct proc_usage u = {0};
	enum { MAXP = 65536 };
	static long pids[MAXP], ppids[MAXP];
	static double cpus[MAXP];
	static bool in_tree[MAXP];
	size_t np = 0;
	DIR *d = opendir("/proc");
	if (!d)
		return u;
	struct dirent *e;
	while ((e = readdir(d)) && np < MAXP) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		long pid = strtol(e->d_name, NULL, 10);
		if (read_stat(pid, &ppids[np], &cpus[np])) {
			pids[np] = pid;
			in_tree[np] = pid == root;
			np++;
		}
	}
	closedir(d);
	for (bool grew = true; grew;) {
		grew = false;
		for (size_t i = 0; i < np; i++) {
			if (in_tree[i])
				continue;
			for (size_t j = 0; j < np; j++)
				if (in_tree[j] && pids[j] == ppids[i]) {
					in_tree[i] = grew = true;
					break;
				}
		}
	}
	for (size_t i = 0; i < np; i++) {
		if (!in_tree[i])
			continue;
		char path[64];
		u.cpu_s += cpus[i];
		snprintf(path, sizeof path, "/proc/%ld/status", pids[i]);
		u.rss_kb += read_kb_field(path, "VmRSS:");
		snprintf(path, sizeof path, "/proc/%ld/smaps_rollup", pids[i]);
		u.pss_kb += read_kb_field(path, "Pss:");
		u.nprocs++;
	}
	return u;
}

static double process_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* ---- populate ---- */

struct populate_job {
	int index; /* 0: INBOX; i: PREFIXi */
	long count;
	long done;
	bool ok;
};

static void *populate_thread(void *arg)
{
	struct populate_job *job = arg;
	struct conn c = {.fd = -1};
	struct resp r = {0};
	char mailbox[200];
	if (job->index == 0)
		snprintf(mailbox, sizeof mailbox, "INBOX");
	else
		snprintf(mailbox, sizeof mailbox, "%s%d", opt.prefix, job->index);
	snprintf(c.who, sizeof c.who, "populate %.100s", mailbox);
	size_t cap = 600000;
	char *msg = malloc(cap);
	job->ok = false;
	if (!msg || !conn_connect(&c, 0, LINE_MAX_LOAD) || !greeting(&c))
		goto out;
	if (login(&c, &r) != ST_OK) {
		report_error(c.who, "LOGIN: %s", r.text);
		goto out;
	}
	struct rng rng;
	for (long k = 0; k < job->count; k++) {
		rng_seed(&rng, opt.seed, ((uint64_t)job->index << 32) | (uint64_t)k);
		size_t len = make_message(&rng, msg, cap, populate_size(&rng),
					  ((uint64_t)job->index << 32) | (uint64_t)k);
		if (append(&c, &r, mailbox, msg, len) != ST_OK) {
			report_error(c.who, "APPEND: %s", r.text);
			goto out;
		}
		job->done++;
	}
	if (logout(&c, &r) != ST_OK)
		goto out;
	job->ok = true;
out:
	conn_close(&c);
	free(msg);
	free(r.nums);
	return NULL;
}

/* Creates PREFIX1..PREFIXN one after the other on one connection before the parallel APPENDs
 * (Dovecot 2.3 was seen to answer a CREATE with NO [ALREADYEXISTS] when others ran at once). */
static bool create_mailboxes(int n)
{
	struct conn c = {.fd = -1};
	struct resp r = {0};
	snprintf(c.who, sizeof c.who, "populate CREATE");
	bool ok = conn_connect(&c, 0, LINE_MAX_LOAD) && greeting(&c);
	if (ok && login(&c, &r) != ST_OK) {
		report_error(c.who, "LOGIN: %s", r.text);
		ok = false;
	}
	for (int i = 1; ok && i <= n; i++)
		if (command(&c, &r, "CREATE \"%s%d\"", opt.prefix, i) != ST_OK) {
			report_error(c.who, "CREATE %s%d: %s", opt.prefix, i, r.text);
			ok = false;
		}
	if (ok)
		ok = logout(&c, &r) == ST_OK;
	conn_close(&c);
	free(r.nums);
	return ok;
}

static int run_populate(void)
{
	int n = opt.clients;
	if (!create_mailboxes(n))
		return 1;
	struct populate_job *jobs = calloc((size_t)n + 1, sizeof *jobs);
	pthread_t *th = calloc((size_t)n + 1, sizeof *th);
	if (!jobs || !th)
		return 1;
	uint64_t t0 = now_ns();
	for (int i = 0; i <= n; i++) {
		jobs[i].index = i;
		jobs[i].count =
		    i == 0 ? INBOX_MESSAGES : opt.messages / n + (i <= opt.messages % n);
		pthread_create(&th[i], NULL, populate_thread, &jobs[i]);
	}
	long done = 0;
	bool ok = true;
	for (int i = 0; i <= n; i++) {
		pthread_join(th[i], NULL);
		done += jobs[i].done;
		ok = ok && jobs[i].ok;
	}
	double secs = (double)(now_ns() - t0) / 1e9;
	printf("populate: %ld messages (%ld in INBOX, %ld in %s1..%s%d) in %.1fs, %.0f msg/s, %s\n",
	       done, (long)INBOX_MESSAGES, opt.messages, opt.prefix, opt.prefix, n, secs,
	       (double)done / secs, ok ? "ok" : "FAILED");
	free(jobs);
	free(th);
	return ok ? 0 : 1;
}

/* ---- load ---- */

struct client {
	int id;
	pthread_t thread;
	struct stats *stats;
	struct conn c;
	struct resp r;
	struct rng rng;
	char mailbox[200];
	uint32_t *uids; /* UIDs of the populated messages, which the mix never expunges */
	size_t nuids;
	uint32_t exists;
	uint32_t pending[256]; /* UIDs this client appended and will expunge */
	size_t npending;
	char *msg;
	bool setup_ok;
};

/* Clients log in and select, wait at ready_barrier while the main thread sets the deadline and
 * takes the first CPU readings, then all start at go_barrier. At the end they wait at
 * done_barrier and stay connected until the main thread has read the server's CPU time (a
 * process per connection, as Dovecot's, takes its CPU time with it when it exits), then log out
 * after leave_barrier. */
static pthread_barrier_t ready_barrier, go_barrier, done_barrier, leave_barrier;
static uint64_t deadline_ns;

static enum op pick_op(struct rng *r)
{
	uint32_t p = rng_below(r, 100);
	for (int op = 0; op < OP_MIX_COUNT; op++) {
		if (p < op_weight[op])
			return (enum op)op;
		p -= op_weight[op];
	}
	return OP_FETCH_BODY;
}

static void fail(struct client *cl, enum op op, const char *what)
{
	report_error(cl->c.who, "%s: %s", what ? what : op_names[op], cl->r.text);
}

static enum status do_fetch_flags_all(struct client *cl)
{
	enum status st = command(&cl->c, &cl->r, "FETCH 1:* (FLAGS)");
	if (st == ST_OK && cl->r.fetches < cl->nuids) {
		report_error(cl->c.who, "FETCH 1:* returned %u of at least %zu messages",
			     cl->r.fetches, cl->nuids);
		return ST_ERR;
	}
	return st;
}

static enum status do_fetch_envelope(struct client *cl)
{
	uint32_t n = (uint32_t)cl->nuids,
		 lo = 1 + rng_below(&cl->rng, n > FETCH_RANGE ? n - FETCH_RANGE : 1);
	uint32_t hi = lo + FETCH_RANGE - 1 > n ? n : lo + FETCH_RANGE - 1;
	enum status st = command(&cl->c, &cl->r, "FETCH %u:%u (FLAGS ENVELOPE)", lo, hi);
	if (st == ST_OK && cl->r.fetches < hi - lo + 1) {
		report_error(cl->c.who, "FETCH %u:%u returned %u messages", lo, hi, cl->r.fetches);
		return ST_ERR;
	}
	return st;
}

static enum status do_fetch_body(struct client *cl)
{
	uint32_t uid = cl->uids[rng_below(&cl->rng, (uint32_t)cl->nuids)];
	enum status st = command(&cl->c, &cl->r, "UID FETCH %u (BODY.PEEK[])", uid);
	if (st == ST_OK && (cl->r.fetches < 1 || cl->r.literals < 1 || cl->r.literal_bytes < 100)) {
		report_error(cl->c.who, "UID FETCH %u BODY.PEEK[] returned no message", uid);
		return ST_ERR;
	}
	return st;
}

static enum status do_search(struct client *cl)
{
	uint32_t k = rng_below(&cl->rng, 3);
	cl->r.want_search = true;
	enum status st;
	if (k == 0)
		st = command(&cl->c, &cl->r, "SEARCH FROM \"%s\"",
			     first_names[rng_below(&cl->rng, NELEM(first_names))]);
	else if (k == 1)
		st = command(&cl->c, &cl->r, "SEARCH SUBJECT \"%s\"",
			     words[rng_below(&cl->rng, NELEM(words))]);
	else
		st = command(&cl->c, &cl->r, "SEARCH UNSEEN");
	cl->r.want_search = false;
	return st;
}

static enum status do_store(struct client *cl)
{
	uint32_t n = (uint32_t)cl->nuids,
		 lo = 1 + rng_below(&cl->rng, n > STORE_RANGE ? n - STORE_RANGE : 1);
	uint32_t hi = lo + STORE_RANGE - 1 > n ? n : lo + STORE_RANGE - 1;
	bool add = rng_below(&cl->rng, 2) == 0;
	return command(&cl->c, &cl->r, "STORE %u:%u %cFLAGS (\\Seen)", lo, hi, add ? '+' : '-');
}

static enum status do_append(struct client *cl)
{
	size_t len =
	    make_message(&cl->rng, cl->msg, 2 * APPEND_SIZE, APPEND_SIZE, rng_next(&cl->rng));
	enum status st = append(&cl->c, &cl->r, cl->mailbox, cl->msg, len);
	if (st != ST_OK)
		return st;
	if (cl->r.appenduid == 0) {
		/* RFC 4315 (in IMAP4rev2: RFC 9051 7.1): the UID of what was appended */
		report_error(cl->c.who, "APPEND OK without APPENDUID: %s", cl->r.text);
		return ST_ERR;
	}
	if (cl->npending == NELEM(cl->pending)) {
		report_error(cl->c.who, "more than %zu appended messages pending", cl->npending);
		return ST_ERR;
	}
	cl->pending[cl->npending++] = cl->r.appenduid;
	return st;
}

/* Marks the messages this client appended \Deleted and expunges them: the mailbox stays stable. */
static enum status do_expunge(struct client *cl)
{
	if (cl->npending > 0) {
		char set[256 * 11 + 1];
		size_t o = 0;
		for (size_t i = 0; i < cl->npending; i++)
			o += (size_t)snprintf(set + o, sizeof set - o, "%s%u", i ? "," : "",
					      cl->pending[i]);
		enum status st =
		    command(&cl->c, &cl->r, "UID STORE %s +FLAGS.SILENT (\\Deleted)", set);
		if (st != ST_OK) {
			fail(cl, OP_EXPUNGE, "UID STORE \\Deleted");
			return st;
		}
		cl->npending = 0;
	}
	return command(&cl->c, &cl->r, "EXPUNGE");
}

/* IDLE entered and left at once (RFC 9051 6.3.13). */
static enum status do_idle(struct client *cl)
{
	resp_reset(&cl->r);
	snprintf(cl->c.tag, sizeof cl->c.tag, "a%u", ++cl->c.tagseq);
	char cmd[32];
	int n = snprintf(cmd, sizeof cmd, "%s IDLE\r\n", cl->c.tag);
	if (!conn_write(&cl->c, cmd, (size_t)n))
		return ST_ERR;
	enum status st = wait_for(&cl->c, &cl->r, true);
	if (st != ST_OK)
		return st;
	if (!conn_write(&cl->c, "DONE\r\n", 6))
		return ST_ERR;
	return wait_for(&cl->c, &cl->r, false);
}

static enum status run_op(struct client *cl, enum op op)
{
	switch (op) {
	case OP_FETCH_FLAGS_ALL: return do_fetch_flags_all(cl);
	case OP_FETCH_ENVELOPE: return do_fetch_envelope(cl);
	case OP_FETCH_BODY: return do_fetch_body(cl);
	case OP_SEARCH: return do_search(cl);
	case OP_STORE: return do_store(cl);
	case OP_APPEND: return do_append(cl);
	case OP_EXPUNGE: return do_expunge(cl);
	case OP_IDLE: return do_idle(cl);
	default: return ST_ERR;
	}
}

static bool client_setup(struct client *cl)
{
	struct conn *c = &cl->c;
	uint64_t t0 = now_ns();
	if (!conn_connect(c, 0, LINE_MAX_LOAD) || !greeting(c))
		return false;
	enum status st = login(c, &cl->r);
	stats_record(cl->stats, OP_LOGIN, t0, st);
	if (st != ST_OK) {
		fail(cl, OP_LOGIN, NULL);
		return false;
	}
	t0 = now_ns();
	st = command(c, &cl->r, "SELECT \"%s\"", cl->mailbox);
	stats_record(cl->stats, OP_SELECT, t0, st);
	if (st != ST_OK) {
		fail(cl, OP_SELECT, NULL);
		return false;
	}
	cl->r.want_search = true;
	st = command(c, &cl->r, "UID SEARCH ALL");
	cl->r.want_search = false;
	if (st != ST_OK || cl->r.nnums == 0) {
		report_error(c->who, "UID SEARCH ALL: %s (%zu messages)", cl->r.text, cl->r.nnums);
		return false;
	}
	cl->nuids = cl->r.nnums;
	cl->uids = malloc(cl->nuids * sizeof *cl->uids);
	if (!cl->uids)
		return false;
	memcpy(cl->uids, cl->r.nums, cl->nuids * sizeof *cl->uids);
	return true;
}

static void *client_thread(void *arg)
{
	struct client *cl = arg;
	cl->c.fd = -1;
	cl->msg = malloc(2 * APPEND_SIZE);
	snprintf(cl->c.who, sizeof cl->c.who, "client %d", cl->id);
	snprintf(cl->mailbox, sizeof cl->mailbox, "%s%d", opt.prefix, cl->id);
	rng_seed(&cl->rng, opt.seed, 1000000u + (uint64_t)cl->id);
	cl->setup_ok = cl->msg && client_setup(cl);
	pthread_barrier_wait(&ready_barrier);
	pthread_barrier_wait(&go_barrier);
	while (cl->setup_ok && !cl->c.dead) {
		if (now_ns() >= deadline_ns)
			break;
		if (opt.ops > 0 && atomic_fetch_add(&ops_done, 1) >= opt.ops)
			break;
		enum op op = pick_op(&cl->rng);
		uint64_t t0 = now_ns();
		enum status st = run_op(cl, op);
		stats_record(cl->stats, op, t0, st);
		if (st == ST_NO || st == ST_BAD)
			fail(cl, op, NULL);
	}
	pthread_barrier_wait(&done_barrier);
	pthread_barrier_wait(&leave_barrier);
	if (cl->setup_ok && !cl->c.dead) {
		/* leave what the mailbox had: expunge this client's remaining appends */
		if (cl->npending > 0 && do_expunge(cl) != ST_OK)
			cl->stats->errors[OP_EXPUNGE]++;
		if (logout(&cl->c, &cl->r) != ST_OK)
			cl->stats->errors[OP_LOGIN]++;
	}
	conn_close(&cl->c);
	return NULL;
}

static void print_row(const char *name, uint64_t n, uint64_t err, double secs, const uint64_t *h)
{
	printf("  %-18s %9" PRIu64 " %9.1f %8.2f %8.2f %7" PRIu64 "\n", name, n, (double)n / secs,
	       (double)hist_pct(h, n, 0.50) / 1000.0, (double)hist_pct(h, n, 0.99) / 1000.0, err);
}

static int run_load(void)
{
	int n = opt.clients;
	struct client *cls = calloc((size_t)n, sizeof *cls);
	struct stats *total = calloc(1, sizeof *total);
	if (!cls || !total)
		return 1;
	pthread_barrier_init(&ready_barrier, NULL, (unsigned)n + 1);
	pthread_barrier_init(&go_barrier, NULL, (unsigned)n + 1);
	pthread_barrier_init(&done_barrier, NULL, (unsigned)n + 1);
	pthread_barrier_init(&leave_barrier, NULL, (unsigned)n + 1);
	for (int i = 0; i < n; i++) {
		cls[i].id = i + 1;
		cls[i].stats = calloc(1, sizeof *cls[i].stats);
		if (!cls[i].stats)
			return 1;
		pthread_create(&cls[i].thread, NULL, client_thread, &cls[i]);
	}
	/* The clock starts when every client has logged in and selected its mailbox. */
	pthread_barrier_wait(&ready_barrier);
	struct proc_usage srv0 = opt.pid > 0 ? tree_usage(opt.pid) : (struct proc_usage){0};
	double cpu0 = process_cpu_s();
	uint64_t t0 = now_ns();
	deadline_ns =
	    opt.ops > 0 && opt.duration <= 0 ? UINT64_MAX : t0 + (uint64_t)(opt.duration * 1e9);
	pthread_barrier_wait(&go_barrier);
	pthread_barrier_wait(&done_barrier);
	uint64_t t1 = now_ns();
	double cpu1 = process_cpu_s();
	struct proc_usage srv1 = opt.pid > 0 ? tree_usage(opt.pid) : (struct proc_usage){0};
	pthread_barrier_wait(&leave_barrier);
	for (int i = 0; i < n; i++)
		pthread_join(cls[i].thread, NULL);
	double secs = (double)(t1 - t0) / 1e9;
	int failed_setup = 0;
	for (int i = 0; i < n; i++) {
		stats_merge(total, cls[i].stats);
		failed_setup += !cls[i].setup_ok;
		free(cls[i].stats);
		free(cls[i].uids);
		free(cls[i].msg);
		free(cls[i].r.nums);
	}
	uint64_t ops = 0, errs = 0;
	for (int op = 0; op < OP_COUNT; op++) {
		errs += total->errors[op];
		if (op < OP_MIX_COUNT)
			ops += total->count[op];
	}
	printf("%d clients, %.1fs, server %s:%s%s\n", n, secs, opt.host, opt.port,
	       opt.tls ? " (TLS)" : "");
	printf("  %-18s %9s %9s %8s %8s %7s\n", "operation", "count", "ops/s", "p50 ms", "p99 ms",
	       "errors");
	for (int op = 0; op < OP_COUNT; op++)
		print_row(op_names[op], total->count[op], total->errors[op], secs, total->hist[op]);
	print_row("all (mix)", ops, errs, secs, total->hist_all);
	double gen_cpu = cpu1 - cpu0, srv_cpu = srv1.cpu_s - srv0.cpu_s;
	printf("load generator CPU: %.2fs (%.0f%% of one core)", gen_cpu, 100 * gen_cpu / secs);
	if (opt.pid > 0)
		printf("; server CPU: %.2fs (%.0f%% of one core, %u processes)", srv_cpu,
		       100 * srv_cpu / secs, srv1.nprocs);
	printf("\n");
	if (failed_setup)
		printf("%d of %d clients failed to log in or select\n", failed_setup, n);
	printf("RESULT ops=%" PRIu64 " secs=%.3f ops_per_s=%.1f errors=%" PRIu64
	       " failed_clients=%d p50_ms=%.3f p99_ms=%.3f gen_cpu=%.2f server_cpu=%.2f\n",
	       ops, secs, (double)ops / secs, errs, failed_setup,
	       (double)hist_pct(total->hist_all, ops, 0.5) / 1000.0,
	       (double)hist_pct(total->hist_all, ops, 0.99) / 1000.0, gen_cpu, srv_cpu);
	free(cls);
	free(total);
	return errs == 0 && failed_setup == 0 ? 0 : 1;
}

/* ---- idle ---- */

struct idle_shared {
	struct conn *conns;
	int n;
	atomic_int next;
	atomic_int ready;
	atomic_int failed;
};

static bool idle_open(struct conn *c, int i)
{
	struct resp r = {0};
	snprintf(c->who, sizeof c->who, "idle %d", i);
	int src = opt.sources > 1 ? i % opt.sources : 0;
	char user[200];
	idle_user(user, sizeof user, i);
	bool ok = conn_connect(c, src, LINE_MAX_IDLE) && greeting(c);
	if (ok && login_as(c, &r, user) != ST_OK) {
		report_error(c->who, "LOGIN %s: %s", user, r.text);
		ok = false;
	}
	if (ok && command(c, &r, "SELECT INBOX") != ST_OK) {
		report_error(c->who, "SELECT INBOX: %s", r.text);
		ok = false;
	}
	if (ok) {
		resp_reset(&r);
		snprintf(c->tag, sizeof c->tag, "a%u", ++c->tagseq);
		char cmd[32];
		int n = snprintf(cmd, sizeof cmd, "%s IDLE\r\n", c->tag);
		ok = conn_write(c, cmd, (size_t)n) && wait_for(c, &r, true) == ST_OK;
	}
	free(r.nums);
	return ok;
}

static void *idle_open_thread(void *arg)
{
	struct idle_shared *sh = arg;
	for (int i; (i = atomic_fetch_add(&sh->next, 1)) < sh->n;) {
		sh->conns[i].fd = -1;
		if (idle_open(&sh->conns[i], i))
			atomic_fetch_add(&sh->ready, 1);
		else {
			atomic_fetch_add(&sh->failed, 1);
			conn_close(&sh->conns[i]);
		}
	}
	return NULL;
}

/* Ends IDLE with DONE and expects the tagged OK: the connection was alive all along. */
static void *idle_check_thread(void *arg)
{
	struct idle_shared *sh = arg;
	for (int i; (i = atomic_fetch_add(&sh->next, 1)) < sh->n;) {
		struct conn *c = &sh->conns[i];
		if (c->dead)
			continue;
		struct resp r = {0};
		if (conn_write(c, "DONE\r\n", 6) && wait_for(c, &r, false) == ST_OK)
			atomic_fetch_add(&sh->ready, 1);
		else {
			report_error(c->who, "DONE: %s", r.text[0] ? r.text : "no answer");
			atomic_fetch_add(&sh->failed, 1);
		}
		if (!c->dead)
			logout(c, &r);
		free(r.nums);
		conn_close(c);
	}
	return NULL;
}

static void run_threads(struct idle_shared *sh, void *(*fn)(void *))
{
	pthread_t th[256];
	int nt = opt.threads < 1 ? 1 : opt.threads > 256 ? 256 : opt.threads;
	atomic_store(&sh->next, 0);
	atomic_store(&sh->ready, 0);
	atomic_store(&sh->failed, 0);
	for (int t = 0; t < nt; t++)
		pthread_create(&th[t], NULL, fn, sh);
	for (int t = 0; t < nt; t++)
		pthread_join(th[t], NULL);
}

/* Connections that got a BYE or were closed while idling; other untagged data is allowed. */
static int idle_poll_dead(struct idle_shared *sh)
{
	struct pollfd *pf = calloc((size_t)sh->n, sizeof *pf);
	if (!pf)
		return -1;
	for (int i = 0; i < sh->n; i++)
		pf[i] = (struct pollfd){.fd = sh->conns[i].dead ? -1 : sh->conns[i].fd,
					.events = POLLIN};
	int dead = 0;
	if (poll(pf, (nfds_t)sh->n, 0) > 0)
		for (int i = 0; i < sh->n; i++) {
			if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char peek[64];
			ssize_t r = recv(pf[i].fd, peek, sizeof peek - 1, MSG_PEEK | MSG_DONTWAIT);
			if (r <= 0 || (r > 5 && strncasecmp(peek, "* BYE", 5) == 0)) {
				report_error(sh->conns[i].who, "closed while idling");
				sh->conns[i].dead = true;
				dead++;
			}
		}
	free(pf);
	return dead;
}

static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)opt.conns + 100)
		fprintf(stderr,
			"warning: RLIMIT_NOFILE %lu is below %d connections; raise ulimit -n\n",
			(unsigned long)rl.rlim_cur, opt.conns);
}

static int run_idle(void)
{
	raise_nofile();
	struct idle_shared sh = {.n = opt.conns};
	sh.conns = calloc((size_t)sh.n, sizeof *sh.conns);
	if (!sh.conns)
		return 1;
	struct proc_usage before = opt.pid > 0 ? tree_usage(opt.pid) : (struct proc_usage){0};
	uint64_t t0 = now_ns();
	run_threads(&sh, idle_open_thread);
	double open_s = (double)(now_ns() - t0) / 1e9;
	int opened = atomic_load(&sh.ready), open_failed = atomic_load(&sh.failed);
	printf("idle: %d of %d connections logged in, selected INBOX and idling in %.1fs "
	       "(%.0f/s); holding %.0fs\n",
	       opened, sh.n, open_s, opened / open_s, opt.hold);
	fflush(stdout);
	struct timespec ts = {.tv_sec = (time_t)opt.hold,
			      .tv_nsec = (long)((opt.hold - (double)(time_t)opt.hold) * 1e9)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	struct proc_usage held = opt.pid > 0 ? tree_usage(opt.pid) : (struct proc_usage){0};
	int dead = idle_poll_dead(&sh);
	run_threads(&sh, idle_check_thread);
	int alive = atomic_load(&sh.ready), check_failed = atomic_load(&sh.failed);
	if (opt.pid > 0) {
		printf("server memory before: RSS %.1f MB, PSS %.1f MB (%u processes)\n",
		       (double)before.rss_kb / 1024, (double)before.pss_kb / 1024, before.nprocs);
		printf("server memory holding %d idle connections: RSS %.1f MB, PSS %.1f MB "
		       "(%u processes); per connection: %.1f KB RSS\n",
		       opened, (double)held.rss_kb / 1024, (double)held.pss_kb / 1024, held.nprocs,
		       opened ? (double)(held.rss_kb - before.rss_kb) / opened : 0.0);
	}
	printf("alive after hold: %d of %d (%d closed while idling, %d failed DONE)\n", alive, sh.n,
	       dead, check_failed);
	printf("RESULT idle_conns=%d opened=%d alive=%d open_failed=%d rss_mb=%.1f pss_mb=%.1f "
	       "rss_before_mb=%.1f procs=%u open_s=%.1f\n",
	       sh.n, opened, alive, open_failed, (double)held.rss_kb / 1024,
	       (double)held.pss_kb / 1024, (double)before.rss_kb / 1024, held.nprocs, open_s);
	free(sh.conns);
	return alive == sh.n ? 0 : 1;
}

/* ---- main ---- */

static void usage(void)
{
	fprintf(
	    stderr,
	    "usage: imapload populate|load|idle [options]\n"
	    "  -H HOST      server (127.0.0.1)        -P PORT     port (143)\n"
	    "  -u USER      login name                -w PASS     password\n"
	    "  -T           implicit TLS (no certificate verification: a benchmark on loopback)\n"
	    "  -c N         clients (20); populate: mailboxes PREFIX1..PREFIXN\n"
	    "  -d SECONDS   load duration (30)        -o OPS      stop after OPS operations\n"
	    "  -n N         populate: messages spread over the N mailboxes (10000)\n"
	    "  -m PREFIX    mailbox prefix (load)     -s SEED     seed (1)\n"
	    "  -k K         idle: connections (10000) -t T        idle: opening threads (16)\n"
	    "  -S S         idle: loopback source addresses 127.0.0.1..S (1)\n"
	    "  -U N         idle: N users, the %%d in -u replaced by 1..N (1)\n"
	    "  -h SECONDS   idle: hold time (10)      -p PID      server pid: CPU and memory of "
	    "its "
	    "process tree\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	opt.mode = argv[1];
	int ch;
	optind = 2;
	while ((ch = getopt(argc, argv, "H:P:u:w:Tc:d:o:n:m:s:k:t:S:U:h:p:")) != -1) {
		switch (ch) {
		case 'H': opt.host = optarg; break;
		case 'P': opt.port = optarg; break;
		case 'u': opt.user = optarg; break;
		case 'w': opt.password = optarg; break;
		case 'T': opt.tls = true; break;
		case 'c': opt.clients = atoi(optarg); break;
		case 'd': opt.duration = atof(optarg); break;
		case 'o': opt.ops = atol(optarg); break;
		case 'n': opt.messages = atol(optarg); break;
		case 'm': opt.prefix = optarg; break;
		case 's': opt.seed = strtoull(optarg, NULL, 10); break;
		case 'k': opt.conns = atoi(optarg); break;
		case 't': opt.threads = atoi(optarg); break;
		case 'S': opt.sources = atoi(optarg); break;
		case 'U': opt.users = atoi(optarg); break;
		case 'h': opt.hold = atof(optarg); break;
		case 'p': opt.pid = atol(optarg); break;
		default: usage();
		}
	}
	if (!opt.user || !opt.password || optind != argc)
		usage();
	if (opt.users > 1 && (!strstr(opt.user, "%d") || strlen(opt.user) > 150)) {
		fprintf(stderr,
			"imapload: -U N needs a user name with %%d, e.g. user%%d@example.org\n");
		return 2;
	}
	if (opt.clients < 1 || opt.clients > MAX_CLIENTS || opt.conns < 1 ||
	    opt.conns > MAX_IDLE_CONNS || opt.messages < opt.clients || opt.sources < 1 ||
	    opt.sources > 254 || strlen(opt.prefix) > 100) {
		fprintf(stderr,
			"imapload: option out of range (clients 1..%d, connections 1..%d, "
			"messages >= clients, sources 1..254)\n",
			MAX_CLIENTS, MAX_IDLE_CONNS);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (opt.tls) {
		ssl_ctx = SSL_CTX_new(TLS_client_method());
		if (!ssl_ctx)
			return 1;
		SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_NONE, NULL);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(opt.mode, "populate") == 0)
		return run_populate();
	if (strcmp(opt.mode, "load") == 0)
		return run_load();
	if (strcmp(opt.mode, "idle") == 0)
		return run_idle();
	usage();
}
