/*
 * Unit tests of modified UTF-7 (RFC 3501 5.1.3) and sequence sets: the RFC's
 * example, round trips through every plane, each refusal of the strict
 * decoder, and sequence-set parsing, resolution and formatting.
 */
#include "imap/seqset.h"
#include "imap/utf7.h"

#include <criterion/criterion.h>
#include <string.h>

static char *dec(const char *s, struct error *err)
{
	struct buf b = BUF_INIT;
	if (!imap_utf7_decode(s, strlen(s), &b, err)) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

static char *enc(const char *s)
{
	struct buf b = BUF_INIT;
	imap_utf7_encode(s, strlen(s), &b);
	return buf_steal(&b);
}

static void roundtrip(const char *utf8, const char *utf7)
{
	char *e = enc(utf8);
	cr_assert_str_eq(e, utf7);
	struct error err;
	char *d = dec(utf7, &err);
	cr_assert(d, "%s: %s", utf7, err.msg);
	cr_assert_str_eq(d, utf8);
	free(e);
	free(d);
}

Test(imap_utf7, rfc_examples)
{
	/* RFC 3501 5.1.3 */
	roundtrip("~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
		  "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
	roundtrip("A&B", "A&-B");
	roundtrip("&", "&-");
	roundtrip("plain", "plain");
	roundtrip("", "");
	roundtrip("Entw\xc3\xbc"
		  "rfe",
		  "Entw&APw-rfe");
	roundtrip("\xf0\x9f\x98\x80", "&2D3eAA-"); /* U+1F600, a surrogate pair */
	roundtrip("a\x01"
		  "b",
		  "a&AAE-b");                           /* controls are encoded */
	roundtrip("\xc3\xa9&\xc3\xa9", "&AOk-&-&AOk-"); /* "&-" between two sections */
}

Test(imap_utf7, long_runs)
{
	struct buf in = BUF_INIT;
	for (int i = 0; i < 300; i++)
		buf_puts(&in, "\xe2\x82\xac"); /* U+20AC */
	char *e = enc(in.data);
	cr_assert_eq(strchr(e, '-'), e + strlen(e) - 1, "one section for one run");
	struct error err;
	char *d = dec(e, &err);
	cr_assert(d, "%s", err.msg);
	cr_assert_str_eq(d, in.data);
	free(e);
	free(d);
	buf_free(&in);
}

Test(imap_utf7, refusals)
{
	static const char *const badv[] = {
	    "&U,BTFw",    /* no "-" */
	    "&U,B$Fw-",   /* not base64 */
	    "&AGE-",      /* "a" encoded */
	    "&2D3e-",     /* high surrogate alone */
	    "&3gA-",      /* low surrogate alone */
	    "&AOk-&AOk-", /* two sections back to back */
	    "&AOkA-",     /* leftover bits not zero / odd bytes */
	    "&AP-",       /* incomplete */
	    "\xff",       /* not UTF-8 */
	};
	for (size_t i = 0; i < sizeof badv / sizeof badv[0]; i++) {
		struct error err;
		char *d = dec(badv[i], &err);
		cr_assert_null(d, "%s decoded", badv[i]);
		cr_assert_eq(err.kind, ERR_INVALID);
	}
	/* Raw UTF-8 from clients that did not enable UTF-8 passes through. */
	struct error err;
	char *d = dec("caf\xc3\xa9", &err);
	cr_assert_str_eq(d, "caf\xc3\xa9");
	free(d);
}

Test(imap_seqset, parse_and_resolve)
{
	struct arena ar;
	arena_init(&ar, 1024);
	struct imap_seqset s;
	struct error err;
	cr_assert(imap_seqset_parse(STR_LIT("2,4:7,9,12:*"), false, true, &ar, &s, &err));
	cr_assert_eq(s.n, 4);
	cr_assert(imap_seqset_contains(&s, 15, 15));
	cr_assert(imap_seqset_contains(&s, 5, 15));
	cr_assert(!imap_seqset_contains(&s, 8, 15));
	cr_assert(imap_seqset_contains(&s, 12, 10), "12:* with * = 10 covers 10..12");
	cr_assert_eq(imap_seqset_count(&s, 15, &ar), 1 + 4 + 1 + 4);
	cr_assert(imap_seqset_parse(STR_LIT("*:4,5:7"), false, true, &ar, &s, &err));
	cr_assert_eq(imap_seqset_count(&s, 10, &ar), 7);
	cr_assert(imap_seqset_parse(STR_LIT("$"), true, true, &ar, &s, &err) && s.saved);
	cr_assert(!imap_seqset_parse(STR_LIT("$"), false, true, &ar, &s, &err));
	cr_assert(!imap_seqset_parse(STR_LIT("1:*"), false, false, &ar, &s, &err));
	cr_assert(!imap_seqset_parse(STR_LIT("0"), false, true, &ar, &s, &err));
	cr_assert(!imap_seqset_parse(STR_LIT("01"), false, true, &ar, &s, &err));
	cr_assert(!imap_seqset_parse(STR_LIT("4294967296"), false, true, &ar, &s, &err));
	cr_assert(imap_seqset_parse(STR_LIT("4294967295"), false, true, &ar, &s, &err));
	cr_assert(!imap_seqset_parse(STR_LIT("1,"), false, true, &ar, &s, &err));
	cr_assert(!imap_seqset_parse(STR_LIT(",1"), false, true, &ar, &s, &err));
	cr_assert(!imap_seqset_parse(STR_LIT("1::2"), false, true, &ar, &s, &err));
	cr_assert(imap_seqset_parse(STR_LIT("1,3:5,9"), false, false, &ar, &s, &err));
	cr_assert(imap_seqset_increasing(&s));
	cr_assert(imap_seqset_parse(STR_LIT("3,1"), false, false, &ar, &s, &err));
	cr_assert(!imap_seqset_increasing(&s));
	arena_free(&ar);
}

Test(imap_seqset, format)
{
	uint32_t v[] = {1, 2, 3, 5, 7, 8, 10};
	struct buf b = BUF_INIT;
	imap_uidlist_format(v, 7, &b);
	cr_assert_str_eq(b.data, "1:3,5,7:8,10");
	buf_reset(&b);
	size_t pos = 0;
	imap_uidlist_format_part(v, 7, &pos, 30, &b);
	cr_assert_eq(pos, 6);
	cr_assert_str_eq(b.data, "1:3,5,7:8");
	buf_reset(&b);
	imap_uidlist_format_part(v, 7, &pos, 30, &b);
	cr_assert_eq(pos, 7);
	cr_assert_str_eq(b.data, "10");
	buf_free(&b);
	struct imap_range r[] = {{5, 9}, {1, 2}, {3, 3}, {20, 30}, {8, 12}};
	size_t n = imap_ranges_normalize(r, 5);
	cr_assert_eq(n, 3);
	cr_assert(r[0].first == 1 && r[0].last == 3 && r[1].first == 5 && r[1].last == 12);
	cr_assert(r[2].first == 20 && r[2].last == 30);
}
