/*
 * iprev: does an IP address have a reverse DNS name that resolves back to it
 * (RFC 8601 3, "iprev")?
 *
 * The address's PTR names are looked up; then the addresses of those names,
 * of the IP's family, all at once; the first name (in PTR order) whose
 * addresses include the IP is the match. Outcomes, as mox reports them:
 *   pass       a PTR name resolves back to the IP
 *   fail       PTR names exist but none resolves back to it
 *   permerror  no PTR record (the name has none, or does not exist)
 *   temperror  a lookup failed temporarily, or its DNSSEC was bogus
 * At most IPREV_NAMES_MAX PTR names are checked (RFC 7208 4.6.4 bounds SPF's
 * ptr mechanism the same way), so a hostile PTR set costs a bounded number of
 * lookups. authenticated is true when every answer used was DNSSEC-secure.
 * Thread-safe; result memory is the caller's arena.
 */
#ifndef TERN_MSGAUTH_IPREV_H
#define TERN_MSGAUTH_IPREV_H

#include "base/arena.h"
#include "base/ipaddr.h"
#include "dns/dns.h"

#include <stdbool.h>
#include <stddef.h>

#define IPREV_NAMES_MAX 10

enum iprev_status { IPREV_PASS, IPREV_FAIL, IPREV_TEMPERROR, IPREV_PERMERROR };

struct iprev_result {
	enum iprev_status status;
	const char *name;   /* the PTR name that resolves back (pass); NULL otherwise */
	const char **names; /* every PTR name found (at most DNS_RECORDS_MAX) */
	size_t nnames;
	bool authenticated;
	const char *why; /* for temperror/permerror/fail: the reason, for logs */
};

void iprev_check(struct dns_resolver *r, const struct ip_addr *ip, struct arena *a,
		 struct iprev_result *out);

/* "pass", "fail", "temperror", "permerror" (RFC 8601 3). */
const char *iprev_status_name(enum iprev_status s);

#endif
