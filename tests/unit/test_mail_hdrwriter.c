/*
 * The folding header writer: tokens stay whole, folds come before a token that
 * would pass 78 columns, wrapped data fills lines.
 */
#include "mail/hdrwriter.h"

#include <criterion/criterion.h>
#include <string.h>

Test(mail_hdrwriter, folds_between_tokens)
{
	struct buf b = BUF_INIT;
	struct mail_hdrw w;
	mail_hdrw_init(&w, &b);
	mail_hdrw_add(&w, "", "X-Test:", 7);
	for (int i = 0; i < 20; i++)
		mail_hdrw_addf(&w, " ", "token%02d;", i);
	mail_hdrw_end(&w);
	const char *s = buf_cstr(&b);
	/* Every line at most 78 characters, continuation lines start with a tab, and
	 * unfolding gives the tokens separated by one space... or a tab. */
	size_t line = 0;
	for (const char *p = s; *p; p++) {
		if (*p == '\r') {
			cr_assert_leq(line, MAIL_HDRW_LINE_MAX);
			cr_assert_eq(p[1], '\n');
			p++;
			line = 0;
			if (p[1])
				cr_assert_eq(p[1], '\t');
			continue;
		}
		line++;
	}
	cr_assert(strstr(s, "X-Test: token00; token01;"));
	cr_assert(strstr(s, "token19;\r\n"));
	cr_assert(strstr(s, "\r\n\ttoken"));
	buf_free(&b);
}

Test(mail_hdrwriter, wraps_data_anywhere)
{
	struct buf b = BUF_INIT;
	struct mail_hdrw w;
	mail_hdrw_init(&w, &b);
	mail_hdrw_add(&w, "", "X-Data: b=", 10);
	char data[200];
	memset(data, 'A', sizeof data);
	mail_hdrw_wrap(&w, data, sizeof data);
	mail_hdrw_end(&w);
	/* 68 on the first line, then 77 per continuation line after the tab. */
	cr_assert_eq(b.len, 10 + 200 + 2 * 3 + 2);
	const char *s = buf_cstr(&b);
	cr_assert_eq(strchr(s, '\r') - s, 78);
	buf_free(&b);
}
