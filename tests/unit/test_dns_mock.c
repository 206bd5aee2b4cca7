/* The resolver front end (names, batches, merged IP lookups), the wire rdata
 * parser and the mock resolver. The libunbound resolver is tested against a
 * real DNS server in tests/integration/test_dns.py. */
#include "dns/dns.h"
#include "dns/mock.h"
#include "test_dns_helpers.h"
#include "dns/rdata.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static const char *norm(const char *name)
{
	static char out[DNS_TEXT_NAME_MAX];
	struct error err = {0};
	if (!dns_name_normalize(name, out, &err))
		return NULL;
	return out;
}

Test(dns_name, normalize)
{
	cr_assert_str_eq(norm("Example.ORG."), "example.org");
	cr_assert_str_eq(norm("_25._tcp.MX.example"), "_25._tcp.mx.example");
	cr_assert_str_eq(norm("Bücher.example"), "xn--bcher-kva.example");
	cr_assert_str_eq(norm("xn--bcher-kva.example."), "xn--bcher-kva.example");
	cr_assert_str_eq(norm("."), ".");
	/* Legal in DNS, no host name: looked up as given, escaped. */
	cr_assert_str_eq(norm("A+b.example"), "a\\043b.example");
	cr_assert_str_eq(norm("-x-.example"), "-x-.example");
	cr_assert_str_eq(norm("1.2.3.4"), "1.2.3.4");
	/* Names from results (\DDD escapes) look up as themselves. */
	cr_assert_str_eq(norm("a\\046b\\032c.example"), "a\\046b\\032c.example");
	cr_assert_str_eq(norm("a\\b.example"), "a\\092b.example");
	cr_assert_null(norm("a\\999.example"));
	cr_assert_null(norm(""));
	cr_assert_null(norm("a..example"));
	cr_assert_null(norm("a b.example"));
	cr_assert_null(norm("a\tb"));
	char label[70];
	memset(label, 'a', 64);
	strcpy(label + 64, ".x");
	cr_assert_null(norm(label));
	struct error err = {0};
	char out[DNS_TEXT_NAME_MAX];
	cr_assert(!dns_name_normalize("\xff.example", out, &err));
	cr_assert(strstr(err.msg, "UTF-8"), "%s", err.msg);
	/* 4 * 63 + 3 dots = 255 > 253 text octets. */
	char longname[300] = "";
	for (int i = 0; i < 4; i++) {
		strncat(longname, label, 63);
		strcat(longname, ".");
	}
	cr_assert_null(norm(longname));
}

Test(dns_name, types_and_statuses)
{
	enum dns_type t;
	cr_assert(dns_type_parse("tlsa", &t));
	cr_assert_eq(t, DNS_TYPE_TLSA);
	cr_assert(!dns_type_parse("SOA", &t));
	cr_assert_str_eq(dns_type_name(DNS_TYPE_AAAA), "AAAA");
	cr_assert_str_eq(dns_status_name(DNS_NXDOMAIN), "nxdomain");
}

TestSuite(dns_mock, .init = tdns_setup, .fini = tdns_teardown);

