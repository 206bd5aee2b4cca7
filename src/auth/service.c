#include "auth/service.h"

#include "base/file.h"
#include "base/mem.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>

struct auth_service {
	struct auth_env env;
	char *hostname;
	struct authdb *db; /* TLS public key lookups */
	struct auth_recorder *recorder;
	struct auth_limiter *limiter;
};

struct auth_service *auth_service_open(const struct auth_service_config *cfg, struct error *err)
{
	struct auth_service *s = xcalloc(1, sizeof *s);
	char *path = path_join(cfg->datadir, AUTHDB_FILE);
	bool ok = authdb_open(path, &s->db, err) && authdb_secret(s->db, s->env.secret, err);
	if (ok)
		s->recorder = auth_recorder_start(path, cfg->pkg, err);
	free(path);
	if (!ok || !s->recorder) {
		auth_service_close(s);
		return NULL;
	}
	s->limiter = auth_limiter_new(cfg->limits);
	s->hostname = xstrdup(cfg->hostname ? cfg->hostname : "");
	s->env.hostname = s->hostname;
	s->env.credentials = cfg->credentials;
	s->env.credentials_arg = cfg->credentials_arg;
	s->env.kdf = cfg->kdf;
	return s;
}

void auth_service_close(struct auth_service *s)
{
	if (!s)
		return;
	auth_recorder_stop(s->recorder);
	auth_limiter_free(s->limiter);
	authdb_close(s->db);
	sodium_memzero(s->env.secret, sizeof s->env.secret);
	free(s->hostname);
	free(s);
}

const struct auth_env *auth_service_env(const struct auth_service *s)
{
	return &s->env;
}

struct auth_recorder *auth_service_recorder(struct auth_service *s)
{
	return s->recorder;
}

bool auth_service_ip_allowed(struct auth_service *s, const char *ip, int64_t now_ms,
			     int64_t *retry_ms)
{
	return auth_limiter_ip_allowed(s->limiter, ip, now_ms, retry_ms);
}

bool auth_service_identify(struct auth_service *s, const struct cfg_dynamic *d,
			   const char *fingerprint, struct auth_identity *out, bool *found,
			   const char **why, struct error *err)
{
	return auth_tls_identify(s->db, d, fingerprint, out, found, why, err);
}

enum auth_result auth_service_finish(struct auth_service *s, struct auth_attempt *a, int64_t now_ms,
				     int64_t *retry_ms)
{
	const char *key = a->account[0] ? a->account : a->login;
	a->result = auth_limiter_settle(s->limiter, a->remote_ip, key, a->result, now_ms, retry_ms);
	auth_recorder_add(s->recorder, a);
	return a->result;
}

struct auth_service_once {
	struct auth_service_config cfg;
	const char *pkg;
	pthread_mutex_t mu;
	bool tried;
	struct auth_service *svc;
};

struct auth_service_once *auth_service_once_new(const struct auth_service_config *cfg,
						const char *pkg)
{
	struct auth_service_once *o = xcalloc(1, sizeof *o);
	o->cfg = *cfg;
	o->pkg = pkg;
	pthread_mutex_init(&o->mu, NULL);
	return o;
}

struct auth_service *auth_service_once_get(struct auth_service_once *o)
{
	pthread_mutex_lock(&o->mu);
	if (!o->tried) {
		o->tried = true;
		struct error err;
		o->svc = auth_service_open(&o->cfg, &err);
		if (!o->svc) {
			struct logger lg = {log_pkg(o->pkg), 0};
			log_error(&lg, "opening the authentication service; no logins possible",
				  LE(&err));
		}
	}
	pthread_mutex_unlock(&o->mu);
	return o->svc;
}

void auth_service_once_free(struct auth_service_once *o)
{
	if (!o)
		return;
	auth_service_close(o->svc);
	pthread_mutex_destroy(&o->mu);
	free(o);
}
