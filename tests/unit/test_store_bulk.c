/*
 * Bulk delivery (store_deliver_many) and the importer on top of it: order
 * of UIDs, one failing delivery among others, progress, errors with the
 * message's origin, the mailbox created when missing.
 */
#include "store/importer.h"
#include "test_store_helpers.h"

#include <stdio.h>
#include <unistd.h>

Test(bulk, deliver_many_in_order)
{
	struct tstore t;
	tstore_open(&t);
	int64_t inbox = tmailbox_id(&t, "Inbox");
	struct store_target tg[5];
	struct store_delivery d[5];
	char text[5][64];
	const char *badkw[] = {"not an atom"};
	for (int i = 0; i < 5; i++) {
		snprintf(text[i], sizeof text[i], "Subject: %d\r\n\r\nbody\r\n", i);
		tg[i] = (struct store_target){.mailbox_id = inbox, .flags = STORE_FLAG_SEEN};
		d[i] = (struct store_delivery){.data = text[i],
					       .len = strlen(text[i]),
					       .received = 1000 + i,
					       .targets = &tg[i],
					       .ntargets = 1};
	}
	tg[2].keywords = (struct store_keywords){badkw, 1};
	bool done[5];
	struct error err;
	cr_assert_not(store_deliver_many(t.a, d, 5, done, &err));
	cr_assert(done[0] && done[1] && !done[2] && done[3] && done[4]);
	cr_assert_eq(err.kind, ERR_INVALID);
	cr_assert_eq(tg[0].uid, 1);
	cr_assert_eq(tg[1].uid, 2);
	cr_assert_eq(tg[3].uid, 3);
	cr_assert_eq(tg[4].uid, 4);
	tcheck(t.a);
	struct store_delivery many[STORE_COMMIT_BATCH_MAX + 1];
	bool dm[STORE_COMMIT_BATCH_MAX + 1];
	cr_assert_not(store_deliver_many(t.a, many, STORE_COMMIT_BATCH_MAX + 1, dm, &err));
	cr_assert_eq(err.kind, ERR_INVALID);
	/* An empty batch delivers nothing and succeeds. */
	cr_assert(store_deliver_many(t.a, many, 0, dm, &err), "%s", err.msg);
	cr_assert_eq(tmailbox(&t, "Inbox").counts.total, 4);
	tstore_close(&t);
}

/*
 * A full batch goes through the parallel file writers: UIDs still follow the
 * array, and each UID's file holds the text given at that position.
 */
Test(bulk, deliver_many_full_batch_parallel)
{
	struct tstore t;
	tstore_open(&t);
	int64_t inbox = tmailbox_id(&t, "Inbox");
	enum { N = STORE_COMMIT_BATCH_MAX };
	static struct store_target tg[N];
	static struct store_delivery d[N];
	static char text[N][64];
	static bool done[N];
	for (int i = 0; i < N; i++) {
		snprintf(text[i], sizeof text[i], "Subject: batch %d\r\n\r\nbody %d\r\n", i, i);
		tg[i] = (struct store_target){.mailbox_id = inbox};
		d[i] = (struct store_delivery){
		    .data = text[i], .len = strlen(text[i]), .targets = &tg[i], .ntargets = 1};
	}
	struct error err;
	cr_assert(store_deliver_many(t.a, d, N, done, &err), "%s", err.msg);
	for (int i = 0; i < N; i++) {
		cr_assert(done[i]);
		cr_assert_eq(tg[i].uid, (uint32_t)i + 1);
		int fd = store_message_open(t.a, d[i].file_id, &err);
		cr_assert(fd >= 0, "%s", err.msg);
		char back[64] = {0};
		ssize_t got = read(fd, back, sizeof back - 1);
		close(fd);
		cr_assert_eq(got, (ssize_t)strlen(text[i]));
		cr_assert_str_eq(back, text[i]);
	}
	struct store_message *msgs;
	size_t n;
	cr_assert(store_messages_fetch(t.a, inbox, NULL, 0, 0, &t.ar, &msgs, &n, &err));
	cr_assert_eq(n, N);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(msgs[i].file_id, d[i].file_id);
	tcheck(t.a);
	tstore_close(&t);
}

