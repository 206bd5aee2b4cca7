/* Unit tests of password (PRECIS OpaqueString, RFC 8265 4.2) and user name (NFC) preparation. */
#include "auth/precis.h"

#include <criterion/criterion.h>
#include <string.h>

static void prepares_to(const char *in, const char *want)
{
	struct buf b = BUF_INIT;
	struct error err = {0};
	cr_assert(auth_password_prepare(in, strlen(in), &b, &err), "%s: %s", in, err.msg);
	cr_assert_str_eq(buf_cstr(&b), want, "preparing %s", in);
	buf_free(&b);
}

static void refused(const char *in, size_t n, const char *msg_part)
{
	struct buf b = BUF_INIT;
	struct error err = {0};
	cr_assert_not(auth_password_prepare(in, n, &b, &err), "accepted %s", in);
	cr_assert(strstr(err.msg, msg_part), "message \"%s\" lacks \"%s\"", err.msg, msg_part);
	cr_assert_eq(b.len, 0, "nothing appended on failure");
	buf_free(&b);
}

Test(auth_precis, ascii_passwords_unchanged)
{
	prepares_to("pencil", "pencil");
	prepares_to("correct horse battery staple", "correct horse battery staple");
	prepares_to("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");
}

Test(auth_precis, nfd_input_becomes_nfc)
{
	/* "é" as e + COMBINING ACUTE ACCENT (NFD) and precomposed U+00E9 prepare alike. */
	prepares_to("caf"
		    "e\xcc\x81",
		    "caf\xc3\xa9");
	prepares_to("caf\xc3\xa9", "caf\xc3\xa9");
	/* ANGSTROM SIGN U+212B is a canonical singleton: NFC gives U+00C5. */
	prepares_to("\xe2\x84\xab", "\xc3\x85");
}

Test(auth_precis, non_ascii_spaces_become_ascii_space)
{
	prepares_to("a\xc2\xa0"
		    "b",
		    "a b"); /* U+00A0 NO-BREAK SPACE */
	prepares_to("a\xe3\x80\x80"
		    "b",
		    "a b"); /* U+3000 IDEOGRAPHIC SPACE */
	prepares_to("a\xe2\x80\x80"
		    "b",
		    "a b"); /* U+2000 EN QUAD (NFC would give U+2002) */
	prepares_to("a\xe2\x80\xaf"
		    "b",
		    "a b"); /* U+202F NARROW NO-BREAK SPACE */
}

Test(auth_precis, width_and_case_are_kept)
{
	/* OpaqueString maps neither width nor case (RFC 8265 4.2.1). */
	prepares_to("\xef\xbc\xa1"
		    "bc",
		    "\xef\xbc\xa1"
		    "bc"); /* U+FF21 FULLWIDTH A */
	prepares_to("PaSS", "PaSS");
	prepares_to("Stra\xc3\x9f"
		    "e",
		    "Stra\xc3\x9f"
		    "e"); /* sharp s: a PRECIS exception, PVALID */
}

Test(auth_precis, disallowed_code_points_with_clear_messages)
{
	refused("a\x07"
		"b",
		3, "U+0007 (control character)");
	refused("a\tb", 3, "U+0009 (control character)");
	refused("a\xc2\xad"
		"b",
		4, "U+00AD (default-ignorable"); /* SOFT HYPHEN */
	refused("a\xe2\x80\x8b"
		"b",
		5, "U+200B (default-ignorable"); /* ZERO WIDTH SPACE */
	refused("a\xef\xbb\xbf"
		"b",
		5, "U+FEFF (default-ignorable"); /* BOM */
	refused("a\xee\x80\x80"
		"b",
		5, "U+E000 (private use");
	refused("a\xe2\x80\xa8"
		"b",
		5, "U+2028 (line or paragraph separator)");
	refused("a\xef\xbf\xbf"
		"b",
		5, "U+FFFF (default-ignorable code point or noncharacter)");
	refused("a\xcd\xb8"
		"b",
		4, "U+0378 (unassigned code point)");
	refused("\xe1\x84\x80", 3, "U+1100 (old Hangul jamo)");
	refused("a\xd9\x80"
		"b",
		4, "U+0640 (not allowed by the PRECIS exceptions)"); /* TATWEEL */
	refused("a\xe2\x80\x8e"
		"b",
		5, "U+200E"); /* LEFT-TO-RIGHT MARK, format */
}

