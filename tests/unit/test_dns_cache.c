/* The result cache (dns/cache.h) in front of the mock resolver. */
#include "dns/cache.h"
#include "dns/mock.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct arena arena;
static struct dns_mock *mock;
static struct dns_resolver *cache;

static void make(size_t max_bytes)
{
	arena_init(&arena, 4096);
	mock = dns_mock_new();
	cache = dns_cache_new(dns_mock_resolver(mock), max_bytes);
}

static void setup(void)
{
	make(0);
}

static void teardown(void)
{
	dns_resolver_free(cache); /* frees the mock too */
	arena_free(&arena);
}

static void add(const char *zone)
{
	struct error err = {0};
	cr_assert(dns_mock_add_zone(mock, zone, &err), "%s", err.msg);
}

TestSuite(dns_cache, .init = setup, .fini = teardown);

Test(dns_cache, hits_copy_everything)
{
	add("www.example 100 CNAME host.example\n"
	    "host.example 200 A 192.0.2.1\n"
	    "host.example 200 A 192.0.2.2\n"
	    "host.example TXT \"a\" \"b\"\n");
	struct dns_result r1, r2;
	cr_assert_eq(dns_lookup(cache, "www.example", DNS_TYPE_A, &arena, &r1), DNS_OK);
	cr_assert_eq(dns_mock_queries(mock), 1);
	cr_assert_eq(dns_lookup(cache, "WWW.example.", DNS_TYPE_A, &arena, &r2), DNS_OK);
	cr_assert_eq(dns_mock_queries(mock), 1, "answered from the cache");
	cr_assert_eq(r2.count, 2);
	cr_assert_str_eq(r2.canonical, "host.example");
	cr_assert_str_eq(r2.name, "www.example");
	cr_assert(r2.ttl <= 100 && r2.ttl >= 99, "TTL left: %u", r2.ttl);
	cr_assert(ip_eq(&r2.records[1].ip, &r1.records[1].ip));
	cr_assert_neq(r2.records, r1.records, "a copy in the caller's arena");
	/* Types are cached apart. */
	cr_assert_eq(dns_lookup(cache, "host.example", DNS_TYPE_TXT, &arena, &r2), DNS_OK);
	cr_assert_str_eq(r2.records[0].txt.data, "ab");
	cr_assert_eq(dns_mock_queries(mock), 2);
	struct dns_cache_stats st;
	dns_cache_stats(cache, &st);
	cr_assert_eq(st.hits, 1);
	cr_assert_eq(st.misses, 2);
	cr_assert_eq(st.entries, 2);
}

Test(dns_cache, negative_answers_cached_failures_not)
{
	add("exists.example A 192.0.2.1\n");
	struct error err = {0};
	cr_assert(dns_mock_fail(mock, "down.example", 0, DNS_TEMPFAIL, &err));
	cr_assert(dns_mock_fail(mock, "forged.example", 0, DNS_BOGUS, &err));
	struct dns_result r;
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(dns_lookup(cache, "nx.example", DNS_TYPE_A, &arena, &r), DNS_NXDOMAIN);
		cr_assert_eq(dns_lookup(cache, "exists.example", DNS_TYPE_MX, &arena, &r),
			     DNS_NODATA);
		cr_assert_eq(dns_lookup(cache, "down.example", DNS_TYPE_A, &arena, &r),
			     DNS_TEMPFAIL);
		cr_assert_eq(dns_lookup(cache, "forged.example", DNS_TYPE_A, &arena, &r),
			     DNS_BOGUS);
	}
	cr_assert_eq(dns_mock_queries(mock), 2 + 3 + 3);
}

