#include "base/dnsname.h"

#include <arpa/inet.h>
#include <idn2.h>
#include <string.h>
#include <utf8proc.h>

/* UTS #46 non-transitional processing: "ß" stays "ß" (xn--zca) instead of
 * becoming "ss", as IDNA2008 (RFC 5892) intends; input is mapped (case, width,
 * NFC) the way RFC 5895 suggests for lookups. */
#define IDNA_FLAGS IDN2_NONTRANSITIONAL

/* Where parsing writes, with the lengths used so far. */
struct name_out {
	struct dns_domain *d;
	size_t alen;
	size_t ulen;
};

static bool is_ldh(char c)
{
	return ascii_isalnum(c) || c == '-';
}

/* Length of a label separator at p (0 if none). Besides ".", the ideographic and
 * fullwidth full stops separate labels (RFC 3490 3.1, UTS #46 maps them to "."). */
static size_t separator_len(const char *p, size_t avail)
{
	if (avail >= 1 && p[0] == '.')
		return 1;
	if (avail < 3)
		return 0;
	static const char *const seps[] = {"\xe3\x80\x82", "\xef\xbc\x8e", "\xef\xbd\xa1"};
	for (size_t i = 0; i < sizeof seps / sizeof seps[0]; i++)
		if (memcmp(p, seps[i], 3) == 0)
			return 3;
	return 0;
}

/* Refuses NUL bytes and invalid UTF-8 (overlong forms, surrogates, > U+10FFFF). */
static bool check_utf8(struct str s, struct error *err)
{
	size_t i = 0;
	while (i < s.len) {
		unsigned char c = (unsigned char)s.p[i];
		if (c == 0)
			return error_set(err, ERR_INVALID, "NUL byte in name");
		if (c < 0x80) {
			i++;
			continue;
		}
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s.p + i,
						      (utf8proc_ssize_t)(s.len - i), &cp);
		if (n <= 0)
			return error_set(err, ERR_INVALID, "invalid UTF-8 in name");
		i += (size_t)n;
	}
	return true;
}

/* RFC 5321 4.1.3: "[1.2.3.4]" is an address literal, and a bare IP address is no
 * domain either; refusing them here keeps them out of every domain-typed field. */
static bool check_not_ip(struct str s, struct error *err)
{
	if (s.len > 0 && s.p[0] == '[')
		return error_set(err, ERR_INVALID, "address literal is not a domain name");
	char tmp[INET6_ADDRSTRLEN + 1];
	if (s.len >= sizeof tmp)
		return true;
	memcpy(tmp, s.p, s.len);
	tmp[s.len] = '\0';
	unsigned char addr[sizeof(struct in6_addr)];
	if (inet_pton(AF_INET, tmp, addr) == 1 || inet_pton(AF_INET6, tmp, addr) == 1)
		return error_set(err, ERR_INVALID, "IP address is not a domain name");
	return true;
}

static bool invalid_char(char c, struct error *err)
{
	if (c > 0x20 && c < 0x7f)
		return error_set(err, ERR_INVALID, "invalid character '%c' in label", c);
	return error_set(err, ERR_INVALID, "invalid character 0x%02x in label", (unsigned char)c);
}

/* Checks a lower-case ASCII label: letters, digits, inner hyphens (RFC 5321
 * 4.1.2 sub-domain, RFC 1123 2.1 allows a leading digit), underscores on request.
 * Labels with "--" in positions 3 and 4 other than "xn--" are accepted: they are
 * valid LDH labels in the DNS (RFC 5890 2.3.1), and such host names exist. */
static bool check_ascii_label(const char *l, size_t len, unsigned flags, struct error *err)
{
	if (len == 0)
		return error_set(err, ERR_INVALID, "empty label");
	if (len > DNS_LABEL_MAX)
		return error_set(err, ERR_LIMIT, "label longer than %d octets", DNS_LABEL_MAX);
	for (size_t i = 0; i < len; i++) {
		if (is_ldh(l[i]))
			continue;
		if (l[i] != '_')
			return invalid_char(l[i], err);
		if (!(flags & DNS_ALLOW_UNDERSCORE))
			return error_set(err, ERR_INVALID, "underscore not allowed in label");
	}
	if (l[0] == '-')
		return error_set(err, ERR_INVALID, "label starts with a hyphen");
	if (l[len - 1] == '-')
		return error_set(err, ERR_INVALID, "label ends with a hyphen");
	return true;
}

static bool idna_error(int rc, const char *what, struct error *err)
{
	if (rc == IDN2_TOO_BIG_LABEL || rc == IDN2_PUNYCODE_BIG_OUTPUT)
		return error_set(err, ERR_LIMIT, "label longer than %d octets", DNS_LABEL_MAX);
	if (rc == IDN2_TOO_BIG_DOMAIN)
		return error_set(err, ERR_LIMIT, "name longer than %d octets", DNS_NAME_MAX);
	return error_set(err, ERR_INVALID, "%s: %s", what, idn2_strerror(rc));
}

