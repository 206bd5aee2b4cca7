/*
 * Unit tests of the assembled service (service.h) over the real message store: credentials
 * set through store_account_credentials_set (as setaccountpassword does) and fetched through
 * store_account_credentials_get in the callback, logins with limits and recorded attempts in
 * auth.db, an account lockout that even right credentials from a new address cannot pass.
 */
#include "auth/service.h"
#include "base/arena.h"
#include "base/file.h"
#include "store/account.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char domains_conf[] = "Domains:\n"
				   "\texample.org: nil\n"
				   "Accounts:\n"
				   "\tmjl:\n"
				   "\t\tDomain: example.org\n"
				   "\t\tDestinations:\n"
				   "\t\t\tmjl@example.org: nil\n";

static const struct auth_kdf_params cheap = {1, 8192, 4096, 4096};
static struct arena arena;
static struct cfg_dynamic cfg;
static char datadir[64];

/* The server's side of the contract: the store keeps the blob. */
static bool store_credentials(void *arg, const char *account, struct buf *out, bool *found,
			      struct error *err)
{
	(void)arg;
	struct store_account_options o = {.data_dir = datadir, .name = account, .no_create = true};
	struct store_account *a = NULL;
	if (!store_account_open(&o, &a, err)) {
		if (err->kind != ERR_NOTFOUND)
			return false;
		*found = false; /* never had a password: no account directory yet */
		return true;
	}
	bool ok = store_account_credentials_get(a, out, found, err);
	store_account_close(a);
	return ok;
}

static void set_password(const char *account, const char *pw)
{
	struct auth_credentials c;
	struct error err = {0};
	cr_assert(auth_credentials_derive(pw, strlen(pw), &cheap, &c, &err), "%s", err.msg);
	struct buf blob = BUF_INIT;
	auth_credentials_serialize(&c, &blob);
	struct store_account_options o = {.data_dir = datadir, .name = account};
	struct store_account *a = NULL;
	cr_assert(store_account_open(&o, &a, &err), "%s", err.msg);
	cr_assert(store_account_credentials_set(a, blob.data, blob.len, &err), "%s", err.msg);
	store_account_close(a);
	buf_free(&blob);
}

static int rm_entry(const char *p, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	(void)type;
	(void)f;
	return remove(p);
}

static void setup(void)
{
	arena_init(&arena, 65536);
	memset(&cfg, 0, sizeof cfg);
	struct error err = {0};
	struct sch_lines *lines = sch_lines_new(&arena);
	cr_assert(sch_load(domains_conf, strlen(domains_conf), "domains.conf", &cfg_dynamic_type,
			   &cfg, &arena, lines, &err));
	struct cfg_dynamic_env denv = {.hostname = "mail.example.org"};
	struct cfg_check c = {"domains.conf", "/nonexistent", lines, &arena, &err};
	cr_assert(cfg_dynamic_check(&cfg, &denv, &c), "%s", err.msg);
	strcpy(datadir, "/tmp/tern-authsvc-XXXXXX");
	cr_assert_not_null(mkdtemp(datadir));
}

