#include "msgauth/dkim_canon.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <string.h>

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* ---- Header fields ---- */

/* RFC 6376 3.4.2: lower-case name, unfolded value with white space runs as
 * one SP, none at either end of the value, none around the colon. */
static void relaxed_header(struct str f, struct buf *out)
{
	size_t colon = 0;
	while (colon < f.len && f.p[colon] != ':')
		colon++;
	size_t name_end = colon;
	while (name_end > 0 && is_wsp(f.p[name_end - 1]))
		name_end--;
	for (size_t i = 0; i < name_end; i++)
		buf_putc(out, ascii_lower(f.p[i]));
	buf_putc(out, ':');
	bool space = false, started = false;
	for (size_t i = colon + 1; i < f.len; i++) {
		char c = f.p[i];
		/* Unfolding removes the line endings; the white space after them stays. */
		if (c == '\r' && i + 1 < f.len && f.p[i + 1] == '\n')
			continue;
		if (c == '\n')
			continue;
		if (is_wsp(c)) {
			space = started;
			continue;
		}
		if (space)
			buf_putc(out, ' ');
		space = false;
		started = true;
		buf_putc(out, c);
	}
}

void dkim_canon_header(enum dkim_canon c, struct str field, bool crlf, struct buf *out)
{
	if (c == DKIM_CANON_RELAXED)
		relaxed_header(field, out);
	else
		buf_append(out, field.p, field.len); /* RFC 6376 3.4.1: unchanged */
	if (crlf)
		buf_puts(out, "\r\n");
}

/* ---- Body ---- */

const struct evp_md_st *dkim_evp_md(enum dkim_hash_alg alg)
{
	switch (alg) {
	case DKIM_HASH_SHA1: return EVP_sha1();
	case DKIM_HASH_SHA256: return EVP_sha256();
	case DKIM_HASH_UNKNOWN: break;
	}
	return NULL;
}

bool dkim_body_hash_init(struct dkim_body_hash *h, enum dkim_canon c, enum dkim_hash_alg alg,
			 int64_t limit, struct error *err)
{
	memset(h, 0, sizeof *h);
	h->canon = c;
	h->limit = limit < 0 ? UINT64_MAX : (uint64_t)limit;
	const EVP_MD *md = dkim_evp_md(alg);
	if (!md)
		return error_set(err, ERR_INVALID, "unknown hash algorithm");
	h->md = EVP_MD_CTX_new();
	if (!h->md || EVP_DigestInit_ex(h->md, md, NULL) != 1) {
		ERR_clear_error();
		dkim_body_hash_free(h);
		return error_set(err, ERR_INTERNAL, "cannot start hash");
	}
	return true;
}

static void flush(struct dkim_body_hash *h)
{
	if (h->nout)
		EVP_DigestUpdate(h->md, h->out, h->nout);
	h->nout = 0;
}

/* Canonical output: counted, and hashed up to the limit (RFC 6376 3.5 l=). */
static void emit(struct dkim_body_hash *h, const char *p, size_t n)
{
	uint64_t hashed = h->length < h->limit ? h->length : h->limit;
	h->length += n;
	uint64_t room = h->limit - hashed;
	if (room < n)
		n = (size_t)room;
	if (n == 0)
		return;
	if (h->nout + n > sizeof h->out) {
		flush(h);
		if (n >= sizeof h->out) {
			EVP_DigestUpdate(h->md, p, n);
			return;
		}
	}
	memcpy(h->out + h->nout, p, n);
	h->nout += n;
}

static void emit_held_crlfs(struct dkim_body_hash *h)
{
	for (; h->held_crlfs > 0; h->held_crlfs--)
		emit(h, "\r\n", 2);
}

/* RFC 6376 3.4.3: the run of CRLFs at the end is replaced by one CRLF. A CRLF is
 * held until something follows it; nothing else changes. */
static void simple_update(struct dkim_body_hash *h, const char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (h->cr_held) {
			h->cr_held = false;
			if (p[i] == '\n') {
				h->held_crlfs++;
				i++;
				continue;
			}
			emit_held_crlfs(h);
			emit(h, "\r", 1);
		}
		const char *cr = memchr(p + i, '\r', n - i);
		size_t end = cr ? (size_t)(cr - p) : n;
		if (end > i) {
			emit_held_crlfs(h);
			emit(h, p + i, end - i);
		}
		if (cr)
			h->cr_held = true;
		i = end + (cr ? 1 : 0);
	}
}

/* A byte of content on the current line: the empty lines before it and its
 * leading white space are real. */
static void relaxed_content(struct dkim_body_hash *h, const char *p, size_t n)
{
	if (!h->line_content)
		emit_held_crlfs(h);
	if (h->wsp_held)
		emit(h, " ", 1);
	h->wsp_held = false;
	h->line_content = true;
	emit(h, p, n);
}

/* RFC 6376 3.4.4: white space at the end of a line is dropped, runs of it
 * become one SP; empty lines are held until content follows them. */
static void relaxed_update(struct dkim_body_hash *h, const char *p, size_t n)
{
	size_t i = 0;
	if (n > 0)
		h->any = true;
	while (i < n) {
		char c = p[i];
		if (h->cr_held) {
			h->cr_held = false;
			if (c == '\n') {
				h->wsp_held = false;
				if (h->line_content)
					emit(h, "\r\n", 2);
				else
					h->held_crlfs++;
				h->line_content = false;
				i++;
				continue;
			}
			relaxed_content(h, "\r", 1); /* a lone CR is content */
		}
		if (c == '\r') {
			h->cr_held = true;
			i++;
		} else if (is_wsp(c)) {
			h->wsp_held = true;
			i++;
		} else {
			size_t j = i + 1;
			while (j < n && p[j] != '\r' && !is_wsp(p[j]))
				j++;
			relaxed_content(h, p + i, j - i);
			i = j;
		}
	}
}

void dkim_body_hash_update(struct dkim_body_hash *h, const char *p, size_t n)
{
	if (h->canon == DKIM_CANON_RELAXED)
		relaxed_update(h, p, n);
	else
		simple_update(h, p, n);
}

void dkim_body_hash_final(struct dkim_body_hash *h, uint8_t *digest)
{
	if (h->canon == DKIM_CANON_RELAXED) {
		if (h->cr_held)
			relaxed_content(h, "\r", 1);
		/* A body that does not end in CRLF gets one; trailing empty lines go. */
		if (h->line_content)
			emit(h, "\r\n", 2);
	} else {
		if (h->cr_held) {
			emit_held_crlfs(h);
			emit(h, "\r", 1);
		}
		emit(h, "\r\n", 2);
	}
	h->cr_held = false;
	h->held_crlfs = 0;
	flush(h);
	unsigned int len = 0;
	EVP_DigestFinal_ex(h->md, digest, &len);
	dkim_body_hash_free(h);
}

void dkim_body_hash_free(struct dkim_body_hash *h)
{
	EVP_MD_CTX_free(h->md);
	h->md = NULL;
}
