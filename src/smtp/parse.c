#include "smtp/parse.h"

#include "base/utf8.h"

#include <arpa/inet.h>
#include <string.h>

bool smtp_parse_command(struct str line, struct smtp_cmd *out)
{
	memset(out, 0, sizeof *out);
	size_t i = 0;
	while (i < line.len && ascii_isalpha((unsigned char)line.p[i])) {
		if (i == SMTP_VERB_MAX)
			return false;
		out->verb[i] = ascii_upper(line.p[i]);
		i++;
	}
	if (i == 0)
		return false;
	if (i == line.len) {
		out->args = str_make(line.p + i, 0);
		return true;
	}
	if (line.p[i] != ' ')
		return false;
	out->has_space = true;
	out->args = str_make(line.p + i + 1, line.len - i - 1);
	return true;
}

/* Finds the '>' closing a path that starts with '<' at s.p[0], skipping quoted strings. */
static ptrdiff_t path_end(struct str s)
{
	bool quoted = false;
	for (size_t i = 1; i < s.len; i++) {
		char c = s.p[i];
		if (quoted && c == '\\') {
			i++;
			continue;
		}
		if (c == '"')
			quoted = !quoted;
		else if (!quoted && c == '>')
			return (ptrdiff_t)i;
	}
	return -1;
}

bool smtp_split_path_arg(struct str args, const char *prefix, bool lenient, struct str *path,
			 struct str *rest, struct error *err)
{
	if (!str_has_prefixi(args, prefix))
		return error_set(err, ERR_INVALID, "expected \"%s\"", prefix);
	struct str s = str_sub(args, strlen(prefix), args.len);
	/* RFC 5321 4.1.2: no space after the colon; some submission clients send one. */
	if (lenient && s.len > 0 && s.p[0] == ' ')
		s = str_sub(s, 1, s.len);
	if (s.len == 0 || s.p[0] != '<')
		return error_set(err, ERR_INVALID, "expected \"<\" to start the path");
	ptrdiff_t end = path_end(s);
	if (end < 0)
		return error_set(err, ERR_INVALID, "missing \">\" to end the path");
	*path = str_sub(s, 0, (size_t)end + 1);
	*rest = str_sub(s, (size_t)end + 1, s.len);
	return true;
}

bool smtp_parse_address_literal(struct str s, char out[SMTP_LITERAL_MAX + 1], struct error *err)
{
	out[0] = '\0';
	char tmp[SMTP_LITERAL_MAX + 1];
	if (s.len == 0 || s.len > SMTP_LITERAL_MAX)
		return error_set(err, ERR_INVALID, "bad address literal");
	memcpy(tmp, s.p, s.len);
	tmp[s.len] = '\0';
	unsigned char addr[16];
	if (str_has_prefixi(s, "IPv6:")) {
		if (inet_pton(AF_INET6, tmp + 5, addr) != 1)
			return error_set(err, ERR_INVALID, "bad IPv6 address literal");
		memcpy(tmp, "IPv6", 4); /* canonical tag case */
	} else if (inet_pton(AF_INET, tmp, addr) != 1) {
		/* General-address-literal tags (4.1.3) name no standard we support. */
		return error_set(err, ERR_INVALID, "bad address literal");
	}
	memcpy(out, tmp, s.len + 1);
	return true;
}

/* Skips a source route "@a,@b:" (RFC 5321 4.1.2 A-d-l; ignored per 3.3 and C). */
static bool skip_source_route(struct str *s, struct error *err)
{
	if (s->len == 0 || s->p[0] != '@')
		return true;
	ptrdiff_t colon = str_index(*s, ':');
	if (colon < 0)
		return error_set(err, ERR_INVALID, "bad source route");
	struct str route = str_sub(*s, 0, (size_t)colon);
	while (route.len > 0) {
		struct str one, more;
		bool has_more = str_cut(route, ',', &one, &more);
		if (!has_more)
			one = route;
		if (one.len < 2 || one.p[0] != '@')
			return error_set(err, ERR_INVALID, "bad source route");
		struct dns_domain d;
		if (!dns_domain_parse(str_sub(one, 1, one.len), 0, &d, err))
			return error_prefix(err, "bad source route");
		route = has_more ? more : STR_NULL;
		if (has_more && more.len == 0)
			return error_set(err, ERR_INVALID, "bad source route");
	}
	*s = str_sub(*s, (size_t)colon + 1, s->len);
	return true;
}

