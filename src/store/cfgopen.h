/*
 * store/cfgopen: opening an account as the configuration describes it.
 *
 * The account must be in domains.conf (ERR_NOTFOUND otherwise, as mox
 * refuses to import into an unknown account); a new account gets the
 * static config's initial mailboxes (store_initial_mailboxes). The quota is
 * the account's QuotaMessageSize, or the static default when that is 0; a
 * negative value means no limit (mox's rule). Used by the commands that work
 * on accounts directly and by the server's ctl commands, so both open
 * accounts the same way. Thread-safe as store_account_open.
 */
#ifndef TERN_STORE_CFGOPEN_H
#define TERN_STORE_CFGOPEN_H

#include "base/buf.h"
#include "base/error.h"

#include <stdbool.h>
#include <stdint.h>

struct cfg_dynamic;
struct config_static;
struct store_account;

bool store_account_open_configured(const struct config_static *cs, const struct cfg_dynamic *d,
				   const char *name, struct store_account **out, int64_t *quota,
				   struct error *err);

/*
 * The credentials of the named account in the data directory of config (a
 * struct config *, untyped so this serves as the auth layer's credentials
 * callback, auth/service.h): *found false when the account has none or was
 * never created (no store is made for a login attempt).
 */
bool store_credentials_lookup(void *config, const char *account, struct buf *out, bool *found,
			      struct error *err);

#endif
