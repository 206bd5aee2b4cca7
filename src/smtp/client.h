/*
 * client: a small SMTP client for submitting one message at a time (tern
 * sendmail) and for looking at a server's session set-up (tern smtp dial).
 * The outgoing queue will extend it for delivery to other servers.
 *
 * smtp_client_connect dials host:port (bounded by the timeout), reads the
 * greeting, says EHLO, starts TLS (implicit, STARTTLS required, or STARTTLS
 * when offered), says EHLO again, and authenticates when credentials are
 * given: with a TLS client certificate (from a PEM file, or made on the fly
 * from an ed25519 private key) by EXTERNAL or by the server's certificate
 * login, else with the strongest password mechanism both sides have
 * (SCRAM-SHA-256-PLUS, SCRAM-SHA-256, SCRAM-SHA-1-PLUS, SCRAM-SHA-1,
 * CRAM-MD5, PLAIN) or the one configured. SCRAM verifies the server's
 * signature; -PLUS binds to the TLS channel (tls-exporter for TLS 1.3,
 * tls-unique for TLS 1.2). Certificates are verified against the system's
 * (or a given) CA set when asked.
 *
 * smtp_client_submit sends one message with MAIL, RCPT and DATA (dot-stuffed,
 * line ends made CRLF); a refusal sets err with ERR_TEMPORARY (4xx) or
 * ERR_PERMISSION (5xx) and the server's reply as message. Every read and
 * write has the connection's timeout. One client per thread; no globals.
 */
#ifndef TERN_SMTP_CLIENT_H
#define TERN_SMTP_CLIENT_H

#include "base/buf.h"
#include "base/error.h"
#include "base/log.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMTP_CLIENT_REPLY_MAX  (64 * 1024) /* a whole (multi-line) reply */
#define SMTP_CLIENT_TIMEOUT_MS (60 * 1000)

enum smtp_client_tls {
	SMTP_CLIENT_TLS_NONE,
	SMTP_CLIENT_TLS_OPPORTUNISTIC, /* STARTTLS when offered */
	SMTP_CLIENT_TLS_STARTTLS, /* STARTTLS, even when not offered (-forcetls, STARTTLS: true) */
	SMTP_CLIENT_TLS_IMPLICIT, /* TLS from the first byte (465) */
};

struct smtp_client_opts {
	const char *host;
	uint16_t port;
	enum smtp_client_tls tls;
	bool tls_verify;      /* verify the certificate and name */
	const char *tls_name; /* SNI and verification name; NULL: host (unless an IP) */
	const char *ca_file;  /* PEM CA certificates; NULL: the system's */
	const char *tls_min;  /* "tls1.2", "tls1.3" or NULL */
	const char *tls_max;
	bool no_session_tickets;
	const char *ehlo_name; /* NULL: "localhost" */
	const char *username;  /* password authentication when set */
	const char *password;
	const char *auth_mech;     /* only this mechanism; NULL: the best shared one */
	const char *cert_pem_file; /* client certificate and key, PEM */
	const char *ed25519_key;   /* raw-url-base64 ed25519 private key (32-byte seed or 64) */
	int timeout_ms;            /* 0: SMTP_CLIENT_TIMEOUT_MS */
	const struct logger *lg;   /* protocol trace at level trace; NULL: none */
};

struct smtp_client;

struct smtp_client *smtp_client_connect(const struct smtp_client_opts *o, struct error *err);
void smtp_client_free(struct smtp_client *c);

/* The EHLO keyword was offered (case-insensitive), e.g. "REQUIRETLS". */
bool smtp_client_has_ext(const struct smtp_client *c, const char *keyword);
bool smtp_client_tls_active(const struct smtp_client *c);
/* "TLS1.3 TLS_AES_128_GCM_SHA256", "" for plain text. */
const char *smtp_client_tls_desc(const struct smtp_client *c);
/* The mechanism used to authenticate, "" when none. */
const char *smtp_client_auth_mech(const struct smtp_client *c);

/* Submits msg (any line ends) from one sender to the recipients. */
bool smtp_client_submit(struct smtp_client *c, const char *from, const char *const *rcpts,
			size_t nrcpts, const char *msg, size_t len, bool requiretls,
			struct error *err);
/* QUIT and wait for the reply (errors ignored). */
void smtp_client_quit(struct smtp_client *c);

/* Raw access for tern smtp dial: write bytes, read what arrives (0 at EOF). */
bool smtp_client_write_raw(struct smtp_client *c, const void *p, size_t n, struct error *err);
/* Reads at most cap bytes within timeout_ms; *n = 0 means the server closed. */
bool smtp_client_read_raw(struct smtp_client *c, void *p, size_t cap, size_t *n, int timeout_ms,
			  struct error *err);
int smtp_client_fd(const struct smtp_client *c);
/* Bytes already received and buffered (TLS or our own buffer). */
size_t smtp_client_pending(const struct smtp_client *c);

#endif
