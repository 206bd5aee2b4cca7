/*
 * The parser on a corpus of real-world message shapes (tests/data/mail):
 * exact IMAP BODYSTRUCTURE and ENVELOPE strings, derived from RFC 9051 7.5.2
 * and cross-checked against Dovecot 2.3 (tests/integration/test_message_parse.py
 * repeats that comparison when Dovecot is installed). Where tern differs from
 * Dovecot on purpose, the case says so.
 */
#include "mail/imapfmt.h"
#include "mail/mail.h"
#include "mail/serialize.h"

#include "base/file.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CORPUS "tests/data/mail/"

struct loaded {
	struct arena a;
	struct buf data;
	struct mail_message *m;
};

static void load(const char *name, struct loaded *l)
{
	struct error err = {0};
	char path[256];
	snprintf(path, sizeof path, CORPUS "%s", name);
	buf_init(&l->data);
	cr_assert(file_read_all(path, 1 << 24, &l->data, &err), "%s: %s", path, err.msg);
	arena_init(&l->a, 0);
	l->m = mail_parse(l->data.data, l->data.len, &l->a);
}

static void unload(struct loaded *l)
{
	arena_free(&l->a);
	buf_free(&l->data);
}

static char *bodystructure(const struct mail_part *p, bool ext)
{
	struct buf b = BUF_INIT;
	mail_imap_bodystructure(p, ext, &b);
	return buf_steal(&b);
}

static char *envelope(const struct mail_envelope *e, bool utf8)
{
	struct buf b = BUF_INIT;
	mail_imap_envelope(e, utf8, &b);
	return buf_steal(&b);
}

struct corpus_case {
	const char *file;
	const char *bodystructure;
	const char *envelope; /* NULL: tested separately */
};

/* Differences from Dovecot 2.3, all deliberate:
 * - case: tern upper-cases types, subtypes, parameter names, dispositions;
 * - nested-message: the message/rfc822 part is 311 octets, 16 lines: the CRLF
 *   before the outer delimiter belongs to the delimiter (RFC 2046 5.1.1);
 *   Dovecot counts it into the nested message (313, 17);
 * - bare-lf: sizes are physical octets (17); Dovecot counts LF as CRLF (18);
 * - message-global: tern decodes the base64 message/global (RFC 6532 3.5) and
 *   gives its envelope and structure; Dovecot sends it as a basic part, which
 *   RFC 9051's grammar does not allow for MESSAGE/GLOBAL;
 * - rfc2231: values are decoded to UTF-8 (RFC 9051 7.5.2 asks for RFC 2231
 *   decoding) and sent as "NAME*" "utf-8''..." to clients without UTF-8;
 *   RFC 2047 words in a quoted file name are decoded too; Dovecot passes
 *   both as written;
 * - addresses: a mailbox without domain has host "" (Dovecot: MISSING_DOMAIN).
 */
