/*
 * \Recent for IMAP4rev1 sessions (RFC 3501 2.3.2, 7.3.2): a read-write
 * session claims the messages it is the first to see, through the store's
 * mark (store/recent.h), when it reports them (SELECT, EXISTS); a read-only
 * session shows the unclaimed ones as recent without claiming them. The
 * recent UIDs of this session are a sorted array beside the view, pruned
 * as messages are expunged. IMAP4rev2 sessions (RFC 9051) have no \Recent:
 * they never claim, and nothing is recent for them.
 */
#include "imap/session.h"

#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

bool imap_sess_rev1(const struct imap_session *s)
{
	return !(s->enabled & IMAP_CAP_IMAP4REV2);
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

bool imap_sess_is_recent(const struct imap_session *s, uint32_t uid)
{
	return s->selected && imap_sess_rev1(s) && find(s->sel.recent, s->sel.nrecent, uid) >= 0;
}

/* Appends uid (larger than every recent UID so far). */
static void add(struct imap_selected *sel, uint32_t uid)
{
	if (sel->nrecent == sel->recentcap) {
		sel->recentcap = sel->recentcap ? sel->recentcap * 2 : 16;
		sel->recent = xreallocarray(sel->recent, sel->recentcap, sizeof *sel->recent);
	}
	sel->recent[sel->nrecent++] = uid;
}

void imap_recent_take(struct imap_session *s, const uint32_t *uids, size_t n)
{
	struct imap_selected *sel = &s->sel;
	if (!imap_sess_rev1(s) || n == 0)
		return;
	uint32_t upto = uids[n - 1] + 1;
	if (upto == 0)
		return;
	uint32_t first;
	struct error err;
	bool ok = sel->readonly ? store_recent_first(s->account, sel->id, &first, &err)
				: store_recent_claim(s->account, sel->id, upto, &first, &err);
	if (!ok) {
		/* \Recent is advice to the client: without the mark, nothing is recent. */
		log_info(&s->lg, "reading the \\Recent mark", LE(&err), LI("mailbox", sel->id));
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (uids[i] >= first &&
		    (sel->nrecent == 0 || uids[i] > sel->recent[sel->nrecent - 1]))
			add(sel, uids[i]);
}

size_t imap_recent_count(const struct imap_session *s)
{
	return imap_sess_rev1(s) ? s->sel.nrecent : 0;
}

void imap_recent_forget(struct imap_session *s, uint32_t uid)
{
	struct imap_selected *sel = &s->sel;
	ptrdiff_t i = find(sel->recent, sel->nrecent, uid);
	if (i < 0)
		return;
	memmove(sel->recent + i, sel->recent + i + 1,
		(sel->nrecent - (size_t)i - 1) * sizeof *sel->recent);
	sel->nrecent--;
}
