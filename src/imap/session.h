/*
 * session: one IMAP connection's state and the helpers every command
 * module of the server uses (internal to src/imap).
 *
 * State machine (RFC 9051 3): not authenticated -> authenticated (LOGIN,
 * AUTHENTICATE, PREAUTH) -> selected (SELECT/EXAMINE) -> logout. The
 * session reads one whole command at a time (reader.c), parses it
 * (command.h), checks that it is allowed in the current state and with the
 * account's capabilities, runs it, and answers with a tagged OK, NO or BAD
 * (with an RFC 5530 response code where one fits). Commands never run in
 * parallel on one connection; pipelined commands wait in the input buffer.
 *
 * The selected mailbox is seen through a view (view.c): the UIDs the client
 * knows, in sequence-number order. Changes by other sessions and deliveries
 * come from the store subscriber and are applied to the view, and reported
 * as EXISTS, EXPUNGE or VANISHED and FETCH FLAGS, at the end of commands
 * (and during IDLE at once). EXPUNGE and VANISHED wait while a FETCH,
 * STORE or SEARCH by sequence number is answered (RFC 9051 7.5.1, RFC 7162
 * 3.2.10): the expunged messages keep their sequence numbers until then,
 * and commands on them skip them and answer OK [EXPUNGEISSUED].
 *
 * Memory: everything for one command comes from the session arena and is
 * released when the command ends; the view and the saved search result are
 * heap arrays owned by the session.
 */
#ifndef TERN_IMAP_SESSION_H
#define TERN_IMAP_SESSION_H

#include "auth/login.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/log.h"
#include "imap/command.h"
#include "imap/idlehub.h"
#include "imap/parse.h"
#include "imap/server.h"
#include "net/conn.h"
#include "store/store.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

/* Limits. */
#define IMAP_LINE_MAX            (64 * 1024)         /* one line of a command */
#define IMAP_COMMAND_MAX         (1024 * 1024)       /* a command's text and in-memory literals */
#define IMAP_LITERAL_PREAUTH_MAX (16 * 1024)         /* any literal before login */
#define IMAP_LITERAL_MEM_MAX     (64 * 1024)         /* APPEND data above this goes to a file */
#define IMAP_DISCARD_MAX         (UINT64_C(1) << 32) /* refused non-sync literal we still read */
#define IMAP_PREAUTH_TIMEOUT_MS  (60 * 1000)
#define IMAP_AUTH_TIMEOUT_MS     (30 * 60 * 1000) /* RFC 9051 5.4: at least 30 minutes */
#define IMAP_WRITE_TIMEOUT_MS    (5 * 60 * 1000)
#define IMAP_IDLE_TIMEOUT_MS     (30 * 60 * 1000)
#define IMAP_IDLE_KEEPALIVE_MS   (2 * 60 * 1000)     /* "* OK" in IDLE, for NATs */
#define IMAP_BAD_COMMANDS_MAX    20                  /* consecutive BAD before BYE */
#define IMAP_FETCH_BATCH         256                 /* messages read from the store at once */
#define IMAP_RESPONSE_LINE_MAX   (8 * 1024)          /* VANISHED/ESEARCH sets per line */
#define IMAP_APPEND_MAX          (UINT64_C(1) << 30) /* APPENDLIMIT: STORE_MESSAGE_MAX */

/* Capabilities: bits for those that can be enabled (ENABLE) or disabled per account
 * (IMAPCapabilitiesDisabled), and for the commands and items they bring. */
