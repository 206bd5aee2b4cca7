#include "net/tlsclient.h"

#include "base/mem.h"
#include "base/str.h"
#include "net/certs.h"
#include "net/tls.h"
#include "net/tlsdane.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct tls_client {
	atomic_uint refs;
	SSL_CTX *ctx;
};

/* ---- the context ---- */

static bool load_cas(SSL_CTX *ctx, const char *ca_file, struct error *err)
{
	int ok = ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
			 : SSL_CTX_set_default_verify_paths(ctx);
	if (ok != 1) {
		certs_openssl_error(err, ERR_INVALID, "loading CA certificates");
		return ca_file ? error_prefix(err, "%s", ca_file) : false;
	}
	return true;
}

static bool use_client_cert(SSL_CTX *ctx, const struct tls_client_config *cfg, struct error *err)
{
	if (!cfg->cert_file && !cfg->cert_pem)
		return true;
	struct cert c;
	struct tls_keypair pair = {cfg->cert_file, cfg->key_file ? cfg->key_file : cfg->cert_file};
	bool ok = cfg->cert_file
		      ? cert_load(&c, &pair, err)
		      : cfg->key_pem && cert_load_pem(&c, cfg->cert_pem, cfg->key_pem, err);
	if (ok && SSL_CTX_use_cert_and_key(ctx, c.leaf, c.key, c.chain, 1) != 1)
		ok = certs_openssl_error(err, ERR_INVALID, "using the client certificate");
	else if (!ok && !cfg->cert_file && !cfg->key_pem)
		error_set(err, ERR_INVALID, "client certificate without a key");
	cert_free(&c);
	return ok;
}

struct tls_client *tls_client_new(const struct tls_client_config *cfg, struct error *err)
{
	struct tls_client *t = xcalloc(1, sizeof *t);
	atomic_init(&t->refs, 1);
	t->ctx = SSL_CTX_new(TLS_client_method());
	bool ok = t->ctx ? true : certs_openssl_error(err, ERR_INTERNAL, "creating tls context");
	ok = ok &&
	     tls_ssl_ctx_common(t->ctx, cfg->min_version, cfg->max_version, cfg->no_session_tickets,
				err) &&
	     load_cas(t->ctx, cfg->ca_file, err) && use_client_cert(t->ctx, cfg, err);
	if (ok && SSL_CTX_dane_enable(t->ctx) <= 0)
		ok = certs_openssl_error(err, ERR_INTERNAL, "enabling dane");
	if (!ok) {
		tls_client_unref(t);
		return NULL;
	}
	return t;
}

struct tls_client *tls_client_ref(struct tls_client *t)
{
	atomic_fetch_add(&t->refs, 1);
	return t;
}

void tls_client_unref(struct tls_client *t)
{
	if (!t || atomic_fetch_sub(&t->refs, 1) != 1)
		return;
	SSL_CTX_free(t->ctx);
	free(t);
}

/* ---- names ---- */

const char *tls_result_type_name(enum tls_result_type t)
{
	switch (t) {
	case TLS_RESULT_NONE: return "";
	case TLS_RESULT_STARTTLS_NOT_SUPPORTED: return "starttls-not-supported";
	case TLS_RESULT_CERT_HOST_MISMATCH: return "certificate-host-mismatch";
	case TLS_RESULT_CERT_EXPIRED: return "certificate-expired";
	case TLS_RESULT_CERT_NOT_TRUSTED: return "certificate-not-trusted";
	case TLS_RESULT_VALIDATION_FAILURE: return "validation-failure";
	case TLS_RESULT_TLSA_INVALID: return "tlsa-invalid";
	case TLS_RESULT_DNSSEC_INVALID: return "dnssec-invalid";
	case TLS_RESULT_DANE_REQUIRED: return "dane-required";
	case TLS_RESULT_STS_POLICY_FETCH_ERROR: return "sts-policy-fetch-error";
	case TLS_RESULT_STS_POLICY_INVALID: return "sts-policy-invalid";
	case TLS_RESULT_STS_WEBPKI_INVALID: return "sts-webpki-invalid";
	}
	return "validation-failure";
}

