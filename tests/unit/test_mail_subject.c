/* RFC 5256 2.1 base subjects, lower-cased as mox keeps them. */
#include "mail/envelope.h"

#include <criterion/criterion.h>

static void base(const char *in, const char *want)
{
	struct arena a;
	arena_init(&a, 0);
	cr_expect_str_eq(mail_subject_base(&a, in), want, "base of \"%s\"", in);
	arena_free(&a);
}

Test(mail_subject, rfc5256)
{
	base("Hello", "hello");
	base("Re: Hello", "hello");
	base("RE: re: Re:Hello", "hello");
	base("Fwd: Hello", "hello");
	base("FW: Hello", "hello");
	base("Re[2]: Hello", "hello");
	base("[list] Re: Hello", "hello");
	base("Re: [list] Re: Hello", "hello");
	base("Hello (fwd)", "hello");
	base("Hello (fwd) (FWD)  ", "hello");
	base("[Fwd: Re: Hello]", "hello");
	base("[Fwd: [list] Hello (fwd)]", "hello");
	base("  Hello \t  world  ", "hello world");
	/* A blob alone stays: removing it would leave nothing. */
	base("[list]", "[list]");
	base("Re: [list]", "[list]");
	base("", "");
	base("Réponse: ÉTÉ", "réponse: été");
	base("re:", "");
}
