#include "test_store_helpers.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char msg1[] = "From: a@example.org\r\nSubject: one\r\n\r\nbody one\r\n";
static const char msg2[] = "From: b@example.org\r\nSubject: two\r\n\r\nbody two, longer\r\n";

static struct store_message *fetch_all(struct tstore *t, int64_t mb, size_t *n)
{
	struct store_message *m;
	struct error err;
	cr_assert(store_messages_fetch(t->a, mb, NULL, 0, STORE_FETCH_THREAD, &t->ar, &m, n, &err),
		  "%s", err.msg);
	return m;
}

static void read_file(struct tstore *t, int64_t file_id, struct buf *out)
{
	struct error err;
	int fd = store_message_open(t->a, file_id, &err);
	cr_assert(fd >= 0, "%s", err.msg);
	char chunk[4096];
	ssize_t r;
	while ((r = read(fd, chunk, sizeof chunk)) > 0)
		buf_append(out, chunk, (size_t)r);
	close(fd);
}

Test(store_message, deliver_fetch_and_file_contents)
{
	struct tstore t;
	tstore_open(&t);
	struct store_mailbox in0 = tmailbox(&t, "Inbox");
	uint32_t u1 = tdeliver(&t, "Inbox", msg1, STORE_FLAG_SEEN | STORE_FLAG_JUNK);
	uint32_t u2 = tdeliver(&t, "INBOX", msg2, 0);
	cr_assert_eq(u1, 1);
	cr_assert_eq(u2, 2);
	struct store_mailbox in = tmailbox(&t, "Inbox");
	cr_assert_eq(in.uidnext, 3);
	cr_assert_eq(in.counts.total, 2);
	cr_assert_eq(in.counts.unseen, 1);
	cr_assert_eq(in.counts.unread, 1);
	cr_assert_eq(in.counts.size, (int64_t)(strlen(msg1) + strlen(msg2)));
	cr_assert_gt(in.highestmodseq, in0.highestmodseq);
	size_t n;
	struct store_message *m = fetch_all(&t, in.id, &n);
	cr_assert_eq(n, 2);
	cr_assert_eq(m[0].uid, 1);
	cr_assert_eq(m[0].flags, STORE_FLAG_SEEN | STORE_FLAG_JUNK);
	cr_assert_eq(m[0].size, (int64_t)strlen(msg1));
	cr_assert_eq(m[0].createseq, m[0].modseq);
	cr_assert_lt(m[0].modseq, m[1].modseq);
	cr_assert_eq(m[1].modseq, in.highestmodseq);
	cr_assert_eq(m[0].thread_id, m[0].id); /* a root without references */
	cr_assert_gt(m[0].received, 0);
	struct buf b = BUF_INIT;
	read_file(&t, m[1].file_id, &b);
	cr_assert_str_eq(buf_cstr(&b), msg2);
	buf_free(&b);
	struct store_message one;
	struct error err;
	cr_assert(store_message_get(t.a, m[1].id, 0, &t.ar, &one, &err), "%s", err.msg);
	cr_assert_eq(one.uid, 2);
	tstore_close(&t);
}

