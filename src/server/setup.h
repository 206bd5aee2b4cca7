/*
 * setup: turning the configuration into running services.
 *
 * For every listener in the static config, each enabled service (SMTP,
 * Submission, IMAPS, the web interfaces, ...) becomes a net listener on the
 * listener's IPs and the service's port, with the listener's TLS context for
 * implicit TLS and for STARTTLS. Which protocol serves which service is the
 * table in setup.c; a service whose protocol tern does not have yet is logged
 * at startup as not served, and `tern config test` lists it too.
 *
 * The steps follow server.h: setup_load (config, log levels, TLS contexts;
 * certificate files are read while still root), setup_prepare_datadir,
 * setup_bind (as root), then after the privilege drop setup_start. The main
 * thread calls setup_reload once a second (and on SIGHUP with force) to pick
 * up a changed domains.conf and changed certificate files.
 *
 * Not thread-safe except setup_config and setup_reload, which the ctl thread
 * may call while the main thread ticks.
 */
#ifndef TERN_SERVER_SETUP_H
#define TERN_SERVER_SETUP_H

#include "base/error.h"
#include "config/config.h"
#include "net/conn.h"
#include "net/tls.h"
#include "server/privdrop.h"

#include <stdbool.h>

/* Bounds on open connections, server-wide (see net/limits.h; IPv6 counted per /64). */
#define SERVER_MAX_CONNECTIONS        10000
#define SERVER_MAX_CONNECTIONS_PER_IP 200

struct server_setup;
struct service_def;

/* What a protocol's serve function gets as its argument. */
struct service_ctx {
	struct server_setup *setup;
	const struct service_def *def;
	const char *listener_name;
	const struct cfg_listener *listener; /* from the static config, which never changes */
	struct tls_ctx *tls;                 /* the listener's TLS context, or NULL */
	void *proto; /* the protocol's own configuration for this service, made at bind */
};

/* Marks this process as `tern localserve` (before setup_load): protocols behave as mox localserve.
 */
void setup_set_localserve(bool on);

struct server_setup *setup_load(const char *config_path, struct error *err);
bool setup_prepare_datadir(struct server_setup *s, struct error *err);
bool setup_bind(struct server_setup *s, struct error *err);
bool setup_start(struct server_setup *s, struct error *err);
/* Stops listeners, tells connections to end, waits up to grace_ms; returns connections left. */
int setup_shutdown(struct server_setup *s, int grace_ms);
/*
 * Reloads domains.conf when it changed (always with force) and TLS
 * certificates whose files changed. Returns false with err set when a
 * forced reload of domains.conf was refused.
 */
bool setup_reload(struct server_setup *s, bool force, struct error *err);
void setup_free(struct server_setup *s);

const struct run_user *setup_user(const struct server_setup *s);
const char *setup_datadir(const struct server_setup *s);
struct config *setup_config(struct server_setup *s);
/* The SMTP services' backend; NULL when no SMTP service is configured. */
struct smtp_backend *setup_smtp_backend(struct server_setup *s);

#endif