Test(dns_mock, statuses)
{
	tdns_add("example.org MX 10 mx.example.org\n"
		 "mx.example.org 60 A 192.0.2.1\n"
		 "mx.example.org AAAA 2001:db8::1\n"
		 "deep.sub.example.org TXT hello\n");
	struct dns_result r;
	cr_assert_eq(dns_lookup(tdns.res, "EXAMPLE.org.", DNS_TYPE_MX, &tdns.arena, &r), DNS_OK);
	cr_assert_eq(r.count, 1);
	cr_assert_eq(r.records[0].mx.preference, 10);
	cr_assert_str_eq(r.records[0].mx.host, "mx.example.org");
	cr_assert_str_eq(r.name, "example.org");
	cr_assert_str_eq(r.canonical, "example.org");
	cr_assert_str_eq(r.why, "");
	cr_assert_eq(r.ttl, DNS_MOCK_TTL);
	cr_assert(!r.authenticated);

	cr_assert_eq(dns_lookup(tdns.res, "mx.example.org", DNS_TYPE_A, &tdns.arena, &r), DNS_OK);
	cr_assert_eq(r.ttl, 60);
	cr_assert_eq(r.records[0].ip.family, IP_V4);

	cr_assert_eq(dns_lookup(tdns.res, "example.org", DNS_TYPE_TXT, &tdns.arena, &r),
		     DNS_NODATA);
	cr_assert_eq(r.count, 0);
	/* RFC 8020: a name with names below it exists. */
	cr_assert_eq(dns_lookup(tdns.res, "sub.example.org", DNS_TYPE_A, &tdns.arena, &r),
		     DNS_NODATA);
	cr_assert_eq(dns_lookup(tdns.res, "nope.example.org", DNS_TYPE_A, &tdns.arena, &r),
		     DNS_NXDOMAIN);
	cr_assert_eq(dns_lookup(tdns.res, "a b", DNS_TYPE_A, &tdns.arena, &r), DNS_BADNAME);
	cr_assert_neq(strlen(r.why), 0);
	cr_assert_eq(dns_mock_queries(tdns.mock), 5, "bad names are not looked up");
}

Test(dns_mock, failures_and_authentication)
{
	struct error err = {0};
	tdns_add("signed.example A 192.0.2.2\n"
		 "www.signed.example CNAME plain.example\n"
		 "plain.example A 192.0.2.3\n"
		 "broken.example A 192.0.2.4\n");
	cr_assert(dns_mock_authenticate(tdns.mock, "signed.example", &err));
	cr_assert(dns_mock_fail(tdns.mock, "broken.example", 0, DNS_TEMPFAIL, &err));
	cr_assert(dns_mock_fail(tdns.mock, "plain.example", DNS_TYPE_TXT, DNS_BOGUS, &err));
	cr_assert(!dns_mock_fail(tdns.mock, "x.example", 0, DNS_OK, &err));

	struct dns_result r;
	cr_assert_eq(dns_lookup(tdns.res, "signed.example", DNS_TYPE_A, &tdns.arena, &r), DNS_OK);
	cr_assert(r.authenticated);
	cr_assert_eq(dns_lookup(tdns.res, "signed.example", DNS_TYPE_MX, &tdns.arena, &r),
		     DNS_NODATA);
	cr_assert(r.authenticated, "denial of existence is authenticated too");
	cr_assert_eq(dns_lookup(tdns.res, "nx.signed.example", DNS_TYPE_MX, &tdns.arena, &r),
		     DNS_NXDOMAIN);
	cr_assert(r.authenticated);
	/* A CNAME out of the signed zone: not authenticated as a whole. */
	cr_assert_eq(dns_lookup(tdns.res, "www.signed.example", DNS_TYPE_A, &tdns.arena, &r),
		     DNS_OK);
	cr_assert(!r.authenticated);
	cr_assert_str_eq(r.canonical, "plain.example");
	cr_assert_eq(dns_lookup(tdns.res, "broken.example", DNS_TYPE_A, &tdns.arena, &r),
		     DNS_TEMPFAIL);
	cr_assert_eq(r.count, 0);
	cr_assert_eq(r.ttl, 0);
	cr_assert(strstr(r.why, "tempfail"), "%s", r.why);
	cr_assert_eq(dns_lookup(tdns.res, "plain.example", DNS_TYPE_TXT, &tdns.arena, &r),
		     DNS_BOGUS);
	cr_assert(!r.authenticated);
	cr_assert_eq(dns_lookup(tdns.res, "plain.example", DNS_TYPE_A, &tdns.arena, &r), DNS_OK);
}

