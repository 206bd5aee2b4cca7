/*
 * mbox: splitting, "From " quoting both ways (mboxo and mboxrd, detection),
 * the date of "From " lines, flags from headers, writing and reading back.
 */
#include "base/arena.h"
#include "base/buf.h"
#include "store/eol.h"
#include "store/mbox.h"

#include <criterion/criterion.h>
#include <string.h>

#define MAX (1024 * 1024)

struct read_all {
	struct store_import_msg m[8];
	size_t n;
	struct arena ar;
};

static void read_all(const char *data, struct read_all *r)
{
	struct mbox_reader rd;
	mbox_reader_init(&rd, "t.mbox", data, strlen(data), MAX);
	memset(r, 0, sizeof *r);
	arena_init(&r->ar, 4096);
	struct error err;
	int rc;
	while (r->n < 8 && (rc = mbox_read(&rd, &r->m[r->n], &r->ar, &err)) == 1)
		r->n++;
	cr_assert(r->n == 8 || rc == 0, "read: %s", err.msg);
}

static void free_all(struct read_all *r)
{
	for (size_t i = 0; i < 8; i++)
		buf_free(&r->m[i].data);
	arena_free(&r->ar);
}

Test(mbox, split_and_separators)
{
	struct read_all r;
	read_all("From a Thu Jan  1 00:00:00 1970\nSubject: 1\n\nbody\n\n"
		 "From b Thu Jan  1 00:01:00 1970\nSubject: 2\n\nline\nFrom after a line is text\n"
		 "\n\n"
		 "From c Thu Jan  1 00:02:00 1970\nSubject: 3\n\nno newline at end",
		 &r);
	cr_assert_eq(r.n, 3);
	cr_assert_str_eq(r.m[0].data.data, "Subject: 1\r\n\r\nbody\r\n");
	/* "From " without an empty line before it stays in the message. */
	cr_assert_str_eq(r.m[1].data.data,
			 "Subject: 2\r\n\r\nline\r\nFrom after a line is text\r\n\r\n");
	cr_assert_str_eq(r.m[2].data.data, "Subject: 3\r\n\r\nno newline at end");
	cr_assert_eq(r.m[0].received, 0);
	cr_assert_eq(r.m[1].received, 60);
	cr_assert_str_eq(r.m[1].origin, "t.mbox:6");
	free_all(&r);
}

Test(mbox, crlf_input_kept)
{
	struct read_all r;
	read_all("From a Thu Jan  1 00:00:00 1970\r\nSubject: x\r\n\r\nbody\r\n\r\n", &r);
	cr_assert_eq(r.n, 1);
	cr_assert_str_eq(r.m[0].data.data, "Subject: x\r\n\r\nbody\r\n");
	free_all(&r);
}

Test(mbox, unquote_rules)
{
	/* mboxo: only one ">" before From goes; mboxrd: one ">" of any number goes. */
	cr_assert_eq(mbox_unquote_skip(">From x", 7, false), 1);
	cr_assert_eq(mbox_unquote_skip(">>From x", 8, false), 0);
	cr_assert_eq(mbox_unquote_skip(">>From x", 8, true), 1);
	cr_assert_eq(mbox_unquote_skip(">>>From x", 9, true), 1);
	cr_assert_eq(mbox_unquote_skip(">Fromage", 8, true), 0);
	cr_assert_eq(mbox_unquote_skip("From x", 6, true), 0);
	cr_assert_eq(mbox_unquote_skip(">", 1, true), 0);
	cr_assert_eq(mbox_unquote_skip("> From x", 8, true), 0);
}

Test(mbox, detect_mboxrd)
{
	const char *o = "From a Thu Jan  1 00:00:00 1970\n\n>From x\n";
	const char *rd = "From a Thu Jan  1 00:00:00 1970\n\n>From x\n>>From y\n";
	cr_assert_not(mbox_is_mboxrd(o, strlen(o)));
	cr_assert(mbox_is_mboxrd(rd, strlen(rd)));
	struct read_all r;
	read_all(o, &r);
	cr_assert_str_eq(r.m[0].data.data, "\r\nFrom x\r\n");
	free_all(&r);
	read_all(rd, &r);
	cr_assert_str_eq(r.m[0].data.data, "\r\nFrom x\r\n>From y\r\n");
	free_all(&r);
	/* mboxo leaves ">>From" alone. */
	read_all("From a Thu Jan  1 00:00:00 1970\n\n>>>From\n>From z\n", &r);
	cr_assert_str_eq(r.m[0].data.data, "\r\n>>>From\r\nFrom z\r\n");
	free_all(&r);
}

Test(mbox, from_line_dates)
{
	int64_t t;
	int tz;
	const char *l = "From a@b Thu Jan  1 00:00:00 1970";
	cr_assert(mbox_from_date(l, strlen(l), &t, &tz));
	cr_assert_eq(t, 0);
	l = "From a@b Sun Sep 13 12:26:40 2020";
	cr_assert(mbox_from_date(l, strlen(l), &t, &tz));
	cr_assert_eq(t, 1600000000);
	l = "From a@b Sun Sep 13 14:26:40 +0200 2020";
	cr_assert(mbox_from_date(l, strlen(l), &t, &tz));
	cr_assert_eq(t, 1600000000);
	cr_assert_eq(tz, 120);
	l = "From a@b Sun Sep 13 12:26:40 UTC 2020";
	cr_assert(mbox_from_date(l, strlen(l), &t, &tz));
	cr_assert_eq(t, 1600000000);
	l = "From  Sun Sep 13 12:26 2020"; /* no sender, no seconds */
	cr_assert(mbox_from_date(l, strlen(l), &t, &tz));
	cr_assert_eq(t, 1600000000 - 40);
	l = "From a@b Sun Sep 13 12:26:40 2020 remote from x";
	cr_assert(mbox_from_date(l, strlen(l), &t, &tz));
	l = "From a@b";
	cr_assert_not(mbox_from_date(l, strlen(l), &t, &tz));
	l = "From a@b Sun Foo 13 12:26:40 2020";
	cr_assert_not(mbox_from_date(l, strlen(l), &t, &tz));
	l = "From a@b Sun Sep 13 25:26:40 2020";
	cr_assert_not(mbox_from_date(l, strlen(l), &t, &tz));
}

