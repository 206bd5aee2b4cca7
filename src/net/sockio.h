/*
 * sockio: deadline-bounded reads, writes and TLS handshakes on one
 * nonblocking socket, plain or through an OpenSSL SSL object.
 *
 * This is the layer under conn.c: it knows nothing of buffering or lines.
 * Every operation first tries the syscall (or SSL call) and only when that
 * would block does it poll, until the deadline (monotonic milliseconds from
 * base/timeutil.h). Waits for client input (reads, handshakes) also watch
 * the shutdown fd and fail with ERR_SHUTDOWN; waits to write do not, so a
 * goodbye can still be sent. Peer closes and resets are ERR_CLOSED, passed
 * deadlines ERR_TIMEOUT. Not thread-safe: one thread uses a sockio.
 */
#ifndef TERN_NET_SOCKIO_H
#define TERN_NET_SOCKIO_H

#include "base/error.h"

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sockio {
	int fd;          /* nonblocking */
	SSL *ssl;        /* NULL for plaintext */
	bool tls_failed; /* a fatal TLS error happened: no close_notify may be sent */
};

/* Deadline now + timeout_ms, on the monotonic clock. */
int64_t sockio_deadline(int timeout_ms);

/*
 * Waits until fd is ready for events or the deadline passes; with
 * watch_shutdown, fails with ERR_SHUTDOWN once shutdown began.
 */
bool sockio_wait(int fd, short events, int64_t deadline, bool watch_shutdown, struct error *err);

/* Reads between 1 and cap bytes. */
bool sockio_read(struct sockio *io, void *p, size_t cap, int64_t deadline, size_t *got,
		 struct error *err);
/* Writes all n bytes. */
bool sockio_write(struct sockio *io, const void *p, size_t n, int64_t deadline, struct error *err);
/*
 * The handshake on io->ssl (set up with the fd and, by SSL_set_accept_state
 * or SSL_set_connect_state, with its side).
 */
bool sockio_handshake(struct sockio *io, int64_t deadline, struct error *err);
/* Sends close_notify, waiting no longer than the deadline; errors are ignored. */
void sockio_tls_close(struct sockio *io, int64_t deadline);

#endif
