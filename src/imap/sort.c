/*
 * SORT and UID SORT (RFC 5256 3) with ESORT's return options (RFC 5267 3),
 * and the per-message data SORT and THREAD order by (sort.h).
 *
 * The search program runs first (search.h); then the matching messages'
 * data is read from the store in batches (their stored parse: envelope,
 * sent date, base subject, references) and kept compactly, and they are
 * ordered with qsort. Strings compare with the i;ascii-casemap collation
 * (RFC 5256 7: the default for these commands), the empty string first;
 * the sequence number breaks ties (RFC 5256 3).
 */
#include "imap/sort.h"

#include "imap/fetch.h"
#include "mail/envelope.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The first address's mailbox (RFC 5256 3: "[IMAP] addr-mailbox"), "" when none. */
static const char *first_mailbox(const struct mail_addrlist *l, struct arena *ar)
{
	if (l->n == 0 || !l->v[0].localpart)
		return "";
	return arena_strdup(ar, l->v[0].localpart);
}

static void fill(struct imap_session *s, struct fetch_msg *fm, uint32_t seq, uint64_t modseq,
		 struct arena *ar, struct imap_sort_msg *out)
{
	const struct store_message *m = fm->m;
	struct mail_message *pm = imap_fetch_parsed(s, fm);
	const struct mail_envelope *e = &pm->envelope;
	*out = (struct imap_sort_msg){
	    .uid = m->uid,
	    .seq = seq,
	    .modseq = modseq,
	    .arrival = m->received,
	    /* RFC 5256 2.2: without a usable Date, the internal date is the sent date. */
	    .sent = pm->date ? (int64_t)pm->date : m->received,
	    .size = m->size,
	    .subject = arena_strdup(ar, pm->subject_base ? pm->subject_base : ""),
	    .reply = mail_subject_is_reply(pm->subject ? pm->subject : ""),
	    .from = first_mailbox(&e->from, ar),
	    .to = first_mailbox(&e->to, ar),
	    .cc = first_mailbox(&e->cc, ar),
	    .msgid = arena_strdup(ar, pm->message_id ? pm->message_id : ""),
	};
	/* RFC 5256 3: References, else the first In-Reply-To. */
	const char **refs = pm->nreferences ? pm->references : pm->in_reply_to;
	size_t nrefs = pm->nreferences ? pm->nreferences : (pm->nin_reply_to ? 1 : 0);
	if (nrefs > IMAP_THREAD_REFS_MAX)
		nrefs = IMAP_THREAD_REFS_MAX; /* bounded; the last ones matter most */
	out->refs = arena_array(ar, nrefs ? nrefs : 1, sizeof *out->refs);
	size_t skip = (pm->nreferences > nrefs && pm->nreferences) ? pm->nreferences - nrefs : 0;
	for (size_t i = 0; i < nrefs; i++)
		out->refs[i] = arena_strdup(ar, refs[skip + i]);
	out->nrefs = nrefs;
}

bool imap_sort_data(struct imap_session *s, const struct imap_search_scope *sc,
		    const struct imap_search_result *r, struct arena *ar,
		    struct imap_sort_msg **out, size_t *nout)
{
	*out = arena_array(ar, r->n ? r->n : 1, sizeof **out);
	struct store_uid_range *ranges = arena_array(&s->ar, IMAP_FETCH_BATCH, sizeof *ranges);
	size_t k = 0;
	for (size_t done = 0; done < r->n && !s->broken;) {
		size_t want = r->n - done > IMAP_FETCH_BATCH ? IMAP_FETCH_BATCH : r->n - done;
		struct arena_mark mk = arena_mark(&s->ar);
		size_t used;
		size_t nr =
		    imap_uids_to_ranges(r->uids + done, want, ranges, IMAP_FETCH_BATCH, &used);
		struct store_uid_set set = {ranges, nr};
		struct store_message *ms;
		size_t nm;
		struct error err;
		if (!store_messages_fetch(s->account, sc->mailbox_id, &set, 0, STORE_FETCH_PARSED,
					  &s->ar, &ms, &nm, &err)) {
			imap_sess_no_err(s, imap_cmd_name(s->cmd.kind, s->cmd.uid), &err);
			return false;
		}
		for (size_t j = 0, i = done; j < nm; j++) {
			while (i < done + used && r->uids[i] < ms[j].uid)
				i++;
			if (i == done + used || r->uids[i] != ms[j].uid)
				continue; /* gone since the search */
			struct fetch_msg fm = {.m = &ms[j]};
			uint32_t seq = sc->selected ? imap_sess_seq(s, ms[j].uid) : (uint32_t)i + 1;
			fill(s, &fm, seq, r->modseqs[i], ar, &(*out)[k++]);
			imap_fetch_msg_done(&fm);
			imap_progress(s, k, r->n);
		}
		arena_rewind(&s->ar, mk);
		done += used;
	}
	*nout = k;
	return true;
}

