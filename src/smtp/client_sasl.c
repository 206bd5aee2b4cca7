#include "smtp/client_sasl.h"

#include "base/base64.h"
#include "base/mem.h"
#include "base/str.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCRAM_NONCE_LEN 24
#define SCRAM_ITER_MAX  (1 << 20) /* refuse absurd iteration counts */
#define SCRAM_HASH_MAX  EVP_MAX_MD_SIZE
#define SCRAM_SALT_MAX  512 /* bytes of salt accepted from a server */

enum kind { K_PLAIN, K_CRAM, K_SCRAM, K_EXTERNAL };

struct client_sasl {
	enum kind kind;
	const EVP_MD *md;
	bool plus;
	char *user;
	char *password;
	struct client_sasl_cb cb;
	bool server_has_plus;
	int step;
	bool verified;
	struct buf gs2;          /* "n,," / "y,," / "p=tls-exporter,," */
	struct buf client_first; /* bare */
	uint8_t server_sig[SCRAM_HASH_MAX];
	unsigned hlen;
};

struct client_sasl *client_sasl_new(const char *mech, const char *user, const char *password,
				    const struct client_sasl_cb *cb, bool server_has_plus,
				    struct error *err)
{
	struct client_sasl *s = xcalloc(1, sizeof *s);
	if (strcasecmp(mech, "PLAIN") == 0)
		s->kind = K_PLAIN;
	else if (strcasecmp(mech, "CRAM-MD5") == 0)
		s->kind = K_CRAM;
	else if (strcasecmp(mech, "EXTERNAL") == 0)
		s->kind = K_EXTERNAL;
	else if (strcasecmp(mech, "SCRAM-SHA-256") == 0 || strcasecmp(mech, "SCRAM-SHA-1") == 0 ||
		 strcasecmp(mech, "SCRAM-SHA-256-PLUS") == 0 ||
		 strcasecmp(mech, "SCRAM-SHA-1-PLUS") == 0) {
		s->kind = K_SCRAM;
		s->md = strncasecmp(mech, "SCRAM-SHA-256", 13) == 0 ? EVP_sha256() : EVP_sha1();
		s->plus = strlen(mech) > 5 && strcasecmp(mech + strlen(mech) - 5, "-PLUS") == 0;
	} else {
		free(s);
		error_set(err, ERR_INVALID, "unsupported SASL mechanism %s", mech);
		return NULL;
	}
	if (s->plus && (!cb || cb->len == 0)) {
		free(s);
		error_set(err, ERR_INVALID, "%s needs TLS channel binding", mech);
		return NULL;
	}
	s->user = xstrdup(user ? user : "");
	s->password = xstrdup(password ? password : "");
	if (cb)
		s->cb = *cb;
	s->server_has_plus = server_has_plus;
	buf_init(&s->gs2);
	buf_init(&s->client_first);
	return s;
}

/* RFC 5802 5.1: "=" and "," in a username are escaped. */
static void scram_name(struct buf *out, const char *name)
{
	for (const char *p = name; *p; p++) {
		if (*p == '=')
			buf_puts(out, "=3D");
		else if (*p == ',')
			buf_puts(out, "=2C");
		else
			buf_putc(out, *p);
	}
}

