/*
 * Export: walking an account's mailboxes and writing mbox files or
 * Maildirs (see export.h).
 */
#include "store/export.h"

#include "base/file.h"
#include "base/mem.h"
#include "base/str.h"
#include "store/deliver.h"
#include "store/eol.h"
#include "store/mailbox.h"
#include "store/maildir.h"
#include "store/mbox.h"
#include "store/message.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- the walk --- */

static bool selected(const char *name, const char *want, bool single)
{
	if (!want)
		return true;
	size_t n = strlen(want);
	if (strcmp(name, want) == 0)
		return true;
	return !single && strncmp(name, want, n) == 0 && name[n] == '/';
}

static int cmp_received(const void *pa, const void *pb)
{
	const struct store_message *a = pa, *b = pb;
	if (a->received != b->received)
		return a->received < b->received ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* Maps the message's file and hands it to the sink; a file gone by now was expunged. */
static bool export_one(struct store_account *a, const struct store_message *m,
		       const struct store_export_sink *sink, bool *skipped, struct error *err)
{
	*skipped = false;
	struct error oerr;
	int fd = store_message_open(a, m->file_id, &oerr);
	if (fd < 0) {
		if (oerr.kind == ERR_NOTFOUND) {
			*skipped = true;
			return true;
		}
		*err = oerr;
		return false;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return error_errno(err, errno, "stat message %lld", (long long)m->id);
	}
	size_t len = (size_t)st.st_size;
	void *map = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	close(fd);
	if (map == MAP_FAILED)
		return error_errno(err, errno, "map message %lld", (long long)m->id);
	struct store_export_msg em = {
	    .id = m->id,
	    .flags = m->flags,
	    .keywords = m->keywords,
	    .received = m->received,
	    .received_tz = m->received_tz,
	    .sender = m->from ? m->from : "",
	    .data = map ? map : "",
	    .len = len,
	};
	bool ok = sink->message(sink->arg, &em, err);
	if (map)
		munmap(map, len);
	return ok;
}

static bool export_mailbox(struct store_account *a, const struct store_mailbox *mb,
			   const struct store_export_sink *sink, size_t *count, struct error *err)
{
	if (!sink->mailbox(sink->arg, mb->name, err))
		return false;
	struct arena ar;
	arena_init(&ar, 65536);
	struct store_message *msgs;
	size_t n;
	bool ok = store_messages_fetch(a, mb->id, NULL, 0, 0, &ar, &msgs, &n, err);
	if (ok && n > 1)
		qsort(msgs, n, sizeof *msgs, cmp_received);
	for (size_t i = 0; ok && i < n; i++) {
		bool skipped;
		ok = export_one(a, &msgs[i], sink, &skipped, err);
		if (ok && !skipped)
			(*count)++;
	}
	arena_free(&ar);
	return ok;
}

bool store_export_walk(struct store_account *a, const char *mailbox, bool single,
		       const struct store_export_sink *sink, size_t *nmessages, struct error *err)
{
	struct arena ar;
	arena_init(&ar, 16384);
	const char *want = NULL;
	struct store_mailbox *list;
	size_t n, count = 0, visited = 0;
	bool ok = true;
	if (mailbox) {
		struct store_mailbox mb;
		ok = store_mailbox_get(a, mailbox, &ar, &mb, err);
		want = ok ? mb.name : NULL;
	}
	if (ok)
		ok = store_mailboxes_list(a, &ar, &list, &n, err);
	for (size_t i = 0; ok && i < n; i++) {
		if (!selected(list[i].name, want, single))
			continue;
		visited++;
		ok = export_mailbox(a, &list[i], sink, &count, err);
		if (!ok)
			error_prefix(err, "mailbox %s", list[i].name);
	}
	arena_free(&ar);
	if (nmessages)
		*nmessages = count;
	return ok;
}

/* --- the writer --- */

struct store_export_writer {
	char *dir;
	enum store_export_format format;
	/* the current mailbox */
	char *mbpath; /* DIR/NAME.mbox or DIR/NAME */
	int fd;       /* the mbox file */
	struct maildir_keywords kw;
	struct arena ar;
	struct buf out;
	size_t dropped;
};

static bool create_excl(const char *path, int *fd, struct error *err)
{
	*fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (*fd >= 0)
		return true;
	if (errno == EEXIST)
		return error_set(err, ERR_EXISTS, "%s exists, not overwriting", path);
	return error_errno(err, errno, "create %s", path);
}

static bool write_file(const char *path, const void *p, size_t n, int64_t mtime, struct error *err)
{
	int fd;
	if (!create_excl(path, &fd, err))
		return false;
	bool ok = fd_write_all(fd, p, n, err);
	if (ok && mtime > 0) {
		struct timespec ts[2] = {{.tv_sec = (time_t)mtime}, {.tv_sec = (time_t)mtime}};
		if (futimens(fd, ts) < 0)
			ok = error_errno(err, errno, "set time of %s", path);
	}
	if (close(fd) < 0 && ok)
		ok = error_errno(err, errno, "close %s", path);
	return ok;
}

static bool finish_mailbox(struct store_export_writer *w, struct error *err)
{
	bool ok = true;
	if (w->fd >= 0 && close(w->fd) < 0)
		ok = error_errno(err, errno, "close %s", w->mbpath);
	w->fd = -1;
	if (ok && w->format == STORE_EXPORT_MAILDIR && w->mbpath && w->kw.n > 0) {
		struct buf b = BUF_INIT;
		maildir_keywords_format(&w->kw, &b);
		char *p = path_join(w->mbpath, "dovecot-keywords");
		ok = write_file(p, b.data, b.len, 0, err);
		free(p);
		buf_free(&b);
	}
	free(w->mbpath);
	w->mbpath = NULL;
	memset(&w->kw, 0, sizeof w->kw);
	arena_free(&w->ar);
	arena_init(&w->ar, 4096);
	return ok;
}

static bool make_maildir(const char *path, struct error *err)
{
	if (!mkdir_p(path, 0777, err))
		return false;
	static const char *const subs[] = {"cur", "new", "tmp"};
	for (size_t i = 0; i < 3; i++) {
		char *p = path_join(path, subs[i]);
		int rc = mkdir(p, 0777);
		int e = errno;
		bool ok = rc == 0 || error_set(err, e == EEXIST ? ERR_EXISTS : ERR_IO, "%s: %s%s",
					       p, e == EEXIST ? "exists, not overwriting" : "",
					       e == EEXIST ? "" : strerror(e));
		free(p);
		if (!ok)
			return false;
	}
	return true;
}

static bool writer_mailbox(void *arg, const char *name, struct error *err)
{
	struct store_export_writer *w = arg;
	if (!finish_mailbox(w, err))
		return false;
	if (w->format == STORE_EXPORT_MAILDIR) {
		w->mbpath = path_join(w->dir, name);
		return make_maildir(w->mbpath, err);
	}
	char *file = xmalloc(strlen(name) + 6);
	sprintf(file, "%s.mbox", name);
	w->mbpath = path_join(w->dir, file);
	free(file);
	char *parent = path_dirname(w->mbpath);
	bool ok = mkdir_p(parent, 0777, err) && create_excl(w->mbpath, &w->fd, err);
	free(parent);
	return ok;
}

/* The sender in the From line must be one word of printable ASCII. */
static const char *from_sender(const char *s)
{
	if (!*s || strlen(s) > 256)
		return "";
	for (const char *p = s; *p; p++)
		if (*p <= ' ' || *p > '~')
			return "";
	return s;
}

static bool writer_message(void *arg, const struct store_export_msg *m, struct error *err)
{
	struct store_export_writer *w = arg;
	buf_reset(&w->out);
	if (w->format == STORE_EXPORT_MBOX) {
		if (w->fd < 0)
			return error_set(err, ERR_INTERNAL, "message before mailbox");
		mbox_write_message(&w->out, from_sender(m->sender), m->received, m->flags,
				   &m->keywords, m->data, m->len);
		return fd_write_all(w->fd, w->out.data, w->out.len, err);
	}
	if (!w->mbpath)
		return error_set(err, ERR_INTERNAL, "message before mailbox");
	struct buf name = BUF_INIT;
	buf_printf(&name, "%s/%lld.%lld.tern", m->flags & STORE_FLAG_SEEN ? "cur" : "new",
		   (long long)m->received, (long long)m->id);
	maildir_name_info(m->flags, &m->keywords, &w->kw, &w->ar, &name, &w->dropped);
	eol_to_lf(&w->out, m->data, m->len);
	char *path = path_join(w->mbpath, buf_cstr(&name));
	bool ok = write_file(path, w->out.data ? w->out.data : "", w->out.len, m->received, err);
	free(path);
	buf_free(&name);
	return ok;
}

bool store_export_writer_open(const char *dstdir, enum store_export_format format,
			      struct store_export_writer **out, struct error *err)
{
	if (!mkdir_p(dstdir, 0777, err))
		return error_prefix(err, "creating %s", dstdir);
	struct store_export_writer *w = xcalloc(1, sizeof *w);
	w->dir = xstrdup(dstdir);
	w->format = format;
	w->fd = -1;
	arena_init(&w->ar, 4096);
	*out = w;
	return true;
}

void store_export_writer_sink(struct store_export_writer *w, struct store_export_sink *s)
{
	s->arg = w;
	s->mailbox = writer_mailbox;
	s->message = writer_message;
}

bool store_export_writer_close(struct store_export_writer *w, size_t *dropped, struct error *err)
{
	bool ok = finish_mailbox(w, err);
	if (dropped)
		*dropped = w->dropped;
	arena_free(&w->ar);
	buf_free(&w->out);
	free(w->dir);
	free(w);
	return ok;
}

/* --- ctl protocol lines --- */

void store_export_meta_format(const struct store_export_msg *m, struct buf *out)
{
	buf_printf(out, "message %lld %u %lld %d %zu %zu", (long long)m->id, (unsigned)m->flags,
		   (long long)m->received, m->received_tz, m->len, m->keywords.n);
	for (size_t i = 0; i < m->keywords.n; i++)
		buf_printf(out, " %s", m->keywords.v[i]);
	buf_printf(out, " %s", from_sender(m->sender));
}

static struct str next_token(struct str *s)
{
	struct str t, rest;
	if (!str_cut(*s, ' ', &t, &rest)) {
		t = *s;
		rest = str_make(s->p + s->len, 0);
	}
	*s = rest;
	return t;
}

bool store_export_meta_parse(const char *line, struct arena *ar, struct store_export_msg *m,
			     size_t *size, struct error *err)
{
	struct str s = str_from(line);
	uint64_t flags, len, nkw;
	int64_t id, received, tz;
	if (!str_eq_cstr(next_token(&s), "message") ||
	    !str_parse_i64(next_token(&s), 1, INT64_MAX, &id) ||
	    !str_parse_u64(next_token(&s), STORE_FLAGS_ALL, &flags) ||
	    !str_parse_i64(next_token(&s), INT64_MIN / 2, INT64_MAX / 2, &received) ||
	    !str_parse_i64(next_token(&s), -24 * 60, 24 * 60, &tz) ||
	    !str_parse_u64(next_token(&s), (uint64_t)STORE_MESSAGE_MAX, &len) ||
	    !str_parse_u64(next_token(&s), STORE_MESSAGE_KEYWORDS_MAX, &nkw))
		return error_set(err, ERR_INVALID, "bad export message line");
	const char **v = arena_array(ar, nkw ? nkw : 1, sizeof *v);
	for (uint64_t i = 0; i < nkw; i++) {
		struct str k = next_token(&s);
		uint32_t bit;
		const char *kw;
		if (!store_flag_parse(k.p, k.len, ar, &bit, &kw, err) || !kw)
			return error_set(err, ERR_INVALID, "bad keyword in export message line");
		v[i] = kw;
	}
	memset(m, 0, sizeof *m);
	m->id = id;
	m->flags = (uint32_t)flags;
	m->received = received;
	m->received_tz = (int)tz;
	m->keywords.v = v;
	m->keywords.n = nkw;
	m->sender = arena_strndup(ar, s.p, s.len);
	*size = (size_t)len;
	return true;
}
