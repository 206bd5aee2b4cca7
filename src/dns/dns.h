/*
 * dns: the resolver interface every DNS lookup in tern goes through.
 *
 * What it gives callers (SPF, DKIM, DMARC, DANE, MTA-STS, the queue, iprev,
 * DNSBL): typed records and, for each lookup, a status that keeps apart the
 * outcomes that mail rules treat differently, whether DNSSEC validated the
 * answer, how long it may be cached, and the name after following CNAMEs.
 *
 *   struct dns_result r;
 *   switch (dns_lookup(res, "_dmarc.example.org", DNS_TYPE_TXT, arena, &r)) {
 *   case DNS_OK:       for (size_t i = 0; i < r.count; i++) use(r.records[i].txt); break;
 *   case DNS_NODATA:   (the name exists, without TXT records)
 *   case DNS_NXDOMAIN: (the name does not exist)
 *   case DNS_TEMPFAIL: (SERVFAIL, timeout, network: try again later; r.why says why)
 *   case DNS_BOGUS:    (DNSSEC says the answer was forged or broken; r.why says why)
 *   case DNS_BADNAME:  (the name given cannot be looked up; nothing was sent)
 *   }
 *
 * Resolvers. A struct dns_resolver is an object with an operations table, so
 * the production resolver (dns/unbound.h: libunbound, validating DNSSEC
 * itself), the in-memory mock (dns/mock.h: unit tests, the SPF test suite,
 * localserve) and any test double are interchangeable. Code that looks names
 * up is given a resolver; there is no global one (tern serve makes one for the
 * whole process and hands it down). Every resolver is thread-safe: many
 * connection threads call it at once. dns_resolver_free ends it; no lookup may
 * be running then.
 *
 * Names. A name is text: ASCII or Unicode, any case, with or without a trailing
 * dot ("Bücher.example." and "xn--bcher-kva.example" are the same name). It is
 * normalised as src/base/dnsname.h does (IDNA2008/UTS #46, A-labels, lower
 * case; underscores allowed as in "_25._tcp.mx.example"). Names that are no
 * host names but still legal in DNS (as SPF macros can produce: "a+b.example")
 * are looked up as given, lower-cased, if they are printable ASCII without
 * spaces and within DNS's lengths; anything else is DNS_BADNAME. "." is the
 * root. Names in results (canonical names, MX/PTR/NS/CNAME/SRV targets) are
 * ASCII, lower-case, without the trailing dot, "." for the root (a null MX,
 * RFC 7505), with bytes outside letters, digits, '-' and '_' written as \DDD;
 * lookups read \DDD the same way, so every name from a result can be looked
 * up again as it is.
 *
 * Results. Everything a result points to (records, names, TXT data) is
 * allocated from the arena the caller passes, so it lives until the caller
 * rewinds or frees that arena and there is nothing to free one by one. A
 * result is complete for every status: count is 0 unless DNS_OK, why is ""
 * unless something failed, name is always the normalised name looked up.
 *
 * Bounds. An answer is at most one DNS message (65,535 bytes, over TCP when
 * the UDP reply was truncated), so TXT data is bounded by that. At most
 * DNS_RECORDS_MAX records are kept (truncated says more were dropped). Each
 * lookup ends by the resolver's timeout (DNS_TIMEOUT_DEFAULT_MS unless it
 * was made with another, or the deadline given to dns_lookup_many) with
 * DNS_TEMPFAIL at the latest, however the servers behave.
 */
#ifndef TERN_DNS_DNS_H
#define TERN_DNS_DNS_H

#include "base/arena.h"
#include "base/dnsname.h"
#include "base/ipaddr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Record types (RFC 1035 3.2.2, RFC 3596, RFC 2782, RFC 6698), by their numbers. */
enum dns_type {
	DNS_TYPE_A = 1,
	DNS_TYPE_NS = 2,
	DNS_TYPE_CNAME = 5,
	DNS_TYPE_PTR = 12,
	DNS_TYPE_MX = 15,
	DNS_TYPE_TXT = 16,
	DNS_TYPE_AAAA = 28,
	DNS_TYPE_SRV = 33,
	DNS_TYPE_TLSA = 52,
};

