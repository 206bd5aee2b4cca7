/*
 * Fuzzes address_parse and address_localpart_parse with arbitrary bytes. The
 * first byte picks the parse flags and the mode. Beyond "no crash", it checks
 * the promises of address.h: a parsed localpart is NFC, bounded, free of
 * controls; formatting it (ASCII and Unicode domain) parses back to the same
 * value; the canonical forms exist, are idempotent and agree with the
 * separator test. A violation aborts.
 */
#include "base/address.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(bool cond, const char *what, const char *localpart)
{
	if (cond)
		return;
	fprintf(stderr, "invariant violated: %s (localpart=%s)\n", what, localpart);
	abort();
}

static void check_localpart(const char *lp, unsigned flags)
{
	size_t n = strlen(lp);
	size_t limit =
	    (flags & ADDRESS_STRICT_LENGTH) ? ADDRESS_LOCALPART_RFC_MAX : ADDRESS_LOCALPART_MAX;
	require(n <= limit, "localpart length", lp);
	require(n > 0 || (flags & ADDRESS_ALLOW_CATCHALL), "empty only for catchall", lp);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)lp[i];
		require(c >= 0x20 && c != 0x7f, "no control characters", lp);
		require(!(flags & ADDRESS_ASCII_ONLY) || c < 0x80, "ascii only", lp);
	}
	if (n == 0)
		return;
	utf8proc_uint8_t *nfc = utf8proc_NFC((const utf8proc_uint8_t *)lp);
	require(nfc != NULL && strcmp((const char *)nfc, lp) == 0, "localpart is NFC", lp);
	free(nfc);
}

static void check_canonical(const char *lp)
{
	/* Separators are matched before case folding (as mox does), so only
	 * caseless ones keep the canonical form idempotent; "·" is U+00B7. */
	static const char *const seps[] = {"+", "-", "", "\xc2\xb7"};
	for (int sensitive = 0; sensitive < 2; sensitive++) {
		struct localpart_rules rules = {seps, 4, sensitive == 1};
		struct buf b = BUF_INIT;
		struct error err;
		require(address_localpart_canonical(lp, &rules, &b, &err), "canonical", lp);
		if (sensitive)
			require((strcmp(buf_cstr(&b), lp) != 0) ==
				    address_localpart_has_separator(lp, &rules),
				"separator test agrees with canonical", lp);
		/* Stored canonical forms can be compared with fresh ones. */
		struct buf again = BUF_INIT;
		require(address_localpart_canonical(buf_cstr(&b), &rules, &again, &err) &&
			    strcmp(buf_cstr(&again), buf_cstr(&b)) == 0,
			"canonical is idempotent", lp);
		buf_free(&again);
		buf_free(&b);
	}
}

static void check_address(const struct address *a, unsigned flags)
{
	check_localpart(a->localpart, flags);
	for (int unicode = 0; unicode < 2; unicode++) {
		struct buf b = BUF_INIT;
		address_format(&b, a, unicode == 1);
		/* The Unicode form of an A-label domain is not ASCII. */
		unsigned f = unicode ? flags & ~(unsigned)ADDRESS_ASCII_ONLY : flags;
		struct address again;
		struct error err;
		require(address_parse(str_make(b.data, b.len), f, &again, &err),
			"formatted address parses", buf_cstr(&b));
		require(address_eq(a, &again), "formatted address round-trips", buf_cstr(&b));
		require(strcmp(a->domain.unicode, again.domain.unicode) == 0, "unicode domain",
			buf_cstr(&b));
		buf_free(&b);
	}
	check_canonical(a->localpart);
}

static void check_localpart_only(const char *lp, unsigned flags)
{
	check_localpart(lp, flags);
	struct buf b = BUF_INIT;
	address_localpart_format(&b, lp);
	char again[ADDRESS_LOCALPART_MAX + 1];
	struct error err;
	/* The empty localpart formats as "", which only the catchall flag accepts. */
	require(address_localpart_parse(str_make(b.data, b.len), flags, again, &err),
		"formatted localpart parses", buf_cstr(&b));
	require(strcmp(again, lp) == 0, "formatted localpart round-trips", buf_cstr(&b));
	require(address_localpart_is_dot_string(lp) == (b.len == strlen(lp)),
		"quoted exactly when not a dot-string", buf_cstr(&b));
	buf_free(&b);
	check_canonical(lp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	unsigned flags =
	    data[0] & (ADDRESS_STRICT_LENGTH | ADDRESS_ALLOW_CATCHALL | ADDRESS_ASCII_ONLY);
	struct str in = str_make((const char *)data + 1, size - 1);
	struct error err;
	if (data[0] & 0x80) {
		char lp[ADDRESS_LOCALPART_MAX + 1];
		if (address_localpart_parse(in, flags, lp, &err))
			check_localpart_only(lp, flags);
		return 0;
	}
	struct address a;
	if (!address_parse(in, flags, &a, &err)) {
		require(a.localpart[0] == '\0' && a.domain.ascii[0] == '\0', "failure leaves zero",
			a.localpart);
		require(err.msg[0] != '\0', "failure has a message", "");
		return 0;
	}
	check_address(&a, flags);
	return 0;
}
