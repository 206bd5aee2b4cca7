/*
 * DKIM: canonicalization (RFC 6376 3.4.5's example, known empty-body hashes,
 * bodies split anywhere), DKIM-Signature and key record parsing, the example
 * of RFC 8463 Appendix A, signing and verifying round trips with both key
 * types and canonicalizations, oversigning, l=, x=, key record flags, and
 * the bounds on signatures per message.
 */
#include "base/base64.h"
#include "msgauth/dkim.h"
#include "msgauth/dkim_canon.h"
#include "msgauth/dkim_key.h"
#include "msgauth/dkim_msg.h"
#include "msgauth/taglist.h"

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <string.h>
#include <time.h>

static struct arena a;

static void setup(void)
{
	arena_init(&a, 0);
}

static void teardown(void)
{
	arena_free(&a);
}

TestSuite(dkim, .init = setup, .fini = teardown);

/* ---- Canonicalization ---- */

static const char *canon_header(enum dkim_canon c, const char *field)
{
	struct buf b = BUF_INIT;
	dkim_canon_header(c, str_from(field), true, &b);
	const char *s = arena_strdup(&a, buf_cstr(&b));
	buf_free(&b);
	return s;
}

/* The body hash of body fed in pieces of size step (0: all at once), base64. */
static const char *body_hash(enum dkim_canon c, const char *body, size_t len, size_t step,
			     int64_t limit, uint64_t *canon_len)
{
	struct dkim_body_hash h;
	struct error err;
	cr_assert(dkim_body_hash_init(&h, c, DKIM_HASH_SHA256, limit, &err));
	for (size_t i = 0; i < len;) {
		size_t n = step && len - i > step ? step : len - i;
		dkim_body_hash_update(&h, body + i, n);
		i += n;
	}
	uint8_t d[32];
	dkim_body_hash_final(&h, d);
	if (canon_len)
		*canon_len = h.length;
	struct buf b = BUF_INIT;
	base64_encode(BASE64_STD, d, 32, &b);
	const char *s = arena_strdup(&a, buf_cstr(&b));
	buf_free(&b);
	return s;
}

/* SHA-256 of bytes, base64, to compare canonical bodies written out. */
static const char *sha256_b64(const char *p, size_t n)
{
	uint8_t d[32];
	unsigned int len;
	EVP_Digest(p, n, d, &len, EVP_sha256(), NULL);
	struct buf b = BUF_INIT;
	base64_encode(BASE64_STD, d, 32, &b);
	const char *s = arena_strdup(&a, buf_cstr(&b));
	buf_free(&b);
	return s;
}

Test(dkim, canonicalization_rfc6376_example)
{
	/* RFC 6376 3.4.5. */
	cr_assert_str_eq(canon_header(DKIM_CANON_RELAXED, "A: X"), "a:X\r\n");
	cr_assert_str_eq(canon_header(DKIM_CANON_RELAXED, "B : Y\t\r\n\tZ  "), "b:Y Z\r\n");
	cr_assert_str_eq(canon_header(DKIM_CANON_SIMPLE, "B : Y\t\r\n\tZ  "),
			 "B : Y\t\r\n\tZ  \r\n");
	const char *body = " C \r\nD \t E\r\n\r\n\r\n";
	cr_assert_str_eq(body_hash(DKIM_CANON_RELAXED, body, strlen(body), 0, -1, NULL),
			 sha256_b64(" C\r\nD E\r\n", 9));
	cr_assert_str_eq(body_hash(DKIM_CANON_SIMPLE, body, strlen(body), 0, -1, NULL),
			 sha256_b64(" C \r\nD \t E\r\n", 12));
}

