/*
 * Delivery and APPEND: the message file first (in the caller's thread, or
 * for store_deliver_many on a few worker threads), then the index rows in a group commit shared
 * with concurrent deliveries (see deliver.h for the order of writes and why it is durable).
 */
#include "store/internal.h"

#include "base/mem.h"
#include "base/str.h"
#include "mail/mail.h"
#include "mail/serialize.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

struct pending_delivery {
	struct store_pending_write w; /* queued for the group commit (txn.c); its ok/err/done */
	struct store_delivery *d;
	struct arena ar; /* the delivering thread's; used by the committer while it waits */
	const char **names;
	int64_t received;
	int64_t saved;
	struct buf parsed; /* serialized parse; empty when the message was not parsed */
	struct thread_info ti;
	const char *from; /* first From address, lower case, "" when unknown */
};

/* --- validation --- */

static bool check_targets(struct pending_delivery *p, struct error *err)
{
	struct store_delivery *d = p->d;
	if (d->ntargets == 0 || d->ntargets > STORE_DELIVER_TARGETS_MAX)
		return error_set(err, ERR_INVALID, "delivery needs 1 to %d mailboxes",
				 STORE_DELIVER_TARGETS_MAX);
	p->names = arena_array(&p->ar, d->ntargets, sizeof *p->names);
	for (size_t i = 0; i < d->ntargets; i++) {
		struct store_target *t = &d->targets[i];
		if (!store_keywords_valid(&t->keywords, err))
			return false;
		p->names[i] = NULL;
		if (t->mailbox_id == 0 &&
		    !store_mailbox_name_check(t->mailbox_name ? t->mailbox_name : "", true, &p->ar,
					      &p->names[i], err))
			return false;
	}
	return true;
}

static bool message_size(struct store_delivery *d, struct error *err)
{
	if (d->file) {
		struct stat st;
		if (fstat(d->file->fd, &st) < 0)
			return error_errno(err, errno, "stat %s", d->file->path);
		d->size = st.st_size;
	} else {
		if (!d->data && d->len > 0)
			return error_set(err, ERR_INVALID, "no message data");
		d->size = (int64_t)d->len;
	}
	if (d->size > STORE_MESSAGE_MAX)
		return error_set(err, ERR_INVALID, "message larger than %lld bytes",
				 (long long)STORE_MESSAGE_MAX);
	return true;
}

/* --- parsing (in the delivering thread, beside other deliveries) --- */

static void use_parse(struct pending_delivery *p, const struct mail_message *m)
{
	mail_serialize(m, &p->parsed);
	thread_info_from_parse(m, &p->ar, &p->ti);
	p->from = parse_from_address(m, &p->ar);
}

const char *parse_from_address(const struct mail_message *m, struct arena *ar)
{
	if (!*m->from_localpart || !*m->from_domain)
		return "";
	char *from = arena_sprintf(ar, "%s@%s", m->from_localpart, m->from_domain);
	ascii_lower_inplace(from);
	return from;
}

/*
 * Parses the message once, at delivery, so IMAP never reparses it: the
 * serialized structure goes into the index with the threading fields.
 */
static bool parse_message(struct pending_delivery *p, struct error *err)
{
	struct store_delivery *d = p->d;
	if (!d->file || d->size == 0) {
		use_parse(p, mail_parse(d->file ? "" : d->data, d->file ? 0 : d->len, &p->ar));
		return true;
	}
	void *map = mmap(NULL, (size_t)d->size, PROT_READ, MAP_PRIVATE, d->file->fd, 0);
	if (map == MAP_FAILED)
		return error_errno(err, errno, "map %s", d->file->path);
	use_parse(p, mail_parse(map, (size_t)d->size, &p->ar));
	munmap(map, (size_t)d->size);
	return true;
}

/* --- the index rows of one delivery (inside the batch transaction) --- */

