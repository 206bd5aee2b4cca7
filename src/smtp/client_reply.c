#include "smtp/client_reply.h"

#include <stdio.h>
#include <string.h>

void smtp_reply_init(struct smtp_reply *r)
{
	memset(r, 0, sizeof *r);
	buf_init(&r->text);
}

void smtp_reply_free(struct smtp_reply *r)
{
	buf_free(&r->text);
	memset(r, 0, sizeof *r);
}

void smtp_reply_reset(struct smtp_reply *r)
{
	r->code = 0;
	r->ecode[0] = '\0';
	r->nlines = 0;
	buf_reset(&r->text);
}

void smtp_reply_copy(struct smtp_reply *dst, const struct smtp_reply *src)
{
	smtp_reply_reset(dst);
	dst->code = src->code;
	memcpy(dst->ecode, src->ecode, sizeof dst->ecode);
	dst->nlines = src->nlines;
	buf_append(&dst->text, src->text.data, src->text.len);
}

/* Up to max digits at s[*i]; false when there are none. */
static bool digits(struct str s, size_t *i, unsigned max)
{
	size_t start = *i;
	while (*i < s.len && *i - start < max && ascii_isdigit(s.p[*i]))
		(*i)++;
	return *i > start;
}

size_t smtp_ecode_parse(struct str text, int code, char out[SMTP_ECODE_MAX])
{
	out[0] = '\0';
	/* RFC 3463 2: class "." subject "." detail; the class (2, 4 or 5) is the reply's
	 * first digit. */
	int class = code / 100;
	if ((class != 2 && class != 4 && class != 5) || text.len < 5 ||
	    text.p[0] != (char)('0' + code / 100) || text.p[1] != '.')
		return 0;
	size_t i = 2;
	if (!digits(text, &i, 3) || i >= text.len || text.p[i] != '.')
		return 0;
	i++;
	if (!digits(text, &i, 3))
		return 0;
	if (i < text.len && text.p[i] != ' ')
		return 0; /* "5.1.1x" or "5.1.1234": not a code */
	memcpy(out, text.p, i);
	out[i] = '\0';
	return i < text.len ? i + 1 : i;
}

/* A printable prefix of a line for error messages. */
static void printable(struct str line, char *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < line.len && n + 1 < cap; i++) {
		unsigned char ch = (unsigned char)line.p[i];
		out[n++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	out[n] = '\0';
}

static bool malformed(struct str line, const char *why, struct error *err)
{
	char shown[81];
	printable(line, shown, sizeof shown);
	return error_set(err, ERR_INVALID, "malformed reply (%s): \"%s\"", why, shown);
}

bool smtp_reply_add_line(struct smtp_reply *r, struct str line, bool *done, struct error *err)
{
	*done = false;
	if (line.len < 3 || !ascii_isdigit(line.p[0]) || !ascii_isdigit(line.p[1]) ||
	    !ascii_isdigit(line.p[2]))
		return malformed(line, "no reply code", err);
	int code = (line.p[0] - '0') * 100 + (line.p[1] - '0') * 10 + (line.p[2] - '0');
	if (code < 200 || code > 599)
		return malformed(line, "reply code out of range", err);
	if (line.len > 3 && line.p[3] != ' ' && line.p[3] != '-')
		return malformed(line, "no space or dash after the code", err);
	/* RFC 5321 4.2.1: every line of a multi-line reply has the same code. */
	if (r->nlines > 0 && code != r->code)
		return malformed(line, "code differs from the reply's first line", err);
	if (r->nlines >= SMTP_REPLY_LINES_MAX)
		return error_set(err, ERR_LIMIT, "reply of more than %d lines",
				 SMTP_REPLY_LINES_MAX);
	struct str text = line.len > 4 ? str_sub(line, 4, line.len) : STR_LIT("");
	char ecode[SMTP_ECODE_MAX];
	size_t skip = smtp_ecode_parse(text, code, ecode);
	text = str_sub(text, skip, text.len);
	if (r->text.len + 1 + text.len > SMTP_REPLY_TEXT_MAX)
		return error_set(err, ERR_LIMIT, "reply longer than %d bytes", SMTP_REPLY_TEXT_MAX);
	if (r->nlines == 0)
		memcpy(r->ecode, ecode, sizeof r->ecode);
	else
		buf_putc(&r->text, '\n');
	buf_append(&r->text, text.p, text.len);
	r->code = code;
	r->nlines++;
	*done = line.len == 3 || line.p[3] == ' ';
	return true;
}

struct str smtp_reply_first_line(const struct smtp_reply *r)
{
	if (r->text.len == 0)
		return STR_LIT("");
	struct str t = str_make(r->text.data, r->text.len);
	ptrdiff_t nl = str_index(t, '\n');
	return nl < 0 ? t : str_sub(t, 0, (size_t)nl);
}

void smtp_reply_summary(const struct smtp_reply *r, char *out, size_t cap)
{
	struct str first = smtp_reply_first_line(r);
	char text[256];
	printable(first, text, sizeof text);
	snprintf(out, cap, "%d%s%s%s%s", r->code, r->ecode[0] ? " " : "", r->ecode,
		 text[0] ? " " : "", text);
}
