/*
 * Fuzzes dns_domain_parse and dns_pattern_parse with arbitrary bytes. The first
 * byte picks the parse flags and whether to parse a pattern. Beyond "no crash",
 * it checks that a parsed name is canonical: both forms parse back to the same
 * value, the ASCII form obeys the length and character rules, and the parent
 * and subdomain helpers agree with each other. A violation aborts.
 */
#include "base/dnsname.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(bool cond, const char *what, const struct dns_domain *d)
{
	if (cond)
		return;
	fprintf(stderr, "invariant violated: %s (ascii=%s unicode=%s)\n", what, d->ascii,
		d->unicode);
	abort();
}

static void check_ascii_form(const struct dns_domain *d, unsigned flags)
{
	size_t n = strlen(d->ascii), label = 0;
	require(n > 0 && n <= DNS_NAME_MAX, "ascii length", d);
	for (size_t i = 0; i < n; i++) {
		char c = d->ascii[i];
		if (c == '.') {
			require(label > 0, "empty label", d);
			label = 0;
			continue;
		}
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			  (c == '_' && (flags & DNS_ALLOW_UNDERSCORE));
		require(ok, "ascii character", d);
		require(++label <= DNS_LABEL_MAX, "label length", d);
	}
	require(label > 0, "empty last label", d);
}

static void check_reparse(const struct dns_domain *d, unsigned flags)
{
	struct dns_domain again;
	struct error err;
	require(dns_domain_parse_cstr(d->ascii, flags, &again, &err), "ascii form parses", d);
	require(strcmp(again.ascii, d->ascii) == 0 && strcmp(again.unicode, d->unicode) == 0,
		"ascii form round-trips", d);
	require(dns_domain_parse_cstr(d->unicode, flags, &again, &err), "unicode form parses", d);
	require(strcmp(again.ascii, d->ascii) == 0 && strcmp(again.unicode, d->unicode) == 0,
		"unicode form round-trips", d);
}

static void check_relations(const struct dns_domain *d)
{
	require(dns_domain_within(d, d) && !dns_domain_is_subdomain(d, d), "self relation", d);
	struct dns_domain parent;
	if (!dns_domain_parent(d, &parent)) {
		require(dns_domain_labels(d) == 1, "single label has no parent", d);
		return;
	}
	require(dns_domain_labels(&parent) == dns_domain_labels(d) - 1, "parent label count", d);
	require(dns_domain_is_subdomain(d, &parent) && dns_domain_within(d, &parent),
		"below parent", d);
	require(!dns_domain_within(&parent, d), "parent not below child", d);
	require(dns_domain_is_idn(&parent) <= dns_domain_is_idn(d), "parent idn", d);
}

static void check_pattern(const struct dns_pattern *p, unsigned flags)
{
	check_ascii_form(&p->base, flags);
	if (!p->wildcard) {
		require(dns_pattern_match(p, &p->base), "plain pattern matches itself", &p->base);
		return;
	}
	require(!dns_pattern_match(p, &p->base), "wildcard needs a label", &p->base);
	char name[DNS_NAME_MAX + 8];
	snprintf(name, sizeof name, "x.%s", p->base.ascii);
	struct dns_domain d;
	if (strlen(name) <= DNS_NAME_MAX &&
	    dns_domain_parse_cstr(name, flags & ~(unsigned)DNS_ALLOW_TRAILING_DOT, &d, NULL))
		require(dns_pattern_match(p, &d), "wildcard matches one label", &d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	unsigned flags = data[0] & (DNS_ALLOW_UNDERSCORE | DNS_ALLOW_TRAILING_DOT);
	struct str in = str_make((const char *)data + 1, size - 1);
	struct error err;
	if (data[0] & 0x80) {
		struct dns_pattern p;
		if (dns_pattern_parse(in, flags, &p, &err))
			check_pattern(&p, flags);
		return 0;
	}
	struct dns_domain d;
	if (!dns_domain_parse(in, flags, &d, &err)) {
		require(d.ascii[0] == '\0' && d.unicode[0] == '\0', "failure leaves zero", &d);
		require(err.msg[0] != '\0', "failure has a message", &d);
		return 0;
	}
	check_ascii_form(&d, flags);
	check_reparse(&d, flags);
	check_relations(&d);
	return 0;
}
