/*
 * The MIME tree walk behind mail_parse: each part's header, its Content-*
 * fields, and its body split into children (multipart, RFC 2046 5.1) or
 * parsed as a nested message (message/rfc822 and message/global).
 *
 * A multipart is split by scanning only its own body for its own delimiter
 * lines, so every child's extent is fixed before the child is parsed: a child
 * whose inner multipart lacks its close-delimiter still ends at the parent's
 * next delimiter, and nesting never confuses boundaries. Each level rescans
 * its own bytes once; MAIL_DEPTH_MAX bounds the total work.
 */
#include "mail/mail.h"

#include "mail/envelope.h"
#include "mail/header.h"
#include "mail/params.h"

#include <string.h>

struct walk {
	struct arena *a;
	size_t nparts;
	unsigned flags;
	bool hdr_8bit, hdr_bad_utf8;
};

static void parse_part(struct walk *w, struct mail_part *p, const char *data, size_t start,
		       size_t end, int depth, bool digest_child, struct mail_header *hout);

bool mail_part_is_message(const struct mail_part *p)
{
	return strcmp(p->type, "message") == 0 &&
	       (strcmp(p->subtype, "rfc822") == 0 || strcmp(p->subtype, "global") == 0);
}

bool mail_part_is_multipart(const struct mail_part *p)
{
	return strcmp(p->type, "multipart") == 0;
}

const char *mail_param_get(const struct mail_param *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return v[i].value;
	return NULL;
}

/* Lines as IMAP servers count them (Dovecot, for one): line feeds in the
 * body. A last line without a line ending is not counted, so a part body
 * "a\r\nb" before a boundary has one line. */
static uint64_t count_lines(const char *p, size_t n)
{
	uint64_t lines = 0;
	const char *e = p + n;
	for (const char *q = p; q < e; q++) {
		q = memchr(q, '\n', (size_t)(e - q));
		if (!q)
			break;
		lines++;
	}
	return lines;
}

static const char *field_value(struct arena *a, const struct mail_header *h, const char *name)
{
	const struct mail_field *f = mail_header_get(h, name);
	return f ? mail_unfold(a, f->value) : NULL;
}

static void set_default_type(struct arena *a, struct mail_part *p, bool digest_child)
{
	if (digest_child) {
		p->type = "message";
		p->subtype = "rfc822";
		p->params = NULL;
		p->nparams = 0;
		return;
	}
	p->type = "text";
	p->subtype = "plain";
	p->params = arena_alloc(a, sizeof *p->params);
	p->params[0] = (struct mail_param){"charset", "us-ascii"};
	p->nparams = 1;
}

/* RFC 2046 4.1.2: text without a charset parameter is US-ASCII. Added, as
 * Dovecot does, so clients see the charset that applies. */
static void add_default_charset(struct arena *a, struct mail_part *p)
{
	struct mail_param *v = arena_array(a, p->nparams + 1, sizeof *v);
	if (p->nparams)
		memcpy(v, p->params, p->nparams * sizeof *v);
	v[p->nparams++] = (struct mail_param){"charset", "us-ascii"};
	p->params = v;
}

static bool known_encoding(const char *e)
{
	static const char *const known[] = {"7bit", "8bit", "binary", "base64", "quoted-printable"};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strcmp(e, known[i]) == 0)
			return true;
	return false;
}

