/*
 * The IMAP server object: configuration, the authentication service, and
 * connection counts per account.
 */
#include "imap/server_internal.h"

#include "imap/idlehub.h"

#include "base/log.h"
#include "base/mem.h"
#include "store/account.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct account_count {
	char *name;
	int n;
};

struct imap_server {
	struct config *config;
	pthread_mutex_t mu;
	struct auth_service_once *auth; /* the process's, shared by the protocols */
	struct account_count *counts;
	size_t ncounts;
	size_t capcounts;
	int account_max;
	int inprogress_ms;
	bool hub_tried;
	struct imap_hub *hub;
};

struct imap_server *imap_server_new(struct config *config, struct auth_service_once *auth)
{
	struct imap_server *s = xcalloc(1, sizeof *s);
	s->config = config;
	s->auth = auth;
	s->account_max = IMAP_ACCOUNT_CONNECTIONS_MAX;
	s->inprogress_ms = IMAP_INPROGRESS_MS;
	pthread_mutex_init(&s->mu, NULL);
	return s;
}

void imap_server_free(struct imap_server *s)
{
	if (!s)
		return;
	imap_hub_free(s->hub);
	for (size_t i = 0; i < s->ncounts; i++)
		free(s->counts[i].name);
	free(s->counts);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

struct config *imap_server_config(struct imap_server *s)
{
	return s->config;
}

int imap_server_inprogress_ms(struct imap_server *s)
{
	return s->inprogress_ms;
}

void imap_server_set_inprogress_ms(struct imap_server *s, int ms)
{
	s->inprogress_ms = ms;
}

void imap_server_set_account_max(struct imap_server *s, int max)
{
	s->account_max = max;
}

struct auth_service *imap_server_auth(struct imap_server *s)
{
	return s->auth ? auth_service_once_get(s->auth) : NULL;
}

bool imap_server_count_account(struct imap_server *s, const char *account, bool add)
{
	bool ok = true;
	pthread_mutex_lock(&s->mu);
	size_t i = 0;
	while (i < s->ncounts && strcmp(s->counts[i].name, account) != 0)
		i++;
	if (add) {
		if (i == s->ncounts) {
			if (s->ncounts == s->capcounts) {
				s->capcounts = s->capcounts ? s->capcounts * 2 : 16;
				s->counts =
				    xreallocarray(s->counts, s->capcounts, sizeof *s->counts);
			}
			s->counts[s->ncounts++] = (struct account_count){xstrdup(account), 0};
		}
		if (s->counts[i].n >= s->account_max)
			ok = false;
		else
			s->counts[i].n++;
	} else if (i < s->ncounts && --s->counts[i].n == 0) {
		free(s->counts[i].name);
		s->counts[i] = s->counts[--s->ncounts];
	}
	pthread_mutex_unlock(&s->mu);
	return ok;
}

struct imap_hub *imap_server_hub(struct imap_server *s)
{
	pthread_mutex_lock(&s->mu);
	if (!s->hub_tried) {
		s->hub_tried = true;
		struct error err;
		s->hub = imap_hub_new(&err);
		if (!s->hub) {
			struct logger lg = {log_pkg("imapserver"), 0};
			log_error(&lg, "starting the IDLE hub; IDLE is not available", LE(&err));
		}
	}
	pthread_mutex_unlock(&s->mu);
	return s->hub;
}
