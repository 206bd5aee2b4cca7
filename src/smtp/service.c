#include "smtp/service.h"

#include "base/file.h"
#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

/* The config and the strings it owns. */
struct owned_config {
	struct smtp_server_config sc; /* first: the pointer handed out */
	char *spool_dir;
	char *localserve_destination;
};

/* The localserve account's first destination, the catch-all target for unknown addresses. */
static void localserve_target(struct owned_config *oc, const struct cfg_static *st,
			      struct config *config)
{
	struct smtp_server_config *sc = &oc->sc;
	sc->localserve_account = st->postmaster.account;
	struct config_dynamic *dyn = config_dynamic_get(config);
	const struct cfg_account *acc = cfg_account_find(dyn->d, st->postmaster.account);
	if (acc && acc->destinations.n > 0)
		oc->localserve_destination = xstrdup(acc->destinations.v[0].address);
	else
		oc->localserve_destination = xstrdup("");
	sc->localserve_destination = oc->localserve_destination;
	config_dynamic_put(dyn);
}

struct smtp_server_config *smtp_service_config(const char *listener_name,
					       const struct cfg_listener *l,
					       enum smtp_service which, struct tls_ctx *tls,
					       struct config *config, struct smtp_backend *backend,
					       bool localserve)
{
	const struct config_static *cs = config_static(config);
	struct owned_config *oc = xcalloc(1, sizeof *oc);
	struct smtp_server_config *sc = &oc->sc;
	sc->listener = listener_name;
	sc->submission = which != SMTP_SERVICE_SMTP;
	sc->implicit_tls = which == SMTP_SERVICE_SUBMISSIONS;
	sc->hostname = l->hostname_domain;
	sc->max_message_size = (uint64_t)l->smtp_max_message_size_effective;
	sc->config = config;
	oc->spool_dir = path_join(cs->datadir, "tmp");
	sc->spool_dir = oc->spool_dir;
	sc->requiretls = !l->smtp.no_require_tls;
	sc->localserve = localserve;
	switch (which) {
	case SMTP_SERVICE_SMTP:
		sc->tls = l->smtp.no_starttls ? NULL : tls;
		sc->require_starttls = l->smtp.require_starttls && sc->tls;
		break;
	case SMTP_SERVICE_SUBMISSION:
		sc->tls = tls;
		/* mox: without NoRequireSTARTTLS, both AUTH and mail need TLS first. */
		sc->require_starttls = !l->submission.no_require_starttls && tls;
		sc->require_tls_for_auth = !l->submission.no_require_starttls;
		break;
	case SMTP_SERVICE_SUBMISSIONS:
		sc->tls = tls;
		sc->require_tls_for_auth = true;
		break;
	}
	sc->delivery = smtp_backend_delivery(backend);
	sc->sasl = smtp_backend_sasl(backend);
	sc->sendlimits = smtp_backend_sendlimits(backend);
	/* FUTURERELEASE needs the outgoing queue to hold messages; not offered until it exists. */
	sc->future_release = false;
	if (localserve)
		localserve_target(oc, cs->s, config);
	return sc;
}

void smtp_service_config_free(struct smtp_server_config *c)
{
	if (!c)
		return;
	struct owned_config *oc = (struct owned_config *)c;
	free(oc->spool_dir);
	free(oc->localserve_destination);
	free(oc);
}
