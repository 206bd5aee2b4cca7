/*
 * STARTTLS (RFC 9051 6.2.1), AUTHENTICATE (RFC 9051 6.2.2, RFC 4959
 * SASL-IR), LOGIN (RFC 9051 6.2.3), and PREAUTH for known TLS client
 * certificates (seed 000: the public key identifies the account; a key may
 * ask for no PREAUTH, then EXTERNAL logs in).
 *
 * Every attempt goes through the auth service (auth/service.h): the
 * failed-login limits per address and account, and the record of the
 * attempt. Failures do not tell an unknown user from a wrong password
 * (AUTHENTICATIONFAILED for both); a disabled account hears its message only
 * after its credentials were verified (login.h).
 */
#include "imap/session.h"

#include "auth/sasl.h"
#include "auth/sasl_conn.h"
#include "base/timeutil.h"
#include "imap/server_internal.h"

#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define AUTH_SLOW_AFTER   3 /* failures on one connection before answers slow down */
#define AUTH_SLOW_MAX_SEC 5

static bool plaintext_ok(const struct imap_session *s)
{
	return s->tls || s->svc->no_require_starttls;
}

/* The command text holds a password: wiped, keeping the tag (it points into the text). */
static void wipe_command(struct imap_session *s)
{
	s->cmd.tag.p = arena_strndup(&s->ar, s->cmd.tag.p, s->cmd.tag.len);
	memset(s->text.text.data, 0, s->text.text.len);
}

static void attempt_init(struct imap_session *s, struct auth_attempt *a, const char *mech)
{
	auth_attempt_init(a, "imap", conn_remote_ip(s->c), conn_local_ip(s->c), conn_cid(s->c));
	str_copy(a->mechanism, sizeof a->mechanism, mech);
	str_copy(a->user_agent, sizeof a->user_agent, s->user_agent);
	const struct tls_info *ti = conn_tls(s->c);
	if (ti) {
		auth_tls_describe(ti, a->tls, sizeof a->tls);
		str_copy(a->tls_fp, sizeof a->tls_fp, s->tlsinfo.client_fp);
	}
}

/* Slows down a connection that keeps failing (the limiter stops it eventually). */
static void failed(struct imap_session *s)
{
	s->auth_failures++;
	if (s->auth_failures > AUTH_SLOW_AFTER) {
		int secs = s->auth_failures - AUTH_SLOW_AFTER;
		sleep((unsigned)(secs > AUTH_SLOW_MAX_SEC ? AUTH_SLOW_MAX_SEC : secs));
	}
}

/* Logs in after a successful exchange; answers the command either way. */
static void logged_in(struct imap_session *s, const char *account, const char *login,
		      const char *what)
{
	struct error err;
	if (!imap_sess_login(s, account, login, &err)) {
		if (err.kind == ERR_LIMIT)
			imap_sess_no(s, "LIMIT", "%s", err.msg);
		else
			imap_sess_server_error(s, "opening the account", &err);
		return;
	}
	s->auth_failures = 0;
	struct buf caps = BUF_INIT;
	imap_sess_capabilities(s, &caps);
	imap_sess_ok(s, NULL, "[CAPABILITY %s] %s completed", caps.data, what);
	buf_free(&caps);
}

/* The NO for a failed login, by result. */
static void refuse(struct imap_session *s, enum auth_result r, const char *client_msg)
{
	switch (r) {
	case AUTH_RESULT_RATELIMITED:
		imap_sess_no(s, "UNAVAILABLE", "too many failed logins, try again later");
		break;
	case AUTH_RESULT_ERROR:
		imap_sess_no(s, "UNAVAILABLE", "temporary failure, try again later");
		break;
	case AUTH_RESULT_LOGINDISABLED:
		/* RFC 5530 CONTACTADMIN: not AUTHENTICATIONFAILED, the password was right. */
		imap_sess_no(s, "CONTACTADMIN", "%s", *client_msg ? client_msg : "login disabled");
		break;
	case AUTH_RESULT_BADAUTHZ:
		failed(s);
		imap_sess_no(s, "AUTHORIZATIONFAILED", "authorization failed");
		break;
	default:
		failed(s);
		imap_sess_no(s, "AUTHENTICATIONFAILED", "authentication failed");
		break;
	}
}

/* Before any check: the address's failed-login limits. */
static struct auth_service *service_for_login(struct imap_session *s)
{
	struct auth_service *svc = imap_server_auth(s->server);
	if (!svc) {
		imap_sess_no(s, "UNAVAILABLE", "authentication not available");
		return NULL;
	}
	if (!auth_service_ip_allowed(svc, conn_remote_ip(s->c), mono_ms(), NULL)) {
		imap_sess_no(s, "UNAVAILABLE", "too many failed logins, try again later");
		return NULL;
	}
	return svc;
}

