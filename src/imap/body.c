/*
 * FETCH items with message text (RFC 9051 6.4.5, RFC 3516): BODY[section]
 * and BODY.PEEK with <partial>, the RFC 3501 RFC822 items, BINARY[section],
 * BINARY.PEEK and BINARY.SIZE. Byte ranges come from the parsed structure
 * (mail_section_lookup); sections inside a transfer-encoded nested message
 * are cut from its decoded body.
 */
#include "imap/fetch.h"

#include "mail/header.h"

#include <string.h>

#define LITERAL_INLINE_MAX (64 * 1024) /* larger literals are written straight from the file */

/* The section as the response names it: "1.2.HEADER.FIELDS (A B)". */
static void put_section_spec(const struct imap_fetch_section *sec, struct buf *out)
{
	for (size_t i = 0; i < sec->npart; i++)
		buf_printf(out, "%s%u", i ? "." : "", sec->part[i]);
	const char *dot = sec->npart ? "." : "";
	switch (sec->text) {
	case IMAP_SECTION_ALL: break;
	case IMAP_SECTION_HEADER: buf_printf(out, "%sHEADER", dot); break;
	case IMAP_SECTION_TEXT: buf_printf(out, "%sTEXT", dot); break;
	case IMAP_SECTION_MIME: buf_printf(out, "%sMIME", dot); break;
	case IMAP_SECTION_HEADER_FIELDS:
	case IMAP_SECTION_HEADER_FIELDS_NOT:
		buf_printf(out, "%sHEADER.FIELDS%s (", dot,
			   sec->text == IMAP_SECTION_HEADER_FIELDS_NOT ? ".NOT" : "");
		for (size_t i = 0; i < sec->nfields; i++) {
			if (i)
				buf_putc(out, ' ');
			buf_append(out, sec->fields[i].p, sec->fields[i].len);
		}
		buf_putc(out, ')');
		break;
	}
}

static void put_item_name(const struct imap_fetch_item *it, struct buf *out)
{
	if (it->rfc822_name) {
		buf_puts(out, it->rfc822_name);
		return;
	}
	buf_puts(out, it->kind == IMAP_FETCH_SECTION       ? "BODY["
		      : it->kind == IMAP_FETCH_BINARY_SIZE ? "BINARY.SIZE["
							   : "BINARY[");
	put_section_spec(&it->sec, out);
	buf_putc(out, ']');
	/* RFC 9051 7.5.2: only the origin octet is returned. */
	if (it->partial && it->kind != IMAP_FETCH_BINARY_SIZE)
		buf_printf(out, "<%llu>", (unsigned long long)it->offset);
}

/* The section string mail_section_lookup takes. */
static void lookup_spec(const struct imap_fetch_section *sec, struct buf *out)
{
	for (size_t i = 0; i < sec->npart; i++)
		buf_printf(out, "%s%u", i ? "." : "", sec->part[i]);
	const char *dot = sec->npart ? "." : "";
	switch (sec->text) {
	case IMAP_SECTION_ALL: break;
	case IMAP_SECTION_HEADER:
	case IMAP_SECTION_HEADER_FIELDS:
	case IMAP_SECTION_HEADER_FIELDS_NOT: buf_printf(out, "%sHEADER", dot); break;
	case IMAP_SECTION_TEXT: buf_printf(out, "%sTEXT", dot); break;
	case IMAP_SECTION_MIME: buf_printf(out, "%sMIME", dot); break;
	}
}

static bool field_listed(const struct imap_fetch_section *sec, struct str name)
{
	for (size_t i = 0; i < sec->nfields; i++)
		if (str_eqi(sec->fields[i], name))
			return true;
	return false;
}

/* HEADER.FIELDS [.NOT]: the chosen field lines of the header in p[start, end), and the
 * empty line (RFC 9051 6.4.5). */
