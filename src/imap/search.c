/*
 * Evaluating search programs (RFC 9051 6.4.4, see search.h): every search
 * key, with MODSEQ (RFC 7162 3.1.5), SAVEDATE (RFC 8514), WITHIN (RFC 5032)
 * and OBJECTID (RFC 8474) keys.
 *
 * The messages the client knows are read from the store in batches and the
 * key tree is evaluated for each; the message text is read only when a key
 * needs it (HEADER, BODY, TEXT), and its parse only for those and the SENT*
 * keys. Text matching is case-insensitive (ASCII letters) substring search
 * in the header values with RFC 2047 words decoded, and in the text parts
 * decoded from their transfer encoding and charset. IMAP4rev2 clients get
 * ESEARCH always (RFC 9051 7.3.4); rev1 clients get SEARCH unless they ask
 * for RETURN.
 */
#include "imap/search.h"

#include "imap/fetch.h"
#include "imap/server_internal.h"
#include "base/timeutil.h"

#include "mail/charset.h"
#include "mail/header.h"

#include <string.h>
#include <strings.h>
#include <time.h>

#define DAY 86400

struct search_need {
	bool parsed;
	bool text;
};

static void need_of(const struct imap_search_key *k, struct search_need *n)
{
	switch (k->op) {
	case IMAP_SK_HEADER:
	case IMAP_SK_BODY:
	case IMAP_SK_TEXT: n->text = n->parsed = true; break;
	case IMAP_SK_SENTBEFORE:
	case IMAP_SK_SENTON:
	case IMAP_SK_SENTSINCE:
	case IMAP_SK_ENVELOPE: n->parsed = true; break;
	default: break;
	}
	for (size_t i = 0; i < k->nkids; i++)
		need_of(&k->kids[i], n);
}

/* ASCII case-insensitive substring search; an empty needle matches. */
static bool contains(const char *h, size_t hn, struct str needle)
{
	if (needle.len == 0)
		return true;
	if (hn < needle.len)
		return false;
	for (size_t i = 0; i + needle.len <= hn; i++)
		if (strncasecmp(h + i, needle.p, needle.len) == 0)
			return true;
	return false;
}

struct search_msg {
	struct fetch_msg fm;
	uint32_t seq;
	struct mail_header *hdr; /* top-level header, when scanned */
	const struct imap_search_scope *sc;
};

static struct mail_header *top_header(struct imap_session *s, struct search_msg *sm)
{
	if (sm->hdr)
		return sm->hdr;
	sm->hdr = arena_zalloc(&s->ar, sizeof *sm->hdr);
	const char *data;
	size_t len;
	if (imap_fetch_data(s, &sm->fm, &data, &len)) {
		struct mail_message *pm = imap_fetch_parsed(s, &sm->fm);
		size_t end = pm->root.body_start < len ? pm->root.body_start : len;
		mail_header_scan(data, 0, end, &s->ar, sm->hdr);
	}
	return sm->hdr;
}

static bool header_matches(struct imap_session *s, struct search_msg *sm, struct str name,
			   struct str value)
{
	struct mail_header *h = top_header(s, sm);
	for (size_t i = 0; i < h->n; i++) {
		if (name.len && !str_eqi(h->fields[i].name, name))
			continue;
		struct buf d = BUF_INIT;
		mail_decode_words_buf(h->fields[i].value, &d);
		/* TEXT (no name) also matches field names. */
		bool hit =
		    contains(d.data ? d.data : "", d.len, value) ||
		    contains(h->fields[i].value.p, h->fields[i].value.len, value) ||
		    (!name.len && contains(h->fields[i].name.p, h->fields[i].name.len, value));
		buf_free(&d);
		if (hit)
			return true;
	}
	return false;
}

/*
 * FROM, TO, CC, BCC and SUBJECT match "the envelope structure's" field
 * (RFC 9051 6.4.4), which the store keeps parsed: no message file is read.
 * An address matches in its display name (RFC 2047 words decoded, or as
 * written) and in its "mailbox@host" form.
 */
