/*
 * Change notifications: recording changes during a write, publishing them to
 * subscribers after commit, bounded queues with RESYNC, eventfd wake-ups and
 * the removal of expunged files once no subscriber holds them.
 *
 * A change lives in a box with its own arena. The box is reference counted
 * (the change list that recorded it, each subscriber queue, each taken batch,
 * each holding subscriber's held list), and, when it carries files to remove,
 * it counts the holders that still need them: the publisher during
 * publishing plus each subscriber with hold_expunged that received it. The
 * one that drops the last holder removes the files.
 */
#include "store/internal.h"

#include "base/mem.h"

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* Arena chunk for one change's strings and arrays. */
#define CHANGE_ARENA_CHUNK 1024

struct change_box {
	struct change_box *next; /* in a change_list */
	struct store_subscriber *origin;
	atomic_int refs;
	atomic_int holders;
	struct arena ar;
	char *msgdir; /* where files live, copied so the box may outlive the account */
	int64_t *files;
	size_t nfiles;
	size_t capfiles;
	struct store_change c;
};

struct box_vec {
	struct change_box **v;
	size_t n;
	size_t cap;
};

struct store_subscriber {
	struct store_subscriber *next; /* the account's list (smu) */
	struct store_account *a;
	pthread_mutex_t mu;
	int efd; /* -1 with a notify callback */
	void (*notify)(void *arg);
	void *notify_arg;
	size_t max;
	bool hold;
	struct box_vec queue;
	bool overflowed;     /* queue dropped: RESYNC is next */
	struct box_vec held; /* taken changes whose files are kept until ack */
};

static struct change_box *box_of(struct store_change *c)
{
	return (struct change_box *)((char *)c - offsetof(struct change_box, c));
}

static void vec_push(struct box_vec *v, struct change_box *b)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 16;
		v->v = xreallocarray(v->v, v->cap, sizeof *v->v);
	}
	v->v[v->n++] = b;
}

static void box_unref(struct change_box *b)
{
	if (atomic_fetch_sub(&b->refs, 1) != 1)
		return;
	arena_free(&b->ar);
	free(b->msgdir);
	free(b->files);
	free(b);
}

/* Drops one holder; the last one removes the files. */
static void box_release_files(struct change_box *b)
{
	if (b->nfiles == 0 || atomic_fetch_sub(&b->holders, 1) != 1)
		return;
	for (size_t i = 0; i < b->nfiles; i++)
		files_remove(b->msgdir, b->files[i]);
}

void changes_init(struct change_list *cl)
{
	memset(cl, 0, sizeof *cl);
}

static struct change_box *box_new(enum store_change_kind kind, uint64_t modseq, int64_t mailbox_id)
{
	struct change_box *b = xcalloc(1, sizeof *b);
	atomic_init(&b->refs, 1);
	atomic_init(&b->holders, 1);
	arena_init(&b->ar, CHANGE_ARENA_CHUNK);
	b->c.kind = kind;
	b->c.modseq = modseq;
	b->c.mailbox_id = mailbox_id;
	b->c.name = "";
	b->c.old_name = "";
	return b;
}

struct store_change *changes_add(struct change_list *cl, enum store_change_kind kind,
				 uint64_t modseq, int64_t mailbox_id)
{
	struct change_box *b = box_new(kind, modseq, mailbox_id);
	b->origin = cl->origin;
	if (cl->tail)
		cl->tail->next = b;
	else
		cl->head = b;
	cl->tail = b;
	cl->n++;
	return &b->c;
}

struct arena *store_change_arena(struct store_change *c)
{
	return &box_of(c)->ar;
}

void changes_add_file(struct store_change *c, int64_t file_id)
{
	struct change_box *b = box_of(c);
	if (b->nfiles == b->capfiles) {
		b->capfiles = b->capfiles ? b->capfiles * 2 : 8;
		b->files = xreallocarray(b->files, b->capfiles, sizeof *b->files);
	}
	b->files[b->nfiles++] = file_id;
}

