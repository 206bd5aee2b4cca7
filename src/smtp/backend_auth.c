/*
 * The SASL seam on src/auth: one auth_service (auth.db with the server
 * secret and TLS public keys, the login attempt recorder, the failed-login
 * limiter), SASL sessions of auth/sasl.h with the connection's channel
 * binding, credentials from the store (see backend.h).
 */
#include "smtp/backend_internal.h"

#include "auth/sasl.h"
#include "auth/sasl_conn.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "net/conn.h"

#include <stdlib.h>
#include <string.h>

struct exchange {
	struct smtp_backend *b;
	struct auth_service *svc;
	struct config_dynamic *dyn; /* held for the exchange (struct sasl_conn needs it) */
	struct auth_tls tls;
	struct auth_identity identity; /* from the client certificate */
	struct sasl_conn sc;
	struct sasl_session *s;
	struct auth_attempt attempt;
	bool started;
	bool locked_out;
};

static struct auth_service *service(struct smtp_backend *b)
{
	return b->auth ? auth_service_once_get(b->auth) : NULL;
}

/* Channel binding data, and the account of a known client certificate key (seed 000). */
static bool connection_facts(struct auth_service *svc, const struct cfg_dynamic *d,
			     const struct smtp_sasl_env *env, struct auth_tls *tls,
			     struct auth_identity *id)
{
	memset(tls, 0, sizeof *tls);
	memset(id, 0, sizeof *id);
	struct error err;
	if (!auth_tls_from_conn(env->c, tls, &err) || !tls->client_cert)
		return false;
	bool found = false;
	const char *why = NULL;
	return auth_service_identify(svc, d, tls->client_fp, id, &found, &why, &err) && found;
}

static void mechanisms(void *arg, const struct smtp_sasl_env *env, struct buf *out)
{
	struct auth_service *svc = service(arg);
	if (!svc)
		return;
	struct config_dynamic *dyn = config_dynamic_get(((struct smtp_backend *)arg)->config);
	struct auth_tls tls;
	struct auth_identity id;
	bool have_id = connection_facts(svc, dyn->d, env, &tls, &id);
	struct sasl_conn sc = {dyn->d, &tls, have_id ? &id : NULL, env->plaintext_ok};
	sasl_mechanisms_format(&sc, out);
	config_dynamic_put(dyn);
}

static void *start(void *arg, const char *mech, const struct smtp_sasl_env *env, struct error *err)
{
	struct smtp_backend *b = arg;
	struct auth_service *svc = service(b);
	enum sasl_mech m = sasl_mech_parse(str_from(mech));
	if (!svc || m == SASL_MECH_NONE) {
		error_set(err, ERR_NOTFOUND, "mechanism not available");
		return NULL;
	}
	struct exchange *x = xcalloc(1, sizeof *x);
	x->b = b;
	x->svc = svc;
	x->dyn = config_dynamic_get(b->config);
	bool have_id = connection_facts(svc, x->dyn->d, env, &x->tls, &x->identity);
	x->sc = (struct sasl_conn){x->dyn->d, &x->tls, have_id ? &x->identity : NULL,
				   env->plaintext_ok};
	x->s = sasl_new(auth_service_env(svc), &x->sc, m, err);
	if (!x->s) {
		config_dynamic_put(x->dyn);
		free(x);
		return NULL;
	}
	auth_attempt_init(&x->attempt, "submission", env->remote_ip, conn_local_ip(env->c),
			  conn_cid(env->c));
	if (env->tls) {
		auth_tls_describe(env->tls, x->attempt.tls, sizeof x->attempt.tls);
		str_copy(x->attempt.tls_fp, sizeof x->attempt.tls_fp, x->tls.client_fp);
	}
	x->locked_out = !auth_service_ip_allowed(svc, env->remote_ip, mono_ms(), NULL);
	return x;
}

/* Settles the limits, records the attempt, and maps the outcome to the seam's status. */
static enum smtp_sasl_status settle(struct exchange *x, enum sasl_status st,
				    struct smtp_login *login, struct error *err)
{
	const struct sasl_result *r = sasl_result(x->s);
	auth_attempt_set_sasl(&x->attempt, sasl_session_mech(x->s), r);
	enum auth_result final = auth_service_finish(x->svc, &x->attempt, mono_ms(), NULL);
	str_copy(login->username, sizeof login->username, r->ref.login);
	if (final == AUTH_RESULT_RATELIMITED) {
		error_set(err, ERR_TEMPORARY, "too many failed logins, try again later");
		return SMTP_SASL_TEMP;
	}
	switch (st) {
	case SASL_OK:
		if (final != AUTH_RESULT_OK)
			break;
		str_copy(login->account, sizeof login->account, r->ref.account);
		return SMTP_SASL_OK;
	case SASL_FAIL:
		if (r->result == AUTH_RESULT_LOGINDISABLED) {
			error_set(err, ERR_PERMISSION, "%s",
				  r->client_message[0] ? r->client_message : "login disabled");
			return SMTP_SASL_DISABLED;
		}
		*err = r->detail;
		return SMTP_SASL_BAD_CREDS;
	case SASL_TEMPORARY: *err = r->detail; return SMTP_SASL_TEMP;
	case SASL_PROTOCOL:
	case SASL_ABORTED:
	case SASL_CONTINUE: break;
	}
	*err = r->detail;
	if (!err->msg[0])
		error_set(err, ERR_INVALID, "malformed authentication data");
	return st == SASL_OK ? SMTP_SASL_TEMP : SMTP_SASL_SYNTAX;
}

static enum smtp_sasl_status step(void *ex, const uint8_t *in, size_t n, bool have_input,
				  struct buf *out, struct smtp_login *login, struct error *err)
{
	struct exchange *x = ex;
	if (x->locked_out) {
		error_set(err, ERR_TEMPORARY, "too many failed logins, try again later");
		return SMTP_SASL_TEMP;
	}
	enum sasl_status st =
	    x->started ? sasl_step(x->s, in, n, out) : sasl_start(x->s, in, n, have_input, out);
	x->started = true;
	if (st == SASL_CONTINUE)
		return SMTP_SASL_CONTINUE;
	return settle(x, st, login, err);
}

static void end(void *ex)
{
	struct exchange *x = ex;
	sasl_free(x->s);
	config_dynamic_put(x->dyn);
	free(x);
}

/* Login by a known client certificate, without AUTH (seed 000: submission). */
static bool tls_login(void *arg, const struct smtp_sasl_env *env, struct smtp_login *login)
{
	struct smtp_backend *b = arg;
	struct auth_service *svc = service(b);
	if (!svc)
		return false;
	struct config_dynamic *dyn = config_dynamic_get(b->config);
	struct auth_tls tls;
	struct auth_identity id;
	bool ok = connection_facts(svc, dyn->d, env, &tls, &id);
	char msg[AUTH_CLIENT_MSG_MAX];
	struct error detail;
	if (ok && auth_check_allowed(&id.ref, &id, msg, &detail) != AUTH_RESULT_OK)
		ok = false;
	if (ok) {
		str_copy(login->account, sizeof login->account, id.ref.account);
		str_copy(login->username, sizeof login->username, id.ref.login);
	}
	config_dynamic_put(dyn);
	return ok;
}

void backend_auth_init(struct smtp_backend *b)
{
	b->sasl = (struct smtp_sasl_ops){mechanisms, start, step, end, tls_login, b};
}
