#include "smtp/localserve.h"

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
