#include "net/conn.h"

#include "base/buf.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "net/shutdown.h"
#include "net/sockio.h"
#include "net/tlsclient.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A read buffer larger than this is given back when it runs empty. */
#define CONN_RBUF_KEEP (64 * 1024)

struct conn {
	struct sockio io;
	struct tls_ctx *tls;     /* server side: held while io.ssl exists */
	struct tls_client *tlsc; /* client side: held while io.ssl exists */
	bool tls_done;           /* handshake completed */
	struct tls_info tlsinfo;

	struct buf rbuf; /* input; rbuf.data[rpos..len) is not handed out yet */
	size_t rpos;
	struct buf wbuf;
	struct error werr; /* kind ERR_NONE until a write fails */
	int read_ms;
	int write_ms;
	bool closed;
	uint64_t bytes_in;
	uint64_t bytes_out;

	struct logger lg;
	struct sockaddr_storage remote_sa;
	struct sockaddr_storage local_sa;
	char remote_ip[INET6_ADDRSTRLEN];
	char local_ip[INET6_ADDRSTRLEN];
	uint16_t remote_port;
	uint16_t local_port;
	char remote[CONN_ADDR_MAX];
	char local[CONN_ADDR_MAX];
};

static atomic_uint_fast64_t last_cid;

uint64_t conn_next_cid(void)
{
	return (uint64_t)atomic_fetch_add(&last_cid, 1) + 1;
}

/* The address without port into ip (INET6_ADDRSTRLEN bytes), and its port. */
static void format_ip(const struct sockaddr *sa, char *ip, uint16_t *port)
{
	*port = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, ip, INET6_ADDRSTRLEN);
		*port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, INET6_ADDRSTRLEN);
		*port = ntohs(in6->sin6_port);
	} else {
		str_copy(ip, INET6_ADDRSTRLEN, "unix");
	}
}

void conn_format_addr(const struct sockaddr *sa, char *out, size_t cap, uint16_t *port)
{
	char ip[INET6_ADDRSTRLEN];
	format_ip(sa, ip, port);
	if (sa->sa_family == AF_INET)
		snprintf(out, cap, "%s:%u", ip, *port);
	else if (sa->sa_family == AF_INET6)
		snprintf(out, cap, "[%s]:%u", ip, *port);
	else
		str_copy(out, cap, ip);
}

static void read_addresses(struct conn *c)
{
	socklen_t len = sizeof c->remote_sa;
	if (getpeername(c->io.fd, (struct sockaddr *)&c->remote_sa, &len) < 0)
		c->remote_sa.ss_family = AF_UNSPEC;
	len = sizeof c->local_sa;
	if (getsockname(c->io.fd, (struct sockaddr *)&c->local_sa, &len) < 0)
		c->local_sa.ss_family = AF_UNSPEC;
	const struct sockaddr *r = (const struct sockaddr *)&c->remote_sa;
	const struct sockaddr *l = (const struct sockaddr *)&c->local_sa;
	format_ip(r, c->remote_ip, &c->remote_port);
	format_ip(l, c->local_ip, &c->local_port);
	conn_format_addr(r, c->remote, sizeof c->remote, &c->remote_port);
	conn_format_addr(l, c->local, sizeof c->local, &c->local_port);
}

