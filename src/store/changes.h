/*
 * store/changes: change notifications for IMAP sessions, webmail, webhooks.
 *
 * Every committed change to an account (messages added or expunged, flags,
 * mailboxes created, renamed or deleted, special use, subscriptions, counts)
 * is published, in commit order, to every subscriber of the account except
 * the operation's origin (an IMAP session reports its own changes itself).
 * Publishing happens under the account's write lock right after the commit,
 * so the order subscribers see is the order of MODSEQs and UIDs.
 *
 * A subscriber has an eventfd that becomes readable when changes are
 * waiting: an IMAP session in IDLE polls it beside its socket. A subscriber
 * may instead have a notify callback and no file descriptor (for servers
 * that hold many thousands of sessions and cannot spend a descriptor on
 * each): the callback runs in the publishing thread, with the store's locks
 * held, whenever changes start waiting (or the queue overflows), so it must
 * only signal (a condition variable, say) and never call into the store. The queue is
 * bounded (max_queue changes): a subscriber that falls behind never slows
 * delivery; its queue is dropped and it gets one STORE_CHANGE_RESYNC and
 * nothing more until it has taken that. After a RESYNC the subscriber
 * re-reads what it shows; changes that follow the RESYNC may already be
 * contained in what it read: those have a MODSEQ at or below the HIGHESTMODSEQ
 * it read and can be skipped.
 *
 * Expunged message files: a subscriber created with hold_expunged keeps the
 * files of messages expunged in changes it has taken until it acknowledges
 * them (store_subscriber_ack), so an IMAP session can still FETCH a message
 * it has not yet reported as expunged (RFC 9051 7.5.1 forbids reporting
 * EXPUNGE during FETCH/STORE/SEARCH). Without hold_expunged, or once every
 * holder has acknowledged, the files are removed.
 *
 * Thread safety: publishing is internal; a subscriber is used by one thread
 * at a time (its owner); a taken batch belongs to the caller until freed and
 * may outlive the subscriber and the account.
 */
#ifndef TERN_STORE_CHANGES_H
#define TERN_STORE_CHANGES_H

#include "base/error.h"
#include "store/flags.h"
#include "store/mailbox.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store_account;
struct store_subscriber;

#define STORE_SUBSCRIBER_QUEUE_DEFAULT 1000
#define STORE_SUBSCRIBER_QUEUE_MAX     100000

enum store_change_kind {
	STORE_CHANGE_ADD,                /* messages added to mailbox_id: msgs */
	STORE_CHANGE_REMOVE,             /* UIDs expunged from mailbox_id: uids */
	STORE_CHANGE_FLAGS,              /* flags/keywords of msgs changed */
	STORE_CHANGE_MAILBOX_ADD,        /* name, specialuse, subscribed */
	STORE_CHANGE_MAILBOX_REMOVE,     /* name */
	STORE_CHANGE_MAILBOX_RENAME,     /* old_name -> name (mailbox_id kept) */
	STORE_CHANGE_MAILBOX_SPECIALUSE, /* specialuse */
	STORE_CHANGE_MAILBOX_KEYWORDS,   /* keywords: the mailbox's keywords in use */
	STORE_CHANGE_MAILBOX_COUNTS,     /* counts, highestmodseq, uidnext */
	STORE_CHANGE_SUBSCRIPTION,       /* name, subscribed */
	STORE_CHANGE_RESYNC,             /* the queue overflowed: re-read everything */
};

struct store_change_msg {
	uint32_t uid;
	uint64_t modseq;
	uint32_t flags;
	struct store_keywords keywords;
};

struct store_change {
	enum store_change_kind kind;
	uint64_t seq;    /* position in the account's change stream, ascending */
	uint64_t modseq; /* MODSEQ of the operation (0 for RESYNC) */
	int64_t mailbox_id;
	const char *name;                    /* mailbox (or subscription) name */
	const char *old_name;                /* MAILBOX_RENAME */
	const struct store_change_msg *msgs; /* ADD, FLAGS: ascending UIDs */
	size_t nmsgs;
	const uint32_t *uids; /* REMOVE: ascending */
	size_t nuids;
	uint32_t specialuse;
	bool subscribed;
	struct store_keywords keywords;
	struct store_mailbox_counts counts;
	uint64_t highestmodseq;
	uint32_t uidnext;
};

struct store_subscriber_options {
	size_t max_queue;   /* 0: STORE_SUBSCRIBER_QUEUE_DEFAULT */
	bool hold_expunged; /* keep expunged files until acknowledged (IMAP) */
	/* Set: called instead of signalling an eventfd, and no eventfd is made (see above). */
	void (*notify)(void *arg);
	void *notify_arg;
};

struct store_subscriber *store_subscriber_new(struct store_account *a,
					      const struct store_subscriber_options *o,
					      struct error *err);
/* Drops queued changes and releases held files; the account reference is released too. */
void store_subscriber_free(struct store_subscriber *s);
/* Readable (POLLIN) when changes are waiting; -1 for a subscriber with a notify callback. */
int store_subscriber_fd(const struct store_subscriber *s);

/* Changes taken at once: free with store_changes_free. */
struct store_changes {
	const struct store_change **v;
	size_t n;
	void *priv;
};

/* Takes all waiting changes (possibly none) and resets the eventfd. */
void store_subscriber_take(struct store_subscriber *s, struct store_changes *out);
void store_changes_free(struct store_changes *c);
/* Waits up to timeout_ms for changes; true when some are waiting. With a notify callback
 * it does not wait: it says whether changes are waiting now. */
bool store_subscriber_wait(struct store_subscriber *s, int timeout_ms);
/* With hold_expunged: the files of expunges in changes with seq <= seq may go. */
void store_subscriber_ack(struct store_subscriber *s, uint64_t seq);

#endif
