/*
 * tlsclient: client-side TLS on OpenSSL 3 — a context shared by outgoing
 * connections, the parameters of one connection (server name, verification
 * mode, DANE TLSA records), and a result that says afterwards what was
 * verified and, when something failed, why, in the terms TLS reports use
 * (RFC 8460 4.3). conn_tls_connect (conn.h) runs the handshake with these.
 *
 * Context (tls_client_new): the CA set for PKIX (a PEM file, or the system's
 * trusted CAs), an optional client certificate (PEM files, or PEM in memory
 * such as a certificate certgen made on the fly), TLS versions (never below
 * 1.2) and session tickets. Reference counted; any thread may use it.
 *
 * Verification modes (struct tls_client_params.verify):
 *   TLS_VERIFY_NONE           any certificate is accepted, nothing is checked.
 *   TLS_VERIFY_OPPORTUNISTIC  any certificate is accepted, but it is checked
 *                             (PKIX, and DANE when records are given) and the
 *                             outcome reported: opportunistic STARTTLS that
 *                             still feeds TLS reports, and "TLS-Required: No"
 *                             deliveries that ignore a failed check (RFC 8689 5).
 *   TLS_VERIFY_PKIX           the chain must lead to a CA of the context, be
 *                             valid now, and the leaf must name server_name
 *                             or one of more_names; else the handshake fails.
 *   TLS_VERIFY_DANE           a usable TLSA record must match; else the
 *                             handshake fails.
 *
 * PKIX name checks (RFC 6125): subjectAltName dNSNames only when present, a
 * wildcard only as the whole leftmost label; an IP literal as server_name is
 * checked against iPAddress names and gets no SNI (RFC 6066 3).
 *
 * DANE for SMTP (RFC 7672, RFC 6698, RFC 7671), through OpenSSL's
 * SSL_dane_* API. Usable records are DANE-TA(2) and DANE-EE(3) with selector
 * Cert(0) or SPKI(1) and matching type Full(0), SHA2-256(1) or SHA2-512(2)
 * with data of the right length; PKIX-TA(0) and PKIX-EE(1) are unusable for
 * SMTP (RFC 7672 3.1.3), and so are unknown parameters (RFC 7671 4): they are
 * left out, and tls_tlsa_usable says which are which. A DANE-EE match
 * authenticates the server's key alone: names and validity dates are not
 * checked (RFC 7672 3.1.1). A DANE-TA match needs a chain from the trust
 * anchor to a leaf that is valid now and names a reference identifier
 * (RFC 7672 3.2.2): server_name, the TLSA base domain, which is also sent as
 * SNI, or one of more_names (e.g. the MX host name when the base domain is
 * its CNAME target). With DANE records in TLS_VERIFY_DANE mode and none of
 * them usable, no handshake is tried and the result says tlsa-invalid; what
 * to do then (RFC 7672 2.2: TLS still, unauthenticated) is the caller's
 * policy, decided before with tls_tlsa_usable.
 *
 * PKIX for reporting: in OPPORTUNISTIC and DANE modes the PKIX outcome is
 * computed too (never failing the connection), so that MTA-STS reports can
 * say certificate-expired etc. whatever the mode.
 *
 * The result (struct tls_client_result) is filled by conn_tls_connect, on
 * success and on failure: version and cipher, the peer's chain length and
 * leaf names, pkix (checked, ok, failure type and reason), dane (checked,
 * ok, usable records, the matching record and its depth: 0 for the leaf),
 * and "failure"/"reason": why the connection failed or, in OPPORTUNISTIC
 * mode, why the check failed, as an RFC 8460 result type with a short
 * failure-reason-code text. Key material is never logged.
 */
#ifndef TERN_NET_TLSCLIENT_H
#define TERN_NET_TLSCLIENT_H

#include "base/buf.h"
#include "base/error.h"

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLS_TLSA_MAX       64          /* records considered per connection */
#define TLS_TLSA_DATA_MAX  (16 * 1024) /* a full certificate or SPKI in a record */
#define TLS_MORE_NAMES_MAX 8           /* extra reference identifiers */
#define TLS_REASON_MAX     160
#define TLS_CERT_NAME_MAX  256

struct tls_client_config {
	const char *ca_file;        /* trusted CAs (PEM) for PKIX; NULL: the system's */
	const char *cert_file;      /* client certificate and chain (PEM); NULL: none */
	const char *key_file;       /* its key (PEM); NULL: in cert_file */
	const struct buf *cert_pem; /* or the client certificate and chain in memory */
	const struct buf *key_pem;
	const char *min_version; /* "TLSv1.2" (NULL) or "TLSv1.3"; "tls1.2" etc. too */
	const char *max_version; /* NULL: the highest */
	bool no_session_tickets;
};

enum tls_verify {
	TLS_VERIFY_NONE,
	TLS_VERIFY_OPPORTUNISTIC,
	TLS_VERIFY_PKIX,
	TLS_VERIFY_DANE,
};

