/*
 * Unit tests of the SASL sessions (sasl.h) on a checked domains.conf model, with
 * credentials in memory: every mechanism's success and failure paths, RFC 4616 PLAIN edge
 * cases, the RFC 2195 CRAM-MD5 exchange, SCRAM with and without channel binding, EXTERNAL,
 * the login rules (aliases, disabled accounts and domains, TLS identity), cancel, temporary
 * failures, and the base64 framing.
 */
#include "base/base64.h"
#include "auth/sasl.h"
#include "base/arena.h"

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char domains_conf[] =
    "Domains:\n"
    "\texample.org:\n"
    "\t\tLocalpartCatchallSeparator: +\n"
    "\t\tAliases:\n"
    "\t\t\tlist:\n"
    "\t\t\t\tAddresses:\n"
    "\t\t\t\t\t- mjl@example.org\n"
    "\tdisabled.example:\n"
    "\t\tDisabled: true\n"
    "\tpostoffice.reston.mci.net: nil\n"
    "Accounts:\n"
    "\tmjl:\n"
    "\t\tDomain: example.org\n"
    "\t\tDestinations:\n"
    "\t\t\tmjl@example.org: nil\n"
    "\t\t\tr\xc3\xa9my@example.org: nil\n"
    "\tother:\n"
    "\t\tDomain: example.org\n"
    "\t\tDestinations:\n"
    "\t\t\tother@example.org: nil\n"
    "\toff:\n"
    "\t\tDomain: example.org\n"
    "\t\tLoginDisabled: moved to the new server, see https://example.org/move\n"
    "\t\tDestinations:\n"
    "\t\t\toff@example.org: nil\n"
    "\tdis:\n"
    "\t\tDomain: disabled.example\n"
    "\t\tDestinations:\n"
    "\t\t\tdis@disabled.example: nil\n"
    "\tnopw:\n"
    "\t\tDomain: example.org\n"
    "\t\tDestinations:\n"
    "\t\t\tnopw@example.org: nil\n"
    "\ttim:\n"
    "\t\tDomain: postoffice.reston.mci.net\n"
    "\t\tDestinations:\n"
    "\t\t\ttim@postoffice.reston.mci.net: nil\n";

static const struct auth_kdf_params cheap = {1, 8192, 4096, 4096};

static struct arena arena;
static struct cfg_dynamic cfg;

/* ---- credentials "store" ---- */

#define MAX_ACCOUNTS 8
static struct {
	char account[64];
	struct buf blob;
} store[MAX_ACCOUNTS];
static size_t nstore;
static bool store_fails;

static bool get_credentials(void *arg, const char *account, struct buf *out, bool *found,
			    struct error *err)
{
	(void)arg;
	*found = false;
	if (store_fails)
		return error_set(err, ERR_IO, "disk on fire");
	for (size_t i = 0; i < nstore; i++)
		if (strcmp(store[i].account, account) == 0) {
			buf_append(out, store[i].blob.data, store[i].blob.len);
			*found = true;
		}
	return true;
}

static void set_password(const char *account, const char *pw)
{
	struct auth_credentials c;
	struct error err = {0};
	cr_assert(auth_credentials_derive(pw, strlen(pw), &cheap, &c, &err), "%s", err.msg);
	cr_assert_lt(nstore, MAX_ACCOUNTS);
	snprintf(store[nstore].account, sizeof store[nstore].account, "%s", account);
	buf_init(&store[nstore].blob);
	auth_credentials_serialize(&c, &store[nstore].blob);
	nstore++;
}

/* ---- deterministic randomness and clock, for the RFC 2195 challenge ---- */

static uint8_t next_random[4];
static bool have_next_random;
static unsigned counter;

static void test_random(void *buf, size_t n)
{
	uint8_t *p = buf;
	if (have_next_random && n == 4) {
		memcpy(p, next_random, 4);
		have_next_random = false;
		return;
	}
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(counter++ * 131 + 7);
}

static int64_t clock_ms = 1700000000000;
static int64_t test_now(void)
{
	return clock_ms;
}

static struct auth_env env = {
    .credentials = get_credentials,
    .hostname = "mail.example.org",
    .random = test_random,
    .now_ms = test_now,
};

static void setup(void)
{
	arena_init(&arena, 64 * 1024);
	memset(&cfg, 0, sizeof cfg);
	struct error err = {0};
	struct sch_lines *lines = sch_lines_new(&arena);
	cr_assert(sch_load(domains_conf, strlen(domains_conf), "domains.conf", &cfg_dynamic_type,
			   &cfg, &arena, lines, &err),
		  "%s", err.msg);
	struct cfg_dynamic_env denv = {.hostname = "mail.example.org"};
	struct cfg_check c = {"domains.conf", "/nonexistent", lines, &arena, &err};
	cr_assert(cfg_dynamic_check(&cfg, &denv, &c), "%s", err.msg);
	memset(env.secret, 0x42, sizeof env.secret);
	store_fails = false;
	nstore = 0;
	set_password("mjl", "pencil");
	set_password("other", "other pass");
	set_password("off", "offpass");
	set_password("dis", "dispass");
	set_password("tim", "tanstaaftanstaaf");
}

static void teardown(void)
{
	for (size_t i = 0; i < nstore; i++)
		buf_free(&store[i].blob);
	cfg_dynamic_release(&cfg);
	arena_free(&arena);
}

TestSuite(sasl, .init = setup, .fini = teardown, .timeout = 60);

/* ---- connections ---- */

static struct auth_tls tls13(void)
{
	struct auth_tls t = {.active = true, .have_exporter = true};
	for (int i = 0; i < 32; i++)
		t.exporter[i] = (uint8_t)(i + 1);
	return t;
}

