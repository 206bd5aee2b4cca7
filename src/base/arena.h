/*
 * arena: region allocation for per-connection and per-command memory.
 *
 * Allocations are bump-pointer allocations from chunks; nothing is freed one by
 * one. A connection owns an arena for its lifetime, and marks/rewinds it around
 * each command, so a command's temporary strings vanish when the command ends
 * and no error path has to remember what to free. Large allocations get a chunk
 * of their own. An arena is not thread-safe; each thread uses its own.
 */
#ifndef TERN_BASE_ARENA_H
#define TERN_BASE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head; /* newest chunk first */
	size_t chunk_size;        /* default size of new chunks */
	size_t total;             /* bytes handed out since init (for limits and tests) */
};

/* A saved position; arena_rewind frees everything allocated after it. */
struct arena_mark {
	struct arena_chunk *chunk;
	size_t used;
	size_t total;
};

void arena_init(struct arena *a, size_t chunk_size);
void arena_free(struct arena *a);

/* Returns memory aligned for any type. Never NULL. */
void *arena_alloc(struct arena *a, size_t n);
void *arena_zalloc(struct arena *a, size_t n);
void *arena_array(struct arena *a, size_t count, size_t size);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* Copies n bytes and appends a NUL. */
char *arena_memdup0(struct arena *a, const void *p, size_t n);
char *arena_sprintf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vsprintf(struct arena *a, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

struct arena_mark arena_mark(const struct arena *a);
void arena_rewind(struct arena *a, struct arena_mark m);

#endif
