/*
 * The flags a client of the selected mailbox was told of: FLAGS and
 * PERMANENTFLAGS at SELECT, and again whenever a message shows a keyword
 * the client has not heard of yet, before the FETCH that shows it (RFC 3501
 * 7.2.6, RFC 9051 7.3.5: "the update from the FLAGS response MUST be
 * recorded by the client"). The list only grows while a mailbox is
 * selected, so a client never sees a keyword leave FLAGS while a message
 * still has it.
 */
#include "imap/session.h"

#include <string.h>

/* Keywords one session announces for one selected mailbox, at most. */
#define ANNOUNCED_KEYWORDS_MAX (2 * STORE_MAILBOX_KEYWORDS_MAX)

void imap_put_flags_lines(struct imap_session *s, const struct store_keywords *kw, bool readonly)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "* FLAGS ");
	imap_put_flags(STORE_FLAGS_ALL, kw, &b);
	/* RFC 9051 7.1: PERMANENTFLAGS; "\*": new keywords can be created; none when read-only. */
	buf_puts(&b, "\r\n* OK [PERMANENTFLAGS (");
	if (!readonly) {
		store_flags_format(STORE_FLAGS_ALL, kw, &b);
		buf_puts(&b, " \\*");
	}
	buf_puts(&b, ")] flags permitted\r\n");
	imap_sess_write(s, b.data, b.len);
	buf_free(&b);
}

void imap_sess_keywords_set(struct imap_session *s, const struct store_keywords *kw)
{
	struct imap_selected *sel = &s->sel;
	struct arena old = sel->kwar;
	bool had = sel->keywords.v != NULL;
	arena_init(&sel->kwar, 1024);
	const char **v = arena_array(&sel->kwar, kw->n ? kw->n : 1, sizeof *v);
	for (size_t i = 0; i < kw->n; i++)
		v[i] = arena_strdup(&sel->kwar, kw->v[i]);
	sel->keywords = (struct store_keywords){v, kw->n};
	if (had)
		arena_free(&old);
}

/* The sorted union of a and b (both sorted, distinct) in ar. */
static struct store_keywords merge(const struct store_keywords *a, const struct store_keywords *b,
				   struct arena *ar)
{
	const char **v = arena_array(ar, a->n + b->n ? a->n + b->n : 1, sizeof *v);
	size_t i = 0, j = 0, n = 0;
	while (i < a->n || j < b->n) {
		int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->v[i], b->v[j]);
		if (c <= 0)
			v[n++] = a->v[i++];
		else
			v[n++] = b->v[j++];
		if (c == 0)
			j++;
	}
	return (struct store_keywords){v, n};
}

void imap_sess_announce_keywords(struct imap_session *s, const struct store_keywords *kw)
{
	struct imap_selected *sel = &s->sel;
	if (!s->selected || kw->n == 0)
		return;
	bool all_known = true;
	for (size_t i = 0; all_known && i < kw->n; i++)
		all_known = store_keywords_has(&sel->keywords, kw->v[i]);
	if (all_known || sel->keywords.n >= ANNOUNCED_KEYWORDS_MAX)
		return;
	struct arena tmp;
	arena_init(&tmp, 1024);
	struct store_keywords u = merge(&sel->keywords, kw, &tmp);
	imap_sess_keywords_set(s, &u);
	arena_free(&tmp);
	imap_put_flags_lines(s, &sel->keywords, sel->readonly);
}

void imap_put_msg_flags(const struct imap_session *s, uint32_t uid, uint32_t flags,
			const struct store_keywords *kw, struct buf *out)
{
	buf_putc(out, '(');
	size_t start = out->len;
	store_flags_format(flags, kw, out);
	if (imap_sess_is_recent(s, uid))
		buf_puts(out, out->len > start ? " \\Recent" : "\\Recent");
	buf_putc(out, ')');
}
