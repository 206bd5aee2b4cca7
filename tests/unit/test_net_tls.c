#include "base/mem.h"
#include "net/conn.h"
#include "net/tls.h"

#include <criterion/criterion.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- test certificates, generated per test into a temporary directory ---- */

enum keyform { KEY_PKCS8, KEY_TRADITIONAL, KEY_ENCRYPTED };

struct testcert {
	char *cert;
	char *key;
	X509 *x;
	EVP_PKEY *k;
};

static char *tempdir(void)
{
	char tmpl[] = "/tmp/tern-tls-test-XXXXXX";
	char *d = mkdtemp(tmpl);
	cr_assert(d);
	return xstrdup(d);
}

static X509 *self_signed(EVP_PKEY *k, const char *cn, const char *sans)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, name);
	if (sans) {
		X509V3_CTX v3;
		X509V3_set_ctx_nodb(&v3);
		X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
		X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, sans);
		cr_assert(ext);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	cr_assert(X509_sign(x, k, EVP_sha256()) > 0);
	return x;
}

static void write_key(const char *path, EVP_PKEY *k, enum keyform form)
{
	BIO *b = BIO_new_file(path, "w");
	cr_assert(b);
	if (form == KEY_PKCS8)
		cr_assert(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL));
	else if (form == KEY_TRADITIONAL)
		cr_assert(PEM_write_bio_PrivateKey_traditional(b, k, NULL, NULL, 0, NULL, NULL));
	else
		cr_assert(PEM_write_bio_PrivateKey(b, k, EVP_aes_128_cbc(), NULL, 0, NULL,
						   (void *)"secret"));
	BIO_free(b);
}

static void write_certs(const char *path, X509 *leaf, X509 *extra)
{
	FILE *f = fopen(path, "w");
	cr_assert(f);
	cr_assert(PEM_write_X509(f, leaf));
	if (extra)
		cr_assert(PEM_write_X509(f, extra));
	fclose(f);
}

/* A certificate for cn with subjectAltName sans ("DNS:a,DNS:b"), files in dir. */
static struct testcert make_cert(const char *dir, const char *cn, const char *sans, bool rsa,
				 enum keyform form)
{
	struct testcert c;
	c.k = rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
	cr_assert(c.k);
	c.x = self_signed(c.k, cn, sans);
	c.cert = xasprintf("%s/%s.crt", dir, cn);
	c.key = xasprintf("%s/%s.key", dir, cn);
	write_certs(c.cert, c.x, NULL);
	write_key(c.key, c.k, form);
	return c;
}

static void free_cert(struct testcert *c)
{
	unlink(c->cert);
	unlink(c->key);
	free(c->cert);
	free(c->key);
	X509_free(c->x);
	EVP_PKEY_free(c->k);
}

static struct tls_ctx *make_ctx(const struct testcert *certs, size_t n, struct tls_config *cfg)
{
	struct tls_keypair pairs[8];
	for (size_t i = 0; i < n; i++)
		pairs[i] = (struct tls_keypair){certs[i].cert, certs[i].key};
	struct tls_config zero = {0};
	if (!cfg)
		cfg = &zero;
	cfg->pairs = pairs;
	cfg->npairs = n;
	struct error err;
	struct tls_ctx *t = tls_ctx_new(cfg, &err);
	cr_assert(t, "tls_ctx_new: %s", err.msg);
	return t;
}

/* ---- a handshake between a conn (server, own thread) and an OpenSSL client ---- */

struct client_opts {
	const char *sni;
	const char *alpn; /* comma-separated */
	int max_version;  /* 0: any */
	X509 *cert;
	EVP_PKEY *key;
	SSL_SESSION *session;
};

struct server_side {
	struct conn *c;
	struct tls_ctx *t;
	int timeout_ms;
	bool ok;
	struct error err;
};

static void *server_accept(void *arg)
{
	struct server_side *s = arg;
	s->ok = conn_tls_accept(s->c, s->t, s->timeout_ms, &s->err);
	return NULL;
}

