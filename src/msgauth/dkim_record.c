/*
 * DKIM key records (RFC 6376 3.6.1): parsing, writing, and the public key.
 */
#include "msgauth/dkim.h"

#include "base/base64.h"
#include "msgauth/dkim_value.h"
#include "msgauth/taglist.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <string.h>

/* RFC 8463 4.2: an Ed25519 key is its 32 bytes. */
#define ED25519_KEY_LEN 32

static bool parse_tag(struct arena *a, const struct tag *t, struct dkim_record *r,
		      struct error *err)
{
	struct str n = t->name, v = t->value;
	if (str_eq_cstr(n, "h"))
		return dkim_value_list(a, v, DKIM_VALUE_WORD, TAGLIST_MAX, &r->hashes, &r->nhashes,
				       err) ||
		       error_prefix(err, "h=");
	if (str_eq_cstr(n, "k")) {
		if (!dkim_value_is_word(v, true))
			return error_set(err, ERR_INVALID, "k=: invalid key type");
		r->key_type = arena_memdup0(a, v.p, v.len);
		return true;
	}
	if (str_eq_cstr(n, "n")) {
		struct buf b = BUF_INIT;
		bool ok = dkim_qp_section_decode(v, &b, err) || error_prefix(err, "n=");
		r->notes = arena_memdup0(a, b.data ? b.data : "", b.len);
		buf_free(&b);
		return ok;
	}
	if (str_eq_cstr(n, "p")) {
		struct buf b = BUF_INIT;
		bool ok =
		    dkim_value_base64(v, &b) || error_set(err, ERR_INVALID, "p=: invalid base64");
		r->public_key = arena_alloc(a, b.len ? b.len : 1);
		memcpy(r->public_key, b.data ? b.data : "", b.len);
		r->public_key_len = b.len;
		buf_free(&b);
		return ok;
	}
	if (str_eq_cstr(n, "s"))
		return dkim_value_list(a, v, DKIM_VALUE_SERVICE, TAGLIST_MAX, &r->services,
				       &r->nservices, err) ||
		       error_prefix(err, "s=");
	if (str_eq_cstr(n, "t"))
		return dkim_value_list(a, v, DKIM_VALUE_WORD, TAGLIST_MAX, &r->flags, &r->nflags,
				       err) ||
		       error_prefix(err, "t=");
	/* v= is checked before; RFC 6376 3.6.1: other tags are ignored. */
	return true;
}

static bool starts_with_version(struct str txt)
{
	/* Text that does not parse still claims to be DKIM when it starts with v=DKIM1. */
	struct str t = str_trim(txt);
	if (!str_has_prefix(t, "v"))
		return false;
	t = str_trim(str_make(t.p + 1, t.len - 1));
	if (!str_has_prefix(t, "="))
		return false;
	t = str_trim(str_make(t.p + 1, t.len - 1));
	return str_has_prefix(t, "DKIM1") &&
	       (t.len == 5 || t.p[5] == ';' || t.p[5] == ' ' || t.p[5] == '\t');
}

bool dkim_record_parse(struct arena *a, struct str txt, struct dkim_record *r, bool *is_dkim,
		       struct error *err)
{
	memset(r, 0, sizeof *r);
	r->version = "DKIM1";
	r->key_type = "rsa";
	r->notes = "";
	const char **any = arena_alloc(a, sizeof *any);
	any[0] = "*";
	r->services = any;
	r->nservices = 1;
	*is_dkim = false;
	struct taglist *tl = arena_alloc(a, sizeof *tl);
	if (!taglist_parse(txt, tl, err)) {
		*is_dkim = starts_with_version(txt);
		return false;
	}
	const struct tag *v = taglist_get(tl, "v");
	/* RFC 6376 3.6.1 v=: "MUST be the first tag"; other versions are discarded. */
	if (v && (!str_eq_cstr(v->value, "DKIM1") || v != &tl->v[0]))
		return error_set(err, ERR_INVALID,
				 v == &tl->v[0] ? "v=: not DKIM1" : "v= is not the first tag");
	*is_dkim = true;
	for (size_t i = 0; i < tl->n; i++)
		if (!parse_tag(a, &tl->v[i], r, err))
			return false;
	if (!taglist_get(tl, "p"))
		return error_set(err, ERR_INVALID, "missing required tag p=");
	r->key_alg = dkim_key_parse(str_from(r->key_type));
	if (r->key_alg == DKIM_KEY_UNKNOWN)
		return error_set(err, ERR_INVALID, "k=: unknown key type \"%s\"", r->key_type);
	if (r->public_key_len == 0)
		return true; /* revoked (RFC 6376 3.6.1 p=) */
	EVP_PKEY *key = dkim_record_key(r, err);
	EVP_PKEY_free(key);
	return key != NULL || error_prefix(err, "p=");
}

