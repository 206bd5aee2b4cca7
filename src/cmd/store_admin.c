/*
 * Commands for the message store's data: verifydata, and the repairs
 * (recalculatemailboxcounts, bumpuidvalidity, reassignuids, fixuidmeta,
 * fixmsgsize, reparse, ensureparsed, reassignthreads; store/maint.h). A
 * repair runs in the server when one runs (over ctl, on the account it has
 * open), else on the account opened here.
 */
#include "cmd/cmd.h"
#include "cmd/flags.h"

#include "base/buf.h"
#include "base/mem.h"
#include "cmd/storecmd.h"
#include "config/config.h"
#include "config/dynamic.h"
#include "store/account.h"
#include "store/maint.h"
#include "store/verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int run_verifydata(const struct cmd_env *env, int argc, char **argv)
{
	(void)env;
	bool fix = false, skip_sizes = false;
	struct flagset fs = {0};
	flags_bool(&fs, "fix", &fix,
		   "fix fixable problems, such as moving away message files not referenced by "
		   "their database");
	flags_bool(&fs, "skip-size-check", &skip_sizes, "skip the check for message size");
	struct error err = {0};
	int first = flags_parse(&fs, argc, argv, &err);
	if (first < 0 || argc - first != 1) {
		if (first < 0)
			fprintf(stderr, "tern: %s\n", err.msg);
		fprintf(stderr, "usage: tern verifydata [-fix] [-skip-size-check] $datadir\n");
		flags_print(&fs, stderr);
		return 2;
	}
	struct store_verify_options o = {.fix = fix, .skip_sizes = skip_sizes};
	struct buf out = BUF_INIT;
	size_t problems;
	bool ok = store_verify_datadir(argv[first], &o, &out, &problems, &err);
	fputs(buf_cstr(&out), stdout);
	buf_free(&out);
	if (!ok)
		return cmd_fail("verifydata: %s", err.msg);
	if (problems > 0)
		return cmd_fail("verifydata: %zu problem%s found%s", problems,
				problems == 1 ? "" : "s", fix ? " (fixable ones fixed)" : "");
	printf("%s: no problems found\n", argv[first]);
	return 0;
}

/* --- repairs --- */

static bool maint_remote(const struct cmd_env *env, const char *op, const char *account,
			 const char *arg, bool *running, struct error *err)
{
	struct ctl_conn c;
	if (!storecmd_dial(env, "maint", &c, running, err))
		return false;
	if (!*running)
		return true;
	const char *args[] = {op, account, arg};
	bool ok = storecmd_send_args(&c, args, 3, err) && storecmd_recv_report(&c, err);
	ctl_close(&c);
	return ok;
}

static bool maint_local(const struct cmd_env *env, const char *op, const char *account,
			const char *arg, struct error *err)
{
	struct config *cfg;
	struct store_account *a;
	if (!storecmd_open_local(env, account, &cfg, &a, NULL, err))
		return false;
	struct buf out = BUF_INIT;
	bool ok = store_maint_command(a, op, arg, &out, err);
	fputs(buf_cstr(&out), stdout);
	buf_free(&out);
	storecmd_close_local(cfg, a);
	return ok;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The accounts of domains.conf, sorted (heap array of heap strings). */
static char **all_accounts(const struct cmd_env *env, size_t *n, struct error *err)
{
	struct config *c = config_load(env->config_path, err);
	if (!c)
		return NULL;
	struct config_dynamic *cd = config_dynamic_get(c);
	*n = cd->d->accounts.n;
	char **names = xcalloc(*n ? *n : 1, sizeof *names);
	for (size_t i = 0; i < *n; i++)
		names[i] = xstrdup(cd->d->accounts.keys[i]);
	qsort(names, *n, sizeof *names, cmp_str);
	config_dynamic_put(cd);
	config_free(c);
	return names;
}

static bool maint_one(const struct cmd_env *env, const char *op, const char *account,
		      const char *arg, struct error *err)
{
	bool running = false;
	if (!maint_remote(env, op, account, arg, &running, err))
		return false;
	return running || maint_local(env, op, account, arg, err);
}

/* Runs op on the account, or (account NULL) on every account, printing "account X:" first. */
static int maint_run(const struct cmd_env *env, const char *op, const char *account,
		     const char *arg)
{
	struct error err = {0};
	if (account) {
		if (!maint_one(env, op, account, arg, &err))
			return cmd_fail("%s: %s", op, err.msg);
		return 0;
	}
	size_t n;
	char **names = all_accounts(env, &n, &err);
	if (!names)
		return cmd_fail("%s: %s", op, err.msg);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		printf("account %s:\n", names[i]);
		fflush(stdout);
		if (!maint_one(env, op, names[i], arg, &err))
			rc = cmd_fail("%s: account %s: %s", op, names[i], err.msg);
		free(names[i]);
	}
	free(names);
	return rc;
}