struct conn *conn_new(int fd, struct log_pkg *pkg)
{
	net_shutdown_fd(); /* also makes SIGPIPE harmless before the first write */
	struct conn *c = xcalloc(1, sizeof *c);
	c->io.fd = fd;
	c->read_ms = CONN_TIMEOUT_DEFAULT_MS;
	c->write_ms = CONN_TIMEOUT_DEFAULT_MS;
	c->lg.pkg = pkg ? pkg : log_pkg("net");
	c->lg.cid = conn_next_cid();
	int flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	read_addresses(c);
	if (c->remote_sa.ss_family == AF_INET || c->remote_sa.ss_family == AF_INET6) {
		/* Replies are flushed whole; waiting for more to coalesce only adds latency. */
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	return c;
}

uint64_t conn_cid(const struct conn *c)
{
	return c->lg.cid;
}

const struct logger *conn_log(const struct conn *c)
{
	return &c->lg;
}

int conn_fd(const struct conn *c)
{
	return c->io.fd;
}

const char *conn_remote_ip(const struct conn *c)
{
	return c->remote_ip;
}

uint16_t conn_remote_port(const struct conn *c)
{
	return c->remote_port;
}

const char *conn_remote(const struct conn *c)
{
	return c->remote;
}

const char *conn_local_ip(const struct conn *c)
{
	return c->local_ip;
}

uint16_t conn_local_port(const struct conn *c)
{
	return c->local_port;
}

const char *conn_local(const struct conn *c)
{
	return c->local;
}

const struct sockaddr *conn_remote_addr(const struct conn *c)
{
	return (const struct sockaddr *)&c->remote_sa;
}

uint64_t conn_bytes_in(const struct conn *c)
{
	return c->bytes_in;
}

uint64_t conn_bytes_out(const struct conn *c)
{
	return c->bytes_out;
}

void conn_set_timeouts(struct conn *c, int read_ms, int write_ms)
{
	c->read_ms = read_ms;
	c->write_ms = write_ms;
}

/* ---- reading ---- */

static size_t avail(const struct conn *c)
{
	return c->rbuf.len - c->rpos;
}

static char *rstart(const struct conn *c)
{
	return c->rbuf.data + c->rpos;
}

/* Moves unread input to the front, or gives back a large empty buffer. */
static void compact(struct conn *c)
{
	if (c->rpos == 0)
		return;
	if (c->rpos == c->rbuf.len) {
		if (c->rbuf.cap > CONN_RBUF_KEEP)
			buf_free(&c->rbuf);
		else
			buf_reset(&c->rbuf);
	} else {
		buf_consume(&c->rbuf, c->rpos);
	}
	c->rpos = 0;
}

/* One read from the socket, appended to the buffer. */
static bool fill(struct conn *c, int64_t deadline, struct error *err)
{
	if (c->closed)
		return error_set(err, ERR_CLOSED, "read: connection closed");
	compact(c);
	/* One byte less than the chunk: with the NUL buf_reserve adds, an empty buffer gets
	 * exactly CONN_READ_CHUNK bytes instead of doubling to twice that (idle connections
	 * hold this buffer). */
	buf_reserve(&c->rbuf, CONN_READ_CHUNK - 1);
	size_t got;
	if (!sockio_read(&c->io, c->rbuf.data + c->rbuf.len, c->rbuf.cap - c->rbuf.len - 1,
			 deadline, &got, err))
		return false;
	c->rbuf.len += got;
	c->rbuf.data[c->rbuf.len] = '\0';
	c->bytes_in += got;
	return true;
}

static bool too_long(size_t max, struct error *err)
{
	return error_set(err, ERR_LIMIT, "line longer than %zu bytes", max);
}

/* The line is n bytes up to its LF, which is at rstart()[n]. */
static bool take_line(struct conn *c, size_t n, size_t max, struct str *line, enum conn_eol *eol,
		      struct error *err)
{
	char *start = rstart(c);
	bool crlf = n > 0 && start[n - 1] == '\r';
	size_t content = crlf ? n - 1 : n;
	if (content > max)
		return too_long(max, err);
	start[content] = '\0'; /* callers may treat the line as a C string */
	*line = str_make(start, content);
	if (eol)
		*eol = crlf ? CONN_EOL_CRLF : CONN_EOL_LF;
	c->rpos += n + 1;
	return true;
}

bool conn_read_line(struct conn *c, size_t max, struct str *line, enum conn_eol *eol,
		    struct error *err)
{
	int64_t deadline = sockio_deadline(c->read_ms);
	size_t scanned = 0; /* bytes already known to hold no LF */
	for (;;) {
		size_t n = avail(c);
		const char *nl =
		    n > scanned ? memchr(rstart(c) + scanned, '\n', n - scanned) : NULL;
		if (nl)
			return take_line(c, (size_t)(nl - rstart(c)), max, line, eol, err);
		/* Content plus a CR that may precede the coming LF. */
		if (n > 0 && n - 1 > max)
			return too_long(max, err);
		scanned = n;
		if (!fill(c, deadline, err)) {
			if (err && err->kind == ERR_CLOSED && n > 0)
				error_set(err, ERR_CLOSED,
					  "read: connection closed in the middle of a line");
			return false;
		}
	}
}

bool conn_skip_line(struct conn *c, size_t max, struct error *err)
{
	int64_t deadline = sockio_deadline(c->read_ms);
	size_t skipped = 0;
	for (;;) {
		size_t n = avail(c);
		const char *nl = n ? memchr(rstart(c), '\n', n) : NULL;
		if (nl) {
			c->rpos += (size_t)(nl - rstart(c)) + 1;
			return true;
		}
		skipped += n;
		c->rpos = c->rbuf.len;
		if (skipped > max)
			return error_set(err, ERR_LIMIT, "no line end within %zu bytes", max);
		if (!fill(c, deadline, err))
			return false;
	}
}

static size_t take(struct conn *c, void *dst, size_t n)
{
	size_t k = avail(c) < n ? avail(c) : n;
	if (k)
		memcpy(dst, rstart(c), k);
	c->rpos += k;
	return k;
}

bool conn_read_exact(struct conn *c, void *dst, size_t n, struct error *err)
{
	int64_t deadline = sockio_deadline(c->read_ms);
	char *d = dst;
	size_t k = take(c, d, n);
	d += k;
	n -= k;
	while (n > 0) {
		if (c->closed)
			return error_set(err, ERR_CLOSED, "read: connection closed");
		if (n >= CONN_READ_CHUNK) {
			/* Large remainders go straight to the caller, without a copy. */
			size_t got;
			if (!sockio_read(&c->io, d, n, deadline, &got, err))
				return false;
			c->bytes_in += got;
			d += got;
			n -= got;
			continue;
		}
		if (!fill(c, deadline, err))
			return false;
		k = take(c, d, n);
		d += k;
		n -= k;
	}
	return true;
}

bool conn_read_some(struct conn *c, size_t max, struct str *chunk, struct error *err)
{
	if (max == 0)
		return error_set(err, ERR_INVALID, "read of 0 bytes");
	if (avail(c) == 0 && !fill(c, sockio_deadline(c->read_ms), err))
		return false;
	size_t k = avail(c) < max ? avail(c) : max;
	*chunk = str_make(rstart(c), k);
	c->rpos += k;
	return true;
}

size_t conn_buffered(const struct conn *c)
{
	size_t n = avail(c);
	if (c->io.ssl && c->tls_done && !c->closed)
		n += (size_t)SSL_pending(c->io.ssl);
	return n;
}

void conn_trim(struct conn *c)
{
	if (avail(c) == 0) {
		buf_free(&c->rbuf);
		c->rpos = 0;
	}
	if (c->wbuf.len == 0)
		buf_free(&c->wbuf);
}

/* ---- writing ---- */

static bool send_now(struct conn *c, const void *p, size_t n, struct error *err)
{
	struct error local = {ERR_NONE, ""};
	struct error *e = err ? err : &local;
	if (!sockio_write(&c->io, p, n, sockio_deadline(c->write_ms), e)) {
		c->werr = *e;
		return false;
	}
	c->bytes_out += n;
	return true;
}

static bool writable(struct conn *c, struct error *err)
{
	if (c->closed)
		return error_set(err, ERR_CLOSED, "write: connection closed");
	if (c->werr.kind != ERR_NONE) {
		if (err)
			*err = c->werr;
		return false;
	}
	return true;
}

bool conn_flush(struct conn *c, struct error *err)
{
	if (!writable(c, err))
		return false;
	if (c->wbuf.len == 0)
		return true;
	bool ok = send_now(c, c->wbuf.data, c->wbuf.len, err);
	buf_reset(&c->wbuf);
	return ok;
}

bool conn_write(struct conn *c, const void *p, size_t n, struct error *err)
{
	if (!writable(c, err))
		return false;
	if (n >= CONN_WBUF_FLUSH)
		return conn_flush(c, err) && send_now(c, p, n, err);
	buf_append(&c->wbuf, p, n);
	return c->wbuf.len < CONN_WBUF_FLUSH || conn_flush(c, err);
}

bool conn_puts(struct conn *c, const char *s, struct error *err)
{
	return conn_write(c, s, strlen(s), err);
}

bool conn_printf(struct conn *c, struct error *err, const char *fmt, ...)
{
	if (!writable(c, err))
		return false;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&c->wbuf, fmt, ap);
	va_end(ap);
	return c->wbuf.len < CONN_WBUF_FLUSH || conn_flush(c, err);
}

