#include "auth/limiter.h"

#include "base/mem.h"
#include "base/str.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MINUTE_MS (60 * INT64_C(1000))
#define DAY_MS    (24 * 60 * MINUTE_MS)
#define KEY_LEN   16

const struct auth_limit_config auth_limit_default = {
    .ip = {{MINUTE_MS, 10}, {DAY_MS, 50}},
    .account = {{5 * MINUTE_MS, 20}, {DAY_MS, 100}},
    .known_ms = 30 * DAY_MS,
    .max_entries = 100000,
};

struct window {
	int64_t start;
	int64_t count;
};

struct known {
	uint8_t ip[KEY_LEN];
	int64_t at; /* 0: unused */
};

/* Links are pool indexes plus one; 0 means none. */
struct entry {
	uint8_t key[KEY_LEN];
	bool is_account;
	struct window w[AUTH_LIMIT_RULES];
	struct known known[AUTH_LIMIT_KNOWN];
	uint32_t chain;      /* next in bucket, or next free */
	uint32_t prev, next; /* LRU list: head most recent */
};

struct auth_limiter {
	pthread_mutex_t mu;
	struct auth_limit_config cfg;
	struct entry *pool;
	size_t cap, used;
	uint32_t *buckets;
	size_t mask;
	uint32_t free_list, head, tail;
	uint8_t hashkey[crypto_generichash_KEYBYTES]; /* random: keys cannot be made to collide */
};

struct auth_limiter *auth_limiter_new(const struct auth_limit_config *cfg)
{
	struct auth_limiter *l = xcalloc(1, sizeof *l);
	pthread_mutex_init(&l->mu, NULL);
	l->cfg = cfg ? *cfg : auth_limit_default;
	l->cap = l->cfg.max_entries ? l->cfg.max_entries : 1;
	if (l->cap > UINT32_MAX - 1)
		l->cap = UINT32_MAX - 1;
	l->pool = xcalloc(l->cap, sizeof *l->pool);
	size_t nb = 1;
	while (nb < l->cap)
		nb <<= 1;
	l->buckets = xcalloc(nb, sizeof *l->buckets);
	l->mask = nb - 1;
	for (size_t i = l->cap; i > 0; i--) {
		l->pool[i - 1].chain = l->free_list;
		l->free_list = (uint32_t)i;
	}
	randombytes_buf(l->hashkey, sizeof l->hashkey);
	return l;
}

void auth_limiter_free(struct auth_limiter *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->mu);
	free(l->pool);
	free(l->buckets);
	free(l);
}

size_t auth_limiter_entries(struct auth_limiter *l)
{
	pthread_mutex_lock(&l->mu);
	size_t n = l->used;
	pthread_mutex_unlock(&l->mu);
	return n;
}

void auth_limiter_ip_key(const char *ip, char *out, size_t cap)
{
	struct in_addr a4;
	struct in6_addr a6;
	char buf[INET6_ADDRSTRLEN];
	if (inet_pton(AF_INET, ip, &a4) == 1) {
		inet_ntop(AF_INET, &a4, buf, sizeof buf);
		snprintf(out, cap, "%s", buf);
	} else if (inet_pton(AF_INET6, ip, &a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			memcpy(&a4, a6.s6_addr + 12, 4);
			inet_ntop(AF_INET, &a4, buf, sizeof buf);
			snprintf(out, cap, "%s", buf);
			return;
		}
		memset(a6.s6_addr + 8, 0, 8); /* the /64 */
		inet_ntop(AF_INET6, &a6, buf, sizeof buf);
		snprintf(out, cap, "%s/64", buf);
	} else {
		snprintf(out, cap, "%s", ip);
	}
}

static void hash_key(const struct auth_limiter *l, const char *kind, const char *s,
		     uint8_t out[KEY_LEN])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, l->hashkey, sizeof l->hashkey, KEY_LEN);
	crypto_generichash_update(&st, (const uint8_t *)kind, strlen(kind) + 1);
	crypto_generichash_update(&st, (const uint8_t *)s, strlen(s));
	crypto_generichash_final(&st, out, KEY_LEN);
}

