#include "smtp/backend_internal.h"

#include "base/mem.h"

#include <stdlib.h>

struct smtp_backend *smtp_backend_new(struct config *config, struct auth_service_once *auth)
{
	struct smtp_backend *b = xcalloc(1, sizeof *b);
	b->config = config;
	b->auth = auth;
	pthread_mutex_init(&b->mu, NULL);
	backend_store_init(b);
	backend_auth_init(b);
	b->sendlimits = smtp_sendlimits_new();
	return b;
}

void smtp_backend_free(struct smtp_backend *b)
{
	if (!b)
		return;
	backend_store_free(b);
	smtp_sendlimits_free(b->sendlimits);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

const struct smtp_delivery_ops *smtp_backend_delivery(struct smtp_backend *b)
{
	return &b->delivery;
}

const struct smtp_sasl_ops *smtp_backend_sasl(struct smtp_backend *b)
{
	return &b->sasl;
}

struct smtp_sendlimits *smtp_backend_sendlimits(struct smtp_backend *b)
{
	return b->sendlimits;
}

void smtp_backend_set_hold(struct smtp_backend *b, const struct smtp_hold_ops *hold)
{
	b->hold = hold;
}

const struct smtp_hold_ops *smtp_backend_hold(struct smtp_backend *b)
{
	return b->hold;
}
