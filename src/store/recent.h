/*
 * store/recent: IMAP4rev1's \Recent (RFC 3501 2.3.2): "this session is the
 * first session to have been notified about this message".
 *
 * Each mailbox keeps the first UID that no session has claimed yet (1 for a
 * mailbox nobody selected). A read-write IMAP4rev1 session claims the
 * messages it is the first to see: store_recent_claim moves the mark up to
 * upto and tells the caller where it was, so the messages with UIDs in
 * [*first, upto) are recent for that session and for no other. Read-only
 * sessions (EXAMINE) see the unclaimed messages as recent without claiming
 * them. The mark is kept in the index (surviving restarts) and takes no
 * MODSEQ: it is no state of any message. IMAP4rev2 (RFC 9051) has no
 * \Recent; its sessions never claim. Thread-safe.
 */
#ifndef TERN_STORE_RECENT_H
#define TERN_STORE_RECENT_H

#include "base/error.h"

#include <stdbool.h>
#include <stdint.h>

struct store_account;

/*
 * Claims the messages below upto: *first gets the mark as it was (when it is
 * >= upto, nothing was claimed and nothing written). ERR_NOTFOUND when the
 * mailbox is gone.
 */
bool store_recent_claim(struct store_account *a, int64_t mailbox_id, uint32_t upto, uint32_t *first,
			struct error *err);
/* The first UID not claimed yet. */
bool store_recent_first(struct store_account *a, int64_t mailbox_id, uint32_t *first,
			struct error *err);
/* The number of messages nobody claimed yet (STATUS RECENT, RFC 3501 6.3.10). */
bool store_recent_count(struct store_account *a, int64_t mailbox_id, int64_t *n, struct error *err);

#endif
