/*
 * sasl_conn: what the SASL layer needs from a network connection (net/conn.h),
 * gathered once so the protocols need not know the details.
 *
 * auth_tls_from_conn fills struct auth_tls after a TLS handshake (or with
 * active false for plaintext): the channel binding data each TLS version
 * supports -- tls-exporter (RFC 9266) for TLS 1.3 and for TLS 1.2 with the
 * extended master secret, tls-unique (RFC 5929) for TLS 1.2 -- and the
 * client certificate's public key fingerprint. Call it after the handshake
 * and again after STARTTLS; it only reads the connection.
 *
 * auth_tls_describe formats the TLS facts for login attempt records the
 * way mox does: "version=tls1.3 ciphersuite=tls_aes_128_gcm_sha256 sni=...
 * resumed=false alpn=".
 *
 * Called on the connection's own thread, like everything on a struct conn.
 */
#ifndef TERN_AUTH_SASL_CONN_H
#define TERN_AUTH_SASL_CONN_H

#include "auth/login.h"
#include "net/conn.h"

#include <stdbool.h>
#include <stddef.h>

bool auth_tls_from_conn(struct conn *c, struct auth_tls *out, struct error *err);
void auth_tls_describe(const struct tls_info *info, char *out, size_t cap);

#endif