static struct sasl_conn plain_conn(void)
{
	return (struct sasl_conn){.cfg = &cfg, .plaintext_ok = true};
}

/* ---- driving exchanges ---- */

struct exch {
	enum sasl_status st;
	struct sasl_result res;
	char challenges[4][512];
	int nchallenges;
};

/* Runs mech with an optional initial response, then the responses in order. */
static struct exch run(const struct sasl_conn *c, enum sasl_mech m, const char *ir, size_t irlen,
		       const char *const *resp, const size_t *resplen, int nresp)
{
	struct exch e = {0};
	struct error err = {0};
	struct sasl_session *s = sasl_new(&env, c, m, &err);
	cr_assert_not_null(s, "%s", err.msg);
	struct buf ch = BUF_INIT;
	e.st = sasl_start(s, ir, irlen, ir != NULL, &ch);
	for (int i = 0; e.st == SASL_CONTINUE; i++) {
		cr_assert_lt(e.nchallenges, 4);
		snprintf(e.challenges[e.nchallenges++], 512, "%.*s", (int)ch.len, buf_cstr(&ch));
		if (i >= nresp)
			break;
		e.st = sasl_step(s, resp[i], resplen ? resplen[i] : strlen(resp[i]), &ch);
	}
	e.res = *sasl_result(s);
	buf_free(&ch);
	sasl_free(s);
	return e;
}

static struct exch plain(const struct sasl_conn *c, const char *msg, size_t n)
{
	return run(c, SASL_PLAIN, msg, n, NULL, NULL, 0);
}

#define PLAIN(c, lit) plain((c), (lit), sizeof(lit) - 1)

/* ---- mechanism lists ---- */

static const char *offered(const struct sasl_conn *c)
{
	static char s[256];
	struct buf b = BUF_INIT;
	sasl_mechanisms_format(c, &b);
	snprintf(s, sizeof s, "%s", buf_cstr(&b));
	buf_free(&b);
	return s;
}

Test(sasl, mechanisms_depend_on_tls)
{
	struct sasl_conn c = {.cfg = &cfg};
	cr_assert_str_eq(offered(&c), "SCRAM-SHA-256 SCRAM-SHA-1 CRAM-MD5");
	c.plaintext_ok = true;
	cr_assert_str_eq(offered(&c), "SCRAM-SHA-256 SCRAM-SHA-1 CRAM-MD5 PLAIN LOGIN");
	struct auth_tls t = tls13();
	c = (struct sasl_conn){.cfg = &cfg, .tls = &t};
	cr_assert_str_eq(offered(&c), "SCRAM-SHA-256-PLUS SCRAM-SHA-256 SCRAM-SHA-1-PLUS "
				      "SCRAM-SHA-1 CRAM-MD5 PLAIN LOGIN");
	struct auth_identity id = {0};
	c.identity = &id;
	cr_assert_str_eq(offered(&c), "SCRAM-SHA-256-PLUS SCRAM-SHA-256 SCRAM-SHA-1-PLUS "
				      "SCRAM-SHA-1 CRAM-MD5 PLAIN LOGIN EXTERNAL");
	/* TLS without binding data: no -PLUS. */
	t.have_exporter = false;
	c.identity = NULL;
	cr_assert_str_eq(offered(&c), "SCRAM-SHA-256 SCRAM-SHA-1 CRAM-MD5 PLAIN LOGIN");

	/* A mechanism that is not offered cannot be started. */
	struct sasl_conn bare = {.cfg = &cfg};
	struct error err = {0};
	cr_assert_null(sasl_new(&env, &bare, SASL_PLAIN, &err));
	cr_assert(strstr(err.msg, "PLAIN is not available"), "%s", err.msg);
	cr_assert_null(sasl_new(&env, &bare, SASL_SCRAM_SHA_256_PLUS, &err));
	cr_assert_null(sasl_new(&env, &bare, SASL_EXTERNAL, &err));
	cr_assert_null(sasl_new(&env, &bare, SASL_MECH_NONE, &err));
}

Test(sasl, mechanism_names)
{
	cr_assert_eq(sasl_mech_parse(STR_LIT("scram-sha-256-plus")), SASL_SCRAM_SHA_256_PLUS);
	cr_assert_eq(sasl_mech_parse(STR_LIT("Cram-Md5")), SASL_CRAM_MD5);
	cr_assert_eq(sasl_mech_parse(STR_LIT("PLAIN ")), SASL_MECH_NONE);
	cr_assert_eq(sasl_mech_parse(STR_LIT("GSSAPI")), SASL_MECH_NONE);
	cr_assert_str_eq(sasl_mech_lower(SASL_SCRAM_SHA_1_PLUS), "scram-sha-1-plus");
	cr_assert_str_eq(sasl_mech_name(SASL_EXTERNAL), "EXTERNAL");
}

/* ---- PLAIN ---- */

Test(sasl, plain_success_with_and_without_initial_response)
{
	struct sasl_conn c = plain_conn();
	struct exch e = PLAIN(&c, "\0mjl@example.org\0pencil");
	cr_assert_eq(e.st, SASL_OK, "%s", e.res.detail.msg);
	cr_assert_eq(e.res.result, AUTH_RESULT_OK);
	cr_assert_str_eq(e.res.ref.account, "mjl");
	cr_assert_str_eq(e.res.ref.login, "mjl@example.org");

	static const char msg[] = "mjl@example.org\0mjl@example.org\0pencil";
	const char *resp[] = {msg};
	size_t len[] = {sizeof msg - 1};
	e = run(&c, SASL_PLAIN, NULL, 0, resp, len, 1);
	cr_assert_eq(e.st, SASL_OK, "authzid equal to authcid: %s", e.res.detail.msg);
	cr_assert_eq(e.nchallenges, 1);
	cr_assert_str_eq(e.challenges[0], "", "empty challenge asks for the message");
}

