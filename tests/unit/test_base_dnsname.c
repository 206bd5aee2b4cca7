#include "base/dnsname.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static struct dns_domain parse_ok(const char *s, unsigned flags)
{
	struct dns_domain d;
	struct error err = {0};
	cr_assert(dns_domain_parse_cstr(s, flags, &d, &err), "parse %s: %s", s, err.msg);
	return d;
}

/* Asserts that s is refused with a message containing want. */
static void parse_bad(const char *s, unsigned flags, const char *want)
{
	struct dns_domain d;
	struct error err = {0};
	cr_assert(!dns_domain_parse_cstr(s, flags, &d, &err), "parse %s succeeded: %s", s, d.ascii);
	cr_assert(strstr(err.msg, want), "parse %s: error %s, want %s", s, err.msg, want);
	cr_assert_str_eq(d.ascii, "", "failed parse leaves a zero domain");
	cr_assert_str_eq(d.unicode, "");
}

static void check_forms(const char *in, unsigned flags, const char *ascii, const char *unicode)
{
	struct dns_domain d = parse_ok(in, flags);
	cr_assert_str_eq(d.ascii, ascii, "ascii of %s", in);
	cr_assert_str_eq(d.unicode, unicode, "unicode of %s", in);
	/* Both forms are canonical: parsing either gives the same value. */
	struct dns_domain a = parse_ok(d.ascii, flags), u = parse_ok(d.unicode, flags);
	cr_assert_str_eq(a.ascii, ascii);
	cr_assert_str_eq(a.unicode, unicode);
	cr_assert_str_eq(u.ascii, ascii);
	cr_assert_str_eq(u.unicode, unicode);
}

static char *repeat(char *dst, char c, size_t n)
{
	memset(dst, c, n);
	dst[n] = '\0';
	return dst;
}

Test(dnsname, ascii_names_are_lower_cased)
{
	check_forms("example.com", 0, "example.com", "example.com");
	check_forms("Mail.EXAMPLE.Com", 0, "mail.example.com", "mail.example.com");
	check_forms("localhost", 0, "localhost", "localhost");
	check_forms("3com.example", 0, "3com.example", "3com.example");
	check_forms("a-b.c-d.example", 0, "a-b.c-d.example", "a-b.c-d.example");
	struct dns_domain d = parse_ok("Example.com", 0);
	cr_assert(!dns_domain_is_idn(&d));
}

Test(dnsname, idna_unicode_and_alabel_forms)
{
	check_forms("bücher.example", 0, "xn--bcher-kva.example", "bücher.example");
	check_forms("xn--bcher-kva.example", 0, "xn--bcher-kva.example", "bücher.example");
	check_forms("XN--BCHER-KVA.EXAMPLE", 0, "xn--bcher-kva.example", "bücher.example");
	check_forms("BÜCHER.Example", 0, "xn--bcher-kva.example", "bücher.example");
	check_forms("mail.BüCHER.example", 0, "mail.xn--bcher-kva.example", "mail.bücher.example");
	check_forms("münchen.xn--bcher-kva.de", 0, "xn--mnchen-3ya.xn--bcher-kva.de",
		    "münchen.bücher.de");
	check_forms("ουτοπία.δπθ.gr", 0, "xn--kxae4bafwg.xn--pxaix.gr", "ουτοπία.δπθ.gr");
	struct dns_domain d = parse_ok("bücher.example", 0);
	cr_assert(dns_domain_is_idn(&d));
}

Test(dnsname, idna_nontransitional_and_mapping)
{
	/* Non-transitional: ß is kept, not mapped to "ss". */
	check_forms("straße.de", 0, "xn--strae-oqa.de", "straße.de");
	/* NFD input is normalised: e + combining acute is é. */
	check_forms("caf\x65\xcc\x81.example", 0, "xn--caf-dma.example", "café.example");
	/* Fullwidth letters map to ASCII; ideographic full stop separates labels. */
	check_forms("ｅｘａｍｐｌｅ。com", 0, "example.com", "example.com");
	/* A soft hyphen is mapped away. */
	check_forms("ex\xc2\xad"
		    "ample.com",
		    0, "example.com", "example.com");
}

