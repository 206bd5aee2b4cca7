/*
 * idlehub: waiting for client input and store changes without a file
 * descriptor per session for the changes.
 *
 * A session in IDLE must wake when its client sends something, when the
 * store has changes for it, when the server shuts down, and when its
 * timeout passes. Polling the socket beside a per-session eventfd would
 * cost two descriptors per session, and a process may have too few to hold
 * ten thousand idle clients that way. Instead the session's thread waits on
 * a condition variable (struct imap_waiter) that the store signals through a
 * subscriber notify callback (store/changes.h), and one hub thread per
 * server watches the sockets of all waiting sessions with epoll and signals
 * their waiters (and all of them when the server begins shutting down).
 *
 * Registrations are keyed by the session's connection id, so the hub never
 * touches a waiter that has gone: a session unregisters before its waiter
 * goes away, and the hub looks up the id under its mutex before signalling.
 * Lock order: hub, then waiter; the store calls imap_waiter_notify with its
 * own locks held, and waiters never call into the store with theirs held.
 * Thread-safe.
 */
#ifndef TERN_IMAP_IDLEHUB_H
#define TERN_IMAP_IDLEHUB_H

#include "base/error.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define IMAP_WAKE_INPUT    1u
#define IMAP_WAKE_CHANGES  2u
#define IMAP_WAKE_SHUTDOWN 4u
#define IMAP_WAKE_TIMEOUT  8u

struct imap_waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* on CLOCK_MONOTONIC */
	uint64_t id;
	unsigned pending; /* IMAP_WAKE_* bits not yet seen by the session */
};

void imap_waiter_init(struct imap_waiter *w, uint64_t id);
void imap_waiter_destroy(struct imap_waiter *w);
/* The store subscriber's notify callback (arg: the waiter). */
void imap_waiter_notify(void *arg);

struct imap_hub;

/* Starts the hub thread; NULL with err when epoll or the thread cannot be made. */
struct imap_hub *imap_hub_new(struct error *err);
/* Stops the thread; no session may be waiting. */
void imap_hub_free(struct imap_hub *h);

/*
 * Waits up to timeout_ms until input is readable on fd, changes were
 * notified, or the server shuts down. Returns the IMAP_WAKE_* bits seen
 * (changes already pending return at once). fd must not be in another wait.
 */
unsigned imap_hub_wait(struct imap_hub *h, struct imap_waiter *w, int fd, int timeout_ms);

/* Sessions registered right now (tests, metrics). */
size_t imap_hub_waiting(struct imap_hub *h);

#endif
