#include "mail/codec.h"

#include "mail/mail.h"

#include "base/str.h"

#include <string.h>

/* Walks base64 text; emit is NULL when only counting. RFC 2045 6.8: characters
 * outside the alphabet are ignored, "=" ends the data. */
static uint64_t base64_walk(const char *p, size_t n, struct buf *emit)
{
	uint32_t acc = 0;
	int bits = 0;
	uint64_t count = 0;
	char chunk[256];
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '=')
			break;
		int v = base64_sextet((unsigned char)p[i], '+', '/');
		if (v < 0)
			continue;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			count++;
			if (emit) {
				chunk[used++] = (char)((acc >> bits) & 0xff);
				if (used == sizeof chunk) {
					buf_append(emit, chunk, used);
					used = 0;
				}
			}
		}
	}
	if (emit && used)
		buf_append(emit, chunk, used);
	return count;
}

void mail_base64_encode(const void *p, size_t n, struct buf *out)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		char q[4] = {alphabet[(v >> 18) & 63], alphabet[(v >> 12) & 63],
			     i + 1 < n ? alphabet[(v >> 6) & 63] : '=',
			     i + 2 < n ? alphabet[v & 63] : '='};
		buf_append(out, q, 4);
	}
}

void mail_base64_decode(const char *p, size_t n, struct buf *out)
{
	base64_walk(p, n, out);
}

uint64_t mail_base64_decoded_size(const char *p, size_t n)
{
	return base64_walk(p, n, NULL);
}

/* Quoted-printable (RFC 2045 6.7); qword selects the RFC 2047 "Q" variant.
 * Trailing white space before a line break is transport padding (rule 3). */
static uint64_t qp_walk(const char *p, size_t n, bool qword, struct buf *emit)
{
	uint64_t count = 0;
	size_t i = 0;
	while (i < n) {
		char c = p[i];
		if (c == '=' && !qword) {
			/* Soft line break: "=" then optional white space, then CRLF or LF. */
			size_t j = i + 1;
			while (j < n && (p[j] == ' ' || p[j] == '\t'))
				j++;
			if (j < n && p[j] == '\r' && j + 1 < n && p[j + 1] == '\n') {
				i = j + 2;
				continue;
			}
			if (j < n && p[j] == '\n') {
				i = j + 1;
				continue;
			}
			if (j == n) {
				i = n;
				continue;
			}
		}
		if (c == '=' && i + 2 < n && ascii_hexval(p[i + 1]) >= 0 &&
		    ascii_hexval(p[i + 2]) >= 0) {
			char b = (char)(ascii_hexval(p[i + 1]) * 16 + ascii_hexval(p[i + 2]));
			if (emit)
				buf_putc(emit, b);
			count++;
			i += 3;
			continue;
		}
		if (qword && c == '_')
			c = ' ';
		if (!qword && (c == ' ' || c == '\t')) {
			size_t j = i;
			while (j < n && (p[j] == ' ' || p[j] == '\t'))
				j++;
			if (j == n || p[j] == '\n' ||
			    (p[j] == '\r' && j + 1 < n && p[j + 1] == '\n')) {
				i = j;
				continue;
			}
		}
		if (emit)
			buf_putc(emit, c);
		count++;
		i++;
	}
	return count;
}

void mail_qp_decode(const char *p, size_t n, struct buf *out)
{
	qp_walk(p, n, false, out);
}

uint64_t mail_qp_decoded_size(const char *p, size_t n)
{
	return qp_walk(p, n, false, NULL);
}

void mail_qword_decode(const char *p, size_t n, struct buf *out)
{
	qp_walk(p, n, true, out);
}

void mail_transfer_decode(const char *p, size_t n, const char *encoding, struct buf *out)
{
	if (encoding && ascii_caseeq(encoding, "base64"))
		mail_base64_decode(p, n, out);
	else if (encoding && ascii_caseeq(encoding, "quoted-printable"))
		mail_qp_decode(p, n, out);
	else
		buf_append(out, p, n);
}

uint64_t mail_transfer_decoded_size(const char *p, size_t n, const char *encoding)
{
	if (encoding && ascii_caseeq(encoding, "base64"))
		return mail_base64_decoded_size(p, n);
	if (encoding && ascii_caseeq(encoding, "quoted-printable"))
		return mail_qp_decoded_size(p, n);
	return n;
}
