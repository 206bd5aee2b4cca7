#include "net/limits.h"

#include "base/mem.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Chained hash table; entries live only while their IP has connections. */
#define LIMITS_BUCKETS 256

/* An IPv4 address, an IPv6 /64 prefix, or the one key for other families. */
struct ipkey {
	uint8_t family; /* 4, 6 or 0 */
	uint8_t addr[8];
};

struct ipentry {
	struct ipentry *next;
	struct ipkey key;
	unsigned count;
};

struct limits {
	atomic_uint refs;
	unsigned max_total;
	unsigned max_per_ip;
	pthread_mutex_t lock;
	unsigned total;
	struct ipentry *buckets[LIMITS_BUCKETS];
};

struct limits *limits_new(unsigned max_total, unsigned max_per_ip)
{
	struct limits *l = xcalloc(1, sizeof *l);
	atomic_init(&l->refs, 1);
	l->max_total = max_total;
	l->max_per_ip = max_per_ip;
	pthread_mutex_init(&l->lock, NULL);
	return l;
}

struct limits *limits_ref(struct limits *l)
{
	atomic_fetch_add(&l->refs, 1);
	return l;
}

void limits_unref(struct limits *l)
{
	if (!l || atomic_fetch_sub(&l->refs, 1) != 1)
		return;
	for (size_t i = 0; i < LIMITS_BUCKETS; i++) {
		struct ipentry *e = l->buckets[i];
		while (e) {
			struct ipentry *next = e->next;
			free(e);
			e = next;
		}
	}
	pthread_mutex_destroy(&l->lock);
	free(l);
}

static struct ipkey key_of(const struct sockaddr *sa)
{
	struct ipkey k;
	memset(&k, 0, sizeof k);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		k.family = 4;
		memcpy(k.addr, &in->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		k.family = 6;
		memcpy(k.addr, &in6->sin6_addr, 8); /* the /64 prefix */
	}
	return k;
}

static size_t bucket_of(const struct ipkey *k)
{
	/* FNV-1a: remote peers choose their addresses, but not this table's size. */
	uint32_t h = 2166136261u;
	const uint8_t *p = (const uint8_t *)k;
	for (size_t i = 0; i < sizeof *k; i++)
		h = (h ^ p[i]) * 16777619u;
	return h % LIMITS_BUCKETS;
}

static struct ipentry **find(struct limits *l, const struct ipkey *k)
{
	struct ipentry **pp = &l->buckets[bucket_of(k)];
	while (*pp && memcmp(&(*pp)->key, k, sizeof *k) != 0)
		pp = &(*pp)->next;
	return pp;
}

static void describe(const struct sockaddr *sa, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "local";
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip, sizeof ip);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ip, sizeof ip);
	snprintf(out, cap, "%s%s", ip, sa->sa_family == AF_INET6 ? " (/64)" : "");
}

bool limits_acquire(struct limits *l, const struct sockaddr *sa, struct error *err)
{
	struct ipkey k = key_of(sa);
	pthread_mutex_lock(&l->lock);
	if (l->max_total && l->total >= l->max_total) {
		unsigned max = l->max_total;
		pthread_mutex_unlock(&l->lock);
		return error_set(err, ERR_LIMIT, "too many connections in total (max %u)", max);
	}
	struct ipentry **pp = find(l, &k);
	if (*pp && l->max_per_ip && (*pp)->count >= l->max_per_ip) {
		unsigned max = l->max_per_ip;
		pthread_mutex_unlock(&l->lock);
		char who[INET6_ADDRSTRLEN + 8];
		describe(sa, who, sizeof who);
		return error_set(err, ERR_LIMIT, "too many connections from %s (max %u)", who, max);
	}
	if (!*pp) {
		*pp = xcalloc(1, sizeof **pp);
		(*pp)->key = k;
	}
	(*pp)->count++;
	l->total++;
	pthread_mutex_unlock(&l->lock);
	return true;
}

void limits_release(struct limits *l, const struct sockaddr *sa)
{
	struct ipkey k = key_of(sa);
	pthread_mutex_lock(&l->lock);
	struct ipentry **pp = find(l, &k);
	if (*pp) {
		l->total--;
		if (--(*pp)->count == 0) {
			struct ipentry *e = *pp;
			*pp = e->next;
			free(e);
		}
	}
	pthread_mutex_unlock(&l->lock);
}

unsigned limits_total(struct limits *l)
{
	pthread_mutex_lock(&l->lock);
	unsigned n = l->total;
	pthread_mutex_unlock(&l->lock);
	return n;
}

unsigned limits_for(struct limits *l, const struct sockaddr *sa)
{
	struct ipkey k = key_of(sa);
	pthread_mutex_lock(&l->lock);
	struct ipentry **pp = find(l, &k);
	unsigned n = *pp ? (*pp)->count : 0;
	pthread_mutex_unlock(&l->lock);
	return n;
}