Test(auth_precis, context_rules)
{
	/* ZERO WIDTH JOINER only after a virama (RFC 5892 A.2). */
	prepares_to("\xe0\xa4\x95\xe0\xa5\x8d\xe2\x80\x8d", "\xe0\xa4\x95\xe0\xa5\x8d\xe2\x80\x8d");
	refused("a\xe2\x80\x8d"
		"b",
		5, "U+200D (not allowed in this context)");
	/* MIDDLE DOT between two "l" only (A.3). */
	prepares_to("col\xc2\xb7lecci\xc3\xb3", "col\xc2\xb7lecci\xc3\xb3");
	refused("a\xc2\xb7"
		"b",
		4, "U+00B7 (not allowed in this context)");
	/* GREEK KERAIA before a Greek letter (A.4). */
	prepares_to("\xcd\xb5\xce\xb1", "\xcd\xb5\xce\xb1");
	refused("\xcd\xb5"
		"a",
		3, "U+0375");
	/* Arabic-Indic and extended Arabic-Indic digits do not mix (A.8, A.9). */
	prepares_to("\xd9\xa1\xd9\xa2", "\xd9\xa1\xd9\xa2");
	refused("\xd9\xa1\xdb\xb2", 4, "U+0661");
	/* KATAKANA MIDDLE DOT needs some Japanese script around (A.7). */
	prepares_to("\xe3\x82\xa2\xe3\x83\xbb", "\xe3\x82\xa2\xe3\x83\xbb");
	refused("a\xe3\x83\xbb", 4, "U+30FB");
}

Test(auth_precis, bounds_and_encoding)
{
	refused("", 0, "empty");
	refused("a\xff"
		"b",
		3, "not valid UTF-8");
	refused("a\xc0\xaf", 3, "not valid UTF-8");    /* overlong "/" */
	refused("\xed\xa0\x80", 3, "not valid UTF-8"); /* surrogate */
	char big[AUTH_PASSWORD_MAX + 2];
	memset(big, 'x', sizeof big);
	refused(big, AUTH_PASSWORD_MAX + 1, "longer than");
	struct buf b = BUF_INIT;
	cr_assert(auth_password_prepare(big, AUTH_PASSWORD_MAX, &b, NULL));
	cr_assert_eq(b.len, AUTH_PASSWORD_MAX);
	buf_free(&b);
	/* NUL is a control character. */
	refused("a\0b", 3, "U+0000");
}

Test(auth_precis, usernames_are_nfc)
{
	struct buf b = BUF_INIT;
	struct error err = {0};
	const char nfd[] = "re\xcc\x81my@example.org";
	cr_assert(auth_username_prepare(nfd, strlen(nfd), &b, &err), "%s", err.msg);
	cr_assert_str_eq(buf_cstr(&b), "r\xc3\xa9my@example.org");
	buf_reset(&b);
	cr_assert(auth_username_prepare("Mjl@Example.org", 15, &b, &err));
	cr_assert_str_eq(buf_cstr(&b), "Mjl@Example.org", "no case mapping here");
	cr_assert_not(auth_username_prepare("a\0b", 3, &b, &err));
	cr_assert_not(auth_username_prepare("a\nb", 3, &b, &err));
	cr_assert(strstr(err.msg, "control"));
	cr_assert_not(auth_username_prepare("a\xc2\x85"
					    "b",
					    4, &b, &err),
		      "C1 control NEL");
	cr_assert_not(auth_username_prepare("\xff", 1, &b, &err));
	cr_assert_not(auth_username_prepare("", 0, &b, &err));
	buf_free(&b);
}
