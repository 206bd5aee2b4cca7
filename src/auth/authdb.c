#include "auth/authdb.h"

#include "base/mem.h"
#include "base/str.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct authdb {
	pthread_mutex_t mu;
	sqlite3 *h;
	char *path;
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
    "CREATE INDEX login_attempts_last ON login_attempts (last);"
    "PRAGMA user_version = 1;";

static bool fail(struct authdb *db, struct error *err, const char *what)
{
	int rc = sqlite3_extended_errcode(db->h) & 0xff;
	enum error_kind kind = rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? ERR_TEMPORARY
			       : rc == SQLITE_CONSTRAINT                ? ERR_EXISTS
									: ERR_IO;
	return error_set(err, kind, "%s: %s: %s", db->path, what, sqlite3_errmsg(db->h));
}

static bool exec(struct authdb *db, const char *sql, struct error *err)
{
	if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
		return fail(db, err, "executing statement");
	return true;
}

static sqlite3_stmt *prep(struct authdb *db, const char *sql, struct error *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) {
		fail(db, err, "preparing statement");
		return NULL;
	}
	return st;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

/* Copies a text column into a fixed array; false when it does not fit. */
static bool column_copy(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	return str_copy(dst, cap, s ? (const char *)s : "");
}

static bool schema(struct authdb *db, struct error *err)
{
	sqlite3_stmt *st = prep(db, "PRAGMA user_version", err);
	if (!st)
		return false;
	int version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	if (version < 0)
		return fail(db, err, "reading schema version");
	if (version > AUTHDB_SCHEMA_VERSION)
		return error_set(err, ERR_INVALID,
				 "%s has schema version %d, newer than this tern knows (%d)",
				 db->path, version, AUTHDB_SCHEMA_VERSION);
	if (version == AUTHDB_SCHEMA_VERSION)
		return true;
	/* Another process may be creating it at the same moment: IMMEDIATE takes the write lock
	 * first, then the version is checked again inside. */
	if (!exec(db, "BEGIN IMMEDIATE", err))
		return false;
	st = prep(db, "PRAGMA user_version", err);
	version = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	bool ok = version == 0 ? exec(db, schema_v1, err) : version == AUTHDB_SCHEMA_VERSION;
	if (ok)
		return exec(db, "COMMIT", err);
	exec(db, "ROLLBACK", NULL);
	return error_set(err, ERR_IO, "%s: creating the schema failed", db->path);
}

bool authdb_open(const char *path, struct authdb **out, struct error *err)
{
	*out = NULL;
	struct authdb *db = xcalloc(1, sizeof *db);
	pthread_mutex_init(&db->mu, NULL);
	db->path = xstrdup(path);
	/* The file holds the server secret: owner only, set before anything is written. */
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		error_errno(err, errno, "open %s", path);
		authdb_close(db);
		return false;
	}
	close(fd);
	int rc = sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		error_set(err, ERR_IO, "open %s: %s", path,
			  db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
		authdb_close(db);
		return false;
	}
	sqlite3_extended_result_codes(db->h, 1);
	sqlite3_busy_timeout(db->h, AUTHDB_BUSY_MS);
	/* synchronous=FULL: an added TLS key must survive a crash once the command said so. */
	if (!exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", err) ||
	    !schema(db, err)) {
		authdb_close(db);
		return false;
	}
	*out = db;
	return true;
}

void authdb_close(struct authdb *db)
{
	if (!db)
		return;
	if (db->h)
		sqlite3_close(db->h);
	pthread_mutex_destroy(&db->mu);
	free(db->path);
	free(db);
}

bool authdb_secret(struct authdb *db, uint8_t out[AUTH_SECRET_LEN], struct error *err)
{
	uint8_t fresh[AUTH_SECRET_LEN];
	randombytes_buf(fresh, sizeof fresh);
	pthread_mutex_lock(&db->mu);
	bool ok = false;
	/* INSERT OR IGNORE: of two processes making one at once, the first one wins for both. */
	sqlite3_stmt *st =
	    prep(db, "INSERT OR IGNORE INTO meta (name, value) VALUES ('secret', ?)", err);
	if (st) {
		sqlite3_bind_blob(st, 1, fresh, sizeof fresh, SQLITE_TRANSIENT);
		ok = sqlite3_step(st) == SQLITE_DONE || fail(db, err, "storing the secret");
		sqlite3_finalize(st);
	}
	st = ok ? prep(db, "SELECT value FROM meta WHERE name = 'secret'", err) : NULL;
	if (st) {
		ok = sqlite3_step(st) == SQLITE_ROW &&
		     sqlite3_column_bytes(st, 0) == AUTH_SECRET_LEN;
		if (ok)
			memcpy(out, sqlite3_column_blob(st, 0), AUTH_SECRET_LEN);
		else
			error_set(err, ERR_IO, "%s: bad server secret", db->path);
		sqlite3_finalize(st);
	} else {
		ok = false;
	}
	pthread_mutex_unlock(&db->mu);
	sodium_memzero(fresh, sizeof fresh);
	return ok;
}

