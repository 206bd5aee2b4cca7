/*
 * The SASL seam on src/auth: sessions of auth/sasl.h with the connection's
 * TLS channel binding, credentials from the store, and the failed-login
 * limiter (see backend.h).
 */
#include "smtp/backend_internal.h"

#include "auth/sasl.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "net/conn.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct exchange {
	struct smtp_backend *b;
	struct config_dynamic *dyn; /* held for the exchange (struct sasl_conn needs it) */
	struct auth_tls tls;
	struct sasl_conn sc;
	struct sasl_session *s;
	char ip[CONN_ADDR_MAX];
	bool started;
	bool locked_out;
};

/* Channel binding data and the client certificate of the connection. */
static void fill_tls(const struct smtp_sasl_env *env, struct auth_tls *t)
{
	memset(t, 0, sizeof *t);
	if (!env->tls)
		return;
	t->active = true;
	t->have_exporter = conn_tls_exporter(env->c, t->exporter, NULL);
	size_t n = 0;
	t->have_unique = conn_tls_unique(env->c, t->unique, sizeof t->unique, &n, NULL) && n > 0;
	t->unique_len = n;
	t->client_cert = env->tls->client_cert;
	if (t->client_cert)
		str_copy(t->client_fp, sizeof t->client_fp, env->tls->client_fp);
}

static void mechanisms(void *arg, const struct smtp_sasl_env *env, struct buf *out)
{
	struct smtp_backend *b = arg;
	struct config_dynamic *dyn = config_dynamic_get(b->config);
	struct auth_tls tls;
	fill_tls(env, &tls);
	/* No TLS public keys yet (auth issue): no identity, so EXTERNAL is not offered. */
	struct sasl_conn sc = {dyn->d, &tls, NULL, env->plaintext_ok};
	sasl_mechanisms_format(&sc, out);
	config_dynamic_put(dyn);
}

static void *start(void *arg, const char *mech, const struct smtp_sasl_env *env, struct error *err)
{
	struct smtp_backend *b = arg;
	enum sasl_mech m = sasl_mech_parse(str_from(mech));
	struct exchange *x = xcalloc(1, sizeof *x);
	x->b = b;
	x->dyn = config_dynamic_get(b->config);
	fill_tls(env, &x->tls);
	x->sc = (struct sasl_conn){x->dyn->d, &x->tls, NULL, env->plaintext_ok};
	str_copy(x->ip, sizeof x->ip, env->remote_ip);
	x->s = m == SASL_MECH_NONE ? NULL : sasl_new(&b->auth, &x->sc, m, err);
	if (!x->s) {
		if (m == SASL_MECH_NONE)
			error_set(err, ERR_NOTFOUND, "unknown mechanism");
		config_dynamic_put(x->dyn);
		free(x);
		return NULL;
	}
	x->locked_out = !auth_limiter_ip_allowed(b->limiter, x->ip, mono_ms(), NULL);
	return x;
}

/* Records the outcome with the limiter and maps it to the seam's status. */
static enum smtp_sasl_status settle(struct exchange *x, enum sasl_status st,
				    struct smtp_login *login, struct error *err)
{
	const struct sasl_result *r = sasl_result(x->s);
	const char *key = r->ref.account[0] ? r->ref.account : r->ref.login;
	enum auth_result ar =
	    auth_limiter_settle(x->b->limiter, x->ip, key, r->result, mono_ms(), NULL);
	str_copy(login->username, sizeof login->username, r->ref.login);
	if (ar == AUTH_RESULT_RATELIMITED) {
		error_set(err, ERR_TEMPORARY, "too many failed logins, try again later");
		return SMTP_SASL_TEMP;
	}
	switch (st) {
	case SASL_OK:
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
	return SMTP_SASL_SYNTAX;
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

void backend_auth_init(struct smtp_backend *b)
{
	b->auth.credentials = backend_credentials;
	b->auth.credentials_arg = b;
	/* Random per process until auth keeps a persistent secret (auth.db). */
	if (sodium_init() < 0)
		abort(); /* libsodium cannot work without randomness: nothing to fall back on */
	randombytes_buf(b->auth.secret, sizeof b->auth.secret);
	b->auth.hostname = config_static(b->config)->s->hostname_domain.ascii;
	b->limiter = auth_limiter_new(&auth_limit_default);
	b->sasl = (struct smtp_sasl_ops){mechanisms, start, step, end, NULL, b};
}
