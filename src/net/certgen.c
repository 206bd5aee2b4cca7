#include "net/certgen.h"

#include "base/file.h"

#include <openssl/evp.h>
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
