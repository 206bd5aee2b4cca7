/*
 * client_reply: reading SMTP replies as a client (RFC 5321 4.2) and the
 * enhanced status codes in them (RFC 3463, RFC 2034), as pure functions the
 * client, the unit tests and the fuzzer drive alike.
 *
 * A reply is one or more lines "NNN-text" ending with "NNN text" (or a bare
 * "NNN", RFC 5321 4.2.1). smtp_reply_add_line takes one line at a time
 * (without its line end) and says when the reply is complete. Every line
 * must carry the same code (RFC 5321 4.2.1: a different code in a
 * multi-line reply is a protocol error) and the code must be 200 to 599
 * (no preliminary 1xx replies exist in SMTP). Bounds: at most
 * SMTP_REPLY_LINES_MAX lines and SMTP_REPLY_TEXT_MAX bytes of text; lines
 * themselves are bounded by the reader (SMTP_CLIENT_LINE_MAX). Anything
 * else — garbage, a reply without end, too many lines — is an error with a
 * message that says which, never unbounded memory.
 *
 * Enhanced status codes "class.subject.detail" (RFC 3463 2: class 2, 4 or 5
 * equal to the reply code's first digit, subject and detail 1 to 3 digits)
 * are taken from the first line; where a line starts with the code it is
 * left out of that line's text, so text holds the human part only.
 *
 * struct smtp_reply owns its text (a struct buf): smtp_reply_free it.
 * Thread-safe; no globals.
 */
#ifndef TERN_SMTP_CLIENT_REPLY_H
#define TERN_SMTP_CLIENT_REPLY_H

#include "base/buf.h"
#include "base/error.h"
#include "base/str.h"

#include <stdbool.h>
#include <stddef.h>

#define SMTP_REPLY_LINES_MAX 128
#define SMTP_REPLY_TEXT_MAX  (32 * 1024)
#define SMTP_ECODE_MAX       12 /* "5.123.123" and a NUL */

struct smtp_reply {
	int code;                   /* 200..599, from the lines so far; 0 before the first */
	char ecode[SMTP_ECODE_MAX]; /* "5.1.1", or "" when the reply has none */
	struct buf text;            /* the lines' text, '\n'-joined, without code and ecode */
	unsigned nlines;
};

void smtp_reply_init(struct smtp_reply *r);
void smtp_reply_free(struct smtp_reply *r);
/* Empties r for the next reply, keeping its buffer. */
void smtp_reply_reset(struct smtp_reply *r);
/* dst (initialized) becomes a copy of src. */
void smtp_reply_copy(struct smtp_reply *dst, const struct smtp_reply *src);

/*
 * Adds one line to r; *done is set when it was the reply's last line. On
 * error r is left as it was before the line.
 */
bool smtp_reply_add_line(struct smtp_reply *r, struct str line, bool *done, struct error *err);

/*
 * An enhanced status code at the start of text for a reply with code: its
 * length in text including one following space (0 when there is none), the
 * code itself into out.
 */
size_t smtp_ecode_parse(struct str text, int code, char out[SMTP_ECODE_MAX]);

/* "550 5.1.1 first line of text" (cut to fit) for messages and logs. */
void smtp_reply_summary(const struct smtp_reply *r, char *out, size_t cap);

/* The first line of text (up to '\n'). */
struct str smtp_reply_first_line(const struct smtp_reply *r);

#endif
