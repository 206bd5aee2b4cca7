#include "smtp/reply.h"

#include <stdio.h>
#include <string.h>

/* Writes one line "CODE[-| ]X.Y.Z text\r\n", replacing control characters. */
static void put_line(struct buf *b, int code, bool more, const char *ecode, const char *p, size_t n)
{
	buf_printf(b, "%03d%c", code, more ? '-' : ' ');
	if (ecode[0]) {
		buf_puts(b, ecode);
		if (n > 0)
			buf_putc(b, ' ');
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		buf_putc(b, (c < 0x20 || c == 0x7f) ? '?' : (char)c);
	}
	buf_puts(b, "\r\n");
}

void smtp_reply_format(struct buf *b, int code, const char *se, const char *text)
{
	char ecode[16] = "";
	if (se)
		snprintf(ecode, sizeof ecode, "%d.%s", code / 100, se);
	size_t prefix = 4 + strlen(ecode) + 1;
	size_t room = SMTP_REPLY_LINE_MAX - prefix;
	const char *p = text ? text : "";
	for (;;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		while (n > room) {
			/* Wrap at the last space that leaves a reasonable line, else cut. */
			size_t cut = room;
			while (cut > room / 2 && p[cut] != ' ')
				cut--;
			if (p[cut] != ' ')
				cut = room;
			put_line(b, code, true, ecode, p, cut);
			if (p[cut] == ' ')
				cut++;
			p += cut;
			n -= cut;
		}
		put_line(b, code, nl != NULL, ecode, p, n);
		if (!nl)
			return;
		p = nl + 1;
	}
}

void smtp_reply_vformatf(struct buf *b, int code, const char *se, const char *fmt, va_list ap)
{
	struct buf text = BUF_INIT;
	buf_vprintf(&text, fmt, ap);
	smtp_reply_format(b, code, se, buf_cstr(&text));
	buf_free(&text);
}
