#include "msgauth/dkim_msg.h"

#include "mail/mail.h"
#include "msgauth/dkim_canon.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* Compares names ASCII-case-insensitively, as header field names compare. */
static int name_cmp(struct str a, struct str b)
{
	size_t n = a.len < b.len ? a.len : b.len;
	for (size_t i = 0; i < n; i++) {
		int d = (unsigned char)ascii_lower(a.p[i]) - (unsigned char)ascii_lower(b.p[i]);
		if (d)
			return d;
	}
	return a.len < b.len ? -1 : a.len > b.len;
}

static int by_name_cmp(const void *x, const void *y, void *arg)
{
	const struct mail_header *h = arg;
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	int d = name_cmp(h->fields[i].name, h->fields[j].name);
	return d ? d : (i > j) - (i < j);
}

/* A header DKIM cannot rely on: where it ends or what it holds is unclear. */
static bool scan_ok(unsigned flags, struct error *err)
{
	if (flags & MAIL_F_HEADER_BAD_LINE)
		return error_set(err, ERR_INVALID, "malformed header: a line without a field name");
	if (flags & MAIL_F_HEADER_TRUNCATED)
		return error_set(err, ERR_LIMIT,
				 "header too large: more than %d fields or %d bytes",
				 MAIL_HEADER_FIELDS_MAX, MAIL_HEADER_BYTES_MAX);
	return true;
}

/* Splits the header: the fields, their raw bytes, the DKIM-Signature fields. */
static bool split_header(struct dkim_msg *m, struct error *err)
{
	size_t body = mail_header_scan(m->hdr, 0, m->hdr_len, m->a, &m->h);
	if (!scan_ok(m->h.flags, err))
		return false;
	m->hdr_len = body;
	size_t n = m->h.n;
	m->raw = arena_array(m->a, n ? n : 1, sizeof *m->raw);
	m->by_name = arena_array(m->a, n ? n : 1, sizeof *m->by_name);
	m->sigs = arena_array(m->a, n ? n : 1, sizeof *m->sigs);
	for (size_t i = 0; i < n; i++) {
		const struct mail_field *f = &m->h.fields[i];
		size_t end = (size_t)(f->value.p + f->value.len - m->hdr);
		m->raw[i] = str_make(m->hdr + f->offset, end - f->offset);
		m->by_name[i] = i;
		if (str_eqi_cstr(f->name, "DKIM-Signature"))
			m->sigs[m->nsigs++] = m->raw[i];
	}
	qsort_r(m->by_name, n, sizeof *m->by_name, by_name_cmp, &m->h);
	return true;
}

struct dkim_msg *dkim_msg_init(struct arena *a, const struct dkim_message *in, struct error *err)
{
	struct dkim_msg *m = arena_zalloc(a, sizeof *m);
	m->a = a;
	/* Where the message's own body starts, then the header with the prefix in front. */
	struct mail_header scan;
	size_t body = mail_header_scan(in->data, 0, in->len, a, &scan);
	if (!scan_ok(scan.flags, err))
		return NULL;
	m->body = in->data + body;
	m->body_len = in->len - body;
	if (in->prefix_len == 0) {
		m->hdr = in->data;
		m->hdr_len = body;
	} else {
		char *h = arena_alloc(a, in->prefix_len + body + 1);
		memcpy(h, in->prefix, in->prefix_len);
		memcpy(h + in->prefix_len, in->data, body);
		h[in->prefix_len + body] = '\0';
		m->hdr = h;
		m->hdr_len = in->prefix_len + body;
	}
	return split_header(m, err) ? m : NULL;
}

size_t dkim_msg_signatures(const struct dkim_msg *m, const struct str **fields)
{
	*fields = m->sigs;
	return m->nsigs;
}

/* The range [*lo, *hi) of by_name with this name. */
static void name_range(const struct dkim_msg *m, struct str name, size_t *lo, size_t *hi)
{
	size_t l = 0, h = m->h.n;
	while (l < h) {
		size_t mid = l + (h - l) / 2;
		if (name_cmp(m->h.fields[m->by_name[mid]].name, name) < 0)
			l = mid + 1;
		else
			h = mid;
	}
	*lo = l;
	h = m->h.n;
	while (l < h) {
		size_t mid = l + (h - l) / 2;
		if (name_cmp(m->h.fields[m->by_name[mid]].name, name) <= 0)
			l = mid + 1;
		else
			h = mid;
	}
	*hi = l;
}

size_t dkim_msg_count(struct dkim_msg *m, const char *name)
{
	size_t lo, hi;
	name_range(m, str_from(name), &lo, &hi);
	return hi - lo;
}

bool dkim_msg_body_hash(struct dkim_msg *m, enum dkim_canon canon, enum dkim_hash_alg hash,
			int64_t length, uint8_t *digest, uint64_t *canon_len, struct error *err)
{
	size_t dlen = dkim_hash_len(hash);
	for (size_t i = 0; i < m->nbodies; i++) {
		const struct dkim_body_digest *b = &m->bodies[i];
		if (b->canon == canon && b->hash == hash && b->length == length) {
			memcpy(digest, b->digest, dlen);
			*canon_len = b->canon_len;
			return true;
		}
	}
	struct dkim_body_hash h;
	if (!dkim_body_hash_init(&h, canon, hash, length, err))
		return false;
	dkim_body_hash_update(&h, m->body, m->body_len);
	dkim_body_hash_final(&h, digest);
	*canon_len = h.length;
	if (m->nbodies < DKIM_BODY_HASHES_MAX) {
		struct dkim_body_digest *b = &m->bodies[m->nbodies++];
		b->canon = canon;
		b->hash = hash;
		b->length = length;
		memcpy(b->digest, digest, dlen);
		b->canon_len = *canon_len;
	}
	return true;
}

bool dkim_msg_header_hash(struct dkim_msg *m, const char *const *names, size_t n, enum dkim_canon c,
			  enum dkim_hash_alg hash, struct str sig, uint8_t *digest,
			  struct error *err)
{
	const EVP_MD *md = dkim_evp_md(hash);
	EVP_MD_CTX *ctx = md ? EVP_MD_CTX_new() : NULL;
	if (!ctx || EVP_DigestInit_ex(ctx, md, NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		ERR_clear_error();
		return error_set(err, ERR_INTERNAL, "cannot start hash");
	}
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		/* RFC 6376 5.4.2: each name takes the last instance not yet taken. */
		struct str name = str_from(names[i]);
		size_t used = 0;
		for (size_t k = 0; k < i; k++)
			used += name_cmp(str_from(names[k]), name) == 0;
		size_t lo, hi;
		name_range(m, name, &lo, &hi);
		if (used >= hi - lo)
			continue; /* a field that is not there contributes nothing */
		buf_reset(&b);
		dkim_canon_header(c, m->raw[m->by_name[hi - 1 - used]], true, &b);
		EVP_DigestUpdate(ctx, b.data, b.len);
	}
	/* RFC 6376 3.7: the signature field last, canonicalized, without its CRLF. */
	buf_reset(&b);
	dkim_canon_header(c, sig, false, &b);
	EVP_DigestUpdate(ctx, b.data ? b.data : "", b.len);
	unsigned int len = 0;
	EVP_DigestFinal_ex(ctx, digest, &len);
	EVP_MD_CTX_free(ctx);
	buf_free(&b);
	return true;
}