Test(dns_cache, entries_expire)
{
	add("short.example 1 A 192.0.2.1\n"
	    "zero.example 0 A 192.0.2.2\n");
	struct dns_result r;
	cr_assert_eq(dns_lookup(cache, "short.example", DNS_TYPE_A, &arena, &r), DNS_OK);
	cr_assert_eq(dns_lookup(cache, "short.example", DNS_TYPE_A, &arena, &r), DNS_OK);
	cr_assert_eq(dns_mock_queries(mock), 1);
	usleep(1100 * 1000);
	cr_assert_eq(dns_lookup(cache, "short.example", DNS_TYPE_A, &arena, &r), DNS_OK);
	cr_assert_eq(dns_mock_queries(mock), 2, "expired after its TTL");
	cr_assert_eq(dns_lookup(cache, "zero.example", DNS_TYPE_A, &arena, &r), DNS_OK);
	cr_assert_eq(dns_lookup(cache, "zero.example", DNS_TYPE_A, &arena, &r), DNS_OK);
	cr_assert_eq(dns_mock_queries(mock), 4, "TTL 0 is never cached");
}

Test(dns_cache, batches_mix_hits_and_misses)
{
	add("a.example A 192.0.2.1\nb.example A 192.0.2.2\n");
	struct dns_result r;
	dns_lookup(cache, "a.example", DNS_TYPE_A, &arena, &r);
	struct dns_query qs[3] = {
	    {"b.example", DNS_TYPE_A}, {"a.example", DNS_TYPE_A}, {"bad name", DNS_TYPE_A}};
	struct dns_result rs[3];
	dns_lookup_many(cache, qs, 3, 0, &arena, rs);
	cr_assert_eq(rs[0].status, DNS_OK);
	cr_assert_str_eq(rs[0].name, "b.example");
	cr_assert_eq(rs[1].status, DNS_OK);
	cr_assert_str_eq(rs[1].name, "a.example");
	cr_assert_eq(rs[2].status, DNS_BADNAME);
	cr_assert_eq(dns_mock_queries(mock), 2);
}

Test(dns_cache_small, memory_is_bounded, .fini = teardown)
{
	make(64 * 1024); /* 4 KB per shard */
	char line[300];
	for (int i = 0; i < 2000; i++) {
		snprintf(line, sizeof line, "n%d.example TXT %0200d", i, i);
		add(line);
	}
	struct dns_result r;
	for (int i = 0; i < 2000; i++) {
		snprintf(line, sizeof line, "n%d.example", i);
		cr_assert_eq(dns_lookup(cache, line, DNS_TYPE_TXT, &arena, &r), DNS_OK);
	}
	struct dns_cache_stats st;
	dns_cache_stats(cache, &st);
	cr_assert_leq(st.bytes, 64 * 1024);
	cr_assert_gt(st.entries, 10);
	cr_assert_lt(st.entries, 2000);
	/* The most recent names stayed; the oldest went. */
	uint64_t q = dns_mock_queries(mock);
	dns_lookup(cache, "n1999.example", DNS_TYPE_TXT, &arena, &r);
	cr_assert_eq(dns_mock_queries(mock), q);
	dns_lookup(cache, "n0.example", DNS_TYPE_TXT, &arena, &r);
	cr_assert_eq(dns_mock_queries(mock), q + 1);
}

static void *worker(void *arg)
{
	(void)arg;
	struct arena a;
	arena_init(&a, 4096);
	char name[32];
	for (int i = 0; i < 3000; i++) {
		struct arena_mark m = arena_mark(&a);
		struct dns_result r;
		snprintf(name, sizeof name, "t%d.example", i % 50);
		if (dns_lookup(cache, name, DNS_TYPE_A, &a, &r) != DNS_OK || r.count != 1)
			return (void *)1;
		arena_rewind(&a, m);
	}
	arena_free(&a);
	return NULL;
}

Test(dns_cache, threads)
{
	char line[64];
	for (int i = 0; i < 50; i++) {
		snprintf(line, sizeof line, "t%d.example A 192.0.2.%d", i, i);
		add(line);
	}
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (int i = 0; i < 4; i++) {
		void *rv;
		pthread_join(th[i], &rv);
		cr_assert_null(rv);
	}
	struct dns_cache_stats st;
	dns_cache_stats(cache, &st);
	cr_assert_eq(st.hits + st.misses, 12000);
	cr_assert_eq(st.entries, 50);
}
