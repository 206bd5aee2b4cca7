/*
 * store/internal: what the store's implementation files share (not for users
 * of the store).
 *
 * Locks of an account, in the order they may be taken:
 *   idmu (file id reservation, durable directories)
 *     -> wmu (the write lock: every write transaction on wdb, and publishing)
 *        -> qmu (the group-commit queue)
 *        -> smu (the subscriber list) -> a subscriber's mu
 * The registry lock is taken alone. Readers take no account lock: they borrow
 * a connection from the pool.
 */
#ifndef TERN_STORE_INTERNAL_H
#define TERN_STORE_INTERNAL_H

#include "base/arena.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/log.h"
#include "db/db.h"
#include "db/pool.h"
#include "store/store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Schema version of index.db written by this code (its user_version). */
#define STORE_SCHEMA_VERSION 1
/* Mode of index.db and message files: the group may read them (backups), as with mox. */
#define STORE_FILE_MODE 0660
/* Message files per msg/ subdirectory (file id >> 12 names the directory). */
#define STORE_FILES_DIR_SHIFT 12
/* File ids reserved in the index at a time (handed out from memory). */
#define STORE_FILE_ID_BLOCK 1024
/* Read connections per account. */
#define STORE_READERS_MAX 16

struct pending_delivery;
struct change_list;

struct store_account {
	/* registry */
	char *key; /* realpath(DATADIR)/accounts/NAME */
	struct store_account *next;
	int refs;
	bool closing; /* the last reference went; files being closed (registry_mu) */

	char *name;
	char *dir;
	char *msgdir;
	char *tmpdir;
	char *dbpath;
	int lockfd;
	bool mark_clean_on_close; /* false when leftovers of a crash may remain */
	bool remove_on_close;     /* store_account_remove: the data goes with the last reference */
	struct logger log;

	/* writes */
	pthread_mutex_t wmu;
	struct db wdb;

	/* reads */
	struct db_pool readers;

	/* group commit queue (see txn.c) */
	pthread_mutex_t qmu;
	struct store_pending_write *qhead;
	struct store_pending_write *qtail;

	/* durability (durable.c): commits are numbered under wmu and made durable by
	 * one WAL fsync outside it, shared by everyone waiting */
	_Atomic uint64_t committed; /* write transactions committed (incremented under wmu) */
	pthread_mutex_t dmu;
	pthread_cond_t dcv;
	uint64_t durable; /* commits known to be on disk (under dmu) */
	bool syncing;     /* a thread is fsyncing (under dmu) */
	int walfd;        /* index.db-wal, used by the syncing thread only */
	char *walpath;

	/* file ids handed out from [next_file_id, file_id_limit) */
	pthread_mutex_t idmu;
	int64_t next_file_id;
	int64_t file_id_limit;
	unsigned char *durable_dirs; /* per msg/ subdirectory: known to exist durably */
	size_t ndurable_dirs;

	/* subscribers (see changes.c) */
	pthread_mutex_t smu;
	struct store_subscriber *subs;
	uint64_t change_seq;
};

extern struct log_pkg *store_log_pkg(void);

/* --- the write path (write.c) --- */

/* A write operation run inside a transaction under the write lock. */
typedef bool (*store_write_fn)(struct store_account *a, void *arg, struct change_list *cl,
			       struct error *err);
/*
 * Runs fn in a write transaction, commits, and publishes the changes it
 * recorded (skipping origin). On failure everything fn did is rolled back
 * and nothing of it is published.
 *
 * Group commit: writes are queued, and whoever holds the write lock runs
 * every queued write (up to STORE_COMMIT_BATCH_MAX), each inside its own
 * savepoint, then commits them together: one WAL fsync for the batch, while
 * the next batch gathers. fn may so run on another thread than the caller's,
 * which waits meanwhile; a failing fn fails only its own write.
 */
bool store_write(struct store_account *a, struct store_subscriber *origin, store_write_fn fn,
		 void *arg, struct error *err);

