/*
 * tlsdane: the DANE part of client TLS (see tlsclient.h for the rules), kept
 * apart from PKIX and context handling. Internal to src/net/tlsclient.c.
 *
 * tls_dane_setup enables DANE on an SSL object for the TLSA base domain
 * (p->server_name), adds more_names as further reference identifiers for
 * DANE-TA, turns off name checks for DANE-EE (RFC 7672 3.1.1) and adds the
 * usable records; *usable counts them. tls_dane_outcome, after the
 * handshake, reads whether and how DANE authenticated the server.
 */
#ifndef TERN_NET_TLSDANE_H
#define TERN_NET_TLSDANE_H

#include "base/error.h"
#include "net/tlsclient.h"

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

bool tls_dane_setup(SSL *ssl, const struct tls_client_params *p, size_t *usable, struct error *err);
void tls_dane_outcome(SSL *ssl, struct tls_client_result *res);

#endif