/* ---- TLS public keys ---- */

void auth_tlspubkey_free(struct auth_tlspubkey *k)
{
	buf_free(&k->cert_pem);
}

bool authdb_tlspubkey_add(struct authdb *db, const struct auth_tlspubkey *k, struct error *err)
{
	pthread_mutex_lock(&db->mu);
	bool ok = false;
	sqlite3_stmt *st =
	    prep(db,
		 "INSERT INTO tls_pubkeys (fingerprint, created, type, name, account, "
		 "login_address, no_imap_preauth, cert_pem) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		 err);
	if (st) {
		bind_text(st, 1, k->fingerprint);
		sqlite3_bind_int64(st, 2, k->created);
		bind_text(st, 3, k->type);
		bind_text(st, 4, k->name);
		bind_text(st, 5, k->account);
		bind_text(st, 6, k->login_address);
		sqlite3_bind_int(st, 7, k->no_imap_preauth);
		bind_text(st, 8, buf_cstr(&k->cert_pem));
		ok = sqlite3_step(st) == SQLITE_DONE;
		if (!ok && (sqlite3_extended_errcode(db->h) & 0xff) == SQLITE_CONSTRAINT)
			error_set(err, ERR_EXISTS, "a TLS public key with fingerprint %s exists",
				  k->fingerprint);
		else if (!ok)
			fail(db, err, "adding TLS public key");
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&db->mu);
	return ok;
}

static const char key_columns[] =
    "fingerprint, created, type, name, account, login_address, no_imap_preauth, cert_pem";

/* Fills k from a row of key_columns; false when a value does not fit its field. */
static bool read_key(sqlite3_stmt *st, struct auth_tlspubkey *k)
{
	memset(k, 0, sizeof *k);
	k->created = sqlite3_column_int64(st, 1);
	k->no_imap_preauth = sqlite3_column_int(st, 6) != 0;
	bool ok = column_copy(st, 0, k->fingerprint, sizeof k->fingerprint) &&
		  column_copy(st, 2, k->type, sizeof k->type) &&
		  column_copy(st, 3, k->name, sizeof k->name) &&
		  column_copy(st, 4, k->account, sizeof k->account) &&
		  column_copy(st, 5, k->login_address, sizeof k->login_address);
	const unsigned char *pem = sqlite3_column_text(st, 7);
	int n = sqlite3_column_bytes(st, 7);
	if (!ok || !pem || n > AUTH_CERT_PEM_MAX)
		return false;
	buf_append(&k->cert_pem, pem, (size_t)n);
	return true;
}

bool authdb_tlspubkey_get(struct authdb *db, const char *fingerprint, struct auth_tlspubkey *out,
			  bool *found, struct error *err)
{
	memset(out, 0, sizeof *out);
	*found = false;
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT %s FROM tls_pubkeys WHERE fingerprint = ?", key_columns);
	pthread_mutex_lock(&db->mu);
	bool ok = false;
	sqlite3_stmt *st = prep(db, sql, err);
	if (st) {
		bind_text(st, 1, fingerprint);
		int rc = sqlite3_step(st);
		ok = rc == SQLITE_DONE || rc == SQLITE_ROW || fail(db, err, "looking up TLS key");
		if (rc == SQLITE_ROW) {
			*found = read_key(st, out);
			if (!*found) {
				auth_tlspubkey_free(out);
				ok = error_set(err, ERR_IO, "%s: TLS key %s has an oversized field",
					       db->path, fingerprint);
			}
		}
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&db->mu);
	return ok;
}

bool authdb_tlspubkey_list(struct authdb *db, const char *account,
			   void (*fn)(void *arg, const struct auth_tlspubkey *k), void *arg,
			   struct error *err)
{
	char sql[256];
	snprintf(sql, sizeof sql,
		 "SELECT %s FROM tls_pubkeys WHERE ?1 IS NULL OR account = ?1 ORDER BY account, "
		 "name, fingerprint",
		 key_columns);
	pthread_mutex_lock(&db->mu);
	bool ok = false;
	sqlite3_stmt *st = prep(db, sql, err);
	if (st) {
		if (account)
			bind_text(st, 1, account);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			struct auth_tlspubkey k;
			if (read_key(st, &k))
				fn(arg, &k);
			auth_tlspubkey_free(&k);
		}
		ok = rc == SQLITE_DONE || fail(db, err, "listing TLS keys");
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&db->mu);
	return ok;
}

