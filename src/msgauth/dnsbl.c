#include "msgauth/dnsbl.h"

#include "base/buf.h"

#include <string.h>

const char *dnsbl_status_name(enum dnsbl_status s)
{
	switch (s) {
	case DNSBL_PASS: return "pass";
	case DNSBL_FAIL: return "fail";
	case DNSBL_TEMPERROR: return "temperror";
	}
	return "unknown";
}

/* The TXT records of a listing, joined by "; " (as mox shows them). */
static const char *explanation(struct dns_resolver *r, const char *name, struct arena *a)
{
	struct dns_result txt;
	if (dns_lookup(r, name, DNS_TYPE_TXT, a, &txt) != DNS_OK)
		return "";
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < txt.count; i++) {
		if (i > 0)
			buf_puts(&b, "; ");
		buf_append(&b, txt.records[i].txt.data, txt.records[i].txt.len);
	}
	const char *s = arena_memdup0(a, buf_cstr(&b), b.len);
	buf_free(&b);
	return s;
}

void dnsbl_lookup(struct dns_resolver *r, const char *zone, const struct ip_addr *ip,
		  struct arena *a, struct dnsbl_result *out)
{
	*out = (struct dnsbl_result){DNSBL_TEMPERROR, "", ""};
	char labels[IP_REVERSE_MAX];
	ip_reverse_labels(ip, labels, sizeof labels);
	if (labels[0] == '\0') {
		out->why = "no IP address";
		return;
	}
	/* RFC 5782 2.1 (IPv4), 2.4 (IPv6): the reversed address below the zone. */
	const char *name = arena_sprintf(a, "%s.%s", labels, zone);
	struct dns_result res;
	switch (dns_lookup(r, name, DNS_TYPE_A, a, &res)) {
	case DNS_OK:
		out->status = DNSBL_FAIL;
		out->explanation = explanation(r, name, a);
		return;
	case DNS_NXDOMAIN:
	case DNS_NODATA: out->status = DNSBL_PASS; return;
	default: out->why = res.why; return;
	}
}

bool dnsbl_check_health(struct dns_resolver *r, const char *zone, struct arena *a,
			struct error *err)
{
	struct ip_addr must_not, must;
	ip_parse_cstr("127.0.0.1", &must_not, NULL);
	ip_parse_cstr("127.0.0.2", &must, NULL);
	struct dnsbl_result r1, r2;
	dnsbl_lookup(r, zone, &must_not, a, &r1);
	dnsbl_lookup(r, zone, &must, a, &r2);
	if (r1.status == DNSBL_PASS && r2.status == DNSBL_FAIL)
		return true;
	if (r1.status == DNSBL_FAIL)
		return error_set(err, ERR_INVALID,
				 "dnsbl contains unwanted test address 127.0.0.1");
	if (r2.status == DNSBL_PASS)
		return error_set(err, ERR_INVALID,
				 "dnsbl does not contain required test address 127.0.0.2");
	return error_set(err, ERR_TEMPORARY, "dns lookup: %s",
			 r1.status == DNSBL_TEMPERROR ? r1.why : r2.why);
}
