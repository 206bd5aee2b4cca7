#include "smtp/sendlimit.h"

#include "base/mem.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Timestamps in a ring that drops entries older than the window. */
struct window {
	int64_t *t;
	size_t cap, start, n;
};

struct known {
	char **v; /* open addressing, power-of-two capacity */
	size_t cap, n;
};

struct acct {
	char *name;
	struct window msgs, first;
	struct known rcpts;
};

struct smtp_sendlimits {
	pthread_mutex_t mu;
	struct acct *v;
	size_t n;
};

struct smtp_sendlimits *smtp_sendlimits_new(void)
{
	struct smtp_sendlimits *l = xcalloc(1, sizeof *l);
	pthread_mutex_init(&l->mu, NULL);
	l->v = xcalloc(SMTP_SENDLIMIT_ACCOUNTS, sizeof *l->v);
	return l;
}

void smtp_sendlimits_free(struct smtp_sendlimits *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		struct acct *a = &l->v[i];
		free(a->name);
		free(a->msgs.t);
		free(a->first.t);
		for (size_t k = 0; k < a->rcpts.cap; k++)
			free(a->rcpts.v[k]);
		free(a->rcpts.v);
	}
	free(l->v);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

static void window_expire(struct window *w, int64_t now)
{
	while (w->n > 0 && w->t[w->start] <= now - SMTP_SENDLIMIT_WINDOW) {
		w->start = (w->start + 1) % w->cap;
		w->n--;
	}
}

/* Entries in the window; a limit change resizes (keeping the newest entries). */
static size_t window_count(struct window *w, int64_t limit, int64_t now)
{
	size_t cap = (size_t)limit;
	if (w->cap != cap) {
		int64_t *t = xcalloc(cap, sizeof *t);
		size_t keep = w->n < cap ? w->n : cap;
		for (size_t i = 0; i < keep; i++)
			t[i] = w->t[(w->start + w->n - keep + i) % w->cap];
		free(w->t);
		*w = (struct window){t, cap, 0, keep};
	}
	window_expire(w, now);
	return w->n;
}

static void window_add(struct window *w, int64_t now)
{
	if (w->n == w->cap) { /* full: only possible when the limit is not enforced for it */
		w->start = (w->start + 1) % w->cap;
		w->n--;
	}
	w->t[(w->start + w->n) % w->cap] = now;
	w->n++;
}

static uint64_t hash(const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(0x100000001b3);
	return h;
}

static char **known_slot(const struct known *k, const char *s)
{
	size_t i = (size_t)hash(s) & (k->cap - 1);
	while (k->v[i] && strcmp(k->v[i], s) != 0)
		i = (i + 1) & (k->cap - 1);
	return &k->v[i];
}

static bool known_has(const struct known *k, const char *s)
{
	return k->cap && *known_slot(k, s);
}

static void known_add(struct known *k, const char *s)
{
	if (k->n >= SMTP_SENDLIMIT_KNOWN || known_has(k, s))
		return;
	if (2 * (k->n + 1) > k->cap) {
		struct known bigger = {xcalloc(k->cap ? 2 * k->cap : 64, sizeof(char *)),
				       k->cap ? 2 * k->cap : 64, k->n};
		for (size_t i = 0; i < k->cap; i++)
			if (k->v[i])
				*known_slot(&bigger, k->v[i]) = k->v[i];
		free(k->v);
		*k = bigger;
	}
	*known_slot(k, s) = xstrdup(s);
	k->n++;
}

static struct acct *find_acct(struct smtp_sendlimits *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	if (l->n == SMTP_SENDLIMIT_ACCOUNTS)
		return NULL;
	struct acct *a = &l->v[l->n++];
	a->name = xstrdup(name);
	return a;
}

enum smtp_sendlimit_result smtp_sendlimits_take(struct smtp_sendlimits *l, const char *account,
						int64_t max_messages, int64_t max_first_time,
						const char *const *rcpts, size_t n, int64_t now)
{
	pthread_mutex_lock(&l->mu);
	enum smtp_sendlimit_result r = SMTP_SENDLIMIT_OK;
	struct acct *a = find_acct(l, account);
	if (!a)
		goto out; /* more accounts than tracked: not limited (logged by nobody; bounded) */
	if (max_messages > 0 && window_count(&a->msgs, max_messages, now) >= (size_t)max_messages) {
		r = SMTP_SENDLIMIT_MESSAGES;
		goto out;
	}
	size_t fresh = 0;
	for (size_t i = 0; i < n; i++) {
		bool dup = false;
		for (size_t j = 0; j < i && !dup; j++)
			dup = strcmp(rcpts[i], rcpts[j]) == 0;
		if (!dup && !known_has(&a->rcpts, rcpts[i]))
			fresh++;
	}
	if (max_first_time > 0 && fresh > 0 &&
	    window_count(&a->first, max_first_time, now) + fresh > (size_t)max_first_time) {
		r = SMTP_SENDLIMIT_RECIPIENTS;
		goto out;
	}
	if (max_messages > 0)
		window_add(&a->msgs, now);
	for (size_t i = 0; i < n; i++) {
		if (known_has(&a->rcpts, rcpts[i]))
			continue;
		if (max_first_time > 0)
			window_add(&a->first, now);
		known_add(&a->rcpts, rcpts[i]);
	}
out:
	pthread_mutex_unlock(&l->mu);
	return r;
}
