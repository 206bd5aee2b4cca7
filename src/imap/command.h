/*
 * command: IMAP commands as data, and their grammar (RFC 9051 9 with the
 * extensions tern serves: RFC 2971 ID, RFC 3516 BINARY, RFC 4315 UIDPLUS,
 * RFC 4731 ESEARCH, RFC 5161 ENABLE, RFC 5182 SEARCHRES, RFC 5258
 * LIST-EXTENDED, RFC 5819 LIST-STATUS, RFC 6154 SPECIAL-USE and
 * CREATE-SPECIAL-USE, RFC 6851 MOVE, RFC 7162 CONDSTORE/QRESYNC, RFC 7889
 * APPENDLIMIT, RFC 8438 STATUS=SIZE, RFC 2342 NAMESPACE, RFC 9208 QUOTA,
 * RFC 8514 SAVEDATE, RFC 5032 WITHIN, RFC 8474 OBJECTID, RFC 8970 PREVIEW).
 *
 * imap_command_parse turns a received command (parse.h) into a struct
 * imap_command: the tag, which command, and its arguments, fully checked
 * against the grammar; syntax errors come back in the parser's err (the
 * session answers BAD). Parsing never looks at session state: whether a
 * command is allowed now, and what its mailbox names mean, is the
 * session's business. A new command (the later extensions) is a new kind,
 * an argument struct in the union, a parse function and an entry in the
 * table of grammar.c, and an exec function in the session's table.
 *
 * Mailbox names are kept as sent (astring bytes); the session decodes them
 * (modified UTF-7 or UTF-8, utf7.h). Everything points into the parser's
 * arena or the command text; both must outlive the struct.
 */
#ifndef TERN_IMAP_COMMAND_H
#define TERN_IMAP_COMMAND_H

#include "imap/parse.h"
#include "imap/seqset.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum imap_cmd_kind {
	IMAP_CMD_NONE = 0,
	/* any state */
	IMAP_CMD_CAPABILITY,
	IMAP_CMD_NOOP,
	IMAP_CMD_LOGOUT,
	IMAP_CMD_ID,
	/* not authenticated */
	IMAP_CMD_STARTTLS,
	IMAP_CMD_AUTHENTICATE,
	IMAP_CMD_LOGIN,
	/* authenticated */
	IMAP_CMD_ENABLE,
	IMAP_CMD_SELECT,
	IMAP_CMD_EXAMINE,
	IMAP_CMD_CREATE,
	IMAP_CMD_DELETE,
	IMAP_CMD_RENAME,
	IMAP_CMD_SUBSCRIBE,
	IMAP_CMD_UNSUBSCRIBE,
	IMAP_CMD_LIST,
	IMAP_CMD_LSUB,
	IMAP_CMD_NAMESPACE,
	IMAP_CMD_STATUS,
	IMAP_CMD_APPEND,
	IMAP_CMD_IDLE,
	IMAP_CMD_GETQUOTA,     /* RFC 9208 */
	IMAP_CMD_GETQUOTAROOT, /* RFC 9208 */
	IMAP_CMD_SETQUOTA,     /* RFC 9208: refused, no QUOTASET */
	/* selected */
	IMAP_CMD_CHECK,
	IMAP_CMD_CLOSE,
	IMAP_CMD_UNSELECT,
	IMAP_CMD_EXPUNGE,
	IMAP_CMD_UID_EXPUNGE,
	IMAP_CMD_SEARCH,
	IMAP_CMD_FETCH,
	IMAP_CMD_STORE,
	IMAP_CMD_COPY,
	IMAP_CMD_MOVE,
	IMAP_CMD_REPLACE, /* RFC 8508 */
	IMAP_CMD_ESEARCH, /* RFC 7377 (UID results, any state after login) */
	IMAP_CMD_SORT,    /* RFC 5256, RFC 5267 */
	IMAP_CMD_THREAD,  /* RFC 5256 */
	IMAP_CMD_COUNT
};

/* The command's name as written in replies ("UID FETCH"). */
const char *imap_cmd_name(enum imap_cmd_kind k, bool uid);

/* ---- arguments ---- */

struct imap_mailbox_arg {
	struct str name; /* as sent */
};

