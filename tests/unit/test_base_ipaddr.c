#include "base/ipaddr.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <string.h>

static struct ip_addr ip(const char *s)
{
	struct ip_addr a;
	struct error err = {0};
	cr_assert(ip_parse_cstr(s, &a, &err), "parse %s: %s", s, err.msg);
	return a;
}

Test(ipaddr, parse_and_format)
{
	char out[IP_TEXT_MAX];
	struct ip_addr a = ip("192.0.2.1");
	cr_assert_eq(a.family, IP_V4);
	cr_assert_eq(ip_len(&a), 4);
	cr_assert_str_eq(ip_format(&a, out, sizeof out), "192.0.2.1");
	a = ip("2001:DB8::1");
	cr_assert_eq(a.family, IP_V6);
	cr_assert_str_eq(ip_format(&a, out, sizeof out), "2001:db8::1");
	/* A v4-mapped address is the IPv4 peer it stands for. */
	a = ip("::ffff:192.0.2.7");
	cr_assert_eq(a.family, IP_V4);
	cr_assert_str_eq(ip_format(&a, out, sizeof out), "192.0.2.7");

	struct ip_addr b;
	const char *bad[] = {"",       "1.2.3", "1.2.3.4.5", "256.1.1.1",     "[::1]",
			     "::1%lo", "x",     "1.2.3.4 ",  "2001:db8::1::2"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert(!ip_parse_cstr(bad[i], &b, NULL), "accepted %s", bad[i]);
	cr_assert_eq(b.family, IP_NONE);
}

Test(ipaddr, sockaddr)
{
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
	inet_pton(AF_INET6, "::ffff:10.1.2.3", &in6.sin6_addr);
	struct ip_addr a;
	cr_assert(ip_from_sockaddr((struct sockaddr *)&in6, &a));
	cr_assert(ip_eq(&a, &(struct ip_addr){IP_V4, {10, 1, 2, 3}}));
	struct sockaddr_in in = {.sin_family = AF_INET};
	in.sin_addr.s_addr = htonl(0x7f000001);
	cr_assert(ip_from_sockaddr((struct sockaddr *)&in, &a));
	cr_assert(ip_eq(&a, &(struct ip_addr){IP_V4, {127, 0, 0, 1}}));
	struct sockaddr un = {.sa_family = AF_UNIX};
	cr_assert(!ip_from_sockaddr(&un, &a));
}

Test(ipaddr, reverse_names)
{
	char out[IP_REVERSE_MAX + 16];
	struct ip_addr a = ip("192.0.2.1");
	ip_reverse_name(&a, out, sizeof out);
	cr_assert_str_eq(out, "1.2.0.192.in-addr.arpa");
	ip_reverse_labels(&a, out, sizeof out);
	cr_assert_str_eq(out, "1.2.0.192");
	/* RFC 3596 2.5's example. */
	a = ip("4321:0:1:2:3:4:567:89ab");
	ip_reverse_name(&a, out, sizeof out);
	cr_assert_str_eq(
	    out, "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa");
	ip_reverse_labels(&a, out, sizeof out);
	cr_assert_eq(strlen(out), 63);
}

Test(ipaddr, prefix_match)
{
	struct ip_addr a = ip("192.0.2.130"), b = ip("192.0.2.1"), c = ip("2001:db8::1");
	cr_assert(ip_prefix_match(&a, &b, 24));
	cr_assert(!ip_prefix_match(&a, &b, 25));
	cr_assert(ip_prefix_match(&a, &b, 0));
	cr_assert(!ip_prefix_match(&a, &c, 0), "families differ");
	cr_assert(ip_prefix_match(&a, &a, 32));
	cr_assert(ip_prefix_match(&a, &a, 99), "clamped to 32");
	struct ip_addr d = ip("2001:db8:ffff::");
	cr_assert(ip_prefix_match(&c, &d, 32));
	cr_assert(!ip_prefix_match(&c, &d, 33));
}