static bool insert_file(struct store_account *a, struct pending_delivery *p, struct error *err)
{
	sqlite3_stmt *st =
	    db_stmt(&a->wdb, "INSERT INTO files (id, size, refs, parsed) VALUES (?, ?, ?, ?)", err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, p->d->file_id);
	sqlite3_bind_int64(st, 2, p->d->size);
	sqlite3_bind_int64(st, 3, (int64_t)p->d->ntargets);
	if (p->parsed.len > 0)
		sqlite3_bind_blob(st, 4, p->parsed.data, (int)p->parsed.len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 4);
	return db_step_done(&a->wdb, st, err);
}

static bool insert_message(struct store_account *a, struct pending_delivery *p,
			   const struct store_target *t, const struct mbrow *mb, uint32_t uid,
			   uint64_t modseq, int64_t *id, struct error *err)
{
	sqlite3_stmt *st = db_stmt(
	    &a->wdb,
	    "INSERT INTO messages (mailbox_id, uid, file_id, modseq, createseq, flags, keywords, "
	    "size, received, received_tz, saved, mailbox_orig_id, is_reject, message_id, "
	    "subject_base, from_addr, thread_id, thread_parents, thread_missing_link) VALUES "
	    "(?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?1, ?11, ?12, ?13, ?14, 0, '', 0)",
	    err);
	if (!st)
		return false;
	struct buf kw = BUF_INIT;
	keywords_join(&t->keywords, &kw);
	sqlite3_bind_int64(st, 1, mb->id);
	sqlite3_bind_int64(st, 2, uid);
	sqlite3_bind_int64(st, 3, p->d->file_id);
	sqlite3_bind_int64(st, 4, (int64_t)modseq);
	sqlite3_bind_int64(st, 5, t->flags & STORE_FLAGS_ALL);
	db_bind_text(st, 6, buf_cstr(&kw));
	sqlite3_bind_int64(st, 7, p->d->size);
	sqlite3_bind_int64(st, 8, p->received);
	sqlite3_bind_int(st, 9, p->d->received_tz);
	sqlite3_bind_int64(st, 10, p->saved);
	sqlite3_bind_int(st, 11, t->is_reject);
	db_bind_text(st, 12, p->ti.message_id);
	db_bind_text(st, 13, p->ti.subject_base);
	db_bind_text(st, 14, p->from);
	bool ok = db_step_done(&a->wdb, st, err);
	buf_free(&kw);
	if (ok)
		*id = db_last_id(&a->wdb);
	return ok;
}

/*
 * Finds (or creates) the target mailboxes first, so a created mailbox's
 * MODSEQ is below the delivery's.
 */
static bool resolve_targets(struct store_account *a, struct pending_delivery *p,
			    struct change_list *cl, struct error *err)
{
	for (size_t i = 0; i < p->d->ntargets; i++) {
		struct store_target *t = &p->d->targets[i];
		struct mbrow mb;
		if (t->mailbox_id == 0) {
			if (!mbrow_ensure(a, p->names[i], t->create, 0, true, &p->ar, cl, &mb, err))
				return false;
		} else if (!mbrow_get_by_id(&a->wdb, t->mailbox_id, &p->ar, &mb, err)) {
			return false;
		}
		t->mailbox_id_out = mb.id;
	}
	return true;
}

