/*
 * store/message: reading and changing the messages of a mailbox.
 *
 * A message in a mailbox has a row id that never changes (not even on MOVE)
 * and is never reused, a UID, its MODSEQ (last change) and creation MODSEQ,
 * flags and keywords, internal date (with the zone it was given in), save
 * date (RFC 8514), size, and a file id naming its immutable file. Copies
 * share the file (and its parsed form); the file goes when its last message
 * does. The parsed form of the message (src/mail's serialized parse) is kept
 * in the index, so FETCH of ENVELOPE, BODYSTRUCTURE, flags and dates never
 * opens the file.
 *
 * Every change gets a new MODSEQ from one counter per account (as mox does):
 * one per operation (a STORE, a COPY, an EXPUNGE, one delivery). Only
 * messages that actually change get the new MODSEQ. Expunged UIDs are kept
 * with the MODSEQ of their expunge for QRESYNC's VANISHED (RFC 7162 3.2.10).
 *
 * UID sets are arrays of inclusive ranges; UINT32_MAX as last stands for "*"
 * (the caller maps "*" to the highest UID first when RFC 9051 6.4.8 asks for
 * that). At most STORE_UID_RANGES_MAX ranges per call. A NULL set means all
 * messages of the mailbox.
 *
 * Operations that add bytes (COPY) take the quota: the account's total size
 * limit in bytes, 0 for none. Exceeding it fails the whole operation with
 * ERR_LIMIT, and ERR_LIMIT from this module means exactly that, so
 * protocols can answer with their over-quota replies (IMAP [OVERQUOTA],
 * SMTP 452 4.2.2 / 552 5.2.2).
 *
 * Results are allocated in the caller's arena. All functions are
 * thread-safe; reads never wait for writers.
 */
#ifndef TERN_STORE_MESSAGE_H
#define TERN_STORE_MESSAGE_H

#include "base/arena.h"
#include "base/error.h"
#include "store/flags.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store_account;
struct store_subscriber;

#define STORE_UID_RANGES_MAX 10000

struct store_uid_range {
	uint32_t first;
	uint32_t last; /* inclusive, >= first */
};

struct store_uid_set {
	const struct store_uid_range *r;
	size_t n;
};

struct store_message {
	int64_t id;
	int64_t mailbox_id;
	uint32_t uid;
	int64_t file_id;
	uint64_t modseq;
	uint64_t createseq;
	uint32_t flags;
	struct store_keywords keywords;
	int64_t size;
	int64_t received; /* internal date, Unix seconds */
	int received_tz;  /* zone of the internal date, minutes east of UTC */
	int64_t saved;    /* save date, Unix seconds (RFC 8514) */
	int64_t mailbox_orig_id;
	bool is_reject;
	const char *message_id; /* Message-ID without <>, "" when none or not parsed */
	const char *from;       /* first From address, lower case; "" when none */
	int64_t thread_id;
	const int64_t *thread_parents; /* message ids, nearest first */
	size_t nthread_parents;
	bool thread_missing_link;
	const void *parsed; /* with STORE_FETCH_PARSED; NULL when never parsed */
	size_t parsed_len;
};

#define STORE_FETCH_PARSED (1u << 0) /* include the serialized parse */
#define STORE_FETCH_THREAD (1u << 1) /* include thread parents */

/*
 * Messages of a mailbox in UID order, limited to uids (NULL: all) and, when
 * changedsince > 0, to those with MODSEQ > changedsince (RFC 7162 3.1.4).
 */
bool store_messages_fetch(struct store_account *a, int64_t mailbox_id,
			  const struct store_uid_set *uids, uint64_t changedsince, unsigned what,
			  struct arena *ar, struct store_message **out, size_t *n,
			  struct error *err);
/*
 * The light listing IMAP needs at SELECT and for FETCH FLAGS/MODSEQ of many
 * messages: UID, MODSEQ, flags and keywords only, in UID order (uids and
 * changedsince as for store_messages_fetch). Served from one index, it
 * lists 100,000 messages in milliseconds.
 */
struct store_message_flags {
	uint32_t uid;
	uint32_t flags;
	uint64_t modseq;
	struct store_keywords keywords;
};
bool store_messages_flags(struct store_account *a, int64_t mailbox_id,
			  const struct store_uid_set *uids, uint64_t changedsince, struct arena *ar,
			  struct store_message_flags **out, size_t *n, struct error *err);

/* One message by its row id; ERR_NOTFOUND when it is gone. */
bool store_message_get(struct store_account *a, int64_t id, unsigned what, struct arena *ar,
		       struct store_message *out, struct error *err);

/* Path of a message's file (in ar), and the file opened read-only (an fd). */
const char *store_message_path(struct store_account *a, int64_t file_id, struct arena *ar);
int store_message_open(struct store_account *a, int64_t file_id, struct error *err);

