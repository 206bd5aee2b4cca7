/* Unit tests of the SASL building blocks: MD5/HMAC-MD5 (RFC 1321, RFC 2104) with precomputed
 * states. (Strict base64 is tested in test_base_base64.c.) */
#include "auth/md5.h"

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

Test(auth_md5, rfc1321_test_suite)
{
	/* RFC 1321 A.5 */
	static const char *const in[] = {
	    "",
	    "a",
	    "abc",
	    "message digest",
	    "abcdefghijklmnopqrstuvwxyz",
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
	    "1234567890123456789012345678901234567890123456789012345678901234567890123456789"
	    "0",
	};
	static const char *const want[] = {
	    "d41d8cd98f00b204e9800998ecf8427e", "0cc175b9c0f1b6a831c399e269772661",
	    "900150983cd24fb0d6963f7d28e17f72", "f96b697d7cb7938d525a2f31aaf161d0",
	    "c3fcd3d76192e4007dfb496cca67e13b", "d174ab98d277d9f5a5611c2c9f419d9f",
	    "57edf4a22be3c955ac49da2e2107b67a",
	};
	for (size_t i = 0; i < 7; i++) {
		uint8_t d[16];
		char h[33];
		auth_md5(in[i], strlen(in[i]), d);
		hex(d, 16, h);
		cr_assert_str_eq(h, want[i], "MD5(\"%s\")", in[i]);
	}
}

Test(auth_md5, incremental_updates_match_one_shot)
{
	char data[300];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (char)(i * 7 + 3);
	uint8_t one[16], inc[16];
	auth_md5(data, sizeof data, one);
	struct auth_md5 m;
	auth_md5_init(&m);
	for (size_t i = 0; i < sizeof data; i += 13)
		auth_md5_update(&m, data + i, i + 13 <= sizeof data ? 13 : sizeof data - i);
	auth_md5_final(&m, inc);
	cr_assert_eq(memcmp(one, inc, 16), 0);
}

static void hmac_states_check(const void *key, size_t keylen, const void *msg, size_t n,
			      const char *want_hex)
{
	uint8_t inner[16], outer[16], d[16];
	char h[33];
	auth_hmac_md5_states(key, keylen, inner, outer);
	auth_hmac_md5_resume(inner, outer, msg, n, d);
	hex(d, 16, h);
	if (want_hex) {
		cr_assert_str_eq(h, want_hex);
		return;
	}
	uint8_t ref[16];
	unsigned int len = 0;
	HMAC(EVP_md5(), key, (int)keylen, msg, n, ref, &len);
	cr_assert_eq(memcmp(d, ref, 16), 0, "keylen %zu", keylen);
}

Test(auth_md5, hmac_rfc2104_vectors_through_precomputed_states)
{
	/* RFC 2104 appendix (test vectors) */
	uint8_t k1[16], k3[16], d3[50];
	memset(k1, 0x0b, 16);
	memset(k3, 0xaa, 16);
	memset(d3, 0xdd, 50);
	hmac_states_check(k1, 16, "Hi There", 8, "9294727a3638bb1c13f48ef8158bfc9d");
	hmac_states_check("Jefe", 4, "what do ya want for nothing?", 28,
			  "750c783e6ab0b503eaa86e310a5db738");
	hmac_states_check(k3, 16, d3, 50, "56be34521d144c88dbb8c733f0e8b3f6");
}

Test(auth_md5, hmac_matches_openssl_for_all_key_lengths)
{
	char key[200], msg[150];
	for (size_t i = 0; i < sizeof key; i++)
		key[i] = (char)(i * 31 + 1);
	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = (char)(i * 5);
	/* Around the block size, where RFC 2104 2 switches to hashing the key. */
	for (size_t kl = 0; kl < sizeof key; kl += (kl > 60 && kl < 70) ? 1 : 17)
		for (size_t ml = 0; ml < sizeof msg; ml += 37)
			hmac_states_check(key, kl, msg, ml, NULL);
}

Test(auth_md5, cram_md5_rfc2195_example)
{
	/* RFC 2195 2: shared secret tanstaaftanstaaf, the challenge below. */
	static const char chal[] = "<1896.697170952@postoffice.reston.mci.net>";
	uint8_t inner[16], outer[16], d[16];
	char h[33];
	auth_hmac_md5_states("tanstaaftanstaaf", 16, inner, outer);
	auth_hmac_md5_resume(inner, outer, chal, sizeof chal - 1, d);
	hex(d, 16, h);
	cr_assert_str_eq(h, "b913a602c7eda7a495b4e6e7334d3890");
}
