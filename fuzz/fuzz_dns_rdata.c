/*
 * Fuzzes dns_rdata_parse, which turns record data from DNS answers into typed
 * records. The first byte picks the record type; the rest is the record data.
 * Beyond "no crash": names come out in the text form dns.h promises (lower
 * case letters, digits, '-', '_', '.', \DDD escapes; "." alone for the root)
 * which dns_name_normalize maps to itself,
 * TXT data is never longer than its input, and TLSA data is exact. With the
 * first byte's top bit set, the rest is a mock record line instead
 * (dns_mock_add), whose lookups must answer. A violation aborts.
 */
#include "dns/mock.h"
#include "dns/rdata.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum dns_type types[] = {DNS_TYPE_A,    DNS_TYPE_NS,  DNS_TYPE_CNAME,
				      DNS_TYPE_PTR,  DNS_TYPE_MX,  DNS_TYPE_TXT,
				      DNS_TYPE_AAAA, DNS_TYPE_SRV, DNS_TYPE_TLSA};

static void require(bool cond, const char *what)
{
	if (cond)
		return;
	fprintf(stderr, "invariant violated: %s\n", what);
	abort();
}

static void check_name(const char *name)
{
	size_t n = strlen(name);
	require(n > 0 && n < DNS_TEXT_NAME_MAX, "name length");
	if (strcmp(name, ".") == 0)
		return;
	require(name[0] != '.' && name[n - 1] != '.', "no leading or trailing dot");
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (c == '\\') {
			require(i + 3 < n && name[i + 1] >= '0' && name[i + 1] <= '2',
				"escape is \\DDD");
			i += 3;
			continue;
		}
		require((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
			    c == '.',
			"plain name character");
		require(c != '.' || name[i + 1] != '.', "no empty label");
	}
	/* dns.h: every name from a result can be looked up again as it is. */
	char again[DNS_TEXT_NAME_MAX];
	struct error err;
	require(dns_name_normalize(name, again, &err), "result name normalizes");
	require(strcmp(again, name) == 0, "result name normalizes to itself");
}

static void fuzz_rdata(enum dns_type type, const uint8_t *p, size_t len)
{
	struct arena a;
	arena_init(&a, 1024);
	struct dns_record rec;
	struct error err;
	if (dns_rdata_parse(type, p, len, 1, &a, &rec, &err)) {
		require(rec.type == type, "type kept");
		switch (type) {
		case DNS_TYPE_NS:
		case DNS_TYPE_CNAME:
		case DNS_TYPE_PTR: check_name(rec.name); break;
		case DNS_TYPE_MX: check_name(rec.mx.host); break;
		case DNS_TYPE_SRV: check_name(rec.srv.target); break;
		case DNS_TYPE_TXT:
			require(rec.txt.len < len && rec.txt.data[rec.txt.len] == '\0',
				"TXT bounds");
			break;
		case DNS_TYPE_TLSA: require(rec.tlsa.len == len - 3, "TLSA length"); break;
		default: require(rec.ip.family != IP_NONE, "address family"); break;
		}
	} else {
		require(err.msg[0] != '\0', "failure has a message");
	}
	arena_free(&a);
}

static void fuzz_mock_line(const uint8_t *p, size_t len)
{
	char *line = malloc(len + 1);
	memcpy(line, p, len);
	line[len] = '\0';
	struct dns_mock *m = dns_mock_new();
	struct error err;
	if (dns_mock_add_zone(m, line, &err)) {
		struct arena a;
		arena_init(&a, 1024);
		struct dns_result r;
		char *space = strchr(line, ' ');
		if (space)
			*space = '\0';
		for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
			dns_lookup(dns_mock_resolver(m), line, types[i], &a, &r);
			require(r.status != DNS_TEMPFAIL || r.why[0] != '\0', "failure says why");
		}
		arena_free(&a);
	}
	dns_resolver_free(dns_mock_resolver(m));
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 0x80)
		fuzz_mock_line(data + 1, size - 1);
	else
		fuzz_rdata(types[data[0] % (sizeof types / sizeof types[0])], data + 1, size - 1);
	return 0;
}
