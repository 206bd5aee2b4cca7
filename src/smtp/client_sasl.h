/*
 * client_sasl: the client side of SASL mechanisms (RFC 4422) for the SMTP
 * client: PLAIN (RFC 4616), CRAM-MD5 (RFC 2195), SCRAM-SHA-1/-256 and their
 * -PLUS variants (RFC 5802, RFC 7677; channel binding per RFC 9266/5929),
 * and EXTERNAL (RFC 4422 A). Messages are raw bytes; the SMTP client does
 * the base64 framing. SCRAM checks the server's signature, so a server that
 * does not know the password cannot pretend success. Secrets are wiped when
 * the exchange is freed. Internal to src/smtp; one exchange per thread.
 */
#ifndef TERN_SMTP_CLIENT_SASL_H
#define TERN_SMTP_CLIENT_SASL_H

#include "base/buf.h"
#include "base/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct client_sasl;

/* Channel binding data for -PLUS: type ("tls-exporter", "tls-unique") and bytes. */
struct client_sasl_cb {
	const char *type;
	uint8_t data[64];
	size_t len;
};

/*
 * Starts mech for user/password. cb: channel binding of the TLS session
 * (NULL for plain text); server_has_plus: the server offers a -PLUS
 * variant (SCRAM's "y" flag when we do not use it).
 */
struct client_sasl *client_sasl_new(const char *mech, const char *user, const char *password,
				    const struct client_sasl_cb *cb, bool server_has_plus,
				    struct error *err);
/* The initial response (may be empty), or false when the mechanism has none (CRAM-MD5). */
bool client_sasl_initial(struct client_sasl *s, struct buf *out);
/* Answers a server challenge; false with err when the challenge is bad or forged. */
bool client_sasl_step(struct client_sasl *s, const uint8_t *in, size_t n, struct buf *out,
		      struct error *err);
/* True when the exchange verified the server (SCRAM) or has nothing to verify. */
bool client_sasl_done(const struct client_sasl *s);
void client_sasl_free(struct client_sasl *s);

#endif