Test(sasl, plain_login_rules)
{
	struct sasl_conn c = plain_conn();
	/* Any address of the account, including catchall-separator variants and NFD forms. */
	struct exch e = PLAIN(&c, "\0r\xc3\xa9my@example.org\0pencil");
	cr_assert_eq(e.st, SASL_OK, "%s", e.res.detail.msg);
	cr_assert_str_eq(e.res.ref.login, "r\xc3\xa9my@example.org");
	e = PLAIN(&c, "\0re\xcc\x81my@example.org\0pencil");
	cr_assert_eq(e.st, SASL_OK, "NFD user name: %s", e.res.detail.msg);
	cr_assert_str_eq(e.res.ref.login, "r\xc3\xa9my@example.org", "NFC form");
	e = PLAIN(&c, "\0MJL+news@Example.ORG\0pencil");
	cr_assert_eq(e.st, SASL_OK, "%s", e.res.detail.msg);
	cr_assert_str_eq(e.res.ref.account, "mjl");

	/* Wrong password, unknown user, alias, no password: the same failure for the client. */
	e = PLAIN(&c, "\0mjl@example.org\0pencil2");
	cr_assert_eq(e.st, SASL_FAIL);
	cr_assert_eq(e.res.result, AUTH_RESULT_BADPASSWORD);
	cr_assert_str_eq(e.res.client_message, "");
	e = PLAIN(&c, "\0nobody@example.org\0pencil");
	cr_assert_eq(e.st, SASL_FAIL);
	cr_assert_eq(e.res.result, AUTH_RESULT_BADUSER);
	e = PLAIN(&c, "\0list@example.org\0pencil");
	cr_assert_eq(e.st, SASL_FAIL);
	cr_assert_eq(e.res.result, AUTH_RESULT_BADUSER);
	cr_assert(strstr(e.res.detail.msg, "alias"), "%s", e.res.detail.msg);
	e = PLAIN(&c, "\0nopw@example.org\0pencil");
	cr_assert_eq(e.st, SASL_FAIL);
	cr_assert(strstr(e.res.detail.msg, "no password set"), "%s", e.res.detail.msg);
	e = PLAIN(&c, "\0mjl\0pencil");
	cr_assert_eq(e.st, SASL_FAIL, "an account name is not a login");
}

Test(sasl, plain_authzid_must_be_the_user)
{
	struct sasl_conn c = plain_conn();
	struct exch e = PLAIN(&c, "other@example.org\0mjl@example.org\0pencil");
	cr_assert_eq(e.st, SASL_FAIL);
	cr_assert_eq(e.res.result, AUTH_RESULT_BADAUTHZ);
	cr_assert(e.res.authz_failed);
	e = PLAIN(&c, "re\xcc\x81my@example.org\0r\xc3\xa9my@example.org\0pencil");
	cr_assert_eq(e.st, SASL_OK, "same identity in NFD and NFC: %s", e.res.detail.msg);
}

Test(sasl, plain_malformed_is_a_protocol_error)
{
	struct sasl_conn c = plain_conn();
	struct {
		const char *m;
		size_t n;
	} bad[] = {
	    {"", 0},
	    {"mjl@example.org", 15},
	    {"\0mjl@example.org", 16},
	    {"\0mjl@example.org\0pen\0cil", 24},
	    {"\0\0pencil", 8},
	    {"\0mjl@example.org\0", 17},
	    {"\0mjl@exa\xffmple.org\0pencil", 24},
	    {"\0mjl@example.org\0pen\xc3", 21},
	    {"\xc0\xaf\0mjl@example.org\0pencil", 25},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct exch e = plain(&c, bad[i].m, bad[i].n);
		cr_assert_eq(e.st, SASL_PROTOCOL, "case %zu: %d", i, e.st);
		cr_assert_eq(e.res.result, AUTH_RESULT_BADPROTOCOL);
		cr_assert_eq(e.res.detail.kind, ERR_INVALID, "client data, not a server error");
	}
	/* Overlong password and user name. */
	char big[AUTH_PASSWORD_MAX + 64];
	memset(big, 'a', sizeof big);
	memcpy(big, "\0mjl@example.org\0", 17);
	struct exch e = plain(&c, big, 17 + AUTH_PASSWORD_MAX + 1);
	cr_assert_eq(e.st, SASL_PROTOCOL);
	char huge[AUTH_USERNAME_MAX + 16];
	memset(huge, 'a', sizeof huge);
	huge[0] = '\0';
	huge[AUTH_USERNAME_MAX + 2] = '\0';
	e = plain(&c, huge, AUTH_USERNAME_MAX + 6);
	cr_assert_eq(e.st, SASL_PROTOCOL);
	/* An empty initial response ("=") is not a PLAIN message either. */
	e = plain(&c, "", 0);
	cr_assert_eq(e.st, SASL_PROTOCOL);
}

/* ---- LOGIN ---- */

