/*
 * Unit tests of the IMAP command grammar (src/imap/parse.c, grammar*.c):
 * literals (sync, LITERAL+, literal8), strings, every command's arguments,
 * FETCH items, SEARCH keys and return options, LIST-EXTENDED, the
 * QRESYNC select parameters, and the refusals: bad syntax, unknown
 * commands, nesting beyond the bound, NUL in literals.
 */
#include "imap/command.h"
#include "store/mailbox.h"

#include <criterion/criterion.h>
#include <string.h>

static struct arena ar;
static struct imap_cmdtext ct;

static void setup(void)
{
	arena_init(&ar, 4096);
	imap_cmdtext_init(&ct);
}

static void teardown(void)
{
	imap_cmdtext_free(&ct);
	arena_free(&ar);
}

TestSuite(imap_parse, .init = setup, .fini = teardown);

/* Parses wire bytes (one command, CRLF at the end) and returns whether it was accepted. */
static bool parsen(const char *wire, size_t n, struct imap_command *c, struct imap_parser *p)
{
	size_t used = 0;
	cr_assert(imap_cmdtext_from_bytes(wire, n, 1 << 20, &ct, &used), "incomplete: %s", wire);
	cr_assert_eq(used, n, "all bytes used for %s", wire);
	imap_parser_init(p, &ct, &ar);
	return imap_command_parse(p, c);
}

static bool parse(const char *wire, struct imap_command *c, struct imap_parser *p)
{
	return parsen(wire, strlen(wire), c, p);
}

static struct imap_command ok(const char *wire)
{
	struct imap_command c;
	struct imap_parser p;
	bool r = parse(wire, &c, &p);
	cr_assert(r, "%s refused: %s", wire, p.err.msg);
	return c;
}

static struct imap_parser bad(const char *wire)
{
	struct imap_command c;
	struct imap_parser p;
	bool r = parse(wire, &c, &p);
	cr_assert(!r, "%s accepted", wire);
	cr_assert_neq(p.err.msg[0], 0);
	return p;
}

static bool seq_eq(struct str s, const char *want)
{
	return s.len == strlen(want) && memcmp(s.p, want, s.len) == 0;
}

Test(imap_parse, simple_commands)
{
	struct imap_command c = ok("a1 CAPABILITY\r\n");
	cr_assert_eq(c.kind, IMAP_CMD_CAPABILITY);
	cr_assert(seq_eq(c.tag, "a1"));
	cr_assert_eq(ok("X noop\r\n").kind, IMAP_CMD_NOOP);
	cr_assert_eq(ok("X Logout\r\n").kind, IMAP_CMD_LOGOUT);
	cr_assert_eq(ok("X UID EXPUNGE 1:5\r\n").kind, IMAP_CMD_UID_EXPUNGE);
	cr_assert_eq(ok("X EXPUNGE\r\n").kind, IMAP_CMD_EXPUNGE);
	bad("X EXPUNGE 1\r\n");
	bad("X CAPABILITY \r\n");
	bad("X  NOOP\r\n");
	bad("X UID NOOP\r\n");
	bad("+x NOOP\r\n");
	bad("X\r\n");
	struct imap_parser p = bad("X FOO\r\n");
	cr_assert(strstr(p.err.msg, "unknown command"), "%s", p.err.msg);
}

Test(imap_parse, login_strings_and_literals)
{
	struct imap_command c = ok("a LOGIN joe \"se\\\"cr\\\\et\"\r\n");
	cr_assert(seq_eq(c.u.login.user, "joe"));
	cr_assert(seq_eq(c.u.login.password, "se\"cr\\et"));
	c = ok("a LOGIN {3}\r\nj o {4+}\r\np\"w)\r\n");
	cr_assert(seq_eq(c.u.login.user, "j o"));
	cr_assert(seq_eq(c.u.login.password, "p\"w)"));
	c = ok("a LOGIN \"m\xc3\xa9\" {0}\r\n\r\n");
	cr_assert(seq_eq(c.u.login.user, "m\xc3\xa9"));
	cr_assert_eq(c.u.login.password.len, 0);
	bad("a LOGIN \"x\\y\" z\r\n");  /* backslash before other */
	bad("a LOGIN \"x z\r\n");       /* unterminated */
	bad("a LOGIN \"\xff\" z\r\n");  /* not UTF-8 */
	bad("a LOGIN x ~{1}\r\nz\r\n"); /* literal8 outside APPEND */
}