Test(dns_mock, cnames)
{
	tdns_add("a.example CNAME b.example\n"
		 "b.example 30 CNAME c.example\n"
		 "c.example TXT \"v=spf1\" \" -all\"\n"
		 "loop1.example CNAME loop2.example\n"
		 "loop2.example CNAME loop1.example\n"
		 "dangling.example CNAME nowhere.example\n");
	struct dns_result r;
	cr_assert_eq(dns_lookup(tdns.res, "a.example", DNS_TYPE_TXT, &tdns.arena, &r), DNS_OK);
	cr_assert_str_eq(r.canonical, "c.example");
	cr_assert_str_eq(r.records[0].txt.data, "v=spf1 -all");
	cr_assert_eq(r.ttl, 30, "smallest TTL on the chain");
	cr_assert_eq(dns_lookup(tdns.res, "a.example", DNS_TYPE_CNAME, &tdns.arena, &r), DNS_OK);
	cr_assert_str_eq(r.records[0].name, "b.example");
	cr_assert_eq(dns_lookup(tdns.res, "loop1.example", DNS_TYPE_A, &tdns.arena, &r),
		     DNS_TEMPFAIL);
	cr_assert(strstr(r.why, "CNAME"));
	cr_assert_eq(dns_lookup(tdns.res, "dangling.example", DNS_TYPE_A, &tdns.arena, &r),
		     DNS_NXDOMAIN);
	cr_assert_str_eq(r.canonical, "nowhere.example");
}

Test(dns_mock, record_forms)
{
	tdns_add("t.example TXT \"a\\\"b\\\\c\\010d\" \"\" \"e\"\n"
		 "u.example TXT unquoted text here\n"
		 "null.example MX 0 .\n"
		 "_443._tcp.t.example TLSA 3 1 1 0a0B ff\n"
		 "_imaps._tcp.t.example SRV 0 1 993 imap.t.example.\n"
		 "7.2.0.192.in-addr.arpa PTR Host.T.Example.\n"
		 "t.example NS ns1.t.example\n");
	struct dns_result r;
	cr_assert_eq(dns_lookup(tdns.res, "t.example", DNS_TYPE_TXT, &tdns.arena, &r), DNS_OK);
	cr_assert_eq(r.records[0].txt.len, 8);
	cr_assert_eq(memcmp(r.records[0].txt.data, "a\"b\\c\nde", 8), 0);
	cr_assert_eq(dns_lookup(tdns.res, "u.example", DNS_TYPE_TXT, &tdns.arena, &r), DNS_OK);
	cr_assert_str_eq(r.records[0].txt.data, "unquoted text here");
	cr_assert_eq(dns_lookup(tdns.res, "null.example", DNS_TYPE_MX, &tdns.arena, &r), DNS_OK);
	cr_assert_str_eq(r.records[0].mx.host, ".");
	cr_assert_eq(dns_lookup_tlsa(tdns.res, 443, "tcp", "t.example", &tdns.arena, &r), DNS_OK);
	const struct dns_tlsa *t = &r.records[0].tlsa;
	cr_assert_eq(t->usage, 3);
	cr_assert_eq(t->matching_type, 1);
	cr_assert_eq(t->len, 3);
	cr_assert_eq(memcmp(t->data, "\x0a\x0b\xff", 3), 0);
	cr_assert_eq(dns_lookup(tdns.res, "_imaps._tcp.t.example", DNS_TYPE_SRV, &tdns.arena, &r),
		     DNS_OK);
	cr_assert_eq(r.records[0].srv.port, 993);
	cr_assert_str_eq(r.records[0].srv.target, "imap.t.example");
	struct ip_addr ip;
	cr_assert(ip_parse_cstr("192.0.2.7", &ip, NULL));
	cr_assert_eq(dns_lookup_ptr(tdns.res, &ip, &tdns.arena, &r), DNS_OK);
	cr_assert_str_eq(r.records[0].name, "host.t.example");
	cr_assert_eq(dns_lookup(tdns.res, "t.example", DNS_TYPE_NS, &tdns.arena, &r), DNS_OK);

	/* A value with bytes no line can carry. */
	struct error err = {0};
	struct dns_record rec = {.type = DNS_TYPE_TXT, .ttl = 5, .txt = {"a\0b", 3}};
	cr_assert(dns_mock_add_record(tdns.mock, "bin.example", &rec, &err), "%s", err.msg);
	cr_assert_eq(dns_lookup(tdns.res, "bin.example", DNS_TYPE_TXT, &tdns.arena, &r), DNS_OK);
	cr_assert_eq(r.records[0].txt.len, 3);
	cr_assert_eq(memcmp(r.records[0].txt.data, "a\0b", 3), 0);
}

