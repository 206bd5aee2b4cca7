#include "mail/header.h"

#include "mail/charset.h"
#include "mail/codec.h"
#include "mail/mail.h"

#include "base/base64.h"
#include "base/utf8.h"

#include <string.h>

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 5322 2.2: ftext is printable US-ASCII except ":". Returns the length of
 * the name, or 0 when the line is not a field ("Name *WSP :"). */
static size_t field_name_len(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && (unsigned char)p[i] > 32 && (unsigned char)p[i] < 127 && p[i] != ':')
		i++;
	size_t name = i;
	while (i < n && is_wsp(p[i]))
		i++;
	if (name == 0 || i >= n || p[i] != ':')
		return 0;
	return name;
}

static void add_field(struct mail_header *h, size_t *cap, struct arena *a, struct mail_field f)
{
	if (h->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct mail_field *nf = arena_array(a, ncap, sizeof *nf);
		if (h->n)
			memcpy(nf, h->fields, h->n * sizeof *nf);
		h->fields = nf;
		*cap = ncap;
	}
	h->fields[h->n++] = f;
}

static void flag_8bit(const char *p, size_t n, struct mail_header *h)
{
	if (!utf8_has_nonascii(p, n))
		return;
	h->flags |= MAIL_F_HEADER_8BIT;
	if (!utf8_valid(p, n))
		h->flags |= MAIL_F_HEADER_BAD_UTF8;
}

size_t mail_header_scan(const char *data, size_t start, size_t end, struct arena *a,
			struct mail_header *h)
{
	h->fields = NULL;
	h->n = 0;
	h->flags = 0;
	size_t cap = 0;
	size_t pos = start;
	bool have_current = false; /* the last line belongs to a kept field */
	size_t body = end;
	while (pos < end) {
		const char *nl = memchr(data + pos, '\n', end - pos);
		size_t lend = nl ? (size_t)(nl - data) : end;
		size_t next = nl ? lend + 1 : end;
		bool crlf = lend > pos && data[lend - 1] == '\r';
		if (nl && !crlf)
			h->flags |= MAIL_F_BARE_LF;
		size_t cend = crlf ? lend - 1 : lend;
		if (cend == pos) {
			body = next;
			break;
		}
		if (is_wsp(data[pos])) {
			/* RFC 5322 2.2.3: a folded continuation of the previous field. */
			if (have_current) {
				struct mail_field *f = &h->fields[h->n - 1];
				f->value.len = (size_t)(data + cend - f->value.p);
			}
			pos = next;
			continue;
		}
		if (pos == start && cend - pos >= 5 && memcmp(data + pos, "From ", 5) == 0) {
			/* mbox separator line left in front of a message. */
			have_current = false;
			pos = next;
			continue;
		}
		size_t nlen = field_name_len(data + pos, cend - pos);
		if (nlen == 0) {
			h->flags |= MAIL_F_HEADER_BAD_LINE;
			body = pos;
			break;
		}
		have_current = false;
		if (h->n >= MAIL_HEADER_FIELDS_MAX || pos - start >= MAIL_HEADER_BYTES_MAX) {
			h->flags |= MAIL_F_HEADER_TRUNCATED;
		} else {
			const char *colon = memchr(data + pos, ':', cend - pos);
			struct mail_field f = {
			    .name = str_make(data + pos, nlen),
			    .value = str_make(colon + 1, (size_t)(data + cend - (colon + 1))),
			    .offset = pos,
			};
			add_field(h, &cap, a, f);
			have_current = true;
		}
		pos = next;
	}
	if (pos >= end && body == end)
		h->flags |= MAIL_F_NO_HEADER_END;
	flag_8bit(data + start, body - start, h);
	return body;
}

const struct mail_field *mail_header_get(const struct mail_header *h, const char *name)
{
	for (size_t i = 0; i < h->n; i++)
		if (str_eqi_cstr(h->fields[i].name, name))
			return &h->fields[i];
	return NULL;
}

char *mail_unfold(struct arena *a, struct str value)
{
	size_t n = value.len < MAIL_FIELD_BYTES_MAX ? value.len : MAIL_FIELD_BYTES_MAX;
	char *out = arena_alloc(a, n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = value.p[i];
		if (c == '\0' || c == '\n')
			continue;
		if (c == '\r' && i + 1 < n && value.p[i + 1] == '\n')
			continue;
		out[o++] = c;
	}
	size_t s = 0;
	while (s < o && is_wsp(out[s]))
		s++;
	while (o > s && is_wsp(out[o - 1]))
		o--;
	memmove(out, out + s, o - s);
	out[o - s] = '\0';
	return out;
}

/* Parses "=?charset?e?text?=" at the start of s; sets *len to its length. The
 * text must not contain "?" (RFC 2047 5), nor white space. */
