/*
 * hdrwriter: writing a header field that folds onto continuation lines when
 * a line would pass 78 characters (RFC 5322 2.1.1, 2.2.3), for the fields
 * tern composes from many parts: DKIM-Signature, Authentication-Results,
 * Received.
 *
 * A field is written as a sequence of tokens; a token is never split, and a
 * fold ("CRLF TAB") goes before a token that would not fit, in place of its
 * separator. mail_hdrw_wrap writes data that may be split anywhere (base64),
 * filling lines. The writer appends to the caller's buffer; mail_hdrw_end
 * adds the final CRLF. Not thread-safe (one writer per field).
 */
#ifndef TERN_MAIL_HDRWRITER_H
#define TERN_MAIL_HDRWRITER_H

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>

#define MAIL_HDRW_LINE_MAX 78

struct mail_hdrw {
	struct buf *out;
	size_t line_len;
	bool nonfirst;
};

/* Starts a field at the end of out (which must be at the start of a line). */
void mail_hdrw_init(struct mail_hdrw *w, struct buf *out);
/* Adds text after sep ("" or " "), folding before it when the line would be too long. */
void mail_hdrw_add(struct mail_hdrw *w, const char *sep, const char *text, size_t n);
void mail_hdrw_addf(struct mail_hdrw *w, const char *sep, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds data directly after what is there, split across lines wherever needed. */
void mail_hdrw_wrap(struct mail_hdrw *w, const char *data, size_t n);
/* Ends the field with CRLF. */
void mail_hdrw_end(struct mail_hdrw *w);

#endif