static const struct corpus_case cases[] = {
    {"addresses.eml",
     "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 6 1 NIL NIL NIL NIL)",
     "(\"Thu,      13        Feb          1969      23:32               -0330 (Newfoundland "
     "Time)\" \"addresses\" ((\"Joe Q. Public\" NIL \"john.q.public\" \"example.com\")) ((\"Pete\" "
     "NIL \"pete\" \"silly.test\")) ((NIL \"@route1,@route2\" \"user\" \"example.com\")) ((NIL NIL "
     "\"A Group\" NIL)(\"Ed Jones\" NIL \"c\" \"a.test\")(NIL NIL \"joe\" \"where.test\")(\"John\" "
     "NIL \"jdoe\" \"one.test\")(NIL NIL NIL NIL)(NIL NIL \"quoted local\" \"example.com\")) ((NIL "
     "NIL \"Undisclosed recipients\" NIL)(NIL NIL NIL NIL)(\"John Doe\" NIL \"jdoe\" "
     "\"example.org\")(NIL NIL \"broken\" \"\")) ((\"=?utf-8?q?Bj=C3=B6rn?=\" NIL \"bjorn\" "
     "\"example.com\")) NIL \"<testabcd.1234@silly.test>\")"},
    {"alternative-in-mixed.eml",
     "(((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"QUOTED-PRINTABLE\" 36 1 NIL NIL NIL "
     "NIL)(\"TEXT\" \"HTML\" (\"CHARSET\" \"utf-8\") NIL NIL \"QUOTED-PRINTABLE\" 45 0 NIL NIL NIL "
     "NIL) \"ALTERNATIVE\" (\"BOUNDARY\" \"==inner==\") NIL NIL NIL)(\"APPLICATION\" \"PDF\" "
     "(\"NAME\" \"report.pdf\") \"<part3@example.com>\" \"The report\" \"BASE64\" 8 NIL "
     "(\"ATTACHMENT\" (\"FILENAME\" \"report.pdf\" \"SIZE\" \"6\")) NIL NIL) \"MIXED\" "
     "(\"BOUNDARY\" \"==outer==\") NIL NIL NIL)",
     "(\"Tue, 3 Mar 2020 10:11:12 +0100 (CET)\" \"Re: [list] Fwd: report\" ((\"Doe, John\" NIL "
     "\"john.doe\" \"example.com\")) ((\"Doe, John\" NIL \"john.doe\" \"example.com\")) ((\"Doe, "
     "John\" NIL \"john.doe\" \"example.com\")) ((\"Jane\" NIL \"jane\" \"example.org\")(NIL NIL "
     "\"Group\" NIL)(NIL NIL \"c\" \"example.net\")(NIL NIL \"e f\" \"example.net\")(NIL NIL NIL "
     "NIL)) ((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) NIL "
     "\"<parent@example.com>\" \"<mixed.1@example.com>\")"},
    {"bare-lf.eml",
     "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 17 1 NIL NIL NIL "
     "NIL)(\"TEXT\" \"PLAIN\" (\"NAME\" \"x.txt\" \"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 10 0 "
     "NIL NIL NIL NIL) \"MIXED\" (\"BOUNDARY\" \"lf\") NIL NIL NIL)",
     "(NIL \"bare LF line endings\" ((NIL NIL \"lf\" \"example.com\")) ((NIL NIL \"lf\" "
     "\"example.com\")) ((NIL NIL \"lf\" \"example.com\")) ((NIL NIL \"b\" \"example.com\")) NIL "
     "NIL NIL NIL)"},
    {"calendar.eml",
     "(((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"UTF-8\" \"FORMAT\" \"flowed\" \"DELSP\" \"yes\") NIL "
     "NIL \"7BIT\" 22 0 NIL NIL NIL NIL)(\"TEXT\" \"CALENDAR\" (\"CHARSET\" \"UTF-8\" \"METHOD\" "
     "\"REQUEST\") NIL NIL \"7BIT\" 46 2 NIL NIL NIL NIL) \"ALTERNATIVE\" (\"BOUNDARY\" "
     "\"000alt\") NIL NIL NIL)(\"APPLICATION\" \"ICS\" (\"NAME\" \"invite.ics\") NIL NIL "
     "\"BASE64\" 44 NIL (\"ATTACHMENT\" (\"FILENAME\" \"invite.ics\")) NIL NIL) \"MIXED\" "
     "(\"BOUNDARY\" \"000mixed\") NIL NIL NIL)",
     "(\"Mon, 25 Jan 2021 09:00:00 +0000\" \"Invitation: Meeting @ Mon 1 Feb 2021 10:00\" "
     "((\"Organizer\" NIL \"org\" \"example.com\")) ((\"Organizer\" NIL \"org\" \"example.com\")) "
     "((\"Organizer\" NIL \"org\" \"example.com\")) ((NIL NIL \"attendee\" \"example.com\")) NIL "
     "NIL NIL NIL)"},
    {"digest.eml",
     "((\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 44 (NIL \"first\" ((NIL NIL \"one\" "
     "\"example.com\")) ((NIL NIL \"one\" \"example.com\")) ((NIL NIL \"one\" \"example.com\")) "
     "NIL NIL NIL NIL NIL) (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 3 0 NIL "
     "NIL NIL NIL) 3 NIL NIL NIL NIL)(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL "
     "\"7BIT\" 13 0 NIL NIL NIL NIL) \"DIGEST\" (\"BOUNDARY\" \"dg\") NIL NIL NIL)",
     "(NIL \"digest\" ((NIL NIL \"list\" \"example.com\")) ((NIL NIL \"list\" \"example.com\")) "
     "((NIL NIL \"list\" \"example.com\")) NIL NIL NIL NIL NIL)"},
    {"latin1-headers.eml",
     "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"iso-8859-1\") NIL NIL \"8BIT\" 6 1 NIL NIL NIL NIL)",
     NULL},
    {"long-headers.eml",
     "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 6 1 NIL NIL NIL NIL)", NULL},
    {"message-global.eml",
     "((\"MESSAGE\" \"GLOBAL\" NIL NIL NIL \"BASE64\" 118 (NIL \"global\" ((NIL NIL \"g\" "
     "\"example.com\")) ((NIL NIL \"g\" \"example.com\")) ((NIL NIL \"g\" \"example.com\")) NIL "
     "NIL NIL NIL NIL) (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 6 1 NIL NIL "
     "NIL NIL) 1 NIL NIL NIL NIL) \"MIXED\" (\"BOUNDARY\" \"g\") NIL NIL NIL)",
     "(NIL \"encoded message/global\" ((NIL NIL \"a\" \"example.com\")) ((NIL NIL \"a\" "
     "\"example.com\")) ((NIL NIL \"a\" \"example.com\")) NIL NIL NIL NIL NIL)"},
    {"missing-close-boundary.eml",
     "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 5 0 NIL NIL NIL "
     "NIL)((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 24 0 NIL NIL NIL NIL) "
     "\"ALTERNATIVE\" (\"BOUNDARY\" \"inner\") NIL NIL NIL)(\"TEXT\" \"PLAIN\" (\"CHARSET\" "
     "\"us-ascii\") NIL NIL \"7BIT\" 31 1 NIL NIL NIL NIL) \"MIXED\" (\"BOUNDARY\" \"b\") NIL NIL "
     "NIL)",
     "(NIL \"truncated\" ((NIL NIL \"a\" \"example.com\")) ((NIL NIL \"a\" \"example.com\")) ((NIL "
     "NIL \"a\" \"example.com\")) NIL NIL NIL NIL NIL)"},
    {"nested-message.eml",
     "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 10 0 NIL NIL NIL "
     "NIL)(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 311 (\"Wed, 31 Dec 2014 23:00:00 +0000\" "
     "\"original\" ((NIL NIL \"orig\" \"example.org\")) ((NIL NIL \"orig\" \"example.org\")) ((NIL "
     "NIL \"orig\" \"example.org\")) ((NIL NIL \"forwarder\" \"example.com\")) NIL NIL NIL "
     "\"<orig@example.org>\") ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 5 0 "
     "NIL NIL NIL NIL)(\"TEXT\" \"HTML\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 11 0 NIL NIL "
     "NIL NIL) \"ALTERNATIVE\" (\"BOUNDARY\" \"alt\") NIL NIL NIL) 16 NIL (\"INLINE\" NIL) NIL "
     "NIL) \"MIXED\" (\"BOUNDARY\" \"fwd\") NIL NIL NIL)",
     "(\"Thu, 01 Jan 2015 00:00:00 +0000\" \"Fwd: original\" ((NIL NIL \"forwarder\" "
     "\"example.com\")) ((NIL NIL \"forwarder\" \"example.com\")) ((NIL NIL \"forwarder\" "
     "\"example.com\")) ((NIL NIL \"rcpt\" \"example.com\")) NIL NIL NIL NIL)"},
    {"no-boundary-param.eml",
     "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 0 0 NIL NIL NIL NIL) "
     "\"MIXED\" NIL NIL NIL NIL)",
     "(NIL \"multipart without boundary\" ((NIL NIL \"a\" \"example.com\")) ((NIL NIL \"a\" "
     "\"example.com\")) ((NIL NIL \"a\" \"example.com\")) NIL NIL NIL NIL NIL)"},
    {"no-delimiter.eml",
     "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 0 0 NIL NIL NIL NIL) "
     "\"MIXED\" (\"BOUNDARY\" \"nowhere\") NIL NIL NIL)",
     "(NIL \"boundary never appears\" ((NIL NIL \"a\" \"example.com\")) ((NIL NIL \"a\" "
     "\"example.com\")) ((NIL NIL \"a\" \"example.com\")) NIL NIL NIL NIL NIL)"},
    {"rfc2231.eml",
     "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 16 0 NIL NIL NIL "
     "NIL)(\"APPLICATION\" \"OCTET-STREAM\" (\"NAME*\" \"utf-8''%E2%82%AC%20rates.txt\") NIL NIL "
     "\"BASE64\" 4 NIL (\"ATTACHMENT\" (\"FILENAME*\" \"utf-8''%E2%82%AC%20rates.txt\")) NIL "
     "NIL)(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\" \"NAME*\" \"utf-8''%C3%A9t%C3%A9.txt\") "
     "NIL NIL \"7BIT\" 6 0 NIL (\"ATTACHMENT\" (\"FILENAME*\" \"utf-8''%C3%A9t%C3%A9.txt\")) "
     "(\"en\" \"de\") NIL)(\"APPLICATION\" \"OCTET-STREAM\" (\"NAME\" \"This is even more "
     "***fun*** isn't it!\") NIL NIL \"7BIT\" 1 NIL (\"INLINE\" (\"FILENAME\" \"long name "
     "continued!\")) NIL NIL) \"MIXED\" (\"BOUNDARY\" \"XyZ\") NIL NIL NIL)",
     "(\"5 Apr 2021 08:00 GMT\" \"RFC 2231 file names\" ((NIL NIL \"sender\" \"example.com\")) "
     "((NIL NIL \"sender\" \"example.com\")) ((NIL NIL \"sender\" \"example.com\")) ((NIL NIL "
     "\"rcpt\" \"example.com\")) NIL NIL NIL NIL)"},
    {"simple.eml",
     "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 52 2 NIL NIL NIL NIL)",
     "(\"Fri, 21 Nov 1997 09:55:06 -0600\" \"Saying Hello\" ((\"Mary Smith\" NIL \"mary\" "
     "\"example.net\")) ((\"Mary Smith\" NIL \"mary\" \"example.net\")) ((\"Mary Smith\" NIL "
     "\"mary\" \"example.net\")) ((\"John Doe\" NIL \"jdoe\" \"machine.example\")) NIL NIL NIL "
     "\"<1234@local.machine.example>\")"},
    {"smime-encrypted.eml",
     "(\"APPLICATION\" \"PKCS7-MIME\" (\"SMIME-TYPE\" \"enveloped-data\" \"NAME\" \"smime.p7m\") "
     "NIL NIL \"BASE64\" 78 NIL (\"ATTACHMENT\" (\"FILENAME\" \"smime.p7m\")) NIL NIL)",
     "(NIL \"encrypted\" ((NIL NIL \"a\" \"example.com\")) ((NIL NIL \"a\" \"example.com\")) ((NIL "
     "NIL \"a\" \"example.com\")) ((NIL NIL \"b\" \"example.com\")) NIL NIL NIL NIL)"},
    {"smime-signed.eml",
     "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 11 0 NIL NIL NIL "
     "NIL)(\"APPLICATION\" \"PKCS7-SIGNATURE\" (\"NAME\" \"smime.p7s\") NIL \"S/MIME Cryptographic "
     "Signature\" \"BASE64\" 86 NIL (\"ATTACHMENT\" (\"FILENAME\" \"smime.p7s\")) NIL NIL) "
     "\"SIGNED\" (\"PROTOCOL\" \"application/pkcs7-signature\" \"MICALG\" \"sha-256\" \"BOUNDARY\" "
     "\"----sig\") NIL NIL NIL)",
     "(\"Sat, 2 Jan 2021 03:04:05 -0500\" \"signed\" ((NIL NIL \"signer\" \"example.com\")) ((NIL "
     "NIL \"signer\" \"example.com\")) ((NIL NIL \"signer\" \"example.com\")) ((NIL NIL \"rcpt\" "
     "\"example.com\")) NIL NIL NIL NIL)"},
    {"utf8-headers.eml",
     "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"8BIT\" 7 1 NIL NIL NIL NIL)", NULL},
};

