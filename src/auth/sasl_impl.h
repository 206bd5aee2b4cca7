/*
 * sasl_impl: internals shared by sasl.c and the mechanism files
 * (sasl_password.c, sasl_crammd5.c, sasl_scram.c, sasl_external.c). Not for
 * use outside src/auth.
 *
 * Each mechanism is a table of operations: init (optional set-up of its
 * state when the session is made), begin (no initial response:
 * produce the first challenge), step (one client response). sasl.c checks
 * sizes and order before calling them and marks the session done once a
 * step returns anything but SASL_CONTINUE. Mechanisms end through
 * sasl_end, which records the result and maps it to a status.
 */
#ifndef TERN_AUTH_SASL_IMPL_H
#define TERN_AUTH_SASL_IMPL_H

#include "auth/sasl.h"
#include "auth/scram.h"

#include <stdint.h>

struct sasl_mech_ops {
	enum sasl_mech mech;
	bool allow_initial_response;          /* false for server-first mechanisms (CRAM-MD5) */
	void (*init)(struct sasl_session *s); /* optional, at sasl_new */
	enum sasl_status (*begin)(struct sasl_session *s, struct buf *challenge);
	enum sasl_status (*step)(struct sasl_session *s, const uint8_t *in, size_t n,
				 struct buf *challenge);
	void (*release)(struct sasl_session *s);
};

#define SASL_CRAM_CHALLENGE_MAX (64 + DNS_NAME_MAX)

struct sasl_session {
	const struct auth_env *env;
	struct sasl_conn conn;
	const struct sasl_mech_ops *ops;
	bool started, done;
	int state; /* per mechanism */
	struct sasl_result res;
	union {
		struct {
			char user[AUTH_USERNAME_MAX + 1];
			size_t user_len;
		} login;
		struct {
			char challenge[SASL_CRAM_CHALLENGE_MAX + 1];
			size_t len;
		} cram;
		struct {
			struct scram_server sc;
			struct auth_credentials creds;
			bool known;               /* user found with SCRAM secrets */
			enum auth_result unknown; /* the result to record when not known */
		} scram;
	} m;
};

extern const struct sasl_mech_ops sasl_plain_ops, sasl_login_ops, sasl_crammd5_ops,
    sasl_external_ops, sasl_scram_sha1_ops, sasl_scram_sha1_plus_ops, sasl_scram_sha256_ops,
    sasl_scram_sha256_plus_ops;

/* Ends the exchange with result r (detail already set by the caller when failing). */
enum sasl_status sasl_end(struct sasl_session *s, enum auth_result r);
/* Ends with a failure, formatting the log detail. */
enum sasl_status sasl_failf(struct sasl_session *s, enum auth_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Ends with a protocol error (malformed client data). */
enum sasl_status sasl_protocolf(struct sasl_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Password mechanisms (PLAIN, LOGIN): verify and end. */
enum sasl_status sasl_password_login(struct sasl_session *s, const char *user, size_t ulen,
				     const char *pw, size_t pwlen);
/* The verified account ref is allowed to log in here: end with OK or the refusal. */
enum sasl_status sasl_allow(struct sasl_session *s);
/* The connection offers -PLUS (TLS with channel binding data). */
bool sasl_conn_has_binding(const struct sasl_conn *c);

/* ---- the decoders, pure functions (also fuzzed on their own) ---- */

/* RFC 4616 2: a PLAIN message; the slices point into in. *why explains a refusal. */
struct sasl_plain_msg {
	struct str authzid, authcid, passwd;
};
bool sasl_plain_parse(const uint8_t *in, size_t n, struct sasl_plain_msg *out, const char **why);

/* RFC 2195 2: "user SP 32 hex digits"; the user name is in[0..*user_len). */
bool sasl_crammd5_parse(const char *in, size_t n, size_t *user_len, uint8_t digest[16]);

#endif