Test(sasl, login_mechanism)
{
	struct sasl_conn c = plain_conn();
	const char *resp[] = {"mjl@example.org", "pencil"};
	struct exch e = run(&c, SASL_LOGIN, NULL, 0, resp, NULL, 2);
	cr_assert_eq(e.st, SASL_OK, "%s", e.res.detail.msg);
	cr_assert_eq(e.nchallenges, 2);
	cr_assert_str_eq(e.challenges[0], "Username:");
	cr_assert_str_eq(e.challenges[1], "Password:");

	const char *pw[] = {"pencil"};
	e = run(&c, SASL_LOGIN, "mjl@example.org", 15, pw, NULL, 1);
	cr_assert_eq(e.st, SASL_OK, "user name as initial response: %s", e.res.detail.msg);
	cr_assert_str_eq(e.challenges[0], "Password:");

	const char *wrong[] = {"mjl@example.org", "nope"};
	e = run(&c, SASL_LOGIN, NULL, 0, wrong, NULL, 2);
	cr_assert_eq(e.st, SASL_FAIL);
	const char *empty[] = {""};
	e = run(&c, SASL_LOGIN, NULL, 0, empty, NULL, 1);
	cr_assert_eq(e.st, SASL_PROTOCOL);
	const char *crlf[] = {"mjl@example.org", "pen\r\ncil"};
	e = run(&c, SASL_LOGIN, NULL, 0, crlf, NULL, 2);
	cr_assert_eq(e.st, SASL_PROTOCOL);
}

/* ---- CRAM-MD5 ---- */

static void cram_response(const char *user, const char *password, const char *challenge, char *out,
			  size_t cap)
{
	uint8_t d[16];
	unsigned int len = 0;
	HMAC(EVP_md5(), password, (int)strlen(password), (const uint8_t *)challenge,
	     strlen(challenge), d, &len);
	int k = snprintf(out, cap, "%s ", user);
	for (int i = 0; i < 16; i++)
		k += snprintf(out + k, cap - (size_t)k, "%02x", d[i]);
}

Test(sasl, cram_md5_rfc2195_example)
{
	/* RFC 2195 2: the challenge <1896.697170952@postoffice.reston.mci.net> with the shared
	 * secret tanstaaftanstaaf gives digest b913a602c7eda7a495b4e6e7334d3890 (the digest
	 * covers only the challenge, so it holds for tern's address-style user name). */
	struct auth_env e2 = env;
	e2.hostname = "postoffice.reston.mci.net";
	uint32_t r = 1896;
	memcpy(next_random, &r, 4);
	have_next_random = true;
	clock_ms = 697170952000;
	struct sasl_conn c = plain_conn();
	struct error err = {0};
	struct sasl_session *s = sasl_new(&e2, &c, SASL_CRAM_MD5, &err);
	cr_assert_not_null(s);
	struct buf ch = BUF_INIT, line = BUF_INIT;
	cr_assert_eq(sasl_start(s, NULL, 0, false, &ch), SASL_CONTINUE);
	sasl_encode_challenge(&ch, &line);
	cr_assert_str_eq(buf_cstr(&line),
			 "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+",
			 "the RFC's base64 challenge line");
	static const char resp[] = "tim@postoffice.reston.mci.net b913a602c7eda7a495b4e6e7334d3890";
	cr_assert_eq(sasl_step(s, resp, sizeof resp - 1, &ch), SASL_OK, "%s",
		     sasl_result(s)->detail.msg);
	cr_assert_str_eq(sasl_result(s)->ref.account, "tim");
	buf_free(&ch);
	buf_free(&line);
	sasl_free(s);
	clock_ms = 1700000000000;
}

Test(sasl, cram_md5_success_and_failures)
{
	struct sasl_conn c = {.cfg = &cfg}; /* CRAM-MD5 is offered without TLS */
	struct error err = {0};
	struct sasl_session *s = sasl_new(&env, &c, SASL_CRAM_MD5, &err);
	struct buf ch = BUF_INIT;
	cr_assert_eq(sasl_start(s, NULL, 0, false, &ch), SASL_CONTINUE);
	cr_assert(ch.len > 10 && ch.data[0] == '<' && strstr(ch.data, "@mail.example.org>"), "%s",
		  buf_cstr(&ch));
	char resp[256];
	cram_response("mjl@example.org", "pencil", buf_cstr(&ch), resp, sizeof resp);
	cr_assert_eq(sasl_step(s, resp, strlen(resp), &ch), SASL_OK, "%s",
		     sasl_result(s)->detail.msg);
	sasl_free(s);

	s = sasl_new(&env, &c, SASL_CRAM_MD5, &err);
	cr_assert_eq(sasl_start(s, NULL, 0, false, &ch), SASL_CONTINUE);
	cram_response("mjl@example.org", "pencil2", buf_cstr(&ch), resp, sizeof resp);
	cr_assert_eq(sasl_step(s, resp, strlen(resp), &ch), SASL_FAIL);
	cr_assert_eq(sasl_result(s)->result, AUTH_RESULT_BADPASSWORD);
	sasl_free(s);

	/* Malformed responses, and an initial response (server-first mechanism). */
	static const char *const bad[] = {"mjl@example.org", "mjl@example.org 1234",
					  "mjl@example.org b913a602c7eda7a495b4e6e7334d389g",
					  " b913a602c7eda7a495b4e6e7334d3890",
					  "mjl@example.orgb913a602c7eda7a495b4e6e7334d3890"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *r[] = {bad[i]};
		struct exch e = run(&c, SASL_CRAM_MD5, NULL, 0, r, NULL, 1);
		cr_assert_eq(e.st, SASL_PROTOCOL, "%s", bad[i]);
	}
	struct exch e = run(&c, SASL_CRAM_MD5, "x", 1, NULL, NULL, 0);
	cr_assert_eq(e.st, SASL_PROTOCOL);
	cr_assert(strstr(e.res.detail.msg, "initial response"));
	buf_free(&ch);
}

/* ---- SCRAM, with a client written here from RFC 5802 3 ---- */

struct scram_client {
	const EVP_MD *md;
	size_t hl;
	char gs2[64];
	char bare[256];
	const uint8_t *cb;
	size_t cblen;
};

