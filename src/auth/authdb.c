#include "auth/authdb.h"

#include "base/mem.h"
#include "db/db.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct authdb {
	pthread_mutex_t mu; /* the one connection's user */
	struct db db;
};

static const char schema_v1[] =
    "CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);"
    "CREATE TABLE tls_pubkeys ("
    " fingerprint TEXT PRIMARY KEY,"
    " created INTEGER NOT NULL,"
    " type TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " account TEXT NOT NULL,"
    " login_address TEXT NOT NULL,"
    " no_imap_preauth INTEGER NOT NULL,"
    " cert_pem TEXT NOT NULL);"
    "CREATE INDEX tls_pubkeys_account ON tls_pubkeys (account, name);"
    "CREATE TABLE login_attempts ("
    " key BLOB PRIMARY KEY,"
    " first INTEGER NOT NULL,"
    " last INTEGER NOT NULL,"
    " count INTEGER NOT NULL,"
    " account TEXT NOT NULL,"
    " login_address TEXT NOT NULL,"
    " remote_ip TEXT NOT NULL,"
    " local_ip TEXT NOT NULL,"
    " tls TEXT NOT NULL,"
    " tls_fp TEXT NOT NULL,"
    " protocol TEXT NOT NULL,"
    " user_agent TEXT NOT NULL,"
    " mechanism TEXT NOT NULL,"
    " result TEXT NOT NULL);"
    "CREATE INDEX login_attempts_account_last ON login_attempts (account, last);"
    "CREATE INDEX login_attempts_last ON login_attempts (last);";
static const char *const schema_steps[] = {schema_v1};
static const struct db_schema schema = {AUTHDB_SCHEMA_VERSION, schema_steps};

bool authdb_open(const char *path, struct authdb **out, struct error *err)
{
	*out = NULL;
	struct authdb *a = xcalloc(1, sizeof *a);
	pthread_mutex_init(&a->mu, NULL);
	/* The file holds the server secret: owner only (DB_FILE_MODE), set before anything is
	 * written. synchronous=FULL: an added TLS key must survive a crash once the command
	 * said so. */
	struct db_options o = {.role = DB_READ_WRITE, .create = true, .schema = &schema};
	if (!db_open(&a->db, path, &o, err)) {
		authdb_close(a);
		return false;
	}
	*out = a;
	return true;
}

