/*
 * LIST grammar with LIST-EXTENDED (RFC 5258 3), SPECIAL-USE (RFC 6154 5.1)
 * and LIST-STATUS (RFC 5819), and LSUB (RFC 3501 6.3.9).
 */
#include "imap/command.h"

/* list-select-opts; unknown options are BAD (RFC 5258 3.1). */
static bool parse_select_opts(struct imap_parser *p, struct imap_list_args *a)
{
	static const struct {
		const char *word;
		unsigned bit;
	} opts[] = {
	    {"SUBSCRIBED", IMAP_LIST_SEL_SUBSCRIBED},
	    {"REMOTE", IMAP_LIST_SEL_REMOTE},
	    {"RECURSIVEMATCH", IMAP_LIST_SEL_RECURSIVEMATCH},
	    {"SPECIAL-USE", IMAP_LIST_SEL_SPECIALUSE},
	};
	a->extended = true;
	if (!imap_p_open(p))
		return false;
	bool first = true;
	while (!imap_p_take(p, ')')) {
		if (!first && !imap_p_sp(p))
			return false;
		first = false;
		unsigned bit = 0;
		for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
			if (imap_p_take_word(p, opts[i].word))
				bit = opts[i].bit;
		if (!bit)
			return imap_p_fail(p, "unknown LIST selection option");
		a->select |= bit;
	}
	p->depth--;
	/* RFC 5258 3.1: RECURSIVEMATCH needs a base option (SUBSCRIBED or SPECIAL-USE). */
	if ((a->select & IMAP_LIST_SEL_RECURSIVEMATCH) &&
	    !(a->select & (IMAP_LIST_SEL_SUBSCRIBED | IMAP_LIST_SEL_SPECIALUSE)))
		return imap_p_fail(p, "RECURSIVEMATCH needs another selection option");
	return imap_p_sp(p);
}

static bool parse_return_opts(struct imap_parser *p, struct imap_list_args *a)
{
	a->extended = true;
	if (!imap_p_sp(p) || !imap_p_open(p))
		return false;
	bool first = true;
	while (!imap_p_take(p, ')')) {
		if (!first && !imap_p_sp(p))
			return false;
		first = false;
		if (imap_p_take_word(p, "SUBSCRIBED")) {
			a->ret |= IMAP_LIST_RET_SUBSCRIBED;
		} else if (imap_p_take_word(p, "CHILDREN")) {
			a->ret |= IMAP_LIST_RET_CHILDREN;
		} else if (imap_p_take_word(p, "SPECIAL-USE")) {
			a->ret |= IMAP_LIST_RET_SPECIALUSE;
		} else if (imap_p_take_word(p, "STATUS")) {
			a->ret |= IMAP_LIST_RET_STATUS;
			if (!imap_p_sp(p) || !imap_parse_status_items(p, &a->status_items))
				return false;
		} else {
			return imap_p_fail(p, "unknown LIST return option");
		}
	}
	p->depth--;
	return true;
}

bool imap_parse_list(struct imap_parser *p, struct imap_command *c)
{
	struct imap_list_args *a = &c->u.list;
	if (!imap_p_sp(p))
		return false;
	if (imap_p_peek(p) == '(' && !parse_select_opts(p, a))
		return false;
	if (!imap_p_astring(p, &a->reference) || !imap_p_sp(p))
		return false;
	a->patterns = arena_array(p->ar, IMAP_LIST_PATTERNS_MAX, sizeof *a->patterns);
	if (imap_p_peek(p) == '(') {
		/* RFC 5258 3: several patterns. */
		a->extended = true;
		if (!imap_p_open(p))
			return false;
		for (;;) {
			if (a->npatterns == IMAP_LIST_PATTERNS_MAX)
				return imap_p_fail(p, "more than %d patterns",
						   IMAP_LIST_PATTERNS_MAX);
			if (!imap_p_list_mailbox(p, &a->patterns[a->npatterns++]))
				return false;
			if (imap_p_peek(p) == ')')
				break;
			if (!imap_p_sp(p))
				return false;
		}
		if (!imap_p_close(p))
			return false;
	} else if (!imap_p_list_mailbox(p, &a->patterns[a->npatterns++])) {
		return false;
	}
	if (imap_p_take(p, ' ')) {
		if (!imap_p_take_word(p, "RETURN"))
			return imap_p_fail(p, "expected RETURN");
		return parse_return_opts(p, a);
	}
	return true;
}

bool imap_parse_lsub(struct imap_parser *p, struct imap_command *c)
{
	struct imap_list_args *a = &c->u.list;
	a->lsub = true;
	a->patterns = arena_array(p->ar, 1, sizeof *a->patterns);
	a->npatterns = 1;
	return imap_p_sp(p) && imap_p_astring(p, &a->reference) && imap_p_sp(p) &&
	       imap_p_list_mailbox(p, &a->patterns[0]);
}