/* RFC 5890 2.3.2.1: an A-label must decode to a valid U-label that encodes back
 * to the same A-label. Puts the U-label in ulabel (cap bytes with the NUL). */
static bool alabel_decode(const char *alabel, char *ulabel, size_t cap, struct error *err)
{
	char *u = NULL, *back = NULL;
	int rc = idn2_to_unicode_8z8z(alabel, &u, 0);
	if (rc != IDN2_OK)
		return idna_error(rc, "invalid A-label", err);
	bool ok = false;
	/* RFC 5892: of ASCII, only letters, digits and hyphen are PVALID. */
	for (const char *p = u; *p; p++) {
		bool lower_ldh = (*p >= 'a' && *p <= 'z') || ascii_isdigit(*p) || *p == '-';
		if ((unsigned char)*p < 0x80 && !lower_ldh) {
			error_set(err, ERR_INVALID, "invalid A-label: disallowed ASCII character");
			goto out;
		}
	}
	rc = idn2_to_ascii_8z(u, &back, IDNA_FLAGS);
	if (rc != IDN2_OK) {
		idna_error(rc, "invalid A-label", err);
		goto out;
	}
	if (strcmp(back, alabel) != 0) {
		error_set(err, ERR_INVALID, "invalid A-label: does not round-trip");
		goto out;
	}
	if (!str_copy(ulabel, cap, u)) {
		error_set(err, ERR_LIMIT, "name too long in Unicode form");
		goto out;
	}
	ok = true;
out:
	idn2_free(back);
	idn2_free(u);
	return ok;
}

/* Maps a label with non-ASCII characters to its A-label (or, when mapping leaves
 * only ASCII, to a plain label) through IDNA2008 with UTS #46 mapping. */
static bool unicode_label_to_ascii(struct str in, char *out, size_t cap, struct error *err)
{
	char tmp[DNS_INPUT_MAX + 1];
	memcpy(tmp, in.p, in.len); /* in.len <= DNS_INPUT_MAX, checked by the caller */
	tmp[in.len] = '\0';
	char *a = NULL;
	int rc = idn2_to_ascii_8z(tmp, &a, IDNA_FLAGS);
	if (rc != IDN2_OK)
		return idna_error(rc, "invalid IDNA", err);
	bool ok = str_copy(out, cap, a);
	idn2_free(a);
	if (!ok)
		return error_set(err, ERR_LIMIT, "label longer than %d octets", DNS_LABEL_MAX);
	return true;
}

/* Appends "." (unless first) and the label; false when it does not fit. */
static bool append(char *dst, size_t cap, size_t *len, const char *s, size_t n)
{
	size_t sep = *len > 0 ? 1 : 0;
	if (n + sep > cap - 1 - *len)
		return false;
	if (sep)
		dst[(*len)++] = '.';
	memcpy(dst + *len, s, n);
	*len += n;
	dst[*len] = '\0';
	return true;
}

/* Converts one input label and appends both forms to o. */
static bool add_label(struct str in, unsigned flags, struct name_out *o, struct error *err)
{
	if (in.len == 0)
		return error_set(err, ERR_INVALID, "empty label");
	bool non_ascii = false;
	for (size_t i = 0; i < in.len; i++)
		non_ascii |= (unsigned char)in.p[i] >= 0x80;

	char alabel[DNS_INPUT_MAX + 1];
	if (non_ascii) {
		if (!unicode_label_to_ascii(in, alabel, sizeof alabel, err))
			return false;
	} else {
		memcpy(alabel, in.p, in.len);
		alabel[in.len] = '\0';
	}
	ascii_lower_inplace(alabel);
	size_t alen = strlen(alabel);
	if (!check_ascii_label(alabel, alen, flags, err))
		return false;

	char ulabel[DNS_UNICODE_MAX + 1];
	if (str_has_prefix(str_make(alabel, alen), "xn--")) {
		if (!alabel_decode(alabel, ulabel, sizeof ulabel, err))
			return false;
	} else {
		memcpy(ulabel, alabel, alen + 1);
	}
	if (!append(o->d->ascii, sizeof o->d->ascii, &o->alen, alabel, alen))
		return error_set(err, ERR_LIMIT, "name longer than %d octets", DNS_NAME_MAX);
	/* Cannot happen given DNS_UNICODE_MAX, but a limit is checked, not assumed. */
	if (!append(o->d->unicode, sizeof o->d->unicode, &o->ulen, ulabel, strlen(ulabel)))
		return error_set(err, ERR_LIMIT, "name too long in Unicode form");
	return true;
}

/* Drops one trailing separator when allowed; refuses it otherwise. */
static bool strip_trailing_dot(struct str *s, unsigned flags, struct error *err)
{
	size_t n = 0;
	if (s->len >= 1 && s->p[s->len - 1] == '.')
		n = 1;
	else if (s->len >= 3 && separator_len(s->p + s->len - 3, 3) == 3)
		n = 3;
	if (n == 0)
		return true;
	if (!(flags & DNS_ALLOW_TRAILING_DOT))
		return error_set(err, ERR_INVALID, "trailing dot not allowed");
	s->len -= n;
	if (s->len == 0)
		return error_set(err, ERR_INVALID, "empty name");
	return true;
}

