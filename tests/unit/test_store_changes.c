#include "test_store_helpers.h"

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

static const char msg[] = "Subject: n\r\n\r\nnotify\r\n";

static struct store_subscriber *sub(struct tstore *t, size_t max, bool hold)
{
	struct store_subscriber_options o = {.max_queue = max, .hold_expunged = hold};
	struct error err;
	struct store_subscriber *s = store_subscriber_new(t->a, &o, &err);
	cr_assert(s, "%s", err.msg);
	return s;
}

/* Kinds of the waiting changes as letters: A add, R remove, F flags, M mailbox add, ... */
static void take_kinds(struct store_subscriber *s, struct buf *out, uint64_t *lastseq)
{
	static const char letters[] = "ARFMXNSKCBZ";
	struct store_changes c;
	store_subscriber_take(s, &c);
	buf_reset(out);
	for (size_t i = 0; i < c.n; i++) {
		buf_putc(out, letters[c.v[i]->kind]);
		if (c.v[i]->kind != STORE_CHANGE_RESYNC) {
			cr_assert_gt(c.v[i]->seq, *lastseq, "seq order");
			*lastseq = c.v[i]->seq;
		}
	}
	store_changes_free(&c);
}

Test(store_changes, order_kinds_and_origin)
{
	struct tstore t;
	tstore_open(&t);
	struct store_subscriber *s1 = sub(&t, 0, false), *s2 = sub(&t, 0, false);
	cr_assert(!store_subscriber_wait(s1, 0));
	struct error err;
	cr_assert(store_mailbox_create(t.a, "box", NULL, s1, NULL, &err));
	tdeliver(&t, "box", msg, 0);
	int64_t box = tmailbox_id(&t, "box");
	struct store_flags_change fc = {.op = STORE_FLAGS_ADD, .flags = STORE_FLAG_DELETED};
	struct store_flags_result fr;
	cr_assert(store_flags_update(t.a, box, NULL, &fc, NULL, &t.ar, &fr, &err));
	uint32_t *uids;
	size_t n;
	cr_assert(store_expunge(t.a, box, NULL, NULL, &t.ar, &uids, &n, NULL, &err));
	cr_assert(store_mailbox_rename(t.a, "box", "box2", NULL, &err));
	cr_assert(store_subscription_add(t.a, "elsewhere", NULL, &err));
	cr_assert(store_mailbox_set_specialuse(t.a, "box2", STORE_SPECIALUSE_ARCHIVE, NULL, &err));
	cr_assert(store_mailbox_delete(t.a, "box2", NULL, &err));
	cr_assert(store_subscriber_wait(s1, 0));
	struct buf k = BUF_INIT;
	uint64_t seq1 = 0, seq2 = 0;
	take_kinds(s1, &k, &seq1);
	/* s1 created the mailbox: no M; the special-use change also clears Archive on "Archive" */
	cr_assert_str_eq(buf_cstr(&k), "ACFCRCNBSSX", "got %s", buf_cstr(&k));
	take_kinds(s2, &k, &seq2);
	cr_assert_str_eq(buf_cstr(&k), "MACFCRCNBSSX", "got %s", buf_cstr(&k));
	cr_assert_eq(seq1, seq2);
	cr_assert(!store_subscriber_wait(s1, 0));
	take_kinds(s1, &k, &seq1);
	cr_assert_str_eq(buf_cstr(&k), "");
	buf_free(&k);
	store_subscriber_free(s1);
	store_subscriber_free(s2);
	tstore_close(&t);
}