/* Content-Type and the other Content-* fields of RFC 2045, 2183, 3282, 2557. */
static void read_mime_fields(struct arena *a, struct mail_part *p, const struct mail_header *h,
			     bool digest_child)
{
	const char *ct = field_value(a, h, "Content-Type");
	if (!ct) {
		set_default_type(a, p, digest_child);
	} else {
		struct mail_typed_value v;
		mail_params_parse(a, str_from(ct), true, &v);
		if (!v.type) {
			/* RFC 2045 5.2: an invalid Content-Type means text/plain. */
			set_default_type(a, p, false);
			p->flags |= MAIL_F_BAD_CONTENT_TYPE;
		} else {
			p->type = v.type;
			p->subtype = v.subtype;
			p->params = v.params;
			p->nparams = v.nparams;
			if (strcmp(p->type, "text") == 0 &&
			    !mail_param_get(p->params, p->nparams, "charset"))
				add_default_charset(a, p);
		}
		if (v.bad_params)
			p->flags |= MAIL_F_BAD_PARAMS;
	}
	p->content_id = field_value(a, h, "Content-ID");
	p->description = field_value(a, h, "Content-Description");
	const char *cte = field_value(a, h, "Content-Transfer-Encoding");
	if (cte) {
		char *lc = arena_strdup(a, cte);
		ascii_lower_inplace(lc);
		p->encoding = lc;
		if (!known_encoding(lc))
			p->flags |= MAIL_F_BAD_ENCODING;
	}
	p->md5 = field_value(a, h, "Content-MD5");
	const char *cd = field_value(a, h, "Content-Disposition");
	if (cd) {
		struct mail_typed_value v;
		mail_params_parse(a, str_from(cd), false, &v);
		p->disposition = v.type ? v.type : "";
		p->disp_params = v.params;
		p->ndisp_params = v.nparams;
		if (v.bad_params || !v.type)
			p->flags |= MAIL_F_BAD_PARAMS;
	}
	p->language = field_value(a, h, "Content-Language");
	p->location = field_value(a, h, "Content-Location");
}

/* Does the line [s, e) delimit (RFC 2046 5.1.1) with boundary b? Trailing
 * white space is transport padding. Text directly after the boundary is not
 * a match, as in mox and Python, because some mailers reuse a boundary as the
 * prefix of a nested one. */
static bool delimiter(const char *s, const char *e, const char *b, size_t blen, bool *close)
{
	if ((size_t)(e - s) < 2 + blen || s[0] != '-' || s[1] != '-' || memcmp(s + 2, b, blen) != 0)
		return false;
	const char *r = s + 2 + blen;
	if (e - r >= 2 && r[0] == '-' && r[1] == '-') {
		*close = true;
		return true;
	}
	for (; r < e; r++)
		if (*r != ' ' && *r != '\t' && *r != '\r')
			return false;
	*close = false;
	return true;
}

struct region {
	size_t start, end;
};

static void add_child(struct walk *w, struct mail_part *p, const char *data, struct region r,
		      int depth, size_t *cap)
{
	if (w->nparts >= MAIL_PARTS_MAX) {
		p->flags |= MAIL_F_PART_LIMIT;
		return;
	}
	if (p->nchildren == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		struct mail_part *nv = arena_array(w->a, nc, sizeof *nv);
		if (p->nchildren)
			memcpy(nv, p->children, p->nchildren * sizeof *nv);
		p->children = nv;
		*cap = nc;
	}
	struct mail_part *c = &p->children[p->nchildren++];
	bool digest = strcmp(p->subtype, "digest") == 0;
	parse_part(w, c, data, r.start, r.end, depth + 1, digest, NULL);
}

static void split_multipart(struct walk *w, struct mail_part *p, const char *data, int depth)
{
	const char *b = mail_param_get(p->params, p->nparams, "boundary");
	if (!b || !*b) {
		p->flags |= MAIL_F_NO_BOUNDARY;
		return;
	}
	size_t blen = strlen(b);
	size_t pos = p->body_start, end = p->end, cap = 0;
	bool in_child = false, closed = false, found = false;
	size_t child_start = 0;
	while (pos < end && !closed) {
		const char *nl = memchr(data + pos, '\n', end - pos);
		size_t lend = nl ? (size_t)(nl - data) : end;
		size_t next = nl ? lend + 1 : end;
		bool close;
		if (data[pos] == '-' && delimiter(data + pos, data + lend, b, blen, &close)) {
			found = true;
			if (in_child) {
				/* The line ending before a delimiter belongs to it. */
				size_t cend = pos;
				if (cend > child_start && data[cend - 1] == '\n')
					cend--;
				if (cend > child_start && data[cend - 1] == '\r')
					cend--;
				add_child(w, p, data, (struct region){child_start, cend}, depth,
					  &cap);
			}
			closed = close;
			in_child = !close;
			child_start = next;
		}
		pos = next;
	}
	if (in_child) {
		p->flags |= MAIL_F_NO_CLOSE_BOUNDARY;
		add_child(w, p, data, (struct region){child_start, end}, depth, &cap);
	}
	if (!found)
		p->flags |= MAIL_F_NO_FIRST_BOUNDARY;
}

