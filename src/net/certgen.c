#include "net/certgen.h"

#include "base/file.h"

#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static bool ssl_fail(struct error *err, const char *what)
{
	return error_set(err, ERR_INTERNAL, "%s failed", what);
}

/* Writes a PEM object produced by write_fn to path through a memory BIO, atomically. */
static bool write_pem(const char *path, BIO *bio, int mode, struct error *err)
{
	char *data;
	long n = BIO_get_mem_data(bio, &data);
	if (n <= 0)
		return ssl_fail(err, "encoding PEM");
	return file_write_atomic(path, data, (size_t)n, (mode_t)mode, err);
}

static bool add_names(X509 *x, const char *const *names, size_t nnames, struct error *err)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	for (size_t i = 0; i < nnames; i++) {
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_IA5STRING *s = ASN1_IA5STRING_new();
		if (!g || !s || !ASN1_STRING_set(s, names[i], (int)strlen(names[i]))) {
			GENERAL_NAME_free(g);
			ASN1_IA5STRING_free(s);
			GENERAL_NAMES_free(gens);
			return ssl_fail(err, "building subjectAltName");
		}
		GENERAL_NAME_set0_value(g, GEN_DNS, s);
		sk_GENERAL_NAME_push(gens, g);
	}
	int ok = X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0);
	GENERAL_NAMES_free(gens);
	return ok == 1 || ssl_fail(err, "adding subjectAltName");
}

static bool fill_cert(X509 *x, EVP_PKEY *key, const char *const *names, size_t nnames,
		      const char *org, int days, struct error *err)
{
	X509_NAME *name = X509_get_subject_name(x);
	if (!X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set_int64(X509_get_serialNumber(x), (int64_t)time(NULL)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 24 * 3600) ||
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)org, -1,
					-1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)names[0],
					-1, -1, 0) ||
	    !X509_set_issuer_name(x, name) || !X509_set_pubkey(x, key))
		return ssl_fail(err, "building certificate");
	if (!add_names(x, names, nnames, err))
		return false;
	if (X509_sign(x, key, EVP_sha256()) <= 0)
		return ssl_fail(err, "signing certificate");
	return true;
}

bool certgen_selfsigned(const char *const *names, size_t nnames, const char *organization, int days,
			const char *cert_path, const char *key_path, struct error *err)
{
	if (nnames == 0)
		return error_set(err, ERR_INVALID, "certificate needs at least one name");
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	/* The key's PEM goes through secure memory, wiped when freed. */
	BIO *kb = BIO_new(BIO_s_secmem()), *cb = BIO_new(BIO_s_mem());
	bool ok = false;
	if (!key || !x || !kb || !cb) {
		ssl_fail(err, "generating key");
		goto out;
	}
	if (!fill_cert(x, key, names, nnames, organization, days, err))
		goto out;
	if (!PEM_write_bio_PKCS8PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_X509(cb, x)) {
		ssl_fail(err, "encoding PEM");
		goto out;
	}
	ok = write_pem(key_path, kb, 0600, err) && write_pem(cert_path, cb, 0644, err);
out:
	BIO_free(kb);
	BIO_free(cb);
	X509_free(x);
	EVP_PKEY_free(key);
	return ok;
}

static EVP_PKEY *generate(enum certgen_key kind)
{
	switch (kind) {
	case CERTGEN_ED25519: return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	case CERTGEN_RSA2048: return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	case CERTGEN_ECDSA_P256: return EVP_EC_gen("P-256");
	}
	return NULL;
}

bool certgen_key_pem(enum certgen_key kind, struct buf *pem, struct error *err)
{
	EVP_PKEY *key = generate(kind);
	BIO *b = BIO_new(BIO_s_secmem());
	bool ok = key && b && PEM_write_bio_PKCS8PrivateKey(b, key, NULL, NULL, 0, NULL, NULL);
	if (ok) {
		char *data;
		long n = BIO_get_mem_data(b, &data);
		ok = n > 0;
		if (ok)
			buf_append(pem, data, (size_t)n);
	}
	BIO_free(b);
	EVP_PKEY_free(key);
	return ok || ssl_fail(err, "generating private key");
}

/* Serial numbers: 16 random bytes, positive (RFC 5280 4.1.2.2). */
static bool random_serial(X509 *x)
{
	unsigned char b[16];
	if (RAND_bytes(b, sizeof b) != 1)
		return false;
	b[0] &= 0x7f;
	b[0] |= 0x01; /* never zero */
	BIGNUM *bn = BN_bin2bn(b, sizeof b, NULL);
	bool ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	return ok;
}

