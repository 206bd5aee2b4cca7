/*
 * seqset: IMAP sequence sets (RFC 9051 9 sequence-set, RFC 5182 "$") and
 * the compact UID sets the server writes (COPYUID, VANISHED, ESEARCH).
 *
 * A parsed set keeps the ranges as written, with 0 standing for "*", so the
 * same set can be resolved against message sequence numbers or UIDs at the
 * moment it is used (RFC 9051 6.4.8: "*" is the largest number in use). A
 * set is at most IMAP_SEQSET_RANGES_MAX ranges; numbers are nz-number
 * (1..4294967295).
 *
 * imap_uidlist_format writes a sorted list of distinct numbers as ranges
 * ("1:3,7,9:10"). All functions are pure; results live in the caller's
 * arena or buffer.
 */
#ifndef TERN_IMAP_SEQSET_H
#define TERN_IMAP_SEQSET_H

#include "base/arena.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/str.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMAP_SEQSET_RANGES_MAX 100000
#define IMAP_STAR              0u /* "*" in a parsed range */

struct imap_range {
	uint32_t first; /* as written: IMAP_STAR for "*" */
	uint32_t last;  /* equal to first for a single number */
};

struct imap_seqset {
	struct imap_range *v;
	size_t n;
	bool saved; /* "$": the saved search result (RFC 5182) */
};

/*
 * Parses s as a whole. allow_saved permits "$"; allow_star permits "*"
 * (QRESYNC's known-uids forbid it). ERR_INVALID with a reason otherwise.
 */
bool imap_seqset_parse(struct str s, bool allow_saved, bool allow_star, struct arena *ar,
		       struct imap_seqset *out, struct error *err);

/* Whether v is in the set, "*" standing for star (the largest number in use). */
bool imap_seqset_contains(const struct imap_seqset *set, uint32_t v, uint32_t star);

/* A range with "*" resolved to star and first <= last. */
struct imap_range imap_range_resolve(struct imap_range r, uint32_t star);

/* True when every range is a plain number or range of numbers without "*", in strictly
 * increasing order (RFC 7162 3.2.5.2 known-sequence-set and known-uid-set). */
bool imap_seqset_increasing(const struct imap_seqset *set);

/* Number of values the set covers after resolving "*" to star, counting overlaps once. */
uint64_t imap_seqset_count(const struct imap_seqset *set, uint32_t star, struct arena *ar);

/* Sorts resolved ranges and merges overlapping and adjacent ones; returns the new count. */
size_t imap_ranges_normalize(struct imap_range *v, size_t n);

/* Writes sorted, distinct values as a sequence set ("1:3,7"); nothing for n == 0. */
void imap_uidlist_format(const uint32_t *v, size_t n, struct buf *out);

/*
 * The same in pieces for responses that must stay below max_line bytes per line
 * (VANISHED, RFC 7162 3.2.10): writes ranges from v[*pos] on until the next would
 * exceed max_line bytes, and advances *pos. At least one range is always written.
 */
void imap_uidlist_format_part(const uint32_t *v, size_t n, size_t *pos, size_t max_line,
			      struct buf *out);

#endif
