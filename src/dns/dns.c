#include "dns/dns.h"

#include "base/str.h"
#include "base/timeutil.h"

#include <stdio.h>
#include <string.h>

/* A wire name is at most 255 octets (RFC 1035 2.3.4): labels plus a length
 * octet each, plus the root's zero octet. */
#define WIRE_NAME_MAX 255

static bool plain_name_char(unsigned char c)
{
	return ascii_isalnum(c) || c == '-' || c == '_';
}

/* Writes label bytes in the text form results use: lower case, \DDD for
 * anything but letters, digits, '-' and '_'. Returns false when out is full. */
static bool put_label_text(const unsigned char *p, size_t len, char *out, size_t cap, size_t *n)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];
		if (plain_name_char(c)) {
			if (*n + 1 >= cap)
				return false;
			out[(*n)++] = ascii_lower((char)c);
		} else {
			if (*n + 4 >= cap)
				return false;
			snprintf(out + *n, cap - *n, "\\%03u", c);
			*n += 4;
		}
	}
	out[*n] = '\0';
	return true;
}

/* Decodes one label of a raw name at *p (up to end) into label: printable
 * ASCII as is, "\DDD" as the byte it stands for (so names from results, which
 * use that escape, can be looked up again). Stops at '.' or end. */
static bool raw_label(const char **p, const char *end, uint8_t label[DNS_LABEL_MAX], size_t *len,
		      struct error *err)
{
	const char *s = *p;
	size_t n = 0;
	while (s < end && *s != '.') {
		unsigned c = (unsigned char)*s++;
		if (c == '\\' && end - s >= 3 && ascii_isdigit(s[0]) && ascii_isdigit(s[1]) &&
		    ascii_isdigit(s[2])) {
			c = (unsigned)((s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0'));
			if (c > 255)
				return error_set(err, ERR_INVALID, "bad \\DDD escape in name");
			s += 3;
		} else if (c < 0x21 || c > 0x7e) {
			return error_set(err, ERR_INVALID,
					 "name has a byte that is not printable ASCII");
		}
		if (n == DNS_LABEL_MAX)
			return error_set(err, ERR_LIMIT, "label longer than %d octets",
					 DNS_LABEL_MAX);
		label[n++] = (uint8_t)c;
	}
	*p = s;
	*len = n;
	return true;
}

/* Names that are legal in DNS but no host names ("a+b.example" from an SPF
 * macro): printable ASCII without spaces (and \DDD escapes), labels of 1..63
 * octets, at most 255 octets on the wire. */
static bool normalize_raw(const char *name, size_t len, char *out, struct error *err)
{
	const char *p = name, *end = name + len;
	size_t n = 0, wire = 1;
	for (;;) {
		uint8_t label[DNS_LABEL_MAX];
		size_t llen = 0;
		if (!raw_label(&p, end, label, &llen, err))
			return false;
		if (llen == 0)
			return error_set(err, ERR_INVALID, "empty label in name");
		wire += llen + 1;
		if (wire > WIRE_NAME_MAX)
			return error_set(err, ERR_LIMIT, "name longer than %d octets",
					 WIRE_NAME_MAX);
		if (n > 0)
			out[n++] = '.';
		if (!put_label_text(label, llen, out, DNS_TEXT_NAME_MAX, &n))
			return error_set(err, ERR_LIMIT, "name too long");
		if (p == end)
			return true;
		p++; /* the dot */
	}
}

bool dns_name_normalize(const char *name, char out[DNS_TEXT_NAME_MAX], struct error *err)
{
	out[0] = '\0';
	if (name == NULL || name[0] == '\0')
		return error_set(err, ERR_INVALID, "empty name");
	size_t len = strlen(name);
	if (len > DNS_INPUT_MAX)
		return error_set(err, ERR_LIMIT, "name longer than %d bytes", DNS_INPUT_MAX);
	if (strcmp(name, ".") == 0) {
		strcpy(out, ".");
		return true;
	}
	struct dns_domain d;
	if (dns_domain_parse(str_make(name, len), DNS_LOOKUP_NAME, &d, NULL)) {
		str_copy(out, DNS_TEXT_NAME_MAX, d.ascii);
		return true;
	}
	if (name[len - 1] == '.')
		len--;
	struct error rawerr = {0};
	if (normalize_raw(name, len, out, &rawerr))
		return true;
	out[0] = '\0';
	/* Non-ASCII input failed IDNA: say so rather than "not printable ASCII". */
	struct error idnerr = {0};
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)name[i] >= 0x80) {
			dns_domain_parse(str_make(name, len), DNS_LOOKUP_NAME, &d, &idnerr);
			if (err)
				*err = idnerr;
			return false;
		}
	if (err)
		*err = rawerr;
	return false;
}

