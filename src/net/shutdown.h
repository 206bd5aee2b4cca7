/*
 * shutdown: the process-wide shutdown signal and the count of connection threads.
 *
 * The shutdown signal is an eventfd that becomes readable once and stays
 * readable: every wait in the net core (accept loops, reads from clients,
 * TLS handshakes, conn_wait_input) polls it beside its own descriptor, so
 * when net_shutdown_begin() is called each blocked read returns ERR_SHUTDOWN
 * and the protocol can say goodbye (SMTP 421, IMAP BYE). Writes do not watch
 * it: the goodbye itself must still go out, bounded by its write deadline.
 *
 * Connection threads are counted exactly: the listener counts a thread before
 * creating it and the thread uncounts itself as its very last step, so
 * net_shutdown_wait() returns 0 only when no connection code can run anymore.
 * Ended threads are joined (each by the next one to end, the last by
 * net_shutdown_wait), so their thread-local destructors have run before the
 * process exits and at most one ended thread awaits joining at any time.
 *
 * The eventfd is created on first use; failing to create it (no descriptors at
 * startup) aborts, like running out of memory. Creating it also sets SIGPIPE
 * to be ignored: TLS writes use write(2), and a peer that vanished must be an
 * EPIPE error on one connection, not the death of the process.
 * All functions are thread-safe but not async-signal-safe: call
 * net_shutdown_begin from a thread that took the signal with sigwait, not
 * from a signal handler. Shutdown cannot be undone.
 */
#ifndef TERN_NET_SHUTDOWN_H
#define TERN_NET_SHUTDOWN_H

#include <stdbool.h>
#include <stddef.h>

/* The descriptor to poll for POLLIN; readable once shutdown has begun. */
int net_shutdown_fd(void);
bool net_shutting_down(void);

/*
 * Stops every started listener (closes its sockets, joins its accept threads)
 * and signals the shutdown fd. Idempotent.
 */
void net_shutdown_begin(void);

/*
 * Waits until every connection thread has ended or timeout_ms passed.
 * Returns the number of connection threads still running (0: all done).
 */
size_t net_shutdown_wait(int timeout_ms);

/* Number of connection threads running now. */
size_t net_conn_threads(void);

/*
 * For listener.c: count a thread before creating it; the thread uncounts
 * itself with net_conn_thread_exit as its very last call (it is then joined
 * by the next thread that ends, or by net_shutdown_wait, so threads must be
 * created joinable). When creating the thread failed, uncount with abandon.
 */
void net_conn_thread_enter(void);
void net_conn_thread_exit(void);
void net_conn_thread_abandon(void);

#endif
