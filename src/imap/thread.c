/*
 * THREAD and UID THREAD (RFC 5256 3): ORDEREDSUBJECT ("poor man's
 * threading") and REFERENCES, each step as the RFC describes it, over the
 * messages a search program matched (sort.h gives their data).
 *
 * The REFERENCES tree is a forest of nodes (messages, and dummies for
 * message-ids nobody in the result has), linked by parent, first child and
 * next sibling indices, with the message-ids in an open-addressing table.
 * Every link is checked against loops (RFC 5256 3 step 1). The work is
 * linear in the messages and their references, and bounded by
 * IMAP_THREAD_REFS_MAX references per message.
 */
#include "imap/sort.h"

#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

#define NONE ((size_t)-1)

struct node {
	size_t msg; /* index into the messages, NONE for a dummy */
	size_t parent, child, next;
};

struct forest {
	struct node *v;
	size_t n, cap;
	const struct imap_sort_msg *msgs;
	/* message-id -> node */
	const char **ids;
	size_t *idnode;
	size_t idcap;
};

static size_t new_node(struct forest *f, size_t msg)
{
	f->v[f->n] = (struct node){msg, NONE, NONE, NONE};
	return f->n++;
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

/* The node of a message-id (case-sensitive, RFC 5256 3 step 1A); made as a dummy when
 * create is set and it is unknown; NONE otherwise. */
static size_t id_node(struct forest *f, const char *id, bool create)
{
	size_t i = (size_t)hash_str(id) & (f->idcap - 1);
	while (f->ids[i]) {
		if (strcmp(f->ids[i], id) == 0)
			return f->idnode[i];
		i = (i + 1) & (f->idcap - 1);
	}
	if (!create)
		return NONE;
	f->ids[i] = id;
	f->idnode[i] = new_node(f, NONE);
	return f->idnode[i];
}

/* Whether a is b or one of b's descendants: then making a the parent of b loops. */
static bool descends(const struct forest *f, size_t a, size_t b)
{
	for (size_t x = a; x != NONE; x = f->v[x].parent)
		if (x == b)
			return true;
	return false;
}

static void unlink_node(struct forest *f, size_t c)
{
	size_t p = f->v[c].parent;
	if (p == NONE)
		return;
	size_t *at = &f->v[p].child;
	while (*at != c)
		at = &f->v[*at].next;
	*at = f->v[c].next;
	f->v[c].parent = f->v[c].next = NONE;
}

/* Appends c to p's children (order is fixed later by sorting). */
static void link_node(struct forest *f, size_t p, size_t c)
{
	f->v[c].parent = p;
	f->v[c].next = NONE;
	size_t *at = &f->v[p].child;
	while (*at != NONE)
		at = &f->v[*at].next;
	*at = c;
}

/* Steps 1A and 1B for one message. */
static void add_message(struct forest *f, size_t i)
{
	const struct imap_sort_msg *m = &f->msgs[i];
	size_t me = NONE;
	if (*m->msgid) {
		size_t x = id_node(f, m->msgid, true);
		if (f->v[x].msg == NONE) {
			f->v[x].msg = i;
			me = x;
		}
	}
	if (me == NONE) /* no id, or a duplicate: a unique one (RFC 5256 3 step 1A) */
		me = new_node(f, i);
	size_t prev = NONE;
	for (size_t r = 0; r < m->nrefs; r++) {
		size_t x = id_node(f, m->refs[r], true);
		if (prev != NONE && x != prev && f->v[x].parent == NONE && !descends(f, prev, x))
			link_node(f, prev, x);
		prev = x;
	}
	/* 1B: the last reference is the parent, replacing what an earlier message claimed. */
	unlink_node(f, me);
	if (prev != NONE && prev != me && !descends(f, prev, me))
		link_node(f, prev, me);
}

/* The sent date a node sorts by: its own, or a dummy's first child's (steps 4 and 6). */
static const struct imap_sort_msg *sort_msg(const struct forest *f, size_t x)
{
	while (f->v[x].msg == NONE && f->v[x].child != NONE)
		x = f->v[x].child;
	return f->v[x].msg == NONE ? NULL : &f->msgs[f->v[x].msg];
}

static int cmp_nodes(const void *pa, const void *pb, void *arg)
{
	const struct forest *f = arg;
	const struct imap_sort_msg *a = sort_msg(f, *(const size_t *)pa);
	const struct imap_sort_msg *b = sort_msg(f, *(const size_t *)pb);
	if (!a || !b)
		return !a - !b;
	if (a->sent != b->sent)
		return a->sent < b->sent ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Sorts a sibling list by sent date; returns the new first. */
static size_t sort_siblings(struct forest *f, size_t first, size_t *tmp)
{
	size_t n = 0;
	for (size_t x = first; x != NONE; x = f->v[x].next)
		tmp[n++] = x;
	qsort_r(tmp, n, sizeof *tmp, cmp_nodes, f);
	for (size_t i = 0; i < n; i++)
		f->v[tmp[i]].next = i + 1 < n ? tmp[i + 1] : NONE;
	return n ? tmp[0] : NONE;
}

/* Step 6 for one subtree, children before parents (the youngest siblings first). */
static void sort_tree(struct forest *f, size_t x, size_t *tmp)
{
	for (size_t c = f->v[x].child; c != NONE; c = f->v[c].next)
		sort_tree(f, c, tmp);
	f->v[x].child = sort_siblings(f, f->v[x].child, tmp);
}

/*
 * Step 3: prunes dummies in the sibling list starting at first, whose parent is parent
 * (NONE: the root). Returns the new first sibling.
 */
static size_t prune(struct forest *f, size_t first, size_t parent)
{
	size_t head = NONE, *tail = &head;
	for (size_t x = first, next; x != NONE; x = next) {
		next = f->v[x].next;
		f->v[x].child = prune(f, f->v[x].child, x);
		size_t kids = 0;
		for (size_t c = f->v[x].child; c != NONE; c = f->v[c].next)
			kids++;
		bool dummy = f->v[x].msg == NONE;
		if (dummy && kids == 0)
			continue; /* deleted */
		if (dummy && (parent != NONE || kids == 1)) {
			/* Deleted, its children promoted to this level. */
			for (size_t c = f->v[x].child, cn; c != NONE; c = cn) {
				cn = f->v[c].next;
				f->v[c].parent = parent;
				*tail = c;
				tail = &f->v[c].next;
			}
			*tail = NONE;
			continue;
		}
		*tail = x;
		tail = &f->v[x].next;
		*tail = NONE;
	}
	return head;
}

/* The thread subject of a root member (step 5.B.i): its own or its first child's. */
static const struct imap_sort_msg *thread_msg(const struct forest *f, size_t x)
{
	if (f->v[x].msg != NONE)
		return &f->msgs[f->v[x].msg];
	size_t c = f->v[x].child;
	return c != NONE && f->v[c].msg != NONE ? &f->msgs[f->v[c].msg] : NULL;
}

/* The subject table of step 5: base subject -> node, open addressing. */
struct subjects {
	const char **subj;
	size_t *node;
	size_t cap;
};

static size_t subject_slot(const struct subjects *t, const char *subject)
{
	size_t i = (size_t)hash_str(subject) & (t->cap - 1);
	while (t->subj[i] && strcmp(t->subj[i], subject) != 0)
		i = (i + 1) & (t->cap - 1);
	return i;
}

/* 5.B: one message per thread subject, a dummy or a non-reply preferred. */
static void fill_subjects(const struct forest *f, const size_t *arr, size_t n, struct subjects *t)
{
	for (size_t k = 0; k < n; k++) {
		size_t x = arr[k];
		const struct imap_sort_msg *m = thread_msg(f, x);
		if (!m || !*m->subject)
			continue;
		size_t i = subject_slot(t, m->subject);
		if (!t->subj[i]) {
			t->subj[i] = m->subject;
			t->node[i] = x;
			continue;
		}
		size_t cur = t->node[i];
		bool cur_dummy = f->v[cur].msg == NONE, x_dummy = f->v[x].msg == NONE;
		if (!cur_dummy && (x_dummy || (f->msgs[f->v[cur].msg].reply && !m->reply)))
			t->node[i] = x;
	}
}

/* Step 5: merges root threads with the same base subject; returns the new root list. */
static size_t group_subjects(struct forest *f, size_t roots, size_t nroots)
{
	struct subjects t = {.cap = 16};
	while (t.cap < nroots * 2)
		t.cap <<= 1;
	t.subj = xcalloc(t.cap, sizeof *t.subj);
	t.node = xcalloc(t.cap, sizeof *t.node);
	size_t *arr = xcalloc(nroots ? nroots : 1, sizeof *arr);
	size_t *pos = xcalloc(f->cap, sizeof *pos);
	bool *gone = xcalloc(f->cap, sizeof *gone);
	size_t n = 0;
	for (size_t x = roots; x != NONE; x = f->v[x].next) {
		pos[x] = n;
		arr[n++] = x;
	}
	fill_subjects(f, arr, n, &t);
	/* 5.C */
	for (size_t k = 0; k < n; k++) {
		size_t x = arr[k];
		const struct imap_sort_msg *m = thread_msg(f, x);
		if (gone[x] || !m || !*m->subject)
			continue;
		size_t i = subject_slot(&t, m->subject);
		size_t cur = t.node[i];
		if (cur == x)
			continue;
		bool cur_dummy = f->v[cur].msg == NONE, x_dummy = f->v[x].msg == NONE;
		gone[x] = true;
		if (cur_dummy && x_dummy) {
			for (size_t c = f->v[x].child, cn; c != NONE; c = cn) {
				cn = f->v[c].next;
				link_node(f, cur, c);
			}
		} else if (cur_dummy || (m->reply && !f->msgs[f->v[cur].msg].reply)) {
			link_node(f, cur, x);
		} else {
			/* A new dummy holds both and takes cur's place among the roots. */
			size_t d = new_node(f, NONE);
			arr[pos[cur]] = d;
			pos[d] = pos[cur];
			link_node(f, d, cur);
			link_node(f, d, x);
			t.node[i] = d;
		}
	}
	size_t head = NONE, *tail = &head;
	for (size_t k = 0; k < n; k++) {
		if (gone[arr[k]])
			continue;
		*tail = arr[k];
		tail = &f->v[arr[k]].next;
		*tail = NONE;
	}
	free(t.subj);
	free(t.node);
	free(arr);
	free(pos);
	free(gone);
	return head;
}

/* One thread member and its descendants: "n", "n m" for one child, "n (a)(b)" for several. */
static void put_chain(const struct forest *f, size_t x, bool uid, struct buf *b)
{
	if (f->v[x].msg != NONE) {
		const struct imap_sort_msg *m = &f->msgs[f->v[x].msg];
		buf_printf(b, "%u", uid ? m->uid : m->seq);
	}
	size_t c = f->v[x].child;
	if (c == NONE)
		return;
	if (f->v[c].next == NONE && f->v[x].msg != NONE) {
		buf_putc(b, ' ');
		put_chain(f, c, uid, b);
		return;
	}
	if (f->v[x].msg != NONE)
		buf_putc(b, ' ');
	for (; c != NONE; c = f->v[c].next) {
		buf_putc(b, '(');
		put_chain(f, c, uid, b);
		buf_putc(b, ')');
	}
}

static void put_threads(struct imap_session *s, const struct forest *f, size_t roots)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "* THREAD ");
	for (size_t x = roots; x != NONE; x = f->v[x].next) {
		buf_putc(&b, '(');
		put_chain(f, x, s->cmd.uid, &b);
		buf_putc(&b, ')');
	}
	if (roots == NONE)
		b.len--; /* "* THREAD" alone */
	buf_puts(&b, "\r\n");
	imap_sess_write(s, b.data, b.len);
	buf_free(&b);
}