Test(store_changes, contents_of_add_flags_remove)
{
	struct tstore t;
	tstore_open(&t);
	struct store_subscriber *s = sub(&t, 0, false);
	uint32_t uid = tdeliver(&t, "Inbox", msg, STORE_FLAG_SEEN);
	int64_t in = tmailbox_id(&t, "Inbox");
	struct store_changes c;
	store_subscriber_take(s, &c);
	cr_assert_eq(c.n, 2);
	cr_assert_eq(c.v[0]->kind, STORE_CHANGE_ADD);
	cr_assert_eq(c.v[0]->mailbox_id, in);
	cr_assert_eq(c.v[0]->nmsgs, 1);
	cr_assert_eq(c.v[0]->msgs[0].uid, uid);
	cr_assert_eq(c.v[0]->msgs[0].flags, STORE_FLAG_SEEN);
	cr_assert_eq(c.v[1]->kind, STORE_CHANGE_MAILBOX_COUNTS);
	cr_assert_eq(c.v[1]->counts.total, 1);
	cr_assert_eq(c.v[1]->counts.unseen, 0);
	cr_assert_eq(c.v[1]->uidnext, uid + 1);
	store_changes_free(&c);
	const char *kwn[] = {"new"};
	struct store_keywords kw;
	struct error err;
	cr_assert(store_keywords_make(kwn, 1, &t.ar, NULL, &kw, &err));
	struct store_flags_change fc = {.op = STORE_FLAGS_ADD, .keywords = kw};
	struct store_flags_result fr;
	cr_assert(store_flags_update(t.a, in, NULL, &fc, NULL, &t.ar, &fr, &err));
	store_subscriber_take(s, &c);
	cr_assert_eq(c.n, 3);
	cr_assert_eq(c.v[0]->kind, STORE_CHANGE_FLAGS);
	cr_assert_eq(c.v[0]->modseq, fr.modseq);
	cr_assert_str_eq(c.v[0]->msgs[0].keywords.v[0], "new");
	cr_assert_eq(c.v[1]->kind, STORE_CHANGE_MAILBOX_KEYWORDS);
	cr_assert_eq(c.v[1]->keywords.n, 1);
	cr_assert_eq(c.v[2]->highestmodseq, fr.modseq);
	/* the batch outlives the subscriber */
	store_subscriber_free(s);
	cr_assert_str_eq(c.v[0]->msgs[0].keywords.v[0], "new");
	store_changes_free(&c);
	tstore_close(&t);
}

Test(store_changes, slow_subscriber_gets_one_resync)
{
	struct tstore t;
	tstore_open(&t);
	struct store_subscriber *slow = sub(&t, 3, false), *fast = sub(&t, 1000, false);
	for (int i = 0; i < 10; i++)
		tdeliver(&t, "Inbox", msg, 0);
	struct store_changes c;
	store_subscriber_take(slow, &c);
	cr_assert_eq(c.n, 1);
	cr_assert_eq(c.v[0]->kind, STORE_CHANGE_RESYNC);
	store_changes_free(&c);
	store_subscriber_take(fast, &c);
	cr_assert_eq(c.n, 20);
	store_changes_free(&c);
	/* after the resync, changes flow again */
	tdeliver(&t, "Inbox", msg, 0);
	store_subscriber_take(slow, &c);
	cr_assert_eq(c.n, 2);
	cr_assert_eq(c.v[0]->kind, STORE_CHANGE_ADD);
	store_changes_free(&c);
	store_subscriber_free(slow);
	store_subscriber_free(fast);
	tstore_close(&t);
}

static int count_files(struct tstore *t)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "exit $(find %s/accounts/mjl/msg -type f | wc -l)", t->dir);
	int rc = system(cmd);
	return WEXITSTATUS(rc);
}

Test(store_changes, held_expunged_files_until_ack)
{
	struct tstore t;
	tstore_open(&t);
	struct store_subscriber *imap = sub(&t, 0, true), *web = sub(&t, 0, false);
	tdeliver(&t, "Inbox", msg, STORE_FLAG_DELETED);
	tdeliver(&t, "Inbox", msg, STORE_FLAG_DELETED);
	int64_t in = tmailbox_id(&t, "Inbox");
	struct store_changes c;
	store_subscriber_take(imap, &c);
	store_changes_free(&c);
	struct error err;
	uint32_t *uids;
	size_t n;
	struct store_uid_range r;
	struct store_uid_set one = tuids(&r, 1, 1);
	cr_assert(store_expunge(t.a, in, &one, NULL, &t.ar, &uids, &n, NULL, &err));
	tcheck(t.a);
	cr_assert_eq(count_files(&t), 2); /* still queued for the IMAP subscriber */
	store_subscriber_take(imap, &c);
	uint64_t seq = c.v[0]->seq;
	cr_assert_eq(c.v[0]->kind, STORE_CHANGE_REMOVE);
	store_changes_free(&c);
	cr_assert_eq(count_files(&t), 2); /* taken, not acknowledged */
	store_subscriber_ack(imap, seq - 1);
	cr_assert_eq(count_files(&t), 2);
	store_subscriber_ack(imap, seq);
	cr_assert_eq(count_files(&t), 1);
	/* the origin of an expunge does not hold its files */
	cr_assert(store_expunge(t.a, in, NULL, imap, &t.ar, &uids, &n, NULL, &err));
	cr_assert_eq(count_files(&t), 0);
	/* freeing a holder releases what it held */
	tdeliver(&t, "Inbox", msg, STORE_FLAG_DELETED);
	cr_assert(store_expunge(t.a, in, NULL, web, &t.ar, &uids, &n, NULL, &err));
	cr_assert_eq(count_files(&t), 1);
	store_subscriber_free(imap);
	cr_assert_eq(count_files(&t), 0);
	store_subscriber_free(web);
	tstore_close(&t);
}

