/*
 * store/verify: checking a whole data directory (tern verifydata), typically
 * a backup or a directory about to be used by a new tern.
 *
 * For every account under DATADIR/accounts: the index's SQLite integrity
 * (quick_check), the consistency check of account.h (counts, MODSEQs, UIDs,
 * UIDVALIDITY, every indexed message file present with its size), and every
 * file in msg/ and tmp/: message files the index does not know, files whose
 * names are not message ids, leftover temporary files. With fix, unknown
 * message files are moved to DATADIR/moved/accounts/NAME/msg/... (as mox
 * does; a file left by an interrupted delivery is never deleted without a
 * trace) and temporary files are removed.
 *
 * Opening an account takes its lock: a directory in use by a running server
 * is reported as such. Problems are appended to out one per line, prefixed
 * with the account name.
 */
#ifndef TERN_STORE_VERIFY_H
#define TERN_STORE_VERIFY_H

#include "base/buf.h"
#include "base/error.h"

#include <stdbool.h>
#include <stddef.h>

struct store_verify_options {
	bool fix;        /* move unknown message files away, remove temporary files */
	bool skip_sizes; /* do not compare file sizes with the index */
};

/*
 * Returns false only when the directory could not be examined at all; *problems
 * counts what was found (fixed problems included, reported as fixed).
 */
bool store_verify_datadir(const char *data_dir, const struct store_verify_options *o,
			  struct buf *out, size_t *problems, struct error *err);

#endif
