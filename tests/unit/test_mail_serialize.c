/*
 * The stored form: exact round trips, and refusal (never a crash) of damaged
 * input: every truncation, every single-byte change.
 */
#include "mail/imapfmt.h"
#include "mail/mail.h"
#include "mail/serialize.h"

#include "base/file.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static void roundtrip_file(const char *path)
{
	struct buf data = BUF_INIT;
	struct error err = {0};
	cr_assert(file_read_all(path, 1 << 24, &data, &err), "%s", err.msg);
	struct arena a;
	arena_init(&a, 0);
	struct mail_message *m = mail_parse(data.data, data.len, &a);
	struct buf s1 = BUF_INIT;
	mail_serialize(m, &s1);
	struct mail_message *back = mail_deserialize(s1.data, s1.len, &a, &err);
	cr_assert_not_null(back, "%s: %s", path, err.msg);
	struct buf s2 = BUF_INIT;
	mail_serialize(back, &s2);
	cr_expect(s1.len == s2.len && memcmp(s1.data, s2.data, s1.len) == 0, "%s", path);
	struct buf e1 = BUF_INIT, e2 = BUF_INIT;
	mail_imap_envelope(&m->envelope, true, &e1);
	mail_imap_envelope(&back->envelope, true, &e2);
	cr_expect_str_eq(buf_cstr(&e1), buf_cstr(&e2));
	cr_expect_str_eq(back->subject_base, m->subject_base);
	cr_expect_eq(back->date, m->date);
	buf_free(&e1);
	buf_free(&e2);
	buf_free(&s1);
	buf_free(&s2);
	buf_free(&data);
	arena_free(&a);
}

Test(mail_serialize, corpus_round_trips)
{
	static const char *const files[] = {"addresses.eml",        "alternative-in-mixed.eml",
					    "nested-message.eml",   "message-global.eml",
					    "utf8-headers.eml",     "rfc2231.eml",
					    "long-headers.eml",     "digest.eml",
					    "no-boundary-param.eml"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char path[128];
		snprintf(path, sizeof path, "tests/data/mail/%s", files[i]);
		roundtrip_file(path);
	}
}

Test(mail_serialize, damaged_input_is_refused)
{
	struct buf data = BUF_INIT;
	struct error err = {0};
	cr_assert(file_read_all("tests/data/mail/nested-message.eml", 1 << 20, &data, &err));
	struct arena a;
	arena_init(&a, 0);
	struct mail_message *m = mail_parse(data.data, data.len, &a);
	struct buf s = BUF_INIT;
	mail_serialize(m, &s);
	for (size_t n = 0; n < s.len; n++) {
		struct arena t;
		arena_init(&t, 0);
		cr_expect_null(mail_deserialize(s.data, n, &t, &err), "truncated at %zu", n);
		cr_expect_eq(err.kind, ERR_INVALID);
		arena_free(&t);
	}
	/* Any changed byte either is refused or still round-trips exactly. */
	for (size_t i = 0; i < s.len; i++) {
		for (int delta = 1; delta < 256; delta += 85) {
			struct arena t;
			arena_init(&t, 0);
			char *copy = arena_memdup0(&t, s.data, s.len);
			copy[i] = (char)(copy[i] + delta);
			struct mail_message *d = mail_deserialize(copy, s.len, &t, &err);
			if (d) {
				struct buf again = BUF_INIT;
				mail_serialize(d, &again);
				cr_expect(again.len == s.len &&
					      memcmp(again.data, copy, s.len) == 0,
					  "byte %zu", i);
				struct buf bs = BUF_INIT;
				mail_imap_bodystructure(&d->root, true, &bs);
				buf_free(&bs);
				buf_free(&again);
			}
			arena_free(&t);
		}
	}
	/* Version and magic. */
	s.data[3] = 2;
	cr_expect_null(mail_deserialize(s.data, s.len, &a, &err));
	cr_expect(strstr(err.msg, "version 2"), "%s", err.msg);
	s.data[0] = 'X';
	cr_expect_null(mail_deserialize(s.data, s.len, &a, &err));
	buf_free(&s);
	buf_free(&data);
	arena_free(&a);
}

Test(mail_serialize, empty_message)
{
	struct mail_message e;
	mail_message_init_empty(&e);
	struct buf s = BUF_INIT;
	mail_serialize(&e, &s);
	struct arena a;
	arena_init(&a, 0);
	struct error err = {0};
	struct mail_message *d = mail_deserialize(s.data, s.len, &a, &err);
	cr_assert_not_null(d, "%s", err.msg);
	struct buf bs = BUF_INIT;
	mail_imap_bodystructure(&d->root, false, &bs);
	cr_expect_str_eq(buf_cstr(&bs),
			 "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 0 0)");
	buf_free(&bs);
	buf_free(&s);
	arena_free(&a);
}
