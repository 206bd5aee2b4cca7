/*
 * dnsbench: the production resolver's speed (dns/unbound.h) against whatever
 * /etc/resolv.conf names; bench/dns/run.py sets up NSD with test zones in a
 * private namespace and runs it.
 *
 *   dnsbench cached SECONDS THREADS NAME...   lookups/s of A records already cached
 *   dnsbench unbound-cached SECONDS THREADS NAME...  the same without tern's result
 *                                             cache (dns/cache.h): libunbound's cache only
 *   dnsbench cold COUNT ZONE                  latency of COUNT names never asked before
 *                                             (rN.ZONE, answered by a wildcard)
 *
 * Prints one line of figures. Uses the release build (make bench-dns).
 */
#include "base/arena.h"
#include "base/timeutil.h"
#include "dns/unbound.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct shared {
	struct dns_resolver *res;
	char **names;
	int nnames;
	int64_t until;
	atomic_long done;
	atomic_long failed;
};

static void *cached_thread(void *arg)
{
	struct shared *s = arg;
	struct arena a;
	arena_init(&a, 16384);
	long n = 0, bad = 0;
	while (mono_ms() < s->until) {
		for (int k = 0; k < 100; k++) {
			struct arena_mark m = arena_mark(&a);
			struct dns_result r;
			if (dns_lookup(s->res, s->names[(n + k) % s->nnames], DNS_TYPE_A, &a, &r) !=
			    DNS_OK)
				bad++;
			arena_rewind(&a, m);
		}
		n += 100;
	}
	atomic_fetch_add(&s->done, n);
	atomic_fetch_add(&s->failed, bad);
	arena_free(&a);
	return NULL;
}

static int cached(struct dns_resolver *res, const char *what, int seconds, int threads,
		  char **names, int nnames)
{
	struct shared s = {.res = res, .names = names, .nnames = nnames};
	struct arena a;
	arena_init(&a, 4096);
	for (int i = 0; i < nnames; i++) { /* warm the cache */
		struct dns_result r;
		if (dns_lookup(res, names[i], DNS_TYPE_A, &a, &r) != DNS_OK) {
			fprintf(stderr, "dnsbench: %s: %s %s\n", names[i],
				dns_status_name(r.status), r.why);
			return 1;
		}
	}
	arena_free(&a);
	pthread_t th[64];
	if (threads > 64)
		threads = 64;
	int64_t start = mono_ms();
	s.until = start + seconds * 1000;
	for (int t = 0; t < threads; t++)
		pthread_create(&th[t], NULL, cached_thread, &s);
	for (int t = 0; t < threads; t++)
		pthread_join(th[t], NULL);
	double secs = (double)(mono_ms() - start) / 1000.0;
	printf("%s: threads=%d lookups=%ld failed=%ld seconds=%.1f lookups/s=%.0f\n", what, threads,
	       atomic_load(&s.done), atomic_load(&s.failed), secs,
	       (double)atomic_load(&s.done) / secs);
	return atomic_load(&s.failed) ? 1 : 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int cold(struct dns_resolver *res, int count, const char *zone)
{
	struct arena a;
	arena_init(&a, 16384);
	int64_t *us = calloc((size_t)count, sizeof *us);
	struct timespec t0, t1;
	int bad = 0;
	for (int i = 0; i < count; i++) {
		char name[256];
		snprintf(name, sizeof name, "r%d.%s", i, zone);
		struct dns_result r;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (dns_lookup(res, name, DNS_TYPE_A, &a, &r) != DNS_OK)
			bad++;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		us[i] = (t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
	}
	int64_t first = us[0];
	qsort(us + 1, (size_t)count - 1, sizeof *us, cmp_i64);
	int n = count - 1;
	printf("cold: first=%lldus (fetches the zone's keys) then n=%d p50=%lldus p90=%lldus "
	       "p99=%lldus failed=%d\n",
	       (long long)first, n, (long long)us[1 + n / 2], (long long)us[1 + n * 9 / 10],
	       (long long)us[1 + n * 99 / 100], bad);
	free(us);
	arena_free(&a);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct error err = {0};
	struct dns_unbound_opts opts = {0};
	opts.no_result_cache = argc > 1 && strcmp(argv[1], "unbound-cached") == 0;
	struct dns_resolver *res = dns_unbound_new(&opts, &err);
	if (res == NULL) {
		fprintf(stderr, "dnsbench: %s\n", err.msg);
		return 1;
	}
	int rc = 2;
	if (argc >= 5 && (strcmp(argv[1], "cached") == 0 || opts.no_result_cache))
		rc = cached(res, argv[1], atoi(argv[2]), atoi(argv[3]), argv + 4, argc - 4);
	else if (argc == 4 && strcmp(argv[1], "cold") == 0 && atoi(argv[2]) > 1)
		rc = cold(res, atoi(argv[2]), argv[3]);
	else
		fprintf(stderr,
			"usage: dnsbench cached SECONDS THREADS NAME... | cold COUNT ZONE\n");
	dns_resolver_free(res);
	return rc;
}
