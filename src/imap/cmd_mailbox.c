/*
 * CREATE (RFC 9051 6.3.4, RFC 6154 5.2 USE), DELETE (6.3.5), RENAME
 * (6.3.6), SUBSCRIBE and UNSUBSCRIBE (6.3.7, 6.3.8) and STATUS (6.3.11,
 * RFC 7162 HIGHESTMODSEQ, RFC 8438 SIZE, RFC 7889 APPENDLIMIT).
 *
 * Names go through the store's checks (store/mailbox.h): a name can never
 * be a path, "." and ".." parts, empty parts, controls and overlong names
 * are refused with NO [CANNOT].
 */
#include "imap/session.h"

#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

static bool is_inbox(struct str raw)
{
	return str_eqi_cstr(raw, "INBOX");
}

void imap_cmd_create(struct imap_session *s)
{
	const struct imap_create_args *a = &s->cmd.u.create;
	if (a->use && !imap_sess_has(s, IMAP_CAP_CREATE_SPECIAL_USE)) {
		imap_sess_bad(s, NULL, "CREATE-SPECIAL-USE is disabled for this account");
		return;
	}
	if (a->bad_use.len) {
		/* RFC 6154 5.2: an attribute we do not have is USEATTR. */
		imap_sess_no(s, "USEATTR", "special-use attribute %.*s not supported",
			     (int)(a->bad_use.len > 40 ? 40 : a->bad_use.len), a->bad_use.p);
		return;
	}
	/* RFC 9051 6.3.4: a trailing separator only says that children are planned. */
	struct str raw = a->mailbox;
	while (raw.len > 0 && raw.p[raw.len - 1] == '/')
		raw.len--;
	if (is_inbox(raw)) {
		imap_sess_no(s, "ALREADYEXISTS", "INBOX always exists");
		return;
	}
	const char *name = imap_sess_mailbox_arg(s, raw, false);
	if (!name)
		return;
	/* As mox: new mailboxes are subscribed (so clients that list subscriptions see them). */
	struct store_mailbox_create o = {.specialuse = a->use, .subscribe = true};
	struct error err;
	int64_t id = 0;
	if (!store_mailbox_create(s->account, name, &o, s->sub, &id, &err)) {
		imap_sess_no_err(s, "CREATE", &err);
		return;
	}
	if (imap_sess_has(s, IMAP_CAP_OBJECTID)) {
		/* RFC 8474 4.1: the new mailbox's MAILBOXID in the tagged OK. */
		struct buf b = BUF_INIT;
		buf_puts(&b, "MAILBOXID ");
		imap_put_objectid('F', id, &b);
		imap_sess_ok(s, b.data, "CREATE completed");
		buf_free(&b);
		return;
	}
	imap_sess_ok(s, NULL, "CREATE completed");
}

void imap_cmd_delete(struct imap_session *s)
{
	if (is_inbox(s->cmd.u.mailbox.name)) {
		imap_sess_no(s, "CANNOT", "INBOX cannot be deleted");
		return;
	}
	const char *name = imap_sess_mailbox_arg(s, s->cmd.u.mailbox.name, false);
	if (!name)
		return;
	struct error err;
	if (!store_mailbox_delete(s->account, name, s->sub, &err)) {
		if (err.kind == ERR_EXISTS)
			imap_sess_no(s, "HASCHILDREN", "DELETE: %s", err.msg);
		else
			imap_sess_no_err(s, "DELETE", &err);
		return;
	}
	if (s->selected && strcmp(s->sel.name, name) == 0)
		s->sel.deleted = true;
	imap_sess_ok(s, NULL, "DELETE completed");
}

void imap_cmd_rename(struct imap_session *s)
{
	const struct imap_rename_args *a = &s->cmd.u.rename;
	const char *from = imap_sess_mailbox_arg(s, a->from, true);
	if (!from)
		return;
	if (is_inbox(a->to)) {
		imap_sess_no(s, "ALREADYEXISTS", "INBOX always exists");
		return;
	}
	const char *to = imap_sess_mailbox_arg(s, a->to, false);
	if (!to)
		return;
	struct error err;
	if (!store_mailbox_rename(s->account, from, to, s->sub, &err)) {
		imap_sess_no_err(s, "RENAME", &err);
		return;
	}
	/* The selected mailbox (or a parent of it) may have a new name now. */
	if (s->selected) {
		struct store_mailbox mb;
		if (store_mailbox_get_id(s->account, s->sel.id, &s->ar, &mb, &err)) {
			free(s->sel.name);
			s->sel.name = xstrdup(mb.name);
		}
	}
	imap_sess_ok(s, NULL, "RENAME completed");
}

void imap_cmd_subscribe(struct imap_session *s)
{
	bool sub = s->cmd.kind == IMAP_CMD_SUBSCRIBE;
	const char *name = imap_sess_mailbox_arg(s, s->cmd.u.mailbox.name, true);
	if (!name)
		return;
	struct error err;
	bool ok = sub ? store_subscription_add(s->account, name, s->sub, &err)
		      : store_subscription_remove(s->account, name, s->sub, &err);
	if (!ok) {
		imap_sess_no_err(s, sub ? "SUBSCRIBE" : "UNSUBSCRIBE", &err);
		return;
	}
	imap_sess_ok(s, NULL, "%s completed", sub ? "SUBSCRIBE" : "UNSUBSCRIBE");
}

