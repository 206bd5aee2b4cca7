/*
 * LIST (RFC 9051 6.3.9) with LIST-EXTENDED selection and return options
 * (RFC 5258), SPECIAL-USE (RFC 6154), LIST-STATUS (RFC 5819), and LSUB
 * (RFC 3501 6.3.9).
 *
 * The hierarchy separator is "/". Every existing mailbox has its parents
 * (the store creates them), so \Noselect never applies to existing names;
 * subscriptions may name mailboxes that do not exist (\NonExistent).
 * Patterns: "*" matches anything, "%" anything but "/" (RFC 9051 6.3.9);
 * the INBOX part of a pattern matches case-insensitively.
 */
#include "imap/session.h"

#include <stdlib.h>
#include <string.h>

#define PATTERN_MAX 1024

/* Glob match with "*" and "%" in O(len(p) * len(n)), two rows of booleans. */
static bool match(const char *p, size_t np, const char *n, size_t nn, bool *row0, bool *row1)
{
	/* row[j]: p[0..i) matches n[0..j) */
	bool *prev = row0, *cur = row1;
	memset(prev, 0, (nn + 1) * sizeof *prev);
	prev[0] = true;
	for (size_t i = 1; i <= np; i++) {
		char c = p[i - 1];
		cur[0] = prev[0] && (c == '*' || c == '%');
		for (size_t j = 1; j <= nn; j++) {
			if (c == '*')
				cur[j] = prev[j] || cur[j - 1];
			else if (c == '%')
				cur[j] = prev[j] || (cur[j - 1] && n[j - 1] != '/');
			else
				cur[j] = prev[j - 1] && c == n[j - 1];
		}
		bool *t = prev;
		prev = cur;
		cur = t;
	}
	return prev[nn];
}

/* The name as listed: INBOX for the store's "Inbox". */
static const char *listed(struct imap_session *s, const char *name)
{
	if (strncmp(name, "Inbox", 5) == 0 && (name[5] == 0 || name[5] == '/'))
		return arena_sprintf(&s->ar, "INBOX%s", name + 5);
	return name;
}

/* reference + pattern, decoded, with a leading INBOX in upper case. */
static const char *canonical_pattern(struct imap_session *s, struct str ref, struct str pat,
				     struct error *err)
{
	struct buf raw = BUF_INIT;
	buf_append(&raw, ref.p, ref.len);
	if (ref.len && ref.p[ref.len - 1] != '/' && pat.len && pat.p[0] != '/')
		buf_putc(&raw, '/');
	buf_append(&raw, pat.p, pat.len);
	struct buf dec = BUF_INIT;
	bool ok =
	    imap_sess_mailbox_decode(s, str_make(raw.data ? raw.data : "", raw.len), &dec, err);
	buf_free(&raw);
	if (!ok) {
		buf_free(&dec);
		return NULL;
	}
	if (dec.len > PATTERN_MAX) {
		buf_free(&dec);
		error_set(err, ERR_LIMIT, "pattern longer than %d bytes", PATTERN_MAX);
		return NULL;
	}
	char *p = arena_strdup(&s->ar, buf_cstr(&dec));
	buf_free(&dec);
	if (strncasecmp(p, "inbox", 5) == 0 && (p[5] == 0 || p[5] == '/'))
		memcpy(p, "INBOX", 5);
	return p;
}

struct entry {
	const char *name;               /* store name */
	const struct store_mailbox *mb; /* NULL when it does not exist */
	bool subscribed;
	bool selected;       /* meets the selection options */
	bool child_selected; /* has a descendant that does (RECURSIVEMATCH) */
	bool child_unlisted; /* ... that no pattern matches */
	bool has_children;
};

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* Finds a name in the sorted entries. */
static struct entry *find_entry(struct entry *v, size_t n, const char *name)
{
	struct entry key = {.name = name};
	return bsearch(&key, v, n, sizeof *v, entry_cmp);
}