Test(store_message, append_with_flags_keywords_date)
{
	struct tstore t;
	tstore_open(&t);
	const char *kwnames[] = {"Custom", "$Forwarded", "\\Draft", "other", "custom"};
	uint32_t bits = 0;
	struct store_keywords kw;
	struct error err;
	cr_assert(store_keywords_make(kwnames, 5, &t.ar, &bits, &kw, &err), "%s", err.msg);
	cr_assert_eq(bits, STORE_FLAG_FORWARDED | STORE_FLAG_DRAFT);
	cr_assert_eq(kw.n, 2);
	cr_assert_str_eq(kw.v[0], "custom");
	struct store_target tg = {.mailbox_name = "Drafts", .flags = bits, .keywords = kw};
	struct store_delivery d = {.data = msg1,
				   .len = strlen(msg1),
				   .received = 1700000000,
				   .received_tz = -300,
				   .targets = &tg,
				   .ntargets = 1};
	cr_assert(store_deliver(t.a, &d, &err), "%s", err.msg);
	tcheck(t.a);
	size_t n;
	struct store_message *m = fetch_all(&t, tg.mailbox_id_out, &n);
	cr_assert_eq(n, 1);
	cr_assert_eq(m[0].received, 1700000000);
	cr_assert_eq(m[0].received_tz, -300);
	cr_assert_eq(m[0].flags, bits);
	cr_assert_eq(m[0].keywords.n, 2);
	cr_assert_str_eq(m[0].keywords.v[1], "other");
	struct store_mailbox dr = tmailbox(&t, "Drafts");
	cr_assert_eq(dr.keywords.n, 2);
	cr_assert_eq(dr.counts.unseen, 1);
	struct buf f = BUF_INIT;
	store_flags_format(m[0].flags, &m[0].keywords, &f);
	cr_assert_str_eq(buf_cstr(&f), "\\Draft $Forwarded custom other");
	buf_free(&f);
	/* bad keywords are refused */
	const char *bad[] = {"has space"};
	cr_assert(!store_keywords_make(bad, 1, &t.ar, &bits, &kw, &err));
	const char *bad2[] = {"\\Recent"};
	cr_assert(!store_keywords_make(bad2, 1, &t.ar, &bits, &kw, &err));
	const char *bad3[] = {"a]b"};
	cr_assert(!store_keywords_make(bad3, 1, &t.ar, &bits, &kw, &err));
	const char *unsorted[] = {"b", "a"};
	struct store_keywords raw = {unsorted, 2};
	struct store_target tb = {.mailbox_name = "Inbox", .keywords = raw};
	d.targets = &tb;
	cr_assert(!store_deliver(t.a, &d, &err));
	cr_assert_eq(err.kind, ERR_INVALID);
	tstore_close(&t);
}

Test(store_message, delivery_errors_leave_nothing)
{
	struct tstore t;
	tstore_open(&t);
	struct store_target tg = {.mailbox_name = "Nope"};
	struct store_delivery d = {
	    .data = msg1, .len = strlen(msg1), .targets = &tg, .ntargets = 1};
	struct error err;
	cr_assert(!store_deliver(t.a, &d, &err));
	cr_assert_eq(err.kind, ERR_NOTFOUND);
	tcheck(t.a);
	tg.create = true;
	tg.mailbox_name = "Auto/Created";
	cr_assert(store_deliver(t.a, &d, &err), "%s", err.msg);
	tcheck(t.a);
	cr_assert_eq(tmailbox(&t, "Auto/Created").counts.total, 1);
	struct store_target bad = {.mailbox_name = "../x"};
	d.targets = &bad;
	cr_assert(!store_deliver(t.a, &d, &err));
	cr_assert_eq(err.kind, ERR_INVALID);
	d.ntargets = 0;
	cr_assert(!store_deliver(t.a, &d, &err));
	/* only the one delivered file is on disk */
	char cmd[512];
	snprintf(cmd, sizeof cmd, "test $(find %s/accounts/mjl/msg -type f | wc -l) -eq 1", t.dir);
	cr_assert_eq(system(cmd), 0);
	tstore_close(&t);
}

Test(store_message, deliver_to_several_mailboxes_shares_file)
{
	struct tstore t;
	tstore_open(&t);
	struct store_target tg[3] = {{.mailbox_name = "Inbox"},
				     {.mailbox_name = "Archive", .flags = STORE_FLAG_SEEN},
				     {.mailbox_name = "Inbox"}};
	struct store_delivery d = {.data = msg1, .len = strlen(msg1), .targets = tg, .ntargets = 3};
	struct error err;
	cr_assert(store_deliver(t.a, &d, &err), "%s", err.msg);
	tcheck(t.a);
	cr_assert_eq(tg[0].uid, 1);
	cr_assert_eq(tg[2].uid, 2);
	cr_assert_eq(tg[1].uid, 1);
	cr_assert_eq(tg[0].modseq, tg[1].modseq);
	struct store_account_info info;
	cr_assert(store_account_info(t.a, &info, &err));
	cr_assert_eq(info.size, 3 * (int64_t)strlen(msg1));
	cr_assert_eq(info.messages, 3);
	tstore_close(&t);
}

