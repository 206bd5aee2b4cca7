/*
 * headers: a small reader of a message's header section (RFC 5322 2.2),
 * enough for what the SMTP server must decide at delivery and submission:
 * ruleset header matching, the From address, whether Message-ID, Date and
 * Return-Path are present.
 *
 * The full message parser (src/mail) is a higher-level concern; this reads
 * only the fields, bounded by SMTP_HEADERS_MAX fields and the input given
 * (the server passes at most SMTP_HEADER_MAX bytes). Field names and
 * values point into the input; unfolded copies are made into a caller's
 * buf. Pure functions; thread-safe.
 */
#ifndef TERN_SMTP_HEADERS_H
#define TERN_SMTP_HEADERS_H

#include "base/address.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/str.h"

#include <stdbool.h>
#include <stddef.h>

#define SMTP_HEADERS_MAX 1000

struct smtp_header {
	struct str name;  /* as written */
	struct str value; /* raw, after the colon, folding kept, without the final CRLF */
};

struct smtp_headers {
	struct smtp_header *v; /* caller's array of SMTP_HEADERS_MAX */
	size_t n;
	bool complete; /* the empty line ending the section was found */
	size_t end;    /* offset just past the header section (incl. its empty line) */
};

/* Reads fields from p (n bytes). Lines that are not fields end the section. */
void smtp_headers_parse(const char *p, size_t n, struct smtp_headers *h);
/* The first field named name (case-insensitive), or NULL. */
const struct smtp_header *smtp_headers_get(const struct smtp_headers *h, const char *name);
/* Appends the value unfolded (CRLF+WSP removed) and trimmed. */
void smtp_header_unfold(struct str value, struct buf *out);
/*
 * The single mailbox of an address header such as From (RFC 5322 3.4):
 * "Name <a@b>", "a@b", with comments. More than one mailbox, a group, or
 * an unparsable address is an error.
 */
bool smtp_header_address(struct str value, struct address *out, struct error *err);

#endif