Test(dnsname, invalid_idna)
{
	parse_bad("xn--zz.example", 0, "invalid A-label");
	/* Decodes to U+0080, which IDNA2008 disallows. */
	parse_bad("xn--a.example", 0, "invalid A-label");
	/* "xn--ber-goa" is "über"; an A-label whose U-label is upper case does not round-trip. */
	parse_bad("xn--ber-ska.de", 0, "invalid A-label");
	/* Heart symbol: valid punycode, disallowed by IDNA2008. */
	parse_bad("xn--i-7iq.ws", 0, "invalid A-label");
	parse_bad("i\xe2\x9d\xa4.ws", 0, "invalid IDNA");
	/* Leading combining mark. */
	parse_bad("\xcc\x81"
		  "a.example",
		  0, "invalid IDNA");
	/* U-labels may not have "--" in positions 3 and 4 (RFC 5891 4.2.3.1). */
	parse_bad("ab--ü.example", 0, "invalid IDNA");
	parse_bad("-ü.example", 0, "invalid IDNA");
	/* Fake A-labels: punycode of plain ASCII ends in a hyphen; "xn--" alone is empty. */
	parse_bad("xn--abc-.example", DNS_ALLOW_UNDERSCORE, "ends with a hyphen");
	parse_bad("xn--.example", 0, "ends with a hyphen");
	parse_bad("xn--0.example", 0, "invalid A-label");
}

Test(dnsname, ascii_rules)
{
	parse_bad("", 0, "empty name");
	parse_bad("a..example", 0, "empty label");
	parse_bad(".example", 0, "empty label");
	parse_bad("-a.example", 0, "label starts with a hyphen");
	parse_bad("a-.example", 0, "label ends with a hyphen");
	parse_bad("a b.example", 0, "invalid character 0x20");
	parse_bad("a*b.example", 0, "invalid character '*'");
	parse_bad("a\tb.example", 0, "invalid character 0x09");
	parse_bad("a/b", 0, "invalid character '/'");
	/* R-LDH labels other than xn-- occur in the DNS and are accepted. */
	check_forms("r3---sn-abc.example", 0, "r3---sn-abc.example", "r3---sn-abc.example");
}

Test(dnsname, underscore_only_with_flag)
{
	parse_bad("a_b.example", 0, "underscore not allowed");
	parse_bad("_dmarc.example", 0, "underscore not allowed");
	check_forms("a_b.example", DNS_ALLOW_UNDERSCORE, "a_b.example", "a_b.example");
	check_forms("_dmarc.Example.com", DNS_LOOKUP_NAME, "_dmarc.example.com",
		    "_dmarc.example.com");
	check_forms("_25._tcp.mx.example", DNS_LOOKUP_NAME, "_25._tcp.mx.example",
		    "_25._tcp.mx.example");
	check_forms("_dmarc.bücher.example", DNS_LOOKUP_NAME, "_dmarc.xn--bcher-kva.example",
		    "_dmarc.bücher.example");
	/* An underscore inside a U-label is not IDNA2008. */
	parse_bad("_ü.example", DNS_ALLOW_UNDERSCORE, "invalid A-label");
}

Test(dnsname, trailing_dot)
{
	parse_bad("example.com.", 0, "trailing dot");
	parse_bad("bücher.example.", 0, "trailing dot");
	check_forms("example.com.", DNS_ALLOW_TRAILING_DOT, "example.com", "example.com");
	check_forms("bücher.example。", DNS_ALLOW_TRAILING_DOT, "xn--bcher-kva.example",
		    "bücher.example");
	parse_bad(".", DNS_ALLOW_TRAILING_DOT, "empty name");
	parse_bad("example..", DNS_ALLOW_TRAILING_DOT, "empty label");
}

