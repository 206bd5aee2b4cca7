#include "base/address.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static struct address parse_ok(const char *s, unsigned flags)
{
	struct address a;
	struct error err = {0};
	cr_assert(address_parse_cstr(s, flags, &a, &err), "parse %s: %s", s, err.msg);
	return a;
}

/* Asserts that s is refused with a message containing want. */
static void parse_bad(const char *s, unsigned flags, const char *want)
{
	struct address a;
	struct error err = {0};
	cr_assert(!address_parse_cstr(s, flags, &a, &err), "parse %s succeeded: %s", s,
		  a.localpart);
	cr_assert(strstr(err.msg, want), "parse %s: error %s, want %s", s, err.msg, want);
	cr_assert_str_eq(a.localpart, "");
	cr_assert_str_eq(a.domain.ascii, "");
}

/* Parses in, checks the decoded localpart and the formatted forms, and that the
 * formatted form parses back to the same value. */
static void check(const char *in, const char *localpart, const char *ascii, const char *unicode)
{
	struct address a = parse_ok(in, ADDRESS_ALLOW_CATCHALL);
	cr_assert_str_eq(a.localpart, localpart, "localpart of %s", in);
	struct buf b = BUF_INIT;
	address_format(&b, &a, false);
	cr_assert_str_eq(buf_cstr(&b), ascii, "ascii form of %s", in);
	struct address again = parse_ok(buf_cstr(&b), ADDRESS_ALLOW_CATCHALL);
	cr_assert(address_eq(&a, &again), "round trip of %s", in);
	buf_reset(&b);
	address_format(&b, &a, true);
	cr_assert_str_eq(buf_cstr(&b), unicode, "unicode form of %s", in);
	again = parse_ok(buf_cstr(&b), ADDRESS_ALLOW_CATCHALL);
	cr_assert(address_eq(&a, &again), "round trip of %s", in);
	buf_free(&b);
}

static char *repeat(char *dst, char c, size_t n)
{
	memset(dst, c, n);
	dst[n] = '\0';
	return dst;
}

Test(address, dot_strings)
{
	check("mjl@example.com", "mjl", "mjl@example.com", "mjl@example.com");
	check("Mjl@Example.COM", "Mjl", "Mjl@example.com", "Mjl@example.com");
	check("first.last@example.com", "first.last", "first.last@example.com",
	      "first.last@example.com");
	check("a!#$%&'*+-/=?^_`{|}~z@example.com", "a!#$%&'*+-/=?^_`{|}~z",
	      "a!#$%&'*+-/=?^_`{|}~z@example.com", "a!#$%&'*+-/=?^_`{|}~z@example.com");
	check("x@bücher.example", "x", "x@xn--bcher-kva.example", "x@bücher.example");
	check("x@xn--bcher-kva.example", "x", "x@xn--bcher-kva.example", "x@bücher.example");
}

Test(address, dot_string_errors)
{
	parse_bad(".a@example.com", 0, "starts with a dot");
	parse_bad("a.@example.com", 0, "ends with a dot");
	parse_bad("a..b@example.com", 0, "consecutive dots");
	parse_bad("a b@example.com", 0, "invalid character 0x20");
	parse_bad("a(b)@example.com", 0, "invalid character '('");
	parse_bad("a,b@example.com", 0, "invalid character ','");
	parse_bad("a\"b\"@example.com", 0, "invalid character '\"'");
	parse_bad("a@b@example.com", 0, "domain: invalid character '@'");
	parse_bad("example.com", 0, "missing @domain");
	parse_bad("a@", 0, "missing domain");
	parse_bad("", 0, "empty address");
}

