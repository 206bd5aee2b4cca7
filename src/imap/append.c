/*
 * APPEND (RFC 9051 6.3.12) with flags, internal date, literal8 data
 * (RFC 3516 4.4), [APPENDUID] (RFC 4315 3) and [TRYCREATE] for a missing
 * mailbox; several messages at once, all or none (MULTIAPPEND, RFC 3502);
 * and REPLACE and UID REPLACE (RFC 8508): a message appended and one of the
 * selected mailbox expunged in one store transaction. The data comes from
 * the reader (reader.c): in the command text, or in a temporary file of the
 * account for large messages, which the store links into place without
 * copying.
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

/* The deliveries of the command's messages into the mailbox name; false with a reply sent. */
static bool make_deliveries(struct imap_session *s, const char *name,
			    const struct imap_append_msg *msgs, size_t n, struct store_delivery *d,
			    struct store_target *t)
{
	for (size_t i = 0; i < n; i++) {
		const struct imap_literal *l = msgs[i].data;
		if (!data_ok(s, l))
			return false;
		t[i] = (struct store_target){.mailbox_name = name};
		if (!imap_sess_flags_arg(s, msgs[i].flags, msgs[i].nflags, &t[i].flags,
					 &t[i].keywords))
			return false;
		d[i] = (struct store_delivery){
		    .received = msgs[i].has_date ? msgs[i].date : 0,
		    .received_tz = msgs[i].has_date ? msgs[i].date_tz : 0,
		    .quota = imap_sess_quota(s),
		    .origin = s->sub,
		    .targets = &t[i],
		    .ntargets = 1,
		};
		if (l->file) {
			d[i].file = l->file;
		} else {
			d[i].data = s->text.text.data + l->at;
			d[i].len = (size_t)l->len;
		}
	}
	return true;
}

/* The store does not tell this session of its own messages: the view learns them here. */
static void note_added(struct imap_session *s, const struct store_target *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!s->selected || t[i].mailbox_id_out != s->sel.id)
			continue;
		imap_view_add(s, t[i].uid);
		if (t[i].modseq > s->sel.highestmodseq)
			s->sel.highestmodseq = t[i].modseq;
	}
}

/* "APPENDUID uidvalidity uid-set" (RFC 4315 3; a set for MULTIAPPEND); "" without UIDPLUS. */
static const char *appenduid(struct imap_session *s, const struct store_target *t, size_t n)
{
	if (!imap_sess_has(s, IMAP_CAP_UIDPLUS) || n == 0)
		return "";
	uint32_t *uids = arena_array(&s->ar, n, sizeof *uids);
	for (size_t i = 0; i < n; i++)
		uids[i] = t[i].uid;
	struct buf b = BUF_INIT;
	buf_printf(&b, "APPENDUID %u ", t[0].uidvalidity);
	imap_uidlist_format(uids, n, &b);
	const char *code = arena_strdup(&s->ar, b.data);
	buf_free(&b);
	return code;
}

static void refuse_store(struct imap_session *s, const char *what, const struct error *err)
{
	if (err->kind == ERR_NOTFOUND)
		imap_sess_no(s, "TRYCREATE", "mailbox does not exist");
	else
		imap_sess_no_err(s, what, err);
}

void imap_cmd_append(struct imap_session *s)
{
	const struct imap_append_args *a = &s->cmd.u.append;
	if (a->n > 1 && !imap_sess_has(s, IMAP_CAP_MULTIAPPEND)) {
		imap_sess_bad(s, NULL, "MULTIAPPEND is disabled for this account");
		return;
	}
	const char *name = imap_sess_mailbox_arg(s, a->mailbox, true);
	if (!name)
		return;
	struct store_delivery *d = arena_array(&s->ar, a->n, sizeof *d);
	struct store_target *t = arena_array(&s->ar, a->n, sizeof *t);
	if (!make_deliveries(s, name, a->msgs, a->n, d, t))
		return;
	struct error err;
	bool ok = a->n == 1 ? store_deliver(s->account, d, &err)
			    : store_deliver_all(s->account, d, a->n, &err);
	if (!ok) {
		refuse_store(s, "APPEND", &err);
		return;
	}
	note_added(s, t, a->n);
	imap_sess_ok(s, appenduid(s, t, a->n), "APPEND completed");
}

/* The message REPLACE removes, as a UID of the view; 0 with a reply sent. */
static uint32_t replaced_uid(struct imap_session *s, const struct imap_replace_args *a)
{
	uint32_t *uids;
	size_t n;
	struct imap_range r = a->msg;
	struct imap_seqset set = {&r, 1, false};
	if (!imap_sess_set_uids(s, &set, s->cmd.uid, &uids, &n))
		return 0;
	if (n == 0 || imap_view_is_gone(&s->sel.view, uids[0])) {
		/* RFC 8508 3.4: nothing may change when the message cannot be removed. */
		imap_sess_no(s, "EXPUNGEISSUED", "the message to replace was expunged");
		return 0;
	}
	return uids[0];
}

void imap_cmd_replace(struct imap_session *s)
{
	const struct imap_replace_args *a = &s->cmd.u.replace;
	const char *what = s->cmd.uid ? "UID REPLACE" : "REPLACE";
	if (!imap_sess_selected_ok(s))
		return;
	if (s->sel.readonly) {
		imap_sess_no(s, "READ-ONLY", "mailbox is read-only");
		return;
	}
	uint32_t uid = replaced_uid(s, a);
	if (!uid)
		return;
	const char *name = imap_sess_mailbox_arg(s, a->mailbox, true);
	if (!name)
		return;
	struct store_mailbox dst;
	struct error err;
	if (!store_mailbox_get(s->account, name, &s->ar, &dst, &err)) {
		refuse_store(s, what, &err);
		return;
	}
	struct store_delivery d;
	struct store_target t;
	if (!make_deliveries(s, name, &a->msg_data, 1, &d, &t))
		return;
	uint64_t modseq;
	if (!store_replace(s->account, &d, s->sel.id, uid, &modseq, &err)) {
		if (err.kind == ERR_NOTFOUND)
			imap_sess_no(s, "EXPUNGEISSUED", "%s: %s", what, err.msg);
		else
			imap_sess_no_err(s, what, &err);
		return;
	}
	/* RFC 8508 3.2: the APPENDUID, the new message, then the expunge of the old one. */
	const char *code = appenduid(s, &t, 1);
	if (*code)
		imap_sess_untagged(s, "OK [%s] replacement message ready", code);
	note_added(s, &t, 1);
	imap_sess_sync(s, false);
	imap_view_expunged(s, &uid, 1);
	if (modseq > s->sel.highestmodseq)
		s->sel.highestmodseq = modseq;
	imap_sess_ok(s, NULL, "%s completed", what);
}
