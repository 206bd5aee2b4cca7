#include "mail/imapfmt.h"

#include "mail/charset.h"
#include "mail/header.h"

#include "base/base64.h"
#include "base/dnsname.h"
#include "base/utf8.h"

#include <inttypes.h>
#include <string.h>

/* Longer strings go as literals, sparing clients with line length limits. */
#define QUOTED_MAX 1024

#define EMPTY_BODY     "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 0 0"
#define EMPTY_ENVELOPE "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)"

static bool can_quote(const char *s, size_t n, bool utf8)
{
	if (n > QUOTED_MAX)
		return false;
	bool high = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\r' || c == '\n' || c == 0)
			return false;
		if (c >= 0x80)
			high = true;
	}
	/* RFC 6855 3: UTF-8 in quoted strings only when enabled, and valid. */
	return !high || (utf8 && utf8_valid(s, n));
}

void mail_imap_string(struct buf *out, const char *s, size_t n, bool utf8)
{
	if (can_quote(s, n, utf8)) {
		buf_putc(out, '"');
		for (size_t i = 0; i < n; i++) {
			if (s[i] == '"' || s[i] == '\\')
				buf_putc(out, '\\');
			buf_putc(out, s[i]);
		}
		buf_putc(out, '"');
		return;
	}
	/* RFC 9051 4.3: literal; NUL is not a CHAR8, so it is left out. */
	size_t nul = 0;
	for (size_t i = 0; i < n; i++)
		nul += s[i] == 0;
	buf_printf(out, "{%zu}\r\n", n - nul);
	for (size_t i = 0; i < n; i++)
		if (s[i] != 0)
			buf_putc(out, s[i]);
}

void mail_imap_nstring(struct buf *out, const char *s, bool utf8)
{
	if (!s)
		buf_puts(out, "NIL");
	else
		mail_imap_string(out, s, strlen(s), utf8);
}

static void upper_string(struct buf *out, const char *s)
{
	struct buf b = BUF_INIT;
	for (; *s; s++)
		buf_putc(&b, ascii_upper(*s));
	mail_imap_string(out, b.data ? b.data : "", b.len, false);
	buf_free(&b);
}

/* RFC 2047 encoded words ("B", UTF-8) for valid UTF-8 text, split at
 * character boundaries so no word exceeds 75 characters (RFC 2047 2). */
static void encode_words(const char *s, struct buf *out)
{
	size_t n = strlen(s), i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n) {
			uint32_t cp;
			size_t used = utf8_decode(s + j, n - j, &cp);
			if (used == 0)
				used = 1;
			if (j + used - i > 45)
				break;
			j += used;
		}
		if (j == i)
			j = i + 1;
		if (i > 0)
			buf_putc(out, ' ');
		buf_puts(out, "=?utf-8?b?");
		base64_encode(BASE64_STD, s + i, j - i, out);
		buf_puts(out, "?=");
		i = j;
	}
}

/* Header text for a client without UTF-8: encoded words when it is UTF-8. */
static void text_nstring(struct buf *out, const char *s, bool utf8)
{
	if (!s || utf8 || !utf8_has_nonascii(s, strlen(s)) || !utf8_valid(s, strlen(s))) {
		mail_imap_nstring(out, s, utf8);
		return;
	}
	struct arena a;
	arena_init(&a, 0);
	const char *decoded = mail_decode_words(&a, str_from(s));
	struct buf b = BUF_INIT;
	encode_words(decoded, &b);
	mail_imap_string(out, b.data ? b.data : "", b.len, false);
	buf_free(&b);
	arena_free(&a);
}

static void address(struct buf *out, const char *name, const char *route, const char *mailbox,
		    const char *host, bool utf8)
{
	buf_putc(out, '(');
	text_nstring(out, name, utf8);
	buf_putc(out, ' ');
	mail_imap_nstring(out, route, utf8);
	buf_putc(out, ' ');
	mail_imap_nstring(out, mailbox, utf8);
	buf_putc(out, ' ');
	mail_imap_nstring(out, host, utf8);
	buf_putc(out, ')');
}

