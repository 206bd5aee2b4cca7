/*
 * Grammar of the commands that search beyond SEARCH: ESEARCH with its
 * mailbox filters (RFC 7377 4, filter-mailboxes of RFC 5465 6), SORT with
 * ESORT's RETURN (RFC 5256 5, RFC 5267 3) and THREAD (RFC 5256 5).
 */
#include "imap/command.h"

#include <string.h>

static const struct {
	const char *word;
	enum imap_mbfilter_kind kind;
	bool names; /* followed by one-or-more-mailbox */
} mbfilters[] = {
    {"SELECTED-DELAYED", IMAP_MBF_SELECTED_DELAYED, false},
    {"SELECTED", IMAP_MBF_SELECTED, false},
    {"INBOXES", IMAP_MBF_INBOXES, false},
    {"PERSONAL", IMAP_MBF_PERSONAL, false},
    {"SUBSCRIBED", IMAP_MBF_SUBSCRIBED, false},
    {"SUBTREE-ONE", IMAP_MBF_SUBTREE_ONE, true},
    {"SUBTREE", IMAP_MBF_SUBTREE, true},
    {"MAILBOXES", IMAP_MBF_MAILBOXES, true},
};

/* one-or-more-mailbox = mailbox / "(" mailbox *(SP mailbox) ")" */
static bool parse_names(struct imap_parser *p, struct imap_mbfilter *f)
{
	f->names = arena_array(p->ar, IMAP_MBFILTER_NAMES_MAX, sizeof *f->names);
	if (imap_p_peek(p) != '(') {
		f->nnames = 1;
		return imap_p_astring(p, &f->names[0]);
	}
	if (!imap_p_open(p))
		return false;
	for (;;) {
		if (f->nnames == IMAP_MBFILTER_NAMES_MAX)
			return imap_p_fail(p, "more than %d mailboxes", IMAP_MBFILTER_NAMES_MAX);
		if (!imap_p_astring(p, &f->names[f->nnames++]))
			return false;
		if (imap_p_peek(p) == ')')
			return imap_p_close(p);
		if (!imap_p_sp(p))
			return false;
	}
}

bool imap_parse_mbfilter(struct imap_parser *p, unsigned allowed, struct imap_mbfilter *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < sizeof mbfilters / sizeof mbfilters[0]; i++) {
		if (!imap_p_take_word(p, mbfilters[i].word))
			continue;
		if (!(allowed & (1u << mbfilters[i].kind)))
			return imap_p_fail(p, "%s is not allowed here", mbfilters[i].word);
		out->kind = mbfilters[i].kind;
		return !mbfilters[i].names || (imap_p_sp(p) && parse_names(p, out));
	}
	return imap_p_fail(p, "unknown mailbox filter");
}

/* RFC 7377 4: esearch-source-opts = "IN" SP "(" source-mbox [SP "(" scope-options ")"] ")". */
static bool parse_sources(struct imap_parser *p, struct imap_search_args *a)
{
	const unsigned allowed = ~(1u << IMAP_MBF_SELECTED_DELAYED);
	a->sources = arena_array(p->ar, IMAP_MBFILTERS_MAX, sizeof *a->sources);
	if (!imap_p_sp(p) || !imap_p_open(p))
		return false;
	for (;;) {
		if (a->nsources == IMAP_MBFILTERS_MAX)
			return imap_p_fail(p, "more than %d mailbox filters", IMAP_MBFILTERS_MAX);
		if (!imap_parse_mbfilter(p, allowed, &a->sources[a->nsources++]))
			return false;
		if (imap_p_peek(p) == ')')
			return imap_p_close(p);
		if (!imap_p_sp(p))
			return false;
		/* RFC 7377 4: no scope options are defined; any is unknown to us. */
		if (imap_p_peek(p) == '(')
			return imap_p_fail(p, "unknown ESEARCH scope option");
	}
}

