/*
 * FETCH grammar: fetch-att (RFC 9051 9, RFC 3501 RFC822.* items, RFC 3516
 * BINARY, RFC 7162 MODSEQ) and the fetch modifiers CHANGEDSINCE and
 * VANISHED (RFC 7162 3.1.4, 3.2.6).
 */
#include "imap/command.h"

#include <string.h>

static struct imap_fetch_item *add_item(struct imap_parser *p, struct imap_fetch_args *a,
					enum imap_fetch_kind kind)
{
	if (a->n == IMAP_FETCH_ITEMS_MAX) {
		imap_p_fail(p, "more than %d FETCH items", IMAP_FETCH_ITEMS_MAX);
		return NULL;
	}
	struct imap_fetch_item *it = &a->items[a->n++];
	memset(it, 0, sizeof *it);
	it->kind = kind;
	return it;
}

/* header-list = "(" header-fld-name *(SP header-fld-name) ")" */
static bool parse_header_list(struct imap_parser *p, struct imap_fetch_section *s)
{
	if (!imap_p_open(p))
		return false;
	s->fields = arena_array(p->ar, IMAP_HEADER_FIELDS_MAX, sizeof *s->fields);
	for (;;) {
		if (s->nfields == IMAP_HEADER_FIELDS_MAX)
			return imap_p_fail(p, "more than %d header fields", IMAP_HEADER_FIELDS_MAX);
		struct str f;
		if (!imap_p_astring(p, &f))
			return false;
		if (f.len == 0)
			return imap_p_fail(p, "empty header field name");
		for (size_t i = 0; i < f.len; i++)
			if ((unsigned char)f.p[i] <= 32 || (unsigned char)f.p[i] >= 127 ||
			    f.p[i] == ':')
				return imap_p_fail(p, "invalid header field name");
		s->fields[s->nfields++] = f;
		if (imap_p_peek(p) == ')')
			return imap_p_close(p);
		if (!imap_p_sp(p))
			return false;
	}
}

/* section-msgtext / "MIME" after the part numbers (or at the start). */
static bool parse_section_text(struct imap_parser *p, struct imap_fetch_section *s, bool after_part)
{
	if (imap_p_take_word(p, "HEADER.FIELDS.NOT")) {
		s->text = IMAP_SECTION_HEADER_FIELDS_NOT;
		return imap_p_sp(p) && parse_header_list(p, s);
	}
	if (imap_p_take_word(p, "HEADER.FIELDS")) {
		s->text = IMAP_SECTION_HEADER_FIELDS;
		return imap_p_sp(p) && parse_header_list(p, s);
	}
	if (imap_p_take_word(p, "HEADER")) {
		s->text = IMAP_SECTION_HEADER;
		return true;
	}
	if (imap_p_take_word(p, "TEXT")) {
		s->text = IMAP_SECTION_TEXT;
		return true;
	}
	if (after_part && imap_p_take_word(p, "MIME")) {
		s->text = IMAP_SECTION_MIME;
		return true;
	}
	return imap_p_fail(p, "unknown section");
}

/* section-part = nz-number *("." nz-number), possibly followed by "." section-text. */
static bool parse_section(struct imap_parser *p, struct imap_fetch_section *s, bool binary)
{
	if (!imap_p_expect(p, '['))
		return false;
	if (imap_p_take(p, ']'))
		return true;
	if (!ascii_isdigit(imap_p_peek(p))) {
		if (binary)
			return imap_p_fail(p, "BINARY takes part numbers only");
		return parse_section_text(p, s, false) && imap_p_expect(p, ']');
	}
	for (;;) {
		if (s->npart == IMAP_PART_DEPTH_MAX)
			return imap_p_fail(p, "part numbers nested deeper than %d",
					   IMAP_PART_DEPTH_MAX);
		if (!imap_p_nznumber(p, &s->part[s->npart++]))
			return false;
		if (!imap_p_take(p, '.'))
			break;
		if (!ascii_isdigit(imap_p_peek(p))) {
			if (binary)
				return imap_p_fail(p, "BINARY takes part numbers only");
			if (!parse_section_text(p, s, true))
				return false;
			break;
		}
	}
	return imap_p_expect(p, ']');
}