Test(address, quoted_strings)
{
	check("\"simple\"@example.com", "simple", "simple@example.com", "simple@example.com");
	check("\"john doe\"@example.com", "john doe", "\"john doe\"@example.com",
	      "\"john doe\"@example.com");
	check("\"say \\\"hi\\\"\"@example.com", "say \"hi\"", "\"say \\\"hi\\\"\"@example.com",
	      "\"say \\\"hi\\\"\"@example.com");
	check("\"back\\\\slash\"@example.com", "back\\slash", "\"back\\\\slash\"@example.com",
	      "\"back\\\\slash\"@example.com");
	/* RFC 5321 4.1.2's example: the backslash quotes a comma, which needs no quoting
	 * inside a quoted-string, so the minimal form drops the backslash. */
	check("\"Joe\\,Smith\"@example.com", "Joe,Smith", "\"Joe,Smith\"@example.com",
	      "\"Joe,Smith\"@example.com");
	check("\"a@b\"@example.com", "a@b", "\"a@b\"@example.com", "\"a@b\"@example.com");
	check("\"a..b\"@example.com", "a..b", "\"a..b\"@example.com", "\"a..b\"@example.com");
	check("\".a\"@example.com", ".a", "\".a\"@example.com", "\".a\"@example.com");
	check("\"\\m\\j\\l\"@example.com", "mjl", "mjl@example.com", "mjl@example.com");
	check("\"ünïcode space\"@example.com", "ünïcode space", "\"ünïcode space\"@example.com",
	      "\"ünïcode space\"@example.com");
}

Test(address, quoted_string_errors)
{
	parse_bad("\"abc@example.com", 0, "unterminated quoted string");
	parse_bad("\"abc\\\"@example.com", 0, "unterminated quoted string");
	parse_bad("\"a\tb\"@example.com", 0, "invalid character 0x09 in quoted string");
	parse_bad("\"a\\\tb\"@example.com", 0, "after backslash");
	parse_bad("\"a\"b@example.com", 0, "invalid character 'b' in localpart");
	parse_bad("\"a\".b@example.com", 0, "invalid character '.' in localpart");
	parse_bad("\"\"@example.com", 0, "empty localpart");
}

Test(address, utf8_localparts)
{
	check("møller@example.com", "møller", "møller@example.com", "møller@example.com");
	check("用户@例子.广告", "用户", "用户@xn--fsqu00a.xn--4rr70v", "用户@例子.广告");
	check("δοκιμή@παράδειγμα.δοκιμή", "δοκιμή", "δοκιμή@xn--hxajbheg2az3al.xn--jxalpdlp",
	      "δοκιμή@παράδειγμα.δοκιμή");
	parse_bad("m\xf8ller@example.com", 0, "invalid UTF-8");
	parse_bad("\xc3\x28@example.com", 0, "invalid UTF-8");
	parse_bad("\xed\xa0\x80@example.com", 0, "invalid UTF-8");
	parse_bad("\xc0\xaf@example.com", 0, "invalid UTF-8");
	parse_bad("\"\xff\"@example.com", 0, "invalid UTF-8");
	parse_bad("a\xc2\x85@example.com", 0, "control character");
	parse_bad("mjl@b\xfc"
		  "cher.example",
		  0, "domain: invalid UTF-8");
}

Test(address, ascii_only_flag)
{
	parse_ok("mjl@xn--bcher-kva.example", ADDRESS_ASCII_ONLY);
	parse_bad("møller@example.com", ADDRESS_ASCII_ONLY, "needs SMTPUTF8");
	parse_bad("mjl@bücher.example", ADDRESS_ASCII_ONLY, "needs SMTPUTF8");
	char lp[ADDRESS_LOCALPART_MAX + 1];
	struct error err;
	cr_assert(!address_localpart_parse(str_from("é"), ADDRESS_ASCII_ONLY, lp, &err));
}

Test(address, nfc_normalisation)
{
	/* e + combining acute accent is stored as é (U+00E9). */
	struct address nfd = parse_ok("caf\x65\xcc\x81@example.com", 0);
	struct address nfc = parse_ok("caf\xc3\xa9@example.com", 0);
	cr_assert_str_eq(nfd.localpart, "caf\xc3\xa9");
	cr_assert(address_eq(&nfd, &nfc));
	struct address q = parse_ok("\"caf\x65\xcc\x81\"@example.com", 0);
	cr_assert(address_eq(&q, &nfc));
	/* U+037E GREEK QUESTION MARK is canonically ';', which needs quoting. */
	check("a\xcd\xbe"
	      "b@example.com",
	      "a;b", "\"a;b\"@example.com", "\"a;b\"@example.com");
	/* A leading combining mark stays as it is; NFC has nothing to compose it with. */
	check("\xcc\x81x@example.com", "\xcc\x81x", "\xcc\x81x@example.com",
	      "\xcc\x81x@example.com");
}