Test(imap_parse, nul_in_literal)
{
	const char wire[] = "a LOGIN x {3}\r\na\0b\r\n";
	size_t used;
	cr_assert(imap_cmdtext_from_bytes(wire, sizeof wire - 1, 1 << 20, &ct, &used));
	struct imap_parser p;
	struct imap_command c;
	imap_parser_init(&p, &ct, &ar);
	cr_assert(!imap_command_parse(&p, &c));
	cr_assert(strstr(p.err.msg, "NUL"), "%s", p.err.msg);
}

Test(imap_parse, literal_announcements)
{
	uint64_t len;
	bool sync, binary, malformed;
	cr_assert(
	    imap_literal_announced(STR_LIT("a LOGIN {12}"), &len, &sync, &binary, &malformed));
	cr_assert(len == 12 && sync && !binary);
	cr_assert(
	    imap_literal_announced(STR_LIT("a APPEND x ~{5+}"), &len, &sync, &binary, &malformed));
	cr_assert(len == 5 && !sync && binary);
	cr_assert(!imap_literal_announced(STR_LIT("a NOOP"), &len, &sync, &binary, &malformed));
	cr_assert(!malformed);
	cr_assert(!imap_literal_announced(STR_LIT("a x {}"), &len, &sync, &binary, &malformed));
	cr_assert(malformed);
	cr_assert(!imap_literal_announced(STR_LIT("a x {99999999999999999999}"), &len, &sync,
					  &binary, &malformed));
	cr_assert(malformed);
	cr_assert(!imap_literal_announced(STR_LIT("a x 5}"), &len, &sync, &binary, &malformed));
	cr_assert(malformed);
}

Test(imap_parse, select_qresync)
{
	struct imap_command c = ok("s SELECT INBOX\r\n");
	cr_assert_eq(c.kind, IMAP_CMD_SELECT);
	cr_assert(seq_eq(c.u.select.mailbox, "INBOX"));
	c = ok("s EXAMINE \"a b\" (CONDSTORE)\r\n");
	cr_assert(c.u.select.condstore);
	c = ok("s SELECT x (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n");
	cr_assert(c.u.select.qresync && c.u.select.uidvalidity == 67890007);
	cr_assert_eq(c.u.select.modseq, 20050715194045000ull);
	cr_assert(c.u.select.has_known_uids && c.u.select.known_uids.n == 3);
	c = ok("s SELECT x (QRESYNC (1 2 1:10 (1,5 1,7)))\r\n");
	cr_assert(c.u.select.has_seq_match && c.u.select.known_seqs.n == 2);
	c = ok("s SELECT x (QRESYNC (1 2 (1 7)) CONDSTORE)\r\n");
	cr_assert(!c.u.select.has_known_uids && c.u.select.has_seq_match && c.u.select.condstore);
	bad("s SELECT x (QRESYNC (0 2))\r\n");
	bad("s SELECT x (QRESYNC (1 2 1:*))\r\n");
	bad("s SELECT x (CONDSTORE CONDSTORE)\r\n");
	bad("s SELECT x (FOO)\r\n");
	bad("s SELECT x ()\r\n");
}

Test(imap_parse, create_use)
{
	struct imap_command c = ok("c CREATE Arch (USE (\\Archive \\Junk))\r\n");
	cr_assert_eq(c.u.create.use, STORE_SPECIALUSE_ARCHIVE | STORE_SPECIALUSE_JUNK);
	c = ok("c CREATE x (USE (\\All))\r\n");
	cr_assert(seq_eq(c.u.create.bad_use, "\\All"));
	bad("c CREATE x (FOO (\\Junk))\r\n");
	bad("c CREATE\r\n");
}

