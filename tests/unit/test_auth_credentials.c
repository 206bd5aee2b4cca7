/* Unit tests of derived credentials: derivation, argon2id, the storage form and its checks. */
#include "auth/credentials.h"
#include "auth/md5.h"

#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

/* Cheap costs so tests stay fast; the format and checks are the same. */
static const struct auth_kdf_params cheap = {1, 8192, 4096, 4096};

static struct auth_credentials derive(const char *pw)
{
	struct auth_credentials c;
	struct error err = {0};
	cr_assert(auth_credentials_derive(pw, strlen(pw), &cheap, &c, &err), "%s", err.msg);
	return c;
}

Test(auth_credentials, derive_sets_every_part)
{
	struct auth_credentials c = derive("pencil");
	cr_assert_eq(c.parts, AUTH_CRED_ALL);
	cr_assert(strncmp(c.argon2, "$argon2id$v=19$m=8,t=1,p=1$", 27) == 0, "%s", c.argon2);
	cr_assert_eq(c.scram_sha1.salt_len, AUTH_SALT_LEN);
	cr_assert_eq(c.scram_sha256.iterations, 4096);
	cr_assert_neq(memcmp(c.scram_sha1.salt, c.scram_sha256.salt, AUTH_SALT_LEN), 0,
		      "independent salts");
	struct auth_credentials d = derive("pencil");
	cr_assert_neq(memcmp(c.scram_sha256.stored_key, d.scram_sha256.stored_key, 32), 0,
		      "new salts each time");
	cr_assert_eq(memcmp(c.crammd5_inner, d.crammd5_inner, 16), 0, "CRAM-MD5 has no salt");
	/* The CRAM-MD5 states are those of HMAC-MD5 keyed with the prepared password. */
	uint8_t in[16], out[16];
	auth_hmac_md5_states("pencil", 6, in, out);
	cr_assert_eq(memcmp(in, c.crammd5_inner, 16), 0);
	cr_assert_eq(memcmp(out, c.crammd5_outer, 16), 0);
}

Test(auth_credentials, default_costs)
{
	cr_assert_eq(auth_kdf_default.argon2_mem, 64u << 20);
	cr_assert_geq(auth_kdf_default.sha256_iterations, AUTH_SCRAM_ITER_MIN);
	cr_assert_geq(auth_kdf_default.sha1_iterations, AUTH_SCRAM_ITER_MIN);
}

Test(auth_credentials, argon2_verify)
{
	struct auth_credentials c = derive("p\xc3\xa4ssword");
	bool match = false;
	struct error err = {0};
	cr_assert(auth_argon2_verify(c.argon2, "p\xc3\xa4ssword", 9, &match, &err), "%s", err.msg);
	cr_assert(match);
	cr_assert(auth_argon2_verify(c.argon2, "pässworD", 9, &match, &err));
	cr_assert_not(match);
	cr_assert(auth_argon2_verify(c.argon2, "", 0, &match, &err));
	cr_assert_not(match);
}

Test(auth_credentials, precis_refusal_reaches_the_caller)
{
	struct auth_credentials c;
	struct error err = {0};
	cr_assert_not(auth_credentials_derive("bad\x01pw", 6, &cheap, &c, &err));
	cr_assert_eq(err.kind, ERR_INVALID);
	cr_assert(strstr(err.msg, "U+0001"), "%s", err.msg);
	cr_assert_eq(c.parts, 0);
}

Test(auth_credentials, password_is_prepared_before_derivation)
{
	/* NFD and NFC forms of the same password give credentials that verify either. */
	struct auth_credentials c = derive("caf"
					   "e\xcc\x81");
	bool match = false;
	cr_assert(auth_argon2_verify(c.argon2, "caf\xc3\xa9", 5, &match, NULL));
	cr_assert(match);
	uint8_t in[16], out[16];
	auth_hmac_md5_states("caf\xc3\xa9", 5, in, out);
	cr_assert_eq(memcmp(in, c.crammd5_inner, 16), 0);
}

Test(auth_credentials, serialize_round_trip)
{
	struct auth_credentials c = derive("pencil");
	struct buf b = BUF_INIT;
	auth_credentials_serialize(&c, &b);
	cr_assert_leq(b.len, AUTH_CREDENTIALS_MAX);
	cr_assert_eq(memcmp(b.data, "tcrd\x01\x0f", 6), 0);
	struct auth_credentials d;
	struct error err = {0};
	cr_assert(auth_credentials_deserialize(b.data, b.len, &d, &err), "%s", err.msg);
	cr_assert_eq(d.parts, c.parts);
	cr_assert_str_eq(d.argon2, c.argon2);
	cr_assert_eq(memcmp(&d.scram_sha1, &c.scram_sha1, sizeof d.scram_sha1), 0);
	cr_assert_eq(memcmp(&d.scram_sha256, &c.scram_sha256, sizeof d.scram_sha256), 0);
	cr_assert_eq(memcmp(d.crammd5_outer, c.crammd5_outer, 16), 0);
	struct buf b2 = BUF_INIT;
	auth_credentials_serialize(&d, &b2);
	cr_assert_eq(b2.len, b.len);
	cr_assert_eq(memcmp(b2.data, b.data, b.len), 0, "stable encoding");
	buf_free(&b);
	buf_free(&b2);
}

Test(auth_credentials, partial_parts_round_trip)
{
	struct auth_credentials c = derive("pencil");
	c.parts = AUTH_CRED_SCRAM_SHA256 | AUTH_CRED_CRAM_MD5;
	struct buf b = BUF_INIT;
	auth_credentials_serialize(&c, &b);
	struct auth_credentials d;
	cr_assert(auth_credentials_deserialize(b.data, b.len, &d, NULL));
	cr_assert_eq(d.parts, c.parts);
	cr_assert_str_eq(d.argon2, "", "absent part stays empty");
	buf_free(&b);
}