static void forest_init(struct forest *f, const struct imap_sort_msg *msgs, size_t n)
{
	size_t refs = 0;
	for (size_t i = 0; i < n; i++)
		refs += msgs[i].nrefs;
	/* Nodes: messages, one dummy per reference, one per step 5 merge. */
	f->cap = 2 * n + refs + 1;
	f->v = xcalloc(f->cap, sizeof *f->v);
	f->n = 0;
	f->msgs = msgs;
	f->idcap = 16;
	while (f->idcap < 2 * (n + refs))
		f->idcap <<= 1;
	f->ids = xcalloc(f->idcap, sizeof *f->ids);
	f->idnode = xcalloc(f->idcap, sizeof *f->idnode);
}

static void forest_free(struct forest *f)
{
	free(f->v);
	free(f->ids);
	free(f->idnode);
}

/* REFERENCES (RFC 5256 3): steps 1 to 6; returns the first root. */
static size_t thread_references(struct forest *f, size_t n, size_t *tmp)
{
	for (size_t i = 0; i < n; i++)
		add_message(f, i);
	/* 2: the parentless are the roots, in node order. */
	size_t roots = NONE, *tail = &roots;
	for (size_t x = 0; x < f->n; x++) {
		if (f->v[x].parent != NONE)
			continue;
		*tail = x;
		tail = &f->v[x].next;
		*tail = NONE;
	}
	roots = prune(f, roots, NONE);
	/* 4: dummies' children first, then the roots. */
	size_t nroots = 0;
	for (size_t x = roots; x != NONE; x = f->v[x].next, nroots++)
		if (f->v[x].msg == NONE)
			f->v[x].child = sort_siblings(f, f->v[x].child, tmp);
	roots = sort_siblings(f, roots, tmp);
	roots = group_subjects(f, roots, nroots);
	/* 6 */
	for (size_t x = roots; x != NONE; x = f->v[x].next)
		sort_tree(f, x, tmp);
	return sort_siblings(f, roots, tmp);
}

