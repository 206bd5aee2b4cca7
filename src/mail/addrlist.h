/*
 * addrlist: RFC 5322 3.4 address lists (From, To, Cc, Reply-To, ...), with
 * groups, display names (atoms, quoted strings, obsolete phrases with dots),
 * obsolete source routes (RFC 5322 4.4), quoted and obsolete local parts,
 * domain literals, comments, and UTF-8 anywhere (RFC 6532).
 *
 * The result has IMAP's shape (struct mail_address): mailboxes, and group
 * start/end markers around a group's members. Parsing never fails: anything
 * unparseable is skipped up to the next ",", and the return value says whether
 * the list was clean. Empty list elements (obsolete syntax) are ignored. At
 * most MAIL_ADDRESSES_MAX elements are kept; an unclosed group is closed.
 *
 * mail_addrlist_format writes a list back in RFC 5322 syntax with minimal
 * quoting; parsing the output gives the same list (the fuzzer checks it).
 * Strings are copied into the arena; thread-safe.
 */
#ifndef TERN_MAIL_ADDRLIST_H
#define TERN_MAIL_ADDRLIST_H

#include "mail/mail.h"

#include "base/arena.h"
#include "base/buf.h"
#include "base/str.h"

#include <stdbool.h>

/* Parses an unfolded field value. Returns false when error recovery was
 * needed (the list is still filled with what could be parsed). */
bool mail_addrlist_parse(struct arena *a, struct str value, struct mail_addrlist *out);

/* Appends the list as an RFC 5322 address-list. */
void mail_addrlist_format(const struct mail_addrlist *l, struct buf *out);

/* The first mailbox (not a group marker), NULL when there is none. */
const struct mail_address *mail_addrlist_first_mailbox(const struct mail_addrlist *l);

#endif