static bool encoded_word_at(const char *s, size_t n, size_t *len, struct str *charset, char *enc,
			    struct str *text)
{
	if (n < 8 || s[0] != '=' || s[1] != '?')
		return false;
	size_t i = 2;
	while (i < n && s[i] != '?' && !is_wsp(s[i]) && i < 2 + 80)
		i++;
	if (i >= n || s[i] != '?' || i == 2)
		return false;
	*charset = str_make(s + 2, i - 2);
	/* RFC 2231 5: "charset*language". */
	ptrdiff_t star = str_index(*charset, '*');
	if (star >= 0)
		charset->len = (size_t)star;
	i++;
	if (i + 2 >= n || s[i + 1] != '?')
		return false;
	*enc = ascii_lower(s[i]);
	if (*enc != 'q' && *enc != 'b')
		return false;
	i += 2;
	size_t t = i;
	while (i + 1 < n && !(s[i] == '?' && s[i + 1] == '=')) {
		if (s[i] == '?' || is_wsp(s[i]) || s[i] == '\r' || s[i] == '\n')
			return false;
		i++;
	}
	if (i + 1 >= n)
		return false;
	*text = str_make(s + t, i - t);
	*len = i + 2;
	return true;
}

bool mail_encoded_word(struct str w, struct str *charset, struct buf *out)
{
	size_t len;
	char enc;
	struct str text;
	if (!encoded_word_at(w.p, w.len, &len, charset, &enc, &text) || len != w.len)
		return false;
	if (enc == 'b')
		base64_mime_decode(text.p, text.len, out);
	else
		mail_qword_decode(text.p, text.len, out);
	return true;
}

/* A run of adjacent encoded words in one charset, decoded together so that a
 * character split across words (common with UTF-8 and B encoding) survives. */
struct ew_run {
	struct str charset;
	struct buf bytes;
	const char *raw_start, *raw_end;
	bool active;
};

static void run_flush(struct ew_run *r, struct buf *out)
{
	if (!r->active)
		return;
	if (!mail_charset_to_utf8(r->charset.p, r->charset.len, r->bytes.data ? r->bytes.data : "",
				  r->bytes.len, out))
		mail_utf8_sanitize(r->raw_start, (size_t)(r->raw_end - r->raw_start), out);
	buf_reset(&r->bytes);
	r->active = false;
}

void mail_decode_words_buf(struct str s, struct buf *out)
{
	struct ew_run run = {.active = false};
	buf_init(&run.bytes);
	const char *p = s.p;
	size_t n = s.len;
	size_t i = 0;
	size_t ws_start = 0, ws_len = 0; /* white space not yet written */
	bool last_encoded = false;
	while (i < n) {
		size_t len;
		char enc;
		struct str cs, text;
		if (p[i] == '=' && encoded_word_at(p + i, n - i, &len, &cs, &enc, &text)) {
			bool same = run.active && str_eqi(run.charset, cs);
			if (!same) {
				run_flush(&run, out);
				/* RFC 2047 6.2: white space between encoded words is dropped. */
				if (ws_len && !last_encoded)
					mail_utf8_sanitize(p + ws_start, ws_len, out);
				run.charset = cs;
				run.raw_start = p + i;
				run.active = true;
			}
			ws_len = 0;
			if (enc == 'b')
				base64_mime_decode(text.p, text.len, &run.bytes);
			else
				mail_qword_decode(text.p, text.len, &run.bytes);
			i += len;
			run.raw_end = p + i;
			last_encoded = true;
			continue;
		}
		if (is_wsp(p[i]) || p[i] == '\r' || p[i] == '\n') {
			if (ws_len == 0)
				ws_start = i;
			ws_len = i + 1 - ws_start;
			i++;
			continue;
		}
		run_flush(&run, out);
		if (ws_len)
			mail_utf8_sanitize(p + ws_start, ws_len, out);
		ws_len = 0;
		size_t j = i + 1;
		while (j < n && !is_wsp(p[j]) && p[j] != '\r' && p[j] != '\n' && p[j] != '=')
			j++;
		mail_utf8_sanitize(p + i, j - i, out);
		i = j;
		last_encoded = false;
	}
	run_flush(&run, out);
	if (ws_len)
		mail_utf8_sanitize(p + ws_start, ws_len, out);
	buf_free(&run.bytes);
}

char *mail_decode_words(struct arena *a, struct str s)
{
	struct buf b = BUF_INIT;
	if (s.len > MAIL_FIELD_BYTES_MAX)
		s.len = MAIL_FIELD_BYTES_MAX;
	mail_decode_words_buf(s, &b);
	char *r = arena_memdup0(a, b.data ? b.data : "", b.len);
	buf_free(&b);
	return r;
}
