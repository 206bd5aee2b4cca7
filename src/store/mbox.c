/*
 * The mbox format: splitting, unquoting and flags on import; mboxrd on
 * export (see mbox.h for the rules and RFC 4155 for the format).
 */
#include "store/mbox.h"

#include "base/str.h"
#include "mail/date.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Tokens of a "From " line looked at for its date. */
#define FROM_TOKENS_MAX 12

void mbox_reader_init(struct mbox_reader *r, const char *name, const char *data, size_t len,
		      size_t max)
{
	memset(r, 0, sizeof *r);
	r->name = name;
	r->p = data;
	r->len = len;
	r->line = 1;
	r->max = max;
	r->rd = mbox_is_mboxrd(data, len);
}

static bool is_from_line(const char *p, size_t n)
{
	return n >= 5 && memcmp(p, "From ", 5) == 0;
}

size_t mbox_unquote_skip(const char *line, size_t len, bool rd)
{
	size_t k = 0;
	while (k < len && line[k] == '>')
		k++;
	if (k == 0 || !is_from_line(line + k, len - k))
		return 0;
	/* RFC 4155 and the mboxrd convention: only mboxrd quotes ">From " again. */
	return rd || k == 1 ? 1 : 0;
}

bool mbox_is_mboxrd(const char *p, size_t len)
{
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(p + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (p + i)) : len - i;
		if (n > 2 && p[i] == '>' && p[i + 1] == '>' && mbox_unquote_skip(p + i, n, true))
			return true;
		i += n + 1;
	}
	return false;
}

/* Length of a line's content without "\n" or "\r\n". */
static size_t content_len(const char *l, size_t n, bool has_nl)
{
	if (!has_nl)
		return n;
	n--;
	if (n > 0 && l[n - 1] == '\r')
		n--;
	return n;
}

/* --- the date of a "From " line --- */

static int month_number(struct str t)
{
	static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	if (t.len != 3)
		return 0;
	for (int i = 0; i < 12; i++)
		if (str_eqi(t, str_make(names + 3 * i, 3)))
			return i + 1;
	return 0;
}

static bool two_digits(const char *p, int *v)
{
	if (!ascii_isdigit((unsigned char)p[0]) || !ascii_isdigit((unsigned char)p[1]))
		return false;
	*v = (p[0] - '0') * 10 + (p[1] - '0');
	return true;
}

/* HH:MM or HH:MM:SS */
static bool parse_clock(struct str t, int *h, int *mi, int *s)
{
	*s = 0;
	if (t.len != 5 && t.len != 8)
		return false;
	if (!two_digits(t.p, h) || t.p[2] != ':' || !two_digits(t.p + 3, mi))
		return false;
	if (t.len == 8 && (t.p[5] != ':' || !two_digits(t.p + 6, s)))
		return false;
	return *h < 24 && *mi < 60 && *s <= 60;
}

/* "+hhmm"/"-hhmm" or a zone name (taken as UTC); false when t is not a zone. */
static bool parse_zone(struct str t, int *minutes)
{
	*minutes = 0;
	if (t.len == 5 && (t.p[0] == '+' || t.p[0] == '-')) {
		uint64_t v;
		if (!str_parse_u64(str_sub(t, 1, 5), 9999, &v) || v % 100 >= 60)
			return false;
		int m = (int)(v / 100 * 60 + v % 100);
		*minutes = t.p[0] == '-' ? -m : m;
		return true;
	}
	for (size_t i = 0; i < t.len; i++)
		if (!ascii_isalpha((unsigned char)t.p[i]))
			return false;
	return t.len >= 1 && t.len <= 5;
}

/* WDAY MON DAY HH:MM[:SS] [ZONE] YEAR [+-ZONE] */
static bool parse_date_tokens(const struct str *tok, size_t n, int64_t *t, int *tz)
{
	if (n < 5)
		return false;
	int mon = month_number(tok[1]), h, mi, s, zone = 0;
	uint64_t day, year;
	if (!mon || !str_parse_u64(tok[2], 31, &day) || day == 0 ||
	    !parse_clock(tok[3], &h, &mi, &s))
		return false;
	size_t yi = 4;
	if (tok[4].len != 4) {
		if (n < 6 || !parse_zone(tok[4], &zone))
			return false;
		yi = 5;
	} else if (n > 5 && tok[5].len == 5 && (tok[5].p[0] == '+' || tok[5].p[0] == '-')) {
		/* Some writers put a numeric zone after the year. */
		if (!parse_zone(tok[5], &zone))
			zone = 0;
	}
	if (tok[yi].len != 4 || !str_parse_u64(tok[yi], 9999, &year) || year < 1970)
		return false;
	int64_t days = mail_days_from_civil((long long)year, (unsigned)mon, (unsigned)day);
	*t = days * 86400 + h * 3600 + mi * 60 + s - (int64_t)zone * 60;
	*tz = zone;
	return true;
}