static bool fill_minimal(X509 *x, EVP_PKEY *key, const char *cn, int days)
{
	X509_NAME *name = X509_get_subject_name(x);
	/* Ed25519 signs the message itself: no separate digest (RFC 8410 6). */
	const EVP_MD *md = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
	return X509_set_version(x, 2) && random_serial(x) &&
	       X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
	       X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 24 * 3600) &&
	       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
					  -1, 0) &&
	       X509_set_issuer_name(x, name) && X509_set_pubkey(x, key) &&
	       X509_sign(x, key, md) > 0;
}

static void append_bio(BIO *b, struct buf *out)
{
	char *data;
	long n = BIO_get_mem_data(b, &data);
	if (n > 0)
		buf_append(out, data, (size_t)n);
}

/* A minimal self-signed certificate for key, both appended as PEM; key is freed. */
static bool client_cert_for(EVP_PKEY *key, const char *cn, int days, struct buf *key_pem,
			    struct buf *cert_pem, struct error *err)
{
	X509 *x = X509_new();
	BIO *kb = BIO_new(BIO_s_secmem()), *cb = BIO_new(BIO_s_mem());
	bool ok = key && x && kb && cb && fill_minimal(x, key, cn, days) &&
		  PEM_write_bio_PKCS8PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) &&
		  PEM_write_bio_X509(cb, x);
	if (ok) {
		append_bio(kb, key_pem);
		append_bio(cb, cert_pem);
	}
	BIO_free(kb);
	BIO_free(cb);
	X509_free(x);
	EVP_PKEY_free(key);
	return ok || ssl_fail(err, "making a client certificate");
}

bool certgen_client_cert(enum certgen_key kind, const char *cn, int days, struct buf *key_pem,
			 struct buf *cert_pem, struct error *err)
{
	return client_cert_for(generate(kind), cn, days, key_pem, cert_pem, err);
}

bool certgen_ed25519_cert(const unsigned char seed[32], const char *cn, int days,
			  struct buf *key_pem, struct buf *cert_pem, struct error *err)
{
	EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	return client_cert_for(key, cn, days, key_pem, cert_pem, err);
}

static EVP_PKEY *read_key(const struct buf *pem)
{
	BIO *b = BIO_new_mem_buf(pem->data, (int)pem->len);
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	return k;
}

bool certgen_pkcs12(const struct buf *key_pem, const struct buf *cert_pem, const char *name,
		    const char *password, struct buf *der, struct error *err)
{
	EVP_PKEY *key = read_key(key_pem);
	BIO *cb = BIO_new_mem_buf(cert_pem->data, (int)cert_pem->len);
	X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
	const int pbe = NID_pbe_WithSHA1And3_Key_TripleDES_CBC;
	/* No MAC from PKCS12_create (OpenSSL 3 would use SHA-256): the SHA-1 MAC older clients
	 * need is set next. */
	PKCS12 *p12 = key && x ? PKCS12_create(password, name, key, x, NULL, pbe, pbe,
					       PKCS12_DEFAULT_ITER, -1, 0)
			       : NULL;
	if (p12 &&
	    PKCS12_set_mac(p12, password, -1, NULL, 0, PKCS12_DEFAULT_ITER, EVP_sha1()) != 1) {
		PKCS12_free(p12);
		p12 = NULL;
	}
	unsigned char *out = NULL;
	int n = p12 ? i2d_PKCS12(p12, &out) : -1;
	if (n > 0)
		buf_append(der, out, (size_t)n);
	OPENSSL_clear_free(out, n > 0 ? (size_t)n : 0);
	PKCS12_free(p12);
	X509_free(x);
	BIO_free(cb);
	EVP_PKEY_free(key);
	return n > 0 || ssl_fail(err, "making a PKCS#12 file");
}

bool certgen_raw_private_key(const struct buf *key_pem, unsigned char out[32], struct error *err)
{
	EVP_PKEY *key = read_key(key_pem);
	size_t len = 32;
	bool ok = key && EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 &&
		  EVP_PKEY_get_raw_private_key(key, out, &len) == 1 && len == 32;
	EVP_PKEY_free(key);
	return ok || ssl_fail(err, "reading the Ed25519 private key");
}
