#include "net/sockio.h"

#include "base/timeutil.h"
#include "net/shutdown.h"
#include "net/tls.h"

#include <errno.h>
#include <limits.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>

int64_t sockio_deadline(int timeout_ms)
{
	return mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
}

bool sockio_wait(int fd, short events, int64_t deadline, bool watch_shutdown, struct error *err)
{
	struct pollfd p[2] = {{fd, events, 0}, {net_shutdown_fd(), POLLIN, 0}};
	for (;;) {
		if (watch_shutdown && net_shutting_down())
			return error_set(err, ERR_SHUTDOWN, "server shutting down");
		int64_t left = deadline - mono_ms();
		if (left <= 0)
			return error_set(err, ERR_TIMEOUT, "timeout");
		int n = poll(p, watch_shutdown ? 2 : 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n < 0 && errno != EINTR)
			return error_errno(err, errno, "poll");
		/* POLLERR and POLLHUP count as ready: the next call reports what happened. */
		if (n > 0 && p[0].revents && !(watch_shutdown && p[1].revents))
			return true;
	}
}

static bool is_peer_gone(int e)
{
	return e == ECONNRESET || e == EPIPE || e == ETIMEDOUT || e == ECONNABORTED;
}

/* A vanished peer is ERR_CLOSED whatever errno says; errno 0 means EOF. */
static bool fail_errno(int e, const char *what, struct error *err)
{
	if (e == 0)
		return error_set(err, ERR_CLOSED, "%s: connection closed", what);
	error_errno(err, e, "%s", what);
	if (err && is_peer_gone(e))
		err->kind = ERR_CLOSED;
	return false;
}

static bool ssl_failed(struct sockio *io, int ssl_error, const char *what, struct error *err)
{
	int e = errno;
	io->tls_failed = ssl_error == SSL_ERROR_SSL || ssl_error == SSL_ERROR_SYSCALL;
	if (ssl_error == SSL_ERROR_ZERO_RETURN)
		return error_set(err, ERR_CLOSED, "%s: connection closed", what);
	if (ssl_error == SSL_ERROR_SYSCALL) {
		ERR_clear_error();
		return fail_errno(e, what, err);
	}
	unsigned long code = ERR_get_error();
	char detail[256] = "unknown tls error";
	if (code)
		ERR_error_string_n(code, detail, sizeof detail);
	ERR_clear_error();
	return error_set(err, ERR_INVALID, "%s: tls: %s", what, detail);
}

/* After a would-block result: wait for what TLS or the socket asked for. */
static bool wait_for(struct sockio *io, int ssl_error, int64_t deadline, bool watch_shutdown,
		     const char *what, struct error *err)
{
	short ev = ssl_error == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
	if (!sockio_wait(io->fd, ev, deadline, watch_shutdown, err))
		return error_prefix(err, "%s", what);
	return true;
}

static bool tls_read(struct sockio *io, void *p, size_t cap, int64_t deadline, size_t *got,
		     struct error *err)
{
	for (;;) {
		ERR_clear_error();
		int r = SSL_read(io->ssl, p, cap > INT_MAX ? INT_MAX : (int)cap);
		if (r > 0) {
			*got = (size_t)r;
			return true;
		}
		int e = SSL_get_error(io->ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			return ssl_failed(io, e, "read", err);
		if (!wait_for(io, e, deadline, true, "read", err))
			return false;
	}
}

bool sockio_read(struct sockio *io, void *p, size_t cap, int64_t deadline, size_t *got,
		 struct error *err)
{
	if (io->ssl)
		return tls_read(io, p, cap, deadline, got, err);
	for (;;) {
		ssize_t r = recv(io->fd, p, cap, 0);
		if (r > 0) {
			*got = (size_t)r;
			return true;
		}
		if (r == 0)
			return error_set(err, ERR_CLOSED, "read: connection closed");
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return fail_errno(errno, "read", err);
		if (!wait_for(io, SSL_ERROR_WANT_READ, deadline, true, "read", err))
			return false;
	}
}

/* Writes some bytes: *put > 0, or a would-block code in *blocked. */
static bool write_some(struct sockio *io, const char *p, size_t n, size_t *put, int *blocked,
		       struct error *err)
{
	*put = 0;
	*blocked = 0;
	if (io->ssl) {
		ERR_clear_error();
		int r = SSL_write(io->ssl, p, n > INT_MAX ? INT_MAX : (int)n);
		if (r > 0) {
			*put = (size_t)r;
			return true;
		}
		int e = SSL_get_error(io->ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			return ssl_failed(io, e, "write", err);
		*blocked = e;
		return true;
	}
	ssize_t r = send(io->fd, p, n, MSG_NOSIGNAL);
	if (r >= 0) {
		*put = (size_t)r;
		return true;
	}
	if (errno == EINTR)
		return true;
	if (errno != EAGAIN && errno != EWOULDBLOCK)
		return fail_errno(errno, "write", err);
	*blocked = SSL_ERROR_WANT_WRITE;
	return true;
}

bool sockio_write(struct sockio *io, const void *p, size_t n, int64_t deadline, struct error *err)
{
	const char *cp = p;
	while (n > 0) {
		size_t put;
		int blocked;
		if (!write_some(io, cp, n, &put, &blocked, err))
			return false;
		cp += put;
		n -= put;
		/* Not watching shutdown: a goodbye must still go out. */
		if (blocked && !wait_for(io, blocked, deadline, false, "write", err))
			return false;
	}
	return true;
}

bool sockio_handshake(struct sockio *io, int64_t deadline, struct error *err)
{
	for (;;) {
		ERR_clear_error();
		int r = SSL_do_handshake(io->ssl);
		if (r == 1)
			return true;
		int e = SSL_get_error(io->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			if (!wait_for(io, e, deadline, true, "tls handshake", err))
				return false;
			continue;
		}
		io->tls_failed = true;
		if (e == SSL_ERROR_SSL) {
			tls_handshake_error(io->ssl, e, err);
			return false;
		}
		return ssl_failed(io, e, "tls handshake", err);
	}
}

void sockio_tls_close(struct sockio *io, int64_t deadline)
{
	if (!io->ssl || io->tls_failed || !SSL_is_init_finished(io->ssl))
		return;
	for (;;) {
		ERR_clear_error();
		int r = SSL_shutdown(io->ssl);
		if (r >= 0)
			break; /* close_notify sent; the peer's is not waited for */
		int e = SSL_get_error(io->ssl, r);
		if (e != SSL_ERROR_WANT_WRITE && e != SSL_ERROR_WANT_READ)
			break;
		if (!sockio_wait(io->fd, e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN, deadline,
				 false, NULL))
			break;
	}
	ERR_clear_error();
}
