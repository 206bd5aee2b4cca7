#include "cmd/ctlclient.h"

#include "base/file.h"
#include "base/str.h"
#include "config/config.h"

#include <errno.h>
#include <stdlib.h>

char *ctlclient_socket_path(const char *datadir)
{
	return path_join(datadir, "ctl");
}

bool ctlclient_dial(const struct cmd_env *env, const char *cmd, struct ctl_conn *c,
		    struct error *err)
{
	struct config_static *cs = config_static_load(env->config_path, err);
	if (!cs)
		return false;
	char *path = ctlclient_socket_path(cs->datadir);
	config_static_free(cs);
	bool ok = ctl_dial(path, c, err);
	free(path);
	if (!ok) {
		if (err && (err->kind == ERR_NOTFOUND || err->kind == ERR_IO)) {
			char msg[ERROR_MSG_MAX];
			str_copy(msg, sizeof msg, err->msg);
			error_set(err, err->kind, "%s (is tern serve running?)", msg);
		}
		return false;
	}
	if (!ctl_send_str(c, cmd, err)) {
		ctl_close(c);
		return false;
	}
	return true;
}
