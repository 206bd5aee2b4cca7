#include "net/limits.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static struct sockaddr_storage addr(const char *ip)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, ip, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
	} else {
		cr_assert_eq(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
		in6->sin6_family = AF_INET6;
	}
	return ss;
}

#define SA(ss) ((const struct sockaddr *)&(ss))

Test(net_limits, total_bound_and_release)
{
	struct limits *l = limits_new(3, 0);
	struct sockaddr_storage a = addr("192.0.2.1"), b = addr("192.0.2.2"),
				c = addr("2001:db8::1");
	struct error err;
	cr_assert(limits_acquire(l, SA(a), &err));
	cr_assert(limits_acquire(l, SA(b), &err));
	cr_assert(limits_acquire(l, SA(c), &err));
	cr_assert(!limits_acquire(l, SA(a), &err));
	cr_assert_eq(err.kind, ERR_LIMIT);
	cr_assert(strstr(err.msg, "in total (max 3)"), "%s", err.msg);
	cr_assert_eq(limits_total(l), 3);
	limits_release(l, SA(b));
	cr_assert_eq(limits_total(l), 2);
	cr_assert(limits_acquire(l, SA(a), &err));
	cr_assert_eq(limits_for(l, SA(a)), 2);
	limits_unref(l); /* frees entries still counted */
}

Test(net_limits, per_ip_bound_names_the_ip)
{
	struct limits *l = limits_new(0, 2);
	struct sockaddr_storage a = addr("192.0.2.1"), b = addr("192.0.2.2");
	struct error err;
	cr_assert(limits_acquire(l, SA(a), &err));
	cr_assert(limits_acquire(l, SA(a), &err));
	cr_assert(!limits_acquire(l, SA(a), &err));
	cr_assert_eq(err.kind, ERR_LIMIT);
	cr_assert(strstr(err.msg, "from 192.0.2.1 (max 2)"), "%s", err.msg);
	cr_assert(limits_acquire(l, SA(b), &err), "other ips are not affected");
	limits_release(l, SA(a));
	cr_assert(limits_acquire(l, SA(a), &err));
	limits_release(l, SA(a));
	limits_release(l, SA(a));
	limits_release(l, SA(b));
	cr_assert_eq(limits_for(l, SA(a)), 0);
	cr_assert_eq(limits_total(l), 0);
	limits_unref(l);
}

Test(net_limits, ipv6_counts_per_64)
{
	struct limits *l = limits_new(0, 2);
	struct sockaddr_storage a1 = addr("2001:db8:0:1::1"), a2 = addr("2001:db8:0:1:ffff::2"),
				a3 = addr("2001:db8:0:1::3"), other = addr("2001:db8:0:2::1");
	struct error err;
	cr_assert(limits_acquire(l, SA(a1), &err));
	cr_assert(limits_acquire(l, SA(a2), &err));
	cr_assert(!limits_acquire(l, SA(a3), &err), "same /64");
	cr_assert(strstr(err.msg, "(/64)"), "%s", err.msg);
	cr_assert(limits_acquire(l, SA(other), &err), "another /64");
	cr_assert_eq(limits_for(l, SA(a3)), 2);
	limits_unref(l);
}

Test(net_limits, zero_means_unlimited)
{
	struct limits *l = limits_new(0, 0);
	struct sockaddr_storage a = addr("192.0.2.9");
	for (int i = 0; i < 1000; i++)
		cr_assert(limits_acquire(l, SA(a), NULL));
	cr_assert_eq(limits_total(l), 1000);
	limits_unref(l);
}

struct hammer {
	struct limits *l;
	int id;
	int refused;
};

static void *hammer_main(void *arg)
{
	struct hammer *h = arg;
	char ip[32];
	snprintf(ip, sizeof ip, "10.0.0.%d", h->id % 4);
	struct sockaddr_storage a = addr(ip);
	for (int i = 0; i < 2000; i++) {
		if (!limits_acquire(h->l, SA(a), NULL)) {
			h->refused++;
			continue;
		}
		limits_release(h->l, SA(a));
	}
	return NULL;
}

Test(net_limits, concurrent_acquire_release_balances)
{
	struct limits *l = limits_new(6, 3);
	struct hammer h[8];
	pthread_t th[8];
	for (int i = 0; i < 8; i++) {
		h[i] = (struct hammer){limits_ref(l), i, 0};
		pthread_create(&th[i], NULL, hammer_main, &h[i]);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		limits_unref(h[i].l);
	}
	cr_assert_eq(limits_total(l), 0);
	for (int i = 0; i < 4; i++) {
		char ip[32];
		snprintf(ip, sizeof ip, "10.0.0.%d", i);
		struct sockaddr_storage a = addr(ip);
		cr_assert_eq(limits_for(l, SA(a)), 0);
	}
	limits_unref(l);
}
