/*
 * mail: the parsed form of an Internet message (RFC 5322, MIME RFC 2045-2049,
 * RFC 6532 UTF-8 headers) as the store keeps it and IMAP serves it.
 *
 * mail_parse reads a whole message from memory and returns its part tree with
 * the byte offsets of every part's header, body and end, the MIME fields of
 * every part, the envelope (RFC 9051 7.5.2) of the message and of every nested
 * message/rfc822 or message/global part, and the fields the store needs for
 * threading and lookups (message-id, references, base subject, date, sender).
 * It never fails and never returns NULL: whatever the input, it produces a
 * structure, and records what was wrong in flags (MAIL_F_*). Work is bounded:
 * part count, nesting depth, header fields per part and header bytes per part
 * have named limits below; beyond them the structure stays consistent (offsets
 * always cover the real bytes) but less detailed, and a flag says so.
 *
 * Everything is allocated in the caller's arena; the parse result points into
 * the arena and not into `data` (strings are copied, NUL-terminated), so data
 * may be freed after parsing. A parse result is read-only and may be shared
 * between threads once built. Strings are never NULL unless the field is
 * documented as "NULL when absent".
 *
 * Offsets: every part has header_start <= body_start <= end, relative to the
 * whole message, except inside a message/rfc822 or message/global part whose
 * body is base64 or quoted-printable encoded (allowed for message/global by
 * RFC 6532 3.5): that nested message is parsed from the decoded body, its
 * offsets are relative to the decoded bytes, and the message part carries
 * MAIL_F_DECODED_MESSAGE (mail_section_lookup says which space applies).
 * Line endings: CRLF and bare LF are both accepted everywhere (bare LF sets
 * MAIL_F_BARE_LF); a lone CR is an ordinary byte.
 */
#ifndef TERN_MAIL_MAIL_H
#define TERN_MAIL_MAIL_H

#include "base/arena.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/str.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Limits. Beyond them parsing continues with less detail and a flag. */
#define MAIL_PARTS_MAX         5000        /* parts in one message, all levels */
#define MAIL_DEPTH_MAX         32          /* nesting of multiparts and messages */
#define MAIL_HEADER_FIELDS_MAX 2000        /* header fields kept per part */
#define MAIL_HEADER_BYTES_MAX  (1 << 20)   /* header bytes examined per part */
#define MAIL_FIELD_BYTES_MAX   (64 * 1024) /* bytes of one field value parsed */
#define MAIL_PARAMS_MAX        64          /* parameters per Content-Type/-Disposition */
#define MAIL_ADDRESSES_MAX     1000        /* addresses (and group markers) per list */
#define MAIL_MSGIDS_MAX        512         /* msg-ids kept from References/In-Reply-To */

/* Problems found while parsing; set on the part where they were seen and
 * collected (or-ed) into mail_message.flags. */
enum mail_flags {
	MAIL_F_BARE_LF = 1u << 0,          /* a line ended in LF without CR */
	MAIL_F_HEADER_8BIT = 1u << 1,      /* header bytes >= 0x80 */
	MAIL_F_HEADER_BAD_UTF8 = 1u << 2,  /* ... that are not valid UTF-8 */
	MAIL_F_HEADER_TRUNCATED = 1u << 3, /* field or byte limit hit; later fields ignored */
	MAIL_F_HEADER_BAD_LINE = 1u << 4,  /* a header line without a field name ended the header */
	MAIL_F_NO_HEADER_END = 1u << 5,    /* no empty line after the header */
	MAIL_F_BAD_CONTENT_TYPE = 1u << 6, /* Content-Type unparseable; defaulted (RFC 2045 5.2) */
	MAIL_F_NO_BOUNDARY = 1u << 7,      /* multipart without boundary parameter */
	MAIL_F_NO_FIRST_BOUNDARY = 1u << 8, /* multipart body without any delimiter line */
	MAIL_F_NO_CLOSE_BOUNDARY = 1u << 9, /* multipart ended without close-delimiter */
	MAIL_F_PART_LIMIT = 1u << 10,       /* MAIL_PARTS_MAX reached; later parts not split */
	MAIL_F_DEPTH_LIMIT = 1u << 11,      /* MAIL_DEPTH_MAX reached; not parsed deeper */
	MAIL_F_DECODED_MESSAGE = 1u << 12,  /* nested message parsed from decoded body */
	MAIL_F_BAD_ENCODING = 1u << 13,     /* unknown Content-Transfer-Encoding */
	MAIL_F_BAD_PARAMS = 1u << 14,       /* malformed or duplicate parameters */
	MAIL_F_ADDRESS_SYNTAX = 1u << 15,   /* an address list needed error recovery */
	MAIL_F_BAD_DATE = 1u << 16,         /* Date present but unparseable */
};
#define MAIL_F_ALL ((1u << 17) - 1)