static void select_fields(struct imap_session *s, const struct imap_fetch_section *sec,
			  const char *p, size_t start, size_t end, struct buf *out)
{
	struct mail_header h;
	mail_header_scan(p, start, end, &s->ar, &h);
	bool want_listed = sec->text == IMAP_SECTION_HEADER_FIELDS;
	for (size_t i = 0; i < h.n; i++) {
		const struct mail_field *f = &h.fields[i];
		if (field_listed(sec, f->name) != want_listed)
			continue;
		size_t fend = (size_t)(f->value.p - p) + f->value.len;
		if (fend < end && p[fend] == '\r')
			fend++;
		if (fend < end && p[fend] == '\n')
			fend++;
		buf_append(out, p + f->offset, fend - f->offset);
		if (fend == f->offset || p[fend - 1] != '\n')
			buf_puts(out, "\r\n");
	}
	buf_puts(out, "\r\n");
}

static bool identity_encoding(const char *enc)
{
	return !enc || !*enc || strcmp(enc, "7bit") == 0 || strcmp(enc, "8bit") == 0 ||
	       strcmp(enc, "binary") == 0;
}

static bool known_encoding(const char *enc)
{
	return identity_encoding(enc) || strcmp(enc, "base64") == 0 ||
	       strcmp(enc, "quoted-printable") == 0;
}

static void put_literal(struct imap_session *s, const char *p, size_t n, bool literal8,
			struct buf *out)
{
	buf_printf(out, "%s{%zu}\r\n", literal8 ? "~" : "", n);
	if (n <= LITERAL_INLINE_MAX) {
		buf_append(out, p, n);
		return;
	}
	imap_sess_write(s, out->data, out->len);
	buf_reset(out);
	imap_sess_write(s, p, n);
}

void imap_fetch_body_item(struct imap_session *s, struct fetch_msg *fm,
			  const struct imap_fetch_item *it, struct buf *out)
{
	put_item_name(it, out);
	buf_putc(out, ' ');
	const char *data;
	size_t len;
	if (!imap_fetch_data(s, fm, &data, &len)) {
		buf_puts(out, it->kind == IMAP_FETCH_BINARY_SIZE ? "0" : "NIL");
		return;
	}
	struct mail_message *pm = imap_fetch_parsed(s, fm);
	struct buf spec = BUF_INIT;
	lookup_spec(&it->sec, &spec);
	struct mail_section sec;
	struct error err;
	bool found =
	    mail_section_lookup(pm, str_make(spec.data ? spec.data : "", spec.len), &sec, &err);
	buf_free(&spec);
	if (!found) {
		/* RFC 9051 6.4.5: a part that does not exist reads as empty. */
		buf_puts(out, it->kind == IMAP_FETCH_BINARY_SIZE ? "0" : "\"\"");
		return;
	}
	/* The bytes the offsets are in: the message, or a nested message's decoded body. */
	const char *base;
	size_t baselen;
	struct buf space = BUF_INIT;
	mail_section_bytes(&sec, data, len, &space, &base, &baselen);
	size_t start = sec.start < baselen ? sec.start : baselen;
	size_t end = sec.end < baselen ? sec.end : baselen;
	if (end < start)
		end = start;
	const char *p = base + start;
	size_t n = end - start;
	struct buf made = BUF_INIT;
	bool literal8 = false;
	if (it->kind == IMAP_FETCH_SECTION && (it->sec.text == IMAP_SECTION_HEADER_FIELDS ||
					       it->sec.text == IMAP_SECTION_HEADER_FIELDS_NOT)) {
		select_fields(s, &it->sec, base, start, end, &made);
		p = made.data;
		n = made.len;
	} else if (it->kind != IMAP_FETCH_SECTION && it->sec.npart > 0 &&
		   !identity_encoding(sec.part->encoding)) {
		/* RFC 3516 4.2: BINARY decodes the part's content transfer encoding. */
		if (!known_encoding(sec.part->encoding))
			s->unknown_cte = true;
		mail_transfer_decode(p, n, sec.part->encoding, &made);
		p = made.data ? made.data : "";
		n = made.len;
	}
	if (it->kind == IMAP_FETCH_BINARY_SIZE) {
		buf_printf(out, "%zu", n);
	} else {
		if (it->partial) {
			uint64_t off = it->offset < n ? it->offset : n;
			uint64_t cnt = n - off < it->count ? n - off : it->count;
			p += off;
			n = (size_t)cnt;
		}
		if (it->kind == IMAP_FETCH_BINARY)
			literal8 = memchr(p, '\0', n) != NULL;
		put_literal(s, p, n, literal8, out);
	}
	buf_free(&made);
	buf_free(&space);
}
