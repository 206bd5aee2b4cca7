/*
 * The lexical layer of IMAP commands (RFC 9051 9).
 */
#include "imap/parse.h"

#include "base/utf8.h"
#include "mail/date.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void imap_cmdtext_init(struct imap_cmdtext *t)
{
	memset(t, 0, sizeof *t);
}

void imap_cmdtext_free(struct imap_cmdtext *t)
{
	buf_free(&t->text);
	t->nlits = 0;
}

void imap_cmdtext_reset(struct imap_cmdtext *t)
{
	buf_reset(&t->text);
	t->nlits = 0;
}

bool imap_literal_announced(struct str line, uint64_t *len, bool *sync, bool *binary,
			    bool *malformed)
{
	*malformed = false;
	if (line.len < 3 || line.p[line.len - 1] != '}')
		return false;
	size_t end = line.len - 1; /* at "}" */
	*sync = true;
	if (line.p[end - 1] == '+') {
		*sync = false;
		end--;
	}
	size_t start = end;
	while (start > 0 && ascii_isdigit(line.p[start - 1]))
		start--;
	if (start == 0 || line.p[start - 1] != '{') {
		/* "}" at the end of a line is never valid outside a literal announcement. */
		*malformed = true;
		return false;
	}
	if (start == end) {
		*malformed = true;
		return false;
	}
	uint64_t v = 0;
	for (size_t i = start; i < end; i++) {
		if (v > (IMAP_NUMBER64_MAX - 9) / 10) {
			*malformed = true;
			return false;
		}
		v = v * 10 + (uint64_t)(line.p[i] - '0');
	}
	/* "~{n+}" is allowed too: RFC 7888 applies LITERAL+ to literal8 as well. */
	*binary = start >= 2 && line.p[start - 2] == '~';
	*len = v;
	return true;
}

bool imap_cmdtext_from_bytes(const char *p, size_t n, size_t max, struct imap_cmdtext *t,
			     size_t *used)
{
	imap_cmdtext_reset(t);
	size_t i = 0;
	for (;;) {
		const char *nl = memchr(p + i, '\n', n - i);
		if (!nl)
			return false;
		size_t end = (size_t)(nl - p);
		size_t content = end > i && p[end - 1] == '\r' ? end - 1 : end;
		struct str line = str_make(p + i, content - i);
		if (t->text.len + line.len > max)
			return false;
		buf_append(&t->text, line.p, line.len);
		i = end + 1;
		uint64_t len;
		bool sync, binary, malformed;
		if (!imap_literal_announced(line, &len, &sync, &binary, &malformed)) {
			*used = i;
			return true;
		}
		if (t->nlits == IMAP_LITERALS_MAX || len > n - i || t->text.len + 2 + len > max)
			return false;
		buf_append(&t->text, "\r\n", 2);
		struct imap_literal *l = &t->lits[t->nlits++];
		memset(l, 0, sizeof *l);
		l->at = t->text.len;
		l->len = len;
		l->sync = sync;
		l->binary = binary;
		l->fd = -1;
		l->has_nul = memchr(p + i, '\0', (size_t)len) != NULL;
		buf_append(&t->text, p + i, (size_t)len);
		i += (size_t)len;
	}
}

void imap_parser_init(struct imap_parser *p, const struct imap_cmdtext *cmd, struct arena *ar)
{
	memset(p, 0, sizeof *p);
	p->cmd = cmd;
	p->p = cmd->text.data ? cmd->text.data : "";
	p->len = cmd->text.len;
	p->ar = ar;
	p->code = "";
}

bool imap_p_fail(struct imap_parser *p, const char *fmt, ...)
{
	/* The first error is the one to report; later ones come from callers unwinding. */
	if (p->err.kind != ERR_NONE)
		return false;
	va_list ap;
	va_start(ap, fmt);
	char msg[ERROR_MSG_MAX];
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	error_set(&p->err, ERR_INVALID, "%s", msg);
	return false;
}

