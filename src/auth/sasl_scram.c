/*
 * SCRAM-SHA-1, SCRAM-SHA-256 and their -PLUS variants as SASL mechanisms:
 * scram.c handles the messages; this file finds the user's secrets, makes
 * the server nonce, and answers unknown users exactly like known ones (a
 * salt derived from the server secret and the name, the default iteration
 * count), failing only at the proof, so SCRAM does not reveal which
 * addresses exist.
 */
#include "auth/sasl_impl.h"

#include "base/base64.h"

#include <sodium.h>
#include <string.h>

enum { SCRAM_WAIT_FIRST, SCRAM_WAIT_FINAL, SCRAM_WAIT_ACK };

#define SERVER_NONCE_BYTES 18 /* 24 base64 characters, none of them "," */

static enum auth_hash hash_of(const struct sasl_session *s)
{
	enum sasl_mech m = s->ops->mech;
	return m == SASL_SCRAM_SHA_1 || m == SASL_SCRAM_SHA_1_PLUS ? AUTH_SHA1 : AUTH_SHA256;
}

static bool is_plus(const struct sasl_session *s)
{
	return s->ops->mech == SASL_SCRAM_SHA_1_PLUS || s->ops->mech == SASL_SCRAM_SHA_256_PLUS;
}

static void binding_of(const struct sasl_session *s, struct scram_binding *b)
{
	const struct auth_tls *t = s->conn.tls;
	memset(b, 0, sizeof *b);
	b->server_plus = sasl_conn_has_binding(&s->conn);
	if (!b->server_plus)
		return;
	b->have_exporter = t->have_exporter;
	b->exporter = t->exporter;
	b->have_unique = t->have_unique;
	b->unique = t->unique;
	b->unique_len = t->unique_len;
}

static void scram_setup(struct sasl_session *s)
{
	scram_init(&s->m.scram.sc, hash_of(s), is_plus(s));
}

static enum sasl_status scram_begin(struct sasl_session *s, struct buf *challenge)
{
	(void)s;
	(void)challenge; /* RFC 5802 5: client-first; an empty challenge asks for its message. */
	return SASL_CONTINUE;
}

/* Salt and iteration count for a user without SCRAM secrets: stable, unguessable. */
static void fake_salt(const struct sasl_session *s, const char *user, uint8_t salt[AUTH_SALT_LEN],
		      uint32_t *iterations)
{
	enum auth_hash h = hash_of(s);
	struct buf m = BUF_INIT;
	buf_puts(&m, h == AUTH_SHA1 ? "scram-sha-1 salt" : "scram-sha-256 salt");
	buf_putc(&m, '\0');
	buf_puts(&m, user);
	uint8_t mac[AUTH_SCRAM_KEY_MAX];
	auth_hmac(AUTH_SHA256, s->env->secret, AUTH_SECRET_LEN, m.data, m.len, mac);
	memcpy(salt, mac, AUTH_SALT_LEN);
	buf_free(&m);
	*iterations =
	    h == AUTH_SHA1 ? auth_kdf_default.sha1_iterations : auth_kdf_default.sha256_iterations;
}

static const struct auth_scram_secret *secret_of(struct sasl_session *s)
{
	return hash_of(s) == AUTH_SHA1 ? &s->m.scram.creds.scram_sha1
				       : &s->m.scram.creds.scram_sha256;
}

/* Looks up the user; false only for a temporary failure (result already set). */
static bool find_user(struct sasl_session *s, const char *user, size_t n)
{
	const char *why = NULL;
	s->m.scram.known = false;
	s->m.scram.unknown = AUTH_RESULT_BADUSER;
	if (auth_lookup_login(s->conn.cfg, user, n, &s->res.ref, &why) != AUTH_LOOKUP_FOUND) {
		error_set(&s->res.detail, ERR_PERMISSION, "%s", why);
		return true;
	}
	unsigned part = hash_of(s) == AUTH_SHA1 ? AUTH_CRED_SCRAM_SHA1 : AUTH_CRED_SCRAM_SHA256;
	switch (
	    auth_fetch_credentials(s->env, s->res.ref.account, &s->m.scram.creds, &s->res.detail)) {
	case AUTH_FETCH_ERROR: sasl_end(s, AUTH_RESULT_ERROR); return false;
	case AUTH_FETCH_NONE: break;
	case AUTH_FETCH_FOUND: s->m.scram.known = (s->m.scram.creds.parts & part) != 0; break;
	}
	if (!s->m.scram.known)
		error_set(&s->res.detail, ERR_PERMISSION, "no %s secrets for account %s",
			  sasl_mech_name(s->ops->mech), s->res.ref.account);
	return true;
}

static enum sasl_status scram_status(struct sasl_session *s, enum scram_status st,
				     const struct error *err)
{
	enum auth_result r = st == SCRAM_PROTOCOL          ? AUTH_RESULT_BADPROTOCOL
			     : st == SCRAM_CHANNEL_BINDING ? AUTH_RESULT_BADCHANBIND
			     : s->m.scram.known            ? AUTH_RESULT_BADPASSWORD
							   : s->m.scram.unknown;
	/* For an unknown user keep the lookup's explanation; it says more than "invalid proof". */
	if (st != SCRAM_BAD_PROOF || s->m.scram.known)
		s->res.detail = *err;
	return sasl_end(s, r);
}

