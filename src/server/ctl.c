#include "server/ctl.h"

#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static struct log_pkg *ctl_pkg(void)
{
	return log_pkg("ctl");
}

static bool wait_fd(int fd, short events, int timeout_ms, struct error *err)
{
	struct pollfd p = {fd, events, 0};
	for (;;) {
		int n = poll(&p, 1, timeout_ms);
		if (n > 0)
			return true;
		if (n == 0)
			return error_set(err, ERR_TIMEOUT, "ctl: timeout");
		if (errno != EINTR)
			return error_errno(err, errno, "ctl: poll");
	}
}

static bool write_full(struct ctl_conn *c, const char *p, size_t n, struct error *err)
{
	while (n > 0) {
		if (!wait_fd(c->fd, POLLOUT, c->timeout_ms, err))
			return false;
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return error_errno(err, errno, "ctl: write");
		}
		p += w;
		n -= (size_t)w;
	}
	return true;
}

static bool read_full(struct ctl_conn *c, char *p, size_t n, bool eof_ok_at_start,
		      struct error *err)
{
	size_t got = 0;
	while (got < n) {
		if (!wait_fd(c->fd, POLLIN, c->timeout_ms, err))
			return false;
		ssize_t r = recv(c->fd, p + got, n - got, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return error_errno(err, errno, "ctl: read");
		}
		if (r == 0)
			return error_set(err, ERR_CLOSED,
					 got == 0 && eof_ok_at_start
					     ? "ctl: connection closed"
					     : "ctl: connection closed mid-frame");
		got += (size_t)r;
	}
	return true;
}

bool ctl_send(struct ctl_conn *c, const void *p, size_t n, struct error *err)
{
	if (n > CTL_FRAME_MAX)
		return error_set(err, ERR_LIMIT, "ctl: frame of %zu bytes too large", n);
	char hdr[24];
	int hn = snprintf(hdr, sizeof hdr, "%zu\n", n);
	return write_full(c, hdr, (size_t)hn, err) && write_full(c, p, n, err);
}

bool ctl_send_str(struct ctl_conn *c, const char *s, struct error *err)
{
	return ctl_send(c, s, strlen(s), err);
}

bool ctl_send_error(struct ctl_conn *c, const char *msg, struct error *err)
{
	char *s = xasprintf("error: %s", msg);
	bool ok = ctl_send_str(c, s, err);
	free(s);
	return ok;
}

bool ctl_recv(struct ctl_conn *c, struct buf *out, struct error *err)
{
	/* Length line: at most 10 digits then '\n'. */
	char hdr[12];
	size_t i = 0;
	for (;;) {
		if (!read_full(c, &hdr[i], 1, i == 0, err))
			return false;
		if (hdr[i] == '\n')
			break;
		if (!ascii_isdigit(hdr[i]) || ++i >= sizeof hdr - 1)
			return error_set(err, ERR_INVALID, "ctl: malformed frame header");
	}
	uint64_t n;
	if (!str_parse_u64(str_make(hdr, i), CTL_FRAME_MAX, &n))
		return error_set(err, ERR_LIMIT, "ctl: bad or too large frame length");
	buf_reset(out);
	buf_reserve(out, (size_t)n);
	if (!read_full(c, out->data, (size_t)n, false, err))
		return false;
	out->len = (size_t)n;
	out->data[n] = '\0';
	return true;
}

bool ctl_recv_status(struct ctl_conn *c, struct error *err)
{
	struct buf b = BUF_INIT;
	bool ok = ctl_recv(c, &b, err);
	if (ok && strcmp(buf_cstr(&b), "ok") != 0) {
		const char *msg = buf_cstr(&b);
		if (strncmp(msg, "error: ", 7) == 0)
			msg += 7;
		ok = error_set(err, ERR_INVALID, "%s", msg);
	}
	buf_free(&b);
	return ok;
}

static bool fill_addr(const char *path, struct sockaddr_un *sa, struct error *err)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (!str_copy(sa->sun_path, sizeof sa->sun_path, path))
		return error_set(err, ERR_INVALID, "ctl socket path too long: %s", path);
	return true;
}

bool ctl_dial(const char *socket_path, struct ctl_conn *c, struct error *err)
{
	struct sockaddr_un sa;
	if (!fill_addr(socket_path, &sa, err))
		return false;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return error_errno(err, errno, "ctl: socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;
		close(fd);
		return error_errno(err, e, "connecting to running server at %s", socket_path);
	}
	c->fd = fd;
	c->timeout_ms = CTL_TIMEOUT_MS;
	return true;
}

