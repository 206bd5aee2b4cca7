/*
 * Helpers for unit tests that look names up: a mock resolver (dns/mock.h) and
 * an arena, made fresh for each test by the suite's .init and freed by .fini.
 *
 *   TestSuite(spf, .init = tdns_setup, .fini = tdns_teardown);
 *   Test(spf, x) { tdns_add("example.org TXT \"v=spf1 -all\""); ... tdns.res ... }
 */
#ifndef TERN_TEST_DNS_HELPERS_H
#define TERN_TEST_DNS_HELPERS_H

#include "dns/mock.h"

#include <criterion/criterion.h>

static struct {
	struct arena arena;
	struct dns_mock *mock;
	struct dns_resolver *res;
} tdns;

static inline void tdns_setup(void)
{
	arena_init(&tdns.arena, 4096);
	tdns.mock = dns_mock_new();
	tdns.res = dns_mock_resolver(tdns.mock);
}

static inline void tdns_teardown(void)
{
	dns_resolver_free(tdns.res);
	arena_free(&tdns.arena);
}

/* Adds records (dns_mock_add_zone lines), failing the test on a bad line. */
static inline void tdns_add(const char *zone)
{
	struct error err = {0};
	cr_assert(dns_mock_add_zone(tdns.mock, zone, &err), "%s", err.msg);
}

#endif
