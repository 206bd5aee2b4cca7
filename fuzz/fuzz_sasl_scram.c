/*
 * Fuzzes SCRAM (RFC 5802, RFC 7677): the first byte picks the mechanism
 * (SHA-1/SHA-256, with or without -PLUS), the connection (plaintext, TLS 1.3
 * with tls-exporter, TLS 1.2 with tls-unique) and whether the client-first
 * message is an initial response; the rest is split at NUL into
 * client-first, client-final and the final acknowledgement. The message
 * parser (scram.c) also runs directly on the parts: server-first is only
 * built after an accepted client-first, and a SCRAM_OK for client-final
 * always comes with a "v=" server signature.
 */
#include "auth/scram.h"
#include "fuzz_sasl_env.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum sasl_mech mechs[4] = {SASL_SCRAM_SHA_1, SASL_SCRAM_SHA_1_PLUS, SASL_SCRAM_SHA_256,
					SASL_SCRAM_SHA_256_PLUS};

static void check_messages(const uint8_t *const *parts, const size_t *lens, size_t n, bool plus,
			   const struct auth_tls *t)
{
	struct fuzz_sasl *f = fuzz_sasl_setup();
	struct scram_binding b = {0};
	if (t) {
		b = (struct scram_binding){true,           t->have_exporter, t->exporter,
					   t->have_unique, t->unique,        t->unique_len};
	}
	struct scram_server s;
	struct error err = {0};
	scram_init(&s, AUTH_SHA256, plus);
	if (scram_client_first(&s, (const char *)parts[0], lens[0], &b, &err) == SCRAM_OK) {
		if (s.username.len == 0 || s.nonce.len == 0)
			abort();
		struct buf out = BUF_INIT;
		const struct auth_credentials *c = NULL;
		struct auth_credentials cred;
		if (auth_credentials_deserialize(f->blob.data, f->blob.len, &cred, NULL))
			c = &cred;
		scram_server_first(&s, "srvnonce", (const uint8_t *)"salt", 4, 4096, &out);
		buf_reset(&out);
		if (n > 1) {
			enum scram_status st =
			    scram_client_final(&s, (const char *)parts[1], lens[1], &b,
					       c ? &c->scram_sha256 : NULL, &out, &err);
			if ((st == SCRAM_OK) != (out.len > 2 && memcmp(out.data, "v=", 2) == 0))
				abort();
		}
		buf_free(&out);
	}
	scram_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct fuzz_sasl *f = fuzz_sasl_setup();
	uint8_t mode = data[0];
	data++;
	size--;
	const uint8_t *parts[3];
	size_t lens[3];
	size_t n = fuzz_split(data, size, 0, parts, lens, 3);
	const struct auth_tls *tls = (mode >> 2) % 3 == 1   ? &f->tls13
				     : (mode >> 2) % 3 == 2 ? &f->tls12
							    : NULL;
	enum sasl_mech mech = mechs[mode & 3];
	check_messages(parts, lens, n,
		       mech == SASL_SCRAM_SHA_1_PLUS || mech == SASL_SCRAM_SHA_256_PLUS, tls);
	struct sasl_conn c = {.cfg = &f->cfg, .tls = tls};
	if (mode & 0x40)
		c.identity = &f->identity;
	if (mode & 0x80)
		fuzz_exchange(&c, mech, parts[0], lens[0], true, parts + 1, lens + 1, n - 1);
	else
		fuzz_exchange(&c, mech, NULL, 0, false, parts, lens, n);
	return 0;
}
