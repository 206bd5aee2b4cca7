/*
 * dnsname: domain names as tern compares, stores and prints them.
 *
 * A struct dns_domain holds one name in two forms: `ascii`, lower-case with
 * internationalized labels as A-labels ("xn--bcher-kva.example"), which is what
 * goes into DNS queries, SMTP without SMTPUTF8 and every comparison; and
 * `unicode`, the U-label form ("bücher.example", NFC, lower-case) for display
 * and SMTPUTF8, equal to `ascii` when no label is internationalized. Both are
 * NUL-terminated arrays inside the struct: a domain is a plain value, copied
 * with `=`, owning nothing, safe to share between threads once written. The
 * all-zero struct (empty strings) means "no domain"; parsing never produces it.
 *
 * dns_domain_parse accepts what people and peers write: ASCII or Unicode, any
 * case, A-labels or U-labels, mixed. Unicode labels go through IDNA2008 with
 * the UTS #46 non-transitional mapping (libidn2), and every A-label, given or
 * produced, must decode and encode back to itself, so both forms are canonical
 * and parsing either form again yields the same value. Plain ASCII labels are
 * checked by tern itself (letters, digits, hyphen; RFC 5321 4.1.2), so the
 * rules and messages are the same whatever the input looked like.
 *
 * Refused, with a message naming the problem: empty names and labels, labels
 * over 63 octets, names over 253 octets in ASCII form, hyphens at a label's
 * start or end, characters outside letters/digits/hyphen in ASCII labels
 * (underscore only with DNS_ALLOW_UNDERSCORE), a trailing dot (accepted and
 * dropped with DNS_ALLOW_TRAILING_DOT), invalid UTF-8 or NUL bytes, input over
 * DNS_INPUT_MAX bytes, and IP addresses or anything whose last label is all
 * digits (RFC 3696 2). Parsing is bounded, safe on arbitrary bytes, and
 * thread-safe (no global state; libidn2 is used without its locale functions).
 */
#ifndef TERN_BASE_DNSNAME_H
#define TERN_BASE_DNSNAME_H

#include "base/error.h"
#include "base/str.h"

#include <stdbool.h>

/* RFC 1035 2.3.4: 63 octets per label, 255 on the wire, so 253 in text form. */
#define DNS_LABEL_MAX 63
#define DNS_NAME_MAX  253
/* A U-label spends at least one A-label octet per code point of at most 4 UTF-8
 * octets, so the Unicode form is at most 4 times as long as the ASCII form. */
#define DNS_UNICODE_MAX (4 * DNS_NAME_MAX)
/* Longest input considered; Unicode input may shrink under mapping. */
#define DNS_INPUT_MAX 1024

struct dns_domain {
	char ascii[DNS_NAME_MAX + 1];
	char unicode[DNS_UNICODE_MAX + 1];
};

enum dns_parse_flags {
	/* Allow "_" in labels: names looked up in DNS such as "_dmarc.example" or
	 * "_25._tcp.mx.example" (RFC 8552). Host names and mail domains never
	 * have them (RFC 5321 4.1.2). */
	DNS_ALLOW_UNDERSCORE = 1 << 0,
	/* Accept one trailing dot (an absolute name, as in zone files) and drop it. */
	DNS_ALLOW_TRAILING_DOT = 1 << 1,
};

/* Flags for names used in DNS lookups; mail domains and host names use 0. */
#define DNS_LOOKUP_NAME (DNS_ALLOW_UNDERSCORE | DNS_ALLOW_TRAILING_DOT)

/* Parses s (see above). On failure out is zeroed and err says why (ERR_INVALID,
 * or ERR_LIMIT for lengths). */
bool dns_domain_parse(struct str s, unsigned flags, struct dns_domain *out, struct error *err);
/* Same for a NUL-terminated string. */
bool dns_domain_parse_cstr(const char *s, unsigned flags, struct dns_domain *out,
			   struct error *err);

/* True when any label is internationalized (the two forms differ). */
bool dns_domain_is_idn(const struct dns_domain *d);
/* Compares the ASCII forms, which are canonical. */
bool dns_domain_eq(const struct dns_domain *a, const struct dns_domain *b);
/* d is parent or lies below it ("a.b.example" is within "b.example" and "example"). */
bool dns_domain_within(const struct dns_domain *d, const struct dns_domain *parent);
/* d lies strictly below parent. */
bool dns_domain_is_subdomain(const struct dns_domain *d, const struct dns_domain *parent);
/* The name without its first label; false for a single-label name. */
bool dns_domain_parent(const struct dns_domain *d, struct dns_domain *out);
/* The number of labels. */
int dns_domain_labels(const struct dns_domain *d);

/*
 * A name that may start with a "*" label, as in MTA-STS "mx:" lines (RFC 8461
 * 4.1) and TLS certificate names (RFC 6125 6.4.3). The wildcard stands for
 * exactly one label: "*.example.com" matches "mx.example.com", but neither
 * "example.com" nor "a.mx.example.com". Partial wildcards ("mx*.example") are
 * refused, as is a lone "*".
 */
struct dns_pattern {
	bool wildcard;
	struct dns_domain base; /* the name after "*.", or the whole name */
};

bool dns_pattern_parse(struct str s, unsigned flags, struct dns_pattern *out, struct error *err);
bool dns_pattern_match(const struct dns_pattern *p, const struct dns_domain *d);

#endif
