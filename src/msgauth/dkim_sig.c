/*
 * DKIM-Signature header fields (RFC 6376 3.5): parsing into struct dkim_sig
 * and writing one back.
 */
#include "msgauth/dkim.h"

#include "base/base64.h"
#include "base/address.h"
#include "mail/hdrwriter.h"
#include "msgauth/dkim_value.h"
#include "msgauth/taglist.h"

#include <string.h>

/* RFC 6376 3.5 "a=": sig-a-tag-k "-" sig-a-tag-h, each ALPHA *(ALPHA / DIGIT). */
static bool parse_algorithm(struct arena *a, struct str v, struct dkim_sig *sig, struct error *err)
{
	struct str k, h;
	if (!str_cut(v, '-', &k, &h) || !dkim_value_is_word(k, false) ||
	    !dkim_value_is_word(h, false))
		return error_set(err, ERR_INVALID, "a=: algorithm \"%.*s\" is not key-hash",
				 (int)v.len, v.p);
	sig->algorithm = arena_memdup0(a, v.p, v.len);
	sig->key_alg = dkim_key_parse(k);
	sig->hash_alg = dkim_hash_parse(h);
	return true;
}

/* RFC 6376 3.5 "c=": header-canon ["/" body-canon]; one name means body simple. */
static bool parse_canonicalization(struct arena *a, struct str v, struct dkim_sig *sig,
				   struct error *err)
{
	struct str hc = v, bc;
	if (!str_cut(v, '/', &hc, &bc))
		bc = STR_LIT("simple");
	if (!dkim_value_is_word(hc, true) || !dkim_value_is_word(bc, true))
		return error_set(err, ERR_INVALID, "c=: invalid canonicalization \"%.*s\"",
				 (int)v.len, v.p);
	sig->canonicalization = arena_memdup0(a, v.p, v.len);
	sig->header_canon = dkim_canon_parse(hc);
	sig->body_canon = dkim_canon_parse(bc);
	return true;
}

/* RFC 6376 3.5 "i=": [ Local-part ] "@" domain-name, dkim-quoted-printable. */
static bool parse_identity(struct arena *a, struct str v, struct dkim_sig *sig, struct error *err)
{
	struct buf d = BUF_INIT;
	bool ok = dkim_qp_decode(v, &d, err);
	const char *s = buf_cstr(&d);
	const char *at = ok ? strrchr(s, '@') : NULL;
	if (ok && !at)
		ok = error_set(err, ERR_INVALID, "i=: no \"@\" in identity");
	if (ok && memchr(s, '\0', d.len))
		ok = error_set(err, ERR_INVALID, "i=: NUL in identity");
	size_t lplen = ok ? (size_t)(at - s) : 0;
	if (ok && lplen > DKIM_LOCALPART_MAX)
		ok = error_set(err, ERR_LIMIT, "i=: localpart longer than %d bytes",
			       DKIM_LOCALPART_MAX);
	if (ok)
		ok = dkim_value_domain(str_from(at + 1), &sig->identity_domain, err) ||
		     error_prefix(err, "i=");
	if (ok) {
		sig->has_identity = true;
		sig->identity_localpart = lplen ? arena_memdup0(a, s, lplen) : NULL;
	}
	buf_free(&d);
	return ok;
}

/* RFC 6376 3.5 "l=": 1*76DIGIT; values beyond int64 are as good as infinite. */
static bool parse_length(struct str v, struct dkim_sig *sig, struct error *err)
{
	if (v.len == 0 || v.len > 76)
		return error_set(err, ERR_INVALID, "l=: 1 to 76 digits expected");
	uint64_t n = 0;
	bool huge = false;
	for (size_t i = 0; i < v.len; i++) {
		if (!ascii_isdigit(v.p[i]))
			return error_set(err, ERR_INVALID, "l=: digits expected");
		if (n > (UINT64_C(1) << 62))
			huge = true;
		else
			n = n * 10 + (uint64_t)(v.p[i] - '0');
	}
	sig->length = huge || n > INT64_MAX ? INT64_MAX : (int64_t)n;
	return true;
}

/* RFC 6376 3.5 "t=" and "x=": 1*12DIGIT (mox refuses longer values). */
static bool parse_time(struct str v, const char *tag, int64_t *out, struct error *err)
{
	uint64_t n;
	if (v.len == 0 || v.len > 12 || !str_parse_u64(v, UINT64_C(999999999999), &n))
		return error_set(err, ERR_INVALID, "%s=: 1 to 12 digits expected", tag);
	*out = (int64_t)n;
	return true;
}

