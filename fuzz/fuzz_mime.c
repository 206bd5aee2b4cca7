/*
 * Fuzzes the message parser and what is built on it. For arbitrary bytes:
 * mail_parse returns a consistent tree (offsets ordered and inside their
 * parent, limits kept); the serialized form deserializes and serializes to
 * the same bytes; BODY/BODYSTRUCTURE and ENVELOPE (with and without UTF-8)
 * are balanced IMAP syntax; section lookups stay inside the message. The
 * same bytes are also given to mail_deserialize as a stored blob: it must
 * refuse them or give a structure that serializes back to exactly them.
 * A violation aborts.
 */
#include "mail/imapfmt.h"
#include "mail/mail.h"
#include "mail/serialize.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(bool cond, const char *what)
{
	if (cond)
		return;
	fprintf(stderr, "invariant violated: %s\n", what);
	abort();
}

/* Checks IMAP output: parentheses balance outside quoted strings and
 * literals, quoted strings end, literals have their announced length. */
static void check_imap_syntax(const struct buf *b)
{
	int depth = 0;
	size_t i = 0;
	const char *s = b->data ? b->data : "";
	while (i < b->len) {
		char c = s[i];
		if (c == '"') {
			i++;
			while (i < b->len && s[i] != '"') {
				require(s[i] != '\r' && s[i] != '\n' && s[i] != 0, "quoted char");
				i += s[i] == '\\' ? 2 : 1;
			}
			require(i < b->len, "quoted string ends");
			i++;
			continue;
		}
		if (c == '{') {
			char *end;
			unsigned long n = strtoul(s + i + 1, &end, 10);
			require(*end == '}' && end[1] == '\r' && end[2] == '\n', "literal header");
			i = (size_t)(end + 3 - s);
			require(n <= b->len - i, "literal length");
			require(memchr(s + i, 0, n) == NULL, "no NUL in literal");
			i += n;
			continue;
		}
		if (c == '(')
			depth++;
		if (c == ')')
			require(--depth >= 0, "balanced parentheses");
		require(c != '\r' && c != '\n', "line break outside literal");
		i++;
	}
	require(depth == 0, "balanced parentheses at end");
}

static size_t check_part(const struct mail_part *p, size_t lo, size_t hi, int depth)
{
	require(depth <= MAIL_DEPTH_MAX, "depth");
	require(lo <= p->header_start && p->header_start <= p->body_start &&
		    p->body_start <= p->end && p->end <= hi,
		"part offsets");
	require(p->type && p->subtype && p->type[0] && p->subtype[0], "media type");
	require(p->nchildren == 0 || mail_part_is_multipart(p), "children only for multipart");
	size_t parts = 1, prev = p->body_start;
	for (size_t i = 0; i < p->nchildren; i++) {
		parts += check_part(&p->children[i], prev, p->end, depth + 1);
		prev = p->children[i].end;
	}
	if (p->message) {
		require(mail_part_is_message(p) && p->envelope, "nested message");
		bool dec = p->flags & MAIL_F_DECODED_MESSAGE;
		size_t nlo = dec ? 0 : p->body_start, nhi = dec ? (size_t)p->decoded_size : p->end;
		require(p->message->header_start == nlo && p->message->end == nhi, "nested covers");
		parts += check_part(p->message, nlo, nhi, depth + 1);
	}
	return parts;
}

static void check_imap(const struct mail_message *m)
{
	for (int ext = 0; ext < 2; ext++) {
		struct buf b = BUF_INIT;
		mail_imap_bodystructure_utf8(&m->root, ext, ext, &b);
		check_imap_syntax(&b);
		buf_free(&b);
	}
	for (int utf8 = 0; utf8 < 2; utf8++) {
		struct buf b = BUF_INIT;
		mail_imap_envelope(&m->envelope, utf8, &b);
		check_imap_syntax(&b);
		buf_free(&b);
	}
}

static void check_sections(const struct mail_message *m)
{
	static const char *const sections[] = {"",     "1",      "2",        "1.1",    "1.2",
					       "2.1",  "1.MIME", "2.HEADER", "1.TEXT", "HEADER",
					       "TEXT", "1.1.1",  "3.2.1",    "2.2",    "1.1.MIME"};
	for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
		struct mail_section s;
		struct error err;
		if (!mail_section_lookup(m, str_from(sections[i]), &s, &err))
			continue;
		require(s.start <= s.end, "section range order");
		if (!s.space)
			require(s.end <= m->size, "section inside message");
		else
			require(s.end <= s.space->decoded_size, "section inside decoded part");
	}
}

static void check_roundtrip(const struct mail_message *m, struct arena *a)
{
	struct buf s1 = BUF_INIT, s2 = BUF_INIT;
	mail_serialize(m, &s1);
	struct error err;
	struct mail_message *d = mail_deserialize(s1.data, s1.len, a, &err);
	if (!d) {
		fprintf(stderr, "deserialize: %s\n", err.msg);
		abort();
	}
	mail_serialize(d, &s2);
	require(s1.len == s2.len && memcmp(s1.data, s2.data, s1.len) == 0, "serialize round trip");
	buf_free(&s1);
	buf_free(&s2);
}

/* Stored blobs come from disk: refused, or canonical. */
static void check_stored(const uint8_t *data, size_t size)
{
	struct arena a;
	arena_init(&a, 0);
	struct error err;
	struct mail_message *d = mail_deserialize(data, size, &a, &err);
	if (d) {
		struct buf s = BUF_INIT;
		mail_serialize(d, &s);
		require(s.len == size && memcmp(s.data, data, size) == 0,
			"stored blob is canonical");
		buf_free(&s);
		check_imap(d);
		check_sections(d);
	}
	arena_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_stored(data, size);
	struct arena a;
	arena_init(&a, 0);
	struct mail_message *m = mail_parse((const char *)data, size, &a);
	require(m != NULL && m->size == size, "parse result");
	require(m->root.header_start == 0 && m->root.end == size, "root covers message");
	size_t parts = check_part(&m->root, 0, size, 0);
	require(parts <= MAIL_PARTS_MAX + 1, "part limit");
	require(!m->headers_utf8 || m->headers_8bit, "utf8 implies 8bit");
	check_imap(m);
	check_sections(m);
	check_roundtrip(m, &a);
	arena_free(&a);
	return 0;
}