/* All existing mailboxes and subscribed names in one sorted list, with their facts. */
static struct entry *gather(struct imap_session *s, const struct imap_list_args *a, size_t *n,
			    struct error *err)
{
	struct store_mailbox *mbs;
	size_t nmb;
	const char **subs;
	size_t nsubs;
	if (!store_mailboxes_list(s->account, &s->ar, &mbs, &nmb, err) ||
	    !store_subscriptions_list(s->account, &s->ar, &subs, &nsubs, err))
		return NULL;
	/* Room for every name and every ancestor of a subscription. */
	size_t cap = nmb + nsubs;
	for (size_t i = 0; i < nsubs; i++)
		for (const char *p = subs[i]; *p; p++)
			cap += *p == '/';
	struct entry *v = arena_array(&s->ar, cap ? cap : 1, sizeof *v);
	size_t k = 0;
	for (size_t i = 0; i < nmb; i++)
		v[k++] = (struct entry){
		    .name = mbs[i].name, .mb = &mbs[i], .subscribed = mbs[i].subscribed};
	qsort(v, k, sizeof *v, entry_cmp);
	size_t nexisting = k;
	for (size_t i = 0; i < nsubs; i++)
		if (!find_entry(v, nexisting, subs[i]))
			v[k++] = (struct entry){.name = subs[i], .subscribed = true};
	qsort(v, k, sizeof *v, entry_cmp);
	/* Ancestors of subscribed names that exist nowhere, for RECURSIVEMATCH. */
	if (a->select & IMAP_LIST_SEL_RECURSIVEMATCH) {
		size_t base = k;
		for (size_t i = 0; i < base; i++) {
			char *name = arena_strdup(&s->ar, v[i].name);
			for (char *slash = strrchr(name, '/'); slash; slash = strrchr(name, '/')) {
				*slash = 0;
				if (!find_entry(v, base, name) && k < cap) {
					bool dup = false;
					for (size_t j = base; j < k && !dup; j++)
						dup = strcmp(v[j].name, name) == 0;
					if (!dup)
						v[k++] = (struct entry){
						    .name = arena_strdup(&s->ar, name)};
				}
			}
		}
		qsort(v, k, sizeof *v, entry_cmp);
	}
	/* Selection, children, and children meeting the selection. */
	for (size_t i = 0; i < k; i++) {
		struct entry *e = &v[i];
		if (a->select & IMAP_LIST_SEL_SUBSCRIBED)
			e->selected = e->subscribed;
		else
			e->selected = e->mb != NULL;
		if ((a->select & IMAP_LIST_SEL_SPECIALUSE) && !(e->mb && e->mb->specialuse))
			e->selected = false;
	}
	for (size_t i = 0; i < k; i++) {
		char *name = arena_strdup(&s->ar, v[i].name);
		for (char *slash = strrchr(name, '/'); slash; slash = strrchr(name, '/')) {
			*slash = 0;
			struct entry *parent = find_entry(v, k, name);
			if (!parent)
				continue;
			if (v[i].mb)
				parent->has_children = true;
			if (v[i].selected)
				parent->child_selected = true;
		}
	}
	*n = k;
	return v;
}

static void put_specialuse(uint32_t su, struct buf *b)
{
	for (uint32_t bit = 1; bit & STORE_SPECIALUSE_ALL; bit <<= 1)
		if (su & bit)
			buf_printf(b, " %s", store_specialuse_name(bit));
}

static void list_one(struct imap_session *s, const struct imap_list_args *a, const struct entry *e)
{
	bool recursive = a->select & IMAP_LIST_SEL_RECURSIVEMATCH;
	/* RFC 5258 3.5: a name that does not meet the selection is returned for CHILDINFO
	 * only when a descendant that does is not returned itself (no pattern matches it). */
	bool childinfo = recursive && (e->selected ? e->child_selected : e->child_unlisted);
	if (!e->selected && !childinfo)
		return;
	struct buf b = BUF_INIT;
	buf_puts(&b, "* LIST (");
	size_t start = b.len;
	if (!e->mb)
		buf_puts(&b, " \\NonExistent");
	if (e->subscribed && (e->selected || (a->ret & IMAP_LIST_RET_SUBSCRIBED)) &&
	    ((a->select & IMAP_LIST_SEL_SUBSCRIBED) || (a->ret & IMAP_LIST_RET_SUBSCRIBED)))
		buf_puts(&b, " \\Subscribed");
	if (e->mb) {
		/* RFC 9051 6.3.9.5: children attributes may always be given; they help clients. */
		buf_puts(&b, e->has_children ? " \\HasChildren" : " \\HasNoChildren");
		if (imap_sess_has(s, IMAP_CAP_SPECIAL_USE))
			put_specialuse(e->mb->specialuse, &b);
	}
	/* The attributes were written with a leading space each. */
	if (b.len > start) {
		memmove(b.data + start, b.data + start + 1, b.len - start);
		b.len--;
	}
	buf_puts(&b, ") \"/\" ");
	imap_put_mailbox(s, e->name, &b);
	/* RFC 5258 3.5: CHILDINFO names the selection option a descendant meets. */
	if (childinfo) {
		const char *why =
		    (a->select & IMAP_LIST_SEL_SUBSCRIBED) ? "SUBSCRIBED" : "SPECIAL-USE";
		buf_printf(&b, " (\"CHILDINFO\" (\"%s\"))", why);
	}
	buf_puts(&b, "\r\n");
	imap_sess_write(s, b.data, b.len);
	buf_free(&b);
	/* RFC 5819 2: STATUS right after the LIST of a selectable mailbox. */
	if ((a->ret & IMAP_LIST_RET_STATUS) && e->mb)
		imap_status_line(s, e->mb, a->status_items);
}