struct imap_login_args {
	struct str user;
	struct str password;
};

struct imap_authenticate_args {
	struct str mech;
	bool has_initial;
	struct str initial; /* base64 or "=" as sent */
};

struct imap_id_args {
	struct str *keys; /* NIL list: n == 0 and nil set */
	struct str *values;
	size_t n;
	bool nil;
};

struct imap_enable_args {
	struct str *caps;
	size_t n;
};

/* SELECT/EXAMINE parameters (RFC 7162 3.1.8, 3.2.5). */
struct imap_select_args {
	struct str mailbox;
	bool condstore;
	bool qresync;
	uint32_t uidvalidity;
	uint64_t modseq;
	bool has_known_uids;
	struct imap_seqset known_uids;
	bool has_seq_match;
	struct imap_seqset known_seqs;     /* known-sequence-set */
	struct imap_seqset known_seq_uids; /* known-uid-set */
};

/* CREATE with RFC 6154 USE (bits of STORE_SPECIALUSE_*; unknown attributes in bad_use). */
struct imap_create_args {
	struct str mailbox;
	uint32_t use;
	struct str bad_use; /* the first special-use attribute not known, "" when none */
};

struct imap_rename_args {
	struct str from;
	struct str to;
};

/* STATUS items. */
#define IMAP_STATUS_MESSAGES        (1u << 0)
#define IMAP_STATUS_UIDNEXT         (1u << 1)
#define IMAP_STATUS_UIDVALIDITY     (1u << 2)
#define IMAP_STATUS_UNSEEN          (1u << 3)
#define IMAP_STATUS_DELETED         (1u << 4)
#define IMAP_STATUS_SIZE            (1u << 5)  /* RFC 8438 */
#define IMAP_STATUS_RECENT          (1u << 6)  /* RFC 3501 */
#define IMAP_STATUS_HIGHESTMODSEQ   (1u << 7)  /* RFC 7162 */
#define IMAP_STATUS_APPENDLIMIT     (1u << 8)  /* RFC 7889 */
#define IMAP_STATUS_DELETED_STORAGE (1u << 9)  /* RFC 9208 */
#define IMAP_STATUS_MAILBOXID       (1u << 10) /* RFC 8474 */

struct imap_status_args {
	struct str mailbox;
	unsigned items;
};

/* LIST selection options (RFC 5258 3.1, RFC 6154 5.1) and return options. */
#define IMAP_LIST_SEL_SUBSCRIBED     (1u << 0)
#define IMAP_LIST_SEL_REMOTE         (1u << 1)
#define IMAP_LIST_SEL_RECURSIVEMATCH (1u << 2)
#define IMAP_LIST_SEL_SPECIALUSE     (1u << 3)
#define IMAP_LIST_RET_SUBSCRIBED     (1u << 0)
#define IMAP_LIST_RET_CHILDREN       (1u << 1)
#define IMAP_LIST_RET_SPECIALUSE     (1u << 2)
#define IMAP_LIST_RET_STATUS         (1u << 3) /* RFC 5819 */
#define IMAP_LIST_PATTERNS_MAX       64

struct imap_list_args {
	bool extended; /* selection or return options, or several patterns, were used */
	unsigned select;
	unsigned ret;
	unsigned status_items;
	struct str reference;
	struct str *patterns;
	size_t npatterns;
	bool lsub;
};

#define IMAP_APPEND_FLAGS_MAX 64
#define IMAP_APPEND_MSGS_MAX  IMAP_LITERALS_MAX /* MULTIAPPEND: one literal each */

struct imap_append_msg {
	struct str *flags;
	size_t nflags;
	bool has_date;
	int64_t date;
	int date_tz;
	const struct imap_literal *data;
};

struct imap_append_args {
	struct str mailbox;
	struct imap_append_msg *msgs; /* one, or several with MULTIAPPEND (RFC 3502) */
	size_t n;
};

/* REPLACE seq-number mailbox append-message (RFC 8508 5). */
struct imap_replace_args {
	struct imap_range msg; /* one number, or "*" (IMAP_STAR) */
	struct str mailbox;
	struct imap_append_msg msg_data;
};