bool imap_p_at_end(const struct imap_parser *p)
{
	return p->pos >= p->len;
}

bool imap_p_end(struct imap_parser *p)
{
	if (!imap_p_at_end(p))
		return imap_p_fail(p, "unexpected text at the end of the command");
	return true;
}

int imap_p_peek(const struct imap_parser *p)
{
	return p->pos < p->len ? (unsigned char)p->p[p->pos] : -1;
}

bool imap_p_take(struct imap_parser *p, char c)
{
	if (p->pos < p->len && p->p[p->pos] == c) {
		p->pos++;
		return true;
	}
	return false;
}

bool imap_atom_char(unsigned char c)
{
	/* RFC 9051 9: atom-specials are ( ) { SP CTL % * " \ ] and 8-bit is not CHAR. */
	if (c <= 0x20 || c >= 0x7f)
		return false;
	return strchr("(){%*\"\\]", c) == NULL;
}

bool imap_p_take_prefix(struct imap_parser *p, const char *word)
{
	size_t n = strlen(word);
	if (p->len - p->pos < n || !str_eqi(str_make(p->p + p->pos, n), str_make(word, n)))
		return false;
	p->pos += n;
	return true;
}

bool imap_p_take_word(struct imap_parser *p, const char *word)
{
	size_t save = p->pos;
	if (!imap_p_take_prefix(p, word))
		return false;
	if (p->pos < p->len && imap_atom_char((unsigned char)p->p[p->pos])) {
		p->pos = save;
		return false;
	}
	return true;
}

bool imap_p_sp(struct imap_parser *p)
{
	if (!imap_p_take(p, ' '))
		return imap_p_fail(p, "expected a space");
	return true;
}

bool imap_p_expect(struct imap_parser *p, char c)
{
	if (!imap_p_take(p, c))
		return imap_p_fail(p, "expected \"%c\"", c);
	return true;
}

bool imap_p_open(struct imap_parser *p)
{
	if (!imap_p_expect(p, '('))
		return false;
	if (++p->depth > IMAP_PARSE_DEPTH_MAX) {
		p->code = "LIMIT";
		return imap_p_fail(p, "parentheses nested deeper than %d", IMAP_PARSE_DEPTH_MAX);
	}
	return true;
}

bool imap_p_close(struct imap_parser *p)
{
	if (!imap_p_expect(p, ')'))
		return false;
	p->depth--;
	return true;
}

static bool take_while(struct imap_parser *p, bool (*ok)(unsigned char), struct str *out,
		       const char *what)
{
	size_t start = p->pos;
	while (p->pos < p->len && ok((unsigned char)p->p[p->pos]))
		p->pos++;
	if (p->pos == start)
		return imap_p_fail(p, "expected %s", what);
	*out = str_make(p->p + start, p->pos - start);
	return true;
}

static bool tag_char(unsigned char c)
{
	return (imap_atom_char(c) || c == ']') && c != '+';
}

static bool astring_char(unsigned char c)
{
	return imap_atom_char(c) || c == ']';
}

static bool list_char(unsigned char c)
{
	return imap_atom_char(c) || c == '%' || c == '*' || c == ']';
}

bool imap_p_tag(struct imap_parser *p, struct str *out)
{
	return take_while(p, tag_char, out, "a tag");
}

bool imap_p_atom(struct imap_parser *p, struct str *out)
{
	return take_while(p, imap_atom_char, out, "an atom");
}

bool imap_p_astring_atom(struct imap_parser *p, struct str *out)
{
	return take_while(p, astring_char, out, "an atom");
}

