/*
 * store/maint: repairs and upkeep of an account, for the commands mox has
 * for them (recalculatemailboxcounts, bumpuidvalidity, reassignuids,
 * fixuidmeta, fixmsgsize, reparse, ensureparsed, reassignthreads).
 *
 * Each function works on an open account handle, so it runs in the process
 * that has the account open (the server, through ctl, or the command itself
 * when no server runs), beside deliveries and IMAP sessions: changes go
 * through the write lock and are published like every other change. What
 * each function changed is appended to out, one line each ("mailbox Inbox:
 * unseen 3 -> 2"); nothing is appended when there was nothing to change.
 *
 * UIDVALIDITY changes (bumpuidvalidity, reassignuids) have no change
 * notification: an IMAP session that has the mailbox selected must end it
 * (RFC 9051 2.3.1.1); until IMAP exists this is the caller's note to keep.
 * Reparsing runs in batches of STORE_MAINT_BATCH files, each its own
 * transaction, so other writers are never held up for long; reassigning
 * threads is one transaction (a half-threaded account would be
 * inconsistent).
 *
 * Thread-safe (each call is one operation on a shared account handle).
 */
#ifndef TERN_STORE_MAINT_H
#define TERN_STORE_MAINT_H

#include "base/buf.h"
#include "base/error.h"

#include <stdbool.h>
#include <stdint.h>

struct store_account;

#define STORE_MAINT_BATCH 256

/* Recomputes every mailbox's counts and the account's total size; fixes and reports differences. */
bool store_recalculate_counts(struct store_account *a, struct buf *out, struct error *err);

/* Gives the mailbox (NULL: every mailbox) a new UIDVALIDITY from the account's counter. */
bool store_bump_uidvalidity(struct store_account *a, const char *mailbox, struct buf *out,
			    struct error *err);

/*
 * Renumbers the messages of a mailbox (0: every mailbox) 1..n in UID order,
 * with a new UIDVALIDITY; the expunge history of the old UIDs is dropped.
 */
bool store_reassign_uids(struct store_account *a, int64_t mailbox_id, struct buf *out,
			 struct error *err);

/* Raises UIDNEXT above every used UID and the account's next UIDVALIDITY above every mailbox's. */
bool store_fix_uidmeta(struct store_account *a, struct buf *out, struct error *err);

/*
 * Compares each message file's size with the index; on a difference the
 * index takes the file's size, the message is parsed again and the counts
 * are recalculated.
 */
bool store_fix_msgsize(struct store_account *a, struct buf *out, struct error *err);

/*
 * Parses message files again (only_unparsed: only those never parsed) and
 * stores the new parse with the Message-ID, base subject and sender taken
 * from it. *count (optional) gets the number of files parsed.
 */
bool store_reparse(struct store_account *a, bool only_unparsed, struct buf *out, size_t *count,
		   struct error *err);

/* Resets every thread and assigns them again in delivery order (as at delivery, thread.c). */
bool store_reassign_threads(struct store_account *a, struct buf *out, size_t *count,
			    struct error *err);

/*
 * Runs one operation by its command's name (recalculatemailboxcounts,
 * bumpuidvalidity [MAILBOX], reassignuids [MAILBOXID], fixuidmeta,
 * fixmsgsize, reparse, ensureparsed ["all"], reassignthreads) with its
 * argument ("" when none): one entry point for the commands and the ctl
 * protocol. ERR_INVALID for an unknown name or a bad argument.
 */
bool store_maint_command(struct store_account *a, const char *op, const char *arg, struct buf *out,
			 struct error *err);

#endif
