/*
 * dkim: DomainKeys Identified Mail signatures (RFC 6376), with the algorithm
 * update of RFC 8301 and Ed25519 (RFC 8463), as mox signs and verifies them.
 *
 * The pieces, each usable alone:
 *   - dkim_sig_parse / dkim_sig_format: a DKIM-Signature header field (RFC
 *     6376 3.5) to a struct dkim_sig and back;
 *   - dkim_record_parse / dkim_record_format: a key record (RFC 6376 3.6.1),
 *     and dkim_record_key for its public key;
 *   - dkim_sign: the DKIM-Signature header lines for a message, one per
 *     selector, as mox signs (oversigning: every signed header field name is
 *     listed once more than the message has it, so no field of that name can
 *     be added later, RFC 6376 5.4.2);
 *   - dkim_verify_sig: one signature against a key record (RFC 6376 6.1.2
 *     and 6.1.3); dkim_verify: every signature of a message, looking up the
 *     keys through a lookup function.
 *
 * Decisions as mox makes them: rsa-sha1 signatures are verified (RFC 8301
 * 3.1 says they must fail; mox verifies them and lets Hash sha1 be
 * configured, tern follows mox), RSA keys under 1024 bits fail (RFC 8301
 * 3.2, permerror), signatures must sign From (RFC 6376 5.4), a signature
 * past its x= has permerror, a d= that is a top-level domain has permerror,
 * a key record with t=y turns a failure into "none" unless the caller asks
 * otherwise, t=s requires i= in exactly d=. The default policy (mox's
 * DefaultPolicy) refuses signatures with l= and signatures that do not sign
 * Subject, with status "policy"; l= is still implemented, for callers that
 * accept it: only l octets of the canonical body are hashed, and an l= beyond
 * the body fails.
 *
 * Bounds: a DKIM-Signature field of at most DKIM_SIG_BYTES_MAX bytes with at
 * most DKIM_SIG_HEADERS_MAX names in h=; at most DKIM_VERIFY_MAX signatures
 * of a message are evaluated (RFC 6376 4.2 lets verifiers limit them; the
 * rest are counted, not looked up); the message header is scanned as
 * mail/header.h does (MAIL_HEADER_FIELDS_MAX fields, MAIL_HEADER_BYTES_MAX
 * bytes): a longer header cannot be verified. Work per signature is linear
 * in the message size; DNS lookups are one per evaluated signature.
 *
 * Messages are given with CRLF line endings (as SMTP carries them). Results
 * live in the caller's arena. Functions are thread-safe.
 */
#ifndef TERN_MSGAUTH_DKIM_H
#define TERN_MSGAUTH_DKIM_H

#include "base/arena.h"
#include "base/buf.h"
#include "base/dnsname.h"
#include "base/error.h"
#include "base/str.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* OpenSSL's EVP_PKEY, without making every user include OpenSSL. */
struct evp_pkey_st;

#define DKIM_SIG_BYTES_MAX   (16 * 1024)
#define DKIM_SIG_HEADERS_MAX 256
#define DKIM_VERIFY_MAX      10
/* A localpart in i= longer than this is refused (mox allows 128 outside pedantic mode). */
#define DKIM_LOCALPART_MAX 128
/* The largest digest (SHA-256). */
#define DKIM_HASH_MAX 32

/* RFC 8601 2.7.1 result names. */
enum dkim_status {
	DKIM_NONE = 0, /* not signed (or a t=y key's failure) */
	DKIM_PASS,
	DKIM_FAIL,
	DKIM_POLICY,
	DKIM_NEUTRAL,
	DKIM_TEMPERROR,
	DKIM_PERMERROR,
};
const char *dkim_status_name(enum dkim_status s);

enum dkim_hash_alg {
	DKIM_HASH_UNKNOWN = 0,
	DKIM_HASH_SHA1,
	DKIM_HASH_SHA256,
};
enum dkim_key_alg {
	DKIM_KEY_UNKNOWN = 0,
	DKIM_KEY_RSA,
	DKIM_KEY_ED25519,
};
enum dkim_canon {
	DKIM_CANON_SIMPLE = 0,
	DKIM_CANON_RELAXED,
	DKIM_CANON_UNKNOWN,
};

