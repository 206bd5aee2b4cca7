/*
 * address: mail addresses "localpart@domain" as in RFC 5321 4.1.2, with the
 * SMTPUTF8 extensions of RFC 6531 3.3 (UTF-8 in localparts and domains).
 *
 * address_parse reads an address as written in config files, on the command
 * line and in SMTP paths (the SMTP layer strips the angle brackets). The
 * localpart is a dot-string (atoms of atext or UTF-8, single inner dots) or a
 * quoted-string with quoted-pairs; it is stored decoded, without quotes or
 * backslashes, normalised to Unicode NFC, so equal addresses written in
 * different quoting or normalisation compare equal byte for byte.
 * address_localpart_format writes it back with the minimum quoting (RFC 5321
 * 4.1.2), so parse -> format -> parse gives the same value. The domain is a
 * struct dns_domain (mail domain rules: no underscore, no trailing dot, no
 * address literals).
 *
 * A parsed localpart holds only printable ASCII and valid UTF-8 (no controls,
 * no NUL), at most ADDRESS_LOCALPART_MAX octets, or with ADDRESS_STRICT_LENGTH
 * the RFC's 64. An empty localpart is an error except with
 * ADDRESS_ALLOW_CATCHALL, for mox's catchall form "@domain" in Destinations.
 * struct address is a plain value (arrays inside, no pointers): copy with `=`,
 * share between threads freely. Canonical forms for lookups (catchall
 * separators, case folding) are computed on demand into a struct buf. All
 * functions are thread-safe and bounded on arbitrary input.
 */
#ifndef TERN_BASE_ADDRESS_H
#define TERN_BASE_ADDRESS_H

#include "base/buf.h"
#include "base/dnsname.h"
#include "base/error.h"
#include "base/str.h"

#include <stdbool.h>
#include <stddef.h>

/* RFC 5321 4.5.3.1.1, enforced with ADDRESS_STRICT_LENGTH. */
#define ADDRESS_LOCALPART_RFC_MAX 64
/* The bound without it. mox accepts localparts over 64 octets because generated
 * addresses (bounce/VERP, SRS) exceed it in practice; 512 octets is an SMTP
 * command line (RFC 5321 4.5.3.1.4), so nothing that arrives by SMTP is longer. */
#define ADDRESS_LOCALPART_MAX 512
/* Longest input considered: a fully quoted maximal localpart plus a domain. */
#define ADDRESS_INPUT_MAX (2 * ADDRESS_LOCALPART_MAX + 3 + DNS_INPUT_MAX)

struct address {
	char localpart[ADDRESS_LOCALPART_MAX + 1]; /* decoded, NFC; "" only for a catchall */
	struct dns_domain domain;
};

enum address_parse_flags {
	/* Refuse localparts over 64 octets (pedantic mode). */
	ADDRESS_STRICT_LENGTH = 1 << 0,
	/* Accept an empty localpart ("@example.com", or ""@example.com): the
	 * catchall form of a Destinations key. */
	ADDRESS_ALLOW_CATCHALL = 1 << 1,
	/* Refuse any non-ASCII byte: SMTP without SMTPUTF8 (RFC 6531 3.4); an
	 * A-label domain is ASCII and fine. */
	ADDRESS_ASCII_ONLY = 1 << 2,
};

/* Parses "localpart@domain". On failure out is zeroed and err says why. */
bool address_parse(struct str s, unsigned flags, struct address *out, struct error *err);
bool address_parse_cstr(const char *s, unsigned flags, struct address *out, struct error *err);

/* Parses a localpart on its own (config fields naming just a localpart). */
bool address_localpart_parse(struct str s, unsigned flags, char out[ADDRESS_LOCALPART_MAX + 1],
			     struct error *err);

/* True when the localpart can be written as a dot-string, without quotes. */
bool address_localpart_is_dot_string(const char *localpart);
/* Appends the localpart as a dot-string, or else as a quoted-string with "\"
 * before '"' and '\'. The empty localpart is written as "". localpart must come
 * from parsing (no control characters, valid UTF-8). */
void address_localpart_format(struct buf *dst, const char *localpart);
/* Appends "localpart@domain" with the domain in ASCII (A-label) or Unicode form;
 * the localpart is written as is either way (it has no ASCII form). A catchall
 * is written "@domain". */
void address_format(struct buf *dst, const struct address *a, bool unicode);

/* Same localpart (byte for byte, so case-sensitive) and same domain. */
bool address_eq(const struct address *a, const struct address *b);

/* How a domain maps localparts to destinations (mox's LocalpartCatchallSeparators
 * and LocalpartCaseSensitive). Empty separator strings are ignored. Functions
 * taking rules accept NULL: no separators, case-insensitive (mox's defaults). */
struct localpart_rules {
	const char *const *separators;
	size_t nseparators;
	bool case_sensitive;
};

/* Appends the lookup form of localpart to out: cut at the earliest occurrence
 * of any separator ("mjl+news" -> "mjl"), then, unless case-sensitive, Unicode
 * case folding and NFC ("Straße" -> "strasse"). Fails only on invalid UTF-8.
 * Separators are matched before folding, as in mox; a separator that folding
 * changes (a letter) would make the result depend on case, so config
 * validation should refuse those. */
bool address_localpart_canonical(const char *localpart, const struct localpart_rules *rules,
				 struct buf *out, struct error *err);
/* True when localpart contains any of the (non-empty) separators. */
bool address_localpart_has_separator(const char *localpart, const struct localpart_rules *rules);
/* "postmaster" in any ASCII case (RFC 5321 4.5.1); no Unicode folding on purpose. */
bool address_localpart_is_postmaster(const char *localpart);

#endif