/* ---- waiting ---- */

bool conn_wait_input(struct conn *c, int extra_fd, int timeout_ms, unsigned *ready,
		     struct error *err)
{
	*ready = 0;
	if (conn_buffered(c) > 0) {
		*ready = CONN_READY_INPUT;
		return true;
	}
	int64_t deadline = sockio_deadline(timeout_ms);
	struct pollfd p[3] = {
	    {c->io.fd, POLLIN, 0}, {net_shutdown_fd(), POLLIN, 0}, {extra_fd, POLLIN, 0}};
	for (;;) {
		if (net_shutting_down())
			return error_set(err, ERR_SHUTDOWN, "server shutting down");
		int64_t left = deadline - mono_ms();
		if (left <= 0)
			return error_set(err, ERR_TIMEOUT, "timeout waiting for input");
		int n = poll(p, extra_fd >= 0 ? 3 : 2, left > INT_MAX ? INT_MAX : (int)left);
		if (n < 0 && errno != EINTR)
			return error_errno(err, errno, "poll");
		if (n <= 0)
			continue;
		if (p[1].revents)
			return error_set(err, ERR_SHUTDOWN, "server shutting down");
		*ready = (p[0].revents ? CONN_READY_INPUT : 0) |
			 (extra_fd >= 0 && p[2].revents ? CONN_READY_EXTRA : 0);
		if (*ready)
			return true;
	}
}