bool mbox_from_date(const char *line, size_t len, int64_t *t, int *tz)
{
	if (!is_from_line(line, len))
		return false;
	struct str tok[FROM_TOKENS_MAX];
	size_t n = 0;
	for (size_t i = 5; i < len && n < FROM_TOKENS_MAX;) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		size_t start = i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
		if (i > start)
			tok[n++] = str_make(line + start, i - start);
	}
	/* Normally a sender comes first; some writers leave it out. */
	return parse_date_tokens(tok + (n > 0), n - (n > 0), t, tz) ||
	       parse_date_tokens(tok, n, t, tz);
}

/* --- flags from headers --- */

static void status_flags(struct str v, const char *letters, const uint32_t *bits, uint32_t *flags)
{
	for (size_t i = 0; i < v.len; i++) {
		const char *c = strchr(letters, v.p[i]);
		if (c && *c)
			*flags |= bits[c - letters];
	}
}

static void keyword_flags(struct str v, struct arena *ar, struct store_import_msg *m)
{
	size_t i = 0;
	while (i < v.len) {
		while (i < v.len && (v.p[i] == ',' || v.p[i] == ' ' || v.p[i] == '\t'))
			i++;
		size_t start = i;
		while (i < v.len && v.p[i] != ',' && v.p[i] != ' ' && v.p[i] != '\t')
			i++;
		uint32_t bit;
		const char *kw;
		if (i > start && store_import_flag(v.p + start, i - start, ar, &bit, &kw)) {
			m->flags |= bit;
			if (kw)
				store_import_add_keyword(m, kw);
		}
	}
}

void mbox_header_flags(const char *msg, size_t len, struct arena *ar, struct store_import_msg *m)
{
	static const uint32_t status_bits[] = {STORE_FLAG_SEEN};
	static const uint32_t xstatus_bits[] = {STORE_FLAG_ANSWERED, STORE_FLAG_FLAGGED,
						STORE_FLAG_DRAFT, STORE_FLAG_DELETED};
	for (size_t i = 0; i < len;) {
		const char *l = msg + i;
		const char *nl = memchr(l, '\n', len - i);
		size_t n = nl ? (size_t)(nl - l) + 1 : len - i;
		struct str line = str_make(l, content_len(l, n, nl != NULL));
		if (line.len == 0)
			break; /* end of the header */
		struct str name, value;
		if (str_cut(line, ':', &name, &value)) {
			value = str_trim(value);
			if (str_eqi_cstr(name, "Status"))
				status_flags(value, "R", status_bits, &m->flags);
			else if (str_eqi_cstr(name, "X-Status"))
				status_flags(value, "AFTD", xstatus_bits, &m->flags);
			else if (str_eqi_cstr(name, "X-Keywords"))
				keyword_flags(value, ar, m);
		}
		i += n;
	}
}

/* --- reading --- */

static int read_fail(struct mbox_reader *r, struct error *err, const char *what)
{
	error_set(err, ERR_INVALID, "%s:%zu: %s", r->name, r->line, what);
	return -1;
}

/* Appends the lines of one message, up to the next separator; false when too large. */
static bool read_body(struct mbox_reader *r, struct buf *out)
{
	bool prev_empty = false;
	while (r->pos < r->len) {
		const char *l = r->p + r->pos;
		const char *nl = memchr(l, '\n', r->len - r->pos);
		size_t n = nl ? (size_t)(nl - l) + 1 : r->len - r->pos;
		if (prev_empty && is_from_line(l, n))
			break;
		size_t body = content_len(l, n, nl != NULL);
		size_t skip = mbox_unquote_skip(l, body, r->rd);
		if (out->len + body + 2 > r->max + 2)
			return false;
		buf_append(out, l + skip, body - skip);
		if (nl)
			buf_append(out, "\r\n", 2);
		prev_empty = nl && body == 0;
		r->pos += n;
		if (nl)
			r->line++;
	}
	/* The empty line before the next "From " line (or the end) separates messages. */
	if (prev_empty)
		buf_truncate(out, out->len - 2);
	return out->len <= r->max;
}

