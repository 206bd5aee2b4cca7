/*
 * CAPABILITY, NOOP, CHECK, LOGOUT (RFC 9051 6.1), ID (RFC 2971), ENABLE
 * (RFC 5161, RFC 9051 6.3.1) and NAMESPACE (RFC 2342, RFC 9051 6.3.10).
 */
#include "imap/session.h"

#include "version.h"

#include <string.h>

void imap_cmd_capability(struct imap_session *s)
{
	struct buf b = BUF_INIT;
	imap_sess_capabilities(s, &b);
	imap_sess_untagged(s, "CAPABILITY %s", b.data);
	buf_free(&b);
	imap_sess_ok(s, NULL, "CAPABILITY completed");
}

void imap_cmd_noop(struct imap_session *s)
{
	/* The tagged reply reports what changed (RFC 9051 6.1.2). */
	imap_sess_ok(s, NULL, "%s completed", s->cmd.kind == IMAP_CMD_CHECK ? "CHECK" : "NOOP");
}

void imap_cmd_logout(struct imap_session *s)
{
	/* RFC 9051 6.1.3: BYE, then the tagged OK, and nothing else. */
	imap_sess_unselect(s);
	imap_sess_untagged(s, "BYE logging out");
	imap_sess_ok(s, NULL, "LOGOUT completed");
	s->state = IMAP_STATE_LOGOUT;
}

/* RFC 2971: the client's identification goes to the log; ours is the name, and the
 * version for authenticated clients only (RFC 2971 7 warns about disclosing it). */
void imap_cmd_id(struct imap_session *s)
{
	const struct imap_id_args *a = &s->cmd.u.id;
	struct buf ua = BUF_INIT;
	for (size_t i = 0; i < a->n; i++) {
		if (!a->values[i].p)
			continue;
		if (str_eqi_cstr(a->keys[i], "name") || str_eqi_cstr(a->keys[i], "version")) {
			if (ua.len)
				buf_putc(&ua, ' ');
			buf_append(&ua, a->values[i].p,
				   a->values[i].len > 60 ? 60 : a->values[i].len);
		}
	}
	for (size_t i = 0; i < ua.len; i++)
		if ((unsigned char)ua.data[i] < 0x20 || ua.data[i] == 0x7f)
			ua.data[i] = ' ';
	str_copy(s->user_agent, sizeof s->user_agent, buf_cstr(&ua));
	log_info(&s->lg, "client id", LS("useragent", s->user_agent));
	buf_free(&ua);
	if (s->state == IMAP_STATE_NOTAUTH)
		imap_sess_untagged(s, "ID (\"name\" \"tern\")");
	else
		imap_sess_untagged(s, "ID (\"name\" \"tern\" \"version\" \"%s\")", TERN_VERSION);
	imap_sess_ok(s, NULL, "ID completed");
}

void imap_sess_enable_condstore(struct imap_session *s)
{
	if (s->enabled & IMAP_CAP_CONDSTORE)
		return;
	s->enabled |= IMAP_CAP_CONDSTORE;
	if (!s->selected)
		return;
	/* RFC 7162 3.1: a CONDSTORE-enabling command with a mailbox selected gets its
	 * HIGHESTMODSEQ. */
	struct store_mailbox mb;
	struct error err;
	struct arena_mark m = arena_mark(&s->ar);
	if (store_mailbox_get_id(s->account, s->sel.id, &s->ar, &mb, &err))
		imap_sess_untagged(s, "OK [HIGHESTMODSEQ %llu] CONDSTORE enabled",
				   (unsigned long long)mb.highestmodseq);
	arena_rewind(&s->ar, m);
}

void imap_cmd_enable(struct imap_session *s)
{
	const struct imap_enable_args *a = &s->cmd.u.enable;
	static const imap_caps enableable = IMAP_CAP_IMAP4REV2 | IMAP_CAP_UTF8_ACCEPT |
					    IMAP_CAP_CONDSTORE | IMAP_CAP_QRESYNC |
					    IMAP_CAP_UIDONLY;
	imap_caps newly = 0;
	/* RFC 6855 3: "ENABLE UTF8=ACCEPT" is only valid in the authenticated state. */
	for (size_t i = 0; s->selected && i < a->n; i++)
		if (imap_cap_parse(a->caps[i]) == IMAP_CAP_UTF8_ACCEPT) {
			imap_sess_bad(s, NULL,
				      "UTF8=ACCEPT must be enabled before SELECT or EXAMINE");
			return;
		}
	for (size_t i = 0; i < a->n; i++) {
		imap_caps cap = imap_cap_parse(a->caps[i]);
		if (!(cap & enableable) || !imap_sess_has(s, cap))
			continue; /* RFC 5161 3.1: unknown ones are ignored */
		if (cap == IMAP_CAP_QRESYNC && !(s->enabled & IMAP_CAP_CONDSTORE)) {
			/* RFC 7162 3.2.3: QRESYNC implies CONDSTORE. */
			imap_sess_enable_condstore(s);
			newly |= IMAP_CAP_CONDSTORE;
		}
		if (cap == IMAP_CAP_CONDSTORE)
			imap_sess_enable_condstore(s);
		if (!(s->enabled & cap) || cap == IMAP_CAP_CONDSTORE)
			newly |= cap;
		s->enabled |= cap;
	}
	struct buf b = BUF_INIT;
	buf_puts(&b, "ENABLED");
	for (imap_caps bit = 1; bit; bit <<= 1)
		if (newly & bit)
			buf_printf(&b, " %s", imap_cap_name(bit));
	imap_sess_untagged(s, "%s", b.data);
	buf_free(&b);
	imap_sess_ok(s, NULL, "ENABLE completed");
}

void imap_cmd_namespace(struct imap_session *s)
{
	/* One personal namespace with "/" as separator; no others (RFC 2342 5). */
	imap_sess_untagged(s, "NAMESPACE ((\"\" \"/\")) NIL NIL");
	imap_sess_ok(s, NULL, "NAMESPACE completed");
}
