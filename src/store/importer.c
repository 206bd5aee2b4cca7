/*
 * Bulk delivery for imports: a bounded queue and a delivery thread
 * (see importer.h).
 */
#include "store/importer.h"

#include "base/mem.h"
#include "base/str.h"
#include "store/deliver.h"
#include "store/flags.h"
#include "store/mailbox.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct job {
	struct job *next;
	struct buf data;
	int64_t received;
	int received_tz;
	uint32_t flags;
	struct store_keywords keywords;
	struct arena ar;
	char origin[256];
};

struct store_importer {
	struct store_account *a;
	int64_t mailbox_id;
	int64_t quota;
	void (*progress)(void *arg, size_t delivered);
	void *progress_arg;

	pthread_mutex_t mu;
	pthread_cond_t work; /* a job was queued, or closing */
	pthread_cond_t room; /* a job was taken, or a delivery failed */
	struct job *head;
	struct job *tail;
	size_t queued;
	size_t queued_bytes;
	bool closing;
	bool failed;
	struct error err;
	size_t delivered;

	pthread_t thread;
	bool started;
};

/* --- flag names --- */

static const struct {
	const char *name;
	uint32_t bit;
} aliases[] = {
    {"forwarded", STORE_FLAG_FORWARDED}, {"junk", STORE_FLAG_JUNK},
    {"notjunk", STORE_FLAG_NOTJUNK},     {"nonjunk", STORE_FLAG_NOTJUNK},
    {"$nonjunk", STORE_FLAG_NOTJUNK},    {"phishing", STORE_FLAG_PHISHING},
    {"mdnsent", STORE_FLAG_MDNSENT},
};

bool store_import_flag(const char *name, size_t len, struct arena *ar, uint32_t *bit,
		       const char **keyword)
{
	struct str s = str_make(name, len);
	for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
		if (str_eqi_cstr(s, aliases[i].name)) {
			*bit = aliases[i].bit;
			*keyword = NULL;
			return true;
		}
	}
	return store_flag_parse(name, len, ar, bit, keyword, NULL);
}

void store_import_add_keyword(struct store_import_msg *m, const char *keyword)
{
	for (size_t i = 0; i < m->nkeywords; i++)
		if (strcmp(m->keywords[i], keyword) == 0)
			return;
	if (m->nkeywords < STORE_IMPORT_KEYWORDS_MAX)
		m->keywords[m->nkeywords++] = keyword;
}

/* --- delivery threads --- */

static void job_free(struct job *j)
{
	buf_free(&j->data);
	arena_free(&j->ar);
	free(j);
}

/* Waits for queued jobs and takes up to STORE_IMPORT_BATCH of them; 0 when closing and empty. */
static size_t take_jobs(struct store_importer *im, struct job **v)
{
	pthread_mutex_lock(&im->mu);
	while (!im->head && !im->closing)
		pthread_cond_wait(&im->work, &im->mu);
	size_t n = 0;
	while (im->head && n < STORE_IMPORT_BATCH) {
		struct job *j = im->head;
		im->head = j->next;
		im->queued--;
		im->queued_bytes -= j->data.len;
		v[n++] = j;
	}
	if (!im->head)
		im->tail = NULL;
	pthread_cond_signal(&im->room);
	pthread_mutex_unlock(&im->mu);
	return n;
}

static void delivered(struct store_importer *im, size_t n, bool ok, const struct error *err,
		      const char *origin)
{
	pthread_mutex_lock(&im->mu);
	size_t before = im->delivered;
	im->delivered += n;
	if (im->progress &&
	    im->delivered / STORE_IMPORT_PROGRESS_EVERY != before / STORE_IMPORT_PROGRESS_EVERY)
		im->progress(im->progress_arg, im->delivered / STORE_IMPORT_PROGRESS_EVERY *
						   STORE_IMPORT_PROGRESS_EVERY);
	if (!ok && !im->failed) {
		im->failed = true;
		im->err = *err;
		error_prefix(&im->err, "%s", origin);
		pthread_cond_broadcast(&im->room);
	}
	pthread_mutex_unlock(&im->mu);
}

