/*
 * schema: typed configuration, described once as data and used four ways.
 *
 * A config model is a set of C structs plus a table per struct listing its
 * fields (name as in the file, offset, type, optional or required, and a
 * documentation text). From those tables this module
 *   - binds a parsed sconf tree (config/sconf.h) into the structs, checking
 *     types, unknown fields, duplicates and missing required fields, with
 *     "file:line: message" errors;
 *   - describes the model as an annotated template (`tern config describe-*`);
 *   - writes a model back as sconf text (command line edits of domains.conf);
 *   - walks the fields that are set (`tern config test` lists configured
 *     fields of features that tern does not act on yet).
 *
 * C representation of each kind:
 *   SCH_STRING    const char *     never NULL after binding: "" when absent
 *   SCH_BOOL      bool
 *   SCH_INT       int64_t
 *   SCH_FLOAT     double
 *   SCH_DURATION  int64_t          nanoseconds, written in Go syntax ("72h")
 *   SCH_STRUCT    the struct       embedded; all fields zero when absent
 *   SCH_PTR       T *              NULL when absent (presence matters)
 *   SCH_LIST      SCH_LIST_OF(T)   {T *v; size_t n;}
 *   SCH_MAP       SCH_MAP_OF(T)    {const char **keys; T *v; size_t n;} in file order
 *
 * As in mox's format, a map value "nil" stands for the zero value, and a
 * required field must be present in the file (it may be empty). Everything a
 * model holds is allocated in the arena passed to sch_bind, so a config is
 * freed as one piece. Binding is bounded by the tree it is given (see sconf.h).
 */
#ifndef TERN_CONFIG_SCHEMA_H
#define TERN_CONFIG_SCHEMA_H

#include "base/arena.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/mem.h"
#include "config/sconf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sch_kind {
	SCH_STRING,
	SCH_BOOL,
	SCH_INT,
	SCH_FLOAT,
	SCH_DURATION,
	SCH_STRUCT,
	SCH_PTR,
	SCH_LIST,
	SCH_MAP,
};

#define SCH_OPTIONAL 1u

struct sch_field;

struct sch_type {
	enum sch_kind kind;
	const char *name; /* struct types: name in messages ("Listener") */
	size_t size;      /* size of a C value of this type */
	const struct sch_field *fields;
	size_t nfields;
	const struct sch_type *elem; /* SCH_PTR, SCH_LIST, SCH_MAP */
};

struct sch_field {
	const char *name; /* as written in the file */
	size_t offset;
	const struct sch_type *type;
	unsigned flags; /* SCH_OPTIONAL */
	const char *doc;
};

#define SCH_LIST_OF(T)                                                                             \
	struct {                                                                                   \
		T *v;                                                                              \
		size_t n;                                                                          \
	}
#define SCH_MAP_OF(T)                                                                              \
	struct {                                                                                   \
		const char **keys;                                                                 \
		T *v;                                                                              \
		size_t n;                                                                          \
	}

/* The untyped views of the above, used by the generic code. */
struct sch_list {
	void *v;
	size_t n;
};
struct sch_map {
	const char **keys;
	void *v;
	size_t n;
};

extern const struct sch_type sch_string, sch_bool, sch_int, sch_float, sch_duration;
/* Lists and maps of strings, common enough to share. */
extern const struct sch_type sch_string_list, sch_string_map;

/* Defines `const struct sch_type VAR` for struct CTYPE with the field array FIELDS. */
#define SCH_STRUCT_TYPE(var, ctype, name_, fields_)                                                \
	const struct sch_type var = {SCH_STRUCT,         name_, sizeof(ctype), fields_,            \
				     ARRAY_LEN(fields_), NULL}
#define SCH_PTR_TYPE(var, elem_)                                                                   \
	const struct sch_type var = {SCH_PTR, NULL, sizeof(void *), NULL, 0, &(elem_)}
