/*
 * Fuzzes DKIM key record parsing (RFC 6376 3.6.1) with arbitrary bytes as the
 * TXT record text. Beyond "no crash" it checks that a record that parses is
 * DKIM, that its key decodes unless revoked, and that writing it and parsing
 * the result gives the same record. A violation aborts.
 */
#include "msgauth/dkim.h"

#include <openssl/evp.h>
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

static bool same_list(const char **x, size_t nx, const char **y, size_t ny)
{
	if (nx != ny)
		return false;
	for (size_t i = 0; i < nx; i++)
		if (strcmp(x[i], y[i]) != 0)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	arena_init(&a, 0);
	struct dkim_record r;
	bool is_dkim;
	struct error err;
	if (dkim_record_parse(&a, str_make((const char *)data, size), &r, &is_dkim, &err)) {
		require(is_dkim, "a parsed record is DKIM", "");
		if (r.public_key_len > 0) {
			EVP_PKEY *k = dkim_record_key(&r, &err);
			require(k != NULL, "key decodes", err.msg);
			EVP_PKEY_free(k);
		}
		struct buf f = BUF_INIT;
		dkim_record_format(&r, &f);
		struct dkim_record again;
		require(dkim_record_parse(&a, str_make(f.data, f.len), &again, &is_dkim, &err),
			"written parses", err.msg);
		require(again.key_alg == r.key_alg && again.public_key_len == r.public_key_len &&
			    memcmp(again.public_key, r.public_key, r.public_key_len) == 0 &&
			    strcmp(again.notes, r.notes) == 0 &&
			    same_list(again.hashes, again.nhashes, r.hashes, r.nhashes) &&
			    same_list(again.flags, again.nflags, r.flags, r.nflags) &&
			    same_list(again.services, again.nservices, r.services, r.nservices),
			"round trip", buf_cstr(&f));
		buf_free(&f);
	}
	arena_free(&a);
	return 0;
}
