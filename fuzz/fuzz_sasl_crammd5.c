/*
 * Fuzzes CRAM-MD5 (RFC 2195): the response decoder on its own (an accepted
 * response is a UTF-8 user name without NUL, a space, and 32 hex digits that
 * decode to the digest) and whole exchanges with the input as the response,
 * or as a forbidden initial response when the first byte says so.
 */
#include "auth/sasl_impl.h"
#include "base/utf8.h"
#include "fuzz_sasl_env.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_decoder(const uint8_t *data, size_t size)
{
	size_t ulen = 0;
	uint8_t digest[16];
	if (!sasl_crammd5_parse((const char *)data, size, &ulen, digest))
		return;
	if (ulen == 0 || ulen + 33 != size || data[ulen] != ' ' || memchr(data, 0, ulen) ||
	    !utf8_valid((const char *)data, ulen))
		abort();
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < 16; i++) {
		char hi = (char)(data[ulen + 1 + 2 * i] | 0x20),
		     lo = (char)(data[ulen + 2 + 2 * i] | 0x20);
		if (hi != hex[digest[i] >> 4] || lo != hex[digest[i] & 15])
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct fuzz_sasl *f = fuzz_sasl_setup();
	bool ir = data[0] & 1;
	data++;
	size--;
	check_decoder(data, size);
	struct sasl_conn c = {.cfg = &f->cfg};
	const uint8_t *resp[1] = {data};
	size_t len[1] = {size};
	if (ir)
		fuzz_exchange(&c, SASL_CRAM_MD5, data, size, true, NULL, NULL, 0);
	else
		fuzz_exchange(&c, SASL_CRAM_MD5, NULL, 0, false, resp, len, 1);
	return 0;
}
