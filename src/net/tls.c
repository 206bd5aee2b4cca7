#include "net/tls.h"

#include "base/base64.h"
#include "base/mem.h"
#include "base/str.h"
#include "net/certs.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct tls_ctx {
	atomic_uint refs;
	SSL_CTX *ssl_ctx;
	char **paths;              /* own copies: certificate, key, certificate, ... */
	struct tls_keypair *pairs; /* pointing into paths */
	size_t npairs;
	char *alpn[TLS_ALPN_MAX];
	size_t nalpn;
	struct logger lg;

	pthread_mutex_t lock; /* guards current */
	struct certset *current;

	pthread_mutex_t reload_lock; /* one reload at a time; guards failed_ids */
	struct file_id *failed_ids;  /* files as they were when loading last failed */
	bool failed;
};

/*
 * Per-SSL facts the callbacks learn for error messages, packed into the
 * ex_data pointer so no allocation has to be freed with the SSL.
 */
#define HS_VERSION_MASK  0xffff    /* highest version the client offered */
#define HS_ALPN_MISMATCH (1 << 16) /* no ALPN protocol in common */

static pthread_once_t ex_once = PTHREAD_ONCE_INIT;
static int ex_index = -1;

static void ex_init(void)
{
	ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static uintptr_t hs_get(const SSL *ssl)
{
	return (uintptr_t)SSL_get_ex_data(ssl, ex_index);
}

static void hs_set(SSL *ssl, uintptr_t v)
{
	SSL_set_ex_data(ssl, ex_index, (void *)v);
}

static bool is_grease(unsigned v)
{
	/* RFC 8701 2: values of the form 0x?A?A are reserved noise. */
	return (v & 0x0f0f) == 0x0a0a;
}

/* Records the highest version offered (RFC 8446 4.2.1), for error messages. */
static int client_hello_cb(SSL *ssl, int *alert, void *arg)
{
	unsigned max = SSL_client_hello_get0_legacy_version(ssl);
	const unsigned char *p;
	size_t len;
	if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_supported_versions, &p, &len) && len >= 1 &&
	    (size_t)p[0] + 1 <= len) {
		max = 0;
		for (size_t i = 1; i + 1 < (size_t)p[0] + 1; i += 2) {
			unsigned v = (unsigned)p[i] << 8 | p[i + 1];
			if (!is_grease(v) && v > max)
				max = v;
		}
	}
	hs_set(ssl, (hs_get(ssl) & ~(uintptr_t)HS_VERSION_MASK) | (max & HS_VERSION_MASK));
	return SSL_CLIENT_HELLO_SUCCESS;
}

static struct certset *current_set(struct tls_ctx *t)
{
	pthread_mutex_lock(&t->lock);
	struct certset *s = certset_ref(t->current);
	pthread_mutex_unlock(&t->lock);
	return s;
}

/* RFC 6066 3: choose the certificate once the server name is known. */
static int cert_cb(SSL *ssl, void *arg)
{
	struct tls_ctx *t = arg;
	struct certset *s = current_set(t);
	const struct cert *c =
	    certset_select(s, SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name));
	/* The SSL takes its own references; the set may be swapped out right after. */
	int ok = SSL_use_cert_and_key(ssl, c->leaf, c->key, c->chain, 1);
	certset_unref(s);
	return ok == 1 ? 1 : 0;
}

/* RFC 7301 3.2: the server picks, by its own preference, from what the client offers. */
static int alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		   const unsigned char *in, unsigned inlen, void *arg)
{
	const struct tls_ctx *t = arg;
	for (size_t i = 0; i < t->nalpn; i++) {
		size_t want = strlen(t->alpn[i]);
		for (unsigned j = 0; j < inlen;) {
			unsigned n = in[j];
			if (j + 1 + n > inlen)
				break; /* malformed list: OpenSSL checks too, stay in bounds */
			if (n == want && memcmp(in + j + 1, t->alpn[i], n) == 0) {
				*out = in + j + 1;
				*outlen = (unsigned char)n;
				return SSL_TLSEXT_ERR_OK;
			}
			j += 1 + n;
		}
	}
	hs_set(ssl, hs_get(ssl) | HS_ALPN_MISMATCH);
	return SSL_TLSEXT_ERR_ALERT_FATAL; /* no_application_protocol alert */
}

/* Any client certificate is accepted; see tls.h for why. */
static int accept_any_cert(int preverify_ok, X509_STORE_CTX *x)
{
	return 1;
}