void imap_status_line(struct imap_session *s, const struct store_mailbox *mb, unsigned items)
{
	/* RFC 3501 6.3.10: messages with \Recent, as a new session would see them. */
	int64_t recent = 0;
	struct error err;
	if ((items & IMAP_STATUS_RECENT) && !store_recent_count(s->account, mb->id, &recent, &err))
		log_info(&s->lg, "counting recent messages", LE(&err), LS("mailbox", mb->name));
	/* RFC 9208 4.1.4: in units of 1024 octets, as STORAGE. */
	int64_t deleted_bytes = 0;
	if ((items & IMAP_STATUS_DELETED_STORAGE) &&
	    !store_mailbox_deleted_size(s->account, mb->id, &deleted_bytes, &err))
		log_error(&s->lg, "summing deleted messages", LE(&err), LS("mailbox", mb->name));
	struct buf b = BUF_INIT;
	buf_puts(&b, "* STATUS ");
	imap_put_mailbox(s, mb->name, &b);
	buf_puts(&b, " (");
	size_t start = b.len;
	const struct store_mailbox_counts *c = &mb->counts;
#define ITEM(bit, fmt, v)                                                                          \
	if (items & (bit)) {                                                                       \
		if (b.len > start)                                                                 \
			buf_putc(&b, ' ');                                                         \
		buf_printf(&b, fmt, v);                                                            \
	}
	ITEM(IMAP_STATUS_MESSAGES, "MESSAGES %lld", (long long)(c->total + c->deleted));
	ITEM(IMAP_STATUS_UIDNEXT, "UIDNEXT %u", mb->uidnext);
	ITEM(IMAP_STATUS_UIDVALIDITY, "UIDVALIDITY %u", mb->uidvalidity);
	ITEM(IMAP_STATUS_UNSEEN, "UNSEEN %lld", (long long)c->unseen);
	ITEM(IMAP_STATUS_DELETED, "DELETED %lld", (long long)c->deleted);
	ITEM(IMAP_STATUS_SIZE, "SIZE %lld", (long long)c->size);
	ITEM(IMAP_STATUS_RECENT, "RECENT %lld", (long long)recent);
	ITEM(IMAP_STATUS_HIGHESTMODSEQ, "HIGHESTMODSEQ %llu",
	     (unsigned long long)mb->highestmodseq);
	ITEM(IMAP_STATUS_APPENDLIMIT, "APPENDLIMIT %llu", (unsigned long long)IMAP_APPEND_MAX);
	ITEM(IMAP_STATUS_DELETED_STORAGE, "DELETED-STORAGE %llu",
	     ((unsigned long long)deleted_bytes + 1023) / 1024);
#undef ITEM
	if (items & IMAP_STATUS_MAILBOXID) {
		buf_puts(&b, b.len > start ? " MAILBOXID " : "MAILBOXID ");
		imap_put_objectid('F', mb->id, &b);
	}
	buf_puts(&b, ")\r\n");
	imap_sess_write(s, b.data, b.len);
	buf_free(&b);
}

/* Status items that need a capability, and what they enable. */
bool imap_sess_status_items_ok(struct imap_session *s, unsigned items)
{
	if ((items & IMAP_STATUS_SIZE) && !imap_sess_has(s, IMAP_CAP_STATUS_SIZE)) {
		imap_sess_bad(s, NULL, "STATUS=SIZE is disabled for this account");
		return false;
	}
	if ((items & IMAP_STATUS_DELETED_STORAGE) && !imap_sess_has(s, IMAP_CAP_QUOTA)) {
		imap_sess_bad(s, NULL, "QUOTA is disabled for this account");
		return false;
	}
	if ((items & IMAP_STATUS_MAILBOXID) && !imap_sess_has(s, IMAP_CAP_OBJECTID)) {
		imap_sess_bad(s, NULL, "OBJECTID is disabled for this account");
		return false;
	}
	if (items & IMAP_STATUS_HIGHESTMODSEQ) {
		if (!imap_sess_has(s, IMAP_CAP_CONDSTORE)) {
			imap_sess_bad(s, NULL, "CONDSTORE is disabled for this account");
			return false;
		}
		/* RFC 7162 3.1: STATUS HIGHESTMODSEQ is a CONDSTORE-enabling command. */
		imap_sess_enable_condstore(s);
	}
	return true;
}

void imap_cmd_status(struct imap_session *s)
{
	const struct imap_status_args *a = &s->cmd.u.status;
	if (!imap_sess_status_items_ok(s, a->items))
		return;
	const char *name = imap_sess_mailbox_arg(s, a->mailbox, true);
	if (!name)
		return;
	struct store_mailbox mb;
	struct error err;
	if (!store_mailbox_get(s->account, name, &s->ar, &mb, &err)) {
		imap_sess_no_err(s, "STATUS", &err);
		return;
	}
	imap_status_line(s, &mb, a->items);
	imap_sess_ok(s, NULL, "STATUS completed");
}
