/*
 * Unit tests of SCRAM message handling (RFC 5802, RFC 7677): the RFC example exchanges
 * byte for byte, a client written here from RFC 5802 3 for channel binding (-PLUS with
 * tls-exporter and tls-unique, wrong binding data, downgrade detection), and malformed
 * messages as protocol errors.
 */
#include "base/base64.h"
#include "auth/scram.h"

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

static const struct scram_binding no_tls = {0};

static struct auth_scram_secret secret_for(enum auth_hash h, const char *pw, const char *salt_b64,
					   uint32_t iter)
{
	struct buf salt = BUF_INIT;
	cr_assert(base64_decode(BASE64_STD, str_from(salt_b64), &salt));
	struct auth_scram_secret s;
	struct error err = {0};
	cr_assert(
	    auth_scram_derive(h, pw, strlen(pw), (uint8_t *)salt.data, salt.len, iter, &s, &err),
	    "%s", err.msg);
	buf_free(&salt);
	return s;
}

static void rfc_exchange(enum auth_hash h, const char *c1, const char *snonce, const char *salt,
			 const char *s1, const char *c2, const char *s2)
{
	struct auth_scram_secret sec = secret_for(h, "pencil", salt, 4096);
	struct scram_server s;
	struct error err = {0};
	scram_init(&s, h, false);
	cr_assert_eq(scram_client_first(&s, c1, strlen(c1), &no_tls, &err), SCRAM_OK, "%s",
		     err.msg);
	cr_assert_str_eq(buf_cstr(&s.username), "user");
	cr_assert_str_eq(buf_cstr(&s.authzid), "");
	struct buf out = BUF_INIT;
	scram_server_first(&s, snonce, sec.salt, sec.salt_len, 4096, &out);
	cr_assert_str_eq(buf_cstr(&out), s1);
	buf_reset(&out);
	cr_assert_eq(scram_client_final(&s, c2, strlen(c2), &no_tls, &sec, &out, &err), SCRAM_OK,
		     "%s", err.msg);
	cr_assert_str_eq(buf_cstr(&out), s2);
	buf_free(&out);
	scram_free(&s);
}

Test(auth_scram, rfc5802_sha1_example)
{
	/* RFC 5802 5 */
	rfc_exchange(
	    AUTH_SHA1, "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL", "3rfcNHYJY1ZVvWVs7j",
	    "QSXCR+Q6sek8bf92",
	    "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
	    "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
	    "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");
}

