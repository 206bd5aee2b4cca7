/*
 * store/importer: bulk delivery of imported messages into one mailbox.
 *
 * tern import (mbox, Maildir) reads messages from files and hands them to an
 * importer; its delivery thread takes them in batches of up to
 * STORE_IMPORT_BATCH and delivers each batch with store_deliver_many, so
 * reading and parsing the input overlaps with writing message files, and
 * the group commit of deliver.h puts a whole batch of index rows in one
 * transaction. Messages get UIDs in the order they were added. The queue
 * between the reader and the thread is bounded (STORE_IMPORT_QUEUE
 * messages, STORE_IMPORT_QUEUE_BYTES bytes), so memory stays bounded
 * whatever the size of the import.
 *
 * The first failed delivery stops the import: store_importer_add and
 * store_importer_finish return its error, prefixed with the message's origin
 * ("FILE:LINE" or the Maildir file); messages delivered before it stay (and
 * so may others of its batch, which the count includes).
 * The mailbox is created when missing.
 *
 * An importer is used by one thread (the reader); the progress callback runs
 * on the delivery thread.
 */
#ifndef TERN_STORE_IMPORTER_H
#define TERN_STORE_IMPORTER_H

#include "base/arena.h"
#include "base/buf.h"
#include "base/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store_account;

/* Largest message an import accepts (also the largest ctl frame). */
#define STORE_IMPORT_MESSAGE_MAX (64 * 1024 * 1024)
/* Free keywords one imported message may carry (as the store allows). */
#define STORE_IMPORT_KEYWORDS_MAX 64
#define STORE_IMPORT_BATCH        64
#define STORE_IMPORT_QUEUE        64
#define STORE_IMPORT_QUEUE_BYTES  (128 * 1024 * 1024)
/* Progress is reported after every this many delivered messages. */
#define STORE_IMPORT_PROGRESS_EVERY 1000

/* One message read from an mbox or Maildir. */
struct store_import_msg {
	struct buf data;  /* the message with CRLF lines; the importer takes it over */
	int64_t received; /* internal date, Unix seconds; 0: now */
	int received_tz;  /* minutes east of UTC */
	uint32_t flags;   /* STORE_FLAG_* */
	const char *keywords[STORE_IMPORT_KEYWORDS_MAX]; /* free keywords, lower case */
	size_t nkeywords;
	char origin[256]; /* "FILE:LINE" or the file name, for errors */
};

/*
 * Maps one flag or keyword name as mailbox files write them to a flag bit or
 * a free keyword: system flags and mox's well-known keywords with or without
 * "$" ("$Junk", "junk", "nonjunk"), any other IMAP atom as a keyword in lower
 * case (in ar). Returns false for names that are neither.
 */
bool store_import_flag(const char *name, size_t len, struct arena *ar, uint32_t *bit,
		       const char **keyword);
/* Adds a keyword to m (ignoring duplicates and keywords past the maximum). */
void store_import_add_keyword(struct store_import_msg *m, const char *keyword);

struct store_importer;

struct store_importer_options {
	const char *mailbox; /* created when missing */
	int64_t quota;       /* the account's size limit, 0: none */
	void (*progress)(void *arg, size_t delivered);
	void *progress_arg;
};

bool store_importer_start(struct store_account *a, const struct store_importer_options *o,
			  struct store_importer **out, struct error *err);
/* Queues m (waits while the queue is full); m->data is taken over and reset. */
bool store_importer_add(struct store_importer *im, struct store_import_msg *m, struct error *err);
/* Waits for all deliveries, frees the importer; *delivered counts the messages stored. */
bool store_importer_finish(struct store_importer *im, size_t *delivered, struct error *err);

/*
 * The message metadata as one line, for the ctl protocol between `tern
 * import` and the server: "FLAGS RECEIVED TZ NKW KW... ORIGIN".
 */
void store_import_meta_format(const struct store_import_msg *m, struct buf *out);
bool store_import_meta_parse(const char *line, struct arena *ar, struct store_import_msg *m,
			     struct error *err);

#endif
