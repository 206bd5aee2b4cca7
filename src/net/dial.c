#include "net/dial.h"

#include "base/buf.h"
#include "base/timeutil.h"
#include "net/sockio.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool dial_addr_parse(const char *ip, uint16_t port, struct dial_addr *out, struct error *err)
{
	memset(out, 0, sizeof *out);
	struct sockaddr_in *in = (struct sockaddr_in *)&out->sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->sa;
	if (inet_pton(AF_INET, ip, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		out->len = sizeof *in;
		return true;
	}
	if (inet_pton(AF_INET6, ip, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		out->len = sizeof *in6;
		return true;
	}
	return error_set(err, ERR_INVALID, "not an IP address: %s", ip);
}

/* The kind a failed connect(2) errno stands for. */
static enum error_kind connect_error_kind(int e)
{
	switch (e) {
	case ECONNREFUSED: return ERR_REFUSED;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case ENETDOWN:
	case EHOSTDOWN: return ERR_UNREACHABLE;
	case ETIMEDOUT: return ERR_TIMEOUT;
	default: return ERR_IO;
	}
}

static bool connect_failed(int e, const char *what, struct error *err)
{
	error_errno(err, e, "%s", what);
	if (err)
		err->kind = connect_error_kind(e);
	return false;
}

static const struct dial_addr *local_for(const struct dial_opts *o, int family)
{
	for (size_t i = 0; i < o->nlocal; i++)
		if (o->local[i].sa.ss_family == family)
			return &o->local[i];
	return NULL;
}

/* Waits for a nonblocking connect to finish; false with the reason. */
static bool finish_connect(int fd, int64_t deadline, struct error *err)
{
	if (!sockio_wait(fd, POLLOUT, deadline, true, err)) {
		if (err && err->kind == ERR_TIMEOUT)
			error_set(err, ERR_TIMEOUT, "no answer within the time allowed");
		return false;
	}
	int soerr = 0;
	socklen_t sl = sizeof soerr;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
		return connect_failed(errno, "getsockopt", err);
	return soerr == 0 || connect_failed(soerr, "connect", err);
}

/* One attempt: a connected nonblocking socket, or -1 with err set. */
static int connect_one(const struct dial_addr *a, const struct dial_opts *o, int64_t deadline,
		       struct error *err)
{
	int fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		connect_failed(errno, "socket", err);
		return -1;
	}
	const struct dial_addr *local = local_for(o, a->sa.ss_family);
	bool ok = true;
	if (local && bind(fd, (const struct sockaddr *)&local->sa, local->len) < 0) {
		char addr[CONN_ADDR_MAX];
		uint16_t port;
		conn_format_addr((const struct sockaddr *)&local->sa, addr, sizeof addr, &port);
		ok = error_errno(err, errno, "binding local address %s", addr);
	} else if (connect(fd, (const struct sockaddr *)&a->sa, a->len) < 0) {
		ok = errno == EINPROGRESS || errno == EINTR ? finish_connect(fd, deadline, err)
							    : connect_failed(errno, "connect", err);
	}
	if (!ok) {
		close(fd);
		return -1;
	}
	return fd;
}

struct conn *dial_addrs(const struct dial_addr *addrs, size_t n, const struct dial_opts *o,
			size_t *used, struct error *err)
{
	if (n == 0) {
		error_set(err, ERR_INVALID, "dial: no address to connect to");
		return NULL;
	}
	if (n > DIAL_ADDRS_MAX)
		n = DIAL_ADDRS_MAX;
	struct logger lg = {o->pkg ? o->pkg : log_pkg("net"), 0};
	int64_t end = sockio_deadline(o->timeout_ms > 0 ? o->timeout_ms : DIAL_TIMEOUT_DEFAULT_MS);
	struct buf reasons = BUF_INIT;
	struct error e = {0};
	for (size_t i = 0; i < n; i++) {
		int64_t left = end - mono_ms();
		int64_t deadline = mono_ms() + (left > 0 ? left / (int64_t)(n - i) : 0);
		char addr[CONN_ADDR_MAX];
		uint16_t port;
		conn_format_addr((const struct sockaddr *)&addrs[i].sa, addr, sizeof addr, &port);
		log_debug(&lg, "dialing", LS("addr", addr));
		int fd = connect_one(&addrs[i], o, deadline, &e);
		if (fd >= 0) {
			buf_free(&reasons);
			if (used)
				*used = i;
			struct conn *c = conn_new(fd, o->pkg);
			log_debug(conn_log(c), "connected", LS("remote", conn_remote(c)),
				  LS("local", conn_local(c)));
			return c;
		}
		log_debug(&lg, "dial failed", LS("addr", addr), LE(&e));
		buf_printf(&reasons, "%s%s: %s", reasons.len ? "; " : "", addr, e.msg);
		if (e.kind == ERR_SHUTDOWN)
			break;
	}
	error_set(err, e.kind, "dial %s", buf_cstr(&reasons));
	buf_free(&reasons);
	return NULL;
}

static bool resolve(const char *host, uint16_t port, struct dial_addr *out, size_t *n,
		    struct error *err)
{
	char service[8];
	snprintf(service, sizeof service, "%u", port);
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_protocol = IPPROTO_TCP};
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(host, service, &hints, &res);
	if (rc != 0) {
		enum error_kind kind = rc == EAI_NONAME || rc == EAI_NODATA ? ERR_NOTFOUND
				       : rc == EAI_AGAIN                    ? ERR_TEMPORARY
									    : ERR_IO;
		return error_set(err, kind, "resolving %s: %s", host, gai_strerror(rc));
	}
	*n = 0;
	for (struct addrinfo *ai = res; ai && *n < DIAL_ADDRS_MAX; ai = ai->ai_next) {
		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof out[*n].sa)
			continue;
		memcpy(&out[*n].sa, ai->ai_addr, ai->ai_addrlen);
		out[*n].len = ai->ai_addrlen;
		(*n)++;
	}
	freeaddrinfo(res);
	return *n > 0 || error_set(err, ERR_NOTFOUND, "resolving %s: no IP address", host);
}

struct conn *dial_host(const char *host, uint16_t port, const struct dial_opts *o,
		       struct error *err)
{
	struct dial_addr addrs[DIAL_ADDRS_MAX];
	size_t n = 0;
	if (!resolve(host, port, addrs, &n, err))
		return NULL;
	return dial_addrs(addrs, n, o, NULL, err);
}
