/*
 * backend_internal: the state shared by backend.c, backend_store.c and
 * backend_auth.c. Internal to src/smtp.
 */
#ifndef TERN_SMTP_BACKEND_INTERNAL_H
#define TERN_SMTP_BACKEND_INTERNAL_H

#include "auth/service.h"
#include "smtp/backend.h"

#include <pthread.h>

struct store_account;

struct backend_account {
	char *name;
	struct store_account *acc;
};

struct smtp_backend {
	struct config *config;
	pthread_mutex_t mu; /* the account cache */
	struct backend_account accounts[SMTP_BACKEND_ACCOUNTS_MAX];
	size_t naccounts;
	struct smtp_delivery_ops delivery;
	struct smtp_sasl_ops sasl;
	/* Opened on first use (in a connection thread, as the run user). */
	struct auth_service_once *auth; /* the server's, shared by the protocols; NULL: no logins */
	struct smtp_sendlimits *sendlimits;
	const struct smtp_hold_ops *hold; /* FUTURERELEASE, set by the server; not owned */
};

void backend_store_init(struct smtp_backend *b);
void backend_store_free(struct smtp_backend *b);
void backend_auth_init(struct smtp_backend *b);

#endif