static bool parse_quoted(struct imap_parser *p, struct str *out)
{
	p->pos++; /* the opening quote */
	struct buf b = BUF_INIT;
	bool ok = false;
	while (p->pos < p->len) {
		unsigned char c = (unsigned char)p->p[p->pos];
		if (c == '"') {
			p->pos++;
			ok = true;
			break;
		}
		if (c == '\r' || c == '\n' || c == '\0') {
			imap_p_fail(p, "CR, LF or NUL in a quoted string");
			break;
		}
		if (c == '\\') {
			if (p->pos + 1 >= p->len ||
			    (p->p[p->pos + 1] != '"' && p->p[p->pos + 1] != '\\')) {
				imap_p_fail(p, "backslash before other than \" or \\ in a quoted "
					       "string");
				break;
			}
			buf_putc(&b, p->p[p->pos + 1]);
			p->pos += 2;
			continue;
		}
		if (c >= 0x80) {
			uint32_t cp;
			size_t k = utf8_decode(p->p + p->pos, p->len - p->pos, &cp);
			if (k == 0) {
				imap_p_fail(p, "invalid UTF-8 in a quoted string");
				break;
			}
			buf_append(&b, p->p + p->pos, k);
			p->pos += k;
			continue;
		}
		buf_putc(&b, (char)c);
		p->pos++;
	}
	if (ok) {
		*out = str_make(arena_memdup0(p->ar, b.data ? b.data : "", b.len), b.len);
	} else if (p->err.kind == ERR_NONE) {
		imap_p_fail(p, "quoted string without its closing quote");
	}
	buf_free(&b);
	return ok;
}

/* Parses "{n}" / "{n+}" / "~{n}" CRLF and finds the literal's record. */
static bool parse_literal(struct imap_parser *p, bool allow_binary, const struct imap_literal **out)
{
	bool binary = imap_p_take(p, '~');
	if (!imap_p_expect(p, '{'))
		return false;
	uint64_t declared;
	if (!imap_p_number64(p, &declared))
		return false;
	imap_p_take(p, '+');
	if (!imap_p_expect(p, '}'))
		return false;
	if (p->len - p->pos < 2 || p->p[p->pos] != '\r' || p->p[p->pos + 1] != '\n')
		return imap_p_fail(p, "literal announcement must end the line");
	size_t lit_at = p->pos + 2;
	for (size_t i = 0; i < p->cmd->nlits; i++) {
		const struct imap_literal *l = &p->cmd->lits[i];
		if (l->at != lit_at || l->len != declared)
			continue;
		if (binary && !allow_binary)
			return imap_p_fail(p, "literal8 is only allowed for message data");
		if (!l->binary && l->has_nul)
			return imap_p_fail(p, "NUL in a literal (use literal8 for binary data)");
		p->pos = lit_at + (l->fd >= 0 ? 0 : (size_t)l->len);
		*out = l;
		return true;
	}
	return imap_p_fail(p, "literal data missing");
}

/* "~{" starts a literal8 (RFC 3516 4.3); a "~" otherwise is an ATOM-CHAR. */
static bool at_literal8(const struct imap_parser *p)
{
	return p->pos + 1 < p->len && p->p[p->pos] == '~' && p->p[p->pos + 1] == '{';
}

/* Whether a string (quoted or literal, literal8 included) starts here. */
static bool at_string(const struct imap_parser *p)
{
	int c = imap_p_peek(p);
	return c == '"' || c == '{' || at_literal8(p);
}

bool imap_p_string(struct imap_parser *p, struct str *out)
{
	int c = imap_p_peek(p);
	if (c == '"')
		return parse_quoted(p, out);
	if (c == '{' || at_literal8(p)) {
		const struct imap_literal *l;
		if (!parse_literal(p, false, &l))
			return false;
		if (l->fd >= 0)
			return imap_p_fail(p, "literal too large here");
		*out = str_make(arena_memdup0(p->ar, p->p + l->at, (size_t)l->len), (size_t)l->len);
		return true;
	}
	return imap_p_fail(p, "expected a string");
}

bool imap_p_astring(struct imap_parser *p, struct str *out)
{
	if (at_string(p))
		return imap_p_string(p, out);
	return imap_p_astring_atom(p, out);
}

bool imap_p_nstring(struct imap_parser *p, struct str *out)
{
	if (imap_p_take_word(p, "NIL")) {
		*out = STR_NULL;
		return true;
	}
	return imap_p_string(p, out);
}

