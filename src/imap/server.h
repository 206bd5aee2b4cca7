/*
 * imap/server: the IMAP4rev2 and IMAP4rev1 server (RFC 9051, RFC 3501) with
 * the extensions of command.h, IDLE (RFC 2177), SASL-IR (RFC 4959), LITERAL+
 * (RFC 7888), UTF8=ACCEPT (RFC 6855) and PREAUTH for known TLS client
 * certificates.
 *
 * One struct imap_server per process, made by the serve setup: it holds the
 * configuration, the authentication service (auth/service.h, opened on
 * first use in a connection thread, so its files belong to the run user),
 * and the per-account connection counts. Each listener's IMAP or IMAPS
 * service passes a struct imap_service to imap_serve, which runs one session
 * on the connection's thread until the client logs out, the connection
 * breaks, a timeout passes or the server shuts down (the client gets
 * "* BYE"). Sessions read the message store directly (src/store) and learn
 * of other sessions' and deliveries' changes through a store subscriber.
 *
 * Limits (each answered as the RFCs ask, see session.h): line length,
 * literal sizes (APPENDLIMIT for messages), command size, parenthesis and
 * search-key nesting, consecutive bad commands, timeouts before login
 * (IMAP_PREAUTH_TIMEOUT_MS), after login (IMAP_AUTH_TIMEOUT_MS) and in IDLE
 * (IMAP_IDLE_TIMEOUT_MS, restarted by every IDLE), connections per account
 * (IMAP_ACCOUNT_CONNECTIONS_MAX); connections per IP are the listener's.
 *
 * Thread-safe: the server is shared by all connection threads; a session
 * belongs to its thread.
 */
#ifndef TERN_IMAP_SERVER_H
#define TERN_IMAP_SERVER_H

#include "config/config.h"
#include "net/conn.h"
#include "net/tls.h"

#include <stdbool.h>

#define IMAP_ACCOUNT_CONNECTIONS_MAX 1000

struct imap_server;

/* What a listener's IMAP or IMAPS service is. */
struct imap_service {
	struct imap_server *server;
	const char *listener;
	struct tls_ctx *tls;      /* for STARTTLS on plain services; NULL: none */
	bool implicit_tls;        /* IMAPS: the handshake is done before imap_serve */
	bool no_require_starttls; /* NoRequireSTARTTLS: logins allowed without TLS */
};

/* The config must outlive the server. Logins go through auth (auth/service.h),
 * the server's one service for all protocols, so failed-login limits count
 * across them; kept by the caller for the server's life; NULL: no logins.
 * Never NULL. */
struct auth_service_once;
struct imap_server *imap_server_new(struct config *config, struct auth_service_once *auth);
/* After every session has ended. */
void imap_server_free(struct imap_server *s);

/* Serves one connection (see above); the caller closes and frees c afterwards. */
void imap_serve(struct conn *c, const struct imap_service *svc);

#endif
