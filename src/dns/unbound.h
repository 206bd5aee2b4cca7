/*
 * unbound: the production resolver, on libunbound, validating DNSSEC itself.
 *
 * tern does not trust the AD bit of whatever resolver the machine has (as mox
 * must): it forwards its queries to the servers in /etc/resolv.conf, asking
 * for DNSSEC records (DO bit), and checks every signature itself up from a
 * trust anchor: the root's, from Debian's dns-root-data (DNS_ROOT_ANCHOR_FILE),
 * unless $TERN_DNS_TRUST_ANCHOR names another file (zone-file DS or DNSKEY
 * records, as unbound's trust-anchor-file), or is "none": then nothing is
 * validated and every answer is unauthenticated (mox behind a non-validating
 * resolver). The upstream servers must pass DNSSEC records through (any
 * validating or plain recursive resolver does); one that strips them makes
 * every signed zone DNS_BOGUS, which is the safe way to fail.
 *
 * libunbound caches answers by their TTLs (message, rrset, key and negative
 * caches, sizes below), retries over TCP when a UDP answer is truncated,
 * follows CNAMEs and applies the usual hardening. One context serves the whole
 * process: lookups from any number of threads are handed to libunbound's own
 * worker thread (ub_resolve_async) and their answers come back through one
 * dispatcher thread that wakes the waiting caller, who turns the answer into a
 * dns_result in its own thread. A caller waits at most until its deadline; then
 * its outstanding queries are cancelled and answer DNS_TEMPFAIL. Cache hits
 * never touch the network, but still cost a round trip between threads (about
 * 90-180 us), so the resolver returned is wrapped in a result cache
 * (dns/cache.h) unless opts say otherwise: repeated lookups are then answered
 * in tern's own thread.
 *
 * Files are read when the resolver is made: resolv.conf (its nameserver lines)
 * and the trust anchor; an unreadable file is an error then, not at the first
 * lookup. Later changes to them are not seen.
 */
#ifndef TERN_DNS_UNBOUND_H
#define TERN_DNS_UNBOUND_H

#include "base/error.h"
#include "dns/dns.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Debian's dns-root-data: the root zone's key-signing keys. */
#define DNS_ROOT_ANCHOR_FILE "/usr/share/dns/root.key"
/* Names the trust anchor file, or "none". */
#define DNS_TRUST_ANCHOR_ENV "TERN_DNS_TRUST_ANCHOR"

struct dns_unbound_opts {
	const char *resolv_conf;  /* NULL: /etc/resolv.conf */
	const char *trust_anchor; /* NULL: $TERN_DNS_TRUST_ANCHOR, else DNS_ROOT_ANCHOR_FILE */
	int64_t timeout_ms;       /* per lookup call; 0: DNS_TIMEOUT_DEFAULT_MS */
	size_t cache_bytes;       /* result cache size; 0: DNS_CACHE_DEFAULT_BYTES */
	bool no_result_cache;     /* only libunbound's own cache (benchmarks, tests) */
};

/* Makes the resolver; opts may be NULL for the defaults. */
struct dns_resolver *dns_unbound_new(const struct dns_unbound_opts *opts, struct error *err);

/* The trust anchor file the resolver uses given opts (NULL when "none"), for
 * messages; fills path (PATH_MAX) and returns it. */
const char *dns_unbound_anchor(const struct dns_unbound_opts *opts, char *path, size_t cap);

#endif
