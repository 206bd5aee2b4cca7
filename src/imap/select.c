/*
 * SELECT and EXAMINE (RFC 9051 6.3.2, 6.3.3) with CONDSTORE and QRESYNC
 * (RFC 7162 3.1.8, 3.2.5), CLOSE (6.4.1), UNSELECT (6.4.2, RFC 3691),
 * EXPUNGE (6.4.3) and UID EXPUNGE (RFC 4315 2.1).
 */
#include "imap/session.h"

#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

bool imap_sess_selected_ok(struct imap_session *s)
{
	if (s->sel.deleted) {
		imap_sess_no(s, "NONEXISTENT", "the selected mailbox was deleted");
		return false;
	}
	return true;
}

/* RFC 7162 3.2.5.2: the client's known UIDs from seq-match-data tell how far its view
 * agrees with ours; expunges below that need no VANISHED. */
static uint32_t agreed_below(struct imap_session *s, const struct imap_select_args *a)
{
	if (!a->has_seq_match)
		return 0;
	const struct imap_seqset *qs = &a->known_seqs, *qu = &a->known_seq_uids;
	uint32_t agreed = 0;
	size_t i = 0, j = 0;
	uint32_t seq = 0, uid = 0, seq_end = 0, uid_end = 0;
	for (;;) {
		if (seq == seq_end) {
			if (i == qs->n)
				break;
			seq = qs->v[i].first;
			seq_end = qs->v[i].last + 1;
			i++;
		}
		if (uid == uid_end) {
			if (j == qu->n)
				break;
			uid = qu->v[j].first;
			uid_end = qu->v[j].last + 1;
			j++;
		}
		const struct imap_view *v = &s->sel.view;
		if (seq == 0 || seq > v->n || v->uids[seq - 1] != uid)
			break;
		agreed = uid + 1;
		seq++;
		uid++;
	}
	return agreed;
}

/* RFC 7162 3.2.5: what changed since the client's MODSEQ, when UIDVALIDITY matches. */
static bool qresync(struct imap_session *s, const struct imap_select_args *a)
{
	struct error err;
	const struct imap_seqset *known = a->has_known_uids ? &a->known_uids : NULL;
	uint32_t below = agreed_below(s, a);
	/* Expunged since: from the store's history of expunges. */
	uint32_t *van;
	size_t nvan;
	if (!store_vanished(s->account, s->sel.id, a->modseq, NULL, &s->ar, &van, &nvan, &err)) {
		imap_sess_server_error(s, "reading expunged messages", &err);
		return false;
	}
	size_t k = 0;
	for (size_t i = 0; i < nvan; i++)
		if (van[i] >= below && (!known || imap_seqset_contains(known, van[i], UINT32_MAX)))
			van[k++] = van[i];
	/* RFC 7162 3.2.5.1: the expunges first, then the changed flags. */
	imap_put_vanished(s, van, k, true);
	/* Changed since: flags of messages with a larger MODSEQ. */
	struct store_message_flags *f;
	size_t n;
	if (!store_messages_flags(s->account, s->sel.id, NULL, a->modseq, &s->ar, &f, &n, &err)) {
		imap_sess_server_error(s, "reading changed messages", &err);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (known && !imap_seqset_contains(known, f[i].uid, UINT32_MAX))
			continue;
		uint32_t seq = imap_sess_seq(s, f[i].uid);
		if (!seq)
			continue;
		imap_sess_announce_keywords(s, &f[i].keywords);
		struct buf b = BUF_INIT;
		imap_put_fetch_start(s, seq, f[i].uid, &b);
		if (!(s->enabled & IMAP_CAP_UIDONLY))
			buf_printf(&b, "UID %u ", f[i].uid);
		buf_puts(&b, "FLAGS ");
		imap_put_msg_flags(s, f[i].uid, f[i].flags, &f[i].keywords, &b);
		buf_printf(&b, " MODSEQ (%llu))\r\n", (unsigned long long)f[i].modseq);
		imap_sess_write(s, b.data, b.len);
		buf_free(&b);
	}
	return true;
}

