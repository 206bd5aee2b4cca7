/*
 * Unit tests of TLS client certificate authentication and channel binding over real TLS
 * connections (socketpair, OpenSSL client): TLS public keys from certificates (types, names,
 * fingerprints equal to what the handshake reports), certgen's client certificates and
 * PKCS#12, identities from auth.db checked against the config, EXTERNAL, and SCRAM -PLUS
 * with the binding data of the right and of another TLS session, for TLS 1.3 and 1.2.
 */
#include "base/base64.h"
#include "auth/sasl.h"
#include "auth/sasl_conn.h"
#include "auth/tlspubkey.h"
#include "base/arena.h"
#include "net/certgen.h"
#include "net/conn.h"
#include "net/tls.h"

#include <criterion/criterion.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char domains_conf[] = "Domains:\n"
				   "\texample.org: nil\n"
				   "Accounts:\n"
				   "\tmjl:\n"
				   "\t\tDomain: example.org\n"
				   "\t\tDestinations:\n"
				   "\t\t\tmjl@example.org: nil\n"
				   "\t\t\tr\xc3\xa9my@example.org: nil\n"
				   "\tother:\n"
				   "\t\tDomain: example.org\n"
				   "\t\tDestinations:\n"
				   "\t\t\tother@example.org: nil\n";

static struct arena arena;
static struct cfg_dynamic cfg;
static char dir[64], dbpath[128], crt[128], key[128];
static struct tls_ctx *server_tls;
static struct buf blob = BUF_INIT;

static bool get_creds(void *arg, const char *account, struct buf *out, bool *found,
		      struct error *err)
{
	(void)arg;
	(void)err;
	*found = strcmp(account, "mjl") == 0;
	if (*found)
		buf_append(out, blob.data, blob.len);
	return true;
}

static struct auth_env env = {.credentials = get_creds, .hostname = "mail.example.org"};

static void load_config(const char *text, struct cfg_dynamic *d)
{
	memset(d, 0, sizeof *d);
	struct error err = {0};
	struct sch_lines *lines = sch_lines_new(&arena);
	cr_assert(
	    sch_load(text, strlen(text), "domains.conf", &cfg_dynamic_type, d, &arena, lines, &err),
	    "%s", err.msg);
	struct cfg_dynamic_env denv = {.hostname = "mail.example.org"};
	struct cfg_check c = {"domains.conf", "/nonexistent", lines, &arena, &err};
	cr_assert(cfg_dynamic_check(d, &denv, &c), "%s", err.msg);
}