static void teardown(void)
{
	nftw(datadir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	cfg_dynamic_release(&cfg);
	arena_free(&arena);
}

TestSuite(auth_service, .init = setup, .fini = teardown, .timeout = 60);

static struct auth_service *open_service(void)
{
	struct auth_service_config sc = {.datadir = datadir,
					 .hostname = "mail.example.org",
					 .credentials = store_credentials,
					 .kdf = &cheap};
	struct error err = {0};
	struct auth_service *s = auth_service_open(&sc, &err);
	cr_assert_not_null(s, "%s", err.msg);
	return s;
}

/* One PLAIN login from ip, settled and recorded; returns the final result. */
static enum auth_result login(struct auth_service *svc, const char *ip, const char *user,
			      const char *pw, int64_t now)
{
	struct sasl_conn c = {.cfg = &cfg, .plaintext_ok = true};
	struct error err = {0};
	struct sasl_session *s = sasl_new(auth_service_env(svc), &c, SASL_PLAIN, &err);
	cr_assert_not_null(s);
	struct buf msg = BUF_INIT, ch = BUF_INIT;
	buf_putc(&msg, '\0');
	buf_puts(&msg, user);
	buf_putc(&msg, '\0');
	buf_puts(&msg, pw);
	sasl_start(s, msg.data, msg.len, true, &ch);
	struct auth_attempt a;
	auth_attempt_init(&a, "imap", ip, "127.0.0.1", 1);
	auth_attempt_set_sasl(&a, SASL_PLAIN, sasl_result(s));
	enum auth_result r = auth_service_finish(svc, &a, now, NULL);
	sasl_free(s);
	buf_free(&msg);
	buf_free(&ch);
	return r;
}

struct count {
	int ok, failed, limited;
};

static void tally(void *arg, const struct auth_attempt_row *r)
{
	struct count *c = arg;
	if (r->a.result == AUTH_RESULT_OK)
		c->ok += (int)r->count;
	else if (r->a.result == AUTH_RESULT_RATELIMITED)
		c->limited += (int)r->count;
	else
		c->failed += (int)r->count;
}

Test(auth_service, logins_through_the_store_are_limited_and_recorded)
{
	set_password("mjl", "pencil");
	struct auth_service *svc = open_service();
	cr_assert_eq(login(svc, "192.0.2.1", "mjl@example.org", "pencil", 1000), AUTH_RESULT_OK);
	cr_assert_eq(login(svc, "192.0.2.1", "mjl@example.org", "nope", 1000),
		     AUTH_RESULT_BADPASSWORD);
	cr_assert_eq(login(svc, "192.0.2.1", "ghost@example.org", "x", 1000), AUTH_RESULT_BADUSER);

	/* With 19 more failures from 19 addresses the account is locked (20 in 5 minutes);
	 * right credentials from yet another address are refused alike, the known address
	 * still gets in. */
	char ip[32];
	for (int i = 0; i < 19; i++) {
		snprintf(ip, sizeof ip, "203.0.113.%d", i + 1);
		cr_assert_eq(login(svc, ip, "mjl@example.org", "guess", 2000),
			     AUTH_RESULT_BADPASSWORD);
	}
	cr_assert_eq(login(svc, "198.51.100.7", "mjl@example.org", "pencil", 3000),
		     AUTH_RESULT_RATELIMITED);
	cr_assert_eq(login(svc, "192.0.2.1", "mjl@example.org", "pencil", 3000), AUTH_RESULT_OK);

	/* An address with 10 failures in a minute is refused before any exchange. */
	for (int i = 0; i < 10; i++)
		login(svc, "198.51.100.99", "ghost@example.org", "x", 4000);
	int64_t retry = 0;
	cr_assert_not(auth_service_ip_allowed(svc, "198.51.100.99", 4000, &retry));
	cr_assert_gt(retry, 0);

	cr_assert(auth_recorder_flush(auth_service_recorder(svc), 20000));
	auth_service_close(svc);

	struct authdb *db;
	struct error err = {0};
	char path[128];
	snprintf(path, sizeof path, "%s/auth.db", datadir);
	cr_assert(authdb_open(path, &db, &err), "%s", err.msg);
	struct count c = {0};
	cr_assert(authdb_attempts_list(db, NULL, 0, tally, &c, &err));
	cr_assert_eq(c.ok, 2);
	cr_assert_eq(c.limited, 1);
	cr_assert_eq(c.failed, 1 + 1 + 19 + 10);
	authdb_close(db);
}

Test(auth_service, secret_is_kept_across_restarts)
{
	struct auth_service *a = open_service();
	uint8_t s1[AUTH_SECRET_LEN];
	memcpy(s1, auth_service_env(a)->secret, sizeof s1);
	auth_service_close(a);
	struct auth_service *b = open_service();
	cr_assert_eq(memcmp(s1, auth_service_env(b)->secret, sizeof s1), 0,
		     "unknown users' SCRAM salts stay the same after a restart");
	auth_service_close(b);
}

Test(auth_service, account_without_password)
{
	struct auth_service *svc = open_service();
	cr_assert_eq(login(svc, "192.0.2.1", "mjl@example.org", "pencil", 1000),
		     AUTH_RESULT_BADUSER, "no index.db yet: no credentials");
	auth_service_close(svc);
}
