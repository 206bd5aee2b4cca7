/*
 * base64: the strict standard base64 of RFC 4648 section 4, as SASL uses it.
 *
 * SASL exchanges in SMTP (RFC 4954 4) and IMAP (RFC 9051 6.2.2) carry client
 * responses and server challenges in base64, and SCRAM carries salts, proofs
 * and channel bindings in base64 inside its messages (RFC 5802 7). All of them
 * use the standard alphabet with "=" padding and no line breaks, so the
 * decoder here is strict: the length must be a multiple of 4, padding only at
 * the end, no whitespace, and the unused bits of the last group must be zero
 * (RFC 4648 3.5), so every byte string has exactly one accepted encoding.
 * A malformed encoding from a client is a protocol error, never a crash.
 *
 * Functions are pure and thread-safe; output goes to a caller's buffer that
 * is appended to.
 */
#ifndef TERN_AUTH_BASE64_H
#define TERN_AUTH_BASE64_H

#include "base/buf.h"
#include "base/str.h"

#include <stdbool.h>
#include <stddef.h>

/* Encoded length of n bytes (without a NUL). */
#define AUTH_B64_LEN(n) ((((n) + 2) / 3) * 4)

/* Appends the encoding of n bytes at p to out. */
void auth_b64_encode(const void *p, size_t n, struct buf *out);

/* Appends the decoding of in to out; false (out unchanged) when in is not canonical base64. */
bool auth_b64_decode(struct str in, struct buf *out);

/*
 * Decodes into a fixed array: false when malformed or when the decoded length
 * is not exactly want bytes. For keys and proofs of known size.
 */
bool auth_b64_decode_exact(struct str in, void *dst, size_t want);

#endif