Test(imap_parse, status_and_list)
{
	struct imap_command c =
	    ok("s STATUS blurdybloop (UIDNEXT MESSAGES size Highestmodseq)\r\n");
	cr_assert_eq(c.u.status.items, IMAP_STATUS_UIDNEXT | IMAP_STATUS_MESSAGES |
					   IMAP_STATUS_SIZE | IMAP_STATUS_HIGHESTMODSEQ);
	bad("s STATUS x ()\r\n");
	bad("s STATUS x (BOGUS)\r\n");
	c = ok("l LIST \"\" *\r\n");
	cr_assert(!c.u.list.extended && c.u.list.npatterns == 1);
	c = ok("l LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (% foo/*) RETURN (CHILDREN STATUS "
	       "(MESSAGES UNSEEN) SPECIAL-USE)\r\n");
	cr_assert(c.u.list.extended && c.u.list.npatterns == 2);
	cr_assert_eq(c.u.list.select, IMAP_LIST_SEL_SUBSCRIBED | IMAP_LIST_SEL_RECURSIVEMATCH);
	cr_assert_eq(c.u.list.ret,
		     IMAP_LIST_RET_CHILDREN | IMAP_LIST_RET_STATUS | IMAP_LIST_RET_SPECIALUSE);
	cr_assert_eq(c.u.list.status_items, IMAP_STATUS_MESSAGES | IMAP_STATUS_UNSEEN);
	c = ok("l LIST () \"\" \"\" RETURN ()\r\n");
	cr_assert(c.u.list.extended && c.u.list.patterns[0].len == 0);
	bad("l LIST (RECURSIVEMATCH) \"\" *\r\n");
	bad("l LIST (BOGUS) \"\" *\r\n");
	bad("l LIST \"\" * RETURN (BOGUS)\r\n");
	c = ok("l LSUB \"\" %\r\n");
	cr_assert(c.u.list.lsub);
}

Test(imap_parse, append)
{
	struct imap_command c = ok("a APPEND saved-messages (\\Seen $x) \" 7-Feb-1994 21:52:25 "
				   "-0800\" {5}\r\nhello\r\n");
	cr_assert_eq(c.kind, IMAP_CMD_APPEND);
	struct imap_append_msg *m = &c.u.append.msgs[0];
	cr_assert_eq(m->nflags, 2);
	cr_assert(m->has_date);
	cr_assert_eq(m->date, 760686745);
	cr_assert_eq(m->date_tz, -480);
	cr_assert_eq(m->data->len, 5);
	static const char bin[] = "a APPEND x ~{3}\r\na\0b\r\n";
	struct imap_parser p;
	cr_assert(parsen(bin, sizeof bin - 1, &c, &p), "%s", p.err.msg);
	cr_assert(c.u.append.msgs[0].data->binary && c.u.append.msgs[0].data->has_nul);
	static const char nul[] = "a APPEND x {3}\r\na\0b\r\n";
	cr_assert(!parsen(nul, sizeof nul - 1, &c, &p));
	bad("a APPEND x \"hello\"\r\n");
	bad("a APPEND x (\\Seen) \"32-Feb-1994 21:52:25 -0800\" {1}\r\nx\r\n");
	bad("a APPEND x {1}\r\nx extra\r\n");
}