void changes_mailbox_state(struct change_list *cl, const struct mbrow *mb, uint64_t modseq,
			   bool keywords_changed)
{
	if (keywords_changed) {
		struct store_change *k =
		    changes_add(cl, STORE_CHANGE_MAILBOX_KEYWORDS, modseq, mb->id);
		struct arena *ar = store_change_arena(k);
		k->name = arena_strdup(ar, mb->name);
		keywords_split(mb->keywords, ar, &k->keywords);
	}
	struct store_change *c = changes_add(cl, STORE_CHANGE_MAILBOX_COUNTS, modseq, mb->id);
	c->name = arena_strdup(store_change_arena(c), mb->name);
	c->counts = mb->counts;
	c->highestmodseq = mb->highestmodseq;
	c->uidnext = mb->uidnext;
}

void changes_discard(struct change_list *cl)
{
	struct change_box *b = cl->head;
	while (b) {
		struct change_box *next = b->next;
		box_unref(b);
		b = next;
	}
	changes_init(cl);
}

struct change_box *changes_mark(const struct change_list *cl)
{
	return cl->tail;
}

void changes_truncate(struct change_list *cl, struct change_box *mark)
{
	struct change_box *b = mark ? mark->next : cl->head;
	while (b) {
		struct change_box *next = b->next;
		box_unref(b);
		cl->n--;
		b = next;
	}
	if (mark)
		mark->next = NULL;
	else
		cl->head = NULL;
	cl->tail = mark;
}

/* Tells the subscriber that changes are waiting (its mutex held). */
static void wake(struct store_subscriber *s)
{
	if (s->notify) {
		s->notify(s->notify_arg);
		return;
	}
	uint64_t one = 1;
	/* The counter cannot overflow in practice; EAGAIN would mean it is already readable. */
	ssize_t w = write(s->efd, &one, sizeof one);
	(void)w;
}

/* Drops everything queued (the subscriber fell behind) and arms the RESYNC. */
static void overflow(struct store_subscriber *s)
{
	for (size_t i = 0; i < s->queue.n; i++) {
		if (s->hold)
			box_release_files(s->queue.v[i]);
		box_unref(s->queue.v[i]);
	}
	s->queue.n = 0;
	s->overflowed = true;
	wake(s);
}

static void enqueue(struct store_subscriber *s, struct change_box *b)
{
	pthread_mutex_lock(&s->mu);
	if (!s->overflowed) {
		if (s->queue.n >= s->max) {
			overflow(s);
		} else {
			atomic_fetch_add(&b->refs, 1);
			if (s->hold && b->nfiles > 0)
				atomic_fetch_add(&b->holders, 1);
			vec_push(&s->queue, b);
			if (s->queue.n == 1)
				wake(s);
		}
	}
	pthread_mutex_unlock(&s->mu);
}

/* A COUNTS change followed by a newer one for the same mailbox in the same commit says nothing. */
static bool superseded(const struct change_box *b)
{
	if (b->c.kind != STORE_CHANGE_MAILBOX_COUNTS)
		return false;
	for (const struct change_box *n = b->next; n; n = n->next)
		if (n->c.kind == STORE_CHANGE_MAILBOX_COUNTS && n->c.mailbox_id == b->c.mailbox_id)
			return true;
	return false;
}

void changes_publish(struct store_account *a, struct change_list *cl)
{
	pthread_mutex_lock(&a->smu);
	for (struct change_box *b = cl->head; b; b = b->next) {
		if (b->nfiles > 0)
			b->msgdir = xstrdup(a->msgdir);
		if (superseded(b))
			continue;
		b->c.seq = ++a->change_seq;
		for (struct store_subscriber *s = a->subs; s; s = s->next)
			if (s != b->origin)
				enqueue(s, b);
	}
	pthread_mutex_unlock(&a->smu);
	/* The publisher's hold: files nobody else holds go now. */
	struct change_box *b = cl->head;
	while (b) {
		struct change_box *next = b->next;
		box_release_files(b);
		box_unref(b);
		b = next;
	}
	changes_init(cl);
}