/* A queued write (store_write and deliver.c's deliveries). */
struct store_pending_write {
	struct store_pending_write *next;
	store_write_fn fn;
	void *arg;
	struct store_subscriber *origin;
	bool done;
	bool ok;
	bool committed; /* in the index (ok may still be false: the fsync failed) */
	uint64_t seq;   /* the commit's number (acct_make_durable) */
	struct error err;
};
/* Queues writes (under qmu), in order. */
void store_write_enqueue(struct store_account *a, struct store_pending_write **w, size_t n);
/* Takes the write lock and commits batches until w is done, then waits until
 * its commit is durable. */
void store_write_wait(struct store_account *a, struct store_pending_write *w);

/*
 * Durability of commits. The writer connection runs with synchronous=NORMAL
 * (a COMMIT writes the WAL but does not fsync it; SQLite's WAL stays
 * consistent at any crash) and a committed transaction is acknowledged only
 * after acct_make_durable: one fdatasync of the WAL covers every commit made
 * before it started, and runs outside the write lock, so the next batch is
 * built meanwhile. acct_committed_seq numbers a commit; call it under wmu
 * right after the commit.
 */
uint64_t acct_committed_seq(struct store_account *a);
bool acct_make_durable(struct store_account *a, uint64_t seq, struct error *err);
/* At open, after the index is set up: switch to synchronous=NORMAL, open the WAL. */
bool acct_durable_init(struct store_account *a, struct error *err);

/* Gives the next MODSEQ of the account (inside a write transaction). */
bool acct_next_modseq(struct store_account *a, uint64_t *modseq, struct error *err);
bool acct_size(struct db *db, int64_t *size, struct error *err);
bool acct_add_size(struct store_account *a, int64_t delta, struct error *err);
/* Checks that adding bytes keeps the account within quota (0: no quota): ERR_LIMIT. */
bool acct_quota_check(struct store_account *a, int64_t quota, int64_t add, struct error *err);
bool acct_next_uidvalidity(struct store_account *a, uint32_t *uidvalidity, struct error *err);

/* --- reads (read.c) --- */

struct db *store_reader(struct store_account *a, struct error *err);
void store_reader_done(struct store_account *a, struct db *db);

/* --- mailbox rows (mbrow.c) --- */

struct mbrow {
	int64_t id;
	const char *name;
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t modseq;
	uint64_t highestmodseq;
	uint32_t specialuse;
	const char *keywords; /* space separated, sorted */
	struct store_mailbox_counts counts;
};

bool mbrow_by_id(struct db *db, int64_t id, struct arena *ar, struct mbrow *out, bool *found,
		 struct error *err);
bool mbrow_by_name(struct db *db, const char *name, struct arena *ar, struct mbrow *out,
		   bool *found, struct error *err);
/* Whether name is in the subscriptions (which need not exist as mailboxes). */
bool mbrow_subscribed(struct db *db, const char *name, bool *yes, struct error *err);
/* As mbrow_by_id and mbrow_by_name, but a missing mailbox is an ERR_NOTFOUND error. */
bool mbrow_get_by_id(struct db *db, int64_t id, struct arena *ar, struct mbrow *out,
		     struct error *err);
bool mbrow_get_by_name(struct db *db, const char *name, struct arena *ar, struct mbrow *out,
		       struct error *err);
/* Writes uidnext, highestmodseq, counts, keywords, specialuse, name and modseq back. */
bool mbrow_save(struct db *db, const struct mbrow *mb, struct error *err);
/* Inserts a new mailbox (uidvalidity from the account counter); sets mb->id. */
bool mbrow_insert(struct store_account *a, struct mbrow *mb, struct error *err);
void mbrow_to_public(const struct mbrow *mb, struct arena *ar, struct store_mailbox *out);
/* Adds (sign 1) or removes (sign -1) a message with flags and size to counts. */
void counts_apply(struct store_mailbox_counts *c, uint32_t flags, int64_t size, int sign);
/*
 * Merges keywords into the mailbox's keywords in use; *changed tells whether
 * the list grew. Past STORE_MAILBOX_KEYWORDS_MAX new keywords are not added to
 * the list (they stay on the message).
 */