/* The last '@' outside a quoted localpart separates localpart and domain. */
static ptrdiff_t domain_at(struct str s)
{
	bool quoted = false;
	ptrdiff_t at = -1;
	for (size_t i = 0; i < s.len; i++) {
		char c = s.p[i];
		if (quoted && c == '\\') {
			i++;
			continue;
		}
		if (c == '"')
			quoted = !quoted;
		else if (!quoted && c == '@')
			at = (ptrdiff_t)i;
	}
	return at;
}

static bool parse_literal_mailbox(struct str s, ptrdiff_t at, unsigned aflags,
				  struct smtp_path *out, struct error *err)
{
	struct str dom = str_sub(s, (size_t)at + 1, s.len);
	if (dom.len < 2 || dom.p[dom.len - 1] != ']')
		return error_set(err, ERR_INVALID, "bad address literal");
	if (!smtp_parse_address_literal(str_sub(dom, 1, dom.len - 1), out->literal, err))
		return false;
	if (!address_localpart_parse(str_sub(s, 0, (size_t)at), aflags, out->addr.localpart, err))
		return false;
	out->kind = SMTP_PATH_LITERAL;
	return true;
}

bool smtp_parse_path(struct str raw, unsigned flags, struct smtp_path *out, struct error *err)
{
	memset(out, 0, sizeof *out);
	if (raw.len < 2 || raw.p[0] != '<' || raw.p[raw.len - 1] != '>')
		return error_set(err, ERR_INVALID, "path must be in angle brackets");
	struct str s = str_sub(raw, 1, raw.len - 1);
	if (s.len == 0) {
		if (!(flags & SMTP_PATH_REVERSE))
			return error_set(err, ERR_INVALID, "empty forward path");
		out->kind = SMTP_PATH_NULL;
		return true;
	}
	/* RFC 5321 4.1.1.3: "<Postmaster>" without domain, case-insensitive. */
	if (!(flags & SMTP_PATH_REVERSE) && str_eqi_cstr(s, "postmaster")) {
		out->kind = SMTP_PATH_POSTMASTER;
		str_copy(out->addr.localpart, sizeof out->addr.localpart, "postmaster");
		return true;
	}
	if (!skip_source_route(&s, err))
		return false;
	unsigned aflags = (flags & SMTP_PATH_UTF8) ? 0 : ADDRESS_ASCII_ONLY;
	ptrdiff_t at = domain_at(s);
	if (at < 0)
		return error_set(err, ERR_INVALID, "address without domain");
	if ((size_t)at + 1 < s.len && s.p[at + 1] == '[')
		return parse_literal_mailbox(s, at, aflags, out, err);
	if (!address_parse(s, aflags, &out->addr, err))
		return false;
	out->kind = SMTP_PATH_MAILBOX;
	return true;
}

void smtp_path_format(struct buf *b, const struct smtp_path *p, bool unicode)
{
	buf_putc(b, '<');
	switch (p->kind) {
	case SMTP_PATH_NULL: break;
	case SMTP_PATH_MAILBOX: address_format(b, &p->addr, unicode); break;
	case SMTP_PATH_POSTMASTER: buf_puts(b, "postmaster"); break;
	case SMTP_PATH_LITERAL:
		address_localpart_format(b, p->addr.localpart);
		buf_printf(b, "@[%s]", p->literal);
		break;
	}
	buf_putc(b, '>');
}

static bool is_keyword_char(unsigned char c)
{
	return ascii_isalnum(c) || c == '-';
}

/* RFC 5321 4.1.2 esmtp-value: %d33-60 / %d62-126; RFC 6531 3.3 adds UTF-8. */
static bool value_ok(struct str v, bool utf8)
{
	for (size_t i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if (c >= 0x80 && utf8)
			continue;
		if (c < 33 || c > 126 || c == '=')
			return false;
	}
	return !utf8 || utf8_valid(v.p, v.len);
}

