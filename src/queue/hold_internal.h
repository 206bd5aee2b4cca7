/*
 * hold_internal: state shared by hold.c (storage, the hold operation) and
 * hold_release.c (the release thread). Internal to src/queue.
 */
#ifndef TERN_QUEUE_HOLD_INTERNAL_H
#define TERN_QUEUE_HOLD_INTERNAL_H

#include "base/log.h"
#include "queue/hold.h"
#include "db/db.h"

#include <pthread.h>

/* Recipient states in hold.db. */
enum held_state {
	HELD_PENDING = 0,
	HELD_DELIVERED = 1,
	HELD_FAILED = 2, /* reported to the sender */
};

struct queue_hold {
	char *dir;     /* DATADIR/queue */
	char *msg_dir; /* DATADIR/queue/msg */
	char *hostname;
	const struct smtp_delivery_ops *delivery;
	struct smtp_hold_ops ops;
	struct logger lg;

	pthread_mutex_t db_mu; /* the one connection, used by holds and releases */
	struct db db;
	bool open;

	pthread_mutex_t mu; /* the release thread's wake-ups */
	pthread_cond_t cv;
	bool stopping;
	bool woken; /* a hold arrived while the thread was not waiting */
	bool running;
	pthread_t thread;
};

/* DATADIR/queue/msg/ID, newly allocated. */
char *hold_msg_path(const struct queue_hold *h, int64_t id);
/* Wakes the release thread to look at the next due time again. */
void hold_wake(struct queue_hold *h);

#endif
