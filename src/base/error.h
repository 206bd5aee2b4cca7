/*
 * error: errors as values.
 *
 * A function that can fail takes a `struct error *err` as its last argument and
 * returns false (or NULL) on failure after filling in err. The message is for
 * humans (logs, command output, protocol replies where appropriate); the kind
 * lets callers decide what to do without parsing text. Messages are bounded:
 * longer text is cut, never overflowing. err may be NULL when a caller does not
 * care about the reason.
 */
#ifndef TERN_BASE_ERROR_H
#define TERN_BASE_ERROR_H

#include <stdbool.h>

enum error_kind {
	ERR_NONE = 0,
	ERR_INVALID,     /* bad input: syntax, value out of range */
	ERR_NOTFOUND,    /* something named does not exist */
	ERR_EXISTS,      /* something to be created already exists */
	ERR_IO,          /* operating system or disk error */
	ERR_TEMPORARY,   /* try again later: resource limits, remote unavailable */
	ERR_LIMIT,       /* a configured or built-in bound was exceeded */
	ERR_PERMISSION,  /* not allowed */
	ERR_TIMEOUT,     /* a deadline passed */
	ERR_CLOSED,      /* the peer went away */
	ERR_SHUTDOWN,    /* the server is shutting down; say goodbye and end */
	ERR_REFUSED,     /* a connection was refused: nothing listens at that address */
	ERR_UNREACHABLE, /* no route to a network or host */
	ERR_INTERNAL,    /* a bug or an impossible state */
};

#define ERROR_MSG_MAX 512

struct error {
	enum error_kind kind;
	char msg[ERROR_MSG_MAX];
};

/* Sets err (if not NULL) and returns false, so callers can `return error_set(...)`. */
bool error_set(struct error *err, enum error_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like error_set, appending ": strerror(errnum)". */
bool error_errno(struct error *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends context: "context: previous message". Keeps the kind. Returns false. */
bool error_prefix(struct error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void error_clear(struct error *err);
const char *error_kind_name(enum error_kind kind);

#endif