void imap_cmd_select(struct imap_session *s)
{
	const struct imap_select_args *a = &s->cmd.u.select;
	bool readonly = s->cmd.kind == IMAP_CMD_EXAMINE;
	const char *what = readonly ? "EXAMINE" : "SELECT";
	if ((a->condstore || a->qresync) && !imap_sess_has(s, IMAP_CAP_CONDSTORE)) {
		imap_sess_bad(s, NULL, "CONDSTORE is disabled for this account");
		return;
	}
	/* RFC 7162 3.2.5: QRESYNC parameters need ENABLE QRESYNC first. */
	if (a->qresync && !(s->enabled & IMAP_CAP_QRESYNC)) {
		imap_sess_bad(s, NULL, "QRESYNC parameter without ENABLE QRESYNC");
		return;
	}
	/* RFC 9586 3: seq-match-data holds sequence numbers. */
	if (a->has_seq_match && (s->enabled & IMAP_CAP_UIDONLY)) {
		imap_sess_bad(s, "UIDREQUIRED", "QRESYNC sequence match data with UIDONLY");
		return;
	}
	if (a->has_seq_match && (!imap_seqset_increasing(&a->known_seqs) ||
				 !imap_seqset_increasing(&a->known_seq_uids))) {
		imap_sess_bad(s, NULL, "QRESYNC known sets must be increasing");
		return;
	}
	/* RFC 9051 6.3.2: the old mailbox is closed first, also when this SELECT fails. */
	if (s->selected) {
		imap_sess_unselect(s);
		imap_sess_untagged(s, "OK [CLOSED] previous mailbox closed");
	}
	const char *name = imap_sess_mailbox_arg(s, a->mailbox, true);
	if (!name)
		return;
	if (a->condstore)
		imap_sess_enable_condstore(s);
	/* Changes queued so far are in what is read next. */
	imap_sess_sync(s, true);
	struct store_mailbox mb;
	struct error err;
	if (!store_mailbox_get(s->account, name, &s->ar, &mb, &err)) {
		imap_sess_no_err(s, what, &err);
		return;
	}
	struct store_message_flags *f;
	size_t n;
	if (!store_messages_flags(s->account, mb.id, NULL, 0, &s->ar, &f, &n, &err)) {
		imap_sess_no_err(s, what, &err);
		return;
	}
	struct imap_selected *sel = &s->sel;
	memset(sel, 0, sizeof *sel);
	sel->id = mb.id;
	sel->name = xstrdup(mb.name);
	sel->readonly = readonly;
	sel->uidvalidity = mb.uidvalidity;
	sel->highestmodseq = mb.highestmodseq;
	sel->base_modseq = mb.highestmodseq;
	imap_sess_keywords_set(s, &mb.keywords);
	sel->view.uids = xcalloc(n ? n : 1, sizeof *sel->view.uids);
	sel->view.cap = n ? n : 1;
	uint32_t first_unseen = 0;
	for (size_t i = 0; i < n; i++) {
		sel->view.uids[i] = f[i].uid;
		if (!first_unseen && !(f[i].flags & STORE_FLAG_SEEN))
			first_unseen = (uint32_t)i + 1;
	}
	sel->view.n = sel->view.nreported = n;
	s->selected = true;
	s->state = IMAP_STATE_SELECTED;

	bool rev2 = s->enabled & IMAP_CAP_IMAP4REV2;
	imap_recent_take(s, sel->view.uids, n);
	imap_put_flags_lines(s, &sel->keywords, readonly);
	imap_sess_untagged(s, "%zu EXISTS", n);
	if (!rev2) {
		/* RFC 3501 7.3.2, 7.1: RECENT and UNSEEN are IMAP4rev1's. */
		imap_sess_untagged(s, "%zu RECENT", imap_recent_count(s));
		if (first_unseen)
			imap_sess_untagged(s, "OK [UNSEEN %u] first unseen", first_unseen);
	}
	imap_sess_untagged(s, "OK [UIDVALIDITY %u] UIDs valid", mb.uidvalidity);
	imap_sess_untagged(s, "OK [UIDNEXT %u] predicted next UID", mb.uidnext);
	if (rev2) {
		/* RFC 9051 6.3.2: the LIST response with the mailbox's canonical name. */
		struct buf b = BUF_INIT;
		buf_puts(&b, "* LIST () \"/\" ");
		imap_put_mailbox(s, mb.name, &b);
		buf_puts(&b, "\r\n");
		imap_sess_write(s, b.data, b.len);
		buf_free(&b);
	}
	if (s->enabled & IMAP_CAP_CONDSTORE)
		imap_sess_untagged(s, "OK [HIGHESTMODSEQ %llu] modseq tracked",
				   (unsigned long long)mb.highestmodseq);
	if (imap_sess_has(s, IMAP_CAP_OBJECTID))
		imap_sess_untagged(s, "OK [MAILBOXID (F%lld)] mailbox id", (long long)mb.id);
	if (a->qresync && a->uidvalidity == mb.uidvalidity && !qresync(s, a))
		return;
	imap_sess_ok(s, readonly ? "READ-ONLY" : "READ-WRITE", "%s completed", what);
}

