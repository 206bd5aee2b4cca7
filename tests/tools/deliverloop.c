/*
 * deliverloop: delivers messages into an account in a loop, for the crash
 * test (tests/integration/test_store_crash.py), which SIGKILLs it at random
 * moments and then checks that nothing acknowledged was lost.
 *
 *   deliverloop run DATADIR ACCOUNT THREADS SEED
 *       THREADS threads deliver messages of random sizes (mostly small, some
 *       of up to two megabytes, streamed in chunks into a store_tmpfile or
 *       handed over from memory, to one or two mailboxes) until killed; one
 *       more thread changes flags all the time. For each acknowledged
 *       delivery one line goes to stdout, written with a single write(2):
 *         ack ROWID MAILBOXID UID FILEID SIZE SHA256HEX
 *       (one line per target mailbox). "ready" is printed once the account
 *       is open.
 *   deliverloop verify DATADIR ACCOUNT < acks
 *       opens the account (which removes what a crash left behind), checks
 *       that every acknowledged message is present with the same mailbox,
 *       UID, size and SHA-256, runs the consistency check, and prints
 *       "verified N" (exit 0) or the problems (exit 1).
 */
#include "base/arena.h"
#include "base/buf.h"
#include "base/error.h"
#include "store/store.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SMALL_MAX    20000
#define LARGE_MIN    (256 * 1024)
#define LARGE_MAX    (2 * 1024 * 1024)
#define CHUNK        65536
#define THREADS_MAX  32
#define ACK_LINE_MAX 512

static struct store_account *account;
static uint64_t seed;