static char *scram_final(const struct scram_client *c, const char *password, const char *s1)
{
	const char *sp = strstr(s1, ",s="), *ip = strstr(s1, ",i=");
	char nonce[256], salt_b64[128];
	snprintf(nonce, sizeof nonce, "%.*s", (int)(sp - s1 - 2), s1 + 2);
	snprintf(salt_b64, sizeof salt_b64, "%.*s", (int)(ip - sp - 3), sp + 3);
	struct buf salt = BUF_INIT, cbind = BUF_INIT, without = BUF_INIT, am = BUF_INIT,
		   out = BUF_INIT;
	cr_assert(base64_decode(BASE64_STD, str_from(salt_b64), &salt));
	uint8_t sp_[32], ck[32], sk[32], sig[32], proof[32];
	unsigned int len;
	PKCS5_PBKDF2_HMAC(password, (int)strlen(password), (uint8_t *)salt.data, (int)salt.len,
			  atoi(ip + 3), c->md, (int)c->hl, sp_);
	HMAC(c->md, sp_, (int)c->hl, (const uint8_t *)"Client Key", 10, ck, &len);
	EVP_Digest(ck, c->hl, sk, &len, c->md, NULL);
	buf_puts(&cbind, c->gs2);
	if (c->cb)
		buf_append(&cbind, c->cb, c->cblen);
	buf_puts(&without, "c=");
	base64_encode(BASE64_STD, cbind.data, cbind.len, &without);
	buf_printf(&without, ",r=%s", nonce);
	buf_printf(&am, "%s,%s,%s", c->bare, s1, buf_cstr(&without));
	HMAC(c->md, sk, (int)c->hl, (uint8_t *)am.data, am.len, sig, &len);
	for (size_t i = 0; i < c->hl; i++)
		proof[i] = ck[i] ^ sig[i];
	buf_printf(&out, "%s,p=", buf_cstr(&without));
	base64_encode(BASE64_STD, proof, c->hl, &out);
	buf_free(&salt);
	buf_free(&cbind);
	buf_free(&without);
	buf_free(&am);
	return buf_steal(&out);
}

struct scram_run {
	enum sasl_status st;
	struct sasl_result res;
	char server_first[512];
};

static struct scram_run scram(const struct sasl_conn *c, enum sasl_mech m, const char *gs2,
			      const char *user, const char *password, const uint8_t *cb,
			      size_t cblen, bool use_ir)
{
	bool sha1 = m == SASL_SCRAM_SHA_1 || m == SASL_SCRAM_SHA_1_PLUS;
	struct scram_client cl = {
	    sha1 ? EVP_sha1() : EVP_sha256(), sha1 ? 20 : 32, "", "", cb, cblen};
	snprintf(cl.gs2, sizeof cl.gs2, "%s", gs2);
	snprintf(cl.bare, sizeof cl.bare, "n=%s,r=rOprNGfwEbeRWgbNEkqO", user);
	char c1[512];
	snprintf(c1, sizeof c1, "%s%s", cl.gs2, cl.bare);
	struct scram_run r = {0};
	struct error err = {0};
	struct sasl_session *s = sasl_new(&env, c, m, &err);
	cr_assert_not_null(s, "%s", err.msg);
	struct buf ch = BUF_INIT;
	if (use_ir) {
		r.st = sasl_start(s, c1, strlen(c1), true, &ch);
	} else {
		r.st = sasl_start(s, NULL, 0, false, &ch);
		cr_assert_eq(r.st, SASL_CONTINUE);
		cr_assert_eq(ch.len, 0);
		r.st = sasl_step(s, c1, strlen(c1), &ch);
	}
	if (r.st == SASL_CONTINUE) {
		snprintf(r.server_first, sizeof r.server_first, "%s", buf_cstr(&ch));
		char *c2 = scram_final(&cl, password, r.server_first);
		r.st = sasl_step(s, c2, strlen(c2), &ch);
		free(c2);
		if (r.st == SASL_CONTINUE) {
			cr_assert(strncmp(buf_cstr(&ch), "v=", 2) == 0, "%s", buf_cstr(&ch));
			r.st = sasl_step(s, "", 0, &ch);
		}
	}
	r.res = *sasl_result(s);
	buf_free(&ch);
	sasl_free(s);
	return r;
}

Test(sasl, scram_sha256_and_sha1)
{
	struct sasl_conn c = {.cfg = &cfg};
	struct scram_run r =
	    scram(&c, SASL_SCRAM_SHA_256, "n,,", "mjl@example.org", "pencil", NULL, 0, false);
	cr_assert_eq(r.st, SASL_OK, "%s", r.res.detail.msg);
	cr_assert_str_eq(r.res.ref.account, "mjl");
	cr_assert(strstr(r.server_first, ",i=4096"), "%s", r.server_first);
	r = scram(&c, SASL_SCRAM_SHA_1, "n,,", "mjl@example.org", "pencil", NULL, 0, true);
	cr_assert_eq(r.st, SASL_OK, "client-first as initial response: %s", r.res.detail.msg);
	r = scram(&c, SASL_SCRAM_SHA_256, "n,,", "mjl@example.org", "wrong", NULL, 0, true);
	cr_assert_eq(r.st, SASL_FAIL);
	cr_assert_eq(r.res.result, AUTH_RESULT_BADPASSWORD);
	r = scram(&c, SASL_SCRAM_SHA_256, "n,a=mjl@example.org,", "mjl@example.org", "pencil", NULL,
		  0, true);
	cr_assert_eq(r.st, SASL_OK, "authzid equal to user: %s", r.res.detail.msg);
	r = scram(&c, SASL_SCRAM_SHA_256, "n,a=other@example.org,", "mjl@example.org", "pencil",
		  NULL, 0, true);
	cr_assert_eq(r.st, SASL_FAIL);
	cr_assert(r.res.authz_failed);
}

