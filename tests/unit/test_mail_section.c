/*
 * Section numbers and BODY[section] ranges on the example structure of
 * RFC 9051 6.4.5, built as a real message.
 */
#include "base/base64.h"
#include "mail/mail.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static const char example[] = "Subject: top\r\n"
			      "Content-Type: multipart/mixed; boundary=\"0\"\r\n"
			      "\r\n"
			      "--0\r\n"
			      "Content-Type: text/plain\r\n"
			      "\r\n"
			      "part 1\r\n"
			      "--0\r\n"
			      "Content-Type: application/octet-stream\r\n"
			      "\r\n"
			      "part 2\r\n"
			      "--0\r\n"
			      "Content-Type: message/rfc822\r\n"
			      "\r\n"
			      "Subject: part 3\r\n"
			      "Content-Type: multipart/mixed; boundary=\"3\"\r\n"
			      "\r\n"
			      "--3\r\n"
			      "Content-Type: text/plain\r\n"
			      "\r\n"
			      "part 3.1\r\n"
			      "--3\r\n"
			      "Content-Type: application/octet-stream\r\n"
			      "\r\n"
			      "part 3.2\r\n"
			      "--3--\r\n"
			      "--0\r\n"
			      "Content-Type: multipart/mixed; boundary=\"4\"\r\n"
			      "\r\n"
			      "--4\r\n"
			      "Content-Type: image/gif\r\n"
			      "\r\n"
			      "part 4.1\r\n"
			      "--4\r\n"
			      "Content-Type: message/rfc822\r\n"
			      "\r\n"
			      "Subject: part 4.2\r\n"
			      "Content-Type: multipart/mixed; boundary=\"42\"\r\n"
			      "\r\n"
			      "--42\r\n"
			      "Content-Type: text/plain\r\n"
			      "\r\n"
			      "part 4.2.1\r\n"
			      "--42\r\n"
			      "Content-Type: multipart/alternative; boundary=\"422\"\r\n"
			      "\r\n"
			      "--422\r\n"
			      "Content-Type: text/plain\r\n"
			      "\r\n"
			      "part 4.2.2.1\r\n"
			      "--422\r\n"
			      "Content-Type: text/richtext\r\n"
			      "\r\n"
			      "part 4.2.2.2\r\n"
			      "--422--\r\n"
			      "--42--\r\n"
			      "--4--\r\n"
			      "--0--\r\n";

struct fixture {
	struct arena a;
	struct mail_message *m;
};

static void setup(struct fixture *f)
{
	arena_init(&f->a, 0);
	f->m = mail_parse(example, strlen(example), &f->a);
}

/* Looks up a section and returns its bytes. */
static char *range(struct fixture *f, const char *section, const struct mail_part **part)
{
	struct mail_section s;
	struct error err = {0};
	cr_assert(mail_section_lookup(f->m, str_from(section), &s, &err), "%s: %s", section,
		  err.msg);
	cr_assert_null(s.space);
	if (part)
		*part = s.part;
	return arena_strndup(&f->a, example + s.start, s.end - s.start);
}

static void type_is(struct fixture *f, const char *section, const char *type)
{
	const struct mail_part *p = mail_part_find(f->m, str_from(section));
	cr_assert_not_null(p, "%s", section);
	char got[64];
	snprintf(got, sizeof got, "%s/%s", p->type, p->subtype);
	cr_expect_str_eq(got, type, "type of %s", section);
}

Test(mail_section, rfc9051_example)
{
	struct fixture f;
	setup(&f);
	type_is(&f, "1", "text/plain");
	type_is(&f, "2", "application/octet-stream");
	type_is(&f, "3", "message/rfc822");
	type_is(&f, "3.1", "text/plain");
	type_is(&f, "3.2", "application/octet-stream");
	type_is(&f, "4", "multipart/mixed");
	type_is(&f, "4.1", "image/gif");
	type_is(&f, "4.2", "message/rfc822");
	type_is(&f, "4.2.1", "text/plain");
	type_is(&f, "4.2.2", "multipart/alternative");
	type_is(&f, "4.2.2.1", "text/plain");
	type_is(&f, "4.2.2.2", "text/richtext");
	cr_expect_null(mail_part_find(f.m, str_from("5")));
	cr_expect_null(mail_part_find(f.m, str_from("1.1")));
	cr_expect_null(mail_part_find(f.m, str_from("4.3")));
	cr_expect_null(mail_part_find(f.m, str_from("0")));
	cr_expect_null(mail_part_find(f.m, str_from("4..1")));

	cr_expect_str_eq(range(&f, "1", NULL), "part 1");
	cr_expect_str_eq(range(&f, "4.1", NULL), "part 4.1");
	cr_expect_str_eq(range(&f, "4.1.MIME", NULL), "Content-Type: image/gif\r\n\r\n");
	cr_expect_str_eq(
	    range(&f, "3.HEADER", NULL),
	    "Subject: part 3\r\nContent-Type: multipart/mixed; boundary=\"3\"\r\n\r\n");
	cr_expect_str_eq(range(&f, "4.2.HEADER.FIELDS (SUBJECT)", NULL),
			 "Subject: part 4.2\r\nContent-Type: multipart/mixed; "
			 "boundary=\"42\"\r\n\r\n");
	cr_expect(strncmp(range(&f, "3.TEXT", NULL), "--3\r\n", 5) == 0);
	cr_expect_str_eq(range(&f, "3.1", NULL), "part 3.1");
	cr_expect_str_eq(range(&f, "4.2.2.2", NULL), "part 4.2.2.2");
	const struct mail_part *p;
	cr_expect_str_eq(range(&f, "HEADER", &p),
			 "Subject: top\r\nContent-Type: multipart/mixed; boundary=\"0\"\r\n\r\n");
	cr_expect_eq(p, &f.m->root);
	cr_expect_eq(strlen(range(&f, "", NULL)), strlen(example));
	cr_expect(strncmp(range(&f, "TEXT", NULL), "--0\r\n", 5) == 0);

	struct mail_section s;
	struct error err = {0};
	cr_expect(!mail_section_lookup(f.m, str_from("1.HEADER"), &s, &err));
	cr_expect(!mail_section_lookup(f.m, str_from("MIME"), &s, &err));
	cr_expect(!mail_section_lookup(f.m, str_from("9"), &s, &err));
	cr_expect_eq(err.kind, ERR_NOTFOUND);
	cr_expect(!mail_section_lookup(f.m, str_from("1.FOO"), &s, &err));
	arena_free(&f.a);
}

