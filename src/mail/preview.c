/*
 * Message previews (see preview.h).
 */
#include "mail/preview.h"

#include "base/utf8.h"
#include "mail/charset.h"

#include <string.h>
#include <strings.h>

#define PART_DEPTH_MAX 32

static bool is_attachment(const struct mail_part *p)
{
	return p->disposition && strcmp(p->disposition, "attachment") == 0;
}

/* The first text/<subtype> leaf that is not an attachment, depth first. */
static const struct mail_part *find_part(const struct mail_part *p, const char *subtype, int depth)
{
	if (depth > PART_DEPTH_MAX)
		return NULL;
	if (p->nchildren) {
		for (size_t i = 0; i < p->nchildren; i++) {
			const struct mail_part *f = find_part(&p->children[i], subtype, depth + 1);
			if (f)
				return f;
		}
		return NULL;
	}
	if (p->message || !p->type || !p->subtype)
		return NULL;
	if (strcmp(p->type, "text") == 0 && strcmp(p->subtype, subtype) == 0 && !is_attachment(p))
		return p;
	return NULL;
}

/* Collects words: white space runs become one space, at most MAIL_PREVIEW_CHARS. */
struct collector {
	struct buf *out;
	size_t start;
	size_t chars;
	bool space; /* a space is due before the next character */
	bool full;
};

static void put_char(struct collector *c, const char *p, size_t n)
{
	if (c->full)
		return;
	if (c->space && c->out->len > c->start) {
		if (c->chars + 1 >= MAIL_PREVIEW_CHARS) {
			c->full = true;
			return;
		}
		buf_putc(c->out, ' ');
		c->chars++;
	}
	c->space = false;
	buf_append(c->out, p, n);
	if (++c->chars >= MAIL_PREVIEW_CHARS)
		c->full = true;
}

/* Adds UTF-8 text; invalid bytes are dropped, controls and white space separate words. */
static void put_text(struct collector *c, const char *p, size_t n)
{
	for (size_t i = 0; i < n && !c->full;) {
		unsigned char b = (unsigned char)p[i];
		if (b < 0x80) {
			if (b <= ' ' || b == 0x7f)
				c->space = true;
			else
				put_char(c, p + i, 1);
			i++;
			continue;
		}
		uint32_t cp;
		size_t k = utf8_decode(p + i, n - i, &cp);
		if (k == 0) {
			i++;
			continue;
		}
		if (cp == 0xa0 || (cp >= 0x2000 && cp <= 0x200b) || cp == 0x3000 || cp == 0xfeff ||
		    (cp >= 0x80 && cp < 0xa0))
			c->space = true;
		else
			put_char(c, p + i, k);
		i += k;
	}
}

/* Plain text: quoted lines are skipped, a signature ("-- ") ends it (RFC 3676 4.3). */
static void plain_text(struct collector *c, const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && !c->full) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - p) : n;
		size_t len = end - i;
		if (len > 0 && p[i + len - 1] == '\r')
			len--;
		if (len == 3 && memcmp(p + i, "-- ", 3) == 0)
			return;
		if (!(len > 0 && p[i] == '>')) {
			put_text(c, p + i, len);
			c->space = true;
		}
		i = end + 1;
	}
}

static const struct {
	const char *name;
	const char *utf8;
} entities[] = {
    {"amp", "&"},  {"lt", "<"},   {"gt", ">"},  {"quot", "\""},
    {"apos", "'"}, {"nbsp", " "}, {"#39", "'"},
};