struct session {
	struct server_side srv;
	pthread_t thread;
	int fd; /* client socket */
	SSL_CTX *cctx;
	SSL *ssl;
	bool client_ok;
};

static void set_alpn(SSL_CTX *cctx, const char *list)
{
	unsigned char wire[256];
	size_t n = 0;
	char *copy = xstrdup(list);
	for (char *save, *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		wire[n++] = (unsigned char)strlen(p);
		memcpy(wire + n, p, strlen(p));
		n += strlen(p);
	}
	free(copy);
	cr_assert_eq(SSL_CTX_set_alpn_protos(cctx, wire, (unsigned)n), 0);
}

static SSL_CTX *client_ctx(const struct client_opts *o)
{
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	if (o->max_version) {
		/* Old versions need security level 0 to be offered at all. */
		SSL_CTX_set_security_level(cctx, 0);
		SSL_CTX_set_min_proto_version(cctx, TLS1_VERSION);
		SSL_CTX_set_max_proto_version(cctx, o->max_version);
	}
	if (o->alpn)
		set_alpn(cctx, o->alpn);
	if (o->cert) {
		cr_assert(SSL_CTX_use_certificate(cctx, o->cert) == 1);
		cr_assert(SSL_CTX_use_PrivateKey(cctx, o->key) == 1);
	}
	return cctx;
}

/* Starts the server handshake on a socketpair and runs the client's. */
static void handshake(struct session *s, struct tls_ctx *t, const struct client_opts *o)
{
	int fds[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	s->fd = fds[1];
	s->srv = (struct server_side){.c = conn_new(fds[0], NULL), .t = t, .timeout_ms = 3000};
	conn_set_timeouts(s->srv.c, 3000, 3000);
	pthread_create(&s->thread, NULL, server_accept, &s->srv);
	s->cctx = client_ctx(o);
	s->ssl = SSL_new(s->cctx);
	SSL_set_fd(s->ssl, s->fd);
	if (o->sni) {
		char host[256]; /* the OpenSSL macro casts away const */
		str_copy(host, sizeof host, o->sni);
		SSL_set_tlsext_host_name(s->ssl, host);
	}
	if (o->session)
		SSL_set_session(s->ssl, o->session);
	s->client_ok = SSL_connect(s->ssl) == 1;
	if (!s->client_ok)
		close(s->fd); /* lets a server waiting for more input finish */
	pthread_join(s->thread, NULL);
	ERR_clear_error();
}

static void end(struct session *s)
{
	/* Without close_notify OpenSSL marks the client's session unresumable. */
	if (s->client_ok && !(SSL_get_shutdown(s->ssl) & SSL_SENT_SHUTDOWN))
		SSL_shutdown(s->ssl);
	SSL_free(s->ssl);
	SSL_CTX_free(s->cctx);
	conn_free(s->srv.c);
	if (s->client_ok)
		close(s->fd);
}

static void peer_cn(struct session *s, char *out, size_t cap)
{
	X509 *peer = SSL_get0_peer_certificate(s->ssl);
	cr_assert(peer);
	X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, out, (int)cap);
}

/* The common name of the certificate the server shows for sni. */
static void cn_for(struct tls_ctx *t, const char *sni, char *out, size_t cap)
{
	struct session s;
	struct client_opts o = {.sni = sni};
	handshake(&s, t, &o);
	cr_assert(s.client_ok && s.srv.ok, "handshake: %s", s.srv.err.msg);
	peer_cn(&s, out, cap);
	end(&s);
}

/* ---- tests ---- */

Test(net_tls, name_matching)
{
	cr_assert(tls_name_matches("mail.example.com", "MAIL.Example.com"));
	cr_assert(!tls_name_matches("mail.example.com", "example.com"));
	cr_assert(tls_name_matches("*.example.com", "a.example.com"));
	cr_assert(tls_name_matches("*.example.com", "A.EXAMPLE.COM"));
	cr_assert(!tls_name_matches("*.example.com", "example.com"));
	cr_assert(!tls_name_matches("*.example.com", "a.b.example.com"));
	cr_assert(!tls_name_matches("*.example.com", ".example.com"));
	cr_assert(!tls_name_matches("*example.com", "aexample.com"));
	cr_assert(!tls_name_matches("*.example.com", "a.example.org"));
}