Test(mail_section, single_part_message)
{
	const char *msg = "Subject: x\r\n\r\nbody\r\n";
	struct arena a;
	arena_init(&a, 0);
	struct mail_message *m = mail_parse(msg, strlen(msg), &a);
	/* RFC 9051 6.4.5: a non-multipart message has part 1, its body. */
	struct mail_section s;
	struct error err = {0};
	cr_assert(mail_section_lookup(m, str_from("1"), &s, &err), "%s", err.msg);
	cr_expect_eq(s.start, 14);
	cr_expect_eq(s.end, strlen(msg));
	cr_expect(!mail_section_lookup(m, str_from("2"), &s, &err));
	arena_free(&a);
}

Test(mail_section, decoded_message_space)
{
	const char *msg =
	    "Content-Type: message/global\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	    "U3ViamVjdDogaW5uZXINCg0KaGVsbG8NCg==\r\n";
	struct arena a;
	arena_init(&a, 0);
	struct mail_message *m = mail_parse(msg, strlen(msg), &a);
	cr_assert_not_null(m->root.message);
	cr_expect_str_eq(m->root.envelope->subject, "inner");
	struct mail_section s;
	struct error err = {0};
	cr_assert(mail_section_lookup(m, str_from("1.TEXT"), &s, &err), "%s", err.msg);
	/* Offsets in the decoded body of the message part. */
	cr_expect_eq(s.space, &m->root);
	struct buf dec = BUF_INIT;
	mail_transfer_decode(msg + m->root.body_start, m->root.end - m->root.body_start,
			     m->root.encoding, &dec);
	cr_expect_eq(dec.len, m->root.decoded_size);
	cr_expect_eq(s.end - s.start, 7);
	cr_expect(memcmp(dec.data + s.start, "hello\r\n", 7) == 0);
	buf_free(&dec);
	arena_free(&a);
}

/* Appends data base64-encoded in lines of 76, as a sender would. */
static void put_base64(struct buf *out, const char *data)
{
	base64_encode_lines(data, strlen(data), BASE64_MIME_LINE, out);
}

static char *section_text(struct mail_message *m, const char *data, size_t len, const char *section,
			  struct arena *a)
{
	struct mail_section s;
	struct error err = {0};
	cr_assert(mail_section_lookup(m, str_from(section), &s, &err), "%s: %s", section, err.msg);
	struct buf scratch = BUF_INIT;
	const char *base;
	size_t baselen;
	mail_section_bytes(&s, data, len, &scratch, &base, &baselen);
	cr_assert_leq(s.end, baselen, "%s", section);
	char *out = arena_strndup(a, base + s.start, s.end - s.start);
	buf_free(&scratch);
	return out;
}

/* An encoded message inside an encoded message: each level's offsets are in the decoded body
 * of the level above. */
Test(mail_section, encoded_message_in_encoded_message)
{
	const char *inner = "Subject: inner\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\n"
			    "--i\r\n\r\ninner text\r\n--i\r\n\r\ninner second\r\n--i--\r\n";
	struct buf middle = BUF_INIT, outer = BUF_INIT;
	buf_puts(&middle, "Subject: middle\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n"
			  "--m\r\n\r\nmiddle text\r\n--m\r\nContent-Type: message/global\r\n"
			  "Content-Transfer-Encoding: base64\r\n\r\n");
	put_base64(&middle, inner);
	buf_puts(&middle, "--m--\r\n");
	buf_puts(&outer, "Subject: outer\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n"
			 "--o\r\n\r\nouter text\r\n--o\r\nContent-Type: message/global\r\n"
			 "Content-Transfer-Encoding: base64\r\n\r\n");
	put_base64(&outer, buf_cstr(&middle));
	buf_puts(&outer, "--o--\r\n");
	struct arena a;
	arena_init(&a, 0);
	struct mail_message *m = mail_parse(outer.data, outer.len, &a);
	cr_expect_str_eq(section_text(m, outer.data, outer.len, "1", &a), "outer text");
	cr_expect_str_eq(section_text(m, outer.data, outer.len, "2.1", &a), "middle text");
	cr_expect_str_eq(section_text(m, outer.data, outer.len, "2.2.HEADER", &a),
			 "Subject: inner\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\n");
	cr_expect_str_eq(section_text(m, outer.data, outer.len, "2.2.1", &a), "inner text");
	cr_expect_str_eq(section_text(m, outer.data, outer.len, "2.2.2", &a), "inner second");
	cr_expect_str_eq(section_text(m, outer.data, outer.len, "2.2.1.MIME", &a), "\r\n");
	struct mail_section s;
	struct error err = {0};
	cr_assert(mail_section_lookup(m, str_from("2.2.2"), &s, &err), "%s", err.msg);
	cr_expect_eq(s.nspaces, 2);
	cr_expect_eq(s.space, s.spaces[1]);
	buf_free(&middle);
	buf_free(&outer);
	arena_free(&a);
}