static void setup(void)
{
	arena_init(&arena, 64 * 1024);
	load_config(domains_conf, &cfg);
	strcpy(dir, "/tmp/tern-authtls-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(dbpath, sizeof dbpath, "%s/auth.db", dir);
	snprintf(crt, sizeof crt, "%s/server.crt", dir);
	snprintf(key, sizeof key, "%s/server.key", dir);
	const char *names[] = {"mail.example.org"};
	struct error err = {0};
	cr_assert(certgen_selfsigned(names, 1, "tern test", 1, crt, key, &err), "%s", err.msg);
	struct tls_keypair pair = {crt, key};
	struct tls_config tc = {.pairs = &pair, .npairs = 1, .client_auth = true};
	server_tls = tls_ctx_new(&tc, &err);
	cr_assert_not_null(server_tls, "%s", err.msg);
	struct auth_credentials c;
	static const struct auth_kdf_params cheap = {1, 8192, 4096, 4096};
	cr_assert(auth_credentials_derive("pencil", 6, &cheap, &c, &err));
	buf_reset(&blob);
	auth_credentials_serialize(&c, &blob);
}

static void teardown(void)
{
	tls_ctx_unref(server_tls);
	char p[200];
	const char *files[] = {"auth.db", "auth.db-wal", "auth.db-shm", "server.crt", "server.key"};
	for (int i = 0; i < 5; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
	buf_free(&blob);
	cfg_dynamic_release(&cfg);
	arena_free(&arena);
}

TestSuite(auth_tls, .init = setup, .fini = teardown, .timeout = 60);

/* ---- certificates ---- */

static struct auth_tlspubkey from_pem(const struct buf *pem)
{
	struct auth_tlspubkey k;
	struct error err = {0};
	cr_assert(auth_tlspubkey_from_pem(pem->data, pem->len, &k, &err), "%s", err.msg);
	return k;
}

Test(auth_tls, public_key_types_and_names)
{
	static const struct {
		enum certgen_key kind;
		const char *type;
	} kinds[] = {{CERTGEN_ED25519, "ed25519"},
		     {CERTGEN_ECDSA_P256, "ecdsa-p256"},
		     {CERTGEN_RSA2048, "rsa-2048"}};
	for (size_t i = 0; i < 3; i++) {
		struct buf kp = BUF_INIT, cp = BUF_INIT;
		struct error err = {0};
		cr_assert(certgen_client_cert(kinds[i].kind, "phone", 30, &kp, &cp, &err), "%s",
			  err.msg);
		struct auth_tlspubkey k = from_pem(&cp);
		cr_assert_str_eq(k.type, kinds[i].type);
		cr_assert_str_eq(k.name, "phone");
		cr_assert_eq(strlen(k.fingerprint), AUTH_FP_LEN);
		cr_assert(strstr(buf_cstr(&k.cert_pem), "-----BEGIN CERTIFICATE-----"));
		/* A combined file (key first, as tlspubkey gen writes it) works too. */
		struct buf both = BUF_INIT;
		buf_append(&both, kp.data, kp.len);
		buf_append(&both, cp.data, cp.len);
		struct auth_tlspubkey k2 = from_pem(&both);
		cr_assert_str_eq(k2.fingerprint, k.fingerprint);
		auth_tlspubkey_free(&k);
		auth_tlspubkey_free(&k2);
		buf_free(&both);
		buf_free(&kp);
		buf_free(&cp);
	}
}

static struct buf cert_with(EVP_PKEY *k, const char *cn)
{
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234ab);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	if (cn)
		X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
					   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_sign(x, k, EVP_sha256());
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(b, x);
	char *data;
	long n = BIO_get_mem_data(b, &data);
	struct buf out = BUF_INIT;
	buf_append(&out, data, (size_t)n);
	BIO_free(b);
	X509_free(x);
	return out;
}

Test(auth_tls, refusals_and_serial_names)
{
	EVP_PKEY *small = EVP_RSA_gen(1024);
	struct buf pem = cert_with(small, "old");
	struct auth_tlspubkey k;
	struct error err = {0};
	cr_assert_not(auth_tlspubkey_from_pem(pem.data, pem.len, &k, &err));
	cr_assert(strstr(err.msg, "smaller than 2048 bits"), "%s", err.msg);
	buf_free(&pem);
	EVP_PKEY_free(small);

	EVP_PKEY *ec = EVP_EC_gen("P-384");
	pem = cert_with(ec, NULL);
	k = from_pem(&pem);
	cr_assert_str_eq(k.type, "ecdsa-p384");
	cr_assert_str_eq(k.name, "serial 1234ab", "no common name: named by serial");
	auth_tlspubkey_free(&k);
	buf_free(&pem);
	EVP_PKEY_free(ec);

	cr_assert_not(auth_tlspubkey_from_pem("garbage", 7, &k, &err));
	cr_assert(strstr(err.msg, "no PEM CERTIFICATE"));
}

Test(auth_tls, pkcs12_and_raw_key)
{
	struct buf kp = BUF_INIT, cp = BUF_INIT, p12 = BUF_INIT;
	struct error err = {0};
	cr_assert(certgen_client_cert(CERTGEN_ED25519, "laptop", 30, &kp, &cp, &err));
	cr_assert(certgen_pkcs12(&kp, &cp, "laptop", "", &p12, &err), "%s", err.msg);
	const unsigned char *p = (const unsigned char *)p12.data;
	PKCS12 *x12 = d2i_PKCS12(NULL, &p, (long)p12.len);
	cr_assert_not_null(x12);
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	cr_assert_eq(PKCS12_parse(x12, "", &pk, &x, NULL), 1);
	cr_assert_eq(X509_check_private_key(x, pk), 1);
	unsigned char seed[32];
	cr_assert(certgen_raw_private_key(&kp, seed, &err), "%s", err.msg);
	EVP_PKEY *again = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	cr_assert_eq(X509_check_private_key(x, again), 1, "the seed is the key");
	EVP_PKEY_free(again);
	EVP_PKEY_free(pk);
	X509_free(x);
	PKCS12_free(x12);
	buf_free(&kp);
	buf_free(&cp);
	buf_free(&p12);
}

Test(auth_tls, login_address_and_identity)
{
	struct buf kp = BUF_INIT, cp = BUF_INIT;
	struct error err = {0};
	cr_assert(certgen_client_cert(CERTGEN_ED25519, "phone", 30, &kp, &cp, &err));
	struct auth_tlspubkey k = from_pem(&cp);
	cr_assert_not(auth_tlspubkey_set_login(&k, &cfg, "nobody@example.org", &err));
	cr_assert(strstr(err.msg, "not a login address"), "%s", err.msg);
	cr_assert(auth_tlspubkey_set_login(&k, &cfg, "re\xcc\x81my@EXAMPLE.org", &err), "%s",
		  err.msg);
	cr_assert_str_eq(k.account, "mjl");
	struct authdb *db;
	cr_assert(authdb_open(dbpath, &db, &err), "%s", err.msg);
	cr_assert(authdb_tlspubkey_add(db, &k, &err), "%s", err.msg);

	struct auth_identity id;
	bool found = false;
	const char *why = NULL;
	cr_assert(auth_tls_identify(db, &cfg, k.fingerprint, &id, &found, &why, &err));
	cr_assert(found);
	cr_assert_str_eq(id.ref.account, "mjl");
	cr_assert_eq(id.no_imap_preauth, false);

	/* The address moved to another account: the key no longer identifies anyone. */
	static const char moved[] = "Domains:\n\texample.org: nil\nAccounts:\n"
				    "\tmjl:\n\t\tDomain: example.org\n\t\tDestinations:\n"
				    "\t\t\tmjl@example.org: nil\n"
				    "\tother:\n\t\tDomain: example.org\n\t\tDestinations:\n"
				    "\t\t\tr\xc3\xa9my@example.org: nil\n";
	struct cfg_dynamic d2;
	load_config(moved, &d2);
	cr_assert(auth_tls_identify(db, &d2, k.fingerprint, &id, &found, &why, &err));
	cr_assert_not(found);
	cr_assert(strstr(why, "another account"), "%s", why);
	cfg_dynamic_release(&d2);
	cr_assert(auth_tls_identify(db, &cfg, "unknownfp", &id, &found, &why, &err));
	cr_assert_not(found);
	authdb_close(db);
	auth_tlspubkey_free(&k);
	buf_free(&kp);
	buf_free(&cp);
}

/* ---- real TLS sessions ---- */

struct session {
	struct conn *c;
	SSL_CTX *cctx;
	SSL *ssl;
	int fd;
	pthread_t thread;
	bool server_ok;
	struct error err;
};

static void *accept_thread(void *arg)
{
	struct session *s = arg;
	s->server_ok = conn_tls_accept(s->c, server_tls, 5000, &s->err);
	return NULL;
}

static void start(struct session *s, int max_version, const struct buf *kp, const struct buf *cp)
{
	memset(s, 0, sizeof *s);
	int fds[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	s->c = conn_new(fds[0], NULL);
	s->fd = fds[1];
	pthread_create(&s->thread, NULL, accept_thread, s);
	s->cctx = SSL_CTX_new(TLS_client_method());
	if (max_version)
		SSL_CTX_set_max_proto_version(s->cctx, max_version);
	if (kp) {
		BIO *b = BIO_new_mem_buf(cp->data, (int)cp->len);
		X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
		BIO_free(b);
		b = BIO_new_mem_buf(kp->data, (int)kp->len);
		EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
		BIO_free(b);
		cr_assert(SSL_CTX_use_certificate(s->cctx, x) == 1);
		cr_assert(SSL_CTX_use_PrivateKey(s->cctx, k) == 1);
		X509_free(x);
		EVP_PKEY_free(k);
	}
	s->ssl = SSL_new(s->cctx);
	SSL_set_fd(s->ssl, s->fd);
	cr_assert_eq(SSL_connect(s->ssl), 1);
	pthread_join(s->thread, NULL);
	cr_assert(s->server_ok, "%s", s->err.msg);
	ERR_clear_error();
}

static void finish(struct session *s)
{
	SSL_shutdown(s->ssl);
	SSL_free(s->ssl);
	SSL_CTX_free(s->cctx);
	conn_free(s->c);
	close(s->fd);
}

/* The client's view of the channel binding data (RFC 9266 2, RFC 5929 3.1). */
static size_t client_binding(SSL *ssl, bool exporter, uint8_t *out)
{
	if (exporter) {
		static const char label[] = "EXPORTER-Channel-Binding";
		cr_assert_eq(
		    SSL_export_keying_material(ssl, out, 32, label, sizeof label - 1, NULL, 0, 0),
		    1);
		return 32;
	}
	return SSL_get_finished(ssl, out, 64); /* the client's Finished comes first */
}

Test(auth_tls, conn_facts_match_the_client)
{
	struct buf kp = BUF_INIT, cp = BUF_INIT;
	struct error err = {0};
	cr_assert(certgen_client_cert(CERTGEN_ECDSA_P256, "phone", 30, &kp, &cp, &err));
	struct auth_tlspubkey k = from_pem(&cp);

	struct session s;
	start(&s, 0, &kp, &cp);
	struct auth_tls t;
	cr_assert(auth_tls_from_conn(s.c, &t, &err), "%s", err.msg);
	cr_assert(t.active && t.have_exporter && !t.have_unique, "TLS 1.3: exporter only");
	cr_assert(t.client_cert);
	cr_assert_str_eq(t.client_fp, k.fingerprint, "stored fingerprint = handshake's");
	uint8_t cb[64];
	client_binding(s.ssl, true, cb);
	cr_assert_eq(memcmp(cb, t.exporter, 32), 0);
	char desc[200];
	auth_tls_describe(conn_tls(s.c), desc, sizeof desc);
	cr_assert(strncmp(desc, "version=tls1.3 ciphersuite=tls_", 31) == 0, "%s", desc);
	cr_assert(strstr(desc, " resumed=false alpn="), "%s", desc);
	finish(&s);

	start(&s, TLS1_2_VERSION, NULL, NULL);
	cr_assert(auth_tls_from_conn(s.c, &t, &err), "%s", err.msg);
	cr_assert(t.active && t.have_unique && !t.client_cert);
	size_t n = client_binding(s.ssl, false, cb);
	cr_assert_eq(t.unique_len, n);
	cr_assert_eq(memcmp(cb, t.unique, n), 0);
	finish(&s);

	struct conn *plain = conn_new(socket(AF_UNIX, SOCK_STREAM, 0), NULL);
	cr_assert(auth_tls_from_conn(plain, &t, &err));
	cr_assert_not(t.active);
	conn_free(plain);
	auth_tlspubkey_free(&k);
	buf_free(&kp);
	buf_free(&cp);
}

Test(auth_tls, external_with_a_client_certificate)
{
	struct buf kp = BUF_INIT, cp = BUF_INIT;
	struct error err = {0};
	cr_assert(certgen_client_cert(CERTGEN_ED25519, "phone", 30, &kp, &cp, &err));
	struct auth_tlspubkey k = from_pem(&cp);
	cr_assert(auth_tlspubkey_set_login(&k, &cfg, "mjl@example.org", &err));
	k.no_imap_preauth = true;
	struct authdb *db;
	cr_assert(authdb_open(dbpath, &db, &err), "%s", err.msg);
	cr_assert(authdb_tlspubkey_add(db, &k, &err), "%s", err.msg);

	struct session s;
	start(&s, 0, &kp, &cp);
	struct auth_tls t;
	cr_assert(auth_tls_from_conn(s.c, &t, &err));
	struct auth_identity id;
	bool found = false;
	cr_assert(auth_tls_identify(db, &cfg, t.client_fp, &id, &found, NULL, &err));
	cr_assert(found);
	cr_assert(id.no_imap_preauth);
	struct sasl_conn sc = {.cfg = &cfg, .tls = &t, .identity = &id};
	struct sasl_session *ss = sasl_new(&env, &sc, SASL_EXTERNAL, &err);
	cr_assert_not_null(ss, "%s", err.msg);
	struct buf ch = BUF_INIT;
	cr_assert_eq(sasl_start(ss, "", 0, true, &ch), SASL_OK, "%s", sasl_result(ss)->detail.msg);
	cr_assert_str_eq(sasl_result(ss)->ref.login, "mjl@example.org");
	sasl_free(ss);
	buf_free(&ch);
	finish(&s);
	authdb_close(db);
	auth_tlspubkey_free(&k);
	buf_free(&kp);
	buf_free(&cp);
}

/* A SCRAM-SHA-256-PLUS exchange on server connection t, the client binding cb. */
static enum sasl_status scram_plus(const struct auth_tls *t, const char *cbname, const uint8_t *cb,
				   size_t cblen)
{
	struct sasl_conn sc = {.cfg = &cfg, .tls = t};
	struct error err = {0};
	struct sasl_session *s = sasl_new(&env, &sc, SASL_SCRAM_SHA_256_PLUS, &err);
	cr_assert_not_null(s, "%s", err.msg);
	char gs2[64], c1[256];
	snprintf(gs2, sizeof gs2, "p=%s,,", cbname);
	const char *bare = "n=mjl@example.org,r=abcdefghijkl";
	snprintf(c1, sizeof c1, "%s%s", gs2, bare);
	struct buf ch = BUF_INIT;
	enum sasl_status st = sasl_start(s, c1, strlen(c1), true, &ch);
	if (st != SASL_CONTINUE) { /* e.g. a binding type this session does not have */
		buf_free(&ch);
		sasl_free(s);
		return st;
	}
	/* Client side of RFC 5802 3. */
	char s1[512];
	snprintf(s1, sizeof s1, "%s", buf_cstr(&ch));
	char *sp = strstr(s1, ",s="), *ip = strstr(s1, ",i=");
	struct buf salt = BUF_INIT, cbind = BUF_INIT, without = BUF_INIT, am = BUF_INIT,
		   c2 = BUF_INIT;
	cr_assert(base64_decode(BASE64_STD, str_make(sp + 3, (size_t)(ip - sp - 3)), &salt));
	uint8_t salted[32], ck[32], sk[32], sig[32], proof[32];
	unsigned int len;
	PKCS5_PBKDF2_HMAC("pencil", 6, (uint8_t *)salt.data, (int)salt.len, atoi(ip + 3),
			  EVP_sha256(), 32, salted);
	HMAC(EVP_sha256(), salted, 32, (const uint8_t *)"Client Key", 10, ck, &len);
	EVP_Digest(ck, 32, sk, &len, EVP_sha256(), NULL);
	buf_puts(&cbind, gs2);
	buf_append(&cbind, cb, cblen);
	buf_puts(&without, "c=");
	base64_encode(BASE64_STD, cbind.data, cbind.len, &without);
	buf_printf(&without, ",r=%.*s", (int)(sp - s1 - 2), s1 + 2);
	buf_printf(&am, "%s,%s,%s", bare, s1, buf_cstr(&without));
	HMAC(EVP_sha256(), sk, 32, (uint8_t *)am.data, am.len, sig, &len);
	for (int i = 0; i < 32; i++)
		proof[i] = ck[i] ^ sig[i];
	buf_printf(&c2, "%s,p=", buf_cstr(&without));
	base64_encode(BASE64_STD, proof, 32, &c2);
	st = sasl_step(s, c2.data, c2.len, &ch);
	if (st == SASL_CONTINUE)
		st = sasl_step(s, "", 0, &ch);
	buf_free(&salt);
	buf_free(&cbind);
	buf_free(&without);
	buf_free(&am);
	buf_free(&c2);
	buf_free(&ch);
	sasl_free(s);
	return st;
}

Test(auth_tls, scram_plus_binds_to_the_tls_session)
{
	/* TLS 1.3, tls-exporter: the client's own session works; a relaying man in the middle
	 * has two sessions, and the data of one does not fit the other. */
	struct session a, b;
	start(&a, 0, NULL, NULL);
	start(&b, 0, NULL, NULL);
	struct auth_tls ta, tb;
	struct error err = {0};
	cr_assert(auth_tls_from_conn(a.c, &ta, &err));
	cr_assert(auth_tls_from_conn(b.c, &tb, &err));
	uint8_t cba[64], cbb[64];
	client_binding(a.ssl, true, cba);
	client_binding(b.ssl, true, cbb);
	cr_assert_eq(scram_plus(&ta, "tls-exporter", cba, 32), SASL_OK);
	cr_assert_eq(scram_plus(&ta, "tls-exporter", cbb, 32), SASL_FAIL);
	cr_assert_eq(scram_plus(&ta, "tls-unique", cba, 12), SASL_FAIL, "no tls-unique in 1.3");
	finish(&a);
	finish(&b);

	/* TLS 1.2: tls-unique, and tls-exporter (OpenSSL negotiates extended master secret). */
	start(&a, TLS1_2_VERSION, NULL, NULL);
	start(&b, TLS1_2_VERSION, NULL, NULL);
	cr_assert(auth_tls_from_conn(a.c, &ta, &err));
	size_t na = client_binding(a.ssl, false, cba), nb = client_binding(b.ssl, false, cbb);
	cr_assert_eq(scram_plus(&ta, "tls-unique", cba, na), SASL_OK);
	cr_assert_eq(scram_plus(&ta, "tls-unique", cbb, nb), SASL_FAIL);
	cr_assert(ta.have_exporter);
	client_binding(a.ssl, true, cba);
	cr_assert_eq(scram_plus(&ta, "tls-exporter", cba, 32), SASL_OK);
	finish(&a);
	finish(&b);
}