struct worker {
	struct tstore *t;
	int id;
	int n;
	uint32_t *uids;
};

static void *deliverer(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < w->n; i++) {
		char text[128];
		snprintf(text, sizeof text, "Subject: w%d m%d\r\n\r\n%d %d\r\n", w->id, i, w->id,
			 i);
		struct store_target tg = {.mailbox_name = w->id % 2 ? "Inbox" : "Archive"};
		struct store_delivery d = {
		    .data = text, .len = strlen(text), .targets = &tg, .ntargets = 1};
		struct error err;
		if (!store_deliver(w->t->a, &d, &err))
			return strdup(err.msg);
		w->uids[i] = tg.uid;
	}
	return NULL;
}

static void *flagger(void *arg)
{
	struct worker *w = arg;
	struct arena ar;
	arena_init(&ar, 4096);
	for (int i = 0; i < w->n; i++) {
		struct store_mailbox mb;
		struct error err;
		if (!store_mailbox_get(w->t->a, i % 2 ? "Inbox" : "Archive", &ar, &mb, &err))
			return strdup(err.msg);
		struct store_flags_change c = {.op = i % 3 ? STORE_FLAGS_ADD : STORE_FLAGS_REMOVE,
					       .flags = STORE_FLAG_SEEN | STORE_FLAG_FLAGGED};
		struct store_flags_result r;
		if (!store_flags_update(w->t->a, mb.id, NULL, &c, NULL, &ar, &r, &err))
			return strdup(err.msg);
		arena_free(&ar);
		arena_init(&ar, 4096);
	}
	arena_free(&ar);
	return NULL;
}

Test(store_changes, concurrent_deliveries_and_flag_changes)
{
	struct tstore t;
	tstore_open(&t);
	struct store_subscriber *s = sub(&t, 100000, false);
	enum { NT = 6, PER = 40 };
	pthread_t th[NT + 1];
	struct worker w[NT + 1];
	for (int i = 0; i < NT; i++) {
		w[i] = (struct worker){&t, i, PER, calloc(PER, sizeof(uint32_t))};
		cr_assert_eq(pthread_create(&th[i], NULL, deliverer, &w[i]), 0);
	}
	w[NT] = (struct worker){&t, NT, 60, NULL};
	cr_assert_eq(pthread_create(&th[NT], NULL, flagger, &w[NT]), 0);
	for (int i = 0; i <= NT; i++) {
		void *res;
		pthread_join(th[i], &res);
		cr_assert_null(res, "worker %d: %s", i, (char *)res);
	}
	tcheck(t.a);
	struct store_mailbox in = tmailbox(&t, "Inbox"), ar = tmailbox(&t, "Archive");
	cr_assert_eq(in.counts.total + in.counts.deleted, NT / 2 * PER);
	cr_assert_eq(ar.counts.total + ar.counts.deleted, NT / 2 * PER);
	cr_assert_eq(in.uidnext, NT / 2 * PER + 1);
	/* the subscriber saw every delivery exactly once, UIDs ascending per mailbox */
	struct store_changes c;
	store_subscriber_take(s, &c);
	uint32_t last[2] = {0, 0};
	int adds = 0;
	for (size_t i = 0; i < c.n; i++) {
		if (c.v[i]->kind != STORE_CHANGE_ADD)
			continue;
		int which = c.v[i]->mailbox_id == in.id;
		cr_assert_gt(c.v[i]->msgs[0].uid, last[which]);
		last[which] = c.v[i]->msgs[0].uid;
		adds++;
	}
	cr_assert_eq(adds, NT * PER);
	store_changes_free(&c);
	for (int i = 0; i < NT; i++)
		free(w[i].uids);
	store_subscriber_free(s);
	tstore_close(&t);
}

struct mixed {
	struct tstore *t;
	int id;
	struct store_subscriber *origin;
	int ok, failed;
};

/* Half the deliveries go to a missing mailbox: they fail alone, batch or not. */
static void *mixed_deliverer(void *arg)
{
	struct mixed *w = arg;
	for (int i = 0; i < 30; i++) {
		bool bad = (i + w->id) % 2;
		struct store_target tg = {.mailbox_name = bad ? "Missing" : "Inbox"};
		struct store_delivery d = {.data = msg,
					   .len = strlen(msg),
					   .targets = &tg,
					   .ntargets = 1,
					   .origin = w->origin};
		struct error err;
		if (store_deliver(w->t->a, &d, &err))
			w->ok++;
		else if (err.kind == ERR_NOTFOUND)
			w->failed++;
		else
			return strdup(err.msg);
	}
	return NULL;
}

