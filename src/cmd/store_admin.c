/*
 * Commands for the message store's data: verifydata.
 */
#include "cmd/cmd.h"
#include "cmd/flags.h"

#include "base/buf.h"
#include "store/verify.h"

#include <stdio.h>

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
};
const size_t cmd_store_admin_count = sizeof cmd_store_admin / sizeof cmd_store_admin[0];
