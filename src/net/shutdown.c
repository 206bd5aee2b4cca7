#include "net/shutdown.h"

#include "base/timeutil.h"
#include "net/listener.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int shutdown_efd = -1;
static atomic_bool shutting_down;

/*
 * Connection thread count; the condition variable uses the monotonic clock.
 * Ending threads join each other in a chain (see net_conn_thread_exit), so at
 * most one ended thread is not yet joined: last_ended.
 */
static pthread_mutex_t threads_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t threads_done;
static size_t threads_running;
static pthread_t last_ended;
static bool have_last_ended;

static void init_once(void)
{
	shutdown_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (shutdown_efd < 0) {
		fprintf(stderr, "net: creating shutdown eventfd: %s\n", strerror(errno));
		abort();
	}
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&threads_done, &ca);
	pthread_condattr_destroy(&ca);
	signal(SIGPIPE, SIG_IGN);
}

int net_shutdown_fd(void)
{
	pthread_once(&once, init_once);
	return shutdown_efd;
}

bool net_shutting_down(void)
{
	return atomic_load(&shutting_down);
}

void net_shutdown_begin(void)
{
	int fd = net_shutdown_fd();
	if (!atomic_exchange(&shutting_down, true)) {
		uint64_t one = 1;
		/* Cannot fail for a nonblocking eventfd far from its 2^64-1 limit. */
		ssize_t w = write(fd, &one, sizeof one);
		(void)w;
	}
	listener_stop_all();
}

void net_conn_thread_enter(void)
{
	pthread_once(&once, init_once);
	pthread_mutex_lock(&threads_lock);
	threads_running++;
	pthread_mutex_unlock(&threads_lock);
}

/*
 * Each ending thread joins the one that ended before it, and the last one is
 * joined by net_shutdown_wait. A thread has not really ended until its
 * thread-local destructors ran (OpenSSL frees per-thread state there); the
 * joins make sure of that before the process exits, and keep at most one
 * ended thread's stack around while the server runs.
 */
void net_conn_thread_exit(void)
{
	pthread_mutex_lock(&threads_lock);
	pthread_t prev = last_ended;
	bool join_prev = have_last_ended;
	last_ended = pthread_self();
	have_last_ended = true;
	threads_running--;
	if (threads_running == 0)
		pthread_cond_broadcast(&threads_done);
	pthread_mutex_unlock(&threads_lock);
	if (join_prev)
		pthread_join(prev, NULL);
}

void net_conn_thread_abandon(void)
{
	pthread_mutex_lock(&threads_lock);
	threads_running--;
	if (threads_running == 0)
		pthread_cond_broadcast(&threads_done);
	pthread_mutex_unlock(&threads_lock);
}

size_t net_conn_threads(void)
{
	pthread_mutex_lock(&threads_lock);
	size_t n = threads_running;
	pthread_mutex_unlock(&threads_lock);
	return n;
}

size_t net_shutdown_wait(int timeout_ms)
{
	pthread_once(&once, init_once);
	struct timespec until = timespec_after_ms(CLOCK_MONOTONIC, timeout_ms);
	pthread_mutex_lock(&threads_lock);
	while (threads_running > 0) {
		if (pthread_cond_timedwait(&threads_done, &threads_lock, &until) == ETIMEDOUT)
			break;
	}
	size_t n = threads_running;
	pthread_t last = last_ended;
	bool join_last = n == 0 && have_last_ended;
	if (join_last)
		have_last_ended = false;
	pthread_mutex_unlock(&threads_lock);
	if (join_last)
		pthread_join(last, NULL);
	return n;
}
