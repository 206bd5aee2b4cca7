/*
 * "tern backup [-verbose] DESTDIR": a consistent copy of the config and
 * data directories while the server runs (see store/backup.h). With a
 * server running, the server makes the copy (it can read everything in the
 * data directory); otherwise this command does.
 */
#include "cmd/cmd.h"

#include "base/buf.h"
#include "base/file.h"
#include "cmd/flags.h"
#include "cmd/storecmd.h"
#include "config/config.h"
#include "store/backup.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static bool backup_local(const struct cmd_env *env, const char *dest, bool verbose,
			 struct error *err)
{
	struct config_static *cs = config_static_load(env->config_path, err);
	if (!cs)
		return false;
	struct store_backup_options o = {
	    .config_dir = cs->dir, .data_dir = cs->datadir, .dest = dest, .verbose = verbose};
	struct buf out = BUF_INIT;
	bool ok = store_backup(&o, &out, NULL, err);
	fputs(buf_cstr(&out), stdout);
	buf_free(&out);
	config_static_free(cs);
	return ok;
}

/* The server runs elsewhere (its own working directory): it needs an absolute path. */
static char *absolute(const char *path)
{
	if (path[0] == '/')
		return path_join("", path);
	char *cwd = getcwd(NULL, 0);
	char *abs = path_join(cwd ? cwd : "/", path);
	free(cwd);
	return abs;
}

static int run_backup(const struct cmd_env *env, int argc, char **argv)
{
	bool verbose = false;
	struct flagset fs = {0};
	flags_bool(&fs, "verbose", &verbose, "print progress");
	struct error err = {0};
	int first = flags_parse(&fs, argc, argv, &err);
	if (first < 0 || argc - first != 1) {
		if (first < 0)
			fprintf(stderr, "tern: %s\n", err.msg);
		fprintf(stderr, "usage: tern backup [-verbose] $destdir\n");
		flags_print(&fs, stderr);
		return 2;
	}
	char *dest = absolute(argv[first]);
	struct ctl_conn c;
	bool running;
	bool ok = storecmd_dial(env, "backup", &c, &running, &err);
	if (ok && running) {
		const char *args[] = {dest, verbose ? "verbose" : ""};
		ok = storecmd_send_args(&c, args, 2, &err) && storecmd_recv_report(&c, &err);
		ctl_close(&c);
	} else if (ok) {
		ok = backup_local(env, dest, verbose, &err);
	}
	free(dest);
	if (!ok)
		return cmd_fail("backup: %s", err.msg);
	return 0;
}

const struct command cmd_backup[] = {
    {"backup", "[-verbose] $destdir",
     "Create a backup of the config and data directories.\n\n"
     "The config directory is copied to $destdir/config. $destdir/data gets a\n"
     "consistent snapshot of the data directory: each account's index database is\n"
     "copied with SQLite's online backup (one committed state, taken while deliveries\n"
     "go on), and exactly the message files that snapshot references are hard-linked\n"
     "(they never change, so a link costs no space) or copied when linking fails, as\n"
     "across file systems. A destination inside the data directory, such as\n"
     "data/tmp/backup, makes hard links likely. Other files are copied; files tern\n"
     "does not know are copied with a warning. Empty directories are not copied, and\n"
     "existing files in $destdir are never overwritten: remove an earlier backup\n"
     "first.\n\n"
     "When tern serve runs, the server makes the backup; otherwise this command does.\n"
     "A clean backup prints nothing (warnings aside) and exits 0; -verbose prints\n"
     "progress. If a message was expunged between the snapshot and its link, the\n"
     "backup is incomplete: it exits 1 and should be made again.\n\n"
     "To restore, stop tern, move the data directory away and put the backed up one\n"
     "in its place, run \"tern verifydata\" on it (with -fix if it reports files to\n"
     "move away), and start tern. Running \"tern verifydata $destdir/data\" with a new\n"
     "tern binary before an upgrade tells whether the upgrade will go well.\n\n"
     "  -verbose\n"
     "    \tprint progress",
     run_backup},
};
const size_t cmd_backup_count = sizeof cmd_backup / sizeof cmd_backup[0];
