/*
 * store/backup: a consistent copy of the config and data directories
 * (tern backup), taken while the server runs and delivers.
 *
 * DEST/config gets a copy of every file of the config directory. DEST/data
 * gets the data directory:
 *   - every account's index.db as an SQLite online backup taken in one read
 *     transaction (a snapshot of one committed state; writers go on), then
 *     exactly the message files that snapshot references, hard-linked
 *     (message files never change) or copied when linking fails (another
 *     file system). A referenced file that is gone was expunged after the
 *     snapshot: the backup is then incomplete and reported as failed, as
 *     mox does; run it again. Message files newer than the snapshot are
 *     skipped; other files in msg/ are copied with a warning; tmp/, the
 *     lock file and the WAL files are skipped.
 *   - any other SQLite database (a file ending in ".db") the same way,
 *     without its -wal/-shm/-journal files;
 *   - the ctl socket, the pid file, tmp/ and other non-regular files are
 *     skipped; any other file is copied with a warning that it is not one
 *     tern knows.
 * Empty directories are not copied. Nothing is overwritten: an existing
 * destination file is an error. No account lock is taken, so a backup never
 * stops deliveries; it only reads.
 *
 * Warnings and (with verbose) progress go to out, one line each. Used by
 * one thread.
 */
#ifndef TERN_STORE_BACKUP_H
#define TERN_STORE_BACKUP_H

#include "base/buf.h"
#include "base/error.h"

#include <stdbool.h>
#include <stddef.h>

/* Directory depth walked below the data and config directories. */
#define STORE_BACKUP_DEPTH_MAX 16

struct store_backup_options {
	const char *config_dir;
	const char *data_dir;
	const char *dest;
	bool verbose;
};

/*
 * Returns false when the backup is incomplete (err says the first problem;
 * out has all of them); *warnings counts the warning lines.
 */
bool store_backup(const struct store_backup_options *o, struct buf *out, size_t *warnings,
		  struct error *err);

#endif