typedef uint64_t imap_caps;
#define IMAP_CAP_IMAP4REV2          (UINT64_C(1) << 0)
#define IMAP_CAP_UTF8_ACCEPT        (UINT64_C(1) << 1)
#define IMAP_CAP_CONDSTORE          (UINT64_C(1) << 2)
#define IMAP_CAP_QRESYNC            (UINT64_C(1) << 3)
#define IMAP_CAP_IDLE               (UINT64_C(1) << 4)
#define IMAP_CAP_BINARY             (UINT64_C(1) << 5)
#define IMAP_CAP_UNSELECT           (UINT64_C(1) << 6)
#define IMAP_CAP_UIDPLUS            (UINT64_C(1) << 7)
#define IMAP_CAP_ESEARCH            (UINT64_C(1) << 8)
#define IMAP_CAP_SEARCHRES          (UINT64_C(1) << 9)
#define IMAP_CAP_MOVE               (UINT64_C(1) << 10)
#define IMAP_CAP_LIST_EXTENDED      (UINT64_C(1) << 11)
#define IMAP_CAP_SPECIAL_USE        (UINT64_C(1) << 12)
#define IMAP_CAP_CREATE_SPECIAL_USE (UINT64_C(1) << 13)
#define IMAP_CAP_LIST_STATUS        (UINT64_C(1) << 14)
#define IMAP_CAP_ID                 (UINT64_C(1) << 15)
#define IMAP_CAP_APPENDLIMIT        (UINT64_C(1) << 16)
#define IMAP_CAP_STATUS_SIZE        (UINT64_C(1) << 17)
#define IMAP_CAP_NAMESPACE          (UINT64_C(1) << 18)
#define IMAP_CAP_ENABLE             (UINT64_C(1) << 19)
#define IMAP_CAP_LITERAL_PLUS       (UINT64_C(1) << 20)
#define IMAP_CAP_SASL_IR            (UINT64_C(1) << 21)
#define IMAP_CAP_QUOTA              (UINT64_C(1) << 22)
#define IMAP_CAP_SAVEDATE           (UINT64_C(1) << 23)
#define IMAP_CAP_WITHIN             (UINT64_C(1) << 24)
#define IMAP_CAP_OBJECTID           (UINT64_C(1) << 25)
#define IMAP_CAP_PREVIEW            (UINT64_C(1) << 26)
#define IMAP_CAP_MULTIAPPEND        (UINT64_C(1) << 27)
#define IMAP_CAP_REPLACE            (UINT64_C(1) << 28)
#define IMAP_CAP_INPROGRESS         (UINT64_C(1) << 29)
#define IMAP_CAP_MULTISEARCH        (UINT64_C(1) << 30)
#define IMAP_CAP_UIDONLY            (UINT64_C(1) << 31)
#define IMAP_CAP_PARTIAL            (UINT64_C(1) << 32)
#define IMAP_CAP_SORT               (UINT64_C(1) << 33)
#define IMAP_CAP_ESORT              (UINT64_C(1) << 34)
#define IMAP_CAP_THREAD             (UINT64_C(1) << 35)

/* The capability's name as announced ("CONDSTORE"), or NULL. */
const char *imap_cap_name(imap_caps cap);
/* A name from IMAPCapabilitiesDisabled or ENABLE (case-insensitive); 0 when unknown. */
imap_caps imap_cap_parse(struct str name);

enum imap_state {
	IMAP_STATE_NOTAUTH = 1u << 0,
	IMAP_STATE_AUTH = 1u << 1,
	IMAP_STATE_SELECTED = 1u << 2,
	IMAP_STATE_LOGOUT = 1u << 3,
};

/* The selected mailbox as the client sees it. */
struct imap_view {
	uint32_t *uids; /* sorted ascending; sequence number = index + 1 */
	size_t n;
	size_t cap;
	size_t nreported; /* the client knows uids[0..nreported) (last EXISTS) */
	uint32_t *gone;   /* expunged by others, not yet reported; sorted, all in uids */
	size_t ngone;
	size_t gonecap;
};

struct imap_selected {
	int64_t id;
	char *name; /* heap, the store's name */
	bool readonly;
	uint32_t uidvalidity;
	bool deleted; /* deleted by another session: commands on it fail */
	struct imap_view view;
	uint64_t highestmodseq; /* the highest MODSEQ the session has seen for the mailbox */
	uint64_t
	    base_modseq; /* HIGHESTMODSEQ when the view was read: older flag changes are in it */
	struct store_keywords keywords; /* announced in FLAGS (keywords.c), in kwar */
	struct arena kwar;
	/* IMAP4rev1 \Recent (recent.c): UIDs recent for this session, ascending. */
	uint32_t *recent;
	size_t nrecent;
	size_t recentcap;
	/* SEARCH ... RETURN (SAVE) result, RFC 5182; UIDs, valid until SELECT/EXAMINE/CLOSE. */
	uint32_t *saved;
	size_t nsaved;
	bool has_saved;
};

