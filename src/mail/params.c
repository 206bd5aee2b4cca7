#include "mail/params.h"

#include "mail/charset.h"
#include "mail/codec.h"
#include "mail/header.h"

#include "base/buf.h"

#include <stdlib.h>
#include <string.h>

/* RFC 2045 5.1 tspecials. */
static bool is_tspecial(char c)
{
	return strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

static bool is_token_char(char c)
{
	unsigned char u = (unsigned char)c;
	return u > 32 && u < 127 && !is_tspecial(c);
}

struct cursor {
	const char *p;
	size_t n, i;
};

/* Skips white space and (nested) comments. */
static void skip_cfws(struct cursor *c)
{
	while (c->i < c->n) {
		char ch = c->p[c->i];
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
			c->i++;
			continue;
		}
		if (ch != '(')
			return;
		int depth = 0;
		while (c->i < c->n) {
			ch = c->p[c->i++];
			if (ch == '\\' && c->i < c->n)
				c->i++;
			else if (ch == '(')
				depth++;
			else if (ch == ')' && --depth == 0)
				break;
		}
	}
}

static struct str read_token(struct cursor *c)
{
	size_t s = c->i;
	while (c->i < c->n && is_token_char(c->p[c->i]))
		c->i++;
	return str_make(c->p + s, c->i - s);
}

static char *lower_dup(struct arena *a, struct str s)
{
	char *r = arena_memdup0(a, s.p, s.len);
	ascii_lower_inplace(r);
	return r;
}

/* A parameter as written, before RFC 2231 joining. */
struct raw_param {
	struct str name; /* lower-cased copy */
	struct buf value;
	bool quoted;
};

/* Reads a quoted-string (opening quote at c->i); tolerates a missing end quote. */
static void read_quoted(struct cursor *c, struct buf *out)
{
	c->i++;
	while (c->i < c->n) {
		char ch = c->p[c->i++];
		if (ch == '"')
			return;
		if (ch == '\\' && c->i < c->n)
			ch = c->p[c->i++];
		buf_putc(out, ch);
	}
}

/* An unquoted value: everything up to ";" (tspecials included, as broken
 * mailers write them), trailing white space and comments removed. */
static void read_bare_value(struct cursor *c, struct buf *out, bool *bad)
{
	size_t s = c->i;
	while (c->i < c->n && c->p[c->i] != ';' && c->p[c->i] != '(')
		c->i++;
	size_t e = c->i;
	while (e > s && (c->p[e - 1] == ' ' || c->p[e - 1] == '\t'))
		e--;
	for (size_t k = s; k < e; k++)
		if (!is_token_char(c->p[k]))
			*bad = true;
	buf_append(out, c->p + s, e - s);
	skip_cfws(c);
}

static size_t collect_raw(struct cursor *c, struct raw_param *raw, struct arena *a, bool *bad)
{
	size_t n = 0;
	while (c->i < c->n) {
		skip_cfws(c);
		if (c->i >= c->n)
			break;
		if (c->p[c->i] == ';') {
			c->i++;
			continue;
		}
		struct str name = read_token(c);
		skip_cfws(c);
		if (name.len == 0 || c->i >= c->n || c->p[c->i] != '=') {
			/* Not "name=value": skip to the next parameter. */
			*bad = true;
			while (c->i < c->n && c->p[c->i] != ';')
				c->i++;
			continue;
		}
		c->i++;
		skip_cfws(c);
		if (n >= MAIL_PARAMS_MAX) {
			*bad = true;
			break;
		}
		struct raw_param *r = &raw[n++];
		char *lname = lower_dup(a, name);
		r->name = str_make(lname, name.len);
		buf_init(&r->value);
		r->quoted = c->i < c->n && c->p[c->i] == '"';
		if (r->quoted) {
			read_quoted(c, &r->value);
			skip_cfws(c);
		} else {
			read_bare_value(c, &r->value, bad);
		}
		if (c->i < c->n && c->p[c->i] != ';')
			*bad = true;
	}
	return n;
}

/* RFC 2231 3/4: "name*", "name*N", "name*N*". */
struct name_parts {
	struct str base;
	int section;   /* -1 for none */
	bool extended; /* value is charset'lang'%XX (first) or %XX */
};

static struct name_parts split_name(struct str name)
{
	struct name_parts np = {name, -1, false};
	ptrdiff_t star = str_index(name, '*');
	if (star <= 0)
		return np;
	struct str rest = str_sub(name, (size_t)star + 1, name.len);
	if (rest.len == 0) {
		/* "name*": one extended value, no continuation. */
		np.base = str_sub(name, 0, (size_t)star);
		np.extended = true;
		return np;
	}
	bool ext = rest.p[rest.len - 1] == '*';
	struct str num = ext ? str_sub(rest, 0, rest.len - 1) : rest;
	uint64_t v = 0;
	if ((num.len > 1 && num.p[0] == '0') || !str_parse_u64(num, MAIL_PARAMS_MAX, &v))
		return np;
	np.base = str_sub(name, 0, (size_t)star);
	np.section = (int)v;
	np.extended = ext;
	return np;
}

static void pct_decode(const char *p, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '%' && i + 2 < n && ascii_hexval(p[i + 1]) >= 0 &&
		    ascii_hexval(p[i + 2]) >= 0) {
			buf_putc(out, (char)(ascii_hexval(p[i + 1]) * 16 + ascii_hexval(p[i + 2])));
			i += 2;
			continue;
		}
		buf_putc(out, p[i]);
	}
}

