#include "server/ctlcmds.h"

#include "auth/credentials.h"
#include "base/buf.h"
#include "base/log.h"
#include "config/config.h"
#include "server/server.h"
#include "server/setup.h"
#include "smtp/backend.h"
#include "store/account.h"
#include "store/backup.h"
#include "store/cfgopen.h"
#include "store/export.h"
#include "store/importer.h"
#include "store/maint.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* Message bytes per frame when the server streams an export. */
#define CTL_EXPORT_CHUNK (1024 * 1024)

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

/* --- the message store: import, export, backup, maintenance --- */

static bool open_account(struct server_setup *setup, const char *name, struct store_account **a,
			 int64_t *quota, struct error *err)
{
	struct config *c = setup_config(setup);
	struct config_dynamic *d = config_dynamic_get(c);
	bool ok = store_account_open_configured(config_static(c), d->d, name, a, quota, err);
	config_dynamic_put(d);
	return ok;
}

/* Receives n argument frames (each a NUL-terminated string in its buf). */
static bool recv_args(struct ctl_conn *c, struct buf *args, size_t n, struct error *err)
{
	for (size_t i = 0; i < n; i++) {
		if (!ctl_recv(c, &args[i], err))
			return false;
		buf_reserve(&args[i], 0);
	}
	return true;
}

static void free_args(struct buf *args, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf_free(&args[i]);
}

static void import_progress(void *arg, size_t delivered)
{
	char line[64];
	snprintf(line, sizeof line, "progress %zu", delivered);
	ctl_send_str(arg, line, NULL);
}

/* Receives the messages of an import until "end" and queues them. */
static bool import_messages(struct ctl_conn *c, struct store_importer *im, struct error *err)
{
	struct buf meta = BUF_INIT;
	struct store_import_msg m;
	memset(&m, 0, sizeof m);
	struct arena ar;
	arena_init(&ar, 4096);
	bool ok = true;
	while (ok && (ok = ctl_recv(c, &meta, err))) {
		buf_reserve(&meta, 0);
		if (strcmp(meta.data, "end") == 0)
			break;
		struct arena_mark mark = arena_mark(&ar);
		ok = store_import_meta_parse(meta.data, &ar, &m, err) &&
		     ctl_recv(c, &m.data, err) && store_importer_add(im, &m, err);
		arena_rewind(&ar, mark);
	}
	buf_free(&m.data);
	buf_free(&meta);
	arena_free(&ar);
	return ok;
}

/*
 * "import", then frames: account, mailbox; "ok" or an error; then per
 * message a metadata line (importer.h) and the message; "end". The server
 * answers with "progress N" frames while delivering, then "imported N" and
 * the status.
 */
static void cmd_import(struct server_setup *setup, struct ctl_conn *c)
{
	struct buf args[2] = {BUF_INIT, BUF_INIT};
	struct error err = {0};
	struct store_account *a = NULL;
	struct store_importer *im = NULL;
	int64_t quota = 0;
	bool ok =
	    recv_args(c, args, 2, &err) && open_account(setup, args[0].data, &a, &quota, &err);
	struct store_importer_options o = {.mailbox = args[1].data,
					   .quota = quota,
					   .progress = import_progress,
					   .progress_arg = c};
	if (ok)
		ok = store_importer_start(a, &o, &im, &err);
	if (!ok) {
		ctl_send_error(c, err.msg, NULL);
	} else if (ctl_send_str(c, "ok", NULL)) {
		ok = import_messages(c, im, &err);
		size_t n = 0;
		struct error ferr;
		bool fok = store_importer_finish(im, &n, &ferr);
		im = NULL;
		if (ok && !fok)
			err = ferr;
		ok = ok && fok;
		char line[64];
		snprintf(line, sizeof line, "imported %zu", n);
		struct logger lg = {log_pkg("ctl"), 0};
		log_info(&lg, "import", LS("account", args[0].data), LS("mailbox", args[1].data),
			 LI("messages", (int64_t)n), LS("err", ok ? "" : err.msg));
		if (ctl_send_str(c, line, NULL))
			ok ? ctl_send_str(c, "ok", NULL) : ctl_send_error(c, err.msg, NULL);
	}
	if (im)
		store_importer_finish(im, NULL, NULL);
	if (a)
		store_account_close(a);
	free_args(args, 2);
}

