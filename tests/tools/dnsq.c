/*
 * dnsq: looks names up through tern's production resolver (dns/unbound.h)
 * and prints each result completely, for integration tests of the resolver
 * API against a real DNS server (tests/integration/test_dns.py).
 *
 *   dnsq [-timeout MS] [-threads N -repeat M] TYPE NAME [TYPE NAME ...]
 *
 * TYPE is a dns.h type name, "ip" (dns_lookup_ip, both families) or "ptr"
 * with an IP address as NAME, or "iprev" with an IP address (msgauth/iprev.h,
 * printed as "iprev status=pass name=N auth=1 names=N1,N2 why=..."). All pairs are looked up in one
 * dns_lookup_many batch (or one dns_lookup_ip). Output per result:
 *
 *   NAME TYPE status=ok auth=1 ttl=300 truncated=0 count=2 canonical=NAME ms=3 why="..."
 *     record text (one line per record)
 *
 * With -threads N -repeat M, N threads each repeat the batch M times and
 * check that every answer has the status and record count of the first;
 * it prints "threads ok" or what differed. Exit status 0 unless misused or
 * a repeat differed.
 */
#include "base/arena.h"
#include "base/timeutil.h"
#include "dns/unbound.h"
#include "msgauth/iprev.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_Q DNS_BATCH_MAX

struct job {
	struct dns_resolver *res;
	struct dns_query qs[MAX_Q];
	size_t n;
	bool ip; /* one dns_lookup_ip of qs[0].name */
	bool ptr;
	bool iprev;
	struct ip_addr ptr_ip;
	int repeat;
	struct dns_result first[MAX_Q];
	int failures;
};

static void run_once(struct job *j, struct arena *a, struct dns_result *out)
{
	if (j->ip)
		dns_lookup_ip(j->res, j->qs[0].name, DNS_IP_BOTH, a, &out[0]);
	else if (j->ptr)
		dns_lookup_ptr(j->res, &j->ptr_ip, a, &out[0]);
	else
		dns_lookup_many(j->res, j->qs, j->n, 0, a, out);
}

static void print_record(const struct dns_record *r)
{
	char ip[IP_TEXT_MAX];
	switch (r->type) {
	case DNS_TYPE_A:
	case DNS_TYPE_AAAA: printf("  %s\n", ip_format(&r->ip, ip, sizeof ip)); break;
	case DNS_TYPE_NS:
	case DNS_TYPE_CNAME:
	case DNS_TYPE_PTR: printf("  %s\n", r->name); break;
	case DNS_TYPE_MX: printf("  %u %s\n", r->mx.preference, r->mx.host); break;
	case DNS_TYPE_SRV:
		printf("  %u %u %u %s\n", r->srv.priority, r->srv.weight, r->srv.port,
		       r->srv.target);
		break;
	case DNS_TYPE_TXT:
		printf("  len=%zu %.*s\n", r->txt.len, (int)r->txt.len, r->txt.data);
		break;
	case DNS_TYPE_TLSA:
		printf("  %u %u %u ", r->tlsa.usage, r->tlsa.selector, r->tlsa.matching_type);
		for (size_t i = 0; i < r->tlsa.len; i++)
			printf("%02x", r->tlsa.data[i]);
		printf("\n");
		break;
	}
}

static void print_result(const struct dns_result *r, int64_t ms)
{
	printf("%s %s status=%s auth=%d ttl=%u truncated=%d count=%zu canonical=%s ms=%lld "
	       "why=\"%s\"\n",
	       r->name, dns_type_name(r->type), dns_status_name(r->status), r->authenticated,
	       r->ttl, r->truncated, r->count, r->canonical, (long long)ms, r->why);
	for (size_t i = 0; i < r->count; i++)
		print_record(&r->records[i]);
}