void mbrow_merge_keywords(struct mbrow *mb, const struct store_keywords *k, struct arena *ar,
			  bool *changed);
/*
 * Finds or (with create) makes a mailbox by normalized name, creating missing
 * parents; records MAILBOX_ADD changes for each created mailbox.
 */
bool mbrow_ensure(struct store_account *a, const char *name, bool create, uint32_t specialuse,
		  bool subscribe, struct arena *ar, struct change_list *cl, struct mbrow *out,
		  struct error *err);

/* --- keywords as stored: space separated, sorted --- */

void keywords_join(const struct store_keywords *k, struct buf *out);
bool keywords_split(const char *s, struct arena *ar, struct store_keywords *out);

/* --- message rows (msgrow.c) --- */

/* Columns selected for a struct store_message, in msgrow_read's order. */
#define MSGROW_COLS                                                                                \
	"m.id, m.mailbox_id, m.uid, m.file_id, m.modseq, m.createseq, m.flags, m.keywords, "       \
	"m.size, m.received, m.received_tz, m.saved, m.mailbox_orig_id, m.is_reject, "             \
	"m.message_id, m.from_addr, m.thread_id, m.thread_parents, m.thread_missing_link"
#define MSGROW_NCOLS 19
/* With STORE_FETCH_PARSED the statement must select f.parsed as column MSGROW_NCOLS. */
void msgrow_read(sqlite3_stmt *st, unsigned what, struct arena *ar, struct store_message *m);
bool uidset_check(const struct store_uid_set *uids, struct error *err);
struct uid_span {
	uint32_t first;
	uint32_t last;
};
/* Sorted, merged copy of the ranges (NULL: everything), so each message is visited once. */
struct uid_span *uidset_spans(const struct store_uid_set *uids, struct arena *ar, size_t *n);
bool uidset_contains(const struct store_uid_set *uids, uint32_t uid);
/* Binds ?1 mailbox id, ?2..?3 the span and ?4 the CHANGEDSINCE modseq of a span query. */
void uid_span_bind(sqlite3_stmt *st, int64_t mailbox_id, struct uid_span span,
		   uint64_t changedsince);

/*
 * Lists the messages of the mailbox in uids (NULL: all) with MODSEQ >
 * changedsince, in UID order, inside the current transaction on db. The
 * list is complete before the caller changes anything.
 */
bool msgrow_list(struct db *db, int64_t mailbox_id, const struct store_uid_set *uids,
		 uint64_t changedsince, unsigned what, struct arena *ar, struct store_message **out,
		 size_t *n, struct error *err);

/* Moves every message of src to dst (renaming INBOX), inside a write transaction. */
bool store_move_all_internal(struct store_account *a, const struct mbrow *src,
			     const struct mbrow *dst, struct arena *ar, struct change_list *cl,
			     struct error *err);
/*
 * Expunges msgs (all in mb) inside a write transaction: rows removed, history
 * kept, counts and size updated, REMOVE change with the files to delete.
 */
bool expunge_messages(struct store_account *a, struct mbrow *mb, const struct store_message *msgs,
		      size_t n, struct change_list *cl, uint64_t *modseq, struct error *err);
/* Records that uid left mailbox_id at modseq, for QRESYNC's VANISHED (RFC 7162 3.2.10). */
bool expunged_record(struct store_account *a, int64_t mailbox_id, uint32_t uid, uint64_t modseq,
		     struct error *err);

/* --- message files (files.c) --- */

/* DIR/msg/XXX/ID in ar. */
const char *files_path(const struct store_account *a, int64_t file_id, struct arena *ar);
/* Hands out a never-used file id. */
bool files_new_id(struct store_account *a, int64_t *id, struct error *err);
/* Makes sure the msg/ subdirectory for file id exists durably. */
bool files_ensure_dir(struct store_account *a, int64_t file_id, struct error *err);
/* Writes data as the file for id, fsyncs it and its directory. */
bool files_write(struct store_account *a, int64_t id, const void *data, size_t len,
		 struct error *err);