static bool address_matches(const struct mail_addrlist *l, struct str value)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct mail_address *a = &l->v[i];
		if (a->name && *a->name) {
			struct buf d = BUF_INIT;
			mail_decode_words_buf(str_from(a->name), &d);
			bool hit = contains(d.data ? d.data : "", d.len, value) ||
				   contains(a->name, strlen(a->name), value);
			buf_free(&d);
			if (hit)
				return true;
		}
		struct buf addr = BUF_INIT;
		buf_printf(&addr, "%s@%s", a->localpart ? a->localpart : "",
			   a->domain ? a->domain : "");
		bool hit = contains(addr.data, addr.len, value);
		buf_free(&addr);
		if (hit)
			return true;
	}
	return false;
}

static bool envelope_matches(struct imap_session *s, struct search_msg *sm, struct str field,
			     struct str value)
{
	const struct mail_message *pm = imap_fetch_parsed(s, &sm->fm);
	const struct mail_envelope *e = &pm->envelope;
	if (str_eqi_cstr(field, "SUBJECT"))
		return contains(pm->subject, strlen(pm->subject), value) ||
		       (e->subject && contains(e->subject, strlen(e->subject), value));
	const struct mail_addrlist *l = str_eqi_cstr(field, "FROM") ? &e->from
					: str_eqi_cstr(field, "TO") ? &e->to
					: str_eqi_cstr(field, "CC") ? &e->cc
								    : &e->bcc;
	return address_matches(l, value);
}

/* The text of the leaf parts, decoded (bounded by the message size). */
static bool part_matches(const struct mail_part *p, const char *data, size_t len, struct str value)
{
	if (p->message && (p->flags & MAIL_F_DECODED_MESSAGE)) {
		/* The nested message's offsets are in its decoded body. */
		if (p->body_start > len || p->end > len || p->end < p->body_start)
			return false;
		struct buf dec = BUF_INIT;
		mail_transfer_decode(data + p->body_start, p->end - p->body_start, p->encoding,
				     &dec);
		bool hit = part_matches(p->message, dec.data ? dec.data : "", dec.len, value);
		buf_free(&dec);
		return hit;
	}
	if (p->message)
		return part_matches(p->message, data, len, value);
	if (p->nchildren) {
		for (size_t i = 0; i < p->nchildren; i++)
			if (part_matches(&p->children[i], data, len, value))
				return true;
		return false;
	}
	if (p->body_start > len || p->end > len || p->end < p->body_start)
		return false;
	const char *b = data + p->body_start;
	size_t n = p->end - p->body_start;
	if (strcmp(p->type, "text") != 0 || p->flags & MAIL_F_DECODED_MESSAGE)
		return contains(b, n, value);
	struct buf dec = BUF_INIT, utf = BUF_INIT;
	mail_transfer_decode(b, n, p->encoding, &dec);
	const char *cs = mail_param_get(p->params, p->nparams, "charset");
	bool hit;
	if (cs && dec.len && mail_charset_to_utf8(cs, strlen(cs), dec.data, dec.len, &utf))
		hit = contains(utf.data ? utf.data : "", utf.len, value);
	else
		hit = contains(dec.data ? dec.data : "", dec.len, value);
	buf_free(&dec);
	buf_free(&utf);
	return hit;
}

static bool body_matches(struct imap_session *s, struct search_msg *sm, struct str value)
{
	const char *data;
	size_t len;
	if (!imap_fetch_data(s, &sm->fm, &data, &len))
		return false;
	struct mail_message *pm = imap_fetch_parsed(s, &sm->fm);
	return part_matches(&pm->root, data, len, value);
}

static int64_t day_of(int64_t t, int tz)
{
	int64_t local = t + (int64_t)tz * 60;
	int64_t d = local / DAY;
	if (local < 0 && local % DAY)
		d--;
	return d * DAY;
}

static bool in_saved(const struct imap_session *s, uint32_t uid)
{
	for (size_t i = 0; i < s->sel.nsaved; i++)
		if (s->sel.saved[i] == uid)
			return true;
	return false;
}

