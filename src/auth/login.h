/*
 * login: who may log in, as what, and with which stored secrets.
 *
 * A login name is an email address. Any address that delivers to an account
 * logs in to that account (cfg_lookup_login: catchall-separator variants and
 * addresses under the account's catchall included); an alias address is not
 * a login, and like an unknown address it is "no such credentials" -- the
 * client cannot tell it from a wrong password (mox: an alias used to log in
 * gave "no such account" with a stack trace). Names are normalised to NFC
 * first (precis.h), so NFD input logs in too.
 *
 * Disabled accounts and domains (mox, seed "disabled accounts/domains"): an
 * account with LoginDisabled cannot log in with any mechanism; the message is
 * shown to the client, but only after the credentials were verified, so the
 * state of an account is not revealed to someone without its password. A
 * disabled domain does not stop logins: its accounts may still log in
 * unless their own logins are disabled.
 *
 * Stored secrets come through a callback (struct auth_env), implemented by
 * the server with the message store (store_account_credentials_get), so this
 * layer does not depend on the store. A blob that does not deserialize is a
 * temporary server failure with an error naming the account, never a login.
 *
 * struct auth_env is shared, read-only, by all connections. Results are
 * recorded (attempts.h) with the names of enum auth_result, which are mox's.
 */
#ifndef TERN_AUTH_LOGIN_H
#define TERN_AUTH_LOGIN_H

#include "auth/credentials.h"
#include "auth/precis.h"
#include "base/buf.h"
#include "base/error.h"
#include "config/dynamic.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_ACCOUNT_MAX 255 /* account names are directory names */
#define AUTH_SECRET_LEN  32
/* "login disabled: " and the configured message (CFG_REPLY_TEXT_MAX). */
#define AUTH_CLIENT_MSG_MAX (CFG_REPLY_TEXT_MAX + 32)
#define AUTH_CB_MAX         64 /* channel binding data: tls-exporter 32, tls-unique 12..64 */
#define AUTH_FP_LEN         43 /* base64url SHA-256, no padding */

/* The outcome of a login attempt, as logged and recorded (mox's names). */
enum auth_result {
	AUTH_RESULT_OK,
	AUTH_RESULT_BADUSER,       /* unknown address, alias, no credentials set */
	AUTH_RESULT_BADPASSWORD,   /* known user, wrong password/proof/digest */
	AUTH_RESULT_BADCREDS,      /* e.g. TLS key of another account, no usable certificate */
	AUTH_RESULT_BADAUTHZ,      /* authorization identity other than the authenticated one */
	AUTH_RESULT_BADCHANBIND,   /* SCRAM channel binding mismatch or downgrade */
	AUTH_RESULT_BADPROTOCOL,   /* malformed client data */
	AUTH_RESULT_LOGINDISABLED, /* the account's logins are disabled */
	AUTH_RESULT_ERROR,         /* temporary server failure */
	AUTH_RESULT_ABORTED,       /* the client cancelled */
	AUTH_RESULT_RATELIMITED,   /* refused by the failed-login limits before any check */
};

/* "ok", "baduser", "badpassword", ... */
const char *auth_result_name(enum auth_result r);
/* Whether the result counts as a failed attempt for the login limits (limiter.h). */
bool auth_result_is_failure(enum auth_result r);

/* Shared by all connections; set up once by the server (or a test). */
struct auth_env {
	/* Fetches the account's credentials blob (store_account_credentials_get); *found false
	 * when no password was ever set. Must be thread-safe. */
	bool (*credentials)(void *arg, const char *account, struct buf *out, bool *found,
			    struct error *err);
	void *credentials_arg;
	/* Server secret: SCRAM salts for unknown users are derived from it, so they are stable
	 * and an unknown user looks like a known one (kept in auth.db, authdb.h). */
	uint8_t secret[AUTH_SECRET_LEN];
	const char *hostname; /* ASCII; in CRAM-MD5 challenges (RFC 2195 2) */
	/* Costs stored hashes were made with (NULL: auth_kdf_default), for the dummy
	 * verification of unknown users. */
	const struct auth_kdf_params *kdf;
	/* For tests; NULL: libsodium's randomness and the wall clock. */
	void (*random)(void *buf, size_t n);
	int64_t (*now_ms)(void);
};

/* What the connection knows about TLS, filled by the protocol (see sasl_conn.h). */
struct auth_tls {
	bool active;
	bool have_exporter; /* RFC 9266: TLS 1.3, or 1.2 with extended master secret */
	uint8_t exporter[32];
	bool have_unique; /* RFC 5929: TLS 1.2 */
	uint8_t unique[AUTH_CB_MAX];
	size_t unique_len;
	bool client_cert;                /* the client presented a certificate */
	char client_fp[AUTH_FP_LEN + 1]; /* base64url SHA-256 of its SubjectPublicKeyInfo */
};

/* An account a login resolved to. */
struct auth_account_ref {
	char account[AUTH_ACCOUNT_MAX + 1];
	char login[AUTH_USERNAME_MAX + 1]; /* the login address, NFC */
	char login_disabled[CFG_REPLY_TEXT_MAX +
			    1]; /* the account's LoginDisabled; "" when enabled */
};

/* The account a TLS client certificate's public key belongs to (tlspubkey.h). */
struct auth_identity {
	struct auth_account_ref ref; /* the key's login address and its account */
	bool no_imap_preauth;
};

enum auth_lookup {
	AUTH_LOOKUP_FOUND,
	AUTH_LOOKUP_NONE, /* no such credentials: unknown address, alias, not an address */
};

/*
 * Resolves a login name (as sent, n bytes) to its account in snapshot d.
 * *why (may be NULL) gets a reason for the log when not found. Invalid
 * names (bad UTF-8, controls, too long) are simply not found.
 */
enum auth_lookup auth_lookup_login(const struct cfg_dynamic *d, const char *name, size_t n,
				   struct auth_account_ref *out, const char **why);

enum auth_fetch {
	AUTH_FETCH_FOUND,
	AUTH_FETCH_NONE,  /* no password set for the account */
	AUTH_FETCH_ERROR, /* temporary failure or corrupt blob: err says which */
};

/* Fetches and deserializes an account's credentials through env. */
enum auth_fetch auth_fetch_credentials(const struct auth_env *env, const char *account,
				       struct auth_credentials *out, struct error *err);

/*
 * Verifies a password login (IMAP LOGIN, web logins; SASL PLAIN and LOGIN
 * use it too): lookup, credentials, argon2id, then the disabled and TLS
 * identity rules (identity may be NULL). Unknown users cost the same time as
 * known ones. On success *ref is the account; *client_msg gets the message
 * to show for a disabled account ("" otherwise); detail explains failures
 * for the log. Returns the result to record.
 */
enum auth_result auth_check_password(const struct auth_env *env, const struct cfg_dynamic *d,
				     const char *name, size_t name_len, const char *password,
				     size_t password_len, const struct auth_identity *identity,
				     struct auth_account_ref *ref,
				     char client_msg[AUTH_CLIENT_MSG_MAX], struct error *detail);

/*
 * The checks after credentials were verified: LoginDisabled, and with a TLS
 * identity, that the login is for the identity's account (seed: another
 * mechanism may be used after TLS client authentication, but only for the
 * same account).
 */
enum auth_result auth_check_allowed(const struct auth_account_ref *ref,
				    const struct auth_identity *identity,
				    char client_msg[AUTH_CLIENT_MSG_MAX], struct error *detail);

/* Random bytes from env->random or libsodium. */
void auth_random(const struct auth_env *env, void *buf, size_t n);
int64_t auth_now_ms(const struct auth_env *env);

#endif
