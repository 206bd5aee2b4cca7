/*
 * parse: the syntax of SMTP commands (RFC 5321 4.1), as pure functions on
 * byte slices, so the server, unit tests and the fuzzer drive them alike.
 *
 * A command line (without its CRLF) splits into a verb and its arguments.
 * Paths are "<...>" with an optional source route (RFC 5321 4.1.2 A-d-l,
 * accepted and ignored as 3.3 requires), the null reverse-path "<>", the
 * special "<postmaster>" forward-path (4.5.1) and IP address literals
 * (4.1.3). Mailboxes go through base/address.h, so localparts come out
 * decoded and NFC and domains as struct dns_domain; without SMTPUTF8 only
 * ASCII is accepted (RFC 6531 3.4). ESMTP parameters (4.1.2 esmtp-param)
 * are split and checked for syntax here; their meaning is the server's
 * business. xtext (RFC 3461 4) is decoded for AUTH= (RFC 4954 5).
 *
 * Nothing here allocates except into a caller's struct buf; outputs point
 * into the input or are plain values. Every function is bounded by its
 * input's length, safe on arbitrary bytes, and thread-safe.
 */
#ifndef TERN_SMTP_PARSE_H
#define TERN_SMTP_PARSE_H

#include "base/address.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/str.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMTP_VERB_MAX        12 /* longest verb we know is 8 (STARTTLS) */
#define SMTP_PARAMS_MAX      16 /* ESMTP parameters on one MAIL or RCPT */
#define SMTP_LITERAL_MAX     64 /* "IPv6:" and the longest IPv6 text form */
#define SMTP_PARAM_VALUE_MAX 1024

struct smtp_cmd {
	char verb[SMTP_VERB_MAX + 1]; /* upper case */
	struct str args;              /* after the single space following the verb; may be empty */
	bool has_space;               /* the verb was followed by a space */
};

/*
 * Splits a command line. The verb is letters only ("EHLO", "MAIL");
 * anything else (empty line, digits, binary) is false: not a command.
 */
bool smtp_parse_command(struct str line, struct smtp_cmd *out);

enum smtp_path_kind {
	SMTP_PATH_NULL,       /* "<>": reverse-path only */
	SMTP_PATH_MAILBOX,    /* localpart@domain */
	SMTP_PATH_POSTMASTER, /* "<postmaster>" without domain: forward-path only */
	SMTP_PATH_LITERAL,    /* localpart@[address literal] */
};

struct smtp_path {
	enum smtp_path_kind kind;
	struct address addr;                /* MAILBOX: both parts; POSTMASTER/LITERAL: localpart */
	char literal[SMTP_LITERAL_MAX + 1]; /* LITERAL: "192.0.2.1" or "IPv6:2001:db8::1" */
};

/* Flags for smtp_parse_path. */
#define SMTP_PATH_REVERSE 1u /* MAIL FROM: "<>" allowed, "<postmaster>" not special */
#define SMTP_PATH_UTF8    2u /* SMTPUTF8 was given: UTF-8 localparts and domains */

/*
 * Reads the "FROM:" or "TO:" prefix (case-insensitive; with lenient, one
 * space after the colon is skipped, as Outlook sends on submission) and the
 * path that follows, up to its closing '>' (a quoted localpart may hold '>').
 * *path gets the path with its brackets, *rest what follows it.
 */
bool smtp_split_path_arg(struct str args, const char *prefix, bool lenient, struct str *path,
			 struct str *rest, struct error *err);

/* Parses a path with its angle brackets (see the flags above). */
bool smtp_parse_path(struct str raw, unsigned flags, struct smtp_path *out, struct error *err);

/* An address literal without brackets: IPv4 dotted quad or "IPv6:..." (RFC 5321 4.1.3). */
bool smtp_parse_address_literal(struct str s, char out[SMTP_LITERAL_MAX + 1], struct error *err);

/* Appends the path as it goes into Return-Path and logs: "<>", "<a@b>". */
void smtp_path_format(struct buf *b, const struct smtp_path *p, bool unicode);

struct smtp_param {
	struct str key;   /* esmtp-keyword, as sent */
	struct str value; /* esmtp-value, empty when has_value is false */
	bool has_value;
};

/*
 * Splits the parameters after a path: s is empty or " KEY[=VALUE]" repeated
 * (RFC 5321 4.1.2). With utf8, values may contain UTF-8 (RFC 6531 3.3).
 * More than max parameters is an error.
 */
bool smtp_parse_params(struct str s, bool utf8, struct smtp_param *out, size_t max, size_t *n,
		       struct error *err);

/* Decodes xtext (RFC 3461 4): "+XX" hex escapes, other chars 33-126 except '+' and '='. */
bool smtp_xtext_decode(struct str s, struct buf *out, struct error *err);

/* The EHLO/HELO argument: a domain or an address literal in brackets. */
struct smtp_hello {
	bool literal;
	struct dns_domain domain;                /* when not literal */
	char literal_text[SMTP_LITERAL_MAX + 1]; /* when literal, without brackets */
};
bool smtp_parse_hello(struct str s, bool utf8, struct smtp_hello *out, struct error *err);

/* BDAT arguments (RFC 3030 2): "size" or "size LAST". */
bool smtp_parse_bdat(struct str args, uint64_t *size, bool *last, struct error *err);

/* A non-negative decimal of at most digits digits (SIZE=, RCPTMAX values, ...). */
bool smtp_parse_number(struct str s, unsigned digits, uint64_t *out);

#endif