/* message/rfc822 or message/global: parse the body as a message. An encoded
 * body (RFC 6532 3.5 allows it for message/global) is decoded first. */
static void parse_nested(struct walk *w, struct mail_part *p, const char *data, int depth)
{
	if (w->nparts >= MAIL_PARTS_MAX) {
		p->flags |= MAIL_F_PART_LIMIT;
		return;
	}
	const char *nd = data;
	size_t ns = p->body_start, ne = p->end;
	if (p->encoding &&
	    (strcmp(p->encoding, "base64") == 0 || strcmp(p->encoding, "quoted-printable") == 0)) {
		struct buf dec = BUF_INIT;
		mail_transfer_decode(data + p->body_start, p->end - p->body_start, p->encoding,
				     &dec);
		nd = arena_memdup0(w->a, dec.data ? dec.data : "", dec.len);
		ns = 0;
		ne = dec.len;
		p->decoded_size = dec.len;
		buf_free(&dec);
		p->flags |= MAIL_F_DECODED_MESSAGE;
	}
	struct mail_header h;
	p->message = arena_zalloc(w->a, sizeof *p->message);
	parse_part(w, p->message, nd, ns, ne, depth + 1, false, &h);
	p->envelope = arena_zalloc(w->a, sizeof *p->envelope);
	mail_envelope_from_header(w->a, &h, p->envelope, &p->message->flags);
	w->flags |= p->message->flags;
}

static void parse_part(struct walk *w, struct mail_part *p, const char *data, size_t start,
		       size_t end, int depth, bool digest_child, struct mail_header *hout)
{
	memset(p, 0, sizeof *p);
	w->nparts++;
	struct mail_header h;
	p->header_start = start;
	p->body_start = mail_header_scan(data, start, end, w->a, &h);
	p->end = end;
	p->flags = h.flags;
	if (h.flags & MAIL_F_HEADER_8BIT)
		w->hdr_8bit = true;
	if (h.flags & MAIL_F_HEADER_BAD_UTF8)
		w->hdr_bad_utf8 = true;
	read_mime_fields(w->a, p, &h, digest_child);
	const char *body = data + p->body_start;
	size_t blen = p->end - p->body_start;
	p->lines = count_lines(body, blen);
	if (memchr(body, '\n', blen) && !(p->flags & MAIL_F_BARE_LF)) {
		for (const char *q = memchr(body, '\n', blen); q;
		     q = memchr(q + 1, '\n', (size_t)(body + blen - q - 1)))
			if (q == body || q[-1] != '\r') {
				p->flags |= MAIL_F_BARE_LF;
				break;
			}
	}
	bool multi = mail_part_is_multipart(p), msg = mail_part_is_message(p);
	p->decoded_size = multi || msg ? blen : mail_transfer_decoded_size(body, blen, p->encoding);
	if ((multi || msg) && depth >= MAIL_DEPTH_MAX) {
		p->flags |= MAIL_F_DEPTH_LIMIT;
	} else if (multi) {
		split_multipart(w, p, data, depth);
	} else if (msg) {
		parse_nested(w, p, data, depth);
	}
	w->flags |= p->flags;
	if (hout)
		*hout = h;
}

void mail_message_init_empty(struct mail_message *m)
{
	memset(m, 0, sizeof *m);
	static struct mail_param charset = {"charset", "us-ascii"};
	m->root.type = "text";
	m->root.subtype = "plain";
	m->root.params = &charset;
	m->root.nparams = 1;
	m->message_id = "";
	m->subject = "";
	m->subject_base = "";
	m->from_localpart = "";
	m->from_domain = "";
}

struct mail_message *mail_parse(const char *data, size_t len, struct arena *a)
{
	struct mail_message *m = arena_zalloc(a, sizeof *m);
	struct walk w = {.a = a};
	struct mail_header h;
	m->size = len;
	parse_part(&w, &m->root, data ? data : "", 0, len, 0, false, &h);
	mail_envelope_from_header(a, &h, &m->envelope, &m->root.flags);
	w.flags |= m->root.flags;
	m->headers_8bit = w.hdr_8bit;
	m->headers_utf8 = w.hdr_8bit && !w.hdr_bad_utf8;
	m->flags = w.flags;
	mail_message_derive(a, &h, m);
	return m;
}