/* RFC 9394 partial-range: results first..last counted from the start (1:500), or from the end
 * when negative (-1:-100 is the last hundred); first <= last in magnitude. */
struct imap_partial {
	int64_t first;
	int64_t last;
};

/* ---- FETCH ---- */

enum imap_fetch_kind {
	IMAP_FETCH_UID,
	IMAP_FETCH_FLAGS,
	IMAP_FETCH_INTERNALDATE,
	IMAP_FETCH_RFC822_SIZE,
	IMAP_FETCH_ENVELOPE,
	IMAP_FETCH_BODYSTRUCTURE,
	IMAP_FETCH_BODY_STRUCT, /* BODY without a section: non-extensible structure */
	IMAP_FETCH_SECTION,     /* BODY[...], BODY.PEEK[...], RFC822, RFC822.HEADER, RFC822.TEXT */
	IMAP_FETCH_BINARY,      /* BINARY[...], BINARY.PEEK[...] (RFC 3516) */
	IMAP_FETCH_BINARY_SIZE,
	IMAP_FETCH_MODSEQ,   /* RFC 7162 */
	IMAP_FETCH_SAVEDATE, /* RFC 8514 */
	IMAP_FETCH_EMAILID,  /* RFC 8474 */
	IMAP_FETCH_THREADID, /* RFC 8474 */
	IMAP_FETCH_PREVIEW,  /* RFC 8970; lazy: "PREVIEW (LAZY)" */
};

enum imap_section_text {
	IMAP_SECTION_ALL,           /* [] or [1.2] */
	IMAP_SECTION_HEADER,        /* [HEADER], [1.HEADER] */
	IMAP_SECTION_HEADER_FIELDS, /* [HEADER.FIELDS (...)] */
	IMAP_SECTION_HEADER_FIELDS_NOT /* [HEADER.FIELDS.NOT (...)] */,
	IMAP_SECTION_TEXT, /* [TEXT] */
	IMAP_SECTION_MIME, /* [1.MIME] */
};

#define IMAP_PART_DEPTH_MAX    32
#define IMAP_HEADER_FIELDS_MAX 100
#define IMAP_FETCH_ITEMS_MAX   100

struct imap_fetch_section {
	uint32_t part[IMAP_PART_DEPTH_MAX]; /* part numbers; npart == 0 for the message */
	size_t npart;
	enum imap_section_text text;
	struct str *fields; /* HEADER.FIELDS[.NOT] names */
	size_t nfields;
};

struct imap_fetch_item {
	enum imap_fetch_kind kind;
	bool peek;
	bool lazy; /* PREVIEW (LAZY) */
	struct imap_fetch_section sec;
	bool partial;
	uint64_t offset;
	uint64_t count;
	/* RFC 3501 RFC822, RFC822.HEADER and RFC822.TEXT answer under their own names. */
	const char *rfc822_name;
};

struct imap_fetch_args {
	struct imap_seqset set;
	struct imap_fetch_item *items;
	size_t n;
	bool changedsince_set;
	uint64_t changedsince; /* RFC 7162 3.1.4.1 */
	bool vanished;         /* RFC 7162 3.2.6 (UID FETCH only) */
	bool partial_set;      /* RFC 9394 3.3 (UID FETCH only) */
	struct imap_partial partial;
};

/* ---- STORE ---- */

enum imap_store_op {
	IMAP_STORE_REPLACE,
	IMAP_STORE_ADD,
	IMAP_STORE_REMOVE,
};

#define IMAP_STORE_FLAGS_MAX 128

struct imap_store_args {
	struct imap_seqset set;
	enum imap_store_op op;
	bool silent;
	struct str *flags;
	size_t nflags;
	bool unchangedsince_set;
	uint64_t unchangedsince; /* RFC 7162 3.1.3 */
};

/* GETQUOTA and SETQUOTA (RFC 9208 4.1); GETQUOTAROOT takes a mailbox (struct imap_mailbox_arg). */
struct imap_quota_args {
	struct str root;
};

struct imap_copy_args {
	struct imap_seqset set;
	struct str mailbox;
};

struct imap_uid_expunge_args {
	struct imap_seqset set;
};

/* ---- SEARCH ---- */