Test(store_message, tmpfile_delivery_to_two_accounts)
{
	struct tstore t;
	tstore_open(&t);
	struct store_account *b = topen_account(t.dir, "other");
	struct store_tmpfile tf;
	struct error err;
	cr_assert(store_tmpfile_create(t.a, &tf, &err), "%s", err.msg);
	cr_assert_eq(write(tf.fd, msg2, strlen(msg2)), (ssize_t)strlen(msg2));
	struct store_target t1 = {.mailbox_name = "Inbox"};
	struct store_delivery d1 = {.file = &tf, .targets = &t1, .ntargets = 1};
	cr_assert(store_deliver(t.a, &d1, &err), "%s", err.msg);
	struct store_target t2 = {.mailbox_name = "Inbox"};
	struct store_delivery d2 = {.file = &tf, .targets = &t2, .ntargets = 1};
	cr_assert(store_deliver(b, &d2, &err), "%s", err.msg);
	char *tmppath = strdup(tf.path);
	store_tmpfile_discard(&tf);
	cr_assert_eq(access(tmppath, F_OK), -1);
	free(tmppath);
	cr_assert_eq(d1.size, (int64_t)strlen(msg2));
	tcheck(t.a);
	tcheck(b);
	struct buf buf1 = BUF_INIT;
	read_file(&t, d1.file_id, &buf1);
	cr_assert_str_eq(buf_cstr(&buf1), msg2);
	buf_free(&buf1);
	store_account_close(b);
	tstore_close(&t);
}

Test(store_message, flags_update_and_unchangedsince)
{
	struct tstore t;
	tstore_open(&t);
	for (int i = 0; i < 4; i++)
		tdeliver(&t, "Inbox", msg1, 0);
	int64_t in = tmailbox_id(&t, "Inbox");
	struct store_uid_range r;
	struct store_uid_set set = tuids(&r, 1, 2);
	struct store_flags_change c = {.op = STORE_FLAGS_ADD, .flags = STORE_FLAG_SEEN};
	struct store_flags_result res;
	struct error err;
	cr_assert(store_flags_update(t.a, in, &set, &c, NULL, &t.ar, &res, &err), "%s", err.msg);
	tcheck(t.a);
	cr_assert_eq(res.nmessages, 2);
	cr_assert(res.changed[0] && res.changed[1]);
	cr_assert_gt(res.modseq, 0);
	uint64_t m1 = res.modseq;
	cr_assert_eq(tmailbox(&t, "Inbox").highestmodseq, m1);
	cr_assert_eq(tmailbox(&t, "Inbox").counts.unseen, 2);
	/* no change: no new MODSEQ */
	cr_assert(store_flags_update(t.a, in, &set, &c, NULL, &t.ar, &res, &err));
	cr_assert_eq(res.modseq, 0);
	cr_assert(!res.changed[0]);
	cr_assert_eq(tmailbox(&t, "Inbox").highestmodseq, m1);
	/* UNCHANGEDSINCE: 1 and 2 changed at m1; with m1-1 they fail, 3 and 4 succeed */
	set = tuids(&r, 1, 4);
	const char *kwn[] = {"$label1"};
	struct store_keywords kw;
	cr_assert(store_keywords_make(kwn, 1, &t.ar, NULL, &kw, &err));
	struct store_flags_change c2 = {.op = STORE_FLAGS_ADD,
					.flags = STORE_FLAG_FLAGGED,
					.keywords = kw,
					.unchangedsince = m1 - 1};
	cr_assert(store_flags_update(t.a, in, &set, &c2, NULL, &t.ar, &res, &err), "%s", err.msg);
	tcheck(t.a);
	cr_assert_eq(res.nfailed, 2);
	cr_assert_eq(res.failed[0], 1);
	cr_assert_eq(res.failed[1], 2);
	cr_assert_eq(res.nmessages, 2);
	cr_assert_eq(res.messages[0].uid, 3);
	cr_assert_eq(res.messages[0].flags, STORE_FLAG_FLAGGED);
	cr_assert_eq(res.messages[0].keywords.n, 1);
	cr_assert_eq(res.messages[0].modseq, res.modseq);
	struct store_mailbox mb = tmailbox(&t, "Inbox");
	cr_assert_eq(mb.keywords.n, 1);
	cr_assert_str_eq(mb.keywords.v[0], "$label1");
	/* replace and remove */
	struct store_flags_change c3 = {.op = STORE_FLAGS_REPLACE, .flags = STORE_FLAG_DELETED};
	cr_assert(store_flags_update(t.a, in, &set, &c3, NULL, &t.ar, &res, &err));
	tcheck(t.a);
	mb = tmailbox(&t, "Inbox");
	cr_assert_eq(mb.counts.deleted, 4);
	cr_assert_eq(mb.counts.total, 0);
	cr_assert_eq(mb.counts.unseen, 4);
	cr_assert_eq(mb.counts.unread, 0);
	struct store_flags_change c4 = {.op = STORE_FLAGS_REMOVE, .flags = STORE_FLAG_DELETED};
	set = tuids(&r, 4, UINT32_MAX);
	cr_assert(store_flags_update(t.a, in, &set, &c4, NULL, &t.ar, &res, &err));
	tcheck(t.a);
	cr_assert_eq(res.nmessages, 1);
	cr_assert_eq(res.messages[0].flags, 0);
	cr_assert_eq(res.messages[0].keywords.n, 0);
	/* CHANGEDSINCE fetch */
	size_t n;
	struct store_message *m;
	cr_assert(store_messages_fetch(t.a, in, NULL, res.modseq - 1, 0, &t.ar, &m, &n, &err));
	cr_assert_eq(n, 1);
	cr_assert_eq(m[0].uid, 4);
	/* bad input */
	struct store_uid_range badr = {5, 2};
	struct store_uid_set bad = {&badr, 1};
	cr_assert(!store_flags_update(t.a, in, &bad, &c4, NULL, &t.ar, &res, &err));
	cr_assert_eq(err.kind, ERR_INVALID);
	cr_assert(!store_flags_update(t.a, 9999, NULL, &c4, NULL, &t.ar, &res, &err));
	cr_assert_eq(err.kind, ERR_NOTFOUND);
	tstore_close(&t);
}

