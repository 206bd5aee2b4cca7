/*
 * The IDLE hub: one epoll thread signalling the waiters of sessions whose
 * sockets became readable (see idlehub.h).
 */
#include "imap/idlehub.h"

#include "base/mem.h"
#include "base/timeutil.h"
#include "net/shutdown.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define HUB_EVENTS      256
#define HUB_ID_SHUTDOWN UINT64_MAX       /* the server's shutdown descriptor */
#define HUB_ID_STOP     (UINT64_MAX - 1) /* imap_hub_free */

/* Open addressing by connection id (never 0), linear probing, backward-shift deletion. */
struct hub_map {
	uint64_t *ids;
	struct imap_waiter **ws;
	size_t cap; /* power of two */
	size_t n;
};

struct imap_hub {
	int ep;
	int stopfd;
	pthread_t thread;
	pthread_mutex_t mu;
	bool shutdown;
	struct hub_map map;
};

void imap_waiter_init(struct imap_waiter *w, uint64_t id)
{
	memset(w, 0, sizeof *w);
	w->id = id;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
}

void imap_waiter_destroy(struct imap_waiter *w)
{
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
}

static void wake(struct imap_waiter *w, unsigned bits)
{
	pthread_mutex_lock(&w->mu);
	w->pending |= bits;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void imap_waiter_notify(void *arg)
{
	wake(arg, IMAP_WAKE_CHANGES);
}

/* ---- the map ---- */

static size_t slot_of(const struct hub_map *m, uint64_t id)
{
	uint64_t h = id * UINT64_C(0x9e3779b97f4a7c15);
	return (size_t)(h >> 32) & (m->cap - 1);
}

static void map_put(struct hub_map *m, uint64_t id, struct imap_waiter *w);

static void map_grow(struct hub_map *m)
{
	struct hub_map old = *m;
	m->cap = old.cap ? old.cap * 2 : 64;
	m->ids = xcalloc(m->cap, sizeof *m->ids);
	m->ws = xcalloc(m->cap, sizeof *m->ws);
	m->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.ids[i])
			map_put(m, old.ids[i], old.ws[i]);
	free(old.ids);
	free(old.ws);
}

static void map_put(struct hub_map *m, uint64_t id, struct imap_waiter *w)
{
	if ((m->n + 1) * 2 > m->cap)
		map_grow(m);
	size_t i = slot_of(m, id);
	while (m->ids[i] && m->ids[i] != id)
		i = (i + 1) & (m->cap - 1);
	if (!m->ids[i])
		m->n++;
	m->ids[i] = id;
	m->ws[i] = w;
}

static struct imap_waiter *map_get(const struct hub_map *m, uint64_t id)
{
	if (m->cap == 0)
		return NULL;
	for (size_t i = slot_of(m, id); m->ids[i]; i = (i + 1) & (m->cap - 1))
		if (m->ids[i] == id)
			return m->ws[i];
	return NULL;
}

static void map_del(struct hub_map *m, uint64_t id)
{
	if (m->cap == 0)
		return;
	size_t i = slot_of(m, id);
	while (m->ids[i] && m->ids[i] != id)
		i = (i + 1) & (m->cap - 1);
	if (!m->ids[i])
		return;
	m->n--;
	/* Backward shift: move later entries of the cluster into the hole when allowed. */
	size_t hole = i;
	for (size_t j = (i + 1) & (m->cap - 1); m->ids[j]; j = (j + 1) & (m->cap - 1)) {
		size_t home = slot_of(m, m->ids[j]);
		bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
		if (movable) {
			m->ids[hole] = m->ids[j];
			m->ws[hole] = m->ws[j];
			hole = j;
		}
	}
	m->ids[hole] = 0;
	m->ws[hole] = NULL;
}

/* ---- the thread ---- */

static void wake_all_shutdown(struct imap_hub *h)
{
	pthread_mutex_lock(&h->mu);
	h->shutdown = true;
	for (size_t i = 0; i < h->map.cap; i++)
		if (h->map.ids[i])
			wake(h->map.ws[i], IMAP_WAKE_SHUTDOWN);
	pthread_mutex_unlock(&h->mu);
}

