/*
 * tlspubkey: TLS client certificates as account credentials (seed: TLS
 * client certificate authentication).
 *
 * Only a certificate's public key identifies an account; everything else in
 * it (names, dates, constraints, issuer) is ignored, and no certificate
 * authority is involved. A key is known by the SHA-256 of its
 * SubjectPublicKeyInfo in base64url without padding -- the same value
 * conn_tls() reports for a client certificate -- and stored in auth.db with
 * the login address it authenticates as (which must be an address of the
 * account), a descriptive name (the certificate's common name when none is
 * given), and the no-IMAP-preauth option for clients that ignore IMAP's
 * PREAUTH greeting. Supported keys, as in mox: Ed25519, ECDSA (P-256, P-384,
 * P-521), RSA of at least 2048 bits.
 *
 * auth_tls_identify is called by the protocols right after a handshake with
 * a client certificate: it finds the key and checks, in the current config,
 * that its login address still belongs to the key's account; the resulting
 * identity lets IMAP send PREAUTH (unless the key says not to), lets SMTP
 * submission skip AUTH, and backs the EXTERNAL mechanism (sasl.h).
 *
 * Thread-safe (authdb serializes its handle); no global state.
 */
#ifndef TERN_AUTH_TLSPUBKEY_H
#define TERN_AUTH_TLSPUBKEY_H

#include "auth/authdb.h"
#include "auth/login.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * Reads the first CERTIFICATE of a PEM text into k: fingerprint, type, name
 * (the common name, or "serial <hex>" without one) and the certificate
 * itself in PEM. Account, login address and options are the caller's.
 */
bool auth_tlspubkey_from_pem(const char *pem, size_t n, struct auth_tlspubkey *k,
			     struct error *err);

/*
 * Sets k's account and login address from an address (any form: NFD, upper
 * case domain): it must be a login of an account in d (an alias is not). The
 * address is stored in canonical form: NFC, domain in lower-case Unicode.
 */
bool auth_tlspubkey_set_login(struct auth_tlspubkey *k, const struct cfg_dynamic *d,
			      const char *address, struct error *err);

/*
 * The identity of a client certificate fingerprint: *found false when the key
 * is unknown or its address no longer belongs to its account (*why says
 * which, for the log). A disabled account is found; its LoginDisabled is in
 * the identity and every login refuses it (login.h).
 */
bool auth_tls_identify(struct authdb *db, const struct cfg_dynamic *d, const char *fingerprint,
		       struct auth_identity *out, bool *found, const char **why, struct error *err);

#endif
