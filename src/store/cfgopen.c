/*
 * Opening accounts as configured (see cfgopen.h).
 */
#include "store/cfgopen.h"

#include "base/arena.h"
#include "config/config.h"
#include "config/dynamic.h"
#include "store/account.h"

bool store_account_open_configured(const struct config_static *cs, const struct cfg_dynamic *d,
				   const char *name, struct store_account **out, int64_t *quota,
				   struct error *err)
{
	const struct cfg_account *acc = cfg_account_find(d, name);
	if (!acc)
		return error_set(err, ERR_NOTFOUND, "account %s not in the configuration", name);
	int64_t q = acc->quota_message_size ? acc->quota_message_size : cs->s->quota_message_size;
	if (quota)
		*quota = q > 0 ? q : 0;
	struct arena ar;
	arena_init(&ar, 1024);
	struct store_account_options o = {.data_dir = cs->datadir, .name = name};
	o.initial = store_initial_mailboxes(cs->s, &ar, &o.ninitial);
	bool ok = store_account_open(&o, out, err);
	arena_free(&ar);
	return ok;
}

bool store_credentials_lookup(void *config, const char *account, struct buf *out, bool *found,
			      struct error *err)
{
	const struct config_static *cs = config_static(config);
	struct store_account_options o = {
	    .data_dir = cs->datadir, .name = account, .no_create = true};
	struct store_account *a = NULL;
	if (!store_account_open(&o, &a, err)) {
		if (err->kind != ERR_NOTFOUND)
			return false;
		*found = false; /* never opened, so no password was ever set */
		return true;
	}
	bool ok = store_account_credentials_get(a, out, found, err);
	store_account_close(a);
	return ok;
}