const char *tls_verify_name(enum tls_verify v)
{
	switch (v) {
	case TLS_VERIFY_NONE: return "none";
	case TLS_VERIFY_OPPORTUNISTIC: return "opportunistic";
	case TLS_VERIFY_PKIX: return "pkix";
	case TLS_VERIFY_DANE: return "dane";
	}
	return "unknown";
}

/* RFC 8460 4.3 result type for an X509_V_ERR_* code. */
static enum tls_result_type x509_failure(long e)
{
	switch (e) {
	case X509_V_OK: return TLS_RESULT_NONE;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH: return TLS_RESULT_CERT_HOST_MISMATCH;
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID: return TLS_RESULT_CERT_EXPIRED;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_CERT_UNTRUSTED:
	case X509_V_ERR_CERT_REJECTED: return TLS_RESULT_CERT_NOT_TRUSTED;
	default: return TLS_RESULT_VALIDATION_FAILURE;
	}
}

static void check_failed(struct tls_check *c, long x509_error)
{
	c->checked = true;
	c->ok = false;
	c->failure = x509_failure(x509_error);
	/* mox's failure-reason-code for a DANE mismatch; OpenSSL's words for the rest. */
	str_copy(c->reason, sizeof c->reason,
		 x509_error == X509_V_ERR_DANE_NO_MATCH
		     ? "dane-no-match"
		     : X509_verify_cert_error_string(x509_error));
}

/* ---- per connection ---- */

static bool is_ip_literal(const char *s)
{
	unsigned char tmp[16];
	return inet_pton(AF_INET, s, tmp) == 1 || inet_pton(AF_INET6, s, tmp) == 1;
}

static bool uses_dane(const struct tls_client_params *p)
{
	return p->ntlsa > 0 &&
	       (p->verify == TLS_VERIFY_OPPORTUNISTIC || p->verify == TLS_VERIFY_DANE);
}

/* Reference identifiers for name checks (RFC 6125 6.2.1): the server name and more_names. */
static bool set_names(X509_VERIFY_PARAM *vp, const struct tls_client_params *p, struct error *err)
{
	if (!p->server_name)
		return true;
	X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (is_ip_literal(p->server_name))
		return X509_VERIFY_PARAM_set1_ip_asc(vp, p->server_name) == 1 ||
		       certs_openssl_error(err, ERR_INVALID, "tls: server address");
	if (X509_VERIFY_PARAM_set1_host(vp, p->server_name, 0) != 1)
		return certs_openssl_error(err, ERR_INVALID, "tls: server name");
	for (size_t i = 0; i < p->nmore_names && i < TLS_MORE_NAMES_MAX; i++)
		if (X509_VERIFY_PARAM_add1_host(vp, p->more_names[i], 0) != 1)
			return certs_openssl_error(err, ERR_INVALID, "tls: server name");
	return true;
}

static bool check_params(const struct tls_client_params *p, struct error *err)
{
	bool named = p->server_name && *p->server_name;
	if (p->verify == TLS_VERIFY_PKIX && !named)
		return error_set(err, ERR_INVALID, "tls: pkix verification needs a server name");
	if (uses_dane(p) && (!named || is_ip_literal(p->server_name)))
		return error_set(err, ERR_INVALID, "tls: dane needs the tlsa base domain as name");
	if (p->verify == TLS_VERIFY_DANE && p->ntlsa == 0)
		return error_set(err, ERR_INVALID, "tls: dane verification without tlsa records");
	return true;
}

