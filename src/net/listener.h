/*
 * listener: TCP sockets on a set of IP addresses and one port, an accept loop
 * thread per socket, and a thread per accepted connection.
 *
 * Binding and starting are separate steps because tern binds every listener
 * as root, drops privileges, and only then starts threads: listener_bind
 * creates and binds the sockets (SO_REUSEADDR; IPv6 sockets IPV6_V6ONLY, so
 * "0.0.0.0" and "::" can share a port), listener_start starts the accept
 * loops. Threads inherit the caller's signal mask: block the signals the
 * main thread waits for before starting.
 *
 * For each accepted connection the limits (if any) are checked first; a
 * refused connection gets the refusal line (plaintext listeners only; for
 * implicit TLS it is just closed) and a log line with the reason, from the
 * accept thread, without a thread of its own. An accepted one runs on a new
 * thread with a stack of NET_THREAD_STACK bytes (see shutdown.h for how
 * threads are counted and joined): implicit TLS listeners do the handshake
 * first (bounded by handshake_timeout_ms), then serve(c, arg) runs; when it
 * returns, the connection is closed and freed and its limits released.
 * serve must not free c.
 *
 * Lifetime: listeners, TLS contexts and limits are reference counted, so
 * listener_free may be called while connections still run (they keep what
 * they use alive). Only the serve arg is the caller's to keep alive until
 * net_shutdown_wait() says every connection thread has ended.
 * Thread-safe: listener_free and net_shutdown_begin may race.
 */
#ifndef TERN_NET_LISTENER_H
#define TERN_NET_LISTENER_H

#include "base/error.h"
#include "base/log.h"
#include "net/conn.h"
#include "net/limits.h"
#include "net/tls.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sanitizers keep shadow and fake stack frames: give them room. */
#if defined(TERN_SANITIZE) || defined(TERN_FUZZ)
#define NET_THREAD_STACK (4 * 1024 * 1024)
#else
#define NET_THREAD_STACK (256 * 1024)
#endif
#define LISTENER_BACKLOG              511
#define LISTENER_MAX_IPS              64
#define LISTENER_HANDSHAKE_TIMEOUT_MS (30 * 1000)
#define LISTENER_ACCEPT_BACKOFF_MS    100 /* pause after accept fails for lack of resources */

typedef void (*listener_serve_fn)(struct conn *c, void *arg);

struct listener_config {
	const char *name;        /* for logs */
	const char *protocol;    /* for logs, e.g. "smtp" */
	const char *const *ips;  /* "127.0.0.1", "::1", "0.0.0.0", "::" */
	size_t nips;             /* 1 to LISTENER_MAX_IPS */
	uint16_t port;           /* 0 picks a free port per socket (tests) */
	listener_serve_fn serve; /* runs on the connection's thread */
	void *arg;
	struct tls_ctx *tls;      /* implicit TLS when set; a reference is taken */
	int handshake_timeout_ms; /* 0: LISTENER_HANDSHAKE_TIMEOUT_MS */
	const char *refusal;      /* e.g. "421 4.7.0 too many connections\r\n"; NULL: close */
	struct limits *limits;    /* NULL: none; a reference is taken */
	struct log_pkg *pkg;      /* package for connection log lines; NULL: "net" */
};

struct listener;

/* Creates and binds the sockets; no threads yet. */
struct listener *listener_bind(const struct listener_config *cfg, struct error *err);
/* Starts the accept loops. Fails after shutdown began. */
bool listener_start(struct listener *l, struct error *err);
/* Stops accepting (if started), closes the sockets, drops the caller's reference. */
void listener_free(struct listener *l);

size_t listener_nsockets(const struct listener *l);
/* The port socket i is bound to (useful after binding port 0). */
uint16_t listener_port(const struct listener *l, size_t i);

/* For net_shutdown_begin: stops every started listener's accept loops. */
void listener_stop_all(void);

#endif
