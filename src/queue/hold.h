/*
 * queue/hold: messages submitted with FUTURERELEASE (RFC 4865), kept until
 * their release time and then delivered into the recipients' accounts.
 *
 * Storage is DATADIR/queue/: hold.db (SQLite, WAL, synchronous=FULL) with a
 * row per held message (release time, the client's request, sender account,
 * reverse-path, attempts, next attempt, last error) and a row per recipient
 * (account, mailbox, address, quota, the per-recipient trace header lines,
 * state), and msg/ID with the message as received. The hold operation (the
 * smtp_hold_ops of smtp/seams.h) writes and fsyncs the file and its
 * directory inside the index transaction and returns only after the commit:
 * a held message is durable before the client hears 250. Opening removes
 * message files without a row (left by a crash before the commit).
 *
 * A release thread delivers each message whose time has come through the
 * same smtp_delivery_ops as an immediate delivery, marking each recipient
 * as it is delivered, so a retry never delivers to a recipient twice unless
 * the process dies between a delivery and its mark (at least once, as every
 * queue). Temporary failures are retried with mox's backoff (7.5 minutes,
 * doubling, QUEUE_HOLD_ATTEMPTS_MAX attempts). A permanent failure (the
 * account's quota), or the last attempt failing, is reported to the sender's
 * account as a delivery status notification (RFC 3464, queue/dsn.h); then the
 * message is removed.
 *
 * Until the outgoing queue exists this holds local recipients only (the SMTP
 * server accepts no others yet); the queue takes this over when it comes.
 *
 * Thread-safe: the hold operation is called by connection threads while the
 * release thread runs.
 */
#ifndef TERN_QUEUE_HOLD_H
#define TERN_QUEUE_HOLD_H

#include "base/error.h"
#include "smtp/seams.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Delivery attempts before a temporarily failing recipient is reported as failed. */
#define QUEUE_HOLD_ATTEMPTS_MAX 8
/* First retry delay in seconds; each further retry waits twice as long (as mox). */
#define QUEUE_HOLD_BACKOFF_FIRST 450
/* Messages released per pass of the release thread. */
#define QUEUE_HOLD_BATCH 32

struct queue_hold_config {
	const char *data_dir;                     /* the static config's DataDir */
	const char *hostname;                     /* for DSNs: Reporting-MTA and From */
	const struct smtp_delivery_ops *delivery; /* delivery at release; kept, not owned */
};

struct queue_hold;

struct queue_hold *queue_hold_new(const struct queue_hold_config *c);
/* Opens DATADIR/queue (created when missing) and removes orphaned files. */
bool queue_hold_open(struct queue_hold *h, struct error *err);
/* queue_hold_open, then starts the release thread. */
bool queue_hold_start(struct queue_hold *h, struct error *err);
/* Stops the release thread (a delivery in progress is finished first). */
void queue_hold_stop(struct queue_hold *h);
void queue_hold_free(struct queue_hold *h);

/* The seam the SMTP server hands held messages to; valid until queue_hold_free. */
const struct smtp_hold_ops *queue_hold_ops(struct queue_hold *h);

/*
 * Delivers the messages due at now (unix seconds), at most
 * QUEUE_HOLD_BATCH; returns how many were processed. The release thread
 * calls this; tests call it with a chosen time after queue_hold_open.
 */
size_t queue_hold_release_due(struct queue_hold *h, int64_t now);

/* The earliest next attempt of any held message; false when none. */
bool queue_hold_next(struct queue_hold *h, int64_t *when);

#endif
