#include "cmd/flags.h"

#include "base/str.h"

#include <stdio.h>
#include <string.h>

static void add(struct flagset *fs, const char *name, enum flag_type type, void *value,
		const char *help)
{
	if (fs->n >= (int)(sizeof fs->flags / sizeof fs->flags[0]))
		return;
	fs->flags[fs->n++] = (struct flag){name, type, value, help};
}

void flags_bool(struct flagset *fs, const char *name, bool *value, const char *help)
{
	add(fs, name, FLAG_BOOL, value, help);
}

void flags_string(struct flagset *fs, const char *name, const char **value, const char *help)
{
	add(fs, name, FLAG_STRING, value, help);
}

void flags_int(struct flagset *fs, const char *name, int64_t *value, const char *help)
{
	add(fs, name, FLAG_INT, value, help);
}

static struct flag *lookup(struct flagset *fs, struct str name)
{
	for (int i = 0; i < fs->n; i++)
		if (str_eq_cstr(name, fs->flags[i].name))
			return &fs->flags[i];
	return NULL;
}

static bool set_value(struct flag *f, const char *v, struct error *err)
{
	switch (f->type) {
	case FLAG_BOOL:
		if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
			*(bool *)f->value = true;
		else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
			*(bool *)f->value = false;
		else
			return error_set(err, ERR_INVALID, "invalid boolean value \"%s\" for -%s",
					 v, f->name);
		return true;
	case FLAG_STRING: *(const char **)f->value = v; return true;
	case FLAG_INT:
		if (!str_parse_i64(str_from(v), INT64_MIN, INT64_MAX, (int64_t *)f->value))
			return error_set(err, ERR_INVALID, "invalid number \"%s\" for -%s", v,
					 f->name);
		return true;
	}
	return false;
}

int flags_parse(struct flagset *fs, int argc, char **argv, struct error *err)
{
	int i = 0;
	while (i < argc) {
		const char *a = argv[i];
		if (a[0] != '-' || a[1] == '\0')
			break;
		i++;
		if (strcmp(a, "--") == 0)
			break;
		a += a[1] == '-' ? 2 : 1;
		struct str name, value;
		bool has_value = str_cut(str_from(a), '=', &name, &value);
		struct flag *f = lookup(fs, name);
		if (!f) {
			error_set(err, ERR_INVALID, "flag provided but not defined: -%.*s",
				  (int)name.len, name.p);
			return -1;
		}
		if (has_value) {
			if (!set_value(f, value.p, err))
				return -1;
		} else if (f->type == FLAG_BOOL) {
			*(bool *)f->value = true;
		} else if (i < argc) {
			if (!set_value(f, argv[i++], err))
				return -1;
		} else {
			error_set(err, ERR_INVALID, "flag needs an argument: -%s", f->name);
			return -1;
		}
	}
	return i;
}

void flags_print(const struct flagset *fs, void *file)
{
	FILE *out = file;
	for (int i = 0; i < fs->n; i++) {
		const struct flag *f = &fs->flags[i];
		const char *arg = f->type == FLAG_STRING ? " string"
				  : f->type == FLAG_INT  ? " int"
							 : "";
		fprintf(out, "  -%s%s\n    \t%s\n", f->name, arg, f->help);
	}
}
