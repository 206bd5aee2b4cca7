/*
 * DKIM verification of one signature (RFC 6376 6.1): the checks that need no
 * key, the policy, and the verification against a key record, in mox's order.
 */
#include "msgauth/dkim.h"

#include "msgauth/dkim_msg.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <string.h>
#include <time.h>

static bool signs(const struct dkim_sig *sig, const char *name)
{
	for (size_t i = 0; i < sig->nheaders; i++)
		if (ascii_caseeq(sig->headers[i], name))
			return true;
	return false;
}

bool dkim_check_sig(const struct dkim_sig *sig, const struct dkim_policy *pol, const char **why)
{
	/* RFC 6376 5.4 and 6.1.1: From must be signed. */
	if (!signs(sig, "From")) {
		*why = "From header field not signed";
		return false;
	}
	int64_t now = pol->now ? pol->now : (int64_t)time(NULL);
	/* RFC 6376 6.1.1: signatures past x= may be treated as invalid; mox does. */
	if (sig->expire_time >= 0 && sig->expire_time < now) {
		*why = "signature expired (x=)";
		return false;
	}
	/* RFC 6376 6.1.1: a signature for a domain above the organizational domain is
	 * refused; a single label is a top-level domain (mox uses the public suffix list). */
	if (dns_domain_labels(&sig->domain) < 2 &&
	    !(pol->allow_localhost && strcmp(sig->domain.ascii, "localhost") == 0)) {
		*why = "signing domain is a top-level domain";
		return false;
	}
	if (sig->key_alg == DKIM_KEY_UNKNOWN) {
		*why = "unknown signature algorithm";
		return false;
	}
	if (sig->hash_alg == DKIM_HASH_UNKNOWN) {
		*why = "unknown hash algorithm";
		return false;
	}
	if (sig->header_canon == DKIM_CANON_UNKNOWN || sig->body_canon == DKIM_CANON_UNKNOWN) {
		*why = "unknown canonicalization";
		return false;
	}
	/* RFC 6376 3.5 q=: dns/txt is the only method defined. */
	bool dnstxt = sig->nquery_methods == 0;
	for (size_t i = 0; i < sig->nquery_methods; i++)
		dnstxt |= ascii_caseeq(sig->query_methods[i], "dns/txt");
	if (!dnstxt) {
		*why = "no supported query method (q=), need dns/txt";
		return false;
	}
	return true;
}

bool dkim_policy_accepts(const struct dkim_sig *sig, const struct dkim_policy *pol,
			 const char **why)
{
	/* mox's DefaultPolicy: an l= leaves unsigned content a reader cannot tell from
	 * the signed part (RFC 6376 8.2), and a signature without Subject says little. */
	if (sig->length >= 0 && !pol->accept_length) {
		*why = "l= (body length) not acceptable";
		return false;
	}
	if (!pol->accept_without_subject && !signs(sig, "Subject")) {
		*why = "Subject header field not signed";
		return false;
	}
	return true;
}

/* RSA PKCS #1 v1.5 or Ed25519 (RFC 8463 3: PureEdDSA over the SHA-256 digest). */
static bool verify_digest(EVP_PKEY *key, enum dkim_hash_alg hash, const uint8_t *digest,
			  size_t dlen, const uint8_t *sig, size_t siglen)
{
	bool ok;
	if (EVP_PKEY_base_id(key) == EVP_PKEY_ED25519) {
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();
		ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
		     EVP_DigestVerify(ctx, sig, siglen, digest, dlen) == 1;
		EVP_MD_CTX_free(ctx);
	} else {
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
		ok = ctx && EVP_PKEY_verify_init(ctx) == 1 &&
		     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_signature_md(
			 ctx, hash == DKIM_HASH_SHA1 ? EVP_sha1() : EVP_sha256()) == 1 &&
		     EVP_PKEY_verify(ctx, sig, siglen, digest, dlen) == 1;
		EVP_PKEY_CTX_free(ctx);
	}
	ERR_clear_error();
	return ok;
}

