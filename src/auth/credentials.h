/*
 * credentials: what tern keeps instead of an account's password.
 *
 * Setting a password (auth_credentials_derive) prepares it with PRECIS
 * OpaqueString (precis.h) and derives, for each mechanism, a secret that lets
 * the server check a login without knowing the password:
 *   - an argon2id hash string (libsodium) for PLAIN, LOGIN and web logins;
 *   - SCRAM-SHA-1 and SCRAM-SHA-256 salt, iteration count, StoredKey and
 *     ServerKey (RFC 5802 3): enough to verify a client proof and to prove
 *     the server knows the credentials, but not to log in as the client;
 *   - the HMAC-MD5 inner and outer chaining states for CRAM-MD5 (RFC 2195,
 *     RFC 2104 4), which allow computing the expected digest.
 * The clear-text password is never stored; every copy made here is wiped.
 * A new password replaces all parts at once.
 *
 * Storage: the store keeps an opaque blob per account (in its index.db);
 * auth_credentials_serialize/deserialize define that blob. Version 1:
 *   "tcrd" 0x01, a byte of part flags, then per present part in flag order
 *   argon2: u8 length + string; SCRAM: u8 salt length + salt, u32 iterations
 *   (big-endian), StoredKey, ServerKey (20 or 32 bytes); CRAM-MD5: 16 + 16
 *   bytes; and finally the first 8 bytes of SHA-256 over everything before.
 * Deserializing validates everything it reads (it comes from disk): magic,
 * version, flags, every length and bound, the argon2 string's form, and the
 * checksum, so a truncated or bit-flipped blob is an error, never garbage.
 *
 * argon2id is memory-hard by design; at most AUTH_ARGON2_CONCURRENCY hashes
 * or verifications run at once process-wide, the others wait at most
 * AUTH_ARGON2_WAIT_MS and then fail with ERR_TEMPORARY, so a burst of logins
 * cannot exhaust memory. All functions are thread-safe.
 */
#ifndef TERN_AUTH_CREDENTIALS_H
#define TERN_AUTH_CREDENTIALS_H

#include "base/buf.h"
#include "base/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_ARGON2_STR_MAX     128  /* libsodium's crypto_pwhash_STRBYTES, NUL included */
#define AUTH_SALT_LEN           16   /* salts we generate */
#define AUTH_SALT_MAX           64   /* longest salt accepted when reading */
#define AUTH_SCRAM_KEY_MAX      32   /* SHA-256 output */
#define AUTH_SCRAM_ITER_MIN     4096 /* RFC 7677 4: at least 4096 when we choose */
#define AUTH_SCRAM_ITER_MAX     10000000
#define AUTH_CRAMMD5_STATE_LEN  16
#define AUTH_CREDENTIALS_MAX    512 /* longest serialized form */
#define AUTH_ARGON2_CONCURRENCY 2
#define AUTH_ARGON2_WAIT_MS     10000
#define AUTH_ARGON2_MEM_MAX     (256u * 1024 * 1024)
#define AUTH_ARGON2_OPS_MAX     16

enum auth_hash {
	AUTH_SHA1,
	AUTH_SHA256,
};

/* Output length of the hash: 20 or 32. */
size_t auth_hash_len(enum auth_hash h);

/* SCRAM's stored secrets for one hash function (RFC 5802 3). */
struct auth_scram_secret {
	uint8_t salt[AUTH_SALT_MAX];
	size_t salt_len;
	uint32_t iterations;
	uint8_t stored_key[AUTH_SCRAM_KEY_MAX]; /* H(ClientKey) */
	uint8_t server_key[AUTH_SCRAM_KEY_MAX]; /* HMAC(SaltedPassword, "Server Key") */
};

