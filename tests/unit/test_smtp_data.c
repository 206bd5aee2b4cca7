#include "smtp/data.h"
#include "smtp/reply.h"

#include <criterion/criterion.h>
#include <string.h>

/* Decodes in, split at every possible point and byte by byte; all must agree. */
static void decode(const char *in, const char *want, bool bad, size_t want_used)
{
	size_t n = strlen(in);
	for (size_t split = 0; split <= n + 1; split++) {
		struct smtp_data_decoder d;
		smtp_data_init(&d, 0);
		struct buf out = BUF_INIT;
		size_t used = 0;
		if (split == n + 1) {
			for (size_t i = 0; i < n && !d.done; i++)
				used += smtp_data_feed(&d, in + i, 1, &out);
		} else {
			used = smtp_data_feed(&d, in, split, &out);
			if (!d.done)
				used += smtp_data_feed(&d, in + split, n - split, &out);
		}
		cr_assert(d.done, "%s: not done (split %zu)", in, split);
		cr_assert_eq(used, want_used, "%s: used %zu (split %zu)", in, used, split);
		cr_assert_str_eq(buf_cstr(&out), want, "split %zu", split);
		cr_assert_eq(d.bad_crlf, bad, "%s: bad %d (split %zu)", in, d.bad_crlf, split);
		buf_free(&out);
	}
}

Test(smtp_data, ends_only_at_crlf_dot_crlf)
{
	decode(".\r\n", "", false, 3);
	decode("a\r\n.\r\n", "a\r\n", false, 6);
	decode("a\r\n.\r\nQUIT\r\n", "a\r\n", false, 6);
	decode("..a\r\n..\r\n.\r\n", ".a\r\n.\r\n", false, 12);
	decode(".a\r\n.\r\n", "a\r\n", false, 7);
	/* Bare LF stored as CRLF. */
	decode("a\nb\r\n.\r\n", "a\r\nb\r\n", false, 8);
	decode("a\n.b\r\n.\r\n", "a\r\n.b\r\n", false, 9);
}

Test(smtp_data, smuggling_sequences_are_bad_and_not_an_end)
{
	/* LF.LF, LF.CRLF, CRLF.LF: never the end, always bad. */
	decode("a\n.\nb\r\n.\r\n", "a\r\n.\r\nb\r\n", true, 10);
	decode("a\n.\r\nb\r\n.\r\n", "a\r\n.\r\nb\r\n", true, 11);
	decode("a\r\n.\nb\r\n.\r\n", "a\r\n\r\nb\r\n", true, 11);
	/* Bare CR anywhere is bad. */
	decode("a\rb\r\n.\r\n", "a\rb\r\n", true, 8);
	decode("a\r\n.\rb\r\n.\r\n", "a\r\n\rb\r\n", true, 11);
	decode("a\r\r\n.\r\n", "a\r\r\n", true, 7);
}

Test(smtp_data, size_limit_keeps_reading)
{
	struct smtp_data_decoder d;
	smtp_data_init(&d, 5);
	struct buf out = BUF_INIT;
	const char *in = "0123456789\r\n.\r\n";
	size_t used = smtp_data_feed(&d, in, strlen(in), &out);
	cr_assert(d.done && d.too_large);
	cr_assert_eq(used, strlen(in));
	cr_assert_eq(d.size, 12);
	cr_assert_leq(out.len, 5);
	buf_free(&out);
}

Test(smtp_data, eightbit)
{
	struct smtp_data_decoder d;
	smtp_data_init(&d, 0);
	struct buf out = BUF_INIT;
	smtp_data_feed(&d, "\xc3\xa9\r\n.\r\n", 7, &out);
	cr_assert(d.saw_8bit && d.done);
	buf_free(&out);
}

Test(smtp_data, bdat)
{
	struct smtp_bdat_decoder d;
	smtp_bdat_init(&d, 0);
	struct buf out = BUF_INIT;
	smtp_bdat_feed(&d, "a\nb\r", 4, &out);
	smtp_bdat_feed(&d, "\nc\n", 3, &out);
	cr_assert_str_eq(buf_cstr(&out), "a\r\nb\r\nc\r\n");
	cr_assert_eq(d.size, 9);
	buf_free(&out);
	smtp_bdat_init(&d, 3);
	smtp_bdat_feed(&d, "abcd", 4, &out);
	cr_assert(d.too_large);
	buf_free(&out);
}

Test(smtp_reply, format)
{
	struct buf b = BUF_INIT;
	smtp_reply_format(&b, 250, "1.0", "ok");
	cr_assert_str_eq(buf_cstr(&b), "250 2.1.0 ok\r\n");
	buf_reset(&b);
	smtp_reply_format(&b, 550, "1.1", "line one\nline two");
	cr_assert_str_eq(buf_cstr(&b), "550-5.1.1 line one\r\n550 5.1.1 line two\r\n");
	buf_reset(&b);
	smtp_reply_format(&b, 354, NULL, "go");
	cr_assert_str_eq(buf_cstr(&b), "354 go\r\n");
	buf_reset(&b);
	smtp_reply_format(&b, 501, "5.2", "bad\r\n421 forged");
	cr_assert_str_eq(buf_cstr(&b), "501-5.5.2 bad?\r\n501 5.5.2 421 forged\r\n");
	buf_reset(&b);
	char longtext[2000];
	memset(longtext, 'x', sizeof longtext - 1);
	longtext[sizeof longtext - 1] = '\0';
	longtext[700] = ' ';
	smtp_reply_format(&b, 250, "0.0", longtext);
	/* Every line within 512 octets with its CRLF; all but the last continue. */
	const char *p = buf_cstr(&b);
	int lines = 0;
	while (*p) {
		const char *e = strstr(p, "\r\n");
		cr_assert(e);
		cr_assert_leq(e - p + 2, 512);
		lines++;
		bool last = e[2] == '\0';
		cr_assert_eq(p[3], last ? ' ' : '-');
		p = e + 2;
	}
	cr_assert_geq(lines, 4);
	buf_free(&b);
}
