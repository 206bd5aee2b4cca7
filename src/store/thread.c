/*
 * Threads, assigned at delivery as mox does (store/threads.go describes the
 * rules; RFC 5256 section 3 is the basis): a message joins the thread of an
 * earlier message with the same Message-ID, else of the nearest message it
 * references (References, then In-Reply-To; the referenced message must
 * have the same base subject), else, for a reply or forward without
 * references, of the latest message with the same base subject delivered to
 * the same mailbox within four weeks before (or a day after). Otherwise it
 * starts its own thread. Thread ids are message row ids; the parent chain
 * lists ancestors nearest first.
 */
#include "store/internal.h"

#include "mail/envelope.h"

#include "base/str.h"
#include "mail/mail.h"

#include <stdio.h>
#include <string.h>

/* How far the subject fallback looks, as mox: four weeks back, a day ahead. */
#define THREAD_SUBJECT_BEFORE (4 * 7 * 24 * 3600)
#define THREAD_SUBJECT_AFTER  (24 * 3600)
/* Parent chains longer than this are cut (a thread deeper than this is pathological). */
#define THREAD_PARENTS_MAX 512

struct thread_row {
	int64_t id;
	int64_t thread_id;
	const char *parents; /* space separated ids */
	const char *message_id;
};

static bool read_row(struct db *db, sqlite3_stmt *st, struct arena *ar, struct thread_row *r,
		     bool *found, struct error *err)
{
	int rc = db_step(db, st, err);
	if (rc < 0)
		return false;
	*found = rc == 1;
	if (rc == 1) {
		r->id = sqlite3_column_int64(st, 0);
		r->thread_id = sqlite3_column_int64(st, 1);
		r->parents = arena_strdup(ar, db_col_text(st, 2));
		r->message_id = arena_strdup(ar, db_col_text(st, 3));
		sqlite3_reset(st);
	}
	return true;
}

#define THREAD_COLS "id, thread_id, thread_parents, message_id"

static bool by_message_id(struct db *db, int64_t self, const char *msgid, struct arena *ar,
			  struct thread_row *r, bool *found, struct error *err)
{
	sqlite3_stmt *st =
	    db_stmt(db,
		    "SELECT " THREAD_COLS " FROM messages WHERE message_id = ? AND "
		    "message_id != '' AND id != ? AND thread_id != 0 ORDER BY id LIMIT 1",
		    err);
	if (!st)
		return false;
	db_bind_text(st, 1, msgid);
	sqlite3_bind_int64(st, 2, self);
	return read_row(db, st, ar, r, found, err);
}

static bool by_reference(struct db *db, int64_t self, const char *msgid, const char *subject,
			 struct arena *ar, struct thread_row *r, bool *found, struct error *err)
{
	sqlite3_stmt *st =
	    db_stmt(db,
		    "SELECT " THREAD_COLS " FROM messages WHERE message_id = ? AND "
		    "message_id != '' AND subject_base = ? AND id != ? AND thread_id != 0 "
		    "ORDER BY id LIMIT 1",
		    err);
	if (!st)
		return false;
	db_bind_text(st, 1, msgid);
	db_bind_text(st, 2, subject);
	sqlite3_bind_int64(st, 3, self);
	return read_row(db, st, ar, r, found, err);
}

static bool by_subject(struct db *db, int64_t self, const char *subject, int64_t mailbox_orig,
		       int64_t received, struct arena *ar, struct thread_row *r, bool *found,
		       struct error *err)
{
	sqlite3_stmt *st = db_stmt(
	    db,
	    "SELECT " THREAD_COLS " FROM messages WHERE subject_base = ? AND "
	    "subject_base != '' AND mailbox_orig_id = ? AND received > ? AND received < ? AND "
	    "id != ? AND thread_id != 0 ORDER BY received DESC LIMIT 1",
	    err);
	if (!st)
		return false;
	db_bind_text(st, 1, subject);
	sqlite3_bind_int64(st, 2, mailbox_orig);
	sqlite3_bind_int64(st, 3, received - THREAD_SUBJECT_BEFORE);
	sqlite3_bind_int64(st, 4, received + THREAD_SUBJECT_AFTER);
	sqlite3_bind_int64(st, 5, self);
	return read_row(db, st, ar, r, found, err);
}

