/*
 * base64: tern's one base64 (RFC 4648), in every form the protocols use.
 *
 * Four variants: the standard alphabet ("+/", RFC 4648 4) and the URL and
 * file name safe one ("-_", RFC 4648 5), each with "=" padding or without
 * (RFC 4648 3.2). SASL in SMTP and IMAP (RFC 4954 4, RFC 9051 6.2.2) and
 * SCRAM (RFC 5802 7) use BASE64_STD; TLS public key fingerprints, mox's
 * "raw-url-base64" keys and ACME/JOSE use BASE64_URL_NOPAD.
 *
 * Two decoders, because the callers need two different things:
 *   - base64_decode is strict: only the variant's alphabet, no white space,
 *     padding exactly where it belongs (or none, for the NOPAD variants), a
 *     length that a padded or unpadded encoding can have, and the unused
 *     bits of the last character zero (RFC 4648 3.5). Every byte string so
 *     has exactly one accepted encoding, and what decodes encodes back to
 *     the input. For protocol elements, where anything else is an error.
 *   - struct base64_stream decodes MIME bodies and encoded words as RFC 2045
 *     6.8 says to: characters outside the standard alphabet (line breaks,
 *     garbage) are skipped, "=" ends the data; it never fails. It decodes a
 *     body in pieces of any size (a piece may end inside a group), so a
 *     large part can be decoded as it is read; base64_mime_decode does a
 *     whole text at once.
 * base64_encode_lines writes the line-wrapped form MIME bodies need (RFC
 * 2045 6.8: at most 76 characters a line).
 *
 * Everything here is pure and thread-safe; output is appended to the
 * caller's buffer, and a failing strict decode leaves it as it was.
 */
#ifndef TERN_BASE_BASE64_H
#define TERN_BASE_BASE64_H

#include "base/buf.h"
#include "base/str.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum base64_variant {
	BASE64_STD,       /* "+/", padded: RFC 4648 4 */
	BASE64_STD_NOPAD, /* "+/", no padding */
	BASE64_URL,       /* "-_", padded: RFC 4648 5 */
	BASE64_URL_NOPAD, /* "-_", no padding */
};

/* Encoded length of n bytes with padding (without a NUL). */
#define BASE64_LEN(n) ((((n) + 2) / 3) * 4)
/* Longest line of a MIME body in base64 (RFC 2045 6.8). */
#define BASE64_MIME_LINE 76

/* Encoded length of n bytes in variant v (without a NUL). */
size_t base64_encoded_len(enum base64_variant v, size_t n);

/* Appends the encoding of p[0..n). */
void base64_encode(enum base64_variant v, const void *p, size_t n, struct buf *out);
/*
 * Writes the encoding of p[0..n) and a NUL to out, which must hold
 * base64_encoded_len(v, n) + 1 bytes; returns the encoded length.
 */
size_t base64_encode_to(enum base64_variant v, const void *p, size_t n, char *out);
/*
 * Appends the standard padded encoding of p[0..n) in lines of line_len
 * characters (rounded down to a multiple of 4, at least 4, at most
 * BASE64_MIME_LINE), each ending in CRLF; nothing for n == 0.
 */
void base64_encode_lines(const void *p, size_t n, size_t line_len, struct buf *out);

/* Strict decoding (see above): false, with out unchanged, when in is not canonical. */
bool base64_decode(enum base64_variant v, struct str in, struct buf *out);
/*
 * Strict decoding into a fixed array: false when malformed or when the
 * decoded length is not exactly want bytes. For keys and proofs of known size.
 */
bool base64_decode_exact(enum base64_variant v, struct str in, void *dst, size_t want);

/* RFC 2045 6.8 decoding state; zero-initialized (or base64_stream_init) to start. */
struct base64_stream {
	uint32_t acc;  /* bits not yet output, in the low `bits` bits */
	unsigned bits; /* 0..7 between calls */
	bool ended;    /* "=" was seen: the rest is ignored */
};

void base64_stream_init(struct base64_stream *s);
/*
 * Decodes the next piece of text, appending to out (NULL: only counts);
 * returns the number of bytes the piece decoded to. Bits of an incomplete
 * last group are dropped, as RFC 2045 6.8 leaves them meaningless.
 */
uint64_t base64_stream_decode(struct base64_stream *s, const char *p, size_t n, struct buf *out);
/* base64_stream_decode of one whole text. */
void base64_mime_decode(const char *p, size_t n, struct buf *out);
uint64_t base64_mime_decoded_size(const char *p, size_t n);

/*
 * The 6-bit value of c in the alphabet whose last two characters are c62 and
 * c63 ('+' '/' in RFC 4648 4, '-' '_' in RFC 4648 5, '+' ',' in IMAP's
 * modified UTF-7, RFC 3501 5.1.3), or -1.
 */
static inline int base64_sextet(unsigned char c, char c62, char c63)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (unsigned char)c62)
		return 62;
	if (c == (unsigned char)c63)
		return 63;
	return -1;
}

#endif