bool smtp_parse_params(struct str s, bool utf8, struct smtp_param *out, size_t max, size_t *n,
		       struct error *err)
{
	*n = 0;
	while (s.len > 0) {
		if (s.p[0] != ' ')
			return error_set(err, ERR_INVALID, "expected space before parameter");
		s = str_sub(s, 1, s.len);
		size_t end = 0;
		while (end < s.len && s.p[end] != ' ')
			end++;
		struct str tok = str_sub(s, 0, end);
		s = str_sub(s, end, s.len);
		if (*n == max)
			return error_set(err, ERR_LIMIT, "too many parameters");
		struct smtp_param *p = &out[(*n)++];
		*p = (struct smtp_param){0};
		p->has_value = str_cut(tok, '=', &p->key, &p->value);
		if (!p->has_value)
			p->key = tok;
		if (p->key.len == 0 || !ascii_isalnum((unsigned char)p->key.p[0]))
			return error_set(err, ERR_INVALID, "bad parameter keyword");
		for (size_t i = 0; i < p->key.len; i++)
			if (!is_keyword_char((unsigned char)p->key.p[i]))
				return error_set(err, ERR_INVALID, "bad parameter keyword");
		if (p->has_value && (p->value.len == 0 || p->value.len > SMTP_PARAM_VALUE_MAX ||
				     !value_ok(p->value, utf8)))
			return error_set(err, ERR_INVALID, "bad parameter value");
	}
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1; /* RFC 3461 4: upper-case hex only */
}

bool smtp_xtext_decode(struct str s, struct buf *out, struct error *err)
{
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (c == '+') {
			int hi = i + 2 < s.len ? hexval(s.p[i + 1]) : -1;
			int lo = hi >= 0 ? hexval(s.p[i + 2]) : -1;
			if (lo < 0)
				return error_set(err, ERR_INVALID, "bad xtext escape");
			buf_putc(out, (char)(hi * 16 + lo));
			i += 2;
		} else if (c < 33 || c > 126 || c == '=') {
			return error_set(err, ERR_INVALID, "bad xtext character");
		} else {
			buf_putc(out, (char)c);
		}
	}
	return true;
}

bool smtp_parse_hello(struct str s, bool utf8, struct smtp_hello *out, struct error *err)
{
	memset(out, 0, sizeof *out);
	if (s.len == 0)
		return error_set(err, ERR_INVALID, "missing domain");
	if (s.p[0] == '[') {
		if (s.p[s.len - 1] != ']')
			return error_set(err, ERR_INVALID, "bad address literal");
		out->literal = true;
		return smtp_parse_address_literal(str_sub(s, 1, s.len - 1), out->literal_text, err);
	}
	if (!utf8 && utf8_has_nonascii(s.p, s.len))
		return error_set(err, ERR_INVALID, "non-ASCII domain");
	/* Some clients send a trailing dot (an absolute name); accept and drop it. */
	return dns_domain_parse(s, DNS_ALLOW_TRAILING_DOT, &out->domain, err);
}

bool smtp_parse_number(struct str s, unsigned digits, uint64_t *out)
{
	if (s.len == 0 || s.len > digits)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (!ascii_isdigit((unsigned char)s.p[i]))
			return false;
	return str_parse_u64(s, UINT64_MAX, out);
}

bool smtp_parse_bdat(struct str args, uint64_t *size, bool *last, struct error *err)
{
	struct str num, rest;
	*last = false;
	if (str_cut(args, ' ', &num, &rest)) {
		if (!str_eqi_cstr(rest, "LAST"))
			return error_set(err, ERR_INVALID, "expected \"LAST\" after chunk size");
		*last = true;
	} else {
		num = args;
	}
	/* RFC 3030 2: chunk-size = 1*DIGIT; 18 digits keep it within 64 bits. */
	if (!smtp_parse_number(num, 18, size))
		return error_set(err, ERR_INVALID, "bad chunk size");
	return true;
}
