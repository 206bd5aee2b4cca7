/*
 * RFC 5322 address lists: the examples of RFC 5322 appendix A, obsolete
 * syntax (A.6), groups, comments, quoted local parts, UTF-8 (RFC 6532), and
 * broken input; formatting parses back to the same list.
 */
#include "mail/addrlist.h"
#include "mail/header.h"
#include "mail/imapfmt.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* Writes a list compactly: mailbox "name|route|lp|domain", group "g:name{",
 * group end "}", separated by " ; ". */
static char *describe(const struct mail_addrlist *l)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < l->n; i++) {
		const struct mail_address *m = &l->v[i];
		if (i)
			buf_puts(&b, " ; ");
		if (m->kind == MAIL_ADDR_GROUP_START)
			buf_printf(&b, "g:%s{", m->name);
		else if (m->kind == MAIL_ADDR_GROUP_END)
			buf_puts(&b, "}");
		else
			buf_printf(&b, "%s|%s|%s|%s", m->name, m->route, m->localpart, m->domain);
	}
	return buf_steal(&b);
}

static void check(const char *in, const char *want, bool clean)
{
	struct arena a;
	arena_init(&a, 0);
	struct mail_addrlist l;
	bool ok = mail_addrlist_parse(&a, str_from(in), &l);
	char *got = describe(&l);
	cr_expect_str_eq(got, want, "parse %s", in);
	cr_expect_eq(ok, clean, "clean %s", in);
	/* Formatting gives text that parses to the same list. */
	struct buf f = BUF_INIT;
	mail_addrlist_format(&l, &f);
	struct mail_addrlist again;
	mail_addrlist_parse(&a, str_make(f.data ? f.data : "", f.len), &again);
	char *got2 = describe(&again);
	cr_expect_str_eq(got2, got, "round trip of %s via %s", in, buf_cstr(&f));
	free(got2);
	free(got);
	buf_free(&f);
	arena_free(&a);
}

Test(mail_addr, rfc5322_appendix_a)
{
	/* A.1.1 */
	check("John Doe <jdoe@machine.example>", "John Doe||jdoe|machine.example", true);
	check("Mary Smith <mary@example.net>", "Mary Smith||mary|example.net", true);
	/* A.1.2 */
	check("\"Joe Q. Public\" <john.q.public@example.com>",
	      "Joe Q. Public||john.q.public|example.com", true);
	check("Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
	      "Mary Smith||mary|x.test ; ||jdoe|example.org ; Who?||one|y.test", true);
	check("<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>",
	      "||boss|nil.test ; Giant; \"Big\" Box||sysservices|example.net", true);
	/* A.1.3 */
	check("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",
	      "g:A Group{ ; Ed Jones||c|a.test ; ||joe|where.test ; John||jdoe|one.test ; }", true);
	check("Undisclosed recipients:;", "g:Undisclosed recipients{ ; }", true);
	/* A.5: comments and white space. */
	check("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
	      "Pete||pete|silly.test", true);
	check("A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)public.example>,\r\n"
	      "         joe@example.org,\r\n  John <jdoe@one.test> (my dear friend); (the end of "
	      "the group)",
	      "g:A Group{ ; Chris Jones||c|public.example ; ||joe|example.org ; "
	      "John||jdoe|one.test ; }",
	      true);
	check("(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;",
	      "g:Hidden recipients{ ; }", true);
}

Test(mail_addr, obsolete_syntax)
{
	/* A.6.1: obsolete route and phrase with a dot. */
	check("Joe Q. Public <john.q.public@example.com>",
	      "Joe Q. Public||john.q.public|example.com", true);
	check("Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example",
	      "Mary Smith|@node.test|mary|example.net ; ||jdoe|test.example", true);
	check("<@route1,@route2:user@example.com>", "|@route1,@route2|user|example.com", true);
	/* Obsolete local part of words with CFWS. */
	check("\"john\" . \"doe\" @ example . com", "||john.doe|example.com", true);
	/* A.6.3: folding white space everywhere. */
	check("John Doe\r\n <jdoe@machine(comment).  example>", "John Doe||jdoe|machine.example",
	      true);
}

