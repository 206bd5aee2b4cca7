/*
 * DKIM signing (RFC 6376 5), as mox signs: one signature per selector, the
 * configured header fields plus oversigning, t= and optionally x=, i= with
 * the sender's localpart.
 */
#include "msgauth/dkim.h"

#include "base/address.h"
#include "msgauth/dkim_msg.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <string.h>

/* RSA (PKCS #1 v1.5 over the digest, RFC 6376 3.3.2) or Ed25519 (PureEdDSA over the
 * SHA-256 digest, RFC 8463 3). */
static bool sign_digest(EVP_PKEY *key, enum dkim_hash_alg hash, const uint8_t *digest, size_t dlen,
			struct arena *a, uint8_t **sig, size_t *siglen, struct error *err)
{
	bool ok = false;
	size_t n = (size_t)EVP_PKEY_get_size(key);
	*sig = arena_alloc(a, n ? n : 1);
	if (EVP_PKEY_base_id(key) == EVP_PKEY_ED25519) {
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();
		ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
		     EVP_DigestSign(ctx, *sig, &n, digest, dlen) == 1;
		EVP_MD_CTX_free(ctx);
	} else {
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
		ok = ctx && EVP_PKEY_sign_init(ctx) == 1 &&
		     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_signature_md(
			 ctx, hash == DKIM_HASH_SHA1 ? EVP_sha1() : EVP_sha256()) == 1 &&
		     EVP_PKEY_sign(ctx, *sig, &n, digest, dlen) == 1;
		EVP_PKEY_CTX_free(ctx);
	}
	ERR_clear_error();
	*siglen = n;
	return ok || error_set(err, ERR_INTERNAL, "signing failed");
}

/* mox's oversigning: each configured name once, then once more per field of
 * that name in the message, so one more than the message has is signed and no
 * field of the name can be added without breaking the signature. */
static void signed_headers(struct dkim_msg *m, const struct dkim_signer *s, struct dkim_sig *sig)
{
	size_t n = s->nheaders;
	if (s->seal_headers)
		for (size_t i = 0; i < s->nheaders; i++)
			n += dkim_msg_count(m, s->headers[i]);
	const char **h = arena_array(m->a, n ? n : 1, sizeof *h);
	size_t k = 0;
	for (size_t i = 0; i < s->nheaders; i++)
		h[k++] = s->headers[i];
	for (size_t i = 0; s->seal_headers && i < s->nheaders; i++)
		for (size_t j = dkim_msg_count(m, s->headers[i]); j > 0; j--)
			h[k++] = s->headers[i];
	sig->headers = h;
	sig->nheaders = k;
}

static bool fill_sig(struct dkim_msg *m, const struct dkim_signer *s, const char *localpart,
		     const struct dns_domain *domain, int64_t now, struct dkim_sig *sig,
		     struct error *err)
{
	memset(sig, 0, sizeof *sig);
	sig->version = 1;
	switch (EVP_PKEY_base_id(s->key)) {
	case EVP_PKEY_RSA: sig->key_alg = DKIM_KEY_RSA; break;
	case EVP_PKEY_ED25519: sig->key_alg = DKIM_KEY_ED25519; break;
	default: return error_set(err, ERR_INVALID, "key type is not RSA or Ed25519");
	}
	sig->hash_alg = s->hash;
	if (!dkim_hash_name(s->hash))
		return error_set(err, ERR_INVALID, "unknown hash algorithm");
	sig->algorithm =
	    arena_sprintf(m->a, "%s-%s", dkim_key_name(sig->key_alg), dkim_hash_name(s->hash));
	sig->header_canon = s->header_canon;
	sig->body_canon = s->body_canon;
	sig->canonicalization = arena_sprintf(
	    m->a, "%s/%s", s->header_canon == DKIM_CANON_RELAXED ? "relaxed" : "simple",
	    s->body_canon == DKIM_CANON_RELAXED ? "relaxed" : "simple");
	sig->domain = *domain;
	sig->selector = s->selector;
	if (localpart) {
		struct buf lp = BUF_INIT;
		address_localpart_format(&lp, localpart);
		sig->has_identity = true;
		sig->identity_localpart = arena_strdup(m->a, buf_cstr(&lp));
		sig->identity_domain = *domain;
		buf_free(&lp);
	}
	sig->length = -1;
	sig->sign_time = now;
	sig->expire_time = s->expiration_seconds > 0 ? now + s->expiration_seconds : -1;
	signed_headers(m, s, sig);
	uint64_t canon_len;
	if (!dkim_msg_body_hash(m, s->body_canon, s->hash, -1, sig->body_hash, &canon_len, err))
		return false;
	sig->body_hash_len = dkim_hash_len(s->hash);
	return true;
}

/* RFC 6376 5.5 to 5.6: hash the header with the new field (b= empty), sign, write it. */
static bool sign_one(struct dkim_msg *m, const struct dkim_signer *s, const char *localpart,
		     const struct dns_domain *domain, int64_t now, struct buf *out,
		     struct error *err)
{
	struct dkim_sig sig;
	if (!fill_sig(m, s, localpart, domain, now, &sig, err))
		return false;
	struct buf field = BUF_INIT;
	dkim_sig_format(&sig, &field);
	uint8_t digest[DKIM_HASH_MAX];
	bool ok = dkim_msg_header_hash(m, sig.headers, sig.nheaders, sig.header_canon, sig.hash_alg,
				       str_make(field.data, field.len - 2), digest, err) &&
		  sign_digest(s->key, s->hash, digest, dkim_hash_len(s->hash), m->a, &sig.signature,
			      &sig.signature_len, err);
	buf_free(&field);
	if (ok)
		dkim_sig_format(&sig, out);
	return ok;
}

bool dkim_sign(const struct dkim_signer *signers, size_t nsigners, const char *localpart,
	       const struct dns_domain *domain, int64_t now, const struct dkim_message *msg,
	       struct buf *out, struct error *err)
{
	size_t start = out->len;
	struct arena a;
	arena_init(&a, 0);
	struct dkim_msg *m = dkim_msg_init(&a, msg, err);
	bool ok = m != NULL;
	/* RFC 6376 5.4: From is signed, and mox refuses all but exactly one From. */
	size_t nfrom = ok ? dkim_msg_count(m, "From") : 0;
	if (ok && nfrom != 1)
		ok = error_set(err, ERR_INVALID, "message has %zu From fields, need exactly 1",
			       nfrom);
	for (size_t i = 0; ok && i < nsigners; i++) {
		bool from = false;
		for (size_t k = 0; k < signers[i].nheaders; k++)
			from |= ascii_caseeq(signers[i].headers[k], "From");
		if (!from)
			ok = error_set(err, ERR_INVALID, "selector %s does not sign From",
				       signers[i].selector);
		else
			ok = sign_one(m, &signers[i], localpart, domain, now, out, err) ||
			     error_prefix(err, "selector %s", signers[i].selector);
	}
	arena_free(&a);
	if (!ok)
		buf_truncate(out, start); /* all signatures or none */
	return ok;
}
