#include "msgauth/iprev.h"

#include <string.h>

const char *iprev_status_name(enum iprev_status s)
{
	switch (s) {
	case IPREV_PASS: return "pass";
	case IPREV_FAIL: return "fail";
	case IPREV_TEMPERROR: return "temperror";
	case IPREV_PERMERROR: return "permerror";
	}
	return "unknown";
}

static bool has_ip(const struct dns_result *r, const struct ip_addr *ip)
{
	for (size_t i = 0; i < r->count; i++)
		if (ip_eq(&r->records[i].ip, ip))
			return true;
	return false;
}

/* The PTR lookup's outcome when it found no names. */
static void no_names(const struct dns_result *ptr, struct iprev_result *out)
{
	out->authenticated = ptr->authenticated;
	if (ptr->status == DNS_NXDOMAIN || ptr->status == DNS_NODATA) {
		out->status = IPREV_PERMERROR;
		out->why = "no reverse DNS record";
	} else {
		out->status = IPREV_TEMPERROR;
		out->why = ptr->why;
	}
}

void iprev_check(struct dns_resolver *r, const struct ip_addr *ip, struct arena *a,
		 struct iprev_result *out)
{
	memset(out, 0, sizeof *out);
	out->why = "";
	struct dns_result ptr;
	if (dns_lookup_ptr(r, ip, a, &ptr) != DNS_OK) {
		no_names(&ptr, out);
		return;
	}
	out->names = arena_array(a, ptr.count, sizeof *out->names);
	for (size_t i = 0; i < ptr.count; i++)
		out->names[i] = ptr.records[i].name;
	out->nnames = ptr.count;

	/* Forward lookups of the names, of the IP's family, concurrently. */
	size_t n = ptr.count < IPREV_NAMES_MAX ? ptr.count : IPREV_NAMES_MAX;
	struct dns_query qs[IPREV_NAMES_MAX];
	struct dns_result fwd[IPREV_NAMES_MAX];
	for (size_t i = 0; i < n; i++)
		qs[i] = (struct dns_query){out->names[i],
					   ip->family == IP_V4 ? DNS_TYPE_A : DNS_TYPE_AAAA};
	dns_lookup_many(r, qs, n, 0, a, fwd);

	bool authenticated = ptr.authenticated;
	const char *temperror = NULL;
	for (size_t i = 0; i < n; i++) {
		authenticated = authenticated && fwd[i].authenticated;
		if (fwd[i].status == DNS_OK && has_ip(&fwd[i], ip)) {
			out->status = IPREV_PASS;
			out->name = out->names[i];
			out->authenticated = authenticated;
			return;
		}
		if (fwd[i].status == DNS_TEMPFAIL || fwd[i].status == DNS_BOGUS)
			temperror = fwd[i].why;
	}
	out->authenticated = authenticated;
	if (temperror) {
		out->status = IPREV_TEMPERROR;
		out->why = temperror;
		return;
	}
	out->status = IPREV_FAIL;
	out->why = "no reverse DNS name resolves to the address";
}