Test(mail_corpus, bodystructure_and_envelope)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct loaded l;
		load(cases[i].file, &l);
		char *bs = bodystructure(&l.m->root, true);
		cr_expect_str_eq(bs, cases[i].bodystructure, "%s", cases[i].file);
		free(bs);
		if (cases[i].envelope) {
			char *env = envelope(&l.m->envelope, false);
			cr_expect_str_eq(env, cases[i].envelope, "%s", cases[i].file);
			free(env);
		}
		/* The stored form gives the same IMAP data. */
		struct buf ser = BUF_INIT;
		mail_serialize(l.m, &ser);
		struct error err = {0};
		struct mail_message *back = mail_deserialize(ser.data, ser.len, &l.a, &err);
		cr_assert_not_null(back, "%s: %s", cases[i].file, err.msg);
		bs = bodystructure(&back->root, true);
		cr_expect_str_eq(bs, cases[i].bodystructure, "%s after deserialize", cases[i].file);
		free(bs);
		struct buf again = BUF_INIT;
		mail_serialize(back, &again);
		cr_expect(again.len == ser.len && memcmp(again.data, ser.data, ser.len) == 0,
			  "%s: serialize round trip", cases[i].file);
		buf_free(&again);
		buf_free(&ser);
		unload(&l);
	}
}

