/*
 * queue/dsn: delivery status notifications (RFC 3464) in a multipart/report
 * (RFC 6522): a human-readable part, the machine-readable
 * message/delivery-status part with one block per failed recipient, and the
 * header section of the original message as text/rfc822-headers.
 *
 * Composition only: the caller delivers the result. Output lines end in
 * CRLF and are at most 998 octets (long diagnostics are cut); the original
 * header section is included up to DSN_HEADERS_MAX bytes.
 */
#ifndef TERN_QUEUE_DSN_H
#define TERN_QUEUE_DSN_H

#include "base/buf.h"

#include <stddef.h>
#include <stdint.h>

#define DSN_HEADERS_MAX (64 * 1024)

struct dsn_rcpt {
	const char *address;    /* the final recipient */
	const char *status;     /* RFC 3463 code, e.g. "5.2.2" */
	const char *diagnostic; /* what went wrong, one line */
};

struct dsn_input {
	const char *hostname; /* Reporting-MTA, and the From address's domain */
	const char *mailfrom; /* the original reverse-path: the DSN's To */
	const char *why;      /* a sentence for the human-readable part */
	int64_t arrival;      /* when the original was accepted, unix seconds */
	const char *headers;  /* the original's header section, may be NULL */
	size_t headers_len;
	const struct dsn_rcpt *rcpts;
	size_t nrcpts;
};

/* Appends the whole DSN message (header section and body) to out. */
void dsn_compose(const struct dsn_input *in, struct buf *out);

#endif