Test(dnsname, lengths)
{
	char label[100], name[400];
	/* 63 octets is the maximum label. */
	repeat(label, 'a', 63);
	snprintf(name, sizeof name, "%s.example", label);
	parse_ok(name, 0);
	repeat(label, 'a', 64);
	snprintf(name, sizeof name, "%s.example", label);
	parse_bad(name, 0, "label longer than 63 octets");
	/* 253 octets is the maximum name: 4 labels of 63 and one of 1. */
	char l63[64];
	repeat(l63, 'b', 63);
	snprintf(name, sizeof name, "%s.%s.%s.a%s", l63, l63, l63,
		 "12345678901234567890123456789012345678901234567890123456789a");
	cr_assert_eq(strlen(name), 253);
	struct dns_domain d = parse_ok(name, 0);
	cr_assert_eq(strlen(d.ascii), 253);
	snprintf(name, sizeof name, "%s.%s.%s.ab%s", l63, l63, l63,
		 "12345678901234567890123456789012345678901234567890123456789a");
	cr_assert_eq(strlen(name), 254);
	parse_bad(name, 0, "name longer than 253 octets");
	snprintf(name, sizeof name, "%s.%s.%s.ab%s.", l63, l63, l63,
		 "12345678901234567890123456789012345678901234567890123456789a");
	parse_bad(name, DNS_ALLOW_TRAILING_DOT, "name longer than 253 octets");
	/* A U-label whose A-label is too long. */
	char big[400] = "";
	for (int i = 0; i < 64; i++)
		strcat(big, "ü");
	strcat(big, ".example");
	parse_bad(big, 0, "label longer than 63 octets");
	/* Input beyond the byte limit is refused before any work. */
	char huge[DNS_INPUT_MAX + 10];
	repeat(huge, 'a', DNS_INPUT_MAX + 1);
	parse_bad(huge, 0, "longer than 1024 bytes");
}

Test(dnsname, ip_addresses_are_not_domains)
{
	parse_bad("1.2.3.4", 0, "IP address is not a domain name");
	parse_bad("::1", 0, "IP address is not a domain name");
	parse_bad("2001:db8::1", 0, "IP address is not a domain name");
	parse_bad("[1.2.3.4]", 0, "address literal");
	parse_bad("1.2.3", 0, "all digits");
	parse_bad("1.2.3.4.", DNS_ALLOW_TRAILING_DOT, "all digits");
	parse_bad("example.123", 0, "all digits");
	parse_ok("4.3.2.1.in-addr.arpa", DNS_LOOKUP_NAME);
	parse_ok("123.example", 0);
}

Test(dnsname, invalid_utf8_and_nul)
{
	parse_bad("b\xfc"
		  "cher.example",
		  0, "invalid UTF-8");
	parse_bad("\xc0\xae"
		  "example",
		  0, "invalid UTF-8");
	parse_bad("\xed\xa0\x80.example", 0, "invalid UTF-8");
	parse_bad("a.example\xc3", 0, "invalid UTF-8");
	struct dns_domain d;
	struct error err;
	cr_assert(!dns_domain_parse(str_make("a\0b.example", 11), 0, &d, &err));
	cr_assert(strstr(err.msg, "NUL byte"), "%s", err.msg);
}

