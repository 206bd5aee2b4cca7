/*
 * Sequence sets: parsing (RFC 9051 9 sequence-set, RFC 5182 "$"), membership,
 * and writing compact sets.
 */
#include "imap/seqset.h"

#include <stdlib.h>
#include <string.h>

/* nz-number: 1..4294967295 without leading zeros beyond the number itself. */
static bool parse_number(struct str s, size_t *i, bool allow_star, uint32_t *out, struct error *err)
{
	if (*i < s.len && s.p[*i] == '*') {
		if (!allow_star)
			return error_set(err, ERR_INVALID, "\"*\" not allowed in this set");
		(*i)++;
		*out = IMAP_STAR;
		return true;
	}
	if (*i >= s.len || s.p[*i] < '1' || s.p[*i] > '9')
		return error_set(err, ERR_INVALID, "sequence set: expected a number or \"*\"");
	uint64_t v = 0;
	while (*i < s.len && ascii_isdigit(s.p[*i])) {
		v = v * 10 + (uint64_t)(s.p[*i] - '0');
		if (v > UINT32_MAX)
			return error_set(err, ERR_INVALID, "sequence set: number too large");
		(*i)++;
	}
	*out = (uint32_t)v;
	return true;
}

bool imap_seqset_parse(struct str s, bool allow_saved, bool allow_star, struct arena *ar,
		       struct imap_seqset *out, struct error *err)
{
	memset(out, 0, sizeof *out);
	if (s.len == 1 && s.p[0] == '$') {
		if (!allow_saved)
			return error_set(err, ERR_INVALID, "\"$\" not allowed here");
		out->saved = true;
		return true;
	}
	if (s.len == 0)
		return error_set(err, ERR_INVALID, "empty sequence set");
	size_t count = 1;
	for (size_t i = 0; i < s.len; i++)
		count += s.p[i] == ',';
	if (count > IMAP_SEQSET_RANGES_MAX)
		return error_set(err, ERR_INVALID, "sequence set has more than %d ranges",
				 IMAP_SEQSET_RANGES_MAX);
	out->v = arena_array(ar, count, sizeof *out->v);
	size_t i = 0;
	for (;;) {
		struct imap_range r;
		if (!parse_number(s, &i, allow_star, &r.first, err))
			return false;
		r.last = r.first;
		if (i < s.len && s.p[i] == ':') {
			i++;
			if (!parse_number(s, &i, allow_star, &r.last, err))
				return false;
		}
		out->v[out->n++] = r;
		if (i == s.len)
			return true;
		if (s.p[i] != ',')
			return error_set(err, ERR_INVALID, "sequence set: unexpected character");
		i++;
	}
}

struct imap_range imap_range_resolve(struct imap_range r, uint32_t star)
{
	uint32_t a = r.first == IMAP_STAR ? star : r.first;
	uint32_t b = r.last == IMAP_STAR ? star : r.last;
	if (a > b) {
		uint32_t t = a;
		a = b;
		b = t;
	}
	return (struct imap_range){a, b};
}

bool imap_seqset_contains(const struct imap_seqset *set, uint32_t v, uint32_t star)
{
	for (size_t i = 0; i < set->n; i++) {
		struct imap_range r = imap_range_resolve(set->v[i], star);
		if (v >= r.first && v <= r.last)
			return true;
	}
	return false;
}

bool imap_seqset_increasing(const struct imap_seqset *set)
{
	uint32_t prev = 0;
	for (size_t i = 0; i < set->n; i++) {
		const struct imap_range *r = &set->v[i];
		if (r->first == IMAP_STAR || r->last == IMAP_STAR || r->first > r->last ||
		    r->first <= prev)
			return false;
		prev = r->last;
	}
	return true;
}

static int range_cmp(const void *a, const void *b)
{
	const struct imap_range *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

size_t imap_ranges_normalize(struct imap_range *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, range_cmp);
	size_t k = 0;
	for (size_t i = 1; i < n; i++) {
		if ((uint64_t)v[i].first <= (uint64_t)v[k].last + 1) {
			if (v[i].last > v[k].last)
				v[k].last = v[i].last;
		} else {
			v[++k] = v[i];
		}
	}
	return k + 1;
}

uint64_t imap_seqset_count(const struct imap_seqset *set, uint32_t star, struct arena *ar)
{
	if (set->n == 0)
		return 0;
	struct imap_range *v = arena_array(ar, set->n, sizeof *v);
	for (size_t i = 0; i < set->n; i++)
		v[i] = imap_range_resolve(set->v[i], star);
	size_t n = imap_ranges_normalize(v, set->n);
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += (uint64_t)v[i].last - v[i].first + 1;
	return total;
}

/* The end of the run of consecutive values starting at v[i]. */
static size_t run_end(const uint32_t *v, size_t n, size_t i)
{
	size_t j = i;
	while (j + 1 < n && v[j + 1] == v[j] + 1)
		j++;
	return j;
}

static void put_range(const uint32_t *v, size_t i, size_t j, struct buf *out)
{
	if (i == j)
		buf_printf(out, "%u", v[i]);
	else
		buf_printf(out, "%u:%u", v[i], v[j]);
}

void imap_uidlist_format(const uint32_t *v, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n;) {
		size_t j = run_end(v, n, i);
		if (i > 0)
			buf_putc(out, ',');
		put_range(v, i, j, out);
		i = j + 1;
	}
}

void imap_uidlist_format_part(const uint32_t *v, size_t n, size_t *pos, size_t max_line,
			      struct buf *out)
{
	size_t start_len = out->len;
	size_t i = *pos;
	bool first = true;
	while (i < n) {
		size_t j = run_end(v, n, i);
		/* "4294967295:4294967295," is at most 22 bytes. */
		if (!first && out->len - start_len + 22 > max_line)
			break;
		if (!first)
			buf_putc(out, ',');
		put_range(v, i, j, out);
		first = false;
		i = j + 1;
	}
	*pos = i;
}
