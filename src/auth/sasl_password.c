/*
 * The clear-text password mechanisms: PLAIN (RFC 4616) and LOGIN
 * (draft-murchison-sasl-login). Both end in sasl_password_login.
 */
#include "auth/sasl_impl.h"

#include "base/utf8.h"

#include <sodium.h>
#include <string.h>

/* ---- PLAIN ---- */

static enum sasl_status plain_begin(struct sasl_session *s, struct buf *challenge)
{
	(void)s;
	(void)challenge; /* RFC 4616 2: client-first; an empty challenge asks for the message. */
	return SASL_CONTINUE;
}

/* NFC forms of two identities are the same. */
static bool same_identity(const char *a, size_t an, const char *b, size_t bn)
{
	struct buf x = BUF_INIT, y = BUF_INIT;
	bool same = auth_username_prepare(a, an, &x, NULL) &&
		    auth_username_prepare(b, bn, &y, NULL) && x.len == y.len &&
		    memcmp(x.data, y.data, x.len) == 0;
	buf_free(&x);
	buf_free(&y);
	return same;
}

static enum sasl_status plain_step(struct sasl_session *s, const uint8_t *in, size_t n,
				   struct buf *challenge)
{
	(void)challenge;
	/* RFC 4616 2: message = [authzid] UTF8NUL authcid UTF8NUL passwd */
	const char *m = (const char *)in;
	const char *nul1 = n ? memchr(m, '\0', n) : NULL;
	const char *nul2 = nul1 ? memchr(nul1 + 1, '\0', n - (size_t)(nul1 + 1 - m)) : NULL;
	if (!nul2 || memchr(nul2 + 1, '\0', n - (size_t)(nul2 + 1 - m)))
		return sasl_protocolf(s, "PLAIN: expected authzid, NUL, authcid, NUL, password");
	size_t zlen = (size_t)(nul1 - m), clen = (size_t)(nul2 - nul1 - 1);
	size_t plen = n - (size_t)(nul2 + 1 - m);
	const char *authcid = nul1 + 1, *passwd = nul2 + 1;
	if (clen == 0 || plen == 0)
		return sasl_protocolf(s, "PLAIN: empty %s", clen == 0 ? "user name" : "password");
	if (zlen > AUTH_USERNAME_MAX || clen > AUTH_USERNAME_MAX || plen > AUTH_PASSWORD_MAX)
		return sasl_protocolf(s, "PLAIN: identity or password too long");
	if (!utf8_valid(m, zlen) || !utf8_valid(authcid, clen) || !utf8_valid(passwd, plen))
		return sasl_protocolf(s, "PLAIN: not UTF-8");
	/* RFC 4616 2: acting as another identity is not supported; the same one is fine. */
	if (zlen > 0 && !same_identity(m, zlen, authcid, clen)) {
		s->res.authz_failed = true;
		return sasl_failf(s, AUTH_RESULT_BADAUTHZ,
				  "authorization identity differs from the user name");
	}
	return sasl_password_login(s, authcid, clen, passwd, plen);
}

const struct sasl_mech_ops sasl_plain_ops = {
    .mech = SASL_PLAIN,
    .allow_initial_response = true,
    .begin = plain_begin,
    .step = plain_step,
};

/* ---- LOGIN ---- */

enum { LOGIN_USER, LOGIN_PASSWORD };

static enum sasl_status login_begin(struct sasl_session *s, struct buf *challenge)
{
	(void)s;
	/* draft-murchison-sasl-login 2.2 allows "Username:" for clients that insist on it. */
	buf_puts(challenge, "Username:");
	return SASL_CONTINUE;
}

static enum sasl_status login_step(struct sasl_session *s, const uint8_t *in, size_t n,
				   struct buf *challenge)
{
	if (s->state == LOGIN_USER) {
		if (n == 0 || n > AUTH_USERNAME_MAX || memchr(in, '\0', n) ||
		    !utf8_valid((const char *)in, n))
			return sasl_protocolf(s, "LOGIN: bad user name");
		memcpy(s->m.login.user, in, n);
		s->m.login.user_len = n;
		s->state = LOGIN_PASSWORD;
		buf_puts(challenge, "Password:");
		return SASL_CONTINUE;
	}
	/* draft-murchison-sasl-login 2: anything but NUL, CR and LF; UTF-8 when typed. */
	if (n == 0 || n > AUTH_PASSWORD_MAX || memchr(in, '\0', n) || memchr(in, '\r', n) ||
	    memchr(in, '\n', n))
		return sasl_protocolf(s, "LOGIN: bad password");
	return sasl_password_login(s, s->m.login.user, s->m.login.user_len, (const char *)in, n);
}

const struct sasl_mech_ops sasl_login_ops = {
    .mech = SASL_LOGIN,
    .allow_initial_response = true, /* the user name (RFC 4954 clients send it) */
    .begin = login_begin,
    .step = login_step,
};
