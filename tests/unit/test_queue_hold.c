/*
 * queue/hold: FUTURERELEASE messages kept durably and released at their time,
 * with retries, delivery status notifications and crash leftovers, driven
 * with chosen clocks through queue_hold_release_due (no release thread).
 */
#include "base/buf.h"
#include "base/file.h"
#include "base/mem.h"
#include "base/str.h"
#include "queue/hold.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- a delivery seam that records deliveries and fails as told ---- */

struct delivered {
	char account[64];
	char mailbox[64];
	struct buf msg;
};

struct fake {
	struct delivered v[32];
	size_t n;
	const char *fail_temp; /* account that fails temporarily */
	const char *fail_quota;
};

static bool fake_deliver(void *arg, const struct smtp_delivery *d, struct error *err)
{
	struct fake *f = arg;
	if (f->fail_temp && strcmp(d->account, f->fail_temp) == 0)
		return error_set(err, ERR_IO, "disk trouble");
	if (f->fail_quota && strcmp(d->account, f->fail_quota) == 0)
		return error_set(err, ERR_LIMIT, "account over quota");
	cr_assert_lt(f->n, 32);
	struct delivered *x = &f->v[f->n++];
	str_copy(x->account, sizeof x->account, d->account);
	str_copy(x->mailbox, sizeof x->mailbox, d->mailbox);
	buf_init(&x->msg);
	buf_append(&x->msg, d->prefix, d->prefix_len);
	char tmp[4096];
	for (uint64_t off = 0; off < d->size;) {
		ssize_t r = pread(d->fd, tmp, sizeof tmp, (off_t)off);
		cr_assert_gt(r, 0);
		buf_append(&x->msg, tmp, (size_t)r);
		off += (uint64_t)r;
	}
	return true;
}

struct env {
	char *dir;
	struct fake fake;
	struct smtp_delivery_ops ops;
	struct queue_hold *h;
};

static void env_open(struct env *e)
{
	struct queue_hold_config c = {e->dir, "mail.test.example", &e->ops};
	e->h = queue_hold_new(&c);
	struct error err;
	cr_assert(queue_hold_open(e->h, &err), "%s", err.msg);
}

static void env_init(struct env *e)
{
	memset(e, 0, sizeof *e);
	char tmpl[] = "/tmp/tern-hold-XXXXXX";
	cr_assert(mkdtemp(tmpl));
	e->dir = xstrdup(tmpl);
	e->ops = (struct smtp_delivery_ops){fake_deliver, &e->fake};
	env_open(e);
}

static void env_free(struct env *e)
{
	queue_hold_free(e->h);
	for (size_t i = 0; i < e->fake.n; i++)
		buf_free(&e->fake.v[i].msg);
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
	cr_assert_eq(system(cmd), 0);
	free(e->dir);
}

static const char message[] = "From: mjl@test.example\r\nSubject: later\r\n\r\nhello\r\n";

/* Holds message for the recipients' accounts (address = account@test.example). */
static void hold(struct env *e, int64_t release, const char *mailfrom, const char *const *accounts,
		 size_t n)
{
	char path[512];
	snprintf(path, sizeof path, "%s/spool", e->dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	struct error err;
	cr_assert(fd_write_all(fd, message, strlen(message), &err));
	struct smtp_held_rcpt r[8];
	char addr[8][64], prefix[8][128];
	for (size_t i = 0; i < n; i++) {
		snprintf(addr[i], sizeof addr[i], "%s@test.example", accounts[i]);
		snprintf(prefix[i], sizeof prefix[i], "Delivered-To: %s\r\n", addr[i]);
		r[i] = (struct smtp_held_rcpt){accounts[i], 0,         "Inbox",
					       addr[i],     prefix[i], strlen(prefix[i])};
	}
	struct logger lg = {log_pkg("queue"), 0};
	struct smtp_held held = {release, "for;60", "mjl",           mailfrom, r,
				 n,       fd,       strlen(message), &lg};
	const struct smtp_hold_ops *ops = queue_hold_ops(e->h);
	cr_assert(ops->hold(ops->arg, &held, &err), "%s", err.msg);
	close(fd);
	unlink(path);
}

static size_t msg_files(struct env *e)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "ls '%s/queue/msg' | wc -l", e->dir);
	FILE *p = popen(cmd, "r");
	cr_assert(p);
	size_t n = 0;
	cr_assert_eq(fscanf(p, "%zu", &n), 1);
	pclose(p);
	return n;
}

static bool has(const struct delivered *d, const char *text)
{
	return memmem(d->msg.data, d->msg.len, text, strlen(text)) != NULL;
}

Test(queue_hold, nothing_before_the_release_time_then_each_recipient_once)
{
	struct env e;
	env_init(&e);
	const char *rcpts[] = {"other", "third"};
	hold(&e, 1000, "mjl@test.example", rcpts, 2);
	int64_t next;
	cr_assert(queue_hold_next(e.h, &next));
	cr_assert_eq(next, 1000);
	cr_assert_eq(msg_files(&e), 1);
	cr_assert_eq(queue_hold_release_due(e.h, 999), 0);
	cr_assert_eq(e.fake.n, 0);
	cr_assert_eq(queue_hold_release_due(e.h, 1000), 1);
	cr_assert_eq(e.fake.n, 2);
	cr_assert_str_eq(e.fake.v[0].account, "other");
	cr_assert_str_eq(e.fake.v[1].account, "third");
	cr_assert(has(&e.fake.v[0], "Delivered-To: other@test.example\r\nFrom: mjl@test.example"));
	cr_assert(has(&e.fake.v[1], "Subject: later\r\n\r\nhello\r\n"));
	cr_assert_not(queue_hold_next(e.h, &next));
	cr_assert_eq(msg_files(&e), 0);
	cr_assert_eq(queue_hold_release_due(e.h, 5000), 0);
	cr_assert_eq(e.fake.n, 2);
	env_free(&e);
}

