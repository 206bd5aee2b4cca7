#include "smtp/parse.h"

#include <criterion/criterion.h>
#include <string.h>

static struct str S(const char *s) {
	return str_from(s);
}

Test(smtp_parse, commands)
{
	struct smtp_cmd c;
	cr_assert(smtp_parse_command(S("ehlo example.org"), &c));
	cr_assert_str_eq(c.verb, "EHLO");
	cr_assert(str_eq_cstr(c.args, "example.org"));
	cr_assert(smtp_parse_command(S("QUIT"), &c));
	cr_assert_str_eq(c.verb, "QUIT");
	cr_assert_eq(c.args.len, 0);
	cr_assert(smtp_parse_command(S("MAIL FROM:<a@b.example>"), &c));
	cr_assert(str_eq_cstr(c.args, "FROM:<a@b.example>"));
	cr_assert(!smtp_parse_command(S(""), &c));
	cr_assert(!smtp_parse_command(S("123"), &c));
	cr_assert(!smtp_parse_command(S("MAIL\tFROM"), &c));
	cr_assert(!smtp_parse_command(S("VERYLONGVERBNAME x"), &c));
	cr_assert(!smtp_parse_command(str_make("NO\0OP", 5), &c));
}

static struct smtp_path path_ok(const char *s, unsigned flags)
{
	struct smtp_path p;
	struct error err = {0};
	cr_assert(smtp_parse_path(S(s), flags, &p, &err), "%s: %s", s, err.msg);
	return p;
}

static void path_bad(const char *s, unsigned flags)
{
	struct smtp_path p;
	struct error err = {0};
	cr_assert(!smtp_parse_path(S(s), flags, &p, &err), "%s parsed", s);
	cr_assert_neq(err.msg[0], '\0');
}

Test(smtp_parse, paths)
{
	struct smtp_path p = path_ok("<mjl@Example.ORG>", 0);
	cr_assert_eq(p.kind, SMTP_PATH_MAILBOX);
	cr_assert_str_eq(p.addr.localpart, "mjl");
	cr_assert_str_eq(p.addr.domain.ascii, "example.org");
	cr_assert_eq(path_ok("<>", SMTP_PATH_REVERSE).kind, SMTP_PATH_NULL);
	path_bad("<>", 0);
	cr_assert_eq(path_ok("<PostMaster>", 0).kind, SMTP_PATH_POSTMASTER);
	path_bad("<postmaster>", SMTP_PATH_REVERSE);
	p = path_ok("<@a.example,@b.example:user@c.example>", 0);
	cr_assert_str_eq(p.addr.domain.ascii, "c.example");
	path_bad("<@a.example,:user@c.example>", 0);
	path_bad("<@:user@c.example>", 0);
	p = path_ok("<\"a b@c\"@example.org>", 0);
	cr_assert_str_eq(p.addr.localpart, "a b@c");
	p = path_ok("<x@[192.0.2.1]>", 0);
	cr_assert_eq(p.kind, SMTP_PATH_LITERAL);
	cr_assert_str_eq(p.literal, "192.0.2.1");
	p = path_ok("<x@[ipv6:2001:db8::1]>", 0);
	cr_assert_str_eq(p.literal, "IPv6:2001:db8::1");
	path_bad("<x@[2001:db8::1]>", 0);
	path_bad("<x@[999.1.1.1]>", 0);
	path_bad("<x@[tag:foo]>", 0);
	path_bad("mjl@example.org", 0);
	path_bad("<mjl>", 0);
	path_bad("<mjl@>", 0);
	path_bad("<j\xc3\xb6rg@example.org>", 0);
	p = path_ok("<j\xc3\xb6rg@b\xc3\xbc"
		    "cher.example>",
		    SMTP_PATH_UTF8);
	cr_assert_str_eq(p.addr.domain.ascii, "xn--bcher-kva.example");
}

Test(smtp_parse, path_args)
{
	struct str path, rest;
	struct error err;
	cr_assert(smtp_split_path_arg(S("from:<a@b.example> SIZE=10"), "FROM:", false, &path, &rest,
				      &err));
	cr_assert(str_eq_cstr(path, "<a@b.example>"));
	cr_assert(str_eq_cstr(rest, " SIZE=10"));
	cr_assert(
	    smtp_split_path_arg(S("TO:<\"x>y\"@b.example>"), "TO:", false, &path, &rest, &err));
	cr_assert(str_eq_cstr(path, "<\"x>y\"@b.example>"));
	cr_assert(
	    !smtp_split_path_arg(S("FROM: <a@b.example>"), "FROM:", false, &path, &rest, &err));
	cr_assert(smtp_split_path_arg(S("FROM: <a@b.example>"), "FROM:", true, &path, &rest, &err));
	cr_assert(!smtp_split_path_arg(S("FROM:<a@b.example"), "FROM:", false, &path, &rest, &err));
	cr_assert(!smtp_split_path_arg(S("TO:<a@b.example>"), "FROM:", false, &path, &rest, &err));
}