static int run_recalculatemailboxcounts(const struct cmd_env *env, int argc, char **argv)
{
	if (argc != 1)
		return cmd_usage(&cmd_store_admin[1]);
	return maint_run(env, "recalculatemailboxcounts", argv[0], "");
}

static int run_bumpuidvalidity(const struct cmd_env *env, int argc, char **argv)
{
	if (argc < 1 || argc > 2)
		return cmd_usage(&cmd_store_admin[2]);
	return maint_run(env, "bumpuidvalidity", argv[0], argc == 2 ? argv[1] : "");
}

static int run_reassignuids(const struct cmd_env *env, int argc, char **argv)
{
	if (argc < 1 || argc > 2)
		return cmd_usage(&cmd_store_admin[3]);
	return maint_run(env, "reassignuids", argv[0], argc == 2 ? argv[1] : "");
}

static int run_fixuidmeta(const struct cmd_env *env, int argc, char **argv)
{
	if (argc != 1)
		return cmd_usage(&cmd_store_admin[4]);
	return maint_run(env, "fixuidmeta", argv[0], "");
}

static int run_fixmsgsize(const struct cmd_env *env, int argc, char **argv)
{
	if (argc > 1)
		return cmd_usage(&cmd_store_admin[5]);
	return maint_run(env, "fixmsgsize", argc ? argv[0] : NULL, "");
}

static int run_reparse(const struct cmd_env *env, int argc, char **argv)
{
	if (argc > 1)
		return cmd_usage(&cmd_store_admin[6]);
	return maint_run(env, "reparse", argc ? argv[0] : NULL, "");
}

static int run_ensureparsed(const struct cmd_env *env, int argc, char **argv)
{
	bool all = false;
	struct flagset fs = {0};
	flags_bool(&fs, "all", &all, "store a new parse for all messages");
	struct error err = {0};
	int first = flags_parse(&fs, argc, argv, &err);
	if (first < 0 || argc - first != 1) {
		if (first < 0)
			fprintf(stderr, "tern: %s\n", err.msg);
		fprintf(stderr, "usage: tern ensureparsed [-all] $account\n");
		flags_print(&fs, stderr);
		return 2;
	}
	return maint_run(env, "ensureparsed", argv[first], all ? "all" : "");
}

static int run_reassignthreads(const struct cmd_env *env, int argc, char **argv)
{
	if (argc > 1)
		return cmd_usage(&cmd_store_admin[8]);
	return maint_run(env, "reassignthreads", argc ? argv[0] : NULL, "");
}

#define MAINT_WHERE                                                                                \
	"When tern serve runs, the server does the work on the account it has open (IMAP\n"        \
	"sessions and deliveries go on); otherwise the account is opened directly."

