/*
 * mbfilter: matching mailboxes against the filters of NOTIFY (RFC 5465 6)
 * and ESEARCH (RFC 7377 2.2); see mbfilter.c. Internal to src/imap.
 */
#ifndef TERN_IMAP_MBFILTER_H
#define TERN_IMAP_MBFILTER_H

#include "imap/session.h"

/* A filter with its mailbox names decoded and normalized (in the arena given). */
struct imap_mbfilter_ready {
	const struct imap_mbfilter *f;
	const char **names;
	size_t nnames;
};

bool imap_mbfilter_prepare(struct imap_session *s, const struct imap_mbfilter *f, struct arena *ar,
			   struct imap_mbfilter_ready *out);
/* Whether the mailbox (its store name) is one the filter names. */
bool imap_mbfilter_match(struct imap_session *s, const struct imap_mbfilter_ready *r,
			 int64_t mailbox_id, const char *name, bool subscribed);

#endif