static bool export_send_mailbox(void *arg, const char *name, struct error *err)
{
	struct buf line = BUF_INIT;
	buf_printf(&line, "mailbox %s", name);
	bool ok = ctl_send_str(arg, line.data, err);
	buf_free(&line);
	return ok;
}

static bool export_send_message(void *arg, const struct store_export_msg *m, struct error *err)
{
	struct buf line = BUF_INIT;
	store_export_meta_format(m, &line);
	bool ok = ctl_send_str(arg, line.data, err);
	buf_free(&line);
	for (size_t off = 0; ok && off < m->len; off += CTL_EXPORT_CHUNK) {
		size_t n = m->len - off < CTL_EXPORT_CHUNK ? m->len - off : CTL_EXPORT_CHUNK;
		ok = ctl_send(arg, m->data + off, n, err);
	}
	return ok;
}

/*
 * "export", then frames: account, mailbox ("" for all), "single" or "". The
 * server answers "ok" or an error, then "mailbox NAME" lines and per
 * message a metadata line (export.h) followed by the message in frames of
 * at most CTL_EXPORT_CHUNK bytes, then "end N" and the status.
 */
static void cmd_export(struct server_setup *setup, struct ctl_conn *c)
{
	struct buf args[3] = {BUF_INIT, BUF_INIT, BUF_INIT};
	struct error err = {0};
	struct store_account *a = NULL;
	bool ok = recv_args(c, args, 3, &err) && open_account(setup, args[0].data, &a, NULL, &err);
	if (!ok) {
		ctl_send_error(c, err.msg, NULL);
	} else if (ctl_send_str(c, "ok", NULL)) {
		struct store_export_sink sink = {c, export_send_mailbox, export_send_message};
		size_t n = 0;
		const char *mailbox = args[1].data[0] ? args[1].data : NULL;
		ok = store_export_walk(a, mailbox, strcmp(args[2].data, "single") == 0, &sink, &n,
				       &err);
		char line[64];
		snprintf(line, sizeof line, "end %zu", n);
		if (!ok)
			ctl_send_error(c, err.msg, NULL);
		else if (ctl_send_str(c, line, NULL))
			ctl_send_str(c, "ok", NULL);
	}
	if (a)
		store_account_close(a);
	free_args(args, 3);
}

/* "backup", then frames: destination directory, "verbose" or "". Answers with the report, then the
 * status. */
static void cmd_backup(struct server_setup *setup, struct ctl_conn *c)
{
	struct buf args[2] = {BUF_INIT, BUF_INIT};
	struct buf out = BUF_INIT;
	struct error err = {0};
	if (!recv_args(c, args, 2, &err))
		goto done;
	const struct config_static *cs = config_static(setup_config(setup));
	struct store_backup_options o = {.config_dir = cs->dir,
					 .data_dir = cs->datadir,
					 .dest = args[0].data,
					 .verbose = strcmp(args[1].data, "verbose") == 0};
	size_t warnings;
	bool ok = store_backup(&o, &out, &warnings, &err);
	struct logger lg = {log_pkg("ctl"), 0};
	log_info(&lg, "backup", LS("dest", o.dest), LI("warnings", (int64_t)warnings),
		 LS("err", ok ? "" : err.msg));
	if (ctl_send(c, out.data ? out.data : "", out.len, NULL))
		ok ? ctl_send_str(c, "ok", NULL) : ctl_send_error(c, err.msg, NULL);
done:
	buf_free(&out);
	free_args(args, 2);
}

/* "maint", then frames: operation (maint.h), account, argument. Answers with the report, then the
 * status. */
