/*
 * service: authentication as the server runs it, in one handle for the
 * protocols (SMTP submission, IMAP, later the web interfaces).
 *
 * auth_service_open opens DATADIR/auth.db (server secret, TLS public keys),
 * starts the login attempt recorder (attempts.h) and makes the failed-login
 * limiter (limiter.h); the credentials callback is the server's (the store's
 * store_account_credentials_get behind it). A protocol then:
 *
 *   after a TLS handshake:  auth_tls_from_conn(conn, &tls)           (sasl_conn.h)
 *     with a client certificate: auth_service_identify(svc, cfg, tls.client_fp, &id, ...)
 *     IMAP sends PREAUTH when found, !id.no_imap_preauth and auth_check_allowed() is OK;
 *     SMTP submission treats the session as authenticated the same way (seed 000)
 *   before AUTH/AUTHENTICATE/LOGIN: auth_service_ip_allowed(svc, ip, now, &retry)
 *     refused: a temporary error ("too many failed logins, try again later")
 *   the exchange: sasl_new(auth_service_env(svc), ...) ... (sasl.h), or
 *     auth_check_password() for IMAP LOGIN and web logins (login.h)
 *   afterwards: auth_attempt_init + auth_attempt_set_sasl (+ tls, user agent), then
 *     r = auth_service_finish(svc, &attempt, now): settles the limiter, records the
 *     attempt, and returns the final result -- the session is authenticated only when
 *     r is AUTH_RESULT_OK (an account lockout turns even right credentials into
 *     AUTH_RESULT_RATELIMITED, a temporary error for the client).
 *
 * Thread-safe: one service is shared by all connection threads. Times are
 * monotonic milliseconds (mono_ms()), passed in so tests control them.
 */
#ifndef TERN_AUTH_SERVICE_H
#define TERN_AUTH_SERVICE_H

#include "auth/attempts.h"
#include "auth/limiter.h"
#include "auth/tlspubkey.h"

#include <stdbool.h>

struct auth_service_config {
	const char *datadir;
	const char *hostname; /* ASCII, for CRAM-MD5 challenges */
	bool (*credentials)(void *arg, const char *account, struct buf *out, bool *found,
			    struct error *err);
	void *credentials_arg;
	const struct auth_limit_config *limits; /* NULL: auth_limit_default */
	const struct auth_kdf_params *kdf;      /* NULL: auth_kdf_default */
	struct log_pkg *pkg;                    /* NULL: "auth" */
};

struct auth_service;

struct auth_service *auth_service_open(const struct auth_service_config *cfg, struct error *err);
/* Records what is still queued, then frees. */
void auth_service_close(struct auth_service *s);

const struct auth_env *auth_service_env(const struct auth_service *s);

bool auth_service_ip_allowed(struct auth_service *s, const char *ip, int64_t now_ms,
			     int64_t *retry_ms);

/* See auth_tls_identify (tlspubkey.h). */
bool auth_service_identify(struct auth_service *s, const struct cfg_dynamic *d,
			   const char *fingerprint, struct auth_identity *out, bool *found,
			   const char **why, struct error *err);

/*
 * Settles the limits for the attempt (account key: the account, else the
 * login name), records it with the final result, and returns that result.
 */
enum auth_result auth_service_finish(struct auth_service *s, struct auth_attempt *a, int64_t now_ms,
				     int64_t *retry_ms);

struct auth_recorder *auth_service_recorder(struct auth_service *s);

/*
 * One service for all protocols of a server, opened on first use: in a
 * connection thread, so auth.db is made by the run user, not by root at
 * bind time. Sharing it makes failed-login limits count across SMTP and
 * IMAP. auth_service_once_get returns NULL (logged once, as pkg) when the
 * service cannot be opened: nobody can log in, mail delivery goes on. The
 * config's strings must outlive the object.
 */
struct auth_service_once;
struct auth_service_once *auth_service_once_new(const struct auth_service_config *cfg,
						const char *pkg);
struct auth_service *auth_service_once_get(struct auth_service_once *o);
void auth_service_once_free(struct auth_service_once *o);

#endif
