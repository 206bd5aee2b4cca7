/*
 * Search results as the client asked for them (see search.h): ESEARCH data
 * items (RFC 4731 3.1: MIN MAX ALL COUNT; RFC 9394 PARTIAL; RFC 7162 3.1.5
 * and RFC 4731 3.2 MODSEQ; RFC 5267 3 for results in sort order) and what
 * SAVE keeps for "$" (RFC 5182 2.4, RFC 9394 3.2).
 */
#include "imap/search.h"

#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

/* The slice [*from, *to) of n results that a PARTIAL range selects (RFC 9394 3.1). */
static void partial_slice(const struct imap_partial *p, size_t n, size_t *from, size_t *to)
{
	if (p->first > 0) {
		*from = (size_t)p->first - 1;
		*to = (size_t)p->last;
	} else {
		/* -1 is the last result: -a:-b with a <= b is n-b .. n-a. */
		size_t a = (size_t)-p->first, b = (size_t)-p->last;
		*from = b >= n ? 0 : n - b;
		*to = a > n ? 0 : n - a + 1;
	}
	if (*to > n)
		*to = n;
	if (*from > *to)
		*from = *to;
}

void imap_partial_slice(const struct imap_partial *p, uint32_t **v, size_t *n)
{
	size_t from, to;
	partial_slice(p, *n, &from, &to);
	*v += from;
	*n = to - from;
}

/* Numbers in the given order; runs of consecutive increasing numbers become ranges
 * (RFC 5267 3.2: never a decreasing range). */
static void put_ordered(const uint32_t *v, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && v[j + 1] == v[j] + 1)
			j++;
		if (i)
			buf_putc(out, ',');
		if (j > i)
			buf_printf(out, "%u:%u", v[i], v[j]);
		else
			buf_printf(out, "%u", v[i]);
		i = j + 1;
	}
}

static void put_set(const uint32_t *v, size_t n, bool sorted, struct buf *out)
{
	if (sorted)
		put_ordered(v, n, out);
	else
		imap_uidlist_format(v, n, out);
}

static uint64_t max_modseq(const uint64_t *modseqs, size_t n)
{
	uint64_t max = 0;
	for (size_t i = 0; i < n; i++)
		if (modseqs[i] > max)
			max = modseqs[i];
	return max;
}

/*
 * RFC 4731 3.2: the MODSEQ of an ESEARCH response is that of the message returned by a
 * single MIN or MAX, the higher of the two for MIN and MAX, else the highest of all
 * matches (a PARTIAL counts as returning all).
 */
static uint64_t esearch_modseq(unsigned ret, const uint64_t *modseqs, size_t n)
{
	if (n == 0 ||
	    (ret & (IMAP_SEARCH_RET_ALL | IMAP_SEARCH_RET_COUNT | IMAP_SEARCH_RET_PARTIAL)) ||
	    !(ret & (IMAP_SEARCH_RET_MIN | IMAP_SEARCH_RET_MAX)))
		return max_modseq(modseqs, n);
	uint64_t m = 0;
	if ((ret & IMAP_SEARCH_RET_MIN) && modseqs[0] > m)
		m = modseqs[0];
	if ((ret & IMAP_SEARCH_RET_MAX) && modseqs[n - 1] > m)
		m = modseqs[n - 1];
	return m;
}

static void put_partial(const struct imap_partial *p, const uint32_t *nums, size_t n, bool sorted,
			struct buf *b)
{
	size_t from, to;
	partial_slice(p, n, &from, &to);
	buf_printf(b, " PARTIAL (%lld:%lld ", (long long)p->first, (long long)p->last);
	if (from == to) {
		buf_puts(b, "NIL)");
		return;
	}
	put_set(nums + from, to - from, sorted, b);
	buf_putc(b, ')');
}

void imap_put_esearch(struct imap_session *s, const struct imap_search_args *a,
		      const char *correlators, bool uid, const uint32_t *nums,
		      const uint64_t *modseqs, size_t n, bool sorted)
{
	unsigned ret = a->ret & ~IMAP_SEARCH_RET_SAVE;
	if (ret == 0)
		ret = IMAP_SEARCH_RET_ALL;
	struct buf b = BUF_INIT;
	buf_puts(&b, "* ESEARCH (TAG ");
	imap_put_string(s, s->cmd.tag.p, s->cmd.tag.len, &b);
	if (correlators && *correlators)
		buf_printf(&b, " %s", correlators);
	buf_putc(&b, ')');
	if (uid)
		buf_puts(&b, " UID");
	if ((ret & IMAP_SEARCH_RET_MIN) && n)
		buf_printf(&b, " MIN %u", nums[0]);
	if ((ret & IMAP_SEARCH_RET_MAX) && n)
		buf_printf(&b, " MAX %u", nums[n - 1]);
	if ((ret & IMAP_SEARCH_RET_ALL) && n) {
		buf_puts(&b, " ALL ");
		put_set(nums, n, sorted, &b);
	}
	if (ret & IMAP_SEARCH_RET_COUNT)
		buf_printf(&b, " COUNT %zu", n);
	if (ret & IMAP_SEARCH_RET_PARTIAL)
		put_partial(&a->partial, nums, n, sorted, &b);
	if (a->uses_modseq && n)
		buf_printf(&b, " MODSEQ %llu", (unsigned long long)esearch_modseq(ret, modseqs, n));
	buf_puts(&b, "\r\n");
	imap_sess_write(s, b.data, b.len);
	buf_free(&b);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

void imap_search_save(struct imap_session *s, const struct imap_search_args *a,
		      const uint32_t *uids, size_t n)
{
	struct imap_selected *sel = &s->sel;
	free(sel->saved);
	sel->saved = NULL;
	sel->nsaved = 0;
	sel->has_saved = true;
	if (n == 0)
		return;
	sel->saved = xreallocarray(NULL, n + 2, sizeof *uids);
	unsigned ret = a->ret;
	bool some =
	    (ret & (IMAP_SEARCH_RET_MIN | IMAP_SEARCH_RET_MAX | IMAP_SEARCH_RET_PARTIAL)) != 0;
	if ((ret & (IMAP_SEARCH_RET_ALL | IMAP_SEARCH_RET_COUNT)) || !some) {
		/* All found messages. */
		memcpy(sel->saved, uids, n * sizeof *uids);
		sel->nsaved = n;
	} else {
		/* RFC 5182 2.4, RFC 9394 3.2: what MIN, MAX and PARTIAL returned. */
		if (ret & IMAP_SEARCH_RET_PARTIAL) {
			size_t from, to;
			partial_slice(&a->partial, n, &from, &to);
			for (size_t i = from; i < to; i++)
				sel->saved[sel->nsaved++] = uids[i];
		}
		if (ret & IMAP_SEARCH_RET_MIN)
			sel->saved[sel->nsaved++] = uids[0];
		if (ret & IMAP_SEARCH_RET_MAX)
			sel->saved[sel->nsaved++] = uids[n - 1];
		/* Sorted and distinct, as "$" is used. */
		qsort(sel->saved, sel->nsaved, sizeof *sel->saved, cmp_u32);
		size_t k = 0;
		for (size_t i = 0; i < sel->nsaved; i++)
			if (k == 0 || sel->saved[k - 1] != sel->saved[i])
				sel->saved[k++] = sel->saved[i];
		sel->nsaved = k;
	}
}
