/*
 * store/durable: commits are acknowledged only after a WAL sync covering
 * them, shared among concurrent writers; a failed sync fails the write but
 * keeps what the index already names.
 */
#include "store/internal.h"
#include "test_store_helpers.h"

#include <pthread.h>

struct writer_arg {
	struct store_account *a;
	int failures;
	int not_durable; /* returned before a sync covered the commit */
};

static void *deliver_some(void *p)
{
	struct writer_arg *w = p;
	for (int i = 0; i < 40; i++) {
		struct store_target tg = {.mailbox_name = "Inbox"};
		const char *text = "Subject: durable\r\n\r\nbody\r\n";
		struct store_delivery d = {
		    .data = text, .len = strlen(text), .targets = &tg, .ntargets = 1};
		struct error err;
		if (!store_deliver(w->a, &d, &err)) {
			w->failures++;
			continue;
		}
		/* Whatever this thread's commit number was, the syncs done cover every
		 * commit numbered before store_deliver returned... at least its own. */
		pthread_mutex_lock(&w->a->dmu);
		uint64_t durable = w->a->durable;
		pthread_mutex_unlock(&w->a->dmu);
		if (durable == 0)
			w->not_durable++;
	}
	return NULL;
}

Test(store_durable, concurrent_writes_share_syncs_and_return_durable)
{
	struct tstore t;
	tstore_open(&t);
	uint64_t before = atomic_load(&t.a->committed);
	struct writer_arg args[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		args[i] = (struct writer_arg){t.a, 0, 0};
		cr_assert_eq(pthread_create(&th[i], NULL, deliver_some, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		cr_assert_eq(args[i].failures, 0);
		cr_assert_eq(args[i].not_durable, 0);
	}
	/* Every commit is durable once all writers returned. */
	uint64_t committed = atomic_load(&t.a->committed);
	cr_assert_geq(committed - before, 1);
	cr_assert_leq(committed - before, 160, "group commit batches writes");
	pthread_mutex_lock(&t.a->dmu);
	cr_assert_eq(t.a->durable, committed);
	pthread_mutex_unlock(&t.a->dmu);
	cr_assert_eq(tmailbox(&t, "Inbox").counts.total, 160);
	tstore_close(&t);
}

Test(store_durable, failed_sync_fails_the_write_but_keeps_the_committed_message)
{
	struct tstore t;
	tstore_open(&t);
	/* The first delivery also reserves file ids (a durable commit of its own). */
	tdeliver(&t, "Inbox", "Subject: first\r\n\r\nbody\r\n", 0);
	/* A WAL path that cannot be examined: the sync fails with ENOTDIR. */
	char *saved = t.a->walpath;
	t.a->walpath = strdup("/dev/null/index.db-wal");
	struct store_target tg = {.mailbox_name = "Inbox"};
	const char *text = "Subject: committed\r\n\r\nbody\r\n";
	struct store_delivery d = {
	    .data = text, .len = strlen(text), .targets = &tg, .ntargets = 1};
	struct error err;
	cr_assert_not(store_deliver(t.a, &d, &err));
	cr_assert_eq(err.kind, ERR_IO, "%s", err.msg);
	free(t.a->walpath);
	t.a->walpath = saved;
	/* The index names the message and its file is still there: consistent. */
	cr_assert_eq(tmailbox(&t, "Inbox").counts.total, 2);
	tcheck(t.a);
	tstore_close(&t);
}
