#include "smtp/client_ext.h"
#include "smtp/client_reply.h"
#include "smtp/data.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* Feeds the '\n'-separated lines of text; returns whether a reply completed without error. */
static bool feed(struct smtp_reply *r, const char *text, struct error *err)
{
	smtp_reply_reset(r);
	const char *p = text;
	for (;;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		bool done;
		if (!smtp_reply_add_line(r, str_make(p, n), &done, err))
			return false;
		if (done)
			return true;
		if (!nl)
			return error_set(err, ERR_CLOSED, "reply not complete");
		p = nl + 1;
	}
}

Test(smtp_client_reply, single_and_multi_line_with_enhanced_codes)
{
	struct smtp_reply r;
	smtp_reply_init(&r);
	struct error err;
	cr_assert(feed(&r, "250 2.1.5 ok recipient", &err), "%s", err.msg);
	cr_assert_eq(r.code, 250);
	cr_assert_str_eq(r.ecode, "2.1.5");
	cr_assert_str_eq(buf_cstr(&r.text), "ok recipient");
	cr_assert(feed(&r, "550-5.7.1 first\n550-5.7.1 second\n550 5.7.1 third", &err));
	cr_assert_eq(r.code, 550);
	cr_assert_eq(r.nlines, 3);
	cr_assert_str_eq(r.ecode, "5.7.1");
	cr_assert_str_eq(buf_cstr(&r.text), "first\nsecond\nthird");
	cr_assert(str_eq_cstr(smtp_reply_first_line(&r), "first"));
	char sum[100];
	smtp_reply_summary(&r, sum, sizeof sum);
	cr_assert_str_eq(sum, "550 5.7.1 first");
	/* A bare code ends a reply (RFC 5321 4.2.1); "250-" lines may be empty. */
	cr_assert(feed(&r, "250-\n250", &err));
	cr_assert_eq(r.nlines, 2);
	cr_assert_str_eq(buf_cstr(&r.text), "\n");
	/* No enhanced code: the text stays whole. */
	cr_assert(feed(&r, "220 mx.example.org ESMTP ready", &err));
	cr_assert_str_eq(r.ecode, "");
	cr_assert_str_eq(buf_cstr(&r.text), "mx.example.org ESMTP ready");
	smtp_reply_free(&r);
}

Test(smtp_client_reply, enhanced_code_syntax)
{
	char ec[SMTP_ECODE_MAX];
	cr_assert_eq(smtp_ecode_parse(STR_LIT("5.1.1 user unknown"), 550, ec), 6);
	cr_assert_str_eq(ec, "5.1.1");
	cr_assert_eq(smtp_ecode_parse(STR_LIT("4.123.456"), 451, ec), 9);
	cr_assert_str_eq(ec, "4.123.456");
	/* The class must be the reply's first digit, and 2, 4 or 5 (RFC 3463 2). */
	cr_assert_eq(smtp_ecode_parse(STR_LIT("4.1.1 x"), 550, ec), 0);
	cr_assert_str_eq(ec, "");
	cr_assert_eq(smtp_ecode_parse(STR_LIT("3.0.0 go"), 354, ec), 0);
	/* Too many digits, missing parts, glued text. */
	cr_assert_eq(smtp_ecode_parse(STR_LIT("5.1234.1 x"), 550, ec), 0);
	cr_assert_eq(smtp_ecode_parse(STR_LIT("5.1.1234"), 550, ec), 0);
	cr_assert_eq(smtp_ecode_parse(STR_LIT("5.1. x"), 550, ec), 0);
	cr_assert_eq(smtp_ecode_parse(STR_LIT("5..1 x"), 550, ec), 0);
	cr_assert_eq(smtp_ecode_parse(STR_LIT("5.1.1x"), 550, ec), 0);
	cr_assert_eq(smtp_ecode_parse(STR_LIT("5.1"), 550, ec), 0);
}

Test(smtp_client_reply, garbage_and_inconsistent_replies_are_errors)
{
	struct smtp_reply r;
	smtp_reply_init(&r);
	struct error err;
	cr_assert_not(feed(&r, "hello there", &err));
	cr_assert_eq(err.kind, ERR_INVALID);
	cr_assert(strstr(err.msg, "no reply code"), "%s", err.msg);
	cr_assert_not(feed(&r, "25", &err));
	cr_assert_not(feed(&r, "2500 x", &err));
	cr_assert(strstr(err.msg, "no space or dash"), "%s", err.msg);
	cr_assert_not(feed(&r, "199 too low", &err));
	cr_assert_not(feed(&r, "600 too high", &err));
	cr_assert_not(feed(&r, "250-one\n550 two", &err));
	cr_assert(strstr(err.msg, "code differs"), "%s", err.msg);
	/* The error message shows the line without control characters. */
	cr_assert_not(feed(&r, "x\x01\x7fy", &err));
	cr_assert(strstr(err.msg, "\"x??y\""), "%s", err.msg);
	smtp_reply_free(&r);
}