static bool add_to_mailbox(struct store_account *a, struct pending_delivery *p, size_t i,
			   uint64_t modseq, struct change_list *cl, struct error *err)
{
	struct store_target *t = &p->d->targets[i];
	struct mbrow mb;
	bool found;
	if (!mbrow_by_id(&a->wdb, t->mailbox_id_out, &p->ar, &mb, &found, err))
		return false;
	if (!found)
		return error_set(err, ERR_INTERNAL, "target mailbox vanished");
	if (mb.uidnext == UINT32_MAX)
		return error_set(err, ERR_INVALID, "mailbox %s has used all UIDs", mb.name);
	uint32_t uid = mb.uidnext++;
	int64_t id;
	if (!insert_message(a, p, t, &mb, uid, modseq, &id, err) ||
	    !thread_assign(a, id, mb.id, p->received, &p->ti, &p->ar, err))
		return false;
	uint32_t flags = t->flags & STORE_FLAGS_ALL;
	counts_apply(&mb.counts, flags, p->d->size, 1);
	bool grew;
	mbrow_merge_keywords(&mb, &t->keywords, &p->ar, &grew);
	mb.highestmodseq = modseq;
	if (!mbrow_save(&a->wdb, &mb, err))
		return false;
	struct store_change *c = changes_add(cl, STORE_CHANGE_ADD, modseq, mb.id);
	struct arena *car = store_change_arena(c);
	struct store_change_msg *cm = arena_zalloc(car, sizeof *cm);
	cm->uid = uid;
	cm->modseq = modseq;
	cm->flags = flags;
	cm->keywords.n = t->keywords.n;
	cm->keywords.v = arena_array(car, t->keywords.n ? t->keywords.n : 1, sizeof(char *));
	for (size_t k = 0; k < t->keywords.n; k++)
		cm->keywords.v[k] = arena_strdup(car, t->keywords.v[k]);
	c->msgs = cm;
	c->nmsgs = 1;
	changes_mailbox_state(cl, &mb, modseq, grew);
	t->message_id = id;
	t->uidvalidity = mb.uidvalidity;
	t->uid = uid;
	t->modseq = modseq;
	return true;
}

static bool insert_delivery(struct store_account *a, struct pending_delivery *p,
			    struct change_list *cl, struct error *err)
{
	struct store_delivery *d = p->d;
	int64_t bytes = d->size * (int64_t)d->ntargets;
	uint64_t modseq;
	if (!acct_quota_check(a, d->quota, bytes, err) || !resolve_targets(a, p, cl, err) ||
	    !acct_next_modseq(a, &modseq, err) || !insert_file(a, p, err))
		return false;
	for (size_t i = 0; i < d->ntargets; i++)
		if (!add_to_mailbox(a, p, i, modseq, cl, err))
			return false;
	return acct_add_size(a, bytes, err);
}

/* --- group commit (txn.c) --- */

static bool insert_queued(struct store_account *a, void *arg, struct change_list *cl,
			  struct error *err)
{
	return insert_delivery(a, arg, cl, err);
}

static bool group_commit(struct store_account *a, struct pending_delivery *p, struct error *err)
{
	struct store_pending_write *w = &p->w;
	store_write_enqueue(a, &w, 1);
	store_write_wait(a, w);
	if (!w->ok && err)
		*err = w->err;
	return w->ok;
}

/* --- the message file --- */

static bool store_file(struct store_account *a, struct store_delivery *d, struct error *err)
{
	if (!files_new_id(a, &d->file_id, err))
		return false;
	if (d->file)
		return files_link(a, d->file_id, d->file, err);
	return files_write(a, d->file_id, d->data, d->len, err);
}

static void pending_init(struct pending_delivery *p, struct store_delivery *d, int64_t now)
{
	memset(p, 0, sizeof *p);
	p->w.fn = insert_queued;
	p->w.arg = p;
	p->w.origin = d->origin;
	p->d = d;
	d->file_id = 0;
	arena_init(&p->ar, 4096);
	p->received = d->received ? d->received : now;
	p->saved = now;
	p->ti.message_id = "";
	p->ti.subject_base = "";
	p->from = "";
}

/*
 * Step 1 of deliver.h: checks, parse, the durable message file. Touches only
 * p and the account's locked file-id allocator, so it may run on any thread.
 */
static bool prepare(struct store_account *a, struct pending_delivery *p, struct error *err)
{
	return check_targets(p, err) && message_size(p->d, err) && parse_message(p, err) &&
	       store_file(a, p->d, err);
}

static void pending_free(struct pending_delivery *p)
{
	buf_free(&p->parsed);
	arena_free(&p->ar);
}

