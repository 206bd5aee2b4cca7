/*
 * FETCH and UID FETCH (RFC 9051 6.4.5, 6.4.8) with CHANGEDSINCE and
 * VANISHED (RFC 7162 3.1.4, 3.2.6), and the per-message data items that
 * need no message text. Section data (BODY[...], BINARY[...]) is in
 * body.c.
 *
 * Messages are read from the store in batches of IMAP_FETCH_BATCH. A
 * message the client still numbers but that was expunged by another
 * session is skipped, and the command ends with OK [EXPUNGEISSUED]
 * (RFC 9051 7.1). Taking a non-PEEK body section sets \Seen first (in one
 * store operation for the whole set), and the changed FLAGS are sent with
 * the message's response (RFC 9051 6.4.5).
 */
#include "imap/fetch.h"
#include "imap/search.h"

#include "base/mem.h"
#include "mail/imapfmt.h"
#include "mail/preview.h"
#include "mail/serialize.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* What the items need from the store. */
struct fetch_plan {
	bool flags_only; /* only UID, FLAGS and MODSEQ: the store's light listing serves */
	bool need_parsed;
	bool need_body_seen; /* a non-peek section: set \Seen */
	bool has_flags;
	bool has_uid;
	bool has_modseq;
};

static void plan_items(const struct imap_fetch_args *a, struct fetch_plan *pl)
{
	memset(pl, 0, sizeof *pl);
	pl->flags_only = true;
	for (size_t i = 0; i < a->n; i++) {
		const struct imap_fetch_item *it = &a->items[i];
		if (it->kind != IMAP_FETCH_UID && it->kind != IMAP_FETCH_FLAGS &&
		    it->kind != IMAP_FETCH_MODSEQ)
			pl->flags_only = false;
		switch (it->kind) {
		case IMAP_FETCH_UID: pl->has_uid = true; break;
		case IMAP_FETCH_FLAGS: pl->has_flags = true; break;
		case IMAP_FETCH_MODSEQ: pl->has_modseq = true; break;
		case IMAP_FETCH_ENVELOPE:
		case IMAP_FETCH_BODYSTRUCTURE:
		case IMAP_FETCH_BODY_STRUCT:
		case IMAP_FETCH_BINARY_SIZE:
		case IMAP_FETCH_PREVIEW: pl->need_parsed = true; break;
		case IMAP_FETCH_SECTION:
		case IMAP_FETCH_BINARY:
			pl->need_parsed = true;
			if (!it->peek)
				pl->need_body_seen = true;
			break;
		default: break;
		}
	}
}

/* ---- the message's contents ---- */

struct mail_message *imap_fetch_parsed(struct imap_session *s, struct fetch_msg *fm)
{
	if (fm->parsed)
		return fm->parsed;
	struct error err;
	if (fm->m->parsed && fm->m->parsed_len) {
		fm->parsed = mail_deserialize(fm->m->parsed, fm->m->parsed_len, &s->ar, &err);
		if (fm->parsed)
			return fm->parsed;
		log_info(&s->lg, "stored parse unreadable, parsing the file", LE(&err),
			 LI("uid", fm->m->uid));
	}
	const char *data;
	size_t len;
	if (imap_fetch_data(s, fm, &data, &len)) {
		fm->parsed = mail_parse(data, len, &s->ar);
		return fm->parsed;
	}
	fm->parsed = arena_zalloc(&s->ar, sizeof *fm->parsed);
	mail_message_init_empty(fm->parsed);
	return fm->parsed;
}

bool imap_fetch_data(struct imap_session *s, struct fetch_msg *fm, const char **data, size_t *len)
{
	if (fm->opened) {
		*data = fm->map ? fm->map : "";
		*len = fm->len;
		return true;
	}
	struct error err;
	int fd = store_message_open(s->account, fm->m->file_id, &err);
	if (fd < 0) {
		log_error(&s->lg, "opening a message file", LE(&err), LI("uid", fm->m->uid));
		return false;
	}
	fm->opened = true;
	fm->len = fm->m->size > 0 ? (size_t)fm->m->size : 0;
	if (fm->len > 0) {
		void *p = mmap(NULL, fm->len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			log_error(&s->lg, "mapping a message file", LI("uid", fm->m->uid));
			close(fd);
			fm->opened = false;
			fm->len = 0;
			return false;
		}
		fm->map = p;
	}
	close(fd);
	*data = fm->map ? fm->map : "";
	*len = fm->len;
	return true;
}

void imap_fetch_msg_done(struct fetch_msg *fm)
{
	if (fm->map)
		munmap(fm->map, fm->len);
	fm->map = NULL;
	fm->opened = false;
	fm->len = 0;
}

/* RFC 8970: the preview, from the message's first readable part; "" when it has none or
 * cannot be read. LAZY changes nothing: it is made at once. */
