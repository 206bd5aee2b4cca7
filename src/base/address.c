#include "base/address.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* A localpart as decoded from its input, before NFC. Input is bounded by
 * ADDRESS_INPUT_MAX and decoding never grows it, so it fits. */
struct raw_localpart {
	char b[ADDRESS_INPUT_MAX + 1];
	size_t len;
};

/* RFC 5322 3.2.3 atext, the ASCII part; RFC 6531 3.3 adds UTF8-non-ascii. */
static bool is_atext(unsigned char c)
{
	return ascii_isalnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* RFC 5321 4.1.2 qtextSMTP, the ASCII part: graphics and space but '"' and '\'. */
static bool is_qtext(unsigned char c)
{
	return c == ' ' || c == '!' || (c >= '#' && c <= '[') || (c >= ']' && c <= '~');
}

static bool invalid_char(unsigned char c, const char *where, struct error *err)
{
	if (c > 0x20 && c < 0x7f)
		return error_set(err, ERR_INVALID, "invalid character '%c' %s", c, where);
	return error_set(err, ERR_INVALID, "invalid character 0x%02x %s", c, where);
}

/* Copies the UTF-8 sequence at s[*pos] (a non-ASCII lead byte) to raw. C1
 * controls are refused like their ASCII counterparts: the RFC 6532 grammar
 * admits them, but no mailbox name needs one and they garble logs and replies. */
static bool take_utf8(struct str s, size_t *pos, struct raw_localpart *raw, struct error *err)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s.p + *pos,
					      (utf8proc_ssize_t)(s.len - *pos), &cp);
	if (n <= 0)
		return error_set(err, ERR_INVALID, "invalid UTF-8 in localpart");
	if (cp >= 0x80 && cp <= 0x9f)
		return error_set(err, ERR_INVALID, "control character in localpart");
	memcpy(raw->b + raw->len, s.p + *pos, (size_t)n);
	raw->len += (size_t)n;
	*pos += (size_t)n;
	return true;
}

/* Consumes one atom (possibly empty) of a dot-string. */
static bool scan_atom(struct str s, size_t *pos, struct raw_localpart *raw, struct error *err)
{
	while (*pos < s.len) {
		unsigned char c = (unsigned char)s.p[*pos];
		if (c >= 0x80) {
			if (!take_utf8(s, pos, raw, err))
				return false;
		} else if (is_atext(c)) {
			raw->b[raw->len++] = (char)c;
			(*pos)++;
		} else {
			break;
		}
	}
	return true;
}

/* RFC 5321 4.1.2: Dot-string = Atom *("." Atom). Stops before the first
 * character that cannot continue it; an empty result is left to the caller. */
static bool scan_dot_string(struct str s, size_t *pos, struct raw_localpart *raw, struct error *err)
{
	for (;;) {
		size_t start = *pos;
		if (!scan_atom(s, pos, raw, err))
			return false;
		bool empty = *pos == start;
		bool dot = *pos < s.len && s.p[*pos] == '.';
		if (dot && empty)
			return error_set(err, ERR_INVALID, "%s",
					 start == 0 ? "localpart starts with a dot"
						    : "consecutive dots in localpart");
		if (!dot) {
			if (empty && start > 0)
				return error_set(err, ERR_INVALID, "localpart ends with a dot");
			return true;
		}
		raw->b[raw->len++] = '.';
		(*pos)++;
	}
}

/* RFC 5321 4.1.2: Quoted-string = DQUOTE *QcontentSMTP DQUOTE, with
 * quoted-pairSMTP = "\" %d32-126; RFC 6531 3.3 adds UTF-8 to qtextSMTP. */
static bool scan_quoted_string(struct str s, size_t *pos, struct raw_localpart *raw,
			       struct error *err)
{
	(*pos)++; /* the opening quote */
	while (*pos < s.len) {
		unsigned char c = (unsigned char)s.p[*pos];
		if (c == '"') {
			(*pos)++;
			return true;
		}
		if (c == '\\') {
			if (*pos + 1 >= s.len)
				break;
			unsigned char q = (unsigned char)s.p[*pos + 1];
			if (q < 32 || q > 126)
				return invalid_char(q, "after backslash in quoted string", err);
			raw->b[raw->len++] = (char)q;
			*pos += 2;
		} else if (c >= 0x80) {
			if (!take_utf8(s, pos, raw, err))
				return false;
		} else if (is_qtext(c)) {
			raw->b[raw->len++] = (char)c;
			(*pos)++;
		} else {
			return invalid_char(c, "in quoted string", err);
		}
	}
	return error_set(err, ERR_INVALID, "unterminated quoted string in localpart");
}

