/*
 * str: non-owning string slices and small ASCII helpers.
 *
 * A struct str points into memory owned by someone else (a read buffer, an
 * arena, a config tree) and carries its length, so parsers can cut input into
 * pieces without copying or NUL-terminating. Case-insensitive comparisons are
 * ASCII-only on purpose: protocol keywords are ASCII and locale must not matter.
 */
#ifndef TERN_BASE_STR_H
#define TERN_BASE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct str {
	const char *p;
	size_t len;
};

#define STR_LIT(lit) ((struct str){(lit), sizeof(lit) - 1})
#define STR_NULL     ((struct str){NULL, 0})

struct str str_from(const char *s);
struct str str_make(const char *p, size_t len);
bool str_eq(struct str a, struct str b);
bool str_eqi(struct str a, struct str b);
bool str_eq_cstr(struct str a, const char *b);
bool str_eqi_cstr(struct str a, const char *b);
bool str_has_prefix(struct str s, const char *prefix);
bool str_has_prefixi(struct str s, const char *prefix);
bool str_has_suffix(struct str s, const char *suffix);
/* Removes ASCII spaces and tabs at both ends. */
struct str str_trim(struct str s);
/* Splits at the first sep; false (and s unchanged in before) when absent. */
bool str_cut(struct str s, char sep, struct str *before, struct str *after);
/* Index of c in s, or -1. */
ptrdiff_t str_index(struct str s, char c);
struct str str_sub(struct str s, size_t start, size_t end);

/* Parses a whole decimal number without sign, <= max. No leading '+', no spaces. */
bool str_parse_u64(struct str s, uint64_t max, uint64_t *out);
/* Parses a whole decimal number with optional leading '-', within [min, max]. */
bool str_parse_i64(struct str s, int64_t min, int64_t max, int64_t *out);

static inline char ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}
static inline char ascii_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
}
static inline bool ascii_isdigit(int c)
{
	return c >= '0' && c <= '9';
}
static inline bool ascii_isalpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline bool ascii_isalnum(int c)
{
	return ascii_isalpha(c) || ascii_isdigit(c);
}

/* The value of a hexadecimal digit (either case), or -1. */
static inline int ascii_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
bool ascii_caseeq(const char *a, const char *b);
/* Lower-cases ASCII letters in place. */
void ascii_lower_inplace(char *s);

/* Copies src to dst of size cap, always NUL-terminating; false when truncated. */
bool str_copy(char *dst, size_t cap, const char *src);

#endif
