/* RFC 5322 3.3 dates, obsolete forms (4.3), and broken ones seen in mail. */
#include "mail/date.h"

#include <criterion/criterion.h>

static void ok(const char *s, long long want, int tz)
{
	time_t t;
	int off;
	cr_expect(mail_date_parse(str_from(s), &t, &off), "parse %s", s);
	cr_expect_eq((long long)t, want, "time of %s: %lld", s, (long long)t);
	cr_expect_eq(off, tz, "zone of %s: %d", s, off);
}

static void bad(const char *s)
{
	time_t t;
	int off;
	cr_expect(!mail_date_parse(str_from(s), &t, &off), "parse %s succeeded", s);
	cr_expect_eq(t, 0);
}

/* 2006-01-02 15:04:05 UTC */
#define REF 1136214245LL

Test(mail_date, rfc5322)
{
	ok("Mon, 2 Jan 2006 15:04:05 +0000", REF, 0);
	ok("Mon, 02 Jan 2006 15:04:05 -0700", REF + 7 * 3600, -420);
	ok("2 Jan 2006 15:04:05 +0130", REF - 90 * 60, 90);
	/* RFC 5322 appendix A.1.1 */
	ok("Fri, 21 Nov 1997 09:55:06 -0600", 880127706, -360);
	ok("Thu, 29 Feb 2024 00:00:00 +0000", 1709164800, 0);
}

Test(mail_date, obsolete)
{
	/* RFC 5322 4.3: two-digit years, alphabetic zones, missing seconds. */
	ok("Mon, 2 Jan 06 15:04:05 GMT", REF, 0);
	ok("2 Jan 99 15:04:05 +0000", 915289445, 0);
	ok("2 Jan 106 15:04:05 UT", REF, 0);
	ok("Mon, 2 Jan 2006 10:04:05 EST", REF, -300);
	ok("Mon, 2 Jan 2006 08:04:05 PDT", REF, -420);
	ok("Mon, 2 Jan 2006 15:04 +0000", REF - 5, 0);
	/* Military zones other than Z mean -0000. */
	ok("Mon, 2 Jan 2006 15:04:05 A", REF, 0);
	ok("Mon, 2 Jan 2006 15:04:05 Z", REF, 0);
	/* A.6.3: comments and folding white space. */
	ok("Thu,\r\n      13\r\n        Feb\r\n          1969\r\n      23:32\r\n               "
	   "-0330 (Newfoundland Time)",
	   -27723480, -210);
	/* Leap second. */
	ok("31 Dec 2016 23:59:60 +0000", 1483228799, 0);
}

Test(mail_date, broken_but_common)
{
	ok("Mon, 2 Jan 2006 15:04:05 +0000 (UTC)", REF, 0);
	ok("Monday, 2 January 2006 15:04:05 +0000", REF, 0);
	ok("2-Jan-2006 15:04:05 +0000", REF, 0);
	ok("Mon, 2 Jan 2006 15:04:05", REF, 0);
	ok("Mon, 2 Jan 2006 16:04:05 +01:00", REF, 60);
	ok("Mon, 2 Jan 2006 15:04:05 GMT+0000", REF, 0);
	ok("Mon Jan  2 15:04:05 2006", REF, 0);
	ok("Mon Jan 2 15:04:05 UTC 2006", REF, 0);
	ok("Jan 2, 2006 15:04:05 +0000", REF, 0);
	ok("2006-01-02T15:04:05Z", REF, 0);
	ok("2006-01-02 16:04:05 +0100", REF, 60);
	ok("Mon, 2 Jan 2006 15:04:05.123 +0000", REF, 0);
	ok("  Mon,   2   Jan   2006   15:04:05   +0000  ", REF, 0);
}

Test(mail_date, invalid)
{
	bad("");
	bad("yesterday");
	bad("Mon, 32 Jan 2006 15:04:05 +0000");
	bad("Mon, 29 Feb 2006 15:04:05 +0000");
	bad("Mon, 2 Foo 2006 15:04:05 +0000");
	bad("Mon, 2 Jan 2006 24:00:00 +0000");
	bad("Mon, 2 Jan 2006 15:60:00 +0000");
	bad("Mon, 2 Jan 0999 15:04:05 +0000");
	bad("Mon, 2 Jan 2006");
	bad("Mon, 2 Jan 99999999999 15:04:05 +0000");
}