/* One bulk delivery of a batch, in queue order (so UIDs follow the file's order). */
static void deliver_jobs(struct store_importer *im, struct job **v, size_t n)
{
	struct store_target t[STORE_IMPORT_BATCH];
	struct store_delivery d[STORE_IMPORT_BATCH];
	bool done[STORE_IMPORT_BATCH];
	for (size_t i = 0; i < n; i++) {
		t[i] = (struct store_target){
		    .mailbox_id = im->mailbox_id, .flags = v[i]->flags, .keywords = v[i]->keywords};
		d[i] = (struct store_delivery){
		    .data = v[i]->data.data ? v[i]->data.data : "",
		    .len = v[i]->data.len,
		    .received = v[i]->received,
		    .received_tz = v[i]->received_tz,
		    .quota = im->quota,
		    .targets = &t[i],
		    .ntargets = 1,
		};
	}
	struct error err = {0};
	bool ok = store_deliver_many(im->a, d, n, done, &err);
	size_t count = 0, first_failed = n;
	for (size_t i = 0; i < n; i++) {
		count += done[i];
		if (!done[i] && first_failed == n)
			first_failed = i;
	}
	delivered(im, count, ok, &err, ok ? "" : v[first_failed]->origin);
}

static void *worker(void *arg)
{
	struct store_importer *im = arg;
	struct job *v[STORE_IMPORT_BATCH];
	size_t n;
	while ((n = take_jobs(im, v)) > 0) {
		pthread_mutex_lock(&im->mu);
		bool skip = im->failed;
		pthread_mutex_unlock(&im->mu);
		if (!skip)
			deliver_jobs(im, v, n);
		for (size_t i = 0; i < n; i++)
			job_free(v[i]);
	}
	return NULL;
}

/* --- the reader's side --- */

static bool find_mailbox(struct store_account *a, const char *name, int64_t *id, struct error *err)
{
	struct arena ar;
	arena_init(&ar, 1024);
	struct store_mailbox mb;
	bool ok = store_mailbox_get(a, name, &ar, &mb, err);
	if (!ok && err && err->kind == ERR_NOTFOUND) {
		struct store_mailbox_create c = {.subscribe = true};
		ok = store_mailbox_create(a, name, &c, NULL, id, err);
	} else if (ok) {
		*id = mb.id;
	}
	arena_free(&ar);
	return ok;
}

static void stop_thread(struct store_importer *im)
{
	pthread_mutex_lock(&im->mu);
	im->closing = true;
	pthread_cond_broadcast(&im->work);
	pthread_mutex_unlock(&im->mu);
	if (im->started)
		pthread_join(im->thread, NULL);
	im->started = false;
}

static void importer_free(struct store_importer *im)
{
	while (im->head) {
		struct job *j = im->head;
		im->head = j->next;
		job_free(j);
	}
	pthread_mutex_destroy(&im->mu);
	pthread_cond_destroy(&im->work);
	pthread_cond_destroy(&im->room);
	free(im);
}

bool store_importer_start(struct store_account *a, const struct store_importer_options *o,
			  struct store_importer **out, struct error *err)
{
	struct error e = {0};
	if (!err)
		err = &e;
	struct store_importer *im = xcalloc(1, sizeof *im);
	im->a = a;
	im->quota = o->quota;
	im->progress = o->progress;
	im->progress_arg = o->progress_arg;
	pthread_mutex_init(&im->mu, NULL);
	pthread_cond_init(&im->work, NULL);
	pthread_cond_init(&im->room, NULL);
	if (!find_mailbox(a, o->mailbox, &im->mailbox_id, err)) {
		importer_free(im);
		return error_prefix(err, "mailbox %s", o->mailbox);
	}
	if (pthread_create(&im->thread, NULL, worker, im) != 0) {
		importer_free(im);
		return error_set(err, ERR_TEMPORARY, "starting the import thread");
	}
	im->started = true;
	*out = im;
	return true;
}

