#include "server/setup.h"

#include "auth/service.h"
#include "base/file.h"
#include "base/log.h"
#include "base/mem.h"
#include "imap/server.h"
#include "net/limits.h"
#include "net/listener.h"
#include "net/shutdown.h"
#include "queue/hold.h"
#include "smtp/backend.h"
#include "smtp/service.h"
#include "store/cfgopen.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum service_tls {
	SERVICE_PLAIN,    /* plain text; STARTTLS when the listener has TLS */
	SERVICE_IMPLICIT, /* TLS from the first byte: needs the listener's TLS */
};

/*
 * A service of a listener. enabled_at and port_at locate the service's
 * Enabled flag and effective port in struct cfg_listener. serve is the
 * protocol; NULL while tern does not have it.
 */
struct service_def {
	const char *name;     /* as in the config file */
	const char *protocol; /* for logs */
	enum service_tls tls;
	size_t enabled_at;
	size_t port_at;
	listener_serve_fn serve;
	const char *refusal; /* reply for connections over the limits (plain text only) */
};

#define SERVICE(name, proto, tls, field, serve, refusal)                                           \
	{                                                                                          \
		name, proto, tls, offsetof(struct cfg_listener, field.enabled),                    \
		    offsetof(struct cfg_listener, field.port_effective), serve, refusal            \
	}

#define SMTP_BUSY "421 4.7.0 too many connections, try again later\r\n"
#define IMAP_BUSY "* BYE [UNAVAILABLE] too many connections, try again later\r\n"
#define HTTP_BUSY NULL

static bool localserve_mode;

void setup_set_localserve(bool on)
{
	localserve_mode = on;
}

/* SMTP services: the protocol config is made at bind time (see prepare_protocol). */
static void serve_smtp(struct conn *c, void *arg)
{
	const struct service_ctx *ctx = arg;
	smtp_serve(c, ctx->proto);
}

/* IMAP services: the struct imap_service is made at bind time (see prepare_protocol). */
static void serve_imap(struct conn *c, void *arg)
{
	const struct service_ctx *ctx = arg;
	imap_serve(c, ctx->proto);
}

/* The protocols fill in their serve functions as they land. */
static const struct service_def services[] = {
    SERVICE("SMTP", "smtp", SERVICE_PLAIN, smtp, serve_smtp, SMTP_BUSY),
    SERVICE("Submission", "submission", SERVICE_PLAIN, submission, serve_smtp, SMTP_BUSY),
    SERVICE("Submissions", "submissions", SERVICE_IMPLICIT, submissions, serve_smtp, NULL),
    SERVICE("IMAP", "imap", SERVICE_PLAIN, imap, serve_imap, IMAP_BUSY),
    SERVICE("IMAPS", "imaps", SERVICE_IMPLICIT, imaps, serve_imap, NULL),
    SERVICE("AccountHTTP", "http", SERVICE_PLAIN, account_http, NULL, HTTP_BUSY),
    SERVICE("AccountHTTPS", "https", SERVICE_IMPLICIT, account_https, NULL, NULL),
    SERVICE("AdminHTTP", "http", SERVICE_PLAIN, admin_http, NULL, HTTP_BUSY),
    SERVICE("AdminHTTPS", "https", SERVICE_IMPLICIT, admin_https, NULL, NULL),
    SERVICE("WebmailHTTP", "http", SERVICE_PLAIN, webmail_http, NULL, HTTP_BUSY),
    SERVICE("WebmailHTTPS", "https", SERVICE_IMPLICIT, webmail_https, NULL, NULL),
    SERVICE("WebAPIHTTP", "http", SERVICE_PLAIN, webapi_http, NULL, HTTP_BUSY),
    SERVICE("WebAPIHTTPS", "https", SERVICE_IMPLICIT, webapi_https, NULL, NULL),
    SERVICE("MetricsHTTP", "http", SERVICE_PLAIN, metrics_http, NULL, HTTP_BUSY),
    SERVICE("PprofHTTP", "http", SERVICE_PLAIN, pprof_http, NULL, HTTP_BUSY),
    SERVICE("AutoconfigHTTPS", "https", SERVICE_IMPLICIT, autoconfig_https, NULL, NULL),
    SERVICE("MTASTSHTTPS", "https", SERVICE_IMPLICIT, mtasts_https, NULL, NULL),
    SERVICE("WebserverHTTP", "http", SERVICE_PLAIN, webserver_http, NULL, HTTP_BUSY),
    SERVICE("WebserverHTTPS", "https", SERVICE_IMPLICIT, webserver_https, NULL, NULL),
};

