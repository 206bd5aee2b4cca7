/*
 * Shared parts of the message store commands (see storecmd.h).
 */
#include "cmd/storecmd.h"

#include "cmd/ctlclient.h"
#include "config/config.h"
#include "store/account.h"
#include "store/cfgopen.h"

#include <stdio.h>

bool storecmd_dial(const struct cmd_env *env, const char *cmd, struct ctl_conn *c, bool *running,
		   struct error *err)
{
	struct error derr = {0};
	*running = ctlclient_dial(env, cmd, c, &derr);
	if (*running) {
		c->timeout_ms = STORECMD_TIMEOUT_MS;
		return true;
	}
	/* No socket, or nobody listening on it: no server runs. */
	if (derr.kind == ERR_NOTFOUND || derr.kind == ERR_IO)
		return true;
	if (err)
		*err = derr;
	return false;
}

bool storecmd_send_args(struct ctl_conn *c, const char *const *args, size_t n, struct error *err)
{
	for (size_t i = 0; i < n; i++)
		if (!ctl_send_str(c, args[i], err))
			return false;
	return true;
}

bool storecmd_recv_report(struct ctl_conn *c, struct error *err)
{
	struct buf out = BUF_INIT;
	bool ok = ctl_recv(c, &out, err);
	if (ok && out.len > 0)
		fwrite(out.data, 1, out.len, stdout);
	buf_free(&out);
	return ok && ctl_recv_status(c, err);
}

bool storecmd_open_local(const struct cmd_env *env, const char *account, struct config **cfg,
			 struct store_account **a, int64_t *quota, struct error *err)
{
	*a = NULL;
	*cfg = config_load(env->config_path, err);
	if (!*cfg)
		return false;
	struct config_dynamic *d = config_dynamic_get(*cfg);
	bool ok = store_account_open_configured(config_static(*cfg), d->d, account, a, quota, err);
	config_dynamic_put(d);
	if (!ok) {
		config_free(*cfg);
		*cfg = NULL;
	}
	return ok;
}

void storecmd_close_local(struct config *cfg, struct store_account *a)
{
	if (a)
		store_account_close(a);
	if (cfg)
		config_free(cfg);
}