Test(dkim, canonicalization_empty_and_edges)
{
	/* The well-known hashes of an empty body: CRLF (simple), nothing (relaxed). */
	cr_assert_str_eq(body_hash(DKIM_CANON_SIMPLE, "", 0, 0, -1, NULL),
			 "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
	cr_assert_str_eq(body_hash(DKIM_CANON_RELAXED, "", 0, 0, -1, NULL),
			 "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	cr_assert_str_eq(body_hash(DKIM_CANON_RELAXED, "\r\n\r\n", 4, 0, -1, NULL),
			 "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	cr_assert_str_eq(body_hash(DKIM_CANON_SIMPLE, "\r\n\r\n", 4, 0, -1, NULL),
			 "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
	/* A missing final CRLF is added; a lone CR is content. */
	cr_assert_str_eq(body_hash(DKIM_CANON_SIMPLE, "abc", 3, 0, -1, NULL),
			 sha256_b64("abc\r\n", 5));
	cr_assert_str_eq(body_hash(DKIM_CANON_RELAXED, "a  b", 4, 0, -1, NULL),
			 sha256_b64("a b\r\n", 5));
	cr_assert_str_eq(body_hash(DKIM_CANON_SIMPLE, "a\r", 2, 0, -1, NULL),
			 sha256_b64("a\r\r\n", 4));
	cr_assert_str_eq(body_hash(DKIM_CANON_RELAXED, "a\r\r\n\r\n", 6, 0, -1, NULL),
			 sha256_b64("a\r\r\n", 4));
	/* Empty lines inside the body stay; white-space-only lines are empty (relaxed). */
	cr_assert_str_eq(body_hash(DKIM_CANON_RELAXED, "a\r\n \t\r\nb\r\n \r\n", 13, 0, -1, NULL),
			 sha256_b64("a\r\n\r\nb\r\n", 8));
}

Test(dkim, body_hash_in_any_pieces_and_length)
{
	static const char *const bodies[] = {
	    "Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n\r\n\r\n",
	    "\r\n\r\n  x\t\ty  \r\n\r\r\n\r \n\r\n \r\n\t\r\n",
	    "no line end at all \t ",
	    "\r",
	    "a\r\n\r\n\r\nb\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		size_t n = strlen(bodies[i]);
		for (int c = 0; c < 2; c++) {
			enum dkim_canon canon = c ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
			uint64_t len;
			const char *whole = body_hash(canon, bodies[i], n, 0, -1, &len);
			for (size_t step = 1; step < 8; step++)
				cr_assert_str_eq(body_hash(canon, bodies[i], n, step, -1, NULL),
						 whole, "body %zu canon %d step %zu", i, c, step);
			/* l= of the whole canonical length is the same hash; shorter
			 * lengths hash a prefix of the canonical body. */
			cr_assert_str_eq(body_hash(canon, bodies[i], n, 3, (int64_t)len, NULL),
					 whole);
			if (len > 2) {
				uint64_t l2;
				const char *part =
				    body_hash(canon, bodies[i], n, 1, (int64_t)len - 2, &l2);
				cr_assert_eq(l2, len, "the whole canonical length is counted");
				cr_assert_str_neq(part, whole);
			}
		}
	}
	cr_assert_str_eq(body_hash(DKIM_CANON_SIMPLE, "abcdef\r\n", 8, 2, 3, NULL),
			 sha256_b64("abc", 3));
	cr_assert_str_eq(body_hash(DKIM_CANON_RELAXED, "a  b\r\n", 6, 0, 0, NULL),
			 sha256_b64("", 0));
}

/* ---- Tag lists, signatures, records ---- */

Test(dkim, taglist)
{
	struct taglist tl;
	struct error err;
	cr_assert(taglist_parse(str_from(" a = 1 ; b=x y\r\n\tz;c=;"), &tl, &err), "%s", err.msg);
	cr_assert_eq(tl.n, 3);
	cr_assert(str_eq_cstr(tl.v[0].value, "1"));
	cr_assert(str_eq_cstr(tl.v[1].value, "x y\r\n\tz"));
	cr_assert(str_eq_cstr(tl.v[2].value, ""));
	cr_assert_not(taglist_parse(str_from("a=1;a=2"), &tl, &err));
	cr_assert(strstr(err.msg, "duplicate"));
	cr_assert_not(taglist_parse(str_from("1a=1"), &tl, &err));
	cr_assert_not(taglist_parse(str_from("a"), &tl, &err));
	cr_assert_not(taglist_parse(str_from("a=\x01"), &tl, &err));
	cr_assert_not(taglist_parse(str_from(""), &tl, &err));
	cr_assert_not(taglist_parse(str_from("a=b;;"), &tl, &err));
	struct buf many = BUF_INIT;
	for (int i = 0; i <= TAGLIST_MAX; i++)
		buf_printf(&many, "t%d=x;", i);
	cr_assert_not(taglist_parse(str_make(many.data, many.len), &tl, &err));
	cr_assert_eq(err.kind, ERR_LIMIT);
	buf_free(&many);
}

#define BH "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; "

static const char *sig_error(const char *field)
{
	struct dkim_sig s;
	struct error err;
	if (dkim_sig_parse(&a, str_from(field), &s, &err))
		return NULL;
	return arena_strdup(&a, err.msg);
}

Test(dkim, signature_parse)
{
	struct dkim_sig s;
	struct error err;
	const char *f =
	    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed; d=Example.COM;\r\n"
	    " i==22a=20b=22@mail.example.com; s=Sel_1; t=100; x=200; l=42;\r\n"
	    " q=dns/txt; h=From : To:subject; z=From:x|To:y; unknown=tag; " BH "b=AAAA\r\n BBBB";
	cr_assert(dkim_sig_parse(&a, str_from(f), &s, &err), "%s", err.msg);
	cr_assert_eq(s.key_alg, DKIM_KEY_RSA);
	cr_assert_eq(s.hash_alg, DKIM_HASH_SHA256);
	cr_assert_eq(s.header_canon, DKIM_CANON_RELAXED);
	cr_assert_eq(s.body_canon, DKIM_CANON_SIMPLE);
	cr_assert_str_eq(s.domain.ascii, "example.com");
	cr_assert_str_eq(s.selector, "sel_1");
	cr_assert_str_eq(s.identity_localpart, "\"a b\"");
	cr_assert_str_eq(s.identity_domain.ascii, "mail.example.com");
	cr_assert_eq(s.nheaders, 3);
	cr_assert_str_eq(s.headers[0], "From");
	cr_assert_str_eq(s.headers[2], "subject");
	cr_assert_eq(s.length, 42);
	cr_assert_eq(s.sign_time, 100);
	cr_assert_eq(s.expire_time, 200);
	cr_assert_eq(s.signature_len, 6);
	cr_assert_eq(s.body_hash_len, 32);
	/* Everything between "b=" and the end is what hashing leaves out. */
	cr_assert_eq(s.b_end, strlen(f));
	cr_assert_str_eq(f + s.b_start - 2, "b=AAAA\r\n BBBB");

	cr_assert_str_eq(
	    sig_error("DKIM-Signature: v=1; a=rsa-sha256; d=x.example; s=s; " BH "b=AAAA"),
	    "missing required tag h=");
	cr_assert_str_eq(
	    sig_error("DKIM-Signature: v=2; a=rsa-sha256; d=x.example; s=s; h=from; " BH "b=AAAA"),
	    "v=: unknown version \"2\"");
	cr_assert_str_eq(
	    sig_error("DKIM-Signature: v=1; a=rsa-sha1; d=x.example; s=s; h=from; " BH "b=AAAA"),
	    "bh=: 32 bytes, sha1 needs 20");
	cr_assert_str_eq(sig_error("DKIM-Signature: v=1; a=rsa-sha256; d=x.example; s=s; h=from; "
				   "i=@example.org; " BH "b=AAAA"),
			 "i= domain example.org is not within d= x.example");
	cr_assert_str_eq(sig_error("DKIM-Signature: v=1; a=rsa-sha256; d=x.example; s=s; h=from; "
				   "t=5; x=5; " BH "b=AAAA"),
			 "x= is not after t=");
	cr_assert_not_null(sig_error("DKIM-Signature: v=1; a=rsa-sha256; d=x.example; s=s; "
				     "h=from; t=1234567890123; " BH "b=AAAA"));
	cr_assert_not_null(
	    sig_error("DKIM-Signature: v=1; a=rsa; d=x.example; s=s; h=from; " BH "b=AAAA"));
	cr_assert_not_null(sig_error("DKIM-Signature: v=1; a=rsa-sha256; d=x.example; s=s; "
				     "h=from; " BH "b=AA!A"));
	cr_assert_not_null(sig_error("DKIM-Signature: v=1; a=rsa-sha256; d=bücher.example; s=s; "
				     "h=from; " BH "b=AAAA"));
	cr_assert_not_null(sig_error("DKIM-Signature: v=1; a=rsa-sha256; d=x.example; s=a..b; "
				     "h=from; " BH "b=AAAA"));
	cr_assert_not_null(sig_error("X-Other: v=1"));
	/* Unknown algorithms parse; the verifier refuses them. */
	cr_assert(dkim_sig_parse(&a,
				 str_from("DKIM-Signature: v=1; a=foo-bar; d=x.example; s=s; "
					  "h=from; bh=AAAA; b=AAAA"),
				 &s, &err));
	cr_assert_eq(s.key_alg, DKIM_KEY_UNKNOWN);

	/* Bounds: the field's size, h= names. */
	struct buf big = BUF_INIT;
	buf_puts(&big, "DKIM-Signature: v=1; a=rsa-sha256; d=x.example; s=s; " BH "b=AAAA; h=a");
	for (int i = 0; i < DKIM_SIG_HEADERS_MAX; i++)
		buf_puts(&big, ":a");
	cr_assert(strstr(sig_error(buf_cstr(&big)), "more than"));
	while (big.len <= DKIM_SIG_BYTES_MAX)
		buf_puts(&big, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	cr_assert(strstr(sig_error(buf_cstr(&big)), "longer than"));
	buf_free(&big);
}

static const char *record_error(const char *txt, bool *is_dkim)
{
	struct dkim_record r;
	struct error err;
	if (dkim_record_parse(&a, str_from(txt), &r, is_dkim, &err))
		return NULL;
	return arena_strdup(&a, err.msg);
}

#define ED_PUB "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
#define RSA_PUB                                                                                    \
	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQi" \
	"Y/"                                                                                       \
	"J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/"                                                 \
	"8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLz"                                       \
	"BfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB"

Test(dkim, record_parse_and_format)
{
	struct dkim_record r;
	struct error err;
	bool is_dkim;
	cr_assert(
	    dkim_record_parse(&a, str_from("v=DKIM1; k=ed25519; p=" ED_PUB), &r, &is_dkim, &err),
	    "%s", err.msg);
	cr_assert(is_dkim);
	cr_assert_eq(r.key_alg, DKIM_KEY_ED25519);
	cr_assert_eq(r.public_key_len, 32);
	cr_assert(dkim_record_allows_email(&r));
	struct buf b = BUF_INIT;
	dkim_record_format(&r, &b);
	cr_assert_str_eq(buf_cstr(&b), "v=DKIM1;k=ed25519;p=" ED_PUB);

	cr_assert(dkim_record_parse(&a,
				    str_from("h=sha1:sha256; p=" RSA_PUB "; s=email; t=y:s; "
					     "n=a=20note=3B; x=ignored"),
				    &r, &is_dkim, &err),
		  "%s", err.msg);
	cr_assert_eq(r.key_alg, DKIM_KEY_RSA);
	cr_assert(dkim_record_flag(&r, "y") && dkim_record_flag(&r, "S"));
	cr_assert_str_eq(r.notes, "a note;");
	buf_reset(&b);
	dkim_record_format(&r, &b);
	cr_assert_str_eq(buf_cstr(&b),
			 "v=DKIM1;h=sha1:sha256;n=a note=3B;s=email;t=y:s;p=" RSA_PUB);
	buf_free(&b);
	EVP_PKEY *k = dkim_record_key(&r, &err);
	cr_assert_not_null(k);
	cr_assert_eq(EVP_PKEY_get_bits(k), 1024);
	EVP_PKEY_free(k);

	/* Revoked keys parse; the verifier refuses them. */
	cr_assert_null(record_error("v=DKIM1; p=", &is_dkim));
	cr_assert_str_eq(record_error("k=rsa; v=DKIM1; p=", &is_dkim), "v= is not the first tag");
	cr_assert_str_eq(record_error("v=DKIM1", &is_dkim), "missing required tag p=");
	cr_assert(is_dkim);
	cr_assert_str_eq(record_error("v=DKIM1; k=dsa; p=", &is_dkim),
			 "k=: unknown key type \"dsa\"");
	cr_assert_str_eq(record_error("v=DKIM1; k=ed25519; p=AAAA", &is_dkim),
			 "p=: Ed25519 key of 3 bytes, need 32");
	cr_assert_not_null(record_error("v=DKIM1; p=AAAA", &is_dkim));
	cr_assert(is_dkim);
	/* Text that is no DKIM record (RFC 6376 6.1.2 ignores it). */
	cr_assert_not_null(record_error("v=spf1 -all", &is_dkim));
	cr_assert_not(is_dkim);
	cr_assert_not_null(record_error("google-site-verification=abc", &is_dkim));
	cr_assert_not(is_dkim);
	cr_assert_not_null(record_error("v=DKIM1; p=\x01", &is_dkim));
	cr_assert(is_dkim);
}

/* ---- Verification ---- */

/* RFC 8463 Appendix A.3, with CRLF line endings. */
static const char rfc8463_msg[] = "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
				  " d=football.example.com; i=@football.example.com;\r\n"
				  " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
				  " subject : date : message-id : from : subject : date;\r\n"
				  " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
				  " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
				  " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n"
				  "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
				  " d=football.example.com; i=@football.example.com;\r\n"
				  " q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n"
				  " date : message-id : from : subject : date;\r\n"
				  " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
				  " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n"
				  " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n"
				  " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r\n"
				  "From: Joe SixPack <joe@football.example.com>\r\n"
				  "To: Suzie Q <suzie@shopping.example.net>\r\n"
				  "Subject: Is dinner ready?\r\n"
				  "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
				  "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
				  "\r\n"
				  "Hi.\r\n"
				  "\r\n"
				  "We lost the game.  Are you hungry yet?\r\n"
				  "\r\n"
				  "Joe.\r\n";

/* Verifies signature idx of msg against the record text (checks, policy, record). */
static enum dkim_status verify_with(const char *msg, size_t len, size_t idx, const char *txt,
				    const struct dkim_policy *pol, const char **why)
{
	struct dkim_message m = {"", 0, msg, len};
	struct error err;
	struct dkim_msg *dm = dkim_msg_init(&a, &m, &err);
	cr_assert_not_null(dm, "%s", err.msg);
	const struct str *fields;
	size_t n = dkim_msg_signatures(dm, &fields);
	cr_assert_lt(idx, n);
	struct dkim_sig sig;
	if (!dkim_sig_parse(&a, fields[idx], &sig, &err)) {
		*why = arena_strdup(&a, err.msg);
		return DKIM_PERMERROR;
	}
	if (!dkim_check_sig(&sig, pol, why))
		return DKIM_PERMERROR;
	if (!dkim_policy_accepts(&sig, pol, why))
		return DKIM_POLICY;
	struct dkim_record rec;
	bool is_dkim;
	cr_assert(dkim_record_parse(&a, str_from(txt), &rec, &is_dkim, &err), "%s", err.msg);
	return dkim_verify_sig(dm, &sig, &rec, pol, why);
}

Test(dkim, rfc8463_example_verifies)
{
	struct dkim_policy pol = {0};
	const char *why;
	size_t len = sizeof rfc8463_msg - 1;
	cr_assert_eq(verify_with(rfc8463_msg, len, 0, "v=DKIM1; k=ed25519; p=" ED_PUB, &pol, &why),
		     DKIM_PASS, "%s", why);
	cr_assert_eq(verify_with(rfc8463_msg, len, 1, "v=DKIM1; k=rsa; p=" RSA_PUB, &pol, &why),
		     DKIM_PASS, "%s", why);
	/* The wrong key, or the other key type, does not verify. */
	cr_assert_eq(verify_with(rfc8463_msg, len, 0, "v=DKIM1; k=rsa; p=" RSA_PUB, &pol, &why),
		     DKIM_PERMERROR);
	char *changed = arena_strdup(&a, rfc8463_msg);
	*strstr(changed, "dinner") = 'D';
	cr_assert_eq(verify_with(changed, len, 0, "v=DKIM1; k=ed25519; p=" ED_PUB, &pol, &why),
		     DKIM_FAIL);
	cr_assert_str_eq(why, "signature did not verify");
	changed = arena_strdup(&a, rfc8463_msg);
	*strstr(changed, "hungry") = 'H';
	cr_assert_eq(verify_with(changed, len, 1, "v=DKIM1; k=rsa; p=" RSA_PUB, &pol, &why),
		     DKIM_FAIL);
	cr_assert_str_eq(why, "body hash does not match");
	/* Relaxed canonicalization: white space changes in header and body still verify. */
	struct buf b = BUF_INIT;
	const char *body = strstr(rfc8463_msg, "Hi.");
	buf_append(&b, rfc8463_msg, (size_t)(body - rfc8463_msg));
	buf_puts(&b,
		 "Hi.  \r\n\r\nWe lost   the game.\tAre you hungry yet?\r\n\r\nJoe.\r\n\r\n\r\n");
	char *subj = strstr(b.data, "Subject: ");
	memcpy(subj, "SUBJECT:", 8);
	cr_assert_eq(verify_with(b.data, b.len, 0, "v=DKIM1; k=ed25519; p=" ED_PUB, &pol, &why),
		     DKIM_PASS, "%s", why);
	buf_free(&b);
}

/* ---- Signing and verifying ---- */

static EVP_PKEY *rsa2048, *rfc_ed25519;

static EVP_PKEY *rsa_key(void)
{
	if (!rsa2048)
		rsa2048 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	return rsa2048;
}

/* The Ed25519 secret key of RFC 8463 A.1. */
static EVP_PKEY *ed_key(void)
{
	if (!rfc_ed25519) {
		uint8_t seed[32];
		cr_assert(base64_decode_exact(
		    BASE64_STD, STR_LIT("nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="), seed, 32));
		rfc_ed25519 = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	}
	return rfc_ed25519;
}

static const char *record_of(EVP_PKEY *key)
{
	struct buf b = BUF_INIT;
	struct error err;
	cr_assert(dkim_key_record_txt(key, &b, &err), "%s", err.msg);
	const char *s = arena_strdup(&a, buf_cstr(&b));
	buf_free(&b);
	return s;
}

static const char *const default_headers[] = {"From", "To", "Cc", "Subject", "Date", "Message-ID"};

static struct dkim_signer signer(EVP_PKEY *key, const char *sel, enum dkim_canon hc,
				 enum dkim_canon bc)
{
	return (struct dkim_signer){sel, DKIM_HASH_SHA256, hc, bc, default_headers, 6, true, 0,
				    key};
}

static const char plain_msg[] = "From: Joe <joe@football.example.com>\r\n"
				"To: suzie@shopping.example.net\r\n"
				"Subject: dinner\r\n"
				"Date: Fri, 11 Jul 2003 21:00:37 -0700\r\n"
				"\r\n"
				"Hi.\r\n\r\nWe lost the game.\r\n";

/* Signs msg (with prefix lines in front) and returns the signed message. */
static const char *sign_msg(const struct dkim_signer *s, size_t n, const char *prefix,
			    const char *msg, int64_t now)
{
	struct dns_domain d;
	struct error err;
	cr_assert(dns_domain_parse_cstr("football.example.com", 0, &d, &err));
	struct dkim_message m = {prefix, strlen(prefix), msg, strlen(msg)};
	struct buf out = BUF_INIT;
	cr_assert(dkim_sign(s, n, "joe", &d, now, &m, &out, &err), "%s", err.msg);
	buf_puts(&out, prefix);
	buf_puts(&out, msg);
	const char *r = arena_strdup(&a, buf_cstr(&out));
	buf_free(&out);
	return r;
}

Test(dkim, sign_and_verify_every_combination)
{
	struct dkim_policy pol = {0};
	const char *why;
	for (int k = 0; k < 2; k++) {
		EVP_PKEY *key = k ? ed_key() : rsa_key();
		for (int c = 0; c < 4; c++) {
			struct dkim_signer s = signer(key, "sel", c & 1 ? DKIM_CANON_RELAXED : 0,
						      c & 2 ? DKIM_CANON_RELAXED : 0);
			const char *signed_msg = sign_msg(&s, 1, "", plain_msg, time(NULL));
			cr_assert_eq(verify_with(signed_msg, strlen(signed_msg), 0, record_of(key),
						 &pol, &why),
				     DKIM_PASS, "key %d canon %d: %s", k, c, why);
		}
	}
}

Test(dkim, sign_oversigns_and_expires)
{
	struct dkim_signer s = signer(ed_key(), "sel", DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE);
	s.expiration_seconds = 72 * 3600;
	const char *m = sign_msg(&s, 1, "", plain_msg, 1700000000);
	struct dkim_sig sig;
	struct error err;
	const char *end = strstr(m, "\r\nFrom:");
	cr_assert(dkim_sig_parse(&a, str_make(m, (size_t)(end - m)), &sig, &err), "%s", err.msg);
	/* Configured names once, then once more per field present: From, To, Subject, Date. */
	const char *want[] = {"From",       "To",   "Cc", "Subject", "Date",
			      "Message-ID", "From", "To", "Subject", "Date"};
	cr_assert_eq(sig.nheaders, 10);
	for (size_t i = 0; i < 10; i++)
		cr_assert_str_eq(sig.headers[i], want[i]);
	cr_assert_eq(sig.sign_time, 1700000000);
	cr_assert_eq(sig.expire_time, 1700000000 + 72 * 3600);
	cr_assert_str_eq(sig.identity_localpart, "joe");
	cr_assert_str_eq(sig.canonicalization, "relaxed/simple");
	/* Expired at verification time: permerror. */
	struct dkim_policy pol = {.now = 1700000000 + 72 * 3600 + 1};
	const char *why;
	cr_assert_eq(verify_with(m, strlen(m), 0, record_of(ed_key()), &pol, &why), DKIM_PERMERROR);
	cr_assert_str_eq(why, "signature expired (x=)");
	pol.now = 1700000000 + 60;
	cr_assert_eq(verify_with(m, strlen(m), 0, record_of(ed_key()), &pol, &why), DKIM_PASS, "%s",
		     why);
	/* An added From (or To) field breaks the oversigned signature. */
	struct buf b = BUF_INIT;
	buf_append(&b, m, (size_t)(end - m) + 2);
	buf_puts(&b, "To: someone@else.example\r\n");
	buf_puts(&b, end + 2);
	cr_assert_eq(verify_with(b.data, b.len, 0, record_of(ed_key()), &pol, &why), DKIM_FAIL);
	/* Without sealing, a field added on top goes unnoticed. */
	s.seal_headers = false;
	m = sign_msg(&s, 1, "", plain_msg, 1700000000);
	end = strstr(m, "\r\nFrom:");
	buf_reset(&b);
	buf_append(&b, m, (size_t)(end - m) + 2);
	buf_puts(&b, "Cc: someone@else.example\r\n");
	buf_puts(&b, end + 2);
	cr_assert_eq(verify_with(b.data, b.len, 0, record_of(ed_key()), &pol, &why), DKIM_FAIL,
		     "Cc is signed as absent");
	buf_reset(&b);
	buf_append(&b, m, (size_t)(end - m) + 2);
	buf_puts(&b, "To: someone@else.example\r\n");
	buf_puts(&b, end + 2);
	cr_assert_eq(verify_with(b.data, b.len, 0, record_of(ed_key()), &pol, &why), DKIM_PASS,
		     "a second To above the signed one is not covered without sealing");
	buf_free(&b);
}

Test(dkim, sign_with_prefix_and_several_selectors)
{
	struct dkim_signer s[2] = {
	    signer(ed_key(), "ed", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED),
	    signer(rsa_key(), "rsa", DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE),
	};
	s[1].hash = DKIM_HASH_SHA1; /* mox allows Hash sha1 for RSA */
	const char *msg = "From: joe@football.example.com\r\nSubject: x\r\n\r\nbody\r\n";
	const char *m = sign_msg(s, 2, "Message-ID: <1@x>\r\nDate: now\r\n", msg, time(NULL));
	struct dkim_policy pol = {0};
	const char *why;
	cr_assert_eq(verify_with(m, strlen(m), 0, record_of(ed_key()), &pol, &why), DKIM_PASS, "%s",
		     why);
	/* The sha1 signature verifies with a record that allows every hash (mox
	 * verifies rsa-sha1), not with one that allows sha256 only. */
	const char *txt = record_of(rsa_key());
	cr_assert(strstr(txt, "h=sha256"));
	cr_assert_eq(verify_with(m, strlen(m), 1, txt, &pol, &why), DKIM_PERMERROR);
	cr_assert_str_eq(why, "hash algorithm not allowed by key record (h=)");
	const char *any = arena_sprintf(&a, "v=DKIM1; p=%s", strstr(txt, "p=") + 2);
	cr_assert_eq(verify_with(m, strlen(m), 1, any, &pol, &why), DKIM_PASS, "%s", why);
	cr_assert(strstr(m, "a=rsa-sha1;"));
	/* The prefix lines are signed: changing the added Message-ID breaks both. */
	char *changed = arena_strdup(&a, m);
	*strstr(changed, "<1@x>") = '[';
	cr_assert_eq(verify_with(changed, strlen(changed), 0, record_of(ed_key()), &pol, &why),
		     DKIM_FAIL);
	cr_assert_eq(verify_with(changed, strlen(changed), 1, any, &pol, &why), DKIM_FAIL);
}

Test(dkim, sign_refuses)
{
	struct dkim_signer s = signer(ed_key(), "sel", 0, 0);
	struct dns_domain d;
	struct error err;
	cr_assert(dns_domain_parse_cstr("example.com", 0, &d, &err));
	struct buf out = BUF_INIT;
	const char *two = "From: a@example.com\r\nFrom: b@example.com\r\n\r\nx\r\n";
	struct dkim_message m = {"", 0, two, strlen(two)};
	cr_assert_not(dkim_sign(&s, 1, NULL, &d, 1, &m, &out, &err));
	cr_assert_str_eq(err.msg, "message has 2 From fields, need exactly 1");
	const char *none = "Subject: x\r\n\r\nx\r\n";
	m = (struct dkim_message){"", 0, none, strlen(none)};
	cr_assert_not(dkim_sign(&s, 1, NULL, &d, 1, &m, &out, &err));
	const char *bad = "From: a@example.com\r\nno colon here\r\n\r\nx\r\n";
	m = (struct dkim_message){"", 0, bad, strlen(bad)};
	cr_assert_not(dkim_sign(&s, 1, NULL, &d, 1, &m, &out, &err));
	cr_assert_eq(out.len, 0);
	buf_free(&out);
}
