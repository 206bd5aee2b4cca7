#include "mail/serialize.h"

#include <inttypes.h>
#include <string.h>

static const char magic[3] = {'T', 'M', 'P'};

/* Writing. */

static void put_uv(struct buf *b, uint64_t v)
{
	do {
		unsigned char c = v & 0x7f;
		v >>= 7;
		if (v)
			c |= 0x80;
		buf_putc(b, (char)c);
	} while (v);
}

static void put_sv(struct buf *b, int64_t v)
{
	/* Zigzag: small magnitudes of either sign stay short. */
	uint64_t u = (uint64_t)v;
	put_uv(b, (u << 1) ^ (v < 0 ? UINT64_MAX : 0));
}

static void put_str(struct buf *b, const char *s)
{
	size_t n = strlen(s);
	put_uv(b, n);
	buf_append(b, s, n);
}

static void put_nstr(struct buf *b, const char *s)
{
	if (!s) {
		put_uv(b, 0);
		return;
	}
	size_t n = strlen(s);
	put_uv(b, n + 1);
	buf_append(b, s, n);
}

static void put_params(struct buf *b, const struct mail_param *v, size_t n)
{
	put_uv(b, n);
	for (size_t i = 0; i < n; i++) {
		put_str(b, v[i].name);
		put_str(b, v[i].value);
	}
}

static void put_addrs(struct buf *b, const struct mail_addrlist *l)
{
	put_uv(b, l->n);
	for (size_t i = 0; i < l->n; i++) {
		const struct mail_address *a = &l->v[i];
		put_uv(b, (uint64_t)a->kind);
		put_str(b, a->name);
		put_str(b, a->route);
		put_str(b, a->localpart);
		put_str(b, a->domain);
	}
}

static void put_envelope(struct buf *b, const struct mail_envelope *e)
{
	put_nstr(b, e->date);
	put_nstr(b, e->subject);
	put_addrs(b, &e->from);
	put_addrs(b, &e->sender);
	put_addrs(b, &e->reply_to);
	put_addrs(b, &e->to);
	put_addrs(b, &e->cc);
	put_addrs(b, &e->bcc);
	put_nstr(b, e->in_reply_to);
	put_nstr(b, e->message_id);
}

static void put_part(struct buf *b, const struct mail_part *p)
{
	put_uv(b, p->header_start);
	put_uv(b, p->body_start - p->header_start);
	put_uv(b, p->end - p->body_start);
	put_str(b, p->type);
	put_str(b, p->subtype);
	put_params(b, p->params, p->nparams);
	put_nstr(b, p->content_id);
	put_nstr(b, p->description);
	put_nstr(b, p->encoding);
	put_nstr(b, p->md5);
	put_nstr(b, p->disposition);
	put_params(b, p->disp_params, p->ndisp_params);
	put_nstr(b, p->language);
	put_nstr(b, p->location);
	put_uv(b, p->lines);
	put_uv(b, p->decoded_size);
	put_uv(b, p->flags);
	put_uv(b, p->nchildren);
	for (size_t i = 0; i < p->nchildren; i++)
		put_part(b, &p->children[i]);
	put_uv(b, p->message ? 1 : 0);
	if (p->message) {
		put_envelope(b, p->envelope);
		put_part(b, p->message);
	}
}

static void put_ids(struct buf *b, const char *const *v, size_t n)
{
	put_uv(b, n);
	for (size_t i = 0; i < n; i++)
		put_str(b, v[i]);
}

void mail_serialize(const struct mail_message *m, struct buf *out)
{
	buf_append(out, magic, sizeof magic);
	buf_putc(out, MAIL_SERIALIZE_VERSION);
	put_uv(out, m->size);
	put_uv(out, m->flags);
	put_uv(out, (m->headers_8bit ? 1u : 0u) | (m->headers_utf8 ? 2u : 0u));
	put_str(out, m->message_id);
	put_ids(out, m->in_reply_to, m->nin_reply_to);
	put_ids(out, m->references, m->nreferences);
	put_str(out, m->subject);
	put_str(out, m->subject_base);
	put_sv(out, (int64_t)m->date);
	put_sv(out, m->date_tzoffset);
	put_str(out, m->from_localpart);
	put_str(out, m->from_domain);
	put_envelope(out, &m->envelope);
	put_part(out, &m->root);
}

/* Reading. Every getter returns false and sets the error on bad input. */

struct reader {
	const unsigned char *p;
	size_t n, i;
	struct arena *a;
	struct error *err;
	size_t parts;
};

static bool bad(struct reader *r, const char *what)
{
	return error_set(r->err, ERR_INVALID, "stored message structure: %s at byte %zu", what,
			 r->i);
}

static bool get_uv(struct reader *r, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (r->i >= r->n)
			return bad(r, "truncated");
		unsigned char c = r->p[r->i++];
		if (shift == 63 && c > 1)
			return bad(r, "varint overflow");
		x |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			/* Minimal encoding only: no trailing zero groups. */
			if (c == 0 && shift > 0)
				return bad(r, "non-minimal varint");
			if (x > max)
				return bad(r, "value out of range");
			*v = x;
			return true;
		}
	}
	return bad(r, "varint too long");
}