Test(smtp_parse, params)
{
	struct smtp_param ps[4];
	size_t n;
	struct error err;
	cr_assert(smtp_parse_params(S(" SIZE=100 BODY=8BITMIME SMTPUTF8"), false, ps, 4, &n, &err));
	cr_assert_eq(n, 3);
	cr_assert(str_eq_cstr(ps[0].key, "SIZE") && str_eq_cstr(ps[0].value, "100"));
	cr_assert(!ps[2].has_value);
	cr_assert(smtp_parse_params(S(""), false, ps, 4, &n, &err) && n == 0);
	cr_assert(!smtp_parse_params(S("SIZE=1"), false, ps, 4, &n, &err));
	cr_assert(!smtp_parse_params(S(" SIZE="), false, ps, 4, &n, &err));
	cr_assert(!smtp_parse_params(S(" -X=1"), false, ps, 4, &n, &err));
	cr_assert(!smtp_parse_params(S(" A=1 B=2 C=3 D=4 E=5"), false, ps, 4, &n, &err));
	cr_assert(!smtp_parse_params(S(" X=\xc3\xa9"), false, ps, 4, &n, &err));
	cr_assert(smtp_parse_params(S(" X=\xc3\xa9"), true, ps, 4, &n, &err));
	cr_assert(!smtp_parse_params(S(" X=\xc3"), true, ps, 4, &n, &err));
	cr_assert(!smtp_parse_params(S(" X=a=b"), false, ps, 4, &n, &err));
}

Test(smtp_parse, xtext_hello_bdat_number)
{
	struct buf b = BUF_INIT;
	struct error err;
	cr_assert(smtp_xtext_decode(S("a+2Bb+3Dc"), &b, &err));
	cr_assert_str_eq(buf_cstr(&b), "a+b=c");
	cr_assert(!smtp_xtext_decode(S("a+2b"), &b, &err));
	cr_assert(!smtp_xtext_decode(S("a+2"), &b, &err));
	cr_assert(!smtp_xtext_decode(S("a=b"), &b, &err));
	buf_free(&b);

	struct smtp_hello h;
	cr_assert(smtp_parse_hello(S("Mail.Example.org."), false, &h, &err));
	cr_assert_str_eq(h.domain.ascii, "mail.example.org");
	cr_assert(smtp_parse_hello(S("[192.0.2.1]"), false, &h, &err) && h.literal);
	cr_assert(!smtp_parse_hello(S(""), false, &h, &err));
	cr_assert(!smtp_parse_hello(S("a b"), false, &h, &err));
	cr_assert(!smtp_parse_hello(S("b\xc3\xbc"
				      "cher.example"),
				    false, &h, &err));
	cr_assert(smtp_parse_hello(S("b\xc3\xbc"
				     "cher.example"),
				   true, &h, &err));

	uint64_t size;
	bool last;
	cr_assert(smtp_parse_bdat(S("100"), &size, &last, &err) && size == 100 && !last);
	cr_assert(smtp_parse_bdat(S("0 last"), &size, &last, &err) && size == 0 && last);
	cr_assert(!smtp_parse_bdat(S("-1"), &size, &last, &err));
	cr_assert(!smtp_parse_bdat(S("1 LAST x"), &size, &last, &err));
	cr_assert(!smtp_parse_bdat(S("9999999999999999999"), &size, &last, &err));
	cr_assert(!smtp_parse_bdat(S(""), &size, &last, &err));

	uint64_t v;
	cr_assert(smtp_parse_number(S("12"), 2, &v) && v == 12);
	cr_assert(!smtp_parse_number(S("123"), 2, &v));
	cr_assert(!smtp_parse_number(S("+1"), 2, &v));
}

Test(smtp_parse, path_format)
{
	struct smtp_path p;
	struct error err;
	struct buf b = BUF_INIT;
	cr_assert(smtp_parse_path(S("<\"a b\"@[192.0.2.1]>"), 0, &p, &err));
	smtp_path_format(&b, &p, false);
	cr_assert_str_eq(buf_cstr(&b), "<\"a b\"@[192.0.2.1]>");
	buf_reset(&b);
	cr_assert(smtp_parse_path(S("<>"), SMTP_PATH_REVERSE, &p, &err));
	smtp_path_format(&b, &p, false);
	cr_assert_str_eq(buf_cstr(&b), "<>");
	buf_free(&b);
}
