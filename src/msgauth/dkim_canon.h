/*
 * dkim_canon: the canonicalization algorithms of RFC 6376 3.4, and the body
 * hash of 3.7 computed while canonicalizing.
 *
 * dkim_canon_header gives the canonical form of one header field; the body
 * hash takes the body in pieces of any size (split anywhere, even between CR
 * and LF), holds back only what the end of the body may still change (a run
 * of empty lines, a pending CR, white space), and so needs constant memory
 * whatever the body. With a length limit (l=) only that many canonical octets
 * are hashed; the canonical length of the whole body is counted regardless,
 * so a verifier can tell an l= beyond the body.
 *
 * Simple body (3.4.3): trailing empty lines are dropped and the body ends in
 * exactly one CRLF (an empty body becomes CRLF). Relaxed body (3.4.4): white
 * space at the end of lines is dropped, runs of white space become one SP,
 * trailing empty lines are dropped, a non-empty body that does not end in
 * CRLF gets one; an empty body stays empty.
 */
#ifndef TERN_MSGAUTH_DKIM_CANON_H
#define TERN_MSGAUTH_DKIM_CANON_H

#include "base/buf.h"
#include "base/error.h"
#include "base/str.h"
#include "msgauth/dkim.h"

#include <stdbool.h>
#include <stdint.h>

/* Appends the canonical form of field (raw bytes from the name to the end of
 * the value, without the final line ending), then CRLF when crlf is set. */
void dkim_canon_header(enum dkim_canon c, struct str field, bool crlf, struct buf *out);

#define DKIM_CANON_CHUNK 4096

struct evp_md_ctx_st;

struct dkim_body_hash {
	enum dkim_canon canon;
	struct evp_md_ctx_st *md;
	uint64_t limit;  /* canonical octets to hash; UINT64_MAX: all */
	uint64_t length; /* canonical octets produced so far */
	/* What the end of the body may still drop or change. */
	uint64_t held_crlfs; /* CRLFs of empty lines (simple: any CRLF run) */
	bool cr_held;        /* a CR that may start a CRLF */
	bool wsp_held;       /* relaxed: white space that becomes one SP unless the line ends */
	bool line_content;   /* relaxed: the current line has content */
	bool any;            /* relaxed: the body has any byte */
	char out[DKIM_CANON_CHUNK];
	size_t nout;
};

/* limit < 0: the whole body. */
bool dkim_body_hash_init(struct dkim_body_hash *h, enum dkim_canon c, enum dkim_hash_alg alg,
			 int64_t limit, struct error *err);
void dkim_body_hash_update(struct dkim_body_hash *h, const char *p, size_t n);
/* Writes the digest (dkim_hash_len bytes) and frees the hash state. */
void dkim_body_hash_final(struct dkim_body_hash *h, uint8_t *digest);
/* Frees the state of a hash that is not finished (idempotent). */
void dkim_body_hash_free(struct dkim_body_hash *h);

/* The OpenSSL digest for alg, NULL for unknown. */
const struct evp_md_st *dkim_evp_md(enum dkim_hash_alg alg);

#endif
