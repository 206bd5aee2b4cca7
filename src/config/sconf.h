/*
 * sconf: the syntax of mox's configuration files, parsed into a tree.
 *
 * The format (see mox's documentation of sconf): one entry per line, nesting
 * by leading tabs (a run of four spaces at the start of a line counts as one
 * tab), "#" at the start of a line (after indentation) makes a comment line,
 * empty lines are ignored.
 *
 *   Key: value        a key with a scalar value (everything after ": ")
 *   Key:              a key whose value is the indented block that follows
 *   - value           a list item with a scalar value
 *   -                 a list item whose value is the indented block that follows
 *
 * Keys end at the first colon, so keys cannot contain one. Values are never
 * quoted or escaped and never span lines. Whether a scalar is a string, number
 * or duration, and whether a block is a struct, a map or a list, is decided by
 * the schema (config/schema.h), not here: this layer only checks the shape.
 *
 * The tree lives in the caller's arena. Every node records its line number so
 * later checks can report "file:line: message". Input is bounded: line length,
 * nesting depth and node count have limits below; exceeding them is an error,
 * never a crash.
 */
#ifndef TERN_CONFIG_SCONF_H
#define TERN_CONFIG_SCONF_H

#include "base/arena.h"
#include "base/error.h"

#include <stdbool.h>
#include <stddef.h>

#define SCONF_MAX_LINE  (64 * 1024)
#define SCONF_MAX_DEPTH 32
#define SCONF_MAX_NODES 1000000
#define SCONF_MAX_FILE  (64 * 1024 * 1024)

struct sconf_node {
	const char *key;          /* key of a "Key:" line; NULL for a list item */
	const char *value;        /* text after ": " or "- "; "" when none */
	int line;                 /* 1-based line number; 0 for the root */
	struct sconf_node *child; /* first entry of the indented block, or NULL */
	struct sconf_node *next;  /* next entry at the same level */
	size_t nchildren;
	bool items; /* the block under this node consists of list items */
};

/*
 * Parses text (len bytes, need not be NUL-terminated) and returns the root, a
 * node without key whose children are the top-level entries. file is used in
 * error messages ("file:line: message"), which come with kind ERR_INVALID.
 */
struct sconf_node *sconf_parse(const char *text, size_t len, const char *file, struct arena *a,
			       struct error *err);

#endif
