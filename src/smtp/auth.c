/*
 * AUTH (RFC 4954) over the SASL seam, and login by TLS client certificate.
 */
#include "smtp/session.h"

#include "smtp/codes.h"

#include "base/base64.h"

#include <string.h>

void smtp_session_tls_login(struct smtp_session *s)
{
	/* Seed 000: on submission a known client certificate logs in without AUTH. */
	const struct tls_info *ti = conn_tls(s->c);
	if (!s->cfg->submission || !s->cfg->sasl || !s->cfg->sasl->tls_login || !ti ||
	    !ti->client_cert)
		return;
	struct smtp_sasl_env env = {s->c, ti, conn_remote_ip(s->c), !s->cfg->require_tls_for_auth};
	if (s->cfg->sasl->tls_login(s->cfg->sasl->arg, &env, &s->login)) {
		s->authenticated = true;
		s->auth_by_tls = true;
		log_info(&s->lg, "logged in with tls client certificate",
			 LS("account", s->login.account), LS("fingerprint", ti->client_fp));
	}
}

static void auth_failed(struct smtp_session *s)
{
	if (++s->auth_fails < SMTP_AUTH_FAILS_MAX)
		return;
	smtp_session_reply(s, SMTP_C421_UNAVAILABLE, SMTP_SE_POL_OTHER,
			   "too many failed authentication attempts, closing connection");
	smtp_session_flush(s);
	s->end = END_IO;
}

/* Reads one continuation line; false with a reply sent (or the session over). */
static bool read_response(struct smtp_session *s, struct buf *decoded)
{
	struct str line;
	enum conn_eol eol;
	struct error err;
	if (!smtp_session_flush(s))
		return false;
	if (!conn_read_line(s->c, SMTP_AUTH_LINE_MAX, &line, &eol, &err)) {
		if (err.kind == ERR_LIMIT) {
			smtp_session_reply(s, SMTP_C500_SYNTAX, SMTP_SE_PROTO_SYNTAX,
					   "authentication line too long");
			smtp_session_flush(s);
			s->end = END_IO;
		} else {
			smtp_session_io_error(s, &err);
		}
		return false;
	}
	/* RFC 4954 4: "*" cancels. */
	if (str_eq_cstr(line, "*")) {
		smtp_session_reply(s, SMTP_C501_PARAM_SYNTAX, SMTP_SE_PROTO_OTHER,
				   "authentication cancelled");
		return false;
	}
	/* RFC 4954 4: standard base64 with padding; strict, as anything else is a syntax error. */
	buf_reset(decoded);
	if (!base64_decode(BASE64_STD, line, decoded)) {
		smtp_session_reply(s, SMTP_C501_PARAM_SYNTAX, SMTP_SE_PROTO_SYNTAX, "bad base64");
		return false;
	}
	return true;
}

static bool auth_allowed(struct smtp_session *s)
{
	if (!s->cfg->submission || !s->cfg->sasl) {
		smtp_session_reply(s, SMTP_C502_NOT_IMPL, SMTP_SE_PROTO_BAD_CMD,
				   s->cfg->submission ? "no authentication in this build of tern"
						      : "AUTH only on submission");
		return false;
	}
	if (!s->hello_done) {
		smtp_session_reply(s, SMTP_C503_BAD_SEQUENCE, SMTP_SE_PROTO_BAD_CMD, "EHLO first");
		return false;
	}
	if (s->authenticated && !s->auth_by_tls) {
		/* RFC 4954 4. After a certificate login, AUTH may confirm or pick an address. */
		smtp_session_reply(s, SMTP_C503_BAD_SEQUENCE, SMTP_SE_PROTO_BAD_CMD,
				   "already authenticated");
		return false;
	}
	if (s->have_mail) {
		smtp_session_reply(s, SMTP_C503_BAD_SEQUENCE, SMTP_SE_PROTO_BAD_CMD,
				   "not during a mail transaction");
		return false;
	}
	if (!s->tls && s->cfg->require_tls_for_auth) {
		/* RFC 4954 4: 538 when a mechanism needs an encrypted channel. */
		smtp_session_reply(s, SMTP_C538_ENC_FOR_AUTH, SMTP_SE_POL_ENC_NEEDED,
				   "authentication requires TLS, use STARTTLS first");
		return false;
	}
	return true;
}

