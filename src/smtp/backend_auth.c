/*
 * The SASL seam on src/auth: sessions of auth/sasl.h with the connection's
 * TLS channel binding, credentials from the store, and the failed-login
 * limiter (see backend.h).
 */
#include "smtp/backend_internal.h"

#include "auth/sasl.h"
#include "base/file.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "net/conn.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct exchange {
	struct smtp_backend *b;
	struct auth_identity identity; /* from the client certificate */
	bool have_identity;
	struct auth_attempt attempt;
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

/*
 * Opens auth.db on first use: its server secret replaces the random one
 * (before any exchange uses it: every caller passes here first, under the
 * lock), its TLS public keys identify client certificates, and the
 * recorder stores login attempts. Without it (an error is logged once),
 * logins still work, with a per-process secret and no certificates.
 */
static struct authdb *ensure_authdb(struct smtp_backend *b)
{
	pthread_mutex_lock(&b->authdb_mu);
	if (!b->authdb_tried) {
		b->authdb_tried = true;
		struct logger lg = {log_pkg("smtpserver"), 0};
		char *path = path_join(config_static(b->config)->datadir, AUTHDB_FILE);
		struct error err;
		if (!authdb_open(path, &b->authdb, &err))
			log_error(&lg, "opening auth.db; logins go on without it", LE(&err));
		else if (!authdb_secret(b->authdb, b->auth.secret, &err))
			log_error(&lg, "reading the server secret from auth.db", LE(&err));
		if (b->authdb) {
			b->recorder = auth_recorder_start(path, log_pkg("auth"), &err);
			if (!b->recorder)
				log_error(&lg, "starting the login attempt recorder", LE(&err));
		}
		free(path);
	}
	pthread_mutex_unlock(&b->authdb_mu);
	return b->authdb;
}

/* The account the connection's client certificate key belongs to (seed 000). */
static bool tls_identity(struct smtp_backend *b, const struct cfg_dynamic *d,
			 const struct smtp_sasl_env *env, struct auth_identity *id)
{
	memset(id, 0, sizeof *id);
	struct authdb *db = ensure_authdb(b);
	if (!db || !env->tls || !env->tls->client_cert)
		return false;
	struct auth_tlspubkey k;
	bool found = false;
	struct error err;
	if (!authdb_tlspubkey_get(db, env->tls->client_fp, &k, &found, &err) || !found)
		return false;
	const struct cfg_account *acc = cfg_account_find(d, k.account);
	if (acc) {
		str_copy(id->ref.account, sizeof id->ref.account, k.account);
		str_copy(id->ref.login, sizeof id->ref.login, k.login_address);
		str_copy(id->ref.login_disabled, sizeof id->ref.login_disabled,
			 acc->login_disabled ? acc->login_disabled : "");
		id->no_imap_preauth = k.no_imap_preauth;
	}
	auth_tlspubkey_free(&k);
	return acc != NULL;
}

static void mechanisms(void *arg, const struct smtp_sasl_env *env, struct buf *out)
{
	struct smtp_backend *b = arg;
	struct config_dynamic *dyn = config_dynamic_get(b->config);
	struct auth_tls tls;
	fill_tls(env, &tls);
	struct auth_identity id;
	bool have_id = tls_identity(b, dyn->d, env, &id);
	struct sasl_conn sc = {dyn->d, &tls, have_id ? &id : NULL, env->plaintext_ok};
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
	x->have_identity = tls_identity(b, x->dyn->d, env, &x->identity);
	x->sc = (struct sasl_conn){x->dyn->d, &x->tls, x->have_identity ? &x->identity : NULL,
				   env->plaintext_ok};
	auth_attempt_init(&x->attempt, "submission", env->remote_ip, conn_local_ip(env->c),
			  conn_cid(env->c));
	if (env->tls)
		snprintf(x->attempt.tls, sizeof x->attempt.tls, "version=%s ciphersuite=%s",
			 env->tls->version, env->tls->cipher);
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

/* Login by a known client certificate, without AUTH (seed 000: submission). */
static bool tls_login(void *arg, const struct smtp_sasl_env *env, struct smtp_login *login)
{
	struct smtp_backend *b = arg;
	struct config_dynamic *dyn = config_dynamic_get(b->config);
	struct auth_identity id;
	bool ok = tls_identity(b, dyn->d, env, &id);
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

void backend_auth_free(struct smtp_backend *b)
{
	if (b->recorder)
		auth_recorder_stop(b->recorder);
	authdb_close(b->authdb);
	auth_limiter_free(b->limiter);
	pthread_mutex_destroy(&b->authdb_mu);
}

void backend_auth_init(struct smtp_backend *b)
{
	pthread_mutex_init(&b->authdb_mu, NULL);
	b->auth.credentials = backend_credentials;
	b->auth.credentials_arg = b;
	/* Random per process until auth keeps a persistent secret (auth.db). */
	if (sodium_init() < 0)
		abort(); /* libsodium cannot work without randomness: nothing to fall back on */
	randombytes_buf(b->auth.secret, sizeof b->auth.secret);
	b->auth.hostname = config_static(b->config)->s->hostname_domain.ascii;
	b->limiter = auth_limiter_new(&auth_limit_default);
	b->sasl = (struct smtp_sasl_ops){mechanisms, start, step, end, tls_login, b};
}
