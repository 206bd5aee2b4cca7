#include "auth/sasl.h"

#include "auth/sasl_impl.h"
#include "base/base64.h"
#include "base/mem.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mech_info {
	enum sasl_mech mech;
	const char *name;
	const char *lower;
	const struct sasl_mech_ops *ops;
};

/* In order of preference, strongest first: the order they are advertised in. */
static const struct mech_info mechs[SASL_MECH_COUNT] = {
    {SASL_SCRAM_SHA_256_PLUS, "SCRAM-SHA-256-PLUS", "scram-sha-256-plus",
     &sasl_scram_sha256_plus_ops},
    {SASL_SCRAM_SHA_256, "SCRAM-SHA-256", "scram-sha-256", &sasl_scram_sha256_ops},
    {SASL_SCRAM_SHA_1_PLUS, "SCRAM-SHA-1-PLUS", "scram-sha-1-plus", &sasl_scram_sha1_plus_ops},
    {SASL_SCRAM_SHA_1, "SCRAM-SHA-1", "scram-sha-1", &sasl_scram_sha1_ops},
    {SASL_CRAM_MD5, "CRAM-MD5", "cram-md5", &sasl_crammd5_ops},
    {SASL_PLAIN, "PLAIN", "plain", &sasl_plain_ops},
    {SASL_LOGIN, "LOGIN", "login", &sasl_login_ops},
    {SASL_EXTERNAL, "EXTERNAL", "external", &sasl_external_ops},
};

static const struct mech_info *info(enum sasl_mech m)
{
	for (size_t i = 0; i < SASL_MECH_COUNT; i++)
		if (mechs[i].mech == m)
			return &mechs[i];
	return NULL;
}

const char *sasl_mech_name(enum sasl_mech m)
{
	const struct mech_info *i = info(m);
	return i ? i->name : "";
}

const char *sasl_mech_lower(enum sasl_mech m)
{
	const struct mech_info *i = info(m);
	return i ? i->lower : "";
}

enum sasl_mech sasl_mech_parse(struct str name)
{
	for (size_t i = 0; i < SASL_MECH_COUNT; i++)
		if (str_eqi_cstr(name, mechs[i].name))
			return mechs[i].mech;
	return SASL_MECH_NONE;
}

/* ---- what a connection offers ---- */

static bool tls_active(const struct sasl_conn *c)
{
	return c->tls && c->tls->active;
}

bool sasl_conn_has_binding(const struct sasl_conn *c)
{
	return tls_active(c) && (c->tls->have_exporter || c->tls->have_unique);
}

bool sasl_mechanism_offered(const struct sasl_conn *c, enum sasl_mech m)
{
	switch (m) {
	case SASL_SCRAM_SHA_256_PLUS:
	case SASL_SCRAM_SHA_1_PLUS: return sasl_conn_has_binding(c);
	case SASL_SCRAM_SHA_256:
	case SASL_SCRAM_SHA_1:
	case SASL_CRAM_MD5: return true;
	/* RFC 4616 5, draft-murchison-sasl-login 3: clear-text passwords need protection. */
	case SASL_PLAIN:
	case SASL_LOGIN: return tls_active(c) || c->plaintext_ok;
	case SASL_EXTERNAL: return tls_active(c) && c->identity != NULL;
	case SASL_MECH_NONE: break;
	}
	return false;
}

size_t sasl_mechanisms(const struct sasl_conn *c, enum sasl_mech out[SASL_MECH_COUNT])
{
	size_t n = 0;
	for (size_t i = 0; i < SASL_MECH_COUNT; i++)
		if (sasl_mechanism_offered(c, mechs[i].mech))
			out[n++] = mechs[i].mech;
	return n;
}

void sasl_mechanisms_format(const struct sasl_conn *c, struct buf *out)
{
	enum sasl_mech v[SASL_MECH_COUNT];
	size_t n = sasl_mechanisms(c, v);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(out, ' ');
		buf_puts(out, sasl_mech_name(v[i]));
	}
}

/* ---- sessions ---- */

struct sasl_session *sasl_new(const struct auth_env *env, const struct sasl_conn *c,
			      enum sasl_mech mech, struct error *err)
{
	const struct mech_info *i = info(mech);
	if (!i) {
		error_set(err, ERR_INVALID, "unknown SASL mechanism");
		return NULL;
	}
	if (!sasl_mechanism_offered(c, mech)) {
		error_set(err, ERR_PERMISSION, "mechanism %s is not available on this connection",
			  i->name);
		return NULL;
	}
	struct sasl_session *s = xcalloc(1, sizeof *s);
	s->env = env;
	s->conn = *c;
	s->ops = i->ops;
	if (s->ops->init)
		s->ops->init(s);
	return s;
}

enum sasl_mech sasl_session_mech(const struct sasl_session *s)
{
	return s->ops->mech;
}

const struct sasl_result *sasl_result(const struct sasl_session *s)
{
	return &s->res;
}

void sasl_free(struct sasl_session *s)
{
	if (!s)
		return;
	if (s->ops->release)
		s->ops->release(s);
	sodium_memzero(s, sizeof *s);
	free(s);
}