Test(mail_corpus, body_without_extensions)
{
	struct loaded l;
	load("nested-message.eml", &l);
	char *bs = bodystructure(&l.m->root, false);
	cr_expect_str_eq(
	    bs,
	    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 10 0)(\"MESSAGE\" "
	    "\"RFC822\" NIL NIL NIL \"7BIT\" 311 (\"Wed, 31 Dec 2014 23:00:00 +0000\" \"original\" "
	    "((NIL NIL \"orig\" \"example.org\")) ((NIL NIL \"orig\" \"example.org\")) ((NIL NIL "
	    "\"orig\" \"example.org\")) ((NIL NIL \"forwarder\" \"example.com\")) NIL NIL NIL "
	    "\"<orig@example.org>\") ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL "
	    "\"7BIT\" 5 0)(\"TEXT\" \"HTML\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 11 0) "
	    "\"ALTERNATIVE\") 16) \"MIXED\")");
	free(bs);
	unload(&l);
	load("no-delimiter.eml", &l);
	bs = bodystructure(&l.m->root, false);
	/* A multipart needs a part: an empty text/plain one, as Dovecot sends. */
	cr_expect_str_eq(bs,
			 "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 0 0) "
			 "\"MIXED\")");
	free(bs);
	cr_expect(l.m->flags & MAIL_F_NO_FIRST_BOUNDARY);
	unload(&l);
}

