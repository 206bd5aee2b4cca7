/*
 * store/export: the messages of an account as mbox files or Maildirs.
 *
 * store_export_walk visits the chosen mailboxes of an account in name order
 * (one mailbox, the mailbox with its children, or all) and, per mailbox, its
 * messages ordered by internal date and then by row id (as mox exports
 * them), handing each message's bytes to a sink. A message expunged while
 * the walk runs is skipped. The walk reads through the store's read
 * connections and never blocks deliveries.
 *
 * The export writer is a sink that writes under a destination directory:
 * "NAME.mbox" per mailbox (mbox.h: mboxrd) or a Maildir "NAME/" with cur/,
 * new/ and tmp/ (maildir.h); a mailbox name's "/" becomes a directory. It
 * never overwrites: a file or Maildir that exists already is an ERR_EXISTS
 * error naming it.
 *
 * The walk and the writer are used by one thread each; the ctl protocol
 * between `tern export` and the server carries the sink's calls as frames
 * (meta lines below, then the message bytes).
 */
#ifndef TERN_STORE_EXPORT_H
#define TERN_STORE_EXPORT_H

#include "base/arena.h"
#include "base/buf.h"
#include "base/error.h"
#include "store/flags.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store_account;

struct store_export_msg {
	int64_t id;
	uint32_t flags;
	struct store_keywords keywords;
	int64_t received;
	int received_tz;
	const char *sender; /* first From address, "" when unknown */
	const char *data;   /* the stored message (CRLF lines) */
	size_t len;
};

struct store_export_sink {
	void *arg;
	bool (*mailbox)(void *arg, const char *name, struct error *err);
	bool (*message)(void *arg, const struct store_export_msg *m, struct error *err);
};

/* mailbox NULL: all mailboxes; single: without the mailbox's children. */
bool store_export_walk(struct store_account *a, const char *mailbox, bool single,
		       const struct store_export_sink *sink, size_t *nmessages, struct error *err);

enum store_export_format {
	STORE_EXPORT_MBOX,
	STORE_EXPORT_MAILDIR,
};

struct store_export_writer;

/* Creates dstdir when missing (existing directories are fine; existing files are not). */
bool store_export_writer_open(const char *dstdir, enum store_export_format format,
			      struct store_export_writer **out, struct error *err);
void store_export_writer_sink(struct store_export_writer *w, struct store_export_sink *s);
/*
 * Finishes the last mailbox and frees w; *dropped counts keywords a Maildir
 * could not name (more than 26 in a mailbox). On failure w is freed too.
 */
bool store_export_writer_close(struct store_export_writer *w, size_t *dropped, struct error *err);

/* ctl protocol lines: "message ID FLAGS RECEIVED TZ SIZE NKW KW... SENDER". */
void store_export_meta_format(const struct store_export_msg *m, struct buf *out);
/* Parses a meta line; strings in ar; *size is the number of bytes that follow. */
bool store_export_meta_parse(const char *line, struct arena *ar, struct store_export_msg *m,
			     size_t *size, struct error *err);

#endif
