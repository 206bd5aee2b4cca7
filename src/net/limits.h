/*
 * limits: how many connections may be open at once, in total and per remote IP.
 *
 * A listener calls limits_acquire when it accepts a connection and
 * limits_release when the connection is closed; a refused acquire is an
 * ERR_LIMIT error whose message says which bound was hit, for the log line
 * beside the refusal the listener writes. Several listeners may share one
 * limits object, making the bounds server-wide.
 *
 * Per-IP counting groups IPv4 by the full address and IPv6 by its /64
 * prefix: one IPv6 host usually owns a whole /64 and can pick any address in
 * it, so counting single IPv6 addresses would bound nothing. Addresses of
 * other families (unix sockets in tests) are all counted as one "host".
 *
 * Memory is bounded by the number of open connections: a per-IP entry exists
 * only while that IP has a connection. A bound of 0 means unlimited.
 * Thread-safe; reference counted so connection threads can outlive the
 * code that made the object.
 */
#ifndef TERN_NET_LIMITS_H
#define TERN_NET_LIMITS_H

#include "base/error.h"

#include <stdbool.h>
#include <sys/socket.h>

struct limits;

/* Returns a new object with one reference. Never NULL. */
struct limits *limits_new(unsigned max_total, unsigned max_per_ip);
struct limits *limits_ref(struct limits *l);
void limits_unref(struct limits *l);

/* Counts a connection from sa, or fails with ERR_LIMIT counting nothing. */
bool limits_acquire(struct limits *l, const struct sockaddr *sa, struct error *err);
/* Uncounts a connection from sa that limits_acquire accepted. */
void limits_release(struct limits *l, const struct sockaddr *sa);

/* Current counts, for tests and metrics. */
unsigned limits_total(struct limits *l);
unsigned limits_for(struct limits *l, const struct sockaddr *sa);

#endif