static void put_preview(struct imap_session *s, struct fetch_msg *fm, bool utf8, struct buf *out)
{
	buf_puts(out, "PREVIEW ");
	struct buf pv = BUF_INIT;
	const char *data;
	size_t len;
	if (imap_fetch_data(s, fm, &data, &len))
		mail_preview(imap_fetch_parsed(s, fm), data, len, &pv);
	mail_imap_string(out, pv.data ? pv.data : "", pv.len, utf8);
	buf_free(&pv);
}

/* ---- one message ---- */

static void put_item(struct imap_session *s, struct fetch_msg *fm, const struct imap_fetch_item *it,
		     bool utf8, struct buf *out)
{
	const struct store_message *m = fm->m;
	switch (it->kind) {
	case IMAP_FETCH_UID: buf_printf(out, "UID %u", m->uid); break;
	case IMAP_FETCH_FLAGS:
		buf_puts(out, "FLAGS ");
		imap_put_msg_flags(s, m->uid, m->flags, &m->keywords, out);
		break;
	case IMAP_FETCH_MODSEQ:
		buf_printf(out, "MODSEQ (%llu)", (unsigned long long)m->modseq);
		break;
	case IMAP_FETCH_INTERNALDATE:
		buf_puts(out, "INTERNALDATE ");
		imap_put_datetime(m->received, m->received_tz, out);
		break;
	case IMAP_FETCH_RFC822_SIZE: buf_printf(out, "RFC822.SIZE %lld", (long long)m->size); break;
	case IMAP_FETCH_ENVELOPE:
		buf_puts(out, "ENVELOPE ");
		mail_imap_envelope(&imap_fetch_parsed(s, fm)->envelope, utf8, out);
		break;
	case IMAP_FETCH_BODYSTRUCTURE:
		buf_puts(out, "BODYSTRUCTURE ");
		mail_imap_bodystructure_utf8(&imap_fetch_parsed(s, fm)->root, true, utf8, out);
		break;
	case IMAP_FETCH_BODY_STRUCT:
		buf_puts(out, "BODY ");
		mail_imap_bodystructure_utf8(&imap_fetch_parsed(s, fm)->root, false, utf8, out);
		break;
	case IMAP_FETCH_SAVEDATE:
		/* RFC 8514 4.3: NIL for a message without a save date. */
		buf_puts(out, "SAVEDATE ");
		if (m->saved)
			imap_put_datetime(m->saved, 0, out);
		else
			buf_puts(out, "NIL");
		break;
	case IMAP_FETCH_EMAILID:
		buf_puts(out, "EMAILID ");
		imap_put_objectid('M', m->file_id, out);
		break;
	case IMAP_FETCH_THREADID:
		buf_puts(out, "THREADID ");
		if (m->thread_id)
			imap_put_objectid('T', m->thread_id, out);
		else
			buf_puts(out, "NIL");
		break;
	case IMAP_FETCH_PREVIEW: put_preview(s, fm, utf8, out); break;
	default: imap_fetch_body_item(s, fm, it, out); break;
	}
}

/* "* seq FETCH (...)" for one message. */
static void put_message(struct imap_session *s, const struct imap_fetch_args *a,
			const struct fetch_plan *pl, struct fetch_msg *fm, uint32_t seq,
			bool flags_changed)
{
	bool utf8 = imap_sess_utf8(s);
	if (pl->has_flags || flags_changed)
		imap_sess_announce_keywords(s, &fm->m->keywords);
	struct buf out = BUF_INIT;
	imap_put_fetch_start(s, seq, fm->m->uid, &out);
	bool first = true;
	/* RFC 9051 6.4.8: UID FETCH always includes UID (UIDFETCH carries it, RFC 9586). */
	if (s->cmd.uid && !pl->has_uid && !(s->enabled & IMAP_CAP_UIDONLY)) {
		buf_printf(&out, "UID %u", fm->m->uid);
		first = false;
	}
	for (size_t i = 0; i < a->n; i++) {
		if (!first)
			buf_putc(&out, ' ');
		first = false;
		put_item(s, fm, &a->items[i], utf8, &out);
	}
	/* RFC 9051 6.4.5: \Seen set by this fetch is reported; RFC 7162 3.1.4.1: MODSEQ with
	 * CHANGEDSINCE, and with any FETCH once CONDSTORE is on and flags changed. */
	if (flags_changed && !pl->has_flags) {
		buf_puts(&out, first ? "FLAGS " : " FLAGS ");
		imap_put_msg_flags(s, fm->m->uid, fm->m->flags, &fm->m->keywords, &out);
		first = false;
	}
	if (!pl->has_modseq &&
	    (a->changedsince_set || (flags_changed && (s->enabled & IMAP_CAP_CONDSTORE)))) {
		buf_printf(&out, "%sMODSEQ (%llu)", first ? "" : " ",
			   (unsigned long long)fm->m->modseq);
	}
	buf_puts(&out, ")\r\n");
	imap_sess_write(s, out.data, out.len);
	buf_free(&out);
}

