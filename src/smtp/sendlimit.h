/*
 * sendlimit: the per-account limits on submitted mail of domains.conf,
 * MaxOutgoingMessagesPerDay and MaxFirstTimeRecipientsPerDay, over a sliding
 * 24-hour window, as mox applies them to submission.
 *
 * A "first-time" recipient is one the account has not sent to before. The
 * state is kept in memory, per process: until the outgoing queue (which
 * keeps mox's outgoing history on disk) exists, a restart forgets the
 * window and the known recipients (after a restart every recipient is
 * first-time again, which errs on the strict side). Bounded: at most
 * SMTP_SENDLIMIT_ACCOUNTS accounts and SMTP_SENDLIMIT_KNOWN remembered
 * recipients per account (beyond that, new recipients stay first-time).
 * Thread-safe (one mutex).
 */
#ifndef TERN_SMTP_SENDLIMIT_H
#define TERN_SMTP_SENDLIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMTP_SENDLIMIT_ACCOUNTS 4096
#define SMTP_SENDLIMIT_KNOWN    100000
#define SMTP_SENDLIMIT_WINDOW   (INT64_C(24) * 3600)

struct smtp_sendlimits;

enum smtp_sendlimit_result {
	SMTP_SENDLIMIT_OK,
	SMTP_SENDLIMIT_MESSAGES,   /* MaxOutgoingMessagesPerDay reached */
	SMTP_SENDLIMIT_RECIPIENTS, /* MaxFirstTimeRecipientsPerDay would be passed */
};

struct smtp_sendlimits *smtp_sendlimits_new(void);
void smtp_sendlimits_free(struct smtp_sendlimits *l);

/*
 * Checks one message of account to the recipients (lower-cased addresses) at
 * time now (Unix seconds), and when within the limits records it. A limit
 * of 0 or less means none.
 */
enum smtp_sendlimit_result smtp_sendlimits_take(struct smtp_sendlimits *l, const char *account,
						int64_t max_messages, int64_t max_first_time,
						const char *const *rcpts, size_t n, int64_t now);

#endif