void dns_result_fail(struct dns_result *out, enum dns_status status, const char *name,
		     enum dns_type type, struct arena *a, const char *why)
{
	memset(out, 0, sizeof *out);
	out->status = status;
	out->type = type;
	out->name = arena_strdup(a, name ? name : "");
	out->canonical = out->name;
	out->why = arena_strdup(a, why ? why : "");
}

void dns_record_copy(struct dns_record *dst, const struct dns_record *src, struct arena *a)
{
	*dst = *src;
	switch (src->type) {
	case DNS_TYPE_CNAME:
	case DNS_TYPE_PTR:
	case DNS_TYPE_NS: dst->name = arena_strdup(a, src->name); break;
	case DNS_TYPE_MX: dst->mx.host = arena_strdup(a, src->mx.host); break;
	case DNS_TYPE_SRV: dst->srv.target = arena_strdup(a, src->srv.target); break;
	case DNS_TYPE_TXT: dst->txt.data = arena_memdup0(a, src->txt.data, src->txt.len); break;
	case DNS_TYPE_TLSA:
		dst->tlsa.data = (const uint8_t *)arena_memdup0(a, src->tlsa.data, src->tlsa.len);
		break;
	default: break;
	}
}

void dns_result_copy(struct dns_result *dst, const struct dns_result *src, struct arena *a)
{
	*dst = *src;
	dst->name = arena_strdup(a, src->name);
	dst->canonical =
	    strcmp(src->canonical, src->name) == 0 ? dst->name : arena_strdup(a, src->canonical);
	dst->why = arena_strdup(a, src->why);
	dst->records = NULL;
	if (src->count == 0)
		return;
	dst->records = arena_array(a, src->count, sizeof *dst->records);
	for (size_t i = 0; i < src->count; i++)
		dns_record_copy(&dst->records[i], &src->records[i], a);
}

static int64_t deadline_for(const struct dns_resolver *r, int64_t deadline_ms)
{
	if (deadline_ms > 0)
		return deadline_ms;
	return mono_ms() + (r->timeout_ms > 0 ? r->timeout_ms : DNS_TIMEOUT_DEFAULT_MS);
}

void dns_lookup_many(struct dns_resolver *r, const struct dns_query *qs, size_t n,
		     int64_t deadline_ms, struct arena *a, struct dns_result *out)
{
	if (n == 0)
		return;
	if (n > DNS_BATCH_MAX) {
		/* A caller bug; answer every question rather than overrun anything. */
		for (size_t i = 0; i < n; i++)
			dns_result_fail(&out[i], DNS_TEMPFAIL, qs[i].name, qs[i].type, a,
					"too many questions in one batch");
		return;
	}
	struct dns_question questions[DNS_BATCH_MAX];
	size_t slot[DNS_BATCH_MAX], nq = 0;
	for (size_t i = 0; i < n; i++) {
		struct error err = {0};
		if (!dns_name_normalize(qs[i].name, questions[nq].name, &err)) {
			dns_result_fail(&out[i], DNS_BADNAME, qs[i].name, qs[i].type, a, err.msg);
			continue;
		}
		questions[nq].type = qs[i].type;
		slot[nq++] = i;
	}
	if (nq == 0)
		return;
	struct dns_result answers[DNS_BATCH_MAX];
	r->ops->resolve(r, questions, nq, deadline_for(r, deadline_ms), a, answers);
	for (size_t j = 0; j < nq; j++)
		out[slot[j]] = answers[j];
}

enum dns_status dns_lookup(struct dns_resolver *r, const char *name, enum dns_type type,
			   struct arena *a, struct dns_result *out)
{
	struct dns_query q = {name, type};
	dns_lookup_many(r, &q, 1, 0, a, out);
	return out->status;
}

/* See dns_lookup_ip: the stricter status of the two wins. */
static enum dns_status merge_status(enum dns_status s4, enum dns_status s6)
{
	if (s4 == DNS_BOGUS || s6 == DNS_BOGUS)
		return DNS_BOGUS;
	if (s4 == DNS_BADNAME || s6 == DNS_BADNAME)
		return DNS_BADNAME;
	if (s4 == DNS_TEMPFAIL || s6 == DNS_TEMPFAIL)
		return DNS_TEMPFAIL;
	if (s4 == DNS_OK || s6 == DNS_OK)
		return DNS_OK;
	if (s4 == DNS_NXDOMAIN || s6 == DNS_NXDOMAIN)
		return DNS_NXDOMAIN;
	return DNS_NODATA;
}

