#include "server/ctlcmds.h"

#include "base/buf.h"
#include "base/log.h"
#include "server/server.h"
#include "server/setup.h"

#include <string.h>

struct ctlcmd {
	const char *name;
	void (*run)(struct server_setup *setup, struct ctl_conn *c);
};

/* "stop": answered only after connections drained, so `tern stop` returns when serving ended. */
static void cmd_stop(struct server_setup *setup, struct ctl_conn *c)
{
	(void)setup;
	server_request_shutdown();
	if (server_wait_drained(SERVER_SHUTDOWN_GRACE_MS + 2000))
		ctl_send_str(c, "ok", NULL);
	else
		ctl_send_error(c, "shutdown did not finish in time", NULL);
}

static void append_level(void *arg, const char *pkg, enum log_level level)
{
	buf_printf(arg, "%s: %s\n", pkg, log_level_name(level));
}

/*
 * "loglevels", then one frame: "" to list, "LEVEL" to set the default,
 * "LEVEL PKG" to set a package's level, " PKG" (empty level) to clear it.
 */
static void cmd_loglevels(struct server_setup *setup, struct ctl_conn *c)
{
	(void)setup;
	struct buf arg = BUF_INIT, out = BUF_INIT;
	struct error err = {0};
	if (!ctl_recv(c, &arg, &err))
		goto done;
	const char *a = buf_cstr(&arg);
	const char *space = strchr(a, ' ');
	char level[32] = "";
	size_t llen = space ? (size_t)(space - a) : strlen(a);
	if (llen >= sizeof level) {
		ctl_send_error(c, "unknown log level", NULL);
		goto done;
	}
	memcpy(level, a, llen);
	level[llen] = '\0';
	const char *pkg = space ? space + 1 : "";
	enum log_level lv = LOG_INFO;
	if (level[0] && !log_level_parse(level, &lv)) {
		ctl_send_error(c,
			       "unknown log level (valid: error, info, debug, trace, traceauth, "
			       "tracedata)",
			       NULL);
		goto done;
	}
	struct logger lg = {log_pkg("serve"), 0};
	if (!a[0]) {
		buf_printf(&out, "default: %s\n", log_level_name(log_default_level()));
		log_pkg_levels(append_level, &out);
		ctl_send(c, out.data ? out.data : "", out.len, NULL);
	} else if (!pkg[0]) {
		log_set_default_level(lv);
		log_info(&lg, "default log level changed", LS("level", level));
	} else if (!level[0]) {
		log_clear_pkg_level(pkg);
		log_info(&lg, "package log level cleared", LS("logpkg", pkg));
	} else {
		log_set_pkg_level(pkg, lv);
		log_info(&lg, "package log level changed", LS("logpkg", pkg), LS("level", level));
	}
	ctl_send_str(c, "ok", NULL);
done:
	buf_free(&arg);
	buf_free(&out);
}

/* "reload": re-reads domains.conf now (commands that edit it send this), answers with the outcome.
 */
static void cmd_reload(struct server_setup *setup, struct ctl_conn *c)
{
	struct error err = {0};
	if (setup_reload(setup, true, &err))
		ctl_send_str(c, "ok", NULL);
	else
		ctl_send_error(c, err.msg, NULL);
}

static const struct ctlcmd commands[] = {
    {"stop", cmd_stop},
    {"loglevels", cmd_loglevels},
    {"reload", cmd_reload},
};

void ctlcmds_dispatch(void *ctx, struct ctl_conn *c, const char *cmd)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(commands[i].name, cmd) == 0) {
			commands[i].run(ctx, c);
			return;
		}
	}
	struct logger lg = {log_pkg("ctl"), 0};
	log_info(&lg, "unknown ctl command", LS("cmd", cmd));
	ctl_send_error(c, "unknown command", NULL);
}
