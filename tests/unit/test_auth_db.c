/*
 * Unit tests of auth.db (authdb.h) and the login attempt recorder (attempts.h): schema and
 * file mode, the server secret, TLS public keys, aggregated attempts with their bounds, and
 * the recorder's queue with several writer threads, a blocked disk and shutdown.
 */
#include "auth/attempts.h"
#include "auth/authdb.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];
static char path[128];

static void setup(void)
{
	strcpy(dir, "/tmp/tern-authdb-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/auth.db", dir);
}

static void teardown(void)
{
	char p[160];
	const char *suffix[] = {"", "-wal", "-shm"};
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s%s", path, suffix[i]);
		unlink(p);
	}
	rmdir(dir);
}

TestSuite(authdb, .init = setup, .fini = teardown, .timeout = 60);

static struct authdb *open_db(void)
{
	struct authdb *db;
	struct error err = {0};
	cr_assert(authdb_open(path, &db, &err), "%s", err.msg);
	return db;
}

Test(authdb, creates_private_file_with_schema)
{
	struct authdb *db = open_db();
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	uint8_t s1[AUTH_SECRET_LEN], s2[AUTH_SECRET_LEN];
	struct error err = {0};
	cr_assert(authdb_secret(db, s1, &err), "%s", err.msg);
	authdb_close(db);
	db = open_db();
	cr_assert(authdb_secret(db, s2, &err));
	cr_assert_eq(memcmp(s1, s2, sizeof s1), 0, "the secret is stable");
	uint8_t zero[AUTH_SECRET_LEN] = {0};
	cr_assert_neq(memcmp(s1, zero, sizeof s1), 0);
	authdb_close(db);
}

