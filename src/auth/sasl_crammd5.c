/*
 * CRAM-MD5 (RFC 2195): the server sends a unique challenge, the client
 * answers "user SP hex(HMAC-MD5(password, challenge))". The expected digest
 * is computed from the stored HMAC-MD5 states (credentials.h), compared in
 * constant time.
 */
#include "auth/sasl_impl.h"

#include "auth/md5.h"
#include "base/str.h"
#include "base/utf8.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static enum sasl_status cram_begin(struct sasl_session *s, struct buf *challenge)
{
	/* RFC 2195 2: a msg-id style string: random digits, a timestamp, the host name. */
	uint32_t r;
	auth_random(s->env, &r, sizeof r);
	int64_t t = auth_now_ms(s->env) / 1000;
	const char *host = s->env->hostname && s->env->hostname[0] ? s->env->hostname : "localhost";
	int k = snprintf(s->m.cram.challenge, sizeof s->m.cram.challenge,
			 "<%" PRIu32 ".%" PRId64 "@%.*s>", r, t, DNS_NAME_MAX, host);
	s->m.cram.len = (size_t)k;
	buf_append(challenge, s->m.cram.challenge, s->m.cram.len);
	return SASL_CONTINUE;
}

/* RFC 2195 2: "user SP digest", the digest 32 hex digits; the user name is up to the last space. */
bool sasl_crammd5_parse(const char *in, size_t n, size_t *user_len, uint8_t digest[16])
{
	const size_t hexlen = 2 * AUTH_MD5_LEN;
	if (n < hexlen + 2 || in[n - hexlen - 1] != ' ')
		return false;
	*user_len = n - hexlen - 1;
	for (size_t i = 0; i < AUTH_MD5_LEN; i++) {
		int hi = ascii_hexval(in[*user_len + 1 + 2 * i]),
		    lo = ascii_hexval(in[*user_len + 2 + 2 * i]);
		if (hi < 0 || lo < 0)
			return false;
		digest[i] = (uint8_t)(hi << 4 | lo);
	}
	return *user_len <= AUTH_USERNAME_MAX && !memchr(in, '\0', *user_len) &&
	       utf8_valid(in, *user_len);
}

static enum sasl_status cram_step(struct sasl_session *s, const uint8_t *in, size_t n,
				  struct buf *challenge)
{
	(void)challenge;
	size_t ulen;
	uint8_t got[AUTH_MD5_LEN], want[AUTH_MD5_LEN];
	if (!sasl_crammd5_parse((const char *)in, n, &ulen, got))
		return sasl_protocolf(s, "CRAM-MD5: expected user name, space, 32 hex digits");
	const char *why = NULL;
	if (auth_lookup_login(s->conn.cfg, (const char *)in, ulen, &s->res.ref, &why) !=
	    AUTH_LOOKUP_FOUND)
		return sasl_failf(s, AUTH_RESULT_BADUSER, "%s", why);
	struct auth_credentials c;
	switch (auth_fetch_credentials(s->env, s->res.ref.account, &c, &s->res.detail)) {
	case AUTH_FETCH_ERROR: return sasl_end(s, AUTH_RESULT_ERROR);
	case AUTH_FETCH_NONE: c.parts = 0; break;
	case AUTH_FETCH_FOUND: break;
	}
	if (!(c.parts & AUTH_CRED_CRAM_MD5)) {
		auth_credentials_wipe(&c);
		return sasl_failf(s, AUTH_RESULT_BADUSER,
				  "no CRAM-MD5 secrets for account %s (set its password)",
				  s->res.ref.account);
	}
	auth_hmac_md5_resume(c.crammd5_inner, c.crammd5_outer, s->m.cram.challenge, s->m.cram.len,
			     want);
	auth_credentials_wipe(&c);
	bool match = sodium_memcmp(got, want, AUTH_MD5_LEN) == 0;
	sodium_memzero(want, sizeof want);
	if (!match)
		return sasl_failf(s, AUTH_RESULT_BADPASSWORD, "wrong CRAM-MD5 digest");
	return sasl_allow(s);
}

const struct sasl_mech_ops sasl_crammd5_ops = {
    .mech = SASL_CRAM_MD5,
    .allow_initial_response = false,
    .begin = cram_begin,
    .step = cram_step,
};
