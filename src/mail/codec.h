/*
 * codec: quoted-printable (RFC 2045 6.7) and the "Q" encoding of RFC 2047
 * 4.2, shared by the body decoder and the encoded-word decoder, and the
 * transfer decoding of a body by its Content-Transfer-Encoding
 * (mail_transfer_decode in mail.h). Base64 (RFC 2045 6.8) is base/base64.h's
 * MIME decoder.
 *
 * Decoders never fail: quoted-printable keeps malformed "=" sequences as
 * written and drops soft line breaks. Output is appended to a struct buf;
 * sizes can be computed without producing output. Stateless and thread-safe.
 */
#ifndef TERN_MAIL_CODEC_H
#define TERN_MAIL_CODEC_H

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void mail_qp_decode(const char *p, size_t n, struct buf *out);
uint64_t mail_qp_decoded_size(const char *p, size_t n);

/* RFC 2047 4.2: like quoted-printable, with "_" for space. */
void mail_qword_decode(const char *p, size_t n, struct buf *out);

#endif