static EVP_PKEY *rsa_key(const struct dkim_record *r, struct error *err)
{
	/* SubjectPublicKeyInfo, as published in practice (RFC 6376 errata 3017);
	 * the RSAPublicKey of the RFC's text is accepted as well. */
	const unsigned char *p = r->public_key;
	EVP_PKEY *key = d2i_PUBKEY(NULL, &p, (long)r->public_key_len);
	if (key &&
	    (EVP_PKEY_base_id(key) != EVP_PKEY_RSA || p != r->public_key + r->public_key_len)) {
		EVP_PKEY_free(key);
		ERR_clear_error();
		error_set(err, ERR_INVALID, "public key is not an RSA key");
		return NULL;
	}
	if (!key) {
		p = r->public_key;
		key = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)r->public_key_len);
		if (key && p != r->public_key + r->public_key_len) {
			EVP_PKEY_free(key);
			key = NULL;
		}
	}
	ERR_clear_error();
	if (!key)
		error_set(err, ERR_INVALID, "RSA public key does not decode");
	return key;
}

EVP_PKEY *dkim_record_key(const struct dkim_record *r, struct error *err)
{
	if (r->public_key_len == 0) {
		error_set(err, ERR_INVALID, "key revoked");
		return NULL;
	}
	if (r->key_alg == DKIM_KEY_RSA)
		return rsa_key(r, err);
	if (r->key_alg != DKIM_KEY_ED25519) {
		error_set(err, ERR_INVALID, "unknown key type \"%s\"", r->key_type);
		return NULL;
	}
	if (r->public_key_len != ED25519_KEY_LEN) {
		error_set(err, ERR_INVALID, "Ed25519 key of %zu bytes, need %d", r->public_key_len,
			  ED25519_KEY_LEN);
		return NULL;
	}
	EVP_PKEY *key =
	    EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, r->public_key, r->public_key_len);
	ERR_clear_error();
	if (!key)
		error_set(err, ERR_INVALID, "Ed25519 public key does not decode");
	return key;
}

static bool list_has(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (ascii_caseeq(v[i], s))
			return true;
	return false;
}

bool dkim_record_flag(const struct dkim_record *r, const char *f)
{
	return list_has(r->flags, r->nflags, f);
}

bool dkim_record_allows_email(const struct dkim_record *r)
{
	/* RFC 6376 3.6.1 s=: "*" or "email". */
	return list_has(r->services, r->nservices, "*") ||
	       list_has(r->services, r->nservices, "email");
}

static void add_list(struct buf *out, const char *tag, const char *const *v, size_t n)
{
	buf_printf(out, ";%s=", tag);
	for (size_t i = 0; i < n; i++)
		buf_printf(out, "%s%s", i ? ":" : "", v[i]);
}

void dkim_record_format(const struct dkim_record *r, struct buf *out)
{
	buf_puts(out, "v=DKIM1");
	if (r->nhashes)
		add_list(out, "h", r->hashes, r->nhashes);
	if (r->key_type[0] && !ascii_caseeq(r->key_type, "rsa"))
		buf_printf(out, ";k=%s", r->key_type);
	if (r->notes[0]) {
		/* qp-section (RFC 2045 6.7), with ";" encoded as the tag list needs. */
		static const char hex[] = "0123456789ABCDEF";
		buf_puts(out, ";n=");
		for (const unsigned char *p = (const unsigned char *)r->notes; *p; p++) {
			bool inner_space =
			    (*p == ' ' || *p == '\t') && p != (const unsigned char *)r->notes;
			if (inner_space || (*p > ' ' && *p < 0x7f && *p != '=' && *p != ';'))
				buf_putc(out, (char)*p);
			else
				buf_printf(out, "=%c%c", hex[*p >> 4], hex[*p & 15]);
		}
	}
	if (r->nservices && !(r->nservices == 1 && strcmp(r->services[0], "*") == 0))
		add_list(out, "s", r->services, r->nservices);
	if (r->nflags)
		add_list(out, "t", r->flags, r->nflags);
	buf_puts(out, ";p=");
	base64_encode(BASE64_STD, r->public_key, r->public_key_len, out);
}
