/*
 * dkim_msg: a message prepared for signing and verifying (internal to
 * msgauth's DKIM code; struct dkim_msg is opaque in msgauth/dkim.h).
 *
 * It holds the header fields with their raw bytes, an index to pick fields
 * by name from the bottom (RFC 6376 5.4.2: the last unused instance first),
 * the body, and the body hashes computed so far, so signatures that share a
 * canonicalization, hash and length hash the body once. Everything is in the
 * caller's arena; not thread-safe (one message, one thread).
 */
#ifndef TERN_MSGAUTH_DKIM_MSG_H
#define TERN_MSGAUTH_DKIM_MSG_H

#include "mail/header.h"
#include "msgauth/dkim.h"

/* Distinct body hashes kept per message: a signer's selectors, or the signatures verified. */
#define DKIM_BODY_HASHES_MAX (2 * DKIM_VERIFY_MAX)

struct dkim_body_digest {
	enum dkim_canon canon;
	enum dkim_hash_alg hash;
	int64_t length;
	uint8_t digest[DKIM_HASH_MAX];
	uint64_t canon_len; /* the canonical length of the whole body */
};

struct dkim_msg {
	struct arena *a;
	const char *hdr; /* the header section (prefix lines included), contiguous */
	size_t hdr_len;
	const char *body;
	size_t body_len;
	struct mail_header h;
	struct str *raw;  /* each field's bytes, name to end of value, no line ending */
	size_t *by_name;  /* field indices sorted by lower-case name, then position */
	struct str *sigs; /* the DKIM-Signature fields, top to bottom */
	size_t nsigs;
	struct dkim_body_digest bodies[DKIM_BODY_HASHES_MAX];
	size_t nbodies;
};

/* How many fields are named name (case-insensitive). */
size_t dkim_msg_count(struct dkim_msg *m, const char *name);

/* The body hash for (canon, hash, length), computed once. digest gets
 * dkim_hash_len(hash) bytes; canon_len the canonical length of the body. */
bool dkim_msg_body_hash(struct dkim_msg *m, enum dkim_canon canon, enum dkim_hash_alg hash,
			int64_t length, uint8_t *digest, uint64_t *canon_len, struct error *err);

/* RFC 6376 3.7: the hash of the signed header fields (named by names, picked
 * from the bottom, canonicalized by c) followed by the DKIM-Signature field
 * sig (with its b= value empty, no line ending). */
bool dkim_msg_header_hash(struct dkim_msg *m, const char *const *names, size_t n, enum dkim_canon c,
			  enum dkim_hash_alg hash, struct str sig, uint8_t *digest,
			  struct error *err);

#endif
