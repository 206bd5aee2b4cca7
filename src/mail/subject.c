/*
 * RFC 5256 2.1 base subject, for threading by subject (as mox does, which
 * also lower-cases it).
 */
#include "mail/envelope.h"

#include "base/mem.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

/* Step (1): tabs and runs of white space become one space; trimmed. */
static size_t collapse(const char *s, char *out)
{
	size_t o = 0;
	bool space = false;
	for (; *s; s++) {
		char c = *s;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			space = o > 0;
			continue;
		}
		if (space)
			out[o++] = ' ';
		space = false;
		out[o++] = c;
	}
	out[o] = '\0';
	return o;
}

static bool prefixi(const char *s, size_t n, const char *p)
{
	size_t pl = strlen(p);
	return n >= pl && strncasecmp(s, p, pl) == 0;
}

/* subj-blob = "[" *BLOBCHAR "]" *WSP; returns its length or 0. */
static size_t blob_len(const char *s, size_t n)
{
	if (n == 0 || s[0] != '[')
		return 0;
	size_t i = 1;
	while (i < n && s[i] != '[' && s[i] != ']')
		i++;
	if (i >= n || s[i] != ']')
		return 0;
	i++;
	while (i < n && s[i] == ' ')
		i++;
	return i;
}

/* subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":" */
static size_t refwd_len(const char *s, size_t n)
{
	size_t i;
	if (prefixi(s, n, "re"))
		i = 2;
	else if (prefixi(s, n, "fwd"))
		i = 3;
	else if (prefixi(s, n, "fw"))
		i = 2;
	else
		return 0;
	while (i < n && s[i] == ' ')
		i++;
	i += blob_len(s + i, n - i);
	if (i < n && s[i] == ':')
		return i + 1;
	return 0;
}

/* subj-leader = (*subj-blob subj-refwd) / WSP */
static size_t leader_len(const char *s, size_t n)
{
	if (n > 0 && s[0] == ' ')
		return 1;
	size_t i = 0, b;
	while ((b = blob_len(s + i, n - i)) > 0)
		i += b;
	size_t r = refwd_len(s + i, n - i);
	return r ? i + r : 0;
}

static bool has_nonspace(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ')
			return true;
	return false;
}

/* Steps (2) to (6): the base subject is s[*start, return); *reply tells whether a subj-refwd,
 * a "(fwd)" trailer or a subj-fwd-hdr/trl pair was removed (RFC 5256 3, REFERENCES). */
static size_t base_range(const char *s, size_t n, size_t *startp, bool *reply)
{
	size_t start = 0;
	*reply = false;
	for (;;) {
		/* (2) subj-trailer = "(fwd)" / WSP */
		for (;;) {
			if (n > start && s[n - 1] == ' ') {
				n--;
			} else if (n - start >= 5 && strncasecmp(s + n - 5, "(fwd)", 5) == 0) {
				n -= 5;
				*reply = true;
			} else {
				break;
			}
		}
		/* (3)-(5) */
		for (bool changed = true; changed;) {
			changed = false;
			size_t l;
			while ((l = leader_len(s + start, n - start)) > 0) {
				*reply |= s[start] != ' ';
				start += l;
				changed = true;
			}
			size_t b = blob_len(s + start, n - start);
			if (b > 0 && has_nonspace(s + start + b, n - start - b)) {
				start += b;
				changed = true;
			}
		}
		/* (6) subj-fwd-hdr "[fwd:" ... subj-fwd-trl "]" */
		if (n - start >= 6 && strncasecmp(s + start, "[fwd:", 5) == 0 && s[n - 1] == ']') {
			start += 5;
			n--;
			*reply = true;
			continue;
		}
		break;
	}
	*startp = start;
	return n;
}

bool mail_subject_is_reply(const char *subject)
{
	size_t n = strlen(subject);
	char *s = xmalloc(n + 1);
	n = collapse(subject, s);
	size_t start;
	bool reply;
	base_range(s, n, &start, &reply);
	free(s);
	return reply;
}

char *mail_subject_base(struct arena *a, const char *subject)
{
	size_t n = strlen(subject);
	char *s = arena_alloc(a, n + 1);
	n = collapse(subject, s);
	size_t start;
	bool reply;
	n = base_range(s, n, &start, &reply);
	/* Lower-case as mox does; invalid UTF-8 cannot occur (decoded text). */
	struct buf b = BUF_INIT;
	size_t i = start;
	while (i < n) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t used = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
							 (utf8proc_ssize_t)(n - i), &cp);
		if (used <= 0) {
			i++;
			continue;
		}
		utf8proc_uint8_t enc[4];
		utf8proc_ssize_t el = utf8proc_encode_char(utf8proc_tolower(cp), enc);
		buf_append(&b, enc, (size_t)el);
		i += (size_t)used;
	}
	char *r = arena_memdup0(a, b.data ? b.data : "", b.len);
	buf_free(&b);
	return r;
}