/* "sha1", "sha256"; "rsa", "ed25519"; NULL for unknown. */
const char *dkim_hash_name(enum dkim_hash_alg h);
const char *dkim_key_name(enum dkim_key_alg k);
/* Digest length in bytes, 0 for unknown. */
size_t dkim_hash_len(enum dkim_hash_alg h);

/* A DKIM-Signature header field (RFC 6376 3.5). Strings are NUL-terminated, in the arena. */
struct dkim_sig {
	int version;               /* v=, always 1 once parsed */
	const char *algorithm;     /* a= as written, e.g. "rsa-sha256" */
	enum dkim_key_alg key_alg; /* DKIM_KEY_UNKNOWN for other key types */
	enum dkim_hash_alg hash_alg;
	uint8_t *signature; /* b=, decoded */
	size_t signature_len;
	uint8_t body_hash[DKIM_HASH_MAX]; /* bh= */
	size_t body_hash_len;
	const char *canonicalization; /* c= as written, "" when absent */
	enum dkim_canon header_canon, body_canon;
	struct dns_domain domain; /* d= */
	const char *selector;     /* s=, ASCII, lower case */
	const char **headers;     /* h=, names as written */
	size_t nheaders;
	bool has_identity;              /* i= present */
	const char *identity_localpart; /* decoded; NULL when i= has none ("@domain") */
	struct dns_domain identity_domain;
	int64_t length;             /* l=, -1 when absent; INT64_MAX for anything larger */
	const char **query_methods; /* q=, as written */
	size_t nquery_methods;
	int64_t sign_time;          /* t=, -1 when absent */
	int64_t expire_time;        /* x=, -1 when absent */
	const char *copied_headers; /* z= as written, NULL when absent */
	/* The field as parsed (pointing into the parser's input), and the range of its
	 * b= value, deleted for hashing (RFC 6376 3.7). */
	struct str field;
	size_t b_start, b_end;
};

/*
 * Parses a whole DKIM-Signature field, "DKIM-Signature: ..." without its final
 * line ending. Missing required tags (v a b bh d h s), bad values, an i=
 * outside d=, x= not after t=, and a bh= of the wrong length for a known hash
 * are errors (ERR_INVALID, ERR_LIMIT for sizes).
 */
bool dkim_sig_parse(struct arena *a, struct str field, struct dkim_sig *sig, struct error *err);

/* Appends the field (name, value, CRLF), folded at 78 columns as mox folds it.
 * Tags with default values are left out. */
void dkim_sig_format(const struct dkim_sig *sig, struct buf *out);

/* A key record (RFC 6376 3.6.1). */
struct dkim_record {
	const char *version; /* "DKIM1" */
	const char **hashes; /* h=; none: every hash allowed */
	size_t nhashes;
	const char *key_type; /* k= as written, "rsa" by default */
	enum dkim_key_alg key_alg;
	const char *notes;   /* n=, decoded; "" when absent */
	uint8_t *public_key; /* p=, decoded; empty: revoked */
	size_t public_key_len;
	const char **services; /* s=; "*" by default */
	size_t nservices;
	const char **flags; /* t= */
	size_t nflags;
};

/*
 * Parses a key record (the TXT record's strings joined). *is_dkim says
 * whether the text claims to be a DKIM record (a v=DKIM1 tag, or any tag
 * parsed): RFC 6376 6.1.2 ignores text that is not, and a claimed record that
 * is invalid is a permanent error. Unknown key types and undecodable keys are
 * errors.
 */
bool dkim_record_parse(struct arena *a, struct str txt, struct dkim_record *rec, bool *is_dkim,
		       struct error *err);
/* Appends the record text, with only the tags that differ from the defaults
 * (v=DKIM1 first, p= last), as mox writes records. */
void dkim_record_format(const struct dkim_record *rec, struct buf *out);
/* The record's public key (RSA SubjectPublicKeyInfo or RSAPublicKey, or the
 * raw Ed25519 key). NULL with err for a revoked key or one that does not
 * decode. The caller frees it with EVP_PKEY_free. */