Test(mail_corpus, problems_are_flagged)
{
	static const struct {
		const char *file;
		unsigned want, absent;
	} v[] = {
	    {"simple.eml", 0, MAIL_F_ALL},
	    {"missing-close-boundary.eml", MAIL_F_NO_CLOSE_BOUNDARY, MAIL_F_BARE_LF},
	    {"no-boundary-param.eml", MAIL_F_NO_BOUNDARY, 0},
	    {"no-delimiter.eml", MAIL_F_NO_FIRST_BOUNDARY, 0},
	    {"bare-lf.eml", MAIL_F_BARE_LF, MAIL_F_NO_CLOSE_BOUNDARY},
	    {"utf8-headers.eml", MAIL_F_HEADER_8BIT, MAIL_F_HEADER_BAD_UTF8},
	    {"latin1-headers.eml", MAIL_F_HEADER_8BIT | MAIL_F_HEADER_BAD_UTF8, 0},
	    {"message-global.eml", MAIL_F_DECODED_MESSAGE, 0},
	    {"addresses.eml", MAIL_F_ADDRESS_SYNTAX, MAIL_F_BAD_DATE},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct loaded l;
		load(v[i].file, &l);
		cr_expect((l.m->flags & v[i].want) == v[i].want, "%s: flags %#x", v[i].file,
			  l.m->flags);
		cr_expect((l.m->flags & v[i].absent) == 0, "%s: flags %#x", v[i].file, l.m->flags);
		unload(&l);
	}
}

Test(mail_corpus, utf8_headers)
{
	struct loaded l;
	load("utf8-headers.eml", &l);
	cr_expect(l.m->headers_8bit && l.m->headers_utf8);
	cr_expect_str_eq(l.m->subject, "Grüße aus Köln");
	cr_expect_str_eq(l.m->from_localpart, "jörg");
	cr_expect_str_eq(l.m->from_domain, "xn--bcher-kva.example");
	cr_expect_str_eq(l.m->message_id, "utf8@bücher.example");
	/* UTF8=ACCEPT: UTF-8 as is, in quoted strings (RFC 6855 3). */
	char *env = envelope(&l.m->envelope, true);
	cr_expect_str_eq(env,
			 "(\"Wed, 10 Jun 2020 12:00:00 +0200\" \"Grüße aus Köln\" "
			 "((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"jörg\" \"bücher.example\")) "
			 "((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"jörg\" \"bücher.example\")) "
			 "((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"jörg\" \"bücher.example\")) "
			 "((\"Müller\" NIL \"mueller\" \"example.com\")(\"テスト\" NIL \"test\" "
			 "\"example.jp\")) NIL NIL NIL \"<utf8@bücher.example>\")");
	free(env);
	/* Without: encoded words, a group for the non-ASCII mailbox, a literal
	 * for the message-id that has no ASCII form. */
	env = envelope(&l.m->envelope, false);
	cr_expect_str_eq(
	    env,
	    "(\"Wed, 10 Jun 2020 12:00:00 +0200\" \"=?utf-8?b?R3LDvMOfZSBhdXMgS8O2bG4=?=\" "
	    "((NIL NIL \"=?utf-8?b?SsO2cmcgPGrDtnJnQGLDvGNoZXIuZXhhbXBsZT4=?=\" NIL)(NIL NIL NIL "
	    "NIL)) ((NIL NIL \"=?utf-8?b?SsO2cmcgPGrDtnJnQGLDvGNoZXIuZXhhbXBsZT4=?=\" NIL)(NIL NIL "
	    "NIL NIL)) ((NIL NIL \"=?utf-8?b?SsO2cmcgPGrDtnJnQGLDvGNoZXIuZXhhbXBsZT4=?=\" NIL)(NIL "
	    "NIL NIL NIL)) ((\"=?utf-8?b?TcO8bGxlcg==?=\" NIL \"mueller\" \"example.com\")"
	    "(\"=?utf-8?b?44OG44K544OI?=\" NIL \"test\" \"example.jp\")) NIL NIL NIL "
	    "{22}\r\n<utf8@bücher.example>)");
	free(env);
	unload(&l);
}

