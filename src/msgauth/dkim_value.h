/*
 * dkim_value: the value syntaxes shared by DKIM-Signature fields and key
 * records (RFC 6376 2.10, 2.11, 3.5, 3.6.1): algorithm and canonicalization
 * names, colon-separated lists, domain names and selectors, base64 with
 * folding white space, and dkim-quoted-printable. Internal to msgauth's DKIM
 * code. Pure and thread-safe; results go to the caller's arena or buffer.
 */
#ifndef TERN_MSGAUTH_DKIM_VALUE_H
#define TERN_MSGAUTH_DKIM_VALUE_H

#include "base/arena.h"
#include "base/buf.h"
#include "base/dnsname.h"
#include "base/error.h"
#include "base/str.h"
#include "msgauth/dkim.h"

#include <stdbool.h>
#include <stddef.h>

/* ALPHA *(ALPHA / DIGIT), or with hyphens the hyphenated-word of RFC 6376 2.10. */
bool dkim_value_is_word(struct str s, bool hyphens);

enum dkim_key_alg dkim_key_parse(struct str s);
enum dkim_hash_alg dkim_hash_parse(struct str s);
enum dkim_canon dkim_canon_parse(struct str s);

enum dkim_value_item {
	DKIM_VALUE_FIELD_NAME,   /* h= of signatures: header field names */
	DKIM_VALUE_QUERY_METHOD, /* q=: hyphenated-word ["/" args] */
	DKIM_VALUE_WORD,         /* h= and t= of records: hyphenated-word */
	DKIM_VALUE_SERVICE,      /* s= of records: hyphenated-word or "*" */
};

/* Splits a colon-separated list ([FWS] ":" [FWS] between items) into at most
 * max items of the given syntax, copied into the arena. */
bool dkim_value_list(struct arena *a, struct str v, enum dkim_value_item kind, size_t max,
		     const char ***out, size_t *n, struct error *err);

/* A domain name in A-label form (RFC 6376 3.5 d=, i=). */
bool dkim_value_domain(struct str v, struct dns_domain *out, struct error *err);
/* A selector: labels of letters, digits, "-" and (as in the wild, and mox) "_";
 * lower-cased into the arena. */
bool dkim_value_selector(struct arena *a, struct str v, const char **out, struct error *err);

/* Decodes base64 with folding white space (RFC 6376 2.4) into out. */
bool dkim_value_base64(struct str v, struct buf *out);

/* dkim-quoted-printable (RFC 6376 2.11): "=XX" octets, folding white space
 * removed. */
bool dkim_qp_decode(struct str v, struct buf *out, struct error *err);
/* qp-section (RFC 2045 6.7, as n= of key records): "=XX" octets, white space kept. */
bool dkim_qp_section_decode(struct str v, struct buf *out, struct error *err);
/* Appends s with every byte outside dkim-safe-char as "=XX". */
void dkim_qp_encode(struct str s, struct buf *out);

#endif