Test(authdb, newer_schema_is_refused)
{
	authdb_close(open_db());
	sqlite3 *h;
	cr_assert_eq(sqlite3_open(path, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(h, "PRAGMA user_version = 7", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	struct authdb *db;
	struct error err = {0};
	cr_assert_not(authdb_open(path, &db, &err));
	cr_assert(strstr(err.msg, "schema version 7, newer"), "%s", err.msg);
}

static struct auth_tlspubkey key(const char *fp, const char *account, const char *name)
{
	struct auth_tlspubkey k = {0};
	snprintf(k.fingerprint, sizeof k.fingerprint, "%s", fp);
	snprintf(k.account, sizeof k.account, "%s", account);
	snprintf(k.name, sizeof k.name, "%s", name);
	snprintf(k.login_address, sizeof k.login_address, "%s@example.org", account);
	snprintf(k.type, sizeof k.type, "ed25519");
	k.created = 1700000000;
	buf_puts(&k.cert_pem, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
	return k;
}

static void collect(void *arg, const struct auth_tlspubkey *k)
{
	struct buf *b = arg;
	buf_printf(b, "%s:%s:%s:%d;", k->account, k->name, k->fingerprint, k->no_imap_preauth);
}

Test(authdb, tls_public_keys)
{
	struct authdb *db = open_db();
	struct error err = {0};
	struct auth_tlspubkey a = key("fpA", "mjl", "phone"), b = key("fpB", "mjl", "laptop"),
			      c = key("fpC", "other", "x");
	b.no_imap_preauth = true;
	cr_assert(authdb_tlspubkey_add(db, &a, &err), "%s", err.msg);
	cr_assert(authdb_tlspubkey_add(db, &b, &err));
	cr_assert(authdb_tlspubkey_add(db, &c, &err));
	cr_assert_not(authdb_tlspubkey_add(db, &a, &err));
	cr_assert_eq(err.kind, ERR_EXISTS);

	struct auth_tlspubkey got;
	bool found = false;
	cr_assert(authdb_tlspubkey_get(db, "fpB", &got, &found, &err));
	cr_assert(found);
	cr_assert_str_eq(got.login_address, "mjl@example.org");
	cr_assert(got.no_imap_preauth);
	cr_assert_eq(got.created, 1700000000);
	cr_assert_str_eq(buf_cstr(&got.cert_pem), buf_cstr(&b.cert_pem));
	auth_tlspubkey_free(&got);
	cr_assert(authdb_tlspubkey_get(db, "nope", &got, &found, &err));
	cr_assert_not(found);

	struct buf out = BUF_INIT;
	cr_assert(authdb_tlspubkey_list(db, NULL, collect, &out, &err));
	cr_assert_str_eq(buf_cstr(&out), "mjl:laptop:fpB:1;mjl:phone:fpA:0;other:x:fpC:0;");
	buf_reset(&out);
	cr_assert(authdb_tlspubkey_list(db, "other", collect, &out, &err));
	cr_assert_str_eq(buf_cstr(&out), "other:x:fpC:0;");

	cr_assert(authdb_tlspubkey_remove(db, "fpA", &err));
	cr_assert_not(authdb_tlspubkey_remove(db, "fpA", &err));
	cr_assert_eq(err.kind, ERR_NOTFOUND);
	size_t n = 0;
	cr_assert(authdb_tlspubkey_remove_account(db, "mjl", &n, &err));
	cr_assert_eq(n, 1);
	buf_reset(&out);
	cr_assert(authdb_tlspubkey_list(db, NULL, collect, &out, &err));
	cr_assert_str_eq(buf_cstr(&out), "other:x:fpC:0;");
	buf_free(&out);
	auth_tlspubkey_free(&a);
	auth_tlspubkey_free(&b);
	auth_tlspubkey_free(&c);
	authdb_close(db);
}

static struct auth_attempt attempt(const char *account, const char *ip, enum auth_result r,
				   int64_t t)
{
	struct auth_attempt a;
	auth_attempt_init(&a, "imap", ip, "127.0.0.1", 1);
	a.time_ms = t;
	a.result = r;
	snprintf(a.mechanism, sizeof a.mechanism, "plain");
	snprintf(a.login, sizeof a.login, "%s@example.org", account[0] ? account : "ghost");
	snprintf(a.account, sizeof a.account, "%s", account);
	return a;
}

struct rows {
	int n;
	struct auth_attempt_row r[16];
};

static void collect_row(void *arg, const struct auth_attempt_row *r)
{
	struct rows *rows = arg;
	if (rows->n < 16)
		rows->r[rows->n] = *r;
	rows->n++;
}

Test(authdb, attempts_aggregate_and_list)
{
	struct authdb *db = open_db();
	struct error err = {0};
	struct auth_attempt v[] = {
	    attempt("mjl", "192.0.2.1", AUTH_RESULT_OK, 1000),
	    attempt("mjl", "192.0.2.1", AUTH_RESULT_OK, 2000),
	    attempt("mjl", "192.0.2.1", AUTH_RESULT_BADPASSWORD, 3000),
	    attempt("", "192.0.2.9", AUTH_RESULT_BADUSER, 4000),
	};
	cr_assert(authdb_attempts_write(db, v, 4, &err), "%s", err.msg);
	struct rows rows = {0};
	cr_assert(authdb_attempts_list(db, NULL, 0, collect_row, &rows, &err));
	cr_assert_eq(rows.n, 3, "two identical attempts are one row");
	cr_assert_str_eq(rows.r[0].a.account, "-", "unknown account stored as \"-\"");
	cr_assert_eq(rows.r[0].a.result, AUTH_RESULT_BADUSER);
	cr_assert_eq(rows.r[2].count, 2);
	cr_assert_eq(rows.r[2].first_ms, 1000);
	cr_assert_eq(rows.r[2].a.time_ms, 2000);
	cr_assert_str_eq(rows.r[2].a.protocol, "imap");
	rows.n = 0;
	cr_assert(authdb_attempts_list(db, "mjl", 1, collect_row, &rows, &err));
	cr_assert_eq(rows.n, 1);
	cr_assert_eq(rows.r[0].a.result, AUTH_RESULT_BADPASSWORD);
	size_t n = 0;
	cr_assert(authdb_attempts_cleanup(db, 3500, &n, &err));
	cr_assert_eq(n, 2);
	rows.n = 0;
	cr_assert(authdb_attempts_list(db, NULL, 0, collect_row, &rows, &err));
	cr_assert_eq(rows.n, 1);
	authdb_close(db);
}

Test(authdb, failed_attempts_are_bounded_per_account)
{
	struct authdb *db = open_db();
	struct error err = {0};
	size_t total = AUTHDB_FAILED_MAX + 50;
	struct auth_attempt *v = calloc(total, sizeof *v);
	for (size_t i = 0; i < total; i++) {
		char ip[32];
		snprintf(ip, sizeof ip, "10.%zu.%zu.%zu", i >> 16, (i >> 8) & 255, i & 255);
		v[i] = attempt("mjl", ip, AUTH_RESULT_BADPASSWORD, (int64_t)i + 1);
	}
	v[0].result = AUTH_RESULT_OK; /* successes are not pruned */
	cr_assert(authdb_attempts_write(db, v, total, &err), "%s", err.msg);
	struct rows rows = {0};
	cr_assert(authdb_attempts_list(db, "mjl", 0, collect_row, &rows, &err));
	cr_assert_eq(rows.n, AUTHDB_FAILED_MAX + 1);
	cr_assert_eq(rows.r[0].a.time_ms, (int64_t)total, "the newest are kept");
	free(v);
	authdb_close(db);
}

/* ---- the recorder ---- */

struct adder {
	struct auth_recorder *r;
	int id, n;
};

static void *add_many(void *arg)
{
	struct adder *ad = arg;
	for (int i = 0; i < ad->n; i++) {
		char ip[32];
		snprintf(ip, sizeof ip, "10.0.%d.%d", ad->id, i);
		struct auth_attempt a = attempt("mjl", ip, AUTH_RESULT_BADPASSWORD, 1000 + i);
		auth_recorder_add(ad->r, &a);
	}
	return NULL;
}

static int count_rows(void)
{
	struct authdb *db = open_db();
	struct rows rows = {0};
	struct error err = {0};
	cr_assert(authdb_attempts_list(db, NULL, 0, collect_row, &rows, &err));
	authdb_close(db);
	return rows.n;
}

Test(authdb, recorder_from_many_threads)
{
	struct error err = {0};
	struct auth_recorder *r = auth_recorder_start(path, NULL, &err);
	cr_assert_not_null(r, "%s", err.msg);
	pthread_t t[4];
	struct adder ad[4];
	for (int i = 0; i < 4; i++) {
		ad[i] = (struct adder){r, i, 200};
		pthread_create(&t[i], NULL, add_many, &ad[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	cr_assert(auth_recorder_flush(r, 20000));
	struct auth_recorder_stats st;
	auth_recorder_stats(r, &st);
	cr_assert_eq(st.queued + st.dropped, 800);
	cr_assert_eq(st.written, st.queued);
	cr_assert_eq(st.failed, 0);
	cr_assert_eq(count_rows(), (int)st.written);
	auth_recorder_stop(r);
}

Test(authdb, recorder_never_blocks_on_a_busy_disk)
{
	struct error err = {0};
	struct auth_recorder *r = auth_recorder_start(path, NULL, &err);
	cr_assert_not_null(r, "%s", err.msg);
	cr_assert(auth_recorder_flush(r, 5000), "writer idle");
	/* Another connection holds the write lock: the writer stalls on its first batch. */
	sqlite3 *h;
	cr_assert_eq(sqlite3_open(path, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	int total = AUTH_RECORDER_QUEUE + 2 * AUTH_RECORDER_BATCH;
	int accepted = 0;
	for (int i = 0; i < total; i++) {
		char ip[32];
		snprintf(ip, sizeof ip, "10.1.%d.%d", i / 256, i % 256);
		struct auth_attempt a = attempt("mjl", ip, AUTH_RESULT_BADPASSWORD, i);
		accepted += auth_recorder_add(r, &a);
	}
	struct auth_recorder_stats st;
	auth_recorder_stats(r, &st);
	cr_assert_gt(st.dropped, 0, "a full queue drops instead of waiting");
	cr_assert_leq(accepted, AUTH_RECORDER_QUEUE + AUTH_RECORDER_BATCH);
	cr_assert_eq(sqlite3_exec(h, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	cr_assert(auth_recorder_flush(r, 30000));
	auth_recorder_stats(r, &st);
	cr_assert_eq(st.written + st.failed, st.queued);
	cr_assert_eq(st.queued + st.dropped, (uint64_t)total);
	auth_recorder_stop(r);
}

Test(authdb, recorder_stop_writes_what_is_queued)
{
	struct error err = {0};
	struct auth_recorder *r = auth_recorder_start(path, NULL, &err);
	cr_assert_not_null(r);
	for (int i = 0; i < 50; i++) {
		char ip[32];
		snprintf(ip, sizeof ip, "10.2.0.%d", i);
		struct auth_attempt a = attempt("", ip, AUTH_RESULT_BADUSER, i);
		cr_assert(auth_recorder_add(r, &a));
	}
	auth_recorder_stop(r);
	cr_assert_eq(count_rows(), 50);
}

Test(authdb, attempt_from_sasl_result)
{
	struct sasl_result res = {.result = AUTH_RESULT_BADCHANBIND};
	snprintf(res.ref.login, sizeof res.ref.login, "mjl@example.org");
	snprintf(res.ref.account, sizeof res.ref.account, "mjl");
	struct auth_attempt a;
	auth_attempt_init(&a, "submission", "192.0.2.1", "192.0.2.2", 7);
	auth_attempt_set_sasl(&a, SASL_SCRAM_SHA_256_PLUS, &res);
	cr_assert_str_eq(a.mechanism, "scram-sha-256-plus");
	cr_assert_str_eq(a.login, "mjl@example.org");
	cr_assert_eq(a.result, AUTH_RESULT_BADCHANBIND);
	cr_assert_gt(a.time_ms, 1600000000000);
}
