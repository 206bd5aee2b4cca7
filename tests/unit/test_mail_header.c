/*
 * Header fields, unfolding, RFC 2047 encoded words (the examples of RFC 2047
 * section 8), RFC 2231 parameters (its examples), and charset conversion.
 */
#include "mail/charset.h"
#include "mail/header.h"
#include "mail/params.h"

#include <criterion/criterion.h>
#include <string.h>

static void words(const char *in, const char *want)
{
	struct arena a;
	arena_init(&a, 0);
	cr_expect_str_eq(mail_decode_words(&a, str_from(in)), want, "decode %s", in);
	arena_free(&a);
}

Test(mail_header, rfc2047_section8)
{
	words("=?US-ASCII?Q?Keith_Moore?=", "Keith Moore");
	words("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=", "Keld Jørn Simonsen");
	words("=?ISO-8859-1?Q?Andr=E9?= Pirard", "André Pirard");
	words("=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n"
	      " =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=",
	      "If you can read this you understand the example.");
	words("(=?ISO-8859-1?Q?a?=)", "(a)");
	words("(=?ISO-8859-1?Q?a?= b)", "(a b)");
	words("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)");
	words("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)");
	words("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)");
	words("(=?ISO-8859-1?Q?a_b?=)", "(a b)");
	words("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)");
}

Test(mail_header, encoded_words_in_practice)
{
	/* A UTF-8 character split over two B words. */
	words("=?utf-8?b?4oI=?= =?utf-8?b?rA==?=", "€");
	/* Words glued without white space, lower-case encoding, RFC 2231 language. */
	words("=?utf-8?q?a?==?utf-8?q?b?=", "ab");
	words("=?UTF-8*en?Q?caf=C3=A9?=", "café");
	/* Unknown charset: kept as written; invalid sequences replaced. */
	words("=?x-unknown?q?abc?= d", "=?x-unknown?q?abc?= d");
	words("=?utf-8?q?=FF?=", "\xef\xbf\xbd");
	/* Not encoded words. */
	words("=?utf-8?x?abc?=", "=?utf-8?x?abc?=");
	words("a =? b", "a =? b");
	/* Raw UTF-8 (RFC 6532) kept, invalid 8-bit replaced. */
	words("Grüße", "Grüße");
	words("caf\xe9", "caf\xef\xbf\xbd");
	/* Stateful charset. */
	words("=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=", "テスト");
	words("=?windows-1252?q?=80?=", "€");
}

Test(mail_header, scan_and_unfold)
{
	const char *msg = "From mbox line\r\nSubject: a\r\n b\r\n\tc\r\nX-Empty:\r\n"
			  "Obs-Name : v\r\n\r\nbody";
	struct arena a;
	arena_init(&a, 0);
	struct mail_header h;
	size_t body = mail_header_scan(msg, 0, strlen(msg), &a, &h);
	cr_expect_str_eq(msg + body, "body");
	cr_expect_eq(h.n, 3);
	const struct mail_field *f = mail_header_get(&h, "subject");
	cr_assert_not_null(f);
	cr_expect_str_eq(mail_unfold(&a, f->value), "a b\tc");
	cr_expect_str_eq(mail_unfold(&a, mail_header_get(&h, "X-Empty")->value), "");
	cr_expect_str_eq(mail_unfold(&a, mail_header_get(&h, "Obs-Name")->value), "v");
	cr_expect_eq(h.flags, 0);

	/* A line that is not a field ends the header; the body starts there. */
	const char *bad = "Subject: x\nnot a header line\nmore\n";
	body = mail_header_scan(bad, 0, strlen(bad), &a, &h);
	cr_expect_str_eq(bad + body, "not a header line\nmore\n");
	cr_expect(h.flags & MAIL_F_HEADER_BAD_LINE);
	cr_expect(h.flags & MAIL_F_BARE_LF);

	/* No empty line: all header, no body. */
	const char *nobody = "Subject: x\r\n";
	body = mail_header_scan(nobody, 0, strlen(nobody), &a, &h);
	cr_expect_eq(body, strlen(nobody));
	cr_expect(h.flags & MAIL_F_NO_HEADER_END);
	arena_free(&a);
}

