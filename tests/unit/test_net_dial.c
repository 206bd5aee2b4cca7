#include "base/timeutil.h"
#include "net/conn.h"
#include "net/dial.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A listening TCP socket on ip; *port gets its port. */
static int listen_on(const char *ip, int backlog, uint16_t *port)
{
	struct dial_addr a;
	cr_assert(dial_addr_parse(ip, 0, &a, NULL));
	int fd = socket(a.sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a.sa, a.len), 0);
	cr_assert_eq(listen(fd, backlog), 0);
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					      : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

/* A port nothing listens on (bound, then closed). */
static uint16_t closed_port(void)
{
	uint16_t port;
	close(listen_on("127.0.0.1", 1, &port));
	return port;
}

Test(net_dial, connects_from_the_chosen_local_address)
{
	uint16_t port;
	int l = listen_on("127.0.0.1", 8, &port);
	struct dial_addr to, local[2];
	cr_assert(dial_addr_parse("127.0.0.1", port, &to, NULL));
	/* The address of the target's family is used; the IPv6 one is not. */
	cr_assert(dial_addr_parse("::1", 0, &local[0], NULL));
	cr_assert(dial_addr_parse("127.0.0.2", 0, &local[1], NULL));
	struct dial_opts o = {.timeout_ms = 2000, .local = local, .nlocal = 2};
	struct error err;
	size_t used = 99;
	struct conn *c = dial_addrs(&to, 1, &o, &used, &err);
	cr_assert(c, "%s", err.msg);
	cr_assert_eq(used, 0);
	cr_assert_str_eq(conn_local_ip(c), "127.0.0.2");
	cr_assert_eq(conn_remote_port(c), port);
	struct sockaddr_storage peer;
	socklen_t len = sizeof peer;
	int s = accept(l, (struct sockaddr *)&peer, &len);
	cr_assert_geq(s, 0);
	char ip[INET6_ADDRSTRLEN];
	inet_ntop(AF_INET, &((struct sockaddr_in *)&peer)->sin_addr, ip, sizeof ip);
	cr_assert_str_eq(ip, "127.0.0.2");
	cr_assert(conn_write(c, "hi\n", 3, &err) && conn_flush(c, &err));
	char buf[4] = "";
	cr_assert_eq(read(s, buf, 3), 3);
	cr_assert_str_eq(buf, "hi\n");
	close(s);
	conn_free(c);
	close(l);
}

Test(net_dial, refused_is_its_own_kind_and_the_next_address_is_tried)
{
	struct dial_addr addrs[2];
	uint16_t port;
	int l = listen_on("127.0.0.1", 8, &port);
	cr_assert(dial_addr_parse("127.0.0.1", closed_port(), &addrs[0], NULL));
	struct dial_opts o = {.timeout_ms = 2000};
	struct error err;
	cr_assert_null(dial_addrs(addrs, 1, &o, NULL, &err));
	cr_assert_eq(err.kind, ERR_REFUSED, "%s", err.msg);
	cr_assert(strstr(err.msg, "127.0.0.1:"), "%s", err.msg);
	cr_assert(dial_addr_parse("127.0.0.1", port, &addrs[1], NULL));
	size_t used;
	struct conn *c = dial_addrs(addrs, 2, &o, &used, &err);
	cr_assert(c, "%s", err.msg);
	cr_assert_eq(used, 1);
	conn_free(c);
	close(l);
}

Test(net_dial, a_host_that_does_not_answer_is_a_timeout_within_the_deadline)
{
	/* With its accept queue full, Linux drops further SYNs: the connect hangs. */
	uint16_t port;
	int l = listen_on("127.0.0.1", 0, &port);
	struct dial_addr a;
	cr_assert(dial_addr_parse("127.0.0.1", port, &a, NULL));
	struct dial_opts o = {.timeout_ms = 400};
	struct conn *fill[4] = {0};
	struct error err;
	int64_t start = 0;
	size_t i;
	for (i = 0; i < 4; i++) {
		start = mono_ms();
		fill[i] = dial_addrs(&a, 1, &o, NULL, &err);
		if (!fill[i])
			break;
	}
	cr_assert_lt(i, 4, "connections kept being accepted");
	int64_t took = mono_ms() - start;
	cr_assert_eq(err.kind, ERR_TIMEOUT, "%s", err.msg);
	cr_assert_geq(took, 350);
	cr_assert_lt(took, 2000);
	/* Two addresses share the deadline: each gets part of it. */
	struct dial_addr two[2] = {a, a};
	start = mono_ms();
	cr_assert_null(dial_addrs(two, 2, &o, NULL, &err));
	took = mono_ms() - start;
	cr_assert_eq(err.kind, ERR_TIMEOUT);
	cr_assert_lt(took, 1000);
	for (size_t j = 0; j < i; j++)
		conn_free(fill[j]);
	close(l);
}

Test(net_dial, ipv6_and_host_names)
{
	uint16_t port;
	struct dial_addr a;
	cr_assert(dial_addr_parse("::1", 0, &a, NULL));
	int probe = socket(AF_INET6, SOCK_STREAM, 0);
	bool have6 = probe >= 0 && bind(probe, (struct sockaddr *)&a.sa, a.len) == 0;
	if (probe >= 0)
		close(probe);
	struct dial_opts o = {.timeout_ms = 2000};
	struct error err;
	if (have6) {
		int l = listen_on("::1", 8, &port);
		cr_assert(dial_addr_parse("::1", port, &a, NULL));
		struct conn *c = dial_addrs(&a, 1, &o, NULL, &err);
		cr_assert(c, "%s", err.msg);
		cr_assert_str_eq(conn_remote_ip(c), "::1");
		conn_free(c);
		close(l);
	}
	int l = listen_on("127.0.0.1", 8, &port);
	struct conn *c = dial_host("127.0.0.1", port, &o, &err);
	cr_assert(c, "%s", err.msg);
	conn_free(c);
	close(l);
	cr_assert_null(dial_host("127.0.0.1", closed_port(), &o, &err));
	cr_assert_eq(err.kind, ERR_REFUSED);
	cr_assert_null(dial_host("no-such-host.invalid", 25, &o, &err));
	cr_assert(err.kind == ERR_NOTFOUND || err.kind == ERR_TEMPORARY, "%s", err.msg);
	cr_assert_not(dial_addr_parse("mx.example.org", 25, &a, &err));
	cr_assert_eq(err.kind, ERR_INVALID);
}