bool imap_p_list_mailbox(struct imap_parser *p, struct str *out)
{
	if (at_string(p))
		return imap_p_string(p, out);
	return take_while(p, list_char, out, "a mailbox pattern");
}

bool imap_p_number64(struct imap_parser *p, uint64_t *out)
{
	size_t start = p->pos;
	uint64_t v = 0;
	while (p->pos < p->len && ascii_isdigit(p->p[p->pos])) {
		if (v > (IMAP_NUMBER64_MAX - 9) / 10 &&
		    v * 10 + (uint64_t)(p->p[p->pos] - '0') > (uint64_t)IMAP_NUMBER64_MAX)
			return imap_p_fail(p, "number too large");
		v = v * 10 + (uint64_t)(p->p[p->pos] - '0');
		p->pos++;
	}
	if (p->pos == start)
		return imap_p_fail(p, "expected a number");
	*out = v;
	return true;
}

bool imap_p_nznumber64(struct imap_parser *p, uint64_t *out)
{
	if (!imap_p_number64(p, out))
		return false;
	if (*out == 0)
		return imap_p_fail(p, "expected a non-zero number");
	return true;
}

bool imap_p_number(struct imap_parser *p, uint32_t *out)
{
	uint64_t v;
	if (!imap_p_number64(p, &v))
		return false;
	if (v > UINT32_MAX)
		return imap_p_fail(p, "number larger than 32 bits");
	*out = (uint32_t)v;
	return true;
}

bool imap_p_nznumber(struct imap_parser *p, uint32_t *out)
{
	if (!imap_p_number(p, out))
		return false;
	if (*out == 0)
		return imap_p_fail(p, "expected a non-zero number");
	return true;
}

static bool seqset_char(unsigned char c)
{
	return ascii_isdigit(c) || c == ':' || c == ',' || c == '*' || c == '$';
}

bool imap_p_seqset(struct imap_parser *p, bool allow_saved, struct imap_seqset *out)
{
	struct str s;
	if (!take_while(p, seqset_char, &s, "a sequence set"))
		return false;
	struct error e;
	if (!imap_seqset_parse(s, allow_saved, true, p->ar, out, &e))
		return imap_p_fail(p, "%s", e.msg);
	return true;
}

bool imap_p_flag(struct imap_parser *p, struct str *out)
{
	size_t start = p->pos;
	bool system = imap_p_take(p, '\\');
	struct str a;
	if (!imap_p_atom(p, &a))
		return imap_p_fail(p, "expected a flag");
	(void)system;
	*out = str_make(p->p + start, p->pos - start);
	return true;
}

bool imap_p_flag_list(struct imap_parser *p, size_t max, struct str **flags, size_t *n)
{
	*n = 0;
	*flags = NULL;
	if (!imap_p_open(p))
		return false;
	if (imap_p_take(p, ')')) {
		p->depth--;
		return true;
	}
	size_t cap = 8;
	*flags = arena_array(p->ar, cap, sizeof **flags);
	for (;;) {
		if (*n == max)
			return imap_p_fail(p, "more than %zu flags", max);
		if (*n == cap) {
			struct str *v = arena_array(p->ar, cap * 2, sizeof *v);
			memcpy(v, *flags, cap * sizeof *v);
			*flags = v;
			cap *= 2;
		}
		if (!imap_p_flag(p, &(*flags)[*n]))
			return false;
		(*n)++;
		if (imap_p_take(p, ')')) {
			p->depth--;
			return true;
		}
		if (!imap_p_sp(p))
			return false;
	}
}

static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
				     "jul", "aug", "sep", "oct", "nov", "dec"};

static bool parse_month(struct imap_parser *p, unsigned *month)
{
	if (p->len - p->pos < 3)
		return imap_p_fail(p, "expected a month");
	for (unsigned i = 0; i < 12; i++) {
		if (str_eqi(str_make(p->p + p->pos, 3), str_make(months[i], 3))) {
			*month = i + 1;
			p->pos += 3;
			return true;
		}
	}
	return imap_p_fail(p, "expected a month name (Jan..Dec)");
}