Test(imap_parse, fetch)
{
	struct imap_command c = ok("f FETCH 1:* ALL\r\n");
	cr_assert_eq(c.u.fetch.n, 4);
	c = ok("f UID FETCH 1,3:5 (UID FLAGS BODY.PEEK[HEADER.FIELDS (From \"Subject\")]<0.100> "
	       "BODY[1.2.MIME] BINARY.PEEK[1] BINARY.SIZE[2] RFC822 MODSEQ BODYSTRUCTURE "
	       "BODY) (CHANGEDSINCE 12345 VANISHED)\r\n");
	cr_assert(c.uid);
	struct imap_fetch_args *a = &c.u.fetch;
	cr_assert_eq(a->n, 10);
	cr_assert_eq(a->items[2].kind, IMAP_FETCH_SECTION);
	cr_assert(a->items[2].peek && a->items[2].partial && a->items[2].count == 100);
	cr_assert_eq(a->items[2].sec.text, IMAP_SECTION_HEADER_FIELDS);
	cr_assert_eq(a->items[2].sec.nfields, 2);
	cr_assert_eq(a->items[3].sec.npart, 2);
	cr_assert_eq(a->items[3].sec.text, IMAP_SECTION_MIME);
	cr_assert(!a->items[3].peek);
	cr_assert(a->items[4].kind == IMAP_FETCH_BINARY && a->items[4].peek);
	cr_assert_eq(a->items[5].kind, IMAP_FETCH_BINARY_SIZE);
	cr_assert(a->items[6].rfc822_name && !a->items[6].peek);
	cr_assert_eq(a->items[9].kind, IMAP_FETCH_BODY_STRUCT);
	cr_assert(a->changedsince_set && a->changedsince == 12345 && a->vanished);
	bad("f FETCH 1 (FLAGS) (VANISHED)\r\n");
	bad("f UID FETCH 1 (FLAGS) (VANISHED)\r\n");
	bad("f FETCH 1 BODY[MIME]\r\n");
	bad("f FETCH 1 BINARY[HEADER]\r\n");
	bad("f FETCH 1 BODY[1.0]\r\n");
	bad("f FETCH 1 BODY[]<0.0>\r\n");
	bad("f FETCH 0 FLAGS\r\n");
	bad("f FETCH 1 ()\r\n");
	bad("f FETCH 1 (FLAGS\r\n");
	bad("f FETCH 1 BOGUS\r\n");
	bad("f FETCH 1:2: FLAGS\r\n");
	c = ok("f FETCH $ FLAGS\r\n");
	cr_assert(c.u.fetch.set.saved);
}

Test(imap_parse, store_copy)
{
	struct imap_command c = ok("s STORE 2:4 +FLAGS.SILENT (\\Deleted foo)\r\n");
	cr_assert(c.u.store.op == IMAP_STORE_ADD && c.u.store.silent && c.u.store.nflags == 2);
	c = ok("s UID STORE 1 (UNCHANGEDSINCE 5) -FLAGS \\Seen \\Flagged\r\n");
	cr_assert(c.u.store.op == IMAP_STORE_REMOVE && c.u.store.unchangedsince_set);
	cr_assert_eq(c.u.store.nflags, 2);
	c = ok("s STORE 1 FLAGS ()\r\n");
	cr_assert(c.u.store.op == IMAP_STORE_REPLACE && c.u.store.nflags == 0);
	bad("s STORE 1 FLAGZ (\\Seen)\r\n");
	bad("s STORE 1 +FLAGS\r\n");
	c = ok("c UID MOVE 1:* Trash\r\n");
	cr_assert(c.kind == IMAP_CMD_MOVE && c.uid);
	bad("c COPY 1:*\r\n");
}

Test(imap_parse, search)
{
	struct imap_command c = ok("s SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n");
	struct imap_search_key *r = &c.u.search.root;
	cr_assert_eq(r->nkids, 3);
	cr_assert_eq(r->kids[0].op, IMAP_SK_FLAG);
	cr_assert_eq(r->kids[1].op, IMAP_SK_SINCE);
	cr_assert_eq(r->kids[2].op, IMAP_SK_NOT);
	cr_assert_eq(r->kids[2].kids[0].op, IMAP_SK_ENVELOPE);
	c = ok("s UID SEARCH RETURN (MIN COUNT SAVE) CHARSET UTF-8 OR (1:3 UNSEEN) "
	       "HEADER X-Foo bar MODSEQ \"/flags/\\\\draft\" all 620162338\r\n");
	cr_assert(c.u.search.has_return);
	cr_assert_eq(c.u.search.ret,
		     IMAP_SEARCH_RET_MIN | IMAP_SEARCH_RET_COUNT | IMAP_SEARCH_RET_SAVE);
	cr_assert(seq_eq(c.u.search.charset, "UTF-8"));
	cr_assert(c.u.search.uses_modseq);
	c = ok("s SEARCH RETURN () ALL\r\n");
	cr_assert_eq(c.u.search.ret, IMAP_SEARCH_RET_ALL);
	c = ok("s SEARCH LARGER 10 SMALLER 100 KEYWORD $Junk UNKEYWORD x UID 1:* $ NEW\r\n");
	cr_assert_eq(c.u.search.root.kids[0].op, IMAP_SK_LARGER);
	cr_assert_eq(c.u.search.root.kids[1].op, IMAP_SK_SMALLER);
	cr_assert_eq(c.u.search.root.kids[2].op, IMAP_SK_FLAG);
	cr_assert_eq(c.u.search.root.kids[3].op, IMAP_SK_UNFLAG);
	cr_assert_eq(c.u.search.root.kids[5].op, IMAP_SK_SEQSET);
	bad("s SEARCH\r\n");
	bad("s SEARCH BOGUS\r\n");
	bad("s SEARCH OR SEEN\r\n");
	bad("s SEARCH (SEEN\r\n");
	bad("s SEARCH RETURN (BOGUS) ALL\r\n");
	bad("s SEARCH SINCE 1-Foo-2000\r\n");
}