static uint64_t next_rand(uint64_t *s)
{
	/* xorshift64*: deterministic per thread, good enough for sizes and bytes */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

static void sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;
	EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* A message: a header naming thread and count, then lines of random letters. */
static char *make_message(uint64_t *rs, int thread, uint64_t count, size_t *len)
{
	size_t size = next_rand(rs) % 20 == 0 ? LARGE_MIN + next_rand(rs) % (LARGE_MAX - LARGE_MIN)
					      : 200 + next_rand(rs) % SMALL_MAX;
	char *m = malloc(size);
	int h = snprintf(m, size,
			 "From: loop@example.org\r\nSubject: t%d n%" PRIu64 "\r\n"
			 "Message-ID: <%d.%" PRIu64 ".%" PRIu64 "@deliverloop>\r\n\r\n",
			 thread, count, thread, count, seed);
	for (size_t i = (size_t)h; i < size; i++)
		m[i] = (i - (size_t)h) % 78 == 76   ? '\r'
		       : (i - (size_t)h) % 78 == 77 ? '\n'
						    : (char)('a' + next_rand(rs) % 26);
	*len = size;
	return m;
}

static bool stream_to_tmpfile(struct store_tmpfile *tf, const char *m, size_t len,
			      struct error *err)
{
	if (!store_tmpfile_create(account, tf, err))
		return false;
	for (size_t off = 0; off < len; off += CHUNK) {
		size_t n = len - off < CHUNK ? len - off : CHUNK;
		if (write(tf->fd, m + off, n) != (ssize_t)n) {
			store_tmpfile_discard(tf);
			return error_set(err, ERR_IO, "write tmpfile");
		}
	}
	return true;
}

static void print_ack(const struct store_target *t, const struct store_delivery *d,
		      const char *hash)
{
	char line[ACK_LINE_MAX];
	int n = snprintf(line, sizeof line,
			 "ack %" PRId64 " %" PRId64 " %" PRIu32 " %" PRId64 " %" PRId64 " %s\n",
			 t->message_id, t->mailbox_id_out, t->uid, d->file_id, d->size, hash);
	if (write(1, line, (size_t)n) != n)
		_exit(3);
}

static void *deliver_loop(void *arg)
{
	int thread = (int)(intptr_t)arg;
	uint64_t rs = seed * 1000003 + (uint64_t)thread + 1;
	for (uint64_t count = 0;; count++) {
		size_t len;
		char *m = make_message(&rs, thread, count, &len);
		char hash[65];
		sha256_hex(m, len, hash);
		struct store_target tg[2] = {{.mailbox_name = "Inbox"},
					     {.mailbox_name = "Archive", .flags = STORE_FLAG_SEEN}};
		struct store_delivery d = {.targets = tg, .ntargets = next_rand(&rs) % 4 ? 1 : 2};
		struct store_tmpfile tf = {.fd = -1};
		struct error err;
		bool ok = true;
		if (next_rand(&rs) % 2) {
			ok = stream_to_tmpfile(&tf, m, len, &err);
			d.file = &tf;
		} else {
			d.data = m;
			d.len = len;
		}
		ok = ok && store_deliver(account, &d, &err);
		if (d.file)
			store_tmpfile_discard(&tf);
		free(m);
		if (!ok) {
			fprintf(stderr, "deliverloop: deliver: %s\n", err.msg);
			_exit(2);
		}
		for (size_t i = 0; i < d.ntargets; i++)
			print_ack(&tg[i], &d, hash);
	}
	return NULL;
}

static void *flag_loop(void *arg)
{
	(void)arg;
	uint64_t rs = seed + 77;
	struct arena ar;
	arena_init(&ar, 8192);
	for (;;) {
		struct store_mailbox mb;
		struct error err;
		struct arena_mark mark = arena_mark(&ar);
		if (!store_mailbox_get(account, next_rand(&rs) % 2 ? "Inbox" : "Archive", &ar, &mb,
				       &err)) {
			fprintf(stderr, "deliverloop: mailbox: %s\n", err.msg);
			_exit(2);
		}
		uint32_t first = mb.uidnext > 1 ? 1 + (uint32_t)(next_rand(&rs) % mb.uidnext) : 1;
		struct store_uid_range r = {first, first + 20};
		struct store_uid_set set = {&r, 1};
		struct store_flags_change c = {.op = next_rand(&rs) % 2 ? STORE_FLAGS_ADD
									: STORE_FLAGS_REMOVE,
					       .flags = STORE_FLAG_FLAGGED | STORE_FLAG_ANSWERED};
		struct store_flags_result res;
		if (!store_flags_update(account, mb.id, &set, &c, NULL, &ar, &res, &err)) {
			fprintf(stderr, "deliverloop: flags: %s\n", err.msg);
			_exit(2);
		}
		arena_rewind(&ar, mark);
		usleep(1000);
	}
	return NULL;
}

static bool open_account(const char *dir, const char *name)
{
	struct store_account_options o = {.data_dir = dir, .name = name};
	struct error err;
	if (!store_account_open(&o, &account, &err)) {
		fprintf(stderr, "deliverloop: %s\n", err.msg);
		return false;
	}
	return true;
}

static int run(int threads)
{
	if (threads < 1 || threads > THREADS_MAX)
		return 2;
	char ready[] = "ready\n";
	if (write(1, ready, sizeof ready - 1) < 0)
		return 3;
	pthread_t th[THREADS_MAX + 1];
	for (int i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, deliver_loop, (void *)(intptr_t)i);
	pthread_create(&th[threads], NULL, flag_loop, NULL);
	pthread_join(th[0], NULL); /* never returns: the test kills us */
	return 0;
}

static bool read_file(int64_t file_id, struct buf *out, struct error *err)
{
	int fd = store_message_open(account, file_id, err);
	if (fd < 0)
		return false;
	char chunk[CHUNK];
	ssize_t r;
	while ((r = read(fd, chunk, sizeof chunk)) > 0)
		buf_append(out, chunk, (size_t)r);
	close(fd);
	return r == 0 || error_set(err, ERR_IO, "read message file");
}

/* Checks one ack line; returns false (and prints why) when the message is not as acknowledged. */
static bool verify_ack(const char *line, struct arena *ar)
{
	int64_t id, mailbox, file, size;
	uint32_t uid;
	char hash[65];
	if (sscanf(line, "ack %" SCNd64 " %" SCNd64 " %" SCNu32 " %" SCNd64 " %" SCNd64 " %64s",
		   &id, &mailbox, &uid, &file, &size, hash) != 6) {
		printf("bad ack line: %s", line);
		return false;
	}
	struct store_message m;
	struct error err;
	if (!store_message_get(account, id, 0, ar, &m, &err)) {
		printf("acknowledged message %" PRId64 " missing: %s\n", id, err.msg);
		return false;
	}
	if (m.mailbox_id != mailbox || m.uid != uid || m.file_id != file || m.size != size) {
		printf("acknowledged message %" PRId64 " changed (mailbox %" PRId64 " uid %" PRIu32
		       " file %" PRId64 " size %" PRId64 ")\n",
		       id, m.mailbox_id, m.uid, m.file_id, m.size);
		return false;
	}
	struct buf b = BUF_INIT;
	bool ok = read_file(file, &b, &err);
	char got[65] = "";
	if (ok)
		sha256_hex(b.data ? b.data : "", b.len, got);
	buf_free(&b);
	if (!ok || strcmp(got, hash) != 0) {
		printf("acknowledged message %" PRId64 ": file differs (%s)\n", id,
		       ok ? got : err.msg);
		return false;
	}
	return true;
}

static int verify(void)
{
	char line[ACK_LINE_MAX];
	size_t n = 0, bad = 0;
	struct arena ar;
	arena_init(&ar, 8192);
	while (fgets(line, sizeof line, stdin)) {
		if (strncmp(line, "ack ", 4) != 0)
			continue;
		struct arena_mark mark = arena_mark(&ar);
		if (!verify_ack(line, &ar))
			bad++;
		arena_rewind(&ar, mark);
		n++;
	}
	arena_free(&ar);
	struct buf problems = BUF_INIT;
	bool ok = false;
	struct error err;
	if (!store_account_check(account, false, &problems, &ok, &err))
		printf("check failed: %s\n", err.msg);
	else if (!ok)
		printf("consistency check:\n%s", buf_cstr(&problems));
	buf_free(&problems);
	store_account_close(account);
	if (bad > 0 || !ok)
		return 1;
	printf("verified %zu\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "verify") == 0) {
		if (!open_account(argv[2], argv[3]))
			return 1;
		return verify();
	}
	if (argc == 6 && strcmp(argv[1], "run") == 0) {
		seed = strtoull(argv[5], NULL, 10);
		if (!open_account(argv[2], argv[3]))
			return 1;
		return run(atoi(argv[4]));
	}
	fprintf(stderr, "usage: deliverloop run DATADIR ACCOUNT THREADS SEED\n"
			"       deliverloop verify DATADIR ACCOUNT < acks\n");
	return 2;
}
