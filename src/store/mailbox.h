/*
 * store/mailbox: mailboxes and subscriptions of an account.
 *
 * Names are UTF-8 in NFC, hierarchical with "/" as separator. "Inbox" is the
 * stored spelling of INBOX: any case of "inbox" as the first part is
 * normalized to it (RFC 9051 5.1). store_mailbox_name_check says what is
 * refused: invalid UTF-8, non-NFC text, control characters (C0, DEL, C1,
 * U+2028/U+2029; RFC 9051 5.1, RFC 6855 3), empty parts (leading, trailing or
 * double "/"), "." and ".." parts, a leading "#" (IMAP namespaces), more than
 * STORE_MAILBOX_NAME_MAX bytes, parts over STORE_MAILBOX_PART_MAX bytes, more
 * than STORE_MAILBOX_DEPTH_MAX levels. Names are never used as paths.
 *
 * Each mailbox has an id that never changes (also not on rename), a
 * UIDVALIDITY from an account-wide counter (so a value is never used twice in
 * an account, and a name never sees a UIDVALIDITY again, RFC 9051
 * 2.3.1.1), UIDNEXT, HIGHESTMODSEQ (the highest MODSEQ of any change to the
 * mailbox or its messages, including expunges), special-use bits (RFC 6154),
 * the keywords in use, and counts kept exact by every operation.
 *
 * Creating "a/b/c" creates missing "a" and "a/b" too; renaming moves the
 * children along and creates missing parents of the new name; renaming Inbox
 * moves its messages to the new mailbox and leaves Inbox empty and in place
 * (RFC 9051 6.3.6). Deleting a mailbox with children is refused (RFC 9051
 * 6.3.5 allows it; mox refuses, and so do we), as is deleting Inbox.
 * Subscriptions are names, independent of existence (RFC 9051 6.3.7).
 *
 * Operations take an optional origin subscriber that is not told about the
 * change (see changes.h). All functions are thread-safe.
 */
#ifndef TERN_STORE_MAILBOX_H
#define TERN_STORE_MAILBOX_H

#include "base/arena.h"
#include "base/error.h"
#include "store/flags.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store_account;
struct store_subscriber;

#define STORE_MAILBOX_NAME_MAX  1024
#define STORE_MAILBOX_PART_MAX  255
#define STORE_MAILBOX_DEPTH_MAX 32
/* Mailboxes per account. */
#define STORE_MAILBOXES_MAX 10000

/* Special-use attributes (RFC 6154). */
#define STORE_SPECIALUSE_ARCHIVE (1u << 0)
#define STORE_SPECIALUSE_DRAFTS  (1u << 1)
#define STORE_SPECIALUSE_JUNK    (1u << 2)
#define STORE_SPECIALUSE_SENT    (1u << 3)
#define STORE_SPECIALUSE_TRASH   (1u << 4)
#define STORE_SPECIALUSE_ALL     0x1fu

/*
 * Per-mailbox counts, as mox keeps them: total excludes \Deleted messages,
 * deleted counts them, unread is without \Seen and not \Deleted, unseen is
 * without \Seen including \Deleted; size is the bytes of all messages. The
 * IMAP message count (EXISTS) is total + deleted.
 */
struct store_mailbox_counts {
	int64_t total;
	int64_t deleted;
	int64_t unread;
	int64_t unseen;
	int64_t size;
};

struct store_mailbox {
	int64_t id;
	const char *name;
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highestmodseq;
	uint32_t specialuse;
	struct store_keywords keywords; /* keywords in use, for FLAGS/PERMANENTFLAGS */
	struct store_mailbox_counts counts;
	bool subscribed;
};

/*
 * Validates a mailbox name and returns its normalized form (INBOX spelled
 * "Inbox") in ar. With allow_inbox false, INBOX itself is ERR_INVALID.
 */
bool store_mailbox_name_check(const char *name, bool allow_inbox, struct arena *ar,
			      const char **normalized, struct error *err);
/* The special-use attribute name ("\Archive", ...) of one bit; NULL for others. */
const char *store_specialuse_name(uint32_t bit);

/* All mailboxes, sorted by name, with subscription state. */
bool store_mailboxes_list(struct store_account *a, struct arena *ar, struct store_mailbox **out,
			  size_t *n, struct error *err);
/* One mailbox by name (normalized first); ERR_NOTFOUND when absent. */
bool store_mailbox_get(struct store_account *a, const char *name, struct arena *ar,
		       struct store_mailbox *out, struct error *err);
bool store_mailbox_get_id(struct store_account *a, int64_t id, struct arena *ar,
			  struct store_mailbox *out, struct error *err);

struct store_mailbox_create {
	uint32_t specialuse; /* RFC 6154 CREATE-SPECIAL-USE */
	bool subscribe;      /* also subscribe the new mailbox (and created parents) */
};

/* ERR_EXISTS when the mailbox exists; *id (optional) receives the new mailbox's id. */
bool store_mailbox_create(struct store_account *a, const char *name,
			  const struct store_mailbox_create *o, struct store_subscriber *origin,
			  int64_t *id, struct error *err);
bool store_mailbox_rename(struct store_account *a, const char *from, const char *to,
			  struct store_subscriber *origin, struct error *err);
bool store_mailbox_delete(struct store_account *a, const char *name,
			  struct store_subscriber *origin, struct error *err);
bool store_mailbox_set_specialuse(struct store_account *a, const char *name, uint32_t specialuse,
				  struct store_subscriber *origin, struct error *err);

/* Subscriptions (RFC 9051 6.3.7, 6.3.8): names, whether or not the mailbox exists. */
bool store_subscription_add(struct store_account *a, const char *name,
			    struct store_subscriber *origin, struct error *err);
bool store_subscription_remove(struct store_account *a, const char *name,
			       struct store_subscriber *origin, struct error *err);
bool store_subscriptions_list(struct store_account *a, struct arena *ar, const char ***names,
			      size_t *n, struct error *err);

#endif
