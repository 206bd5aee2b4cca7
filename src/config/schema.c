#include "config/schema.h"

#include "base/str.h"
#include "base/timeutil.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct sch_type sch_string = {SCH_STRING, "string", sizeof(const char *), NULL, 0, NULL};
const struct sch_type sch_bool = {SCH_BOOL, "bool", sizeof(bool), NULL, 0, NULL};
const struct sch_type sch_int = {SCH_INT, "int", sizeof(int64_t), NULL, 0, NULL};
const struct sch_type sch_float = {SCH_FLOAT, "float", sizeof(double), NULL, 0, NULL};
const struct sch_type sch_duration = {SCH_DURATION, "duration", sizeof(int64_t), NULL, 0, NULL};
SCH_LIST_TYPE(sch_string_list, sch_string);
SCH_MAP_TYPE(sch_string_map, sch_string);

struct binder {
	struct arena *a;
	const char *file;
	struct sch_lines *lines;
	struct error *err;
};

/* Open addressing on the value's address; grows at half full. */
struct sch_lines {
	struct arena *a;
	const void **keys;
	int *lines;
	size_t cap, n;
};

struct sch_lines *sch_lines_new(struct arena *a)
{
	struct sch_lines *l = arena_zalloc(a, sizeof *l);
	l->a = a;
	return l;
}

static size_t slot_of(const void *addr, size_t cap)
{
	uint64_t h = (uint64_t)(uintptr_t)addr * UINT64_C(0x9e3779b97f4a7c15);
	return (size_t)(h >> 17) & (cap - 1);
}

static void lines_put(struct sch_lines *l, const void *addr, int line);

static void lines_grow(struct sch_lines *l)
{
	const void **keys = l->keys;
	int *lines = l->lines;
	size_t cap = l->cap;
	l->cap = cap ? cap * 2 : 256;
	l->keys = arena_array(l->a, l->cap, sizeof *l->keys);
	l->lines = arena_array(l->a, l->cap, sizeof *l->lines);
	l->n = 0;
	for (size_t i = 0; i < cap; i++)
		if (keys[i])
			lines_put(l, keys[i], lines[i]);
}

static void lines_put(struct sch_lines *l, const void *addr, int line)
{
	if (!l)
		return;
	if ((l->n + 1) * 2 > l->cap)
		lines_grow(l);
	size_t i = slot_of(addr, l->cap);
	while (l->keys[i] && l->keys[i] != addr)
		i = (i + 1) & (l->cap - 1);
	/* A struct and its first field share an address: the outer value (put first) keeps it. */
	if (l->keys[i])
		return;
	l->n++;
	l->keys[i] = addr;
	l->lines[i] = line;
}

int sch_lines_get(const struct sch_lines *l, const void *addr)
{
	if (!l || l->cap == 0)
		return 0;
	size_t i = slot_of(addr, l->cap);
	while (l->keys[i]) {
		if (l->keys[i] == addr)
			return l->lines[i];
		i = (i + 1) & (l->cap - 1);
	}
	return 0;
}

static bool bind_value(struct binder *b, const struct sconf_node *n, const char *what,
		       const struct sch_type *t, void *dst);