/* A Content-Type or Content-Disposition parameter: lower-case name (RFC 2231
 * continuations joined, without "*N*"), value decoded to UTF-8 (RFC 2231
 * charsets, RFC 2047 encoded words in quoted values as many mailers send). */
struct mail_param {
	const char *name;
	const char *value;
};

enum mail_address_kind {
	MAIL_ADDR_MAILBOX = 0,
	MAIL_ADDR_GROUP_START, /* name is the group's display name */
	MAIL_ADDR_GROUP_END,
};

/*
 * One element of an address list, in the shape of IMAP's address structure
 * (RFC 9051 7.5.2): a mailbox, or the start or end of a group. name is the
 * display name with RFC 5322 quoting removed and encoded words left as
 * written ("" when none; a trailing comment is used when there is no display
 * name); mail_decode_words gives the display form. route is the obsolete
 * source route ("@a,@b") or "". localpart is unquoted. domain is as written
 * ("" when missing).
 */
struct mail_address {
	enum mail_address_kind kind;
	const char *name;
	const char *route;
	const char *localpart;
	const char *domain;
};

struct mail_addrlist {
	struct mail_address *v;
	size_t n;
};

/* The RFC 9051 ENVELOPE fields. Strings are the unfolded header values as
 * written (encoded words not decoded, as IMAP clients expect), NULL when the
 * field is absent. Address lists are empty when absent. */
struct mail_envelope {
	const char *date;
	const char *subject;
	struct mail_addrlist from, sender, reply_to, to, cc, bcc;
	const char *in_reply_to;
	const char *message_id;
};

struct mail_part {
	size_t header_start; /* first byte of the part's header (MIME header for children) */
	size_t body_start;   /* first byte after the empty line ending the header */
	size_t end;          /* end of the body (excludes the CRLF before a boundary) */

	/* Content-Type, lower-case. Defaults (RFC 2045 5.2, RFC 2046 5.1.5):
	 * text/plain with charset=us-ascii when absent or invalid, message/rfc822
	 * for children of multipart/digest; charset=us-ascii is added to text parts
	 * without a charset (RFC 2046 4.1.2). */
	const char *type;
	const char *subtype;
	struct mail_param *params;
	size_t nparams;

	/* Unfolded header values, NULL when absent. encoding is lower-case. */
	const char *content_id;
	const char *description;
	const char *encoding;
	const char *md5;
	const char *disposition; /* lower-case disposition type */
	struct mail_param *disp_params;
	size_t ndisp_params;
	const char *language;
	const char *location;

	uint64_t lines;        /* line feeds in the body (raw), as IMAP servers count lines */
	uint64_t decoded_size; /* body octets after transfer decoding (IMAP BINARY.SIZE) */
	unsigned flags;

	/* multipart: the children, in order. */
	struct mail_part *children;
	size_t nchildren;

	/* message/rfc822 and message/global (when parsed): the nested message's
	 * envelope and root part. */
	struct mail_envelope *envelope;
	struct mail_part *message;
};

struct mail_message {
	size_t size; /* bytes parsed */
	struct mail_part root;
	struct mail_envelope envelope;

