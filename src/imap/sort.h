/*
 * sort: SORT (RFC 5256 3, RFC 5267 ESORT) and THREAD (RFC 5256 3) over the
 * results of a search (search.h). Internal to src/imap.
 */
#ifndef TERN_IMAP_SORT_H
#define TERN_IMAP_SORT_H

#include "imap/search.h"

#define IMAP_THREAD_REFS_MAX 64 /* references of one message THREAD uses (the last ones) */

/* What ordering and threading a message need (strings in the arena given). */
struct imap_sort_msg {
	uint32_t uid;
	uint32_t seq;
	uint64_t modseq;
	int64_t arrival; /* internal date */
	int64_t sent;    /* RFC 5256 2.2 sent date, UTC */
	int64_t size;
	const char *subject; /* RFC 5256 2.1 base subject (lower case) */
	bool reply;          /* the subject marks a reply or forward */
	const char *from;    /* mailbox of the first address, "" when none */
	const char *to;
	const char *cc;
	const char *msgid; /* "" when none */
	const char **refs; /* References, else the first In-Reply-To */
	size_t nrefs;
};

/* The data of the result's messages (those still there), in result order. */
bool imap_sort_data(struct imap_session *s, const struct imap_search_scope *sc,
		    const struct imap_search_result *r, struct arena *ar,
		    struct imap_sort_msg **out, size_t *nout);

#endif