struct imap_session {
	struct conn *c;
	const struct imap_service *svc;
	struct imap_server *server;
	struct logger lg;
	struct arena ar; /* per command */
	unsigned state;
	bool tls;
	bool broken; /* writing failed: stop */

	/* Capabilities: enabled by the client, and disabled for the account. */
	imap_caps enabled;
	imap_caps disabled;

	/* Authentication. */
	struct auth_tls tlsinfo;
	bool have_identity;
	struct auth_identity identity;
	char account_name[AUTH_ACCOUNT_MAX + 1];
	char username[AUTH_USERNAME_MAX + 1];
	char user_agent[128];
	struct store_account *account;
	struct store_subscriber *sub;
	struct imap_waiter *waiter; /* woken by the store and the IDLE hub (idlehub.h) */
	bool counted;               /* holds one of the account's connection slots */
	uint64_t taken_seq;         /* the last change taken from the subscriber */
	int auth_failures;

	struct imap_selected sel;
	bool selected; /* sel is valid */

	/* The command being run. */
	struct imap_cmdtext text;
	struct imap_command cmd;
	bool cmd_no_expunge;      /* FETCH, STORE, SEARCH by sequence number */
	bool expunge_issued;      /* the command met messages expunged by others */
	bool unknown_cte;         /* a BINARY item met an encoding tern cannot decode (RFC 3516) */
	int64_t search_now;       /* the time YOUNGER and OLDER count from (RFC 5032) */
	int64_t cmd_start_ms;     /* when the command began (monotonic), for INPROGRESS */
	int64_t progress_last_ms; /* the last INPROGRESS response */
	int nbad;                 /* consecutive BAD replies */
	uint64_t ncommands;
};

/* ---- session.c ---- */
bool imap_sess_has(const struct imap_session *s, imap_caps cap);
bool imap_sess_utf8(const struct imap_session *s);
/* The capability list for the current state ("IMAP4rev2 IMAP4rev1 ..."). */
void imap_sess_capabilities(struct imap_session *s, struct buf *out);

