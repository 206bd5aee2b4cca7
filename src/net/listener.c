#include "net/listener.h"

#include "base/mem.h"
#include "net/shutdown.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

struct acceptor {
	struct listener *l;
	int fd;
	uint16_t port;
	char addr[CONN_ADDR_MAX];
	pthread_t thread;
	bool running;
};

struct listener {
	atomic_uint refs;
	char *name;
	char *protocol;
	char *refusal;
	listener_serve_fn serve;
	void *arg;
	struct tls_ctx *tls;
	int handshake_ms;
	struct limits *limits;
	struct logger lg;

	pthread_mutex_t lock; /* guards started, stopped and the acceptors' threads */
	int stop_efd;         /* readable when this listener stops */
	bool started;
	bool stopped;
	struct acceptor *acc;
	size_t nacc;
	struct listener *next; /* in the registry of started listeners */
};

/* Started listeners, so net_shutdown_begin can stop them all. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct listener *registry;

/* A new connection on its way to its thread. */
struct conn_start {
	struct listener *l;
	int fd;
	struct sockaddr_storage sa;
};

static struct listener *listener_ref(struct listener *l)
{
	atomic_fetch_add(&l->refs, 1);
	return l;
}

static void listener_unref(struct listener *l)
{
	if (atomic_fetch_sub(&l->refs, 1) != 1)
		return;
	for (size_t i = 0; i < l->nacc; i++)
		if (l->acc[i].fd >= 0)
			close(l->acc[i].fd);
	if (l->stop_efd >= 0)
		close(l->stop_efd);
	free(l->acc);
	free(l->name);
	free(l->protocol);
	free(l->refusal);
	tls_ctx_unref(l->tls);
	limits_unref(l->limits);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

/* ---- binding ---- */

static bool parse_ip(const char *ip, uint16_t port, struct sockaddr_storage *ss, socklen_t *len,
		     struct error *err)
{
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_PASSIVE,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	if (getaddrinfo(ip, NULL, &hints, &res) != 0 || !res)
		return error_set(err, ERR_INVALID, "not an ip address: %s", ip);
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	return true;
}

static bool open_socket(struct acceptor *a, const struct sockaddr_storage *ss, socklen_t len,
			struct error *err)
{
	a->fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (a->fd < 0)
		return error_errno(err, errno, "socket");
	int one = 1;
	if (setsockopt(a->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
		return error_errno(err, errno, "setting SO_REUSEADDR");
	/* Without V6ONLY, "::" would also take the IPv4 port and "0.0.0.0" could not bind. */
	if (ss->ss_family == AF_INET6 &&
	    setsockopt(a->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0)
		return error_errno(err, errno, "setting IPV6_V6ONLY");
	if (bind(a->fd, (const struct sockaddr *)ss, len) < 0)
		return error_errno(err, errno, "bind");
	if (listen(a->fd, LISTENER_BACKLOG) < 0)
		return error_errno(err, errno, "listen");
	return true;
}

static bool bind_one(struct acceptor *a, const char *ip, uint16_t port, struct error *err)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (!parse_ip(ip, port, &ss, &len, err) || !open_socket(a, &ss, len, err))
		return error_prefix(err, "listening on %s port %u", ip, port);
	len = sizeof ss;
	if (getsockname(a->fd, (struct sockaddr *)&ss, &len) < 0)
		return error_errno(err, errno, "getsockname");
	conn_format_addr((const struct sockaddr *)&ss, a->addr, sizeof a->addr, &a->port);
	return true;
}

static struct listener *listener_alloc(const struct listener_config *cfg)
{
	struct listener *l = xcalloc(1, sizeof *l);
	atomic_init(&l->refs, 1);
	l->name = xstrdup(cfg->name ? cfg->name : "");
	l->protocol = xstrdup(cfg->protocol ? cfg->protocol : "");
	l->refusal = cfg->refusal ? xstrdup(cfg->refusal) : NULL;
	l->serve = cfg->serve;
	l->arg = cfg->arg;
	l->tls = cfg->tls ? tls_ctx_ref(cfg->tls) : NULL;
	l->handshake_ms = cfg->handshake_timeout_ms > 0 ? cfg->handshake_timeout_ms
							: LISTENER_HANDSHAKE_TIMEOUT_MS;
	l->limits = cfg->limits ? limits_ref(cfg->limits) : NULL;
	l->lg.pkg = cfg->pkg ? cfg->pkg : log_pkg("net");
	pthread_mutex_init(&l->lock, NULL);
	l->acc = xcalloc(cfg->nips, sizeof *l->acc);
	for (size_t i = 0; i < cfg->nips; i++)
		l->acc[i].fd = -1;
	l->stop_efd = -1;
	return l;
}

struct listener *listener_bind(const struct listener_config *cfg, struct error *err)
{
	if (cfg->nips == 0 || cfg->nips > LISTENER_MAX_IPS || !cfg->serve) {
		error_set(err, ERR_INVALID, "listener %s: needs 1 to %d ips and a handler",
			  cfg->name ? cfg->name : "", LISTENER_MAX_IPS);
		return NULL;
	}
	struct listener *l = listener_alloc(cfg);
	l->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->stop_efd < 0) {
		error_errno(err, errno, "listener %s: eventfd", l->name);
		listener_unref(l);
		return NULL;
	}
	for (size_t i = 0; i < cfg->nips; i++) {
		l->acc[i].l = l;
		l->nacc++;
		if (!bind_one(&l->acc[i], cfg->ips[i], cfg->port, err)) {
			error_prefix(err, "listener %s", l->name);
			listener_unref(l);
			return NULL;
		}
	}
	return l;
}

size_t listener_nsockets(const struct listener *l)
{
	return l->nacc;
}

uint16_t listener_port(const struct listener *l, size_t i)
{
	return i < l->nacc ? l->acc[i].port : 0;
}

/* ---- connections ---- */

static void *conn_main(void *arg)
{
	struct conn_start *cs = arg;
	struct listener *l = cs->l;
	struct conn *c = conn_new(cs->fd, l->lg.pkg);
	log_debug(conn_log(c), "connection accepted", LS("listener", l->name),
		  LS("proto", l->protocol), LS("remote", conn_remote(c)),
		  LS("local", conn_local(c)), LB("tls", l->tls != NULL));
	struct error err = {0};
	if (l->tls && !conn_tls_accept(c, l->tls, l->handshake_ms, &err))
		log_info(conn_log(c), "tls handshake failed", LS("listener", l->name),
			 LS("remote", conn_remote(c)), LE(&err));
	else
		l->serve(c, l->arg);
	conn_free(c);
	if (l->limits)
		limits_release(l->limits, (const struct sockaddr *)&cs->sa);
	free(cs);
	listener_unref(l);
	/* Last: after this, net_shutdown_wait may let the process exit. */
	net_conn_thread_exit();
	return NULL;
}

static void refuse(struct listener *l, int fd, const struct sockaddr_storage *sa,
		   const struct error *why)
{
	struct logger lg = {l->lg.pkg, conn_next_cid()};
	char remote[CONN_ADDR_MAX];
	uint16_t port;
	conn_format_addr((const struct sockaddr *)sa, remote, sizeof remote, &port);
	log_info(&lg, "connection refused", LS("listener", l->name), LS("proto", l->protocol),
		 LS("remote", remote), LE(why));
	/* A fresh socket's send buffer is empty: this does not block or come up short. */
	if (l->refusal && !l->tls) {
		ssize_t w = send(fd, l->refusal, strlen(l->refusal), MSG_DONTWAIT | MSG_NOSIGNAL);
		(void)w;
	}
	close(fd);
}

static bool spawn(struct conn_start *cs, struct error *err)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, NET_THREAD_STACK);
	pthread_t th;
	int e = pthread_create(&th, &attr, conn_main, cs);
	pthread_attr_destroy(&attr);
	if (e != 0)
		return error_errno(err, e, "creating connection thread");
	return true;
}