static void merge_ip_results(const struct dns_result *r4, const struct dns_result *r6,
			     struct arena *a, struct dns_result *out)
{
	*out = *r4;
	out->status = merge_status(r4->status, r6->status);
	out->type = DNS_TYPE_A;
	out->authenticated = r4->authenticated && r6->authenticated;
	out->truncated = r4->truncated || r6->truncated;
	out->ttl = r4->ttl < r6->ttl ? r4->ttl : r6->ttl;
	if (out->status != r4->status)
		out->why = r6->why;
	if (out->status != DNS_OK) {
		out->count = 0;
		out->records = NULL;
		out->authenticated = false;
		if (out->status == DNS_NODATA || out->status == DNS_NXDOMAIN)
			out->authenticated = r4->authenticated && r6->authenticated;
		return;
	}
	if (r4->status != DNS_OK)
		out->canonical = r6->canonical;
	/* The TTL of a family without records does not limit the addresses. */
	if (r4->status != DNS_OK)
		out->ttl = r6->ttl;
	else if (r6->status != DNS_OK)
		out->ttl = r4->ttl;
	out->count = r4->count + r6->count;
	out->records = arena_array(a, out->count ? out->count : 1, sizeof *out->records);
	if (r4->count)
		memcpy(out->records, r4->records, r4->count * sizeof *out->records);
	if (r6->count)
		memcpy(out->records + r4->count, r6->records, r6->count * sizeof *out->records);
}

enum dns_status dns_lookup_ip(struct dns_resolver *r, const char *name, unsigned families,
			      struct arena *a, struct dns_result *out)
{
	if ((families & DNS_IP_BOTH) == DNS_IP_V4)
		return dns_lookup(r, name, DNS_TYPE_A, a, out);
	if ((families & DNS_IP_BOTH) == DNS_IP_V6)
		return dns_lookup(r, name, DNS_TYPE_AAAA, a, out);
	struct dns_query qs[2] = {{name, DNS_TYPE_A}, {name, DNS_TYPE_AAAA}};
	struct dns_result rs[2];
	dns_lookup_many(r, qs, 2, 0, a, rs);
	merge_ip_results(&rs[0], &rs[1], a, out);
	return out->status;
}

enum dns_status dns_lookup_ptr(struct dns_resolver *r, const struct ip_addr *ip, struct arena *a,
			       struct dns_result *out)
{
	if (ip->family == IP_NONE) {
		dns_result_fail(out, DNS_BADNAME, "", DNS_TYPE_PTR, a, "no IP address");
		return out->status;
	}
	char name[IP_REVERSE_MAX + 16];
	ip_reverse_name(ip, name, sizeof name);
	return dns_lookup(r, name, DNS_TYPE_PTR, a, out);
}

enum dns_status dns_lookup_tlsa(struct dns_resolver *r, unsigned port, const char *proto,
				const char *host, struct arena *a, struct dns_result *out)
{
	char *name = arena_sprintf(a, "_%u._%s.%s", port, proto, host);
	return dns_lookup(r, name, DNS_TYPE_TLSA, a, out);
}

void dns_resolver_free(struct dns_resolver *r)
{
	if (r)
		r->ops->free(r);
}

const char *dns_status_name(enum dns_status s)
{
	switch (s) {
	case DNS_OK: return "ok";
	case DNS_NODATA: return "nodata";
	case DNS_NXDOMAIN: return "nxdomain";
	case DNS_TEMPFAIL: return "tempfail";
	case DNS_BOGUS: return "bogus";
	case DNS_BADNAME: return "badname";
	}
	return "unknown";
}

static const struct {
	enum dns_type type;
	const char *name;
} type_names[] = {
    {DNS_TYPE_A, "A"},       {DNS_TYPE_NS, "NS"},   {DNS_TYPE_CNAME, "CNAME"},
    {DNS_TYPE_PTR, "PTR"},   {DNS_TYPE_MX, "MX"},   {DNS_TYPE_TXT, "TXT"},
    {DNS_TYPE_AAAA, "AAAA"}, {DNS_TYPE_SRV, "SRV"}, {DNS_TYPE_TLSA, "TLSA"},
};

const char *dns_type_name(enum dns_type t)
{
	for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
		if (type_names[i].type == t)
			return type_names[i].name;
	return NULL;
}

bool dns_type_parse(const char *s, enum dns_type *out)
{
	for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
		if (ascii_caseeq(s, type_names[i].name)) {
			*out = type_names[i].type;
			return true;
		}
	return false;
}
