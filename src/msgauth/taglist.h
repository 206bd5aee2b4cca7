/*
 * taglist: the tag=value lists of RFC 6376 3.2, as DKIM-Signature header
 * fields and DKIM key records are written (and DMARC records, RFC 7489 6.4,
 * in the same shape).
 *
 *   tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
 *   tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *
 * taglist_parse cuts a list into tags without interpreting values: each tag
 * has its name, its value without the white space around it (white space
 * inside is kept, as the RFC says), and the span of everything between "="
 * and the next ";" (what DKIM deletes of "b=" before hashing, RFC 6376 3.7).
 * It refuses what the grammar refuses: a tag name not of the form ALPHA
 * *(ALPHA / DIGIT / "_"), a missing "=", a control character in a value,
 * duplicate names ("the entire tag-list is invalid"), and more than
 * TAGLIST_MAX tags. Bytes of 0x80 and above are accepted in values, as the
 * RFC advises for UTF-8. Folding white space is WSP or a line ending (CRLF
 * or a bare LF) followed by WSP.
 *
 * Pure and thread-safe; the result points into the input.
 */
#ifndef TERN_MSGAUTH_TAGLIST_H
#define TERN_MSGAUTH_TAGLIST_H

#include "base/buf.h"
#include "base/error.h"
#include "base/str.h"

#include <stdbool.h>
#include <stddef.h>

#define TAGLIST_MAX 64

struct tag {
	struct str name;
	struct str value;  /* without surrounding white space; "" for an empty value */
	size_t span_start; /* offset of the byte after "=" */
	size_t span_end;   /* offset of the ";" ending the tag, or of the end of the list */
};

struct taglist {
	struct tag v[TAGLIST_MAX];
	size_t n;
};

bool taglist_parse(struct str list, struct taglist *out, struct error *err);

/* The tag named name (case-sensitive, RFC 6376 3.2), NULL when absent. */
const struct tag *taglist_get(const struct taglist *l, const char *name);

/* Whether s starts with folding white space at i; *len is its length. */
bool taglist_fws_at(struct str s, size_t i, size_t *len);

/* Appends s without its white space (SP, HTAB, CR, LF): for base64 values,
 * where folding white space is ignored (RFC 6376 3.5 "b=", 3.6.1 "p="). */
void taglist_strip_fws(struct str s, struct buf *out);

#endif
