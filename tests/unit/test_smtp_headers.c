#include "smtp/headers.h"
#include "smtp/localserve.h"

#include <criterion/criterion.h>
#include <string.h>

Test(smtp_headers, fields_and_folding)
{
	const char *msg = "From: A <a@example.org>\r\nSubject: one\r\n two\r\nX-Empty:\r\n"
			  "Bad line\r\n\r\nbody";
	struct smtp_header v[SMTP_HEADERS_MAX];
	struct smtp_headers h = {v, 0, false, 0};
	smtp_headers_parse(msg, strlen(msg), &h);
	cr_assert_eq(h.n, 3);
	cr_assert(!h.complete); /* "Bad line" ended it before the empty line */
	const struct smtp_header *s = smtp_headers_get(&h, "subject");
	cr_assert(s);
	struct buf b = BUF_INIT;
	smtp_header_unfold(s->value, &b);
	cr_assert_str_eq(buf_cstr(&b), "one two");
	buf_free(&b);

	const char *ok = "A: 1\r\n\r\nbody";
	smtp_headers_parse(ok, strlen(ok), &h);
	cr_assert(h.complete);
	cr_assert_eq(h.end, 8);
	smtp_headers_parse("", 0, &h);
	cr_assert_eq(h.n, 0);
}

static void from_ok(const char *v, const char *want)
{
	struct address a;
	struct error err = {0};
	cr_assert(smtp_header_address(str_from(v), &a, &err), "%s: %s", v, err.msg);
	struct buf b = BUF_INIT;
	address_format(&b, &a, true);
	cr_assert_str_eq(buf_cstr(&b), want);
	buf_free(&b);
}

Test(smtp_headers, from_address)
{
	from_ok(" a@example.org", "a@example.org");
	from_ok(" \"Last, First\" <a@Example.org>", "a@example.org");
	from_ok(" Name (comment) <a@example.org> (more)", "a@example.org");
	from_ok(" (c) a@example.org", "a@example.org");
	struct address a;
	struct error err;
	cr_assert(!smtp_header_address(str_from(" a@example.org, b@example.org"), &a, &err));
	cr_assert(!smtp_header_address(str_from(" group: a@example.org;"), &a, &err));
	cr_assert(!smtp_header_address(str_from(" <a@example.org"), &a, &err));
	cr_assert(!smtp_header_address(str_from(""), &a, &err));
}

Test(smtp_localserve, codes)
{
	bool t;
	cr_assert_eq(smtp_localserve_code("x-temperror", &t), 451);
	cr_assert_eq(smtp_localserve_code("permerror", &t), 550);
	cr_assert_eq(smtp_localserve_code("a552", &t), 552);
	cr_assert_eq(smtp_localserve_code("a352", &t), 0);
	cr_assert_eq(smtp_localserve_code("mjl", &t), 0);
	cr_assert_eq(smtp_localserve_code("rcpttotimeout", &t), 0);
	cr_assert(t);
}
