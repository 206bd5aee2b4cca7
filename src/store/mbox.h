/*
 * store/mbox: reading and writing mbox files (RFC 4155).
 *
 * Reading: a message starts at a line beginning with "From " at the start of
 * the file or after an empty line; the empty line before the next "From "
 * line (and one at the end of the file) separates messages and is not part
 * of them. Lines in the body that would look like a separator were quoted by
 * the writer with ">". Two quoting schemes exist: mboxo quotes "From " as
 * ">From " and leaves ">From " alone (so it cannot be undone exactly),
 * mboxrd quotes every ">*From " with one more ">". The reader detects the
 * scheme per file: a line with two or more ">" before "From " can only come
 * from mboxrd (mboxo never writes one unless the message had it), so such a
 * file is read as mboxrd and every ">+From " line loses one ">"; otherwise
 * only ">From " lines are unquoted, which is the same for both schemes.
 * Lines are turned to CRLF (see eol.h). The date of the "From " line
 * ("From sender Thu Jan  1 00:00:00 2026", as asctime writes it, with an
 * optional zone before the year) becomes the internal date; a date without
 * zone is taken as UTC. Flags come from the Status (R: seen), X-Status (A
 * answered, F flagged, T draft, D deleted) and X-Keywords headers that mutt,
 * Dovecot and mox write; the headers stay in the message.
 *
 * Malformed input is an error with the file name and line number: a first
 * line that is not a "From " line, a message larger than the limit.
 *
 * Writing (export) uses mboxrd: a "From " line with the sender and the
 * internal date in UTC, Status/X-Status/X-Keywords headers for the flags
 * (replacing such headers in the message), the message with LF lines and
 * every ">*From " line quoted, and an empty line.
 *
 * Pure functions over memory; a reader is used by one thread.
 */
#ifndef TERN_STORE_MBOX_H
#define TERN_STORE_MBOX_H

#include "base/arena.h"
#include "base/buf.h"
#include "base/error.h"
#include "store/flags.h"
#include "store/importer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mbox_reader {
	const char *name; /* for error messages */
	const char *p;
	size_t len;
	size_t pos;
	size_t line; /* line number at pos, from 1 */
	bool rd;     /* mboxrd unquoting (see above) */
	size_t max;  /* largest message */
	bool started;
};

/* data must stay valid while the reader is used; max bounds each message. */
void mbox_reader_init(struct mbox_reader *r, const char *name, const char *data, size_t len,
		      size_t max);

/*
 * The next message into m (data replaced; received, flags, keywords and
 * origin "NAME:LINE" set; keyword strings in ar). Returns 1 for a message, 0
 * at the end, -1 on malformed input (err says where).
 */
int mbox_read(struct mbox_reader *r, struct store_import_msg *m, struct arena *ar,
	      struct error *err);

/* Whether the file uses mboxrd quoting (a line matching ^>>+From ). */
bool mbox_is_mboxrd(const char *p, size_t len);

/*
 * Undoes the quoting of one line (without its line ending): returns how many
 * leading bytes to drop (0 or 1).
 */
size_t mbox_unquote_skip(const char *line, size_t len, bool rd);

/* The date of a "From " line (the line without its ending); false when it has none. */
bool mbox_from_date(const char *line, size_t len, int64_t *t, int *tz);

/* Flags and keywords from the Status, X-Status and X-Keywords headers of msg. */
void mbox_header_flags(const char *msg, size_t len, struct arena *ar, struct store_import_msg *m);

/*
 * Appends one message in mboxrd form: From line (sender "" means
 * MAILER-DAEMON), flag headers, the message with LF lines and quoting, and
 * the separating empty line. A message not ending in a line ending gets one.
 */
void mbox_write_message(struct buf *out, const char *sender, int64_t received, uint32_t flags,
			const struct store_keywords *kw, const char *msg, size_t len);

#endif