bool tls_version_parse(const char *s, int *out, struct error *err)
{
	if (!s || !*s)
		*out = 0;
	else if (ascii_caseeq(s, "TLSv1.2") || ascii_caseeq(s, "tls1.2"))
		*out = TLS1_2_VERSION;
	else if (ascii_caseeq(s, "TLSv1.3") || ascii_caseeq(s, "tls1.3"))
		*out = TLS1_3_VERSION;
	else
		return error_set(err, ERR_INVALID,
				 "tls version %s not supported (TLSv1.2 or TLSv1.3)", s);
	return true;
}

bool tls_ssl_ctx_common(SSL_CTX *c, const char *min_version, const char *max_version,
			bool no_session_tickets, struct error *err)
{
	int min, max;
	if (!tls_version_parse(min_version, &min, err) ||
	    !tls_version_parse(max_version, &max, err))
		return false;
	if (max && max < (min ? min : TLS1_2_VERSION))
		return error_set(err, ERR_INVALID, "maximum tls version below the minimum");
	/* RFC 8996, RFC 8997: nothing below TLS 1.2. */
	if (SSL_CTX_set_min_proto_version(c, min ? min : TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(c, max) != 1)
		return certs_openssl_error(err, ERR_INTERNAL, "setting tls versions");
	SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF |
				   SSL_OP_NO_COMPRESSION);
	/* Partial writes let deadline-bounded writes make progress in pieces. */
	SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				SSL_MODE_RELEASE_BUFFERS);
	if (no_session_tickets) {
		SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
		SSL_CTX_set_num_tickets(c, 0);
	}
	return true;
}

static bool copy_alpn(struct tls_ctx *t, const struct tls_config *cfg, struct error *err)
{
	if (cfg->nalpn > TLS_ALPN_MAX)
		return error_set(err, ERR_LIMIT, "more than %d alpn protocols", TLS_ALPN_MAX);
	for (size_t i = 0; i < cfg->nalpn; i++) {
		size_t n = strlen(cfg->alpn[i]);
		if (n == 0 || n > 255) /* RFC 7301 3.1: 1 to 255 bytes */
			return error_set(err, ERR_INVALID, "alpn protocol of %zu bytes", n);
		t->alpn[t->nalpn++] = xstrdup(cfg->alpn[i]);
	}
	return true;
}

static bool setup_ssl_ctx(struct tls_ctx *t, const struct tls_config *cfg, struct error *err)
{
	t->ssl_ctx = SSL_CTX_new(TLS_server_method());
	if (!t->ssl_ctx)
		return certs_openssl_error(err, ERR_INTERNAL, "creating tls context");
	SSL_CTX *c = t->ssl_ctx;
	if (!tls_ssl_ctx_common(c, cfg->min_version, NULL, cfg->no_session_tickets, err))
		return false;
	static const unsigned char sid_ctx[] = "tern";
	SSL_CTX_set_session_id_context(c, sid_ctx, sizeof sid_ctx - 1);
	SSL_CTX_set_dh_auto(c, 1);
	SSL_CTX_set_client_hello_cb(c, client_hello_cb, t);
	SSL_CTX_set_cert_cb(c, cert_cb, t);
	if (t->nalpn > 0)
		SSL_CTX_set_alpn_select_cb(c, alpn_cb, t);
	if (cfg->client_auth)
		SSL_CTX_set_verify(c, SSL_VERIFY_PEER, accept_any_cert);
	return true;
}

static void copy_pairs(struct tls_ctx *t, const struct tls_config *cfg)
{
	t->npairs = cfg->npairs;
	t->paths = xcalloc(2 * cfg->npairs, sizeof *t->paths);
	t->pairs = xcalloc(cfg->npairs, sizeof *t->pairs);
	for (size_t i = 0; i < cfg->npairs; i++) {
		t->paths[2 * i] = xstrdup(cfg->pairs[i].cert_file);
		t->paths[2 * i + 1] = xstrdup(cfg->pairs[i].key_file);
		t->pairs[i].cert_file = t->paths[2 * i];
		t->pairs[i].key_file = t->paths[2 * i + 1];
	}
}

static void ctx_free(struct tls_ctx *t)
{
	SSL_CTX_free(t->ssl_ctx);
	for (size_t i = 0; i < 2 * t->npairs; i++)
		free(t->paths[i]);
	free(t->paths);
	free(t->pairs);
	for (size_t i = 0; i < t->nalpn; i++)
		free(t->alpn[i]);
	certset_unref(t->current);
	free(t->failed_ids);
	pthread_mutex_destroy(&t->lock);
	pthread_mutex_destroy(&t->reload_lock);
	free(t);
}

