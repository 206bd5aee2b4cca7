#include "msgauth/dkim_key.h"

#include "base/file.h"
#include "msgauth/dkim.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string.h>

/* Checks the kind and size of a decoded key. */
static bool check_key(EVP_PKEY *key, struct dkim_key_info *info, struct error *err)
{
	switch (EVP_PKEY_base_id(key)) {
	case EVP_PKEY_RSA:
		info->type = DKIM_KEYTYPE_RSA;
		info->bits = EVP_PKEY_get_bits(key);
		if (info->bits < DKIM_RSA_MIN_BITS)
			return error_set(err, ERR_LIMIT,
					 "RSA key of %d bits is too small, use at least %d",
					 info->bits, DKIM_RSA_MIN_BITS);
		return true;
	case EVP_PKEY_ED25519:
		info->type = DKIM_KEYTYPE_ED25519;
		info->bits = 256;
		return true;
	default:
		return error_set(err, ERR_INVALID,
				 "key type %s is not supported, use RSA or Ed25519",
				 OBJ_nid2sn(EVP_PKEY_base_id(key)));
	}
}

EVP_PKEY *dkim_key_parse_pem(const char *pem, size_t len, struct dkim_key_info *info,
			     struct error *err)
{
	BIO *bio = BIO_new_mem_buf(pem ? pem : "", (int)len);
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	long dlen = 0;
	EVP_PKEY *key = NULL;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	if (!bio || PEM_read_bio(bio, &name, &header, &der, &dlen) != 1) {
		error_set(err, ERR_INVALID, "no PEM block");
		goto out;
	}
	/* mox reads keys as PKCS #8 only ("PRIVATE KEY"), not PKCS #1 or encrypted. */
	if (strcmp(name, "PRIVATE KEY") != 0) {
		error_set(err, ERR_INVALID, "PEM block is \"%s\", not a PKCS #8 \"PRIVATE KEY\"",
			  name);
		goto out;
	}
	const unsigned char *p = der;
	p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, dlen);
	key = p8 ? EVP_PKCS82PKEY(p8) : NULL;
	if (!key) {
		error_set(err, ERR_INVALID, "not a valid PKCS #8 private key");
		goto out;
	}
	if (!check_key(key, info, err)) {
		EVP_PKEY_free(key);
		key = NULL;
	}
out:
	/* Leave no failure behind in this thread's OpenSSL error queue for TLS code to trip on. */
	ERR_clear_error();
	PKCS8_PRIV_KEY_INFO_free(p8);
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_clear_free(der, (size_t)dlen);
	BIO_free(bio);
	return key;
}

EVP_PKEY *dkim_key_load(const char *path, struct dkim_key_info *info, struct error *err)
{
	struct buf pem = BUF_INIT;
	EVP_PKEY *key = NULL;
	if (file_read_all(path, DKIM_KEY_FILE_MAX, &pem, err))
		key = dkim_key_parse_pem(pem.data, pem.len, info, err);
	else if (err)
		err->kind = ERR_IO;
	if (pem.data)
		OPENSSL_cleanse(pem.data, pem.len);
	buf_free(&pem);
	return key;
}

bool dkim_key_generate(enum dkim_key_type type, const char *note, struct buf *pem,
		       struct error *err)
{
	EVP_PKEY *key = type == DKIM_KEYTYPE_ED25519
			    ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
			    : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)DKIM_RSA_NEW_BITS);
	PKCS8_PRIV_KEY_INFO *p8 = key ? EVP_PKEY2PKCS8(key) : NULL;
	unsigned char *der = NULL;
	int dlen = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, &der) : -1;
	/* The key's PEM goes through secure memory, wiped when freed. */
	BIO *b = BIO_new(BIO_s_secmem());
	struct buf header = BUF_INIT;
	buf_printf(&header, "Note: %s\n", note);
	bool ok =
	    dlen > 0 && b && PEM_write_bio(b, "PRIVATE KEY", buf_cstr(&header), der, dlen) > 0;
	if (ok) {
		char *data;
		long n = BIO_get_mem_data(b, &data);
		buf_append(pem, data, (size_t)n);
	}
	buf_free(&header);
	BIO_free(b);
	if (der)
		OPENSSL_clear_free(der, (size_t)dlen);
	PKCS8_PRIV_KEY_INFO_free(p8);
	EVP_PKEY_free(key);
	ERR_clear_error();
	return ok || error_set(err, ERR_INTERNAL, "generating private key failed");
}

bool dkim_key_record_txt(EVP_PKEY *key, struct buf *txt, struct error *err)
{
	const char *sha256[] = {"sha256"};
	const char *only_d[] = {"s"};
	struct dkim_record r = {
	    .version = "DKIM1",
	    .hashes = sha256,
	    .nhashes = 1,
	    .notes = "",
	    .flags = only_d,
	    .nflags = 1,
	};
	unsigned char raw[32];
	size_t rawlen = sizeof raw;
	unsigned char *der = NULL;
	bool ok;
	switch (EVP_PKEY_base_id(key)) {
	case EVP_PKEY_ED25519:
		/* RFC 8463 4.2: p= is the raw 32-byte public key. */
		r.key_type = "ed25519";
		ok = EVP_PKEY_get_raw_public_key(key, raw, &rawlen) == 1;
		r.public_key = raw;
		r.public_key_len = rawlen;
		break;
	case EVP_PKEY_RSA: {
		/* The SubjectPublicKeyInfo, as everyone publishes RSA keys. */
		r.key_type = "rsa";
		int dlen = i2d_PUBKEY(key, &der);
		ok = dlen > 0;
		r.public_key = der;
		r.public_key_len = ok ? (size_t)dlen : 0;
		break;
	}
	default:
		return error_set(err, ERR_INVALID,
				 "key type %s is not supported, use RSA or Ed25519",
				 OBJ_nid2sn(EVP_PKEY_base_id(key)));
	}
	if (ok)
		dkim_record_format(&r, txt);
	OPENSSL_free(der);
	ERR_clear_error();
	return ok || error_set(err, ERR_INTERNAL, "cannot encode the public key");
}