#define SCH_LIST_TYPE(var, elem_)                                                                  \
	const struct sch_type var = {SCH_LIST, NULL, sizeof(struct sch_list), NULL, 0, &(elem_)}
#define SCH_MAP_TYPE(var, elem_)                                                                   \
	const struct sch_type var = {SCH_MAP, NULL, sizeof(struct sch_map), NULL, 0, &(elem_)}

/* One field entry: SCH_FIELD(struct cfg_listener, ips, "IPs", sch_string_list, 0, "doc"). */
#define SCH_FIELD(ctype, member, name_, type_, flags_, doc_)                                       \
	{                                                                                          \
		(name_), offsetof(ctype, member), &(type_), (flags_), (doc_)                       \
	}

/*
 * Where each bound value came from: the line of every field, list element and
 * map entry, looked up by the address of the bound C value. Validation that
 * runs after binding uses it to report "file:line: message" too. A struct and
 * its first field share an address; the struct's line is the one recorded.
 */
struct sch_lines;
struct sch_lines *sch_lines_new(struct arena *a);
/* The line the value at addr was bound from, or 0 when unknown (e.g. added by a command). */
int sch_lines_get(const struct sch_lines *l, const void *addr);

/*
 * Binds the entries of node's block (for the root of a file: the top level) to
 * out, a zeroed value of struct type t. file names the source in errors.
 * lines (may be NULL) receives the line of every bound value.
 */
bool sch_bind(const struct sconf_node *node, const struct sch_type *t, void *out, struct arena *a,
	      const char *file, struct sch_lines *lines, struct error *err);

/* Parses text and binds it: sconf_parse followed by sch_bind. */
bool sch_load(const char *text, size_t len, const char *file, const struct sch_type *t, void *out,
	      struct arena *a, struct sch_lines *lines, struct error *err);

/*
 * Appends an annotated template of struct type t: every field with its
 * documentation, "(optional)" where it may be left out, and a zero example
 * value. The template parses and binds back without error.
 */
void sch_describe(const struct sch_type *t, struct buf *out);

/*
 * Appends v (of struct type t) as sconf text. Optional fields with zero values
 * are left out. Fails (ERR_INVALID) for values the format cannot express: a
 * newline in a string, a colon in a map key, a required list or map that is empty.
 */
bool sch_write(const struct sch_type *t, const void *v, struct buf *out, struct error *err);

/* True when v (of type t) is the zero value: "", false, 0, NULL, empty list or map, all-zero
 * struct. */
bool sch_is_zero(const struct sch_type *t, const void *v);

/*
 * Calls fn for every field of v (struct type t) whose value is not zero,
 * depth first. path is the field's location ("Listeners.public.SMTP.Enabled",
 * list elements as "KeyCerts[0]"); pattern is the same with each map key
 * replaced by "*" and each list index by "[]" ("Listeners.*.SMTP.Enabled").
 */
typedef void (*sch_walk_fn)(void *arg, const char *path, const char *pattern,
			    const struct sch_field *f);
void sch_walk_set(const struct sch_type *t, const void *v, sch_walk_fn fn, void *arg);

/* Looks up a field of struct type t by file name, or NULL. */
const struct sch_field *sch_field_find(const struct sch_type *t, const char *name);

/* Map and list editing (for commands that change the config), allocating in a. */
/* Index of key in m, or -1. */
ptrdiff_t sch_map_index(const struct sch_map *m, const char *key);
/* Appends key with a zeroed value of elem_size bytes and returns the value. */
void *sch_map_add(struct sch_map *m, size_t elem_size, const char *key, struct arena *a);
/* Removes entry i, keeping the order of the others. */
void sch_map_remove(struct sch_map *m, size_t elem_size, size_t i);
/* Appends a zeroed element and returns it. */
void *sch_list_add(struct sch_list *l, size_t elem_size, struct arena *a);
void sch_list_remove(struct sch_list *l, size_t elem_size, size_t i);

#endif