Test(mail_addr, quoting_and_comments)
{
	check("\"quoted local\"@example.com", "||quoted local|example.com", true);
	check("\"a\\\"b\"@example.com", "||a\"b|example.com", true);
	check("jdoe@example.org (John Doe)", "John Doe||jdoe|example.org", true);
	check("\"Doe, John\" <john@example.com>", "Doe, John||john|example.com", true);
	check("=?utf-8?q?Bj=C3=B6rn?= <bjorn@example.com>",
	      "=?utf-8?q?Bj=C3=B6rn?=||bjorn|example.com", true);
	check("user@[192.0.2.1]", "||user|[192.0.2.1]", true);
	check("<>", "|||", true);
}

Test(mail_addr, utf8)
{
	check("Jörg <jörg@bücher.example>", "Jörg||jörg|bücher.example", true);
	check("テスト <test@example.jp>", "テスト||test|example.jp", true);
	check("\"Müller, Hans\" <hans@example.de>", "Müller, Hans||hans|example.de", true);
}

Test(mail_addr, broken)
{
	check("broken", "||broken|", false);
	check("a@b c@d, e@f", "||a|b ; ||e|f", false);
	check("John <john@example.com", "John||john|example.com", false);
	check("Group: a@b.example", "g:Group{ ; ||a|b.example ; }", false);
	check("\"unterminated <x@y>", "||unterminated <x@y>|", false);
	check(",,,", "", true);
	check("John Doe@example.com", "||John|example.com", false);
	check("", "", true);
	check("a@b.example, ;junk; , c@d.example", "||a|b.example ; ||c|d.example", false);
	check("x@[unterminated", "||x|[unterminated]", true);
}

Test(mail_addr, bounded)
{
	/* More elements than MAIL_ADDRESSES_MAX: cut, groups stay balanced. */
	struct buf in = BUF_INIT;
	buf_puts(&in, "g:");
	for (int i = 0; i < 3000; i++)
		buf_printf(&in, "a%d@x.example,", i);
	buf_puts(&in, ";");
	struct arena a;
	arena_init(&a, 0);
	struct mail_addrlist l;
	cr_expect(!mail_addrlist_parse(&a, str_make(in.data, in.len), &l));
	cr_expect_eq(l.n, MAIL_ADDRESSES_MAX);
	cr_expect_eq(l.v[0].kind, MAIL_ADDR_GROUP_START);
	cr_expect_eq(l.v[l.n - 1].kind, MAIL_ADDR_GROUP_END);
	arena_free(&a);
	buf_free(&in);
}

Test(mail_addr, imap_address_structures)
{
	struct arena a;
	arena_init(&a, 0);
	struct mail_envelope env = {0};
	mail_addrlist_parse(&a,
			    str_from("A Group:Ed Jones <c@a.test>;, \"Joe Q. Public\" "
				     "<@r.test:john@example.com>"),
			    &env.to);
	mail_addrlist_parse(&a, str_from("Jörg <jörg@example.com>, Ann <ann@bücher.example>"),
			    &env.cc);
	struct buf b = BUF_INIT;
	mail_imap_envelope(&env, false, &b);
	/* RFC 9051 7.5.2: group start (NIL host, name as mailbox), group end (all
	 * NIL), route as addr-adl. Without UTF-8: A-label domain, and a group for
	 * the address that has no ASCII form. */
	cr_expect_str_eq(
	    buf_cstr(&b),
	    "(NIL NIL NIL NIL NIL ((NIL NIL \"A Group\" NIL)(\"Ed Jones\" NIL \"c\" "
	    "\"a.test\")(NIL NIL NIL NIL)(\"Joe Q. Public\" \"@r.test\" \"john\" "
	    "\"example.com\")) ((NIL NIL \"=?utf-8?b?SsO2cmcgPGrDtnJnQGV4YW1wbGUuY29tPg==?=\" "
	    "NIL)(NIL NIL NIL NIL)(\"Ann\" NIL \"ann\" \"xn--bcher-kva.example\")) NIL NIL "
	    "NIL)");
	buf_free(&b);
	arena_free(&a);
}
