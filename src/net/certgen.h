/*
 * certgen: self-signed certificates for local use.
 *
 * `tern localserve` needs a key and certificate for "localhost" on its first
 * start, and tests need certificates for chosen names. certgen_selfsigned
 * makes an ECDSA P-256 key (PKCS#8 PEM) and a self-signed X.509 v3
 * certificate (PEM) with the names as subjectAltName DNS entries (the first
 * one also as the subject's common name), valid from an hour ago for the
 * given number of days. Files are written atomically, the key with mode 0600.
 *
 * certgen_key_pem makes a private key alone, as PKCS#8 PEM, for uses such as
 * DKIM signing keys.
 *
 * For TLS client certificate authentication, where the server looks only at
 * the public key (mox's TLS public keys), certgen_client_cert makes a key and
 * a minimal self-signed certificate: subject and issuer CN, a random serial,
 * validity, nothing else; certgen_ed25519_cert does the same for a given
 * Ed25519 key. certgen_pkcs12 packs a PEM key and certificate
 * into a PKCS#12 file, the format email clients import; it uses the
 * long-supported PBE-SHA1-3DES encryption and SHA-1 MAC so older clients
 * (macOS, Windows) can read it. certgen_raw_private_key gives the raw form
 * of an Ed25519 key (its 32-byte seed). Key material passes through
 * OpenSSL's secure memory and is wiped.
 */
#ifndef TERN_NET_CERTGEN_H
#define TERN_NET_CERTGEN_H

#include "base/buf.h"
#include "base/error.h"

#include <stdbool.h>
#include <stddef.h>

bool certgen_selfsigned(const char *const *names, size_t nnames, const char *organization, int days,
			const char *cert_path, const char *key_path, struct error *err);

enum certgen_key {
	CERTGEN_ED25519,
	CERTGEN_RSA2048,
	CERTGEN_ECDSA_P256,
};

/* Appends a new private key of the kind to pem, in PKCS#8 PEM form. */
bool certgen_key_pem(enum certgen_key kind, struct buf *pem, struct error *err);

/* A new key (PKCS#8 PEM, appended to key_pem) and a minimal self-signed certificate for it
 * (PEM, appended to cert_pem) with common name cn, valid from an hour ago for days days. */
bool certgen_client_cert(enum certgen_key kind, const char *cn, int days, struct buf *key_pem,
			 struct buf *cert_pem, struct error *err);

/* The same for an existing Ed25519 key given by its 32-byte seed (the raw private key): a
 * client certificate made on the fly for a configured key, as tern sendmail does. */
bool certgen_ed25519_cert(const unsigned char seed[32], const char *cn, int days,
			  struct buf *key_pem, struct buf *cert_pem, struct error *err);

/* Appends a PKCS#12 (DER) with the key and certificate, named name, protected by password
 * ("" allowed). */
bool certgen_pkcs12(const struct buf *key_pem, const struct buf *cert_pem, const char *name,
		    const char *password, struct buf *der, struct error *err);

/* The raw private key of an Ed25519 key in PEM: its 32-byte seed. */
bool certgen_raw_private_key(const struct buf *key_pem, unsigned char out[32], struct error *err);

#endif
