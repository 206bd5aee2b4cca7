/*
 * tls: server-side TLS contexts on OpenSSL 3, with SNI, hot reload, ALPN and
 * optional client certificates.
 *
 * A tls_ctx is built from (certificate file, key file) pairs in PEM. A
 * certificate file holds the leaf first, then its chain; a key may be PKCS#8,
 * PKCS#1 (RSA) or SEC1 (EC). Only TLS 1.2 and 1.3 are spoken; the minimum is
 * "TLSv1.2" (default) or "TLSv1.3". Renegotiation is off; a client that closes
 * without close_notify is an ordinary close (line-based mail protocols frame
 * their own data, so truncation cannot be mistaken for a complete command).
 *
 * Certificate choice (SNI, RFC 6066 3): the client's server name is compared,
 * ASCII case-insensitively, with each certificate's subjectAltName dNSNames;
 * "*.example.com" matches exactly one label ("a.example.com", not
 * "example.com" or "a.b.example.com"). An exact name in any certificate wins
 * over a wildcard; without SNI or a match, the first certificate is used.
 * The common name is not consulted (RFC 6125 6.4.4).
 *
 * ALPN (RFC 7301 3.2): the first protocol in the context's list that the
 * client also offers is chosen (server preference). When the context has a
 * list and the client offers ALPN but none in common, the handshake fails
 * with a no_application_protocol alert. Without a list ALPN is ignored.
 *
 * Client certificates: with client_auth, a certificate is requested but not
 * required, and any certificate is accepted, self-signed included: what it
 * proves is possession of a key, and the account configuration decides which
 * keys it knows. Identity is the SHA-256 of the certificate's
 * SubjectPublicKeyInfo (DER), given raw and as base64url without padding,
 * as mox does.
 *
 * Hot reload: tls_ctx_reload, called from the server's once-a-second tick,
 * stats the files and, when any changed (inode, size or mtime), loads them
 * all and swaps the whole set atomically. Handshakes take a reference to the
 * set they use, so connections are unaffected by a swap. A set that fails to
 * load leaves the old one in use and is logged once per change of the files.
 *
 * Thread safety: a tls_ctx is shared by all connections; every function here
 * may be called from any thread. Reference counted: each connection using a
 * context holds a reference, so the creator may drop its own at any time.
 * File sizes are bounded by TLS_FILE_MAX; key material read from disk is
 * wiped from memory after parsing and never logged.
 */
#ifndef TERN_NET_TLS_H
#define TERN_NET_TLS_H

#include "base/error.h"
#include "base/log.h"

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLS_FILE_MAX     (1024 * 1024)
#define TLS_ALPN_MAX     16 /* protocols in a context's ALPN list */
#define TLS_SHA256_LEN   32
#define TLS_EXPORTER_LEN 32 /* RFC 9266 2 */
#define TLS_UNIQUE_MAX   64 /* a Finished message: 12 bytes in TLS 1.2 */
#define TLS_FP_B64_LEN   43 /* base64url of 32 bytes, no padding */

struct tls_keypair {
	const char *cert_file;
	const char *key_file;
};

struct tls_config {
	const struct tls_keypair *pairs; /* at least one; the first is the default */
	size_t npairs;
	const char *min_version; /* "TLSv1.2" or "TLSv1.3"; NULL means "TLSv1.2" */
	const char *const *alpn; /* accepted protocols, most preferred first */
	size_t nalpn;
	bool client_auth;        /* request (never require) a client certificate */
	bool no_session_tickets; /* no TLS 1.2 tickets, no TLS 1.3 tickets */
	struct log_pkg *pkg;     /* for reload logs; NULL means "tls" */
};

/* Facts about a finished handshake, for logs, headers and authentication. */
struct tls_info {
	char version[8]; /* "TLS1.2", "TLS1.3" */
	char cipher[64]; /* IANA name, e.g. "TLS_AES_128_GCM_SHA256" */
	char sni[256];   /* server name the client asked for (or, as client, sent); "" when none */
	char alpn[256];  /* negotiated ALPN protocol; "" when none */
	bool resumed;
	bool client_cert; /* server side only; false: the fields below are zero */
	uint8_t client_spki_sha256[TLS_SHA256_LEN];
	char client_fp[TLS_FP_B64_LEN + 1]; /* base64url(client_spki_sha256), no padding */
};

enum tls_reload {
	TLS_RELOAD_UNCHANGED, /* files unchanged, or unchanged since a failed load */
	TLS_RELOAD_SWAPPED,   /* new certificates are in use */
	TLS_RELOAD_FAILED,    /* files changed but did not load; old ones stay (logged) */
};

struct tls_ctx;

/* Loads the files and builds a context with one reference. */
struct tls_ctx *tls_ctx_new(const struct tls_config *cfg, struct error *err);
struct tls_ctx *tls_ctx_ref(struct tls_ctx *t);
void tls_ctx_unref(struct tls_ctx *t);

/* Swaps in changed certificate files; see above. */
enum tls_reload tls_ctx_reload(struct tls_ctx *t);

/* "TLSv1.2"/"tls1.2" or "TLSv1.3"/"tls1.3" into an OpenSSL version; NULL or "": 0. */
bool tls_version_parse(const char *s, int *out, struct error *err);

/*
 * Settings every tern SSL_CTX has, server or client: TLS 1.2 at least (or
 * min_version), at most max_version (NULL: the highest), no renegotiation or
 * compression, partial writes, and optionally no session tickets.
 */
bool tls_ssl_ctx_common(SSL_CTX *c, const char *min_version, const char *max_version,
			bool no_session_tickets, struct error *err);

/* True when SNI name matches certificate DNS name pattern (see above). */
bool tls_name_matches(const char *pattern, const char *name);

/*
 * For the connection layer (conn.c): a new server SSL object for this
 * context, the error message for a failed handshake, the facts of a finished
 * one (either side), and channel binding data (either side) (RFC 9266 tls-exporter for TLS 1.3,
 * or 1.2 with extended master secret; RFC 5929 tls-unique for TLS 1.2).
 */
SSL *tls_ssl_new(struct tls_ctx *t, struct error *err);
void tls_handshake_error(SSL *ssl, int ssl_error, struct error *err);
void tls_info_fill(SSL *ssl, struct tls_info *info);
bool tls_exporter(SSL *ssl, uint8_t out[TLS_EXPORTER_LEN], struct error *err);
bool tls_unique(SSL *ssl, uint8_t *out, size_t cap, size_t *len, struct error *err);

#endif
