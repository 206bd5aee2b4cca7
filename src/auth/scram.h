/*
 * scram: the server side of SCRAM messages (RFC 5802, RFC 7677), without I/O.
 *
 * SCRAM is client-first: the client sends client-first-message (GS2 header
 * with the channel binding flag and an optional authorization identity, the
 * user name and a client nonce); the server answers server-first-message
 * (the combined nonce, the user's salt and iteration count); the client
 * sends client-final-message (the channel binding data, the nonce, and its
 * proof); the server verifies the proof against StoredKey and answers
 * server-final-message with its own signature, proving it knows ServerKey.
 *
 * This module parses and checks those messages and computes the signatures;
 * the SASL session (sasl.h) chooses nonces and salts and looks up
 * credentials. Everything a client sends is checked against the grammar of
 * RFC 5802 7 and bounded; violations are SCRAM_PROTOCOL with a message.
 * Channel binding (RFC 5802 6, RFC 9266, RFC 5929): a -PLUS mechanism needs
 * flag "p=" with a binding type the connection has data for; a bare
 * mechanism with "p=" is a protocol error; flag "y" (the client could bind
 * but believes the server cannot) when the server does offer -PLUS is a
 * downgrade and fails; the "c=" data must repeat the GS2 header and, for
 * "p=", the connection's binding data exactly.
 *
 * A struct scram_server belongs to one exchange and one thread; scram_free
 * releases it. Secrets in it are wiped when freed.
 */
#ifndef TERN_AUTH_SCRAM_H
#define TERN_AUTH_SCRAM_H

#include "auth/credentials.h"
#include "base/buf.h"
#include "base/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCRAM_MESSAGE_MAX 8192 /* any client message, in bytes */
#define SCRAM_NONCE_MAX   512  /* client nonce */
#define SCRAM_CBNAME_MAX  32

enum scram_status {
	SCRAM_OK,
	SCRAM_PROTOCOL,        /* the client's message is malformed or not allowed */
	SCRAM_CHANNEL_BINDING, /* binding data mismatch, downgrade, unsupported type */
	SCRAM_BAD_PROOF,       /* wrong password (or unknown user) */
};

/* What the connection offers for channel binding. */
struct scram_binding {
	bool server_plus;        /* the server advertised -PLUS on this connection */
	bool have_exporter;      /* RFC 9266 tls-exporter data available */
	const uint8_t *exporter; /* 32 bytes */
	bool have_unique;        /* RFC 5929 tls-unique data available (TLS 1.2) */
	const uint8_t *unique;
	size_t unique_len;
};

struct scram_server {
	enum auth_hash hash;
	bool plus;       /* a -PLUS mechanism */
	char cbind_flag; /* 'n', 'y' or 'p' */
	char cb_name[SCRAM_CBNAME_MAX + 1];
	struct buf gs2_header; /* as sent, including the final "," */
	struct buf authzid;    /* decoded saslname; "" when absent */
	struct buf username;   /* decoded saslname, as sent (not yet normalised) */
	struct buf client_first_bare;
	struct buf nonce; /* client nonce, then with the server nonce appended */
	struct buf server_first;
};

void scram_init(struct scram_server *s, enum auth_hash hash, bool plus);
void scram_free(struct scram_server *s);

/* Parses client-first-message; checks the channel binding flag against b. */
enum scram_status scram_client_first(struct scram_server *s, const char *msg, size_t n,
				     const struct scram_binding *b, struct error *err);

/* Builds server-first-message into out (and keeps it for the proof). server_nonce must be
 * printable ASCII without ",". */
void scram_server_first(struct scram_server *s, const char *server_nonce, const uint8_t *salt,
			size_t salt_len, uint32_t iterations, struct buf *out);

/*
 * Checks client-final-message against the binding and the secret; on
 * SCRAM_OK appends server-final-message ("v=...") to out. secret NULL means
 * the user has no credentials: the message is still checked, then the proof
 * fails.
 */
enum scram_status scram_client_final(struct scram_server *s, const char *msg, size_t n,
				     const struct scram_binding *b,
				     const struct auth_scram_secret *secret, struct buf *out,
				     struct error *err);

#endif
