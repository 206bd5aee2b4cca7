/* iprev (RFC 8601 3) and DNSBL (RFC 5782) against the tdns.mock resolver. */
#include "dns/mock.h"
#include "test_dns_helpers.h"
#include "msgauth/dnsbl.h"
#include "msgauth/iprev.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static struct ip_addr ip(const char *s)
{
	struct ip_addr a;
	cr_assert(ip_parse_cstr(s, &a, NULL), "%s", s);
	return a;
}

static struct iprev_result iprev(const char *addr)
{
	struct iprev_result r;
	struct ip_addr a = ip(addr);
	iprev_check(tdns.res, &a, &tdns.arena, &r);
	return r;
}

TestSuite(iprev, .init = tdns_setup, .fini = tdns_teardown);

Test(iprev, outcomes)
{
	tdns_add("1.2.0.192.in-addr.arpa PTR other.example\n"
		 "1.2.0.192.in-addr.arpa PTR mail.example\n"
		 "other.example A 192.0.2.99\n"
		 "mail.example A 192.0.2.1\n"
		 "2.2.0.192.in-addr.arpa PTR liar.example\n"
		 "liar.example A 192.0.2.50\n"
		 "3.2.0.192.in-addr.arpa TXT no ptr here\n"
		 "5.2.0.192.in-addr.arpa PTR flaky.example\n"
		 "6.2.0.192.in-addr.arpa PTR forged.example\n");
	struct error err = {0};
	cr_assert(dns_mock_fail(tdns.mock, "4.2.0.192.in-addr.arpa", 0, DNS_TEMPFAIL, &err));
	cr_assert(dns_mock_fail(tdns.mock, "flaky.example", 0, DNS_TEMPFAIL, &err));
	cr_assert(dns_mock_fail(tdns.mock, "forged.example", 0, DNS_BOGUS, &err));

	struct iprev_result r = iprev("192.0.2.1");
	cr_assert_eq(r.status, IPREV_PASS);
	cr_assert_str_eq(r.name, "mail.example");
	cr_assert_eq(r.nnames, 2);
	cr_assert(!r.authenticated);
	r = iprev("192.0.2.2");
	cr_assert_eq(r.status, IPREV_FAIL);
	cr_assert_null(r.name);
	cr_assert_str_eq(r.names[0], "liar.example");
	cr_assert_eq(iprev("192.0.2.3").status, IPREV_PERMERROR, "name without PTR");
	cr_assert_eq(iprev("192.0.2.9").status, IPREV_PERMERROR, "no such name");
	r = iprev("192.0.2.4");
	cr_assert_eq(r.status, IPREV_TEMPERROR);
	cr_assert(strstr(r.why, "tempfail"), "%s", r.why);
	cr_assert_eq(iprev("192.0.2.5").status, IPREV_TEMPERROR, "forward lookup failed");
	cr_assert_eq(iprev("192.0.2.6").status, IPREV_TEMPERROR, "forward lookup bogus");
	cr_assert_str_eq(iprev_status_name(IPREV_PERMERROR), "permerror");
}

Test(iprev, ipv6_and_authentication)
{
	tdns_add("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa PTR "
		 "mail6.example\n"
		 "mail6.example A 192.0.2.1\n"
		 "mail6.example AAAA 2001:db8::1\n");
	struct error err = {0};
	cr_assert(dns_mock_authenticate(tdns.mock, "ip6.arpa", &err));
	struct iprev_result r = iprev("2001:db8::1");
	cr_assert_eq(r.status, IPREV_PASS);
	cr_assert(!r.authenticated, "the forward zone is not signed");
	cr_assert(dns_mock_authenticate(tdns.mock, "mail6.example", &err));
	r = iprev("2001:db8::1");
	cr_assert(r.authenticated);
}