enum imap_search_op {
	IMAP_SK_ALL,
	IMAP_SK_AND, /* kids */
	IMAP_SK_OR,  /* kids[0], kids[1] */
	IMAP_SK_NOT, /* kids[0] */
	IMAP_SK_SEQSET,
	IMAP_SK_UIDSET,
	IMAP_SK_FLAG,   /* flag set (flag bit or keyword) */
	IMAP_SK_UNFLAG, /* flag clear */
	IMAP_SK_NEW,    /* RFC 3501: RECENT and UNSEEN */
	IMAP_SK_OLD,
	IMAP_SK_RECENT,
	IMAP_SK_BEFORE, /* internal date, by day */
	IMAP_SK_ON,
	IMAP_SK_SINCE,
	IMAP_SK_SENTBEFORE, /* Date header, by day */
	IMAP_SK_SENTON,
	IMAP_SK_SENTSINCE,
	IMAP_SK_LARGER,
	IMAP_SK_SMALLER,
	IMAP_SK_HEADER,   /* name, value */
	IMAP_SK_ENVELOPE, /* name (FROM, TO, CC, BCC or SUBJECT), value */
	IMAP_SK_BODY,
	IMAP_SK_TEXT,
	IMAP_SK_MODSEQ,      /* RFC 7162 3.1.5 */
	IMAP_SK_SAVEDBEFORE, /* RFC 8514: save date, by day */
	IMAP_SK_SAVEDON,
	IMAP_SK_SAVEDSINCE,
	IMAP_SK_SAVEDATESUPPORTED, /* RFC 8514: all, the mailbox keeps save dates */
	IMAP_SK_YOUNGER,           /* RFC 5032: internal date within number seconds */
	IMAP_SK_OLDER,
	IMAP_SK_EMAILID, /* RFC 8474: value */
	IMAP_SK_THREADID,
};

#define IMAP_SEARCH_KEYS_MAX 1000

struct imap_search_key {
	enum imap_search_op op;
	struct imap_search_key *kids;
	size_t nkids;
	struct imap_seqset set;
	uint32_t flag;      /* STORE_FLAG_* bit, or 0 for a keyword */
	struct str keyword; /* the keyword as written */
	int64_t day;        /* date keys: the day's start, UTC */
	uint64_t number;    /* LARGER, SMALLER, MODSEQ */
	struct str name;    /* HEADER field name */
	struct str value;   /* HEADER, BODY, TEXT */
};

/* ESEARCH return options (RFC 4731, RFC 5182, RFC 9394 PARTIAL). */
#define IMAP_SEARCH_RET_MIN     (1u << 0)
#define IMAP_SEARCH_RET_MAX     (1u << 1)
#define IMAP_SEARCH_RET_ALL     (1u << 2)
#define IMAP_SEARCH_RET_COUNT   (1u << 3)
#define IMAP_SEARCH_RET_SAVE    (1u << 4)
#define IMAP_SEARCH_RET_PARTIAL (1u << 5)

/* Mailbox filters (RFC 5465 6 filter-mailboxes, RFC 7377 2.2 subtree-one). */
enum imap_mbfilter_kind {
	IMAP_MBF_SELECTED,
	IMAP_MBF_SELECTED_DELAYED,
	IMAP_MBF_INBOXES,
	IMAP_MBF_PERSONAL,
	IMAP_MBF_SUBSCRIBED,
	IMAP_MBF_SUBTREE,
	IMAP_MBF_SUBTREE_ONE,
	IMAP_MBF_MAILBOXES,
};

#define IMAP_MBFILTER_NAMES_MAX 100

struct imap_mbfilter {
	enum imap_mbfilter_kind kind;
	struct str *names; /* SUBTREE, SUBTREE_ONE, MAILBOXES: as sent */
	size_t nnames;
};

#define IMAP_MBFILTERS_MAX 16