/* A mailbox for a client without UTF-8 (see the header). */
static void downgraded_mailbox(struct buf *out, const struct mail_address *m)
{
	const char *name = m->name[0] ? m->name : NULL;
	const char *route = m->route[0] ? m->route : NULL;
	bool lp8 = utf8_has_nonascii(m->localpart, strlen(m->localpart));
	bool dom8 = utf8_has_nonascii(m->domain, strlen(m->domain));
	if (!lp8 && !dom8) {
		address(out, name, route, m->localpart, m->domain, false);
		return;
	}
	struct dns_domain d;
	if (!lp8 && dns_domain_parse_cstr(m->domain, 0, &d, NULL)) {
		address(out, name, route, m->localpart, d.ascii, false);
		return;
	}
	/* RFC 6858-style: an empty group named after the whole address. */
	struct arena a;
	arena_init(&a, 0);
	struct buf text = BUF_INIT;
	if (name) {
		buf_puts(&text, mail_decode_words(&a, str_from(name)));
		buf_puts(&text, " <");
	}
	buf_puts(&text, m->localpart);
	buf_putc(&text, '@');
	buf_puts(&text, m->domain);
	if (name)
		buf_putc(&text, '>');
	struct buf enc = BUF_INIT;
	struct buf safe = BUF_INIT;
	mail_utf8_sanitize(text.data, text.len, &safe);
	encode_words(buf_cstr(&safe), &enc);
	address(out, NULL, NULL, buf_cstr(&enc), NULL, false);
	address(out, NULL, NULL, NULL, NULL, false);
	buf_free(&safe);
	buf_free(&enc);
	buf_free(&text);
	arena_free(&a);
}

static void addrlist(struct buf *out, const struct mail_addrlist *l, bool utf8)
{
	if (l->n == 0) {
		buf_puts(out, "NIL");
		return;
	}
	buf_putc(out, '(');
	for (size_t i = 0; i < l->n; i++) {
		const struct mail_address *m = &l->v[i];
		switch (m->kind) {
		case MAIL_ADDR_GROUP_START:
			/* RFC 9051 7.5.2: NIL host starts a group, its name as mailbox. */
			buf_puts(out, "(NIL NIL ");
			text_nstring(out, m->name, utf8);
			buf_puts(out, " NIL)");
			break;
		case MAIL_ADDR_GROUP_END: address(out, NULL, NULL, NULL, NULL, utf8); break;
		case MAIL_ADDR_MAILBOX:
			if (!utf8)
				downgraded_mailbox(out, m);
			else
				address(out, m->name[0] ? m->name : NULL,
					m->route[0] ? m->route : NULL, m->localpart, m->domain,
					true);
			break;
		}
	}
	buf_putc(out, ')');
}

void mail_imap_envelope(const struct mail_envelope *env, bool utf8, struct buf *out)
{
	/* RFC 9051 7.5.2: absent or empty Sender and Reply-To take From's value. */
	const struct mail_addrlist *sender = env->sender.n ? &env->sender : &env->from;
	const struct mail_addrlist *reply_to = env->reply_to.n ? &env->reply_to : &env->from;
	buf_putc(out, '(');
	mail_imap_nstring(out, env->date, utf8);
	buf_putc(out, ' ');
	text_nstring(out, env->subject, utf8);
	buf_putc(out, ' ');
	addrlist(out, &env->from, utf8);
	buf_putc(out, ' ');
	addrlist(out, sender, utf8);
	buf_putc(out, ' ');
	addrlist(out, reply_to, utf8);
	buf_putc(out, ' ');
	addrlist(out, &env->to, utf8);
	buf_putc(out, ' ');
	addrlist(out, &env->cc, utf8);
	buf_putc(out, ' ');
	addrlist(out, &env->bcc, utf8);
	buf_putc(out, ' ');
	mail_imap_nstring(out, env->in_reply_to, utf8);
	buf_putc(out, ' ');
	mail_imap_nstring(out, env->message_id, utf8);
	buf_putc(out, ')');
}

/* RFC 2231 extended form of a UTF-8 value: utf-8''%XX for non-attr-chars. */
static void param_2231(struct buf *out, const char *name, const char *value)
{
	struct buf n = BUF_INIT;
	for (const char *p = name; *p; p++)
		buf_putc(&n, ascii_upper(*p));
	buf_putc(&n, '*');
	mail_imap_string(out, n.data, n.len, false);
	buf_putc(out, ' ');
	struct buf v = BUF_INIT;
	buf_puts(&v, "utf-8''");
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (ascii_isalnum(*p) || strchr("!#$&+-.^_`|~", *p))
			buf_putc(&v, (char)*p);
		else
			buf_printf(&v, "%%%02X", *p);
	}
	mail_imap_string(out, v.data, v.len, false);
	buf_free(&v);
	buf_free(&n);
}

static void params(struct buf *out, const struct mail_param *v, size_t n, bool utf8)
{
	if (n == 0) {
		buf_puts(out, "NIL");
		return;
	}
	buf_putc(out, '(');
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(out, ' ');
		if (!utf8 && utf8_has_nonascii(v[i].value, strlen(v[i].value))) {
			param_2231(out, v[i].name, v[i].value);
			continue;
		}
		upper_string(out, v[i].name);
		buf_putc(out, ' ');
		mail_imap_nstring(out, v[i].value, utf8);
	}
	buf_putc(out, ')');
}