static bool fail(struct binder *b, const struct sconf_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(struct binder *b, const struct sconf_node *n, const char *fmt, ...)
{
	char msg[ERROR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* The root has no line of its own: problems with the file as a whole name just the file. */
	if (n->line <= 0)
		return error_set(b->err, ERR_INVALID, "%s: %s", b->file, msg);
	return error_set(b->err, ERR_INVALID, "%s:%d: %s", b->file, n->line, msg);
}

static void *at(void *base, size_t offset)
{
	return (char *)base + offset;
}

static const void *cat(const void *base, size_t offset)
{
	return (const char *)base + offset;
}

const struct sch_field *sch_field_find(const struct sch_type *t, const char *name)
{
	for (size_t i = 0; i < t->nfields; i++)
		if (strcmp(t->fields[i].name, name) == 0)
			return &t->fields[i];
	return NULL;
}

/* A scalar must sit on its line; an indented block under it is a mistake. */
static bool want_scalar(struct binder *b, const struct sconf_node *n, const char *what)
{
	if (n->child)
		return fail(b, n, "%s: expected a value on the line, not an indented block", what);
	return true;
}

static bool want_block(struct binder *b, const struct sconf_node *n, const char *what, bool items)
{
	if (n->value[0] != '\0')
		return fail(b, n, "%s: expected an indented block on the next lines, not a value",
			    what);
	if (!n->child)
		return fail(b, n, "%s: expected an indented block of %s on the next lines", what,
			    items ? "list items (\"- value\")" : "fields (\"Key: value\")");
	if (n->items != items)
		return fail(b, n, "%s: expected %s", what,
			    items ? "list items (\"- value\"), not keys"
				  : "keys (\"Key: value\"), not list items");
	return true;
}

static bool bind_bool(struct binder *b, const struct sconf_node *n, const char *what, bool *dst)
{
	if (strcmp(n->value, "true") == 0)
		*dst = true;
	else if (strcmp(n->value, "false") == 0)
		*dst = false;
	else
		return fail(b, n, "%s: invalid boolean \"%s\" (use true or false)", what, n->value);
	return true;
}

static bool bind_int(struct binder *b, const struct sconf_node *n, const char *what, int64_t *dst)
{
	struct str s = str_from(n->value);
	if (str_has_prefix(s, "+"))
		s = str_sub(s, 1, s.len);
	if (!str_parse_i64(s, INT64_MIN, INT64_MAX, dst))
		return fail(b, n, "%s: invalid integer \"%s\"", what, n->value);
	return true;
}

static bool bind_float(struct binder *b, const struct sconf_node *n, const char *what, double *dst)
{
	char *end;
	errno = 0;
	double d = strtod(n->value, &end);
	if (n->value[0] == '\0' || *end != '\0' || errno == ERANGE || !isfinite(d) ||
	    n->value[0] == ' ')
		return fail(b, n, "%s: invalid number \"%s\"", what, n->value);
	*dst = d;
	return true;
}

static bool bind_duration(struct binder *b, const struct sconf_node *n, const char *what,
			  int64_t *dst)
{
	struct error derr;
	if (!duration_parse(str_from(n->value), dst, &derr))
		return fail(b, n, "%s: %s", what, derr.msg);
	return true;
}

static bool bind_struct(struct binder *b, const struct sconf_node *n, const struct sch_type *t,
			void *dst)
{
	/* Which fields were seen, for duplicates and required fields. */
	bool *seen = arena_zalloc(b->a, t->nfields ? t->nfields : 1);
	for (const struct sconf_node *c = n->child; c; c = c->next) {
		const struct sch_field *f = sch_field_find(t, c->key);
		if (!f) {
			struct str k = str_from(c->key);
			const char *hint =
			    str_trim(k).len != k.len ? " (stray whitespace in key?)" : "";
			return fail(b, c, "unknown field \"%s\" in %s%s", c->key, t->name, hint);
		}
		size_t i = (size_t)(f - t->fields);
		if (seen[i])
			return fail(b, c, "duplicate field \"%s\" in %s", c->key, t->name);
		seen[i] = true;
		if (!bind_value(b, c, f->name, f->type, at(dst, f->offset)))
			return false;
	}
	for (size_t i = 0; i < t->nfields; i++)
		if (!seen[i] && !(t->fields[i].flags & SCH_OPTIONAL))
			return fail(b, n, "missing required field \"%s\" in %s", t->fields[i].name,
				    t->name);
	return true;
}

static bool bind_list(struct binder *b, const struct sconf_node *n, const char *what,
		      const struct sch_type *t, struct sch_list *dst)
{
	size_t esize = t->elem->size;
	dst->v = arena_array(b->a, n->nchildren, esize);
	dst->n = 0;
	for (const struct sconf_node *c = n->child; c; c = c->next) {
		if (!bind_value(b, c, what, t->elem, at(dst->v, dst->n * esize)))
			return false;
		dst->n++;
	}
	return true;
}

static int cmp_node_key(const void *a, const void *b)
{
	const struct sconf_node *x = *(const struct sconf_node *const *)a;
	const struct sconf_node *y = *(const struct sconf_node *const *)b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Sorting finds duplicates in n log n: maps such as Accounts can be large. */
static bool check_duplicate_keys(struct binder *b, const struct sconf_node *n, const char *what)
{
	const struct sconf_node **v = arena_array(b->a, n->nchildren, sizeof *v);
	size_t k = 0;
	for (const struct sconf_node *c = n->child; c; c = c->next)
		v[k++] = c;
	qsort(v, k, sizeof *v, cmp_node_key);
	for (size_t i = 1; i < k; i++)
		if (strcmp(v[i - 1]->key, v[i]->key) == 0)
			return fail(b, v[i], "%s: duplicate key \"%s\"", what, v[i]->key);
	return true;
}

static bool bind_map(struct binder *b, const struct sconf_node *n, const char *what,
		     const struct sch_type *t, struct sch_map *dst)
{
	if (!check_duplicate_keys(b, n, what))
		return false;
	size_t esize = t->elem->size;
	dst->keys = arena_array(b->a, n->nchildren, sizeof *dst->keys);
	dst->v = arena_array(b->a, n->nchildren, esize);
	dst->n = 0;
	for (const struct sconf_node *c = n->child; c; c = c->next) {
		dst->keys[dst->n] = c->key;
		void *v = at(dst->v, dst->n * esize);
		dst->n++;
		/* "nil" is the zero value, as in mox's format. Its line is still
		 * recorded: checks report problems with such entries ("addr: nil" in
		 * Destinations) at the key's line. */
		if (strcmp(c->value, "nil") == 0 && !c->child) {
			lines_put(b->lines, v, c->line);
			continue;
		}
		if (!bind_value(b, c, c->key, t->elem, v))
			return false;
	}
	return true;
}

static bool bind_value(struct binder *b, const struct sconf_node *n, const char *what,
		       const struct sch_type *t, void *dst)
{
	lines_put(b->lines, dst, n->line);
	switch (t->kind) {
	case SCH_STRING:
		if (!want_scalar(b, n, what))
			return false;
		*(const char **)dst = n->value;
		return true;
	case SCH_BOOL: return want_scalar(b, n, what) && bind_bool(b, n, what, dst);
	case SCH_INT: return want_scalar(b, n, what) && bind_int(b, n, what, dst);
	case SCH_FLOAT: return want_scalar(b, n, what) && bind_float(b, n, what, dst);
	case SCH_DURATION: return want_scalar(b, n, what) && bind_duration(b, n, what, dst);
	case SCH_STRUCT: return want_block(b, n, what, false) && bind_struct(b, n, t, dst);
	case SCH_PTR: {
		void *v = arena_zalloc(b->a, t->elem->size);
		if (!bind_value(b, n, what, t->elem, v))
			return false;
		*(void **)dst = v;
		return true;
	}
	case SCH_LIST: return want_block(b, n, what, true) && bind_list(b, n, what, t, dst);
	case SCH_MAP: return want_block(b, n, what, false) && bind_map(b, n, what, t, dst);
	}
	return fail(b, n, "%s: unsupported type", what);
}

/* Replaces absent strings (NULL) by "" everywhere, so users of a model never see NULL. */
static void fill_strings(const struct sch_type *t, void *v)
{
	switch (t->kind) {
	case SCH_STRING:
		if (!*(const char **)v)
			*(const char **)v = "";
		return;
	case SCH_STRUCT:
		for (size_t i = 0; i < t->nfields; i++)
			fill_strings(t->fields[i].type, at(v, t->fields[i].offset));
		return;
	case SCH_PTR:
		if (*(void **)v)
			fill_strings(t->elem, *(void **)v);
		return;
	case SCH_LIST: {
		struct sch_list *l = v;
		for (size_t i = 0; i < l->n; i++)
			fill_strings(t->elem, at(l->v, i * t->elem->size));
		return;
	}
	case SCH_MAP: {
		struct sch_map *m = v;
		for (size_t i = 0; i < m->n; i++)
			fill_strings(t->elem, at(m->v, i * t->elem->size));
		return;
	}
	default: return;
	}
}

bool sch_bind(const struct sconf_node *node, const struct sch_type *t, void *out, struct arena *a,
	      const char *file, struct sch_lines *lines, struct error *err)
{
	struct binder b = {a, file, lines, err};
	/* Nested blocks are checked by want_block; the top level has no key to check it at. */
	if (node->items)
		return fail(&b, node->child,
			    "expected fields (\"Key: value\") at the top level, not list items");
	if (!bind_struct(&b, node, t, out))
		return false;
	fill_strings(t, out);
	return true;
}

bool sch_load(const char *text, size_t len, const char *file, const struct sch_type *t, void *out,
	      struct arena *a, struct sch_lines *lines, struct error *err)
{
	struct sconf_node *root = sconf_parse(text, len, file, a, err);
	return root && sch_bind(root, t, out, a, file, lines, err);
}

bool sch_is_zero(const struct sch_type *t, const void *v)
{
	switch (t->kind) {
	case SCH_STRING: {
		const char *s = *(const char *const *)v;
		return !s || !s[0];
	}
	case SCH_BOOL: return !*(const bool *)v;
	case SCH_INT:
	case SCH_DURATION: return *(const int64_t *)v == 0;
	case SCH_FLOAT: return *(const double *)v == 0;
	case SCH_STRUCT:
		for (size_t i = 0; i < t->nfields; i++)
			if (!sch_is_zero(t->fields[i].type, cat(v, t->fields[i].offset)))
				return false;
		return true;
	case SCH_PTR: return *(void *const *)v == NULL;
	case SCH_LIST: return ((const struct sch_list *)v)->n == 0;
	case SCH_MAP: return ((const struct sch_map *)v)->n == 0;
	}
	return true;
}

struct walker {
	sch_walk_fn fn;
	void *arg;
	struct buf path, pattern;
};

static void walk_value(struct walker *w, const struct sch_type *t, const void *v,
		       const struct sch_field *f);

static void walk_struct(struct walker *w, const struct sch_type *t, const void *v)
{
	for (size_t i = 0; i < t->nfields; i++) {
		const struct sch_field *f = &t->fields[i];
		const void *fv = cat(v, f->offset);
		if (sch_is_zero(f->type, fv))
			continue;
		size_t plen = w->path.len, tlen = w->pattern.len;
		buf_printf(&w->path, "%s%s", plen ? "." : "", f->name);
		buf_printf(&w->pattern, "%s%s", tlen ? "." : "", f->name);
		w->fn(w->arg, buf_cstr(&w->path), buf_cstr(&w->pattern), f);
		walk_value(w, f->type, fv, f);
		buf_truncate(&w->path, plen);
		buf_truncate(&w->pattern, tlen);
	}
}

static void walk_value(struct walker *w, const struct sch_type *t, const void *v,
		       const struct sch_field *f)
{
	size_t plen = w->path.len, tlen = w->pattern.len;
	switch (t->kind) {
	case SCH_STRUCT: walk_struct(w, t, v); return;
	case SCH_PTR:
		if (*(void *const *)v)
			walk_value(w, t->elem, *(void *const *)v, f);
		return;
	case SCH_LIST: {
		const struct sch_list *l = v;
		for (size_t i = 0; i < l->n; i++) {
			buf_printf(&w->path, "[%zu]", i);
			buf_puts(&w->pattern, "[]");
			walk_value(w, t->elem, cat(l->v, i * t->elem->size), f);
			buf_truncate(&w->path, plen);
			buf_truncate(&w->pattern, tlen);
		}
		return;
	}
	case SCH_MAP: {
		const struct sch_map *m = v;
		for (size_t i = 0; i < m->n; i++) {
			buf_printf(&w->path, ".%s", m->keys[i]);
			buf_puts(&w->pattern, ".*");
			walk_value(w, t->elem, cat(m->v, i * t->elem->size), f);
			buf_truncate(&w->path, plen);
			buf_truncate(&w->pattern, tlen);
		}
		return;
	}
	default: return;
	}
}

void sch_walk_set(const struct sch_type *t, const void *v, sch_walk_fn fn, void *arg)
{
	struct walker w = {fn, arg, BUF_INIT, BUF_INIT};
	walk_struct(&w, t, v);
	buf_free(&w.path);
	buf_free(&w.pattern);
}

ptrdiff_t sch_map_index(const struct sch_map *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->keys[i], key) == 0)
			return (ptrdiff_t)i;
	return -1;
}

void *sch_map_add(struct sch_map *m, size_t elem_size, const char *key, struct arena *a)
{
	const char **keys = arena_array(a, m->n + 1, sizeof *keys);
	char *v = arena_array(a, m->n + 1, elem_size);
	if (m->n) {
		memcpy(keys, m->keys, m->n * sizeof *keys);
		memcpy(v, m->v, m->n * elem_size);
	}
	keys[m->n] = arena_strdup(a, key);
	memset(v + m->n * elem_size, 0, elem_size);
	m->keys = keys;
	m->v = v;
	return v + m->n++ * elem_size;
}

void sch_map_remove(struct sch_map *m, size_t elem_size, size_t i)
{
	if (i >= m->n)
		return;
	char *v = m->v;
	memmove(&m->keys[i], &m->keys[i + 1], (m->n - i - 1) * sizeof *m->keys);
	memmove(v + i * elem_size, v + (i + 1) * elem_size, (m->n - i - 1) * elem_size);
	m->n--;
}

void *sch_list_add(struct sch_list *l, size_t elem_size, struct arena *a)
{
	char *v = arena_array(a, l->n + 1, elem_size);
	if (l->n)
		memcpy(v, l->v, l->n * elem_size);
	memset(v + l->n * elem_size, 0, elem_size);
	l->v = v;
	return v + l->n++ * elem_size;
}

void sch_list_remove(struct sch_list *l, size_t elem_size, size_t i)
{
	if (i >= l->n)
		return;
	char *v = l->v;
	memmove(v + i * elem_size, v + (i + 1) * elem_size, (l->n - i - 1) * elem_size);
	l->n--;
}