static bool eval(struct imap_session *s, const struct imap_search_key *k, struct search_msg *sm)
{
	const struct store_message *m = sm->fm.m;
	const struct imap_search_scope *sc = sm->sc;
	switch (k->op) {
	case IMAP_SK_ALL: return true;
	case IMAP_SK_AND:
		for (size_t i = 0; i < k->nkids; i++)
			if (!eval(s, &k->kids[i], sm))
				return false;
		return true;
	case IMAP_SK_OR: return eval(s, &k->kids[0], sm) || eval(s, &k->kids[1], sm);
	case IMAP_SK_NOT: return !eval(s, &k->kids[0], sm);
	/* RFC 5182 2.1: "$" is the selected mailbox's saved result. */
	case IMAP_SK_SEQSET:
		if (k->set.saved)
			return sc->selected && in_saved(s, m->uid);
		return imap_seqset_contains(&k->set, sm->seq, (uint32_t)sc->n);
	case IMAP_SK_UIDSET:
		if (k->set.saved)
			return sc->selected && in_saved(s, m->uid);
		return imap_seqset_contains(&k->set, m->uid, sc->n ? sc->uids[sc->n - 1] : 0);
	case IMAP_SK_FLAG:
	case IMAP_SK_UNFLAG: {
		bool set;
		if (k->flag) {
			set = (m->flags & k->flag) != 0;
		} else {
			char *kw = arena_strndup(&s->ar, k->keyword.p, k->keyword.len);
			for (char *c = kw; *c; c++)
				if (*c >= 'A' && *c <= 'Z')
					*c = (char)(*c - 'A' + 'a');
			set = store_keywords_has(&m->keywords, kw);
		}
		return k->op == IMAP_SK_FLAG ? set : !set;
	}
	/* RFC 3501 6.4.4: NEW is RECENT UNSEEN, OLD is NOT RECENT. */
	case IMAP_SK_NEW:
		return sc->selected && imap_sess_is_recent(s, m->uid) &&
		       !(m->flags & STORE_FLAG_SEEN);
	case IMAP_SK_RECENT: return sc->selected && imap_sess_is_recent(s, m->uid);
	case IMAP_SK_OLD: return !(sc->selected && imap_sess_is_recent(s, m->uid));
	case IMAP_SK_BEFORE: return day_of(m->received, m->received_tz) < k->day;
	case IMAP_SK_ON: return day_of(m->received, m->received_tz) == k->day;
	case IMAP_SK_SINCE: return day_of(m->received, m->received_tz) >= k->day;
	case IMAP_SK_SENTBEFORE:
	case IMAP_SK_SENTON:
	case IMAP_SK_SENTSINCE: {
		struct mail_message *pm = imap_fetch_parsed(s, &sm->fm);
		if (!pm->date)
			return false;
		int64_t d = day_of((int64_t)pm->date, pm->date_tzoffset);
		return k->op == IMAP_SK_SENTBEFORE ? d < k->day
		       : k->op == IMAP_SK_SENTON   ? d == k->day
						   : d >= k->day;
	}
	case IMAP_SK_LARGER: return (uint64_t)m->size > k->number;
	case IMAP_SK_SMALLER: return (uint64_t)m->size < k->number;
	case IMAP_SK_HEADER: return header_matches(s, sm, k->name, k->value);
	case IMAP_SK_ENVELOPE: return envelope_matches(s, sm, k->name, k->value);
	case IMAP_SK_BODY: return body_matches(s, sm, k->value);
	case IMAP_SK_TEXT:
		return header_matches(s, sm, (struct str){0}, k->value) ||
		       body_matches(s, sm, k->value);
	case IMAP_SK_MODSEQ: return m->modseq >= k->number;
	/* RFC 8514 5: messages without a save date match none of the SAVED* keys. */
	case IMAP_SK_SAVEDBEFORE: return m->saved && day_of(m->saved, 0) < k->day;
	case IMAP_SK_SAVEDON: return m->saved && day_of(m->saved, 0) == k->day;
	case IMAP_SK_SAVEDSINCE: return m->saved && day_of(m->saved, 0) >= k->day;
	case IMAP_SK_SAVEDATESUPPORTED:
		return true; /* every mailbox keeps save dates */
	/* RFC 5032 3: the internal date within (YOUNGER) or beyond (OLDER) the interval. */
	case IMAP_SK_YOUNGER: return m->received >= s->search_now - (int64_t)k->number;
	case IMAP_SK_OLDER: return m->received < s->search_now - (int64_t)k->number;
	case IMAP_SK_EMAILID: return m->file_id == imap_objectid_parse('M', k->value);
	case IMAP_SK_THREADID: return m->thread_id == imap_objectid_parse('T', k->value);
	}
	return false;
}

