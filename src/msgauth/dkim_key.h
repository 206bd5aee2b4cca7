/*
 * dkim_key: DKIM private keys. Reading them as mox does (a PEM file with one
 * PKCS #8 "PRIVATE KEY" block, unencrypted; RSA of at least 1024 bits, RFC
 * 8301 3.2, or Ed25519, RFC 8463), making new ones (PKCS #8 PEM with a
 * "Note:" header, as mox's `dkim gen*` commands write them), and the key
 * record that publishes a key (mox's `dkim txt`).
 *
 * This module needs only src/base and OpenSSL, so the domains.conf checks
 * (src/config, a lower layer) use it to load the configured keys: the rules
 * for DKIM keys live here, once.
 *
 * Errors from dkim_key_load: ERR_IO when the file cannot be read, ERR_LIMIT
 * for an RSA key that is too small, ERR_INVALID for anything else about the
 * contents. Keys are freed with EVP_PKEY_free. Thread-safe.
 */
#ifndef TERN_MSGAUTH_DKIM_KEY_H
#define TERN_MSGAUTH_DKIM_KEY_H

#include "base/buf.h"
#include "base/error.h"

#include <stdbool.h>
#include <stddef.h>

struct evp_pkey_st;

/* Bounds on a key file. */
#define DKIM_KEY_FILE_MAX (1024 * 1024)
/* RFC 8301 3.2: signers use RSA keys of at least 1024 bits. */
#define DKIM_RSA_MIN_BITS 1024
/* mox's size for new RSA keys: 2048 bits fit a DNS answer over UDP. */
#define DKIM_RSA_NEW_BITS 2048

enum dkim_key_type {
	DKIM_KEYTYPE_RSA = 1,
	DKIM_KEYTYPE_ED25519,
};

struct dkim_key_info {
	enum dkim_key_type type;
	int bits; /* RSA modulus size; 256 for Ed25519 */
};

/* Parses PEM text (see above). */
struct evp_pkey_st *dkim_key_parse_pem(const char *pem, size_t len, struct dkim_key_info *info,
				       struct error *err);
/* Reads and parses a key file of at most DKIM_KEY_FILE_MAX bytes. */
struct evp_pkey_st *dkim_key_load(const char *path, struct dkim_key_info *info, struct error *err);

/* Appends a new key (Ed25519, or RSA of DKIM_RSA_NEW_BITS) as PKCS #8 PEM with
 * the header "Note: <note>". */
bool dkim_key_generate(enum dkim_key_type type, const char *note, struct buf *pem,
		       struct error *err);

/* Appends the key record for the key's public half: "v=DKIM1;h=sha256;
 * [k=ed25519;]t=s;p=..." (sha256 only, i= within d= only, as mox suggests). */
bool dkim_key_record_txt(struct evp_pkey_st *key, struct buf *txt, struct error *err);

#endif
