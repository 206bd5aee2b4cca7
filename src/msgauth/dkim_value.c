#include "msgauth/dkim_value.h"

#include "base/base64.h"
#include "msgauth/taglist.h"

#include <string.h>

bool dkim_value_is_word(struct str s, bool hyphens)
{
	if (s.len == 0 || !ascii_isalpha(s.p[0]))
		return false;
	for (size_t i = 1; i < s.len; i++)
		if (!ascii_isalnum(s.p[i]) && !(hyphens && s.p[i] == '-'))
			return false;
	return s.p[s.len - 1] != '-';
}

enum dkim_key_alg dkim_key_parse(struct str s)
{
	if (str_eqi_cstr(s, "rsa"))
		return DKIM_KEY_RSA;
	if (str_eqi_cstr(s, "ed25519"))
		return DKIM_KEY_ED25519;
	return DKIM_KEY_UNKNOWN;
}

enum dkim_hash_alg dkim_hash_parse(struct str s)
{
	if (str_eqi_cstr(s, "sha256"))
		return DKIM_HASH_SHA256;
	if (str_eqi_cstr(s, "sha1"))
		return DKIM_HASH_SHA1;
	return DKIM_HASH_UNKNOWN;
}

enum dkim_canon dkim_canon_parse(struct str s)
{
	if (str_eqi_cstr(s, "simple"))
		return DKIM_CANON_SIMPLE;
	if (str_eqi_cstr(s, "relaxed"))
		return DKIM_CANON_RELAXED;
	return DKIM_CANON_UNKNOWN;
}

static bool is_fws_char(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static struct str trim_fws(struct str s)
{
	while (s.len > 0 && is_fws_char(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && is_fws_char(s.p[s.len - 1]))
		s.len--;
	return s;
}

static bool item_ok(struct str s, enum dkim_value_item kind)
{
	switch (kind) {
	case DKIM_VALUE_FIELD_NAME:
		/* RFC 5322 field-name: printable ASCII but ":"; DKIM also excludes ";". */
		if (s.len == 0)
			return false;
		for (size_t i = 0; i < s.len; i++)
			if ((unsigned char)s.p[i] <= 0x20 || (unsigned char)s.p[i] >= 0x7f)
				return false;
		return true;
	case DKIM_VALUE_QUERY_METHOD: {
		struct str type = s, args;
		bool slash = str_cut(s, '/', &type, &args);
		if (!dkim_value_is_word(type, true))
			return false;
		for (size_t i = 0; slash && i < args.len; i++)
			if ((unsigned char)args.p[i] <= 0x20 || (unsigned char)args.p[i] >= 0x7f)
				return false;
		return true;
	}
	case DKIM_VALUE_WORD: return dkim_value_is_word(s, true);
	case DKIM_VALUE_SERVICE: return str_eq_cstr(s, "*") || dkim_value_is_word(s, true);
	}
	return false;
}

bool dkim_value_list(struct arena *a, struct str v, enum dkim_value_item kind, size_t max,
		     const char ***out, size_t *n, struct error *err)
{
	size_t count = 1;
	for (size_t i = 0; i < v.len; i++)
		count += v.p[i] == ':';
	if (count > max)
		return error_set(err, ERR_LIMIT, "more than %zu items", max);
	const char **items = arena_array(a, count, sizeof *items);
	size_t k = 0;
	struct str rest = v;
	for (;;) {
		struct str item = rest, after;
		bool more = str_cut(rest, ':', &item, &after);
		item = trim_fws(item);
		if (!item_ok(item, kind))
			return error_set(err, ERR_INVALID, "invalid item \"%.*s\"", (int)item.len,
					 item.p);
		items[k++] = arena_memdup0(a, item.p, item.len);
		if (!more)
			break;
		rest = after;
	}
	*out = items;
	*n = k;
	return true;
}

bool dkim_value_domain(struct str v, struct dns_domain *out, struct error *err)
{
	/* RFC 6376 3.5: internationalized names are written as A-labels. */
	for (size_t i = 0; i < v.len; i++)
		if (!ascii_isalnum(v.p[i]) && v.p[i] != '-' && v.p[i] != '.')
			return error_set(err, ERR_INVALID, "\"%.*s\" is not an ASCII domain name",
					 (int)v.len, v.p);
	return dns_domain_parse(v, 0, out, err);
}

bool dkim_value_selector(struct arena *a, struct str v, const char **out, struct error *err)
{
	if (v.len == 0 || v.len > DNS_NAME_MAX)
		return error_set(err, ERR_INVALID, "selector of %zu bytes", v.len);
	size_t label = 0;
	char *s = arena_memdup0(a, v.p, v.len);
	for (size_t i = 0; i <= v.len; i++) {
		if (i == v.len || v.p[i] == '.') {
			if (label == 0 || label > DNS_LABEL_MAX)
				return error_set(err, ERR_INVALID, "invalid selector \"%s\"", s);
			label = 0;
			continue;
		}
		char c = v.p[i];
		/* Underscores occur in the wild; mox accepts them outside pedantic mode. */
		if (!ascii_isalnum(c) && c != '-' && c != '_')
			return error_set(err, ERR_INVALID, "invalid selector \"%s\"", s);
		s[i] = ascii_lower(c);
		label++;
	}
	*out = s;
	return true;
}

bool dkim_value_base64(struct str v, struct buf *out)
{
	struct buf clean = BUF_INIT;
	taglist_strip_fws(v, &clean);
	bool ok = base64_decode(BASE64_STD, str_make(clean.data ? clean.data : "", clean.len), out);
	buf_free(&clean);
	return ok;
}

static bool qp_decode(struct str v, bool keep_space, struct buf *out, struct error *err)
{
	for (size_t i = 0; i < v.len; i++) {
		char c = v.p[i];
		if (c == '=') {
			int hi = i + 2 < v.len ? ascii_hexval(v.p[i + 1]) : -1;
			int lo = hi >= 0 ? ascii_hexval(v.p[i + 2]) : -1;
			if (lo < 0)
				return error_set(err, ERR_INVALID,
						 "invalid quoted-printable octet");
			buf_putc(out, (char)(hi << 4 | lo));
			i += 2;
		} else if (is_fws_char(c)) {
			if (keep_space && (c == ' ' || c == '\t'))
				buf_putc(out, c);
		} else {
			buf_putc(out, c);
		}
	}
	return true;
}

bool dkim_qp_decode(struct str v, struct buf *out, struct error *err)
{
	return qp_decode(v, false, out, err);
}

bool dkim_qp_section_decode(struct str v, struct buf *out, struct error *err)
{
	return qp_decode(v, true, out, err);
}

void dkim_qp_encode(struct str s, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		/* RFC 6376 2.11: dkim-safe-char = %x21-3A / %x3C / %x3E-7E. */
		if (c >= 0x21 && c <= 0x7e && c != ';' && c != '=') {
			buf_putc(out, (char)c);
		} else {
			buf_putc(out, '=');
			buf_putc(out, hex[c >> 4]);
			buf_putc(out, hex[c & 15]);
		}
	}
}
