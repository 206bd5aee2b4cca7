#include "auth/tlspubkey.h"

#include "base/address.h"
#include "base/base64.h"
#include "base/str.h"
#include "net/tls.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* "ed25519", "ecdsa-p256", "rsa-2048" (mox's names); false for keys we do not accept. */
static bool key_type(EVP_PKEY *key, char *out, size_t cap, struct error *err)
{
	int id = EVP_PKEY_get_base_id(key);
	if (id == EVP_PKEY_ED25519) {
		snprintf(out, cap, "ed25519");
		return true;
	}
	if (id == EVP_PKEY_RSA) {
		int bits = EVP_PKEY_get_bits(key);
		if (bits < 2048)
			return error_set(err, ERR_INVALID,
					 "rsa keys smaller than 2048 bits not accepted (%d bits)",
					 bits);
		snprintf(out, cap, "rsa-%d", bits);
		return true;
	}
	if (id == EVP_PKEY_EC) {
		char group[64] = "";
		size_t glen = 0;
		EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
					       &glen);
		static const char *const curves[][2] = {
		    {"prime256v1", "p256"}, {"secp384r1", "p384"}, {"secp521r1", "p521"}};
		for (size_t i = 0; i < 3; i++)
			if (strcmp(group, curves[i][0]) == 0) {
				snprintf(out, cap, "ecdsa-%s", curves[i][1]);
				return true;
			}
		return error_set(err, ERR_INVALID, "ecdsa curve %s not supported",
				 group[0] ? group : "(unknown)");
	}
	return error_set(err, ERR_INVALID, "public key type %s not supported",
			 OBJ_nid2sn(id) ? OBJ_nid2sn(id) : "(unknown)");
}

/* The common name, or "serial <hex>" as mox names keys without one. */
static void key_name(X509 *x, char *out, size_t cap)
{
	out[0] = '\0';
	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, out, (int)cap);
	if (out[0])
		return;
	const ASN1_INTEGER *serial = X509_get0_serialNumber(x);
	BIGNUM *bn = serial ? ASN1_INTEGER_to_BN(serial, NULL) : NULL;
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	if (hex) {
		ascii_lower_inplace(hex);
		snprintf(out, cap, "serial %s", hex);
	}
	OPENSSL_free(hex);
	BN_free(bn);
}

static bool fingerprint(X509 *x, char out[AUTH_FP_LEN + 1])
{
	unsigned char *der = NULL;
	int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	uint8_t sum[TLS_SHA256_LEN];
	unsigned int mdlen = 0;
	bool ok = len > 0 && EVP_Digest(der, (size_t)len, sum, &mdlen, EVP_sha256(), NULL) == 1 &&
		  mdlen == TLS_SHA256_LEN;
	OPENSSL_free(der);
	if (ok)
		base64_encode_to(BASE64_URL_NOPAD, sum, sizeof sum, out);
	return ok;
}

static bool fill(X509 *x, struct auth_tlspubkey *k, struct error *err)
{
	EVP_PKEY *key = X509_get0_pubkey(x);
	if (!key)
		return error_set(err, ERR_INVALID, "certificate has no usable public key");
	if (!key_type(key, k->type, sizeof k->type, err))
		return false;
	if (!fingerprint(x, k->fingerprint))
		return error_set(err, ERR_INVALID, "cannot encode the public key");
	key_name(x, k->name, sizeof k->name);
	k->created = (int64_t)time(NULL);
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n = b && PEM_write_bio_X509(b, x) ? BIO_get_mem_data(b, &data) : 0;
	if (n > 0)
		buf_append(&k->cert_pem, data, (size_t)n);
	BIO_free(b);
	return n > 0 || error_set(err, ERR_INTERNAL, "encoding the certificate failed");
}

bool auth_tlspubkey_from_pem(const char *pem, size_t n, struct auth_tlspubkey *k, struct error *err)
{
	memset(k, 0, sizeof *k);
	if (n > AUTH_CERT_PEM_MAX)
		return error_set(err, ERR_LIMIT, "certificate file larger than %d bytes",
				 AUTH_CERT_PEM_MAX);
	BIO *b = BIO_new_mem_buf(pem, (int)n);
	/* PEM_read_bio_X509 skips other blocks (a private key before the certificate). */
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	ERR_clear_error();
	if (!x)
		return error_set(err, ERR_INVALID, "no PEM CERTIFICATE block found");
	bool ok = fill(x, k, err);
	X509_free(x);
	if (!ok)
		auth_tlspubkey_free(k);
	return ok;
}

bool auth_tlspubkey_set_login(struct auth_tlspubkey *k, const struct cfg_dynamic *d,
			      const char *address, struct error *err)
{
	struct auth_account_ref ref;
	const char *why = NULL;
	if (auth_lookup_login(d, address, strlen(address), &ref, &why) != AUTH_LOOKUP_FOUND)
		return error_set(err, ERR_NOTFOUND, "%s is not a login address of an account (%s)",
				 address, why);
	/* Stored in canonical form (as mox requires): domain lower case, localpart as is. */
	struct address addr;
	struct buf canon = BUF_INIT;
	if (!address_parse_cstr(ref.login, 0, &addr, err))
		return error_prefix(err, "%s", address);
	address_format(&canon, &addr, true);
	bool ok = str_copy(k->login_address, sizeof k->login_address, buf_cstr(&canon));
	buf_free(&canon);
	str_copy(k->account, sizeof k->account, ref.account);
	return ok || error_set(err, ERR_LIMIT, "address too long");
}

bool auth_tls_identify(struct authdb *db, const struct cfg_dynamic *d, const char *fp,
		       struct auth_identity *out, bool *found, const char **why, struct error *err)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	memset(out, 0, sizeof *out);
	struct auth_tlspubkey k;
	bool have = false;
	*found = false;
	if (!authdb_tlspubkey_get(db, fp, &k, &have, err))
		return false;
	if (!have) {
		*why = "unknown TLS public key";
		return true;
	}
	const char *lwhy = NULL;
	if (auth_lookup_login(d, k.login_address, strlen(k.login_address), &out->ref, &lwhy) !=
	    AUTH_LOOKUP_FOUND) {
		*why = "the key's login address is no longer an address of an account";
	} else if (strcmp(out->ref.account, k.account) != 0) {
		*why = "the key's login address now belongs to another account";
	} else {
		out->no_imap_preauth = k.no_imap_preauth;
		*found = true;
	}
	if (!*found)
		memset(&out->ref, 0, sizeof out->ref);
	auth_tlspubkey_free(&k);
	return true;
}
