/*
 * Fuzzes EXTERNAL (RFC 4422 appendix A): the input is the authorization
 * identity, as an initial response or a response, with or without a TLS
 * client certificate identity (without one the mechanism is not offered).
 */
#include "fuzz_sasl_env.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct fuzz_sasl *f = fuzz_sasl_setup();
	uint8_t mode = data[0];
	data++;
	size--;
	struct sasl_conn c = {.cfg = &f->cfg, .tls = &f->tls13};
	if (!(mode & 2))
		c.identity = &f->identity;
	const uint8_t *resp[1] = {data};
	size_t len[1] = {size};
	if (mode & 1)
		fuzz_exchange(&c, SASL_EXTERNAL, data, size, true, NULL, NULL, 0);
	else
		fuzz_exchange(&c, SASL_EXTERNAL, NULL, 0, false, resp, len, 1);
	return 0;
}
