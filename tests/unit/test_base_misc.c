#include "base/buf.h"
#include "base/error.h"
#include "base/file.h"
#include "base/log.h"
#include "base/timeutil.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

Test(error, set_prefix_errno)
{
	struct error err;
	cr_assert(!error_set(&err, ERR_INVALID, "bad value %d", 3));
	cr_assert_str_eq(err.msg, "bad value 3");
	error_prefix(&err, "field %s", "Port");
	cr_assert_str_eq(err.msg, "field Port: bad value 3");
	cr_assert_eq(err.kind, ERR_INVALID);
	error_errno(&err, ENOENT, "open %s", "/x");
	cr_assert_str_eq(err.msg, "open /x: No such file or directory");
	cr_assert_eq(err.kind, ERR_NOTFOUND);
	cr_assert(!error_set(NULL, ERR_IO, "ignored"));
}

Test(error, long_messages_are_cut_not_overflowed)
{
	struct error err;
	char big[2000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	error_set(&err, ERR_INVALID, "%s", big);
	cr_assert_eq(strlen(err.msg), ERROR_MSG_MAX - 1);
	error_prefix(&err, "%s", big);
	cr_assert_eq(strlen(err.msg), ERROR_MSG_MAX - 1);
}

static char *tempdir(void)
{
	char tmpl[] = "/tmp/tern-test-XXXXXX";
	char *d = mkdtemp(tmpl);
	cr_assert(d);
	return strdup(d);
}

Test(file, atomic_write_replaces_and_leaves_no_temp)
{
	char *dir = tempdir();
	char *path = path_join(dir, "f.conf");
	struct error err;
	cr_assert(file_write_atomic(path, "one\n", 4, 0600, &err), "%s", err.msg);
	cr_assert(file_write_atomic(path, "two two\n", 8, 0640, &err), "%s", err.msg);
	struct buf b = BUF_INIT;
	cr_assert(file_read_all(path, 100, &b, &err));
	cr_assert_str_eq(buf_cstr(&b), "two two\n");
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0640);
	/* only the target remains in the directory */
	char *cmd = NULL;
	cr_assert(asprintf(&cmd, "test $(ls -A %s | wc -l) -eq 1", dir) > 0);
	cr_assert_eq(system(cmd), 0);
	free(cmd);
	buf_free(&b);
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

Test(file, read_is_bounded)
{
	char *dir = tempdir();
	char *path = path_join(dir, "big");
	struct error err;
	char data[100];
	memset(data, 'a', sizeof data);
	cr_assert(file_write_atomic(path, data, sizeof data, 0600, &err));
	struct buf b = BUF_INIT;
	cr_assert(!file_read_all(path, 99, &b, &err));
	cr_assert_eq(err.kind, ERR_LIMIT);
	cr_assert_eq(b.len, 0);
	cr_assert(file_read_all(path, 100, &b, &err));
	cr_assert_eq(b.len, 100);
	cr_assert(!file_read_all("/nonexistent/x", 10, &b, &err));
	cr_assert_eq(err.kind, ERR_NOTFOUND);
	buf_free(&b);
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

Test(file, mkdir_p_and_paths)
{
	char *dir = tempdir();
	char *deep = path_join(dir, "a/b/c");
	struct error err;
	cr_assert(mkdir_p(deep, 0700, &err), "%s", err.msg);
	cr_assert(mkdir_p(deep, 0700, &err), "existing directories are fine");
	cr_assert(file_exists(deep));
	char *d = path_dirname(deep);
	cr_assert(strlen(d) < strlen(deep));
	free(d);
	char *abs = path_join("/etc", "/x");
	cr_assert_str_eq(abs, "/x");
	free(abs);
	char *rel = path_join("config/", "domains.conf");
	cr_assert_str_eq(rel, "config/domains.conf");
	free(rel);
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
	free(deep);
	free(dir);
}

static int64_t dur(const char *s)
{
	int64_t ns;
	struct error err;
	cr_assert(duration_parse(str_from(s), &ns, &err), "%s: %s", s, err.msg);
	return ns;
}

Test(time, durations_go_syntax)
{
	cr_assert_eq(dur("0s"), 0);
	cr_assert_eq(dur("0"), 0);
	cr_assert_eq(dur("15s"), 15 * NS_PER_SEC);
	cr_assert_eq(dur("500ms"), 500 * NS_PER_MS);
	cr_assert_eq(dur("1h30m"), 5400 * NS_PER_SEC);
	cr_assert_eq(dur("72h"), 72 * 3600 * NS_PER_SEC);
	cr_assert_eq(dur("1.5h"), 5400 * NS_PER_SEC);
	cr_assert_eq(dur("-2m"), -120 * NS_PER_SEC);
	int64_t ns;
	cr_assert(!duration_parse(STR_LIT("15"), &ns, NULL));
	cr_assert(!duration_parse(STR_LIT("15x"), &ns, NULL));
	cr_assert(!duration_parse(STR_LIT(""), &ns, NULL));
	cr_assert(!duration_parse(STR_LIT("h"), &ns, NULL));
	cr_assert(!duration_parse(STR_LIT("99999999999999h"), &ns, NULL));
}

Test(time, duration_format_like_go)
{
	char out[64];
	struct {
		int64_t ns;
		const char *want;
	} cases[] = {
	    {0, "0s"},
	    {15 * NS_PER_SEC, "15s"},
	    {5400 * NS_PER_SEC, "1h30m0s"},
	    {500 * NS_PER_MS, "500ms"},
	    {1500 * NS_PER_MS, "1.5s"},
	    {-60 * NS_PER_SEC, "-1m0s"},
	    {72 * 3600 * NS_PER_SEC, "72h0m0s"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		duration_format(cases[i].ns, out, sizeof out);
		cr_assert_str_eq(out, cases[i].want);
		cr_assert_eq(dur(out), cases[i].ns, "round trip of %s", out);
	}
}

Test(time, rfc3339)
{
	char out[32];
	time_format_rfc3339(0, out, sizeof out);
	cr_assert_str_eq(out, "1970-01-01T00:00:00Z");
	time_t t;
	cr_assert(time_parse_rfc3339("2026-11-23T10:04:05Z", &t));
	time_format_rfc3339(t, out, sizeof out);
	cr_assert_str_eq(out, "2026-11-23T10:04:05Z");
	cr_assert(time_parse_rfc3339("2026-11-23T11:04:05.123+01:00", &t));
	time_format_rfc3339(t, out, sizeof out);
	cr_assert_str_eq(out, "2026-11-23T10:04:05Z");
	cr_assert(!time_parse_rfc3339("2026-13-23T10:04:05Z", &t));
	cr_assert(!time_parse_rfc3339("2026-11-23 10:04:05Z", &t));
	cr_assert(!time_parse_rfc3339("2026-11-23T10:04:05", &t));
}

Test(time, rfc5322_english_names)
{
	setenv("TZ", "UTC", 1);
	tzset();
	char out[48];
	time_format_rfc5322(1795428245, out, sizeof out);
	cr_assert_str_eq(out, "Mon, 23 Nov 2026 10:04:05 +0000");
}

static int capture_log(void (*fn)(void), char *out, size_t cap)
{
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	log_set_fd(fds[1]);
	fn();
	log_set_fd(2);
	close(fds[1]);
	ssize_t n = read(fds[0], out, cap - 1);
	close(fds[0]);
	out[n > 0 ? n : 0] = '\0';
	return (int)n;
}

static void emit_sample(void)
{
	struct logger lg = {log_pkg("smtpserver"), 17};
	struct error err;
	error_set(&err, ERR_IO, "disk \"full\"");
	log_info(&lg, "connection accepted", LS("remote", "127.0.0.1:53412"), LI("n", -3),
		 LB("tls", true), LE(&err), LS("ehlo", "evil\nl=error m=forged"));
	log_debug(&lg, "not shown at info");
}

Test(log, logfmt_line_with_quoting)
{
	log_set_default_level(LOG_INFO);
	char out[1024];
	capture_log(emit_sample, out, sizeof out);
	cr_assert(strstr(out,
			 "l=info m=\"connection accepted\" pkg=smtpserver cid=17 "
			 "remote=127.0.0.1:53412 n=-3 tls=true err=\"disk \\\"full\\\"\"") == out);
	cr_assert(strstr(out, "ehlo=\"evil\\nl=error m=forged\"\n"));
	cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1, "exactly one line");
}

static void emit_levels(void)
{
	struct logger lg = {log_pkg("imapserver"), 0};
	struct logger other = {log_pkg("queue"), 0};
	log_debug(&lg, "debug shown");
	log_debug(&other, "debug hidden");
	log_trace(&lg, "trace hidden");
}

Test(log, per_package_levels)
{
	log_set_default_level(LOG_INFO);
	log_set_pkg_level("imapserver", LOG_DEBUG);
	char out[1024];
	capture_log(emit_levels, out, sizeof out);
	cr_assert_str_eq(out, "l=debug m=\"debug shown\" pkg=imapserver\n");
	log_clear_pkg_level("imapserver");
	struct logger lg = {log_pkg("imapserver"), 0};
	cr_assert(!log_enabled(&lg, LOG_DEBUG));
	log_set_default_level(LOG_TRACE);
	cr_assert(log_enabled(&lg, LOG_TRACE));
	cr_assert(!log_enabled(&lg, LOG_TRACEAUTH));
	enum log_level l;
	cr_assert(log_level_parse("traceauth", &l));
	cr_assert_eq(l, LOG_TRACEAUTH);
	cr_assert(!log_level_parse("verbose", &l));
}
