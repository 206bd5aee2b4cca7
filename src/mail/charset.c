#include "mail/charset.h"

#include "base/str.h"
#include "base/utf8.h"

#include <errno.h>
#include <iconv.h>
#include <string.h>

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

void mail_utf8_sanitize(const char *p, size_t n, struct buf *out)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)p[i];
		if (c == 0) {
			i++;
			continue;
		}
		if (c < 0x80) {
			size_t j = i;
			while (j < n && (unsigned char)p[j] < 0x80 && p[j] != 0)
				j++;
			buf_append(out, p + i, j - i);
			i = j;
			continue;
		}
		uint32_t cp;
		size_t used = utf8_decode(p + i, n - i, &cp);
		if (used == 0) {
			buf_puts(out, replacement);
			i++;
			continue;
		}
		buf_append(out, p + i, used);
		i += used;
	}
}

/* A charset name as a plain token: letters, digits and "-_.:+()", no "/" or
 * "," that iconv would read as options. */
static bool charset_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > MAIL_CHARSET_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!ascii_isalnum(c) && !strchr("-_.:+()", c))
			return false;
	}
	return true;
}

static bool is_utf8_name(struct str name)
{
	return str_eqi_cstr(name, "utf-8") || str_eqi_cstr(name, "utf8") ||
	       str_eqi_cstr(name, "us-ascii") || str_eqi_cstr(name, "ascii") ||
	       str_eqi_cstr(name, "ansi_x3.4-1968");
}

/* Runs iconv over the whole input; invalid sequences become U+FFFD. */
static void convert(iconv_t cd, const char *p, size_t n, struct buf *out)
{
	char tmp[1024];
	char *in = (char *)(uintptr_t)p; /* iconv's prototype lacks const */
	size_t inleft = n;
	while (inleft > 0) {
		char *o = tmp;
		size_t oleft = sizeof tmp;
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);
		int e = errno;
		mail_utf8_sanitize(tmp, (size_t)(o - tmp), out);
		if (r != (size_t)-1)
			break;
		if (e == E2BIG)
			continue;
		/* EILSEQ, or EINVAL for an incomplete sequence at the end. */
		buf_puts(out, replacement);
		in++;
		inleft--;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	/* Flush the shift state of stateful encodings (ISO-2022-JP). */
	char *o = tmp;
	size_t oleft = sizeof tmp;
	if (iconv(cd, NULL, NULL, &o, &oleft) != (size_t)-1)
		mail_utf8_sanitize(tmp, (size_t)(o - tmp), out);
}

bool mail_charset_to_utf8(const char *charset, size_t charset_len, const char *p, size_t n,
			  struct buf *out)
{
	struct str name = str_make(charset, charset_len);
	if (is_utf8_name(name)) {
		mail_utf8_sanitize(p, n, out);
		return true;
	}
	if (!charset_name_ok(charset, charset_len))
		return false;
	char cname[MAIL_CHARSET_NAME_MAX + 1];
	memcpy(cname, charset, charset_len);
	cname[charset_len] = '\0';
	iconv_t cd = iconv_open("UTF-8", cname);
	if (cd == (iconv_t)-1)
		return false;
	convert(cd, p, n, out);
	iconv_close(cd);
	return true;
}
