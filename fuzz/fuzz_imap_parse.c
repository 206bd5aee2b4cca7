/*
 * Fuzzes the IMAP command parser: arbitrary bytes are split into commands as
 * the reader does (lines, literals, LITERAL+, literal8), and each command is
 * parsed with imap_command_parse. Beyond "no crash", it checks the parser's
 * promises: a failure has a message; a parsed command has a known kind and
 * its name; sequence sets and search trees stay within their bounds; and the
 * modified UTF-7 decoder's output encodes back to input it accepts.
 */
#include "imap/command.h"
#include "imap/utf7.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(bool cond, const char *what)
{
	if (cond)
		return;
	fprintf(stderr, "invariant violated: %s\n", what);
	abort();
}

static size_t search_depth(const struct imap_search_key *k)
{
	size_t d = 0;
	for (size_t i = 0; i < k->nkids; i++) {
		size_t c = search_depth(&k->kids[i]);
		if (c > d)
			d = c;
	}
	return d + 1;
}

static void check_command(const struct imap_command *c)
{
	require(c->kind > IMAP_CMD_NONE && c->kind < IMAP_CMD_COUNT, "known kind");
	require(imap_cmd_name(c->kind, c->uid) != NULL, "command has a name");
	require(c->tag.len > 0, "tag present");
	if (c->kind == IMAP_CMD_SEARCH) {
		/* Each level of nesting is at most a few tree levels (NOT, OR, parentheses). */
		require(search_depth(&c->u.search.root) <= 3 * IMAP_PARSE_DEPTH_MAX + 3,
			"search depth bounded");
	}
	if (c->kind == IMAP_CMD_FETCH)
		require(c->u.fetch.n <= IMAP_FETCH_ITEMS_MAX + 8, "fetch items bounded");
	if (c->kind == IMAP_CMD_CREATE || c->kind == IMAP_CMD_DELETE ||
	    c->kind == IMAP_CMD_SUBSCRIBE || c->kind == IMAP_CMD_UNSUBSCRIBE) {
		struct str name =
		    c->kind == IMAP_CMD_CREATE ? c->u.create.mailbox : c->u.mailbox.name;
		struct buf dec = BUF_INIT, enc = BUF_INIT, again = BUF_INIT;
		struct error err;
		if (imap_utf7_decode(name.p, name.len, &dec, &err)) {
			imap_utf7_encode(dec.data ? dec.data : "", dec.len, &enc);
			require(imap_utf7_decode(enc.data ? enc.data : "", enc.len, &again, &err),
				"encoded name decodes");
			require(again.len == dec.len &&
				    (dec.len == 0 || memcmp(again.data, dec.data, dec.len) == 0),
				"modified UTF-7 round trip");
		}
		buf_free(&dec);
		buf_free(&enc);
		buf_free(&again);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct arena ar;
	arena_init(&ar, 4096);
	for (int i = 0; i < 16 && size > 0; i++) {
		struct imap_cmdtext t;
		imap_cmdtext_init(&t);
		size_t used = 0;
		if (!imap_cmdtext_from_bytes(p, size, 256 * 1024, &t, &used)) {
			imap_cmdtext_free(&t);
			break;
		}
		require(used > 0 && used <= size, "progress");
		struct imap_parser ps;
		imap_parser_init(&ps, &t, &ar);
		struct imap_command c;
		memset(&c, 0, sizeof c);
		if (imap_command_parse(&ps, &c))
			check_command(&c);
		else
			require(ps.err.msg[0] != '\0', "failure has a message");
		imap_cmdtext_free(&t);
		arena_rewind(&ar, (struct arena_mark){0});
		p += used;
		size -= used;
	}
	arena_free(&ar);
	return 0;
}
