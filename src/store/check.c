/*
 * The consistency check: everything the store keeps incrementally,
 * recomputed from scratch in one read transaction and compared.
 */
#include "store/internal.h"

#include "mail/serialize.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

/* Problems listed in full; beyond that only counted. */
#define CHECK_PROBLEMS_MAX 100

struct checker {
	struct store_account *a;
	struct db *db;
	struct buf *out;
	size_t problems;
	bool skip_sizes;
	struct arena ar;
	int64_t last_modseq;
	int64_t next_uidvalidity;
	int64_t file_id_reserved;
};

static void problem(struct checker *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(struct checker *c, const char *fmt, ...)
{
	if (c->problems++ >= CHECK_PROBLEMS_MAX)
		return;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(c->out, fmt, ap);
	va_end(ap);
	buf_putc(c->out, '\n');
}

/* Runs a query and hands each row to fn. */
static bool each_row(struct checker *c, const char *sql,
		     void (*fn)(struct checker *, sqlite3_stmt *), struct error *err)
{
	sqlite3_stmt *st = db_stmt(c->db, sql, err);
	if (!st)
		return false;
	int rc;
	while ((rc = db_step(c->db, st, err)) == 1)
		fn(c, st);
	return rc == 0;
}

static void account_row(struct checker *c, sqlite3_stmt *st)
{
	c->last_modseq = sqlite3_column_int64(st, 0);
	c->next_uidvalidity = sqlite3_column_int64(st, 1);
	c->file_id_reserved = sqlite3_column_int64(st, 2);
	int64_t size = sqlite3_column_int64(st, 3), sum = sqlite3_column_int64(st, 4);
	if (size != sum)
		problem(c, "account size %" PRId64 " != sum of message sizes %" PRId64, size, sum);
}

static void counts_row(struct checker *c, sqlite3_stmt *st)
{
	const char *name = db_col_text(st, 0);
	static const char *const what[] = {"total", "deleted", "unread", "unseen", "size"};
	for (int i = 0; i < 5; i++) {
		int64_t kept = sqlite3_column_int64(st, 1 + i),
			real = sqlite3_column_int64(st, 6 + i);
		if (kept != real)
			problem(c, "mailbox %s: count %s is %" PRId64 ", should be %" PRId64, name,
				what[i], kept, real);
	}
}

/* A second statement on the connection, beside the one being stepped. */
static bool parent_exists(struct checker *c, const char *name, size_t len)
{
	struct error err;
	sqlite3_stmt *st = db_stmt(c->db, "SELECT 1 FROM mailboxes WHERE name = ?", &err);
	if (!st)
		return false;
	sqlite3_bind_text(st, 1, name, (int)len, SQLITE_TRANSIENT);
	int64_t v;
	bool found = false;
	return db_query_int(c->db, st, &v, &found, &err) && found;
}

static void mailbox_row(struct checker *c, sqlite3_stmt *st)
{
	const char *name = db_col_text(st, 0);
	int64_t uidvalidity = sqlite3_column_int64(st, 1), uidnext = sqlite3_column_int64(st, 2);
	int64_t modseq = sqlite3_column_int64(st, 3), highest = sqlite3_column_int64(st, 4);
	int64_t maxuid = sqlite3_column_int64(st, 5), maxmodseq = sqlite3_column_int64(st, 6);
	if (uidvalidity <= 0 || uidvalidity >= c->next_uidvalidity)
		problem(c, "mailbox %s: uidvalidity %" PRId64 " not below account next %" PRId64,
			name, uidvalidity, c->next_uidvalidity);
	if (uidnext <= maxuid || uidnext <= 0)
		problem(c, "mailbox %s: uidnext %" PRId64 " not above highest uid %" PRId64, name,
			uidnext, maxuid);
	int64_t want = modseq > maxmodseq ? modseq : maxmodseq;
	if (highest != want)
		problem(c, "mailbox %s: highestmodseq %" PRId64 ", should be %" PRId64, name,
			highest, want);
	if (highest > c->last_modseq || modseq <= 0)
		problem(c, "mailbox %s: modseq %" PRId64 "/%" PRId64 " outside 1..%" PRId64, name,
			modseq, highest, c->last_modseq);
	const char *slash = strrchr(name, '/');
	if (slash && !parent_exists(c, name, (size_t)(slash - name)))
		problem(c, "mailbox %s has no parent", name);
	const char *norm;
	struct error err;
	if (!store_mailbox_name_check(name, true, &c->ar, &norm, &err))
		problem(c, "mailbox %s: bad name: %s", name, err.msg);
	else if (strcmp(norm, name) != 0)
		problem(c, "mailbox %s: name not normalized (%s)", name, norm);
}

static void message_row(struct checker *c, sqlite3_stmt *st)
{
	problem(c, "message %" PRId64 " (mailbox %" PRId64 " uid %" PRId64 "): %s",
		(int64_t)sqlite3_column_int64(st, 0), (int64_t)sqlite3_column_int64(st, 1),
		(int64_t)sqlite3_column_int64(st, 2), db_col_text(st, 3));
}

static void text_row(struct checker *c, sqlite3_stmt *st)
{
	problem(c, "%s", db_col_text(st, 0));
}

static void file_row(struct checker *c, sqlite3_stmt *st)
{
	int64_t id = sqlite3_column_int64(st, 0), refs = sqlite3_column_int64(st, 1);
	int64_t uses = sqlite3_column_int64(st, 2), size = sqlite3_column_int64(st, 3);
	if (refs != uses || refs <= 0)
		problem(c,
			"file %" PRId64 ": %" PRId64 " references recorded, %" PRId64 " messages",
			id, refs, uses);
	if (id <= 0 || id >= c->file_id_reserved)
		problem(c, "file %" PRId64 ": id not below reserved %" PRId64, id,
			c->file_id_reserved);
	const void *parsed = sqlite3_column_blob(st, 4);
	int plen = sqlite3_column_bytes(st, 4);
	struct error perr;
	struct arena_mark mark = arena_mark(&c->ar);
	if (!parsed)
		problem(c, "file %" PRId64 ": never parsed", id);
	else if (!mail_deserialize(parsed, (size_t)plen, &c->ar, &perr))
		problem(c, "file %" PRId64 ": stored parse unreadable: %s", id, perr.msg);
	arena_rewind(&c->ar, mark);
	const char *path = files_path(c->a, id, &c->ar);
	struct stat sb;
	if (stat(path, &sb) < 0)
		problem(c, "file %" PRId64 ": %s: %s", id, path, strerror(errno));
	else if (!c->skip_sizes && sb.st_size != size)
		problem(c, "file %" PRId64 ": %s has %lld bytes, index says %" PRId64, id, path,
			(long long)sb.st_size, size);
}

static void keyword_row(struct checker *c, sqlite3_stmt *st)
{
	const char *name = db_col_text(st, 0);
	struct store_keywords have, used;
	keywords_split(db_col_text(st, 1), &c->ar, &have);
	keywords_split(db_col_text(st, 2), &c->ar, &used);
	if (have.n >= STORE_MAILBOX_KEYWORDS_MAX)
		return; /* a full list may miss keywords by design */
	for (size_t i = 0; i < used.n; i++)
		if (!store_keywords_has(&have, used.v[i]))
			problem(c, "mailbox %s: keyword %s of a message not in its list", name,
				used.v[i]);
}

static const char q_account[] =
    "SELECT last_modseq, next_uidvalidity, file_id_reserved, size, "
    "(SELECT coalesce(sum(size), 0) FROM messages) FROM account WHERE id = 1";
static const char q_counts[] =
    "SELECT mb.name, mb.total, mb.deleted, mb.unread, mb.unseen, mb.size, "
    "coalesce(c.total, 0), coalesce(c.deleted, 0), coalesce(c.unread, 0), "
    "coalesce(c.unseen, 0), coalesce(c.size, 0) FROM mailboxes mb LEFT JOIN "
    "(SELECT mailbox_id, sum((flags & 8) = 0) AS total, sum((flags & 8) != 0) AS deleted, "
    "sum((flags & 9) = 0) AS unread, sum((flags & 1) = 0) AS unseen, sum(size) AS size "
    "FROM messages GROUP BY mailbox_id) c ON c.mailbox_id = mb.id";
static const char q_mailboxes[] =
    "SELECT mb.name, mb.uidvalidity, mb.uidnext, mb.modseq, mb.highestmodseq, "
    "max(coalesce((SELECT max(uid) FROM messages WHERE mailbox_id = mb.id), 0), "
    "coalesce((SELECT max(uid) FROM expunged WHERE mailbox_id = mb.id), 0)), "
    "max(coalesce((SELECT max(modseq) FROM messages WHERE mailbox_id = mb.id), 0), "
    "coalesce((SELECT max(modseq) FROM expunged WHERE mailbox_id = mb.id), 0)) "
    "FROM mailboxes mb";
static const char q_messages[] =
    "SELECT id, mailbox_id, uid, CASE "
    "WHEN createseq <= 0 OR createseq > modseq THEN 'createseq not in 1..modseq' "
    "WHEN modseq > (SELECT last_modseq FROM account) THEN 'modseq above account modseq' "
    "WHEN uid <= 0 THEN 'uid 0' "
    "WHEN mailbox_id NOT IN (SELECT id FROM mailboxes) THEN 'mailbox does not exist' "
    "WHEN file_id NOT IN (SELECT id FROM files) THEN 'file not in index' "
    "WHEN size != (SELECT size FROM files WHERE id = file_id) THEN 'size differs from file' "
    "WHEN (flags & ~1023) != 0 THEN 'unknown flag bits' "
    "WHEN thread_id = 0 THEN 'no thread' "
    "END AS problem FROM messages WHERE problem IS NOT NULL";
static const char q_files[] =
    "SELECT f.id, f.refs, (SELECT count(*) FROM messages WHERE file_id = f.id), f.size, "
    "f.parsed FROM files f";
static const char q_misc[] =
    "SELECT 'expunged uid ' || e.uid || ' of mailbox ' || e.mailbox_id || ' still present' "
    "FROM expunged e JOIN messages m ON m.mailbox_id = e.mailbox_id AND m.uid = e.uid "
    "UNION ALL SELECT 'expunge history for missing mailbox ' || mailbox_id FROM expunged "
    "WHERE mailbox_id NOT IN (SELECT id FROM mailboxes) "
    "UNION ALL SELECT 'uidvalidity ' || uidvalidity || ' used by several mailboxes' FROM "
    "mailboxes GROUP BY uidvalidity HAVING count(*) > 1 "
    "UNION ALL SELECT 'no Inbox' WHERE NOT EXISTS (SELECT 1 FROM mailboxes WHERE name = "
    "'Inbox')";
static const char q_keywords[] =
    "SELECT mb.name, mb.keywords, (SELECT group_concat(k, ' ') FROM (SELECT DISTINCT "
    "keywords AS k FROM messages WHERE mailbox_id = mb.id AND keywords != '')) FROM "
    "mailboxes mb";

static bool run_checks(struct checker *c, struct error *err)
{
	return each_row(c, q_account, account_row, err) && each_row(c, q_counts, counts_row, err) &&
	       each_row(c, q_mailboxes, mailbox_row, err) &&
	       each_row(c, q_messages, message_row, err) && each_row(c, q_files, file_row, err) &&
	       each_row(c, q_misc, text_row, err) && each_row(c, q_keywords, keyword_row, err);
}

bool store_account_check(struct store_account *a, bool skip_sizes, struct buf *problems, bool *ok,
			 struct error *err)
{
	*ok = false;
	struct checker c;
	memset(&c, 0, sizeof c);
	c.a = a;
	c.out = problems;
	c.skip_sizes = skip_sizes;
	arena_init(&c.ar, 16384);
	c.db = store_reader(a, err);
	bool ran = c.db && db_begin_read(c.db, err) && run_checks(&c, err);
	if (c.db)
		store_reader_done(a, c.db);
	arena_free(&c.ar);
	if (ran && c.problems > CHECK_PROBLEMS_MAX)
		buf_printf(problems, "... and %zu more problems\n",
			   c.problems - CHECK_PROBLEMS_MAX);
	*ok = ran && c.problems == 0;
	return ran;
}