static bool get_sv(struct reader *r, int64_t min, int64_t max, int64_t *v)
{
	uint64_t u;
	if (!get_uv(r, UINT64_MAX, &u))
		return false;
	int64_t x = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
	if (x < min || x > max)
		return bad(r, "value out of range");
	*v = x;
	return true;
}

static bool get_bytes(struct reader *r, uint64_t len, const char **out)
{
	if (len > r->n - r->i)
		return bad(r, "string past end");
	const char *s = (const char *)r->p + r->i;
	if (memchr(s, '\0', len))
		return bad(r, "NUL in string");
	*out = arena_memdup0(r->a, s, len);
	r->i += len;
	return true;
}

static bool get_str(struct reader *r, const char **out)
{
	uint64_t len;
	return get_uv(r, r->n, &len) && get_bytes(r, len, out);
}

static bool get_nstr(struct reader *r, const char **out)
{
	uint64_t len;
	if (!get_uv(r, r->n + 1, &len))
		return false;
	if (len == 0) {
		*out = NULL;
		return true;
	}
	return get_bytes(r, len - 1, out);
}

static bool get_params(struct reader *r, struct mail_param **v, size_t *n)
{
	uint64_t cnt;
	if (!get_uv(r, MAIL_PARAMS_MAX, &cnt))
		return false;
	*n = cnt;
	*v = cnt ? arena_array(r->a, cnt, sizeof **v) : NULL;
	for (size_t i = 0; i < cnt; i++) {
		if (!get_str(r, &(*v)[i].name) || !get_str(r, &(*v)[i].value))
			return false;
		if (!(*v)[i].name[0])
			return bad(r, "empty parameter name");
	}
	return true;
}

static bool get_addrs(struct reader *r, struct mail_addrlist *l)
{
	uint64_t cnt;
	if (!get_uv(r, MAIL_ADDRESSES_MAX, &cnt))
		return false;
	l->n = cnt;
	l->v = cnt ? arena_array(r->a, cnt, sizeof *l->v) : NULL;
	for (size_t i = 0; i < cnt; i++) {
		struct mail_address *a = &l->v[i];
		uint64_t kind;
		if (!get_uv(r, MAIL_ADDR_GROUP_END, &kind))
			return false;
		a->kind = (enum mail_address_kind)kind;
		if (!get_str(r, &a->name) || !get_str(r, &a->route) || !get_str(r, &a->localpart) ||
		    !get_str(r, &a->domain))
			return false;
	}
	return true;
}

static bool get_envelope(struct reader *r, struct mail_envelope *e)
{
	return get_nstr(r, &e->date) && get_nstr(r, &e->subject) && get_addrs(r, &e->from) &&
	       get_addrs(r, &e->sender) && get_addrs(r, &e->reply_to) && get_addrs(r, &e->to) &&
	       get_addrs(r, &e->cc) && get_addrs(r, &e->bcc) && get_nstr(r, &e->in_reply_to) &&
	       get_nstr(r, &e->message_id);
}

/* Media types as the parser leaves them: non-empty lower-case tokens. */
static bool lower_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= 32 || c >= 127 || (c >= 'A' && c <= 'Z') || strchr("()<>@,;:\\\"/[]?=", c))
			return false;
	}
	return true;
}

/* The range a part must lie in: [lo, hi] of its space. */
struct bounds {
	size_t lo, hi;
};

static bool get_part(struct reader *r, struct mail_part *p, struct bounds in, int depth);

static bool get_children(struct reader *r, struct mail_part *p, int depth)
{
	uint64_t cnt;
	if (!get_uv(r, MAIL_PARTS_MAX, &cnt))
		return false;
	if (cnt && !mail_part_is_multipart(p))
		return bad(r, "children of a non-multipart");
	p->nchildren = cnt;
	p->children = cnt ? arena_array(r->a, cnt, sizeof *p->children) : NULL;
	size_t lo = p->body_start;
	for (size_t i = 0; i < cnt; i++) {
		if (!get_part(r, &p->children[i], (struct bounds){lo, p->end}, depth + 1))
			return false;
		lo = p->children[i].end;
	}
	return true;
}

static bool get_message(struct reader *r, struct mail_part *p, int depth)
{
	uint64_t has;
	if (!get_uv(r, 1, &has))
		return false;
	bool decoded = p->flags & MAIL_F_DECODED_MESSAGE;
	if (!has) {
		if (decoded)
			return bad(r, "decoded flag without message");
		return true;
	}
	if (!mail_part_is_message(p))
		return bad(r, "nested message in a non-message part");
	p->envelope = arena_zalloc(r->a, sizeof *p->envelope);
	p->message = arena_zalloc(r->a, sizeof *p->message);
	if (!get_envelope(r, p->envelope))
		return false;
	struct bounds b = decoded ? (struct bounds){0, (size_t)p->decoded_size}
				  : (struct bounds){p->body_start, p->end};
	if (!get_part(r, p->message, b, depth + 1))
		return false;
	if (p->message->header_start != b.lo || p->message->end != b.hi)
		return bad(r, "nested message does not cover its part");
	return true;
}

