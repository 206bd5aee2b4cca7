/*
 * ipaddr: IPv4 and IPv6 addresses as plain values.
 *
 * A struct ip_addr holds one address of either family in network byte order,
 * copied with `=`, owning nothing; the all-zero struct (family 0) means "no
 * address". IPv4-mapped IPv6 addresses (::ffff:192.0.2.1), as an IPv6 socket
 * reports IPv4 peers, are turned into IPv4 by ip_from_sockaddr and ip_parse,
 * so a peer is the same value whatever socket it came through.
 *
 * Besides parsing and formatting (the forms inet_ntop writes), it gives what
 * mail protocols do with addresses: the reverse DNS name (RFC 1035 3.5,
 * RFC 3596 2.5), the same labels below a DNSBL zone (RFC 5782 2.1), and
 * prefix matching as in SPF's ip4:/ip6: mechanisms (RFC 7208 5.6).
 * All functions are thread-safe and bounded.
 */
#ifndef TERN_BASE_IPADDR_H
#define TERN_BASE_IPADDR_H

#include "base/error.h"
#include "base/str.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum ip_family { IP_NONE = 0, IP_V4 = 4, IP_V6 = 6 };

struct ip_addr {
	enum ip_family family;
	uint8_t b[16]; /* IPv4 in b[0..3], the rest zero */
};

/* Longest text form of an address, with NUL ("ffff:...:255.255.255.255"). */
#define IP_TEXT_MAX 46
/* Longest reverse name: 32 nibble labels and "ip6.arpa", with NUL. */
#define IP_REVERSE_MAX 74

/* Bytes of an address of the family: 4, 16, or 0 for IP_NONE. */
size_t ip_len(const struct ip_addr *ip);

/* Parses "192.0.2.1" or "2001:db8::1" (no brackets, no zone, no port). */
bool ip_parse(struct str s, struct ip_addr *out, struct error *err);
bool ip_parse_cstr(const char *s, struct ip_addr *out, struct error *err);

/* The address of an AF_INET or AF_INET6 socket address; false for other families. */
bool ip_from_sockaddr(const struct sockaddr *sa, struct ip_addr *out);

/* From 4 or 16 raw bytes (A/AAAA record data). */
bool ip_from_bytes(const void *p, size_t len, struct ip_addr *out);

/* The text form into out (IP_TEXT_MAX bytes); "" for IP_NONE. Returns out. */
const char *ip_format(const struct ip_addr *ip, char *out, size_t cap);

bool ip_eq(const struct ip_addr *a, const struct ip_addr *b);

/* The reverse labels without a suffix: "1.2.0.192" for 192.0.2.1, 32 dotted
 * nibbles for IPv6. out needs IP_REVERSE_MAX bytes. */
void ip_reverse_labels(const struct ip_addr *ip, char *out, size_t cap);
/* The PTR name: "1.2.0.192.in-addr.arpa" or "...ip6.arpa". */
void ip_reverse_name(const struct ip_addr *ip, char *out, size_t cap);

/* a and b have the same family and agree in their first bits bits (clamped to
 * the family's length). */
bool ip_prefix_match(const struct ip_addr *a, const struct ip_addr *b, unsigned bits);

#endif
