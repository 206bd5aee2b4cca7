/* Unit tests of the failed-login limits (limiter.h), with time passed in: lockout and expiry
 * per address and per account, IPv6 /64 grouping, known addresses, the memory bound. */
#include "auth/limiter.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define MIN (60 * INT64_C(1000))
#define DAY (24 * 60 * MIN)
#define T0  (INT64_C(1000) * 1000 * 1000)

static void fail(struct auth_limiter *l, const char *ip, const char *acct, int64_t now)
{
	cr_assert_eq(auth_limiter_settle(l, ip, acct, AUTH_RESULT_BADPASSWORD, now, NULL),
		     AUTH_RESULT_BADPASSWORD);
}

Test(auth_limiter, ip_key)
{
	char k[64];
	auth_limiter_ip_key("192.0.2.1", k, sizeof k);
	cr_assert_str_eq(k, "192.0.2.1");
	auth_limiter_ip_key("2001:db8:1:2:3:4:5:6", k, sizeof k);
	cr_assert_str_eq(k, "2001:db8:1:2::/64");
	auth_limiter_ip_key("::ffff:192.0.2.7", k, sizeof k);
	cr_assert_str_eq(k, "192.0.2.7");
	auth_limiter_ip_key("unix", k, sizeof k);
	cr_assert_str_eq(k, "unix");
}

Test(auth_limiter, ip_lockout_and_expiry)
{
	struct auth_limiter *l = auth_limiter_new(NULL);
	for (int i = 0; i < 9; i++) {
		cr_assert(auth_limiter_ip_allowed(l, "192.0.2.1", T0 + i * 1000, NULL));
		fail(l, "192.0.2.1", "", T0 + i * 1000);
	}
	cr_assert(auth_limiter_ip_allowed(l, "192.0.2.1", T0 + 9000, NULL), "9 failures are fine");
	fail(l, "192.0.2.1", "", T0 + 9000);
	int64_t retry = 0;
	cr_assert_not(auth_limiter_ip_allowed(l, "192.0.2.1", T0 + 10000, &retry));
	cr_assert_eq(retry, MIN - 10000, "until the minute window ends");
	cr_assert(auth_limiter_ip_allowed(l, "192.0.2.2", T0 + 10000, NULL), "other addresses");
	cr_assert(auth_limiter_ip_allowed(l, "192.0.2.1", T0 + MIN, NULL), "window over");
	auth_limiter_free(l);
}

Test(auth_limiter, daily_limit)
{
	struct auth_limiter *l = auth_limiter_new(NULL);
	/* 9 per minute stays under the minute limit, but 50 a day is the end of it. */
	int64_t now = T0;
	int n = 0;
	for (int m = 0; n < 50; m++)
		for (int i = 0; i < 9 && n < 50; i++, n++) {
			now = T0 + m * MIN + i * 1000;
			cr_assert(auth_limiter_ip_allowed(l, "198.51.100.9", now, NULL), "n=%d", n);
			fail(l, "198.51.100.9", "", now);
		}
	int64_t retry = 0;
	cr_assert_not(auth_limiter_ip_allowed(l, "198.51.100.9", now + 2 * MIN, &retry));
	cr_assert_gt(retry, 20 * 60 * MIN);
	cr_assert(auth_limiter_ip_allowed(l, "198.51.100.9", T0 + DAY, NULL));
	auth_limiter_free(l);
}

Test(auth_limiter, success_clears_the_address)
{
	struct auth_limiter *l = auth_limiter_new(NULL);
	for (int i = 0; i < 9; i++)
		fail(l, "192.0.2.1", "", T0);
	cr_assert_eq(auth_limiter_settle(l, "192.0.2.1", "mjl", AUTH_RESULT_OK, T0, NULL),
		     AUTH_RESULT_OK);
	for (int i = 0; i < 9; i++)
		fail(l, "192.0.2.1", "", T0 + 1);
	cr_assert(auth_limiter_ip_allowed(l, "192.0.2.1", T0 + 2, NULL));
	auth_limiter_free(l);
}

Test(auth_limiter, not_counted)
{
	struct auth_limiter *l = auth_limiter_new(NULL);
	for (int i = 0; i < 30; i++) {
		auth_limiter_settle(l, "192.0.2.1", "mjl", AUTH_RESULT_ERROR, T0, NULL);
		auth_limiter_settle(l, "192.0.2.1", "mjl", AUTH_RESULT_ABORTED, T0, NULL);
	}
	cr_assert(auth_limiter_ip_allowed(l, "192.0.2.1", T0, NULL));
	cr_assert_eq(auth_limiter_entries(l), 0);
	auth_limiter_free(l);
}

Test(auth_limiter, ipv6_by_slash64)
{
	struct auth_limiter *l = auth_limiter_new(NULL);
	char ip[64];
	for (int i = 0; i < 10; i++) {
		snprintf(ip, sizeof ip, "2001:db8:0:7::%x", i + 1);
		fail(l, ip, "", T0);
	}
	cr_assert_not(auth_limiter_ip_allowed(l, "2001:db8:0:7:ffff::1", T0, NULL),
		      "the whole /64 is one client");
	cr_assert(auth_limiter_ip_allowed(l, "2001:db8:0:8::1", T0, NULL), "the next /64 is not");
	for (int i = 0; i < 10; i++)
		fail(l, "::ffff:203.0.113.5", "", T0);
	cr_assert_not(auth_limiter_ip_allowed(l, "203.0.113.5", T0, NULL), "mapped IPv4 is IPv4");
	auth_limiter_free(l);
}

