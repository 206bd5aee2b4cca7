/*
 * parse: the lexical layer of IMAP commands (RFC 9051 9), over a command
 * that has been received whole.
 *
 * A command arrives as lines and literals (RFC 9051 4.3, RFC 7888
 * LITERAL+, RFC 3516 literal8). The reader (reader.h) collects them into a
 * struct imap_cmdtext: the bytes as sent, every line with its CRLF except
 * the last, each literal's bytes right after its "{n}" CRLF, and a record
 * per literal. A literal too large to hold in memory (APPEND data) is kept
 * in a file instead; its bytes are then absent from the text and its record
 * holds the file. imap_cmdtext_from_bytes does the same splitting from a
 * byte buffer (tests, fuzzing), with every literal in memory.
 *
 * The parser reads a cmdtext left to right with one function per grammar
 * element: atoms, astrings, quoted strings and literals, numbers, sequence
 * sets, dates, flags, parenthesized lists (nesting bounded by
 * IMAP_PARSE_DEPTH_MAX). Each returns false on a syntax error, after
 * which p->err says what was wrong (the session answers BAD); values are
 * slices of the text or copies in the parser's arena. Nothing here does
 * I/O; a parser is used by one thread.
 *
 * Strings: quoted strings may hold UTF-8 (RFC 9051 QUOTED-CHAR, RFC 6855)
 * and never CR, LF or NUL; literals may not hold NUL (CHAR8) unless they
 * are literal8, which only APPEND accepts (RFC 3516 4.3).
 */
#ifndef TERN_IMAP_PARSE_H
#define TERN_IMAP_PARSE_H

#include "base/arena.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/str.h"
#include "imap/seqset.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMAP_LITERALS_MAX    64 /* literals in one command */
#define IMAP_PARSE_DEPTH_MAX 32 /* nesting of parentheses and search keys */
#define IMAP_NUMBER64_MAX    INT64_MAX

struct imap_literal {
	size_t at;    /* offset in the text where the bytes start (after "{n}" CRLF) */
	uint64_t len; /* declared length */
	bool binary;  /* literal8: "~{n}" */
	bool sync;    /* "{n}" rather than "{n+}" */
	int fd;       /* >= 0: the bytes are in this file and not in the text */
	bool has_nul; /* the data holds a NUL byte (found while reading) */
	void *file;   /* the reader's handle for the file (e.g. a store tmpfile) */
};

struct imap_cmdtext {
	struct buf text;
	struct imap_literal lits[IMAP_LITERALS_MAX];
	size_t nlits;
};

void imap_cmdtext_init(struct imap_cmdtext *t);
/* Frees the text; files of literals are the reader's to discard first. */
void imap_cmdtext_free(struct imap_cmdtext *t);
void imap_cmdtext_reset(struct imap_cmdtext *t);

/*
 * Where a line ends in a literal announcement "{n}", "{n+}" or "~{n}":
 * returns true and fills len, sync and binary. A malformed announcement
 * (not digits, over IMAP_NUMBER64_MAX) is false with *malformed set.
 */
bool imap_literal_announced(struct str line, uint64_t *len, bool *sync, bool *binary,
			    bool *malformed);

/*
 * Splits wire bytes into a command as the reader would: lines end in LF
 * (CR before it dropped), a line announcing a literal takes the next n bytes.
 * *used gets the bytes consumed. False when the command is incomplete or
 * exceeds max bytes or IMAP_LITERALS_MAX literals.
 */
bool imap_cmdtext_from_bytes(const char *p, size_t n, size_t max, struct imap_cmdtext *t,
			     size_t *used);

struct imap_parser {
	const struct imap_cmdtext *cmd;
	const char *p;
	size_t len;
	size_t pos;
	struct arena *ar;
	int depth;
	struct error err;
	/* A response code for the BAD/NO reply, e.g. "LIMIT" or "BADCHARSET"; "" for none. */
	const char *code;
};

void imap_parser_init(struct imap_parser *p, const struct imap_cmdtext *cmd, struct arena *ar);

/* Sets p->err (kind ERR_INVALID) and returns false. */
bool imap_p_fail(struct imap_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

bool imap_p_at_end(const struct imap_parser *p);
/* The command must end here. */
bool imap_p_end(struct imap_parser *p);
/* The next byte, or -1 at the end. */
int imap_p_peek(const struct imap_parser *p);
/* Consumes c when it is next. */
bool imap_p_take(struct imap_parser *p, char c);
/* Consumes the ASCII word when it is next (case-insensitive) and not followed by an
 * atom character. */
bool imap_p_take_word(struct imap_parser *p, const char *word);
/* Consumes the ASCII text when it is next (case-insensitive), whatever follows. */
bool imap_p_take_prefix(struct imap_parser *p, const char *word);
/* One SP, required. */
bool imap_p_sp(struct imap_parser *p);
/* Requires c next. */
bool imap_p_expect(struct imap_parser *p, char c);

/* "(" and ")" with the nesting bound (IMAP_PARSE_DEPTH_MAX, code LIMIT). */
bool imap_p_open(struct imap_parser *p);
bool imap_p_close(struct imap_parser *p);

bool imap_p_tag(struct imap_parser *p, struct str *out);
bool imap_p_atom(struct imap_parser *p, struct str *out);
/* An atom that may also contain "]" (ASTRING-CHAR), e.g. "BODY[...]" words stop earlier. */
bool imap_p_astring_atom(struct imap_parser *p, struct str *out);
/* Quoted string or literal (in memory), unescaped, NUL-terminated in the arena. */
bool imap_p_string(struct imap_parser *p, struct str *out);
bool imap_p_astring(struct imap_parser *p, struct str *out);
/* NIL gives STR_NULL. */
bool imap_p_nstring(struct imap_parser *p, struct str *out);
/* list-mailbox: list-chars ("%" and "*" included) or a string. */
bool imap_p_list_mailbox(struct imap_parser *p, struct str *out);

bool imap_p_number(struct imap_parser *p, uint32_t *out);
bool imap_p_nznumber(struct imap_parser *p, uint32_t *out);
bool imap_p_number64(struct imap_parser *p, uint64_t *out);
bool imap_p_nznumber64(struct imap_parser *p, uint64_t *out);

/* A sequence set; "$" only with allow_saved. */
bool imap_p_seqset(struct imap_parser *p, bool allow_saved, struct imap_seqset *out);

/* A flag ("\Seen", "\*" refused, keywords) as written. */
bool imap_p_flag(struct imap_parser *p, struct str *out);
/* "(" [flag *(SP flag)] ")"; at most max flags. */
bool imap_p_flag_list(struct imap_parser *p, size_t max, struct str **flags, size_t *n);

/* date = date-text / DQUOTE date-text DQUOTE; the day's start in UTC (Unix seconds). */
bool imap_p_date(struct imap_parser *p, int64_t *out);
/* date-time in quotes: Unix seconds and the zone in minutes east of UTC. */
bool imap_p_datetime(struct imap_parser *p, int64_t *t, int *tz);

/* RFC 8474 6: objectid = 1*255(ALPHA / DIGIT / "_" / "-"). */
#define IMAP_OBJECTID_MAX 255
bool imap_p_objectid(struct imap_parser *p, struct str *out);

/* APPEND data: a literal or literal8; the record tells where its bytes are. */
bool imap_p_message_literal(struct imap_parser *p, const struct imap_literal **out);

/* The rest of the text from here to the end. */
struct str imap_p_rest(const struct imap_parser *p);

/* Whether c may appear in an atom (RFC 9051 9 ATOM-CHAR). */
bool imap_atom_char(unsigned char c);

#endif