Test(mail_header, header_limits)
{
	struct buf b = BUF_INIT;
	for (int i = 0; i < MAIL_HEADER_FIELDS_MAX + 100; i++)
		buf_printf(&b, "X-F%d: v\r\n", i);
	buf_puts(&b, "\r\nbody");
	struct arena a;
	arena_init(&a, 0);
	struct mail_header h;
	size_t body = mail_header_scan(b.data, 0, b.len, &a, &h);
	cr_expect_str_eq(b.data + body, "body");
	cr_expect_eq(h.n, MAIL_HEADER_FIELDS_MAX);
	cr_expect(h.flags & MAIL_F_HEADER_TRUNCATED);
	arena_free(&a);
	buf_free(&b);
}

static const char *param(const struct mail_typed_value *v, const char *name)
{
	for (size_t i = 0; i < v->nparams; i++)
		if (strcmp(v->params[i].name, name) == 0)
			return v->params[i].value;
	return NULL;
}

Test(mail_header, params_rfc2231)
{
	struct arena a;
	arena_init(&a, 0);
	struct mail_typed_value v;
	/* RFC 2231 3: continuations. */
	mail_params_parse(
	    &a,
	    str_from("message/external-body; access-type=URL;\r\n URL*0=\"ftp://\";\r\n "
		     "URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\""),
	    true, &v);
	cr_expect_str_eq(v.type, "message");
	cr_expect_str_eq(v.subtype, "external-body");
	cr_expect_str_eq(param(&v, "access-type"), "URL");
	cr_expect_str_eq(param(&v, "url"),
			 "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar");
	cr_expect(!v.bad_params);
	/* RFC 2231 4: charset and language. */
	mail_params_parse(
	    &a,
	    str_from(
		"application/x-stuff;\r\n title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A"),
	    true, &v);
	cr_expect_str_eq(param(&v, "title"), "This is ***fun***");
	/* RFC 2231 4.1: both combined. */
	mail_params_parse(
	    &a,
	    str_from("application/x-stuff; title*0*=us-ascii'en'This%20is%20even%20more%20;"
		     " title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\""),
	    true, &v);
	cr_expect_str_eq(param(&v, "title"), "This is even more ***fun*** isn't it!");
	/* Sections out of order, other charsets. */
	mail_params_parse(&a,
			  str_from("attachment; filename*1*=%E9.txt; filename*0*=iso-8859-1''caf"),
			  false, &v);
	cr_expect_str_eq(v.type, "attachment");
	cr_expect_str_eq(param(&v, "filename"), "café.txt");
	/* The RFC 2231 form wins over a plain one. */
	mail_params_parse(
	    &a, str_from("inline; filename=\"plain.txt\"; filename*=utf-8''%E2%82%AC.txt"), false,
	    &v);
	cr_expect_str_eq(param(&v, "filename"), "€.txt");
	cr_expect_eq(v.nparams, 1);
	arena_free(&a);
}

Test(mail_header, params_broken)
{
	struct arena a;
	arena_init(&a, 0);
	struct mail_typed_value v;
	mail_params_parse(&a, str_from("Multipart/Mixed; boundary=----=_Part_1_2.3"), true, &v);
	cr_expect_str_eq(v.type, "multipart");
	cr_expect_str_eq(v.subtype, "mixed");
	cr_expect_str_eq(param(&v, "boundary"), "----=_Part_1_2.3");
	cr_expect(v.bad_params);
	mail_params_parse(&a, str_from("text/plain;; charset=\"utf-8;  name=x (comment)"), true,
			  &v);
	cr_expect_str_eq(param(&v, "charset"), "utf-8;  name=x (comment)");
	mail_params_parse(&a, str_from("text/plain; charset=a; charset=b; junk; =x"), true, &v);
	cr_expect_str_eq(param(&v, "charset"), "a");
	cr_expect(v.bad_params);
	mail_params_parse(&a, str_from("text (comment) / html ; a = \"b\" (c)"), true, &v);
	cr_expect_str_eq(v.subtype, "html");
	cr_expect_str_eq(param(&v, "a"), "b");
	mail_params_parse(&a, str_from("text"), true, &v);
	cr_expect_null(v.type);
	mail_params_parse(&a, str_from("application/pdf; name=\"=?utf-8?b?4oKsLnBkZg==?=\""), true,
			  &v);
	cr_expect_str_eq(param(&v, "name"), "€.pdf");
	arena_free(&a);
}
