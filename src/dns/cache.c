#include "dns/cache.h"

#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define SHARDS  16
#define BUCKETS 4096 /* per shard */
/* Bytes an entry costs beyond its data: header, arena chunk, table slot. */
#define ENTRY_OVERHEAD 128

struct entry {
	struct entry *hnext;       /* bucket chain */
	struct entry *prev, *next; /* LRU: most recently used at the shard's head */
	uint64_t hash;
	int64_t expires_ms;
	size_t bytes;
	struct arena arena; /* holds the result's data */
	struct dns_result res;
};

struct shard {
	pthread_mutex_t mu;
	struct entry *buckets[BUCKETS];
	struct entry *head, *tail;
	size_t bytes;
	size_t entries;
};

struct dns_cache {
	struct dns_resolver base; /* first */
	struct dns_resolver *inner;
	size_t max_shard_bytes;
	struct shard shards[SHARDS];
	_Atomic uint64_t hits, misses;
};

/* FNV-1a over the type and the name. */
static uint64_t key_hash(enum dns_type type, const char *name)
{
	uint64_t h = 1469598103934665603ull;
	h = (h ^ (uint64_t)type) * 1099511628211ull;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return h;
}

static struct shard *shard_of(struct dns_cache *c, uint64_t hash)
{
	return &c->shards[hash % SHARDS];
}

static struct entry **bucket_of(struct shard *s, uint64_t hash)
{
	return &s->buckets[(hash / SHARDS) % BUCKETS];
}

static void lru_unlink(struct shard *s, struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		s->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		s->tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push(struct shard *s, struct entry *e)
{
	e->prev = NULL;
	e->next = s->head;
	if (s->head)
		s->head->prev = e;
	s->head = e;
	if (s->tail == NULL)
		s->tail = e;
}

static void entry_free(struct entry *e)
{
	arena_free(&e->arena);
	free(e);
}

/* Takes e out of the shard (it must be in it) and frees it. */
static void remove_entry(struct shard *s, struct entry *e)
{
	struct entry **pp = bucket_of(s, e->hash);
	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(s, e);
	s->bytes -= e->bytes;
	s->entries--;
	entry_free(e);
}

static struct entry *find(struct shard *s, uint64_t hash, const struct dns_question *q)
{
	for (struct entry *e = *bucket_of(s, hash); e; e = e->hnext)
		if (e->hash == hash && e->res.type == q->type && strcmp(e->res.name, q->name) == 0)
			return e;
	return NULL;
}

/* A fresh entry's result copied into out; false (and a stale one dropped) on a miss. */
static bool lookup_cached(struct dns_cache *c, const struct dns_question *q, int64_t now,
			  struct arena *a, struct dns_result *out)
{
	uint64_t hash = key_hash(q->type, q->name);
	struct shard *s = shard_of(c, hash);
	bool hit = false;
	pthread_mutex_lock(&s->mu);
	struct entry *e = find(s, hash, q);
	if (e && e->expires_ms <= now) {
		remove_entry(s, e);
	} else if (e) {
		dns_result_copy(out, &e->res, a);
		out->ttl = (uint32_t)((e->expires_ms - now + 999) / 1000);
		lru_unlink(s, e);
		lru_push(s, e);
		hit = true;
	}
	pthread_mutex_unlock(&s->mu);
	return hit;
}

static bool cacheable(const struct dns_result *r)
{
	return r->ttl > 0 &&
	       (r->status == DNS_OK || r->status == DNS_NODATA || r->status == DNS_NXDOMAIN);
}

static void store(struct dns_cache *c, const struct dns_result *r, int64_t now)
{
	struct entry *e = xcalloc(1, sizeof *e);
	arena_init(&e->arena, 512);
	dns_result_copy(&e->res, r, &e->arena);
	e->hash = key_hash(r->type, r->name);
	e->expires_ms = now + (int64_t)r->ttl * 1000;
	e->bytes = e->arena.total + ENTRY_OVERHEAD;
	if (e->bytes > c->max_shard_bytes) {
		entry_free(e);
		return;
	}
	struct shard *s = shard_of(c, e->hash);
	pthread_mutex_lock(&s->mu);
	struct dns_question q = {.type = r->type};
	str_copy(q.name, sizeof q.name, r->name);
	struct entry *old = find(s, e->hash, &q);
	if (old)
		remove_entry(s, old);
	struct entry **b = bucket_of(s, e->hash);
	e->hnext = *b;
	*b = e;
	lru_push(s, e);
	s->bytes += e->bytes;
	s->entries++;
	while (s->bytes > c->max_shard_bytes && s->tail)
		remove_entry(s, s->tail);
	pthread_mutex_unlock(&s->mu);
}

static void cache_resolve(struct dns_resolver *r, const struct dns_question *qs, size_t n,
			  int64_t deadline_ms, struct arena *a, struct dns_result *out)
{
	struct dns_cache *c = (struct dns_cache *)r;
	struct dns_question missed[DNS_BATCH_MAX];
	size_t slot[DNS_BATCH_MAX], m = 0;
	int64_t now = mono_ms();
	for (size_t i = 0; i < n; i++) {
		if (lookup_cached(c, &qs[i], now, a, &out[i])) {
			atomic_fetch_add(&c->hits, 1);
			continue;
		}
		missed[m] = qs[i];
		slot[m++] = i;
	}
	if (m == 0)
		return;
	atomic_fetch_add(&c->misses, m);
	struct dns_result answers[DNS_BATCH_MAX];
	c->inner->ops->resolve(c->inner, missed, m, deadline_ms, a, answers);
	now = mono_ms();
	for (size_t j = 0; j < m; j++) {
		out[slot[j]] = answers[j];
		if (cacheable(&answers[j]))
			store(c, &answers[j], now);
	}
}

static void cache_free(struct dns_resolver *r)
{
	struct dns_cache *c = (struct dns_cache *)r;
	for (size_t i = 0; i < SHARDS; i++) {
		struct shard *s = &c->shards[i];
		while (s->head)
			remove_entry(s, s->head);
		pthread_mutex_destroy(&s->mu);
	}
	dns_resolver_free(c->inner);
	free(c);
}

static const struct dns_resolver_ops cache_ops = {"cache", cache_resolve, cache_free};

struct dns_resolver *dns_cache_new(struct dns_resolver *inner, size_t max_bytes)
{
	struct dns_cache *c = xcalloc(1, sizeof *c);
	c->base.ops = &cache_ops;
	c->base.timeout_ms = inner->timeout_ms;
	c->inner = inner;
	c->max_shard_bytes = (max_bytes ? max_bytes : DNS_CACHE_DEFAULT_BYTES) / SHARDS;
	for (size_t i = 0; i < SHARDS; i++)
		pthread_mutex_init(&c->shards[i].mu, NULL);
	return &c->base;
}

void dns_cache_stats(struct dns_resolver *r, struct dns_cache_stats *out)
{
	struct dns_cache *c = (struct dns_cache *)r;
	memset(out, 0, sizeof *out);
	out->hits = atomic_load(&c->hits);
	out->misses = atomic_load(&c->misses);
	for (size_t i = 0; i < SHARDS; i++) {
		struct shard *s = &c->shards[i];
		pthread_mutex_lock(&s->mu);
		out->entries += s->entries;
		out->bytes += s->bytes;
		pthread_mutex_unlock(&s->mu);
	}
}
