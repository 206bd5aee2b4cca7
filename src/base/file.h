/*
 * file: durable file operations.
 *
 * file_write_atomic replaces a file so that after a crash either the old or the
 * new contents are present, never a mix: it writes a temporary file in the same
 * directory, fsyncs it, renames it over the target and fsyncs the directory.
 * Reads are bounded by a caller-given maximum.
 */
#ifndef TERN_BASE_FILE_H
#define TERN_BASE_FILE_H

#include "base/buf.h"
#include "base/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

bool file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		       struct error *err);
/* Reads a whole file into out (appending); fails with ERR_LIMIT beyond max bytes. */
bool file_read_all(const char *path, size_t max, struct buf *out, struct error *err);
/* Writes all of n bytes to fd, retrying on EINTR and short writes. */
bool fd_write_all(int fd, const void *p, size_t n, struct error *err);
bool fsync_dir(const char *dir, struct error *err);
/* fsyncs the directory that contains path. */
bool fsync_parent_dir(const char *path, struct error *err);
/* Creates dir and missing parents with mode; existing directories are fine. */
bool mkdir_p(const char *path, mode_t mode, struct error *err);
bool file_exists(const char *path);

/* Returns a new string "a/b" (b as is when absolute or a is empty). */
char *path_join(const char *a, const char *b);
/* Returns a new string with the directory part of path ("." when none). */
char *path_dirname(const char *path);

#endif
