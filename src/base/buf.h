/*
 * buf: a growable byte buffer that is always NUL-terminated.
 *
 * Protocol code builds replies and lines with buf instead of fixed char arrays,
 * so nothing can be written past an end. Growth aborts only on out of memory;
 * callers that handle untrusted input bound the size themselves (buf_len)
 * before appending more, with their own limit and their own error reply.
 */
#ifndef TERN_BASE_BUF_H
#define TERN_BASE_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data; /* NULL until the first append; then always NUL-terminated */
	size_t len;
	size_t cap;
};

#define BUF_INIT                                                                                   \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

void buf_init(struct buf *b);
void buf_free(struct buf *b);
/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);
/* Ensures room for extra more bytes (plus the NUL). */
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Removes the first n bytes (n > len removes all). */
void buf_consume(struct buf *b, size_t n);
/* Shortens to n bytes (no-op when n >= len). */
void buf_truncate(struct buf *b, size_t n);
/* Returns the contents as a C string, "" when empty. */
const char *buf_cstr(const struct buf *b);
/* Hands the heap string to the caller (never NULL) and resets b. */
char *buf_steal(struct buf *b);

#endif
