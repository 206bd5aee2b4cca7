/*
 * Fuzzes DKIM verification of a whole message: the input is a message whose
 * DKIM-Signature fields are parsed and verified against a fixed Ed25519 key
 * record, so the tag-list lexer, the value parsers, header field selection
 * (h=), both canonicalizations and l= all see arbitrary bytes. Beyond "no
 * crash" it checks that a parsed signature's b= range lies in its field, and
 * that writing a parsed signature and parsing the result gives the same
 * signature. A violation aborts.
 */
#include "msgauth/dkim.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(bool cond, const char *what, const char *detail)
{
	if (cond)
		return;
	fprintf(stderr, "invariant violated: %s (%s)\n", what, detail);
	abort();
}

static bool same(const struct dkim_sig *x, const struct dkim_sig *y)
{
	bool ok = x->key_alg == y->key_alg && x->hash_alg == y->hash_alg &&
		  strcmp(x->algorithm, y->algorithm) == 0 && x->header_canon == y->header_canon &&
		  x->body_canon == y->body_canon && strcmp(x->domain.ascii, y->domain.ascii) == 0 &&
		  strcmp(x->selector, y->selector) == 0 && x->nheaders == y->nheaders &&
		  x->length == y->length && x->sign_time == y->sign_time &&
		  x->expire_time == y->expire_time && x->has_identity == y->has_identity &&
		  x->signature_len == y->signature_len && x->body_hash_len == y->body_hash_len &&
		  memcmp(x->body_hash, y->body_hash, x->body_hash_len) == 0 &&
		  memcmp(x->signature, y->signature, x->signature_len) == 0;
	for (size_t i = 0; ok && i < x->nheaders; i++)
		ok = strcmp(x->headers[i], y->headers[i]) == 0;
	if (ok && x->has_identity)
		ok = strcmp(x->identity_domain.ascii, y->identity_domain.ascii) == 0 &&
		     (x->identity_localpart == NULL) == (y->identity_localpart == NULL) &&
		     (!x->identity_localpart ||
		      strcmp(x->identity_localpart, y->identity_localpart) == 0);
	return ok;
}

static void round_trip(struct arena *a, const struct dkim_sig *sig)
{
	struct buf f = BUF_INIT;
	dkim_sig_format(sig, &f);
	require(f.len >= 2 && memcmp(f.data + f.len - 2, "\r\n", 2) == 0, "ends in CRLF",
		buf_cstr(&f));
	struct dkim_sig again;
	struct error err;
	require(dkim_sig_parse(a, str_make(f.data, f.len - 2), &again, &err), "written parses",
		err.msg);
	require(same(sig, &again), "round trip", buf_cstr(&f));
	buf_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	arena_init(&a, 0);
	struct dkim_message m = {"", 0, (const char *)data, size};
	struct error err;
	struct dkim_msg *dm = dkim_msg_init(&a, &m, &err);
	struct dkim_record rec;
	bool is_dkim;
	require(dkim_record_parse(&a,
				  STR_LIT("v=DKIM1; k=ed25519; "
					  "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="),
				  &rec, &is_dkim, &err),
		"fixed record", err.msg);
	const struct str *fields;
	size_t n = dm ? dkim_msg_signatures(dm, &fields) : 0;
	for (size_t i = 0; i < n && i < DKIM_VERIFY_MAX; i++) {
		struct dkim_sig sig;
		if (!dkim_sig_parse(&a, fields[i], &sig, &err))
			continue;
		require(sig.b_start <= sig.b_end && sig.b_end <= fields[i].len, "b= range", "");
		round_trip(&a, &sig);
		struct dkim_policy pol = {
		    .accept_length = true, .accept_without_subject = true, .now = 1};
		const char *why;
		if (dkim_check_sig(&sig, &pol, &why) && dkim_policy_accepts(&sig, &pol, &why)) {
			enum dkim_status st = dkim_verify_sig(dm, &sig, &rec, &pol, &why);
			require(st != DKIM_PASS || why[0] == '\0', "pass has no reason", why);
		}
	}
	arena_free(&a);
	return 0;
}
