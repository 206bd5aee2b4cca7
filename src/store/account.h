/*
 * store/account: opening accounts, their totals, credentials and the
 * consistency check.
 *
 * An account lives in DATADIR/accounts/NAME/: index.db (SQLite, WAL) with
 * mailboxes, message metadata, expunge history, subscriptions and
 * credentials; msg/ with one immutable file per stored message, spread over
 * subdirectories of at most 4096 files each; tmp/ for files being
 * received. The account is created on first open with Inbox and the initial
 * mailboxes the caller passes (from the static config's InitialMailboxes or
 * DefaultMailboxes; mox's defaults when none are given).
 *
 * store_account_open returns a reference-counted handle: all threads of the
 * process that open the same account of the same data directory share one
 * handle (one registry per data directory), and the index is closed when the
 * last reference goes. A process holds an exclusive lock on the account while
 * it is open, so two processes can never write one account; a second process
 * gets ERR_TEMPORARY. Opening removes what an interrupted delivery left
 * behind (temporary files, message files the index does not know).
 *
 * Every function taking a struct store_account is thread-safe. Results that
 * hold strings are allocated in the arena the caller passes.
 */
#ifndef TERN_STORE_ACCOUNT_H
#define TERN_STORE_ACCOUNT_H

#include "base/arena.h"
#include "base/buf.h"
#include "base/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg_static;
struct store_account;

/* Longest account name accepted as a directory name. */
#define STORE_ACCOUNT_NAME_MAX 255
/* Largest credentials blob. */
#define STORE_CREDENTIALS_MAX (64 * 1024)

/* A mailbox to create with a new account; specialuse is STORE_SPECIALUSE_* bits. */
struct store_initial_mailbox {
	const char *name;
	uint32_t specialuse;
};

struct store_account_options {
	const char *data_dir; /* the static config's DataDir */
	const char *name;     /* account name from domains.conf */
	/* Mailboxes for a new account besides Inbox; NULL means mox's defaults. */
	const struct store_initial_mailbox *initial;
	size_t ninitial;
	/* Fail with ERR_NOTFOUND instead of creating a missing account. */
	bool no_create;
	/* Do not remove leftover files while opening (verifydata reports them instead). */
	bool no_cleanup;
};

/* Refuses names that are not a single safe directory name (defence in depth). */
bool store_account_name_valid(const char *name, struct error *err);

bool store_account_open(const struct store_account_options *o, struct store_account **out,
			struct error *err);
/* Adds a reference; each reference is released with store_account_close. */
struct store_account *store_account_ref(struct store_account *a);
void store_account_close(struct store_account *a);

/*
 * Removes the account's data directory (messages, index, everything), as
 * "config account rm" does after taking the account out of domains.conf.
 * When this process has the account open, the removal happens when the
 * last reference is closed and opening it again fails with ERR_TEMPORARY
 * until then; *deferred tells which. When another process has it open, fails
 * with ERR_TEMPORARY (that process must do the removal). An account without
 * data is not an error.
 */
bool store_account_remove(const char *data_dir, const char *name, bool *deferred,
			  struct error *err);

const char *store_account_name(const struct store_account *a);
/* DATADIR/accounts/NAME */
const char *store_account_dir(const struct store_account *a);

struct store_account_info {
	int64_t size;      /* bytes of all messages: what the quota limits */
	int64_t messages;  /* messages in all mailboxes */
	int64_t mailboxes; /* number of mailboxes */
	uint64_t modseq;   /* the account's last MODSEQ */
};
bool store_account_info(struct store_account *a, struct store_account_info *out, struct error *err);

/*
 * Credentials for the authentication code: an opaque blob (at most
 * STORE_CREDENTIALS_MAX bytes) replaced atomically. get sets *found false
 * (and leaves out alone) when none were set.
 */
bool store_account_credentials_set(struct store_account *a, const void *blob, size_t n,
				   struct error *err);
bool store_account_credentials_get(struct store_account *a, struct buf *out, bool *found,
				   struct error *err);

/*
 * The consistency check: recomputes every mailbox's counts, HIGHESTMODSEQ and
 * UIDNEXT bounds, the account size and file reference counts from scratch,
 * checks MODSEQ and UIDVALIDITY rules, and checks that every indexed message
 * file exists with its recorded size (unless skip_sizes). Each problem is
 * appended to problems as one line. Returns false only when the check could
 * not run (err set); *ok tells whether it found nothing.
 */
bool store_account_check(struct store_account *a, bool skip_sizes, struct buf *problems, bool *ok,
			 struct error *err);

/*
 * The initial mailboxes the static config asks for, as mox reads it:
 * DefaultMailboxes (deprecated; special use guessed from name prefixes) when
 * set, else InitialMailboxes, else mox's defaults (Sent, Archive, Trash,
 * Drafts, Junk). Inbox is never in the list (it always exists).
 */
struct store_initial_mailbox *store_initial_mailboxes(const struct cfg_static *st, struct arena *ar,
						      size_t *n);

#endif