Test(store_message, copy_and_move_with_uid_map)
{
	struct tstore t;
	tstore_open(&t);
	for (int i = 0; i < 5; i++)
		tdeliver(&t, "Inbox", i % 2 ? msg1 : msg2, i % 2 ? STORE_FLAG_SEEN : 0);
	int64_t in = tmailbox_id(&t, "Inbox"), ar = tmailbox_id(&t, "Archive");
	struct store_uid_range rr[2] = {{4, 5}, {1, 2}};
	struct store_uid_set set = {rr, 2};
	struct store_copy_result res;
	struct error err;
	cr_assert(store_copy(t.a, in, &set, ar, 0, NULL, &t.ar, &res, &err), "%s", err.msg);
	tcheck(t.a);
	cr_assert_eq(res.n, 4);
	cr_assert_eq(res.uidvalidity, tmailbox(&t, "Archive").uidvalidity);
	uint32_t want[4][2] = {{1, 1}, {2, 2}, {4, 3}, {5, 4}};
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(res.map[i].src, want[i][0]);
		cr_assert_eq(res.map[i].dst, want[i][1]);
	}
	struct store_account_info info;
	cr_assert(store_account_info(t.a, &info, &err));
	cr_assert_eq(info.messages, 9);
	size_t n;
	struct store_message *src = fetch_all(&t, in, &n);
	struct store_message *dst = fetch_all(&t, ar, &n);
	cr_assert_eq(dst[0].file_id, src[0].file_id);
	cr_assert_eq(dst[0].thread_id, src[0].thread_id);
	cr_assert_eq(dst[1].flags, STORE_FLAG_SEEN);
	/* move 2..3 to Trash */
	int64_t tr = tmailbox_id(&t, "Trash");
	struct store_uid_range r;
	set = tuids(&r, 2, 3);
	struct store_mailbox inbefore = tmailbox(&t, "Inbox");
	cr_assert(store_move(t.a, in, &set, tr, NULL, &t.ar, &res, &err), "%s", err.msg);
	tcheck(t.a);
	cr_assert_eq(res.n, 2);
	cr_assert_eq(res.map[0].src, 2);
	cr_assert_eq(res.map[0].dst, 1);
	struct store_mailbox inafter = tmailbox(&t, "Inbox");
	cr_assert_eq(inafter.counts.total, 3);
	cr_assert_eq(inafter.highestmodseq, res.modseq);
	uint32_t *gone;
	cr_assert(store_vanished(t.a, in, inbefore.highestmodseq, NULL, &t.ar, &gone, &n, &err));
	cr_assert_eq(n, 2);
	cr_assert_eq(gone[0], 2);
	cr_assert_eq(gone[1], 3);
	struct store_message *moved = fetch_all(&t, tr, &n);
	cr_assert_eq(n, 2);
	cr_assert_eq(moved[0].id, src[1].id); /* row id kept */
	/* copy to the same mailbox */
	cr_assert(store_copy(t.a, in, NULL, in, 0, NULL, &t.ar, &res, &err), "%s", err.msg);
	tcheck(t.a);
	cr_assert_eq(res.n, 3);
	cr_assert_eq(res.map[0].dst, 6);
	/* move to the same mailbox (RFC 6851 3.3): new UIDs, the old ones vanish */
	struct store_mailbox selfbefore = tmailbox(&t, "Inbox");
	set = tuids(&r, 6, 8);
	cr_assert(store_move(t.a, in, &set, in, NULL, &t.ar, &res, &err), "%s", err.msg);
	tcheck(t.a);
	cr_assert_eq(res.n, 3);
	cr_assert_eq(res.map[0].src, 6);
	cr_assert_eq(res.map[0].dst, 9);
	cr_assert_eq(res.map[2].dst, 11);
	struct store_mailbox selfafter = tmailbox(&t, "Inbox");
	cr_assert_eq(selfafter.counts.total, selfbefore.counts.total);
	cr_assert_eq(selfafter.counts.size, selfbefore.counts.size);
	cr_assert_eq(selfafter.uidnext, 12);
	cr_assert(store_vanished(t.a, in, selfbefore.highestmodseq, NULL, &t.ar, &gone, &n, &err));
	cr_assert_eq(n, 3);
	cr_assert_eq(gone[0], 6);
	cr_assert_eq(gone[2], 8);
	/* nothing matched: no change */
	set = tuids(&r, 100, 200);
	cr_assert(store_copy(t.a, in, &set, ar, 0, NULL, &t.ar, &res, &err));
	cr_assert_eq(res.n, 0);
	cr_assert_eq(res.modseq, 0);
	tstore_close(&t);
}