void imap_cmd_login(struct imap_session *s)
{
	const struct imap_login_args *a = &s->cmd.u.login;
	if (!plaintext_ok(s)) {
		imap_sess_no(s, "PRIVACYREQUIRED", "LOGIN only after STARTTLS");
		return;
	}
	struct auth_service *svc = service_for_login(s);
	if (!svc)
		return;
	struct config_dynamic *dyn = config_dynamic_get(imap_server_config(s->server));
	struct auth_account_ref ref;
	memset(&ref, 0, sizeof ref);
	char client_msg[AUTH_CLIENT_MSG_MAX] = "";
	struct error detail = {0};
	enum auth_result r = auth_check_password(
	    auth_service_env(svc), dyn->d, a->user.p, a->user.len, a->password.p, a->password.len,
	    s->have_identity ? &s->identity : NULL, &ref, client_msg, &detail);
	config_dynamic_put(dyn);
	/* The password is in the command text: gone before anything else happens. */
	wipe_command(s);
	struct auth_attempt at;
	attempt_init(s, &at, "login");
	str_copy(at.login, sizeof at.login,
		 ref.login[0] ? ref.login : arena_strndup(&s->ar, a->user.p, a->user.len));
	str_copy(at.account, sizeof at.account, ref.account);
	at.result = r;
	enum auth_result final = auth_service_finish(svc, &at, mono_ms(), NULL);
	if (final != AUTH_RESULT_OK) {
		log_debug(&s->lg, "login failed", LS("result", auth_result_name(final)),
			  LE(&detail));
		refuse(s, final, client_msg);
		return;
	}
	logged_in(s, ref.account, ref.login, "LOGIN");
}

/* The SASL exchange after the command line: challenges and responses. */
static enum sasl_status exchange(struct imap_session *s, struct sasl_session *ss, bool *io_failed)
{
	const struct imap_authenticate_args *a = &s->cmd.u.authenticate;
	struct buf data = BUF_INIT, challenge = BUF_INIT, line64 = BUF_INIT;
	enum sasl_status st;
	if (a->has_initial) {
		if (sasl_decode_initial(a->initial, &data) != SASL_LINE_DATA) {
			sasl_wipe(&data);
			return SASL_PROTOCOL;
		}
		st = sasl_start(ss, data.data, data.len, true, &challenge);
	} else {
		st = sasl_start(ss, NULL, 0, false, &challenge);
	}
	while (st == SASL_CONTINUE) {
		buf_reset(&line64);
		buf_puts(&line64, "+ ");
		sasl_encode_challenge(&challenge, &line64);
		buf_puts(&line64, "\r\n");
		imap_sess_write(s, line64.data, line64.len);
		imap_sess_flush(s);
		struct str line;
		struct error err;
		if (s->broken || !conn_read_line(s->c, SASL_LINE_MAX, &line, NULL, &err)) {
			*io_failed = true;
			st = SASL_ABORTED;
			break;
		}
		sasl_wipe(&data);
		enum sasl_line kind = sasl_decode_response(line, &data);
		/* The line may hold a password: wipe it in the read buffer too (conn.h: the
		 * line is the connection's own writable buffer). */
		memset((void *)(uintptr_t)line.p, 0, line.len);
		if (kind == SASL_LINE_CANCEL)
			st = sasl_cancel(ss);
		else if (kind == SASL_LINE_MALFORMED)
			st = SASL_PROTOCOL;
		else
			st = sasl_step(ss, data.data, data.len, &challenge);
	}
	sasl_wipe(&data);
	sasl_wipe(&challenge);
	buf_free(&line64);
	return st;
}

void imap_cmd_authenticate(struct imap_session *s)
{
	const struct imap_authenticate_args *a = &s->cmd.u.authenticate;
	enum sasl_mech mech = sasl_mech_parse(a->mech);
	if (a->has_initial && !imap_sess_has(s, IMAP_CAP_SASL_IR)) {
		imap_sess_bad(s, NULL, "initial response not allowed");
		return;
	}
	if ((mech == SASL_PLAIN || mech == SASL_LOGIN) && !plaintext_ok(s)) {
		imap_sess_no(s, "PRIVACYREQUIRED", "%s only after STARTTLS", sasl_mech_name(mech));
		return;
	}
	struct auth_service *svc = service_for_login(s);
	if (!svc)
		return;
	struct config_dynamic *dyn = config_dynamic_get(imap_server_config(s->server));
	struct sasl_conn sc = {dyn->d, &s->tlsinfo, s->have_identity ? &s->identity : NULL,
			       plaintext_ok(s)};
	struct error err;
	struct sasl_session *ss =
	    mech == SASL_MECH_NONE ? NULL : sasl_new(auth_service_env(svc), &sc, mech, &err);
	if (!ss) {
		config_dynamic_put(dyn);
		imap_sess_no(s, "CANNOT", "mechanism not available");
		return;
	}
	bool io_failed = false;
	enum sasl_status st = exchange(s, ss, &io_failed);
	wipe_command(s);
	const struct sasl_result *r = sasl_result(ss);
	struct auth_attempt at;
	attempt_init(s, &at, sasl_mech_lower(mech));
	auth_attempt_set_sasl(&at, mech, r);
	if (st == SASL_PROTOCOL)
		at.result = AUTH_RESULT_BADPROTOCOL;
	enum auth_result final = auth_service_finish(svc, &at, mono_ms(), NULL);
	char account[AUTH_ACCOUNT_MAX + 1], login[AUTH_USERNAME_MAX + 1], msg[AUTH_CLIENT_MSG_MAX];
	str_copy(account, sizeof account, r->ref.account);
	str_copy(login, sizeof login, r->ref.login);
	str_copy(msg, sizeof msg, r->client_message);
	bool authz = r->authz_failed;
	log_debug(&s->lg, "authenticate", LS("mech", sasl_mech_name(mech)),
		  LS("result", auth_result_name(final)), LE(&r->detail));
	sasl_free(ss);
	config_dynamic_put(dyn);
	if (io_failed) {
		s->broken = true;
		return;
	}
	if (st == SASL_OK && final == AUTH_RESULT_OK) {
		logged_in(s, account, login, "AUTHENTICATE");
		return;
	}
	switch (st) {
	case SASL_PROTOCOL: imap_sess_bad(s, NULL, "malformed authentication data"); break;
	case SASL_ABORTED: imap_sess_bad(s, NULL, "authentication cancelled"); break;
	case SASL_TEMPORARY:
		imap_sess_no(s, "UNAVAILABLE", "temporary failure, try again later");
		break;
	default: refuse(s, authz ? AUTH_RESULT_BADAUTHZ : final, msg); break;
	}
}