bool client_sasl_initial(struct client_sasl *s, struct buf *out)
{
	buf_reset(out);
	switch (s->kind) {
	case K_PLAIN:
		/* RFC 4616 2: authzid NUL authcid NUL passwd, with an empty authzid. */
		buf_putc(out, '\0');
		buf_puts(out, s->user);
		buf_putc(out, '\0');
		buf_puts(out, s->password);
		s->verified = true;
		return true;
	case K_EXTERNAL:
		/* RFC 4422 A: an empty authorization identity: the certificate's. */
		s->verified = true;
		return true;
	case K_CRAM: return false;
	case K_SCRAM: break;
	}
	/* RFC 5802 7: gs2-cbind-flag "p=type" with -PLUS, "y" when we could but the
	 * server offered no -PLUS (downgrade detection), else "n". */
	if (s->plus)
		buf_printf(&s->gs2, "p=%s,,", s->cb.type);
	else if (s->cb.len > 0 && !s->server_has_plus)
		buf_puts(&s->gs2, "y,,");
	else
		buf_puts(&s->gs2, "n,,");
	uint8_t nonce[SCRAM_NONCE_LEN];
	RAND_bytes(nonce, sizeof nonce);
	buf_puts(&s->client_first, "n=");
	scram_name(&s->client_first, s->user);
	buf_puts(&s->client_first, ",r=");
	base64_encode(BASE64_STD, nonce, sizeof nonce, &s->client_first);
	buf_append(out, s->gs2.data, s->gs2.len);
	buf_append(out, s->client_first.data, s->client_first.len);
	s->step = 1;
	return true;
}

/* An attribute "k=value" of a comma-separated SCRAM message. */
static bool scram_attr(struct str msg, char k, struct str *v)
{
	while (msg.len > 0) {
		struct str one, rest;
		bool more = str_cut(msg, ',', &one, &rest);
		if (!more)
			one = msg;
		if (one.len >= 2 && one.p[0] == k && one.p[1] == '=') {
			*v = str_sub(one, 2, one.len);
			return true;
		}
		msg = more ? rest : STR_NULL;
	}
	return false;
}

static void hmac(const EVP_MD *md, const uint8_t *key, size_t klen, const void *p, size_t n,
		 uint8_t *out, unsigned *olen)
{
	HMAC(md, key, (int)klen, p, n, out, olen);
}

/* RFC 5802 3: the client-final-message for a server-first-message. */
static bool scram_final(struct client_sasl *s, struct str sf, struct buf *out, struct error *err)
{
	struct str r, salt64, iters;
	if (!scram_attr(sf, 'r', &r) || !scram_attr(sf, 's', &salt64) ||
	    !scram_attr(sf, 'i', &iters))
		return error_set(err, ERR_INVALID, "bad SCRAM server-first-message");
	struct str ours;
	scram_attr(str_make(s->client_first.data, s->client_first.len), 'r', &ours);
	if (r.len <= ours.len || memcmp(r.p, ours.p, ours.len) != 0)
		return error_set(err, ERR_INVALID, "SCRAM server nonce does not extend ours");
	uint64_t iter;
	if (!str_parse_u64(iters, SCRAM_ITER_MAX, &iter) || iter == 0)
		return error_set(err, ERR_INVALID, "bad SCRAM iteration count");
	struct buf salt = BUF_INIT;
	if (salt64.len > BASE64_LEN(SCRAM_SALT_MAX) || !base64_decode(BASE64_STD, salt64, &salt)) {
		buf_free(&salt);
		return error_set(err, ERR_INVALID, "bad SCRAM salt");
	}
	unsigned hlen = (unsigned)EVP_MD_get_size(s->md);
	uint8_t salted[SCRAM_HASH_MAX], ckey[SCRAM_HASH_MAX], skey[SCRAM_HASH_MAX];
	uint8_t stored[SCRAM_HASH_MAX], csig[SCRAM_HASH_MAX], proof[SCRAM_HASH_MAX];
	PKCS5_PBKDF2_HMAC(s->password, (int)strlen(s->password), (const uint8_t *)salt.data,
			  (int)salt.len, (int)iter, s->md, (int)hlen, salted);
	buf_free(&salt);
	unsigned l;
	hmac(s->md, salted, hlen, "Client Key", 10, ckey, &l);
	hmac(s->md, salted, hlen, "Server Key", 10, skey, &l);
	EVP_Digest(ckey, hlen, stored, NULL, s->md, NULL);
	/* c= is base64(gs2 header + channel binding data for -PLUS). */
	struct buf cbind = BUF_INIT, final = BUF_INIT, auth = BUF_INIT;
	buf_append(&cbind, s->gs2.data, s->gs2.len);
	if (s->plus)
		buf_append(&cbind, s->cb.data, s->cb.len);
	buf_puts(&final, "c=");
	base64_encode(BASE64_STD, cbind.data, cbind.len, &final);
	buf_printf(&final, ",r=%.*s", (int)r.len, r.p);
	buf_printf(&auth, "%s,%.*s,%s", buf_cstr(&s->client_first), (int)sf.len, sf.p,
		   buf_cstr(&final));
	hmac(s->md, stored, hlen, auth.data, auth.len, csig, &l);
	for (unsigned i = 0; i < hlen; i++)
		proof[i] = ckey[i] ^ csig[i];
	hmac(s->md, skey, hlen, auth.data, auth.len, s->server_sig, &s->hlen);
	buf_puts(&final, ",p=");
	base64_encode(BASE64_STD, proof, hlen, &final);
	buf_reset(out);
	buf_append(out, final.data, final.len);
	OPENSSL_cleanse(salted, sizeof salted);
	OPENSSL_cleanse(ckey, sizeof ckey);
	OPENSSL_cleanse(skey, sizeof skey);
	buf_free(&cbind);
	buf_free(&final);
	buf_free(&auth);
	return true;
}

