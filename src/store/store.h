/*
 * store: where mail lives.
 *
 * The message store keeps each account's mailboxes and messages: an SQLite
 * index (WAL) per account with everything IMAP needs without opening message
 * files (UIDs, MODSEQs, flags, keywords, dates, sizes, the parsed envelope
 * and body structure, threads, expunge history), and the message bodies as
 * immutable files beside it. It never loses an acknowledged message (see
 * deliver.h for the order of writes), keeps counts exact (checked by
 * store_account_check after every operation in the tests), and publishes
 * every change to subscribers (changes.h).
 *
 * The API by concern:
 *   account.h  open/close (reference-counted, shared per process), totals,
 *              credentials for the auth code, the consistency check
 *   mailbox.h  mailboxes, hierarchy, special use, subscriptions, counts
 *   flags.h    flags and keywords
 *   deliver.h  durable delivery (SMTP) and APPEND, with group commit
 *   message.h  fetch, search, STORE, COPY, MOVE, EXPUNGE, VANISHED
 *   changes.h  change notifications through an eventfd per subscriber
 *   recent.h   IMAP4rev1's \Recent mark per mailbox
 *   verify.h   checking a whole data directory (tern verifydata)
 *
 * Threads: every function is thread-safe on a shared account handle. Writes
 * to one account are serialized by its write lock (deliveries share
 * transactions, see deliver.h); reads use a pool of read connections and
 * never wait for writes. Memory of results comes from the caller's arena.
 *
 * Errors: the usual kinds of base/error.h; in particular ERR_NOTFOUND for a
 * missing mailbox or message, ERR_EXISTS for a name already taken,
 * ERR_INVALID for bad input, ERR_LIMIT only for "over quota", ERR_IO for the
 * disk, ERR_TEMPORARY when the account is busy (open in another process).
 */
#ifndef TERN_STORE_STORE_H
#define TERN_STORE_STORE_H

#include "store/account.h"
#include "store/changes.h"
#include "store/deliver.h"
#include "store/flags.h"
#include "store/mailbox.h"
#include "store/message.h"
#include "store/recent.h"
#include "store/verify.h"

#endif