Test(imap_parse, nesting_is_bounded)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "s SEARCH ");
	for (int i = 0; i < 10000; i++)
		buf_putc(&b, '(');
	buf_puts(&b, "ALL");
	for (int i = 0; i < 10000; i++)
		buf_putc(&b, ')');
	buf_puts(&b, "\r\n");
	struct imap_parser p = bad(b.data);
	cr_assert_str_eq(p.code, "LIMIT");
	buf_reset(&b);
	buf_puts(&b, "s SEARCH");
	for (int i = 0; i < 10000; i++)
		buf_puts(&b, " NOT");
	buf_puts(&b, " ALL\r\n");
	p = bad(b.data);
	cr_assert_str_eq(p.code, "LIMIT");
	buf_reset(&b);
	buf_puts(&b, "s SEARCH");
	for (int i = 0; i < 2000; i++)
		buf_puts(&b, " SEEN");
	buf_puts(&b, "\r\n");
	p = bad(b.data);
	cr_assert_str_eq(p.code, "LIMIT");
	buf_free(&b);
	struct imap_command c = ok("s SEARCH ((((SEEN))))\r\n");
	cr_assert_eq(c.u.search.root.kids[0].op, IMAP_SK_AND);
}

Test(imap_parse, id_enable_authenticate)
{
	struct imap_command c = ok("i ID (\"name\" \"sodr\" \"version\" NIL)\r\n");
	cr_assert_eq(c.u.id.n, 2);
	cr_assert_eq(c.u.id.values[1].p, NULL);
	c = ok("i ID NIL\r\n");
	cr_assert(c.u.id.nil);
	bad("i ID (\"name\")\r\n");
	c = ok("e ENABLE CONDSTORE IMAP4rev2\r\n");
	cr_assert_eq(c.u.enable.n, 2);
	bad("e ENABLE\r\n");
	c = ok("a AUTHENTICATE PLAIN AGpvZQBwdw==\r\n");
	cr_assert(c.u.authenticate.has_initial && seq_eq(c.u.authenticate.initial, "AGpvZQBwdw=="));
	c = ok("a AUTHENTICATE SCRAM-SHA-256\r\n");
	cr_assert(!c.u.authenticate.has_initial);
}

/* RFC 9051 9: "~" is an ATOM-CHAR; only "~{" starts a literal8 (RFC 3516 4.3), and literal8
 * is only allowed for message data. */
Test(imap_parse, tilde_atoms)
{
	struct imap_command c = ok("a SELECT ~foo\r\n");
	cr_assert(str_eq_cstr(c.u.select.mailbox, "~foo"));
	c = ok("a LIST \"\" ~foo/*\r\n");
	cr_assert(str_eq_cstr(c.u.list.patterns[0], "~foo/*"));
	c = ok("a LIST ~ %\r\n");
	cr_assert(str_eq_cstr(c.u.list.reference, "~"));
	c = ok("a LOGIN ~user ~pass\r\n");
	cr_assert(str_eq_cstr(c.u.login.user, "~user"));
	cr_assert(str_eq_cstr(c.u.login.password, "~pass"));
	bad("a SELECT ~{3}\r\nfoo\r\n");
	static const char wire[] = "a APPEND x ~{3}\r\nf\0o\r\n";
	struct imap_parser p;
	cr_assert(parsen(wire, sizeof wire - 1, &c, &p), "%s", p.err.msg);
	cr_assert(c.u.append.msgs[0].data->binary);
}
