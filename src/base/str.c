#include "base/str.h"

#include <string.h>

struct str str_from(const char *s)
{
	struct str r = {s, s ? strlen(s) : 0};
	return r;
}

struct str str_make(const char *p, size_t len)
{
	struct str r = {p, len};
	return r;
}

bool str_eq(struct str a, struct str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

bool str_eqi(struct str a, struct str b)
{
	if (a.len != b.len)
		return false;
	for (size_t i = 0; i < a.len; i++)
		if (ascii_lower(a.p[i]) != ascii_lower(b.p[i]))
			return false;
	return true;
}

bool str_eq_cstr(struct str a, const char *b)
{
	return str_eq(a, str_from(b));
}

bool str_eqi_cstr(struct str a, const char *b)
{
	return str_eqi(a, str_from(b));
}

bool str_has_prefix(struct str s, const char *prefix)
{
	size_t n = strlen(prefix);
	return s.len >= n && memcmp(s.p, prefix, n) == 0;
}

bool str_has_prefixi(struct str s, const char *prefix)
{
	size_t n = strlen(prefix);
	return s.len >= n && str_eqi(str_make(s.p, n), str_make(prefix, n));
}

bool str_has_suffix(struct str s, const char *suffix)
{
	size_t n = strlen(suffix);
	return s.len >= n && memcmp(s.p + s.len - n, suffix, n) == 0;
}

struct str str_trim(struct str s)
{
	while (s.len && (s.p[0] == ' ' || s.p[0] == '\t')) {
		s.p++;
		s.len--;
	}
	while (s.len && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
		s.len--;
	return s;
}

ptrdiff_t str_index(struct str s, char c)
{
	const char *q = s.len ? memchr(s.p, c, s.len) : NULL;
	return q ? q - s.p : -1;
}

bool str_cut(struct str s, char sep, struct str *before, struct str *after)
{
	ptrdiff_t i = str_index(s, sep);
	if (i < 0) {
		if (before)
			*before = s;
		if (after)
			*after = str_make(s.p + s.len, 0);
		return false;
	}
	if (before)
		*before = str_make(s.p, (size_t)i);
	if (after)
		*after = str_make(s.p + i + 1, s.len - (size_t)i - 1);
	return true;
}

struct str str_sub(struct str s, size_t start, size_t end)
{
	if (end > s.len)
		end = s.len;
	if (start > end)
		start = end;
	return str_make(s.p + start, end - start);
}

bool str_parse_u64(struct str s, uint64_t max, uint64_t *out)
{
	if (s.len == 0)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < s.len; i++) {
		if (!ascii_isdigit(s.p[i]))
			return false;
		unsigned d = (unsigned)(s.p[i] - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

bool str_parse_i64(struct str s, int64_t min, int64_t max, int64_t *out)
{
	bool neg = s.len && s.p[0] == '-';
	if (neg)
		s = str_sub(s, 1, s.len);
	uint64_t limit = neg ? (uint64_t)(-(min + 1)) + 1 : (uint64_t)(max < 0 ? 0 : max);
	uint64_t v;
	if (!str_parse_u64(s, limit, &v))
		return false;
	int64_t r = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
	if (r < min || r > max)
		return false;
	*out = r;
	return true;
}

bool ascii_caseeq(const char *a, const char *b)
{
	return str_eqi(str_from(a), str_from(b));
}

void ascii_lower_inplace(char *s)
{
	for (; *s; s++)
		*s = ascii_lower(*s);
}

bool str_copy(char *dst, size_t cap, const char *src)
{
	if (cap == 0)
		return false;
	size_t n = strlen(src);
	bool fits = n < cap;
	if (!fits)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return fits;
}