static struct job *make_job(struct store_import_msg *m, struct error *err)
{
	struct job *j = xcalloc(1, sizeof *j);
	arena_init(&j->ar, 512);
	uint32_t bits = 0;
	if (!store_keywords_make(m->keywords, m->nkeywords, &j->ar, &bits, &j->keywords, err)) {
		error_prefix(err, "%s", m->origin);
		job_free(j);
		return NULL;
	}
	j->data = m->data;
	buf_init(&m->data);
	j->received = m->received;
	j->received_tz = m->received_tz;
	j->flags = (m->flags | bits) & STORE_FLAGS_ALL;
	snprintf(j->origin, sizeof j->origin, "%s", m->origin);
	return j;
}

bool store_importer_add(struct store_importer *im, struct store_import_msg *m, struct error *err)
{
	struct job *j = make_job(m, err);
	if (!j)
		return false;
	pthread_mutex_lock(&im->mu);
	while (!im->failed &&
	       (im->queued >= STORE_IMPORT_QUEUE ||
		(im->queued > 0 && im->queued_bytes + j->data.len > STORE_IMPORT_QUEUE_BYTES)))
		pthread_cond_wait(&im->room, &im->mu);
	bool failed = im->failed;
	if (failed) {
		if (err)
			*err = im->err;
	} else {
		if (im->tail)
			im->tail->next = j;
		else
			im->head = j;
		im->tail = j;
		im->queued++;
		im->queued_bytes += j->data.len;
		pthread_cond_signal(&im->work);
	}
	pthread_mutex_unlock(&im->mu);
	if (failed)
		job_free(j);
	return !failed;
}

bool store_importer_finish(struct store_importer *im, size_t *count, struct error *err)
{
	stop_thread(im);
	bool ok = !im->failed;
	if (!ok && err)
		*err = im->err;
	if (count)
		*count = im->delivered;
	importer_free(im);
	return ok;
}

/* --- the metadata line of the ctl protocol --- */

void store_import_meta_format(const struct store_import_msg *m, struct buf *out)
{
	buf_printf(out, "%u %lld %d %zu", (unsigned)m->flags, (long long)m->received,
		   m->received_tz, m->nkeywords);
	for (size_t i = 0; i < m->nkeywords; i++)
		buf_printf(out, " %s", m->keywords[i]);
	buf_printf(out, " %s", m->origin);
}

/* The next space-separated token of *s. */
static struct str token(struct str *s)
{
	struct str t, rest;
	if (!str_cut(*s, ' ', &t, &rest)) {
		t = *s;
		rest = str_make(s->p + s->len, 0);
	}
	*s = rest;
	return t;
}

bool store_import_meta_parse(const char *line, struct arena *ar, struct store_import_msg *m,
			     struct error *err)
{
	struct str s = str_from(line);
	uint64_t flags, nkw;
	int64_t received, tz;
	if (!str_parse_u64(token(&s), STORE_FLAGS_ALL, &flags) ||
	    !str_parse_i64(token(&s), 0, INT64_MAX / 2, &received) ||
	    !str_parse_i64(token(&s), -24 * 60, 24 * 60, &tz) ||
	    !str_parse_u64(token(&s), STORE_IMPORT_KEYWORDS_MAX, &nkw))
		return error_set(err, ERR_INVALID, "bad message metadata");
	m->flags = (uint32_t)flags;
	m->received = received;
	m->received_tz = (int)tz;
	m->nkeywords = 0;
	for (uint64_t i = 0; i < nkw; i++) {
		struct str k = token(&s);
		uint32_t bit;
		const char *kw;
		if (!store_flag_parse(k.p, k.len, ar, &bit, &kw, err))
			return error_prefix(err, "message metadata");
		m->flags |= bit;
		if (kw)
			store_import_add_keyword(m, kw);
	}
	snprintf(m->origin, sizeof m->origin, "%.*s", (int)s.len, s.p);
	return true;
}