Test(store_message, expunge_and_vanished)
{
	struct tstore t;
	tstore_open(&t);
	for (int i = 0; i < 6; i++)
		tdeliver(&t, "Inbox", msg1, i % 2 ? STORE_FLAG_DELETED : 0);
	int64_t in = tmailbox_id(&t, "Inbox");
	struct store_mailbox before = tmailbox(&t, "Inbox");
	uint32_t *uids;
	size_t n;
	uint64_t modseq;
	struct error err;
	struct store_uid_range r;
	struct store_uid_set set = tuids(&r, 1, 4);
	/* UID EXPUNGE 1:4 removes 2 and 4 */
	cr_assert(store_expunge(t.a, in, &set, NULL, &t.ar, &uids, &n, &modseq, &err), "%s",
		  err.msg);
	tcheck(t.a);
	cr_assert_eq(n, 2);
	cr_assert_eq(uids[0], 2);
	cr_assert_eq(uids[1], 4);
	struct store_mailbox mid = tmailbox(&t, "Inbox");
	cr_assert_eq(mid.highestmodseq, modseq);
	cr_assert_eq(mid.counts.deleted, 1);
	cr_assert_eq(mid.counts.total, 3);
	cr_assert(store_expunge(t.a, in, NULL, NULL, &t.ar, &uids, &n, &modseq, &err));
	tcheck(t.a);
	cr_assert_eq(n, 1);
	cr_assert_eq(uids[0], 6);
	/* nothing left to expunge: no new MODSEQ */
	cr_assert(store_expunge(t.a, in, NULL, NULL, &t.ar, &uids, &n, &modseq, &err));
	cr_assert_eq(n, 0);
	cr_assert_eq(modseq, 0);
	cr_assert(store_vanished(t.a, in, before.highestmodseq, NULL, &t.ar, &uids, &n, &err));
	cr_assert_eq(n, 3);
	cr_assert(store_vanished(t.a, in, mid.highestmodseq, NULL, &t.ar, &uids, &n, &err));
	cr_assert_eq(n, 1);
	cr_assert_eq(uids[0], 6);
	set = tuids(&r, 3, 5);
	cr_assert(store_vanished(t.a, in, 0, &set, &t.ar, &uids, &n, &err));
	cr_assert_eq(n, 1);
	cr_assert_eq(uids[0], 4);
	/* UIDNEXT does not go back, the next UID is 7 */
	cr_assert_eq(tdeliver(&t, "Inbox", msg1, 0), 7);
	/* expunged files are gone */
	char cmd[512];
	snprintf(cmd, sizeof cmd, "test $(find %s/accounts/mjl/msg -type f | wc -l) -eq 4", t.dir);
	cr_assert_eq(system(cmd), 0);
	tstore_close(&t);
}

