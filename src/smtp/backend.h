/*
 * backend: the real implementations behind smtp/seams.h for `tern serve`:
 * delivery into the message store (src/store) and authentication with the
 * SASL sessions and failed-login limits of src/auth.
 *
 * Delivery writes the trace headers and the spooled message into a store
 * temporary file of the recipient's account and calls store_deliver, which
 * returns only when the message is durable (see store/deliver.h); the
 * mailbox is created when missing, the account's QuotaMessageSize (or the
 * static default) is passed as quota. Accounts stay open for the life of
 * the backend (at most SMTP_BACKEND_ACCOUNTS_MAX; more are opened per
 * delivery), so deliveries do not reopen the index each time.
 *
 * Authentication offers what auth/sasl.h offers on the connection (PLAIN
 * and LOGIN only over TLS unless the listener allows plain text; EXTERNAL
 * with a known client certificate), through one auth_service (auth/service.h:
 * auth.db's server secret and TLS public keys, the login attempt recorder,
 * the failed-login limiter) opened on first use. A known client certificate
 * logs a submission session in without AUTH (seed 000). Credentials come
 * from the account's store.
 *
 * One backend per server process, shared by all SMTP services and threads;
 * thread-safe. Freed after every connection has ended.
 */
#ifndef TERN_SMTP_BACKEND_H
#define TERN_SMTP_BACKEND_H

#include "base/error.h"
#include "config/config.h"
#include "smtp/seams.h"
#include "smtp/sendlimit.h"

#define SMTP_BACKEND_ACCOUNTS_MAX 1024

struct smtp_backend;

/* Logins go through auth (auth/service.h), the server's one service for all
 * protocols, so failed-login limits count across them; kept by the caller for
 * the backend's life. NULL: no logins. */
struct auth_service_once;
struct smtp_backend *smtp_backend_new(struct config *config, struct auth_service_once *auth);
void smtp_backend_free(struct smtp_backend *b);
const struct smtp_delivery_ops *smtp_backend_delivery(struct smtp_backend *b);
const struct smtp_sasl_ops *smtp_backend_sasl(struct smtp_backend *b);
/* The per-account submission limits (smtp/sendlimit.h), shared by all services. */
struct smtp_sendlimits *smtp_backend_sendlimits(struct smtp_backend *b);
/*
 * Where submission hands FUTURERELEASE messages (queue/hold.h); set before
 * the SMTP services are configured, kept by the caller for the backend's
 * life. Without it FUTURERELEASE is not offered.
 */
void smtp_backend_set_hold(struct smtp_backend *b, const struct smtp_hold_ops *hold);
const struct smtp_hold_ops *smtp_backend_hold(struct smtp_backend *b);

/* Drops the backend's cached handle of an account, so its data can be
 * removed (store_account_remove) and a later account of that name starts
 * fresh. */
void smtp_backend_forget_account(struct smtp_backend *b, const char *name);

#endif
