/*
 * The message store benchmark (make bench): imports N messages (default
 * 100,000) from a generated mbox file into one mailbox through the same
 * path as `tern import mbox` without a server (mbox reader, importer,
 * store_deliver_many with its group commit, fsync of every file), then
 * reports:
 *   - messages per second of the import;
 *   - index bytes per message (index.db after a checkpoint, divided by N);
 *   - the time to open the account and the mailbox and list all UIDs and
 *     flags (what IMAP SELECT and FETCH 1:* FLAGS need);
 *   - the time to find all messages from one sender (1 in 1000 senders,
 *     so N/1000 messages), from the index.
 *
 *   bench_import [N [DIR]]   (DIR: where the data goes; default a new /tmp dir, removed after)
 */
#include "base/arena.h"
#include "base/buf.h"
#include "base/file.h"
#include "base/timeutil.h"
#include "store/importer.h"
#include "store/mbox.h"
#include "store/store.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SENDERS 1000

static void die(const char *what, const struct error *err)
{
	fprintf(stderr, "bench: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

/* Message i: a sender out of SENDERS, replies to earlier messages, 1-3 KB of text. */
static void make_message(struct buf *b, size_t i)
{
	buf_printf(b, "From: Sender %zu <sender%zu@example.org>\r\n", i % SENDERS, i % SENDERS);
	buf_printf(b, "To: mjl@test.example\r\nSubject: %sTopic %zu\r\n", i % 3 ? "Re: " : "",
		   i / 3);
	buf_printf(b, "Message-ID: <bench%zu@example.org>\r\n", i);
	if (i % 3)
		buf_printf(b, "In-Reply-To: <bench%zu@example.org>\r\n", i - 1);
	buf_printf(b, "Date: Sun, 13 Sep 2020 12:26:40 +0000\r\nMIME-Version: 1.0\r\n"
		      "Content-Type: text/plain; charset=utf-8\r\n\r\n");
	size_t lines = 15 + i % 30;
	for (size_t l = 0; l < lines; l++)
		buf_printf(
		    b, "Line %zu of message %zu, with some words to make it look like mail.\r\n", l,
		    i);
}

static char *write_mbox(const char *dir, size_t n)
{
	char *path = path_join(dir, "bench.mbox");
	FILE *f = fopen(path, "w");
	if (!f)
		die("create mbox", NULL);
	struct buf msg = BUF_INIT, out = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		buf_reset(&msg);
		buf_reset(&out);
		make_message(&msg, i);
		mbox_write_message(&out, "bench@example.org", 1600000000 + (int64_t)i,
				   i % 2 ? STORE_FLAG_SEEN : 0, NULL, msg.data, msg.len);
		fwrite(out.data, 1, out.len, f);
	}
	fclose(f);
	buf_free(&msg);
	buf_free(&out);
	return path;
}

static struct store_account *open_account(const char *dir)
{
	struct store_account_options o = {.data_dir = dir, .name = "mjl"};
	struct store_account *a;
	struct error err;
	if (!store_account_open(&o, &a, &err))
		die("open account", &err);
	return a;
}

static double import(const char *dir, const char *mbox, size_t n)
{
	int fd = open(mbox, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		die("open mbox", NULL);
	char *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	struct store_account *a = open_account(dir);
	int64_t start = mono_ms();
	struct mbox_reader r;
	mbox_reader_init(&r, mbox, map, (size_t)st.st_size, STORE_IMPORT_MESSAGE_MAX);
	struct store_importer_options o = {.mailbox = "Bench"};
	struct store_importer *im;
	struct error err;
	if (!store_importer_start(a, &o, &im, &err))
		die("importer", &err);
	struct store_import_msg m;
	memset(&m, 0, sizeof m);
	struct arena ar;
	arena_init(&ar, 4096);
	struct arena_mark mark = arena_mark(&ar);
	int rc;
	while ((rc = mbox_read(&r, &m, &ar, &err)) == 1) {
		if (!store_importer_add(im, &m, &err))
			die("import", &err);
		arena_rewind(&ar, mark);
	}
	size_t count;
	if (rc < 0 || !store_importer_finish(im, &count, &err) || count != n)
		die("import", &err);
	double secs = (double)(mono_ms() - start) / 1000.0;
	buf_free(&m.data);
	arena_free(&ar);
	munmap(map, (size_t)st.st_size);
	store_account_close(a);
	return secs;
}

static void select_and_search(const char *dir, size_t n)
{
	struct arena ar;
	arena_init(&ar, 1 << 20);
	struct error err;
	int64_t t0 = mono_ms();
	struct store_account *a = open_account(dir);
	struct store_mailbox mb;
	struct store_message_flags *flags;
	size_t nflags;
	if (!store_mailbox_get(a, "Bench", &ar, &mb, &err) ||
	    !store_messages_flags(a, mb.id, NULL, 0, &ar, &flags, &nflags, &err) || nflags != n)
		die("list flags", &err);
	int64_t t1 = mono_ms();
	struct store_search q = {.from = "sender7@example.org"};
	uint32_t *uids;
	size_t nuids;
	if (!store_search(a, mb.id, &q, &ar, &uids, &nuids, &err))
		die("search", &err);
	int64_t t2 = mono_ms();
	printf("open account + mailbox, list %zu UIDs and flags: %lld ms\n", nflags,
	       (long long)(t1 - t0));
	printf("find all messages from one sender (%zu found): %lld ms\n", nuids,
	       (long long)(t2 - t1));
	store_account_close(a);
	arena_free(&ar);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 100000;
	char tmpl[] = "/tmp/tern-bench-XXXXXX";
	const char *dir = argc > 2 ? argv[2] : mkdtemp(tmpl);
	if (!dir || n == 0)
		die("usage: bench_import [N [DIR]]", NULL);
	char *mbox = write_mbox(dir, n);
	struct stat st;
	if (stat(mbox, &st) < 0)
		die("stat mbox", NULL);
	printf("messages: %zu, mbox: %.1f MB\n", n, (double)st.st_size / 1e6);
	double secs = import(dir, mbox, n);
	printf("import: %.1f s, %.0f messages/s\n", secs, (double)n / secs);
	char *db = path_join(dir, "accounts/mjl/index.db");
	struct stat dst;
	/* The account was closed: the WAL is checkpointed into index.db. */
	if (stat(db, &dst) < 0)
		die("stat index.db", NULL);
	printf("index: %.1f MB, %.0f bytes per message\n", (double)dst.st_size / 1e6,
	       (double)dst.st_size / (double)n);
	select_and_search(dir, n);
	if (argc <= 2) {
		char cmd[256];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench: could not remove %s\n", dir);
	}
	free(mbox);
	free(db);
	return 0;
}
