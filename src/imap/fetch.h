/*
 * fetch: the parts of FETCH (fetch.c) that read message contents (body.c):
 * BODY[section]<partial> and BODY.PEEK, the RFC822 items, BINARY[...] and
 * BINARY.SIZE (RFC 9051 6.4.5, RFC 3516). Internal to src/imap.
 *
 * A struct fetch_msg is one message of a FETCH: its index data from the
 * store, and, loaded when an item needs them, its parsed structure (the
 * store's serialized parse, or a parse of the file when that is missing or
 * damaged) and its file. Section data is written as a literal (literal8 for
 * BINARY data with NUL); the file is mapped read-only and ranges of it are
 * written from the mapping, other sections (header fields, parts of
 * encoded nested messages, decoded BINARY) are built in memory.
 */
#ifndef TERN_IMAP_FETCH_H
#define TERN_IMAP_FETCH_H

#include "imap/session.h"
#include "mail/mail.h"

struct fetch_msg {
	struct store_message *m;
	struct mail_message *parsed; /* NULL until fetch_parsed */
	bool opened;                 /* the file was mapped (map NULL for an empty file) */
	char *map;
	size_t len;
};

/* The parsed structure (never NULL: an empty structure when nothing can be read). */
struct mail_message *imap_fetch_parsed(struct imap_session *s, struct fetch_msg *fm);
/* The message's bytes (the file mapped read-only); false (logged) when it cannot be read. */
bool imap_fetch_data(struct imap_session *s, struct fetch_msg *fm, const char **data, size_t *len);
/* Writes the item's name and data; out holds the response so far and may be flushed. */
void imap_fetch_body_item(struct imap_session *s, struct fetch_msg *fm,
			  const struct imap_fetch_item *it, struct buf *out);
/* Unmaps the file. */
void imap_fetch_msg_done(struct fetch_msg *fm);

#endif
