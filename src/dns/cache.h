/*
 * cache: a cache of finished lookup results in front of another resolver.
 *
 * libunbound caches DNS data itself, but every lookup still travels to its
 * worker thread and back (about 90-180 us, bench/dns), while a mail server
 * asks the same few names (its own domains, big senders' SPF and DKIM
 * records, DNSBLs) again and again from many threads. This cache keeps the
 * typed results tern made, keyed by type and normalised name, until their TTL
 * runs out, so a repeated lookup is a hash lookup and a copy into the caller's
 * arena.
 *
 * What is kept: DNS_OK, DNS_NODATA and DNS_NXDOMAIN results with a TTL above
 * zero, for that TTL (the answer's remaining TTL as the inner resolver gave
 * it); a hit reports the TTL left. Failures (DNS_TEMPFAIL, DNS_BOGUS) are never
 * kept: the next lookup asks again. Memory is bounded by max_bytes (entries
 * cost their data plus a small header); the least recently used entries go
 * first. Thread-safe: the table is split in shards, each with its own lock,
 * held only for the hash lookup and copy. The cache owns the inner resolver:
 * dns_resolver_free on the cache frees both.
 */
#ifndef TERN_DNS_CACHE_H
#define TERN_DNS_CACHE_H

#include "dns/dns.h"

#include <stddef.h>
#include <stdint.h>

#define DNS_CACHE_DEFAULT_BYTES (8u * 1024 * 1024)

struct dns_resolver *dns_cache_new(struct dns_resolver *inner, size_t max_bytes);

struct dns_cache_stats {
	uint64_t hits, misses, entries, bytes;
};
/* Counters of a resolver made by dns_cache_new. */
void dns_cache_stats(struct dns_resolver *cache, struct dns_cache_stats *out);

#endif