static bool split_labels(struct str s, unsigned flags, struct name_out *o, struct error *err)
{
	size_t start = 0, i = 0;
	while (i < s.len) {
		size_t n = separator_len(s.p + i, s.len - i);
		if (n == 0) {
			i++;
			continue;
		}
		if (!add_label(str_sub(s, start, i), flags, o, err))
			return false;
		i += n;
		start = i;
	}
	return add_label(str_sub(s, start, s.len), flags, o, err);
}

/* RFC 3696 2: top-level names are never all-numeric, so "1.2.3.4" or "10.1" can
 * only be an IP address written loosely. */
static bool check_tld(const struct dns_domain *d, struct error *err)
{
	const char *dot = strrchr(d->ascii, '.');
	const char *tld = dot ? dot + 1 : d->ascii;
	for (const char *p = tld; *p; p++)
		if (!ascii_isdigit(*p))
			return true;
	return error_set(err, ERR_INVALID,
			 "top-level label is all digits (an IP address is not a domain name)");
}

bool dns_domain_parse(struct str s, unsigned flags, struct dns_domain *out, struct error *err)
{
	memset(out, 0, sizeof *out);
	if (s.len == 0)
		return error_set(err, ERR_INVALID, "empty name");
	if (s.len > DNS_INPUT_MAX)
		return error_set(err, ERR_LIMIT, "name longer than %d bytes", DNS_INPUT_MAX);
	struct name_out o = {out, 0, 0};
	bool ok = check_utf8(s, err) && check_not_ip(s, err) &&
		  strip_trailing_dot(&s, flags, err) && split_labels(s, flags, &o, err) &&
		  check_tld(out, err);
	if (!ok)
		memset(out, 0, sizeof *out);
	return ok;
}

bool dns_domain_parse_cstr(const char *s, unsigned flags, struct dns_domain *out, struct error *err)
{
	return dns_domain_parse(str_from(s), flags, out, err);
}

bool dns_domain_is_idn(const struct dns_domain *d)
{
	return strcmp(d->ascii, d->unicode) != 0;
}

bool dns_domain_eq(const struct dns_domain *a, const struct dns_domain *b)
{
	return strcmp(a->ascii, b->ascii) == 0;
}

bool dns_domain_is_subdomain(const struct dns_domain *d, const struct dns_domain *parent)
{
	size_t n = strlen(d->ascii), pn = strlen(parent->ascii);
	/* The character before the parent's name must be a label boundary. */
	return pn > 0 && n > pn + 1 && d->ascii[n - pn - 1] == '.' &&
	       memcmp(d->ascii + n - pn, parent->ascii, pn) == 0;
}

bool dns_domain_within(const struct dns_domain *d, const struct dns_domain *parent)
{
	return (parent->ascii[0] != '\0' && dns_domain_eq(d, parent)) ||
	       dns_domain_is_subdomain(d, parent);
}

bool dns_domain_parent(const struct dns_domain *d, struct dns_domain *out)
{
	/* U-labels never contain a dot, so both forms have the same labels. */
	const char *a = strchr(d->ascii, '.');
	const char *u = strchr(d->unicode, '.');
	if (!a || !u) {
		memset(out, 0, sizeof *out);
		return false;
	}
	/* memmove: out may be d. The tails fit, being shorter than the names. */
	memmove(out->ascii, a + 1, strlen(a + 1) + 1);
	memmove(out->unicode, u + 1, strlen(u + 1) + 1);
	return true;
}

int dns_domain_labels(const struct dns_domain *d)
{
	if (d->ascii[0] == '\0')
		return 0;
	int n = 1;
	for (const char *p = d->ascii; *p; p++)
		n += *p == '.';
	return n;
}

bool dns_pattern_parse(struct str s, unsigned flags, struct dns_pattern *out, struct error *err)
{
	memset(out, 0, sizeof *out);
	bool wildcard = str_has_prefix(s, "*.");
	struct str rest = wildcard ? str_sub(s, 2, s.len) : s;
	if (str_eq_cstr(s, "*"))
		return error_set(err, ERR_INVALID, "wildcard without a domain");
	/* RFC 6125 6.4.3: only a whole left-most label may be a wildcard. */
	if (str_index(rest, '*') >= 0)
		return error_set(err, ERR_INVALID,
				 "wildcard only allowed as the whole first label");
	if (!dns_domain_parse(rest, flags, &out->base, err))
		return false;
	out->wildcard = wildcard;
	return true;
}

bool dns_pattern_match(const struct dns_pattern *p, const struct dns_domain *d)
{
	if (!p->wildcard)
		return p->base.ascii[0] != '\0' && dns_domain_eq(&p->base, d);
	struct dns_domain parent;
	return dns_domain_parent(d, &parent) && dns_domain_eq(&parent, &p->base);
}