void imap_search_scope_selected(struct imap_session *s, struct imap_search_scope *sc)
{
	*sc = (struct imap_search_scope){s->sel.id, s->sel.view.uids, s->sel.view.nreported, true};
}

void imap_progress(struct imap_session *s, uint64_t done, uint64_t total)
{
	int64_t now = mono_ms();
	int every = imap_server_inprogress_ms(s->server);
	if (now - s->cmd_start_ms < every || now - s->progress_last_ms < every)
		return;
	s->progress_last_ms = now;
	struct buf b = BUF_INIT;
	/* RFC 9585 3: the tag as a quoted string, the count so far and the goal (NIL: unknown). */
	buf_puts(&b, "* OK [INPROGRESS (");
	imap_put_string(s, s->cmd.tag.p, s->cmd.tag.len, &b);
	buf_printf(&b, " %llu ", (unsigned long long)done);
	if (total)
		buf_printf(&b, "%llu", (unsigned long long)total);
	else
		buf_puts(&b, "NIL");
	buf_puts(&b, ")] in progress\r\n");
	imap_sess_write(s, b.data, b.len);
	buf_free(&b);
	imap_sess_flush(s);
}

/* The position of uid in the scope (sequence number - 1); -1 when absent. */
static ptrdiff_t scope_index(const struct imap_search_scope *sc, size_t from, uint32_t uid)
{
	size_t lo = from, hi = sc->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sc->uids[mid] == uid)
			return (ptrdiff_t)mid;
		if (sc->uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Evaluates one batch of store messages; matches are appended to r. */
static void eval_batch(struct imap_session *s, const struct imap_search_scope *sc,
		       const struct imap_search_key *root, struct store_message *ms, size_t nm,
		       size_t done, struct imap_search_result *r)
{
	struct arena_mark per = arena_mark(&s->ar);
	for (size_t j = 0; j < nm && !s->broken; j++) {
		if (sc->selected && imap_view_is_gone(&s->sel.view, ms[j].uid))
			continue;
		ptrdiff_t at = scope_index(sc, done, ms[j].uid);
		if (at < 0)
			continue;
		struct search_msg sm = {.fm = {.m = &ms[j]}, .seq = (uint32_t)at + 1, .sc = sc};
		bool hit = eval(s, root, &sm);
		imap_fetch_msg_done(&sm.fm);
		arena_rewind(&s->ar, per);
		imap_progress(s, (uint64_t)at + 1, sc->n);
		if (hit) {
			r->modseqs[r->n] = ms[j].modseq;
			r->uids[r->n++] = ms[j].uid;
		}
	}
}

bool imap_search_run(struct imap_session *s, const struct imap_search_scope *sc,
		     const struct imap_search_key *root, struct imap_search_result *r)
{
	struct search_need need = {0};
	need_of(root, &need);
	r->uids = arena_array(&s->ar, sc->n ? sc->n : 1, sizeof *r->uids);
	r->modseqs = arena_array(&s->ar, sc->n ? sc->n : 1, sizeof *r->modseqs);
	r->n = 0;
	struct store_uid_range *ranges = arena_array(&s->ar, IMAP_FETCH_BATCH, sizeof *ranges);
	for (size_t done = 0; done < sc->n && !s->broken;) {
		size_t k = sc->n - done > IMAP_FETCH_BATCH ? IMAP_FETCH_BATCH : sc->n - done;
		struct arena_mark mk = arena_mark(&s->ar);
		size_t used;
		size_t nr =
		    imap_uids_to_ranges(sc->uids + done, k, ranges, IMAP_FETCH_BATCH, &used);
		struct store_uid_set set = {ranges, nr};
		struct store_message *ms;
		size_t nm;
		struct error err;
		if (!store_messages_fetch(s->account, sc->mailbox_id, &set, 0,
					  need.parsed ? STORE_FETCH_PARSED : 0, &s->ar, &ms, &nm,
					  &err)) {
			imap_sess_no_err(s, "SEARCH", &err);
			return false;
		}
		eval_batch(s, sc, root, ms, nm, done, r);
		arena_rewind(&s->ar, mk);
		done += used;
	}
	return true;
}
