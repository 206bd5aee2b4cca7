/*
 * Fuzzes what the SMTP client reads from a server: replies line by line
 * (smtp/client_reply.h), EHLO extensions (smtp/client_ext.h) of any reply
 * that completes, and the DATA encoder the client writes messages with
 * (smtp/data.h). The first byte picks the target. Beyond "no crash" it
 * checks their promises: a reply stays within its line and byte bounds, has
 * one code from 200 to 599 and an enhanced code only of that class; a
 * refused line leaves the reply as it was; an encoded message decodes (with
 * the server's own decoder) to the input with CRLF line ends, ending exactly
 * where the client ended it.
 */
#include "smtp/client_ext.h"
#include "smtp/client_reply.h"
#include "smtp/data.h"

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

static void check_reply(const struct smtp_reply *r)
{
	require(r->nlines <= SMTP_REPLY_LINES_MAX, "lines bounded");
	require(r->text.len <= SMTP_REPLY_TEXT_MAX, "text bounded");
	require(r->nlines == 0 || (r->code >= 200 && r->code <= 599), "code in range");
	require(!r->ecode[0] || r->ecode[0] == (char)('0' + r->code / 100), "ecode class");
	require(strlen(r->ecode) < SMTP_ECODE_MAX, "ecode bounded");
}

static void exts_of(const struct smtp_reply *r)
{
	struct smtp_exts x;
	smtp_exts_parse(r, &x);
	require(strlen(x.auth_mechs) < sizeof x.auth_mechs, "mechanisms bounded");
	require(x.limit_rcptmax <= 999999 && x.limit_mailmax <= 999999, "limits bounded");
	smtp_ext_find(r, "SIZE", NULL);
}

/* Lines separated by '\n' (a '\r' before it dropped), as conn_read_line hands them out. */
static void fuzz_replies(const char *p, size_t n)
{
	struct smtp_reply r;
	smtp_reply_init(&r);
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t len = nl ? (size_t)(nl - p) : n;
		size_t content = len > 0 && p[len - 1] == '\r' ? len - 1 : len;
		unsigned lines = r.nlines;
		size_t text = r.text.len;
		bool done;
		struct error err;
		if (!smtp_reply_add_line(&r, str_make(p, content), &done, &err)) {
			require(r.nlines == lines && r.text.len == text,
				"refused line changes nothing");
			smtp_reply_reset(&r);
		} else if (done) {
			check_reply(&r);
			exts_of(&r);
			char summary[128];
			smtp_reply_summary(&r, summary, sizeof summary);
			smtp_reply_reset(&r);
		}
		check_reply(&r);
		p += nl ? len + 1 : len;
		n -= nl ? len + 1 : len;
	}
	smtp_reply_free(&r);
}

/* The input with every line end (CRLF, bare CR, bare LF) as CRLF, and a last one added. */
static void normalize(const char *p, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\r') {
			buf_append(out, "\r\n", 2);
			if (i + 1 < n && p[i + 1] == '\n')
				i++;
		} else if (p[i] == '\n') {
			buf_append(out, "\r\n", 2);
		} else {
			buf_putc(out, p[i]);
		}
	}
	if (out->len > 0 && out->data[out->len - 1] != '\n')
		buf_append(out, "\r\n", 2);
}

static void fuzz_encode(const char *p, size_t n)
{
	struct smtp_data_encoder e;
	smtp_data_encoder_init(&e);
	struct buf wire = BUF_INIT, back = BUF_INIT, want = BUF_INIT;
	size_t half = n / 2;
	smtp_data_encode(&e, p, half, &wire);
	smtp_data_encode(&e, p + half, n - half, &wire);
	smtp_data_encode_end(&e, &wire);
	struct smtp_data_decoder d;
	smtp_data_init(&d, 0);
	size_t used = smtp_data_feed(&d, wire.data, wire.len, &back);
	require(d.done && used == wire.len, "ends exactly at the client's end");
	require(!d.bad_crlf, "no bare CR or LF on the wire");
	normalize(p, n, &want);
	require(back.len == want.len &&
		    (want.len == 0 || memcmp(back.data, want.data, want.len) == 0),
		"decodes to the message");
	buf_free(&wire);
	buf_free(&back);
	buf_free(&want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	if (data[0] % 2 == 0)
		fuzz_replies(p, n);
	else
		fuzz_encode(p, n);
	return 0;
}
