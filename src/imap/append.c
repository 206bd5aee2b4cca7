/*
 * APPEND (RFC 9051 6.3.12) with flags, internal date, literal8 data
 * (RFC 3516 4.4), [APPENDUID] (RFC 4315 3) and [TRYCREATE] for a missing
 * mailbox. The data comes from the reader (reader.c): in the command text,
 * or in a temporary file of the account for large messages, which the store
 * links into place without copying.
 */
#include "imap/session.h"

#include <string.h>

/* RFC 9051 6.3.12: a message with a NUL needs literal8 (BINARY) to be stored as sent. */
static bool data_ok(struct imap_session *s, const struct imap_literal *l)
{
	if (l->binary && !imap_sess_has(s, IMAP_CAP_BINARY)) {
		imap_sess_bad(s, NULL, "literal8 needs the BINARY capability");
		return false;
	}
	if (l->has_nul && !l->binary) {
		imap_sess_no(s, "CANNOT", "message contains NUL; send it as literal8 (BINARY)");
		return false;
	}
	return true;
}

void imap_cmd_append(struct imap_session *s)
{
	const struct imap_append_args *a = &s->cmd.u.append;
	const char *name = imap_sess_mailbox_arg(s, a->mailbox, true);
	if (!name)
		return;
	if (a->n != 1) {
		imap_sess_bad(s, NULL, "one message per APPEND");
		return;
	}
	const struct imap_append_msg *m = &a->msgs[0];
	const struct imap_literal *l = m->data;
	if (!data_ok(s, l))
		return;
	struct store_target t = {.mailbox_name = name};
	if (!imap_sess_flags_arg(s, m->flags, m->nflags, &t.flags, &t.keywords))
		return;
	struct store_delivery d = {
	    .received = m->has_date ? m->date : 0,
	    .received_tz = m->has_date ? m->date_tz : 0,
	    .quota = imap_sess_quota(s),
	    .origin = s->sub,
	    .targets = &t,
	    .ntargets = 1,
	};
	if (l->file) {
		d.file = l->file;
	} else {
		d.data = s->text.text.data + l->at;
		d.len = (size_t)l->len;
	}
	struct error err;
	if (!store_deliver(s->account, &d, &err)) {
		if (err.kind == ERR_NOTFOUND)
			imap_sess_no(s, "TRYCREATE", "mailbox does not exist");
		else
			imap_sess_no_err(s, "APPEND", &err);
		return;
	}
	/* The store does not tell this session of its own message: the view learns it here. */
	if (s->selected && t.mailbox_id_out == s->sel.id) {
		imap_view_add(s, t.uid);
		if (t.modseq > s->sel.highestmodseq)
			s->sel.highestmodseq = t.modseq;
	}
	if (imap_sess_has(s, IMAP_CAP_UIDPLUS))
		imap_sess_ok(s, NULL, "[APPENDUID %u %u] APPEND completed", t.uidvalidity, t.uid);
	else
		imap_sess_ok(s, NULL, "APPEND completed");
}
