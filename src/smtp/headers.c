#include "smtp/headers.h"

#include <string.h>

static bool is_ftext(unsigned char c)
{
	/* RFC 5322 3.6.8: printable US-ASCII except ':'. */
	return c >= 33 && c <= 126 && c != ':';
}

/* The end of the line starting at i (index of LF, or n). */
static size_t line_end(const char *p, size_t n, size_t i)
{
	const char *nl = memchr(p + i, '\n', n - i);
	return nl ? (size_t)(nl - p) : n;
}

void smtp_headers_parse(const char *p, size_t n, struct smtp_headers *h)
{
	h->n = 0;
	h->complete = false;
	h->end = 0;
	size_t i = 0;
	while (i < n && h->n < SMTP_HEADERS_MAX) {
		size_t e = line_end(p, n, i);
		size_t len = e - i;
		if (len > 0 && p[e - 1] == '\r')
			len--;
		if (len == 0) {
			h->complete = e < n;
			h->end = e < n ? e + 1 : n;
			return;
		}
		size_t colon = 0;
		while (colon < len && is_ftext((unsigned char)p[i + colon]))
			colon++;
		/* Some writers put spaces before the colon (obs-ftext); accept those. */
		size_t name_len = colon;
		while (colon < len && (p[i + colon] == ' ' || p[i + colon] == '\t'))
			colon++;
		if (name_len == 0 || colon >= len || p[i + colon] != ':')
			break; /* not a field: the body starts here */
		struct smtp_header *f = &h->v[h->n++];
		f->name = str_make(p + i, name_len);
		size_t vstart = i + colon + 1;
		/* Continuation lines start with WSP. */
		size_t j = e < n ? e + 1 : n;
		while (j < n && (p[j] == ' ' || p[j] == '\t'))
			j = line_end(p, n, j) < n ? line_end(p, n, j) + 1 : n;
		size_t vend = j;
		while (vend > vstart && (p[vend - 1] == '\n' || p[vend - 1] == '\r'))
			vend--;
		f->value = str_make(p + vstart, vend > vstart ? vend - vstart : 0);
		i = j;
		h->end = j;
	}
}

const struct smtp_header *smtp_headers_get(const struct smtp_headers *h, const char *name)
{
	for (size_t i = 0; i < h->n; i++)
		if (str_eqi_cstr(h->v[i].name, name))
			return &h->v[i];
	return NULL;
}

void smtp_header_unfold(struct str value, struct buf *out)
{
	size_t start = out->len;
	for (size_t i = 0; i < value.len; i++) {
		char c = value.p[i];
		if (c == '\r' || c == '\n')
			continue;
		buf_putc(out, c);
	}
	/* Trim in place. */
	struct str t = str_trim(str_make(out->data ? out->data + start : "", out->len - start));
	if (t.len != out->len - start) {
		memmove(out->data + start, t.p, t.len);
		buf_truncate(out, start + t.len);
	}
}

/* Removes comments "(...)" outside quoted strings, keeping their place as a space. */
static void strip_comments(struct str v, struct buf *out)
{
	int depth = 0;
	bool quoted = false;
	for (size_t i = 0; i < v.len; i++) {
		char c = v.p[i];
		if (c == '\\' && i + 1 < v.len && (quoted || depth > 0)) {
			if (depth == 0) {
				buf_putc(out, c);
				buf_putc(out, v.p[i + 1]);
			}
			i++;
			continue;
		}
		if (depth == 0 && c == '"')
			quoted = !quoted;
		if (!quoted && c == '(') {
			depth++;
			continue;
		}
		if (!quoted && depth > 0 && c == ')') {
			if (--depth == 0)
				buf_putc(out, ' ');
			continue;
		}
		if (depth == 0)
			buf_putc(out, c);
	}
}

bool smtp_header_address(struct str value, struct address *out, struct error *err)
{
	struct buf unf = BUF_INIT, clean = BUF_INIT;
	smtp_header_unfold(value, &unf);
	strip_comments(str_make(buf_cstr(&unf), unf.len), &clean);
	struct str v = str_trim(str_make(buf_cstr(&clean), clean.len));
	/* Find '<' ... '>' outside quotes; a ',' or ';' outside quotes/brackets means more. */
	bool quoted = false;
	ptrdiff_t lt = -1, gt = -1;
	bool ok = true;
	for (size_t i = 0; i < v.len && ok; i++) {
		char c = v.p[i];
		if (c == '\\' && quoted) {
			i++;
			continue;
		}
		if (c == '"')
			quoted = !quoted;
		else if (!quoted && c == '<' && lt < 0)
			lt = (ptrdiff_t)i;
		else if (!quoted && c == '>' && lt >= 0 && gt < 0)
			gt = (ptrdiff_t)i;
		else if (!quoted && (c == ',' || c == ';' || (c == ':' && lt < 0)))
			ok = error_set(err, ERR_INVALID, "more than one address, or a group");
	}
	if (ok) {
		struct str a = lt >= 0 && gt > lt ? str_sub(v, (size_t)lt + 1, (size_t)gt) : v;
		if (lt >= 0 && gt < 0)
			ok = error_set(err, ERR_INVALID, "missing \">\"");
		else
			ok = address_parse(str_trim(a), 0, out, err);
	}
	buf_free(&unf);
	buf_free(&clean);
	return ok;
}
