#include "net/tlsdane.h"

#include "net/certs.h"

#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <string.h>

bool tls_tlsa_usable(const struct tls_tlsa *r)
{
	/* RFC 7672 3.1.3: PKIX-TA(0) and PKIX-EE(1) are not used for SMTP. */
	if (r->usage != TLSA_USAGE_DANE_TA && r->usage != TLSA_USAGE_DANE_EE)
		return false;
	if (r->selector != TLSA_SELECTOR_CERT && r->selector != TLSA_SELECTOR_SPKI)
		return false;
	/* RFC 7671 4: a record whose data cannot be what its matching type says is unusable. */
	switch (r->mtype) {
	case TLSA_MTYPE_FULL: return r->len > 0 && r->len <= TLS_TLSA_DATA_MAX;
	case TLSA_MTYPE_SHA256: return r->len == 32;
	case TLSA_MTYPE_SHA512: return r->len == 64;
	default: return false;
	}
}

bool tls_dane_setup(SSL *ssl, const struct tls_client_params *p, size_t *usable, struct error *err)
{
	*usable = 0;
	/* Sets the primary reference identifier (and SNI when none is set yet). */
	if (SSL_dane_enable(ssl, p->server_name) <= 0)
		return certs_openssl_error(err, ERR_INVALID, "dane: enabling for the base domain");
	SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	/* RFC 7672 3.2.2: more names a DANE-TA certificate may carry. */
	for (size_t i = 0; i < p->nmore_names && i < TLS_MORE_NAMES_MAX; i++)
		if (SSL_add1_host(ssl, p->more_names[i]) != 1)
			return certs_openssl_error(err, ERR_INVALID, "dane: adding a host name");
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	size_t n = p->ntlsa < TLS_TLSA_MAX ? p->ntlsa : TLS_TLSA_MAX;
	for (size_t i = 0; i < n; i++) {
		const struct tls_tlsa *r = &p->tlsa[i];
		if (!tls_tlsa_usable(r))
			continue;
		/* The data is copied; 0 means OpenSSL finds the record unusable too. */
		int rc = SSL_dane_tlsa_add(ssl, r->usage, r->selector, r->mtype, r->data, r->len);
		if (rc < 0)
			return certs_openssl_error(err, ERR_INTERNAL, "dane: adding a tlsa record");
		if (rc > 0)
			(*usable)++;
	}
	return true;
}

void tls_dane_outcome(SSL *ssl, struct tls_client_result *res)
{
	uint8_t usage = 0, selector = 0, mtype = 0;
	const unsigned char *data = NULL;
	size_t len = 0;
	/* Only after verification succeeded (with or without enforcement) is this >= 0. */
	int depth = SSL_get0_dane_tlsa(ssl, &usage, &selector, &mtype, &data, &len);
	if (depth < 0)
		return;
	res->dane.ok = true;
	res->dane_matched = true;
	res->dane_usage = usage;
	res->dane_selector = selector;
	res->dane_mtype = mtype;
	res->dane_depth = depth;
}
