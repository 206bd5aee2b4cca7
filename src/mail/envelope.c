#include "mail/envelope.h"

#include "mail/addrlist.h"
#include "mail/date.h"

#include "base/dnsname.h"
#include "base/utf8.h"

#include <string.h>
#include <utf8proc.h>

/* RFC 5322 3.6.4 allows a msg-id up to the line length; longer is junk. */
#define MSGID_MAX 998

static const char *unfolded(struct arena *a, const struct mail_header *h, const char *name)
{
	const struct mail_field *f = mail_header_get(h, name);
	return f ? mail_unfold(a, f->value) : NULL;
}

static void addrlist(struct arena *a, const struct mail_header *h, const char *name,
		     struct mail_addrlist *out, unsigned *flags)
{
	const char *v = unfolded(a, h, name);
	out->v = NULL;
	out->n = 0;
	if (v && !mail_addrlist_parse(a, str_from(v), out))
		*flags |= MAIL_F_ADDRESS_SYNTAX;
}

void mail_envelope_from_header(struct arena *a, const struct mail_header *h,
			       struct mail_envelope *env, unsigned *flags)
{
	env->date = unfolded(a, h, "Date");
	env->subject = unfolded(a, h, "Subject");
	addrlist(a, h, "From", &env->from, flags);
	addrlist(a, h, "Sender", &env->sender, flags);
	addrlist(a, h, "Reply-To", &env->reply_to, flags);
	addrlist(a, h, "To", &env->to, flags);
	addrlist(a, h, "Cc", &env->cc, flags);
	addrlist(a, h, "Bcc", &env->bcc, flags);
	env->in_reply_to = unfolded(a, h, "In-Reply-To");
	env->message_id = unfolded(a, h, "Message-ID");
}

size_t mail_msgids_parse(struct arena *a, struct str v, const char **out, size_t max)
{
	size_t n = 0, i = 0;
	while (i < v.len && n < max) {
		char c = v.p[i];
		if (c == '(') {
			int depth = 0;
			for (; i < v.len; i++) {
				if (v.p[i] == '\\')
					i++;
				else if (v.p[i] == '(')
					depth++;
				else if (v.p[i] == ')' && --depth == 0)
					break;
			}
			i++;
			continue;
		}
		if (c != '<') {
			i++;
			continue;
		}
		const char *close = memchr(v.p + i + 1, '>', v.len - i - 1);
		if (!close)
			break;
		size_t s = i + 1, e = (size_t)(close - v.p);
		/* White space inside is obsolete folding (RFC 5322 4.5.4): drop it. */
		struct buf b = BUF_INIT;
		for (size_t k = s; k < e; k++)
			if (v.p[k] != ' ' && v.p[k] != '\t' && v.p[k] != '\0')
				buf_putc(&b, v.p[k]);
		if (b.len > 0 && b.len <= MSGID_MAX)
			out[n++] = arena_memdup0(a, b.data, b.len);
		buf_free(&b);
		i = e + 1;
	}
	return n;
}

/* The message's own id: the first msg-id, or a bare token as some mailers
 * write it ("id@host" without brackets). */
static const char *own_message_id(struct arena *a, const char *v)
{
	if (!v)
		return "";
	const char *id;
	if (mail_msgids_parse(a, str_from(v), &id, 1) == 1)
		return id;
	if (*v && !strpbrk(v, " \t<>()") && strlen(v) <= MSGID_MAX)
		return v;
	return "";
}

static size_t msgid_list(struct arena *a, const char *v, const char ***out)
{
	*out = NULL;
	if (!v)
		return 0;
	const char **ids = arena_array(a, MAIL_MSGIDS_MAX, sizeof *ids);
	size_t n = mail_msgids_parse(a, str_from(v), ids, MAIL_MSGIDS_MAX);
	*out = n ? ids : NULL;
	return n;
}

static const char *from_domain(struct arena *a, const char *domain)
{
	struct dns_domain d;
	if (dns_domain_parse_cstr(domain, 0, &d, NULL))
		return arena_strdup(a, d.ascii);
	char *lc = arena_strdup(a, domain);
	ascii_lower_inplace(lc);
	return lc;
}

void mail_message_derive(struct arena *a, const struct mail_header *h, struct mail_message *m)
{
	const struct mail_envelope *env = &m->envelope;
	m->message_id = own_message_id(a, env->message_id);
	m->nin_reply_to = msgid_list(a, env->in_reply_to, &m->in_reply_to);
	m->nreferences = msgid_list(a, unfolded(a, h, "References"), &m->references);
	m->subject = env->subject ? mail_decode_words(a, str_from(env->subject)) : "";
	m->subject_base = mail_subject_base(a, m->subject);
	m->date = 0;
	m->date_tzoffset = 0;
	if (env->date && !mail_date_parse(str_from(env->date), &m->date, &m->date_tzoffset)) {
		m->flags |= MAIL_F_BAD_DATE;
		m->root.flags |= MAIL_F_BAD_DATE;
	}
	const struct mail_address *f = mail_addrlist_first_mailbox(&env->from);
	m->from_localpart = f ? f->localpart : "";
	m->from_domain = f && f->domain[0] ? from_domain(a, f->domain) : "";
}