static bool parse_digits(struct imap_parser *p, size_t min, size_t max, unsigned *out)
{
	size_t start = p->pos;
	unsigned v = 0;
	while (p->pos < p->len && p->pos - start < max && ascii_isdigit(p->p[p->pos]))
		v = v * 10 + (unsigned)(p->p[p->pos++] - '0');
	if (p->pos - start < min)
		return imap_p_fail(p, "expected %zu digits", min);
	*out = v;
	return true;
}

static bool days_in_month_ok(unsigned y, unsigned m, unsigned d)
{
	static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (d < 1)
		return false;
	unsigned max = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		max = 29;
	return d <= max;
}

/* date-day "-" date-month "-" date-year */
static bool parse_date_text(struct imap_parser *p, bool fixed_day, int64_t *out)
{
	unsigned day = 0, month = 0, year = 0;
	if (fixed_day && imap_p_take(p, ' ')) {
		if (!parse_digits(p, 1, 1, &day))
			return false;
	} else if (!parse_digits(p, fixed_day ? 2 : 1, 2, &day)) {
		return false;
	}
	if (!imap_p_expect(p, '-') || !parse_month(p, &month) || !imap_p_expect(p, '-') ||
	    !parse_digits(p, 4, 4, &year))
		return false;
	if (!days_in_month_ok(year, month, day))
		return imap_p_fail(p, "no such day");
	*out = (int64_t)mail_days_from_civil(year, month, day) * 86400;
	return true;
}

bool imap_p_date(struct imap_parser *p, int64_t *out)
{
	bool quoted = imap_p_take(p, '"');
	if (!parse_date_text(p, false, out))
		return false;
	return !quoted || imap_p_expect(p, '"');
}

bool imap_p_datetime(struct imap_parser *p, int64_t *t, int *tz)
{
	int64_t day;
	unsigned hh, mm, ss, zone;
	if (!imap_p_expect(p, '"') || !parse_date_text(p, true, &day) || !imap_p_sp(p) ||
	    !parse_digits(p, 2, 2, &hh) || !imap_p_expect(p, ':') || !parse_digits(p, 2, 2, &mm) ||
	    !imap_p_expect(p, ':') || !parse_digits(p, 2, 2, &ss) || !imap_p_sp(p))
		return false;
	int sign = imap_p_take(p, '+') ? 1 : imap_p_take(p, '-') ? -1 : 0;
	if (sign == 0)
		return imap_p_fail(p, "expected a zone (+hhmm or -hhmm)");
	if (!parse_digits(p, 4, 4, &zone) || !imap_p_expect(p, '"'))
		return false;
	if (hh > 23 || mm > 59 || ss > 60 || zone % 100 > 59)
		return imap_p_fail(p, "time out of range");
	int zmin = sign * (int)((zone / 100) * 60 + zone % 100);
	*t = day + hh * 3600 + mm * 60 + (ss == 60 ? 59 : ss) - (int64_t)zmin * 60;
	*tz = zmin;
	return true;
}

bool imap_p_message_literal(struct imap_parser *p, const struct imap_literal **out)
{
	if (imap_p_peek(p) != '{' && !at_literal8(p))
		return imap_p_fail(p, "expected the message as a literal");
	return parse_literal(p, true, out);
}

struct str imap_p_rest(const struct imap_parser *p)
{
	return str_make(p->p + p->pos, p->len - p->pos);
}

static bool objectid_char(unsigned char c)
{
	return ascii_isalnum((char)c) || c == '_' || c == '-';
}

bool imap_p_objectid(struct imap_parser *p, struct str *out)
{
	if (!take_while(p, objectid_char, out, "an object id"))
		return false;
	if (out->len > IMAP_OBJECTID_MAX)
		return imap_p_fail(p, "object id longer than %d characters", IMAP_OBJECTID_MAX);
	return true;
}