static bool get_offsets(struct reader *r, struct mail_part *p, struct bounds in)
{
	uint64_t hs, hl, bl;
	if (!get_uv(r, SIZE_MAX, &hs) || !get_uv(r, SIZE_MAX, &hl) || !get_uv(r, SIZE_MAX, &bl))
		return false;
	if (hs < in.lo || hs > in.hi || hl > in.hi - hs || bl > in.hi - hs - hl)
		return bad(r, "part offsets outside their parent");
	p->header_start = hs;
	p->body_start = hs + hl;
	p->end = hs + hl + bl;
	return true;
}

static bool get_part(struct reader *r, struct mail_part *p, struct bounds in, int depth)
{
	if (depth > MAIL_DEPTH_MAX)
		return bad(r, "nesting too deep");
	if (++r->parts > MAIL_PARTS_MAX)
		return bad(r, "too many parts");
	memset(p, 0, sizeof *p);
	uint64_t lines, dsize, flags;
	if (!get_offsets(r, p, in) || !get_str(r, &p->type) || !get_str(r, &p->subtype))
		return false;
	if (!lower_token(p->type) || !lower_token(p->subtype))
		return bad(r, "invalid media type");
	if (!get_params(r, &p->params, &p->nparams) || !get_nstr(r, &p->content_id) ||
	    !get_nstr(r, &p->description) || !get_nstr(r, &p->encoding) || !get_nstr(r, &p->md5) ||
	    !get_nstr(r, &p->disposition) || !get_params(r, &p->disp_params, &p->ndisp_params) ||
	    !get_nstr(r, &p->language) || !get_nstr(r, &p->location) ||
	    !get_uv(r, UINT64_MAX, &lines) || !get_uv(r, UINT64_MAX, &dsize) ||
	    !get_uv(r, MAIL_F_ALL, &flags))
		return false;
	p->lines = lines;
	p->decoded_size = dsize;
	p->flags = (unsigned)flags;
	return get_children(r, p, depth) && get_message(r, p, depth);
}

static bool get_ids(struct reader *r, const char ***v, size_t *n)
{
	uint64_t cnt;
	if (!get_uv(r, MAIL_MSGIDS_MAX, &cnt))
		return false;
	*n = cnt;
	*v = cnt ? arena_array(r->a, cnt, sizeof **v) : NULL;
	for (size_t i = 0; i < cnt; i++)
		if (!get_str(r, &(*v)[i]))
			return false;
	return true;
}

static bool get_message_fields(struct reader *r, struct mail_message *m)
{
	uint64_t size, flags, hbits;
	int64_t date, tz;
	if (!get_uv(r, SIZE_MAX, &size) || !get_uv(r, MAIL_F_ALL, &flags) || !get_uv(r, 3, &hbits))
		return false;
	m->size = size;
	m->flags = (unsigned)flags;
	m->headers_8bit = hbits & 1;
	m->headers_utf8 = hbits & 2;
	if (m->headers_utf8 && !m->headers_8bit)
		return bad(r, "utf8 headers without 8bit headers");
	if (!get_str(r, &m->message_id) || !get_ids(r, &m->in_reply_to, &m->nin_reply_to) ||
	    !get_ids(r, &m->references, &m->nreferences) || !get_str(r, &m->subject) ||
	    !get_str(r, &m->subject_base) || !get_sv(r, INT64_MIN / 2, INT64_MAX / 2, &date) ||
	    !get_sv(r, -(99 * 60 + 59), 99 * 60 + 59, &tz) || !get_str(r, &m->from_localpart) ||
	    !get_str(r, &m->from_domain) || !get_envelope(r, &m->envelope))
		return false;
	m->date = (time_t)date;
	m->date_tzoffset = (int)tz;
	return true;
}

struct mail_message *mail_deserialize(const void *p, size_t n, struct arena *a, struct error *err)
{
	struct reader r = {.p = p, .n = n, .a = a, .err = err};
	if (n < 4 || memcmp(p, magic, sizeof magic) != 0) {
		error_set(err, ERR_INVALID, "stored message structure: bad magic");
		return NULL;
	}
	if (r.p[3] != MAIL_SERIALIZE_VERSION) {
		error_set(err, ERR_INVALID, "stored message structure: version %u, want %u", r.p[3],
			  MAIL_SERIALIZE_VERSION);
		return NULL;
	}
	r.i = 4;
	struct mail_message *m = arena_zalloc(a, sizeof *m);
	if (!get_message_fields(&r, m) || !get_part(&r, &m->root, (struct bounds){0, m->size}, 0))
		return NULL;
	if (m->root.header_start != 0 || m->root.end != m->size) {
		bad(&r, "root part does not cover the message");
		return NULL;
	}
	if (r.i != r.n) {
		bad(&r, "trailing bytes");
		return NULL;
	}
	return m;
}
