/*
 * mem: allocation that never returns NULL.
 *
 * Out of memory is not a condition tern can serve through; these wrappers
 * log to stderr and abort instead of handing a NULL to callers that would
 * each need their own check. Sizes are checked for multiplication overflow.
 */
#ifndef TERN_BASE_MEM_H
#define TERN_BASE_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* Grows an array of count elements of size to newcount, zeroing nothing. */
void *xreallocarray(void *p, size_t newcount, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a newly allocated printf-formatted string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Frees *pp and sets it to NULL. */
#define xfree(pp)                                                                                  \
	do {                                                                                       \
		free(*(pp));                                                                       \
		*(pp) = NULL;                                                                      \
	} while (0)

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
