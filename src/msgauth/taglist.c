#include "msgauth/taglist.h"

#include <string.h>

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

bool taglist_fws_at(struct str s, size_t i, size_t *len)
{
	size_t j = i;
	while (j < s.len && is_wsp(s.p[j]))
		j++;
	/* RFC 6376 2.8: FWS = [*WSP CRLF] 1*WSP; a bare LF is taken as CRLF. */
	size_t k = j;
	if (k < s.len && s.p[k] == '\r' && k + 1 < s.len && s.p[k + 1] == '\n')
		k += 2;
	else if (k < s.len && s.p[k] == '\n')
		k++;
	if (k != j && k < s.len && is_wsp(s.p[k])) {
		while (k < s.len && is_wsp(s.p[k]))
			k++;
		j = k;
	}
	*len = j - i;
	return j > i;
}

static size_t skip_fws(struct str s, size_t i)
{
	size_t n;
	while (taglist_fws_at(s, i, &n))
		i += n;
	return i;
}

/* RFC 6376 3.2: VALCHAR = %x21-3A / %x3C-7E, and 8-bit bytes (UTF-8, the informative note). */
static bool is_valchar(unsigned char c)
{
	return (c >= 0x21 && c <= 0x7e && c != ';') || c >= 0x80;
}

static bool is_alnumpunc(char c)
{
	return ascii_isalnum(c) || c == '_';
}

/* One tag-spec at *pos; leaves *pos at the ";" or the end. */
static bool parse_tag(struct str s, size_t *pos, struct tag *t, struct error *err)
{
	size_t i = skip_fws(s, *pos);
	size_t name = i;
	if (i >= s.len || !ascii_isalpha(s.p[i]))
		return error_set(err, ERR_INVALID, "tag name expected at offset %zu", i);
	while (i < s.len && is_alnumpunc(s.p[i]))
		i++;
	t->name = str_make(s.p + name, i - name);
	i = skip_fws(s, i);
	if (i >= s.len || s.p[i] != '=')
		return error_set(err, ERR_INVALID, "\"=\" expected after tag \"%.*s\"",
				 (int)t->name.len, t->name.p);
	i++;
	t->span_start = i;
	i = skip_fws(s, i);
	size_t vstart = i, vend = i;
	for (;;) {
		while (i < s.len && is_valchar((unsigned char)s.p[i]))
			i++;
		vend = i;
		size_t after = skip_fws(s, i);
		if (after == i || after >= s.len || !is_valchar((unsigned char)s.p[after])) {
			i = after;
			break;
		}
		i = after;
	}
	t->value = str_make(s.p + vstart, vend - vstart);
	if (i < s.len && s.p[i] != ';')
		return error_set(err, ERR_INVALID,
				 "invalid character 0x%02x in value of tag \"%.*s\"",
				 (unsigned char)s.p[i], (int)t->name.len, t->name.p);
	t->span_end = i;
	*pos = i;
	return true;
}

bool taglist_parse(struct str s, struct taglist *out, struct error *err)
{
	out->n = 0;
	size_t i = 0;
	for (;;) {
		if (skip_fws(s, i) >= s.len && out->n > 0)
			break; /* a ";" may end the list */
		if (out->n == TAGLIST_MAX)
			return error_set(err, ERR_LIMIT, "more than %d tags", TAGLIST_MAX);
		struct tag t;
		if (!parse_tag(s, &i, &t, err))
			return false;
		for (size_t k = 0; k < out->n; k++)
			if (str_eq(out->v[k].name, t.name))
				return error_set(err, ERR_INVALID, "duplicate tag \"%.*s\"",
						 (int)t.name.len, t.name.p);
		out->v[out->n++] = t;
		if (i >= s.len)
			break;
		i++; /* the ";" */
	}
	return true;
}

const struct tag *taglist_get(const struct taglist *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (str_eq_cstr(l->v[i].name, name))
			return &l->v[i];
	return NULL;
}

void taglist_strip_fws(struct str s, struct buf *out)
{
	for (size_t i = 0; i < s.len; i++) {
		char c = s.p[i];
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
			buf_putc(out, c);
	}
}
