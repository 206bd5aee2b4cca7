/*
 * header: the header section of a message or MIME part (RFC 5322 2.2, 3.6),
 * unfolding, and RFC 2047 encoded words.
 *
 * mail_header_scan finds where a header ends and collects its fields: names
 * (obsolete white space before the colon allowed, RFC 5322 4.5), raw values
 * pointing into the message, and their offsets. It accepts CRLF and bare LF,
 * skips an mbox "From " line, and ends the header at the first empty line, or
 * at a line that is neither a field nor a continuation (such a line starts the
 * body, as Python's email package does). At most MAIL_HEADER_FIELDS_MAX fields
 * and MAIL_HEADER_BYTES_MAX bytes are collected; the end is still found.
 *
 * mail_unfold and mail_decode_words copy into an arena and always produce
 * NUL-terminated strings without NUL bytes inside. Decoded text is valid
 * UTF-8. All functions are bounded by their input (field values are cut at
 * MAIL_FIELD_BYTES_MAX) and thread-safe.
 */
#ifndef TERN_MAIL_HEADER_H
#define TERN_MAIL_HEADER_H

#include "base/arena.h"
#include "base/buf.h"
#include "base/str.h"

#include <stdbool.h>
#include <stddef.h>

struct mail_field {
	struct str name;  /* as written, without trailing white space */
	struct str value; /* raw: after the colon up to the last line's ending */
	size_t offset;    /* of the field's first byte in the scanned buffer */
};

struct mail_header {
	struct mail_field *fields;
	size_t n;
	unsigned flags; /* MAIL_F_* found in the header */
};

/* Scans the header starting at start in data[0..end). Returns the offset where
 * the body starts (after the empty line, or end when there is none). */
size_t mail_header_scan(const char *data, size_t start, size_t end, struct arena *a,
			struct mail_header *h);

/* The first field named name (case-insensitive), NULL when absent. */
const struct mail_field *mail_header_get(const struct mail_header *h, const char *name);

/* The value with folding removed (CRLF or LF before white space, RFC 5322
 * 2.2.3), NUL bytes dropped, leading and trailing white space trimmed, cut at
 * MAIL_FIELD_BYTES_MAX. */
char *mail_unfold(struct arena *a, struct str value);

/* Decodes unstructured text (RFC 2047 section 5 (1)): encoded words become
 * UTF-8, white space between adjacent encoded words is dropped (RFC 2047 6.2),
 * other text is kept, raw 8-bit bytes are kept when valid UTF-8 (RFC 6532) and
 * replaced by U+FFFD otherwise. Encoded words with an unknown charset or
 * encoding stay as written. Appends to out. */
void mail_decode_words_buf(struct str s, struct buf *out);
char *mail_decode_words(struct arena *a, struct str s);

/* Decodes one RFC 2047 encoded word "=?cs?e?text?=" (which must be the whole
 * of w), appending the raw decoded bytes to out and setting *charset. */
bool mail_encoded_word(struct str w, struct str *charset, struct buf *out);

#endif
