/*
 * Fuzzes the credentials storage form (credentials.h), which is read from
 * disk: arbitrary bytes either fail with an ERR_INVALID message and leave an
 * empty value, or deserialize into a value that serializes back to exactly
 * the input (the form is canonical) and has valid parts.
 */
#include "auth/credentials.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth_credentials c;
	struct error err = {0};
	if (!auth_credentials_deserialize(data, size, &c, &err)) {
		if (err.kind != ERR_INVALID || strncmp(err.msg, "credentials", 11) != 0 ||
		    c.parts != 0)
			abort();
		return 0;
	}
	if (c.parts == 0 || (c.parts & ~AUTH_CRED_ALL))
		abort();
	if ((c.parts & AUTH_CRED_ARGON2) && !auth_argon2_valid(c.argon2, NULL))
		abort();
	struct buf out = BUF_INIT;
	auth_credentials_serialize(&c, &out);
	if (out.len != size || memcmp(out.data, data, size) != 0)
		abort();
	buf_free(&out);
	auth_credentials_wipe(&c);
	return 0;
}
