/*
 * db/pool: a pool of reader connections (DB_QUERY_ONLY) to one database, so
 * threads reading at once each get their own connection without opening
 * one per read.
 *
 * At most max connections are open at once; a caller that finds none free
 * waits until one is returned, at most DB_BUSY_TIMEOUT_MS, then gets
 * ERR_TEMPORARY. A connection is handed back with db_pool_put, which ends
 * any transaction left open. Thread-safe.
 */
#ifndef TERN_DB_POOL_H
#define TERN_DB_POOL_H

#include "db/db.h"

#include <pthread.h>

struct db_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *path;
	struct db **idle;
	size_t nidle;
	size_t nopen;
	size_t max;
};

void db_pool_init(struct db_pool *p, const char *path, size_t max);
/* Closes the idle connections; every connection must have been put back. */
void db_pool_destroy(struct db_pool *p);
struct db *db_pool_get(struct db_pool *p, struct error *err);
void db_pool_put(struct db_pool *p, struct db *db);

#endif