Test(queue_hold, held_messages_survive_a_restart_and_orphans_are_removed)
{
	struct env e;
	env_init(&e);
	const char *rcpts[] = {"other"};
	hold(&e, 2000, "mjl@test.example", rcpts, 1);
	queue_hold_free(e.h);
	/* A file whose index commit never happened (a crash in between). */
	char path[512];
	snprintf(path, sizeof path, "%s/queue/msg/424242", e.dir);
	struct error err;
	cr_assert(file_write_atomic(path, "x", 1, 0600, &err));
	env_open(&e);
	cr_assert_eq(msg_files(&e), 1);
	cr_assert_eq(queue_hold_release_due(e.h, 2000), 1);
	cr_assert_eq(e.fake.n, 1);
	cr_assert(has(&e.fake.v[0], "hello"));
	env_free(&e);
}

Test(queue_hold, temporary_failures_are_retried_with_backoff_without_duplicates)
{
	struct env e;
	env_init(&e);
	const char *rcpts[] = {"other", "flaky"};
	hold(&e, 100, "mjl@test.example", rcpts, 2);
	e.fake.fail_temp = "flaky";
	cr_assert_eq(queue_hold_release_due(e.h, 100), 1);
	cr_assert_eq(e.fake.n, 1); /* other delivered */
	int64_t next;
	cr_assert(queue_hold_next(e.h, &next));
	cr_assert_eq(next, 100 + QUEUE_HOLD_BACKOFF_FIRST);
	cr_assert_eq(queue_hold_release_due(e.h, next), 1);
	cr_assert(queue_hold_next(e.h, &next));
	cr_assert_eq(next, 100 + QUEUE_HOLD_BACKOFF_FIRST + 2 * QUEUE_HOLD_BACKOFF_FIRST);
	e.fake.fail_temp = NULL;
	cr_assert_eq(queue_hold_release_due(e.h, next), 1);
	cr_assert_eq(e.fake.n, 2);
	cr_assert_str_eq(e.fake.v[1].account, "flaky");
	cr_assert_not(queue_hold_next(e.h, &next));
	env_free(&e);
}

Test(queue_hold, last_failed_attempt_is_reported_to_the_sender)
{
	struct env e;
	env_init(&e);
	const char *rcpts[] = {"flaky"};
	hold(&e, 100, "mjl+sent@test.example", rcpts, 1);
	e.fake.fail_temp = "flaky";
	int64_t next = 100;
	for (int i = 0; i < QUEUE_HOLD_ATTEMPTS_MAX; i++) {
		cr_assert_eq(e.fake.n, 0, "report before the last attempt");
		cr_assert_eq(queue_hold_release_due(e.h, next), 1);
		if (i + 1 < QUEUE_HOLD_ATTEMPTS_MAX)
			cr_assert(queue_hold_next(e.h, &next));
	}
	cr_assert_not(queue_hold_next(e.h, &next));
	cr_assert_eq(msg_files(&e), 0);
	cr_assert_eq(e.fake.n, 1);
	struct delivered *d = &e.fake.v[0];
	cr_assert_str_eq(d->account, "mjl");
	cr_assert_str_eq(d->mailbox, "Inbox");
	cr_assert(has(d, "Return-Path: <>\r\nDelivered-To: mjl+sent@test.example\r\n"));
	cr_assert(has(d, "To: <mjl+sent@test.example>\r\n"));
	cr_assert(has(d, "Content-Type: multipart/report; report-type=delivery-status;"));
	cr_assert(has(d, "Reporting-MTA: dns; mail.test.example\r\n"));
	cr_assert(has(d, "Final-Recipient: rfc822; flaky@test.example\r\nAction: failed\r\n"
			 "Status: 5.4.7\r\nDiagnostic-Code: X-tern; disk trouble\r\n"));
	cr_assert(has(d, "Content-Type: text/rfc822-headers\r\n\r\nFrom: mjl@test.example\r\n"
			 "Subject: later\r\n\r\n--"));
	cr_assert_not(has(d, "hello"), "the body is not returned");
	env_free(&e);
}

Test(queue_hold, quota_is_permanent_and_reported_at_once)
{
	struct env e;
	env_init(&e);
	const char *rcpts[] = {"full", "other"};
	hold(&e, 100, "mjl@test.example", rcpts, 2);
	e.fake.fail_quota = "full";
	cr_assert_eq(queue_hold_release_due(e.h, 100), 1);
	cr_assert_eq(e.fake.n, 2);
	cr_assert_str_eq(e.fake.v[0].account, "other");
	cr_assert_str_eq(e.fake.v[1].account, "mjl");
	cr_assert(has(&e.fake.v[1], "Final-Recipient: rfc822; full@test.example\r\n"));
	cr_assert(has(&e.fake.v[1], "Status: 5.2.2\r\n"));
	cr_assert_not(has(&e.fake.v[1], "other@test.example"));
	int64_t next;
	cr_assert_not(queue_hold_next(e.h, &next));
	env_free(&e);
}

Test(queue_hold, null_reverse_path_gets_no_report)
{
	struct env e;
	env_init(&e);
	const char *rcpts[] = {"full"};
	hold(&e, 100, "", rcpts, 1);
	e.fake.fail_quota = "full";
	cr_assert_eq(queue_hold_release_due(e.h, 100), 1);
	cr_assert_eq(e.fake.n, 0);
	int64_t next;
	cr_assert_not(queue_hold_next(e.h, &next));
	env_free(&e);
}