Test(dns_mock, bad_lines)
{
	struct error err = {0};
	const char *bad[] = {
	    "x.example",
	    "x.example FOO 1",
	    "x.example A 2001:db8::1",
	    "x.example AAAA 1.2.3.4",
	    "x.example MX x.example",
	    "x.example TXT \"open",
	    "x.example TXT \"a\" b",
	    "x.example TLSA 3 1 1 abc",
	    "x.example TLSA 3 1 256 ab",
	    "a..b A 1.2.3.4",
	    "x.example 99999999999 A 1.2.3.4",
	    "x.example CNAME a b",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert(!dns_mock_add(tdns.mock, bad[i], &err), "accepted: %s", bad[i]);
	cr_assert(
	    !dns_mock_add_zone(tdns.mock, "# comment\nok.example A 1.2.3.4\nbad A x\n", &err));
	cr_assert(strstr(err.msg, "line 3"), "%s", err.msg);
	/* The last line counts without its newline too. */
	cr_assert(!dns_mock_add_zone(tdns.mock, "ok.example A 1.2.3.4\nbad A x", &err));
	cr_assert(strstr(err.msg, "line 2"), "%s", err.msg);
	cr_assert(dns_mock_add_zone(tdns.mock, "last.example A 1.2.3.4", &err));
	struct dns_result r;
	cr_assert_eq(dns_lookup(tdns.res, "last.example", DNS_TYPE_A, &tdns.arena, &r), DNS_OK);
}

Test(dns_mock, idna_names)
{
	tdns_add("bücher.example A 192.0.2.9\n");
	struct dns_result r;
	cr_assert_eq(dns_lookup(tdns.res, "xn--bcher-kva.example", DNS_TYPE_A, &tdns.arena, &r),
		     DNS_OK);
	cr_assert_eq(dns_lookup(tdns.res, "BÜCHER.example", DNS_TYPE_A, &tdns.arena, &r), DNS_OK);
	cr_assert_str_eq(r.name, "xn--bcher-kva.example");
}

Test(dns_mock, ip_lookup_merges_families)
{
	tdns_add("both.example A 192.0.2.1\n"
		 "both.example AAAA 2001:db8::1\n"
		 "v6.example 20 AAAA 2001:db8::2\n"
		 "v6.example TXT x\n"
		 "half.example A 192.0.2.3\n"
		 "badv6.example A 192.0.2.4\n");
	struct error err = {0};
	cr_assert(dns_mock_fail(tdns.mock, "half.example", DNS_TYPE_AAAA, DNS_TEMPFAIL, &err));
	cr_assert(dns_mock_fail(tdns.mock, "badv6.example", DNS_TYPE_AAAA, DNS_BOGUS, &err));
	struct dns_result r;
	cr_assert_eq(dns_lookup_ip(tdns.res, "both.example", DNS_IP_BOTH, &tdns.arena, &r), DNS_OK);
	cr_assert_eq(r.count, 2);
	cr_assert_eq(r.records[0].ip.family, IP_V4);
	cr_assert_eq(r.records[1].ip.family, IP_V6);
	cr_assert_eq(dns_lookup_ip(tdns.res, "v6.example", DNS_IP_BOTH, &tdns.arena, &r), DNS_OK);
	cr_assert_eq(r.count, 1);
	cr_assert_eq(r.ttl, 20, "the empty family's negative TTL does not count");
	cr_assert_eq(dns_lookup_ip(tdns.res, "v6.example", DNS_IP_V4, &tdns.arena, &r), DNS_NODATA);
	cr_assert_eq(dns_lookup_ip(tdns.res, "half.example", DNS_IP_BOTH, &tdns.arena, &r),
		     DNS_TEMPFAIL);
	cr_assert_eq(r.count, 0);
	cr_assert_eq(dns_lookup_ip(tdns.res, "half.example", DNS_IP_V4, &tdns.arena, &r), DNS_OK);
	cr_assert_eq(dns_lookup_ip(tdns.res, "badv6.example", DNS_IP_BOTH, &tdns.arena, &r),
		     DNS_BOGUS);
	cr_assert_eq(dns_lookup_ip(tdns.res, "none.example", DNS_IP_BOTH, &tdns.arena, &r),
		     DNS_NXDOMAIN);
	cr_assert_eq(dns_lookup_ip(tdns.res, "v6.example.", DNS_IP_BOTH, &tdns.arena, &r), DNS_OK);
}

Test(dns_mock, batch)
{
	tdns_add("a.example A 192.0.2.1\n");
	struct dns_query qs[3] = {
	    {"a.example", DNS_TYPE_A}, {"bad name", DNS_TYPE_A}, {"b.example", DNS_TYPE_A}};
	struct dns_result rs[3];
	dns_lookup_many(tdns.res, qs, 3, 0, &tdns.arena, rs);
	cr_assert_eq(rs[0].status, DNS_OK);
	cr_assert_eq(rs[1].status, DNS_BADNAME);
	cr_assert_eq(rs[2].status, DNS_NXDOMAIN);
	cr_assert_str_eq(rs[2].name, "b.example");
}

Test(dns_mock, many_records_are_bounded)
{
	struct error err = {0};
	for (int i = 0; i < DNS_RECORDS_MAX + 10; i++) {
		char line[64];
		snprintf(line, sizeof line, "big.example A 10.0.%d.%d", i / 256, i % 256);
		cr_assert(dns_mock_add(tdns.mock, line, &err), "%s", err.msg);
	}
	struct dns_result r;
	cr_assert_eq(dns_lookup(tdns.res, "big.example", DNS_TYPE_A, &tdns.arena, &r), DNS_OK);
	cr_assert_eq(r.count, DNS_RECORDS_MAX);
	cr_assert(r.truncated);
}

static void *lookup_thread(void *arg)
{
	struct arena a;
	arena_init(&a, 4096);
	for (int i = 0; i < 2000; i++) {
		struct dns_result r;
		if (dns_lookup(tdns.res, "t.example", DNS_TYPE_A, &a, &r) != DNS_OK || r.count != 1)
			return (void *)1;
		if (i % 100 == 0)
			arena_free(&a), arena_init(&a, 4096);
	}
	arena_free(&a);
	return NULL;
}

Test(dns_mock, threads)
{
	tdns_add("t.example A 192.0.2.1\n");
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, lookup_thread, NULL);
	/* Adding while others read is allowed. */
	for (int i = 0; i < 100; i++) {
		char line[64];
		snprintf(line, sizeof line, "other%d.example A 192.0.2.2", i);
		cr_assert(dns_mock_add(tdns.mock, line, NULL));
	}
	for (int i = 0; i < 4; i++) {
		void *rv;
		pthread_join(th[i], &rv);
		cr_assert_null(rv);
	}
	cr_assert_eq(dns_mock_queries(tdns.mock), 8000);
}