/* RFC 6376 6.1.2 steps 6 to 11: whether the record may verify this signature. */
static enum dkim_status check_record(const struct dkim_sig *sig, const struct dkim_record *rec,
				     const char **why)
{
	if (rec->nhashes > 0) {
		bool ok = false;
		for (size_t i = 0; i < rec->nhashes; i++)
			ok |= ascii_caseeq(rec->hashes[i], dkim_hash_name(sig->hash_alg));
		if (!ok) {
			*why = "hash algorithm not allowed by key record (h=)";
			return DKIM_PERMERROR;
		}
	}
	if (rec->key_alg != sig->key_alg) {
		*why = "signature algorithm does not match key record (k=)";
		return DKIM_PERMERROR;
	}
	if (rec->public_key_len == 0) {
		*why = "key revoked (empty p=)";
		return DKIM_PERMERROR;
	}
	if (!dkim_record_allows_email(rec)) {
		*why = "key record not for email (s=)";
		return DKIM_PERMERROR;
	}
	/* RFC 6376 3.6.1 t=s: i= must not be a subdomain of d=. */
	if (dkim_record_flag(rec, "s") && sig->has_identity &&
	    strcmp(sig->identity_domain.ascii, sig->domain.ascii) != 0) {
		*why = "key record requires i= domain to equal d= (t=s)";
		return DKIM_PERMERROR;
	}
	return DKIM_PASS;
}

/* The key, checked against RFC 8301 3.2's minimum size. */
static enum dkim_status record_key(const struct dkim_record *rec, EVP_PKEY **key, const char **why)
{
	struct error err = {0};
	*key = dkim_record_key(rec, &err);
	if (!*key) {
		*why = "public key in record does not decode";
		return DKIM_PERMERROR;
	}
	if (EVP_PKEY_base_id(*key) == EVP_PKEY_RSA && EVP_PKEY_get_bits(*key) < 1024) {
		*why = "RSA key smaller than 1024 bits (RFC 8301)";
		return DKIM_PERMERROR;
	}
	return DKIM_PASS;
}

/* The header hash and signature first, then the body: a bad signature costs no body hash. */
static enum dkim_status verify_hashes(struct dkim_msg *m, const struct dkim_sig *sig, EVP_PKEY *key,
				      const char **why)
{
	struct error err = {0};
	size_t dlen = dkim_hash_len(sig->hash_alg);
	uint8_t digest[DKIM_HASH_MAX];
	/* RFC 6376 3.7: the field itself, with the b= value deleted. */
	struct buf self = BUF_INIT;
	buf_append(&self, sig->field.p, sig->b_start);
	buf_append(&self, sig->field.p + sig->b_end, sig->field.len - sig->b_end);
	bool ok = dkim_msg_header_hash(m, sig->headers, sig->nheaders, sig->header_canon,
				       sig->hash_alg, str_make(self.data, self.len), digest, &err);
	buf_free(&self);
	if (!ok) {
		*why = "cannot compute the header hash";
		return DKIM_TEMPERROR;
	}
	if (!verify_digest(key, sig->hash_alg, digest, dlen, sig->signature, sig->signature_len)) {
		*why = "signature did not verify";
		return DKIM_FAIL;
	}
	uint64_t canon_len;
	if (!dkim_msg_body_hash(m, sig->body_canon, sig->hash_alg, sig->length, digest, &canon_len,
				&err)) {
		*why = "cannot compute the body hash";
		return DKIM_TEMPERROR;
	}
	/* RFC 6376 3.5 l=: "MUST NOT be larger than the actual number of octets". */
	if (sig->length >= 0 && (uint64_t)sig->length > canon_len) {
		*why = "l= is larger than the body";
		return DKIM_FAIL;
	}
	if (sig->body_hash_len != dlen || CRYPTO_memcmp(digest, sig->body_hash, dlen) != 0) {
		*why = "body hash does not match";
		return DKIM_FAIL;
	}
	return DKIM_PASS;
}

enum dkim_status dkim_verify_sig(struct dkim_msg *m, const struct dkim_sig *sig,
				 const struct dkim_record *rec, const struct dkim_policy *pol,
				 const char **why)
{
	*why = "";
	enum dkim_status st = check_record(sig, rec, why);
	EVP_PKEY *key = NULL;
	if (st == DKIM_PASS)
		st = record_key(rec, &key, why);
	if (st == DKIM_PASS)
		st = verify_hashes(m, sig, key, why);
	EVP_PKEY_free(key);
	/* RFC 6376 3.6.1 t=y: a testing domain's failures count as unsigned. */
	if (st != DKIM_PASS && !pol->ignore_test_mode && dkim_record_flag(rec, "y"))
		st = DKIM_NONE;
	return st;
}