enum dns_status {
	/* The name has records of the type; result.records holds them. */
	DNS_OK = 0,
	/* The name exists but has no records of the type (NOERROR, empty answer). */
	DNS_NODATA,
	/* The name does not exist (RCODE 3, NXDOMAIN). With CNAMEs: the target does not. */
	DNS_NXDOMAIN,
	/* No answer to rely on: SERVFAIL, REFUSED, a timeout, no server reachable,
	 * malformed data. Retrying later may succeed (SPF temperror, SMTP 4xx). */
	DNS_TEMPFAIL,
	/* DNSSEC validation failed: the zone is signed and this answer does not
	 * validate (forged, expired or broken signatures, missing records). Never
	 * use such data; RFC 7672 2.1.1 treats it like a failed lookup. */
	DNS_BOGUS,
	/* The name given is not a DNS name (see "Names"); nothing was looked up. */
	DNS_BADNAME,
};

/* Longest text form of a name in results: 255 wire octets, each at most \DDD. */
#define DNS_TEXT_NAME_MAX 1024
/* Most records kept from one answer. */
#define DNS_RECORDS_MAX 512
/* Default time a lookup may take, start to answer. */
#define DNS_TIMEOUT_DEFAULT_MS 10000
/* CNAMEs followed at most (resolvers answer DNS_TEMPFAIL beyond). */
#define DNS_CNAME_MAX 8

struct dns_mx {
	uint16_t preference;
	const char *host; /* "." for a null MX (RFC 7505) */
};

/* One TXT record: its character-strings concatenated without separator, as SPF
 * (RFC 7208 3.3), DKIM (RFC 6376 3.6.2.2) and DMARC want. NUL-terminated for
 * convenience, but may hold NUL bytes: len is the length. */
struct dns_txt {
	const char *data;
	size_t len;
};

/* RFC 6698 2.1. */
struct dns_tlsa {
	uint8_t usage;
	uint8_t selector;
	uint8_t matching_type;
	const uint8_t *data; /* certificate association data */
	size_t len;
};

/* RFC 2782. */
struct dns_srv {
	uint16_t priority;
	uint16_t weight;
	uint16_t port;
	const char *target;
};

struct dns_record {
	enum dns_type type;
	uint32_t ttl;
	union {
		struct ip_addr ip;    /* A, AAAA */
		const char *name;     /* CNAME, PTR, NS */
		struct dns_mx mx;     /* MX */
		struct dns_txt txt;   /* TXT */
		struct dns_tlsa tlsa; /* TLSA */
		struct dns_srv srv;   /* SRV */
	};
};

struct dns_result {
	enum dns_status status;
	/* DNSSEC validated this answer (RFC 4035 4.3 "secure"): the records, or
	 * for NODATA/NXDOMAIN the denial of existence, and every CNAME on the way.
	 * Always false for DNS_TEMPFAIL, DNS_BOGUS, DNS_BADNAME, and for every
	 * answer when validation is off. */
	bool authenticated;
	/* More than DNS_RECORDS_MAX records: the first ones are kept. */
	bool truncated;
	/* Seconds this answer may still be cached: the smallest TTL of the records
	 * (and CNAMEs), or for NODATA/NXDOMAIN the negative caching time
	 * (RFC 2308 5). 0 when unknown or for failures. */
	uint32_t ttl;
	enum dns_type type;    /* the type looked up */
	const char *name;      /* the name looked up, normalised (see "Names") */
	const char *canonical; /* the name after CNAMEs; equal to name when none */
	struct dns_record *records;
	size_t count;
	const char *why; /* for failures: a reason for logs and replies; "" otherwise */
};

/* One question for dns_lookup_many. */
struct dns_query {
	const char *name;
	enum dns_type type;
};

/* A question as resolvers get it: the name already normalised. */
struct dns_question {
	char name[DNS_TEXT_NAME_MAX];
	enum dns_type type;
};

struct dns_resolver;