static void hash_ip(const struct auth_limiter *l, const char *ip, uint8_t out[KEY_LEN])
{
	char k[INET6_ADDRSTRLEN + 4 + 256];
	auth_limiter_ip_key(ip, k, sizeof k);
	hash_key(l, "ip", k, out);
}

static size_t bucket_of(const struct auth_limiter *l, const uint8_t key[KEY_LEN])
{
	uint32_t h;
	memcpy(&h, key, sizeof h);
	return h & l->mask;
}

#define E(i) (&l->pool[(i)-1])

static uint32_t find(const struct auth_limiter *l, const uint8_t key[KEY_LEN])
{
	for (uint32_t i = l->buckets[bucket_of(l, key)]; i; i = E(i)->chain)
		if (memcmp(E(i)->key, key, KEY_LEN) == 0)
			return i;
	return 0;
}

static void lru_unlink(struct auth_limiter *l, uint32_t i)
{
	struct entry *e = E(i);
	if (e->prev)
		E(e->prev)->next = e->next;
	else
		l->head = e->next;
	if (e->next)
		E(e->next)->prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = 0;
}

static void lru_push_head(struct auth_limiter *l, uint32_t i)
{
	struct entry *e = E(i);
	e->prev = 0;
	e->next = l->head;
	if (l->head)
		E(l->head)->prev = i;
	l->head = i;
	if (!l->tail)
		l->tail = i;
}

static void remove_entry(struct auth_limiter *l, uint32_t i)
{
	uint32_t *p = &l->buckets[bucket_of(l, E(i)->key)];
	while (*p != i)
		p = &E(*p)->chain;
	*p = E(i)->chain;
	lru_unlink(l, i);
	memset(E(i), 0, sizeof *E(i));
	E(i)->chain = l->free_list;
	l->free_list = i;
	l->used--;
}

static const struct auth_limit_rule *rules_of(const struct auth_limiter *l, const struct entry *e)
{
	return e->is_account ? l->cfg.account : l->cfg.ip;
}

/* Nothing left to remember: every window ended and no address is still known. */
static bool expired(const struct auth_limiter *l, const struct entry *e, int64_t now)
{
	const struct auth_limit_rule *r = rules_of(l, e);
	for (int k = 0; k < AUTH_LIMIT_RULES; k++)
		if (r[k].window_ms > 0 && e->w[k].count > 0 && now < e->w[k].start + r[k].window_ms)
			return false;
	for (int k = 0; k < AUTH_LIMIT_KNOWN; k++)
		if (e->known[k].at && now - e->known[k].at < l->cfg.known_ms)
			return false;
	return true;
}

/* The live entry for key, or 0 (an expired one is dropped on the way). */
static uint32_t lookup(struct auth_limiter *l, const uint8_t key[KEY_LEN], int64_t now)
{
	uint32_t i = find(l, key);
	if (i && expired(l, E(i), now)) {
		remove_entry(l, i);
		return 0;
	}
	return i;
}

static uint32_t get_or_create(struct auth_limiter *l, const uint8_t key[KEY_LEN], bool is_account,
			      int64_t now)
{
	uint32_t i = lookup(l, key, now);
	if (i) {
		lru_unlink(l, i);
		lru_push_head(l, i);
		return i;
	}
	if (!l->free_list)
		remove_entry(l, l->tail); /* full: the least recently used goes */
	i = l->free_list;
	l->free_list = E(i)->chain;
	struct entry *e = E(i);
	memset(e, 0, sizeof *e);
	memcpy(e->key, key, KEY_LEN);
	e->is_account = is_account;
	size_t b = bucket_of(l, key);
	e->chain = l->buckets[b];
	l->buckets[b] = i;
	lru_push_head(l, i);
	l->used++;
	return i;
}

