/*
 * IMAP section numbers (RFC 9051 6.4.5): which part "1.2.3" names, and the
 * byte range of BODY[section].
 */
#include "mail/mail.h"

#include <string.h>

/* Numbers beyond this cannot name a part (MAIL_PARTS_MAX). */
#define SECTION_NUMBERS_MAX (2 * MAIL_DEPTH_MAX + 2)

struct walk_state {
	const struct mail_part *part;
	const struct mail_part *space; /* message part whose decoded body holds part */
	const struct mail_part *spaces[MAIL_DEPTH_MAX + 1]; /* every such part, outermost first */
	size_t nspaces;
};

/* Steps into part number num of s.part (RFC 9051 6.4.5): a multipart's
 * num-th child; for a non-multipart, only 1, meaning the part itself. */
static bool step(struct walk_state *s, uint64_t num)
{
	const struct mail_part *p = s->part;
	if (mail_part_is_multipart(p)) {
		if (num < 1 || num > p->nchildren)
			return false;
		s->part = &p->children[num - 1];
		return true;
	}
	return num == 1;
}

/* Enters the message nested in a message part, so that further numbers
 * index its body. */
static bool enter_message(struct walk_state *s)
{
	const struct mail_part *p = s->part;
	if (!mail_part_is_message(p) || !p->message)
		return false;
	if (p->flags & MAIL_F_DECODED_MESSAGE) {
		if (s->nspaces == MAIL_DEPTH_MAX + 1)
			return false; /* deeper than the parser goes */
		s->space = p;
		s->spaces[s->nspaces++] = p;
	}
	s->part = p->message;
	return true;
}

/* Parses "n(.n)*" from the start of *sec, leaving the rest (without its
 * leading "."). Returns the count, or -1 on a syntax error. */
static int read_numbers(struct str *sec, uint64_t *nums)
{
	int n = 0;
	while (sec->len > 0 && ascii_isdigit(sec->p[0])) {
		size_t i = 0;
		while (i < sec->len && ascii_isdigit(sec->p[i]))
			i++;
		if (n == SECTION_NUMBERS_MAX ||
		    !str_parse_u64(str_make(sec->p, i), MAIL_PARTS_MAX, &nums[n]) || nums[n] == 0)
			return -1;
		n++;
		*sec = str_sub(*sec, i, sec->len);
		if (sec->len == 0)
			break;
		if (sec->p[0] != '.')
			return -1;
		*sec = str_sub(*sec, 1, sec->len);
		if (sec->len == 0)
			return -1;
	}
	return n;
}

static bool walk(const struct mail_message *m, const uint64_t *nums, int n, struct walk_state *s)
{
	s->part = &m->root;
	s->space = NULL;
	s->nspaces = 0;
	for (int i = 0; i < n; i++) {
		/* Deeper numbers index a multipart's children or a message's body;
		 * other parts have no subparts. */
		if (i > 0 && !enter_message(s) && !mail_part_is_multipart(s->part))
			return false;
		if (!step(s, nums[i]))
			return false;
	}
	return true;
}

const struct mail_part *mail_part_find(const struct mail_message *m, struct str numbers)
{
	uint64_t nums[SECTION_NUMBERS_MAX];
	struct str rest = numbers;
	int n = read_numbers(&rest, nums);
	if (n <= 0 || rest.len != 0)
		return NULL;
	struct walk_state s;
	return walk(m, nums, n, &s) ? s.part : NULL;
}

static bool keyword(struct str rest, const char *kw)
{
	size_t n = strlen(kw);
	return rest.len >= n && str_eqi(str_make(rest.p, n), str_make(kw, n)) &&
	       (rest.len == n || rest.p[n] == ' ' || rest.p[n] == '.');
}

bool mail_section_lookup(const struct mail_message *m, struct str section, struct mail_section *out,
			 struct error *err)
{
	uint64_t nums[SECTION_NUMBERS_MAX];
	struct str rest = section;
	int n = read_numbers(&rest, nums);
	if (n < 0)
		return error_set(err, ERR_INVALID, "invalid section number");
	struct walk_state s;
	if (!walk(m, nums, n, &s))
		return error_set(err, ERR_NOTFOUND, "no such part");
	const struct mail_part *p = s.part;
	memset(out, 0, sizeof *out);
	out->part = p;
	out->space = s.space;
	memcpy(out->spaces, s.spaces, s.nspaces * sizeof *s.spaces);
	out->nspaces = s.nspaces;
	if (rest.len == 0) {
		out->text = MAIL_SECTION_BODY;
		out->start = n == 0 ? 0 : p->body_start;
		out->end = n == 0 ? m->size : p->end;
		return true;
	}
	if (keyword(rest, "MIME") && rest.len == 4) {
		/* RFC 9051 6.4.5: MIME needs a part number. */
		if (n == 0)
			return error_set(err, ERR_INVALID, "MIME needs a part number");
		out->text = MAIL_SECTION_MIME;
		out->start = p->header_start;
		out->end = p->body_start;
		return true;
	}
	bool header = keyword(rest, "HEADER"), text = keyword(rest, "TEXT") && rest.len == 4;
	if (!header && !text)
		return error_set(err, ERR_INVALID, "unknown section text");
	/* HEADER and TEXT name a message: the top level, or a message part. */
	const struct mail_part *msg = &m->root;
	if (n > 0) {
		if (!enter_message(&s))
			return error_set(err, ERR_INVALID, "part is not a message");
		msg = s.part;
		out->space = s.space;
		memcpy(out->spaces, s.spaces, s.nspaces * sizeof *s.spaces);
		out->nspaces = s.nspaces;
	}
	out->part = msg;
	out->text = header ? MAIL_SECTION_HEADER : MAIL_SECTION_TEXT;
	out->start = header ? msg->header_start : msg->body_start;
	out->end = header ? msg->body_start : msg->end;
	return true;
}

void mail_section_bytes(const struct mail_section *s, const char *data, size_t len,
			struct buf *scratch, const char **base, size_t *baselen)
{
	*base = data;
	*baselen = len;
	struct buf next = BUF_INIT;
	for (size_t i = 0; i < s->nspaces; i++) {
		const struct mail_part *sp = s->spaces[i];
		size_t a = sp->body_start < *baselen ? sp->body_start : *baselen;
		size_t b = sp->end < *baselen ? sp->end : *baselen;
		buf_reset(&next);
		mail_transfer_decode(*base + a, b > a ? b - a : 0, sp->encoding, &next);
		/* The decoded bytes become the next level's space. */
		struct buf t = *scratch;
		*scratch = next;
		next = t;
		*base = scratch->data ? scratch->data : "";
		*baselen = scratch->len;
	}
	buf_free(&next);
}