Test(address, domain_rules)
{
	parse_bad("mjl@example.com.", 0, "domain: trailing dot");
	parse_bad("mjl@_dmarc.example.com", 0, "domain: underscore not allowed");
	parse_bad("mjl@[127.0.0.1]", 0, "domain: address literal");
	parse_bad("mjl@1.2.3.4", 0, "domain: IP address");
	parse_bad("mjl@-x.example", 0, "domain: label starts with a hyphen");
	parse_bad("mjl@a..example", 0, "domain: empty label");
}

Test(address, localpart_length)
{
	char lp[ADDRESS_LOCALPART_MAX + 10], in[ADDRESS_LOCALPART_MAX + 40];
	repeat(lp, 'a', 64);
	snprintf(in, sizeof in, "%s@example.com", lp);
	parse_ok(in, ADDRESS_STRICT_LENGTH);
	repeat(lp, 'a', 65);
	snprintf(in, sizeof in, "%s@example.com", lp);
	parse_bad(in, ADDRESS_STRICT_LENGTH, "localpart longer than 64 octets");
	parse_ok(in, 0);
	repeat(lp, 'a', ADDRESS_LOCALPART_MAX);
	snprintf(in, sizeof in, "%s@example.com", lp);
	parse_ok(in, 0);
	repeat(lp, 'a', ADDRESS_LOCALPART_MAX + 1);
	snprintf(in, sizeof in, "%s@example.com", lp);
	parse_bad(in, 0, "localpart longer than 512 octets");
	/* The limit counts decoded octets: quoting does not count, UTF-8 does. */
	char quoted[100], utf8[200] = "";
	snprintf(quoted, sizeof quoted, "\"%.62s\\\\\"@example.com", lp);
	parse_ok(quoted, ADDRESS_STRICT_LENGTH);
	for (int i = 0; i < 33; i++)
		strcat(utf8, "é");
	strcat(utf8, "@example.com");
	parse_bad(utf8, ADDRESS_STRICT_LENGTH, "longer than 64 octets");
	/* Input beyond the byte limit is refused before any work. */
	static char huge[ADDRESS_INPUT_MAX + 10];
	repeat(huge, 'a', ADDRESS_INPUT_MAX + 1);
	parse_bad(huge, 0, "address longer than");
}

Test(address, catchall_form)
{
	parse_bad("@example.com", 0, "empty localpart");
	struct address a = parse_ok("@Example.com", ADDRESS_ALLOW_CATCHALL);
	cr_assert_str_eq(a.localpart, "");
	cr_assert_str_eq(a.domain.ascii, "example.com");
	check("@bücher.example", "", "@xn--bcher-kva.example", "@bücher.example");
	check("\"\"@example.com", "", "@example.com", "@example.com");
	parse_bad("@", ADDRESS_ALLOW_CATCHALL, "missing domain");
	struct buf b = BUF_INIT;
	address_localpart_format(&b, "");
	cr_assert_str_eq(buf_cstr(&b), "\"\"");
	buf_free(&b);
}

Test(address, localpart_parse_alone)
{
	char lp[ADDRESS_LOCALPART_MAX + 1];
	struct error err = {0};
	cr_assert(address_localpart_parse(STR_LIT("dmarc-reports"), 0, lp, &err), "%s", err.msg);
	cr_assert_str_eq(lp, "dmarc-reports");
	cr_assert(address_localpart_parse(STR_LIT("\"a b\""), 0, lp, &err), "%s", err.msg);
	cr_assert_str_eq(lp, "a b");
	cr_assert(!address_localpart_parse(STR_LIT("a@b"), 0, lp, &err));
	cr_assert(strstr(err.msg, "invalid character '@'"), "%s", err.msg);
	cr_assert(!address_localpart_parse(STR_LIT(""), 0, lp, &err));
	cr_assert(strstr(err.msg, "empty localpart"), "%s", err.msg);
	cr_assert(!address_localpart_parse(STR_LIT("a\0b"), 0, lp, &err));
	cr_assert(strstr(err.msg, "0x00"), "%s", err.msg);
}

