/*
 * EXTERNAL (RFC 4422 appendix A) with a TLS client certificate: the
 * certificate's public key identifies the account (tlspubkey.h resolves it
 * at the handshake into sasl_conn.identity). The client's message is an
 * authorization identity: empty means the key's own login address; an
 * address must belong to the same account (seed: TLS client certificates).
 */
#include "auth/sasl_impl.h"

#include "base/utf8.h"

#include <string.h>

static enum sasl_status external_begin(struct sasl_session *s, struct buf *challenge)
{
	(void)s;
	(void)challenge; /* RFC 4422 A.1: an empty challenge asks for the authzid. */
	return SASL_CONTINUE;
}

static enum sasl_status external_step(struct sasl_session *s, const uint8_t *in, size_t n,
				      struct buf *challenge)
{
	(void)challenge;
	const struct auth_identity *id = s->conn.identity;
	if (n > AUTH_USERNAME_MAX || memchr(in, '\0', n) || !utf8_valid((const char *)in, n))
		return sasl_protocolf(s, "EXTERNAL: bad authorization identity");
	if (!id)
		return sasl_failf(s, AUTH_RESULT_BADCREDS,
				  "no TLS client certificate with a known public key");
	/* The key's login address, or the one asked for; either resolved in the current config. */
	const char *name = n ? (const char *)in : id->ref.login;
	size_t len = n ? n : strlen(id->ref.login);
	const char *why = NULL;
	if (auth_lookup_login(s->conn.cfg, name, len, &s->res.ref, &why) != AUTH_LOOKUP_FOUND) {
		s->res.authz_failed = n > 0;
		return sasl_failf(s, n ? AUTH_RESULT_BADAUTHZ : AUTH_RESULT_BADUSER,
				  "EXTERNAL: %s: %s",
				  n ? "authorization identity" : "key's login address", why);
	}
	if (strcmp(s->res.ref.account, id->ref.account) != 0) {
		s->res.authz_failed = n > 0;
		return sasl_failf(s, n ? AUTH_RESULT_BADAUTHZ : AUTH_RESULT_BADCREDS,
				  "EXTERNAL: %s belongs to account %s, the TLS public key to %s",
				  s->res.ref.login, s->res.ref.account, id->ref.account);
	}
	return sasl_allow(s);
}

const struct sasl_mech_ops sasl_external_ops = {
    .mech = SASL_EXTERNAL,
    .allow_initial_response = true,
    .begin = external_begin,
    .step = external_step,
};