static void refuses(const void *p, size_t n, const char *part)
{
	struct auth_credentials d;
	struct error err = {0};
	cr_assert_not(auth_credentials_deserialize(p, n, &d, &err), "accepted (%s)", part);
	cr_assert_eq(err.kind, ERR_INVALID);
	cr_assert(strstr(err.msg, part), "message \"%s\" lacks \"%s\"", err.msg, part);
	cr_assert_eq(d.parts, 0, "nothing half-filled");
}

/* Rewrites the checksum after tampering, so the structural checks are what refuses. */
static void reseal(struct buf *b)
{
	uint8_t sum[32];
	crypto_hash_sha256(sum, (uint8_t *)b->data, b->len - 8);
	memcpy(b->data + b->len - 8, sum, 8);
}

Test(auth_credentials, corruption_is_detected)
{
	struct auth_credentials c = derive("pencil");
	struct buf b = BUF_INIT;
	auth_credentials_serialize(&c, &b);
	/* Every single-bit flip anywhere is caught. */
	for (size_t i = 0; i < b.len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			b.data[i] ^= (char)(1 << bit);
			struct auth_credentials d;
			cr_assert_not(auth_credentials_deserialize(b.data, b.len, &d, NULL),
				      "flip at %zu/%d", i, bit);
			b.data[i] ^= (char)(1 << bit);
		}
	}
	/* Every truncation is caught. */
	for (size_t n = 0; n < b.len; n++) {
		struct auth_credentials d;
		cr_assert_not(auth_credentials_deserialize(b.data, n, &d, NULL), "length %zu", n);
	}
	refuses(b.data, 3, "truncated");
	buf_free(&b);
}

Test(auth_credentials, structural_checks_name_the_problem)
{
	struct auth_credentials c = derive("pencil");
	struct buf b = BUF_INIT;

	auth_credentials_serialize(&c, &b);
	b.data[0] = 'x';
	reseal(&b);
	refuses(b.data, b.len, "not tern credentials");

	buf_reset(&b);
	auth_credentials_serialize(&c, &b);
	b.data[4] = 2;
	reseal(&b);
	refuses(b.data, b.len, "unknown format version 2");

	buf_reset(&b);
	auth_credentials_serialize(&c, &b);
	b.data[5] = 0x1f;
	reseal(&b);
	refuses(b.data, b.len, "bad part flags");

	/* argon2 string with an absurd memory cost. */
	struct auth_credentials t = c;
	char *m = strstr(t.argon2, "m=8,");
	cr_assert(m);
	char tampered[AUTH_ARGON2_STR_MAX];
	snprintf(tampered, sizeof tampered, "$argon2id$v=19$m=99999999,%s", m + 4);
	strcpy(t.argon2, tampered);
	buf_reset(&b);
	auth_credentials_serialize(&t, &b);
	refuses(b.data, b.len, "cost limits");

	/* A NUL inside the argon2 string (found by fuzz_authcred). */
	buf_reset(&b);
	auth_credentials_serialize(&c, &b);
	b.data[7 + 3] = '\0'; /* magic, version, flags, length, then the string */
	reseal(&b);
	refuses(b.data, b.len, "NUL byte in the argon2 part");

	/* Iteration count 0. */
	t = c;
	t.scram_sha1.iterations = 0;
	buf_reset(&b);
	auth_credentials_serialize(&t, &b);
	refuses(b.data, b.len, "bad SCRAM-SHA-1 iteration count 0");

	/* Trailing garbage before the checksum. */
	buf_reset(&b);
	auth_credentials_serialize(&c, &b);
	buf_append(&b, "12345678", 8);
	memmove(b.data + b.len - 8, b.data + b.len - 16, 8);
	memcpy(b.data + b.len - 16, "zzzzzzzz", 8);
	reseal(&b);
	refuses(b.data, b.len, "trailing");

	char big[AUTH_CREDENTIALS_MAX + 1] = {0};
	refuses(big, sizeof big, "longer than any version");
	buf_free(&b);
}

Test(auth_credentials, argon2_hash_form)
{
	struct error err = {0};
	cr_assert(auth_argon2_valid("$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaA", &err),
		  "%s", err.msg);
	cr_assert_not(auth_argon2_valid("$argon2i$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA", &err));
	cr_assert_not(auth_argon2_valid("$argon2id$v=19$m=65536,t=2,p=4$c2FsdA$aGFzaA", &err));
	cr_assert_not(auth_argon2_valid("$argon2id$v=19$m=65536,t=99,p=1$c2FsdA$aGFzaA", &err));
	cr_assert_not(auth_argon2_valid("$argon2id$v=19$m=065536,t=2,p=1$c2FsdA$aGFzaA", &err));
	cr_assert_not(auth_argon2_valid("$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$", &err));
	cr_assert_not(auth_argon2_valid("$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFz aA", &err));
	cr_assert_not(auth_argon2_valid("", &err));
	/* bcrypt (mox's format) is not accepted. */
	cr_assert_not(auth_argon2_valid(
	    "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", &err));
	bool match = true;
	cr_assert_not(auth_argon2_verify("$argon2id$v=19$m=9999999,t=2,p=1$c2FsdA$aGFzaA", "x", 1,
					 &match, &err),
		      "oversized cost is refused before hashing");
	cr_assert_not(match);
}