static void *hub_main(void *arg)
{
	struct imap_hub *h = arg;
	struct epoll_event ev[HUB_EVENTS];
	for (;;) {
		int n = epoll_wait(h->ep, ev, HUB_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < n; i++) {
			uint64_t id = ev[i].data.u64;
			if (id == HUB_ID_STOP)
				return NULL;
			if (id == HUB_ID_SHUTDOWN) {
				/* Readable for good: stop watching it, and wake everyone. */
				epoll_ctl(h->ep, EPOLL_CTL_DEL, net_shutdown_fd(), NULL);
				wake_all_shutdown(h);
				continue;
			}
			pthread_mutex_lock(&h->mu);
			struct imap_waiter *w = map_get(&h->map, id);
			if (w)
				wake(w, IMAP_WAKE_INPUT);
			pthread_mutex_unlock(&h->mu);
		}
	}
	return NULL;
}

struct imap_hub *imap_hub_new(struct error *err)
{
	struct imap_hub *h = xcalloc(1, sizeof *h);
	pthread_mutex_init(&h->mu, NULL);
	h->ep = epoll_create1(EPOLL_CLOEXEC);
	h->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (h->ep < 0 || h->stopfd < 0) {
		error_errno(err, errno, "idle hub: epoll");
		goto fail;
	}
	struct epoll_event e = {.events = EPOLLIN, .data.u64 = HUB_ID_STOP};
	struct epoll_event s = {.events = EPOLLIN, .data.u64 = HUB_ID_SHUTDOWN};
	if (epoll_ctl(h->ep, EPOLL_CTL_ADD, h->stopfd, &e) < 0 ||
	    epoll_ctl(h->ep, EPOLL_CTL_ADD, net_shutdown_fd(), &s) < 0) {
		error_errno(err, errno, "idle hub: epoll_ctl");
		goto fail;
	}
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	int rc = pthread_create(&h->thread, &attr, hub_main, h);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		error_errno(err, rc, "idle hub: thread");
		goto fail;
	}
	return h;
fail:
	if (h->ep >= 0)
		close(h->ep);
	if (h->stopfd >= 0)
		close(h->stopfd);
	pthread_mutex_destroy(&h->mu);
	free(h);
	return NULL;
}

void imap_hub_free(struct imap_hub *h)
{
	if (!h)
		return;
	uint64_t one = 1;
	ssize_t w = write(h->stopfd, &one, sizeof one);
	(void)w;
	pthread_join(h->thread, NULL);
	close(h->ep);
	close(h->stopfd);
	free(h->map.ids);
	free(h->map.ws);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

size_t imap_hub_waiting(struct imap_hub *h)
{
	pthread_mutex_lock(&h->mu);
	size_t n = h->map.n;
	pthread_mutex_unlock(&h->mu);
	return n;
}

unsigned imap_hub_wait(struct imap_hub *h, struct imap_waiter *w, int fd, int timeout_ms)
{
	unsigned got;
	pthread_mutex_lock(&w->mu);
	got = w->pending & (IMAP_WAKE_CHANGES | IMAP_WAKE_SHUTDOWN);
	w->pending &= ~(IMAP_WAKE_CHANGES | IMAP_WAKE_INPUT);
	pthread_mutex_unlock(&w->mu);
	if (got)
		return got;
	if (net_shutting_down())
		return IMAP_WAKE_SHUTDOWN;

	pthread_mutex_lock(&h->mu);
	if (h->shutdown) {
		pthread_mutex_unlock(&h->mu);
		return IMAP_WAKE_SHUTDOWN;
	}
	map_put(&h->map, w->id, w);
	struct epoll_event e = {.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT, .data.u64 = w->id};
	bool watching = epoll_ctl(h->ep, EPOLL_CTL_ADD, fd, &e) == 0;
	pthread_mutex_unlock(&h->mu);

	struct timespec deadline = timespec_after_ms(CLOCK_MONOTONIC, timeout_ms);
	pthread_mutex_lock(&w->mu);
	/* Without the socket watched (out of memory), the input is treated as ready. */
	if (!watching)
		w->pending |= IMAP_WAKE_INPUT;
	while (!w->pending) {
		if (pthread_cond_timedwait(&w->cv, &w->mu, &deadline) == ETIMEDOUT) {
			w->pending |= IMAP_WAKE_TIMEOUT;
			break;
		}
	}
	got = w->pending;
	w->pending &= IMAP_WAKE_SHUTDOWN; /* shutdown stays */
	pthread_mutex_unlock(&w->mu);

	pthread_mutex_lock(&h->mu);
	if (watching)
		epoll_ctl(h->ep, EPOLL_CTL_DEL, fd, NULL);
	map_del(&h->map, w->id);
	pthread_mutex_unlock(&h->mu);
	return got;
}
