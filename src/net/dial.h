/*
 * dial: outgoing TCP connections over IPv4 and IPv6, bounded by a deadline,
 * from a chosen local address, handed out as a struct conn.
 *
 * dial_addrs tries resolved addresses in the caller's order until one
 * connects. The whole dial has one deadline (timeout_ms); each attempt may
 * use the time left divided by the attempts left, so one address that
 * swallows SYNs cannot use up the time of the others, and time an attempt
 * did not need passes on to the next ones. dial_host resolves a name with the
 * system resolver (getaddrinfo, for commands such as tern sendmail; the
 * queue resolves with tern's own resolver and calls dial_addrs).
 *
 * Source address: when local addresses are given, the first one of the
 * target's family is bound before connecting (mox binds outgoing SMTP to
 * the configured listener IPs, which SPF records name); without one of
 * that family the kernel chooses.
 *
 * Errors keep distinct kinds the caller can act on: ERR_REFUSED (nothing
 * listens there), ERR_UNREACHABLE (no route to the network or host),
 * ERR_TIMEOUT (no answer within the deadline), ERR_NOTFOUND (dial_host: the
 * name has no address), ERR_TEMPORARY (dial_host: the resolver failed),
 * ERR_SHUTDOWN (the server began shutting down), ERR_IO for anything else.
 * When every address fails, err has the kind of the last attempt and a
 * message naming each address with its reason. Thread-safe; no globals.
 */
#ifndef TERN_NET_DIAL_H
#define TERN_NET_DIAL_H

#include "base/error.h"
#include "base/log.h"
#include "net/conn.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DIAL_TIMEOUT_DEFAULT_MS (30 * 1000)
#define DIAL_ADDRS_MAX          32 /* addresses tried in one dial */

/* One IPv4 or IPv6 socket address. */
struct dial_addr {
	struct sockaddr_storage sa;
	socklen_t len;
};

struct dial_opts {
	int timeout_ms; /* for the whole dial; 0: DIAL_TIMEOUT_DEFAULT_MS */
	const struct dial_addr
	    *local; /* source addresses to choose from; port 0 lets the kernel pick */
	size_t nlocal;
	struct log_pkg *pkg; /* for the connection's log lines; NULL: "net" */
};

/* "192.0.2.1" or "2001:db8::1" (no brackets) and a port. */
bool dial_addr_parse(const char *ip, uint16_t port, struct dial_addr *out, struct error *err);

/*
 * Connects to the first of n addresses that answers; *used (may be NULL) gets
 * its index. The conn has the options' package and the default timeouts.
 */
struct conn *dial_addrs(const struct dial_addr *addrs, size_t n, const struct dial_opts *o,
			size_t *used, struct error *err);

/* Resolves host (a name or an IP literal) and dials its addresses in the resolver's order. */
struct conn *dial_host(const char *host, uint16_t port, const struct dial_opts *o,
		       struct error *err);

#endif
