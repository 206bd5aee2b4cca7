/*
 * Producing sconf text from schemas: templates (sch_describe) and values
 * (sch_write). Both follow the shapes that config/sconf.c parses: a struct or
 * map value is an indented block under its key, a list item's block is
 * indented one level below its "-".
 */
#include "config/schema.h"

#include "base/str.h"
#include "base/timeutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Width of documentation text in templates, not counting indentation. */
#define DOC_WIDTH 80

static void indent(struct buf *out, int depth)
{
	for (int i = 0; i < depth; i++)
		buf_putc(out, '\t');
}

static void start_entry(struct buf *out, const char *key, int depth)
{
	indent(out, depth);
	if (key) {
		buf_puts(out, key);
		buf_putc(out, ':');
	} else {
		buf_putc(out, '-');
	}
}

/* Writes doc as "# " comment lines wrapped at DOC_WIDTH, with "(optional)" appended when so. */
static void describe_doc(struct buf *out, const char *doc, bool optional, int depth)
{
	struct buf text = BUF_INIT;
	buf_puts(&text, doc ? doc : "");
	if (optional)
		buf_printf(&text, "%s(optional)", text.len ? " " : "");
	const char *p = buf_cstr(&text);
	while (*p) {
		size_t n = strlen(p);
		if (n > DOC_WIDTH) {
			/* Break at the last space within the width, else at the first after it. */
			n = DOC_WIDTH;
			while (n > 0 && p[n] != ' ')
				n--;
			if (n == 0)
				n = strcspn(p, " ");
		}
		indent(out, depth);
		buf_printf(out, "# %.*s\n", (int)n, p);
		p += n;
		while (*p == ' ')
			p++;
	}
	buf_free(&text);
}

static void describe_value(struct buf *out, const char *key, const struct sch_type *t, int depth);

static void describe_struct(struct buf *out, const struct sch_type *t, int depth)
{
	for (size_t i = 0; i < t->nfields; i++) {
		const struct sch_field *f = &t->fields[i];
		buf_putc(out, '\n');
		describe_doc(out, f->doc, f->flags & SCH_OPTIONAL, depth);
		describe_value(out, f->name, f->type, depth);
	}
}

/* One entry (key, or "-" when key is NULL) with an example value of type t. */
static void describe_value(struct buf *out, const char *key, const struct sch_type *t, int depth)
{
	if (t->kind == SCH_PTR) {
		describe_value(out, key, t->elem, depth);
		return;
	}
	start_entry(out, key, depth);
	switch (t->kind) {
	case SCH_STRING: buf_putc(out, '\n'); return;
	case SCH_BOOL: buf_puts(out, " false\n"); return;
	case SCH_INT: buf_puts(out, " 0\n"); return;
	case SCH_FLOAT: buf_puts(out, " 0.0\n"); return;
	case SCH_DURATION: buf_puts(out, " 0s\n"); return;
	case SCH_STRUCT:
		buf_putc(out, '\n');
		describe_struct(out, t, depth + 1);
		return;
	case SCH_LIST:
		buf_putc(out, '\n');
		describe_value(out, NULL, t->elem, depth + 1);
		return;
	case SCH_MAP:
		buf_putc(out, '\n');
		describe_value(out, "x", t->elem, depth + 1);
		return;
	case SCH_PTR: return;
	}
}

void sch_describe(const struct sch_type *t, struct buf *out)
{
	describe_struct(out, t, 0);
}

/* Writing values. */

struct writer {
	struct buf *out;
	struct error *err;
	struct buf path; /* where we are, for error messages */
};

static bool write_value(struct writer *w, const char *key, const struct sch_type *t, const void *v,
			int depth);

static const void *field_ptr(const void *base, size_t offset)
{
	return (const char *)base + offset;
}

static bool bad(struct writer *w, const char *what)
{
	return error_set(w->err, ERR_INVALID, "cannot write %s: %s", buf_cstr(&w->path), what);
}

/* A string value must survive the trip through a line-based format unchanged. */
static bool string_writable(const char *s)
{
	size_t n = strlen(s);
	return !strchr(s, '\n') && !(n > 0 && s[n - 1] == '\r');
}

/* A map key must parse back as the same key. */
static bool key_writable(const char *k)
{
	return k[0] && k[0] != ' ' && k[0] != '\t' && k[0] != '#' && !strchr(k, ':') &&
	       !strchr(k, '\n') && !strchr(k, '\r') && !(k[0] == '-' && (!k[1] || k[1] == ' '));
}

static void write_float(struct buf *out, double d)
{
	char tmp[64];
	/* The shortest form that reads back as the same double. */
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	buf_printf(out, " %s\n", tmp);
}