/* One listener of the config with its TLS context and bound services. */
struct listener_state {
	const char *name;
	const struct cfg_listener *cfg;
	struct tls_ctx *tls;
	struct service_ctx ctx[ARRAY_LEN(services)];
	struct listener *bound[ARRAY_LEN(services)];
};

struct server_setup {
	struct config *config;
	struct run_user user;
	struct limits *limits;
	struct listener_state *listeners;
	size_t nlisteners;
	struct logger lg;
	struct smtp_backend *smtp_backend; /* delivery and auth for the SMTP services */
	struct queue_hold *hold;           /* FUTURERELEASE messages, delivered by the backend */
	struct imap_server *imap_server;   /* shared by the IMAP and IMAPS services */
	struct auth_service_once *auth;    /* logins of every protocol: limits count across them */
};

static bool service_enabled(const struct service_def *d, const struct cfg_listener *l, int *port)
{
	const char *base = (const char *)l;
	*port = *(const int *)(base + d->port_at);
	return *(const bool *)(base + d->enabled_at);
}

static void apply_log_levels(const struct cfg_static *s)
{
	log_set_default_level(s->log_level_parsed);
	log_clear_pkg_levels();
	for (size_t i = 0; i < s->package_levels.n; i++)
		log_set_pkg_level(s->package_levels.v[i].pkg, s->package_levels.v[i].level);
}

/* Builds the listener's TLS context from its KeyCerts; none for ACME-only TLS. */
static bool make_tls(struct listener_state *ls, struct error *err)
{
	const struct cfg_tls *t = ls->cfg->tls;
	if (!t || t->keycerts.n == 0)
		return true;
	struct tls_keypair *pairs = xcalloc(t->keycerts.n, sizeof *pairs);
	for (size_t i = 0; i < t->keycerts.n; i++)
		pairs[i] =
		    (struct tls_keypair){t->keycerts.v[i].cert_path, t->keycerts.v[i].key_path};
	struct tls_config tc = {
	    .pairs = pairs,
	    .npairs = t->keycerts.n,
	    .min_version = t->min_version_effective == CFG_TLS_1_3 ? "TLSv1.3" : "TLSv1.2",
	    .client_auth = !t->client_auth_disabled,
	    .no_session_tickets = ls->cfg->smtp.tls_session_tickets_disabled,
	    .pkg = log_pkg("tls"),
	};
	ls->tls = tls_ctx_new(&tc, err);
	free(pairs);
	if (!ls->tls)
		return error_prefix(err, "listener %s: TLS", ls->name);
	return true;
}

struct server_setup *setup_load(const char *config_path, struct error *err)
{
	struct config *c = config_load(config_path, err);
	if (!c)
		return NULL;
	struct server_setup *s = xcalloc(1, sizeof *s);
	s->config = c;
	s->lg = (struct logger){log_pkg("serve"), 0};
	const struct cfg_static *st = config_static(c)->s;
	apply_log_levels(st);
	if (!run_user_lookup(st->user_effective, &s->user, err)) {
		setup_free(s);
		return NULL;
	}
	s->limits = limits_new(SERVER_MAX_CONNECTIONS, SERVER_MAX_CONNECTIONS_PER_IP);
	s->nlisteners = st->listeners.n;
	s->listeners = xcalloc(s->nlisteners ? s->nlisteners : 1, sizeof *s->listeners);
	for (size_t i = 0; i < s->nlisteners; i++) {
		struct listener_state *ls = &s->listeners[i];
		ls->name = st->listeners.keys[i];
		ls->cfg = &st->listeners.v[i];
		if (!make_tls(ls, err)) {
			setup_free(s);
			return NULL;
		}
	}
	return s;
}

