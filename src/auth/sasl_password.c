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

bool sasl_plain_parse(const uint8_t *in, size_t n, struct sasl_plain_msg *out, const char **why)
{
	/* RFC 4616 2: message = [authzid] UTF8NUL authcid UTF8NUL passwd */
	const char *m = (const char *)in;
	const char *nul1 = n ? memchr(m, '\0', n) : NULL;
	const char *nul2 = nul1 ? memchr(nul1 + 1, '\0', n - (size_t)(nul1 + 1 - m)) : NULL;
	if (!nul2 || memchr(nul2 + 1, '\0', n - (size_t)(nul2 + 1 - m))) {
		*why = "expected authzid, NUL, authcid, NUL, password";
		return false;
	}
	out->authzid = str_make(m, (size_t)(nul1 - m));
	out->authcid = str_make(nul1 + 1, (size_t)(nul2 - nul1 - 1));
	out->passwd = str_make(nul2 + 1, n - (size_t)(nul2 + 1 - m));
	if (out->authcid.len == 0 || out->passwd.len == 0)
		*why = out->authcid.len == 0 ? "empty user name" : "empty password";
	else if (out->authzid.len > AUTH_USERNAME_MAX || out->authcid.len > AUTH_USERNAME_MAX ||
		 out->passwd.len > AUTH_PASSWORD_MAX)
		*why = "identity or password too long";
	else if (!utf8_valid(out->authzid.p, out->authzid.len) ||
		 !utf8_valid(out->authcid.p, out->authcid.len) ||
		 !utf8_valid(out->passwd.p, out->passwd.len))
		*why = "not UTF-8";
	else
		return true;
	return false;
}

static enum sasl_status plain_step(struct sasl_session *s, const uint8_t *in, size_t n,
				   struct buf *challenge)
{
	(void)challenge;
	struct sasl_plain_msg m;
	const char *why = NULL;
	if (!sasl_plain_parse(in, n, &m, &why))
		return sasl_protocolf(s, "PLAIN: %s", why);
	/* RFC 4616 2: acting as another identity is not supported; the same one is fine. */
	if (m.authzid.len > 0 &&
	    !same_identity(m.authzid.p, m.authzid.len, m.authcid.p, m.authcid.len)) {
		s->res.authz_failed = true;
		return sasl_failf(s, AUTH_RESULT_BADAUTHZ,
				  "authorization identity differs from the user name");
	}
	return sasl_password_login(s, m.authcid.p, m.authcid.len, m.passwd.p, m.passwd.len);
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