Test(net_tls, sni_selects_certificate_exact_before_wildcard_else_first)
{
	char *dir = tempdir();
	struct testcert certs[3] = {
	    make_cert(dir, "default.test", "DNS:default.test", false, KEY_PKCS8),
	    make_cert(dir, "wild.test", "DNS:*.wild.test,DNS:wild.test", false, KEY_PKCS8),
	    make_cert(dir, "b.test", "DNS:b.test,DNS:exact.wild.test", false, KEY_PKCS8),
	};
	struct tls_ctx *t = make_ctx(certs, 3, NULL);
	char cn[128];
	cn_for(t, NULL, cn, sizeof cn);
	cr_assert_str_eq(cn, "default.test");
	cn_for(t, "b.test", cn, sizeof cn);
	cr_assert_str_eq(cn, "b.test");
	cn_for(t, "B.Test", cn, sizeof cn);
	cr_assert_str_eq(cn, "b.test");
	cn_for(t, "x.wild.test", cn, sizeof cn);
	cr_assert_str_eq(cn, "wild.test");
	cn_for(t, "wild.test", cn, sizeof cn);
	cr_assert_str_eq(cn, "wild.test");
	cn_for(t, "exact.wild.test", cn, sizeof cn);
	cr_assert_str_eq(cn, "b.test", "an exact name wins over a wildcard");
	cn_for(t, "a.b.wild.test", cn, sizeof cn);
	cr_assert_str_eq(cn, "default.test", "a wildcard covers one label only");
	cn_for(t, "unknown.example", cn, sizeof cn);
	cr_assert_str_eq(cn, "default.test");
	tls_ctx_unref(t);
	for (int i = 0; i < 3; i++)
		free_cert(&certs[i]);
	rmdir(dir);
	free(dir);
}

Test(net_tls, handshake_info_and_data_both_ways)
{
	char *dir = tempdir();
	struct testcert c = make_cert(dir, "mail.test", "DNS:mail.test", false, KEY_PKCS8);
	struct tls_ctx *t = make_ctx(&c, 1, NULL);
	struct session s;
	struct client_opts o = {.sni = "mail.test"};
	handshake(&s, t, &o);
	cr_assert(s.client_ok && s.srv.ok, "%s", s.srv.err.msg);
	const struct tls_info *info = conn_tls(s.srv.c);
	cr_assert(info);
	cr_assert_str_eq(info->version, "TLS1.3");
	cr_assert(strncmp(info->cipher, "TLS_", 4) == 0, "%s", info->cipher);
	cr_assert_str_eq(info->sni, "mail.test");
	cr_assert_str_eq(info->alpn, "");
	cr_assert(!info->client_cert);
	struct error err;
	cr_assert(conn_puts(s.srv.c, "220 over tls\r\n", &err) && conn_flush(s.srv.c, &err));
	char buf[64];
	int n = SSL_read(s.ssl, buf, sizeof buf);
	cr_assert_eq(n, 14);
	cr_assert_eq(memcmp(buf, "220 over tls\r\n", 14), 0);
	cr_assert_eq(SSL_write(s.ssl, "EHLO x\r\nNOOP\n", 13), 13);
	struct str line;
	enum conn_eol eol;
	cr_assert(conn_read_line(s.srv.c, 100, &line, &eol, &err), "%s", err.msg);
	cr_assert(str_eq_cstr(line, "EHLO x") && eol == CONN_EOL_CRLF);
	cr_assert(conn_read_line(s.srv.c, 100, &line, &eol, &err), "%s", err.msg);
	cr_assert(str_eq_cstr(line, "NOOP") && eol == CONN_EOL_LF);
	/* close_notify from the client reads as a clean close. */
	SSL_shutdown(s.ssl);
	cr_assert(!conn_read_line(s.srv.c, 100, &line, &eol, &err));
	cr_assert_eq(err.kind, ERR_CLOSED, "%s", err.msg);
	end(&s);
	tls_ctx_unref(t);
	free_cert(&c);
	rmdir(dir);
	free(dir);
}

