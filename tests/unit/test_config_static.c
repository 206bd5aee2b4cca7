#include "base/arena.h"
#include "base/buf.h"
#include "base/file.h"
#include "config/static.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define DATA "tests/data/config/static"

static struct arena a;

static void setup(void)
{
	arena_init(&a, 64 * 1024);
}

static void teardown(void)
{
	arena_free(&a);
}

TestSuite(config_static, .init = setup, .fini = teardown);

static char *read_data(const char *name)
{
	struct buf b = BUF_INIT;
	struct error err;
	char *path = arena_sprintf(&a, "%s/%s", DATA, name);
	cr_assert(file_read_all(path, 1 << 20, &b, &err), "%s", err.msg);
	char *s = arena_strdup(&a, buf_cstr(&b));
	buf_free(&b);
	return s;
}

/* Schema tables against the reference. */

static void list_fields(const struct sch_type *t, const char *prefix, struct buf *out)
{
	for (size_t i = 0; i < t->nfields; i++) {
		const struct sch_field *f = &t->fields[i];
		char *path = arena_sprintf(&a, "%s%s", prefix, f->name);
		buf_printf(out, "%s %s\n", path, f->flags & SCH_OPTIONAL ? "optional" : "required");
		const struct sch_type *ft = f->type;
		if (ft->kind == SCH_PTR)
			ft = ft->elem;
		if (ft->kind == SCH_MAP) {
			buf_printf(out, "%s.* required\n", path);
			path = arena_sprintf(&a, "%s.*", path);
			ft = ft->elem;
		} else if (ft->kind == SCH_LIST) {
			path = arena_sprintf(&a, "%s[]", path);
			ft = ft->elem;
		}
		if (ft->kind == SCH_PTR)
			ft = ft->elem;
		if (ft->kind == SCH_STRUCT)
			list_fields(ft, arena_sprintf(&a, "%s.", path), out);
	}
}

Test(config_static, tables_match_reference_fields_order_and_optionality)
{
	struct buf got = BUF_INIT;
	list_fields(&cfg_static_type, "", &got);
	cr_assert_str_eq(buf_cstr(&got), read_data("reference-fields.txt"));
	buf_free(&got);
}

static void check_docs(const struct sch_type *t)
{
	for (size_t i = 0; i < t->nfields; i++) {
		const struct sch_field *f = &t->fields[i];
		cr_assert(f->doc && f->doc[0], "%s.%s has no documentation", t->name, f->name);
		const struct sch_type *ft = f->type;
		while (ft->kind == SCH_PTR || ft->kind == SCH_MAP || ft->kind == SCH_LIST)
			ft = ft->elem;
		if (ft->kind == SCH_STRUCT)
			check_docs(ft);
	}
}

Test(config_static, every_field_documented)
{
	check_docs(&cfg_static_type);
}

Test(config_static, describe_binds_back)
{
	struct buf out = BUF_INIT;
	sch_describe(&cfg_static_type, &out);
	const char *d = buf_cstr(&out);
	struct cfg_static s;
	memset(&s, 0, sizeof s);
	struct error err;
	cr_assert(sch_load(d, out.len, "describe", &cfg_static_type, &s, &a, NULL, &err), "%s\n%s",
		  err.msg, d);
	cr_assert_eq(s.listeners.n, 1);
	cr_assert_not_null(s.listeners.v[0].tls);
	cr_assert_eq(s.listeners.v[0].tls->keycerts.n, 1);
	cr_assert_not_null(s.listeners.v[0].smtp.first_time_sender_delay);
	cr_assert_eq(s.transports.n, 1);
	cr_assert_not_null(s.transports.v[0].fail);
	cr_assert_not_null(s.host_tlsrpt);
	cr_assert(strstr(d,
			 "\n\t\t\t# Lowest TLS version accepted: TLSv1.2 (the default) or TLSv1.3. "
			 "(optional)\n"),
		  "%s", d);
	buf_free(&out);
}