static bool write_scalar(struct writer *w, const struct sch_type *t, const void *v)
{
	struct buf *out = w->out;
	switch (t->kind) {
	case SCH_STRING: {
		const char *s = *(const char *const *)v;
		if (!s || !s[0]) {
			buf_putc(out, '\n');
			return true;
		}
		if (!string_writable(s))
			return bad(w, "value contains a line break");
		buf_printf(out, " %s\n", s);
		return true;
	}
	case SCH_BOOL: buf_puts(out, *(const bool *)v ? " true\n" : " false\n"); return true;
	case SCH_INT: buf_printf(out, " %" PRId64 "\n", *(const int64_t *)v); return true;
	case SCH_FLOAT: write_float(out, *(const double *)v); return true;
	case SCH_DURATION: {
		char d[64];
		duration_format(*(const int64_t *)v, d, sizeof d);
		buf_printf(out, " %s\n", d);
		return true;
	}
	default: return bad(w, "not a scalar");
	}
}

static bool is_scalar(const struct sch_type *t)
{
	return t->kind != SCH_STRUCT && t->kind != SCH_PTR && t->kind != SCH_LIST &&
	       t->kind != SCH_MAP;
}

static bool write_field(struct writer *w, const struct sch_field *f, const void *v, int depth)
{
	size_t plen = w->path.len;
	buf_printf(&w->path, "%s%s", plen ? "." : "", f->name);
	bool ok = write_value(w, f->name, f->type, field_ptr(v, f->offset), depth);
	buf_truncate(&w->path, plen);
	return ok;
}

/* need_line: the struct sits under a key, so it must produce at least one line to parse back. */
static bool write_struct(struct writer *w, const struct sch_type *t, const void *v, int depth,
			 bool need_line)
{
	size_t written = 0;
	for (size_t i = 0; i < t->nfields; i++) {
		const struct sch_field *f = &t->fields[i];
		if ((f->flags & SCH_OPTIONAL) && sch_is_zero(f->type, field_ptr(v, f->offset)))
			continue;
		if (!write_field(w, f, v, depth))
			return false;
		written++;
	}
	if (written > 0 || !need_line)
		return true;
	/* All fields are empty and optional: write the first scalar one, as zero. */
	for (size_t i = 0; i < t->nfields; i++)
		if (is_scalar(t->fields[i].type))
			return write_field(w, &t->fields[i], v, depth);
	/* Or else the first embedded struct, which writes a line of its own the same way. */
	for (size_t i = 0; i < t->nfields; i++)
		if (t->fields[i].type->kind == SCH_STRUCT)
			return write_field(w, &t->fields[i], v, depth);
	return bad(w, "an empty value of this kind cannot be written");
}

static bool write_list(struct writer *w, const struct sch_type *t, const struct sch_list *l,
		       int depth)
{
	if (l->n == 0)
		return bad(w, "required list is empty");
	buf_putc(w->out, '\n');
	for (size_t i = 0; i < l->n; i++) {
		size_t plen = w->path.len;
		buf_printf(&w->path, "[%zu]", i);
		bool ok =
		    write_value(w, NULL, t->elem, field_ptr(l->v, i * t->elem->size), depth + 1);
		buf_truncate(&w->path, plen);
		if (!ok)
			return false;
	}
	return true;
}

static bool write_map(struct writer *w, const struct sch_type *t, const struct sch_map *m,
		      int depth)
{
	if (m->n == 0)
		return bad(w, "required map is empty");
	buf_putc(w->out, '\n');
	enum sch_kind ek = t->elem->kind;
	bool block_elem = ek == SCH_STRUCT || ek == SCH_PTR || ek == SCH_LIST || ek == SCH_MAP;
	for (size_t i = 0; i < m->n; i++) {
		const char *k = m->keys[i];
		const void *ev = field_ptr(m->v, i * t->elem->size);
		size_t plen = w->path.len;
		buf_printf(&w->path, ".%s", k);
		bool ok = true;
		if (!key_writable(k)) {
			ok = bad(w, "map key cannot be written (colon, line break, or leading "
				    "space, \"#\" or \"- \")");
		} else if (block_elem && sch_is_zero(t->elem, ev)) {
			indent(w->out, depth + 1);
			buf_printf(w->out, "%s: nil\n", k);
		} else if (ek == SCH_STRING && strcmp(*(const char *const *)ev, "nil") == 0) {
			ok = bad(w, "the string value \"nil\" would read back as empty");
		} else {
			ok = write_value(w, k, t->elem, ev, depth + 1);
		}
		buf_truncate(&w->path, plen);
		if (!ok)
			return false;
	}
	return true;
}

static bool write_value(struct writer *w, const char *key, const struct sch_type *t, const void *v,
			int depth)
{
	if (t->kind == SCH_PTR) {
		const void *p = *(const void *const *)v;
		if (!p)
			return bad(w, "required value is missing");
		return write_value(w, key, t->elem, p, depth);
	}
	start_entry(w->out, key, depth);
	switch (t->kind) {
	case SCH_STRUCT: buf_putc(w->out, '\n'); return write_struct(w, t, v, depth + 1, true);
	case SCH_LIST: return write_list(w, t, v, depth);
	case SCH_MAP: return write_map(w, t, v, depth);
	default: return write_scalar(w, t, v);
	}
}

bool sch_write(const struct sch_type *t, const void *v, struct buf *out, struct error *err)
{
	struct writer w = {out, err, BUF_INIT};
	size_t start = out->len;
	bool ok = write_struct(&w, t, v, 0, false);
	buf_free(&w.path);
	if (!ok)
		buf_truncate(out, start);
	return ok;
}
