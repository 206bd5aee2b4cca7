/*
 * "tern export mbox|maildir [-single] DSTDIR ACCOUNT [MAILBOX]": mailboxes
 * as mbox files or Maildirs under DSTDIR. With a server running, the server
 * reads the messages and streams them over the ctl socket; this command
 * writes the files, so they belong to whoever runs it (see storecmd.h).
 */
#include "cmd/cmd.h"

#include "base/arena.h"
#include "base/buf.h"
#include "cmd/flags.h"
#include "cmd/storecmd.h"
#include "store/deliver.h"
#include "store/export.h"

#include <stdio.h>
#include <string.h>

/* Receives one message's bytes (frames until size bytes arrived). */
static bool recv_bytes(struct ctl_conn *c, size_t size, struct buf *data, struct error *err)
{
	struct buf chunk = BUF_INIT;
	buf_reset(data);
	bool ok = true;
	while (ok && data->len < size) {
		ok = ctl_recv(c, &chunk, err);
		if (ok && (chunk.len == 0 || data->len + chunk.len > size))
			ok = error_set(err, ERR_INVALID, "export: message data does not add up");
		if (ok)
			buf_append(data, chunk.data, chunk.len);
	}
	buf_free(&chunk);
	return ok;
}

/* Handles the server's stream until "end N"; returns false with err on any error. */
static bool recv_stream(struct ctl_conn *c, const struct store_export_sink *sink, size_t *count,
			struct error *err)
{
	struct buf line = BUF_INIT, data = BUF_INIT;
	struct arena ar;
	arena_init(&ar, 4096);
	bool ok = true;
	for (;;) {
		if (!(ok = ctl_recv(c, &line, err)))
			break;
		const char *s = buf_cstr(&line);
		unsigned long long n;
		struct store_export_msg m;
		size_t size;
		struct arena_mark mark = arena_mark(&ar);
		if (strncmp(s, "mailbox ", 8) == 0) {
			ok = sink->mailbox(sink->arg, s + 8, err);
		} else if (strncmp(s, "message ", 8) == 0) {
			ok = store_export_meta_parse(s, &ar, &m, &size, err) &&
			     recv_bytes(c, size, &data, err);
			m.data = data.data ? data.data : "";
			m.len = data.len;
			ok = ok && sink->message(sink->arg, &m, err);
		} else if (sscanf(s, "end %llu", &n) == 1) {
			*count = (size_t)n;
			break;
		} else {
			ok =
			    error_set(err, ERR_INVALID, "%s", strncmp(s, "error: ", 7) ? s : s + 7);
		}
		arena_rewind(&ar, mark);
		if (!ok)
			break;
	}
	buf_free(&line);
	buf_free(&data);
	arena_free(&ar);
	return ok && ctl_recv_status(c, err);
}

static bool export_remote(struct ctl_conn *c, const char *account, const char *mailbox, bool single,
			  const struct store_export_sink *sink, size_t *count, struct error *err)
{
	const char *args[] = {account, mailbox ? mailbox : "", single ? "single" : ""};
	return storecmd_send_args(c, args, 3, err) && ctl_recv_status(c, err) &&
	       recv_stream(c, sink, count, err);
}

static bool export_local(const struct cmd_env *env, const char *account, const char *mailbox,
			 bool single, const struct store_export_sink *sink, size_t *count,
			 struct error *err)
{
	struct config *cfg;
	struct store_account *a;
	if (!storecmd_open_local(env, account, &cfg, &a, NULL, err))
		return false;
	bool ok = store_export_walk(a, mailbox, single, sink, count, err);
	storecmd_close_local(cfg, a);
	return ok;
}

/* mox takes the account's directory (DATADIR/accounts/NAME); tern takes that or the name. */
static const char *account_name(const char *arg)
{
	size_t n = strlen(arg);
	if (n == 0 || arg[n - 1] == '/')
		return NULL; /* a trailing slash: refuse rather than guess */
	const char *slash = strrchr(arg, '/');
	return slash ? slash + 1 : arg;
}

