#include "base/timeutil.h"
#include "net/listener.h"
#include "net/shutdown.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A tiny line protocol: greet, then echo lines until QUIT, EOF or shutdown. */
static void serve_echo(struct conn *c, void *arg)
{
	struct error err;
	conn_set_timeouts(c, 5000, 2000);
	if (!conn_printf(c, &err, "220 hello %s\r\n", conn_remote_ip(c)) || !conn_flush(c, &err))
		return;
	for (;;) {
		struct str line;
		if (!conn_read_line(c, 512, &line, NULL, &err)) {
			if (err.kind == ERR_SHUTDOWN)
				conn_puts(c, "421 shutting down\r\n", &err);
			return;
		}
		if (str_eq_cstr(line, "QUIT")) {
			conn_puts(c, "221 bye\r\n", &err);
			return;
		}
		if (!conn_printf(c, &err, "250 %.*s\r\n", (int)line.len, line.p) ||
		    !conn_flush(c, &err))
			return;
	}
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int dial(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	socklen_t len;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, ip, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		len = sizeof *in;
	} else {
		cr_assert_eq(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		len = sizeof *in6;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		close(fd);
		return -1;
	}
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return fd;
}

/* Reads one line (up to LF) from a blocking socket; "" at EOF. */
static void read_reply(int fd, char *out, size_t cap)
{
	size_t n = 0;
	while (n + 1 < cap) {
		ssize_t r = read(fd, out + n, 1);
		if (r <= 0)
			break;
		if (out[n++] == '\n')
			break;
	}
	out[n] = '\0';
}

static void say(int fd, const char *s)
{
	cr_assert_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static uint16_t free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bind(fd, (struct sockaddr *)&sa, sizeof sa);
	socklen_t len = sizeof sa;
	getsockname(fd, (struct sockaddr *)&sa, &len);
	close(fd);
	return ntohs(sa.sin_port);
}

/* Some CI containers have no IPv6, not even on loopback. */
static bool have_ipv6_loopback(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static struct listener *start(const char *const *ips, size_t nips, uint16_t port,
			      struct limits *limits)
{
	struct listener_config cfg = {
	    .name = "test",
	    .protocol = "echo",
	    .ips = ips,
	    .nips = nips,
	    .port = port,
	    .serve = serve_echo,
	    .refusal = "421 4.7.0 too many connections\r\n",
	    .limits = limits,
	};
	struct error err;
	struct listener *l = listener_bind(&cfg, &err);
	cr_assert(l, "bind: %s", err.msg);
	cr_assert(listener_start(l, &err), "start: %s", err.msg);
	return l;
}

Test(net_listener, ipv4_and_ipv6_share_a_port)
{
	if (!have_ipv6_loopback())
		cr_skip_test("no IPv6 loopback");
	uint16_t port = free_port();
	const char *ips[] = {"127.0.0.1", "::1"};
	struct listener *l = start(ips, 2, port, NULL);
	cr_assert_eq(listener_nsockets(l), 2);
	cr_assert_eq(listener_port(l, 0), port);
	cr_assert_eq(listener_port(l, 1), port);
	char line[128];
	int a = dial("127.0.0.1", port);
	read_reply(a, line, sizeof line);
	cr_assert_str_eq(line, "220 hello 127.0.0.1\r\n");
	int b = dial("::1", port);
	read_reply(b, line, sizeof line);
	cr_assert_str_eq(line, "220 hello ::1\r\n");
	say(b, "ping\r\n");
	read_reply(b, line, sizeof line);
	cr_assert_str_eq(line, "250 ping\r\n");
	say(a, "QUIT\r\n");
	read_reply(a, line, sizeof line);
	cr_assert_str_eq(line, "221 bye\r\n");
	close(a);
	close(b);
	listener_free(l);
	cr_assert_eq(net_shutdown_wait(3000), 0);
}

Test(net_listener, wildcard_addresses_bind_both_families)
{
	if (!have_ipv6_loopback())
		cr_skip_test("no IPv6 loopback");
	uint16_t port = free_port();
	const char *ips[] = {"0.0.0.0", "::"};
	struct listener *l = start(ips, 2, port, NULL);
	char line[128];
	int a = dial("::1", port);
	read_reply(a, line, sizeof line);
	cr_assert_str_eq(line, "220 hello ::1\r\n", "v6only keeps v4 on its own socket");
	close(a);
	listener_free(l);
	net_shutdown_begin();
	cr_assert_eq(net_shutdown_wait(3000), 0);
}

Test(net_listener, bad_address_and_taken_port_are_errors)
{
	const char *bad[] = {"127.0.0.256"};
	struct listener_config cfg = {.name = "x", .ips = bad, .nips = 1, .serve = serve_echo};
	struct error err;
	cr_assert_null(listener_bind(&cfg, &err));
	cr_assert(strstr(err.msg, "not an ip address"), "%s", err.msg);
	const char *ips[] = {"127.0.0.1"};
	struct listener *l = start(ips, 1, 0, NULL);
	cfg.ips = ips;
	cfg.port = listener_port(l, 0);
	cr_assert_null(listener_bind(&cfg, &err), "port in use without SO_REUSEPORT");
	cr_assert(strstr(err.msg, "Address already in use"), "%s", err.msg);
	listener_free(l);
}

Test(net_listener, per_ip_limit_refuses_with_the_refusal_line_and_releases_on_close)
{
	struct limits *lim = limits_new(0, 2);
	const char *ips[] = {"127.0.0.1"};
	struct listener *l = start(ips, 1, 0, lim);
	uint16_t port = listener_port(l, 0);
	char line[128];
	int a = dial("127.0.0.1", port), b = dial("127.0.0.1", port);
	read_reply(a, line, sizeof line);
	read_reply(b, line, sizeof line);
	cr_assert_str_eq(line, "220 hello 127.0.0.1\r\n");
	int c = dial("127.0.0.1", port);
	read_reply(c, line, sizeof line);
	cr_assert_str_eq(line, "421 4.7.0 too many connections\r\n");
	read_reply(c, line, sizeof line);
	cr_assert_str_eq(line, "", "refused connections are closed");
	close(c);
	say(a, "QUIT\r\n");
	read_reply(a, line, sizeof line);
	close(a);
	/* The release happens when the connection thread finishes closing. */
	int64_t until = mono_ms() + 3000;
	while (limits_total(lim) != 1 && mono_ms() < until)
		sleep_ms(10);
	cr_assert_eq(limits_total(lim), 1);
	int d = dial("127.0.0.1", port);
	read_reply(d, line, sizeof line);
	cr_assert_str_eq(line, "220 hello 127.0.0.1\r\n");
	close(b);
	close(d);
	limits_unref(lim); /* the listener keeps its own reference */
	net_shutdown_begin();
	cr_assert_eq(net_shutdown_wait(3000), 0);
	listener_free(l);
}

Test(net_listener, total_limit_refuses)
{
	struct limits *lim = limits_new(1, 0);
	const char *ips[] = {"127.0.0.1"};
	struct listener *l = start(ips, 1, 0, lim);
	char line[128];
	int a = dial("127.0.0.1", listener_port(l, 0));
	read_reply(a, line, sizeof line);
	int b = dial("127.0.0.1", listener_port(l, 0));
	read_reply(b, line, sizeof line);
	cr_assert_str_eq(line, "421 4.7.0 too many connections\r\n");
	close(a);
	close(b);
	listener_free(l);
	limits_unref(lim);
	cr_assert_eq(net_shutdown_wait(3000), 0);
}

Test(net_listener, shutdown_says_goodbye_stops_accepting_and_counts_threads)
{
	const char *ips[] = {"127.0.0.1"};
	struct listener *l = start(ips, 1, 0, NULL);
	uint16_t port = listener_port(l, 0);
	int fds[3];
	char line[128];
	for (int i = 0; i < 3; i++) {
		fds[i] = dial("127.0.0.1", port);
		read_reply(fds[i], line, sizeof line);
	}
	cr_assert_eq(net_conn_threads(), 3);
	int64_t start_ms = mono_ms();
	net_shutdown_begin();
	for (int i = 0; i < 3; i++) {
		read_reply(fds[i], line, sizeof line);
		cr_assert_str_eq(line, "421 shutting down\r\n");
		close(fds[i]);
	}
	cr_assert_eq(net_shutdown_wait(3000), 0);
	cr_assert_lt(mono_ms() - start_ms, 2500);
	cr_assert_eq(net_conn_threads(), 0);
	cr_assert_eq(dial("127.0.0.1", port), -1, "listening socket closed");
	struct error err;
	const char *ips2[] = {"127.0.0.1"};
	struct listener_config cfg = {.name = "late", .ips = ips2, .nips = 1, .serve = serve_echo};
	struct listener *late = listener_bind(&cfg, &err);
	cr_assert(late);
	cr_assert(!listener_start(late, &err));
	cr_assert_eq(err.kind, ERR_SHUTDOWN);
	listener_free(late);
	listener_free(l);
}

static atomic_int stubborn_done;

static void serve_stubborn(struct conn *c, void *arg)
{
	/* Ignores shutdown for a while, like a long delivery finishing. */
	sleep_ms(600);
	atomic_store(&stubborn_done, 1);
}

Test(net_listener, shutdown_wait_times_out_then_sees_the_last_thread_end)
{
	const char *ips[] = {"127.0.0.1"};
	struct listener_config cfg = {
	    .name = "slow", .ips = ips, .nips = 1, .serve = serve_stubborn};
	struct error err;
	struct listener *l = listener_bind(&cfg, &err);
	cr_assert(listener_start(l, &err));
	int fd = dial("127.0.0.1", listener_port(l, 0));
	int64_t until = mono_ms() + 2000;
	while (net_conn_threads() == 0 && mono_ms() < until)
		sleep_ms(5);
	net_shutdown_begin();
	cr_assert_eq(net_shutdown_wait(100), 1);
	cr_assert_eq(net_shutdown_wait(3000), 0);
	cr_assert_eq(atomic_load(&stubborn_done), 1);
	close(fd);
	listener_free(l);
}

Test(net_listener, freeing_a_listener_leaves_running_connections_alone)
{
	const char *ips[] = {"127.0.0.1"};
	struct listener *l = start(ips, 1, 0, NULL);
	char line[128];
	int a = dial("127.0.0.1", listener_port(l, 0));
	read_reply(a, line, sizeof line);
	listener_free(l);
	say(a, "still there\r\n");
	read_reply(a, line, sizeof line);
	cr_assert_str_eq(line, "250 still there\r\n");
	close(a);
	cr_assert_eq(net_shutdown_wait(3000), 0);
}