/*
 * LSUB (RFC 3501 6.3.9): the subscribed names; and, matched by a pattern with "%", a name
 * that is not subscribed but has subscribed descendants no pattern matches ("%" stopping
 * above them) with \Noselect.
 * A subscribed name that does not exist is \Noselect too.
 */
static void lsub_one(struct imap_session *s, const struct entry *e, bool by_percent)
{
	if (!e->subscribed && !(e->child_unlisted && by_percent))
		return;
	struct buf b = BUF_INIT;
	buf_puts(&b, e->subscribed && e->mb ? "* LSUB () \"/\" " : "* LSUB (\\Noselect) \"/\" ");
	imap_put_mailbox(s, e->name, &b);
	buf_puts(&b, "\r\n");
	imap_sess_write(s, b.data, b.len);
	buf_free(&b);
}

/* The ancestors of every selected name that no pattern matches have a child not listed. */
static void mark_unlisted(struct imap_session *s, struct entry *v, size_t n, const bool *matched)
{
	for (size_t i = 0; i < n; i++) {
		if (!v[i].selected || matched[i])
			continue;
		char *name = arena_strdup(&s->ar, v[i].name);
		for (char *slash = strrchr(name, '/'); slash; slash = strrchr(name, '/')) {
			*slash = 0;
			struct entry *parent = find_entry(v, n, name);
			if (parent)
				parent->child_unlisted = true;
		}
	}
}

void imap_cmd_list(struct imap_session *s)
{
	const struct imap_list_args *a = &s->cmd.u.list;
	const char *what = a->lsub ? "LSUB" : "LIST";
	if (a->extended && !imap_sess_has(s, IMAP_CAP_LIST_EXTENDED)) {
		imap_sess_bad(s, NULL, "LIST-EXTENDED is disabled for this account");
		return;
	}
	if ((a->ret & IMAP_LIST_RET_STATUS) && (!imap_sess_has(s, IMAP_CAP_LIST_STATUS) ||
						!imap_sess_status_items_ok(s, a->status_items)))
		return;
	/* RFC 9051 6.3.9: an empty pattern asks for the separator and the root. */
	if (!a->lsub && !a->extended && a->patterns[0].len == 0) {
		imap_sess_untagged(s, "LIST (\\Noselect) \"/\" \"\"");
		imap_sess_ok(s, NULL, "LIST completed");
		return;
	}
	const char **pats = arena_array(&s->ar, a->npatterns, sizeof *pats);
	size_t np = 0;
	for (size_t i = 0; i < a->npatterns; i++) {
		if (a->patterns[i].len == 0)
			continue;
		struct error err;
		pats[np] = canonical_pattern(s, a->reference, a->patterns[i], &err);
		if (!pats[np]) {
			imap_sess_no(s, "CANNOT", "%s: pattern: %s", what, err.msg);
			return;
		}
		np++;
	}
	struct imap_list_args sel = *a;
	if (a->lsub)
		sel.select = IMAP_LIST_SEL_SUBSCRIBED | IMAP_LIST_SEL_RECURSIVEMATCH;
	struct error err;
	size_t n;
	struct entry *v = gather(s, &sel, &n, &err);
	if (!v) {
		imap_sess_no_err(s, what, &err);
		return;
	}
	size_t rowlen = STORE_MAILBOX_NAME_MAX + 16;
	bool *row0 = arena_array(&s->ar, rowlen + 1, sizeof *row0);
	bool *row1 = arena_array(&s->ar, rowlen + 1, sizeof *row1);
	bool *matched = arena_array(&s->ar, n ? n : 1, sizeof *matched);
	bool *by_percent = arena_array(&s->ar, n ? n : 1, sizeof *by_percent);
	for (size_t i = 0; i < n; i++) {
		const char *shown = listed(s, v[i].name);
		size_t len = strlen(shown);
		for (size_t k = 0; len <= rowlen && k < np; k++) {
			if (!match(pats[k], strlen(pats[k]), shown, len, row0, row1))
				continue;
			matched[i] = true;
			by_percent[i] |= strchr(pats[k], '%') != NULL;
		}
	}
	mark_unlisted(s, v, n, matched);
	for (size_t i = 0; i < n && !s->broken; i++) {
		if (!matched[i])
			continue;
		if (a->lsub)
			lsub_one(s, &v[i], by_percent[i]);
		else
			list_one(s, &sel, &v[i]);
	}
	imap_sess_ok(s, NULL, "%s completed", what);
}