bool store_deliver(struct store_account *a, struct store_delivery *d, struct error *err)
{
	struct pending_delivery p;
	pending_init(&p, d, (int64_t)time(NULL));
	bool ok = prepare(a, &p, err);
	if (ok) {
		ok = group_commit(a, &p, err);
		/* Committed but not known durable (fsync failed): the index names the file. */
		if (!ok && !p.w.committed)
			files_remove(a->msgdir, d->file_id);
	}
	pending_free(&p);
	return ok;
}

struct prepare_work {
	struct store_account *a;
	struct pending_delivery *ps;
	size_t n;
	size_t first;
	size_t step;
};

static void *prepare_some(void *arg)
{
	struct prepare_work *w = arg;
	for (size_t i = w->first; i < w->n; i += w->step)
		w->ps[i].w.ok = prepare(w->a, &w->ps[i], &w->ps[i].w.err);
	return NULL;
}

/*
 * Step 1 for a batch on STORE_PREPARE_THREADS threads: writing and fsyncing
 * message files waits on the disk, so several at once use it better. The
 * order of the index rows is set later, by the queue.
 */
static void prepare_parallel(struct store_account *a, struct pending_delivery *ps, size_t n)
{
	if (n == 0)
		return;
	struct prepare_work w[STORE_PREPARE_THREADS] = {0}; /* an unused share does nothing */
	pthread_t th[STORE_PREPARE_THREADS];
	size_t nth = n < STORE_PREPARE_THREADS ? n : STORE_PREPARE_THREADS, started = 0;
	for (size_t k = 0; k < nth; k++)
		w[k] = (struct prepare_work){a, ps, n, k, nth};
	/* The caller's thread takes the first share; a thread that cannot start leaves its share to
	 * it. */
	for (size_t k = 1; k < nth; k++, started++)
		if (pthread_create(&th[k], NULL, prepare_some, &w[k]) != 0)
			break;
	prepare_some(&w[0]);
	for (size_t k = 1; k <= started; k++)
		pthread_join(th[k], NULL);
	for (size_t k = started + 1; k < nth; k++)
		prepare_some(&w[k]);
}

/* Queues the prepared deliveries in array order and commits until all are done. */
static void group_commit_many(struct store_account *a, struct pending_delivery *ps, size_t n)
{
	struct store_pending_write **q = xcalloc(n ? n : 1, sizeof *q);
	size_t nq = 0;
	for (size_t i = 0; i < n; i++)
		if (!ps[i].w.done) /* not prepared */
			q[nq++] = &ps[i].w;
	store_write_enqueue(a, q, nq);
	for (size_t i = 0; i < nq; i++)
		store_write_wait(a, q[i]);
	free(q);
}

bool store_deliver_many(struct store_account *a, struct store_delivery *d, size_t n,
			bool *delivered, struct error *err)
{
	if (n > STORE_COMMIT_BATCH_MAX)
		return error_set(err, ERR_INVALID, "more than %d deliveries at once",
				 STORE_COMMIT_BATCH_MAX);
	struct pending_delivery *ps = xcalloc(n ? n : 1, sizeof *ps);
	bool *prepared = xcalloc(n ? n : 1, sizeof *prepared);
	int64_t now = (int64_t)time(NULL);
	for (size_t i = 0; i < n; i++)
		pending_init(&ps[i], &d[i], now);
	prepare_parallel(a, ps, n);
	for (size_t i = 0; i < n; i++) {
		prepared[i] = ps[i].w.ok;
		ps[i].w.done = !ps[i].w.ok;
	}
	group_commit_many(a, ps, n);
	bool all = true;
	for (size_t i = 0; i < n; i++) {
		delivered[i] = ps[i].w.ok;
		if (!ps[i].w.ok && all && err)
			*err = ps[i].w.err;
		if (!ps[i].w.ok && prepared[i] && !ps[i].w.committed)
			files_remove(a->msgdir, d[i].file_id);
		all = all && ps[i].w.ok;
		pending_free(&ps[i]);
	}
	free(ps);
	free(prepared);
	return all;
}

