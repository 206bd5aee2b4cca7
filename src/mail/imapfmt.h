/*
 * imapfmt: the IMAP ENVELOPE and BODY/BODYSTRUCTURE data items of RFC 9051
 * 7.5.2 (and RFC 3501 7.4.2), written from a parsed message.
 *
 * Strings are written as quoted strings when they can be (no CR, LF or NUL;
 * 8-bit only as valid UTF-8 and only when the client may receive UTF-8),
 * otherwise as literals ("{n}" CRLF bytes), which RFC 3501 and 9051 allow to
 * carry 8-bit data. Absent values are NIL; empty parameter lists are NIL.
 *
 * UTF-8 (the utf8 argument: the client enabled UTF8=ACCEPT, RFC 6855 3, or
 * uses IMAP4rev2): UTF-8 header text is sent as is, in quoted strings. Without
 * it, RFC 6855 3 forbids UTF-8 in quoted strings and RFC 6855 8 asks for
 * RFC 5322-compliant header data, so tern downgrades in the spirit of
 * RFC 6858: 8-bit subjects and display names are sent as RFC 2047 encoded
 * words (UTF-8, "B"); a non-ASCII domain with an ASCII local part is sent as
 * A-labels; a mailbox with a non-ASCII local part becomes an empty group
 * whose name is the encoded form of the original address; 8-bit text that
 * is not valid UTF-8 (an unknown legacy charset) is sent as a literal.
 * Parameter values that are not ASCII are sent in RFC 2231 extended form
 * ("NAME*" "utf-8''%E2%82%AC") without UTF-8, and as UTF-8 with it; RFC 9051
 * 7.5.2 asks servers to decode RFC 2231 and this keeps what was decoded.
 *
 * Media types, subtypes, parameter names, dispositions and encodings are
 * written in upper case (as RFC 9051's examples). A multipart without parts
 * is written with one empty text/plain part (the syntax requires one), a
 * message part whose nested message was not parsed (limits) with an all-NIL
 * envelope and that empty body. Output depth is bounded by the parse depth.
 * Thread-safe.
 */
#ifndef TERN_MAIL_IMAPFMT_H
#define TERN_MAIL_IMAPFMT_H

#include "mail/mail.h"

#include "base/buf.h"

#include <stdbool.h>

/* ENVELOPE of a message (&m->envelope) or of a message part (p->envelope).
 * Sender and Reply-To default to From when absent or empty (RFC 9051 7.5.2). */
void mail_imap_envelope(const struct mail_envelope *env, bool utf8, struct buf *out);

/* BODYSTRUCTURE (extensible) or BODY (not) of a part, normally &m->root.
 * Nested envelopes are written as for a client without UTF8=ACCEPT. */
void mail_imap_bodystructure(const struct mail_part *p, bool extensible, struct buf *out);
/* The same, with nested envelopes and parameters as for utf8. */
void mail_imap_bodystructure_utf8(const struct mail_part *p, bool extensible, bool utf8,
				  struct buf *out);

/* An IMAP string (quoted or literal) or NIL for NULL. */
void mail_imap_nstring(struct buf *out, const char *s, bool utf8);
void mail_imap_string(struct buf *out, const char *s, size_t n, bool utf8);

#endif