static bool parse_base64(struct arena *a, struct str v, const char *tag, uint8_t **out, size_t *len,
			 struct error *err)
{
	struct buf raw = BUF_INIT;
	bool ok =
	    dkim_value_base64(v, &raw) || error_set(err, ERR_INVALID, "%s=: invalid base64", tag);
	if (ok) {
		*out = arena_alloc(a, raw.len ? raw.len : 1);
		memcpy(*out, raw.data ? raw.data : "", raw.len);
		*len = raw.len;
	}
	buf_free(&raw);
	return ok;
}

static bool parse_body_hash(struct str v, struct dkim_sig *sig, struct error *err)
{
	struct buf raw = BUF_INIT;
	bool ok = dkim_value_base64(v, &raw) || error_set(err, ERR_INVALID, "bh=: invalid base64");
	if (ok && raw.len > DKIM_HASH_MAX)
		ok = error_set(err, ERR_INVALID, "bh=: %zu bytes is longer than any hash", raw.len);
	if (ok) {
		memcpy(sig->body_hash, raw.data ? raw.data : "", raw.len);
		sig->body_hash_len = raw.len;
	}
	buf_free(&raw);
	return ok;
}

static bool parse_tag(struct arena *a, const struct tag *t, struct dkim_sig *sig, struct error *err)
{
	struct str n = t->name, v = t->value;
	if (str_eq_cstr(n, "v")) {
		if (!str_eq_cstr(v, "1"))
			return error_set(err, ERR_INVALID, "v=: unknown version \"%.*s\"",
					 (int)v.len, v.p);
		sig->version = 1;
	} else if (str_eq_cstr(n, "a")) {
		return parse_algorithm(a, v, sig, err);
	} else if (str_eq_cstr(n, "b")) {
		return parse_base64(a, v, "b", &sig->signature, &sig->signature_len, err);
	} else if (str_eq_cstr(n, "bh")) {
		return parse_body_hash(v, sig, err);
	} else if (str_eq_cstr(n, "c")) {
		return parse_canonicalization(a, v, sig, err);
	} else if (str_eq_cstr(n, "d")) {
		return dkim_value_domain(v, &sig->domain, err) || error_prefix(err, "d=");
	} else if (str_eq_cstr(n, "h")) {
		return dkim_value_list(a, v, DKIM_VALUE_FIELD_NAME, DKIM_SIG_HEADERS_MAX,
				       &sig->headers, &sig->nheaders, err) ||
		       error_prefix(err, "h=");
	} else if (str_eq_cstr(n, "i")) {
		return parse_identity(a, v, sig, err);
	} else if (str_eq_cstr(n, "l")) {
		return parse_length(v, sig, err);
	} else if (str_eq_cstr(n, "q")) {
		return dkim_value_list(a, v, DKIM_VALUE_QUERY_METHOD, TAGLIST_MAX,
				       &sig->query_methods, &sig->nquery_methods, err) ||
		       error_prefix(err, "q=");
	} else if (str_eq_cstr(n, "s")) {
		return dkim_value_selector(a, v, &sig->selector, err) || error_prefix(err, "s=");
	} else if (str_eq_cstr(n, "t")) {
		return parse_time(v, "t", &sig->sign_time, err);
	} else if (str_eq_cstr(n, "x")) {
		return parse_time(v, "x", &sig->expire_time, err);
	} else if (str_eq_cstr(n, "z")) {
		sig->copied_headers = arena_memdup0(a, v.p, v.len);
	}
	/* RFC 6376 3.2: unknown tags are ignored. */
	return true;
}

/* RFC 6376 6.1.1: the required tags, and the rules between tags. */
static bool check_parsed(const struct taglist *tl, const struct dkim_sig *sig, struct error *err)
{
	static const char *const required[] = {"v", "a", "b", "bh", "d", "h", "s"};
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		if (!taglist_get(tl, required[i]))
			return error_set(err, ERR_INVALID, "missing required tag %s=", required[i]);
	size_t want = dkim_hash_len(sig->hash_alg);
	if (want && sig->body_hash_len != want)
		return error_set(err, ERR_INVALID, "bh=: %zu bytes, %s needs %zu",
				 sig->body_hash_len, dkim_hash_name(sig->hash_alg), want);
	/* RFC 6376 3.5 x=: "MUST be greater than the value of the t= tag". */
	if (sig->sign_time >= 0 && sig->expire_time >= 0 && sig->sign_time >= sig->expire_time)
		return error_set(err, ERR_INVALID, "x= is not after t=");
	/* RFC 6376 3.5 i=: the domain is d= or a subdomain of it. */
	if (sig->has_identity && !dns_domain_within(&sig->identity_domain, &sig->domain))
		return error_set(err, ERR_INVALID, "i= domain %s is not within d= %s",
				 sig->identity_domain.ascii, sig->domain.ascii);
	return true;
}

