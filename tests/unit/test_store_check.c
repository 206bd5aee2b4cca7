#include "test_store_helpers.h"

#include "base/file.h"

#include <sqlite3.h>
#include <unistd.h>

/* Damages the index behind the store's back; the check must notice. */
static void damage(struct tstore *t, const char *sql)
{
	char *path = path_join(t->dir, "accounts/mjl/index.db");
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	char *msg = NULL;
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &msg), SQLITE_OK, "%s", msg);
	sqlite3_close(db);
	free(path);
}

static void expect_problem(struct tstore *t, const char *sql, const char *needle)
{
	struct buf problems = BUF_INIT;
	bool ok = true;
	struct error err;
	damage(t, sql);
	cr_assert(store_account_check(t->a, false, &problems, &ok, &err), "%s", err.msg);
	cr_assert(!ok, "check missed: %s", sql);
	cr_assert(strstr(buf_cstr(&problems), needle), "want \"%s\" in:\n%s", needle,
		  buf_cstr(&problems));
	buf_free(&problems);
}

Test(store_check, finds_damage)
{
	struct tstore t;
	tstore_open(&t);
	tdeliver(&t, "Inbox", "Subject: a\r\n\r\na\r\n", 0);
	tdeliver(&t, "Inbox", "Subject: b\r\n\r\nb\r\n", STORE_FLAG_SEEN);
	struct {
		const char *damage, *undo, *needle;
	} cases[] = {
	    {"UPDATE mailboxes SET unseen = unseen + 1 WHERE name = 'Inbox'",
	     "UPDATE mailboxes SET unseen = unseen - 1 WHERE name = 'Inbox'", "count unseen"},
	    {"UPDATE mailboxes SET total = total + 1 WHERE name = 'Inbox'",
	     "UPDATE mailboxes SET total = total - 1 WHERE name = 'Inbox'", "count total"},
	    {"UPDATE account SET size = size + 1", "UPDATE account SET size = size - 1",
	     "account size"},
	    {"UPDATE mailboxes SET uidnext = 2 WHERE name = 'Inbox'",
	     "UPDATE mailboxes SET uidnext = 3 WHERE name = 'Inbox'", "uidnext"},
	    {"UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE name = 'Inbox'",
	     "UPDATE mailboxes SET highestmodseq = highestmodseq - 1 WHERE name = 'Inbox'",
	     "highestmodseq"},
	    {"UPDATE messages SET createseq = modseq + 1 WHERE uid = 1",
	     "UPDATE messages SET createseq = modseq - 1 WHERE uid = 1", "createseq"},
	    {"UPDATE files SET refs = refs + 1", "UPDATE files SET refs = refs - 1", "references"},
	    {"UPDATE mailboxes SET uidvalidity = (SELECT uidvalidity FROM mailboxes WHERE name = "
	     "'Sent') WHERE name = 'Trash'",
	     NULL, "used by several"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		expect_problem(&t, cases[i].damage, cases[i].needle);
		if (cases[i].undo) {
			damage(&t, cases[i].undo);
			tcheck(t.a);
		}
	}
	store_account_close(t.a);
	t.a = NULL;
	tstore_close(&t);
}

Test(store_check, finds_missing_and_short_files)
{
	struct tstore t;
	tstore_open(&t);
	tdeliver(&t, "Inbox", "Subject: a\r\n\r\naaaa\r\n", 0);
	size_t n;
	struct store_message *m;
	struct error err;
	cr_assert(
	    store_messages_fetch(t.a, tmailbox_id(&t, "Inbox"), NULL, 0, 0, &t.ar, &m, &n, &err));
	const char *path = store_message_path(t.a, m[0].file_id, &t.ar);
	cr_assert_eq(truncate(path, 2), 0);
	struct buf problems = BUF_INIT;
	bool ok;
	cr_assert(store_account_check(t.a, false, &problems, &ok, &err));
	cr_assert(!ok);
	cr_assert(strstr(buf_cstr(&problems), "has 2 bytes"), "%s", buf_cstr(&problems));
	buf_reset(&problems);
	cr_assert(store_account_check(t.a, true, &problems, &ok, &err));
	cr_assert(ok, "%s", buf_cstr(&problems));
	cr_assert_eq(unlink(path), 0);
	cr_assert(store_account_check(t.a, true, &problems, &ok, &err));
	cr_assert(!ok);
	cr_assert(strstr(buf_cstr(&problems), "No such file"), "%s", buf_cstr(&problems));
	buf_free(&problems);
	store_account_close(t.a);
	t.a = NULL;
	tstore_close(&t);
}

Test(store_check, reopen_after_crash_removes_leftovers)
{
	struct tstore t;
	tstore_open(&t);
	tdeliver(&t, "Inbox", "Subject: a\r\n\r\na\r\n", 0);
	char *tmp = path_join(t.dir, "accounts/mjl/tmp/partial");
	char *orphan = path_join(t.dir, "accounts/mjl/msg/0/4000");
	struct error err;
	cr_assert(file_write_atomic(tmp, "x", 1, 0600, &err));
	cr_assert(file_write_atomic(orphan, "y", 1, 0600, &err));
	/* A clean close means nothing is left over: the next open does not scan. */
	store_account_close(t.a);
	t.a = topen_account(t.dir, "mjl");
	cr_assert(file_exists(orphan));
	/* After a crash (no clean close recorded), opening removes both. */
	store_account_close(t.a);
	damage(&t, "UPDATE account SET clean_close = 0");
	t.a = topen_account(t.dir, "mjl");
	cr_assert(!file_exists(tmp));
	cr_assert(!file_exists(orphan));
	tcheck(t.a);
	free(tmp);
	free(orphan);
	tstore_close(&t);
}

Test(store_check, finds_orphaned_child_mailbox)
{
	struct tstore t;
	tstore_open(&t);
	struct error err;
	cr_assert(store_mailbox_create(t.a, "p/c", NULL, NULL, NULL, &err));
	tcheck(t.a);
	damage(&t, "UPDATE mailboxes SET name = 'q' WHERE name = 'p'");
	struct buf problems = BUF_INIT;
	bool ok;
	cr_assert(store_account_check(t.a, false, &problems, &ok, &err));
	cr_assert(!ok);
	cr_assert(strstr(buf_cstr(&problems), "mailbox p/c has no parent"), "%s",
		  buf_cstr(&problems));
	damage(&t, "UPDATE mailboxes SET name = 'p' WHERE name = 'q'");
	buf_free(&problems);
	tstore_close(&t);
}
