/*
 * The reader pool (see pool.h).
 */
#include "db/pool.h"

#include "base/mem.h"
#include "base/timeutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void db_pool_init(struct db_pool *p, const char *path, size_t max)
{
	memset(p, 0, sizeof *p);
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);
	p->path = xstrdup(path);
	p->max = max;
	p->idle = xcalloc(max, sizeof *p->idle);
}

void db_pool_destroy(struct db_pool *p)
{
	for (size_t i = 0; i < p->nidle; i++) {
		db_close(p->idle[i]);
		free(p->idle[i]);
	}
	free(p->idle);
	free(p->path);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
}

struct db *db_pool_get(struct db_pool *p, struct error *err)
{
	struct timespec deadline = timespec_after_ms(CLOCK_MONOTONIC, DB_BUSY_TIMEOUT_MS);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		if (p->nidle > 0) {
			struct db *db = p->idle[--p->nidle];
			pthread_mutex_unlock(&p->mu);
			return db;
		}
		if (p->nopen < p->max)
			break;
		if (pthread_cond_timedwait(&p->cv, &p->mu, &deadline) == ETIMEDOUT) {
			pthread_mutex_unlock(&p->mu);
			error_set(err, ERR_TEMPORARY, "all %zu database readers busy", p->max);
			return NULL;
		}
	}
	p->nopen++;
	pthread_mutex_unlock(&p->mu);
	struct db *db = xcalloc(1, sizeof *db);
	struct db_options o = {.role = DB_QUERY_ONLY};
	if (!db_open(db, p->path, &o, err)) {
		free(db);
		pthread_mutex_lock(&p->mu);
		p->nopen--;
		pthread_cond_signal(&p->cv);
		pthread_mutex_unlock(&p->mu);
		return NULL;
	}
	return db;
}

void db_pool_put(struct db_pool *p, struct db *db)
{
	db_rollback(db);
	pthread_mutex_lock(&p->mu);
	p->idle[p->nidle++] = db;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}