Test(mail_corpus, legacy_8bit_headers_as_literals)
{
	struct loaded l;
	load("latin1-headers.eml", &l);
	cr_expect(l.m->headers_8bit && !l.m->headers_utf8);
	for (int utf8 = 0; utf8 < 2; utf8++) {
		char *env = envelope(&l.m->envelope, utf8);
		cr_expect_str_eq(
		    env, "(\"1 Feb 2019 00:00:00 +0000\" {10}\r\ncaf\xe9 cr\xe8me "
			 "(({5}\r\nAndr\xe9 NIL \"andre\" \"example.fr\")) (({5}\r\nAndr\xe9 "
			 "NIL \"andre\" \"example.fr\")) (({5}\r\nAndr\xe9 NIL \"andre\" "
			 "\"example.fr\")) NIL NIL NIL NIL NIL)");
		free(env);
	}
	/* The decoded subject replaces the invalid bytes. */
	cr_expect_str_eq(l.m->subject, "caf\xef\xbf\xbd cr\xef\xbf\xbdme");
	unload(&l);
}

Test(mail_corpus, long_headers)
{
	struct loaded l;
	load("long-headers.eml", &l);
	cr_expect_eq(l.m->nreferences, 300);
	cr_expect_str_eq(l.m->references[0], "ref0000@example.com");
	cr_expect_str_eq(l.m->references[299], "ref0299@example.com");
	cr_expect(strncmp(l.m->subject,
			  "word0 word1 word2 word3 word4 word5 word6 word7 word8 "
			  "word9 word10 wor d11 ",
			  68) == 0,
		  "%s", l.m->subject);
	/* A subject this long goes as a literal. */
	char *env = envelope(&l.m->envelope, true);
	cr_expect(strncmp(env, "(NIL {3133}\r\nword0 word1 ", 25) == 0, "%.40s", env);
	free(env);
	unload(&l);
}

Test(mail_corpus, threading_fields)
{
	struct loaded l;
	load("alternative-in-mixed.eml", &l);
	cr_expect_str_eq(l.m->message_id, "mixed.1@example.com");
	cr_expect_eq(l.m->nin_reply_to, 1);
	cr_expect_str_eq(l.m->in_reply_to[0], "parent@example.com");
	cr_expect_eq(l.m->nreferences, 2);
	cr_expect_str_eq(l.m->references[0], "root@example.com");
	cr_expect_str_eq(l.m->references[1], "parent@example.com");
	cr_expect_str_eq(l.m->subject, "Re: [list] Fwd: report");
	cr_expect_str_eq(l.m->subject_base, "report");
	cr_expect_eq(l.m->date, 1583226672);
	cr_expect_eq(l.m->date_tzoffset, 60);
	cr_expect_str_eq(l.m->from_localpart, "john.doe");
	cr_expect_str_eq(l.m->from_domain, "example.com");
	unload(&l);
	load("addresses.eml", &l);
	/* RFC 5322 appendix A.6.3: folded obsolete date in Newfoundland time. */
	cr_expect_eq(l.m->date, -27723480);
	cr_expect_eq(l.m->date_tzoffset, -210);
	unload(&l);
}
