/*
 * server: the life of the `tern serve` process.
 *
 * Startup order matters for security and robustness:
 *   1. block the signals the main thread will wait for (every later thread
 *      inherits the mask, so signals are only ever handled in one place);
 *   2. load and validate the config; apply log levels;
 *   3. as root: create the data directory and give it to the run user;
 *   4. bind every listener (as root, so ports below 1024 work);
 *   5. drop privileges for good — no thread exists before this point;
 *   6. write the pid file, open the ctl socket, start the listeners' accept
 *      loops and the background work;
 *   7. the main thread waits for signals and ticks once a second (config
 *      reload, certificate reload).
 * SIGTERM, SIGINT or `tern stop` start the shutdown: listeners close, every
 * connection is told to say goodbye (SMTP 421, IMAP BYE), at most
 * SERVER_SHUTDOWN_GRACE_MS is waited for them, then the process exits.
 * SIGHUP reloads domains.conf and the TLS certificates at once.
 */
#ifndef TERN_SERVER_SERVER_H
#define TERN_SERVER_SERVER_H

#include <stdbool.h>

#define SERVER_SHUTDOWN_GRACE_MS 3000

/* Runs the server with the static config at config_path until shutdown; returns the exit status. */
int server_main(const char *config_path);

/* Asks the main thread to shut down (thread-safe; used by ctl "stop"). */
void server_request_shutdown(void);
/* Blocks until the shutdown finished draining connections, or timeout_ms passed. */
bool server_wait_drained(int timeout_ms);

#endif
