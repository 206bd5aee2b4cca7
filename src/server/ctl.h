/*
 * ctl: the control socket between tern commands and the running server.
 *
 * The server listens on a unix socket DATADIR/ctl, owned by the unprivileged
 * user with mode 0600 (root can always connect). Commands such as "tern stop"
 * and "tern loglevels" connect, send the command name, and then exchange
 * command-specific frames. A frame is "<decimal length>\n<bytes>", bounded by
 * CTL_FRAME_MAX, so binary data (messages to import, config files) passes
 * unchanged. A command's exchange ends with a status frame: "ok" or
 * "error: <message>".
 *
 * Every read has a deadline; a client that stalls is dropped. Each client is
 * served by its own short-lived thread, at most CTL_MAX_CLIENTS at once.
 */
#ifndef TERN_SERVER_CTL_H
#define TERN_SERVER_CTL_H

#include "base/buf.h"
#include "base/error.h"

#include <stdbool.h>
#include <stddef.h>

#define CTL_FRAME_MAX   (64u * 1024 * 1024)
#define CTL_TIMEOUT_MS  (5 * 60 * 1000)
#define CTL_MAX_CLIENTS 32

struct ctl_conn {
	int fd;
	int timeout_ms;
};

bool ctl_send(struct ctl_conn *c, const void *p, size_t n, struct error *err);
bool ctl_send_str(struct ctl_conn *c, const char *s, struct error *err);
/* Sends "error: msg". */
bool ctl_send_error(struct ctl_conn *c, const char *msg, struct error *err);
/* Receives one frame into out (replacing its contents). EOF is ERR_CLOSED. */
bool ctl_recv(struct ctl_conn *c, struct buf *out, struct error *err);
/* Receives a status frame: true for "ok"; an "error: ..." frame becomes err. */
bool ctl_recv_status(struct ctl_conn *c, struct error *err);

/* Client side: connects to the server's socket. */
bool ctl_dial(const char *socket_path, struct ctl_conn *c, struct error *err);
void ctl_close(struct ctl_conn *c);

/* Server side. */
struct ctl_server;
typedef void (*ctl_dispatch_fn)(void *ctx, struct ctl_conn *c, const char *cmd);

/* Creates the socket (replacing a stale one; fails if a server answers on it). */
struct ctl_server *ctl_listen(const char *path, struct error *err);
/* Serves clients in a background thread; each command is passed to fn. */
bool ctl_start(struct ctl_server *s, ctl_dispatch_fn fn, void *ctx, struct error *err);
/* Stops accepting, removes the socket file and frees s (running clients finish on their own). */
void ctl_stop(struct ctl_server *s);

#endif