struct imap_search_args {
	bool has_return; /* RETURN (...) given: answer with ESEARCH */
	unsigned ret;
	struct imap_partial partial; /* with IMAP_SEARCH_RET_PARTIAL */
	struct str charset;          /* "" when not given */
	struct imap_search_key root; /* AND of the keys */
	bool uses_modseq;            /* a MODSEQ key: CONDSTORE gets enabled */
	bool uses_seqnums;           /* a key with message sequence numbers (UIDONLY refuses) */
	/* The ESEARCH command (RFC 7377): its IN (...) mailboxes; none: the selected one. */
	bool esearch;
	struct imap_mbfilter *sources;
	size_t nsources;
};

/* SORT (RFC 5256 3) with ESORT's RETURN (RFC 5267 3). */
enum imap_sort_key {
	IMAP_SORT_ARRIVAL,
	IMAP_SORT_CC,
	IMAP_SORT_DATE,
	IMAP_SORT_FROM,
	IMAP_SORT_SIZE,
	IMAP_SORT_SUBJECT,
	IMAP_SORT_TO,
};

#define IMAP_SORT_KEYS_MAX 16

struct imap_sort_crit {
	enum imap_sort_key key;
	bool reverse;
};

struct imap_sort_args {
	struct imap_sort_crit crit[IMAP_SORT_KEYS_MAX];
	size_t ncrit;
	struct imap_search_args search; /* has_return/ret: ESORT */
};

/* THREAD (RFC 5256 3). */
enum imap_thread_alg {
	IMAP_THREAD_ORDEREDSUBJECT,
	IMAP_THREAD_REFERENCES,
};

struct imap_thread_args {
	enum imap_thread_alg alg;
	struct imap_search_args search;
};

/* ---- the command ---- */

struct imap_command {
	struct str tag;
	enum imap_cmd_kind kind;
	bool uid; /* "UID FETCH" etc. */
	union {
		struct imap_login_args login;
		struct imap_authenticate_args authenticate;
		struct imap_id_args id;
		struct imap_enable_args enable;
		struct imap_select_args select;
		struct imap_create_args create;
		struct imap_mailbox_arg mailbox; /* DELETE, SUBSCRIBE, UNSUBSCRIBE */
		struct imap_rename_args rename;
		struct imap_list_args list;
		struct imap_status_args status;
		struct imap_append_args append;
		struct imap_fetch_args fetch;
		struct imap_store_args store;
		struct imap_copy_args copy;
		struct imap_uid_expunge_args uid_expunge;
		struct imap_search_args search;
		struct imap_quota_args quota;
		struct imap_replace_args replace;
		struct imap_sort_args sort;
		struct imap_thread_args thread;
	} u;
};

/*
 * Reads the tag and command name, then the arguments. Returns false on a
 * syntax error (p->err, p->code). When the tag could be read, c->tag is set
 * even on failure (for the BAD reply); an unknown command leaves c->kind
 * IMAP_CMD_NONE.
 */
bool imap_command_parse(struct imap_parser *p, struct imap_command *c);

/* The parts of the grammar in their own files. */
bool imap_parse_fetch(struct imap_parser *p, struct imap_command *c);
bool imap_parse_search(struct imap_parser *p, struct imap_command *c);
bool imap_parse_esearch(struct imap_parser *p, struct imap_command *c);
bool imap_parse_sort(struct imap_parser *p, struct imap_command *c);
bool imap_parse_thread(struct imap_parser *p, struct imap_command *c);
/* RFC 9394 partial-range. */
bool imap_parse_partial_range(struct imap_parser *p, struct imap_partial *out);
/* "RETURN" SP "(" options ")" SP (RFC 4731 3.1, RFC 9394). */
bool imap_parse_search_ret(struct imap_parser *p, struct imap_search_args *a);
/* [RETURN (...)] [CHARSET x] search-program into a (after the command's SP). */
bool imap_parse_search_args(struct imap_parser *p, struct imap_search_args *a);
/* filter-mailboxes (RFC 5465 6, RFC 7377 2.2); allowed: bits (1u << kind). */
bool imap_parse_mbfilter(struct imap_parser *p, unsigned allowed, struct imap_mbfilter *out);
bool imap_parse_list(struct imap_parser *p, struct imap_command *c);
bool imap_parse_lsub(struct imap_parser *p, struct imap_command *c);
/* status-att list "(" ... ")" into IMAP_STATUS_* bits. */
bool imap_parse_status_items(struct imap_parser *p, unsigned *items);

#endif
