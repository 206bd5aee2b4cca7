/*
 * preview: a short plain-text preview of a message (IMAP PREVIEW, RFC 8970
 * 3.3): what a mail client shows under the subject in a message list.
 *
 * The text comes from the first readable part of the message: a text/plain
 * part that is not an attachment, else a text/html one with its markup
 * removed (tags, comments, style and script contents; a few common
 * character references decoded). The part is decoded from its transfer
 * encoding and charset to UTF-8; quoted lines ("> ...") and everything from
 * a signature separator ("-- ") on are left out, white space runs become one
 * space, and the result is cut at MAIL_PREVIEW_CHARS characters (at a
 * character boundary). A message without such a part has the empty preview
 * (RFC 8970 3.2: "the server MUST return a zero-length string").
 *
 * Work is bounded: at most MAIL_PREVIEW_SCAN bytes of the part are decoded.
 * Pure and thread-safe.
 */
#ifndef TERN_MAIL_PREVIEW_H
#define TERN_MAIL_PREVIEW_H

#include "base/buf.h"
#include "mail/mail.h"

#include <stddef.h>

#define MAIL_PREVIEW_CHARS 200         /* RFC 8970 3.3: SHOULD limit to 200 */
#define MAIL_PREVIEW_SCAN  (64 * 1024) /* bytes of the part looked at */

/* Appends the preview of the message (data, len: the bytes m was parsed from) to out. */
void mail_preview(const struct mail_message *m, const char *data, size_t len, struct buf *out);

/* The same for text of a type ("plain" or "html") already decoded to UTF-8 (tests, fuzzing). */
void mail_preview_text(const char *text, size_t n, bool html, struct buf *out);

#endif