Test(auth_limiter, account_lockout_spares_known_addresses)
{
	struct auth_limiter *l = auth_limiter_new(NULL);
	/* The owner logged in from their address before. */
	cr_assert_eq(auth_limiter_settle(l, "192.0.2.50", "mjl", AUTH_RESULT_OK, T0, NULL),
		     AUTH_RESULT_OK);
	/* A distributed attack: 20 addresses, one failure each; no address limit is hit. */
	char ip[32];
	for (int i = 0; i < 20; i++) {
		snprintf(ip, sizeof ip, "203.0.113.%d", i + 1);
		fail(l, ip, "mjl", T0 + 1000);
	}
	/* Locked for everyone else, right password or not: no oracle. */
	int64_t retry = 0;
	cr_assert_eq(
	    auth_limiter_settle(l, "198.51.100.1", "mjl", AUTH_RESULT_OK, T0 + 2000, &retry),
	    AUTH_RESULT_RATELIMITED);
	cr_assert_eq(retry, 5 * MIN - 1000);
	cr_assert_eq(
	    auth_limiter_settle(l, "198.51.100.1", "mjl", AUTH_RESULT_BADPASSWORD, T0 + 2000, NULL),
	    AUTH_RESULT_RATELIMITED);
	/* The owner's known address is not locked out. */
	cr_assert_eq(auth_limiter_settle(l, "192.0.2.50", "mjl", AUTH_RESULT_OK, T0 + 3000, NULL),
		     AUTH_RESULT_OK);
	/* Other accounts are unaffected; the lock ends with its window. */
	cr_assert_eq(
	    auth_limiter_settle(l, "198.51.100.1", "other", AUTH_RESULT_OK, T0 + 3000, NULL),
	    AUTH_RESULT_OK);
	cr_assert_eq(auth_limiter_settle(l, "198.51.100.2", "mjl", AUTH_RESULT_OK,
					 T0 + 1000 + 5 * MIN, NULL),
		     AUTH_RESULT_OK);
	auth_limiter_free(l);
}

Test(auth_limiter, unknown_names_are_limited_alike)
{
	/* A login name that is no account gets the same treatment: a lockout does not tell
	 * which addresses exist. */
	struct auth_limiter *l = auth_limiter_new(NULL);
	char ip[32];
	for (int i = 0; i < 20; i++) {
		snprintf(ip, sizeof ip, "203.0.113.%d", i + 1);
		cr_assert_eq(
		    auth_limiter_settle(l, ip, "ghost@example.org", AUTH_RESULT_BADUSER, T0, NULL),
		    AUTH_RESULT_BADUSER);
	}
	cr_assert_eq(auth_limiter_settle(l, "198.51.100.1", "ghost@example.org",
					 AUTH_RESULT_BADUSER, T0, NULL),
		     AUTH_RESULT_RATELIMITED);
	auth_limiter_free(l);
}

Test(auth_limiter, memory_is_bounded)
{
	struct auth_limit_config cfg = auth_limit_default;
	cfg.max_entries = 100;
	struct auth_limiter *l = auth_limiter_new(&cfg);
	char ip[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(ip, sizeof ip, "10.0.%d.%d", i / 256, i % 256);
		fail(l, ip, "", T0 + i);
		cr_assert_leq(auth_limiter_entries(l), 100);
	}
	cr_assert_eq(auth_limiter_entries(l), 100);
	/* The most recent ones are kept: 10 more failures lock the last address. */
	for (int i = 0; i < 9; i++)
		fail(l, "10.0.3.231", "", T0 + 2000);
	cr_assert_not(auth_limiter_ip_allowed(l, "10.0.3.231", T0 + 2000, NULL));
	/* Entries expire: a day later, met entries are dropped. */
	cr_assert(auth_limiter_ip_allowed(l, "10.0.3.231", T0 + 2 * DAY, NULL));
	cr_assert_eq(auth_limiter_entries(l), 99);
	auth_limiter_free(l);
}

struct worker {
	struct auth_limiter *l;
	int id;
};

static void *hammer(void *arg)
{
	struct worker *w = arg;
	char ip[32], acct[32];
	for (int i = 0; i < 2000; i++) {
		snprintf(ip, sizeof ip, "10.%d.%d.%d", w->id, i / 256 % 256, i % 256);
		snprintf(acct, sizeof acct, "acct%d", i % 7);
		auth_limiter_ip_allowed(w->l, ip, T0 + i, NULL);
		auth_limiter_settle(w->l, ip, acct,
				    i % 5 ? AUTH_RESULT_BADPASSWORD : AUTH_RESULT_OK, T0 + i, NULL);
	}
	return NULL;
}

Test(auth_limiter, concurrent_use)
{
	struct auth_limit_config cfg = auth_limit_default;
	cfg.max_entries = 500;
	struct auth_limiter *l = auth_limiter_new(&cfg);
	pthread_t t[4];
	struct worker w[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){l, i};
		pthread_create(&t[i], NULL, hammer, &w[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	cr_assert_leq(auth_limiter_entries(l), 500);
	auth_limiter_free(l);
}
