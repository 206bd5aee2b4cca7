/*
 * STORE and UID STORE (RFC 9051 6.4.6) with .SILENT and UNCHANGEDSINCE
 * (RFC 7162 3.1.3: refused messages in [MODIFIED]). Responses give the new
 * flags (and MODSEQ once CONDSTORE is on, RFC 7162 3.1.4); a message
 * expunged by another session meanwhile is skipped with [EXPUNGEISSUED].
 */
#include "imap/session.h"

#include <string.h>

static void put_fetch(struct imap_session *s, const struct store_message *m)
{
	uint32_t seq = imap_sess_seq(s, m->uid);
	if (!seq)
		return;
	imap_sess_announce_keywords(s, &m->keywords);
	struct buf b = BUF_INIT;
	imap_put_fetch_start(s, seq, m->uid, &b);
	if (s->cmd.uid && !(s->enabled & IMAP_CAP_UIDONLY))
		buf_printf(&b, "UID %u ", m->uid);
	buf_puts(&b, "FLAGS ");
	imap_put_msg_flags(s, m->uid, m->flags, &m->keywords, &b);
	if (s->enabled & IMAP_CAP_CONDSTORE)
		buf_printf(&b, " MODSEQ (%llu)", (unsigned long long)m->modseq);
	buf_puts(&b, ")\r\n");
	imap_sess_write(s, b.data, b.len);
	buf_free(&b);
}

void imap_cmd_store(struct imap_session *s)
{
	const struct imap_store_args *a = &s->cmd.u.store;
	if (!imap_sess_selected_ok(s))
		return;
	if (s->sel.readonly) {
		imap_sess_no(s, "READ-ONLY", "mailbox is read-only");
		return;
	}
	if (a->unchangedsince_set) {
		if (!imap_sess_has(s, IMAP_CAP_CONDSTORE)) {
			imap_sess_bad(s, NULL, "CONDSTORE is disabled for this account");
			return;
		}
		imap_sess_enable_condstore(s);
	}
	struct store_flags_change c = {
	    .op = a->op == IMAP_STORE_ADD      ? STORE_FLAGS_ADD
		  : a->op == IMAP_STORE_REMOVE ? STORE_FLAGS_REMOVE
					       : STORE_FLAGS_REPLACE,
	    .unchangedsince = a->unchangedsince_set ? a->unchangedsince : 0,
	};
	if (!imap_sess_flags_arg(s, a->flags, a->nflags, &c.flags, &c.keywords))
		return;
	/* RFC 7162 3.1.3: UNCHANGEDSINCE 0 fails for every message. */
	if (a->unchangedsince_set && a->unchangedsince == 0)
		c.unchangedsince = 0;
	uint32_t *uids;
	size_t n;
	if (!imap_sess_set_uids(s, &a->set, s->cmd.uid, &uids, &n))
		return;
	uint32_t *failed = arena_array(&s->ar, n ? n : 1, sizeof *failed);
	size_t nfailed = 0;
	if (a->unchangedsince_set && a->unchangedsince == 0) {
		memcpy(failed, uids, n * sizeof *uids);
		nfailed = n;
		n = 0;
	}
	struct store_uid_range *r = arena_array(&s->ar, STORE_UID_RANGES_MAX, sizeof *r);
	size_t matched = 0;
	for (size_t done = 0; done < n;) {
		size_t used;
		size_t nr =
		    imap_uids_to_ranges(uids + done, n - done, r, STORE_UID_RANGES_MAX, &used);
		struct store_uid_set set = {r, nr};
		struct store_flags_result res;
		struct error err;
		if (!store_flags_update(s->account, s->sel.id, &set, &c, s->sub, &s->ar, &res,
					&err)) {
			imap_sess_no_err(s, "STORE", &err);
			return;
		}
		if (res.modseq > s->sel.highestmodseq)
			s->sel.highestmodseq = res.modseq;
		for (size_t i = 0; i < res.nmessages; i++) {
			if (imap_view_is_gone(&s->sel.view, res.messages[i].uid))
				continue;
			if (!a->silent || (res.changed[i] && (s->enabled & IMAP_CAP_CONDSTORE) &&
					   a->unchangedsince_set))
				put_fetch(s, &res.messages[i]);
		}
		matched += res.nmessages + res.nfailed;
		for (size_t i = 0; i < res.nfailed; i++)
			failed[nfailed++] = res.failed[i];
		done += used;
	}
	/* Messages of the set the store no longer has: expunged by someone else. */
	if (matched < n)
		s->expunge_issued = true;
	for (size_t i = 0; i < n; i++)
		if (imap_view_is_gone(&s->sel.view, uids[i]))
			s->expunge_issued = true;
	if (nfailed > 0) {
		/* RFC 7162 3.1.3: MODIFIED lists UIDs for UID STORE, else sequence numbers. */
		struct buf b = BUF_INIT;
		buf_puts(&b, "MODIFIED ");
		if (!s->cmd.uid)
			for (size_t i = 0; i < nfailed; i++)
				failed[i] = imap_sess_seq(s, failed[i]);
		imap_uidlist_format(failed, nfailed, &b);
		imap_sess_ok(s, b.data, "conditional STORE failed for some messages");
		buf_free(&b);
		return;
	}
	if (s->expunge_issued)
		imap_sess_ok(s, "EXPUNGEISSUED", "some messages were expunged meanwhile");
	else
		imap_sess_ok(s, NULL, "%s completed", s->cmd.uid ? "UID STORE" : "STORE");
}
