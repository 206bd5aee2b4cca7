/*
 * Fuzzes the clear-text password mechanisms: PLAIN (RFC 4616) and LOGIN. The
 * first byte picks the mechanism and whether the first part is an initial
 * response; for LOGIN the rest is split at NUL into the user name and the
 * password responses. The PLAIN decoder is also run on its own: a message it
 * accepts has exactly two NULs, a non-empty user and password within the
 * bounds, all UTF-8. Every exchange keeps the invariants of check_result.
 */
#include "auth/sasl_impl.h"
#include "base/utf8.h"
#include "fuzz_sasl_env.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_plain_decoder(const uint8_t *data, size_t size)
{
	struct sasl_plain_msg m;
	const char *why = NULL;
	if (!sasl_plain_parse(data, size, &m, &why)) {
		if (!why)
			abort();
		return;
	}
	size_t nuls = 0;
	for (size_t i = 0; i < size; i++)
		nuls += data[i] == 0;
	if (nuls != 2 || m.authcid.len == 0 || m.passwd.len == 0 ||
	    m.authzid.len + m.authcid.len + m.passwd.len + 2 != size ||
	    m.authcid.len > AUTH_USERNAME_MAX || m.passwd.len > AUTH_PASSWORD_MAX ||
	    !utf8_valid(m.authcid.p, m.authcid.len) || !utf8_valid(m.passwd.p, m.passwd.len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct fuzz_sasl *f = fuzz_sasl_setup();
	uint8_t mode = data[0];
	data++;
	size--;
	check_plain_decoder(data, size);
	struct sasl_conn c = {.cfg = &f->cfg, .tls = &f->tls13};
	if (mode & 4)
		c.identity = &f->identity;
	if (mode & 1) {
		const uint8_t *parts[3];
		size_t lens[3];
		size_t n = fuzz_split(data, size, 0, parts, lens, 3);
		if (mode & 2)
			fuzz_exchange(&c, SASL_LOGIN, parts[0], lens[0], true, parts + 1, lens + 1,
				      n - 1);
		else
			fuzz_exchange(&c, SASL_LOGIN, NULL, 0, false, parts, lens, n);
	} else if (mode & 2) {
		fuzz_exchange(&c, SASL_PLAIN, data, size, true, NULL, NULL, 0);
	} else {
		const uint8_t *resp[1] = {data};
		size_t len[1] = {size};
		fuzz_exchange(&c, SASL_PLAIN, NULL, 0, false, resp, len, 1);
	}
	return 0;
}
