/*
 * Modified UTF-7 (RFC 3501 5.1.3, RFC 2152).
 */
#include "imap/utf7.h"

#include "base/base64.h"
#include "base/str.h"
#include "base/utf8.h"

#include <stdint.h>

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static void put_utf8(struct buf *out, uint32_t cp)
{
	char b[4];
	buf_append(out, b, utf8_encode(cp, b));
}

/* Decodes the base64 of one shifted section s[0..n) (between "&" and "-"). */
static bool decode_section(const char *s, size_t n, struct buf *out, struct error *err)
{
	uint32_t bits = 0;
	int nbits = 0;
	uint32_t high = 0; /* a pending high surrogate */
	size_t units = 0;
	for (size_t i = 0; i < n; i++) {
		int v = base64_sextet((unsigned char)s[i], '+', ',');
		if (v < 0)
			return error_set(
			    err, ERR_INVALID,
			    "modified UTF-7: invalid base64 character in mailbox name");
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		uint32_t u = (bits >> nbits) & 0xffff;
		bits &= (1u << nbits) - 1;
		units++;
		if (high) {
			if (u < 0xdc00 || u > 0xdfff)
				return error_set(
				    err, ERR_INVALID,
				    "modified UTF-7: unpaired surrogate in mailbox name");
			put_utf8(out, 0x10000 + ((high - 0xd800) << 10) + (u - 0xdc00));
			high = 0;
			continue;
		}
		if (u >= 0xd800 && u <= 0xdbff) {
			high = u;
			continue;
		}
		if (u >= 0xdc00 && u <= 0xdfff)
			return error_set(err, ERR_INVALID,
					 "modified UTF-7: unpaired surrogate in mailbox name");
		/* RFC 3501 5.1.3: printable ASCII must represent itself ("&" is "&-"). */
		if (u >= 0x20 && u <= 0x7e && u != '&')
			return error_set(err, ERR_INVALID,
					 "modified UTF-7: printable ASCII encoded in mailbox name");
		put_utf8(out, u);
	}
	if (high)
		return error_set(err, ERR_INVALID,
				 "modified UTF-7: unpaired surrogate in mailbox name");
	/* Leftover bits: fewer than 6 (a partial base64 digit) and all zero. */
	if (nbits >= 6 || bits != 0 || units == 0)
		return error_set(err, ERR_INVALID,
				 "modified UTF-7: incomplete base64 in mailbox name");
	return true;
}

bool imap_utf7_decode(const char *s, size_t n, struct buf *out, struct error *err)
{
	size_t i = 0;
	bool last_was_section = false; /* the previous characters were an encoded section */
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80) {
			uint32_t cp;
			size_t k = utf8_decode(s + i, n - i, &cp);
			if (k == 0)
				return error_set(
				    err, ERR_INVALID,
				    "mailbox name is neither modified UTF-7 nor UTF-8");
			buf_append(out, s + i, k);
			i += k;
			last_was_section = false;
			continue;
		}
		if (c != '&') {
			buf_putc(out, (char)c);
			i++;
			last_was_section = false;
			continue;
		}
		size_t start = ++i;
		while (i < n && s[i] != '-')
			i++;
		if (i == n)
			return error_set(err, ERR_INVALID,
					 "modified UTF-7: shift without \"-\" in mailbox name");
		if (i == start) {
			buf_putc(out, '&');
			i++;
			last_was_section = false;
			continue;
		}
		if (last_was_section)
			return error_set(err, ERR_INVALID,
					 "modified UTF-7: two encoded sections back to back");
		if (!decode_section(s + start, i - start, out, err))
			return false;
		i++;
		last_was_section = true;
	}
	return true;
}

/* Writes one encoded section for the UTF-16 units collected in run (RFC 2152 base64). */
static void flush_run(struct buf *run, struct buf *out)
{
	if (run->len == 0)
		return;
	buf_putc(out, '&');
	uint32_t bits = 0;
	int nbits = 0;
	for (size_t i = 0; i + 1 < run->len; i += 2) {
		bits = (bits << 16) | ((uint32_t)(unsigned char)run->data[i] << 8) |
		       (unsigned char)run->data[i + 1];
		nbits += 16;
		while (nbits >= 6) {
			nbits -= 6;
			buf_putc(out, b64chars[(bits >> nbits) & 0x3f]);
		}
		bits &= (1u << nbits) - 1;
	}
	if (nbits > 0)
		buf_putc(out, b64chars[(bits << (6 - nbits)) & 0x3f]);
	buf_putc(out, '-');
	buf_reset(run);
}

static void put_unit(struct buf *run, uint32_t u)
{
	char b[2] = {(char)(u >> 8), (char)(u & 0xff)};
	buf_append(run, b, 2);
}

void imap_utf7_encode(const char *s, size_t n, struct buf *out)
{
	struct buf run = BUF_INIT; /* UTF-16BE of the characters to encode, one section */
	size_t i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c <= 0x7e) {
			flush_run(&run, out);
			if (c == '&')
				buf_puts(out, "&-");
			else
				buf_putc(out, (char)c);
			i++;
			continue;
		}
		uint32_t cp;
		size_t k = utf8_decode(s + i, n - i, &cp);
		if (k == 0) {
			cp = 0xfffd;
			k = 1;
		}
		i += k;
		if (cp >= 0x10000) {
			put_unit(&run, 0xd800 + ((cp - 0x10000) >> 10));
			put_unit(&run, 0xdc00 + ((cp - 0x10000) & 0x3ff));
		} else {
			put_unit(&run, cp);
		}
	}
	flush_run(&run, out);
	buf_free(&run);
}
