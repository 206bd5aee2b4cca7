/*
 * SEARCH and UID SEARCH (RFC 9051 6.4.4) with CHARSET (UTF-8 and US-ASCII),
 * ESEARCH results (RFC 4731), SAVE (RFC 5182), PARTIAL (RFC 9394) and
 * MODSEQ (RFC 7162 3.1.5); and the ESEARCH command (MULTISEARCH, RFC 7377)
 * over any mailboxes of the account. IMAP4rev2 clients get ESEARCH always
 * (RFC 9051 7.3.4); rev1 clients get SEARCH unless they ask for RETURN.
 */
#include "imap/mbfilter.h"
#include "imap/search.h"

#include <string.h>
#include <time.h>

/* Keys of extensions disabled for the account are BAD (sent). */
static bool keys_allowed(struct imap_session *s, const struct imap_search_key *k)
{
	imap_caps cap = 0;
	const char *name = NULL;
	switch (k->op) {
	case IMAP_SK_SAVEDBEFORE:
	case IMAP_SK_SAVEDON:
	case IMAP_SK_SAVEDSINCE:
	case IMAP_SK_SAVEDATESUPPORTED:
		cap = IMAP_CAP_SAVEDATE;
		name = "SAVEDATE";
		break;
	case IMAP_SK_YOUNGER:
	case IMAP_SK_OLDER:
		cap = IMAP_CAP_WITHIN;
		name = "WITHIN";
		break;
	case IMAP_SK_EMAILID:
	case IMAP_SK_THREADID:
		cap = IMAP_CAP_OBJECTID;
		name = "OBJECTID";
		break;
	default: break;
	}
	if (cap && !imap_sess_has(s, cap)) {
		imap_sess_bad(s, NULL, "%s is disabled for this account", name);
		return false;
	}
	for (size_t i = 0; i < k->nkids; i++)
		if (!keys_allowed(s, &k->kids[i]))
			return false;
	return true;
}

bool imap_search_args_ok(struct imap_session *s, const struct imap_search_args *a)
{
	if (a->charset.len && !str_eqi_cstr(a->charset, "UTF-8") &&
	    !str_eqi_cstr(a->charset, "US-ASCII")) {
		imap_sess_no(s, "BADCHARSET (UTF-8 US-ASCII)", "charset not supported");
		return false;
	}
	if (a->has_return && !imap_sess_has(s, IMAP_CAP_ESEARCH)) {
		imap_sess_bad(s, NULL, "ESEARCH is disabled for this account");
		return false;
	}
	if ((a->ret & IMAP_SEARCH_RET_SAVE) && !imap_sess_has(s, IMAP_CAP_SEARCHRES)) {
		imap_sess_bad(s, NULL, "SEARCHRES is disabled for this account");
		return false;
	}
	if ((a->ret & IMAP_SEARCH_RET_PARTIAL) && !imap_sess_has(s, IMAP_CAP_PARTIAL)) {
		imap_sess_bad(s, NULL, "PARTIAL is disabled for this account");
		return false;
	}
	/* RFC 9586 3: sequence numbers are refused once UIDONLY is on. */
	if (a->uses_seqnums && (s->enabled & IMAP_CAP_UIDONLY)) {
		imap_sess_bad(s, "UIDREQUIRED", "message sequence numbers with UIDONLY");
		return false;
	}
	if (!keys_allowed(s, &a->root))
		return false;
	s->search_now = (int64_t)time(NULL);
	if (a->uses_modseq) {
		if (!imap_sess_has(s, IMAP_CAP_CONDSTORE)) {
			imap_sess_bad(s, NULL, "CONDSTORE is disabled for this account");
			return false;
		}
		imap_sess_enable_condstore(s);
	}
	return true;
}

/* The numbers the client sees: UIDs, or sequence numbers of the selected mailbox. */
static uint32_t *client_numbers(struct imap_session *s, bool uid, const uint32_t *uids, size_t n)
{
	if (uid)
		return (uint32_t *)(uintptr_t)uids;
	uint32_t *nums = arena_array(&s->ar, n ? n : 1, sizeof *nums);
	for (size_t i = 0; i < n; i++)
		nums[i] = imap_sess_seq(s, uids[i]);
	return nums;
}

/* "* SEARCH n..." for IMAP4rev1 clients without RETURN (RFC 3501 7.2.5, RFC 7162 3.1.6). */
static void put_search(struct imap_session *s, const struct imap_search_args *a,
		       const uint32_t *nums, const uint64_t *modseqs, size_t n)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "* SEARCH");
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, " %u", nums[i]);
	if (a->uses_modseq && n) {
		uint64_t max = 0;
		for (size_t i = 0; i < n; i++)
			if (modseqs[i] > max)
				max = modseqs[i];
		buf_printf(&b, " (MODSEQ %llu)", (unsigned long long)max);
	}
	buf_puts(&b, "\r\n");
	imap_sess_write(s, b.data, b.len);
	buf_free(&b);
}

