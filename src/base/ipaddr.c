#include "base/ipaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static const uint8_t v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

size_t ip_len(const struct ip_addr *ip)
{
	switch (ip->family) {
	case IP_V4: return 4;
	case IP_V6: return 16;
	default: return 0;
	}
}

bool ip_from_bytes(const void *p, size_t len, struct ip_addr *out)
{
	memset(out, 0, sizeof *out);
	if (len == 4) {
		out->family = IP_V4;
		memcpy(out->b, p, 4);
		return true;
	}
	if (len != 16)
		return false;
	if (memcmp(p, v4mapped_prefix, sizeof v4mapped_prefix) == 0) {
		out->family = IP_V4;
		memcpy(out->b, (const uint8_t *)p + 12, 4);
		return true;
	}
	out->family = IP_V6;
	memcpy(out->b, p, 16);
	return true;
}

bool ip_parse(struct str s, struct ip_addr *out, struct error *err)
{
	memset(out, 0, sizeof *out);
	char tmp[IP_TEXT_MAX];
	if (s.len == 0 || s.len >= sizeof tmp)
		return error_set(err, ERR_INVALID, "not an IP address");
	memcpy(tmp, s.p, s.len);
	tmp[s.len] = '\0';
	uint8_t raw[16];
	if (inet_pton(AF_INET, tmp, raw) == 1)
		return ip_from_bytes(raw, 4, out);
	if (inet_pton(AF_INET6, tmp, raw) == 1)
		return ip_from_bytes(raw, 16, out);
	return error_set(err, ERR_INVALID, "not an IP address: %s", tmp);
}

bool ip_parse_cstr(const char *s, struct ip_addr *out, struct error *err)
{
	return ip_parse(str_from(s), out, err);
}

bool ip_from_sockaddr(const struct sockaddr *sa, struct ip_addr *out)
{
	memset(out, 0, sizeof *out);
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		return ip_from_bytes(&in->sin_addr, 4, out);
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		return ip_from_bytes(&in6->sin6_addr, 16, out);
	}
	return false;
}

const char *ip_format(const struct ip_addr *ip, char *out, size_t cap)
{
	if (cap == 0)
		return out;
	out[0] = '\0';
	if (ip->family == IP_V4)
		inet_ntop(AF_INET, ip->b, out, (socklen_t)cap);
	else if (ip->family == IP_V6)
		inet_ntop(AF_INET6, ip->b, out, (socklen_t)cap);
	return out;
}

bool ip_eq(const struct ip_addr *a, const struct ip_addr *b)
{
	return a->family == b->family && memcmp(a->b, b->b, ip_len(a)) == 0;
}

void ip_reverse_labels(const struct ip_addr *ip, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;
	if (cap == 0)
		return;
	out[0] = '\0';
	if (ip->family == IP_V4) {
		snprintf(out, cap, "%u.%u.%u.%u", ip->b[3], ip->b[2], ip->b[1], ip->b[0]);
		return;
	}
	if (ip->family != IP_V6)
		return;
	/* RFC 3596 2.5: nibbles in reverse order, each a label. */
	for (int i = 15; i >= 0 && n + 4 < cap; i--) {
		out[n++] = hex[ip->b[i] & 0xf];
		out[n++] = '.';
		out[n++] = hex[ip->b[i] >> 4];
		if (i > 0)
			out[n++] = '.';
	}
	out[n] = '\0';
}

void ip_reverse_name(const struct ip_addr *ip, char *out, size_t cap)
{
	char labels[IP_REVERSE_MAX];
	ip_reverse_labels(ip, labels, sizeof labels);
	snprintf(out, cap, "%s.%s", labels, ip->family == IP_V4 ? "in-addr.arpa" : "ip6.arpa");
}

bool ip_prefix_match(const struct ip_addr *a, const struct ip_addr *b, unsigned bits)
{
	if (a->family != b->family || a->family == IP_NONE)
		return false;
	unsigned max = (unsigned)ip_len(a) * 8;
	if (bits > max)
		bits = max;
	unsigned whole = bits / 8, rest = bits % 8;
	if (memcmp(a->b, b->b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a->b[whole] & mask) == (b->b[whole] & mask);
}