Test(store_message, copies_keep_file_until_last_expunged)
{
	struct tstore t;
	tstore_open(&t);
	tdeliver(&t, "Inbox", msg1, STORE_FLAG_DELETED);
	int64_t in = tmailbox_id(&t, "Inbox"), ar = tmailbox_id(&t, "Archive");
	struct store_copy_result res;
	struct error err;
	cr_assert(store_copy(t.a, in, NULL, ar, 0, NULL, &t.ar, &res, &err));
	uint32_t *uids;
	size_t n;
	cr_assert(store_expunge(t.a, in, NULL, NULL, &t.ar, &uids, &n, NULL, &err));
	tcheck(t.a); /* the check stats every indexed file: the copy's is still there */
	cr_assert(store_expunge(t.a, ar, NULL, NULL, &t.ar, &uids, &n, NULL, &err));
	tcheck(t.a);
	char cmd[512];
	snprintf(cmd, sizeof cmd, "test $(find %s/accounts/mjl/msg -type f | wc -l) -eq 0", t.dir);
	cr_assert_eq(system(cmd), 0);
	tstore_close(&t);
}

Test(store_message, quota)
{
	struct tstore t;
	tstore_open(&t);
	size_t len = strlen(msg1);
	struct store_target tg = {.mailbox_name = "Inbox"};
	struct store_delivery d = {
	    .data = msg1, .len = len, .targets = &tg, .ntargets = 1, .quota = (int64_t)(2 * len)};
	struct error err;
	cr_assert(store_deliver(t.a, &d, &err), "%s", err.msg);
	cr_assert(store_deliver(t.a, &d, &err), "%s", err.msg);
	tcheck(t.a);
	cr_assert(!store_deliver(t.a, &d, &err));
	cr_assert_eq(err.kind, ERR_LIMIT, "%s", err.msg);
	tcheck(t.a);
	int64_t in = tmailbox_id(&t, "Inbox"), ar = tmailbox_id(&t, "Archive");
	struct store_copy_result res;
	cr_assert(!store_copy(t.a, in, NULL, ar, (int64_t)(3 * len), NULL, &t.ar, &res, &err));
	cr_assert_eq(err.kind, ERR_LIMIT);
	cr_assert(store_copy(t.a, in, NULL, ar, (int64_t)(4 * len), NULL, &t.ar, &res, &err));
	cr_assert(store_move(t.a, ar, NULL, tmailbox_id(&t, "Trash"), NULL, &t.ar, &res, &err));
	tcheck(t.a);
	struct store_account_info info;
	cr_assert(store_account_info(t.a, &info, &err));
	cr_assert_eq(info.size, (int64_t)(4 * len));
	d.quota = 0; /* no limit */
	cr_assert(store_deliver(t.a, &d, &err));
	tstore_close(&t);
}

Test(store_message, search_from_index)
{
	struct tstore t;
	tstore_open(&t);
	tdeliver(&t, "Inbox", msg1, STORE_FLAG_SEEN);
	tdeliver(&t, "Inbox", msg2, STORE_FLAG_FLAGGED);
	tdeliver(&t, "Inbox", msg1, STORE_FLAG_SEEN | STORE_FLAG_FLAGGED);
	int64_t in = tmailbox_id(&t, "Inbox");
	const char *kwn[] = {"work"};
	struct store_keywords kw;
	struct error err;
	cr_assert(store_keywords_make(kwn, 1, &t.ar, NULL, &kw, &err));
	struct store_uid_range r;
	struct store_uid_set one = tuids(&r, 2, 2);
	struct store_flags_change c = {.op = STORE_FLAGS_ADD, .keywords = kw};
	struct store_flags_result fr;
	cr_assert(store_flags_update(t.a, in, &one, &c, NULL, &t.ar, &fr, &err));
	uint32_t *uids;
	size_t n;
	struct store_search q = {.flags_set = STORE_FLAG_SEEN | STORE_FLAG_FLAGGED};
	cr_assert(store_search(t.a, in, &q, &t.ar, &uids, &n, &err), "%s", err.msg);
	cr_assert_eq(n, 1);
	cr_assert_eq(uids[0], 3);
	struct store_search q2 = {.flags_clear = STORE_FLAG_SEEN};
	cr_assert(store_search(t.a, in, &q2, &t.ar, &uids, &n, &err));
	cr_assert_eq(n, 1);
	cr_assert_eq(uids[0], 2);
	const char *w[] = {"work"};
	struct store_search q3 = {.keywords_set = w, .nkeywords_set = 1};
	cr_assert(store_search(t.a, in, &q3, &t.ar, &uids, &n, &err));
	cr_assert_eq(n, 1);
	struct store_search q4 = {
	    .keywords_clear = w, .nkeywords_clear = 1, .larger = (int64_t)strlen(msg1) - 1};
	cr_assert(store_search(t.a, in, &q4, &t.ar, &uids, &n, &err));
	cr_assert_eq(n, 2);
	struct store_search q5 = {.modseq_min = fr.modseq};
	cr_assert(store_search(t.a, in, &q5, &t.ar, &uids, &n, &err));
	cr_assert_eq(n, 1);
	cr_assert_eq(uids[0], 2);
	struct store_search q6 = {.smaller = (int64_t)strlen(msg2), .uids = &one};
	cr_assert(store_search(t.a, in, &q6, &t.ar, &uids, &n, &err));
	cr_assert_eq(n, 0);
	struct store_search q7 = {.received_since = 1, .received_before = 2};
	cr_assert(store_search(t.a, in, &q7, &t.ar, &uids, &n, &err));
	cr_assert_eq(n, 0);
	tstore_close(&t);
}