void imap_cmd_starttls(struct imap_session *s)
{
	if (s->tls) {
		imap_sess_bad(s, NULL, "TLS is already active");
		return;
	}
	if (!s->svc->tls) {
		imap_sess_bad(s, NULL, "STARTTLS not available");
		return;
	}
	imap_sess_flush(s);
	/* conn_starttls sends the OK itself, after dropping pipelined plaintext (RFC 9051
	 * 6.2.1: a command after STARTTLS in the same packet must not be run). */
	char *reply = arena_sprintf(&s->ar, "%.*s OK begin TLS negotiation now\r\n",
				    (int)s->cmd.tag.len, s->cmd.tag.p);
	struct error err;
	if (!conn_starttls(s->c, s->svc->tls, reply, 30 * 1000, &err)) {
		log_info(&s->lg, "STARTTLS failed", LE(&err));
		s->broken = true;
		return;
	}
	s->tls = true;
	if (!auth_tls_from_conn(s->c, &s->tlsinfo, &err)) {
		log_error(&s->lg, "reading TLS facts", LE(&err));
		return;
	}
	/* A client certificate after STARTTLS backs EXTERNAL; PREAUTH is for the greeting only. */
	if (s->tlsinfo.client_cert) {
		struct auth_service *svc = imap_server_auth(s->server);
		struct config_dynamic *dyn = config_dynamic_get(imap_server_config(s->server));
		bool found = false;
		const char *why = NULL;
		if (svc && auth_service_identify(svc, dyn->d, s->tlsinfo.client_fp, &s->identity,
						 &found, &why, &err))
			s->have_identity = found;
		config_dynamic_put(dyn);
	}
}

bool imap_sess_tls_identify(struct imap_session *s)
{
	struct error err;
	if (!auth_tls_from_conn(s->c, &s->tlsinfo, &err)) {
		log_error(&s->lg, "reading TLS facts", LE(&err));
		return false;
	}
	if (!s->tlsinfo.client_cert)
		return false;
	struct auth_service *svc = imap_server_auth(s->server);
	if (!svc)
		return false;
	struct config_dynamic *dyn = config_dynamic_get(imap_server_config(s->server));
	bool found = false;
	const char *why = NULL;
	bool ok = auth_service_identify(svc, dyn->d, s->tlsinfo.client_fp, &s->identity, &found,
					&why, &err);
	config_dynamic_put(dyn);
	if (!ok) {
		log_error(&s->lg, "looking up the TLS client key", LE(&err));
		return false;
	}
	if (!found) {
		log_debug(&s->lg, "unknown TLS client key", LS("why", why ? why : ""),
			  LS("fingerprint", s->tlsinfo.client_fp));
		return false;
	}
	s->have_identity = true;
	if (s->identity.no_imap_preauth)
		return false;
	if (!auth_service_ip_allowed(svc, conn_remote_ip(s->c), mono_ms(), NULL))
		return false;
	char msg[AUTH_CLIENT_MSG_MAX] = "";
	struct error detail = {0};
	enum auth_result r = auth_check_allowed(&s->identity.ref, &s->identity, msg, &detail);
	struct auth_attempt at;
	attempt_init(s, &at, "tlsclientauth");
	str_copy(at.login, sizeof at.login, s->identity.ref.login);
	str_copy(at.account, sizeof at.account, s->identity.ref.account);
	at.result = r;
	if (auth_service_finish(svc, &at, mono_ms(), NULL) != AUTH_RESULT_OK)
		return false;
	if (!imap_sess_login(s, s->identity.ref.account, s->identity.ref.login, &err)) {
		log_info(&s->lg, "preauth failed", LE(&err));
		return false;
	}
	return true;
}