void authdb_close(struct authdb *a)
{
	if (!a)
		return;
	db_close(&a->db);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

bool authdb_secret(struct authdb *a, uint8_t out[AUTH_SECRET_LEN], struct error *err)
{
	uint8_t fresh[AUTH_SECRET_LEN];
	randombytes_buf(fresh, sizeof fresh);
	pthread_mutex_lock(&a->mu);
	/* INSERT OR IGNORE: of two processes making one at once, the first one wins for both. */
	sqlite3_stmt *st =
	    db_stmt(&a->db, "INSERT OR IGNORE INTO meta (name, value) VALUES ('secret', ?)", err);
	bool ok = st != NULL;
	if (ok) {
		sqlite3_bind_blob(st, 1, fresh, sizeof fresh, SQLITE_TRANSIENT);
		ok = db_step_done(&a->db, st, err);
	}
	st = ok ? db_stmt(&a->db, "SELECT value FROM meta WHERE name = 'secret'", err) : NULL;
	int rc = st ? db_step(&a->db, st, err) : -1;
	ok = rc == 1 && sqlite3_column_bytes(st, 0) == AUTH_SECRET_LEN;
	if (ok)
		memcpy(out, sqlite3_column_blob(st, 0), AUTH_SECRET_LEN);
	else if (rc >= 0)
		error_set(err, ERR_IO, "%s: no valid server secret", a->db.path);
	if (rc == 1)
		sqlite3_reset(st);
	pthread_mutex_unlock(&a->mu);
	sodium_memzero(fresh, sizeof fresh);
	return ok;
}

/* ---- TLS public keys ---- */

void auth_tlspubkey_free(struct auth_tlspubkey *k)
{
	buf_free(&k->cert_pem);
}

bool authdb_tlspubkey_add(struct authdb *a, const struct auth_tlspubkey *k, struct error *err)
{
	pthread_mutex_lock(&a->mu);
	struct error e = {0};
	sqlite3_stmt *st =
	    db_stmt(&a->db,
		    "INSERT INTO tls_pubkeys (fingerprint, created, type, name, account, "
		    "login_address, no_imap_preauth, cert_pem) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		    &e);
	bool ok = st != NULL;
	if (ok) {
		db_bind_text(st, 1, k->fingerprint);
		sqlite3_bind_int64(st, 2, k->created);
		db_bind_text(st, 3, k->type);
		db_bind_text(st, 4, k->name);
		db_bind_text(st, 5, k->account);
		db_bind_text(st, 6, k->login_address);
		sqlite3_bind_int(st, 7, k->no_imap_preauth);
		db_bind_text(st, 8, buf_cstr(&k->cert_pem));
		ok = db_step_done(&a->db, st, &e);
	}
	pthread_mutex_unlock(&a->mu);
	if (!ok && e.kind == ERR_EXISTS)
		return error_set(err, ERR_EXISTS, "a TLS public key with fingerprint %s exists",
				 k->fingerprint);
	if (!ok && err)
		*err = e;
	return ok;
}

#define KEY_COLUMNS                                                                                \
	"fingerprint, created, type, name, account, login_address, no_imap_preauth, cert_pem"

/* Fills k from a row of KEY_COLUMNS; false when a value does not fit its field. */
static bool read_key(sqlite3_stmt *st, struct auth_tlspubkey *k)
{
	memset(k, 0, sizeof *k);
	k->created = sqlite3_column_int64(st, 1);
	k->no_imap_preauth = sqlite3_column_int(st, 6) != 0;
	bool ok = db_col_copy(st, 0, k->fingerprint, sizeof k->fingerprint) &&
		  db_col_copy(st, 2, k->type, sizeof k->type) &&
		  db_col_copy(st, 3, k->name, sizeof k->name) &&
		  db_col_copy(st, 4, k->account, sizeof k->account) &&
		  db_col_copy(st, 5, k->login_address, sizeof k->login_address);
	const unsigned char *pem = sqlite3_column_text(st, 7);
	int n = sqlite3_column_bytes(st, 7);
	if (!ok || !pem || n > AUTH_CERT_PEM_MAX)
		return false;
	buf_append(&k->cert_pem, pem, (size_t)n);
	return true;
}

bool authdb_tlspubkey_get(struct authdb *a, const char *fingerprint, struct auth_tlspubkey *out,
			  bool *found, struct error *err)
{
	memset(out, 0, sizeof *out);
	*found = false;
	pthread_mutex_lock(&a->mu);
	sqlite3_stmt *st =
	    db_stmt(&a->db, "SELECT " KEY_COLUMNS " FROM tls_pubkeys WHERE fingerprint = ?", err);
	int rc = -1;
	if (st) {
		db_bind_text(st, 1, fingerprint);
		rc = db_step(&a->db, st, err);
	}
	bool ok = rc >= 0;
	if (rc == 1) {
		*found = read_key(st, out);
		if (!*found) {
			auth_tlspubkey_free(out);
			ok = error_set(err, ERR_IO, "%s: TLS key %s has an oversized field",
				       a->db.path, fingerprint);
		}
		sqlite3_reset(st);
	}
	pthread_mutex_unlock(&a->mu);
	return ok;
}

bool authdb_tlspubkey_list(struct authdb *a, const char *account,
			   void (*fn)(void *arg, const struct auth_tlspubkey *k), void *arg,
			   struct error *err)
{
	pthread_mutex_lock(&a->mu);
	sqlite3_stmt *st = db_stmt(&a->db,
				   "SELECT " KEY_COLUMNS " FROM tls_pubkeys WHERE ?1 IS NULL OR "
				   "account = ?1 ORDER BY account, name, fingerprint",
				   err);
	int rc = -1;
	if (st && account)
		db_bind_text(st, 1, account);
	while (st && (rc = db_step(&a->db, st, err)) == 1) {
		struct auth_tlspubkey k;
		if (read_key(st, &k))
			fn(arg, &k);
		auth_tlspubkey_free(&k);
	}
	pthread_mutex_unlock(&a->mu);
	return rc == 0;
}

/* Runs a DELETE (a string literal) with one text parameter; *n gets the rows removed. */
static bool delete_where(struct authdb *a, const char *sql, const char *value, size_t *n,
			 struct error *err)
{
	pthread_mutex_lock(&a->mu);
	sqlite3_stmt *st = db_stmt(&a->db, sql, err);
	bool ok = st != NULL;
	if (ok) {
		db_bind_text(st, 1, value);
		ok = db_step_done(&a->db, st, err);
	}
	*n = ok ? (size_t)db_changes(&a->db) : 0;
	pthread_mutex_unlock(&a->mu);
	return ok;
}

bool authdb_tlspubkey_remove(struct authdb *a, const char *fingerprint, struct error *err)
{
	size_t n = 0;
	if (!delete_where(a, "DELETE FROM tls_pubkeys WHERE fingerprint = ?", fingerprint, &n, err))
		return false;
	if (n == 0)
		return error_set(err, ERR_NOTFOUND, "no TLS public key with fingerprint %s",
				 fingerprint);
	return true;
}

bool authdb_tlspubkey_remove_account(struct authdb *a, const char *account, size_t *n,
				     struct error *err)
{
	return delete_where(a, "DELETE FROM tls_pubkeys WHERE account = ?", account, n, err);
}

/* ---- login attempts ---- */

static const char *stored_account(const struct auth_attempt *at)
{
	return at->account[0] ? at->account : "-";
}

/* The aggregation key: SHA-256 of every field but the time, NUL-separated. */
static void attempt_key(const struct auth_attempt *at, uint8_t key[32])
{
	const char *f[] = {stored_account(at),
			   at->login,
			   at->remote_ip,
			   at->local_ip,
			   at->tls,
			   at->tls_fp,
			   at->protocol,
			   at->user_agent,
			   at->mechanism,
			   auth_result_name(at->result)};
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		crypto_hash_sha256_update(&st, (const uint8_t *)f[i], strlen(f[i]) + 1);
	crypto_hash_sha256_final(&st, key);
}

static bool upsert_attempt(struct authdb *a, const struct auth_attempt *at, struct error *err)
{
	sqlite3_stmt *st =
	    db_stmt(&a->db,
		    "INSERT INTO login_attempts (key, first, last, count, account, "
		    "login_address, remote_ip, local_ip, tls, tls_fp, protocol, user_agent, "
		    "mechanism, result) VALUES (?1, ?2, ?2, 1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
		    "?11, ?12) ON CONFLICT (key) DO UPDATE SET last = max(last, excluded.last), "
		    "count = count + 1",
		    err);
	if (!st)
		return false;
	uint8_t key[32];
	attempt_key(at, key);
	sqlite3_bind_blob(st, 1, key, sizeof key, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, at->time_ms);
	db_bind_text(st, 3, stored_account(at));
	db_bind_text(st, 4, at->login);
	db_bind_text(st, 5, at->remote_ip);
	db_bind_text(st, 6, at->local_ip);
	db_bind_text(st, 7, at->tls);
	db_bind_text(st, 8, at->tls_fp);
	db_bind_text(st, 9, at->protocol);
	db_bind_text(st, 10, at->user_agent);
	db_bind_text(st, 11, at->mechanism);
	db_bind_text(st, 12, auth_result_name(at->result));
	return db_step_done(&a->db, st, err);
}

/* Keeps at most AUTHDB_FAILED_MAX failed rows for the account, dropping the oldest. */
static bool prune_account(struct authdb *a, const char *account, struct error *err)
{
	sqlite3_stmt *st =
	    db_stmt(&a->db,
		    "DELETE FROM login_attempts WHERE rowid IN (SELECT rowid FROM "
		    "login_attempts WHERE account = ? AND result <> 'ok' ORDER BY last "
		    "DESC LIMIT -1 OFFSET ?)",
		    err);
	if (!st)
		return false;
	db_bind_text(st, 1, account);
	sqlite3_bind_int(st, 2, AUTHDB_FAILED_MAX);
	return db_step_done(&a->db, st, err);
}

/* Whether an earlier attempt in v[0..i) has the same account and failed (pruned already). */
static bool pruned_before(const struct auth_attempt *v, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (v[j].result != AUTH_RESULT_OK && strcmp(v[j].account, v[i].account) == 0)
			return true;
	return false;
}

static bool write_batch(struct authdb *a, const struct auth_attempt *v, size_t n, struct error *err)
{
	bool ok = true;
	for (size_t i = 0; ok && i < n; i++)
		ok = upsert_attempt(a, &v[i], err);
	for (size_t i = 0; ok && i < n; i++)
		if (v[i].result != AUTH_RESULT_OK && !pruned_before(v, i))
			ok = prune_account(a, stored_account(&v[i]), err);
	return ok;
}

bool authdb_attempts_write(struct authdb *a, const struct auth_attempt *v, size_t n,
			   struct error *err)
{
	pthread_mutex_lock(&a->mu);
	bool ok = db_begin_write(&a->db, err);
	ok = db_end(&a->db, ok && write_batch(a, v, n, err), err);
	pthread_mutex_unlock(&a->mu);
	return ok;
}

static enum auth_result result_parse(const char *s)
{
	for (int r = AUTH_RESULT_OK; r <= AUTH_RESULT_RATELIMITED; r++)
		if (strcmp(auth_result_name((enum auth_result)r), s) == 0)
			return (enum auth_result)r;
	return AUTH_RESULT_ERROR;
}

static void read_attempt(sqlite3_stmt *st, struct auth_attempt_row *r)
{
	memset(r, 0, sizeof *r);
	r->first_ms = sqlite3_column_int64(st, 0);
	r->a.time_ms = sqlite3_column_int64(st, 1);
	r->count = sqlite3_column_int64(st, 2);
	db_col_copy(st, 3, r->a.account, sizeof r->a.account);
	db_col_copy(st, 4, r->a.login, sizeof r->a.login);
	db_col_copy(st, 5, r->a.remote_ip, sizeof r->a.remote_ip);
	db_col_copy(st, 6, r->a.local_ip, sizeof r->a.local_ip);
	db_col_copy(st, 7, r->a.tls, sizeof r->a.tls);
	db_col_copy(st, 8, r->a.tls_fp, sizeof r->a.tls_fp);
	db_col_copy(st, 9, r->a.protocol, sizeof r->a.protocol);
	db_col_copy(st, 10, r->a.user_agent, sizeof r->a.user_agent);
	db_col_copy(st, 11, r->a.mechanism, sizeof r->a.mechanism);
	r->a.result = result_parse(db_col_text(st, 12));
}

bool authdb_attempts_list(struct authdb *a, const char *account, size_t limit,
			  void (*fn)(void *arg, const struct auth_attempt_row *r), void *arg,
			  struct error *err)
{
	pthread_mutex_lock(&a->mu);
	sqlite3_stmt *st =
	    db_stmt(&a->db,
		    "SELECT first, last, count, account, login_address, remote_ip, local_ip, tls, "
		    "tls_fp, protocol, user_agent, mechanism, result FROM login_attempts WHERE ?1 "
		    "IS NULL OR account = ?1 ORDER BY last DESC, rowid DESC LIMIT ?2",
		    err);
	int rc = -1;
	if (st) {
		if (account)
			db_bind_text(st, 1, account);
		sqlite3_bind_int64(st, 2, limit ? (int64_t)limit : -1);
	}
	while (st && (rc = db_step(&a->db, st, err)) == 1) {
		struct auth_attempt_row r;
		read_attempt(st, &r);
		fn(arg, &r);
	}
	pthread_mutex_unlock(&a->mu);
	return rc == 0;
}

bool authdb_attempts_cleanup(struct authdb *a, int64_t cutoff_ms, size_t *n, struct error *err)
{
	pthread_mutex_lock(&a->mu);
	sqlite3_stmt *st = db_stmt(&a->db, "DELETE FROM login_attempts WHERE last < ?", err);
	bool ok = st != NULL;
	if (ok) {
		sqlite3_bind_int64(st, 1, cutoff_ms);
		ok = db_step_done(&a->db, st, err);
	}
	*n = ok ? (size_t)db_changes(&a->db) : 0;
	pthread_mutex_unlock(&a->mu);
	return ok;
}