/* Content-Language (RFC 3282): a list of language tags. */
static void language(struct buf *out, const char *lang, bool utf8)
{
	if (!lang) {
		buf_puts(out, "NIL");
		return;
	}
	buf_putc(out, '(');
	bool first = true;
	const char *p = lang;
	while (*p) {
		size_t n = strcspn(p, ", \t");
		if (n > 0) {
			if (!first)
				buf_putc(out, ' ');
			mail_imap_string(out, p, n, utf8);
			first = false;
		}
		p += n;
		if (*p)
			p++;
	}
	if (first)
		mail_imap_string(out, "", 0, utf8);
	buf_putc(out, ')');
}

static void disposition(struct buf *out, const struct mail_part *p, bool utf8)
{
	if (!p->disposition || !p->disposition[0]) {
		buf_puts(out, "NIL");
		return;
	}
	buf_putc(out, '(');
	upper_string(out, p->disposition);
	buf_putc(out, ' ');
	params(out, p->disp_params, p->ndisp_params, utf8);
	buf_putc(out, ')');
}

static void extension_tail(struct buf *out, const struct mail_part *p, bool utf8)
{
	buf_putc(out, ' ');
	disposition(out, p, utf8);
	buf_putc(out, ' ');
	language(out, p->language, utf8);
	buf_putc(out, ' ');
	mail_imap_nstring(out, p->location, utf8);
}

static void body(const struct mail_part *p, bool ext, bool utf8, struct buf *out);

static void multipart(const struct mail_part *p, bool ext, bool utf8, struct buf *out)
{
	buf_putc(out, '(');
	for (size_t i = 0; i < p->nchildren; i++)
		body(&p->children[i], ext, utf8, out);
	if (p->nchildren == 0)
		buf_puts(out, ext ? EMPTY_BODY " NIL NIL NIL NIL)" : EMPTY_BODY ")");
	buf_putc(out, ' ');
	upper_string(out, p->subtype);
	if (ext) {
		buf_putc(out, ' ');
		params(out, p->params, p->nparams, utf8);
		extension_tail(out, p, utf8);
	}
	buf_putc(out, ')');
}

static void encoding(struct buf *out, const char *e)
{
	upper_string(out, e ? e : "7bit");
}

static void single(const struct mail_part *p, bool ext, bool utf8, struct buf *out)
{
	buf_putc(out, '(');
	upper_string(out, p->type);
	buf_putc(out, ' ');
	upper_string(out, p->subtype);
	buf_putc(out, ' ');
	params(out, p->params, p->nparams, utf8);
	buf_putc(out, ' ');
	mail_imap_nstring(out, p->content_id, utf8);
	buf_putc(out, ' ');
	text_nstring(out, p->description, utf8);
	buf_putc(out, ' ');
	encoding(out, p->encoding);
	buf_printf(out, " %zu", p->end - p->body_start);
	if (mail_part_is_message(p)) {
		/* RFC 9051 7.5.2: envelope, body structure and lines follow. */
		buf_putc(out, ' ');
		if (p->envelope)
			mail_imap_envelope(p->envelope, utf8, out);
		else
			buf_puts(out, EMPTY_ENVELOPE);
		buf_putc(out, ' ');
		if (p->message)
			body(p->message, ext, utf8, out);
		else
			buf_puts(out, ext ? EMPTY_BODY " NIL NIL NIL NIL)" : EMPTY_BODY ")");
		buf_printf(out, " %" PRIu64, p->lines);
	} else if (strcmp(p->type, "text") == 0) {
		buf_printf(out, " %" PRIu64, p->lines);
	}
	if (ext) {
		buf_putc(out, ' ');
		mail_imap_nstring(out, p->md5, utf8);
		extension_tail(out, p, utf8);
	}
	buf_putc(out, ')');
}

static void body(const struct mail_part *p, bool ext, bool utf8, struct buf *out)
{
	if (mail_part_is_multipart(p))
		multipart(p, ext, utf8, out);
	else
		single(p, ext, utf8, out);
}

void mail_imap_bodystructure_utf8(const struct mail_part *p, bool extensible, bool utf8,
				  struct buf *out)
{
	body(p, extensible, utf8, out);
}

void mail_imap_bodystructure(const struct mail_part *p, bool extensible, struct buf *out)
{
	body(p, extensible, false, out);
}