static int cmp_ordered_subject(const void *pa, const void *pb)
{
	const struct imap_sort_msg *a = pa, *b = pb;
	int c = strcmp(a->subject, b->subject);
	if (c)
		return c;
	if (a->sent != b->sent)
		return a->sent < b->sent ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* ORDEREDSUBJECT (RFC 5256 3): threads by base subject, each a first message with the
 * rest as its children; threads ordered by their first message's sent date. */
static size_t thread_ordered_subject(struct forest *f, struct imap_sort_msg *msgs, size_t n,
				     size_t *tmp)
{
	qsort(msgs, n, sizeof *msgs, cmp_ordered_subject);
	size_t roots = NONE, *tail = &roots;
	for (size_t i = 0; i < n;) {
		size_t top = new_node(f, i);
		*tail = top;
		tail = &f->v[top].next;
		size_t j = i + 1;
		for (; j < n && strcmp(msgs[j].subject, msgs[i].subject) == 0; j++)
			link_node(f, top, new_node(f, j));
		i = j;
	}
	return sort_siblings(f, roots, tmp);
}

void imap_cmd_thread(struct imap_session *s)
{
	const struct imap_thread_args *a = &s->cmd.u.thread;
	const char *what = s->cmd.uid ? "UID THREAD" : "THREAD";
	if (!imap_sess_selected_ok(s) || !imap_search_args_ok(s, &a->search))
		return;
	struct imap_search_scope sc;
	imap_search_scope_selected(s, &sc);
	struct imap_search_result r;
	struct arena ar;
	arena_init(&ar, 16 * 1024);
	struct imap_sort_msg *msgs;
	size_t n;
	if (!imap_search_run(s, &sc, &a->search.root, &r) ||
	    !imap_sort_data(s, &sc, &r, &ar, &msgs, &n)) {
		arena_free(&ar);
		return;
	}
	struct forest f;
	forest_init(&f, msgs, n);
	size_t *tmp = xcalloc(f.cap, sizeof *tmp);
	size_t roots = a->alg == IMAP_THREAD_REFERENCES ? thread_references(&f, n, tmp)
							: thread_ordered_subject(&f, msgs, n, tmp);
	put_threads(s, &f, roots);
	free(tmp);
	forest_free(&f);
	arena_free(&ar);
	imap_sess_ok(s, NULL, "%s completed", what);
}