/* RFC 5802 3: the server-final-message must carry the right signature. */
static bool scram_verify(struct client_sasl *s, struct str msg, struct error *err)
{
	struct str e, v;
	if (scram_attr(msg, 'e', &e))
		return error_set(err, ERR_PERMISSION, "SCRAM error from server: %.*s",
				 (int)(e.len > 100 ? 100 : e.len), e.p);
	uint8_t sig[SCRAM_HASH_MAX];
	if (!scram_attr(msg, 'v', &v) || !base64_decode_exact(BASE64_STD, v, sig, s->hlen) ||
	    CRYPTO_memcmp(sig, s->server_sig, s->hlen) != 0)
		return error_set(err, ERR_PERMISSION,
				 "SCRAM server signature invalid: the server "
				 "does not know the password");
	s->verified = true;
	return true;
}

static bool cram_response(struct client_sasl *s, const uint8_t *in, size_t n, struct buf *out)
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned l;
	/* RFC 2195 2: user SP hex(HMAC-MD5(password, challenge)). */
	HMAC(EVP_md5(), s->password, (int)strlen(s->password), in, n, mac, &l);
	buf_reset(out);
	buf_puts(out, s->user);
	buf_putc(out, ' ');
	for (unsigned i = 0; i < l; i++)
		buf_printf(out, "%02x", mac[i]);
	s->verified = true;
	return true;
}

bool client_sasl_step(struct client_sasl *s, const uint8_t *in, size_t n, struct buf *out,
		      struct error *err)
{
	struct str msg = str_make((const char *)in, n);
	switch (s->kind) {
	case K_CRAM:
		if (s->step++ > 0)
			return error_set(err, ERR_INVALID, "unexpected CRAM-MD5 challenge");
		return cram_response(s, in, n, out);
	case K_SCRAM:
		if (s->step == 1) {
			s->step = 2;
			return scram_final(s, msg, out, err);
		}
		if (s->step == 2) {
			s->step = 3;
			buf_reset(out);
			return scram_verify(s, msg, err);
		}
		return error_set(err, ERR_INVALID, "unexpected SCRAM challenge");
	case K_PLAIN:
	case K_EXTERNAL:
		/* An empty challenge asks for the initial response again (no initial response
		 * sent). */
		if (n == 0 && s->step++ == 0) {
			client_sasl_initial(s, out);
			return true;
		}
		return error_set(err, ERR_INVALID, "unexpected challenge");
	}
	return false;
}

bool client_sasl_done(const struct client_sasl *s)
{
	return s->verified;
}

void client_sasl_free(struct client_sasl *s)
{
	if (!s)
		return;
	OPENSSL_cleanse(s->password, strlen(s->password));
	free(s->password);
	free(s->user);
	buf_free(&s->gs2);
	buf_free(&s->client_first);
	OPENSSL_cleanse(s, sizeof *s);
	free(s);
}