enum sasl_status sasl_end(struct sasl_session *s, enum auth_result r)
{
	s->res.result = r;
	switch (r) {
	case AUTH_RESULT_OK: error_clear(&s->res.detail); return SASL_OK;
	case AUTH_RESULT_ERROR: return SASL_TEMPORARY;
	case AUTH_RESULT_BADPROTOCOL: return SASL_PROTOCOL;
	case AUTH_RESULT_ABORTED: return SASL_ABORTED;
	default: return SASL_FAIL;
	}
}

static void set_detail(struct sasl_session *s, enum error_kind kind, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void set_detail(struct sasl_session *s, enum error_kind kind, const char *fmt, va_list ap)
{
	char msg[ERROR_MSG_MAX];
	vsnprintf(msg, sizeof msg, fmt, ap);
	error_set(&s->res.detail, kind, "%s", msg);
}

enum sasl_status sasl_failf(struct sasl_session *s, enum auth_result r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_detail(s, ERR_PERMISSION, fmt, ap);
	va_end(ap);
	return sasl_end(s, r);
}

enum sasl_status sasl_protocolf(struct sasl_session *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_detail(s, ERR_INVALID, fmt, ap);
	va_end(ap);
	return sasl_end(s, AUTH_RESULT_BADPROTOCOL);
}

enum sasl_status sasl_allow(struct sasl_session *s)
{
	return sasl_end(s, auth_check_allowed(&s->res.ref, s->conn.identity, s->res.client_message,
					      &s->res.detail));
}

enum sasl_status sasl_password_login(struct sasl_session *s, const char *user, size_t ulen,
				     const char *pw, size_t pwlen)
{
	enum auth_result r =
	    auth_check_password(s->env, s->conn.cfg, user, ulen, pw, pwlen, s->conn.identity,
				&s->res.ref, s->res.client_message, &s->res.detail);
	return sasl_end(s, r);
}

static enum sasl_status finished(struct sasl_session *s, enum sasl_status st)
{
	if (st != SASL_CONTINUE)
		s->done = true;
	return st;
}

enum sasl_status sasl_start(struct sasl_session *s, const void *ir, size_t n, bool have_ir,
			    struct buf *challenge)
{
	buf_reset(challenge);
	if (s->started || s->done)
		return finished(s, sasl_protocolf(s, "exchange already started"));
	s->started = true;
	if (!have_ir)
		return finished(s, s->ops->begin(s, challenge));
	/* RFC 4422 3.3: a server-first mechanism has no initial response. */
	if (!s->ops->allow_initial_response)
		return finished(s, sasl_protocolf(s, "%s does not take an initial response",
						  sasl_mech_name(s->ops->mech)));
	return sasl_step(s, ir, n, challenge);
}

enum sasl_status sasl_step(struct sasl_session *s, const void *in, size_t n, struct buf *challenge)
{
	buf_reset(challenge);
	if (!s->started || s->done)
		return finished(s, sasl_protocolf(s, "no exchange in progress"));
	if (n > SASL_RESPONSE_MAX)
		return finished(
		    s, sasl_protocolf(s, "response longer than %d bytes", SASL_RESPONSE_MAX));
	if (!in)
		in = ""; /* an empty response may come as NULL; mechanisms get a valid pointer */
	return finished(s, s->ops->step(s, in, n, challenge));
}

enum sasl_status sasl_cancel(struct sasl_session *s)
{
	s->done = true;
	error_set(&s->res.detail, ERR_INVALID, "authentication cancelled by the client");
	return sasl_end(s, AUTH_RESULT_ABORTED);
}

/* ---- framing ---- */

static enum sasl_line decode(struct str s, struct buf *out)
{
	if (s.len > SASL_LINE_MAX)
		return SASL_LINE_MALFORMED;
	buf_reserve(out, s.len / 4 * 3); /* one allocation: no stray copies of secrets */
	return base64_decode(BASE64_STD, s, out) ? SASL_LINE_DATA : SASL_LINE_MALFORMED;
}

enum sasl_line sasl_decode_response(struct str line, struct buf *out)
{
	/* RFC 4954 4, RFC 9051 6.2.2: a lone "*" cancels. */
	if (str_eq_cstr(line, "*"))
		return SASL_LINE_CANCEL;
	return decode(line, out);
}

enum sasl_line sasl_decode_initial(struct str arg, struct buf *out)
{
	if (str_eq_cstr(arg, "*"))
		return SASL_LINE_CANCEL;
	/* RFC 4954 4, RFC 4959 3: "=" is an empty initial response. */
	if (str_eq_cstr(arg, "=")) {
		buf_reserve(out, 0);
		return SASL_LINE_DATA;
	}
	if (arg.len == 0)
		return SASL_LINE_MALFORMED;
	return decode(arg, out);
}

void sasl_encode_challenge(const struct buf *challenge, struct buf *out)
{
	base64_encode(BASE64_STD, challenge->data, challenge->len, out);
}

void sasl_wipe(struct buf *b)
{
	if (b->data)
		sodium_memzero(b->data, b->cap);
	buf_free(b);
}