/* Buffered output; failures mark the session broken. */
void imap_sess_write(struct imap_session *s, const void *p, size_t n);
void imap_sess_puts(struct imap_session *s, const char *str);
void imap_sess_printf(struct imap_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void imap_sess_flush(struct imap_session *s);
/* "* " + text + CRLF */
void imap_sess_untagged(struct imap_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * The tagged reply: first pending changes of the selected mailbox are
 * reported (without expunges for FETCH, STORE and SEARCH), then
 * "tag OK|NO|BAD [code] text". code may be NULL.
 */
void imap_sess_ok(struct imap_session *s, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void imap_sess_no(struct imap_session *s, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void imap_sess_bad(struct imap_session *s, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* NO for a store error, with the response code its kind calls for. */
void imap_sess_no_err(struct imap_session *s, const char *what, const struct error *err);
/* "tag NO [SERVERBUG]" and an error log line: our trouble, not the client's. */
void imap_sess_server_error(struct imap_session *s, const char *what, const struct error *err);

/* After authentication: open the account, subscribe to changes, count the connection. */
bool imap_sess_login(struct imap_session *s, const char *account, const char *username,
		     struct error *err);
/* The account's configuration values the session needs, read from the current config. */
int64_t imap_sess_quota(struct imap_session *s);

/* The selected mailbox still exists; false with NO [NONEXISTENT] sent. */
bool imap_sess_selected_ok(struct imap_session *s);
/* Enables CONDSTORE (RFC 7162 3.1), telling the HIGHESTMODSEQ of a selected mailbox. */
void imap_sess_enable_condstore(struct imap_session *s);
/* Leaves the selected state (CLOSE, UNSELECT, SELECT of another mailbox). */
void imap_sess_unselect(struct imap_session *s);

/* ---- output.c ---- */
/* A mailbox name for the client: "INBOX" for the inbox, modified UTF-7 without UTF-8. */
void imap_put_mailbox(struct imap_session *s, const char *name, struct buf *out);
/* A client's mailbox name as the store spells it (decoded, checked); NULL and a NO sent. */
const char *imap_sess_mailbox_arg(struct imap_session *s, struct str raw, bool allow_inbox);
/* The same without replying: for LIST patterns; false with err. */
bool imap_sess_mailbox_decode(struct imap_session *s, struct str raw, struct buf *out,
			      struct error *err);
/* "* n FETCH (" for the message seq/uid, or "* uid UIDFETCH (" with UIDONLY (RFC 9586 3.3). */
void imap_put_fetch_start(const struct imap_session *s, uint32_t seq, uint32_t uid,
			  struct buf *out);
/* "(\Seen $Junk kw)" */
void imap_put_flags(uint32_t flags, const struct store_keywords *kw, struct buf *out);
/* An IMAP string (quoted or literal). */
void imap_put_string(struct imap_session *s, const char *p, size_t n, struct buf *out);
/* Parses client flag names into bits and keywords; false with a NO sent. */
bool imap_sess_flags_arg(struct imap_session *s, const struct str *flags, size_t n, uint32_t *bits,
			 struct store_keywords *kw);
/* RFC 8474 object ids: MAILBOXID "F<id>" (kept across renames), EMAILID "M<file id>" (shared
 * by copies, kept by MOVE), THREADID "T<thread root>". The parse functions give 0 for an id
 * that is not of the kind. */
void imap_put_objectid(char kind, int64_t id, struct buf *out);
int64_t imap_objectid_parse(char kind, struct str s);
/* "dd-Mon-yyyy hh:mm:ss +zzzz" */
void imap_put_datetime(int64_t t, int tz, struct buf *out);

/* ---- keywords.c ---- */
/* "* FLAGS (...)" and "* OK [PERMANENTFLAGS (...)]" for the keywords kw. */
void imap_put_flags_lines(struct imap_session *s, const struct store_keywords *kw, bool readonly);
/* Replaces the keywords the client was told of (SELECT). */
void imap_sess_keywords_set(struct imap_session *s, const struct store_keywords *kw);
/* Before a FETCH that shows kw: FLAGS and PERMANENTFLAGS when kw has keywords the client was
 * not told of yet (RFC 3501 7.2.6). */
void imap_sess_announce_keywords(struct imap_session *s, const struct store_keywords *kw);
/* A message's flags for FETCH: "(\Seen kw)", with \Recent when it is recent to the session. */
void imap_put_msg_flags(const struct imap_session *s, uint32_t uid, uint32_t flags,
			const struct store_keywords *kw, struct buf *out);

/* ---- recent.c ---- */
/* Whether the session is IMAP4rev1 (IMAP4rev2 not enabled): \Recent and RECENT exist. */
bool imap_sess_rev1(const struct imap_session *s);
bool imap_sess_is_recent(const struct imap_session *s, uint32_t uid);
/* The client learns of these messages (ascending, above all before): claims those nobody
 * saw yet as this session's recent ones (read-write), or notes them (read-only). */
void imap_recent_take(struct imap_session *s, const uint32_t *uids, size_t n);
/* Messages recent to the session (RECENT response); 0 for IMAP4rev2. */
size_t imap_recent_count(const struct imap_session *s);
/* An expunged message is no longer counted. */
void imap_recent_forget(struct imap_session *s, uint32_t uid);

/* ---- reader.c ---- */
enum imap_read {
	IMAP_READ_COMMAND,  /* s->text holds a whole command */
	IMAP_READ_ANSWERED, /* a limit refused the command and the client was answered */
	IMAP_READ_END,      /* the connection ends (err says why) */
};
enum imap_read imap_read_command(struct imap_session *s, struct error *err);
/* Discards the files of the last command's literals. */
void imap_read_cleanup(struct imap_session *s);

/* ---- view.c ---- */
void imap_view_free(struct imap_view *v);
/* The index of uid in the view, or -1. */
ptrdiff_t imap_view_find(const struct imap_view *v, uint32_t uid);
bool imap_view_is_gone(const struct imap_view *v, uint32_t uid);
/* Adds a UID this session created (APPEND, COPY, MOVE into the selected mailbox). */
void imap_view_add(struct imap_session *s, uint32_t uid);
/* "* VANISHED [(EARLIER)] uid-set" lines (RFC 7162 3.2.10), bounded per line. */
void imap_put_vanished(struct imap_session *s, const uint32_t *uids, size_t n, bool earlier);
/* Removes UIDs this session expunged, reporting EXPUNGE or VANISHED. */
void imap_view_expunged(struct imap_session *s, const uint32_t *uids, size_t n);
/*
 * Takes the store's waiting changes and applies them (FETCH FLAGS for
 * flag changes, new messages and expunges remembered), then reports new
 * messages (EXISTS) and, when allowed, expunges. Also for other mailboxes'
 * changes: keeps the subscriber's queue short.
 */
void imap_sess_sync(struct imap_session *s, bool allow_expunge);

/* Message numbers of a command to UIDs of the view ("$" included); false with BAD sent. */
bool imap_sess_set_uids(struct imap_session *s, const struct imap_seqset *set, bool uid,
			uint32_t **uids, size_t *n);
/* UID ranges (for the store) from sorted UIDs; at most STORE_UID_RANGES_MAX per piece. */
size_t imap_uids_to_ranges(const uint32_t *uids, size_t n, struct store_uid_range *out, size_t max,
			   size_t *used);
/* The client's sequence number of uid (index + 1), 0 when not in the view. */
uint32_t imap_sess_seq(const struct imap_session *s, uint32_t uid);

/* ---- commands (exec functions) ---- */
void imap_cmd_capability(struct imap_session *s);
void imap_cmd_noop(struct imap_session *s);
void imap_cmd_logout(struct imap_session *s);
void imap_cmd_id(struct imap_session *s);
void imap_cmd_enable(struct imap_session *s);
void imap_cmd_namespace(struct imap_session *s);
void imap_cmd_starttls(struct imap_session *s);
void imap_cmd_login(struct imap_session *s);
void imap_cmd_authenticate(struct imap_session *s);
/* PREAUTH check after a TLS handshake with a client certificate; true when logged in. */
bool imap_sess_tls_identify(struct imap_session *s);
void imap_cmd_select(struct imap_session *s);
void imap_cmd_close(struct imap_session *s);
void imap_cmd_unselect(struct imap_session *s);
void imap_cmd_expunge(struct imap_session *s);
void imap_cmd_create(struct imap_session *s);
void imap_cmd_delete(struct imap_session *s);
void imap_cmd_rename(struct imap_session *s);
void imap_cmd_subscribe(struct imap_session *s);
void imap_cmd_status(struct imap_session *s);
void imap_cmd_list(struct imap_session *s);
void imap_cmd_append(struct imap_session *s);
void imap_cmd_idle(struct imap_session *s);
void imap_cmd_fetch(struct imap_session *s);
void imap_cmd_search(struct imap_session *s);
void imap_cmd_store(struct imap_session *s);
void imap_cmd_copy(struct imap_session *s);
void imap_cmd_getquota(struct imap_session *s);
void imap_cmd_getquotaroot(struct imap_session *s);
void imap_cmd_setquota(struct imap_session *s);
void imap_cmd_replace(struct imap_session *s);
void imap_cmd_esearch(struct imap_session *s);
void imap_cmd_sort(struct imap_session *s);
void imap_cmd_thread(struct imap_session *s);

/* Checks status items against the account's capabilities (BAD sent when not). */
bool imap_sess_status_items_ok(struct imap_session *s, unsigned items);
/* STATUS data for a mailbox (also for LIST-STATUS): "* STATUS name (...)". */
void imap_status_line(struct imap_session *s, const struct store_mailbox *mb, unsigned items);

#endif