/* ---- the command ---- */

/* Sets \Seen on the messages (RFC 9051 6.4.5); the UIDs that changed go to *changed. */
static bool mark_seen(struct imap_session *s, const uint32_t *uids, size_t n, uint32_t **changed,
		      size_t *nchanged)
{
	*changed = NULL;
	*nchanged = 0;
	if (s->sel.readonly || n == 0)
		return true;
	struct store_uid_range *r = arena_array(&s->ar, STORE_UID_RANGES_MAX, sizeof *r);
	*changed = arena_array(&s->ar, n, sizeof **changed);
	size_t done = 0;
	while (done < n) {
		size_t used;
		size_t nr =
		    imap_uids_to_ranges(uids + done, n - done, r, STORE_UID_RANGES_MAX, &used);
		struct store_uid_set set = {r, nr};
		struct store_flags_change c = {.op = STORE_FLAGS_ADD, .flags = STORE_FLAG_SEEN};
		struct store_flags_result res;
		struct error err;
		if (!store_flags_update(s->account, s->sel.id, &set, &c, s->sub, &s->ar, &res,
					&err)) {
			imap_sess_no_err(s, "FETCH", &err);
			return false;
		}
		for (size_t i = 0; i < res.nmessages; i++)
			if (res.changed[i])
				(*changed)[(*nchanged)++] = res.messages[i].uid;
		if (res.modseq > s->sel.highestmodseq)
			s->sel.highestmodseq = res.modseq;
		done += used;
	}
	return true;
}

static bool in_sorted(const uint32_t *v, size_t n, uint32_t x)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo] == x;
}

/* RFC 7162 3.2.6: UID FETCH ... (CHANGEDSINCE m VANISHED): expunged UIDs in the set. */
static void put_vanished_earlier(struct imap_session *s, const struct imap_fetch_args *a)
{
	struct imap_view *v = &s->sel.view;
	uint32_t star = v->nreported ? v->uids[v->nreported - 1] : 0;
	struct store_uid_range *r = arena_array(&s->ar, a->set.n ? a->set.n : 1, sizeof *r);
	for (size_t i = 0; i < a->set.n; i++) {
		struct imap_range x = imap_range_resolve(a->set.v[i], star ? star : UINT32_MAX);
		r[i] = (struct store_uid_range){x.first, x.last};
	}
	struct store_uid_set set = {r, a->set.n};
	uint32_t *van;
	size_t nvan;
	struct error err;
	if (!store_vanished(s->account, s->sel.id, a->changedsince, a->set.saved ? NULL : &set,
			    &s->ar, &van, &nvan, &err)) {
		log_error(&s->lg, "reading expunge history", LE(&err));
		return;
	}
	imap_put_vanished(s, van, nvan, true);
}

/* Fetches and answers one batch of UIDs (ascending). */
static bool fetch_batch(struct imap_session *s, const struct imap_fetch_args *a,
			const struct fetch_plan *pl, const uint32_t *uids, size_t n,
			const uint32_t *seen, size_t nseen)
{
	struct arena_mark mk = arena_mark(&s->ar);
	struct store_uid_range *r = arena_array(&s->ar, n, sizeof *r);
	size_t used;
	size_t nr = imap_uids_to_ranges(uids, n, r, n, &used);
	struct store_uid_set set = {r, nr};
	struct store_message *ms;
	size_t nm;
	struct error err;
	unsigned what = pl->need_parsed ? STORE_FETCH_PARSED : 0;
	bool ok;
	if (pl->flags_only) {
		/* FETCH FLAGS of many messages is what clients do most: from the light listing. */
		struct store_message_flags *f;
		ok = store_messages_flags(s->account, s->sel.id, &set, a->changedsince, &s->ar, &f,
					  &nm, &err);
		ms = ok ? arena_array(&s->ar, nm ? nm : 1, sizeof *ms) : NULL;
		for (size_t i = 0; ok && i < nm; i++) {
			memset(&ms[i], 0, sizeof ms[i]);
			ms[i].uid = f[i].uid;
			ms[i].flags = f[i].flags;
			ms[i].modseq = f[i].modseq;
			ms[i].keywords = f[i].keywords;
		}
	} else {
		ok = store_messages_fetch(s->account, s->sel.id, &set, a->changedsince, what,
					  &s->ar, &ms, &nm, &err);
	}
	if (!ok) {
		imap_sess_no_err(s, "FETCH", &err);
		arena_rewind(&s->ar, mk);
		return false;
	}
	/* Per message, everything after the batch's messages goes (bodies may be large). */
	struct arena_mark per_message = arena_mark(&s->ar);
	size_t j = 0;
	for (size_t i = 0; i < n && !s->broken; i++) {
		uint32_t uid = uids[i];
		while (j < nm && ms[j].uid < uid)
			j++;
		bool found = j < nm && ms[j].uid == uid;
		if (imap_view_is_gone(&s->sel.view, uid) || (!found && !a->changedsince_set)) {
			/* Expunged by another session, not yet reported. */
			s->expunge_issued = true;
			continue;
		}
		if (!found)
			continue; /* unchanged since CHANGEDSINCE */
		struct fetch_msg fm = {.m = &ms[j]};
		bool changed = nseen && in_sorted(seen, nseen, uid);
		if (changed)
			fm.m->flags |= STORE_FLAG_SEEN;
		put_message(s, a, pl, &fm, imap_sess_seq(s, uid), changed);
		imap_fetch_msg_done(&fm);
		arena_rewind(&s->ar, per_message);
	}
	arena_rewind(&s->ar, mk);
	return true;
}

