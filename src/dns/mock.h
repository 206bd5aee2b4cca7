/*
 * mock: an in-memory resolver for unit tests, test suites with their own zone
 * data (the SPF suite) and localserve.
 *
 *   struct dns_mock *m = dns_mock_new();
 *   dns_mock_add(m, "example.org MX 10 mx.example.org", &err);
 *   dns_mock_add(m, "mx.example.org 60 A 192.0.2.1", &err);
 *   dns_mock_add_zone(m, "example.org TXT \"v=spf1 \" \"-all\"\n"
 *                        "www.example.org CNAME example.org\n", &err);
 *   dns_mock_fail(m, "broken.example", 0, DNS_TEMPFAIL);   every type: SERVFAIL
 *   dns_mock_authenticate(m, "example.org");               DNSSEC-signed zone
 *   struct dns_resolver *r = dns_mock_resolver(m);
 *   ... dns_lookup(r, ...) ...
 *   dns_resolver_free(r);                                  frees the mock too
 *
 * Answers follow DNS: a name with records of the type is DNS_OK; a name with
 * other records, or with names below it (an empty non-terminal, RFC 8020), is
 * DNS_NODATA; any other name is DNS_NXDOMAIN. CNAMEs are followed (up to
 * DNS_CNAME_MAX; a loop is DNS_TEMPFAIL, as a real resolver's SERVFAIL), except
 * for CNAME lookups. No wildcards. TTL is the smallest TTL of the records and
 * CNAMEs used, DNS_MOCK_TTL unless given; negative answers have DNS_MOCK_TTL.
 * An answer is authenticated when every name it used lies in an authenticated
 * zone. dns_mock_fail makes lookups of a name (one type, or every type with
 * type 0) answer with the status given; it beats records and applies at every
 * step of a CNAME chain.
 *
 * Records are given as zone-file-like lines: "NAME [TTL] TYPE DATA", where NAME
 * is any name dns_lookup accepts (a trailing dot is optional; no relative
 * names, no "@"), TYPE one of dns.h's types, and DATA in zone-file form:
 *   A 192.0.2.1 | AAAA 2001:db8::1 | CNAME/PTR/NS name | MX 10 name (". " for a
 *   null MX) | SRV 0 5 443 name | TLSA 3 1 1 hex...
 *   TXT "one or more" "quoted strings" (\" \\ and \DDD escapes; joined without
 *   separator) or unquoted text (the rest of the line, as is)
 * Lines that are empty or start with '#' or ';' are skipped by
 * dns_mock_add_zone; errors name the line.
 *
 * Adding is safe while other threads look up (a read-write lock); a mock is
 * usually filled first and then only read. dns_mock_queries counts lookups
 * answered (each question of a batch once, CNAME steps not counted), for tests
 * of lookup limits.
 */
#ifndef TERN_DNS_MOCK_H
#define TERN_DNS_MOCK_H

#include "base/error.h"
#include "dns/dns.h"

#include <stdbool.h>
#include <stdint.h>

#define DNS_MOCK_TTL 300

struct dns_mock;

struct dns_mock *dns_mock_new(void);
/* The mock as a resolver. dns_resolver_free on it frees the mock. */
struct dns_resolver *dns_mock_resolver(struct dns_mock *m);

/* Adds one record from a line (see above). */
bool dns_mock_add(struct dns_mock *m, const char *line, struct error *err);
/* Adds the records of many lines; stops at the first bad line ("line 3: ..."). */
bool dns_mock_add_zone(struct dns_mock *m, const char *text, struct error *err);
/* Adds one record given as a value (for data that has no text form, e.g. TXT
 * with NUL bytes). rec's pointers are copied. */
bool dns_mock_add_record(struct dns_mock *m, const char *name, const struct dns_record *rec,
			 struct error *err);

/* Lookups of name (type, or every type when type is 0) answer with status. */
bool dns_mock_fail(struct dns_mock *m, const char *name, enum dns_type type, enum dns_status status,
		   struct error *err);
/* Answers for names at or below zone are authenticated (DNSSEC secure). */
bool dns_mock_authenticate(struct dns_mock *m, const char *zone, struct error *err);

/* Lookups answered so far. */
uint64_t dns_mock_queries(struct dns_mock *m);

#endif