/*
 * Search from the index (RFC 9051 6.4.4 criteria that need no message text).
 * All set conditions must hold (AND); the IMAP layer combines results for OR
 * and NOT. Zero/NULL fields are unused.
 */
struct store_search {
	const struct store_uid_set *uids;
	uint32_t flags_set;              /* all of these flags set */
	uint32_t flags_clear;            /* none of these set */
	const char *const *keywords_set; /* normalized keywords that must be present */
	size_t nkeywords_set;
	const char *const *keywords_clear; /* ... that must be absent */
	size_t nkeywords_clear;
	int64_t received_since, received_before; /* [since, before), Unix seconds */
	int64_t saved_since, saved_before;
	int64_t larger, smaller; /* size > larger, size < smaller (when > 0) */
	uint64_t modseq_min;     /* MODSEQ >= modseq_min (RFC 7162 3.1.5) */
	const char *from;        /* first From address equal to this (lower case) */
};
bool store_search(struct store_account *a, int64_t mailbox_id, const struct store_search *q,
		  struct arena *ar, uint32_t **uids, size_t *n, struct error *err);

enum store_flags_op {
	STORE_FLAGS_REPLACE, /* FLAGS */
	STORE_FLAGS_ADD,     /* +FLAGS */
	STORE_FLAGS_REMOVE,  /* -FLAGS */
};

struct store_flags_change {
	enum store_flags_op op;
	uint32_t flags;
	struct store_keywords keywords;
	uint64_t unchangedsince; /* RFC 7162 3.1.3; 0: unconditional */
};

struct store_flags_result {
	uint64_t modseq;                /* the MODSEQ given to changed messages; 0 if none */
	struct store_message *messages; /* every matched message that was not refused, new state */
	size_t nmessages;
	bool *changed;    /* per message: whether this store changed it */
	uint32_t *failed; /* UNCHANGEDSINCE refusals, for [MODIFIED] (ascending) */
	size_t nfailed;
};

bool store_flags_update(struct store_account *a, int64_t mailbox_id,
			const struct store_uid_set *uids, const struct store_flags_change *c,
			struct store_subscriber *origin, struct arena *ar,
			struct store_flags_result *out, struct error *err);

struct store_uid_map {
	uint32_t src;
	uint32_t dst;
};

/* For COPYUID/MOVE (RFC 4315 3, RFC 6851): the destination's UIDVALIDITY and UID pairs. */
struct store_copy_result {
	uint32_t uidvalidity;
	struct store_uid_map *map; /* ascending by src */
	size_t n;
	uint64_t modseq;
};

bool store_copy(struct store_account *a, int64_t src_mailbox, const struct store_uid_set *uids,
		int64_t dst_mailbox, int64_t quota, struct store_subscriber *origin,
		struct arena *ar, struct store_copy_result *out, struct error *err);
/* MOVE: the sources are expunged (with history) in the same transaction. The destination may
 * be the source mailbox itself: the messages get new UIDs (RFC 6851 3.3). */
bool store_move(struct store_account *a, int64_t src_mailbox, const struct store_uid_set *uids,
		int64_t dst_mailbox, struct store_subscriber *origin, struct arena *ar,
		struct store_copy_result *out, struct error *err);

/*
 * Expunges the messages with \Deleted (within uids when given: UID EXPUNGE,
 * RFC 9051 6.4.9). *expunged gets their UIDs ascending.
 */
bool store_expunge(struct store_account *a, int64_t mailbox_id, const struct store_uid_set *uids,
		   struct store_subscriber *origin, struct arena *ar, uint32_t **expunged,
		   size_t *n, uint64_t *modseq, struct error *err);

/*
 * UIDs expunged from the mailbox with MODSEQ > since (within uids when
 * given), ascending: the VANISHED (EARLIER) data of RFC 7162 3.2.5.
 */
bool store_vanished(struct store_account *a, int64_t mailbox_id, uint64_t since,
		    const struct store_uid_set *uids, struct arena *ar, uint32_t **out, size_t *n,
		    struct error *err);

/*
 * Bytes of the mailbox's messages with \Deleted: what an EXPUNGE would free
 * (IMAP STATUS DELETED-STORAGE, RFC 9208 4.1.4).
 */
bool store_mailbox_deleted_size(struct store_account *a, int64_t mailbox_id, int64_t *bytes,
				struct error *err);

/*
 * mox's Rejects mailbox upkeep: expunges its messages older than
 * STORE_REJECTS_MAX_AGE and tells whether another reject may be delivered
 * (fewer than STORE_REJECTS_MAX messages). A missing mailbox has space.
 */
#define STORE_REJECTS_MAX_AGE (14 * 24 * 3600)
#define STORE_REJECTS_MAX     1000
bool store_rejects_tidy(struct store_account *a, const char *mailbox, int64_t now, bool *has_space,
			struct error *err);

#endif