/* A character reference at p ("&amp;", "&#233;", "&#xe9;"); its length, 0 when none. */
static size_t entity(struct collector *c, const char *p, size_t n)
{
	const char *semi = memchr(p, ';', n < 12 ? n : 12);
	if (!semi)
		return 0;
	size_t len = (size_t)(semi - p) + 1;
	for (size_t i = 0; i < sizeof entities / sizeof entities[0]; i++) {
		size_t k = strlen(entities[i].name);
		if (len == k + 2 && strncasecmp(p + 1, entities[i].name, k) == 0) {
			put_text(c, entities[i].utf8, strlen(entities[i].utf8));
			return len;
		}
	}
	if (len < 4 || p[1] != '#')
		return 0;
	bool hex = p[2] == 'x' || p[2] == 'X';
	uint32_t cp = 0;
	for (size_t i = hex ? 3 : 2; i + 1 < len; i++) {
		char d = p[i];
		int v = d >= '0' && d <= '9'          ? d - '0'
			: hex && d >= 'a' && d <= 'f' ? d - 'a' + 10
			: hex && d >= 'A' && d <= 'F' ? d - 'A' + 10
						      : -1;
		if (v < 0 || cp > 0x10ffff)
			return 0;
		cp = cp * (hex ? 16 : 10) + (uint32_t)v;
	}
	char enc[4];
	size_t k = utf8_encode(cp, enc);
	if (k)
		put_text(c, enc, k);
	return len;
}

/* Whether p starts with "<name" followed by a non-name character. */
static bool tag_is(const char *p, size_t n, const char *name)
{
	size_t k = strlen(name);
	return n > k + 1 && p[0] == '<' && strncasecmp(p + 1, name, k) == 0 &&
	       !((p[k + 1] >= 'a' && p[k + 1] <= 'z') || (p[k + 1] >= 'A' && p[k + 1] <= 'Z'));
}

/* Skips from p to after the closing text close (case-insensitive); n when missing. */
static size_t skip_past(const char *p, size_t n, size_t from, const char *close)
{
	size_t k = strlen(close);
	for (size_t i = from; i + k <= n; i++)
		if (strncasecmp(p + i, close, k) == 0)
			return i + k;
	return n;
}

static void html_text(struct collector *c, const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && !c->full) {
		if (p[i] == '<') {
			if (n - i >= 4 && memcmp(p + i, "<!--", 4) == 0)
				i = skip_past(p, n, i + 4, "-->");
			else if (tag_is(p + i, n - i, "style"))
				i = skip_past(p, n, i, "</style>");
			else if (tag_is(p + i, n - i, "script"))
				i = skip_past(p, n, i, "</script>");
			else if (tag_is(p + i, n - i, "head"))
				i = skip_past(p, n, i, "</head>");
			else
				i = skip_past(p, n, i, ">");
			c->space = true;
			continue;
		}
		if (p[i] == '&') {
			size_t k = entity(c, p + i, n - i);
			if (k) {
				i += k;
				continue;
			}
		}
		size_t j = i;
		while (j < n && p[j] != '<' && p[j] != '&')
			j++;
		if (j == i)
			j++;
		put_text(c, p + i, j - i);
		i = j;
	}
}

void mail_preview_text(const char *text, size_t n, bool html, struct buf *out)
{
	struct collector c = {.out = out, .start = out->len};
	if (html)
		html_text(&c, text, n);
	else
		plain_text(&c, text, n);
}

void mail_preview(const struct mail_message *m, const char *data, size_t len, struct buf *out)
{
	bool html = false;
	const struct mail_part *p = find_part(&m->root, "plain", 0);
	if (!p) {
		p = find_part(&m->root, "html", 0);
		html = true;
	}
	if (!p || p->body_start > len || p->end > len || p->end < p->body_start)
		return;
	size_t n = p->end - p->body_start;
	if (n > MAIL_PREVIEW_SCAN)
		n = MAIL_PREVIEW_SCAN;
	struct buf dec = BUF_INIT, utf = BUF_INIT;
	mail_transfer_decode(data + p->body_start, n, p->encoding, &dec);
	const char *cs = mail_param_get(p->params, p->nparams, "charset");
	const char *text = dec.data ? dec.data : "";
	size_t tn = dec.len;
	if (cs && dec.len && mail_charset_to_utf8(cs, strlen(cs), dec.data, dec.len, &utf)) {
		text = utf.data ? utf.data : "";
		tn = utf.len;
	}
	mail_preview_text(text, tn, html, out);
	buf_free(&dec);
	buf_free(&utf);
}
