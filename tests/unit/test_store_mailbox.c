#include "test_store_helpers.h"

static void names_of(struct tstore *t, struct buf *out)
{
	struct store_mailbox *mbs;
	size_t n;
	struct error err;
	cr_assert(store_mailboxes_list(t->a, &t->ar, &mbs, &n, &err), "%s", err.msg);
	buf_reset(out);
	for (size_t i = 0; i < n; i++)
		buf_printf(out, "%s%s", i ? "," : "", mbs[i].name);
}

static void create(struct tstore *t, const char *name)
{
	struct error err;
	cr_assert(store_mailbox_create(t->a, name, NULL, NULL, NULL, &err), "create %s: %s", name,
		  err.msg);
	tcheck(t->a);
}

Test(store_mailbox, name_validation)
{
	struct arena ar;
	arena_init(&ar, 4096);
	const char *norm;
	struct error err;
	const char *bad[] = {"",
			     "/a",
			     "a/",
			     "a//b",
			     "a/../b",
			     "..",
			     ".",
			     "a/./b",
			     "#news",
			     "a\tb",
			     "a\x7f",
			     "a\xc2\x85",
			     "a\xe2\x80\xa8",
			     "\xff",
			     "e\xcc\x81" /* NFD é */};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cr_assert(!store_mailbox_name_check(bad[i], true, &ar, &norm, &err), "%zu", i);
		cr_assert_eq(err.kind, ERR_INVALID);
	}
	/* NUL ends the name: what follows is never seen. */
	cr_assert(store_mailbox_name_check("a\0/../x", true, &ar, &norm, &err));
	cr_assert_str_eq(norm, "a");
	char big[STORE_MAILBOX_NAME_MAX + 2];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	for (size_t i = 100; i < sizeof big - 1; i += 100)
		big[i] = '/';
	cr_assert(!store_mailbox_name_check(big, true, &ar, &norm, &err));
	char part[STORE_MAILBOX_PART_MAX + 2];
	memset(part, 'p', sizeof part - 1);
	part[sizeof part - 1] = 0;
	cr_assert(!store_mailbox_name_check(part, true, &ar, &norm, &err));
	char deep[STORE_MAILBOX_DEPTH_MAX * 2 + 4];
	size_t k = 0;
	for (int i = 0; i <= STORE_MAILBOX_DEPTH_MAX; i++) {
		deep[k++] = 'd';
		deep[k++] = '/';
	}
	deep[k - 1] = 0;
	cr_assert(!store_mailbox_name_check(deep, true, &ar, &norm, &err));
	cr_assert(store_mailbox_name_check("INBOX/Sub", true, &ar, &norm, &err));
	cr_assert_str_eq(norm, "Inbox/Sub");
	cr_assert(store_mailbox_name_check("iNbOx", true, &ar, &norm, &err));
	cr_assert_str_eq(norm, "Inbox");
	cr_assert(!store_mailbox_name_check("inbox", false, &ar, &norm, &err));
	cr_assert(store_mailbox_name_check("Inboxes", false, &ar, &norm, &err));
	cr_assert_str_eq(norm, "Inboxes");
	cr_assert(store_mailbox_name_check("caf\xc3\xa9/100% *wild*", true, &ar, &norm, &err));
	arena_free(&ar);
}

Test(store_mailbox, create_makes_parents_and_refuses_existing)
{
	struct tstore t;
	tstore_open(&t);
	create(&t, "a/b/c");
	struct buf names = BUF_INIT;
	names_of(&t, &names);
	cr_assert_str_eq(buf_cstr(&names), "Archive,Drafts,Inbox,Junk,Sent,Trash,a,a/b,a/b/c");
	struct error err;
	cr_assert(!store_mailbox_create(t.a, "a/b", NULL, NULL, NULL, &err));
	cr_assert_eq(err.kind, ERR_EXISTS);
	cr_assert(!store_mailbox_create(t.a, "INBOX", NULL, NULL, NULL, &err));
	cr_assert_eq(err.kind, ERR_INVALID);
	cr_assert(!store_mailbox_create(t.a, "x/../y", NULL, NULL, NULL, &err));
	/* A trailing separator only declares intent (RFC 9051 6.3.4). */
	create(&t, "d/");
	struct store_mailbox d = tmailbox(&t, "d");
	cr_assert(!d.subscribed);
	struct store_mailbox_create o = {.specialuse = STORE_SPECIALUSE_JUNK, .subscribe = true};
	int64_t id;
	cr_assert(store_mailbox_create(t.a, "Spam", &o, NULL, &id, &err), "%s", err.msg);
	struct store_mailbox spam = tmailbox(&t, "Spam");
	cr_assert_eq(spam.id, id);
	cr_assert_eq(spam.specialuse, STORE_SPECIALUSE_JUNK);
	cr_assert(spam.subscribed);
	tcheck(t.a);
	buf_free(&names);
	tstore_close(&t);
}