/* RFC 6698 2.1 fields. */
enum {
	TLSA_USAGE_PKIX_TA = 0,
	TLSA_USAGE_PKIX_EE = 1,
	TLSA_USAGE_DANE_TA = 2,
	TLSA_USAGE_DANE_EE = 3,
	TLSA_SELECTOR_CERT = 0,
	TLSA_SELECTOR_SPKI = 1,
	TLSA_MTYPE_FULL = 0,
	TLSA_MTYPE_SHA256 = 1,
	TLSA_MTYPE_SHA512 = 2,
};

/* One TLSA record (RFC 6698 2.1); data is the caller's. */
struct tls_tlsa {
	uint8_t usage;
	uint8_t selector;
	uint8_t mtype;
	const uint8_t *data;
	size_t len;
};

struct tls_client_params {
	enum tls_verify verify;
	/* SNI, PKIX reference identifier and DANE TLSA base domain. NULL: none (only with
	 * TLS_VERIFY_NONE or OPPORTUNISTIC, which then check no name). */
	const char *server_name;
	const char *const *more_names; /* more reference identifiers (PKIX and DANE-TA) */
	size_t nmore_names;
	const struct tls_tlsa *tlsa; /* DANE records, for OPPORTUNISTIC or DANE mode */
	size_t ntlsa;
};

/* RFC 8460 4.3 result types, as the queue and TLS reports use them. */
enum tls_result_type {
	TLS_RESULT_NONE = 0, /* no failure */
	TLS_RESULT_STARTTLS_NOT_SUPPORTED,
	TLS_RESULT_CERT_HOST_MISMATCH,
	TLS_RESULT_CERT_EXPIRED,
	TLS_RESULT_CERT_NOT_TRUSTED,
	TLS_RESULT_VALIDATION_FAILURE,
	TLS_RESULT_TLSA_INVALID,
	TLS_RESULT_DNSSEC_INVALID,
	TLS_RESULT_DANE_REQUIRED,
	TLS_RESULT_STS_POLICY_FETCH_ERROR,
	TLS_RESULT_STS_POLICY_INVALID,
	TLS_RESULT_STS_WEBPKI_INVALID,
};

/* The outcome of one way of checking the server's certificate. */
struct tls_check {
	bool checked;                 /* the check ran (a certificate was seen) */
	bool ok;                      /* and passed */
	enum tls_result_type failure; /* when checked and not ok */
	char reason[TLS_REASON_MAX];  /* e.g. "certificate has expired", "dane-no-match" */
};

struct tls_client_result {
	enum tls_verify verify;       /* the mode used */
	bool handshake_done;          /* the handshake completed */
	bool verified;                /* what the mode requires holds (NONE/OPPORTUNISTIC: true) */
	enum tls_result_type failure; /* why it failed (or, OPPORTUNISTIC, the check did) */
	char reason[TLS_REASON_MAX];  /* failure-reason-code; "" without failure */

	struct tls_check pkix;
	struct tls_check dane;
	size_t tlsa_usable; /* records given to the DANE check */
	bool dane_matched;  /* the fields below describe the record that matched */
	uint8_t dane_usage, dane_selector, dane_mtype;
	int dane_depth; /* of the matched certificate in the chain: 0 is the leaf */

	char version[8]; /* "TLS1.2", "TLS1.3" */
	char cipher[64];
	char server_name[256]; /* SNI sent; "" when none */
	unsigned chain_len;    /* certificates the server sent */
	char leaf_subject[TLS_CERT_NAME_MAX];
	char leaf_issuer[TLS_CERT_NAME_MAX];
};

struct tls_client;

struct tls_client *tls_client_new(const struct tls_client_config *cfg, struct error *err);
struct tls_client *tls_client_ref(struct tls_client *t);
void tls_client_unref(struct tls_client *t);

/* Whether a record may be used for DANE with SMTP (see above). */
bool tls_tlsa_usable(const struct tls_tlsa *r);

/* "certificate-host-mismatch" etc. (RFC 8460 4.3); "" for TLS_RESULT_NONE. */
const char *tls_result_type_name(enum tls_result_type t);
/* "none", "opportunistic", "pkix", "dane". */
const char *tls_verify_name(enum tls_verify v);

/*
 * For the connection layer (conn.c): a client SSL object set up for p (SNI,
 * verification, DANE), with res started; after the handshake, success or
 * not, tls_client_finish completes res and says whether the connection may
 * be used (false with err when the mode's verification failed).
 */
SSL *tls_client_ssl_new(struct tls_client *t, const struct tls_client_params *p,
			struct tls_client_result *res, struct error *err);
bool tls_client_finish(struct tls_client *t, SSL *ssl, const struct tls_client_params *p,
		       bool handshake_ok, struct tls_client_result *res, struct error *err);
/* The peer's certificates as PEM, leaf first. */
bool tls_peer_chain_pem(SSL *ssl, struct buf *out, struct error *err);

#endif
