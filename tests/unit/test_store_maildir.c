/*
 * Maildir: flags in file names both ways, Dovecot's keyword file, letters
 * for keywords on export.
 */
#include "base/arena.h"
#include "base/buf.h"
#include "store/maildir.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static void flags_of(const char *name, const struct maildir_keywords *kw, struct arena *ar,
		     struct store_import_msg *m)
{
	memset(m, 0, sizeof *m);
	maildir_name_flags(name, kw, ar, m);
}

Test(maildir, name_flags)
{
	struct arena ar;
	arena_init(&ar, 1024);
	struct store_import_msg m;
	flags_of("cur/1500000000.M1P2.host:2,DFPRST", NULL, &ar, &m);
	cr_assert_eq(m.flags, STORE_FLAG_DRAFT | STORE_FLAG_FLAGGED | STORE_FLAG_ANSWERED |
				  STORE_FLAG_SEEN | STORE_FLAG_DELETED);
	flags_of("new/1500000000.M1P2.host", NULL, &ar, &m);
	cr_assert_eq(m.flags, 0);
	flags_of("cur/x!2,S", NULL, &ar, &m);
	cr_assert_eq(m.flags, STORE_FLAG_SEEN);
	/* A "2," not after ":" or "!" is part of the name. */
	flags_of("cur/a2,S", NULL, &ar, &m);
	cr_assert_eq(m.flags, 0);
	/* ":2," in a directory name does not count. */
	flags_of("/tmp/x:2,S/cur/plain", NULL, &ar, &m);
	cr_assert_eq(m.flags, 0);
	arena_free(&ar);
}

Test(maildir, dovecot_keywords)
{
	struct arena ar;
	arena_init(&ar, 1024);
	struct maildir_keywords kw;
	struct error err;
	const char *file = "0 $Forwarded\n1 Junk\r\n\n3 Custom\n4 nonjunk\n5 $MDNSent\n";
	cr_assert(maildir_keywords_parse("k", file, strlen(file), &ar, &kw, &err), "%s", err.msg);
	cr_assert_eq(kw.n, 6);
	cr_assert_null(kw.v[2]);
	struct store_import_msg m;
	flags_of("cur/x:2,Sabcdef", &kw, &ar, &m);
	cr_assert_eq(m.flags, STORE_FLAG_SEEN | STORE_FLAG_FORWARDED | STORE_FLAG_JUNK |
				  STORE_FLAG_NOTJUNK | STORE_FLAG_MDNSENT);
	cr_assert_eq(m.nkeywords, 1);
	cr_assert_str_eq(m.keywords[0], "custom");

	static const struct {
		const char *file;
		const char *msg;
	} bad[] = {
	    {"0 a\nx\n", "k:2: expected \"NUMBER KEYWORD\""},
	    {"a b\n", "k:1: bad keyword number"},
	    {"26 b\n", "k:1: keyword number 26 above 25"},
	    {"1 a\n1 b\n", "k:2: keyword number 1 defined twice"},
	    {"1 a(b\n", "k:1: a(b is not a valid keyword"},
	    {"1 \\Recent\n", "k:1: \\Recent is not a valid keyword"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cr_assert_not(
		    maildir_keywords_parse("k", bad[i].file, strlen(bad[i].file), &ar, &kw, &err));
		cr_assert_str_eq(err.msg, bad[i].msg);
	}
	arena_free(&ar);
}

Test(maildir, info_for_export)
{
	struct arena ar;
	arena_init(&ar, 1024);
	struct maildir_keywords k;
	memset(&k, 0, sizeof k);
	struct buf b = BUF_INIT;
	size_t dropped = 0;
	const char *v1[] = {"zeta", "alpha"};
	struct store_keywords kw1 = {v1, 2};
	maildir_name_info(STORE_FLAG_SEEN | STORE_FLAG_DELETED | STORE_FLAG_JUNK, &kw1, &k, &ar, &b,
			  &dropped);
	cr_assert_str_eq(b.data, ":2,STabc");
	buf_reset(&b);
	const char *v2[] = {"alpha"};
	struct store_keywords kw2 = {v2, 1};
	maildir_name_info(STORE_FLAG_DRAFT | STORE_FLAG_FLAGGED | STORE_FLAG_ANSWERED, &kw2, &k,
			  &ar, &b, &dropped);
	cr_assert_str_eq(b.data, ":2,DFRc");
	buf_reset(&b);
	maildir_keywords_format(&k, &b);
	cr_assert_str_eq(b.data, "0 $Junk\n1 zeta\n2 alpha\n");
	/* Past 26 letters keywords are counted as dropped. */
	char names[30][16];
	const char *v3[30];
	for (int i = 0; i < 30; i++) {
		snprintf(names[i], sizeof names[i], "k%02d", i);
		v3[i] = names[i];
	}
	struct store_keywords kw3 = {v3, 30};
	buf_reset(&b);
	maildir_name_info(0, &kw3, &k, &ar, &b, &dropped);
	cr_assert_eq(dropped, 30 - 23);
	cr_assert_eq(strlen(b.data), 3 + 23);
	buf_free(&b);
	arena_free(&ar);
}

Test(maildir, round_trip_letters)
{
	struct arena ar;
	arena_init(&ar, 1024);
	struct maildir_keywords k;
	memset(&k, 0, sizeof k);
	struct buf name = BUF_INIT, file = BUF_INIT;
	size_t dropped = 0;
	const char *v[] = {"label1", "todo"};
	struct store_keywords kw = {v, 2};
	buf_puts(&name, "cur/1.2.tern");
	uint32_t flags = STORE_FLAG_SEEN | STORE_FLAG_PHISHING | STORE_FLAG_NOTJUNK;
	maildir_name_info(flags, &kw, &k, &ar, &name, &dropped);
	maildir_keywords_format(&k, &file);
	struct maildir_keywords back;
	struct error err;
	cr_assert(maildir_keywords_parse("k", file.data, file.len, &ar, &back, &err));
	struct store_import_msg m;
	flags_of(name.data, &back, &ar, &m);
	cr_assert_eq(m.flags, flags);
	cr_assert_eq(m.nkeywords, 2);
	cr_assert_str_eq(m.keywords[0], "label1");
	cr_assert_str_eq(m.keywords[1], "todo");
	buf_free(&name);
	buf_free(&file);
	arena_free(&ar);
}