const struct command cmd_store_admin[] = {
    {"verifydata", "[-fix] [-skip-size-check] $datadir",
     "Verify the contents of a data directory, typically of a backup.\n\n"
     "Verifydata checks every account's index database (SQLite integrity) and its\n"
     "consistency: mailbox counts, UIDs, UIDNEXT, UIDVALIDITY and MODSEQs recomputed\n"
     "from scratch, every message in the index with its on-disk file of the right\n"
     "size, and no unrecognized files. If option -fix is specified, message files not\n"
     "referenced by the index are moved to $datadir/moved/ and leftover temporary\n"
     "files are removed. This may be needed after a restore, because messages\n"
     "delivered later could otherwise meet those files.\n\n"
     "Verifydata opens the accounts and takes their locks: run it on a copy (a\n"
     "backup) or while tern is stopped.\n\n"
     "  -fix\n"
     "    \tfix fixable problems, such as moving away message files not referenced by "
     "their database\n"
     "  -skip-size-check\n"
     "    \tskip the check for message size",
     run_verifydata},
    {"recalculatemailboxcounts", "$account",
     "Recalculate the message counts of all mailboxes of an account, and its total size.\n\n"
     "Each mailbox keeps counts of its messages (total, deleted, unread, unseen) and\n"
     "their size, and the account keeps the size of all its messages for the quota,\n"
     "all updated with every change. Should a bug ever make them wrong, this command\n"
     "counts again from the messages themselves, fixes what differs and prints each\n"
     "fix.\n\n" MAINT_WHERE,
     run_recalculatemailboxcounts},
    {"bumpuidvalidity", "$account [$mailbox]",
     "Give a mailbox, or every mailbox of an account, a new IMAP UIDVALIDITY.\n\n"
     "IMAP clients then forget what they know of the mailbox and fetch it again.\n"
     "Useful after repairing an account by hand, or after restoring a backup in which\n"
     "mailboxes changed.\n\n" MAINT_WHERE,
     run_bumpuidvalidity},
    {"reassignuids", "$account [$mailboxid]",
     "Number the messages of a mailbox (by its id), or of every mailbox, 1 to n again.\n\n"
     "The order of the UIDs stays; the mailbox gets a new UIDVALIDITY, so IMAP clients\n"
     "fetch it again, and UIDNEXT follows the last message.\n\n" MAINT_WHERE,
     run_reassignuids},
    {"fixuidmeta", "$account",
     "Fix UIDNEXT of mailboxes and the account's next UIDVALIDITY where inconsistent.\n\n"
     "UIDNEXT of a mailbox must be above every UID it used; the account's next\n"
     "UIDVALIDITY must be above the UIDVALIDITY of every mailbox. Values that are not\n"
     "are raised, and printed.\n\n" MAINT_WHERE,
     run_fixuidmeta},
    {"fixmsgsize", "[$account]",
     "Make the message sizes in the index match the message files.\n\n"
     "A message whose file has another size than the index says gets the file's size,\n"
     "is parsed again, and the counts and quota size are recalculated. Consider\n"
     "\"tern bumpuidvalidity\" afterwards so IMAP clients fetch the messages again.\n"
     "Without an account, every account is fixed.\n\n" MAINT_WHERE,
     run_fixmsgsize},
    {"reparse", "[$account]",
     "Parse all messages of an account, or of every account, again.\n\n"
     "Useful after an upgrade that parses messages better. Messages are parsed in\n"
     "batches of 256, each stored in its own transaction, so deliveries and IMAP\n"
     "sessions are not held up.\n\n" MAINT_WHERE,
     run_reparse},
    {"ensureparsed", "[-all] $account",
     "Parse the messages of an account that have no stored parse.\n\n"
     "With -all, every message is parsed again.\n\n" MAINT_WHERE "\n\n"
     "  -all\n"
     "    \tstore a new parse for all messages",
     run_ensureparsed},
    {"reassignthreads", "[$account]",
     "Assign the threads of all messages of an account, or of every account, again.\n\n"
     "All threads are first reset and the normalized Message-ID and base subject of\n"
     "each message stored again; then each message, in the order of delivery, is\n"
     "linked to its parent and ancestors as at delivery: by the References header,\n"
     "else by In-Reply-To, and only to messages with the same base subject (lower\n"
     "case, white space collapsed, \"Re:\", \"Fwd:\", list tags, \"(fwd)\" and \"[fwd:\n"
     "...]\" removed); a reply without such headers joins the latest message with\n"
     "its base subject in the same mailbox within four weeks. A message whose direct\n"
     "parent is not there is marked as having a missing link.\n\n" MAINT_WHERE,
     run_reassignthreads},
};
const size_t cmd_store_admin_count = sizeof cmd_store_admin / sizeof cmd_store_admin[0];