bool setup_prepare_datadir(struct server_setup *s, struct error *err)
{
	const struct config_static *cs = config_static(s->config);
	if (!mkdir_p(cs->datadir, 0750, err))
		return error_prefix(err, "creating data directory");
	if (cs->s->no_fix_permissions)
		return true;
	return fix_ownership(cs->datadir, &s->user, err);
}

/*
 * The SMTP backend, and the hold for FUTURERELEASE messages that delivers
 * through it (its thread starts with the listeners, after the privilege drop).
 */
static struct auth_service_once *shared_auth(struct server_setup *s)
{
	if (!s->auth) {
		const struct config_static *cs = config_static(s->config);
		struct auth_service_config ac = {
		    .datadir = cs->datadir,
		    .hostname = cs->s->hostname_domain.ascii,
		    .credentials = store_credentials_lookup,
		    .credentials_arg = s->config,
		};
		s->auth = auth_service_once_new(&ac, "auth");
	}
	return s->auth;
}

static void make_smtp_backend(struct server_setup *s)
{
	s->smtp_backend = smtp_backend_new(s->config, shared_auth(s));
	const struct config_static *cs = config_static(s->config);
	struct queue_hold_config hc = {cs->datadir, cs->s->hostname_domain.ascii,
				       smtp_backend_delivery(s->smtp_backend)};
	s->hold = queue_hold_new(&hc);
	smtp_backend_set_hold(s->smtp_backend, queue_hold_ops(s->hold));
}

/* Protocol configuration a service's serve function gets as ctx->proto. */
static void *prepare_protocol(struct server_setup *s, struct listener_state *ls, size_t i)
{
	static const char *const smtp_names[] = {"SMTP", "Submission", "Submissions"};
	for (size_t k = 0; k < ARRAY_LEN(smtp_names); k++)
		if (strcmp(services[i].name, smtp_names[k]) == 0) {
			if (!s->smtp_backend)
				make_smtp_backend(s);
			return smtp_service_config(ls->name, ls->cfg, (enum smtp_service)k, ls->tls,
						   s->config, s->smtp_backend, localserve_mode);
		}
	if (services[i].serve == serve_imap) {
		if (!s->imap_server)
			s->imap_server = imap_server_new(s->config, shared_auth(s));
		struct imap_service *is = xcalloc(1, sizeof *is);
		bool implicit = services[i].tls == SERVICE_IMPLICIT;
		*is = (struct imap_service){
		    .server = s->imap_server,
		    .listener = ls->name,
		    .tls = implicit ? NULL : ls->tls,
		    .implicit_tls = implicit,
		    .no_require_starttls = !implicit && ls->cfg->imap.no_require_starttls,
		};
		return is;
	}
	return NULL;
}

static void free_protocol(const struct service_def *d, void *proto)
{
	if (d->serve == serve_smtp)
		smtp_service_config_free(proto);
	else if (d->serve == serve_imap)
		free(proto);
}

