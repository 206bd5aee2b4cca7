/*
 * store/flags: message flags and keywords.
 *
 * IMAP's system flags (\Seen \Answered \Flagged \Deleted \Draft, RFC 9051
 * 2.3.2) and mox's well-known keywords ($Forwarded $Junk $NotJunk $Phishing
 * $MDNSent) are bits in a uint32_t. Every other keyword is a "free" keyword:
 * an IMAP atom (RFC 9051 9, flag-keyword), compared case-insensitively and
 * therefore stored in lower case, as mox does. A message holds at most
 * STORE_MESSAGE_KEYWORDS_MAX free keywords of at most STORE_KEYWORD_MAX bytes;
 * a mailbox remembers at most STORE_MAILBOX_KEYWORDS_MAX distinct keywords in
 * use (for the FLAGS and PERMANENTFLAGS responses).
 *
 * A struct store_keywords is a sorted array of distinct normalized keywords;
 * its strings live in an arena the caller owns. Functions here are pure and
 * thread-safe.
 */
#ifndef TERN_STORE_FLAGS_H
#define TERN_STORE_FLAGS_H

#include "base/arena.h"
#include "base/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_FLAG_SEEN      (1u << 0)
#define STORE_FLAG_ANSWERED  (1u << 1)
#define STORE_FLAG_FLAGGED   (1u << 2)
#define STORE_FLAG_DELETED   (1u << 3)
#define STORE_FLAG_DRAFT     (1u << 4)
#define STORE_FLAG_FORWARDED (1u << 5) /* $Forwarded */
#define STORE_FLAG_JUNK      (1u << 6) /* $Junk */
#define STORE_FLAG_NOTJUNK   (1u << 7) /* $NotJunk */
#define STORE_FLAG_PHISHING  (1u << 8) /* $Phishing */
#define STORE_FLAG_MDNSENT   (1u << 9) /* $MDNSent */
#define STORE_FLAGS_SYSTEM                                                                         \
	(STORE_FLAG_SEEN | STORE_FLAG_ANSWERED | STORE_FLAG_FLAGGED | STORE_FLAG_DELETED |         \
	 STORE_FLAG_DRAFT)
#define STORE_FLAGS_ALL 0x3ffu

#define STORE_KEYWORD_MAX          100
#define STORE_MESSAGE_KEYWORDS_MAX 64
#define STORE_MAILBOX_KEYWORDS_MAX 1000

struct store_keywords {
	const char **v; /* sorted, distinct, lower case */
	size_t n;
};

/* The name of one flag bit as IMAP writes it: "\Seen", "$Junk". NULL for other values. */
const char *store_flag_name(uint32_t bit);

/*
 * Parses one IMAP flag name. A system flag or well-known keyword sets *bit
 * (and *keyword to NULL); any other valid keyword sets *keyword to its
 * normalized (lower-case) copy in ar and *bit to 0. "\Recent" and unknown
 * "\..." names, empty names and non-atoms are ERR_INVALID.
 */
bool store_flag_parse(const char *name, size_t len, struct arena *ar, uint32_t *bit,
		      const char **keyword, struct error *err);

/*
 * Builds a keyword set from names (each may also be a well-known keyword or a
 * system flag, which land in *bits). Validates, lower-cases, sorts and removes
 * duplicates; more than STORE_MESSAGE_KEYWORDS_MAX distinct keywords is
 * ERR_INVALID.
 */
bool store_keywords_make(const char *const *names, size_t n, struct arena *ar, uint32_t *bits,
			 struct store_keywords *out, struct error *err);

/* Checks a set built elsewhere: sorted, distinct, lower-case atoms, bounded. */
bool store_keywords_valid(const struct store_keywords *k, struct error *err);

bool store_keywords_has(const struct store_keywords *k, const char *keyword);

/* The IMAP flag list of bits and keywords, space separated: "\Seen $Junk custom". */
struct buf;
void store_flags_format(uint32_t bits, const struct store_keywords *k, struct buf *out);

#endif
