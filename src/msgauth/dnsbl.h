/*
 * dnsbl: DNS block lists (RFC 5782), as mox checks incoming connections.
 *
 * An IP is listed in a zone when the reversed address below the zone
 * ("2.0.0.127.bl.example" for 127.0.0.2; 32 nibbles for IPv6, RFC 5782 2.4)
 * has an A record (RFC 5782 2.3); the TXT records there explain the listing.
 *   pass       not listed (the name does not exist, or has no A record)
 *   fail       listed; explanation holds the TXT records joined by "; "
 *   temperror  the lookup failed (why says how); mox then accepts the mail
 * A TXT lookup that fails still gives fail, without explanation.
 *
 * dnsbl_check_health asks the zone for its test entries (RFC 5782 5):
 * 127.0.0.2 must be listed and 127.0.0.1 must not; it says which rule broke.
 * Thread-safe; result memory is the caller's arena.
 */
#ifndef TERN_MSGAUTH_DNSBL_H
#define TERN_MSGAUTH_DNSBL_H

#include "base/arena.h"
#include "base/error.h"
#include "base/ipaddr.h"
#include "dns/dns.h"

#include <stdbool.h>

enum dnsbl_status { DNSBL_PASS, DNSBL_FAIL, DNSBL_TEMPERROR };

struct dnsbl_result {
	enum dnsbl_status status;
	const char *explanation; /* fail: the TXT records, "" when none */
	const char *why;         /* temperror: the reason; "" otherwise */
};

void dnsbl_lookup(struct dns_resolver *r, const char *zone, const struct ip_addr *ip,
		  struct arena *a, struct dnsbl_result *out);

/* True when the zone lists 127.0.0.2 and not 127.0.0.1; err says what is wrong. */
bool dnsbl_check_health(struct dns_resolver *r, const char *zone, struct arena *a,
			struct error *err);

/* "pass", "fail", "temperror". */
const char *dnsbl_status_name(enum dnsbl_status s);

#endif
