/*
 * service: the SMTP server configuration of one listener's SMTP,
 * Submission or Submissions service, derived once from the static config
 * (tern.conf / mox.conf) as mox derives it, for src/server/setup.c.
 *
 * Plain text listeners offer STARTTLS when the listener has TLS (SMTP
 * unless NoSTARTTLS); SMTP requires it with RequireSTARTTLS, Submission
 * unless NoRequireSTARTTLS (AUTH and mail then wait for TLS). REQUIRETLS is
 * offered unless NoRequireTLS. Under localserve, unknown recipients go to
 * the postmaster account (tern localserve's account) and the special
 * localparts of smtp/localserve.h apply.
 *
 * Delivery and authentication come from backend (smtp/backend.h), shared by
 * all services. The config returned is owned by the caller and freed with
 * smtp_service_config_free after every connection using it has ended.
 */
#ifndef TERN_SMTP_SERVICE_H
#define TERN_SMTP_SERVICE_H

#include "base/error.h"
#include "config/config.h"
#include "smtp/backend.h"
#include "smtp/server.h"

enum smtp_service {
	SMTP_SERVICE_SMTP,
	SMTP_SERVICE_SUBMISSION,
	SMTP_SERVICE_SUBMISSIONS,
};

struct smtp_server_config *smtp_service_config(const char *listener_name,
					       const struct cfg_listener *l,
					       enum smtp_service which, struct tls_ctx *tls,
					       struct config *config, struct smtp_backend *backend,
					       bool localserve);
void smtp_service_config_free(struct smtp_server_config *c);

#endif
