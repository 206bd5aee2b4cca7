/*
 * codec: transfer decodings (RFC 2045 6.7 quoted-printable, 6.8 base64) and
 * the "Q" encoding of RFC 2047 4.2, shared by the body decoder and the
 * encoded-word decoder.
 *
 * Decoders never fail: base64 skips characters outside its alphabet and stops
 * at padding; quoted-printable keeps malformed "=" sequences as written and
 * drops soft line breaks. Output is appended to a struct buf; sizes can be
 * computed without producing output. Stateless and thread-safe.
 */
#ifndef TERN_MAIL_CODEC_H
#define TERN_MAIL_CODEC_H

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void mail_base64_decode(const char *p, size_t n, struct buf *out);
uint64_t mail_base64_decoded_size(const char *p, size_t n);

void mail_qp_decode(const char *p, size_t n, struct buf *out);
uint64_t mail_qp_decoded_size(const char *p, size_t n);

/* RFC 2047 4.2: like quoted-printable, with "_" for space. */
void mail_qword_decode(const char *p, size_t n, struct buf *out);

/* Appends the base64 encoding of p[0..n) (RFC 2045 6.8, no line breaks). */
void mail_base64_encode(const void *p, size_t n, struct buf *out);

#endif
