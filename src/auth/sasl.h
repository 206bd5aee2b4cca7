/*
 * sasl: server-side SASL exchanges (RFC 4422), independent of the protocol
 * that carries them (SMTP AUTH, IMAP AUTHENTICATE, later HTTP).
 *
 * Mechanisms: PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login),
 * CRAM-MD5 (RFC 2195), SCRAM-SHA-1, SCRAM-SHA-256 and their -PLUS variants
 * with channel binding (RFC 5802, RFC 7677; tls-exporter of RFC 9266 with
 * TLS 1.3, tls-unique of RFC 5929 with TLS 1.2), and EXTERNAL (RFC 4422
 * appendix A) with a TLS client certificate's public key.
 *
 * Driving an exchange:
 *   s = sasl_new(env, &conn, mech, &err)     NULL: mechanism not available here
 *   st = sasl_start(s, ir, irlen, have_ir, &challenge)
 *   while (st == SASL_CONTINUE) {
 *       send challenge (base64: sasl_encode_challenge) as "334 ..." / "+ ..."
 *       read a line; sasl_decode_response: cancel -> sasl_cancel(s);
 *       malformed -> protocol error; else st = sasl_step(s, data, n, &challenge)
 *   }
 *   r = sasl_result(s): SASL_OK -> authenticated as r->account / r->login
 *   sasl_free(s)
 * Data passed to sasl_start/sasl_step is already base64-decoded; the
 * framing helpers below decode the protocols' lines ("=" for an empty
 * initial response, "*" for cancel, RFC 4954 4 and RFC 9051 6.2.2).
 *
 * Outcomes are distinct: SASL_FAIL (wrong or unknown credentials, all
 * indistinguishable to the client; a disabled account gets its message in
 * client_message), SASL_PROTOCOL (the client's data is malformed: the
 * protocol's syntax error reply, never logged as a server error),
 * SASL_TEMPORARY (our trouble: storage, memory; a temporary error reply),
 * SASL_ABORTED (client cancel; replied to like a protocol error). The result
 * carries what to record (enum auth_result) and a detail for the log that
 * never contains secrets.
 *
 * SCRAM's server-final-message is sent as a last challenge; the exchange
 * succeeds when the client answers it with an empty response (both SMTP and
 * IMAP support this; neither needs "additional data with success").
 *
 * Bounds: each client response at most SASL_RESPONSE_MAX bytes decoded,
 * a fixed number of steps per mechanism. A session is used by one thread;
 * secrets it held are wiped by sasl_free. The env and the config snapshot
 * in struct sasl_conn must outlive the session.
 */
#ifndef TERN_AUTH_SASL_H
#define TERN_AUTH_SASL_H

#include "auth/login.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/str.h"

#include <stdbool.h>
#include <stddef.h>

#define SASL_RESPONSE_MAX 12288 /* a decoded client response */
/* A response line: base64 of the largest response. */
#define SASL_LINE_MAX (((SASL_RESPONSE_MAX + 2) / 3) * 4)

enum sasl_mech {
	SASL_MECH_NONE = 0,
	SASL_SCRAM_SHA_256_PLUS,
	SASL_SCRAM_SHA_256,
	SASL_SCRAM_SHA_1_PLUS,
	SASL_SCRAM_SHA_1,
	SASL_CRAM_MD5,
	SASL_PLAIN,
	SASL_LOGIN,
	SASL_EXTERNAL,
};
#define SASL_MECH_COUNT 8

/* "SCRAM-SHA-256-PLUS", ...; "" for SASL_MECH_NONE. */
const char *sasl_mech_name(enum sasl_mech m);
/* Lower-case name for logs and records ("scram-sha-256-plus"), as mox records them. */
const char *sasl_mech_lower(enum sasl_mech m);
/* Case-insensitive; SASL_MECH_NONE when unknown. */
enum sasl_mech sasl_mech_parse(struct str name);

/* The connection an exchange runs on. */
struct sasl_conn {
	const struct cfg_dynamic *cfg;        /* snapshot held during the exchange */
	const struct auth_tls *tls;           /* NULL or !active: plaintext */
	const struct auth_identity *identity; /* from the TLS client certificate, or NULL */
	bool plaintext_ok; /* PLAIN/LOGIN allowed without TLS (e.g. NoRequireSTARTTLS, loopback) */
};

/*
 * The mechanisms to advertise on a connection, in order of preference:
 * -PLUS only with TLS channel binding data, EXTERNAL only with an identified
 * client certificate, PLAIN and LOGIN only with TLS or plaintext_ok. Returns
 * the count written to out (room for SASL_MECH_COUNT).
 */
size_t sasl_mechanisms(const struct sasl_conn *c, enum sasl_mech out[SASL_MECH_COUNT]);
/* The same as a space-separated list ("SCRAM-SHA-256-PLUS SCRAM-SHA-256 ..."). */
void sasl_mechanisms_format(const struct sasl_conn *c, struct buf *out);
/* Whether m is offered on c (a client may only use an advertised mechanism). */
bool sasl_mechanism_offered(const struct sasl_conn *c, enum sasl_mech m);

enum sasl_status {
	SASL_CONTINUE,  /* send the challenge, read the next response */
	SASL_OK,        /* authenticated */
	SASL_FAIL,      /* authentication failed */
	SASL_PROTOCOL,  /* malformed client data */
	SASL_TEMPORARY, /* temporary server failure */
	SASL_ABORTED,   /* cancelled by the client */
};

struct sasl_result {
	enum auth_result result; /* to record */
	struct auth_account_ref
	    ref; /* on SASL_OK the account and login; on failure what was known */
	/* For the client, in the failure reply; "" means the protocol's default text. */
	char client_message[AUTH_CLIENT_MSG_MAX];
	bool authz_failed;   /* IMAP: AUTHORIZATIONFAILED rather than AUTHENTICATIONFAILED */
	struct error detail; /* for the log; never contains secrets */
};

struct sasl_session;

/* A new exchange; NULL with err set when mech is not offered on c. */
struct sasl_session *sasl_new(const struct auth_env *env, const struct sasl_conn *c,
			      enum sasl_mech mech, struct error *err);
/* Starts, with the initial response (RFC 4959, RFC 4954) when the client sent one. */
enum sasl_status sasl_start(struct sasl_session *s, const void *ir, size_t n, bool have_ir,
			    struct buf *challenge);
/* The next client response. challenge is replaced (emptied when there is none). */
enum sasl_status sasl_step(struct sasl_session *s, const void *in, size_t n, struct buf *challenge);
/* The client sent "*". */
enum sasl_status sasl_cancel(struct sasl_session *s);
const struct sasl_result *sasl_result(const struct sasl_session *s);
enum sasl_mech sasl_session_mech(const struct sasl_session *s);
void sasl_free(struct sasl_session *s);

/* ---- framing: base64 lines of SMTP AUTH and IMAP AUTHENTICATE ---- */

enum sasl_line {
	SASL_LINE_DATA,
	SASL_LINE_CANCEL,
	SASL_LINE_MALFORMED,
};

/* A continuation line: "*" cancels, "" is an empty response, else strict base64. */
enum sasl_line sasl_decode_response(struct str line, struct buf *out);
/* An initial response argument: "=" is empty (RFC 4954 4, RFC 9051 6.2.2), else base64. */
enum sasl_line sasl_decode_initial(struct str arg, struct buf *out);
/* Appends the base64 of a challenge (empty for an empty challenge). */
void sasl_encode_challenge(const struct buf *challenge, struct buf *out);
/* Wipes and frees a buffer that held a client response (it may contain a password). */
void sasl_wipe(struct buf *b);

#endif