/* Runs a DELETE with one text parameter; *n gets the rows removed. */
static bool delete_where(struct authdb *db, const char *sql, const char *value, size_t *n,
			 struct error *err)
{
	pthread_mutex_lock(&db->mu);
	bool ok = false;
	sqlite3_stmt *st = prep(db, sql, err);
	if (st) {
		bind_text(st, 1, value);
		ok = sqlite3_step(st) == SQLITE_DONE || fail(db, err, "deleting");
		*n = ok ? (size_t)sqlite3_changes(db->h) : 0;
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&db->mu);
	return ok;
}

bool authdb_tlspubkey_remove(struct authdb *db, const char *fingerprint, struct error *err)
{
	size_t n = 0;
	if (!delete_where(db, "DELETE FROM tls_pubkeys WHERE fingerprint = ?", fingerprint, &n,
			  err))
		return false;
	if (n == 0)
		return error_set(err, ERR_NOTFOUND, "no TLS public key with fingerprint %s",
				 fingerprint);
	return true;
}

bool authdb_tlspubkey_remove_account(struct authdb *db, const char *account, size_t *n,
				     struct error *err)
{
	return delete_where(db, "DELETE FROM tls_pubkeys WHERE account = ?", account, n, err);
}

/* ---- login attempts ---- */

static const char *stored_account(const struct auth_attempt *a)
{
	return a->account[0] ? a->account : "-";
}

/* The aggregation key: SHA-256 of every field but the time, NUL-separated. */
static void attempt_key(const struct auth_attempt *a, uint8_t key[32])
{
	const char *f[] = {stored_account(a),
			   a->login,
			   a->remote_ip,
			   a->local_ip,
			   a->tls,
			   a->tls_fp,
			   a->protocol,
			   a->user_agent,
			   a->mechanism,
			   auth_result_name(a->result)};
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		crypto_hash_sha256_update(&st, (const uint8_t *)f[i], strlen(f[i]) + 1);
	crypto_hash_sha256_final(&st, key);
}

static bool upsert_attempt(struct authdb *db, sqlite3_stmt *st, const struct auth_attempt *a,
			   struct error *err)
{
	uint8_t key[32];
	attempt_key(a, key);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite3_bind_blob(st, 1, key, sizeof key, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, a->time_ms);
	bind_text(st, 3, stored_account(a));
	bind_text(st, 4, a->login);
	bind_text(st, 5, a->remote_ip);
	bind_text(st, 6, a->local_ip);
	bind_text(st, 7, a->tls);
	bind_text(st, 8, a->tls_fp);
	bind_text(st, 9, a->protocol);
	bind_text(st, 10, a->user_agent);
	bind_text(st, 11, a->mechanism);
	bind_text(st, 12, auth_result_name(a->result));
	return sqlite3_step(st) == SQLITE_DONE || fail(db, err, "recording login attempt");
}

/* Keeps at most AUTHDB_FAILED_MAX failed rows for the account, dropping the oldest. */
static bool prune_account(struct authdb *db, const char *account, struct error *err)
{
	sqlite3_stmt *st = prep(db,
				"DELETE FROM login_attempts WHERE rowid IN (SELECT rowid FROM "
				"login_attempts WHERE account = ? AND result <> 'ok' ORDER BY last "
				"DESC LIMIT -1 OFFSET ?)",
				err);
	if (!st)
		return false;
	bind_text(st, 1, account);
	sqlite3_bind_int(st, 2, AUTHDB_FAILED_MAX);
	bool ok = sqlite3_step(st) == SQLITE_DONE || fail(db, err, "pruning login attempts");
	sqlite3_finalize(st);
	return ok;
}