/*
 * What a resolver implements. resolve answers n questions (n >= 1, at most
 * DNS_BATCH_MAX) and fills out[0..n-1] completely (every field, any status
 * but DNS_BADNAME; names copied into the arena), returning by deadline_ms
 * (mono_ms clock) at the latest. It may work on the questions concurrently.
 * It must be thread-safe and never keep pointers into a or out.
 */
struct dns_resolver_ops {
	const char *kind; /* "unbound", "mock", ... for logs */
	void (*resolve)(struct dns_resolver *r, const struct dns_question *qs, size_t n,
			int64_t deadline_ms, struct arena *a, struct dns_result *out);
	void (*free)(struct dns_resolver *r);
};

/* Implementations embed this as their first member. */
struct dns_resolver {
	const struct dns_resolver_ops *ops;
	int64_t timeout_ms; /* per call when no deadline is given; DNS_TIMEOUT_DEFAULT_MS if 0 */
};

/* Questions per dns_lookup_many call. */
#define DNS_BATCH_MAX 32

/* Looks up one name. Returns out->status. */
enum dns_status dns_lookup(struct dns_resolver *r, const char *name, enum dns_type type,
			   struct arena *a, struct dns_result *out);

/* Looks up n (<= DNS_BATCH_MAX) questions at once, concurrently where the
 * resolver can; out[i] answers qs[i]. deadline_ms is an absolute mono_ms()
 * time, or 0 for the resolver's timeout from now. */
void dns_lookup_many(struct dns_resolver *r, const struct dns_query *qs, size_t n,
		     int64_t deadline_ms, struct arena *a, struct dns_result *out);

enum dns_ip_families {
	DNS_IP_V4 = 1 << 0, /* A */
	DNS_IP_V6 = 1 << 1, /* AAAA */
	DNS_IP_BOTH = DNS_IP_V4 | DNS_IP_V6,
};

/*
 * The addresses of a host: A and AAAA looked up together, IPv4 records first.
 * With both families the statuses are merged strictly: DNS_BOGUS if either is
 * bogus, else DNS_TEMPFAIL if either failed, else DNS_OK if either has
 * records, else DNS_NXDOMAIN if the name does not exist, else DNS_NODATA;
 * authenticated only when both answers are; ttl the smaller. Callers that
 * want to use one family while the other fails look them up one by one.
 */
enum dns_status dns_lookup_ip(struct dns_resolver *r, const char *name, unsigned families,
			      struct arena *a, struct dns_result *out);

/* The PTR records of an address (RFC 1035 3.5, RFC 3596 2.5). */
enum dns_status dns_lookup_ptr(struct dns_resolver *r, const struct ip_addr *ip, struct arena *a,
			       struct dns_result *out);

/* The TLSA records for a service: "_25._tcp.mx.example" (RFC 6698 3). */
enum dns_status dns_lookup_tlsa(struct dns_resolver *r, unsigned port, const char *proto,
				const char *host, struct arena *a, struct dns_result *out);

/* Normalises a name for lookup (see "Names") into out, ASCII, no trailing dot;
 * false with err (ERR_INVALID or ERR_LIMIT) when it cannot be looked up. */
bool dns_name_normalize(const char *name, char out[DNS_TEXT_NAME_MAX], struct error *err);

void dns_resolver_free(struct dns_resolver *r);

/* "ok", "nodata", "nxdomain", "tempfail", "bogus", "badname". */
const char *dns_status_name(enum dns_status s);
/* "A", "MX", ... ; NULL for types this module does not know. */
const char *dns_type_name(enum dns_type t);
/* Parses a type name, any case ("mx", "TLSA"); false when unknown. */
bool dns_type_parse(const char *s, enum dns_type *out);

/* Deep copies into a: for results kept beyond the arena they were made in. */
void dns_result_copy(struct dns_result *dst, const struct dns_result *src, struct arena *a);
void dns_record_copy(struct dns_record *dst, const struct dns_record *src, struct arena *a);

/* Fills out as a failure (count 0, not authenticated) with why copied into a.
 * For resolvers and wrappers. */
void dns_result_fail(struct dns_result *out, enum dns_status status, const char *name,
		     enum dns_type type, struct arena *a, const char *why);

#endif
