/*
 * QUOTA (RFC 9208) as mox has it: one quota root, "", holding every mailbox
 * of the account, with one resource, STORAGE: the account's
 * QuotaMessageSize (or the static default), reported in units of 1024
 * octets (RFC 9208 5.1), the usage rounded up and the limit down. An
 * account without a limit is in no quota root: GETQUOTAROOT lists none and
 * GETQUOTA "" answers NO [NONEXISTENT]. Limits are the administrator's:
 * SETQUOTA is not offered (no QUOTASET capability) and is refused.
 */
#include "imap/session.h"

#define QUOTA_ROOT ""

/* "* QUOTA "" (STORAGE usage limit)"; false with a NO sent when the usage cannot be read. */
static bool put_quota(struct imap_session *s, int64_t limit, const char *what)
{
	struct store_account_info info;
	struct error err;
	if (!store_account_info(s->account, &info, &err)) {
		imap_sess_no_err(s, what, &err);
		return false;
	}
	unsigned long long usage = ((unsigned long long)info.size + 1023) / 1024;
	imap_sess_untagged(s, "QUOTA \"%s\" (STORAGE %llu %llu)", QUOTA_ROOT, usage,
			   (unsigned long long)limit / 1024);
	return true;
}

void imap_cmd_getquota(struct imap_session *s)
{
	int64_t limit = imap_sess_quota(s);
	if (limit <= 0 || s->cmd.u.quota.root.len != 0) {
		imap_sess_no(s, "NONEXISTENT", "no such quota root");
		return;
	}
	if (put_quota(s, limit, "GETQUOTA"))
		imap_sess_ok(s, NULL, "GETQUOTA completed");
}

void imap_cmd_getquotaroot(struct imap_session *s)
{
	/* RFC 9208 4.1.2: the mailbox need not exist. */
	const char *name = imap_sess_mailbox_arg(s, s->cmd.u.mailbox.name, true);
	if (!name)
		return;
	int64_t limit = imap_sess_quota(s);
	struct buf b = BUF_INIT;
	buf_puts(&b, "* QUOTAROOT ");
	imap_put_mailbox(s, name, &b);
	if (limit > 0)
		buf_puts(&b, " \"" QUOTA_ROOT "\"");
	buf_puts(&b, "\r\n");
	imap_sess_write(s, b.data, b.len);
	buf_free(&b);
	if (limit > 0 && !put_quota(s, limit, "GETQUOTAROOT"))
		return;
	imap_sess_ok(s, NULL, "GETQUOTAROOT completed");
}

void imap_cmd_setquota(struct imap_session *s)
{
	imap_sess_bad(s, NULL, "SETQUOTA is not supported: quotas are set by the administrator");
}
