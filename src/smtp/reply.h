/*
 * reply: formatting SMTP replies (RFC 5321 4.2) with enhanced status codes
 * (RFC 2034, RFC 3463) on every line.
 *
 * smtp_reply_format appends "CODE X.Y.Z text" lines to a buffer: the text is
 * split at '\n' into the lines of a multi-line reply ("250-..." then "250
 * ..."), and a line longer than the 512 octets of RFC 5321 4.5.3.1.5 is
 * wrapped at a space (or cut) into more lines. The enhanced code is given
 * without its class digit (see codes.h); the class is taken from the reply
 * code. Control characters in the text (client-supplied names in a reply)
 * are replaced by '?', so a reply can never be split or forged. Pure
 * functions; thread-safe.
 */
#ifndef TERN_SMTP_REPLY_H
#define TERN_SMTP_REPLY_H

#include "base/buf.h"

#include <stdarg.h>

/* RFC 5321 4.5.3.1.5: 512 octets including CRLF. */
#define SMTP_REPLY_LINE_MAX 510

/* Appends the reply; se may be NULL for a reply without an enhanced code (the greeting, 354). */
void smtp_reply_format(struct buf *b, int code, const char *se, const char *text);
void smtp_reply_vformatf(struct buf *b, int code, const char *se, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

#endif