/* All deliveries of store_deliver_all in one savepoint: one failing undoes the others. */
struct all_op {
	struct pending_delivery *ps;
	size_t n;
};

static bool insert_all(struct store_account *a, void *arg, struct change_list *cl,
		       struct error *err)
{
	struct all_op *op = arg;
	for (size_t i = 0; i < op->n; i++)
		if (!insert_delivery(a, &op->ps[i], cl, err))
			return false;
	return true;
}

bool store_deliver_all(struct store_account *a, struct store_delivery *d, size_t n,
		       struct error *err)
{
	if (n == 0 || n > STORE_COMMIT_BATCH_MAX)
		return error_set(err, ERR_INVALID, "1 to %d deliveries at once",
				 STORE_COMMIT_BATCH_MAX);
	struct pending_delivery *ps = xcalloc(n, sizeof *ps);
	int64_t now = (int64_t)time(NULL);
	for (size_t i = 0; i < n; i++)
		pending_init(&ps[i], &d[i], now);
	prepare_parallel(a, ps, n);
	bool ok = true;
	for (size_t i = 0; i < n && ok; i++)
		if (!ps[i].w.ok) {
			*err = ps[i].w.err;
			ok = false;
		}
	struct all_op op = {ps, n};
	struct store_pending_write w = {.fn = insert_all, .arg = &op, .origin = d[0].origin};
	if (ok) {
		struct store_pending_write *q = &w;
		store_write_enqueue(a, &q, 1);
		store_write_wait(a, &w);
		ok = w.ok;
		if (!ok)
			*err = w.err;
	}
	for (size_t i = 0; i < n; i++) {
		/* Files of a failed group go, unless the index committed and only the sync failed.
		 */
		if (!ok && !w.committed && ps[i].w.ok && d[i].file_id)
			files_remove(a->msgdir, d[i].file_id);
		pending_free(&ps[i]);
	}
	free(ps);
	return ok;
}

/* store_replace: the old message leaves first, so the quota sees the net change. */
struct replace_op {
	struct pending_delivery *p;
	int64_t mailbox_id;
	uint32_t uid;
	uint64_t modseq;
};

static bool do_replace(struct store_account *a, void *arg, struct change_list *cl,
		       struct error *err)
{
	struct replace_op *op = arg;
	struct mbrow mb;
	if (!mbrow_get_by_id(&a->wdb, op->mailbox_id, &op->p->ar, &mb, err))
		return false;
	struct store_uid_range r = {op->uid, op->uid};
	struct store_uid_set set = {&r, 1};
	struct store_message *msgs;
	size_t n;
	if (!msgrow_list(&a->wdb, mb.id, &set, 0, 0, &op->p->ar, &msgs, &n, err))
		return false;
	if (n == 0)
		return error_set(err, ERR_NOTFOUND, "message with UID %u is gone", op->uid);
	return expunge_messages(a, &mb, msgs, 1, cl, &op->modseq, err) &&
	       insert_delivery(a, op->p, cl, err);
}

bool store_replace(struct store_account *a, struct store_delivery *d, int64_t mailbox_id,
		   uint32_t uid, uint64_t *expunge_modseq, struct error *err)
{
	struct pending_delivery p;
	pending_init(&p, d, (int64_t)time(NULL));
	struct replace_op op = {&p, mailbox_id, uid, 0};
	p.w.fn = do_replace;
	p.w.arg = &op;
	bool ok = prepare(a, &p, err);
	if (ok) {
		ok = group_commit(a, &p, err);
		if (!ok && !p.w.committed)
			files_remove(a->msgdir, d->file_id);
	}
	*expunge_modseq = op.modseq;
	pending_free(&p);
	return ok;
}
