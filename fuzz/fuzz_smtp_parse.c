/*
 * Fuzzes the SMTP command and address parsers (smtp/parse.h), the DATA
 * decoder (smtp/data.h) and the reply
 * formatter (smtp/reply.h) with arbitrary bytes. The first byte picks the
 * target. Beyond "no crash" it checks their promises: a parsed path formats
 * back to one that parses to the same address; the DATA decoder gives the
 * same result however the input is split, never consumes past the end of
 * data, and a message it calls good has only CRLF line ends; replies have
 * lines of at most 512 octets without control characters.
 */
#include "smtp/data.h"
#include "smtp/parse.h"
#include "smtp/reply.h"

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

static void fuzz_path(struct str in, unsigned flags)
{
	struct smtp_path p;
	struct error err;
	if (!smtp_parse_path(in, flags, &p, &err))
		return;
	struct buf b = BUF_INIT;
	smtp_path_format(&b, &p, true);
	struct smtp_path again;
	require(smtp_parse_path(str_make(b.data, b.len), flags | SMTP_PATH_UTF8, &again, &err),
		"formatted path parses");
	require(p.kind == again.kind, "same kind");
	require(strcmp(p.addr.localpart, again.addr.localpart) == 0, "same localpart");
	require(strcmp(p.addr.domain.ascii, again.addr.domain.ascii) == 0, "same domain");
	buf_free(&b);
}

static void fuzz_command(struct str in)
{
	struct smtp_cmd c;
	struct error err;
	if (smtp_parse_command(in, &c)) {
		struct str path, rest;
		if (smtp_split_path_arg(c.args, "FROM:", true, &path, &rest, &err)) {
			struct smtp_param ps[SMTP_PARAMS_MAX];
			size_t n;
			smtp_parse_params(rest, true, ps, SMTP_PARAMS_MAX, &n, &err);
			fuzz_path(path, SMTP_PATH_REVERSE);
		}
		uint64_t sz;
		bool last;
		smtp_parse_bdat(c.args, &sz, &last, &err);
		struct smtp_hello h;
		smtp_parse_hello(c.args, true, &h, &err);
	}
	struct buf x = BUF_INIT;
	smtp_xtext_decode(in, &x, &err);
	buf_free(&x);
}

static void check_crlf(const struct buf *b)
{
	for (size_t i = 0; i < b->len; i++) {
		if (b->data[i] == '\n')
			require(i > 0 && b->data[i - 1] == '\r', "LF after CR");
		if (b->data[i] == '\r')
			require(i + 1 < b->len && b->data[i + 1] == '\n', "CR before LF");
	}
}

static void fuzz_data(const char *p, size_t n)
{
	struct smtp_data_decoder whole, split;
	struct buf a = BUF_INIT, b = BUF_INIT;
	smtp_data_init(&whole, 0);
	smtp_data_init(&split, 0);
	size_t used = smtp_data_feed(&whole, p, n, &a);
	require(used <= n && (used == n || whole.done), "consumed up to the end only");
	size_t used2 = 0;
	for (size_t i = 0; i < n && !split.done; i += 3)
		used2 += smtp_data_feed(&split, p + i, n - i < 3 ? n - i : 3, &b);
	require(used == used2, "split consumption");
	require(a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0),
		"split output");
	require(whole.bad_crlf == split.bad_crlf, "split badness");
	if (whole.done) {
		require(used >= 3 && memcmp(p + used - 3, ".\r\n", 3) == 0, "ends in .CRLF");
		require(used == 3 || (used >= 5 && memcmp(p + used - 5, "\r\n.\r\n", 5) == 0),
			"ends in CRLF.CRLF");
		if (!whole.bad_crlf)
			check_crlf(&a);
	}
	buf_free(&a);
	buf_free(&b);
}

static void fuzz_reply(const char *p, size_t n)
{
	char *text = malloc(n + 1);
	memcpy(text, p, n);
	text[n] = '\0';
	struct buf b = BUF_INIT;
	smtp_reply_format(&b, 550, "1.1", text);
	size_t linelen = 0;
	for (size_t i = 0; i < b.len; i++) {
		char c = b.data[i];
		if (c == '\n') {
			require(i > 0 && b.data[i - 1] == '\r', "reply line ends in CRLF");
			require(linelen + 1 <= 512, "reply line within 512 octets");
			linelen = 0;
			continue;
		}
		require(c != '\r' || (i + 1 < b.len && b.data[i + 1] == '\n'), "no bare CR");
		require((unsigned char)c >= 0x20 || c == '\r', "no control characters");
		linelen++;
	}
	buf_free(&b);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	struct str in = str_make(p, n);
	switch (data[0] % 5) {
	case 0: fuzz_command(in); break;
	case 1: fuzz_path(in, 0); break;
	case 2: fuzz_path(in, SMTP_PATH_REVERSE | SMTP_PATH_UTF8); break;
	case 3: fuzz_data(p, n); break;
	case 4: fuzz_reply(p, n); break;
	}
	return 0;
}