Test(sasl, scram_unknown_user_looks_like_a_known_one)
{
	struct sasl_conn c = {.cfg = &cfg};
	struct scram_run a =
	    scram(&c, SASL_SCRAM_SHA_256, "n,,", "ghost@example.org", "pencil", NULL, 0, true);
	struct scram_run b =
	    scram(&c, SASL_SCRAM_SHA_256, "n,,", "ghost@example.org", "other", NULL, 0, true);
	struct scram_run x =
	    scram(&c, SASL_SCRAM_SHA_256, "n,,", "ghost2@example.org", "pencil", NULL, 0, true);
	cr_assert_eq(a.st, SASL_FAIL);
	cr_assert_eq(a.res.result, AUTH_RESULT_BADUSER);
	cr_assert(strstr(a.res.detail.msg, "no such address"), "%s", a.res.detail.msg);
	/* A stable salt per unknown user, a different one for another name, default count. */
	const char *sa = strstr(a.server_first, ",s="), *sb = strstr(b.server_first, ",s="),
		   *sx = strstr(x.server_first, ",s=");
	cr_assert_str_eq(sa, sb);
	cr_assert_str_neq(sa, sx);
	cr_assert(strstr(sa, ",i=16384"), "%s", sa);
	/* Alias and passwordless accounts too. */
	struct scram_run l =
	    scram(&c, SASL_SCRAM_SHA_256, "n,,", "list@example.org", "pencil", NULL, 0, true);
	cr_assert_eq(l.st, SASL_FAIL);
	cr_assert_eq(l.res.result, AUTH_RESULT_BADUSER);
	l = scram(&c, SASL_SCRAM_SHA_1, "n,,", "nopw@example.org", "pencil", NULL, 0, true);
	cr_assert_eq(l.st, SASL_FAIL);
}

Test(sasl, scram_plus_channel_binding)
{
	struct auth_tls t = tls13();
	struct sasl_conn c = {.cfg = &cfg, .tls = &t};
	struct scram_run r = scram(&c, SASL_SCRAM_SHA_256_PLUS, "p=tls-exporter,,",
				   "mjl@example.org", "pencil", t.exporter, 32, true);
	cr_assert_eq(r.st, SASL_OK, "%s", r.res.detail.msg);
	r = scram(&c, SASL_SCRAM_SHA_1_PLUS, "p=tls-exporter,,", "mjl@example.org", "pencil",
		  t.exporter, 32, false);
	cr_assert_eq(r.st, SASL_OK, "%s", r.res.detail.msg);

	/* Wrong binding data: another TLS session, as a man in the middle would have. */
	uint8_t mitm[32];
	memcpy(mitm, t.exporter, 32);
	mitm[0] ^= 0xff;
	r = scram(&c, SASL_SCRAM_SHA_256_PLUS, "p=tls-exporter,,", "mjl@example.org", "pencil",
		  mitm, 32, true);
	cr_assert_eq(r.st, SASL_FAIL);
	cr_assert_eq(r.res.result, AUTH_RESULT_BADCHANBIND);

	/* TLS 1.2 with tls-unique. */
	struct auth_tls t12 = {.active = true, .have_unique = true, .unique_len = 12};
	memset(t12.unique, 7, 12);
	struct sasl_conn c12 = {.cfg = &cfg, .tls = &t12};
	r = scram(&c12, SASL_SCRAM_SHA_256_PLUS, "p=tls-unique,,", "mjl@example.org", "pencil",
		  t12.unique, 12, true);
	cr_assert_eq(r.st, SASL_OK, "%s", r.res.detail.msg);
	r = scram(&c12, SASL_SCRAM_SHA_256_PLUS, "p=tls-exporter,,", "mjl@example.org", "pencil",
		  t.exporter, 32, true);
	cr_assert_eq(r.st, SASL_FAIL, "no exporter data on this connection");
	cr_assert_eq(r.res.result, AUTH_RESULT_BADCHANBIND);
}

Test(sasl, scram_downgrade_detected)
{
	/* The server offered -PLUS; the client says "y" (it supports binding but believes the
	 * server does not): an attacker stripped -PLUS from the list. */
	struct auth_tls t = tls13();
	struct sasl_conn c = {.cfg = &cfg, .tls = &t};
	struct scram_run r =
	    scram(&c, SASL_SCRAM_SHA_256, "y,,", "mjl@example.org", "pencil", NULL, 0, true);
	cr_assert_eq(r.st, SASL_FAIL);
	cr_assert_eq(r.res.result, AUTH_RESULT_BADCHANBIND);
	cr_assert(strstr(r.res.detail.msg, "downgrade"), "%s", r.res.detail.msg);
	/* Without TLS the same "y" is honest. */
	struct sasl_conn plain = {.cfg = &cfg};
	r = scram(&plain, SASL_SCRAM_SHA_256, "y,,", "mjl@example.org", "pencil", NULL, 0, true);
	cr_assert_eq(r.st, SASL_OK, "%s", r.res.detail.msg);
}

