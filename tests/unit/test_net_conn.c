#include "base/timeutil.h"
#include "net/conn.h"
#include "net/shutdown.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A conn on one end of a socketpair; the test plays the client on *peer. */
static struct conn *pair(int *peer, int timeout_ms)
{
	int fds[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	*peer = fds[1];
	struct conn *c = conn_new(fds[0], NULL);
	conn_set_timeouts(c, timeout_ms, timeout_ms);
	return c;
}

static void put(int fd, const char *s)
{
	size_t n = strlen(s);
	cr_assert_eq(write(fd, s, n), (ssize_t)n);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void expect_line(struct conn *c, size_t max, const char *want, enum conn_eol want_eol)
{
	struct str line;
	enum conn_eol eol;
	struct error err;
	cr_assert(conn_read_line(c, max, &line, &eol, &err), "read_line: %s", err.msg);
	cr_assert(str_eq_cstr(line, want), "got %.*s, want %s", (int)line.len, line.p, want);
	cr_assert_eq(eol, want_eol);
}

Test(net_conn, crlf_and_bare_lf_are_told_apart)
{
	int peer;
	struct conn *c = pair(&peer, 2000);
	put(peer, "EHLO x\r\nNOOP\nQUIT\r\n\r\n\n");
	expect_line(c, 512, "EHLO x", CONN_EOL_CRLF);
	expect_line(c, 512, "NOOP", CONN_EOL_LF);
	expect_line(c, 512, "QUIT", CONN_EOL_CRLF);
	expect_line(c, 512, "", CONN_EOL_CRLF);
	expect_line(c, 512, "", CONN_EOL_LF);
	cr_assert_eq(conn_buffered(c), 0);
	conn_free(c);
	close(peer);
}

Test(net_conn, line_at_the_limit_is_fine_one_more_is_too_long)
{
	int peer;
	struct conn *c = pair(&peer, 2000);
	put(peer, "0123456789\r\n0123456789\n01234567890\r\nnext\r\n");
	expect_line(c, 10, "0123456789", CONN_EOL_CRLF);
	expect_line(c, 10, "0123456789", CONN_EOL_LF);
	struct str line;
	struct error err;
	cr_assert(!conn_read_line(c, 10, &line, NULL, &err));
	cr_assert_eq(err.kind, ERR_LIMIT);
	cr_assert(conn_skip_line(c, 1000, &err), "%s", err.msg);
	expect_line(c, 10, "next", CONN_EOL_CRLF);
	conn_free(c);
	close(peer);
}

struct writer {
	int fd;
	const char *data;
	size_t step;
	int delay_ms;
};

static void *write_slowly(void *arg)
{
	struct writer *w = arg;
	size_t n = strlen(w->data);
	for (size_t i = 0; i < n; i += w->step) {
		size_t k = n - i < w->step ? n - i : w->step;
		if (write(w->fd, w->data + i, k) != (ssize_t)k)
			break;
		sleep_ms(w->delay_ms);
	}
	return NULL;
}

Test(net_conn, overlong_line_is_an_error_then_resyncs_at_next_line)
{
	int peer;
	struct conn *c = pair(&peer, 2000);
	/* The limit is noticed before the line ends; the rest arrives later. */
	char big[300];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	put(peer, big);
	struct str line;
	struct error err;
	int64_t start = mono_ms();
	cr_assert(!conn_read_line(c, 100, &line, NULL, &err));
	cr_assert_eq(err.kind, ERR_LIMIT);
	cr_assert_lt(mono_ms() - start, 1000, "should not wait for the line end");
	/* Nothing was consumed: asking again gives the same answer. */
	cr_assert(!conn_read_line(c, 100, &line, NULL, &err));
	cr_assert_eq(err.kind, ERR_LIMIT);
	struct writer w = {peer, "yyyyyyyyyyyyyyyyyyyy\r\nNOOP\r\n", 7, 10};
	pthread_t th;
	pthread_create(&th, NULL, write_slowly, &w);
	cr_assert(conn_skip_line(c, 10000, &err), "%s", err.msg);
	expect_line(c, 100, "NOOP", CONN_EOL_CRLF);
	pthread_join(th, NULL);
	conn_free(c);
	close(peer);
}

Test(net_conn, skip_line_is_bounded)
{
	int peer;
	struct conn *c = pair(&peer, 2000);
	char big[5000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	put(peer, big);
	struct error err;
	cr_assert(!conn_skip_line(c, 1000, &err));
	cr_assert_eq(err.kind, ERR_LIMIT);
	conn_free(c);
	close(peer);
}

Test(net_conn, line_split_across_many_small_writes)
{
	int peer;
	struct conn *c = pair(&peer, 3000);
	struct writer w = {peer, "MAIL FROM:<someone@example.org>\r\nRCPT TO:<x@y>\n", 1, 2};
	pthread_t th;
	pthread_create(&th, NULL, write_slowly, &w);
	expect_line(c, 512, "MAIL FROM:<someone@example.org>", CONN_EOL_CRLF);
	expect_line(c, 512, "RCPT TO:<x@y>", CONN_EOL_LF);
	pthread_join(th, NULL);
	conn_free(c);
	close(peer);
}

Test(net_conn, eof_mid_line_and_at_line_start_are_closed)
{
	int peer;
	struct conn *c = pair(&peer, 2000);
	put(peer, "whole\r\npartial");
	shutdown(peer, SHUT_WR);
	expect_line(c, 512, "whole", CONN_EOL_CRLF);
	struct str line;
	struct error err;
	cr_assert(!conn_read_line(c, 512, &line, NULL, &err));
	cr_assert_eq(err.kind, ERR_CLOSED);
	cr_assert(strstr(err.msg, "middle of a line"), "%s", err.msg);
	conn_free(c);
	close(peer);

	c = pair(&peer, 2000);
	close(peer);
	cr_assert(!conn_read_line(c, 512, &line, NULL, &err));
	cr_assert_eq(err.kind, ERR_CLOSED);
	cr_assert(!strstr(err.msg, "middle"), "%s", err.msg);
	conn_free(c);
}

Test(net_conn, read_exact_after_a_line_and_large_payloads)
{
	int peer;
	struct conn *c = pair(&peer, 3000);
	put(peer, "BDAT 5\r\nhelloNEXT\r\n");
	expect_line(c, 512, "BDAT 5", CONN_EOL_CRLF);
	char five[5];
	struct error err;
	cr_assert(conn_read_exact(c, five, 5, &err), "%s", err.msg);
	cr_assert_eq(memcmp(five, "hello", 5), 0);
	expect_line(c, 512, "NEXT", CONN_EOL_CRLF);

	/* A megabyte, written in pieces by another thread, read in one call. */
	size_t n = 1024 * 1024;
	char *src = malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		src[i] = (char)('a' + i % 26);
	src[n] = '\0';
	struct writer w = {peer, src, 100000, 1};
	pthread_t th;
	pthread_create(&th, NULL, write_slowly, &w);
	char *dst = malloc(n);
	cr_assert(conn_read_exact(c, dst, n, &err), "%s", err.msg);
	cr_assert_eq(memcmp(src, dst, n), 0);
	pthread_join(th, NULL);
	cr_assert_eq(conn_bytes_in(c), 19 + n);
	free(src);
	free(dst);
	conn_free(c);
	close(peer);
}

Test(net_conn, read_some_streams_in_bounded_chunks)
{
	int peer;
	struct conn *c = pair(&peer, 2000);
	put(peer, "0123456789abcdef");
	shutdown(peer, SHUT_WR);
	char got[32] = "";
	size_t total = 0;
	struct str chunk;
	struct error err;
	while (conn_read_some(c, 5, &chunk, &err)) {
		cr_assert_leq(chunk.len, 5);
		cr_assert_gt(chunk.len, 0);
		memcpy(got + total, chunk.p, chunk.len);
		total += chunk.len;
	}
	cr_assert_eq(err.kind, ERR_CLOSED);
	cr_assert_eq(total, 16);
	cr_assert_eq(memcmp(got, "0123456789abcdef", 16), 0);
	conn_free(c);
	close(peer);
}

Test(net_conn, read_deadline_is_a_timeout)
{
	int peer;
	struct conn *c = pair(&peer, 200);
	put(peer, "no line end");
	struct str line;
	struct error err;
	int64_t start = mono_ms();
	cr_assert(!conn_read_line(c, 512, &line, NULL, &err));
	int64_t took = mono_ms() - start;
	cr_assert_eq(err.kind, ERR_TIMEOUT, "%s", err.msg);
	cr_assert_geq(took, 190);
	cr_assert_lt(took, 1500);
	conn_free(c);
	close(peer);
}

Test(net_conn, deadline_bounds_a_trickling_client)
{
	int peer;
	struct conn *c = pair(&peer, 300);
	/* One byte every 50 ms never ends a line; the deadline is per call, not per byte. */
	char slow[80];
	memset(slow, 'z', sizeof slow - 1);
	slow[sizeof slow - 1] = '\0';
	struct writer w = {peer, slow, 1, 50};
	pthread_t th;
	pthread_create(&th, NULL, write_slowly, &w);
	struct str line;
	struct error err;
	int64_t start = mono_ms();
	cr_assert(!conn_read_line(c, 512, &line, NULL, &err));
	cr_assert_eq(err.kind, ERR_TIMEOUT);
	cr_assert_lt(mono_ms() - start, 1500);
	conn_free(c);
	pthread_join(th, NULL);
	close(peer);
}

Test(net_conn, write_deadline_with_a_peer_that_does_not_read)
{
	int peer;
	struct conn *c = pair(&peer, 200);
	size_t n = 8 * 1024 * 1024;
	char *big = calloc(1, n);
	struct error err;
	int64_t start = mono_ms();
	cr_assert(!conn_write(c, big, n, &err));
	cr_assert_eq(err.kind, ERR_TIMEOUT, "%s", err.msg);
	cr_assert_lt(mono_ms() - start, 1500);
	/* The connection stays failed for writes. */
	cr_assert(!conn_puts(c, "more\r\n", &err));
	cr_assert_eq(err.kind, ERR_TIMEOUT);
	cr_assert(!conn_flush(c, &err));
	free(big);
	conn_free(c);
	close(peer);
}

Test(net_conn, writes_are_buffered_until_flush_and_close_flushes)
{
	int peer;
	struct conn *c = pair(&peer, 2000);
	struct error err;
	cr_assert(conn_printf(c, &err, "250-%s\r\n", "first"));
	cr_assert(conn_puts(c, "250 last\r\n", &err));
	char buf[64];
	cr_assert_eq(recv(peer, buf, sizeof buf, MSG_DONTWAIT), -1, "nothing sent before flush");
	cr_assert(conn_flush(c, &err));
	ssize_t r = read(peer, buf, sizeof buf);
	cr_assert_eq(r, 21);
	cr_assert_eq(memcmp(buf, "250-first\r\n250 last\r\n", 21), 0);
	cr_assert(conn_puts(c, "221 bye\r\n", &err));
	conn_close(c);
	r = read(peer, buf, sizeof buf);
	cr_assert_eq(r, 9);
	cr_assert_eq(read(peer, buf, sizeof buf), 0, "EOF after close");
	cr_assert(!conn_puts(c, "x", &err));
	cr_assert_eq(err.kind, ERR_CLOSED);
	cr_assert_eq(conn_bytes_out(c), 30);
	conn_free(c);
	close(peer);
}

struct shutdown_later {
	int delay_ms;
};

static void *begin_shutdown_later(void *arg)
{
	struct shutdown_later *s = arg;
	sleep_ms(s->delay_ms);
	net_shutdown_begin();
	return NULL;
}

Test(net_conn, shutdown_interrupts_a_blocked_read_but_not_the_goodbye)
{
	int peer;
	struct conn *c = pair(&peer, 10000);
	struct shutdown_later s = {100};
	pthread_t th;
	pthread_create(&th, NULL, begin_shutdown_later, &s);
	struct str line;
	struct error err;
	int64_t start = mono_ms();
	cr_assert(!conn_read_line(c, 512, &line, NULL, &err));
	cr_assert_eq(err.kind, ERR_SHUTDOWN, "%s", err.msg);
	cr_assert_lt(mono_ms() - start, 2000);
	pthread_join(th, NULL);
	cr_assert(net_shutting_down());
	/* Buffered input is still handed out; only waiting ends. */
	put(peer, "QUIT\r\n");
	sleep_ms(20);
	unsigned ready;
	cr_assert(conn_read_line(c, 512, &line, NULL, &err), "%s", err.msg);
	cr_assert(!conn_wait_input(c, -1, 1000, &ready, &err));
	cr_assert_eq(err.kind, ERR_SHUTDOWN);
	cr_assert(conn_puts(c, "421 shutting down\r\n", &err));
	cr_assert(conn_flush(c, &err), "%s", err.msg);
	char buf[64];
	cr_assert_eq(read(peer, buf, sizeof buf), 19);
	conn_free(c);
	close(peer);
}

Test(net_conn, wait_input_watches_socket_and_extra_fd)
{
	int peer;
	struct conn *c = pair(&peer, 2000);
	int efd = eventfd(0, EFD_CLOEXEC);
	unsigned ready;
	struct error err;
	cr_assert(!conn_wait_input(c, efd, 100, &ready, &err));
	cr_assert_eq(err.kind, ERR_TIMEOUT);
	uint64_t one = 1;
	cr_assert_eq(write(efd, &one, sizeof one), 8);
	cr_assert(conn_wait_input(c, efd, 1000, &ready, &err));
	cr_assert_eq(ready, CONN_READY_EXTRA);
	cr_assert_eq(read(efd, &one, sizeof one), 8);
	put(peer, "DONE\r\nX\r\n");
	cr_assert(conn_wait_input(c, efd, 1000, &ready, &err));
	cr_assert_eq(ready, CONN_READY_INPUT);
	expect_line(c, 100, "DONE", CONN_EOL_CRLF);
	/* Input already buffered counts at once, without polling. */
	cr_assert(conn_wait_input(c, -1, 0, &ready, &err));
	cr_assert_eq(ready, CONN_READY_INPUT);
	close(efd);
	conn_free(c);
	close(peer);
}

Test(net_conn, tcp_addresses_and_increasing_ids)
{
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	cr_assert_eq(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
	cr_assert_eq(listen(l, 1), 0);
	socklen_t len = sizeof sa;
	getsockname(l, (struct sockaddr *)&sa, &len);
	int cl = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(connect(cl, (struct sockaddr *)&sa, sizeof sa), 0);
	struct conn *c = conn_new(accept(l, NULL, NULL), NULL);
	cr_assert_str_eq(conn_remote_ip(c), "127.0.0.1");
	cr_assert_str_eq(conn_local_ip(c), "127.0.0.1");
	cr_assert_eq(conn_local_port(c), ntohs(sa.sin_port));
	cr_assert_neq(conn_remote_port(c), 0);
	char want[64];
	snprintf(want, sizeof want, "127.0.0.1:%u", conn_remote_port(c));
	cr_assert_str_eq(conn_remote(c), want);
	cr_assert_eq(conn_remote_addr(c)->sa_family, AF_INET);
	int peer;
	struct conn *c2 = pair(&peer, 100);
	cr_assert_gt(conn_cid(c2), conn_cid(c));
	cr_assert_eq(conn_log(c2)->cid, conn_cid(c2));
	cr_assert_str_eq(conn_remote(c2), "unix");
	conn_free(c2);
	close(peer);
	conn_free(c);
	close(cl);
	close(l);
}

Test(net_conn, trim_keeps_unread_input_and_reading_goes_on)
{
	int peer;
	struct conn *c = pair(&peer, 2000);
	put(peer, "A1 IDLE\r\nDONE\r\n");
	expect_line(c, 512, "A1 IDLE", CONN_EOL_CRLF);
	conn_trim(c); /* "DONE" is buffered: kept */
	expect_line(c, 512, "DONE", CONN_EOL_CRLF);
	conn_trim(c); /* nothing buffered: the buffers go */
	cr_assert_eq(conn_buffered(c), 0);
	struct error err;
	cr_assert(conn_puts(c, "+ idling\r\n", &err) && conn_flush(c, &err), "%s", err.msg);
	conn_trim(c);
	put(peer, "A2 NOOP\r\n");
	expect_line(c, 512, "A2 NOOP", CONN_EOL_CRLF);
	char got[16] = "";
	cr_assert_eq(read(peer, got, 10), 10);
	cr_assert_str_eq(got, "+ idling\r\n");
	conn_free(c);
	close(peer);
}
