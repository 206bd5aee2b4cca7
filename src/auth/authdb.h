/*
 * authdb: DATADIR/auth.db, the server-wide authentication database.
 *
 * An SQLite file (WAL, synchronous=FULL, mode 0600) with:
 *   - the server secret (random, made on first open; login.h uses it for the
 *     SCRAM salts of unknown users, which must stay stable across restarts);
 *   - TLS public keys for client certificate authentication (seed: TLS
 *     client certificates): the SHA-256 fingerprint of the
 *     SubjectPublicKeyInfo in base64url without padding (as conn_tls gives
 *     it), a name, the account and login address it authenticates, the
 *     no-IMAP-preauth option, the key type and the certificate in PEM;
 *   - login attempts, aggregated as mox does: one row per distinct
 *     combination of account, login address, remote and local IP, TLS,
 *     key fingerprint, protocol, user agent, mechanism and result, with the
 *     first and last time and a count; at most AUTHDB_FAILED_MAX failed rows
 *     per account (oldest dropped) and none older than AUTHDB_ATTEMPTS_KEEP
 *     after cleanup, so third parties cannot grow the file without bound.
 * The file is opened through the SQLite layer (db/db.h): the schema version
 * is kept in PRAGMA user_version and a file from a newer tern is refused
 * rather than misread. Other processes (tern commands beside the server) may
 * use the file at the same time; SQLite locks, and a busy database is waited
 * for at most DB_BUSY_TIMEOUT_MS.
 *
 * A struct authdb is one connection guarded by its own mutex: any thread may
 * call any function; calls on one handle are serialized. Use separate
 * handles for a writer that must not hold up readers (attempts.h does).
 */
#ifndef TERN_AUTH_AUTHDB_H
#define TERN_AUTH_AUTHDB_H

#include "auth/login.h"
#include "base/buf.h"
#include "base/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTHDB_FILE             "auth.db"
#define AUTHDB_SCHEMA_VERSION   1
#define AUTHDB_FAILED_MAX       10000 /* failed-attempt rows kept per account (mox) */
#define AUTHDB_ATTEMPTS_KEEP_MS (30 * 24 * 3600 * INT64_C(1000))
#define AUTH_TLSKEY_NAME_MAX    256
#define AUTH_TLSKEY_TYPE_MAX    31
#define AUTH_CERT_PEM_MAX       (64 * 1024)
#define AUTH_ATTEMPT_LOGIN_MAX  320 /* login names longer than this are recorded cut */

struct authdb;

/* Opens (creating if needed) the database at path, e.g. DATADIR/auth.db. */
bool authdb_open(const char *path, struct authdb **out, struct error *err);
void authdb_close(struct authdb *db);

/* The server secret, made and stored on first use. */
bool authdb_secret(struct authdb *db, uint8_t out[AUTH_SECRET_LEN], struct error *err);

/* ---- TLS public keys ---- */

struct auth_tlspubkey {
	char fingerprint[AUTH_FP_LEN + 1];
	int64_t created;                     /* Unix seconds */
	char type[AUTH_TLSKEY_TYPE_MAX + 1]; /* "ed25519", "ecdsa-p256", "rsa-2048", ... */
	char name[AUTH_TLSKEY_NAME_MAX + 1];
	char account[AUTH_ACCOUNT_MAX + 1];
	char login_address[AUTH_USERNAME_MAX + 1];
	bool no_imap_preauth;
	struct buf cert_pem; /* the certificate, PEM; owned: free with auth_tlspubkey_free */
};

void auth_tlspubkey_free(struct auth_tlspubkey *k);

/* Adds a key; ERR_EXISTS when the fingerprint is known already. */
bool authdb_tlspubkey_add(struct authdb *db, const struct auth_tlspubkey *k, struct error *err);
/* *found false when there is no such key (out is then zeroed). */
bool authdb_tlspubkey_get(struct authdb *db, const char *fingerprint, struct auth_tlspubkey *out,
			  bool *found, struct error *err);
/* Calls fn for each key of account (NULL: all accounts), ordered by account and name. */
bool authdb_tlspubkey_list(struct authdb *db, const char *account,
			   void (*fn)(void *arg, const struct auth_tlspubkey *k), void *arg,
			   struct error *err);
/* ERR_NOTFOUND when there is no such key. */
bool authdb_tlspubkey_remove(struct authdb *db, const char *fingerprint, struct error *err);
/* Removes all keys of an account (when the account is removed); *n gets the count. */
bool authdb_tlspubkey_remove_account(struct authdb *db, const char *account, size_t *n,
				     struct error *err);

/* ---- login attempts ---- */

struct auth_attempt {
	int64_t time_ms; /* Unix milliseconds */
	uint64_t cid;    /* connection id, for the log line */
	enum auth_result result;
	char protocol[16];  /* "submission", "imap", "webmail", "webaccount", "webadmin" */
	char mechanism[24]; /* "plain", "scram-sha-256-plus", "login" (IMAP LOGIN), ... */
	char remote_ip[48];
	char local_ip[48];
	char login[AUTH_ATTEMPT_LOGIN_MAX + 1];
	char account[AUTH_ACCOUNT_MAX + 1]; /* "" when unknown ("-" is stored, as mox) */
	char tls[160];                      /* "version=tls1.3 ciphersuite=... sni=..." or "" */
	char tls_fp[AUTH_FP_LEN + 1];
	char user_agent[128];
};

/* A stored attempt, with its aggregate. */
struct auth_attempt_row {
	struct auth_attempt a; /* time_ms is the last time */
	int64_t first_ms;
	int64_t count;
};

/* Writes attempts in one transaction, then keeps each account within AUTHDB_FAILED_MAX. */
bool authdb_attempts_write(struct authdb *db, const struct auth_attempt *v, size_t n,
			   struct error *err);
/* Most recent first; account NULL for all ("-" for unknown accounts); limit 0 for all. */
bool authdb_attempts_list(struct authdb *db, const char *account, size_t limit,
			  void (*fn)(void *arg, const struct auth_attempt_row *r), void *arg,
			  struct error *err);
/* Removes attempts last seen before cutoff_ms; *n gets the count. */
bool authdb_attempts_cleanup(struct authdb *db, int64_t cutoff_ms, size_t *n, struct error *err);

#endif