static enum sasl_status client_first(struct sasl_session *s, const uint8_t *in, size_t n,
				     struct buf *challenge)
{
	struct scram_server *sc = &s->m.scram.sc;
	struct scram_binding b;
	struct error err = {0};
	binding_of(s, &b);
	enum scram_status st = scram_client_first(sc, (const char *)in, n, &b, &err);
	if (st != SCRAM_OK)
		return scram_status(s, st, &err);
	struct buf user = BUF_INIT;
	if (!auth_username_prepare(sc->username.data, sc->username.len, &user, &err)) {
		buf_free(&user);
		return sasl_protocolf(s, "scram: %s", err.msg);
	}
	/* RFC 5802 5.1 "a": acting as another identity is not supported. */
	if (sc->authzid.len > 0) {
		struct buf z = BUF_INIT;
		bool same = auth_username_prepare(sc->authzid.data, sc->authzid.len, &z, NULL) &&
			    z.len == user.len && memcmp(z.data, user.data, z.len) == 0;
		buf_free(&z);
		if (!same) {
			buf_free(&user);
			s->res.authz_failed = true;
			return sasl_failf(s, AUTH_RESULT_BADAUTHZ,
					  "authorization identity differs from the user name");
		}
	}
	bool ok = find_user(s, user.data, user.len);
	uint8_t salt_buf[AUTH_SALT_LEN];
	const uint8_t *salt = salt_buf;
	size_t salt_len = AUTH_SALT_LEN;
	uint32_t iterations = 0;
	if (ok && s->m.scram.known) {
		salt = secret_of(s)->salt;
		salt_len = secret_of(s)->salt_len;
		iterations = secret_of(s)->iterations;
	} else if (ok) {
		fake_salt(s, user.data, salt_buf, &iterations);
	}
	buf_free(&user);
	if (!ok)
		return SASL_TEMPORARY;
	uint8_t nonce_raw[SERVER_NONCE_BYTES];
	struct buf nonce = BUF_INIT;
	auth_random(s->env, nonce_raw, sizeof nonce_raw);
	base64_encode(BASE64_STD, nonce_raw, sizeof nonce_raw, &nonce);
	scram_server_first(sc, buf_cstr(&nonce), salt, salt_len, iterations, challenge);
	buf_free(&nonce);
	s->state = SCRAM_WAIT_FINAL;
	return SASL_CONTINUE;
}

static enum sasl_status client_final(struct sasl_session *s, const uint8_t *in, size_t n,
				     struct buf *challenge)
{
	struct scram_binding b;
	struct error err = {0};
	binding_of(s, &b);
	const struct auth_scram_secret *secret = s->m.scram.known ? secret_of(s) : NULL;
	struct buf final = BUF_INIT;
	enum scram_status st =
	    scram_client_final(&s->m.scram.sc, (const char *)in, n, &b, secret, &final, &err);
	if (st != SCRAM_OK) {
		buf_free(&final);
		return scram_status(s, st, &err);
	}
	/* Refuse a disabled account (or another account than the TLS identity's) before the
	 * server proves anything. */
	enum sasl_status allowed = sasl_allow(s);
	if (allowed != SASL_OK) {
		buf_free(&final);
		return allowed;
	}
	buf_append(challenge, final.data, final.len);
	buf_free(&final);
	s->state = SCRAM_WAIT_ACK;
	return SASL_CONTINUE;
}

static enum sasl_status scram_step(struct sasl_session *s, const uint8_t *in, size_t n,
				   struct buf *challenge)
{
	switch (s->state) {
	case SCRAM_WAIT_FIRST: return client_first(s, in, n, challenge);
	case SCRAM_WAIT_FINAL: return client_final(s, in, n, challenge);
	case SCRAM_WAIT_ACK:
		/* The client acknowledges server-final-message with an empty response. */
		if (n != 0)
			return sasl_protocolf(s, "scram: expected an empty response after "
						 "server-final-message");
		return sasl_end(s, AUTH_RESULT_OK);
	}
	return sasl_protocolf(s, "scram: unexpected state");
}

static void scram_release(struct sasl_session *s)
{
	scram_free(&s->m.scram.sc);
	auth_credentials_wipe(&s->m.scram.creds);
}

#define SCRAM_OPS(name, m)                                                                         \
	const struct sasl_mech_ops name = {                                                        \
	    .mech = m,                                                                             \
	    .allow_initial_response = true,                                                        \
	    .init = scram_setup,                                                                   \
	    .begin = scram_begin,                                                                  \
	    .step = scram_step,                                                                    \
	    .release = scram_release,                                                              \
	}

SCRAM_OPS(sasl_scram_sha1_ops, SASL_SCRAM_SHA_1);
SCRAM_OPS(sasl_scram_sha1_plus_ops, SASL_SCRAM_SHA_1_PLUS);
SCRAM_OPS(sasl_scram_sha256_ops, SASL_SCRAM_SHA_256);
SCRAM_OPS(sasl_scram_sha256_plus_ops, SASL_SCRAM_SHA_256_PLUS);