Test(store_changes, failed_deliveries_do_not_fail_their_batch)
{
	struct tstore t;
	tstore_open(&t);
	struct store_subscriber *watcher = sub(&t, 100000, false),
				*appender = sub(&t, 100000, false);
	enum { NT = 8 };
	pthread_t th[NT];
	struct mixed w[NT];
	for (int i = 0; i < NT; i++) {
		/* even threads act for the "appender" session: it must not hear of its own */
		w[i] = (struct mixed){&t, i, i % 2 ? NULL : appender, 0, 0};
		cr_assert_eq(pthread_create(&th[i], NULL, mixed_deliverer, &w[i]), 0);
	}
	int ok = 0, failed = 0, own = 0;
	for (int i = 0; i < NT; i++) {
		void *res;
		pthread_join(th[i], &res);
		cr_assert_null(res, "%s", (char *)res);
		ok += w[i].ok;
		failed += w[i].failed;
		if (i % 2 == 0)
			own += w[i].ok;
	}
	cr_assert_eq(ok, NT * 15);
	cr_assert_eq(failed, NT * 15);
	tcheck(t.a);
	cr_assert_eq(tmailbox(&t, "Inbox").counts.total, NT * 15);
	struct store_changes c;
	store_subscriber_take(watcher, &c);
	int adds = 0;
	for (size_t i = 0; i < c.n; i++)
		adds += c.v[i]->kind == STORE_CHANGE_ADD;
	cr_assert_eq(adds, NT * 15);
	store_changes_free(&c);
	store_subscriber_take(appender, &c);
	adds = 0;
	for (size_t i = 0; i < c.n; i++)
		adds += c.v[i]->kind == STORE_CHANGE_ADD;
	cr_assert_eq(adds, NT * 15 - own);
	store_changes_free(&c);
	/* no file of a failed delivery is left */
	char cmd[512];
	snprintf(cmd, sizeof cmd, "test $(find %s/accounts/mjl/msg -type f | wc -l) -eq %d", t.dir,
		 NT * 15);
	cr_assert_eq(system(cmd), 0);
	store_subscriber_free(watcher);
	store_subscriber_free(appender);
	tstore_close(&t);
}

struct notify_count {
	pthread_mutex_t mu;
	int n;
};

static void count_notify(void *arg)
{
	struct notify_count *c = arg;
	pthread_mutex_lock(&c->mu);
	c->n++;
	pthread_mutex_unlock(&c->mu);
}

/* A subscriber with a notify callback has no descriptor, is told once per empty-to-waiting
 * change of its queue (and on overflow), and otherwise behaves like the others. */
Test(store_changes, notify_callback_instead_of_eventfd)
{
	struct tstore t;
	tstore_open(&t);
	struct notify_count cnt = {PTHREAD_MUTEX_INITIALIZER, 0};
	struct store_subscriber_options o = {
	    .max_queue = 3, .notify = count_notify, .notify_arg = &cnt};
	struct error err;
	struct store_subscriber *s = store_subscriber_new(t.a, &o, &err);
	cr_assert(s, "%s", err.msg);
	cr_assert_eq(store_subscriber_fd(s), -1);
	cr_assert(!store_subscriber_wait(s, 1000), "no waiting without changes, and no sleep");
	cr_assert(store_mailbox_create(t.a, "box", NULL, NULL, NULL, &err));
	cr_assert_eq(cnt.n, 1);
	cr_assert(store_subscriber_wait(s, 0));
	tdeliver(&t, "box", msg, 0);
	cr_assert_eq(cnt.n, 1, "already waiting: no second notification");
	struct buf k = BUF_INIT;
	uint64_t seq = 0;
	take_kinds(s, &k, &seq);
	cr_assert(strchr(buf_cstr(&k), 'M') && strchr(buf_cstr(&k), 'A'), "%s", buf_cstr(&k));
	cr_assert(!store_subscriber_wait(s, 0));
	for (int i = 0; i < 5; i++)
		tdeliver(&t, "box", msg, 0);
	cr_assert_geq(cnt.n, 3, "notified again after the take, and on overflow");
	take_kinds(s, &k, &seq);
	cr_assert_str_eq(buf_cstr(&k), "Z", "overflow gives one resync, got %s", buf_cstr(&k));
	buf_free(&k);
	store_subscriber_free(s);
	tstore_close(&t);
}
