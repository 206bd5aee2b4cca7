#include "base/buf.h"
#include "base/mem.h"
#include "server/ctl.h"
#include "server/pidfile.h"
#include "server/privdrop.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void pair(struct ctl_conn *a, struct ctl_conn *b)
{
	int fds[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	a->fd = fds[0];
	a->timeout_ms = 2000;
	b->fd = fds[1];
	b->timeout_ms = 2000;
}

Test(ctl, frames_carry_binary_data)
{
	struct ctl_conn a, b;
	pair(&a, &b);
	struct error err;
	cr_assert(ctl_send(&a, "x\0y\n", 4, &err));
	cr_assert(ctl_send_str(&a, "", &err));
	cr_assert(ctl_send_str(&a, "ok", &err));
	cr_assert(ctl_send_error(&a, "no such account", &err));
	struct buf got = BUF_INIT;
	cr_assert(ctl_recv(&b, &got, &err));
	cr_assert_eq(got.len, 4);
	cr_assert_eq(memcmp(got.data, "x\0y\n", 4), 0);
	cr_assert(ctl_recv(&b, &got, &err));
	cr_assert_eq(got.len, 0);
	cr_assert(ctl_recv_status(&b, &err));
	cr_assert(!ctl_recv_status(&b, &err));
	cr_assert_str_eq(err.msg, "no such account");
	ctl_close(&a);
	cr_assert(!ctl_recv(&b, &got, &err));
	cr_assert_eq(err.kind, ERR_CLOSED);
	ctl_close(&b);
	buf_free(&got);
}

Test(ctl, malformed_and_oversized_headers_are_errors)
{
	struct ctl_conn a, b;
	pair(&a, &b);
	struct error err;
	struct buf got = BUF_INIT;
	cr_assert_eq(write(a.fd, "12x\n", 4), 4);
	cr_assert(!ctl_recv(&b, &got, &err));
	cr_assert_eq(err.kind, ERR_INVALID);
	ctl_close(&a);
	ctl_close(&b);

	pair(&a, &b);
	cr_assert_eq(write(a.fd, "999999999\n", 10), 10);
	cr_assert(!ctl_recv(&b, &got, &err));
	cr_assert_eq(err.kind, ERR_LIMIT);
	ctl_close(&a);
	ctl_close(&b);

	pair(&a, &b);
	cr_assert_eq(write(a.fd, "5\nab", 4), 4);
	ctl_close(&a);
	cr_assert(!ctl_recv(&b, &got, &err));
	cr_assert(strstr(err.msg, "mid-frame"));
	ctl_close(&b);
	buf_free(&got);
}

Test(ctl, silent_peer_times_out)
{
	struct ctl_conn a, b;
	pair(&a, &b);
	b.timeout_ms = 50;
	struct error err;
	struct buf got = BUF_INIT;
	cr_assert(!ctl_recv(&b, &got, &err));
	cr_assert_eq(err.kind, ERR_TIMEOUT);
	ctl_close(&a);
	ctl_close(&b);
	buf_free(&got);
}

static void echo_upper(void *ctx, struct ctl_conn *c, const char *cmd)
{
	int *calls = ctx;
	__atomic_add_fetch(calls, 1, __ATOMIC_SEQ_CST);
	char *reply = xasprintf("got %s", cmd);
	ctl_send_str(c, reply, NULL);
	ctl_send_str(c, "ok", NULL);
	free(reply);
}

Test(ctl, server_dispatches_and_refuses_second_server)
{
	char dir[] = "/tmp/tern-ctl-XXXXXX";
	cr_assert(mkdtemp(dir));
	char *path = xasprintf("%s/ctl", dir);
	struct error err;
	struct ctl_server *s = ctl_listen(path, &err);
	cr_assert(s, "%s", err.msg);
	int calls = 0;
	cr_assert(ctl_start(s, echo_upper, &calls, &err));
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "socket only for its owner");

	for (int i = 0; i < 3; i++) {
		struct ctl_conn c;
		cr_assert(ctl_dial(path, &c, &err), "%s", err.msg);
		cr_assert(ctl_send_str(&c, "loglevels", &err));
		struct buf got = BUF_INIT;
		cr_assert(ctl_recv(&c, &got, &err));
		cr_assert_str_eq(buf_cstr(&got), "got loglevels");
		cr_assert(ctl_recv_status(&c, &err));
		buf_free(&got);
		ctl_close(&c);
	}
	/* a second server on the same socket must not steal it */
	struct ctl_server *s2 = ctl_listen(path, &err);
	cr_assert_null(s2);
	cr_assert_eq(err.kind, ERR_EXISTS);

	ctl_stop(s);
	cr_assert_eq(__atomic_load_n(&calls, __ATOMIC_SEQ_CST), 3);
	cr_assert_neq(stat(path, &st), 0, "socket removed at stop");

	/* a stale socket file (no server) is replaced */
	cr_assert_eq(mknod(path, S_IFSOCK | 0600, 0), 0);
	s = ctl_listen(path, &err);
	cr_assert(s, "%s", err.msg);
	ctl_stop(s);
	rmdir(dir);
	free(path);
}

Test(privdrop, user_lookup_by_name_and_number)
{
	struct run_user u;
	struct error err;
	cr_assert(run_user_lookup("root", &u, &err));
	cr_assert_eq(u.uid, 0);
	cr_assert(run_user_lookup("12345", &u, &err));
	cr_assert_eq(u.uid, 12345);
	cr_assert_eq(u.gid, 12345);
	cr_assert(!run_user_lookup("no-such-user-here", &u, &err));
	cr_assert_eq(err.kind, ERR_NOTFOUND);
	cr_assert(!run_user_lookup("", &u, &err));
}

Test(privdrop, drop_in_child_cannot_regain_root)
{
	if (geteuid() != 0)
		cr_skip_test("needs root");
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		struct run_user u = {65534, 65534, "nobody"};
		struct error err;
		if (!priv_drop(&u, &err))
			_exit(2);
		if (getuid() != 65534 || geteuid() != 65534 || getgid() != 65534)
			_exit(3);
		if (setuid(0) == 0)
			_exit(4);
		gid_t groups[8];
		if (getgroups(8, groups) != 1 || groups[0] != 65534)
			_exit(5);
		_exit(0);
	}
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	cr_assert_eq(WEXITSTATUS(status), 0);
}

Test(pidfile, write_and_remove)
{
	char dir[] = "/tmp/tern-pid-XXXXXX";
	cr_assert(mkdtemp(dir));
	char *path = xasprintf("%s/tern.pid", dir);
	struct error err;
	cr_assert(pidfile_write(path, &err));
	FILE *f = fopen(path, "r");
	long pid = 0;
	cr_assert_eq(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	cr_assert_eq(pid, (long)getpid());
	pidfile_remove(path);
	cr_assert(access(path, F_OK) != 0);
	rmdir(dir);
	free(path);
}