static void dispatch(struct listener *l, int fd, const struct sockaddr_storage *sa)
{
	struct error err = {0};
	if (l->limits && !limits_acquire(l->limits, (const struct sockaddr *)sa, &err)) {
		refuse(l, fd, sa, &err);
		return;
	}
	struct conn_start *cs = xcalloc(1, sizeof *cs);
	cs->l = listener_ref(l);
	cs->fd = fd;
	cs->sa = *sa;
	net_conn_thread_enter(); /* before the thread exists, so no wait can miss it */
	if (spawn(cs, &err))
		return;
	net_conn_thread_abandon();
	log_error(&l->lg, "connection dropped", LS("listener", l->name), LE(&err));
	close(fd);
	if (l->limits)
		limits_release(l->limits, (const struct sockaddr *)sa);
	listener_unref(l);
	free(cs);
}

static bool out_of_resources(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

/* Polls the listening socket and the stop signals; false when told to stop. */
static bool wait_accept(struct acceptor *a, int timeout_ms)
{
	struct pollfd p[3] = {
	    {a->fd, POLLIN, 0}, {a->l->stop_efd, POLLIN, 0}, {net_shutdown_fd(), POLLIN, 0}};
	for (;;) {
		int n = poll(p, 3, timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		return !(n > 0 && (p[1].revents || p[2].revents));
	}
}

static void *accept_main(void *arg)
{
	struct acceptor *a = arg;
	struct listener *l = a->l;
	while (wait_accept(a, -1)) {
		struct sockaddr_storage sa;
		socklen_t len = sizeof sa;
		int fd = accept4(a->fd, (struct sockaddr *)&sa, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0) {
			dispatch(l, fd, &sa);
			continue;
		}
		int e = errno;
		if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR || e == ECONNABORTED ||
		    e == EPROTO)
			continue;
		struct error err = {0};
		error_errno(&err, e, "accept");
		log_error(&l->lg, "accepting connection failed", LS("listener", l->name),
			  LS("addr", a->addr), LE(&err));
		/* Pending connections keep the socket readable: pause instead of spinning. */
		if (out_of_resources(e) && !wait_accept(a, LISTENER_ACCEPT_BACKOFF_MS))
			break;
	}
	return NULL;
}

/* ---- starting and stopping ---- */

static void registry_add(struct listener *l)
{
	pthread_mutex_lock(&registry_lock);
	l->next = registry;
	registry = listener_ref(l);
	pthread_mutex_unlock(&registry_lock);
}

/* Removes l if present; the registry's reference goes to the caller. */
static bool registry_remove(struct listener *l)
{
	bool found = false;
	pthread_mutex_lock(&registry_lock);
	for (struct listener **pp = &registry; *pp; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&registry_lock);
	return found;
}

static void join_acceptors(struct listener *l)
{
	uint64_t one = 1;
	ssize_t w = write(l->stop_efd, &one, sizeof one);
	(void)w;
	for (size_t i = 0; i < l->nacc; i++) {
		if (l->acc[i].running)
			pthread_join(l->acc[i].thread, NULL);
		l->acc[i].running = false;
	}
}

bool listener_start(struct listener *l, struct error *err)
{
	pthread_mutex_lock(&l->lock);
	bool ok = true;
	if (l->started || l->stopped)
		ok =
		    error_set(err, ERR_INVALID, "listener %s: already started or stopped", l->name);
	else if (net_shutting_down())
		ok = error_set(err, ERR_SHUTDOWN, "listener %s: server shutting down", l->name);
	for (size_t i = 0; ok && i < l->nacc; i++) {
		int e = pthread_create(&l->acc[i].thread, NULL, accept_main, &l->acc[i]);
		if (e != 0) {
			ok = error_errno(err, e, "listener %s: creating accept thread", l->name);
			join_acceptors(l);
			l->stopped = true;
			break;
		}
		l->acc[i].running = true;
		log_info(&l->lg, "listening", LS("listener", l->name), LS("proto", l->protocol),
			 LS("addr", l->acc[i].addr), LB("tls", l->tls != NULL));
	}
	if (ok) {
		l->started = true;
		registry_add(l);
	}
	pthread_mutex_unlock(&l->lock);
	return ok;
}

static void listener_stop(struct listener *l)
{
	pthread_mutex_lock(&l->lock);
	if (!l->stopped) {
		l->stopped = true;
		if (l->started)
			join_acceptors(l);
		for (size_t i = 0; i < l->nacc; i++) {
			if (l->acc[i].fd >= 0)
				close(l->acc[i].fd);
			l->acc[i].fd = -1;
		}
	}
	pthread_mutex_unlock(&l->lock);
	if (registry_remove(l))
		listener_unref(l);
}

void listener_free(struct listener *l)
{
	if (!l)
		return;
	listener_stop(l);
	listener_unref(l);
}

void listener_stop_all(void)
{
	pthread_mutex_lock(&registry_lock);
	struct listener *list = registry;
	registry = NULL;
	pthread_mutex_unlock(&registry_lock);
	while (list) {
		struct listener *next = list->next;
		listener_stop(list);
		listener_unref(list); /* the registry's reference */
		list = next;
	}
}
