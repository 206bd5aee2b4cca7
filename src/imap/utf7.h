/*
 * utf7: the modified UTF-7 of IMAP mailbox names (RFC 3501 5.1.3), for
 * clients that did not enable UTF8=ACCEPT or IMAP4rev2 (RFC 6855 3).
 *
 * Printable US-ASCII except "&" stands for itself, "&" is "&-", and every
 * other character is UTF-16 in a modified base64 ("," for "/", no padding)
 * between "&" and "-".
 *
 * imap_utf7_decode is strict about everything RFC 3501 forbids, so a name
 * has one spelling: a shift without its "-", base64 outside the alphabet,
 * leftover bits that are not zero, an odd number of bytes, unpaired
 * surrogates, encoded printable ASCII (which must stand for itself, except
 * "&"), and an empty encoded section other than "&-" or two encoded sections
 * back to back (both need one section). Bytes of 0x80 and up outside a shift
 * are passed through when they are valid UTF-8 (clients that send UTF-8
 * names without enabling it), otherwise refused; control characters are left
 * for the store's name check. Errors are ERR_INVALID with the reason.
 *
 * imap_utf7_encode writes the canonical form of valid UTF-8. Both append to
 * out and are bounded by their input; pure and thread-safe.
 */
#ifndef TERN_IMAP_UTF7_H
#define TERN_IMAP_UTF7_H

#include "base/buf.h"
#include "base/error.h"

#include <stdbool.h>
#include <stddef.h>

bool imap_utf7_decode(const char *s, size_t n, struct buf *out, struct error *err);
/* s must be valid UTF-8 (store names are); invalid bytes are encoded as U+FFFD. */
void imap_utf7_encode(const char *s, size_t n, struct buf *out);

#endif