static bool scan_localpart(struct str s, size_t *pos, struct raw_localpart *raw, struct error *err)
{
	raw->len = 0;
	if (s.len > 0 && s.p[0] == '"')
		return scan_quoted_string(s, pos, raw, err);
	return scan_dot_string(s, pos, raw, err);
}

static bool check_ascii_only(struct str s, unsigned flags, struct error *err)
{
	if (!(flags & ADDRESS_ASCII_ONLY))
		return true;
	for (size_t i = 0; i < s.len; i++)
		if ((unsigned char)s.p[i] >= 0x80)
			return error_set(err, ERR_INVALID,
					 "non-ASCII character in address (needs SMTPUTF8)");
	return true;
}

/* Normalises to NFC (the form mox compares localparts in), checks the result
 * is still representable and within the length limit, and stores it. */
static bool finish_localpart(const struct raw_localpart *raw, unsigned flags,
			     char out[ADDRESS_LOCALPART_MAX + 1], struct error *err)
{
	if (raw->len == 0 && !(flags & ADDRESS_ALLOW_CATCHALL))
		return error_set(err, ERR_INVALID, "empty localpart");
	utf8proc_uint8_t *nfc = NULL;
	utf8proc_ssize_t n =
	    utf8proc_map((const utf8proc_uint8_t *)raw->b, (utf8proc_ssize_t)raw->len, &nfc,
			 UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	if (n < 0)
		return error_set(err, ERR_INVALID, "localpart: %s", utf8proc_errmsg(n));
	bool ok = false;
	size_t limit =
	    (flags & ADDRESS_STRICT_LENGTH) ? ADDRESS_LOCALPART_RFC_MAX : ADDRESS_LOCALPART_MAX;
	/* Canonical decomposition can turn a non-ASCII character into ASCII (U+037E
	 * to ';'); formatting quotes what needs it, but controls cannot be written. */
	for (utf8proc_ssize_t i = 0; i < n; i++) {
		if (nfc[i] < 0x20 || nfc[i] == 0x7f) {
			error_set(err, ERR_INVALID, "control character in localpart");
			goto out;
		}
	}
	if ((size_t)n > limit) {
		error_set(err, ERR_LIMIT, "localpart longer than %zu octets", limit);
		goto out;
	}
	memcpy(out, nfc, (size_t)n);
	out[n] = '\0';
	ok = true;
out:
	free(nfc);
	return ok;
}

bool address_localpart_parse(struct str s, unsigned flags, char out[ADDRESS_LOCALPART_MAX + 1],
			     struct error *err)
{
	out[0] = '\0';
	if (s.len > ADDRESS_INPUT_MAX)
		return error_set(err, ERR_LIMIT, "localpart longer than %d bytes",
				 ADDRESS_INPUT_MAX);
	struct raw_localpart raw;
	size_t pos = 0;
	if (!check_ascii_only(s, flags, err) || !scan_localpart(s, &pos, &raw, err))
		return false;
	if (pos < s.len)
		return invalid_char((unsigned char)s.p[pos], "in localpart", err);
	return finish_localpart(&raw, flags, out, err);
}

static bool parse_address(struct str s, unsigned flags, struct address *out, struct error *err)
{
	if (s.len == 0)
		return error_set(err, ERR_INVALID, "empty address");
	if (s.len > ADDRESS_INPUT_MAX)
		return error_set(err, ERR_LIMIT, "address longer than %d bytes", ADDRESS_INPUT_MAX);
	struct raw_localpart raw;
	size_t pos = 0;
	if (!check_ascii_only(s, flags, err) || !scan_localpart(s, &pos, &raw, err))
		return false;
	if (pos >= s.len)
		return error_set(err, ERR_INVALID, "missing @domain");
	if (s.p[pos] != '@')
		return invalid_char((unsigned char)s.p[pos], "in localpart", err);
	struct str domain = str_sub(s, pos + 1, s.len);
	if (domain.len == 0)
		return error_set(err, ERR_INVALID, "missing domain after @");
	if (!finish_localpart(&raw, flags, out->localpart, err))
		return false;
	/* RFC 5321 4.1.2: mail domains are LDH (or U-labels), never absolute. */
	if (!dns_domain_parse(domain, 0, &out->domain, err))
		return error_prefix(err, "domain");
	return true;
}

bool address_parse(struct str s, unsigned flags, struct address *out, struct error *err)
{
	memset(out, 0, sizeof *out);
	if (parse_address(s, flags, out, err))
		return true;
	memset(out, 0, sizeof *out);
	return false;
}

bool address_parse_cstr(const char *s, unsigned flags, struct address *out, struct error *err)
{
	return address_parse(str_from(s), flags, out, err);
}

bool address_localpart_is_dot_string(const char *localpart)
{
	bool after_dot = true; /* refuses a leading dot */
	for (const unsigned char *p = (const unsigned char *)localpart; *p; p++) {
		if (*p == '.') {
			if (after_dot)
				return false;
			after_dot = true;
			continue;
		}
		if (*p < 0x80 && !is_atext(*p))
			return false;
		after_dot = false;
	}
	return !after_dot; /* refuses empty and a trailing dot */
}

void address_localpart_format(struct buf *dst, const char *localpart)
{
	/* RFC 5321 4.1.2: send the form with the minimum quoting. */
	if (address_localpart_is_dot_string(localpart)) {
		buf_puts(dst, localpart);
		return;
	}
	buf_putc(dst, '"');
	for (const char *p = localpart; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_putc(dst, '\\');
		buf_putc(dst, *p);
	}
	buf_putc(dst, '"');
}

void address_format(struct buf *dst, const struct address *a, bool unicode)
{
	if (a->localpart[0] != '\0')
		address_localpart_format(dst, a->localpart);
	buf_putc(dst, '@');
	buf_puts(dst, unicode ? a->domain.unicode : a->domain.ascii);
}

bool address_eq(const struct address *a, const struct address *b)
{
	return strcmp(a->localpart, b->localpart) == 0 && dns_domain_eq(&a->domain, &b->domain);
}

/* Length of localpart before the earliest separator. */
static size_t before_separators(const char *localpart, const struct localpart_rules *rules)
{
	size_t n = strlen(localpart);
	for (size_t i = 0; rules && i < rules->nseparators; i++) {
		const char *sep = rules->separators[i];
		if (!sep || !*sep)
			continue;
		const char *hit = strstr(localpart, sep);
		if (hit && (size_t)(hit - localpart) < n)
			n = (size_t)(hit - localpart);
	}
	return n;
}

bool address_localpart_canonical(const char *localpart, const struct localpart_rules *rules,
				 struct buf *out, struct error *err)
{
	size_t n = before_separators(localpart, rules);
	if (rules && rules->case_sensitive) {
		buf_append(out, localpart, n);
		return true;
	}
	if (n == 0)
		return true;
	/* Full case folding, then NFC again: "Straße" and "STRASSE" meet at "strasse". */
	utf8proc_uint8_t *folded = NULL;
	utf8proc_ssize_t r =
	    utf8proc_map((const utf8proc_uint8_t *)localpart, (utf8proc_ssize_t)n, &folded,
			 UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD);
	if (r < 0)
		return error_set(err, ERR_INVALID, "localpart: %s", utf8proc_errmsg(r));
	buf_append(out, folded, (size_t)r);
	free(folded);
	return true;
}

bool address_localpart_has_separator(const char *localpart, const struct localpart_rules *rules)
{
	return before_separators(localpart, rules) < strlen(localpart);
}

bool address_localpart_is_postmaster(const char *localpart)
{
	/* RFC 5321 4.5.1: "postmaster" is case-insensitive; only ASCII case, so
	 * look-alikes such as a long s (U+017F) for "s" do not reach it. */
	return ascii_caseeq(localpart, "postmaster");
}
