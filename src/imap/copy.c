/*
 * COPY, MOVE and their UID forms (RFC 9051 6.4.7, RFC 6851) with
 * [COPYUID] (RFC 4315 3) and [TRYCREATE]. MOVE answers "* OK [COPYUID ...]"
 * first, then the EXPUNGE (or VANISHED with QRESYNC) of the moved
 * messages, then the tagged OK (RFC 6851 4.3). MOVE into the selected
 * mailbox itself gives the messages new UIDs (RFC 6851 3.3 allows it; some
 * clients use it to renumber). The store does each piece of at most
 * STORE_UID_RANGES_MAX ranges in one transaction.
 */
#include "imap/session.h"

#include <string.h>

void imap_cmd_copy(struct imap_session *s)
{
	const struct imap_copy_args *a = &s->cmd.u.copy;
	bool move = s->cmd.kind == IMAP_CMD_MOVE;
	const char *what =
	    move ? (s->cmd.uid ? "UID MOVE" : "MOVE") : (s->cmd.uid ? "UID COPY" : "COPY");
	if (!imap_sess_selected_ok(s))
		return;
	const char *name = imap_sess_mailbox_arg(s, a->mailbox, true);
	if (!name)
		return;
	if (move && s->sel.readonly) {
		imap_sess_no(s, "READ-ONLY", "mailbox is read-only");
		return;
	}
	struct store_mailbox dst;
	struct error err;
	if (!store_mailbox_get(s->account, name, &s->ar, &dst, &err)) {
		if (err.kind == ERR_NOTFOUND)
			imap_sess_no(s, "TRYCREATE", "mailbox does not exist");
		else
			imap_sess_no_err(s, what, &err);
		return;
	}
	uint32_t *uids;
	size_t n;
	if (!imap_sess_set_uids(s, &a->set, s->cmd.uid, &uids, &n))
		return;
	/* Messages expunged by others are not copied (RFC 9051 7.5.1 keeps their numbers). */
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (imap_view_is_gone(&s->sel.view, uids[i]))
			s->expunge_issued = true;
		else
			uids[k++] = uids[i];
	}
	n = k;
	if (n == 0) {
		imap_sess_ok(s, s->expunge_issued ? "EXPUNGEISSUED" : NULL,
			     "%s completed, nothing to do", what);
		return;
	}
	uint32_t *src = arena_array(&s->ar, n, sizeof *src);
	uint32_t *dstuids = arena_array(&s->ar, n, sizeof *dstuids);
	size_t ncopied = 0;
	uint32_t uidvalidity = dst.uidvalidity;
	struct store_uid_range *r = arena_array(&s->ar, STORE_UID_RANGES_MAX, sizeof *r);
	for (size_t done = 0; done < n;) {
		size_t used;
		size_t nr =
		    imap_uids_to_ranges(uids + done, n - done, r, STORE_UID_RANGES_MAX, &used);
		struct store_uid_set set = {r, nr};
		struct store_copy_result res;
		bool ok = move ? store_move(s->account, s->sel.id, &set, dst.id, s->sub, &s->ar,
					    &res, &err)
			       : store_copy(s->account, s->sel.id, &set, dst.id, imap_sess_quota(s),
					    s->sub, &s->ar, &res, &err);
		if (!ok) {
			if (ncopied == 0) {
				imap_sess_no_err(s, what, &err);
				return;
			}
			break; /* the pieces before were done: report them */
		}
		uidvalidity = res.uidvalidity;
		for (size_t i = 0; i < res.n; i++) {
			src[ncopied] = res.map[i].src;
			dstuids[ncopied++] = res.map[i].dst;
		}
		if (res.modseq > s->sel.highestmodseq && dst.id == s->sel.id)
			s->sel.highestmodseq = res.modseq;
		done += used;
	}
	if (ncopied < n)
		s->expunge_issued = true;
	if (dst.id == s->sel.id)
		for (size_t i = 0; i < ncopied; i++)
			imap_view_add(s, dstuids[i]);
	char *code = NULL;
	if (ncopied > 0 && imap_sess_has(s, IMAP_CAP_UIDPLUS)) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "COPYUID %u ", uidvalidity);
		imap_uidlist_format(src, ncopied, &b);
		buf_putc(&b, ' ');
		imap_uidlist_format(dstuids, ncopied, &b);
		code = arena_strdup(&s->ar, b.data);
		buf_free(&b);
	}
	if (move) {
		if (code)
			imap_sess_untagged(s, "OK [%s] moved", code);
		imap_view_expunged(s, src, ncopied);
		imap_sess_ok(s, s->expunge_issued ? "EXPUNGEISSUED" : NULL, "%s completed", what);
		return;
	}
	if (code)
		imap_sess_ok(s, code, "%s completed", what);
	else
		imap_sess_ok(s, s->expunge_issued ? "EXPUNGEISSUED" : NULL, "%s completed", what);
}