void imap_cmd_search(struct imap_session *s)
{
	const struct imap_search_args *a = &s->cmd.u.search;
	if (!imap_sess_selected_ok(s) || !imap_search_args_ok(s, a))
		return;
	struct imap_search_scope sc;
	imap_search_scope_selected(s, &sc);
	struct imap_search_result r;
	if (!imap_search_run(s, &sc, &a->root, &r))
		return;
	if (a->ret & IMAP_SEARCH_RET_SAVE)
		imap_search_save(s, a, r.uids, r.n);
	uint32_t *nums = client_numbers(s, s->cmd.uid, r.uids, r.n);
	bool rev2 = (s->enabled & IMAP_CAP_IMAP4REV2) != 0;
	if (a->has_return || rev2) {
		/* RFC 5182 2.1: SAVE alone gives no ESEARCH response. */
		if ((a->ret & ~IMAP_SEARCH_RET_SAVE) || !(a->ret & IMAP_SEARCH_RET_SAVE))
			imap_put_esearch(s, a, NULL, s->cmd.uid, nums, r.modseqs, r.n, false);
	} else {
		put_search(s, a, nums, r.modseqs, r.n);
	}
	imap_sess_ok(s, NULL, "%s completed", s->cmd.uid ? "UID SEARCH" : "SEARCH");
}

/* ---- ESEARCH (RFC 7377) ---- */

/* Searches one mailbox that is not the selected one; every message, in UID order. */
static bool search_other(struct imap_session *s, const struct imap_search_args *a,
			 const struct store_mailbox *mb)
{
	struct store_message_flags *f;
	size_t n;
	struct error err;
	if (!store_messages_flags(s->account, mb->id, NULL, 0, &s->ar, &f, &n, &err)) {
		imap_sess_no_err(s, "ESEARCH", &err);
		return false;
	}
	uint32_t *uids = arena_array(&s->ar, n ? n : 1, sizeof *uids);
	for (size_t i = 0; i < n; i++)
		uids[i] = f[i].uid;
	struct imap_search_scope sc = {mb->id, uids, n, false};
	struct imap_search_result r;
	if (!imap_search_run(s, &sc, &a->root, &r))
		return false;
	if (r.n == 0)
		return true; /* RFC 7377 2.1: no response for a mailbox without matches */
	struct buf corr = BUF_INIT;
	buf_puts(&corr, "MAILBOX ");
	imap_put_mailbox(s, mb->name, &corr);
	buf_printf(&corr, " UIDVALIDITY %u", mb->uidvalidity);
	imap_put_esearch(s, a, corr.data, true, r.uids, r.modseqs, r.n, false);
	buf_free(&corr);
	return true;
}

static bool search_selected(struct imap_session *s, const struct imap_search_args *a)
{
	struct imap_search_scope sc;
	imap_search_scope_selected(s, &sc);
	struct imap_search_result r;
	if (!imap_search_run(s, &sc, &a->root, &r))
		return false;
	if (a->ret & IMAP_SEARCH_RET_SAVE)
		imap_search_save(s, a, r.uids, r.n);
	if (r.n == 0 || a->ret == IMAP_SEARCH_RET_SAVE)
		return true;
	struct buf corr = BUF_INIT;
	buf_puts(&corr, "MAILBOX ");
	imap_put_mailbox(s, s->sel.name, &corr);
	buf_printf(&corr, " UIDVALIDITY %u", s->sel.uidvalidity);
	imap_put_esearch(s, a, corr.data, true, r.uids, r.modseqs, r.n, false);
	buf_free(&corr);
	return true;
}

/* Whether the sources name only the selected mailbox (or none: the selected one). */
static bool only_selected(const struct imap_search_args *a)
{
	for (size_t i = 0; i < a->nsources; i++)
		if (a->sources[i].kind != IMAP_MBF_SELECTED)
			return false;
	return true;
}

void imap_cmd_esearch(struct imap_session *s)
{
	const struct imap_search_args *a = &s->cmd.u.search;
	bool selected_only = only_selected(a);
	/* RFC 7377 2.2: "selected" needs a selected mailbox; SAVE only with it alone. */
	if (selected_only && !s->selected) {
		imap_sess_bad(s, NULL, "ESEARCH without IN needs a selected mailbox");
		return;
	}
	if ((a->ret & IMAP_SEARCH_RET_SAVE) && !selected_only) {
		imap_sess_bad(s, NULL, "SAVE is only allowed for the selected mailbox alone");
		return;
	}
	if (!imap_search_args_ok(s, a))
		return;
	if (selected_only) {
		if (imap_sess_selected_ok(s) && search_selected(s, a))
			imap_sess_ok(s, NULL, "ESEARCH completed");
		return;
	}
	struct imap_mbfilter_ready *ready = arena_array(&s->ar, a->nsources, sizeof *ready);
	for (size_t i = 0; i < a->nsources; i++)
		imap_mbfilter_prepare(s, &a->sources[i], &s->ar, &ready[i]);
	struct store_mailbox *mbs;
	size_t n;
	struct error err;
	if (!store_mailboxes_list(s->account, &s->ar, &mbs, &n, &err)) {
		imap_sess_no_err(s, "ESEARCH", &err);
		return;
	}
	for (size_t i = 0; i < n && !s->broken; i++) {
		bool match = false;
		for (size_t k = 0; k < a->nsources && !match; k++)
			match = imap_mbfilter_match(s, &ready[k], mbs[i].id, mbs[i].name,
						    mbs[i].subscribed);
		if (!match)
			continue;
		bool ok = s->selected && mbs[i].id == s->sel.id ? search_selected(s, a)
								: search_other(s, a, &mbs[i]);
		if (!ok)
			return;
	}
	imap_sess_ok(s, NULL, "ESEARCH completed");
}