Test(sasl, scram_protocol_errors)
{
	struct sasl_conn c = {.cfg = &cfg};
	struct exch e = run(&c, SASL_SCRAM_SHA_256, "n,,r=abc", 8, NULL, NULL, 0);
	cr_assert_eq(e.st, SASL_PROTOCOL);
	cr_assert_eq(e.res.detail.kind, ERR_INVALID);
	e = run(&c, SASL_SCRAM_SHA_256, "p=tls-exporter,,n=mjl@example.org,r=abc", 39, NULL, NULL,
		0);
	cr_assert_eq(e.st, SASL_PROTOCOL, "binding flag without -PLUS");
	/* The acknowledgement of server-final must be empty. */
	struct error err = {0};
	struct sasl_session *s = sasl_new(&env, &c, SASL_SCRAM_SHA_256, &err);
	struct buf ch = BUF_INIT;
	const char c1[] = "n,,n=mjl@example.org,r=rOprNGfwEbeRWgbNEkqO";
	cr_assert_eq(sasl_start(s, c1, sizeof c1 - 1, true, &ch), SASL_CONTINUE);
	struct scram_client cl = {
	    EVP_sha256(), 32, "n,,", "n=mjl@example.org,r=rOprNGfwEbeRWgbNEkqO", NULL, 0};
	char *c2 = scram_final(&cl, "pencil", buf_cstr(&ch));
	cr_assert_eq(sasl_step(s, c2, strlen(c2), &ch), SASL_CONTINUE);
	cr_assert_eq(sasl_step(s, "x", 1, &ch), SASL_PROTOCOL);
	free(c2);
	buf_free(&ch);
	sasl_free(s);
}

/* ---- EXTERNAL and the TLS identity ---- */

static struct auth_identity identity_of(const char *login)
{
	struct auth_identity id = {0};
	cr_assert_eq(auth_lookup_login(&cfg, login, strlen(login), &id.ref, NULL),
		     AUTH_LOOKUP_FOUND);
	return id;
}

Test(sasl, external)
{
	struct auth_tls t = tls13();
	t.client_cert = true;
	struct auth_identity id = identity_of("mjl@example.org");
	struct sasl_conn c = {.cfg = &cfg, .tls = &t, .identity = &id};
	struct exch e = run(&c, SASL_EXTERNAL, "", 0, NULL, NULL, 0);
	cr_assert_eq(e.st, SASL_OK, "%s", e.res.detail.msg);
	cr_assert_str_eq(e.res.ref.login, "mjl@example.org");
	const char *resp[] = {"r\xc3\xa9my@example.org"};
	e = run(&c, SASL_EXTERNAL, NULL, 0, resp, NULL, 1);
	cr_assert_eq(e.st, SASL_OK, "another address of the same account: %s", e.res.detail.msg);
	cr_assert_str_eq(e.res.ref.login, "r\xc3\xa9my@example.org");
	e = run(&c, SASL_EXTERNAL, "other@example.org", 17, NULL, NULL, 0);
	cr_assert_eq(e.st, SASL_FAIL);
	cr_assert_eq(e.res.result, AUTH_RESULT_BADAUTHZ);
	e = run(&c, SASL_EXTERNAL, "nobody@example.org", 18, NULL, NULL, 0);
	cr_assert_eq(e.st, SASL_FAIL);
	e = run(&c, SASL_EXTERNAL, "a\0b", 3, NULL, NULL, 0);
	cr_assert_eq(e.st, SASL_PROTOCOL);
}

Test(sasl, other_mechanism_after_tls_identity_must_be_same_account)
{
	struct auth_tls t = tls13();
	struct auth_identity id = identity_of("mjl@example.org");
	struct sasl_conn c = {.cfg = &cfg, .tls = &t, .identity = &id};
	struct exch e = PLAIN(&c, "\0r\xc3\xa9my@example.org\0pencil");
	cr_assert_eq(e.st, SASL_OK, "same account, other address: %s", e.res.detail.msg);
	e = PLAIN(&c, "\0other@example.org\0other pass");
	cr_assert_eq(e.st, SASL_FAIL);
	cr_assert_eq(e.res.result, AUTH_RESULT_BADCREDS);
	cr_assert(strstr(e.res.detail.msg, "TLS client certificate belongs to account mjl"));
	struct scram_run r = scram(&c, SASL_SCRAM_SHA_256_PLUS, "p=tls-exporter,,",
				   "other@example.org", "other pass", t.exporter, 32, true);
	cr_assert_eq(r.st, SASL_FAIL);
	cr_assert_eq(r.res.result, AUTH_RESULT_BADCREDS);
}

/* ---- disabled accounts and domains ---- */

Test(sasl, login_disabled_account)
{
	struct auth_tls t = tls13();
	struct sasl_conn c = {.cfg = &cfg, .tls = &t};
	struct exch e = PLAIN(&c, "\0off@example.org\0offpass");
	cr_assert_eq(e.st, SASL_FAIL);
	cr_assert_eq(e.res.result, AUTH_RESULT_LOGINDISABLED);
	cr_assert_str_eq(e.res.client_message,
			 "login disabled: moved to the new server, see https://example.org/move");
	/* Without the right password, nothing about the account is revealed. */
	e = PLAIN(&c, "\0off@example.org\0wrong");
	cr_assert_eq(e.res.result, AUTH_RESULT_BADPASSWORD);
	cr_assert_str_eq(e.res.client_message, "");
	/* Every mechanism. */
	struct scram_run r =
	    scram(&c, SASL_SCRAM_SHA_256, "n,,", "off@example.org", "offpass", NULL, 0, true);
	cr_assert_eq(r.res.result, AUTH_RESULT_LOGINDISABLED);
	cr_assert(strstr(r.res.client_message, "moved to the new server"));
	struct auth_identity id = identity_of("off@example.org");
	cr_assert_str_neq(id.ref.login_disabled, "");
	c.identity = &id;
	e = run(&c, SASL_EXTERNAL, "", 0, NULL, NULL, 0);
	cr_assert_eq(e.res.result, AUTH_RESULT_LOGINDISABLED);
}

Test(sasl, disabled_domain_still_logs_in)
{
	/* Seed: accounts with addresses at disabled domains can still log in. */
	struct sasl_conn c = plain_conn();
	struct exch e = PLAIN(&c, "\0dis@disabled.example\0dispass");
	cr_assert_eq(e.st, SASL_OK, "%s", e.res.detail.msg);
}

/* ---- cancel, order, limits, temporary failures ---- */