static int run_export(const struct cmd_env *env, int argc, char **argv, bool maildir)
{
	const char *what = maildir ? "maildir" : "mbox";
	bool single = false;
	struct flagset fs = {0};
	flags_bool(&fs, "single", &single,
		   "export only the named mailbox, not its children; needs a mailbox");
	struct error err = {0};
	int first = flags_parse(&fs, argc, argv, &err);
	int nargs = argc - first;
	if (first < 0 || nargs < 2 || nargs > 3) {
		if (first < 0)
			fprintf(stderr, "tern: %s\n", err.msg);
		fprintf(stderr, "usage: tern export %s [-single] $dstdir $account [$mailbox]\n",
			what);
		flags_print(&fs, stderr);
		return 2;
	}
	const char *dst = argv[first], *account = account_name(argv[first + 1]);
	const char *mailbox = nargs == 3 ? argv[first + 2] : NULL;
	if (!account)
		return cmd_fail("export: bad account %s", argv[first + 1]);
	struct store_export_writer *w;
	if (!store_export_writer_open(dst, maildir ? STORE_EXPORT_MAILDIR : STORE_EXPORT_MBOX, &w,
				      &err))
		return cmd_fail("export: %s", err.msg);
	struct store_export_sink sink;
	store_export_writer_sink(w, &sink);
	struct ctl_conn c;
	bool running;
	size_t count = 0, dropped = 0;
	bool ok = storecmd_dial(env, "export", &c, &running, &err);
	if (ok && running) {
		ok = export_remote(&c, account, mailbox, single && mailbox, &sink, &count, &err);
		ctl_close(&c);
	} else if (ok) {
		ok = export_local(env, account, mailbox, single && mailbox, &sink, &count, &err);
	}
	struct error cerr;
	if (!store_export_writer_close(w, &dropped, &cerr) && ok) {
		err = cerr;
		ok = false;
	}
	if (!ok)
		return cmd_fail("export: %s", err.msg);
	if (dropped > 0)
		fprintf(stderr,
			"tern: export: %zu keywords not written: a Maildir names at most 26 "
			"per mailbox\n",
			dropped);
	printf("exported %zu messages to %s\n", count, dst);
	return 0;
}

static int run_export_mbox(const struct cmd_env *env, int argc, char **argv)
{
	return run_export(env, argc, argv, false);
}

static int run_export_maildir(const struct cmd_env *env, int argc, char **argv)
{
	return run_export(env, argc, argv, true);
}

#define EXPORT_COMMON_HELP                                                                         \
	"Without a mailbox, every mailbox of the account is exported; with one, that\n"            \
	"mailbox and its children, or with -single only that mailbox. $account is the\n"           \
	"account's name or, as with mox, its directory (the last path element is used).\n"         \
	"Messages are ordered by internal date. Lines end in LF, as mail files do.\n\n"            \
	"When tern serve runs, the server reads the messages and sends them over its\n"            \
	"control socket; otherwise the account is opened directly. Files are written by\n"         \
	"this command. Existing files are never overwritten: the export stops with an\n"           \
	"error instead.\n\n"                                                                       \
	"  -single\n"                                                                              \
	"    \texport only the named mailbox, not its children; needs a mailbox"

const struct command cmd_export[] = {
    {"export maildir", "[-single] $dstdir $account [$mailbox]",
     "Export mailboxes of an account as Maildirs.\n\n"
     "Each mailbox becomes $dstdir/NAME/ with cur/, new/ and tmp/ (a \"/\" in a mailbox\n"
     "name makes a subdirectory). Flags are in the file names (D F R S T); keywords\n"
     "and the flags $Forwarded, $Junk, $NotJunk, $Phishing and $MDNSent get the\n"
     "letters a-z, listed in a dovecot-keywords file. Seen messages go to cur/, others\n"
     "to new/; each file's modification time is the internal date.\n\n" EXPORT_COMMON_HELP,
     run_export_maildir},
    {"export mbox", "[-single] $dstdir $account [$mailbox]",
     "Export mailboxes of an account as mbox files.\n\n"
     "Each mailbox becomes $dstdir/NAME.mbox in mboxrd form: every line of a message\n"
     "that starts with \"From \" after any number of \">\" gets one more \">\", so readers\n"
     "that undo mboxrd quoting get the message back exactly. The \"From \" line carries\n"
     "the internal date; flags and keywords are written as Status, X-Status and\n"
     "X-Keywords headers (replacing such headers in the message). Maildir is the\n"
     "better defined format.\n\n" EXPORT_COMMON_HELP,
     run_export_mbox},
};
const size_t cmd_export_count = sizeof cmd_export / sizeof cmd_export[0];