/* Binds one service of a listener, or says why it is not served. */
static bool bind_service(struct server_setup *s, struct listener_state *ls, size_t i,
			 struct error *err)
{
	const struct service_def *d = &services[i];
	int port;
	if (!service_enabled(d, ls->cfg, &port))
		return true;
	if (!d->serve) {
		log_info(&s->lg, "service not served by this version of tern",
			 LS("listener", ls->name), LS("service", d->name), LI("port", port));
		return true;
	}
	if (d->tls == SERVICE_IMPLICIT && !ls->tls) {
		log_info(&s->lg, "service needs TLS certificates the listener does not have yet",
			 LS("listener", ls->name), LS("service", d->name));
		return true;
	}
	ls->ctx[i] = (struct service_ctx){s, d, ls->name, ls->cfg, ls->tls, NULL};
	ls->ctx[i].proto = prepare_protocol(s, ls, i);
	struct listener_config lc = {
	    .name = ls->name,
	    .protocol = d->protocol,
	    .ips = ls->cfg->ips.v,
	    .nips = ls->cfg->ips.n,
	    .port = (uint16_t)port,
	    .serve = d->serve,
	    .arg = &ls->ctx[i],
	    .tls = d->tls == SERVICE_IMPLICIT ? ls->tls : NULL,
	    .refusal = d->refusal,
	    .limits = s->limits,
	    .pkg = log_pkg(d->protocol),
	};
	ls->bound[i] = listener_bind(&lc, err);
	if (!ls->bound[i])
		return error_prefix(err, "listener %s, %s on port %d", ls->name, d->name, port);
	return true;
}

bool setup_bind(struct server_setup *s, struct error *err)
{
	for (size_t l = 0; l < s->nlisteners; l++)
		for (size_t i = 0; i < ARRAY_LEN(services); i++)
			if (!bind_service(s, &s->listeners[l], i, err))
				return false;
	return true;
}

bool setup_start(struct server_setup *s, struct error *err)
{
	if (s->hold && !queue_hold_start(s->hold, err))
		return error_prefix(err, "queue for held messages");
	for (size_t l = 0; l < s->nlisteners; l++) {
		struct listener_state *ls = &s->listeners[l];
		for (size_t i = 0; i < ARRAY_LEN(services); i++) {
			if (!ls->bound[i])
				continue;
			if (!listener_start(ls->bound[i], err))
				return false;
			log_info(&s->lg, "listening", LS("listener", ls->name),
				 LS("service", services[i].name),
				 LU("port", listener_port(ls->bound[i], 0)));
		}
	}
	return true;
}

int setup_shutdown(struct server_setup *s, int grace_ms)
{
	net_shutdown_begin();
	int left = (int)net_shutdown_wait(grace_ms);
	if (s->hold)
		queue_hold_stop(s->hold);
	return left;
}

bool setup_reload(struct server_setup *s, bool force, struct error *err)
{
	struct error rerr;
	int rc = config_reload(s->config, force, &rerr);
	if (rc > 0)
		log_info(&s->lg, "domains.conf reloaded");
	else if (rc < 0)
		log_error(&s->lg,
			  "domains.conf changed but was refused, the previous version stays "
			  "active",
			  LE(&rerr));
	for (size_t l = 0; l < s->nlisteners; l++)
		if (s->listeners[l].tls &&
		    tls_ctx_reload(s->listeners[l].tls) == TLS_RELOAD_SWAPPED)
			log_info(&s->lg, "tls certificates reloaded",
				 LS("listener", s->listeners[l].name));
	if (rc < 0 && force) {
		if (err)
			*err = rerr;
		return false;
	}
	return true;
}

void setup_free(struct server_setup *s)
{
	if (!s)
		return;
	for (size_t l = 0; l < s->nlisteners; l++) {
		struct listener_state *ls = &s->listeners[l];
		for (size_t i = 0; i < ARRAY_LEN(services); i++) {
			listener_free(ls->bound[i]);
			free_protocol(&services[i], ls->ctx[i].proto);
		}
		tls_ctx_unref(ls->tls);
	}
	free(s->listeners);
	queue_hold_free(s->hold); /* delivers through the backend: first */
	smtp_backend_free(s->smtp_backend);
	imap_server_free(s->imap_server);
	auth_service_once_free(s->auth); /* used by both: after them */
	if (s->limits)
		limits_unref(s->limits);
	config_free(s->config);
	free(s);
}

const struct run_user *setup_user(const struct server_setup *s)
{
	return &s->user;
}

const char *setup_datadir(const struct server_setup *s)
{
	return config_static(s->config)->datadir;
}

struct smtp_backend *setup_smtp_backend(struct server_setup *s)
{
	return s->smtp_backend;
}

struct config *setup_config(struct server_setup *s)
{
	return s->config;
}