/* ---- TLS ---- */

static void log_tls(struct conn *c)
{
	const struct tls_info *t = &c->tlsinfo;
	log_debug(&c->lg, "tls handshake done", LS("version", t->version), LS("cipher", t->cipher),
		  LS("sni", t->sni), LS("alpn", t->alpn), LB("resumed", t->resumed),
		  LS("clientfp", t->client_fp));
}

bool conn_tls_accept(struct conn *c, struct tls_ctx *t, int timeout_ms, struct error *err)
{
	if (c->closed)
		return error_set(err, ERR_CLOSED, "tls handshake: connection closed");
	if (c->io.ssl)
		return error_set(err, ERR_INVALID, "tls handshake: tls already active");
	SSL *ssl = tls_ssl_new(t, err);
	if (!ssl)
		return false;
	if (SSL_set_fd(ssl, c->io.fd) != 1) {
		SSL_free(ssl);
		return error_set(err, ERR_INTERNAL, "tls handshake: attaching socket failed");
	}
	SSL_set_accept_state(ssl);
	c->io.ssl = ssl;
	c->tls = tls_ctx_ref(t);
	if (!sockio_handshake(&c->io, sockio_deadline(timeout_ms), err))
		return false;
	tls_info_fill(ssl, &c->tlsinfo);
	c->tls_done = true;
	log_tls(c);
	return true;
}

/*
 * Reads and drops what already arrived. Before the STARTTLS reply is sent
 * no conforming client can have started its handshake, so all of it is
 * plaintext sent after the command.
 */
static bool drain_plaintext(struct conn *c, size_t *dropped, struct error *err)
{
	char junk[4096];
	for (;;) {
		ssize_t r = recv(c->io.fd, junk, sizeof junk, MSG_DONTWAIT);
		if (r == 0)
			return error_set(err, ERR_CLOSED, "starttls: connection closed");
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return true;
			return error_errno(err, errno, "starttls: read");
		}
		*dropped += (size_t)r;
		c->bytes_in += (uint64_t)r;
		if (*dropped > CONN_STARTTLS_DRAIN_MAX)
			return error_set(err, ERR_LIMIT,
					 "starttls: more than %d bytes of plaintext "
					 "after the command",
					 CONN_STARTTLS_DRAIN_MAX);
	}
}

bool conn_starttls(struct conn *c, struct tls_ctx *t, const char *reply, int timeout_ms,
		   struct error *err)
{
	if (c->io.ssl)
		return error_set(err, ERR_INVALID, "starttls: tls already active");
	/* RFC 3207 4.2, RFC 9051 6.2.1: nothing sent before the handshake may count after it. */
	size_t dropped = avail(c);
	c->rpos = c->rbuf.len;
	compact(c);
	bool ok = !reply || (drain_plaintext(c, &dropped, err) && conn_puts(c, reply, err) &&
			     conn_flush(c, err));
	if (dropped > 0)
		log_info(&c->lg, "discarded plaintext sent after starttls", LU("bytes", dropped));
	return ok && conn_tls_accept(c, t, timeout_ms, err);
}