bool dkim_sig_parse(struct arena *a, struct str field, struct dkim_sig *sig, struct error *err)
{
	memset(sig, 0, sizeof *sig);
	sig->length = -1;
	sig->sign_time = -1;
	sig->expire_time = -1;
	sig->canonicalization = "";
	if (field.len > DKIM_SIG_BYTES_MAX)
		return error_set(err, ERR_LIMIT, "DKIM-Signature longer than %d bytes",
				 DKIM_SIG_BYTES_MAX);
	ptrdiff_t colon = str_index(field, ':');
	struct str name = str_trim(str_make(field.p, colon < 0 ? 0 : (size_t)colon));
	if (colon < 0 || !str_eqi_cstr(name, "DKIM-Signature"))
		return error_set(err, ERR_INVALID, "not a DKIM-Signature field");
	size_t voff = (size_t)colon + 1;
	struct taglist *tl = arena_alloc(a, sizeof *tl);
	if (!taglist_parse(str_make(field.p + voff, field.len - voff), tl, err))
		return false;
	for (size_t i = 0; i < tl->n; i++)
		if (!parse_tag(a, &tl->v[i], sig, err))
			return false;
	const struct tag *b = taglist_get(tl, "b");
	sig->field = field;
	if (b) {
		sig->b_start = voff + b->span_start;
		sig->b_end = voff + b->span_end;
	}
	return check_parsed(tl, sig, err);
}

/* ---- Writing ---- */

static void add_list(struct mail_hdrw *w, const char *tag, const char *const *v, size_t n, char sep)
{
	for (size_t i = 0; i < n; i++) {
		struct buf t = BUF_INIT;
		buf_printf(&t, "%s%s%c", i == 0 ? tag : "", v[i], i + 1 < n ? sep : ';');
		mail_hdrw_add(w, i == 0 ? " " : "", t.data, t.len);
		buf_free(&t);
	}
}

static void add_identity(struct mail_hdrw *w, const struct dkim_sig *sig)
{
	struct buf t = BUF_INIT;
	buf_puts(&t, "i=");
	if (sig->identity_localpart)
		dkim_qp_encode(str_from(sig->identity_localpart), &t);
	buf_printf(&t, "@%s;", sig->identity_domain.ascii);
	mail_hdrw_add(w, " ", t.data, t.len);
	buf_free(&t);
}

static void add_base64(struct mail_hdrw *w, const char *tag, const uint8_t *p, size_t n, bool wrap)
{
	struct buf t = BUF_INIT;
	base64_encode(BASE64_STD, p, n, &t);
	if (wrap) {
		mail_hdrw_add(w, " ", tag, strlen(tag));
		mail_hdrw_wrap(w, t.data ? t.data : "", t.len);
	} else {
		mail_hdrw_addf(w, " ", "%s%s;", tag, buf_cstr(&t));
	}
	buf_free(&t);
}

void dkim_sig_format(const struct dkim_sig *sig, struct buf *out)
{
	struct mail_hdrw w;
	mail_hdrw_init(&w, out);
	mail_hdrw_addf(&w, "", "DKIM-Signature: v=%d;", sig->version);
	/* RFC 6376 3.5: domain names always in A-label form. */
	mail_hdrw_addf(&w, " ", "d=%s;", sig->domain.ascii);
	mail_hdrw_addf(&w, " ", "s=%s;", sig->selector);
	if (sig->has_identity)
		add_identity(&w, sig);
	mail_hdrw_addf(&w, " ", "a=%s;", sig->algorithm);
	if (sig->canonicalization[0] && !ascii_caseeq(sig->canonicalization, "simple") &&
	    !ascii_caseeq(sig->canonicalization, "simple/simple"))
		mail_hdrw_addf(&w, " ", "c=%s;", sig->canonicalization);
	if (sig->length >= 0)
		mail_hdrw_addf(&w, " ", "l=%lld;", (long long)sig->length);
	if (sig->nquery_methods > 0 &&
	    !(sig->nquery_methods == 1 && ascii_caseeq(sig->query_methods[0], "dns/txt")))
		add_list(&w, "q=", sig->query_methods, sig->nquery_methods, ':');
	if (sig->sign_time >= 0)
		mail_hdrw_addf(&w, " ", "t=%lld;", (long long)sig->sign_time);
	if (sig->expire_time >= 0)
		mail_hdrw_addf(&w, " ", "x=%lld;", (long long)sig->expire_time);
	add_list(&w, "h=", sig->headers, sig->nheaders, ':');
	if (sig->copied_headers)
		mail_hdrw_addf(&w, " ", "z=%s;", sig->copied_headers);
	add_base64(&w, "bh=", sig->body_hash, sig->body_hash_len, false);
	add_base64(&w, "b=", sig->signature, sig->signature_len, true);
	mail_hdrw_end(&w);
}