Test(store_mailbox, uidvalidity_never_reused_for_a_name)
{
	struct tstore t;
	tstore_open(&t);
	create(&t, "x");
	struct store_mailbox x1 = tmailbox(&t, "x");
	tdeliver(&t, "x", "Subject: 1\r\n\r\n1\r\n", 0);
	struct error err;
	cr_assert(store_mailbox_delete(t.a, "x", NULL, &err), "%s", err.msg);
	tcheck(t.a);
	create(&t, "x");
	struct store_mailbox x2 = tmailbox(&t, "x");
	cr_assert_gt(x2.uidvalidity, x1.uidvalidity);
	cr_assert_neq(x2.id, x1.id);
	/* renaming another mailbox to the name: its own UIDVALIDITY, different again */
	cr_assert(store_mailbox_delete(t.a, "x", NULL, &err));
	create(&t, "y");
	struct store_mailbox y = tmailbox(&t, "y");
	cr_assert(store_mailbox_rename(t.a, "y", "x", NULL, &err), "%s", err.msg);
	tcheck(t.a);
	struct store_mailbox x3 = tmailbox(&t, "x");
	cr_assert_eq(x3.uidvalidity, y.uidvalidity);
	cr_assert_neq(x3.uidvalidity, x1.uidvalidity);
	cr_assert_neq(x3.uidvalidity, x2.uidvalidity);
	tstore_close(&t);
}

Test(store_mailbox, rename_moves_children_and_creates_parents)
{
	struct tstore t;
	tstore_open(&t);
	create(&t, "foo/bar/deep");
	create(&t, "foobar");
	uint32_t uid = tdeliver(&t, "foo/bar", "Subject: x\r\n\r\nx\r\n", STORE_FLAG_SEEN);
	struct store_mailbox before = tmailbox(&t, "foo/bar");
	struct error err;
	cr_assert(store_mailbox_rename(t.a, "foo", "baz/rag/zowie", NULL, &err), "%s", err.msg);
	tcheck(t.a);
	struct buf names = BUF_INIT;
	names_of(&t, &names);
	cr_assert_str_eq(buf_cstr(&names),
			 "Archive,Drafts,Inbox,Junk,Sent,Trash,baz,baz/rag,baz/rag/zowie,"
			 "baz/rag/zowie/bar,baz/rag/zowie/bar/deep,foobar");
	struct store_mailbox after = tmailbox(&t, "baz/rag/zowie/bar");
	cr_assert_eq(after.id, before.id);
	cr_assert_eq(after.uidvalidity, before.uidvalidity);
	cr_assert_eq(after.uidnext, uid + 1);
	cr_assert_eq(after.counts.total, 1);
	/* refusals */
	cr_assert(!store_mailbox_rename(t.a, "foobar", "Trash", NULL, &err));
	cr_assert_eq(err.kind, ERR_EXISTS);
	cr_assert(!store_mailbox_rename(t.a, "nope", "x", NULL, &err));
	cr_assert_eq(err.kind, ERR_NOTFOUND);
	cr_assert(!store_mailbox_rename(t.a, "baz", "baz/sub", NULL, &err));
	cr_assert_eq(err.kind, ERR_INVALID);
	cr_assert(!store_mailbox_rename(t.a, "foobar", "Inbox", NULL, &err));
	cr_assert(!store_mailbox_rename(t.a, "foobar", "a//b", NULL, &err));
	cr_assert_eq(err.kind, ERR_INVALID);
	tcheck(t.a);
	buf_free(&names);
	tstore_close(&t);
}

Test(store_mailbox, rename_inbox_moves_messages_leaves_inbox)
{
	struct tstore t;
	tstore_open(&t);
	create(&t, "Inbox/child");
	tdeliver(&t, "Inbox", "Subject: 1\r\n\r\n1\r\n", STORE_FLAG_SEEN);
	tdeliver(&t, "Inbox", "Subject: 2\r\n\r\n2\r\n", 0);
	struct store_mailbox in1 = tmailbox(&t, "Inbox");
	struct error err;
	cr_assert(store_mailbox_rename(t.a, "INBOX", "old-mail", NULL, &err), "%s", err.msg);
	tcheck(t.a);
	struct store_mailbox in2 = tmailbox(&t, "Inbox");
	cr_assert_eq(in2.id, in1.id);
	cr_assert_eq(in2.uidvalidity, in1.uidvalidity);
	cr_assert_eq(in2.uidnext, 3); /* UIDs are not reused */
	cr_assert_eq(in2.counts.total, 0);
	cr_assert_gt(in2.highestmodseq, in1.highestmodseq);
	struct store_mailbox old = tmailbox(&t, "old-mail");
	cr_assert_eq(old.counts.total, 2);
	cr_assert_eq(old.counts.unseen, 1);
	cr_assert_eq(old.uidnext, 3);
	tmailbox(&t, "Inbox/child"); /* children stay */
	/* VANISHED knows the two UIDs left INBOX */
	uint32_t *gone;
	size_t n;
	cr_assert(store_vanished(t.a, in1.id, in1.highestmodseq, NULL, &t.ar, &gone, &n, &err));
	cr_assert_eq(n, 2);
	cr_assert_eq(gone[0], 1);
	cr_assert_eq(gone[1], 2);
	tstore_close(&t);
}

