/*
 * Bounds: nesting depth, part count, header size, and that the structure
 * stays whole (offsets cover the input, IMAP output balanced, serializable).
 */
#include "mail/imapfmt.h"
#include "mail/mail.h"
#include "mail/serialize.h"

#include <criterion/criterion.h>
#include <string.h>

static int balance(const char *s)
{
	int depth = 0;
	bool quoted = false;
	for (; *s; s++) {
		if (quoted) {
			if (*s == '\\')
				s++;
			else if (*s == '"')
				quoted = false;
		} else if (*s == '"') {
			quoted = true;
		} else if (*s == '(') {
			depth++;
		} else if (*s == ')' && --depth < 0) {
			return -1;
		}
	}
	return quoted ? -1 : depth;
}

static void check_whole(const struct mail_message *m, struct arena *a)
{
	struct buf b = BUF_INIT;
	mail_imap_bodystructure(&m->root, true, &b);
	cr_expect_eq(balance(buf_cstr(&b)), 0);
	buf_reset(&b);
	mail_serialize(m, &b);
	struct error err = {0};
	cr_expect_not_null(mail_deserialize(b.data, b.len, a, &err), "%s", err.msg);
	buf_free(&b);
}

Test(mail_limits, deep_multipart_nesting)
{
	struct buf in = BUF_INIT;
	for (int i = 0; i < 100; i++)
		buf_printf(&in, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i,
			   i);
	buf_puts(&in, "Content-Type: text/plain\r\n\r\ndeep\r\n");
	struct arena a;
	arena_init(&a, 0);
	struct mail_message *m = mail_parse(in.data, in.len, &a);
	cr_expect(m->flags & MAIL_F_DEPTH_LIMIT);
	int depth = 0;
	const struct mail_part *p = &m->root;
	while (p->nchildren) {
		p = &p->children[0];
		depth++;
	}
	cr_expect_eq(depth, MAIL_DEPTH_MAX);
	check_whole(m, &a);
	arena_free(&a);
	buf_free(&in);
}

Test(mail_limits, deep_message_nesting)
{
	struct buf in = BUF_INIT;
	for (int i = 0; i < 100; i++)
		buf_printf(&in, "Subject: level %d\r\nContent-Type: message/rfc822\r\n\r\n", i);
	buf_puts(&in, "Subject: inner\r\n\r\nbody\r\n");
	struct arena a;
	arena_init(&a, 0);
	struct mail_message *m = mail_parse(in.data, in.len, &a);
	cr_expect(m->flags & MAIL_F_DEPTH_LIMIT);
	check_whole(m, &a);
	/* Sections walk into nested messages. */
	struct mail_section s;
	struct error err = {0};
	cr_expect(mail_section_lookup(m, str_from("1.1.1.HEADER"), &s, &err), "%s", err.msg);
	cr_expect(strncmp(in.data + s.start, "Subject: level 3\r\n", 18) == 0);
	arena_free(&a);
	buf_free(&in);
}

Test(mail_limits, many_parts)
{
	struct buf in = BUF_INIT;
	buf_puts(&in, "Content-Type: multipart/mixed; boundary=x\r\n\r\n");
	for (int i = 0; i < MAIL_PARTS_MAX + 500; i++)
		buf_puts(&in, "--x\r\n\r\np\r\n");
	buf_puts(&in, "--x--\r\n");
	struct arena a;
	arena_init(&a, 0);
	struct mail_message *m = mail_parse(in.data, in.len, &a);
	cr_expect(m->flags & MAIL_F_PART_LIMIT);
	cr_expect_eq(m->root.nchildren, MAIL_PARTS_MAX - 1);
	cr_expect_eq(m->root.end, in.len);
	check_whole(m, &a);
	arena_free(&a);
	buf_free(&in);
}

Test(mail_limits, huge_header)
{
	struct buf in = BUF_INIT;
	buf_puts(&in, "Subject: ");
	for (int i = 0; i < 200000; i++)
		buf_puts(&in, "word\r\n ");
	buf_puts(&in, "end\r\nX-After: 1\r\n\r\nbody");
	struct arena a;
	arena_init(&a, 0);
	struct mail_message *m = mail_parse(in.data, in.len, &a);
	/* The value is cut for parsing; the header still ends where it ends. */
	cr_expect_eq(strlen(m->envelope.subject) <= MAIL_FIELD_BYTES_MAX, true);
	cr_expect_str_eq(in.data + m->root.body_start, "body");
	cr_expect(m->flags & MAIL_F_HEADER_TRUNCATED, "flags %#x", m->flags);
	check_whole(m, &a);
	arena_free(&a);
	buf_free(&in);
}