/* Links a (fsynced) temporary file as the file for id and fsyncs the directory. */
bool files_link(struct store_account *a, int64_t id, struct store_tmpfile *tf, struct error *err);
void files_remove(const char *msgdir, int64_t id);
/*
 * Drops a message row's reference to its file (inside a write transaction);
 * *unused tells whether the file is now unreferenced and must be removed
 * after commit.
 */
bool files_unref(struct db *db, int64_t file_id, int64_t count, bool *unused, struct error *err);
/* Removes temporary files and message files the index does not know. */
bool files_cleanup(struct store_account *a, struct error *err);

/* --- changes (changes.c) --- */

struct change_list {
	struct change_box *head;
	struct change_box *tail;
	size_t n;
	struct store_subscriber *origin; /* not told about changes added from now on */
};

void changes_init(struct change_list *cl);
/* A new change at the end of the list; its strings/arrays come from store_change_arena. */
struct store_change *changes_add(struct change_list *cl, enum store_change_kind kind,
				 uint64_t modseq, int64_t mailbox_id);
struct arena *store_change_arena(struct store_change *c);
/* Files to remove once the change is delivered to (and acknowledged by) every holder. */
void changes_add_file(struct store_change *c, int64_t file_id);
/* Records the mailbox's current counts (and keywords when changed) as changes. */
void changes_mailbox_state(struct change_list *cl, const struct mbrow *mb, uint64_t modseq,
			   bool keywords_changed);
/* The current end of the list, and dropping what was added after it (a failed savepoint). */
struct change_box *changes_mark(const struct change_list *cl);
void changes_truncate(struct change_list *cl, struct change_box *mark);
/*
 * After commit: assigns seqs, queues to subscribers (except each change's
 * origin), removes files nobody holds.
 */
void changes_publish(struct store_account *a, struct change_list *cl);
/* After rollback: frees the changes without removing any file. */
void changes_discard(struct change_list *cl);

/* --- account open/init (schema.c) --- */

/* The tables of index.db, created or upgraded when the writer connection opens. */
extern const struct db_schema store_index_schema;
/* In a new index, the account row and the first mailboxes. */
bool schema_init(struct store_account *a, const struct store_account_options *o, struct error *err);
/* Creates the account's first mailboxes (inside the init transaction). */
bool account_create_mailboxes(struct store_account *a, const struct store_account_options *o,
			      struct error *err);

/* --- maintenance (maint.c) --- */

/* Inside a write transaction: recounts every mailbox and the account size, reporting to out. */
bool maint_recount(struct store_account *a, struct change_list *cl, struct arena *ar,
		   struct buf *out, struct error *err);

/* --- threads (thread.c) --- */

struct thread_info {
	const char *message_id;
	const char *subject_base;
	bool subject_is_reply;
	const char *const *refs; /* referenced message-ids, oldest first */
	size_t nrefs;
};

struct mail_message;
/*
 * The threading data of a parsed message, canonical for matching as mox
 * makes it: msg-ids lower-cased without white space; References, or when
 * there are none the first In-Reply-To id; the base subject and whether the
 * subject marks a reply or forward (RFC 5256 2.1).
 */
void thread_info_from_parse(const struct mail_message *m, struct arena *ar, struct thread_info *ti);
/* The first From address in lower case, "" when none: the index's from_addr. */
const char *parse_from_address(const struct mail_message *m, struct arena *ar);

/*
 * Assigns thread fields to a just-inserted message (row id) as mox does:
 * parent by Message-ID match, else by References/In-Reply-To (nearest first),
 * else for replies by base subject in the same original mailbox within four
 * weeks; otherwise the message roots its own thread.
 */
bool thread_assign(struct store_account *a, int64_t id, int64_t mailbox_orig_id, int64_t received,
		   const struct thread_info *ti, struct arena *ar, struct error *err);

#endif
