/*
 * Mailbox filters (RFC 5465 6, RFC 7377 2.2): which of the account's
 * mailboxes a NOTIFY event group or an ESEARCH source names.
 *
 * "inboxes" are the mailboxes mail is delivered to: INBOX and the mailboxes
 * the account's destinations and their rulesets name (RFC 5465 6: "to which
 * messages may be delivered by a Message Delivery Agent"). Names given in a
 * filter are decoded and normalized as any mailbox argument; a name that
 * cannot be a mailbox matches nothing.
 */
#include "imap/mbfilter.h"

#include "imap/server_internal.h"

#include <string.h>

/* The account's delivery mailboxes besides Inbox: whether name is one. */
static bool delivery_target(struct imap_session *s, const char *name)
{
	struct config_dynamic *dyn = config_dynamic_get(imap_server_config(s->server));
	const struct cfg_account *acc = cfg_account_find(dyn->d, s->account_name);
	bool found = false;
	for (size_t i = 0; acc && i < acc->destinations.n && !found; i++) {
		const struct cfg_destination *d = &acc->destinations.v[i];
		if (d->mailbox && strcmp(d->mailbox, name) == 0)
			found = true;
		for (size_t k = 0; k < d->rulesets.n && !found; k++)
			found =
			    d->rulesets.v[k].mailbox && strcmp(d->rulesets.v[k].mailbox, name) == 0;
	}
	config_dynamic_put(dyn);
	return found;
}

bool imap_mbfilter_prepare(struct imap_session *s, const struct imap_mbfilter *f, struct arena *ar,
			   struct imap_mbfilter_ready *out)
{
	out->f = f;
	out->names = arena_array(ar, f->nnames ? f->nnames : 1, sizeof *out->names);
	out->nnames = 0;
	for (size_t i = 0; i < f->nnames; i++) {
		struct buf b = BUF_INIT;
		struct error err;
		const char *norm = NULL;
		if (imap_sess_mailbox_decode(s, f->names[i], &b, &err) &&
		    store_mailbox_name_check(b.data ? b.data : "", true, ar, &norm, &err))
			out->names[out->nnames++] = norm;
		buf_free(&b);
	}
	return true;
}

static bool under(const char *name, const char *parent, bool one_level)
{
	size_t n = strlen(parent);
	if (strncmp(name, parent, n) != 0)
		return false;
	if (name[n] == 0)
		return true;
	if (name[n] != '/')
		return false;
	return !one_level || strchr(name + n + 1, '/') == NULL;
}

bool imap_mbfilter_match(struct imap_session *s, const struct imap_mbfilter_ready *r,
			 int64_t mailbox_id, const char *name, bool subscribed)
{
	switch (r->f->kind) {
	case IMAP_MBF_SELECTED:
	case IMAP_MBF_SELECTED_DELAYED: return s->selected && s->sel.id == mailbox_id;
	case IMAP_MBF_INBOXES: return strcmp(name, "Inbox") == 0 || delivery_target(s, name);
	case IMAP_MBF_PERSONAL: return true;
	case IMAP_MBF_SUBSCRIBED: return subscribed;
	case IMAP_MBF_SUBTREE:
	case IMAP_MBF_SUBTREE_ONE:
		for (size_t i = 0; i < r->nnames; i++)
			if (under(name, r->names[i], r->f->kind == IMAP_MBF_SUBTREE_ONE))
				return true;
		return false;
	case IMAP_MBF_MAILBOXES:
		for (size_t i = 0; i < r->nnames; i++)
			if (strcmp(name, r->names[i]) == 0)
				return true;
		return false;
	}
	return false;
}
