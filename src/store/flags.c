/*
 * Flags and keywords: parsing IMAP flag names, keyword sets, formatting.
 */
#include "store/flags.h"

#include "base/buf.h"
#include "base/str.h"

#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	uint32_t bit;
} flag_names[] = {
    {"\\Seen", STORE_FLAG_SEEN},        {"\\Answered", STORE_FLAG_ANSWERED},
    {"\\Flagged", STORE_FLAG_FLAGGED},  {"\\Deleted", STORE_FLAG_DELETED},
    {"\\Draft", STORE_FLAG_DRAFT},      {"$Forwarded", STORE_FLAG_FORWARDED},
    {"$Junk", STORE_FLAG_JUNK},         {"$NotJunk", STORE_FLAG_NOTJUNK},
    {"$Phishing", STORE_FLAG_PHISHING}, {"$MDNSent", STORE_FLAG_MDNSENT},
};

const char *store_flag_name(uint32_t bit)
{
	for (size_t i = 0; i < sizeof flag_names / sizeof flag_names[0]; i++)
		if (flag_names[i].bit == bit)
			return flag_names[i].name;
	return NULL;
}

/* RFC 9051 9: ATOM-CHAR is any CHAR except atom-specials. */
static bool atom_char(unsigned char c)
{
	if (c <= 0x1f || c >= 0x7f)
		return false;
	return strchr("(){ %*\"\\]", c) == NULL;
}

bool store_flag_parse(const char *name, size_t len, struct arena *ar, uint32_t *bit,
		      const char **keyword, struct error *err)
{
	*bit = 0;
	*keyword = NULL;
	struct str s = str_make(name, len);
	for (size_t i = 0; i < sizeof flag_names / sizeof flag_names[0]; i++) {
		if (str_eqi_cstr(s, flag_names[i].name)) {
			*bit = flag_names[i].bit;
			return true;
		}
	}
	if (len == 0)
		return error_set(err, ERR_INVALID, "empty flag");
	if (name[0] == '\\')
		return error_set(err, ERR_INVALID, "unknown system flag %.*s",
				 (int)(len > 40 ? 40 : len), name);
	if (len > STORE_KEYWORD_MAX)
		return error_set(err, ERR_INVALID, "keyword longer than %d bytes",
				 STORE_KEYWORD_MAX);
	for (size_t i = 0; i < len; i++)
		if (!atom_char((unsigned char)name[i]))
			return error_set(err, ERR_INVALID, "keyword is not an IMAP atom");
	char *k = arena_memdup0(ar, name, len);
	for (char *p = k; *p; p++)
		*p = ascii_lower(*p);
	*keyword = k;
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

bool store_keywords_make(const char *const *names, size_t n, struct arena *ar, uint32_t *bits,
			 struct store_keywords *out, struct error *err)
{
	out->v = NULL;
	out->n = 0;
	if (n == 0)
		return true;
	const char **v = arena_array(ar, n, sizeof *v);
	size_t count = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t bit;
		const char *k;
		if (!store_flag_parse(names[i], strlen(names[i]), ar, &bit, &k, err))
			return false;
		if (bits)
			*bits |= bit;
		else if (bit)
			return error_set(err, ERR_INVALID, "%s is a flag, not a keyword", names[i]);
		if (k)
			v[count++] = k;
	}
	qsort(v, count, sizeof *v, cmp_str);
	size_t u = 0;
	for (size_t i = 0; i < count; i++)
		if (u == 0 || strcmp(v[u - 1], v[i]) != 0)
			v[u++] = v[i];
	if (u > STORE_MESSAGE_KEYWORDS_MAX)
		return error_set(err, ERR_INVALID, "more than %d keywords on a message",
				 STORE_MESSAGE_KEYWORDS_MAX);
	out->v = v;
	out->n = u;
	return true;
}

bool store_keywords_valid(const struct store_keywords *k, struct error *err)
{
	if (k->n > STORE_MESSAGE_KEYWORDS_MAX)
		return error_set(err, ERR_INVALID, "more than %d keywords on a message",
				 STORE_MESSAGE_KEYWORDS_MAX);
	for (size_t i = 0; i < k->n; i++) {
		const char *kw = k->v[i];
		size_t len = strlen(kw);
		if (len == 0 || len > STORE_KEYWORD_MAX || kw[0] == '\\')
			return error_set(err, ERR_INVALID, "bad keyword");
		for (size_t j = 0; j < len; j++)
			if (!atom_char((unsigned char)kw[j]) || ascii_lower(kw[j]) != kw[j])
				return error_set(err, ERR_INVALID,
						 "keyword is not a lower-case IMAP atom");
		for (size_t w = 0; w < sizeof flag_names / sizeof flag_names[0]; w++)
			if (ascii_caseeq(kw, flag_names[w].name))
				return error_set(err, ERR_INVALID,
						 "%s is a flag, not a free keyword", kw);
		if (i > 0 && strcmp(k->v[i - 1], kw) >= 0)
			return error_set(err, ERR_INVALID, "keywords not sorted and distinct");
	}
	return true;
}

bool store_keywords_has(const struct store_keywords *k, const char *keyword)
{
	size_t lo = 0, hi = k->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(k->v[mid], keyword);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

void store_flags_format(uint32_t bits, const struct store_keywords *k, struct buf *out)
{
	bool first = true;
	for (size_t i = 0; i < sizeof flag_names / sizeof flag_names[0]; i++) {
		if (bits & flag_names[i].bit) {
			buf_printf(out, "%s%s", first ? "" : " ", flag_names[i].name);
			first = false;
		}
	}
	for (size_t i = 0; k && i < k->n; i++) {
		buf_printf(out, "%s%s", first ? "" : " ", k->v[i]);
		first = false;
	}
}
