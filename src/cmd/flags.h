/*
 * flags: Go-style command-line flags, as mox's command line uses them.
 *
 * Flags start with one or two dashes: -config FILE, -config=FILE, --config FILE;
 * booleans are -name or -name=true/false. Parsing stops at the first non-flag
 * argument or at "--". Unknown flags and missing values are errors with a
 * message suitable for printing before the usage text.
 */
#ifndef TERN_CMD_FLAGS_H
#define TERN_CMD_FLAGS_H

#include "base/error.h"

#include <stdbool.h>
#include <stdint.h>

enum flag_type { FLAG_BOOL, FLAG_STRING, FLAG_INT };

struct flag {
	const char *name;
	enum flag_type type;
	void *value; /* bool *, const char **, int64_t * */
	const char *help;
};

struct flagset {
	struct flag flags[32];
	int n;
};

void flags_bool(struct flagset *fs, const char *name, bool *value, const char *help);
void flags_string(struct flagset *fs, const char *name, const char **value, const char *help);
void flags_int(struct flagset *fs, const char *name, int64_t *value, const char *help);

/* Parses flags from argv[0..argc); returns the index of the first remaining argument or -1. */
int flags_parse(struct flagset *fs, int argc, char **argv, struct error *err);

/* Prints "  -name value\n    \thelp" lines like Go's flag package. */
void flags_print(const struct flagset *fs, void *file);

#endif
