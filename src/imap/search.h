/*
 * search: evaluating search programs (RFC 9051 6.4.4) for SEARCH, ESEARCH
 * (RFC 7377), SORT and THREAD (RFC 5256), and writing their results
 * (RFC 4731 ESEARCH, RFC 5182 SAVE, RFC 9394 PARTIAL). Internal to src/imap.
 *
 * A search runs over a scope: the messages of one mailbox in sequence
 * order. For the selected mailbox these are the messages the client knows
 * (sequence numbers, "$", \Recent and messages expunged by others apply);
 * for another mailbox (ESEARCH IN ...) every message, numbered in UID order.
 * Long searches send INPROGRESS responses (RFC 9585) so clients keep
 * waiting: the first after IMAP_INPROGRESS_MS, then one per interval.
 */
#ifndef TERN_IMAP_SEARCH_H
#define TERN_IMAP_SEARCH_H

#include "imap/session.h"

struct imap_search_scope {
	int64_t mailbox_id;
	const uint32_t *uids; /* in sequence order */
	size_t n;
	bool selected; /* the selected mailbox */
};

struct imap_search_result {
	uint32_t *uids; /* ascending, in the session's arena */
	uint64_t *modseqs;
	size_t n;
};

/* The selected mailbox's messages the client knows. */
void imap_search_scope_selected(struct imap_session *s, struct imap_search_scope *sc);
/* Keys of extensions disabled for the account, or sequence numbers with UIDONLY, are BAD
 * (sent). */
bool imap_search_args_ok(struct imap_session *s, const struct imap_search_args *a);
/* Runs the program; false with a NO sent. */
bool imap_search_run(struct imap_session *s, const struct imap_search_scope *sc,
		     const struct imap_search_key *root, struct imap_search_result *r);

/* The part of v[0..*n) a PARTIAL range selects (RFC 9394 3.1): *v and *n updated. */
void imap_partial_slice(const struct imap_partial *p, uint32_t **v, size_t *n);
/* "* OK [INPROGRESS (tag done total)]" when it is time (RFC 9585); total 0: unknown. */
void imap_progress(struct imap_session *s, uint64_t done, uint64_t total);

/*
 * Writes the ESEARCH response for results in their final order (ascending for
 * SEARCH, sorted for ESORT): nums are what the client sees (UIDs or sequence
 * numbers), modseqs beside them. correlators: extra correlators after the tag
 * ("MAILBOX x UIDVALIDITY n" for ESEARCH); sorted: ALL keeps the order given.
 */
void imap_put_esearch(struct imap_session *s, const struct imap_search_args *a,
		      const char *correlators, bool uid, const uint32_t *nums,
		      const uint64_t *modseqs, size_t n, bool sorted);
/* RFC 5182 2.4, RFC 9394 3.2: the UIDs SAVE keeps for "$". */
void imap_search_save(struct imap_session *s, const struct imap_search_args *a,
		      const uint32_t *uids, size_t n);

#endif