bool imap_parse_esearch(struct imap_parser *p, struct imap_command *c)
{
	struct imap_search_args *a = &c->u.search;
	a->esearch = true;
	if (!imap_p_sp(p))
		return false;
	if (imap_p_take_word(p, "IN") && (!parse_sources(p, a) || !imap_p_sp(p)))
		return false;
	return imap_parse_search_args(p, a);
}

/* RFC 5256 5: sort-criteria = "(" sort-criterion *(SP sort-criterion) ")". */
static bool parse_sort_criteria(struct imap_parser *p, struct imap_sort_args *a)
{
	static const struct {
		const char *word;
		enum imap_sort_key key;
	} keys[] = {
	    {"ARRIVAL", IMAP_SORT_ARRIVAL}, {"CC", IMAP_SORT_CC},
	    {"DATE", IMAP_SORT_DATE},       {"FROM", IMAP_SORT_FROM},
	    {"SIZE", IMAP_SORT_SIZE},       {"SUBJECT", IMAP_SORT_SUBJECT},
	    {"TO", IMAP_SORT_TO},
	};
	if (!imap_p_open(p))
		return false;
	for (;;) {
		if (a->ncrit == IMAP_SORT_KEYS_MAX)
			return imap_p_fail(p, "more than %d sort keys", IMAP_SORT_KEYS_MAX);
		struct imap_sort_crit *c = &a->crit[a->ncrit];
		if (imap_p_take_word(p, "REVERSE")) {
			c->reverse = true;
			if (!imap_p_sp(p))
				return false;
		}
		bool found = false;
		for (size_t i = 0; i < sizeof keys / sizeof keys[0] && !found; i++)
			if (imap_p_take_word(p, keys[i].word)) {
				c->key = keys[i].key;
				found = true;
			}
		if (!found)
			return imap_p_fail(p, "unknown sort key");
		a->ncrit++;
		if (imap_p_peek(p) == ')')
			return imap_p_close(p);
		if (!imap_p_sp(p))
			return false;
	}
}

/* The charset SORT and THREAD require (RFC 5256 5): astring, then the search program. */
static bool parse_charset_program(struct imap_parser *p, struct imap_search_args *a)
{
	if (!imap_p_sp(p) || !imap_p_astring(p, &a->charset) || !imap_p_sp(p))
		return false;
	if (a->charset.len == 0)
		return imap_p_fail(p, "empty charset");
	/* The program without RETURN or CHARSET of its own. */
	struct imap_search_args prog = {0};
	if (imap_p_take_prefix(p, "RETURN ") || imap_p_take_prefix(p, "CHARSET "))
		return imap_p_fail(p, "RETURN or CHARSET in the wrong place");
	if (!imap_parse_search_args(p, &prog))
		return false;
	a->root = prog.root;
	a->uses_modseq = prog.uses_modseq;
	a->uses_seqnums = prog.uses_seqnums;
	return true;
}

/* RFC 5267 3: SORT [SP sort-return-opts] SP sort-criteria SP charset SP search-program. */
bool imap_parse_sort(struct imap_parser *p, struct imap_command *c)
{
	struct imap_sort_args *a = &c->u.sort;
	if (!imap_p_sp(p))
		return false;
	if (imap_p_peek(p) != '(' && !imap_parse_search_ret(p, &a->search))
		return false;
	return parse_sort_criteria(p, a) && parse_charset_program(p, &a->search);
}

/* RFC 5256 5: THREAD SP thread-alg SP search-charset SP search-program. */
bool imap_parse_thread(struct imap_parser *p, struct imap_command *c)
{
	struct imap_thread_args *a = &c->u.thread;
	if (!imap_p_sp(p))
		return false;
	if (imap_p_take_word(p, "ORDEREDSUBJECT"))
		a->alg = IMAP_THREAD_ORDEREDSUBJECT;
	else if (imap_p_take_word(p, "REFERENCES"))
		a->alg = IMAP_THREAD_REFERENCES;
	else
		return imap_p_fail(p, "unknown thread algorithm");
	return parse_charset_program(p, &a->search);
}