/* A plain (non-RFC 2231) value: RFC 2047 words decoded when present, UTF-8. */
static char *plain_value(struct arena *a, const struct buf *v)
{
	struct str s = str_make(v->data ? v->data : "", v->len);
	struct buf out = BUF_INIT;
	if (strstr(buf_cstr(v), "=?"))
		mail_decode_words_buf(s, &out);
	else
		mail_utf8_sanitize(s.p, s.len, &out);
	char *r = arena_memdup0(a, out.data ? out.data : "", out.len);
	buf_free(&out);
	return r;
}

/* Joins the RFC 2231 pieces of base (indexes in idx, any order) into UTF-8. */
static char *join_2231(struct arena *a, struct raw_param *raw, const struct name_parts *np,
		       const size_t *idx, size_t nidx)
{
	/* Order by section; pieces without a number ("name*") count as 0. */
	const size_t *order[MAIL_PARAMS_MAX];
	size_t cnt = 0;
	for (int want = 0; want <= MAIL_PARAMS_MAX && cnt < nidx; want++) {
		bool found = false;
		for (size_t k = 0; k < nidx; k++) {
			int sec = np[idx[k]].section < 0 ? 0 : np[idx[k]].section;
			if (sec == want) {
				order[cnt++] = &idx[k];
				found = true;
				break;
			}
		}
		if (!found)
			break; /* RFC 2231 3: sections are consecutive from 0 */
	}
	struct str charset = STR_NULL;
	struct buf bytes = BUF_INIT;
	for (size_t k = 0; k < cnt; k++) {
		size_t j = *order[k];
		struct buf *v = &raw[j].value;
		const char *p = v->data ? v->data : "";
		size_t n = v->len;
		if (np[j].extended && k == 0) {
			/* RFC 2231 4: charset'language'value */
			const char *q1 = memchr(p, '\'', n);
			const char *q2 =
			    q1 ? memchr(q1 + 1, '\'', (size_t)(p + n - (q1 + 1))) : NULL;
			if (q2) {
				charset = str_make(p, (size_t)(q1 - p));
				n -= (size_t)(q2 + 1 - p);
				p = q2 + 1;
			}
		}
		if (np[j].extended)
			pct_decode(p, n, &bytes);
		else
			buf_append(&bytes, p, n);
	}
	struct buf out = BUF_INIT;
	const char *bp = bytes.data ? bytes.data : "";
	if (charset.len == 0 || !mail_charset_to_utf8(charset.p, charset.len, bp, bytes.len, &out))
		mail_utf8_sanitize(bp, bytes.len, &out);
	char *r = arena_memdup0(a, out.data ? out.data : "", out.len);
	buf_free(&out);
	buf_free(&bytes);
	return r;
}

/* Builds the final list: one entry per base name, in order of appearance. */
static void join_params(struct arena *a, struct raw_param *raw, size_t nraw,
			struct mail_typed_value *out)
{
	struct name_parts np[MAIL_PARAMS_MAX];
	for (size_t i = 0; i < nraw; i++)
		np[i] = split_name(raw[i].name);
	out->params = arena_array(a, nraw ? nraw : 1, sizeof *out->params);
	out->nparams = 0;
	bool done[MAIL_PARAMS_MAX] = {false};
	for (size_t i = 0; i < nraw; i++) {
		if (done[i])
			continue;
		/* All pieces of this base name, RFC 2231 ones first. */
		size_t idx[MAIL_PARAMS_MAX], nidx = 0;
		size_t plain = SIZE_MAX;
		for (size_t j = i; j < nraw; j++) {
			if (done[j] || !str_eq(np[j].base, np[i].base))
				continue;
			done[j] = true;
			bool is2231 = np[j].section >= 0 || np[j].extended;
			if (is2231)
				idx[nidx++] = j;
			else if (plain == SIZE_MAX)
				plain = j;
			else
				out->bad_params = true;
		}
		struct mail_param *p = &out->params[out->nparams++];
		p->name = arena_memdup0(a, np[i].base.p, np[i].base.len);
		if (nidx > 0)
			p->value = join_2231(a, raw, np, idx, nidx);
		else
			p->value = plain_value(a, &raw[plain].value);
	}
}

void mail_params_parse(struct arena *a, struct str value, bool with_subtype,
		       struct mail_typed_value *out)
{
	memset(out, 0, sizeof *out);
	struct cursor c = {value.p, value.len, 0};
	skip_cfws(&c);
	struct str type = read_token(&c);
	skip_cfws(&c);
	struct str subtype = STR_NULL;
	bool type_ok = type.len > 0;
	if (with_subtype) {
		if (c.i < c.n && c.p[c.i] == '/') {
			c.i++;
			skip_cfws(&c);
			subtype = read_token(&c);
			skip_cfws(&c);
		}
		type_ok = type_ok && subtype.len > 0;
	}
	if (type_ok) {
		out->type = lower_dup(a, type);
		out->subtype = with_subtype ? lower_dup(a, subtype) : NULL;
	}
	/* Skip junk before the first ";" (a bad type, or text after it). */
	if (c.i < c.n && c.p[c.i] != ';') {
		out->bad_params = true;
		while (c.i < c.n && c.p[c.i] != ';')
			c.i++;
	}
	struct raw_param raw[MAIL_PARAMS_MAX];
	size_t nraw = collect_raw(&c, raw, a, &out->bad_params);
	join_params(a, raw, nraw, out);
	for (size_t i = 0; i < nraw; i++)
		buf_free(&raw[i].value);
}