/* ---- wire rdata ---- */

static bool rd(enum dns_type t, const char *bytes, size_t len, struct dns_record *rec)
{
	struct error err = {0};
	return dns_rdata_parse(t, (const uint8_t *)bytes, len, 7, &tdns.arena, rec, &err);
}

TestSuite(dns_rdata, .init = tdns_setup, .fini = tdns_teardown);

Test(dns_rdata, types)
{
	struct dns_record rec;
	cr_assert(rd(DNS_TYPE_A, "\xc0\x00\x02\x01", 4, &rec));
	cr_assert_eq(rec.ip.family, IP_V4);
	cr_assert_eq(rec.ttl, 7);
	cr_assert(!rd(DNS_TYPE_A, "\xc0\x00\x02", 3, &rec));
	cr_assert(rd(DNS_TYPE_AAAA, "\0\0\0\0\0\0\0\0\0\0\xff\xff\x01\x02\x03\x04", 16, &rec));
	cr_assert_eq(rec.ip.family, IP_V6, "a v4-mapped AAAA stays what DNS said");
	cr_assert(rd(DNS_TYPE_MX,
		     "\x00\x0a\x02mx\x07"
		     "Example\x03org\x00",
		     18, &rec));
	cr_assert_eq(rec.mx.preference, 10);
	cr_assert_str_eq(rec.mx.host, "mx.example.org");
	cr_assert(rd(DNS_TYPE_MX, "\x00\x00\x00", 3, &rec));
	cr_assert_str_eq(rec.mx.host, ".");
	cr_assert(!rd(DNS_TYPE_MX, "\x00\x0a\x02mx\x00\x00", 7, &rec), "trailing byte");
	cr_assert(!rd(DNS_TYPE_MX, "\x00\x0a\x05mx\x00", 6, &rec), "label past the end");
	cr_assert(!rd(DNS_TYPE_MX, "\x00\x0a\xc0\x0c", 4, &rec), "compression pointer");
	cr_assert(rd(DNS_TYPE_PTR,
		     "\x03"
		     "a.b\x01-\x03x y\x00",
		     11, &rec));
	cr_assert_str_eq(rec.name, "a\\046b.-.x\\032y");
	cr_assert(rd(DNS_TYPE_TXT,
		     "\x03"
		     "abc\x00\x02"
		     "de",
		     8, &rec));
	cr_assert_eq(rec.txt.len, 5);
	cr_assert_str_eq(rec.txt.data, "abcde");
	cr_assert(!rd(DNS_TYPE_TXT,
		      "\x04"
		      "abc",
		      4, &rec));
	cr_assert(!rd(DNS_TYPE_TXT, "", 0, &rec));
	cr_assert(rd(DNS_TYPE_TLSA, "\x03\x01\x01\xab\xcd", 5, &rec));
	cr_assert_eq(rec.tlsa.len, 2);
	cr_assert_eq(rec.tlsa.data[1], 0xcd);
	cr_assert(!rd(DNS_TYPE_TLSA, "\x03\x01", 2, &rec));
	cr_assert(rd(DNS_TYPE_SRV, "\x00\x01\x00\x02\x01\xbb\x01x\x00", 9, &rec));
	cr_assert_eq(rec.srv.port, 443);
	cr_assert_str_eq(rec.srv.target, "x");
	cr_assert(!rd((enum dns_type)99, "x", 1, &rec));
}

Test(dns_rdata, long_names)
{
	/* 255 octets is the most a name may have on the wire. */
	uint8_t wire[300];
	size_t n = 0;
	for (int i = 0; i < 4; i++) {
		size_t l = i < 3 ? 63 : 61;
		wire[n++] = (uint8_t)l;
		memset(wire + n, 'a', l);
		n += l;
	}
	wire[n++] = 0;
	cr_assert_eq(n, 255);
	struct dns_record rec;
	cr_assert(rd(DNS_TYPE_CNAME, (const char *)wire, n, &rec));
	/* 63, 63, 63, 62: 256 octets. */
	n = 0;
	for (int i = 0; i < 4; i++) {
		size_t l = i < 3 ? 63 : 62;
		wire[n++] = (uint8_t)l;
		memset(wire + n, 'a', l);
		n += l;
	}
	wire[n++] = 0;
	cr_assert(!rd(DNS_TYPE_CNAME, (const char *)wire, n, &rec));
}
