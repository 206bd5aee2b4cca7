/*
 * Writing IMAP data (strings, mailbox names, flags, dates) and reading
 * the mailbox names and flags of commands.
 */
#include "imap/session.h"

#include "imap/utf7.h"
#include "base/utf8.h"
#include "mail/imapfmt.h"

#include <string.h>
#include <time.h>

void imap_put_string(struct imap_session *s, const char *p, size_t n, struct buf *out)
{
	mail_imap_string(out, p, n, imap_sess_utf8(s));
}

/* RFC 9051 5.1: the inbox is INBOX, whatever its spelling in the store ("Inbox"). */
static void display_name(const char *name, struct buf *out)
{
	if (strncmp(name, "Inbox", 5) == 0 && (name[5] == 0 || name[5] == '/')) {
		buf_puts(out, "INBOX");
		buf_puts(out, name + 5);
	} else {
		buf_puts(out, name);
	}
}

void imap_put_mailbox(struct imap_session *s, const char *name, struct buf *out)
{
	struct buf d = BUF_INIT;
	display_name(name, &d);
	if (imap_sess_utf8(s)) {
		mail_imap_string(out, d.data, d.len, true);
	} else {
		struct buf e = BUF_INIT;
		imap_utf7_encode(d.data, d.len, &e);
		mail_imap_string(out, e.data ? e.data : "", e.len, false);
		buf_free(&e);
	}
	buf_free(&d);
}

bool imap_sess_mailbox_decode(struct imap_session *s, struct str raw, struct buf *out,
			      struct error *err)
{
	if (memchr(raw.p, '\0', raw.len))
		return error_set(err, ERR_INVALID, "NUL in mailbox name");
	/* RFC 6855 3: with UTF-8 enabled, names are UTF-8 and not modified UTF-7. */
	if (imap_sess_utf8(s)) {
		if (!utf8_valid(raw.p, raw.len))
			return error_set(err, ERR_INVALID, "mailbox name is not valid UTF-8");
		buf_append(out, raw.p, raw.len);
		return true;
	}
	return imap_utf7_decode(raw.p, raw.len, out, err);
}

const char *imap_sess_mailbox_arg(struct imap_session *s, struct str raw, bool allow_inbox)
{
	struct buf b = BUF_INIT;
	struct error err;
	const char *norm = NULL;
	if (imap_sess_mailbox_decode(s, raw, &b, &err) &&
	    store_mailbox_name_check(b.data ? b.data : "", allow_inbox, &s->ar, &norm, &err)) {
		buf_free(&b);
		return norm;
	}
	buf_free(&b);
	imap_sess_no(s, "CANNOT", "invalid mailbox name: %s", err.msg);
	return NULL;
}

void imap_put_flags(uint32_t flags, const struct store_keywords *kw, struct buf *out)
{
	buf_putc(out, '(');
	store_flags_format(flags, kw, out);
	buf_putc(out, ')');
}

bool imap_sess_flags_arg(struct imap_session *s, const struct str *flags, size_t n, uint32_t *bits,
			 struct store_keywords *kw)
{
	*bits = 0;
	const char **names = arena_array(&s->ar, n ? n : 1, sizeof *names);
	size_t nk = 0;
	for (size_t i = 0; i < n; i++) {
		/* RFC 9051 2.3.2: \Recent cannot be set; it is accepted and ignored. */
		if (str_eqi_cstr(flags[i], "\\Recent"))
			continue;
		names[nk++] = arena_strndup(&s->ar, flags[i].p, flags[i].len);
	}
	struct error err;
	if (!store_keywords_make(names, nk, &s->ar, bits, kw, &err)) {
		imap_sess_bad(s, NULL, "flags: %s", err.msg);
		return false;
	}
	return true;
}

void imap_put_datetime(int64_t t, int tz, struct buf *out)
{
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t local = (time_t)(t + (int64_t)tz * 60);
	struct tm tm;
	gmtime_r(&local, &tm);
	int a = tz < 0 ? -tz : tz;
	buf_printf(out, "\"%02d-%s-%04d %02d:%02d:%02d %c%02d%02d\"", tm.tm_mday, months[tm.tm_mon],
		   tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, tz < 0 ? '-' : '+', a / 60,
		   a % 60);
}

void imap_put_objectid(char kind, int64_t id, struct buf *out)
{
	buf_printf(out, "(%c%lld)", kind, (long long)id);
}

int64_t imap_objectid_parse(char kind, struct str s)
{
	if (s.len < 2 || s.len > 20 || s.p[0] != kind)
		return 0;
	int64_t v = 0;
	for (size_t i = 1; i < s.len; i++) {
		if (!ascii_isdigit(s.p[i]) || v > (INT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (s.p[i] - '0');
	}
	return v;
}

void imap_put_fetch_start(const struct imap_session *s, uint32_t seq, uint32_t uid, struct buf *out)
{
	if (s->enabled & IMAP_CAP_UIDONLY)
		buf_printf(out, "* %u UIDFETCH (", uid);
	else
		buf_printf(out, "* %u FETCH (", seq);
}