/* Which parts a credentials value holds. */
enum auth_cred_part {
	AUTH_CRED_ARGON2 = 1,
	AUTH_CRED_SCRAM_SHA1 = 2,
	AUTH_CRED_SCRAM_SHA256 = 4,
	AUTH_CRED_CRAM_MD5 = 8,
};
#define AUTH_CRED_ALL 15u

struct auth_credentials {
	unsigned parts;                   /* enum auth_cred_part bits */
	char argon2[AUTH_ARGON2_STR_MAX]; /* "$argon2id$v=19$m=...,t=...,p=1$salt$hash" */
	struct auth_scram_secret scram_sha1;
	struct auth_scram_secret scram_sha256;
	uint8_t crammd5_inner[AUTH_CRAMMD5_STATE_LEN];
	uint8_t crammd5_outer[AUTH_CRAMMD5_STATE_LEN];
};

/* Cost parameters for deriving new credentials. */
struct auth_kdf_params {
	unsigned long long argon2_ops; /* argon2id passes */
	size_t argon2_mem;             /* bytes */
	uint32_t sha1_iterations;
	uint32_t sha256_iterations;
};

/* argon2id with libsodium's "interactive" cost (2 passes, 64 MiB); SCRAM-SHA-1 4096 and
 * SCRAM-SHA-256 16384 iterations. */
extern const struct auth_kdf_params auth_kdf_default;

/*
 * Derives all parts from a password as typed (UTF-8): PRECIS preparation, new
 * random salts, the costs of p (NULL: auth_kdf_default). On failure err says
 * why; a PRECIS refusal is ERR_INVALID with a message fit for the user.
 */
bool auth_credentials_derive(const char *password, size_t n, const struct auth_kdf_params *p,
			     struct auth_credentials *out, struct error *err);

/* Overwrites c with zeros. */
void auth_credentials_wipe(struct auth_credentials *c);

/* Appends the storage form (see above) to out. */
void auth_credentials_serialize(const struct auth_credentials *c, struct buf *out);
/* Reads the storage form; ERR_INVALID with a message when anything is off. */
bool auth_credentials_deserialize(const void *p, size_t n, struct auth_credentials *out,
				  struct error *err);

/*
 * argon2id: hashes an already prepared password (for the admin password
 * file and credentials) and verifies one. A hash with costs above
 * AUTH_ARGON2_MEM_MAX or AUTH_ARGON2_OPS_MAX is refused as ERR_INVALID (a
 * tampered file must not make one login take all memory or minutes). Both
 * wait for a free slot as described above.
 */
bool auth_argon2_hash(const char *prepared, size_t n, const struct auth_kdf_params *p,
		      char out[AUTH_ARGON2_STR_MAX], struct error *err);
/* *match is set when the password matches; false return means no answer (err set). */
bool auth_argon2_verify(const char *hash, const char *prepared, size_t n, bool *match,
			struct error *err);
/* Checks the form of an argon2id hash string (for files and deserialization). */
bool auth_argon2_valid(const char *hash, struct error *err);

/*
 * Spends the time of one verification without a hash to compare: for unknown
 * users, so timing does not tell them from known ones. p should be the costs
 * real hashes were made with (NULL: auth_kdf_default, whose dummy hash is made
 * once; other costs make one per call, meant for tests).
 */
void auth_argon2_dummy_verify(const struct auth_kdf_params *p, const char *prepared, size_t n);

/* RFC 5802 3: SaltedPassword = Hi(password, salt, i), then StoredKey and ServerKey. */
bool auth_scram_derive(enum auth_hash h, const char *prepared, size_t n, const uint8_t *salt,
		       size_t salt_len, uint32_t iterations, struct auth_scram_secret *out,
		       struct error *err);

/* HMAC and hash with the SCRAM hash function; out gets auth_hash_len(h) bytes. */
void auth_hmac(enum auth_hash h, const void *key, size_t keylen, const void *msg, size_t n,
	       uint8_t *out);
void auth_digest(enum auth_hash h, const void *msg, size_t n, uint8_t *out);

#endif