struct tls_ctx *tls_ctx_new(const struct tls_config *cfg, struct error *err)
{
	pthread_once(&ex_once, ex_init);
	if (cfg->npairs == 0) {
		error_set(err, ERR_INVALID, "tls needs at least one certificate and key");
		return NULL;
	}
	struct tls_ctx *t = xcalloc(1, sizeof *t);
	atomic_init(&t->refs, 1);
	pthread_mutex_init(&t->lock, NULL);
	pthread_mutex_init(&t->reload_lock, NULL);
	t->lg.pkg = cfg->pkg ? cfg->pkg : log_pkg("tls");
	copy_pairs(t, cfg);
	t->failed_ids = xcalloc(2 * t->npairs, sizeof *t->failed_ids);
	struct file_id *ids = xcalloc(2 * t->npairs, sizeof *ids);
	certs_stat(t->pairs, t->npairs, ids);
	t->current = certset_load(t->pairs, t->npairs, ids, err);
	free(ids);
	if (!t->current || !copy_alpn(t, cfg, err) || !setup_ssl_ctx(t, cfg, err)) {
		ctx_free(t);
		return NULL;
	}
	return t;
}

struct tls_ctx *tls_ctx_ref(struct tls_ctx *t)
{
	atomic_fetch_add(&t->refs, 1);
	return t;
}

void tls_ctx_unref(struct tls_ctx *t)
{
	if (t && atomic_fetch_sub(&t->refs, 1) == 1)
		ctx_free(t);
}

static enum tls_reload reload_locked(struct tls_ctx *t, const struct file_id *ids)
{
	struct certset *cur = current_set(t);
	bool same = certs_ids_equal(cur->ids, ids, t->npairs);
	certset_unref(cur);
	/* A failed load is retried only when the files change again: one log line per change. */
	if (same || (t->failed && certs_ids_equal(t->failed_ids, ids, t->npairs)))
		return TLS_RELOAD_UNCHANGED;
	struct error err = {0};
	struct certset *next = certset_load(t->pairs, t->npairs, ids, &err);
	if (!next) {
		memcpy(t->failed_ids, ids, 2 * t->npairs * sizeof *ids);
		t->failed = true;
		log_error(&t->lg, "tls certificates changed but did not load; keeping the old ones",
			  LE(&err));
		return TLS_RELOAD_FAILED;
	}
	t->failed = false;
	pthread_mutex_lock(&t->lock);
	struct certset *old = t->current;
	t->current = next;
	pthread_mutex_unlock(&t->lock);
	certset_unref(old);
	log_info(&t->lg, "tls certificates reloaded", LU("certificates", t->npairs));
	return TLS_RELOAD_SWAPPED;
}

enum tls_reload tls_ctx_reload(struct tls_ctx *t)
{
	struct file_id *ids = xcalloc(2 * t->npairs, sizeof *ids);
	certs_stat(t->pairs, t->npairs, ids);
	pthread_mutex_lock(&t->reload_lock);
	enum tls_reload r = reload_locked(t, ids);
	pthread_mutex_unlock(&t->reload_lock);
	free(ids);
	return r;
}

SSL *tls_ssl_new(struct tls_ctx *t, struct error *err)
{
	SSL *ssl = SSL_new(t->ssl_ctx);
	if (!ssl) {
		certs_openssl_error(err, ERR_INTERNAL, "creating tls connection");
		return NULL;
	}
	hs_set(ssl, 0);
	return ssl;
}

static const char *wire_version_name(unsigned v)
{
	switch (v) {
	case 0x0300: return "SSL 3.0";
	case 0x0301: return "TLS 1.0";
	case 0x0302: return "TLS 1.1";
	case 0x0303: return "TLS 1.2";
	case 0x0304: return "TLS 1.3";
	default: return NULL;
	}
}

static bool not_tls(int reason)
{
	return reason == SSL_R_HTTP_REQUEST || reason == SSL_R_HTTPS_PROXY_REQUEST ||
	       reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_UNKNOWN_PROTOCOL ||
	       reason == SSL_R_PACKET_LENGTH_TOO_LONG;
}