struct evp_pkey_st *dkim_record_key(const struct dkim_record *rec, struct error *err);
/* Whether t= has flag f (case-insensitive), whether s= allows email. */
bool dkim_record_flag(const struct dkim_record *rec, const char *f);
bool dkim_record_allows_email(const struct dkim_record *rec);

/* ---- Signing ---- */

/* One selector to sign with: the DKIM settings of a domains.conf selector. */
struct dkim_signer {
	const char *selector; /* ASCII */
	enum dkim_hash_alg hash;
	enum dkim_canon header_canon, body_canon;
	const char *const *headers; /* names to sign; must include From */
	size_t nheaders;
	bool seal_headers;          /* oversign (mox: !DontSealHeaders) */
	int64_t expiration_seconds; /* 0: no x= */
	struct evp_pkey_st *key;    /* RSA or Ed25519 */
};

/*
 * A message to sign or verify: header lines to put in front (e.g. a Date or
 * Message-ID that submission adds; "" for none) and the message itself.
 */
struct dkim_message {
	const char *prefix;
	size_t prefix_len;
	const char *data;
	size_t len;
};

/*
 * Appends to out one DKIM-Signature field per signer, signing for domain with
 * i=localpart@domain (localpart NULL: no i=; written dkim-quoted-printable,
 * quoted as RFC 5321 needs), t=now. The message must have exactly one From
 * field.
 */
bool dkim_sign(const struct dkim_signer *signers, size_t nsigners, const char *localpart,
	       const struct dns_domain *domain, int64_t now, const struct dkim_message *msg,
	       struct buf *out, struct error *err);

/* ---- Verification ---- */

struct dkim_result {
	enum dkim_status status;
	const struct dkim_sig *sig;       /* NULL when the field did not parse */
	const struct dkim_record *record; /* NULL when no record was found */
	const char *record_txt;           /* the record as found, NULL without one */
	bool record_authentic;            /* the record's DNS answer was DNSSEC-validated */
	const char *why;                  /* why the status is not pass; "" for pass */
};

/* What is accepted. The zero value is mox's DefaultPolicy with test mode
 * honoured and x= checked against the current time. */
struct dkim_policy {
	bool accept_length;          /* l= allowed */
	bool accept_without_subject; /* Subject need not be signed */
	bool ignore_test_mode;       /* t=y failures stay failures */
	bool allow_localhost;        /* d=localhost accepted (localserve) */
	int64_t now;                 /* unix seconds for x=; 0: the current time */
};

/* The checks of a signature that need no key record (RFC 6376 6.1.1): From
 * signed, not expired, d= not a top-level domain, known algorithms and
 * canonicalization, q= dns/txt. false (status permerror) with why. */
bool dkim_check_sig(const struct dkim_sig *sig, const struct dkim_policy *pol, const char **why);
/* The policy's verdict (status policy when false): l= and Subject. */
bool dkim_policy_accepts(const struct dkim_sig *sig, const struct dkim_policy *pol,
			 const char **why);

/*
 * The prepared message for dkim_verify_sig: its header fields, body and the
 * body hashes computed so far (shared by signatures with the same
 * canonicalization, hash and length). dkim_msg_init fails (ERR_INVALID or
 * ERR_LIMIT) when the header cannot be split reliably (a line without a
 * field name, more fields or bytes than mail/header.h scans).
 */
struct dkim_msg;
struct dkim_msg *dkim_msg_init(struct arena *a, const struct dkim_message *m, struct error *err);
/* Its DKIM-Signature fields in order (name to end, without the line ending). */
size_t dkim_msg_signatures(const struct dkim_msg *m, const struct str **fields);

/* Verifies sig against rec (RFC 6376 6.1.2 steps 6 to 11, 6.1.3). */
enum dkim_status dkim_verify_sig(struct dkim_msg *m, const struct dkim_sig *sig,
				 const struct dkim_record *rec, const struct dkim_policy *pol,
				 const char **why);

#endif