int mbox_read(struct mbox_reader *r, struct store_import_msg *m, struct arena *ar,
	      struct error *err)
{
	if (r->pos >= r->len)
		return 0;
	const char *l = r->p + r->pos;
	const char *nl = memchr(l, '\n', r->len - r->pos);
	size_t n = nl ? (size_t)(nl - l) + 1 : r->len - r->pos;
	if (!r->started && !is_from_line(l, n))
		return read_fail(r, err,
				 "first line does not start with \"From \" (not an mbox file?)");
	r->started = true;
	size_t first = r->line;
	buf_reset(&m->data);
	m->flags = 0;
	m->nkeywords = 0;
	m->received = 0;
	m->received_tz = 0;
	snprintf(m->origin, sizeof m->origin, "%s:%zu", r->name, first);
	if (!mbox_from_date(l, content_len(l, n, nl != NULL), &m->received, &m->received_tz))
		m->received = 0;
	r->pos += n;
	r->line += nl != NULL;
	if (!read_body(r, &m->data)) {
		error_set(err, ERR_INVALID, "%s:%zu: message larger than %zu bytes", r->name, first,
			  r->max);
		return -1;
	}
	mbox_header_flags(m->data.data ? m->data.data : "", m->data.len, ar, m);
	return 1;
}

/* --- writing --- */

static void write_flag_headers(struct buf *out, uint32_t flags, const struct store_keywords *kw)
{
	if (flags & STORE_FLAG_SEEN)
		buf_puts(out, "Status: R\n");
	static const struct {
		uint32_t bit;
		char c;
	} xs[] = {{STORE_FLAG_ANSWERED, 'A'},
		  {STORE_FLAG_FLAGGED, 'F'},
		  {STORE_FLAG_DRAFT, 'T'},
		  {STORE_FLAG_DELETED, 'D'}};
	char x[8];
	size_t n = 0;
	for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++)
		if (flags & xs[i].bit)
			x[n++] = xs[i].c;
	if (n > 0)
		buf_printf(out, "X-Status: %.*s\n", (int)n, x);
	struct buf k = BUF_INIT;
	for (uint32_t bit = STORE_FLAG_FORWARDED; bit <= STORE_FLAG_MDNSENT; bit <<= 1) {
		if (flags & bit)
			buf_printf(&k, "%s%s", k.len ? " " : "", store_flag_name(bit));
	}
	for (size_t i = 0; kw && i < kw->n; i++)
		buf_printf(&k, "%s%s", k.len ? " " : "", kw->v[i]);
	/* Space separated as Dovecot writes it; the reader also takes commas (mox). */
	if (k.len > 0)
		buf_printf(out, "X-Keywords: %s\n", buf_cstr(&k));
	buf_free(&k);
}

/* Headers the flag headers written above replace; Content-Length no longer holds either. */
static bool replaced_header(struct str line)
{
	struct str name, value;
	if (!str_cut(line, ':', &name, &value))
		return false;
	return str_eqi_cstr(name, "Status") || str_eqi_cstr(name, "X-Status") ||
	       str_eqi_cstr(name, "X-Keywords") || str_eqi_cstr(name, "Content-Length");
}

static void write_lines(struct buf *out, const char *msg, size_t len)
{
	bool header = true, skipping = false;
	for (size_t i = 0; i < len;) {
		const char *l = msg + i;
		const char *nl = memchr(l, '\n', len - i);
		size_t n = nl ? (size_t)(nl - l) + 1 : len - i;
		size_t body = content_len(l, n, nl != NULL);
		i += n;
		if (header && body == 0)
			header = false;
		if (header) {
			bool continuation = body > 0 && (l[0] == ' ' || l[0] == '\t');
			if (!continuation)
				skipping = replaced_header(str_make(l, body));
			if (skipping)
				continue;
		}
		/* mboxrd: every line that unquoting would change gets one more ">". */
		size_t k = 0;
		while (k < body && l[k] == '>')
			k++;
		if (is_from_line(l + k, body - k))
			buf_putc(out, '>');
		buf_append(out, l, body);
		buf_putc(out, '\n');
	}
}

void mbox_write_message(struct buf *out, const char *sender, int64_t received, uint32_t flags,
			const struct store_keywords *kw, const char *msg, size_t len)
{
	time_t t = (time_t)received;
	struct tm tm;
	char date[64];
	gmtime_r(&t, &tm);
	strftime(date, sizeof date, "%a %b %e %H:%M:%S %Y", &tm);
	buf_printf(out, "From %s %s\n", sender && *sender ? sender : "MAILER-DAEMON", date);
	write_flag_headers(out, flags, kw);
	write_lines(out, msg, len);
	buf_putc(out, '\n');
}