Test(store_mailbox, delete_rules)
{
	struct tstore t;
	tstore_open(&t);
	create(&t, "p/c");
	tdeliver(&t, "p/c", "Subject: 1\r\n\r\n1\r\n", 0);
	struct error err;
	cr_assert(!store_mailbox_delete(t.a, "p", NULL, &err));
	cr_assert_eq(err.kind, ERR_EXISTS);
	cr_assert(!store_mailbox_delete(t.a, "inbox", NULL, &err));
	cr_assert_eq(err.kind, ERR_INVALID);
	cr_assert(!store_mailbox_delete(t.a, "none", NULL, &err));
	cr_assert_eq(err.kind, ERR_NOTFOUND);
	struct store_account_info info;
	cr_assert(store_account_info(t.a, &info, &err));
	cr_assert_gt(info.size, 0);
	cr_assert(store_mailbox_delete(t.a, "p/c", NULL, &err), "%s", err.msg);
	tcheck(t.a);
	cr_assert(store_account_info(t.a, &info, &err));
	cr_assert_eq(info.size, 0);
	cr_assert_eq(info.messages, 0);
	cr_assert(store_mailbox_delete(t.a, "p", NULL, &err), "%s", err.msg);
	tcheck(t.a);
	tstore_close(&t);
}

Test(store_mailbox, subscriptions_independent_of_existence)
{
	struct tstore t;
	tstore_open(&t);
	struct error err;
	cr_assert(store_subscription_add(t.a, "Nowhere/at/all", NULL, &err), "%s", err.msg);
	cr_assert(store_subscription_add(t.a, "Nowhere/at/all", NULL, &err)); /* idempotent */
	const char **names;
	size_t n;
	cr_assert(store_subscriptions_list(t.a, &t.ar, &names, &n, &err));
	cr_assert_eq(n, 7);
	cr_assert_str_eq(names[4], "Nowhere/at/all");
	cr_assert(store_subscription_remove(t.a, "Trash", NULL, &err));
	struct store_mailbox trash = tmailbox(&t, "Trash");
	cr_assert(!trash.subscribed);
	cr_assert(!store_subscription_remove(t.a, "Trash", NULL, &err));
	cr_assert_eq(err.kind, ERR_NOTFOUND);
	cr_assert(!store_subscription_add(t.a, "bad//name", NULL, &err));
	/* a subscribed mailbox renamed: the subscription follows */
	create(&t, "s");
	cr_assert(store_subscription_add(t.a, "s", NULL, &err));
	cr_assert(store_mailbox_rename(t.a, "s", "t", NULL, &err));
	struct store_mailbox tm = tmailbox(&t, "t");
	cr_assert(tm.subscribed);
	/* deleting keeps the subscription (RFC 9051 6.3.5 does not remove it) */
	cr_assert(store_mailbox_delete(t.a, "t", NULL, &err));
	cr_assert(store_subscriptions_list(t.a, &t.ar, &names, &n, &err));
	bool found = false;
	for (size_t i = 0; i < n; i++)
		found |= strcmp(names[i], "t") == 0;
	cr_assert(found);
	tstore_close(&t);
}

Test(store_mailbox, special_use_one_mailbox_per_role)
{
	struct tstore t;
	tstore_open(&t);
	create(&t, "Bin");
	struct error err;
	cr_assert(store_mailbox_set_specialuse(t.a, "Bin", STORE_SPECIALUSE_TRASH, NULL, &err),
		  "%s", err.msg);
	tcheck(t.a);
	cr_assert_eq(tmailbox(&t, "Bin").specialuse, STORE_SPECIALUSE_TRASH);
	cr_assert_eq(tmailbox(&t, "Trash").specialuse, 0);
	cr_assert_str_eq(store_specialuse_name(STORE_SPECIALUSE_ARCHIVE), "\\Archive");
	tstore_close(&t);
}
