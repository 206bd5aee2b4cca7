/*
 * log: structured logging in logfmt, one line per event.
 *
 *   l=info m="connection accepted" pkg=smtpserver cid=17 remote=127.0.0.1:53412
 *
 * Levels, from least to most verbose: error, info, debug, trace, traceauth,
 * tracedata. trace logs protocol transcripts with secrets masked; traceauth adds
 * authentication data; tracedata adds whole messages. Each package ("smtpserver",
 * "imapserver", ...) has an effective level: its own if set, the default level
 * otherwise. Levels can change at any time from any thread (tern loglevels);
 * checking whether a level is enabled is one atomic load.
 *
 * Usage:
 *   static struct log_pkg *pkg;   (from log_pkg("smtpserver"), once)
 *   struct logger lg = {pkg, cid};
 *   log_info(&lg, "connection accepted", LS("remote", addr), LI("n", 3));
 *
 * Values are quoted and escaped as logfmt requires, so client-supplied text can
 * never forge a second line or field. Each line is written with one write(2).
 */
#ifndef TERN_BASE_LOG_H
#define TERN_BASE_LOG_H

#include "base/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level {
	LOG_ERROR = 0,
	LOG_INFO,
	LOG_DEBUG,
	LOG_TRACE,
	LOG_TRACEAUTH,
	LOG_TRACEDATA,
};
#define LOG_LEVEL_COUNT 6

struct log_pkg;

struct logger {
	struct log_pkg *pkg;
	uint64_t cid; /* connection id, 0 when not tied to a connection */
};

enum log_kv_type { LOG_KV_NONE, LOG_KV_STR, LOG_KV_INT, LOG_KV_UINT, LOG_KV_BOOL, LOG_KV_ERR };

struct log_kv {
	const char *key;
	enum log_kv_type type;
	union {
		const char *s;
		int64_t i;
		uint64_t u;
		bool b;
		const struct error *err;
	} v;
};

#define LS(k, val) ((struct log_kv){.key = (k), .type = LOG_KV_STR, .v.s = (val)})
#define LI(k, val) ((struct log_kv){.key = (k), .type = LOG_KV_INT, .v.i = (int64_t)(val)})
#define LU(k, val) ((struct log_kv){.key = (k), .type = LOG_KV_UINT, .v.u = (uint64_t)(val)})
#define LB(k, val) ((struct log_kv){.key = (k), .type = LOG_KV_BOOL, .v.b = (val)})
#define LE(val)    ((struct log_kv){.key = "err", .type = LOG_KV_ERR, .v.err = (val)})

/* Returns the package's handle, registering it on first use. Thread-safe. */
struct log_pkg *log_pkg(const char *name);
const char *log_pkg_name(const struct log_pkg *pkg);

bool log_enabled(const struct logger *lg, enum log_level level);
/* Writes one line; kv[0] is ignored (it lets the macros below accept no pairs). */
void log_emit(const struct logger *lg, enum log_level level, const char *msg, size_t nkv,
	      const struct log_kv *kv);

#define LOG_AT(lg, level, msg, ...)                                                                \
	do {                                                                                       \
		if (log_enabled((lg), (level))) {                                                  \
			const struct log_kv kv_[] = {{0}, __VA_ARGS__};                            \
			log_emit((lg), (level), (msg), sizeof kv_ / sizeof kv_[0], kv_);           \
		}                                                                                  \
	} while (0)

#define log_error(lg, msg, ...) LOG_AT(lg, LOG_ERROR, msg, __VA_ARGS__)
#define log_info(lg, msg, ...)  LOG_AT(lg, LOG_INFO, msg, __VA_ARGS__)
#define log_debug(lg, msg, ...) LOG_AT(lg, LOG_DEBUG, msg, __VA_ARGS__)
#define log_trace(lg, msg, ...) LOG_AT(lg, LOG_TRACE, msg, __VA_ARGS__)

/* Level names as in the config: "error", "info", "debug", "trace", "traceauth", "tracedata". */
const char *log_level_name(enum log_level level);
bool log_level_parse(const char *name, enum log_level *out);

/* Sets the default level for packages without their own level. */
void log_set_default_level(enum log_level level);
enum log_level log_default_level(void);
/* Sets (or with clear, removes) a package's own level. */
void log_set_pkg_level(const char *pkg, enum log_level level);
void log_clear_pkg_level(const char *pkg);
/* Removes every package's own level. */
void log_clear_pkg_levels(void);

/* Iterates over packages that have their own level; returns the count visited. */
size_t log_pkg_levels(void (*fn)(void *arg, const char *pkg, enum log_level level), void *arg);

/* Output goes to fd 2 by default. */
void log_set_fd(int fd);

/* Appends a logfmt-quoted value to dst (quoting only when needed). */
struct buf;
void log_quote(struct buf *dst, const char *s);

#endif