/* partial = "<" number64 "." nz-number64 ">" */
static bool parse_partial(struct imap_parser *p, struct imap_fetch_item *it)
{
	if (!imap_p_take(p, '<'))
		return true;
	it->partial = true;
	return imap_p_number64(p, &it->offset) && imap_p_expect(p, '.') &&
	       imap_p_nznumber64(p, &it->count) && imap_p_expect(p, '>');
}

/* RFC 8970 6: "PREVIEW" [SP "(" preview-mod *(SP preview-mod) ")"], preview-mod = "LAZY". */
static bool parse_preview_mods(struct imap_parser *p, struct imap_fetch_item *it)
{
	if (p->pos + 1 >= p->len || p->p[p->pos] != ' ' || p->p[p->pos + 1] != '(')
		return true;
	p->pos++;
	if (!imap_p_open(p))
		return false;
	for (;;) {
		if (!imap_p_take_word(p, "LAZY"))
			return imap_p_fail(p, "unknown PREVIEW modifier");
		it->lazy = true;
		if (imap_p_peek(p) == ')')
			return imap_p_close(p);
		if (!imap_p_sp(p))
			return false;
	}
}

static bool parse_att(struct imap_parser *p, struct imap_fetch_args *a)
{
	struct imap_fetch_item *it;
	if (imap_p_take_prefix(p, "BODY.PEEK[") || imap_p_take_prefix(p, "BODY[")) {
		p->pos--; /* back to "[" */
		if (!(it = add_item(p, a, IMAP_FETCH_SECTION)))
			return false;
		it->peek = p->p[p->pos - 1] == 'K' || p->p[p->pos - 1] == 'k';
		return parse_section(p, &it->sec, false) && parse_partial(p, it);
	}
	if (imap_p_take_prefix(p, "BINARY.PEEK[") || imap_p_take_prefix(p, "BINARY[")) {
		p->pos--;
		if (!(it = add_item(p, a, IMAP_FETCH_BINARY)))
			return false;
		it->peek = p->p[p->pos - 1] == 'K' || p->p[p->pos - 1] == 'k';
		return parse_section(p, &it->sec, true) && parse_partial(p, it);
	}
	if (imap_p_take_prefix(p, "BINARY.SIZE[")) {
		p->pos--;
		return (it = add_item(p, a, IMAP_FETCH_BINARY_SIZE)) &&
		       parse_section(p, &it->sec, true);
	}
	static const struct {
		const char *word;
		enum imap_fetch_kind kind;
		enum imap_section_text text; /* for the RFC822 items */
	} words[] = {
	    {"UID", IMAP_FETCH_UID, 0},
	    {"FLAGS", IMAP_FETCH_FLAGS, 0},
	    {"INTERNALDATE", IMAP_FETCH_INTERNALDATE, 0},
	    {"RFC822.SIZE", IMAP_FETCH_RFC822_SIZE, 0},
	    {"ENVELOPE", IMAP_FETCH_ENVELOPE, 0},
	    {"BODYSTRUCTURE", IMAP_FETCH_BODYSTRUCTURE, 0},
	    {"BODY", IMAP_FETCH_BODY_STRUCT, 0},
	    {"MODSEQ", IMAP_FETCH_MODSEQ, 0},
	    {"SAVEDATE", IMAP_FETCH_SAVEDATE, 0},
	    {"EMAILID", IMAP_FETCH_EMAILID, 0},
	    {"THREADID", IMAP_FETCH_THREADID, 0},
	    {"PREVIEW", IMAP_FETCH_PREVIEW, 0},
	    {"RFC822.HEADER", IMAP_FETCH_SECTION, IMAP_SECTION_HEADER},
	    {"RFC822.TEXT", IMAP_FETCH_SECTION, IMAP_SECTION_TEXT},
	    {"RFC822", IMAP_FETCH_SECTION, IMAP_SECTION_ALL},
	};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		if (!imap_p_take_word(p, words[i].word))
			continue;
		if (!(it = add_item(p, a, words[i].kind)))
			return false;
		if (words[i].kind == IMAP_FETCH_SECTION) {
			it->rfc822_name = words[i].word;
			it->sec.text = words[i].text;
			/* RFC 3501 6.4.5: RFC822.HEADER is like BODY.PEEK[HEADER]. */
			it->peek = words[i].text == IMAP_SECTION_HEADER;
		}
		if (words[i].kind == IMAP_FETCH_PREVIEW)
			return parse_preview_mods(p, it);
		return true;
	}
	return imap_p_fail(p, "unknown FETCH item");
}