/* Items of extensions disabled for the account are BAD (sent). */
static bool items_allowed(struct imap_session *s, const struct imap_fetch_args *a)
{
	static const struct {
		enum imap_fetch_kind kind;
		imap_caps cap;
		const char *name;
	} needs[] = {
	    {IMAP_FETCH_SAVEDATE, IMAP_CAP_SAVEDATE, "SAVEDATE"},
	    {IMAP_FETCH_EMAILID, IMAP_CAP_OBJECTID, "OBJECTID"},
	    {IMAP_FETCH_THREADID, IMAP_CAP_OBJECTID, "OBJECTID"},
	    {IMAP_FETCH_PREVIEW, IMAP_CAP_PREVIEW, "PREVIEW"},
	    {IMAP_FETCH_BINARY, IMAP_CAP_BINARY, "BINARY"},
	    {IMAP_FETCH_BINARY_SIZE, IMAP_CAP_BINARY, "BINARY"},
	};
	for (size_t i = 0; i < a->n; i++)
		for (size_t k = 0; k < ARRAY_LEN(needs); k++)
			if (a->items[i].kind == needs[k].kind && !imap_sess_has(s, needs[k].cap)) {
				imap_sess_bad(s, NULL, "%s is disabled for this account",
					      needs[k].name);
				return false;
			}
	return true;
}

void imap_cmd_fetch(struct imap_session *s)
{
	const struct imap_fetch_args *a = &s->cmd.u.fetch;
	if (!imap_sess_selected_ok(s))
		return;
	if (a->vanished && (!s->cmd.uid || !(s->enabled & IMAP_CAP_QRESYNC))) {
		imap_sess_bad(s, NULL, "VANISHED needs UID FETCH and QRESYNC enabled");
		return;
	}
	if (a->changedsince_set) {
		if (!imap_sess_has(s, IMAP_CAP_CONDSTORE)) {
			imap_sess_bad(s, NULL, "CONDSTORE is disabled for this account");
			return;
		}
		imap_sess_enable_condstore(s);
	}
	if (!items_allowed(s, a))
		return;
	struct fetch_plan pl;
	plan_items(a, &pl);
	if (pl.has_modseq) {
		if (!imap_sess_has(s, IMAP_CAP_CONDSTORE)) {
			imap_sess_bad(s, NULL, "CONDSTORE is disabled for this account");
			return;
		}
		imap_sess_enable_condstore(s);
	}
	if (a->partial_set && !imap_sess_has(s, IMAP_CAP_PARTIAL)) {
		imap_sess_bad(s, NULL, "PARTIAL is disabled for this account");
		return;
	}
	uint32_t *uids;
	size_t n;
	if (!imap_sess_set_uids(s, &a->set, s->cmd.uid, &uids, &n))
		return;
	if (a->partial_set)
		imap_partial_slice(&a->partial, &uids, &n);
	if (a->vanished)
		put_vanished_earlier(s, a);
	uint32_t *seen = NULL;
	size_t nseen = 0;
	if (pl.need_body_seen && !mark_seen(s, uids, n, &seen, &nseen))
		return;
	for (size_t done = 0; done < n && !s->broken;) {
		size_t k = n - done > IMAP_FETCH_BATCH ? IMAP_FETCH_BATCH : n - done;
		if (!fetch_batch(s, a, &pl, uids + done, k, seen, nseen))
			return;
		done += k;
	}
	if (s->unknown_cte)
		imap_sess_no(s, "UNKNOWN-CTE", "a part has a transfer encoding tern cannot decode");
	else if (s->expunge_issued)
		imap_sess_ok(s, "EXPUNGEISSUED", "some messages were expunged meanwhile");
	else
		imap_sess_ok(s, NULL, "%s completed", s->cmd.uid ? "UID FETCH" : "FETCH");
}
