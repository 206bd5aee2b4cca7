#include "mail/hdrwriter.h"

#include <stdarg.h>
#include <string.h>

void mail_hdrw_init(struct mail_hdrw *w, struct buf *out)
{
	w->out = out;
	w->line_len = 0;
	w->nonfirst = false;
}

static void fold(struct mail_hdrw *w)
{
	buf_puts(w->out, "\r\n\t");
	w->line_len = 1;
}

void mail_hdrw_add(struct mail_hdrw *w, const char *sep, const char *text, size_t n)
{
	size_t seplen = strlen(sep);
	if (w->nonfirst && w->line_len > 1 && w->line_len + seplen + n > MAIL_HDRW_LINE_MAX) {
		fold(w);
	} else if (w->nonfirst) {
		buf_append(w->out, sep, seplen);
		w->line_len += seplen;
	}
	buf_append(w->out, text, n);
	w->line_len += n;
	w->nonfirst = true;
}

void mail_hdrw_addf(struct mail_hdrw *w, const char *sep, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	mail_hdrw_add(w, sep, buf_cstr(&b), b.len);
	buf_free(&b);
}

void mail_hdrw_wrap(struct mail_hdrw *w, const char *data, size_t n)
{
	while (n > 0) {
		if (w->line_len >= MAIL_HDRW_LINE_MAX)
			fold(w);
		size_t room = MAIL_HDRW_LINE_MAX - w->line_len;
		size_t k = n < room ? n : room;
		buf_append(w->out, data, k);
		w->line_len += k;
		data += k;
		n -= k;
	}
	w->nonfirst = true;
}

void mail_hdrw_end(struct mail_hdrw *w)
{
	buf_puts(w->out, "\r\n");
	w->line_len = 0;
}
