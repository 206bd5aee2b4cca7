/*
 * check: shared machinery for validating a bound config model.
 *
 * Binding (config/schema.h) checks types and structure; the model's own check
 * functions (config/static_check.c, config/dynamic_check.c) then check meaning
 * as mox does: hostnames, addresses, durations in range, files that exist,
 * references between entries. A struct cfg_check carries what every check
 * needs, and cfg_fail formats the error with the file and, when known, the
 * line the offending value came from: "domains.conf:12: account mjl: ...".
 *
 * Validation stops at the first error, like mox's config loading.
 */
#ifndef TERN_CONFIG_CHECK_H
#define TERN_CONFIG_CHECK_H

#include "base/arena.h"
#include "base/error.h"
#include "config/schema.h"

#include <stdbool.h>

struct cfg_check {
	const char *file;              /* path for messages, as given by the user */
	const char *config_dir;        /* directory of the config file: base for relative paths */
	const struct sch_lines *lines; /* from sch_bind; may be NULL */
	struct arena *a;               /* the model's arena, for derived values */
	struct error *err;
};

/*
 * Sets err to "file:line: message" where line is that of the value at `at`
 * (any address inside the bound model: a field, a list element, a map
 * value), or "file: message" when unknown. Returns false.
 */
bool cfg_fail(struct cfg_check *c, const void *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A path from the config: returned as is when absolute, else joined to config_dir (arena). */
const char *cfg_path(struct cfg_check *c, const char *path);

#endif
