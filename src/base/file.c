#include "base/file.h"

#include "base/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool fd_write_all(int fd, const void *p, size_t n, struct error *err)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return error_errno(err, errno, "write");
		}
		c += w;
		n -= (size_t)w;
	}
	return true;
}

char *path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

char *path_join(const char *a, const char *b)
{
	if (b[0] == '/' || a[0] == '\0')
		return xstrdup(b);
	size_t la = strlen(a);
	if (a[la - 1] == '/')
		return xasprintf("%s%s", a, b);
	return xasprintf("%s/%s", a, b);
}

bool fsync_dir(const char *dir, struct error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return error_errno(err, errno, "open directory %s", dir);
	bool ok = true;
	if (fsync(fd) < 0)
		ok = error_errno(err, errno, "fsync directory %s", dir);
	close(fd);
	return ok;
}

bool fsync_parent_dir(const char *path, struct error *err)
{
	char *dir = path_dirname(path);
	bool ok = fsync_dir(dir, err);
	free(dir);
	return ok;
}

bool file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		       struct error *err)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		error_errno(err, errno, "create %s", tmp);
		free(tmp);
		return false;
	}
	bool ok = fd_write_all(fd, data, len, err);
	if (ok && fchmod(fd, mode) < 0)
		ok = error_errno(err, errno, "chmod %s", tmp);
	if (ok && fsync(fd) < 0)
		ok = error_errno(err, errno, "fsync %s", tmp);
	if (close(fd) < 0 && ok)
		ok = error_errno(err, errno, "close %s", tmp);
	if (ok && rename(tmp, path) < 0)
		ok = error_errno(err, errno, "rename %s to %s", tmp, path);
	if (!ok)
		unlink(tmp);
	else
		ok = fsync_parent_dir(path, err);
	if (!ok)
		error_prefix(err, "writing %s", path);
	free(tmp);
	return ok;
}

bool file_read_all(const char *path, size_t max, struct buf *out, struct error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_errno(err, errno, "open %s", path);
	size_t start = out->len;
	char chunk[16384];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			error_errno(err, errno, "read %s", path);
			close(fd);
			return false;
		}
		if (n == 0)
			break;
		if (out->len - start + (size_t)n > max) {
			close(fd);
			buf_truncate(out, start);
			return error_set(err, ERR_LIMIT, "%s: larger than %zu bytes", path, max);
		}
		buf_append(out, chunk, (size_t)n);
	}
	close(fd);
	if (!out->data)
		buf_reserve(out, 0);
	return true;
}

bool mkdir_p(const char *path, mode_t mode, struct error *err)
{
	char *p = xstrdup(path);
	bool ok = true;
	for (char *s = p + 1; ok; s++) {
		bool end = *s == '\0';
		if (*s != '/' && !end)
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0) {
			struct stat st;
			if (errno != EEXIST)
				ok = error_errno(err, errno, "mkdir %s", p);
			else if (stat(p, &st) == 0 && !S_ISDIR(st.st_mode))
				ok = error_set(err, ERR_EXISTS, "%s exists and is not a directory",
					       p);
		}
		if (end)
			break;
		*s = '/';
	}
	free(p);
	return ok;
}

bool file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}