Test(net_tls, key_formats_chain_and_bad_files)
{
	char *dir = tempdir();
	struct testcert rsa1 = make_cert(dir, "rsa1.test", "DNS:rsa1.test", true, KEY_TRADITIONAL);
	struct testcert ec1 = make_cert(dir, "ec1.test", "DNS:ec1.test", false, KEY_TRADITIONAL);
	struct testcert ec8 = make_cert(dir, "ec8.test", "DNS:ec8.test", false, KEY_PKCS8);
	FILE *f = fopen(rsa1.key, "r");
	char first[64] = "";
	cr_assert(fgets(first, sizeof first, f));
	fclose(f);
	cr_assert_str_eq(first, "-----BEGIN RSA PRIVATE KEY-----\n", "a PKCS#1 key");
	/* A chain: the leaf followed by another certificate. */
	write_certs(ec8.cert, ec8.x, rsa1.x);
	struct testcert all[3] = {rsa1, ec1, ec8};
	struct tls_ctx *t = make_ctx(all, 3, NULL);
	struct session s;
	struct client_opts o = {.sni = "ec8.test"};
	handshake(&s, t, &o);
	cr_assert(s.client_ok && s.srv.ok);
	cr_assert_eq(sk_X509_num(SSL_get_peer_cert_chain(s.ssl)), 2, "leaf and chain sent");
	end(&s);
	tls_ctx_unref(t);

	struct error err;
	struct tls_keypair mismatch = {rsa1.cert, ec1.key};
	struct tls_config cfg = {.pairs = &mismatch, .npairs = 1};
	cr_assert_null(tls_ctx_new(&cfg, &err));
	cr_assert(strstr(err.msg, "key does not match"), "%s", err.msg);
	write_key(ec1.key, ec1.k, KEY_ENCRYPTED);
	struct tls_keypair encrypted = {ec1.cert, ec1.key};
	cfg.pairs = &encrypted;
	cr_assert_null(tls_ctx_new(&cfg, &err), "encrypted keys are refused, never prompted for");
	cr_assert(strstr(err.msg, "no usable private key"), "%s", err.msg);
	struct tls_keypair missing = {"/nonexistent/x.crt", ec1.key};
	cfg.pairs = &missing;
	cr_assert_null(tls_ctx_new(&cfg, &err));
	cr_assert_eq(err.kind, ERR_NOTFOUND, "%s", err.msg);
	struct tls_keypair swapped = {ec8.key, ec8.cert};
	cfg.pairs = &swapped;
	cr_assert_null(tls_ctx_new(&cfg, &err));
	cr_assert(strstr(err.msg, "no certificate"), "%s", err.msg);
	cfg.pairs = NULL;
	cfg.npairs = 0;
	cr_assert_null(tls_ctx_new(&cfg, &err));
	struct tls_keypair good = {ec8.cert, ec8.key};
	cfg = (struct tls_config){.pairs = &good, .npairs = 1, .min_version = "TLSv1.1"};
	cr_assert_null(tls_ctx_new(&cfg, &err));
	cr_assert(strstr(err.msg, "not supported"), "%s", err.msg);
	free_cert(&rsa1);
	free_cert(&ec1);
	free_cert(&ec8);
	rmdir(dir);
	free(dir);
}

