/*
 * Commands that run the server or talk to a running one: serve, stop,
 * loglevels, localserve.
 */
#include "cmd/cmd.h"

#include "base/buf.h"
#include "base/file.h"
#include "base/mem.h"
#include "cmd/ctlclient.h"
#include "cmd/flags.h"
#include "cmd/localserve.h"
#include "server/server.h"

#include <stdio.h>
#include <string.h>

static int run_serve(const struct cmd_env *env, int argc, char **argv)
{
	(void)argv;
	if (argc != 0) {
		fprintf(stderr, "usage: tern serve\n");
		return 2;
	}
	return server_main(env->config_path);
}

static int run_stop(const struct cmd_env *env, int argc, char **argv)
{
	(void)argv;
	if (argc != 0) {
		fprintf(stderr, "usage: tern stop\n");
		return 2;
	}
	struct ctl_conn c;
	struct error err = {0};
	if (!ctlclient_dial(env, "stop", &c, &err))
		return cmd_fail("%s", err.msg);
	bool ok = ctl_recv_status(&c, &err);
	ctl_close(&c);
	if (!ok)
		return cmd_fail("stop: %s", err.msg);
	return 0;
}

static int run_loglevels(const struct cmd_env *env, int argc, char **argv)
{
	if (argc > 2) {
		fprintf(stderr, "usage: tern loglevels [$level [$pkg]]\n");
		return 2;
	}
	/* The server reads "" (list), "LEVEL" (default), "LEVEL PKG" (package; empty LEVEL clears).
	 */
	struct buf arg = BUF_INIT;
	if (argc >= 1)
		buf_puts(&arg, argv[0]);
	if (argc == 2)
		buf_printf(&arg, " %s", argv[1]);
	struct ctl_conn c;
	struct error err = {0};
	bool ok =
	    ctlclient_dial(env, "loglevels", &c, &err) && ctl_send_str(&c, buf_cstr(&arg), &err);
	buf_free(&arg);
	if (!ok)
		return cmd_fail("%s", err.msg);
	struct buf out = BUF_INIT;
	if (argc == 0) {
		ok = ctl_recv(&c, &out, &err);
		if (ok)
			fwrite(buf_cstr(&out), 1, out.len, stdout);
	}
	ok = ok && ctl_recv_status(&c, &err);
	buf_free(&out);
	ctl_close(&c);
	if (!ok)
		return cmd_fail("loglevels: %s", err.msg);
	return 0;
}

const struct command cmd_serve[] = {
    {"serve", "",
     "Starts tern: the configured listeners, the background work, and the control\n"
     "socket that other commands use to talk to the running server.\n\n"
     "tern binds all listening sockets as root, then switches to the configured User\n"
     "before it starts any thread. It writes its process id to tern.pid in the data\n"
     "directory. SIGTERM, SIGINT and \"tern stop\" shut it down: listeners close, open\n"
     "connections are asked to finish and get at most 3 seconds. domains.conf is\n"
     "reloaded when it changes (a broken new version is refused and logged); SIGHUP\n"
     "reloads it and the TLS certificates at once.",
     run_serve},
    {"stop", "",
     "Shuts the running tern down, giving connections at most 3 seconds to finish.\n\n"
     "New connections are refused from the moment shutdown begins. SMTP and IMAP\n"
     "sessions are told the server is going away (SMTP 421, IMAP BYE) at their next\n"
     "command. The command returns when the server has finished serving.",
     run_stop},
    {"loglevels", "[$level [$pkg]]",
     "Prints the log levels of the running server, or sets the default level, or the\n"
     "level of one package.\n\n"
     "One level applies to all logging unless a package has a level of its own.\n"
     "Packages include serve, ctl, config, smtpserver, imapserver, queue, tls and\n"
     "net. Give an empty level (\"\") with a package to remove its own level.\n\n"
     "Levels: error, info, debug, trace, traceauth, tracedata. Trace logs protocol\n"
     "transcripts without secrets, traceauth adds authentication data and tracedata\n"
     "adds message contents. The change lasts until the server restarts; the\n"
     "configured LogLevel and PackageLogLevels apply again after that.",
     run_loglevels},
    {"localserve", "[-dir dir] [-initonly] [-ip ip]",
     "Runs tern for local testing and development, on the usual ports plus 1000.\n\n"
     "On first start, the directory (default: $XDG_CONFIG_HOME/tern-localserve, or\n"
     "~/.config/tern-localserve) is created with tern.conf, domains.conf, a\n"
     "self-signed certificate for localhost and an account \"tern\" with address\n"
     "tern@localhost. Later starts use what is there. Listeners: SMTP 1025,\n"
     "submission 1587 (plain text allowed) and 1465 (TLS), IMAP 1143 (plain text\n"
     "allowed) and 1993 (TLS), HTTP 1080 and HTTPS 1443, metrics 1081.\n\n"
     "Flags:\n"
     "  -dir string\n"
     "\tconfiguration and data directory\n"
     "  -initonly\n"
     "\twrite the configuration files and exit\n"
     "  -ip string\n"
     "\tserve on this IP instead of 127.0.0.1 and ::1 (only when writing a new\n"
     "\tconfiguration)",
     cmd_localserve_run},
};
const size_t cmd_serve_count = sizeof cmd_serve / sizeof cmd_serve[0];