bool conn_tls_connect(struct conn *c, struct tls_client *t, const struct tls_client_params *p,
		      int timeout_ms, struct tls_client_result *res, struct error *err)
{
	memset(res, 0, sizeof *res);
	res->verify = p->verify;
	if (c->closed)
		return error_set(err, ERR_CLOSED, "tls handshake: connection closed");
	if (c->io.ssl)
		return error_set(err, ERR_INVALID, "tls handshake: tls already active");
	/* RFC 3207 4.2: what the server sent before TLS cannot be trusted after it. */
	if (avail(c) > 0)
		log_info(&c->lg, "discarded plaintext received before the tls handshake",
			 LU("bytes", avail(c)));
	c->rpos = c->rbuf.len;
	compact(c);
	SSL *ssl = tls_client_ssl_new(t, p, res, err);
	if (!ssl)
		return false;
	if (SSL_set_fd(ssl, c->io.fd) != 1) {
		SSL_free(ssl);
		return error_set(err, ERR_INTERNAL, "tls handshake: attaching socket failed");
	}
	c->io.ssl = ssl;
	c->tlsc = tls_client_ref(t);
	bool ok = sockio_handshake(&c->io, sockio_deadline(timeout_ms), err);
	if (!tls_client_finish(t, ssl, p, ok, res, err)) {
		/* A connection that failed verification may not carry data. */
		c->io.tls_failed = true;
		log_debug(
		    &c->lg, "tls client handshake failed", LS("verify", tls_verify_name(p->verify)),
		    LS("result", tls_result_type_name(res->failure)), LS("reason", res->reason));
		return false;
	}
	tls_info_fill(ssl, &c->tlsinfo);
	c->tls_done = true;
	log_debug(&c->lg, "tls client handshake done", LS("version", res->version),
		  LS("cipher", res->cipher), LS("sni", res->server_name),
		  LS("verify", tls_verify_name(p->verify)), LB("verified", res->verified),
		  LB("pkix", res->pkix.ok), LB("dane", res->dane.ok),
		  LS("result", tls_result_type_name(res->failure)), LS("reason", res->reason));
	return true;
}

bool conn_tls_peer_chain_pem(struct conn *c, struct buf *out, struct error *err)
{
	if (!c->io.ssl)
		return error_set(err, ERR_INVALID, "peer certificates: connection is not tls");
	return tls_peer_chain_pem(c->io.ssl, out, err);
}

const struct tls_info *conn_tls(const struct conn *c)
{
	return c->tls_done ? &c->tlsinfo : NULL;
}

bool conn_tls_exporter(struct conn *c, uint8_t out[TLS_EXPORTER_LEN], struct error *err)
{
	if (!c->tls_done)
		return error_set(err, ERR_INVALID, "tls-exporter: connection is not tls");
	return tls_exporter(c->io.ssl, out, err);
}

bool conn_tls_unique(struct conn *c, uint8_t *out, size_t cap, size_t *len, struct error *err)
{
	if (!c->tls_done)
		return error_set(err, ERR_INVALID, "tls-unique: connection is not tls");
	return tls_unique(c->io.ssl, out, cap, len, err);
}

/* ---- closing ---- */

/* Reads and drops input until EOF, for at most CONN_LINGER_MS and CONN_LINGER_MAX. */
static void linger(int fd)
{
	int64_t deadline = sockio_deadline(CONN_LINGER_MS);
	char junk[4096];
	size_t total = 0;
	while (total < CONN_LINGER_MAX) {
		ssize_t r = recv(fd, junk, sizeof junk, MSG_DONTWAIT);
		if (r == 0)
			return;
		if (r > 0) {
			total += (size_t)r;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return;
		if (!sockio_wait(fd, POLLIN, deadline, false, NULL))
			return;
	}
}

void conn_close(struct conn *c)
{
	if (c->closed)
		return;
	int close_ms = c->write_ms < CONN_CLOSE_TIMEOUT_MS ? c->write_ms : CONN_CLOSE_TIMEOUT_MS;
	int64_t deadline = sockio_deadline(close_ms);
	if (c->wbuf.len > 0 && c->werr.kind == ERR_NONE &&
	    sockio_write(&c->io, c->wbuf.data, c->wbuf.len, deadline, NULL))
		c->bytes_out += c->wbuf.len;
	c->closed = true;
	buf_free(&c->wbuf);
	buf_free(&c->rbuf);
	c->rpos = 0;
	if (c->werr.kind == ERR_NONE)
		sockio_tls_close(&c->io, deadline);
	shutdown(c->io.fd, SHUT_WR);
	linger(c->io.fd);
	close(c->io.fd);
	c->io.fd = -1;
	SSL_free(c->io.ssl);
	c->io.ssl = NULL;
	c->tls_done = false;
	tls_ctx_unref(c->tls);
	c->tls = NULL;
	tls_client_unref(c->tlsc);
	c->tlsc = NULL;
	log_debug(&c->lg, "connection closed", LU("bytes_in", c->bytes_in),
		  LU("bytes_out", c->bytes_out));
}

void conn_free(struct conn *c)
{
	if (!c)
		return;
	conn_close(c);
	free(c);
}