struct store_subscriber *store_subscriber_new(struct store_account *a,
					      const struct store_subscriber_options *o,
					      struct error *err)
{
	int efd = -1;
	if (!(o && o->notify)) {
		efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (efd < 0) {
			error_errno(err, errno, "eventfd");
			return NULL;
		}
	}
	struct store_subscriber *s = xcalloc(1, sizeof *s);
	s->efd = efd;
	if (o && o->notify) {
		s->notify = o->notify;
		s->notify_arg = o->notify_arg;
	}
	s->max = o && o->max_queue ? o->max_queue : STORE_SUBSCRIBER_QUEUE_DEFAULT;
	if (s->max > STORE_SUBSCRIBER_QUEUE_MAX)
		s->max = STORE_SUBSCRIBER_QUEUE_MAX;
	s->hold = o && o->hold_expunged;
	pthread_mutex_init(&s->mu, NULL);
	s->a = store_account_ref(a);
	pthread_mutex_lock(&a->smu);
	s->next = a->subs;
	a->subs = s;
	pthread_mutex_unlock(&a->smu);
	return s;
}

static void release_held(struct store_subscriber *s, uint64_t upto)
{
	size_t keep = 0;
	for (size_t i = 0; i < s->held.n; i++) {
		struct change_box *b = s->held.v[i];
		if (b->c.seq <= upto) {
			box_release_files(b);
			box_unref(b);
		} else {
			s->held.v[keep++] = b;
		}
	}
	s->held.n = keep;
}

void store_subscriber_free(struct store_subscriber *s)
{
	if (!s)
		return;
	struct store_account *a = s->a;
	pthread_mutex_lock(&a->smu);
	for (struct store_subscriber **pp = &a->subs; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	pthread_mutex_unlock(&a->smu);
	/* No longer reachable by publishers. */
	for (size_t i = 0; i < s->queue.n; i++) {
		if (s->hold)
			box_release_files(s->queue.v[i]);
		box_unref(s->queue.v[i]);
	}
	release_held(s, UINT64_MAX);
	free(s->queue.v);
	free(s->held.v);
	if (s->efd >= 0)
		close(s->efd);
	pthread_mutex_destroy(&s->mu);
	free(s);
	store_account_close(a);
}

int store_subscriber_fd(const struct store_subscriber *s)
{
	return s->efd;
}

void store_subscriber_take(struct store_subscriber *s, struct store_changes *out)
{
	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&s->mu);
	if (s->efd >= 0) {
		uint64_t counter;
		ssize_t r = read(s->efd, &counter, sizeof counter);
		(void)r; /* EAGAIN: nothing was signalled */
	}
	struct box_vec taken = s->queue;
	memset(&s->queue, 0, sizeof s->queue);
	if (s->overflowed) {
		s->overflowed = false;
		/* Everything held so far is superseded by the resync. */
		release_held(s, UINT64_MAX);
		vec_push(&taken, box_new(STORE_CHANGE_RESYNC, 0, 0));
	}
	for (size_t i = 0; s->hold && i < taken.n; i++) {
		if (taken.v[i]->nfiles > 0) {
			atomic_fetch_add(&taken.v[i]->refs, 1);
			vec_push(&s->held, taken.v[i]);
		}
	}
	pthread_mutex_unlock(&s->mu);
	if (taken.n == 0) {
		free(taken.v);
		return;
	}
	const struct store_change **v = xcalloc(taken.n, sizeof *v);
	for (size_t i = 0; i < taken.n; i++)
		v[i] = &taken.v[i]->c;
	out->v = v;
	out->n = taken.n;
	out->priv = taken.v;
}

void store_changes_free(struct store_changes *c)
{
	struct change_box **boxes = c->priv;
	for (size_t i = 0; i < c->n; i++)
		box_unref(boxes[i]);
	free(boxes);
	free((void *)c->v);
	memset(c, 0, sizeof *c);
}

bool store_subscriber_wait(struct store_subscriber *s, int timeout_ms)
{
	if (s->efd < 0) {
		pthread_mutex_lock(&s->mu);
		bool waiting = s->queue.n > 0 || s->overflowed;
		pthread_mutex_unlock(&s->mu);
		return waiting;
	}
	struct pollfd p = {.fd = s->efd, .events = POLLIN};
	for (;;) {
		int n = poll(&p, 1, timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		return n > 0;
	}
}

void store_subscriber_ack(struct store_subscriber *s, uint64_t seq)
{
	pthread_mutex_lock(&s->mu);
	release_held(s, seq);
	pthread_mutex_unlock(&s->mu);
}