void ctl_close(struct ctl_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

struct ctl_server {
	int fd;
	int stop_pipe[2];
	char *path;
	pthread_t thread;
	bool started;
	ctl_dispatch_fn fn;
	void *ctx;
	atomic_int clients;
};

struct ctl_client {
	struct ctl_server *srv;
	struct ctl_conn conn;
};

struct ctl_server *ctl_listen(const char *path, struct error *err)
{
	struct sockaddr_un sa;
	if (!fill_addr(path, &sa, err))
		return NULL;
	/* A leftover socket from a crashed server is replaced; a live one is not. */
	struct ctl_conn probe;
	if (ctl_dial(path, &probe, NULL)) {
		ctl_close(&probe);
		error_set(err, ERR_EXISTS, "a server is already running (ctl socket %s answers)",
			  path);
		return NULL;
	}
	unlink(path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		error_errno(err, errno, "ctl: socket");
		return NULL;
	}
	/* umask closes the window between bind and chmod; ctl_listen runs before threads exist. */
	mode_t old = umask(077);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (rc < 0 || chmod(path, 0600) < 0 || listen(fd, 16) < 0) {
		error_errno(err, errno, "ctl: listen on %s", path);
		close(fd);
		return NULL;
	}
	struct ctl_server *s = xcalloc(1, sizeof *s);
	s->fd = fd;
	s->path = xstrdup(path);
	if (pipe2(s->stop_pipe, O_CLOEXEC) < 0) {
		error_errno(err, errno, "ctl: pipe");
		close(fd);
		free(s->path);
		free(s);
		return NULL;
	}
	return s;
}

static void *client_main(void *arg)
{
	struct ctl_client *cl = arg;
	struct logger lg = {ctl_pkg(), 0};
	struct buf cmd = BUF_INIT;
	struct error err = {0};
	if (ctl_recv(&cl->conn, &cmd, &err)) {
		log_debug(&lg, "ctl command", LS("cmd", buf_cstr(&cmd)));
		cl->srv->fn(cl->srv->ctx, &cl->conn, buf_cstr(&cmd));
	} else if (err.kind != ERR_CLOSED) {
		log_info(&lg, "ctl: reading command", LE(&err));
	}
	buf_free(&cmd);
	ctl_close(&cl->conn);
	atomic_fetch_sub(&cl->srv->clients, 1);
	free(cl);
	return NULL;
}

static void spawn_client(struct ctl_server *s, int fd)
{
	struct logger lg = {ctl_pkg(), 0};
	if (atomic_fetch_add(&s->clients, 1) >= CTL_MAX_CLIENTS) {
		atomic_fetch_sub(&s->clients, 1);
		log_error(&lg, "ctl: too many clients, refusing");
		close(fd);
		return;
	}
	struct ctl_client *cl = xcalloc(1, sizeof *cl);
	cl->srv = s;
	cl->conn.fd = fd;
	cl->conn.timeout_ms = CTL_TIMEOUT_MS;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t t;
	if (pthread_create(&t, &attr, client_main, cl) != 0) {
		log_error(&lg, "ctl: cannot start client thread");
		close(fd);
		free(cl);
		atomic_fetch_sub(&s->clients, 1);
	}
	pthread_attr_destroy(&attr);
}

static void *accept_main(void *arg)
{
	struct ctl_server *s = arg;
	struct logger lg = {ctl_pkg(), 0};
	for (;;) {
		struct pollfd p[2] = {{s->fd, POLLIN, 0}, {s->stop_pipe[0], POLLIN, 0}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error(&lg, "ctl: poll failed");
			return NULL;
		}
		if (p[1].revents)
			return NULL;
		int fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
				log_error(&lg, "ctl: accept failed");
			continue;
		}
		spawn_client(s, fd);
	}
}

bool ctl_start(struct ctl_server *s, ctl_dispatch_fn fn, void *ctx, struct error *err)
{
	s->fn = fn;
	s->ctx = ctx;
	if (pthread_create(&s->thread, NULL, accept_main, s) != 0)
		return error_set(err, ERR_INTERNAL, "ctl: cannot start thread");
	s->started = true;
	return true;
}

void ctl_stop(struct ctl_server *s)
{
	if (!s)
		return;
	if (s->started) {
		char c = 'x';
		if (write(s->stop_pipe[1], &c, 1) < 0) {
			/* the thread then stays blocked; we cannot join it */
		}
		pthread_join(s->thread, NULL);
	}
	close(s->fd);
	close(s->stop_pipe[0]);
	close(s->stop_pipe[1]);
	unlink(s->path);
	/* Clients hold a pointer to s; give them a moment to finish (the "stop" command's
	 * client is answered right before this). One still running at process exit keeps s. */
	for (int i = 0; i < 200 && atomic_load(&s->clients) > 0; i++)
		usleep(10 * 1000);
	if (atomic_load(&s->clients) > 0)
		return;
	free(s->path);
	free(s);
}