static void auth_result(struct smtp_session *s, enum smtp_sasl_status st, const struct error *err,
			const char *mech, const struct smtp_login *login)
{
	switch (st) {
	case SMTP_SASL_OK:
		s->login = *login;
		s->authenticated = true;
		s->auth_by_tls = false;
		s->auth_fails = 0;
		log_info(&s->lg, "authenticated", LS("mechanism", mech),
			 LS("account", s->login.account), LS("username", s->login.username));
		smtp_session_reply(s, SMTP_C235_AUTH_OK, SMTP_SE_POL_OTHER, "authenticated");
		return;
	case SMTP_SASL_BAD_CREDS:
		log_info(&s->lg, "failed authentication attempt", LS("mechanism", mech),
			 LS("username", login->username), LS("remote", conn_remote_ip(s->c)));
		smtp_session_reply(s, SMTP_C535_AUTH_BAD, SMTP_SE_POL_AUTH_BAD_CREDS,
				   "bad user/pass");
		break;
	case SMTP_SASL_DISABLED:
		smtp_session_reply(s, SMTP_C535_AUTH_BAD, SMTP_SE_POL_AUTH_BAD_CREDS, "%s",
				   err->msg[0] ? err->msg : "login disabled");
		break;
	case SMTP_SASL_TEMP:
		log_info(&s->lg, "temporary authentication failure", LE(err));
		smtp_session_reply(s, SMTP_C454_TEMP_AUTH_FAIL, SMTP_SE_POL_OTHER,
				   "temporary authentication failure");
		break;
	case SMTP_SASL_SYNTAX:
	case SMTP_SASL_CONTINUE:
		smtp_session_reply(s, SMTP_C501_PARAM_SYNTAX, SMTP_SE_PROTO_SYNTAX,
				   "malformed authentication message: %s", err->msg);
		break;
	}
	auth_failed(s);
}

/* Runs the exchange; the initial response is in initial (have_initial false when absent). */
static void exchange(struct smtp_session *s, void *ex, const char *mech, struct buf *in,
		     bool have_initial)
{
	const struct smtp_sasl_ops *ops = s->cfg->sasl;
	struct buf challenge = BUF_INIT, enc = BUF_INIT;
	struct smtp_login login = {0};
	bool have_input = have_initial;
	for (int round = 0; round < 16; round++) {
		struct error err = {0};
		buf_reset(&challenge);
		enum smtp_sasl_status st = ops->step(ex, (const uint8_t *)in->data, in->len,
						     have_input, &challenge, &login, &err);
		if (st != SMTP_SASL_CONTINUE) {
			auth_result(s, st, &err, mech, &login);
			break;
		}
		buf_reset(&enc);
		base64_encode(BASE64_STD, challenge.data, challenge.len, &enc);
		/* RFC 4954 4: "334 " and the base64 challenge. */
		smtp_session_reply_raw(s, "334 ");
		smtp_session_reply_raw(s, buf_cstr(&enc));
		smtp_session_reply_raw(s, "\r\n");
		if (!read_response(s, in)) {
			if (s->end == END_NONE)
				auth_failed(s);
			break;
		}
		have_input = true;
	}
	buf_free(&challenge);
	buf_free(&enc);
}

void smtp_cmd_auth(struct smtp_session *s, struct str args)
{
	if (!auth_allowed(s))
		return;
	struct str mech, initial;
	bool have_initial = str_cut(args, ' ', &mech, &initial);
	if (!have_initial)
		mech = args;
	char mechname[32];
	if (mech.len == 0 || mech.len >= sizeof mechname) {
		smtp_session_reply(s, SMTP_C501_PARAM_SYNTAX, SMTP_SE_PROTO_SYNTAX,
				   "bad mechanism");
		return;
	}
	for (size_t i = 0; i < mech.len; i++)
		mechname[i] = ascii_upper(mech.p[i]);
	mechname[mech.len] = '\0';
	struct buf in = BUF_INIT;
	/* RFC 4954 4: "=" is an empty initial response. */
	if (have_initial && !str_eq_cstr(initial, "=") &&
	    !base64_decode(BASE64_STD, initial, &in)) {
		smtp_session_reply(s, SMTP_C501_PARAM_SYNTAX, SMTP_SE_PROTO_SYNTAX, "bad base64");
		buf_free(&in);
		return;
	}
	struct smtp_sasl_env env = {s->c, conn_tls(s->c), conn_remote_ip(s->c),
				    !s->cfg->require_tls_for_auth};
	struct error err = {0};
	void *ex = s->cfg->sasl->start(s->cfg->sasl->arg, mechname, &env, &err);
	if (!ex) {
		smtp_session_reply(s, SMTP_C504_PARAM_NOT_IMPL, SMTP_SE_PROTO_BAD_PARAMS,
				   "mechanism %s not supported", mechname);
		buf_free(&in);
		return;
	}
	exchange(s, ex, mechname, &in, have_initial);
	s->cfg->sasl->end(ex);
	buf_free(&in);
}
