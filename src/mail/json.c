#include "mail/json.h"

#include "mail/charset.h"
#include "mail/header.h"
#include "mail/imapfmt.h"

#include "base/timeutil.h"

#include <string.h>

static json_t *jstr(const char *s)
{
	if (!s)
		return json_null();
	struct buf b = BUF_INIT;
	mail_utf8_sanitize(s, strlen(s), &b);
	json_t *j = json_stringn(b.data ? b.data : "", b.len);
	buf_free(&b);
	return j;
}

static void set(json_t *o, const char *k, json_t *v)
{
	json_object_set_new(o, k, v);
}

json_t *mail_json_flags(unsigned flags)
{
	static const char *const names[] = {
	    "bare-lf",           "header-8bit",       "header-bad-utf8",  "header-truncated",
	    "header-bad-line",   "no-header-end",     "bad-content-type", "no-boundary",
	    "no-first-boundary", "no-close-boundary", "part-limit",       "depth-limit",
	    "decoded-message",   "bad-encoding",      "bad-params",       "address-syntax",
	    "bad-date"};
	json_t *a = json_array();
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (flags & (1u << i))
			json_array_append_new(a, json_string(names[i]));
	return a;
}

static json_t *params(const struct mail_param *v, size_t n)
{
	json_t *o = json_object();
	for (size_t i = 0; i < n; i++) {
		struct buf k = BUF_INIT;
		mail_utf8_sanitize(v[i].name, strlen(v[i].name), &k);
		json_object_set_new(o, buf_cstr(&k), jstr(v[i].value));
		buf_free(&k);
	}
	return o;
}

static json_t *addrs(const struct mail_addrlist *l)
{
	json_t *a = json_array();
	struct arena ar;
	arena_init(&ar, 0);
	for (size_t i = 0; i < l->n; i++) {
		const struct mail_address *m = &l->v[i];
		json_t *o = json_object();
		if (m->kind == MAIL_ADDR_GROUP_START) {
			set(o, "GroupStart", jstr(m->name));
		} else if (m->kind == MAIL_ADDR_GROUP_END) {
			set(o, "GroupEnd", json_true());
		} else {
			set(o, "Name", jstr(m->name));
			set(o, "DisplayName", jstr(mail_decode_words(&ar, str_from(m->name))));
			if (m->route[0])
				set(o, "Route", jstr(m->route));
			set(o, "User", jstr(m->localpart));
			set(o, "Host", jstr(m->domain));
		}
		json_array_append_new(a, o);
	}
	arena_free(&ar);
	return a;
}

static json_t *envelope(const struct mail_envelope *e)
{
	json_t *o = json_object();
	set(o, "Date", jstr(e->date));
	set(o, "Subject", jstr(e->subject));
	set(o, "From", addrs(&e->from));
	set(o, "Sender", addrs(&e->sender));
	set(o, "ReplyTo", addrs(&e->reply_to));
	set(o, "To", addrs(&e->to));
	set(o, "CC", addrs(&e->cc));
	set(o, "BCC", addrs(&e->bcc));
	set(o, "InReplyTo", jstr(e->in_reply_to));
	set(o, "MessageID", jstr(e->message_id));
	return o;
}

static json_t *part(const struct mail_part *p)
{
	json_t *o = json_object();
	set(o, "HeaderOffset", json_integer((json_int_t)p->header_start));
	set(o, "BodyOffset", json_integer((json_int_t)p->body_start));
	set(o, "EndOffset", json_integer((json_int_t)p->end));
	set(o, "RawLineCount", json_integer((json_int_t)p->lines));
	set(o, "DecodedSize", json_integer((json_int_t)p->decoded_size));
	set(o, "MediaType", jstr(p->type));
	set(o, "MediaSubType", jstr(p->subtype));
	set(o, "ContentTypeParams", params(p->params, p->nparams));
	if (p->content_id)
		set(o, "ContentID", jstr(p->content_id));
	if (p->description)
		set(o, "ContentDescription", jstr(p->description));
	if (p->encoding)
		set(o, "ContentTransferEncoding", jstr(p->encoding));
	if (p->disposition) {
		set(o, "ContentDisposition", jstr(p->disposition));
		set(o, "ContentDispositionParams", params(p->disp_params, p->ndisp_params));
	}
	if (p->md5)
		set(o, "ContentMD5", jstr(p->md5));
	if (p->language)
		set(o, "ContentLanguage", jstr(p->language));
	if (p->location)
		set(o, "ContentLocation", jstr(p->location));
	if (p->flags)
		set(o, "Problems", mail_json_flags(p->flags));
	if (p->envelope)
		set(o, "Envelope", envelope(p->envelope));
	json_t *parts = json_array();
	for (size_t i = 0; i < p->nchildren; i++)
		json_array_append_new(parts, part(&p->children[i]));
	set(o, "Parts", parts);
	set(o, "Message", p->message ? part(p->message) : json_null());
	return o;
}

static json_t *ids(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, jstr(v[i]));
	return a;
}

json_t *mail_json(const struct mail_message *m)
{
	json_t *o = json_object();
	set(o, "Size", json_integer((json_int_t)m->size));
	set(o, "MessageID", jstr(m->message_id));
	set(o, "InReplyTo", ids(m->in_reply_to, m->nin_reply_to));
	set(o, "References", ids(m->references, m->nreferences));
	set(o, "Subject", jstr(m->subject));
	set(o, "SubjectBase", jstr(m->subject_base));
	if (m->date) {
		char d[40];
		time_format_rfc3339(m->date, d, sizeof d);
		set(o, "Date", json_string(d));
	} else {
		set(o, "Date", json_null());
	}
	set(o, "DateTZOffset", json_integer(m->date_tzoffset));
	json_t *from = json_object();
	set(from, "Localpart", jstr(m->from_localpart));
	set(from, "Domain", jstr(m->from_domain));
	set(o, "FirstFrom", from);
	set(o, "Headers8bit", json_boolean(m->headers_8bit));
	set(o, "HeadersUTF8", json_boolean(m->headers_utf8));
	set(o, "Problems", mail_json_flags(m->flags));
	set(o, "Envelope", envelope(&m->envelope));
	set(o, "Part", part(&m->root));
	struct buf b = BUF_INIT;
	mail_imap_envelope(&m->envelope, false, &b);
	set(o, "IMAPEnvelope", jstr(buf_cstr(&b)));
	buf_reset(&b);
	mail_imap_bodystructure(&m->root, true, &b);
	set(o, "IMAPBodyStructure", jstr(buf_cstr(&b)));
	buf_free(&b);
	return o;
}
