/*
 * utf8: validation and decoding of UTF-8 (RFC 3629).
 *
 * (and encoding). Validation is strict: overlong encodings, surrogates (U+D800..U+DFFF) and
 * code points above U+10FFFF are invalid, as RFC 3629 section 3 requires.
 * Decoding never reads past the given length.
 */
#ifndef TERN_BASE_UTF8_H
#define TERN_BASE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when all n bytes form valid UTF-8. */
bool utf8_valid(const char *s, size_t n);

/*
 * Decodes one code point at s (n bytes available). Returns the number of bytes
 * used (1..4) and sets *cp, or returns 0 for an invalid or truncated sequence.
 */
size_t utf8_decode(const char *s, size_t n, uint32_t *cp);

/* Encodes cp into out; returns the bytes written (1..4), 0 for surrogates and values above
 * U+10FFFF. */
size_t utf8_encode(uint32_t cp, char out[4]);

/* True when s has a byte >= 0x80. */
bool utf8_has_nonascii(const char *s, size_t n);

#endif
