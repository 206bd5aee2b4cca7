/*
 * The selected mailbox as the client sees it, and the reporting of changes
 * (RFC 9051 5.2, 7.5.1; RFC 7162 3.2.10 VANISHED): see session.h.
 *
 * Invariants: uids is sorted; the client knows uids[0..nreported); every
 * UID past nreported was added since the last report and is larger than
 * every reported one (new messages always get larger UIDs than those
 * committed before, and this session's own additions are made after the
 * changes before them), so reporting new messages never renumbers known
 * ones. gone holds reported UIDs expunged by others until EXPUNGE or
 * VANISHED for them may be sent.
 */
#include "imap/session.h"

#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

void imap_view_free(struct imap_view *v)
{
	free(v->uids);
	free(v->gone);
	memset(v, 0, sizeof *v);
}

static ptrdiff_t find(const uint32_t *v, size_t n, uint32_t uid)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] == uid)
			return (ptrdiff_t)mid;
		if (v[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* The first index with v[i] >= uid. */
static size_t lower_bound(const uint32_t *v, size_t n, uint32_t uid)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

ptrdiff_t imap_view_find(const struct imap_view *v, uint32_t uid)
{
	return find(v->uids, v->n, uid);
}

bool imap_view_is_gone(const struct imap_view *v, uint32_t uid)
{
	return find(v->gone, v->ngone, uid) >= 0;
}

uint32_t imap_sess_seq(const struct imap_session *s, uint32_t uid)
{
	ptrdiff_t i = imap_view_find(&s->sel.view, uid);
	return i < 0 ? 0 : (uint32_t)i + 1;
}

static void insert_sorted(uint32_t **v, size_t *n, size_t *cap, uint32_t uid)
{
	size_t at = lower_bound(*v, *n, uid);
	if (at < *n && (*v)[at] == uid)
		return;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*v = xreallocarray(*v, *cap, sizeof **v);
	}
	memmove(*v + at + 1, *v + at, (*n - at) * sizeof **v);
	(*v)[at] = uid;
	(*n)++;
}

static void remove_at(uint32_t *v, size_t *n, size_t at)
{
	memmove(v + at, v + at + 1, (*n - at - 1) * sizeof *v);
	(*n)--;
}

static void add_uid(struct imap_session *s, uint32_t uid)
{
	struct imap_view *v = &s->sel.view;
	size_t at = lower_bound(v->uids, v->n, uid);
	if (at < v->nreported) {
		/* Would renumber messages the client knows: cannot happen by the invariant. */
		if (at < v->n && v->uids[at] == uid)
			return;
		log_error(&s->lg, "new message below the known ones; ignored", LU("uid", uid),
			  LI("mailbox", s->sel.id));
		return;
	}
	insert_sorted(&v->uids, &v->n, &v->cap, uid);
}

void imap_view_add(struct imap_session *s, uint32_t uid)
{
	add_uid(s, uid);
}

/* An expunge by someone else: reported later, or dropped when the client never heard of it. */
static void mark_gone(struct imap_view *v, uint32_t uid)
{
	ptrdiff_t i = find(v->uids, v->n, uid);
	if (i < 0)
		return;
	if ((size_t)i >= v->nreported) {
		remove_at(v->uids, &v->n, (size_t)i);
		return;
	}
	insert_sorted(&v->gone, &v->ngone, &v->gonecap, uid);
}

/* VANISHED for uids (sorted), in lines of bounded length (RFC 7162 3.2.10). */
void imap_put_vanished(struct imap_session *s, const uint32_t *uids, size_t n, bool earlier)
{
	size_t pos = 0;
	while (pos < n) {
		struct buf b = BUF_INIT;
		buf_puts(&b, earlier ? "* VANISHED (EARLIER) " : "* VANISHED ");
		imap_uidlist_format_part(uids, n, &pos, IMAP_RESPONSE_LINE_MAX, &b);
		buf_puts(&b, "\r\n");
		imap_sess_write(s, b.data, b.len);
		buf_free(&b);
	}
}

/* Removes reported UIDs (sorted) from the view with EXPUNGE or VANISHED responses. */
static void expunge_reported(struct imap_session *s, const uint32_t *uids, size_t n)
{
	struct imap_view *v = &s->sel.view;
	if (n == 0)
		return;
	/* RFC 7162 3.2.10, RFC 9586 3.4: VANISHED instead of EXPUNGE. */
	bool vanished = s->enabled & (IMAP_CAP_QRESYNC | IMAP_CAP_UIDONLY);
	if (vanished)
		imap_put_vanished(s, uids, n, false);
	/* From the highest down, so each sequence number is the one the client has now. */
	for (size_t k = n; k-- > 0;) {
		ptrdiff_t i = find(v->uids, v->n, uids[k]);
		if (i < 0)
			continue;
		if (!vanished)
			imap_sess_printf(s, "* %zu EXPUNGE\r\n", (size_t)i + 1);
		remove_at(v->uids, &v->n, (size_t)i);
		imap_recent_forget(s, uids[k]);
		if ((size_t)i < v->nreported)
			v->nreported--;
		ptrdiff_t g = find(v->gone, v->ngone, uids[k]);
		if (g >= 0)
			remove_at(v->gone, &v->ngone, (size_t)g);
	}
}

void imap_view_expunged(struct imap_session *s, const uint32_t *uids, size_t n)
{
	struct imap_view *v = &s->sel.view;
	/* Unreported ones just disappear; the rest is reported. */
	uint32_t *known = arena_array(&s->ar, n ? n : 1, sizeof *known);
	size_t nk = 0;
	for (size_t k = 0; k < n; k++) {
		ptrdiff_t i = find(v->uids, v->n, uids[k]);
		if (i < 0)
			continue;
		if ((size_t)i >= v->nreported)
			remove_at(v->uids, &v->n, (size_t)i);
		else
			known[nk++] = uids[k];
	}
	expunge_reported(s, known, nk);
}

static void report(struct imap_session *s, bool allow_expunge)
{
	struct imap_view *v = &s->sel.view;
	if (allow_expunge && v->ngone > 0) {
		uint32_t *gone = v->gone;
		size_t ngone = v->ngone;
		v->gone = NULL;
		v->ngone = v->gonecap = 0;
		expunge_reported(s, gone, ngone);
		free(gone);
	}
	if (v->n > v->nreported) {
		imap_recent_take(s, v->uids + v->nreported, v->n - v->nreported);
		imap_sess_printf(s, "* %zu EXISTS\r\n", v->n);
		/* RFC 3501 7.3.2: RECENT goes with EXISTS for IMAP4rev1. */
		if (imap_sess_rev1(s))
			imap_sess_printf(s, "* %zu RECENT\r\n", imap_recent_count(s));
		v->nreported = v->n;
	}
}

static void put_flags_fetch(struct imap_session *s, uint32_t seq, uint32_t uid, uint32_t flags,
			    const struct store_keywords *kw, uint64_t modseq)
{
	imap_sess_announce_keywords(s, kw);
	struct buf b = BUF_INIT;
	imap_put_fetch_start(s, seq, uid, &b);
	if (!(s->enabled & IMAP_CAP_UIDONLY))
		buf_printf(&b, "UID %u ", uid);
	buf_puts(&b, "FLAGS ");
	imap_put_msg_flags(s, uid, flags, kw, &b);
	if (s->enabled & IMAP_CAP_CONDSTORE)
		buf_printf(&b, " MODSEQ (%llu)", (unsigned long long)modseq);
	buf_puts(&b, ")\r\n");
	imap_sess_write(s, b.data, b.len);
	buf_free(&b);
}

/* After the store's queue overflowed: compare the view with the store. */
static void resync(struct imap_session *s)
{
	struct imap_selected *sel = &s->sel;
	struct arena_mark m = arena_mark(&s->ar);
	struct store_mailbox mb;
	struct error err;
	if (!store_mailbox_get_id(s->account, sel->id, &s->ar, &mb, &err)) {
		if (err.kind == ERR_NOTFOUND)
			sel->deleted = true;
		else
			log_error(&s->lg, "resync: reading mailbox", LE(&err));
		arena_rewind(&s->ar, m);
		return;
	}
	struct store_message_flags *f;
	size_t n;
	if (!store_messages_flags(s->account, sel->id, NULL, 0, &s->ar, &f, &n, &err)) {
		log_error(&s->lg, "resync: listing messages", LE(&err));
		arena_rewind(&s->ar, m);
		return;
	}
	struct imap_view *v = &sel->view;
	/* Messages gone from the store. */
	uint32_t *missing = arena_array(&s->ar, v->n ? v->n : 1, sizeof *missing);
	size_t nmissing = 0;
	for (size_t i = 0, j = 0; i < v->n; i++) {
		while (j < n && f[j].uid < v->uids[i])
			j++;
		if (j == n || f[j].uid != v->uids[i])
			missing[nmissing++] = v->uids[i];
	}
	for (size_t i = 0; i < nmissing; i++)
		mark_gone(v, missing[i]);
	uint32_t max = v->n ? v->uids[v->n - 1] : 0;
	for (size_t j = 0; j < n; j++) {
		if (f[j].uid > max) {
			add_uid(s, f[j].uid);
			continue;
		}
		ptrdiff_t i = find(v->uids, v->n, f[j].uid);
		if (i >= 0 && (size_t)i < v->nreported && f[j].modseq > sel->highestmodseq)
			put_flags_fetch(s, (uint32_t)i + 1, f[j].uid, f[j].flags, &f[j].keywords,
					f[j].modseq);
	}
	imap_sess_announce_keywords(s, &mb.keywords);
	if (mb.highestmodseq > sel->highestmodseq)
		sel->highestmodseq = mb.highestmodseq;
	sel->base_modseq = mb.highestmodseq;
	arena_rewind(&s->ar, m);
}

static void apply(struct imap_session *s, const struct store_change *c)
{
	struct imap_selected *sel = &s->sel;
	if (c->kind == STORE_CHANGE_RESYNC) {
		resync(s);
		return;
	}
	if (c->mailbox_id != sel->id)
		return;
	if (c->modseq > sel->highestmodseq)
		sel->highestmodseq = c->modseq;
	switch (c->kind) {
	case STORE_CHANGE_ADD:
		for (size_t i = 0; i < c->nmsgs; i++)
			add_uid(s, c->msgs[i].uid);
		break;
	case STORE_CHANGE_REMOVE:
		for (size_t i = 0; i < c->nuids; i++)
			mark_gone(&sel->view, c->uids[i]);
		break;
	case STORE_CHANGE_FLAGS:
		for (size_t i = 0; i < c->nmsgs; i++) {
			const struct store_change_msg *m = &c->msgs[i];
			ptrdiff_t k = imap_view_find(&sel->view, m->uid);
			if (m->modseq <= sel->base_modseq)
				continue; /* already in what the view was read from */
			if (k >= 0 && (size_t)k < sel->view.nreported)
				put_flags_fetch(s, (uint32_t)k + 1, m->uid, m->flags, &m->keywords,
						m->modseq);
		}
		break;
	case STORE_CHANGE_MAILBOX_KEYWORDS: imap_sess_announce_keywords(s, &c->keywords); break;
	case STORE_CHANGE_MAILBOX_RENAME:
		free(sel->name);
		sel->name = xstrdup(c->name);
		break;
	case STORE_CHANGE_MAILBOX_REMOVE: sel->deleted = true; break;
	default: break;
	}
}

void imap_sess_sync(struct imap_session *s, bool allow_expunge)
{
	if (!s->sub)
		return;
	struct store_changes ch;
	store_subscriber_take(s->sub, &ch);
	for (size_t i = 0; i < ch.n; i++) {
		if (ch.v[i]->seq > s->taken_seq)
			s->taken_seq = ch.v[i]->seq;
		if (s->selected)
			apply(s, ch.v[i]);
	}
	store_changes_free(&ch);
	if (s->selected)
		report(s, allow_expunge);
	/* The files of expunged messages may go once no expunge waits to be reported. */
	if (s->taken_seq && !(s->selected && s->sel.view.ngone > 0))
		store_subscriber_ack(s->sub, s->taken_seq);
}

bool imap_sess_set_uids(struct imap_session *s, const struct imap_seqset *set, bool uid,
			uint32_t **uids, size_t *n)
{
	struct imap_view *v = &s->sel.view;
	*uids = NULL;
	*n = 0;
	if (set->saved) {
		/* RFC 5182 2.1: "$" is the saved result, minus messages expunged since. */
		*uids = arena_array(&s->ar, s->sel.nsaved ? s->sel.nsaved : 1, sizeof **uids);
		for (size_t i = 0; i < s->sel.nsaved; i++) {
			ptrdiff_t k = find(v->uids, v->nreported, s->sel.saved[i]);
			if (k >= 0)
				(*uids)[(*n)++] = s->sel.saved[i];
		}
		return true;
	}
	size_t known = v->nreported;
	if (!uid) {
		/* RFC 9051 9 seq-number: numbers beyond the mailbox (and "*" when empty) are BAD.
		 */
		for (size_t i = 0; i < set->n; i++) {
			struct imap_range r = imap_range_resolve(set->v[i], (uint32_t)known);
			if (known == 0 || r.last > known || r.first == 0) {
				imap_sess_bad(s, NULL,
					      "invalid message sequence number (mailbox has %zu)",
					      known);
				return false;
			}
		}
		struct imap_range *rs = arena_array(&s->ar, set->n, sizeof *rs);
		for (size_t i = 0; i < set->n; i++)
			rs[i] = imap_range_resolve(set->v[i], (uint32_t)known);
		size_t nr = imap_ranges_normalize(rs, set->n);
		size_t count = 0;
		for (size_t i = 0; i < nr; i++)
			count += (size_t)(rs[i].last - rs[i].first + 1);
		*uids = arena_array(&s->ar, count ? count : 1, sizeof **uids);
		for (size_t i = 0; i < nr; i++)
			for (uint32_t q = rs[i].first; q <= rs[i].last; q++)
				(*uids)[(*n)++] = v->uids[q - 1];
		return true;
	}
	if (known == 0)
		return true;
	/* RFC 9051 6.4.8: "*" is the largest UID in use; "n:*" includes it even when smaller. */
	uint32_t star = v->uids[known - 1];
	struct imap_range *rs = arena_array(&s->ar, set->n, sizeof *rs);
	for (size_t i = 0; i < set->n; i++)
		rs[i] = imap_range_resolve(set->v[i], star);
	size_t nr = imap_ranges_normalize(rs, set->n);
	size_t count = 0;
	for (size_t i = 0; i < nr; i++) {
		size_t a = lower_bound(v->uids, known, rs[i].first);
		size_t b = lower_bound(v->uids, known, rs[i].last);
		if (b < known && v->uids[b] == rs[i].last)
			b++;
		count += b - a;
	}
	*uids = arena_array(&s->ar, count ? count : 1, sizeof **uids);
	for (size_t i = 0; i < nr; i++) {
		size_t a = lower_bound(v->uids, known, rs[i].first);
		for (size_t k = a; k < known && v->uids[k] <= rs[i].last; k++)
			(*uids)[(*n)++] = v->uids[k];
	}
	return true;
}

size_t imap_uids_to_ranges(const uint32_t *uids, size_t n, struct store_uid_range *out, size_t max,
			   size_t *used)
{
	size_t k = 0, i = 0;
	while (i < n && k < max) {
		size_t j = i;
		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		out[k++] = (struct store_uid_range){uids[i], uids[j]};
		i = j + 1;
	}
	*used = i;
	return k;
}