Test(sasl, cancel_and_misuse)
{
	struct sasl_conn c = plain_conn();
	struct error err = {0};
	struct sasl_session *s = sasl_new(&env, &c, SASL_LOGIN, &err);
	struct buf ch = BUF_INIT;
	cr_assert_eq(sasl_step(s, "x", 1, &ch), SASL_PROTOCOL, "step before start");
	sasl_free(s);

	s = sasl_new(&env, &c, SASL_LOGIN, &err);
	cr_assert_eq(sasl_start(s, NULL, 0, false, &ch), SASL_CONTINUE);
	cr_assert_eq(sasl_cancel(s), SASL_ABORTED);
	cr_assert_eq(sasl_result(s)->result, AUTH_RESULT_ABORTED);
	cr_assert_eq(sasl_step(s, "x", 1, &ch), SASL_PROTOCOL, "step after the end");
	sasl_free(s);

	s = sasl_new(&env, &c, SASL_LOGIN, &err);
	cr_assert_eq(sasl_start(s, NULL, 0, false, &ch), SASL_CONTINUE);
	static char big[SASL_RESPONSE_MAX + 1];
	memset(big, 'a', sizeof big);
	cr_assert_eq(sasl_step(s, big, sizeof big, &ch), SASL_PROTOCOL);
	sasl_free(s);
	buf_free(&ch);
}

Test(sasl, temporary_failures_are_not_client_errors)
{
	struct sasl_conn c = plain_conn();
	store_fails = true;
	struct exch e = PLAIN(&c, "\0mjl@example.org\0pencil");
	cr_assert_eq(e.st, SASL_TEMPORARY);
	cr_assert_eq(e.res.result, AUTH_RESULT_ERROR);
	cr_assert(strstr(e.res.detail.msg, "disk on fire"), "%s", e.res.detail.msg);
	struct scram_run r =
	    scram(&c, SASL_SCRAM_SHA_256, "n,,", "mjl@example.org", "pencil", NULL, 0, true);
	cr_assert_eq(r.st, SASL_TEMPORARY);
	store_fails = false;

	/* A corrupt blob is a server-side error naming the account, not a login. */
	store[0].blob.data[store[0].blob.len - 1] ^= 1;
	e = PLAIN(&c, "\0mjl@example.org\0pencil");
	cr_assert_eq(e.st, SASL_TEMPORARY);
	cr_assert(strstr(e.res.detail.msg, "account mjl"), "%s", e.res.detail.msg);
	cr_assert(strstr(e.res.detail.msg, "checksum"), "%s", e.res.detail.msg);
	cr_assert_eq(e.res.detail.kind, ERR_INTERNAL);
}

/* ---- framing ---- */

Test(sasl, framing)
{
	struct buf b = BUF_INIT;
	cr_assert_eq(sasl_decode_response(STR_LIT("*"), &b), SASL_LINE_CANCEL);
	cr_assert_eq(sasl_decode_response(STR_LIT(""), &b), SASL_LINE_DATA);
	cr_assert_eq(b.len, 0);
	cr_assert_eq(sasl_decode_response(STR_LIT("AG1qbEBleGFtcGxlLm9yZwBwZW5jaWw="), &b),
		     SASL_LINE_DATA);
	cr_assert_eq(b.len, 23);
	cr_assert_eq(memcmp(b.data, "\0mjl@example.org\0pencil", 23), 0);
	sasl_wipe(&b);
	cr_assert_eq(sasl_decode_response(STR_LIT("AG1q bEBl"), &b), SASL_LINE_MALFORMED);
	cr_assert_eq(sasl_decode_response(STR_LIT("="), &b), SASL_LINE_MALFORMED,
		     "\"=\" only for initial responses");
	cr_assert_eq(sasl_decode_initial(STR_LIT("="), &b), SASL_LINE_DATA);
	cr_assert_eq(b.len, 0);
	cr_assert_eq(sasl_decode_initial(STR_LIT(""), &b), SASL_LINE_MALFORMED);
	cr_assert_eq(sasl_decode_initial(STR_LIT("*"), &b), SASL_LINE_CANCEL);
	static char longline[SASL_LINE_MAX + 5];
	memset(longline, 'A', sizeof longline);
	cr_assert_eq(sasl_decode_response(str_make(longline, SASL_LINE_MAX + 4), &b),
		     SASL_LINE_MALFORMED);
	cr_assert_eq(sasl_decode_response(str_make(longline, SASL_LINE_MAX), &b), SASL_LINE_DATA);
	sasl_wipe(&b);
	struct buf ch = BUF_INIT, line = BUF_INIT;
	sasl_encode_challenge(&ch, &line);
	cr_assert_str_eq(buf_cstr(&line), "");
	buf_puts(&ch, "Username:");
	sasl_encode_challenge(&ch, &line);
	cr_assert_str_eq(buf_cstr(&line), "VXNlcm5hbWU6");
	buf_free(&ch);
	buf_free(&line);
}

Test(sasl, result_names)
{
	cr_assert_str_eq(auth_result_name(AUTH_RESULT_OK), "ok");
	cr_assert_str_eq(auth_result_name(AUTH_RESULT_BADCHANBIND), "badchanbind");
	cr_assert_str_eq(auth_result_name(AUTH_RESULT_LOGINDISABLED), "logindisabled");
	cr_assert(auth_result_is_failure(AUTH_RESULT_BADPASSWORD));
	cr_assert(auth_result_is_failure(AUTH_RESULT_BADPROTOCOL));
	cr_assert_not(auth_result_is_failure(AUTH_RESULT_ERROR));
	cr_assert_not(auth_result_is_failure(AUTH_RESULT_ABORTED));
	cr_assert_not(auth_result_is_failure(AUTH_RESULT_OK));
}
