/*
 * store/maildir: reading and writing Maildirs (cr.yp.to/proto/maildir.html)
 * with Dovecot's keyword extension.
 *
 * A Maildir is a directory with cur/, new/ and tmp/. Each message is one
 * file in new/ or cur/ (tmp/ holds deliveries in progress and is skipped),
 * its name ending in an info part ":2,FLAGS" (or "!2," as some systems
 * write it) whose letters are the flags: S seen, R replied (answered), F
 * flagged, T trashed (deleted), D draft, P passed (no IMAP flag, ignored).
 * Lower-case letters a-z are keywords, numbered by Dovecot's
 * dovecot-keywords file beside cur/ ("0 $Forwarded", "1 Junk", ...; mox's
 * well-known keywords with or without "$" map to their flags). A letter with
 * no line in that file is ignored, as mox and Dovecot do. The internal date
 * is the file's modification time (Maildir writers set it to the delivery
 * time). Lines are turned to CRLF (eol.h).
 *
 * Errors name the file, and the line for dovecot-keywords: a missing cur/
 * and new/, a message larger than the limit, a malformed keywords line.
 * At most MAILDIR_FILES_MAX messages per Maildir.
 *
 * Writing (export): one message file per message named
 * "RECEIVED.ID.tern:2,FLAGS" with the letters in ASCII order (as the
 * Maildir spec asks), in cur/ when seen and new/ otherwise (as mox does),
 * its modification time set to the internal date; keywords and the
 * well-known flags get letters a-z in order of first use, written to
 * dovecot-keywords when the mailbox ends. A mailbox with more than 26
 * distinct ones loses the rest (counted, reported by the caller).
 */
#ifndef TERN_STORE_MAILDIR_H
#define TERN_STORE_MAILDIR_H

#include "base/arena.h"
#include "base/buf.h"
#include "base/error.h"
#include "store/flags.h"
#include "store/importer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAILDIR_FILES_MAX    1000000
#define MAILDIR_KEYWORDS_MAX 26
/* Largest dovecot-keywords file read. */
#define MAILDIR_KEYWORDS_FILE_MAX (64 * 1024)

/* Letter a+i means v[i]: a keyword (lower case) or a well-known flag name. */
struct maildir_keywords {
	const char *v[MAILDIR_KEYWORDS_MAX];
	size_t n; /* letters in use when writing */
};

/* Parses a dovecot-keywords file; name is used in errors ("NAME:LINE: ..."). */
bool maildir_keywords_parse(const char *name, const char *data, size_t len, struct arena *ar,
			    struct maildir_keywords *out, struct error *err);
/* The dovecot-keywords file for the letters in use. */
void maildir_keywords_format(const struct maildir_keywords *k, struct buf *out);

/* Flags and keywords from a file name's info part (none without one). */
void maildir_name_flags(const char *filename, const struct maildir_keywords *kw, struct arena *ar,
			struct store_import_msg *m);

/*
 * The info part for flags and keywords (":2,DFRST" plus letters), assigning
 * letters in k as needed; *dropped counts what found no letter.
 */
void maildir_name_info(uint32_t flags, const struct store_keywords *kw, struct maildir_keywords *k,
		       struct arena *ar, struct buf *out, size_t *dropped);

/* Reading a Maildir: its message files in new/ then cur/, each in name order. */
struct maildir_reader {
	char *dir;
	char **paths; /* heap */
	size_t n;
	size_t next;
	struct maildir_keywords kw;
	struct arena ar;
	size_t max;
};

bool maildir_reader_open(struct maildir_reader *r, const char *dir, size_t max, struct error *err);
/* The next message into m; 1, 0 at the end, -1 on error (err names the file). */
int maildir_read(struct maildir_reader *r, struct store_import_msg *m, struct arena *ar,
		 struct error *err);
void maildir_reader_close(struct maildir_reader *r);

#endif