static void count_progress(void *arg, size_t n)
{
	*(size_t *)arg = n;
}

static void add(struct store_importer *im, int i, const char *kw, bool want_ok)
{
	struct store_import_msg m;
	memset(&m, 0, sizeof m);
	buf_printf(&m.data, "Subject: %d\r\n\r\nbody\r\n", i);
	m.received = 5000 + i;
	m.flags = i % 2 ? STORE_FLAG_SEEN : 0;
	if (kw)
		store_import_add_keyword(&m, kw);
	snprintf(m.origin, sizeof m.origin, "test:%d", i);
	struct error err;
	bool ok = store_importer_add(im, &m, &err);
	cr_assert_eq(ok, want_ok, "%d: %s", i, ok ? "" : err.msg);
	buf_free(&m.data);
}

Test(bulk, importer)
{
	struct tstore t;
	tstore_open(&t);
	size_t progress = 0;
	struct store_importer_options o = {
	    .mailbox = "Old/2001", .progress = count_progress, .progress_arg = &progress};
	struct store_importer *im;
	struct error err;
	cr_assert(store_importer_start(t.a, &o, &im, &err), "%s", err.msg);
	for (int i = 0; i < 2500; i++)
		add(im, i, i == 7 ? "label" : NULL, true);
	size_t n;
	cr_assert(store_importer_finish(im, &n, &err), "%s", err.msg);
	cr_assert_eq(n, 2500);
	cr_assert_eq(progress, 2000);
	struct store_mailbox mb = tmailbox(&t, "Old/2001");
	cr_assert_eq(mb.counts.total, 2500);
	cr_assert_eq(mb.counts.unseen, 1250);
	struct store_message *msgs;
	cr_assert(store_messages_fetch(t.a, mb.id, NULL, 0, 0, &t.ar, &msgs, &n, &err));
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(msgs[i].uid, i + 1);
		cr_assert_eq(msgs[i].received, 5000 + (int64_t)i);
	}
	cr_assert_str_eq(msgs[7].keywords.v[0], "label");
	tcheck(t.a);

	/* Over quota: the error names the message, and later adds fail too. */
	o = (struct store_importer_options){.mailbox = "Inbox", .quota = 1};
	cr_assert(store_importer_start(t.a, &o, &im, &err), "%s", err.msg);
	add(im, 1, NULL, true);
	cr_assert_not(store_importer_finish(im, &n, &err));
	cr_assert_eq(n, 0);
	cr_assert(strncmp(err.msg, "test:1: account over quota", 26) == 0, "%s", err.msg);

	o = (struct store_importer_options){.mailbox = "bad//name"};
	cr_assert_not(store_importer_start(t.a, &o, &im, &err));
	tstore_close(&t);
}

Test(bulk, import_meta_line)
{
	struct store_import_msg m, back;
	memset(&m, 0, sizeof m);
	memset(&back, 0, sizeof back);
	m.flags = STORE_FLAG_SEEN | STORE_FLAG_JUNK;
	m.received = 1600000000;
	m.received_tz = -300;
	store_import_add_keyword(&m, "one");
	store_import_add_keyword(&m, "two");
	snprintf(m.origin, sizeof m.origin, "/path with spaces/in.mbox:12");
	struct buf line = BUF_INIT;
	store_import_meta_format(&m, &line);
	struct arena ar;
	arena_init(&ar, 1024);
	struct error err;
	cr_assert(store_import_meta_parse(line.data, &ar, &back, &err), "%s", err.msg);
	cr_assert_eq(back.flags, m.flags);
	cr_assert_eq(back.received, m.received);
	cr_assert_eq(back.received_tz, -300);
	cr_assert_eq(back.nkeywords, 2);
	cr_assert_str_eq(back.keywords[1], "two");
	cr_assert_str_eq(back.origin, m.origin);
	cr_assert_not(store_import_meta_parse("1 2", &ar, &back, &err));
	cr_assert_not(store_import_meta_parse("1 2 3 1 bad(kw x", &ar, &back, &err));
	buf_free(&line);
	arena_free(&ar);
}