/* Whether some window is full; *retry_ms gets the longest remaining wait. */
static bool locked(const struct auth_limiter *l, const struct entry *e, int64_t now,
		   int64_t *retry_ms)
{
	const struct auth_limit_rule *r = rules_of(l, e);
	bool lock = false;
	int64_t wait = 0;
	for (int k = 0; k < AUTH_LIMIT_RULES; k++) {
		int64_t end = e->w[k].start + r[k].window_ms;
		if (r[k].window_ms > 0 && now < end && e->w[k].count >= r[k].max) {
			lock = true;
			if (end - now > wait)
				wait = end - now;
		}
	}
	if (retry_ms)
		*retry_ms = wait;
	return lock;
}

static void count_failure(const struct auth_limiter *l, struct entry *e, int64_t now)
{
	const struct auth_limit_rule *r = rules_of(l, e);
	for (int k = 0; k < AUTH_LIMIT_RULES; k++) {
		if (r[k].window_ms <= 0)
			continue;
		if (e->w[k].count == 0 || now >= e->w[k].start + r[k].window_ms) {
			e->w[k].start = now;
			e->w[k].count = 0;
		}
		e->w[k].count++;
	}
}

static bool is_known(const struct auth_limiter *l, const struct entry *e, const uint8_t ip[KEY_LEN],
		     int64_t now)
{
	for (int k = 0; k < AUTH_LIMIT_KNOWN; k++)
		if (e->known[k].at && now - e->known[k].at < l->cfg.known_ms &&
		    memcmp(e->known[k].ip, ip, KEY_LEN) == 0)
			return true;
	return false;
}

/* Remembers ip for the account, replacing itself or the oldest. */
static void remember(struct entry *e, const uint8_t ip[KEY_LEN], int64_t now)
{
	int slot = 0;
	for (int k = 0; k < AUTH_LIMIT_KNOWN; k++) {
		if (e->known[k].at && memcmp(e->known[k].ip, ip, KEY_LEN) == 0) {
			slot = k;
			break;
		}
		if (e->known[k].at < e->known[slot].at)
			slot = k;
	}
	memcpy(e->known[slot].ip, ip, KEY_LEN);
	e->known[slot].at = now ? now : 1;
}

bool auth_limiter_ip_allowed(struct auth_limiter *l, const char *ip, int64_t now_ms,
			     int64_t *retry_ms)
{
	uint8_t key[KEY_LEN];
	hash_ip(l, ip, key);
	if (retry_ms)
		*retry_ms = 0;
	pthread_mutex_lock(&l->mu);
	uint32_t i = lookup(l, key, now_ms);
	bool ok = !i || !locked(l, E(i), now_ms, retry_ms);
	pthread_mutex_unlock(&l->mu);
	return ok;
}

enum auth_result auth_limiter_settle(struct auth_limiter *l, const char *ip, const char *key,
				     enum auth_result r, int64_t now_ms, int64_t *retry_ms)
{
	uint8_t ipk[KEY_LEN], ak[KEY_LEN];
	hash_ip(l, ip, ipk);
	bool have_account = key && key[0];
	if (have_account)
		hash_key(l, "account", key, ak);
	if (retry_ms)
		*retry_ms = 0;
	pthread_mutex_lock(&l->mu);
	uint32_t a = have_account ? lookup(l, ak, now_ms) : 0;
	if (a && !is_known(l, E(a), ipk, now_ms) && locked(l, E(a), now_ms, retry_ms)) {
		pthread_mutex_unlock(&l->mu);
		return AUTH_RESULT_RATELIMITED;
	}
	if (r == AUTH_RESULT_OK) {
		uint32_t i = lookup(l, ipk, now_ms);
		if (i)
			remove_entry(l, i);
		if (have_account)
			remember(E(get_or_create(l, ak, true, now_ms)), ipk, now_ms);
	} else if (auth_result_is_failure(r)) {
		count_failure(l, E(get_or_create(l, ipk, false, now_ms)), now_ms);
		if (have_account)
			count_failure(l, E(get_or_create(l, ak, true, now_ms)), now_ms);
	}
	pthread_mutex_unlock(&l->mu);
	return r;
}
