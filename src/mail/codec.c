#include "mail/codec.h"

#include "mail/mail.h"

#include "base/base64.h"
#include "base/str.h"

#include <string.h>

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
		base64_mime_decode(p, n, out);
	else if (encoding && ascii_caseeq(encoding, "quoted-printable"))
		mail_qp_decode(p, n, out);
	else
		buf_append(out, p, n);
}

uint64_t mail_transfer_decoded_size(const char *p, size_t n, const char *encoding)
{
	if (encoding && ascii_caseeq(encoding, "base64"))
		return base64_mime_decoded_size(p, n);
	if (encoding && ascii_caseeq(encoding, "quoted-printable"))
		return mail_qp_decoded_size(p, n);
	return n;
}