static bool parents_contain(const char *parents, int64_t id)
{
	char needle[32];
	snprintf(needle, sizeof needle, "%lld", (long long)id);
	size_t n = strlen(needle);
	for (const char *p = parents; *p;) {
		const char *sp = strchr(p, ' ');
		size_t len = sp ? (size_t)(sp - p) : strlen(p);
		if (len == n && strncmp(p, needle, n) == 0)
			return true;
		p += len;
		while (*p == ' ')
			p++;
	}
	return false;
}

/* The parent's chain with the parent in front, cut at THREAD_PARENTS_MAX entries. */
static const char *chain(const struct thread_row *parent, int64_t self, struct arena *ar)
{
	/* Never a cycle: a parent that lists us gets us as its only ancestor link. */
	if (parents_contain(parent->parents, self) || !*parent->parents)
		return arena_sprintf(ar, "%lld", (long long)parent->id);
	const char *s = arena_sprintf(ar, "%lld %s", (long long)parent->id, parent->parents);
	size_t count = 0;
	for (const char *p = s; *p; p++) {
		if (*p == ' ' && ++count == THREAD_PARENTS_MAX)
			return arena_strndup(ar, s, (size_t)(p - s));
	}
	return s;
}

static bool save(struct store_account *a, int64_t id, int64_t thread_id, const char *parents,
		 bool missing_link, struct error *err)
{
	sqlite3_stmt *st = db_stmt(&a->wdb,
				   "UPDATE messages SET thread_id = ?, thread_parents = ?, "
				   "thread_missing_link = ? WHERE id = ?",
				   err);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, thread_id);
	db_bind_text(st, 2, parents);
	sqlite3_bind_int(st, 3, missing_link);
	sqlite3_bind_int64(st, 4, id);
	return db_step_done(&a->wdb, st, err);
}

static bool join(struct store_account *a, int64_t id, const struct thread_row *parent,
		 const char *msgid, bool missing_link, struct arena *ar, struct error *err)
{
	/* A duplicate (same Message-ID) hangs under its original with the link marked missing. */
	bool dup = *msgid && strcmp(msgid, parent->message_id) == 0;
	return save(a, id, parent->thread_id, chain(parent, id, ar), missing_link || dup, err);
}

bool thread_assign(struct store_account *a, int64_t id, int64_t mailbox_orig_id, int64_t received,
		   const struct thread_info *ti, struct arena *ar, struct error *err)
{
	struct db *db = &a->wdb;
	struct thread_row r;
	bool found;
	if (*ti->message_id) {
		if (!by_message_id(db, id, ti->message_id, ar, &r, &found, err))
			return false;
		if (found)
			return join(a, id, &r, ti->message_id, false, ar, err);
	}
	bool missing = false;
	for (size_t i = ti->nrefs; i-- > 0;) {
		if (strcmp(ti->refs[i], ti->message_id) == 0)
			continue;
		if (!by_reference(db, id, ti->refs[i], ti->subject_base, ar, &r, &found, err))
			return false;
		if (found)
			return join(a, id, &r, ti->message_id, missing, ar, err);
		missing = true;
	}
	if (ti->nrefs > 0 || !ti->subject_is_reply || !*ti->subject_base)
		return save(a, id, id, "", missing, err);
	if (!by_subject(db, id, ti->subject_base, mailbox_orig_id, received, ar, &r, &found, err))
		return false;
	if (found)
		return join(a, id, &r, ti->message_id, true, ar, err);
	return save(a, id, id, "", false, err);
}

/* Lower case, white space removed: how mox compares msg-ids for threads. */
static const char *canonical_msgid(const char *id, struct arena *ar)
{
	size_t n = strlen(id);
	char *out = arena_alloc(ar, n + 1), *o = out;
	for (const char *p = id; *p; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			*o++ = ascii_lower(*p);
	*o = 0;
	return out;
}

void thread_info_from_parse(const struct mail_message *m, struct arena *ar, struct thread_info *ti)
{
	ti->message_id = canonical_msgid(m->message_id, ar);
	const char *const *refs = m->references;
	size_t nrefs = m->nreferences;
	if (nrefs == 0 && m->nin_reply_to > 0) {
		refs = m->in_reply_to;
		nrefs = 1;
	}
	const char **v = arena_array(ar, nrefs ? nrefs : 1, sizeof *v);
	size_t n = 0;
	for (size_t i = 0; i < nrefs; i++) {
		const char *c = canonical_msgid(refs[i], ar);
		if (*c)
			v[n++] = c;
	}
	ti->refs = v;
	ti->nrefs = n;
	ti->subject_base = m->subject_base ? m->subject_base : "";
	ti->subject_is_reply = mail_subject_is_reply(m->subject ? m->subject : "");
}