Test(address, format_quoting)
{
	cr_assert(address_localpart_is_dot_string("a.b"));
	cr_assert(address_localpart_is_dot_string("é.ü"));
	cr_assert(!address_localpart_is_dot_string(""));
	cr_assert(!address_localpart_is_dot_string(".a"));
	cr_assert(!address_localpart_is_dot_string("a."));
	cr_assert(!address_localpart_is_dot_string("a..b"));
	cr_assert(!address_localpart_is_dot_string("a b"));
	cr_assert(!address_localpart_is_dot_string("a\"b"));
	struct buf b = BUF_INIT;
	address_localpart_format(&b, "a\"b\\c d");
	cr_assert_str_eq(buf_cstr(&b), "\"a\\\"b\\\\c d\"");
	buf_free(&b);
}

static void canonical(const char *lp, const struct localpart_rules *rules, const char *want)
{
	struct buf b = BUF_INIT;
	struct error err = {0};
	cr_assert(address_localpart_canonical(lp, rules, &b, &err), "%s: %s", lp, err.msg);
	cr_assert_str_eq(buf_cstr(&b), want, "canonical of %s", lp);
	buf_free(&b);
}

Test(address, canonical_catchall_separators)
{
	const char *seps[] = {"+", "-"};
	struct localpart_rules insensitive = {seps, 2, false}, sensitive = {seps, 2, true};
	canonical("mjl+news", &insensitive, "mjl");
	canonical("mjl-news", &insensitive, "mjl");
	canonical("Mjl-a+b", &insensitive, "mjl");
	canonical("Mjl+a-b", &insensitive, "mjl");
	canonical("Mjl+a-b", &sensitive, "Mjl");
	canonical("MJL", &sensitive, "MJL");
	canonical("+leading", &insensitive, "");
	canonical("plain", &insensitive, "plain");
	canonical("", &insensitive, "");
	const char *multi[] = {"", "--"};
	struct localpart_rules m = {multi, 2, false};
	canonical("a-b--c", &m, "a-b");
	canonical("Mjl+x", NULL, "mjl+x");

	cr_assert(address_localpart_has_separator("a+b", &insensitive));
	cr_assert(address_localpart_has_separator("a-b", &insensitive));
	cr_assert(!address_localpart_has_separator("ab", &insensitive));
	cr_assert(!address_localpart_has_separator("a-b", &m));
	cr_assert(address_localpart_has_separator("a--b", &m));
	cr_assert(!address_localpart_has_separator("a+b", NULL));
}

Test(address, canonical_case_folding)
{
	struct localpart_rules r = {NULL, 0, false};
	canonical("MJL", &r, "mjl");
	canonical("ÄBC", &r, "äbc");
	canonical("Møller", &r, "møller");
	/* Full case folding: ß folds to "ss", so both spellings meet. */
	canonical("Straße", &r, "strasse");
	canonical("STRASSE", &r, "strasse");
	/* Greek final sigma folds to sigma. */
	canonical("ΣΊΣΥΦΟΣ", &r, "σίσυφοσ");
	canonical("σίσυφος", &r, "σίσυφοσ");
	/* The Kelvin sign folds to "k". */
	canonical("\xe2\x84\xaaim", &r, "kim");
	/* The result is NFC even for decomposed input: A + combining diaeresis is ä. */
	canonical("A\xcc\x88", &r, "ä");
	struct buf b = BUF_INIT;
	struct error err;
	cr_assert(!address_localpart_canonical("\xff", &r, &b, &err));
	buf_free(&b);
}

Test(address, postmaster)
{
	cr_assert(address_localpart_is_postmaster("postmaster"));
	cr_assert(address_localpart_is_postmaster("PostMaster"));
	cr_assert(address_localpart_is_postmaster("POSTMASTER"));
	cr_assert(!address_localpart_is_postmaster("postmaster+x"));
	cr_assert(!address_localpart_is_postmaster("po\xc5\xbftmaster"));
	cr_assert(!address_localpart_is_postmaster(""));
	struct address a = parse_ok("\"Postmaster\"@example.com", 0);
	cr_assert(address_localpart_is_postmaster(a.localpart));
}

Test(address, equality)
{
	struct address a = parse_ok("mjl@Example.com", 0), b = parse_ok("\"mjl\"@example.COM", 0);
	struct address c = parse_ok("Mjl@example.com", 0), d = parse_ok("mjl@example.org", 0);
	cr_assert(address_eq(&a, &b));
	cr_assert(!address_eq(&a, &c), "localparts compare case-sensitively");
	cr_assert(!address_eq(&a, &d));
}