static bool add_macro(struct imap_parser *p, struct imap_fetch_args *a, bool envelope, bool body)
{
	return add_item(p, a, IMAP_FETCH_FLAGS) && add_item(p, a, IMAP_FETCH_INTERNALDATE) &&
	       add_item(p, a, IMAP_FETCH_RFC822_SIZE) &&
	       (!envelope || add_item(p, a, IMAP_FETCH_ENVELOPE)) &&
	       (!body || add_item(p, a, IMAP_FETCH_BODY_STRUCT));
}

/* fetch-modifiers (RFC 7162 3.1.4.1, 3.2.6). */
static bool parse_modifiers(struct imap_parser *p, struct imap_command *c)
{
	struct imap_fetch_args *a = &c->u.fetch;
	if (!imap_p_open(p))
		return false;
	for (;;) {
		if (imap_p_take_word(p, "CHANGEDSINCE")) {
			if (a->changedsince_set)
				return imap_p_fail(p, "CHANGEDSINCE given twice");
			a->changedsince_set = true;
			if (!imap_p_sp(p) || !imap_p_number64(p, &a->changedsince))
				return false;
		} else if (imap_p_take_word(p, "PARTIAL")) {
			if (!c->uid)
				return imap_p_fail(p, "PARTIAL is only allowed with UID FETCH");
			if (a->partial_set)
				return imap_p_fail(p, "PARTIAL given twice");
			a->partial_set = true;
			if (!imap_p_sp(p) || !imap_parse_partial_range(p, &a->partial))
				return false;
		} else if (imap_p_take_word(p, "VANISHED")) {
			if (!c->uid)
				return imap_p_fail(p, "VANISHED is only allowed with UID FETCH");
			a->vanished = true;
		} else {
			return imap_p_fail(p, "unknown FETCH modifier");
		}
		if (imap_p_peek(p) == ')')
			break;
		if (!imap_p_sp(p))
			return false;
	}
	if (!imap_p_close(p))
		return false;
	/* RFC 7162 3.2.6: VANISHED requires CHANGEDSINCE. */
	if (a->vanished && !a->changedsince_set)
		return imap_p_fail(p, "VANISHED requires CHANGEDSINCE");
	return true;
}

bool imap_parse_fetch(struct imap_parser *p, struct imap_command *c)
{
	struct imap_fetch_args *a = &c->u.fetch;
	a->items = arena_array(p->ar, IMAP_FETCH_ITEMS_MAX, sizeof *a->items);
	if (!imap_p_sp(p) || !imap_p_seqset(p, true, &a->set) || !imap_p_sp(p))
		return false;
	bool ok;
	if (imap_p_take_word(p, "ALL"))
		ok = add_macro(p, a, true, false);
	else if (imap_p_take_word(p, "FULL"))
		ok = add_macro(p, a, true, true);
	else if (imap_p_take_word(p, "FAST"))
		ok = add_macro(p, a, false, false);
	else if (imap_p_peek(p) == '(') {
		ok = imap_p_open(p);
		while (ok) {
			ok = parse_att(p, a);
			if (!ok || imap_p_peek(p) == ')')
				break;
			ok = imap_p_sp(p);
		}
		ok = ok && imap_p_close(p);
	} else {
		ok = parse_att(p, a);
	}
	if (!ok)
		return false;
	if (imap_p_take(p, ' '))
		return parse_modifiers(p, c);
	return true;
}