/* Replaces a file the way certificate renewal tools do: write aside, rename over. */
static void replace_file(const char *dst, const char *src)
{
	char *tmp = xasprintf("%s.new", dst);
	FILE *in = fopen(src, "r"), *out = fopen(tmp, "w");
	char buf[8192];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	fclose(out);
	cr_assert_eq(rename(tmp, dst), 0);
	free(tmp);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

Test(net_tls, reload_swaps_changed_files_and_keeps_old_on_broken_ones)
{
	char *dir = tempdir();
	struct testcert one = make_cert(dir, "one.test", "DNS:one.test", false, KEY_PKCS8);
	struct testcert two = make_cert(dir, "two.test", "DNS:two.test", false, KEY_PKCS8);
	struct testcert live = {xasprintf("%s/live.crt", dir), xasprintf("%s/live.key", dir), NULL,
				NULL};
	replace_file(live.cert, one.cert);
	replace_file(live.key, one.key);
	struct tls_ctx *t = make_ctx(&live, 1, NULL);
	char cn[128];
	cn_for(t, NULL, cn, sizeof cn);
	cr_assert_str_eq(cn, "one.test");
	cr_assert_eq(tls_ctx_reload(t), TLS_RELOAD_UNCHANGED);

	/* A connection made before the swap keeps working after it. */
	struct session before;
	struct client_opts o = {0};
	handshake(&before, t, &o);
	cr_assert(before.srv.ok);

	replace_file(live.cert, two.cert);
	replace_file(live.key, two.key);
	cr_assert_eq(tls_ctx_reload(t), TLS_RELOAD_SWAPPED);
	cn_for(t, NULL, cn, sizeof cn);
	cr_assert_str_eq(cn, "two.test");
	struct error err;
	cr_assert(conn_puts(before.srv.c, "still\r\n", &err) && conn_flush(before.srv.c, &err));
	char buf[16];
	cr_assert_eq(SSL_read(before.ssl, buf, sizeof buf), 7);
	end(&before);

	/* Half-written renewal: new certificate, old key. Refused, logged once. */
	replace_file(live.cert, one.cert);
	cr_assert_eq(tls_ctx_reload(t), TLS_RELOAD_FAILED);
	cr_assert_eq(tls_ctx_reload(t), TLS_RELOAD_UNCHANGED);
	cn_for(t, NULL, cn, sizeof cn);
	cr_assert_str_eq(cn, "two.test");
	write_text(live.cert, "-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n");
	cr_assert_eq(tls_ctx_reload(t), TLS_RELOAD_FAILED);
	cn_for(t, NULL, cn, sizeof cn);
	cr_assert_str_eq(cn, "two.test");
	/* Renewal completes: both files consistent again. */
	replace_file(live.cert, one.cert);
	replace_file(live.key, one.key);
	cr_assert_eq(tls_ctx_reload(t), TLS_RELOAD_SWAPPED);
	cn_for(t, NULL, cn, sizeof cn);
	cr_assert_str_eq(cn, "one.test");
	tls_ctx_unref(t);
	unlink(live.cert);
	unlink(live.key);
	free(live.cert);
	free(live.key);
	free_cert(&one);
	free_cert(&two);
	rmdir(dir);
	free(dir);
}

struct starttls_server {
	struct conn *c;
	struct tls_ctx *t;
	bool ok;
	struct error err;
	char line[64];
};

/* Reads the STARTTLS command, upgrades, reads the first line over TLS. */
static void *starttls_main(void *arg)
{
	struct starttls_server *s = arg;
	struct str line;
	s->ok = conn_read_line(s->c, 512, &line, NULL, &s->err) && str_eq_cstr(line, "STARTTLS") &&
		conn_starttls(s->c, s->t, "220 go ahead\r\n", 3000, &s->err) &&
		conn_read_line(s->c, 512, &line, NULL, &s->err);
	if (s->ok)
		str_copy(s->line, sizeof s->line, line.p);
	return NULL;
}

static void read_plain_line(int fd, char *out, size_t cap)
{
	size_t n = 0;
	while (n + 1 < cap && read(fd, out + n, 1) == 1 && out[n++] != '\n')
		;
	out[n] = '\0';
}

static void starttls_injection(const char *first, const char *second)
{
	char *dir = tempdir();
	struct testcert c = make_cert(dir, "mail.test", "DNS:mail.test", false, KEY_PKCS8);
	struct tls_ctx *t = make_ctx(&c, 1, NULL);
	int fds[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	struct starttls_server s = {.c = conn_new(fds[0], NULL), .t = t};
	conn_set_timeouts(s.c, 3000, 3000);
	cr_assert_eq(write(fds[1], first, strlen(first)), (ssize_t)strlen(first));
	if (second) {
		/* Arrives after the command was read but before the reply: drained. */
		struct timespec ts = {0, 50 * 1000000L};
		nanosleep(&ts, NULL);
		cr_assert_eq(write(fds[1], second, strlen(second)), (ssize_t)strlen(second));
	}
	pthread_t th;
	pthread_create(&th, NULL, starttls_main, &s);
	char reply[64];
	read_plain_line(fds[1], reply, sizeof reply);
	cr_assert_str_eq(reply, "220 go ahead\r\n");
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = SSL_new(cctx);
	SSL_set_fd(ssl, fds[1]);
	cr_assert_eq(SSL_connect(ssl), 1);
	cr_assert_eq(SSL_write(ssl, "EHLO again\r\n", 12), 12);
	pthread_join(th, NULL);
	cr_assert(s.ok, "%s", s.err.msg);
	cr_assert_str_eq(s.line, "EHLO again", "the injected command must not be seen");
	SSL_free(ssl);
	SSL_CTX_free(cctx);
	conn_free(s.c);
	close(fds[1]);
	tls_ctx_unref(t);
	free_cert(&c);
	rmdir(dir);
	free(dir);
}

Test(net_tls, starttls_discards_plaintext_in_the_same_packet)
{
	starttls_injection("STARTTLS\r\nRCPT TO:<attacker@evil>\r\n", NULL);
}

Test(net_tls, starttls_discards_plaintext_arriving_before_the_reply)
{
	starttls_injection("STARTTLS\r\n", "NOOP\r\n");
}

static void alpn_case(struct tls_ctx *t, const char *offer, const char *want)
{
	struct session s;
	struct client_opts o = {.alpn = offer};
	handshake(&s, t, &o);
	if (!want) {
		cr_assert(!s.client_ok && !s.srv.ok, "offer %s should fail", offer);
		cr_assert(strstr(s.srv.err.msg, "no alpn protocol in common"), "%s", s.srv.err.msg);
	} else {
		cr_assert(s.client_ok && s.srv.ok, "offer %s: %s", offer, s.srv.err.msg);
		cr_assert_str_eq(conn_tls(s.srv.c)->alpn, want);
		const unsigned char *sel;
		unsigned len;
		SSL_get0_alpn_selected(s.ssl, &sel, &len);
		cr_assert_eq(len, strlen(want));
	}
	end(&s);
}

Test(net_tls, alpn_server_preference_and_mismatch)
{
	char *dir = tempdir();
	struct testcert c = make_cert(dir, "mail.test", "DNS:mail.test", false, KEY_PKCS8);
	const char *protos[] = {"imap", "smtp", "http/1.1"};
	struct tls_config cfg = {.alpn = protos, .nalpn = 3};
	struct tls_ctx *t = make_ctx(&c, 1, &cfg);
	alpn_case(t, "h2,smtp,imap", "imap");
	alpn_case(t, "http/1.1,smtp", "smtp");
	alpn_case(t, "h2,http/1.1", "http/1.1");
	alpn_case(t, "h2", NULL);
	alpn_case(t, NULL, "");
	tls_ctx_unref(t);
	free_cert(&c);
	rmdir(dir);
	free(dir);
}

Test(net_tls, client_certificate_fingerprint_is_sha256_of_spki)
{
	char *dir = tempdir();
	struct testcert srv = make_cert(dir, "mail.test", "DNS:mail.test", false, KEY_PKCS8);
	struct testcert cli = make_cert(dir, "client", NULL, false, KEY_PKCS8);
	struct tls_config cfg = {.client_auth = true};
	struct tls_ctx *t = make_ctx(&srv, 1, &cfg);

	struct session s;
	struct client_opts o = {.cert = cli.x, .key = cli.k};
	handshake(&s, t, &o);
	cr_assert(s.client_ok && s.srv.ok, "%s", s.srv.err.msg);
	const struct tls_info *info = conn_tls(s.srv.c);
	cr_assert(info->client_cert);
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(cli.k, &der);
	unsigned char want[32];
	SHA256(der, (size_t)len, want);
	OPENSSL_free(der);
	cr_assert_eq(memcmp(info->client_spki_sha256, want, 32), 0);
	/* base64url without padding, checked against OpenSSL's standard base64. */
	unsigned char std[64];
	EVP_EncodeBlock(std, want, 32);
	for (char *p = (char *)std; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	std[43] = '\0';
	cr_assert_str_eq(info->client_fp, (char *)std);
	cr_assert_eq(strlen(info->client_fp), TLS_FP_B64_LEN);
	end(&s);

	struct client_opts none = {0};
	handshake(&s, t, &none);
	cr_assert(s.client_ok && s.srv.ok, "a client certificate is optional: %s", s.srv.err.msg);
	cr_assert(!conn_tls(s.srv.c)->client_cert);
	cr_assert_str_eq(conn_tls(s.srv.c)->client_fp, "");
	end(&s);
	tls_ctx_unref(t);
	free_cert(&srv);
	free_cert(&cli);
	rmdir(dir);
	free(dir);
}

Test(net_tls, old_versions_are_refused_with_a_clear_error)
{
	char *dir = tempdir();
	struct testcert c = make_cert(dir, "mail.test", "DNS:mail.test", false, KEY_PKCS8);
	struct tls_ctx *t = make_ctx(&c, 1, NULL);
	struct session s;
	struct client_opts o = {.max_version = TLS1_1_VERSION};
	handshake(&s, t, &o);
	cr_assert(!s.srv.ok && !s.client_ok);
	cr_assert_str_eq(s.srv.err.msg, "tls handshake: client offered only TLS 1.1");
	end(&s);
	tls_ctx_unref(t);

	struct tls_config cfg = {.min_version = "TLSv1.3"};
	t = make_ctx(&c, 1, &cfg);
	o.max_version = TLS1_2_VERSION;
	handshake(&s, t, &o);
	cr_assert(!s.srv.ok);
	cr_assert_str_eq(s.srv.err.msg, "tls handshake: client offered only TLS 1.2");
	end(&s);
	tls_ctx_unref(t);
	free_cert(&c);
	rmdir(dir);
	free(dir);
}

Test(net_tls, plaintext_and_silent_clients_fail_the_handshake)
{
	char *dir = tempdir();
	struct testcert c = make_cert(dir, "mail.test", "DNS:mail.test", false, KEY_PKCS8);
	struct tls_ctx *t = make_ctx(&c, 1, NULL);
	int fds[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	struct server_side srv = {.c = conn_new(fds[0], NULL), .t = t, .timeout_ms = 200};
	server_accept(&srv);
	cr_assert(!srv.ok);
	cr_assert_eq(srv.err.kind, ERR_TIMEOUT, "%s", srv.err.msg);
	cr_assert(strstr(srv.err.msg, "tls handshake"), "%s", srv.err.msg);
	conn_free(srv.c);
	close(fds[1]);

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	srv = (struct server_side){.c = conn_new(fds[0], NULL), .t = t, .timeout_ms = 2000};
	cr_assert_eq(write(fds[1], "EHLO plain.example\r\n", 20), 20);
	server_accept(&srv);
	cr_assert(!srv.ok);
	cr_assert(strstr(srv.err.msg, "client did not start tls"), "%s", srv.err.msg);
	conn_free(srv.c);
	close(fds[1]);

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	srv = (struct server_side){.c = conn_new(fds[0], NULL), .t = t, .timeout_ms = 2000};
	close(fds[1]);
	server_accept(&srv);
	cr_assert_eq(srv.err.kind, ERR_CLOSED, "%s", srv.err.msg);
	conn_free(srv.c);
	tls_ctx_unref(t);
	free_cert(&c);
	rmdir(dir);
	free(dir);
}

Test(net_tls, channel_binding_exporter_and_unique)
{
	char *dir = tempdir();
	struct testcert c = make_cert(dir, "mail.test", "DNS:mail.test", false, KEY_PKCS8);
	struct tls_ctx *t = make_ctx(&c, 1, NULL);
	struct session s;
	struct client_opts o = {0};
	handshake(&s, t, &o);
	cr_assert(s.srv.ok);
	uint8_t server[TLS_EXPORTER_LEN], client[TLS_EXPORTER_LEN];
	struct error err;
	cr_assert(conn_tls_exporter(s.srv.c, server, &err), "%s", err.msg);
	static const char label[] = "EXPORTER-Channel-Binding";
	cr_assert_eq(SSL_export_keying_material(s.ssl, client, sizeof client, label,
						sizeof label - 1, NULL, 0, 0),
		     1);
	cr_assert_eq(memcmp(server, client, sizeof server), 0);
	uint8_t u[TLS_UNIQUE_MAX];
	size_t ulen;
	cr_assert(!conn_tls_unique(s.srv.c, u, sizeof u, &ulen, &err), "undefined for TLS 1.3");
	end(&s);

	o.max_version = TLS1_2_VERSION;
	handshake(&s, t, &o);
	cr_assert(s.srv.ok, "%s", s.srv.err.msg);
	cr_assert_str_eq(conn_tls(s.srv.c)->version, "TLS1.2");
	cr_assert(conn_tls_unique(s.srv.c, u, sizeof u, &ulen, &err), "%s", err.msg);
	uint8_t mine[TLS_UNIQUE_MAX];
	size_t mlen = SSL_get_finished(s.ssl, mine, sizeof mine);
	cr_assert_eq(ulen, mlen);
	cr_assert_eq(memcmp(u, mine, ulen), 0, "the client's Finished of a full handshake");
	cr_assert(conn_tls_exporter(s.srv.c, server, &err), "TLS 1.2 with EMS: %s", err.msg);
	end(&s);

	struct session plain = {0};
	int fds[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	plain.srv.c = conn_new(fds[0], NULL);
	cr_assert_null(conn_tls(plain.srv.c));
	cr_assert(!conn_tls_exporter(plain.srv.c, server, &err));
	conn_free(plain.srv.c);
	close(fds[1]);
	tls_ctx_unref(t);
	free_cert(&c);
	rmdir(dir);
	free(dir);
}

/* Connects, reads one server message (which delivers TLS 1.3 tickets), returns the session. */
static SSL_SESSION *first_session(struct tls_ctx *t, bool *resumable)
{
	struct session s;
	struct client_opts o = {0};
	handshake(&s, t, &o);
	cr_assert(s.srv.ok);
	struct error err;
	cr_assert(conn_puts(s.srv.c, "hi\r\n", &err) && conn_flush(s.srv.c, &err));
	char buf[8];
	cr_assert_eq(SSL_read(s.ssl, buf, sizeof buf), 4);
	SSL_SESSION *sess = SSL_get1_session(s.ssl);
	*resumable = SSL_SESSION_is_resumable(sess) == 1;
	end(&s);
	return sess;
}

Test(net_tls, session_tickets_resume_unless_disabled)
{
	char *dir = tempdir();
	struct testcert c = make_cert(dir, "mail.test", "DNS:mail.test", false, KEY_PKCS8);
	struct tls_ctx *t = make_ctx(&c, 1, NULL);
	bool resumable;
	SSL_SESSION *sess = first_session(t, &resumable);
	cr_assert(resumable);
	struct session s;
	struct client_opts o = {.session = sess};
	handshake(&s, t, &o);
	cr_assert(s.srv.ok);
	cr_assert(conn_tls(s.srv.c)->resumed);
	end(&s);
	SSL_SESSION_free(sess);
	tls_ctx_unref(t);

	struct tls_config cfg = {.no_session_tickets = true};
	t = make_ctx(&c, 1, &cfg);
	sess = first_session(t, &resumable);
	cr_assert(!resumable, "no ticket was issued");
	SSL_SESSION_free(sess);
	tls_ctx_unref(t);
	free_cert(&c);
	rmdir(dir);
	free(dir);
}
