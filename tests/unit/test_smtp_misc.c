#include "smtp/localserve.h"
#include "smtp/sendlimit.h"

#include <criterion/criterion.h>

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

Test(smtp_sendlimit, window_slides)
{
	struct smtp_sendlimits *l = smtp_sendlimits_new();
	const char *a[] = {"a@x"}, *b[] = {"b@x"}, *c[] = {"c@x", "d@x"};
	int64_t t0 = 1000000;
	cr_assert_eq(smtp_sendlimits_take(l, "acc", 2, 2, a, 1, t0), SMTP_SENDLIMIT_OK);
	cr_assert_eq(smtp_sendlimits_take(l, "acc", 2, 2, a, 1, t0 + 1), SMTP_SENDLIMIT_OK);
	cr_assert_eq(smtp_sendlimits_take(l, "acc", 2, 2, a, 1, t0 + 2), SMTP_SENDLIMIT_MESSAGES);
	/* Another account has its own window. */
	cr_assert_eq(smtp_sendlimits_take(l, "other", 2, 2, b, 1, t0 + 2), SMTP_SENDLIMIT_OK);
	/* A day later the first message left the window. */
	int64_t later = t0 + SMTP_SENDLIMIT_WINDOW + 1;
	cr_assert_eq(smtp_sendlimits_take(l, "acc", 2, 2, b, 1, later), SMTP_SENDLIMIT_OK);
	/* a left the window with its message; b is in it, so c and d would make three. */
	cr_assert_eq(smtp_sendlimits_take(l, "acc", 10, 2, c, 2, later), SMTP_SENDLIMIT_RECIPIENTS);
	/* Known recipients are never first-time again; no limit means none. */
	cr_assert_eq(smtp_sendlimits_take(l, "acc", 10, 2, a, 1, later), SMTP_SENDLIMIT_OK);
	cr_assert_eq(smtp_sendlimits_take(l, "acc", 0, 0, c, 2, later), SMTP_SENDLIMIT_OK);
	smtp_sendlimits_free(l);
}
