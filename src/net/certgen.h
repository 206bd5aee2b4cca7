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

#endif