Test(store_message, rejects_tidy)
{
	struct tstore t;
	tstore_open(&t);
	bool space;
	struct error err;
	cr_assert(store_rejects_tidy(t.a, "Rejects", 1700000000, &space, &err), "%s", err.msg);
	cr_assert(space);
	struct store_target tg = {.mailbox_name = "Rejects", .create = true, .is_reject = true};
	struct store_delivery d = {.data = msg1,
				   .len = strlen(msg1),
				   .targets = &tg,
				   .ntargets = 1,
				   .received = 1700000000 - 15 * 24 * 3600};
	cr_assert(store_deliver(t.a, &d, &err), "%s", err.msg);
	d.received = 1700000000 - 3600;
	cr_assert(store_deliver(t.a, &d, &err));
	tcheck(t.a);
	cr_assert(store_rejects_tidy(t.a, "Rejects", 1700000000, &space, &err), "%s", err.msg);
	tcheck(t.a);
	cr_assert(space);
	struct store_mailbox rj = tmailbox(&t, "Rejects");
	cr_assert_eq(rj.counts.total, 1);
	size_t n;
	struct store_message *m = fetch_all(&t, rj.id, &n);
	cr_assert(m[0].is_reject);
	/* moving out of Rejects makes it a normal message of its new mailbox */
	struct store_copy_result res;
	int64_t in = tmailbox_id(&t, "Inbox");
	cr_assert(store_move(t.a, rj.id, NULL, in, NULL, &t.ar, &res, &err));
	m = fetch_all(&t, in, &n);
	cr_assert(!m[0].is_reject);
	cr_assert_eq(m[0].mailbox_orig_id, in);
	tstore_close(&t);
}

Test(store_message, light_flags_listing)
{
	struct tstore t;
	tstore_open(&t);
	for (int i = 0; i < 5; i++)
		tdeliver(&t, "Inbox", msg1, i == 2 ? STORE_FLAG_SEEN : 0);
	int64_t in = tmailbox_id(&t, "Inbox");
	struct store_message_flags *f;
	size_t n;
	struct error err;
	cr_assert(store_messages_flags(t.a, in, NULL, 0, &t.ar, &f, &n, &err), "%s", err.msg);
	cr_assert_eq(n, 5);
	cr_assert_eq(f[2].uid, 3);
	cr_assert_eq(f[2].flags, STORE_FLAG_SEEN);
	cr_assert_lt(f[1].modseq, f[2].modseq);
	struct store_uid_range r[2] = {{4, UINT32_MAX}, {1, 1}};
	struct store_uid_set set = {r, 2};
	cr_assert(store_messages_flags(t.a, in, &set, 0, &t.ar, &f, &n, &err));
	cr_assert_eq(n, 3);
	cr_assert_eq(f[0].uid, 1);
	cr_assert_eq(f[1].uid, 4);
	cr_assert(store_messages_flags(t.a, in, NULL, f[2].modseq - 1, &t.ar, &f, &n, &err));
	cr_assert_eq(n, 1);
	cr_assert(!store_messages_flags(t.a, 12345, NULL, 0, &t.ar, &f, &n, &err));
	cr_assert_eq(err.kind, ERR_NOTFOUND);
	tstore_close(&t);
}