Test(mbox, flags_from_headers)
{
	struct read_all r;
	read_all("From a Thu Jan  1 00:00:00 1970\nStatus: RO\nX-Status: AFTD\n"
		 "X-Keywords: $Forwarded, junk custom \\Recent bad(kw\n\nStatus: R in body\n",
		 &r);
	struct store_import_msg *m = &r.m[0];
	cr_assert_eq(m->flags, STORE_FLAG_SEEN | STORE_FLAG_ANSWERED | STORE_FLAG_FLAGGED |
				   STORE_FLAG_DRAFT | STORE_FLAG_DELETED | STORE_FLAG_FORWARDED |
				   STORE_FLAG_JUNK);
	cr_assert_eq(m->nkeywords, 1);
	cr_assert_str_eq(m->keywords[0], "custom");
	free_all(&r);
}

Test(mbox, malformed)
{
	struct mbox_reader rd;
	const char *bad = "Subject: x\n\nbody\n";
	mbox_reader_init(&rd, "bad.mbox", bad, strlen(bad), MAX);
	struct store_import_msg m;
	memset(&m, 0, sizeof m);
	struct arena ar;
	arena_init(&ar, 1024);
	struct error err;
	cr_assert_eq(mbox_read(&rd, &m, &ar, &err), -1);
	cr_assert_str_eq(
	    err.msg, "bad.mbox:1: first line does not start with \"From \" (not an mbox file?)");
	const char *big = "From a Thu Jan  1 00:00:00 1970\n0123456789\n0123456789\n";
	mbox_reader_init(&rd, "big.mbox", big, strlen(big), 15);
	cr_assert_eq(mbox_read(&rd, &m, &ar, &err), -1);
	cr_assert_str_eq(err.msg, "big.mbox:1: message larger than 15 bytes");
	mbox_reader_init(&rd, "empty.mbox", "", 0, 15);
	cr_assert_eq(mbox_read(&rd, &m, &ar, &err), 0);
	buf_free(&m.data);
	arena_free(&ar);
}

Test(mbox, write_mboxrd_and_read_back)
{
	const char *msg = "Subject: w\r\nStatus: O\r\nX-Keywords: old\r\n\r\nFrom a\r\n>From b\r\n"
			  ">>From c\r\nFromage\r\n";
	struct arena ar;
	arena_init(&ar, 1024);
	const char *kwv[] = {"custom"};
	struct store_keywords kw = {kwv, 1};
	struct buf out = BUF_INIT;
	mbox_write_message(&out, "", 0, STORE_FLAG_SEEN | STORE_FLAG_FLAGGED | STORE_FLAG_JUNK, &kw,
			   msg, strlen(msg));
	mbox_write_message(&out, "x@y", 1600000000, 0, NULL, "Subject: 2\r\n\r\nend", 17);
	cr_assert_str_eq(out.data, "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n"
				   "Status: R\nX-Status: F\nX-Keywords: $Junk custom\n"
				   "Subject: w\n\n>From a\n>>From b\n>>>From c\nFromage\n\n"
				   "From x@y Sun Sep 13 12:26:40 2020\nSubject: 2\n\nend\n\n");
	struct read_all r;
	read_all(out.data, &r);
	cr_assert_eq(r.n, 2);
	cr_assert_str_eq(r.m[0].data.data, "Status: R\r\nX-Status: F\r\nX-Keywords: $Junk "
					   "custom\r\nSubject: w\r\n\r\nFrom a\r\n>From b\r\n"
					   ">>From c\r\nFromage\r\n");
	cr_assert_eq(r.m[0].flags, STORE_FLAG_SEEN | STORE_FLAG_FLAGGED | STORE_FLAG_JUNK);
	cr_assert_str_eq(r.m[0].keywords[0], "custom");
	cr_assert_eq(r.m[1].received, 1600000000);
	cr_assert_str_eq(r.m[1].data.data, "Subject: 2\r\n\r\nend\r\n");
	free_all(&r);
	buf_free(&out);
	arena_free(&ar);
}

Test(eol, conversions)
{
	struct buf b = BUF_INIT;
	eol_to_crlf(&b, "a\nb\r\nc\rd\n", 9);
	cr_assert_str_eq(b.data, "a\r\nb\r\nc\rd\r\n");
	buf_reset(&b);
	eol_to_lf(&b, "a\r\nb\r\r\nc\r", 9);
	cr_assert_str_eq(b.data, "a\nb\r\nc\r");
	buf_reset(&b);
	eol_to_crlf(&b, "\n\n", 2);
	cr_assert_str_eq(b.data, "\r\n\r\n");
	buf_free(&b);
}
