#include "base/arena.h"
#include "base/buf.h"
#include "config/dynamic.h"

#include <criterion/criterion.h>
#include <string.h>

static struct arena a;

static void setup(void)
{
	arena_init(&a, 64 * 1024);
}

static void teardown(void)
{
	arena_free(&a);
}

TestSuite(dynamic, .init = setup, .fini = teardown);

/* Every field is documented, and the template is a file that binds. */
Test(dynamic, describe_is_complete_and_binds_back)
{
	struct buf out = BUF_INIT;
	sch_describe(&cfg_dynamic_type, &out);
	const char *text = buf_cstr(&out);
	struct cfg_dynamic d;
	memset(&d, 0, sizeof d);
	struct error err;
	cr_assert(sch_load(text, out.len, "describe.conf", &cfg_dynamic_type, &d, &a, NULL, &err),
		  "%s", err.msg);
	cr_assert_eq(d.domains.n, 1);
	cr_assert_eq(d.accounts.n, 1);
	cr_assert_not_null(d.domains.v[0].dmarc);
	cr_assert_not_null(d.accounts.v[0].junk_filter);
	cr_assert_eq(d.web_handlers.n, 1);
	cr_assert_not_null(d.web_handlers.v[0].web_internal);
	/* Each field line comes right after its documentation (map keys "x" have none). */
	const char *prev = NULL;
	size_t nfields = 0;
	for (const char *line = text; *line;) {
		const char *eol = strchr(line, '\n');
		const char *k = line;
		while (*k == '\t')
			k++;
		bool field = *k != '#' && *k != '-' && k != eol && strncmp(k, "x:", 2) != 0;
		if (field) {
			nfields++;
			const char *c = prev;
			while (c && *c == '\t')
				c++;
			cr_assert(c && *c == '#', "undocumented field: %.*s", (int)(eol - line),
				  line);
		}
		prev = line;
		line = eol + 1;
	}
	cr_assert_eq(nfields, 135, "fields in the template: %zu", nfields);
	buf_free(&out);
}