Test(auth_scram, rfc7677_sha256_example)
{
	/* RFC 7677 3 */
	rfc_exchange(
	    AUTH_SHA256, "n,,n=user,r=rOprNGfwEbeRWgbNEkqO", "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
	    "W22ZaJ0SNY7soEsUEjb6gQ==",
	    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,"
	    "i=4096",
	    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p="
	    "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
	    "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
}

Test(auth_scram, rfc5802_wrong_password_fails_the_proof)
{
	struct auth_scram_secret sec = secret_for(AUTH_SHA1, "pencil2", "QSXCR+Q6sek8bf92", 4096);
	struct scram_server s;
	struct error err = {0};
	scram_init(&s, AUTH_SHA1, false);
	const char *c1 = "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL";
	cr_assert_eq(scram_client_first(&s, c1, strlen(c1), &no_tls, &err), SCRAM_OK);
	struct buf out = BUF_INIT;
	scram_server_first(&s, "3rfcNHYJY1ZVvWVs7j", sec.salt, sec.salt_len, 4096, &out);
	buf_reset(&out);
	const char *c2 =
	    "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=";
	cr_assert_eq(scram_client_final(&s, c2, strlen(c2), &no_tls, &sec, &out, &err),
		     SCRAM_BAD_PROOF);
	cr_assert_eq(out.len, 0, "no server signature for a failed proof");
	/* Without credentials (unknown user), the same. */
	cr_assert_eq(scram_client_final(&s, c2, strlen(c2), &no_tls, NULL, &out, &err),
		     SCRAM_BAD_PROOF);
	buf_free(&out);
	scram_free(&s);
}

/* ---- a SCRAM client, from RFC 5802 3, for binding tests ---- */

struct client {
	enum auth_hash h;
	const char *password;
	char gs2[128];
	char bare[256];
};

static const EVP_MD *md(enum auth_hash h)
{
	return h == AUTH_SHA1 ? EVP_sha1() : EVP_sha256();
}

/* Builds client-final for server-first s1, binding cbdata (may be NULL). */
static char *client_final(const struct client *c, const char *s1, const uint8_t *cbdata,
			  size_t cblen, uint8_t *proof_flip)
{
	/* Parse r=, s=, i= of server-first. */
	const char *r = strstr(s1, "r="), *sp = strstr(s1, ",s="), *ip = strstr(s1, ",i=");
	cr_assert(r && sp && ip);
	char nonce[256], salt_b64[128];
	snprintf(nonce, sizeof nonce, "%.*s", (int)(sp - r - 2), r + 2);
	snprintf(salt_b64, sizeof salt_b64, "%.*s", (int)(ip - sp - 3), sp + 3);
	int iter = atoi(ip + 3);
	struct buf salt = BUF_INIT;
	cr_assert(base64_decode(BASE64_STD, str_from(salt_b64), &salt));

	size_t hl = c->h == AUTH_SHA1 ? 20 : 32;
	uint8_t salted[32], ckey[32], stored[32], csig[32], proof[32];
	unsigned int len;
	PKCS5_PBKDF2_HMAC(c->password, (int)strlen(c->password), (uint8_t *)salt.data,
			  (int)salt.len, iter, md(c->h), (int)hl, salted);
	HMAC(md(c->h), salted, (int)hl, (const uint8_t *)"Client Key", 10, ckey, &len);
	EVP_Digest(ckey, hl, stored, &len, md(c->h), NULL);

	struct buf cbind = BUF_INIT, without = BUF_INIT, am = BUF_INIT, out = BUF_INIT;
	buf_puts(&cbind, c->gs2);
	if (cbdata)
		buf_append(&cbind, cbdata, cblen);
	buf_puts(&without, "c=");
	base64_encode(BASE64_STD, cbind.data, cbind.len, &without);
	buf_printf(&without, ",r=%s", nonce);
	buf_printf(&am, "%s,%s,%s", c->bare, s1, buf_cstr(&without));
	HMAC(md(c->h), stored, (int)hl, (uint8_t *)am.data, am.len, csig, &len);
	for (size_t i = 0; i < hl; i++)
		proof[i] = ckey[i] ^ csig[i] ^ (proof_flip ? proof_flip[i] : 0);
	buf_printf(&out, "%s,p=", buf_cstr(&without));
	base64_encode(BASE64_STD, proof, hl, &out);
	buf_free(&salt);
	buf_free(&cbind);
	buf_free(&without);
	buf_free(&am);
	return buf_steal(&out);
}

static const uint8_t exporter[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
				     12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
				     23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const uint8_t unique12[12] = {0xa,  0xb,  0xc,  0xd,  0xe,  0xf,
				     0x10, 0x11, 0x12, 0x13, 0x14, 0x15};

static const struct scram_binding tls13 = {
    .server_plus = true, .have_exporter = true, .exporter = exporter};
static const struct scram_binding tls12 = {
    .server_plus = true, .have_unique = true, .unique = unique12, .unique_len = sizeof unique12};

/* Runs a whole exchange; returns the final status. */
static enum scram_status run(enum auth_hash h, bool plus, const char *gs2,
			     const struct scram_binding *server_b, const uint8_t *client_cb,
			     size_t client_cblen, const char *password)
{
	struct auth_scram_secret sec = secret_for(h, "sekrit", "c2FsdHNhbHRzYWx0", 4096);
	struct client c = {h, password, "", ""};
	snprintf(c.gs2, sizeof c.gs2, "%s", gs2);
	snprintf(c.bare, sizeof c.bare, "n=mjl@example.org,r=clientnonce123");
	char c1[512];
	snprintf(c1, sizeof c1, "%s%s", c.gs2, c.bare);
	struct scram_server s;
	struct error err = {0};
	scram_init(&s, h, plus);
	enum scram_status st = scram_client_first(&s, c1, strlen(c1), server_b, &err);
	if (st != SCRAM_OK) {
		scram_free(&s);
		return st;
	}
	struct buf s1 = BUF_INIT, s2 = BUF_INIT;
	scram_server_first(&s, "servernonce", sec.salt, sec.salt_len, sec.iterations, &s1);
	char *c2 = client_final(&c, buf_cstr(&s1), client_cb, client_cblen, NULL);
	st = scram_client_final(&s, c2, strlen(c2), server_b, &sec, &s2, &err);
	if (st == SCRAM_OK)
		cr_assert(strncmp(buf_cstr(&s2), "v=", 2) == 0);
	free(c2);
	buf_free(&s1);
	buf_free(&s2);
	scram_free(&s);
	return st;
}

Test(auth_scram, plus_with_tls_exporter)
{
	cr_assert_eq(run(AUTH_SHA256, true, "p=tls-exporter,,", &tls13, exporter, 32, "sekrit"),
		     SCRAM_OK);
	cr_assert_eq(run(AUTH_SHA1, true, "p=tls-exporter,,", &tls13, exporter, 32, "sekrit"),
		     SCRAM_OK);
	cr_assert_eq(run(AUTH_SHA256, true, "p=tls-exporter,,", &tls13, exporter, 32, "wrong"),
		     SCRAM_BAD_PROOF);
}

Test(auth_scram, plus_with_tls_unique)
{
	cr_assert_eq(run(AUTH_SHA256, true, "p=tls-unique,,", &tls12, unique12, 12, "sekrit"),
		     SCRAM_OK);
}

Test(auth_scram, wrong_binding_data_fails)
{
	/* A man in the middle has a different TLS session, so different binding data. */
	uint8_t other[32];
	memcpy(other, exporter, 32);
	other[31] ^= 1;
	cr_assert_eq(run(AUTH_SHA256, true, "p=tls-exporter,,", &tls13, other, 32, "sekrit"),
		     SCRAM_CHANNEL_BINDING);
	/* No binding data at all. */
	cr_assert_eq(run(AUTH_SHA256, true, "p=tls-exporter,,", &tls13, NULL, 0, "sekrit"),
		     SCRAM_CHANNEL_BINDING);
	/* Binding data of the other type. */
	cr_assert_eq(run(AUTH_SHA256, true, "p=tls-unique,,", &tls12, exporter, 12, "sekrit"),
		     SCRAM_CHANNEL_BINDING);
}

Test(auth_scram, unsupported_binding_type_fails)
{
	/* TLS 1.3 has no tls-unique (RFC 9266); unknown names fail too. */
	cr_assert_eq(run(AUTH_SHA256, true, "p=tls-unique,,", &tls13, unique12, 12, "sekrit"),
		     SCRAM_CHANNEL_BINDING);
	cr_assert_eq(
	    run(AUTH_SHA256, true, "p=tls-server-end-point,,", &tls13, exporter, 32, "sekrit"),
	    SCRAM_CHANNEL_BINDING);
}

Test(auth_scram, downgrade_is_detected)
{
	/* RFC 5802 6: "y" means the client could bind but thinks the server cannot. When the
	 * server did offer -PLUS, an attacker removed it from the list: fail. */
	cr_assert_eq(run(AUTH_SHA256, false, "y,,", &tls13, NULL, 0, "sekrit"),
		     SCRAM_CHANNEL_BINDING);
	/* Without -PLUS on offer (no TLS), "y" is fine, and so is "n". */
	cr_assert_eq(run(AUTH_SHA256, false, "y,,", &no_tls, NULL, 0, "sekrit"), SCRAM_OK);
	cr_assert_eq(run(AUTH_SHA256, false, "n,,", &tls13, NULL, 0, "sekrit"), SCRAM_OK);
}

Test(auth_scram, binding_flag_must_match_mechanism)
{
	/* -PLUS without "p=", and "p=" with a bare mechanism, are protocol errors. */
	cr_assert_eq(run(AUTH_SHA256, true, "n,,", &tls13, NULL, 0, "sekrit"), SCRAM_PROTOCOL);
	cr_assert_eq(run(AUTH_SHA256, true, "y,,", &tls13, NULL, 0, "sekrit"), SCRAM_PROTOCOL);
	cr_assert_eq(run(AUTH_SHA256, false, "p=tls-exporter,,", &tls13, exporter, 32, "sekrit"),
		     SCRAM_PROTOCOL);
	/* A "c=" that does not repeat the GS2 header. */
	cr_assert_eq(run(AUTH_SHA256, false, "n,,", &no_tls, (const uint8_t *)"x", 1, "sekrit"),
		     SCRAM_CHANNEL_BINDING);
}

Test(auth_scram, authzid_and_escaped_names)
{
	struct scram_server s;
	struct error err = {0};
	scram_init(&s, AUTH_SHA256, false);
	const char *c1 = "n,a=a=2Cb=3Dc@x,n=a=2Cb=3Dc@x,r=abc,z=ext";
	cr_assert_eq(scram_client_first(&s, c1, strlen(c1), &no_tls, &err), SCRAM_OK, "%s",
		     err.msg);
	cr_assert_str_eq(buf_cstr(&s.authzid), "a,b=c@x");
	cr_assert_str_eq(buf_cstr(&s.username), "a,b=c@x");
	cr_assert_str_eq(buf_cstr(&s.gs2_header), "n,a=a=2Cb=3Dc@x,");
	scram_free(&s);
}

static enum scram_status first(bool plus, const char *c1, size_t n)
{
	struct scram_server s;
	struct error err = {0};
	scram_init(&s, AUTH_SHA256, plus);
	enum scram_status st = scram_client_first(&s, c1, n, &tls13, &err);
	if (st == SCRAM_PROTOCOL)
		cr_assert_eq(err.kind, ERR_INVALID, "protocol errors are invalid input: %s",
			     err.msg);
	scram_free(&s);
	return st;
}

Test(auth_scram, malformed_client_first_is_a_protocol_error)
{
	static const char *const bad[] = {
	    "",
	    "n",
	    "n,",
	    "n,,",
	    "x,,n=user,r=abc",
	    "p=,,n=user,r=abc",
	    "p=tls exporter,,n=user,r=abc",
	    "n,b=x,n=user,r=abc",
	    "n,a=,n=user,r=abc",
	    "n,,m=ext,n=user,r=abc",
	    "n,,r=abc,n=user",
	    "n,,n=,r=abc",
	    "n,,n=us=er,r=abc",
	    "n,,n=us=2,r=abc",
	    "n,,n=user",
	    "n,,n=user,r=",
	    "n,,n=user,r=a b",
	    "n,,n=user,r=abc,",
	    "n,,n=user,r=abc,1=x",
	    "n,,n=\xff,r=abc",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_eq(first(false, bad[i], strlen(bad[i])), SCRAM_PROTOCOL, "%s", bad[i]);
	cr_assert_eq(first(false, "n,,n=us\0er,r=abc", 16), SCRAM_PROTOCOL, "NUL");
	char big[SCRAM_MESSAGE_MAX + 20];
	memset(big, 'a', sizeof big);
	memcpy(big, "n,,n=user,r=", 12);
	cr_assert_eq(first(false, big, sizeof big), SCRAM_PROTOCOL, "too long");
	cr_assert_eq(first(false, big, SCRAM_NONCE_MAX + 13), SCRAM_PROTOCOL, "nonce too long");
	cr_assert_eq(first(false, big, SCRAM_NONCE_MAX + 12), SCRAM_OK, "longest nonce");
}

Test(auth_scram, malformed_client_final_is_a_protocol_error)
{
	static const char *const bad[] = {
	    "",
	    "c=biws,r=abcsrv",
	    "c=biws,r=abcsrv,p=",
	    "c=biws,r=abcsrv,p=AAAA",
	    "c=biws,r=abcxxx,p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	    "r=abcsrv,c=biws,p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	    "c=bi!s,r=abcsrv,p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	    "c=biws,p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	    "c=biws,r=abcsrv,,p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	};
	struct auth_scram_secret sec = secret_for(AUTH_SHA256, "x", "c2FsdA==", 4096);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct scram_server s;
		struct error err = {0};
		scram_init(&s, AUTH_SHA256, false);
		cr_assert_eq(scram_client_first(&s, "n,,n=u,r=abc", 12, &no_tls, &err), SCRAM_OK);
		struct buf out = BUF_INIT;
		scram_server_first(&s, "srv", sec.salt, sec.salt_len, 4096, &out);
		buf_reset(&out);
		cr_assert_eq(
		    scram_client_final(&s, bad[i], strlen(bad[i]), &no_tls, &sec, &out, &err),
		    SCRAM_PROTOCOL, "%s", bad[i]);
		cr_assert_eq(out.len, 0);
		buf_free(&out);
		scram_free(&s);
	}
}