static bool setup_ssl(SSL *ssl, const struct tls_client_params *p, struct tls_client_result *res,
		      struct error *err)
{
	SSL_set_connect_state(ssl);
	if (p->server_name && !is_ip_literal(p->server_name)) {
		/* RFC 6066 3: SNI carries host names only. A mutable copy: OpenSSL's macro casts
		 * away const. */
		if (!str_copy(res->server_name, sizeof res->server_name, p->server_name))
			return error_set(err, ERR_INVALID, "tls: server name too long");
		if (!SSL_set_tlsext_host_name(ssl, res->server_name))
			return certs_openssl_error(err, ERR_INVALID, "tls: server name for sni");
	}
	bool enforce = p->verify == TLS_VERIFY_PKIX || p->verify == TLS_VERIFY_DANE;
	SSL_set_verify(ssl, enforce ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
	if (!uses_dane(p))
		return p->verify == TLS_VERIFY_NONE || set_names(SSL_get0_param(ssl), p, err);
	if (!tls_dane_setup(ssl, p, &res->tlsa_usable, err))
		return false;
	if (res->tlsa_usable == 0 && p->verify == TLS_VERIFY_DANE) {
		/* OpenSSL would fall back to PKIX without records: never call that DANE. */
		res->failure = TLS_RESULT_TLSA_INVALID;
		str_copy(res->reason, sizeof res->reason, "no usable tlsa records");
		return error_set(err, ERR_PERMISSION, "tls: dane: none of %zu tlsa records usable",
				 p->ntlsa);
	}
	return true;
}

SSL *tls_client_ssl_new(struct tls_client *t, const struct tls_client_params *p,
			struct tls_client_result *res, struct error *err)
{
	memset(res, 0, sizeof *res);
	res->verify = p->verify;
	if (!check_params(p, err))
		return NULL;
	SSL *ssl = SSL_new(t->ctx);
	if (!ssl) {
		certs_openssl_error(err, ERR_INTERNAL, "creating tls connection");
		return NULL;
	}
	if (!setup_ssl(ssl, p, res, err)) {
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

/* ---- after the handshake ---- */

static void name_text(const X509_NAME *name, char *out, size_t cap)
{
	out[0] = '\0';
	BIO *b = BIO_new(BIO_s_mem());
	if (!b)
		return;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0) {
		char *data;
		long n = BIO_get_mem_data(b, &data);
		size_t k = n > 0 ? (size_t)n : 0;
		if (k >= cap)
			k = cap - 1;
		memcpy(out, data, k);
		out[k] = '\0';
	}
	BIO_free(b);
}

static void describe_peer(SSL *ssl, struct tls_client_result *res)
{
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
	int n = chain ? sk_X509_num(chain) : 0;
	res->chain_len = n > 0 ? (unsigned)n : 0;
	if (n <= 0)
		return;
	X509 *leaf = sk_X509_value(chain, 0);
	name_text(X509_get_subject_name(leaf), res->leaf_subject, sizeof res->leaf_subject);
	name_text(X509_get_issuer_name(leaf), res->leaf_issuer, sizeof res->leaf_issuer);
}

/* PKIX apart from the handshake's own verification (which did DANE). */
static void pkix_check(struct tls_client *t, SSL *ssl, const struct tls_client_params *p,
		       struct tls_check *out)
{
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
	if (!chain || sk_X509_num(chain) == 0)
		return;
	X509_STORE_CTX *x = X509_STORE_CTX_new();
	struct error err = {0};
	if (x &&
	    X509_STORE_CTX_init(x, SSL_CTX_get_cert_store(t->ctx), sk_X509_value(chain, 0),
				chain) == 1 &&
	    X509_STORE_CTX_set_default(x, "ssl_server") == 1 &&
	    set_names(X509_STORE_CTX_get0_param(x), p, &err)) {
		out->checked = true;
		out->ok = X509_verify_cert(x) == 1;
		if (!out->ok)
			check_failed(out, X509_STORE_CTX_get_error(x));
	}
	X509_STORE_CTX_free(x);
	ERR_clear_error();
}

/* What the handshake's verification found, for the check it did. */
static void handshake_check(SSL *ssl, struct tls_check *out)
{
	long v = SSL_get_verify_result(ssl);
	out->checked = true;
	out->ok = v == X509_V_OK;
	if (!out->ok)
		check_failed(out, v);
}

static void record_checks(struct tls_client *t, SSL *ssl, const struct tls_client_params *p,
			  struct tls_client_result *res)
{
	if (p->verify == TLS_VERIFY_NONE || res->chain_len == 0)
		return;
	if (!uses_dane(p)) {
		handshake_check(ssl, &res->pkix);
		return;
	}
	if (res->tlsa_usable == 0) {
		/* Reported (OPPORTUNISTIC); DANE mode never got this far. */
		res->dane.checked = true;
		res->dane.failure = TLS_RESULT_TLSA_INVALID;
		str_copy(res->dane.reason, sizeof res->dane.reason, "no usable tlsa records");
	} else {
		handshake_check(ssl, &res->dane);
		res->dane.ok = false; /* set again only by an actual DANE match */
		tls_dane_outcome(ssl, res);
		if (!res->dane.ok && res->dane.failure == TLS_RESULT_NONE) {
			res->dane.failure = TLS_RESULT_VALIDATION_FAILURE;
			str_copy(res->dane.reason, sizeof res->dane.reason, "dane-no-match");
		}
	}
	pkix_check(t, ssl, p, &res->pkix);
}

/* The check the mode is about, for "failure" and "reason". */
static const struct tls_check *decisive_check(const struct tls_client_params *p,
					      const struct tls_client_result *res)
{
	if (p->verify == TLS_VERIFY_NONE)
		return NULL;
	return uses_dane(p) ? &res->dane : &res->pkix;
}

static void fill_session(SSL *ssl, struct tls_client_result *res)
{
	struct tls_info info;
	tls_info_fill(ssl, &info);
	str_copy(res->version, sizeof res->version, info.version);
	str_copy(res->cipher, sizeof res->cipher, info.cipher);
}

bool tls_client_finish(struct tls_client *t, SSL *ssl, const struct tls_client_params *p,
		       bool handshake_ok, struct tls_client_result *res, struct error *err)
{
	res->handshake_done = handshake_ok;
	describe_peer(ssl, res);
	if (handshake_ok)
		fill_session(ssl, res);
	record_checks(t, ssl, p, res);
	const struct tls_check *c = decisive_check(p, res);
	bool check_ok = !c || !c->checked || c->ok;
	if (c && c->checked && !c->ok) {
		res->failure = c->failure;
		str_copy(res->reason, sizeof res->reason, c->reason);
	}
	bool enforce = p->verify == TLS_VERIFY_PKIX || p->verify == TLS_VERIFY_DANE;
	res->verified = handshake_ok && (!enforce || (c && c->checked && c->ok));
	if (!handshake_ok && enforce && !check_ok)
		return error_set(err, ERR_PERMISSION,
				 "tls: certificate verification (%s) failed: %s",
				 tls_verify_name(p->verify), c->reason);
	if (!handshake_ok) {
		if (res->failure == TLS_RESULT_NONE) {
			res->failure = TLS_RESULT_VALIDATION_FAILURE;
			str_copy(res->reason, sizeof res->reason, err ? err->msg : "tls handshake");
		}
		return false;
	}
	if (!res->verified)
		return error_set(
		    err, ERR_PERMISSION, "tls: certificate verification (%s) failed: %s",
		    tls_verify_name(p->verify), c && c->reason[0] ? c->reason : "not verified");
	return true;
}

bool tls_peer_chain_pem(SSL *ssl, struct buf *out, struct error *err)
{
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
	BIO *b = BIO_new(BIO_s_mem());
	bool ok = b != NULL;
	for (int i = 0; ok && chain && i < sk_X509_num(chain); i++)
		ok = PEM_write_bio_X509(b, sk_X509_value(chain, i)) == 1;
	if (ok) {
		char *data;
		long n = BIO_get_mem_data(b, &data);
		if (n > 0)
			buf_append(out, data, (size_t)n);
	}
	BIO_free(b);
	return ok || certs_openssl_error(err, ERR_INTERNAL, "writing the peer's certificates");
}