void tls_handshake_error(SSL *ssl, int ssl_error, struct error *err)
{
	unsigned long e = ERR_peek_error();
	int reason = ERR_GET_REASON(e);
	char detail[256] = "unknown error";
	if (e)
		ERR_error_string_n(e, detail, sizeof detail);
	ERR_clear_error();
	if (!SSL_is_server(ssl)) {
		error_set(err, ERR_INVALID, "tls handshake: %s", detail);
		return;
	}
	uintptr_t hs = hs_get(ssl);
	const char *offered = wire_version_name((unsigned)(hs & HS_VERSION_MASK));
	if (reason == SSL_R_UNSUPPORTED_PROTOCOL || reason == SSL_R_VERSION_TOO_LOW)
		error_set(err, ERR_INVALID, "tls handshake: client offered only %s",
			  offered ? offered : "unknown versions");
	else if (hs & HS_ALPN_MISMATCH)
		error_set(err, ERR_INVALID,
			  "tls handshake: no alpn protocol in common with client");
	else if (reason == SSL_R_NO_SHARED_CIPHER)
		error_set(err, ERR_INVALID, "tls handshake: no cipher in common with client");
	else if (not_tls(reason))
		error_set(err, ERR_INVALID, "tls handshake: client did not start tls (%s)",
			  ERR_reason_error_string(e) ? ERR_reason_error_string(e) : detail);
	else
		error_set(err, ERR_INVALID, "tls handshake: %s", detail);
}

static const char *version_name(const SSL *ssl)
{
	switch (SSL_version(ssl)) {
	case TLS1_2_VERSION: return "TLS1.2";
	case TLS1_3_VERSION: return "TLS1.3";
	default: return "unknown";
	}
}

/* SHA-256 of the client certificate's SubjectPublicKeyInfo in DER. */
static void client_fingerprint(X509 *peer, struct tls_info *info)
{
	unsigned char *der = NULL;
	int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(peer), &der);
	if (len <= 0)
		return;
	unsigned int mdlen = 0;
	if (EVP_Digest(der, (size_t)len, info->client_spki_sha256, &mdlen, EVP_sha256(), NULL) ==
		1 &&
	    mdlen == TLS_SHA256_LEN) {
		info->client_cert = true;
		base64_encode_to(BASE64_URL_NOPAD, info->client_spki_sha256, TLS_SHA256_LEN,
				 info->client_fp);
	}
	OPENSSL_free(der);
}

void tls_info_fill(SSL *ssl, struct tls_info *info)
{
	memset(info, 0, sizeof *info);
	str_copy(info->version, sizeof info->version, version_name(ssl));
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
	const char *cname = c ? SSL_CIPHER_standard_name(c) : NULL;
	if (!cname && c)
		cname = SSL_CIPHER_get_name(c);
	str_copy(info->cipher, sizeof info->cipher, cname ? cname : "");
	const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	str_copy(info->sni, sizeof info->sni, sni ? sni : "");
	const unsigned char *alpn = NULL;
	unsigned alpnlen = 0;
	SSL_get0_alpn_selected(ssl, &alpn, &alpnlen);
	if (alpn && alpnlen < sizeof info->alpn) {
		memcpy(info->alpn, alpn, alpnlen);
		info->alpn[alpnlen] = '\0';
	}
	info->resumed = SSL_session_reused(ssl) == 1;
	X509 *peer = SSL_get0_peer_certificate(ssl);
	if (peer && SSL_is_server(ssl))
		client_fingerprint(peer, info);
}

bool tls_exporter(SSL *ssl, uint8_t out[TLS_EXPORTER_LEN], struct error *err)
{
	/* RFC 9266 3: for TLS 1.2 only with the extended master secret (RFC 7627). */
	int v = SSL_version(ssl);
	if (v != TLS1_3_VERSION && !(v == TLS1_2_VERSION && SSL_get_extms_support(ssl) == 1))
		return error_set(
		    err, ERR_INVALID,
		    "tls-exporter needs TLS 1.3 or TLS 1.2 with extended master secret");
	static const char label[] = "EXPORTER-Channel-Binding"; /* RFC 9266 2 */
	if (SSL_export_keying_material(ssl, out, TLS_EXPORTER_LEN, label, sizeof label - 1, NULL, 0,
				       0) != 1)
		return certs_openssl_error(err, ERR_INTERNAL, "tls-exporter");
	return true;
}

bool tls_unique(SSL *ssl, uint8_t *out, size_t cap, size_t *len, struct error *err)
{
	if (SSL_version(ssl) != TLS1_2_VERSION)
		return error_set(err, ERR_INVALID,
				 "tls-unique is only defined for TLS 1.2 (RFC 9266)");
	/*
	 * RFC 5929 3.1: the first Finished message of the latest handshake. In a
	 * full handshake the client's comes first; resuming, the server's does.
	 */
	bool ours_first = SSL_is_server(ssl) == (SSL_session_reused(ssl) == 1);
	size_t n =
	    ours_first ? SSL_get_finished(ssl, out, cap) : SSL_get_peer_finished(ssl, out, cap);
	if (n == 0 || n > cap)
		return error_set(err, ERR_INTERNAL, "tls-unique: no finished message (%zu bytes)",
				 n);
	*len = n;
	return true;
}