void imap_cmd_unselect(struct imap_session *s)
{
	imap_sess_unselect(s);
	imap_sess_ok(s, NULL, "UNSELECT completed");
}

void imap_cmd_close(struct imap_session *s)
{
	/* RFC 9051 6.4.1: expunge silently (no EXPUNGE responses), then close. */
	if (!s->sel.readonly && !s->sel.deleted) {
		uint32_t *uids;
		size_t n;
		uint64_t modseq;
		struct error err;
		if (!store_expunge(s->account, s->sel.id, NULL, s->sub, &s->ar, &uids, &n, &modseq,
				   &err) &&
		    err.kind != ERR_NOTFOUND)
			log_error(&s->lg, "expunge at CLOSE", LE(&err));
	}
	imap_sess_unselect(s);
	imap_sess_ok(s, NULL, "CLOSE completed");
}

/* Expunges the \Deleted messages of uids (all when NULL) in pieces the store takes. */
static bool expunge_uids(struct imap_session *s, const uint32_t *uids, size_t n, uint64_t *modseq)
{
	struct error err;
	uint32_t *done;
	size_t ndone;
	if (!uids) {
		if (!store_expunge(s->account, s->sel.id, NULL, s->sub, &s->ar, &done, &ndone,
				   modseq, &err)) {
			imap_sess_no_err(s, "EXPUNGE", &err);
			return false;
		}
		imap_view_expunged(s, done, ndone);
		return true;
	}
	struct store_uid_range *r = arena_array(&s->ar, STORE_UID_RANGES_MAX, sizeof *r);
	size_t pos = 0;
	while (pos < n) {
		size_t used;
		size_t nr =
		    imap_uids_to_ranges(uids + pos, n - pos, r, STORE_UID_RANGES_MAX, &used);
		pos += used;
		struct store_uid_set set = {r, nr};
		if (!store_expunge(s->account, s->sel.id, &set, s->sub, &s->ar, &done, &ndone,
				   modseq, &err)) {
			imap_sess_no_err(s, "UID EXPUNGE", &err);
			return false;
		}
		imap_view_expunged(s, done, ndone);
	}
	return true;
}

void imap_cmd_expunge(struct imap_session *s)
{
	if (!imap_sess_selected_ok(s))
		return;
	if (s->sel.readonly) {
		imap_sess_no(s, "READ-ONLY", "mailbox is read-only");
		return;
	}
	uint32_t *uids = NULL;
	size_t n = 0;
	bool uid = s->cmd.kind == IMAP_CMD_UID_EXPUNGE;
	if (uid && !imap_sess_set_uids(s, &s->cmd.u.uid_expunge.set, true, &uids, &n))
		return;
	/* Others' expunges first, so the sequence numbers below are the client's. */
	imap_sess_sync(s, true);
	uint64_t modseq = 0;
	if (uid && n == 0) {
		imap_sess_ok(s, NULL, "UID EXPUNGE completed");
		return;
	}
	if (!expunge_uids(s, uid ? uids : NULL, n, &modseq))
		return;
	if (modseq > s->sel.highestmodseq)
		s->sel.highestmodseq = modseq;
	if (s->enabled & IMAP_CAP_CONDSTORE) {
		/* RFC 7162 3.1.9: the tagged OK carries the new HIGHESTMODSEQ. */
		char *code = arena_sprintf(&s->ar, "HIGHESTMODSEQ %llu",
					   (unsigned long long)s->sel.highestmodseq);
		imap_sess_ok(s, code, "%s completed", uid ? "UID EXPUNGE" : "EXPUNGE");
		return;
	}
	imap_sess_ok(s, NULL, "%s completed", uid ? "UID EXPUNGE" : "EXPUNGE");
}