static void *repeat_thread(void *arg)
{
	struct job *j = arg;
	struct arena a;
	arena_init(&a, 16384);
	size_t n = j->ip || j->ptr ? 1 : j->n;
	for (int k = 0; k < j->repeat; k++) {
		struct dns_result out[MAX_Q];
		struct arena_mark m = arena_mark(&a);
		run_once(j, &a, out);
		for (size_t i = 0; i < n; i++)
			if (out[i].status != j->first[i].status ||
			    out[i].count != j->first[i].count)
				__atomic_add_fetch(&j->failures, 1, __ATOMIC_RELAXED);
		arena_rewind(&a, m);
	}
	arena_free(&a);
	return NULL;
}

static int usage(void)
{
	fprintf(stderr, "usage: dnsq [-timeout MS] [-threads N -repeat M] TYPE NAME ...\n");
	return 2;
}

static bool parse_pairs(struct job *j, int argc, char **argv)
{
	if (argc < 2 || argc % 2 != 0 || argc / 2 > MAX_Q)
		return false;
	for (int i = 0; i < argc; i += 2) {
		if (strcmp(argv[i], "ip") == 0 || strcmp(argv[i], "ptr") == 0 ||
		    strcmp(argv[i], "iprev") == 0) {
			if (argc != 2)
				return false;
			j->ip = strcmp(argv[i], "ip") == 0;
			j->iprev = strcmp(argv[i], "iprev") == 0;
			j->ptr = !j->ip && !j->iprev;
			if (!j->ip && !ip_parse_cstr(argv[i + 1], &j->ptr_ip, NULL))
				return false;
		} else if (!dns_type_parse(argv[i], &j->qs[j->n].type)) {
			return false;
		}
		j->qs[j->n++].name = argv[i + 1];
	}
	return true;
}

int main(int argc, char **argv)
{
	struct dns_unbound_opts opts = {0};
	int threads = 0, i = 1;
	static struct job j;
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "-timeout") == 0)
			opts.timeout_ms = atoll(argv[i + 1]);
		else if (strcmp(argv[i], "-threads") == 0)
			threads = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "-repeat") == 0)
			j.repeat = atoi(argv[i + 1]);
		else
			return usage();
	}
	if (!parse_pairs(&j, argc - i, argv + i))
		return usage();
	struct error err = {0};
	j.res = dns_unbound_new(&opts, &err);
	if (j.res == NULL) {
		fprintf(stderr, "dnsq: %s\n", err.msg);
		return 1;
	}
	struct arena a;
	arena_init(&a, 16384);
	if (j.iprev) {
		struct iprev_result r;
		iprev_check(j.res, &j.ptr_ip, &a, &r);
		printf("iprev status=%s name=%s auth=%d names=", iprev_status_name(r.status),
		       r.name ? r.name : "", r.authenticated);
		for (size_t k = 0; k < r.nnames; k++)
			printf("%s%s", k ? "," : "", r.names[k]);
		printf(" why=\"%s\"\n", r.why);
		arena_free(&a);
		dns_resolver_free(j.res);
		return 0;
	}
	int64_t start = mono_ms();
	run_once(&j, &a, j.first);
	int64_t ms = mono_ms() - start;
	size_t n = j.ip || j.ptr ? 1 : j.n;
	for (size_t k = 0; k < n; k++)
		print_result(&j.first[k], ms);
	int rc = 0;
	if (threads > 0 && j.repeat > 0) {
		pthread_t th[64];
		if (threads > 64)
			threads = 64;
		for (int t = 0; t < threads; t++)
			pthread_create(&th[t], NULL, repeat_thread, &j);
		for (int t = 0; t < threads; t++)
			pthread_join(th[t], NULL);
		if (j.failures) {
			printf("threads: %d answers differed\n", j.failures);
			rc = 1;
		} else {
			printf("threads ok\n");
		}
	}
	fflush(stdout);
	arena_free(&a);
	dns_resolver_free(j.res);
	return rc;
}