/* Whether an earlier attempt in v[0..i) has the same account and failed (pruned already). */
static bool pruned_before(const struct auth_attempt *v, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (v[j].result != AUTH_RESULT_OK && strcmp(v[j].account, v[i].account) == 0)
			return true;
	return false;
}

static bool write_batch(struct authdb *db, const struct auth_attempt *v, size_t n,
			struct error *err)
{
	sqlite3_stmt *st = prep(db,
				"INSERT INTO login_attempts (key, first, last, count, account, "
				"login_address, remote_ip, local_ip, tls, tls_fp, protocol, "
				"user_agent, mechanism, result) VALUES (?1, ?2, ?2, 1, ?3, ?4, ?5, "
				"?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT (key) DO UPDATE SET "
				"last = max(last, excluded.last), count = count + 1",
				err);
	if (!st)
		return false;
	bool ok = true;
	for (size_t i = 0; ok && i < n; i++)
		ok = upsert_attempt(db, st, &v[i], err);
	sqlite3_finalize(st);
	for (size_t i = 0; ok && i < n; i++)
		if (v[i].result != AUTH_RESULT_OK && !pruned_before(v, i))
			ok = prune_account(db, stored_account(&v[i]), err);
	return ok;
}

bool authdb_attempts_write(struct authdb *db, const struct auth_attempt *v, size_t n,
			   struct error *err)
{
	pthread_mutex_lock(&db->mu);
	bool ok = exec(db, "BEGIN IMMEDIATE", err);
	if (ok) {
		ok = write_batch(db, v, n, err);
		if (ok)
			ok = exec(db, "COMMIT", err);
		else
			exec(db, "ROLLBACK", NULL);
	}
	pthread_mutex_unlock(&db->mu);
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
	column_copy(st, 3, r->a.account, sizeof r->a.account);
	column_copy(st, 4, r->a.login, sizeof r->a.login);
	column_copy(st, 5, r->a.remote_ip, sizeof r->a.remote_ip);
	column_copy(st, 6, r->a.local_ip, sizeof r->a.local_ip);
	column_copy(st, 7, r->a.tls, sizeof r->a.tls);
	column_copy(st, 8, r->a.tls_fp, sizeof r->a.tls_fp);
	column_copy(st, 9, r->a.protocol, sizeof r->a.protocol);
	column_copy(st, 10, r->a.user_agent, sizeof r->a.user_agent);
	column_copy(st, 11, r->a.mechanism, sizeof r->a.mechanism);
	const unsigned char *res = sqlite3_column_text(st, 12);
	r->a.result = result_parse(res ? (const char *)res : "");
}

bool authdb_attempts_list(struct authdb *db, const char *account, size_t limit,
			  void (*fn)(void *arg, const struct auth_attempt_row *r), void *arg,
			  struct error *err)
{
	pthread_mutex_lock(&db->mu);
	bool ok = false;
	sqlite3_stmt *st =
	    prep(db,
		 "SELECT first, last, count, account, login_address, remote_ip, "
		 "local_ip, tls, tls_fp, protocol, user_agent, mechanism, result FROM "
		 "login_attempts WHERE ?1 IS NULL OR account = ?1 ORDER BY last DESC, "
		 "rowid DESC LIMIT ?2",
		 err);
	if (st) {
		if (account)
			bind_text(st, 1, account);
		sqlite3_bind_int64(st, 2, limit ? (int64_t)limit : -1);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			struct auth_attempt_row r;
			read_attempt(st, &r);
			fn(arg, &r);
		}
		ok = rc == SQLITE_DONE || fail(db, err, "listing login attempts");
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&db->mu);
	return ok;
}

bool authdb_attempts_cleanup(struct authdb *db, int64_t cutoff_ms, size_t *n, struct error *err)
{
	pthread_mutex_lock(&db->mu);
	bool ok = false;
	*n = 0;
	sqlite3_stmt *st = prep(db, "DELETE FROM login_attempts WHERE last < ?", err);
	if (st) {
		sqlite3_bind_int64(st, 1, cutoff_ms);
		ok = sqlite3_step(st) == SQLITE_DONE || fail(db, err, "cleaning login attempts");
		*n = ok ? (size_t)sqlite3_changes(db->h) : 0;
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&db->mu);
	return ok;
}