	/* For threading (RFC 5256, as mox threads) and lookups. */
	const char *message_id;   /* inside the <>, "" when absent */
	const char **in_reply_to; /* msg-ids inside <>, in order */
	size_t nin_reply_to;
	const char **references;
	size_t nreferences;
	const char *subject;        /* RFC 2047-decoded, unfolded, UTF-8; "" when absent */
	const char *subject_base;   /* RFC 5256 2.1 base subject, lower-cased like mox */
	time_t date;                /* from Date, 0 when missing or unparseable */
	int date_tzoffset;          /* minutes east of UTC as written */
	const char *from_localpart; /* first From mailbox, "" when none */
	const char *from_domain;    /* its domain: A-label lower-case when valid, else as written */
	bool headers_8bit;          /* some header of some part has bytes >= 0x80 */
	bool headers_utf8;          /* ... and all of them are valid UTF-8 (RFC 6532) */
	unsigned flags;             /* union of all parts' flags */
};

/* Parses a message. Never NULL, never fails (see above). */
struct mail_message *mail_parse(const char *data, size_t len, struct arena *a);

/* The smallest structure: an empty text/plain message of size 0. Used when a
 * stored parse cannot be read, so callers always have a structure. */
void mail_message_init_empty(struct mail_message *m);

/* True when the part is a message/rfc822 or message/global part. */
bool mail_part_is_message(const struct mail_part *p);
bool mail_part_is_multipart(const struct mail_part *p);
/* A parameter's value by lower-case name, NULL when absent. */
const char *mail_param_get(const struct mail_param *v, size_t n, const char *name);

/*
 * Sections (RFC 9051 6.4.5): "" (whole message), "HEADER", "TEXT",
 * "HEADER.FIELDS ..." / "HEADER.FIELDS.NOT ..." (the header range; the caller
 * selects lines), "1.2", "1.2.MIME", "3.HEADER", "3.TEXT". part is the part the
 * numbers name (the root for none). start/end are the byte range in space:
 * NULL means the message as given to mail_parse; otherwise the bytes are the
 * transfer-decoded body of that message part (MAIL_F_DECODED_MESSAGE), itself
 * located by its own offsets in its own space.
 */
enum mail_section_text {
	MAIL_SECTION_BODY,   /* the part's body, or the whole message for "" */
	MAIL_SECTION_HEADER, /* HEADER and HEADER.FIELDS[.NOT] */
	MAIL_SECTION_TEXT,
	MAIL_SECTION_MIME,
};

struct mail_section {
	const struct mail_part *part;
	enum mail_section_text text;
	size_t start, end;
	const struct mail_part *space;
	/* The encoded message parts on the way, outermost first: spaces[0] is
	 * located in the message, spaces[i] in the decoded body of spaces[i-1];
	 * space is the last one. */
	const struct mail_part *spaces[MAIL_DEPTH_MAX + 1];
	size_t nspaces;
};

bool mail_section_lookup(const struct mail_message *m, struct str section, struct mail_section *out,
			 struct error *err);
/* The bytes a section's start/end are in: data itself without a space,
 * otherwise the decoded body of its innermost space, decoded level by level
 * into scratch (which the caller frees). */
void mail_section_bytes(const struct mail_section *s, const char *data, size_t len,
			struct buf *scratch, const char **base, size_t *baselen);

/* Finds a part by its numbers ("1.2.3"): the part IMAP's BODY[1.2.3] names.
 * NULL when there is no such part. */
const struct mail_part *mail_part_find(const struct mail_message *m, struct str numbers);

/* Transfer-decodes a body (encoding "base64", "quoted-printable", anything
 * else is copied) into out, which it appends to. Never fails: invalid input is
 * skipped (base64) or kept (quoted-printable). */
void mail_transfer_decode(const char *p, size_t n, const char *encoding, struct buf *out);
/* The size mail_transfer_decode would produce, without producing it. */
uint64_t mail_transfer_decoded_size(const char *p, size_t n, const char *encoding);

#endif