static void cmd_maint(struct server_setup *setup, struct ctl_conn *c)
{
	struct buf args[3] = {BUF_INIT, BUF_INIT, BUF_INIT};
	struct buf out = BUF_INIT;
	struct error err = {0};
	struct store_account *a = NULL;
	if (!recv_args(c, args, 3, &err))
		goto done;
	bool ok = open_account(setup, args[1].data, &a, NULL, &err) &&
		  store_maint_command(a, args[0].data, args[2].data, &out, &err);
	struct logger lg = {log_pkg("ctl"), 0};
	log_info(&lg, "maintenance", LS("op", args[0].data), LS("account", args[1].data),
		 LS("err", ok ? "" : err.msg));
	if (ctl_send(c, out.data ? out.data : "", out.len, NULL))
		ok ? ctl_send_str(c, "ok", NULL) : ctl_send_error(c, err.msg, NULL);
done:
	if (a)
		store_account_close(a);
	buf_free(&out);
	free_args(args, 3);
}

/* --- accounts: password and removal, done here because the server has them open --- */

/*
 * "setaccountpassword", then frames: account, serialized credentials
 * (auth/credentials.h; derived by the command, the password never travels).
 * The ctl socket is only for the server's user (mode 0600).
 */
static void cmd_setaccountpassword(struct server_setup *setup, struct ctl_conn *c)
{
	struct buf args[2] = {BUF_INIT, BUF_INIT};
	struct error err = {0};
	struct store_account *a = NULL;
	struct auth_credentials cred;
	bool parsed = false;
	if (!recv_args(c, args, 2, &err))
		goto done;
	parsed = auth_credentials_deserialize(args[1].data, args[1].len, &cred, &err);
	bool ok = parsed && open_account(setup, args[0].data, &a, NULL, &err) &&
		  store_account_credentials_set(a, args[1].data, args[1].len, &err);
	struct logger lg = {log_pkg("ctl"), 0};
	log_info(&lg, "account password set", LS("account", args[0].data),
		 LS("err", ok ? "" : err.msg));
	ok ? ctl_send_str(c, "ok", NULL) : ctl_send_error(c, err.msg, NULL);
done:
	if (parsed)
		auth_credentials_wipe(&cred);
	if (a)
		store_account_close(a);
	if (args[1].data)
		sodium_memzero(args[1].data, args[1].cap);
	free_args(args, 2);
}

/*
 * "accountrm", then a frame with the account, after it was removed from
 * domains.conf and the server reloaded. Removes the account's data: at once,
 * or when the last IMAP session of the account ends. Answers with a report,
 * then the status.
 */
static void cmd_accountrm(struct server_setup *setup, struct ctl_conn *c)
{
	struct buf name = BUF_INIT;
	struct error err = {0};
	if (!ctl_recv(c, &name, &err))
		goto done;
	buf_reserve(&name, 0);
	struct config_dynamic *d = config_dynamic_get(setup_config(setup));
	bool configured = cfg_account_find(d->d, name.data) != NULL;
	config_dynamic_put(d);
	bool deferred = false, ok;
	if (configured) {
		ok = error_set(&err, ERR_INVALID, "account %s is still configured", name.data);
	} else {
		if (setup_smtp_backend(setup))
			smtp_backend_forget_account(setup_smtp_backend(setup), name.data);
		ok = store_account_remove(setup_datadir(setup), name.data, &deferred, &err);
	}
	struct logger lg = {log_pkg("ctl"), 0};
	log_info(&lg, "account data removal", LS("account", name.data),
		 LS("deferred", deferred ? "yes" : "no"), LS("err", ok ? "" : err.msg));
	const char *report = !ok ? ""
			     : deferred
				 ? "account data will be removed when its last session ends\n"
				 : "";
	if (ctl_send_str(c, report, NULL))
		ok ? ctl_send_str(c, "ok", NULL) : ctl_send_error(c, err.msg, NULL);
done:
	buf_free(&name);
}

static const struct ctlcmd commands[] = {
    {"stop", cmd_stop},           {"loglevels", cmd_loglevels},
    {"reload", cmd_reload},       {"import", cmd_import},
    {"export", cmd_export},       {"backup", cmd_backup},
    {"maint", cmd_maint},         {"setaccountpassword", cmd_setaccountpassword},
    {"accountrm", cmd_accountrm},
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
