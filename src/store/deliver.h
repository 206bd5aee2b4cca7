/*
 * store/deliver: durable delivery and IMAP APPEND.
 *
 * A message arrives either streamed into a temporary file (the SMTP server
 * writes DATA into a store_tmpfile in the account's tmp/ directory, on the
 * same filesystem as every account's msg/, so delivering links it into place
 * without copying) or in memory. store_deliver adds it to one or more
 * mailboxes of one account; the same tmpfile may be delivered to several
 * accounts, one store_deliver call each, and is discarded by the caller
 * afterwards.
 *
 * Durability (the order that makes "acknowledged" mean "on disk"):
 *   1. the message file is written and fsynced, linked as msg/DIR/ID (ID
 *      never reused, so a file left by a crash can never be mistaken for
 *      another message) and its directory fsynced (a new DIR also fsyncs
 *      msg/);
 *   2. the index rows are inserted and the transaction committed; with
 *      SQLite's WAL and synchronous=FULL the commit returns after the WAL is
 *      fsynced;
 *   3. only then does store_deliver return true.
 * A crash at any instant leaves the message either fully present or absent;
 * a file without an index row is removed when the account is next opened.
 *
 * Group commit: step 1 runs in the caller's thread, in parallel with other
 * deliveries; step 2 is shared: whichever delivering thread gets the
 * account's write lock commits the index rows of every delivery queued at
 * that moment in one transaction (each in its own savepoint, so one failing
 * delivery does not fail the others), and every caller returns after the
 * commit that holds its message. With 20 concurrent sessions one WAL fsync
 * serves many messages.
 *
 * Thread-safe. A store_tmpfile belongs to the thread that created it.
 */
#ifndef TERN_STORE_DELIVER_H
#define TERN_STORE_DELIVER_H

#include "base/error.h"
#include "store/flags.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store_account;
struct store_subscriber;

/* Largest message the store accepts (the protocols apply their smaller limits first). */
#define STORE_MESSAGE_MAX (INT64_C(1) << 30)
/* Mailboxes one delivery may go to. */
#define STORE_DELIVER_TARGETS_MAX 64
/* Threads store_deliver_many writes message files with. */
#define STORE_PREPARE_THREADS 4
/* Deliveries committed in one transaction at most. */
#define STORE_COMMIT_BATCH_MAX 256

struct store_tmpfile {
	int fd;     /* write the message here; -1 after discard */
	char *path; /* DATADIR/accounts/NAME/tmp/... */
	bool synced;
};

/* Creates an empty temporary file in the account's tmp/ directory. */
bool store_tmpfile_create(struct store_account *a, struct store_tmpfile *tf, struct error *err);
/* Closes and removes the temporary file (deliveries keep their own links). */
void store_tmpfile_discard(struct store_tmpfile *tf);

/* One mailbox a message goes to, and what it got there. */
struct store_target {
	/* in */
	int64_t mailbox_id;       /* or 0: look up mailbox_name */
	const char *mailbox_name; /* normalized like store_mailbox_name_check */
	bool create;              /* create the mailbox (and parents) when missing */
	uint32_t flags;
	struct store_keywords keywords;
	bool is_reject; /* delivered to mox's Rejects mailbox */
	/* out */
	int64_t message_id; /* row id */
	int64_t mailbox_id_out;
	uint32_t uidvalidity;
	uint32_t uid;
	uint64_t modseq;
};

struct store_delivery {
	/* The message: a tmpfile, or data/len in memory. */
	struct store_tmpfile *file;
	const void *data;
	size_t len;
	int64_t received; /* internal date, Unix seconds; 0: now */
	int received_tz;  /* minutes east of UTC */
	int64_t quota;    /* the account's size limit in bytes; 0: none */
	struct store_subscriber *origin;
	struct store_target *targets;
	size_t ntargets;
	/* out */
	int64_t file_id;
	int64_t size;
};

/*
 * Delivers to all targets, or to none. ERR_LIMIT: over quota;
 * ERR_NOTFOUND: a target mailbox is missing (and create is not set);
 * ERR_INVALID: bad input (size, keywords, name).
 */
bool store_deliver(struct store_account *a, struct store_delivery *d, struct error *err);

/*
 * Bulk delivery (imports): d[0..n), n at most STORE_COMMIT_BATCH_MAX, each
 * delivered as by store_deliver. The files are written by up to
 * STORE_PREPARE_THREADS threads at once; then all index rows are queued at
 * once, in array order, for the group commit, so the messages get UIDs in
 * that order. delivered[i] tells each one's outcome; returns true when all were
 * delivered, else err is the first failure in array order.
 */
bool store_deliver_many(struct store_account *a, struct store_delivery *d, size_t n,
			bool *delivered, struct error *err);

/*
 * All or nothing (IMAP MULTIAPPEND, RFC 3502): d[0..n), n at most
 * STORE_COMMIT_BATCH_MAX, delivered in one transaction in array order; when
 * one fails, none is delivered and err says why. The deliveries' origins must
 * be the same subscriber (d[0]'s is used).
 */
bool store_deliver_all(struct store_account *a, struct store_delivery *d, size_t n,
		       struct error *err);

/*
 * IMAP REPLACE (RFC 8508): in one transaction, expunges the message with uid
 * from mailbox_id (with history, as an EXPUNGE) and delivers d, which may go
 * to the same mailbox; the quota counts the net change. ERR_NOTFOUND when the
 * message is gone (nothing changes). *expunge_modseq gets the expunge's MODSEQ.
 */
bool store_replace(struct store_account *a, struct store_delivery *d, int64_t mailbox_id,
		   uint32_t uid, uint64_t *expunge_modseq, struct error *err);

#endif