Test(smtp_client_reply, lines_and_bytes_are_bounded)
{
	struct smtp_reply r;
	smtp_reply_init(&r);
	struct error err;
	bool done = false;
	for (int i = 0; i < SMTP_REPLY_LINES_MAX; i++)
		cr_assert(smtp_reply_add_line(&r, STR_LIT("250-x"), &done, &err));
	cr_assert_not(done);
	cr_assert_not(smtp_reply_add_line(&r, STR_LIT("250 x"), &done, &err));
	cr_assert_eq(err.kind, ERR_LIMIT);
	cr_assert_eq(r.nlines, SMTP_REPLY_LINES_MAX); /* unchanged by the refused line */
	smtp_reply_reset(&r);
	char line[1004];
	memcpy(line, "250-", 4);
	memset(line + 4, 'a', 1000);
	size_t added = 0;
	while (smtp_reply_add_line(&r, str_make(line, sizeof line), &done, &err))
		added++;
	cr_assert_eq(err.kind, ERR_LIMIT);
	cr_assert_eq(added, SMTP_REPLY_TEXT_MAX / 1001);
	cr_assert_leq(r.text.len, SMTP_REPLY_TEXT_MAX);
	smtp_reply_free(&r);
}

Test(smtp_client_reply, ehlo_extensions)
{
	struct smtp_reply r;
	smtp_reply_init(&r);
	struct error err;
	cr_assert(feed(&r,
		       "250-mx.example.org hello\n250-PIPELINING\n250-SIZE 10240000\n"
		       "250-8bitmime\n250-SMTPUTF8\n250-CHUNKING\n250-STARTTLS\n"
		       "250-ENHANCEDSTATUSCODES\n250-REQUIRETLS\n250-AUTH PLAIN scram-sha-256\n"
		       "250-LIMITS RCPTMAX=100 MAILMAX=5 OTHER=x\n250 DSN",
		       &err));
	struct smtp_exts x;
	smtp_exts_parse(&r, &x);
	cr_assert(x.pipelining && x.eightbitmime && x.smtputf8 && x.chunking && x.starttls &&
		  x.enhancedstatuscodes && x.requiretls && x.size && x.auth);
	cr_assert_eq(x.size_max, 10240000);
	cr_assert_str_eq(x.auth_mechs, "PLAIN SCRAM-SHA-256");
	cr_assert(smtp_ext_mech_listed(x.auth_mechs, "scram-sha-256"));
	cr_assert_not(smtp_ext_mech_listed(x.auth_mechs, "SCRAM-SHA-1"));
	cr_assert_not(smtp_ext_mech_listed(x.auth_mechs, "PLAI"));
	cr_assert_eq(x.limit_rcptmax, 100);
	cr_assert_eq(x.limit_mailmax, 5);
	struct str params;
	cr_assert(smtp_ext_find(&r, "dsn", &params));
	cr_assert_eq(params.len, 0);
	cr_assert(smtp_ext_find(&r, "SIZE", &params) && str_eq_cstr(params, "10240000"));
	/* The greeting line is not a keyword. */
	cr_assert_not(smtp_ext_find(&r, "mx.example.org", NULL));
	/* SIZE without a number, a broken LIMITS line: no limit. */
	cr_assert(feed(&r, "250-x\n250-SIZE\n250 LIMITS RCPTMAX=1 bad", &err));
	smtp_exts_parse(&r, &x);
	cr_assert(x.size && x.size_max == 0);
	cr_assert_eq(x.limit_rcptmax, 0);
	/* A one-line EHLO reply: no extensions. */
	cr_assert(feed(&r, "250 x", &err));
	smtp_exts_parse(&r, &x);
	cr_assert_not(x.pipelining || x.size || x.auth);
	smtp_reply_free(&r);
}

/* Encodes in (in pieces of every size), checks the output, and that the server's decoder gives
 * back the message with CRLF line ends. */
static void encode(const char *in, const char *want, const char *decoded)
{
	size_t n = strlen(in);
	for (size_t piece = 1; piece <= n + 1; piece++) {
		struct smtp_data_encoder e;
		smtp_data_encoder_init(&e);
		struct buf out = BUF_INIT;
		for (size_t i = 0; i < n; i += piece)
			smtp_data_encode(&e, in + i, n - i < piece ? n - i : piece, &out);
		smtp_data_encode_end(&e, &out);
		cr_assert_str_eq(buf_cstr(&out), want, "piece %zu", piece);
		struct smtp_data_decoder d;
		smtp_data_init(&d, 0);
		struct buf back = BUF_INIT;
		cr_assert_eq(smtp_data_feed(&d, out.data, out.len, &back), out.len);
		cr_assert(d.done && !d.bad_crlf);
		cr_assert_str_eq(buf_cstr(&back), decoded);
		buf_free(&out);
		buf_free(&back);
	}
}

Test(smtp_client_reply, data_encoding_stuffs_dots_and_makes_every_line_end_crlf)
{
	encode("", ".\r\n", "");
	encode("a\r\nb\r\n", "a\r\nb\r\n.\r\n", "a\r\nb\r\n");
	encode("a", "a\r\n.\r\n", "a\r\n");
	encode(".x\r\n..\r\n.\r\n", "..x\r\n...\r\n..\r\n.\r\n", ".x\r\n..\r\n.\r\n");
	/* Bare LF and bare CR are line ends: no receiver can find another end of data. */
	encode("a\n.\nb", "a\r\n..\r\nb\r\n.\r\n", "a\r\n.\r\nb\r\n");
	encode("a\r.\rb\r", "a\r\n..\r\nb\r\n.\r\n", "a\r\n.\r\nb\r\n");
	encode("a\r\r\n", "a\r\n\r\n.\r\n", "a\r\n\r\n");
}