Test(dnsname, equality_and_subdomains)
{
	struct dns_domain a = parse_ok("Mail.Example.com", 0), b = parse_ok("mail.example.COM", 0);
	struct dns_domain ex = parse_ok("example.com", 0), other = parse_ok("ample.com", 0);
	struct dns_domain idn = parse_ok("bücher.example", 0),
			  sub = parse_ok("a.xn--bcher-kva.example", 0);
	cr_assert(dns_domain_eq(&a, &b));
	cr_assert(!dns_domain_eq(&a, &ex));
	cr_assert(dns_domain_within(&a, &ex));
	cr_assert(dns_domain_is_subdomain(&a, &ex));
	cr_assert(dns_domain_within(&ex, &ex));
	cr_assert(!dns_domain_is_subdomain(&ex, &ex));
	cr_assert(!dns_domain_within(&ex, &a));
	/* "example.com" ends in "ample.com" but is not below it. */
	cr_assert(!dns_domain_within(&ex, &other));
	cr_assert(dns_domain_is_subdomain(&sub, &idn));
	struct dns_domain zero = {0};
	cr_assert(!dns_domain_within(&ex, &zero));
	cr_assert(!dns_domain_is_subdomain(&ex, &zero));
}

Test(dnsname, parent_and_labels)
{
	struct dns_domain d = parse_ok("a.bücher.example", 0), p;
	cr_assert_eq(dns_domain_labels(&d), 3);
	cr_assert(dns_domain_parent(&d, &p));
	cr_assert_str_eq(p.ascii, "xn--bcher-kva.example");
	cr_assert_str_eq(p.unicode, "bücher.example");
	cr_assert(dns_domain_parent(&p, &p), "out may be the input");
	cr_assert_str_eq(p.ascii, "example");
	cr_assert_str_eq(p.unicode, "example");
	cr_assert_eq(dns_domain_labels(&p), 1);
	cr_assert(!dns_domain_parent(&p, &p));
	cr_assert_str_eq(p.ascii, "");
	cr_assert_eq(dns_domain_labels(&p), 0);
}

static struct dns_pattern pattern_ok(const char *s)
{
	struct dns_pattern p;
	struct error err = {0};
	cr_assert(dns_pattern_parse(str_from(s), 0, &p, &err), "pattern %s: %s", s, err.msg);
	return p;
}

static bool matches(const struct dns_pattern *p, const char *name)
{
	struct dns_domain d = parse_ok(name, 0);
	return dns_pattern_match(p, &d);
}

Test(dnsname, wildcard_patterns)
{
	struct dns_pattern w = pattern_ok("*.Example.com");
	cr_assert(w.wildcard);
	cr_assert_str_eq(w.base.ascii, "example.com");
	cr_assert(matches(&w, "mx.example.com"));
	cr_assert(matches(&w, "MX1.example.COM"));
	cr_assert(!matches(&w, "example.com"), "the wildcard is one label, not zero");
	cr_assert(!matches(&w, "a.mx.example.com"), "the wildcard is one label, not two");
	cr_assert(!matches(&w, "mx.example.net"));
	cr_assert(!matches(&w, "mxexample.com"));

	struct dns_pattern plain = pattern_ok("mx.example.com");
	cr_assert(!plain.wildcard);
	cr_assert(matches(&plain, "MX.example.com"));
	cr_assert(!matches(&plain, "a.mx.example.com"));

	struct dns_pattern idn = pattern_ok("*.bücher.example");
	cr_assert(matches(&idn, "mx.xn--bcher-kva.example"));
	cr_assert(matches(&idn, "xn--mnchen-3ya.bücher.example"));

	struct dns_pattern p;
	struct error err;
	cr_assert(!dns_pattern_parse(STR_LIT("*"), 0, &p, &err));
	cr_assert(!dns_pattern_parse(STR_LIT("*."), 0, &p, &err));
	cr_assert(!dns_pattern_parse(STR_LIT("mx*.example.com"), 0, &p, &err));
	cr_assert(strstr(err.msg, "wildcard"), "%s", err.msg);
	cr_assert(!dns_pattern_parse(STR_LIT("a.*.example.com"), 0, &p, &err));
	cr_assert(!dns_pattern_parse(STR_LIT("*.*.example.com"), 0, &p, &err));
	cr_assert(!p.wildcard);
	struct dns_pattern zero = {0};
	struct dns_domain d = parse_ok("example.com", 0);
	cr_assert(!dns_pattern_match(&zero, &d));
}
