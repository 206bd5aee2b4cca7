/*
 * md5: MD5 (RFC 1321) with access to its chaining state, for CRAM-MD5.
 *
 * CRAM-MD5 (RFC 2195) proves knowledge of a password with HMAC-MD5 over a
 * server challenge, so a server would need the password itself. RFC 2104
 * section 4 allows storing instead the MD5 state after the first block of
 * the inner and outer hashes (key XOR ipad, key XOR opad): enough to compute
 * any HMAC with the key, but not the key. OpenSSL 3 no longer exposes MD5's
 * state (its low-level MD5 API is deprecated), hence this small MD5 of our
 * own. It is used for nothing else: MD5 is broken for collisions, and HMAC-MD5
 * here only serves a legacy mechanism that clients still choose.
 *
 * A state is 16 bytes: the four 32-bit chaining words, little-endian, taken
 * after exactly one 64-byte block. Functions are pure and thread-safe; the
 * context holds key-derived data, so callers wipe it after use.
 */
#ifndef TERN_AUTH_MD5_H
#define TERN_AUTH_MD5_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_MD5_LEN   16
#define AUTH_MD5_BLOCK 64

struct auth_md5 {
	uint32_t h[4];
	uint64_t total; /* bytes hashed so far */
	uint8_t block[AUTH_MD5_BLOCK];
	size_t used; /* bytes pending in block */
};

void auth_md5_init(struct auth_md5 *m);
void auth_md5_update(struct auth_md5 *m, const void *p, size_t n);
void auth_md5_final(struct auth_md5 *m, uint8_t out[AUTH_MD5_LEN]);
void auth_md5(const void *p, size_t n, uint8_t out[AUTH_MD5_LEN]);

/*
 * HMAC-MD5 precomputation (RFC 2104 4): the chaining states after the inner
 * and outer key blocks. Keys longer than 64 bytes are first hashed (RFC 2104 2).
 */
void auth_hmac_md5_states(const void *key, size_t keylen, uint8_t inner[AUTH_MD5_LEN],
			  uint8_t outer[AUTH_MD5_LEN]);
/* HMAC-MD5 of msg from precomputed states. */
void auth_hmac_md5_resume(const uint8_t inner[AUTH_MD5_LEN], const uint8_t outer[AUTH_MD5_LEN],
			  const void *msg, size_t n, uint8_t out[AUTH_MD5_LEN]);

#endif
