/*
 * Line ending conversion for import and export (see eol.h).
 */
#include "store/eol.h"

#include <string.h>

void eol_to_crlf(struct buf *out, const char *p, size_t n)
{
	buf_reserve(out, n + n / 32 + 2);
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\n' || (i > 0 && p[i - 1] == '\r'))
			continue;
		buf_append(out, p + start, i - start);
		buf_append(out, "\r\n", 2);
		start = i + 1;
	}
	buf_append(out, p + start, n - start);
}

void eol_to_lf(struct buf *out, const char *p, size_t n)
{
	buf_reserve(out, n);
	size_t start = 0;
	for (size_t i = 0; i + 1 < n; i++) {
		if (p[i] != '\r' || p[i + 1] != '\n')
			continue;
		buf_append(out, p + start, i - start);
		start = i + 1; /* the LF starts the next run */
	}
	buf_append(out, p + start, n - start);
}