Test(iprev, names_checked_are_bounded)
{
	char line[128];
	for (int i = 0; i < 15; i++) {
		snprintf(line, sizeof line, "7.2.0.192.in-addr.arpa PTR n%02d.example", i);
		tdns_add(line);
		snprintf(line, sizeof line, "n%02d.example A 192.0.2.%d", i, i == 12 ? 7 : 100);
		tdns_add(line);
	}
	uint64_t before = dns_mock_queries(tdns.mock);
	struct iprev_result r = iprev("192.0.2.7");
	cr_assert_eq(r.status, IPREV_FAIL, "the matching 13th name is not checked");
	cr_assert_eq(r.nnames, 15);
	cr_assert_eq(dns_mock_queries(tdns.mock) - before, 1 + IPREV_NAMES_MAX);
}

TestSuite(dnsbl, .init = tdns_setup, .fini = tdns_teardown);

static struct dnsbl_result bl(const char *addr)
{
	struct dnsbl_result r;
	struct ip_addr a = ip(addr);
	dnsbl_lookup(tdns.res, "bl.example", &a, &tdns.arena, &r);
	return r;
}

Test(dnsbl, lookups)
{
	tdns_add("2.0.0.127.bl.example A 127.0.0.2\n"
		 "2.0.0.127.bl.example TXT \"listed, see\" \" https://bl.example/\"\n"
		 "2.0.0.127.bl.example TXT second\n"
		 "3.0.0.127.bl.example A 127.0.0.3\n"
		 "4.0.0.127.bl.example TXT only a text\n"
		 "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.example A "
		 "127.0.0.2\n");
	struct error err = {0};
	cr_assert(dns_mock_fail(tdns.mock, "5.0.0.127.bl.example", DNS_TYPE_A, DNS_TEMPFAIL, &err));
	struct dnsbl_result r = bl("127.0.0.2");
	cr_assert_eq(r.status, DNSBL_FAIL);
	cr_assert_str_eq(r.explanation, "listed, see https://bl.example/; second");
	r = bl("127.0.0.3");
	cr_assert_eq(r.status, DNSBL_FAIL);
	cr_assert_str_eq(r.explanation, "");
	cr_assert_eq(bl("127.0.0.4").status, DNSBL_PASS, "TXT alone lists nothing");
	cr_assert_eq(bl("127.0.0.1").status, DNSBL_PASS);
	r = bl("127.0.0.5");
	cr_assert_eq(r.status, DNSBL_TEMPERROR);
	cr_assert_neq(strlen(r.why), 0);
	cr_assert_eq(bl("2001:db8::1").status, DNSBL_FAIL, "RFC 5782 2.4 nibble names");
	cr_assert_str_eq(dnsbl_status_name(DNSBL_TEMPERROR), "temperror");
}

Test(dnsbl, health)
{
	struct error err = {0};
	cr_assert(!dnsbl_check_health(tdns.res, "bl.example", &tdns.arena, &err));
	cr_assert(strstr(err.msg, "does not contain required test address 127.0.0.2"), "%s",
		  err.msg);
	tdns_add("2.0.0.127.bl.example A 127.0.0.2\n");
	cr_assert(dnsbl_check_health(tdns.res, "bl.example", &tdns.arena, &err), "%s", err.msg);
	tdns_add("1.0.0.127.bl.example A 127.0.0.2\n");
	cr_assert(!dnsbl_check_health(tdns.res, "bl.example", &tdns.arena, &err));
	cr_assert(strstr(err.msg, "unwanted test address 127.0.0.1"), "%s", err.msg);
	cr_assert(dns_mock_fail(tdns.mock, "down.example", 0, DNS_TEMPFAIL, &err));
	cr_assert(dns_mock_fail(tdns.mock, "2.0.0.127.down.example", 0, DNS_TEMPFAIL, &err));
	cr_assert(!dnsbl_check_health(tdns.res, "down.example", &tdns.arena, &err));
	cr_assert_eq(err.kind, ERR_TEMPORARY, "%s", err.msg);
}