/* i;ascii-casemap (RFC 4790 9.2); the empty string sorts first anyway. */
static int casemap_cmp(const char *a, const char *b)
{
	return strcasecmp(a, b);
}

static int cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int compare(const void *pa, const void *pb, void *arg)
{
	const struct imap_sort_msg *a = pa, *b = pb;
	const struct imap_sort_args *sa = arg;
	for (size_t i = 0; i < sa->ncrit; i++) {
		int c = 0;
		switch (sa->crit[i].key) {
		case IMAP_SORT_ARRIVAL: c = cmp_i64(a->arrival, b->arrival); break;
		case IMAP_SORT_CC: c = casemap_cmp(a->cc, b->cc); break;
		case IMAP_SORT_DATE: c = cmp_i64(a->sent, b->sent); break;
		case IMAP_SORT_FROM: c = casemap_cmp(a->from, b->from); break;
		case IMAP_SORT_SIZE: c = cmp_i64(a->size, b->size); break;
		case IMAP_SORT_SUBJECT: c = casemap_cmp(a->subject, b->subject); break;
		case IMAP_SORT_TO: c = casemap_cmp(a->to, b->to); break;
		}
		if (c)
			return sa->crit[i].reverse ? -c : c;
	}
	/* RFC 5256 3: "an implicit sort criterion of sequence number" (REVERSE does not apply). */
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* "* SORT n..." (RFC 5256 4). */
static void put_sort(struct imap_session *s, const uint32_t *nums, size_t n)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "* SORT");
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, " %u", nums[i]);
	buf_puts(&b, "\r\n");
	imap_sess_write(s, b.data, b.len);
	buf_free(&b);
}

void imap_cmd_sort(struct imap_session *s)
{
	const struct imap_sort_args *a = &s->cmd.u.sort;
	const char *what = s->cmd.uid ? "UID SORT" : "SORT";
	if (a->search.has_return && !imap_sess_has(s, IMAP_CAP_ESORT)) {
		imap_sess_bad(s, NULL, "ESORT is disabled for this account");
		return;
	}
	if (!imap_sess_selected_ok(s) || !imap_search_args_ok(s, &a->search))
		return;
	struct imap_search_scope sc;
	imap_search_scope_selected(s, &sc);
	struct imap_search_result r;
	struct arena sar;
	arena_init(&sar, 16 * 1024);
	struct imap_sort_msg *msgs;
	size_t n;
	if (!imap_search_run(s, &sc, &a->search.root, &r) ||
	    !imap_sort_data(s, &sc, &r, &sar, &msgs, &n)) {
		arena_free(&sar);
		return;
	}
	qsort_r(msgs, n, sizeof *msgs, compare, (void *)(uintptr_t)a);
	uint32_t *nums = arena_array(&sar, n ? n : 1, sizeof *nums);
	uint64_t *modseqs = arena_array(&sar, n ? n : 1, sizeof *modseqs);
	for (size_t i = 0; i < n; i++) {
		nums[i] = s->cmd.uid ? msgs[i].uid : msgs[i].seq;
		modseqs[i] = msgs[i].modseq;
	}
	if (a->search.has_return)
		imap_put_esearch(s, &a->search, NULL, s->cmd.uid, nums, modseqs, n, true);
	else
		put_sort(s, nums, n);
	arena_free(&sar);
	imap_sess_ok(s, NULL, "%s completed", what);
}
