/*
 * SEARCH grammar: search-program with CHARSET (RFC 9051 6.4.4), ESEARCH
 * return options (RFC 4731 3.1, RFC 5182 SAVE) and the MODSEQ key
 * (RFC 7162 3.1.5). Nesting (NOT, OR, parentheses) is bounded by
 * IMAP_PARSE_DEPTH_MAX and the number of keys by IMAP_SEARCH_KEYS_MAX.
 */
#include "imap/command.h"

#include "store/flags.h"

#include <string.h>

struct sctx {
	struct imap_parser *p;
	size_t nkeys;
	bool modseq;
	bool seqnums; /* a sequence-set key (not UID) */
};

static bool parse_key(struct sctx *x, struct imap_search_key *k);

static bool deeper(struct sctx *x)
{
	if (++x->p->depth > IMAP_PARSE_DEPTH_MAX) {
		x->p->code = "LIMIT";
		return imap_p_fail(x->p, "search keys nested deeper than %d", IMAP_PARSE_DEPTH_MAX);
	}
	return true;
}

static struct imap_search_key *new_kids(struct sctx *x, size_t n)
{
	return arena_array(x->p->ar, n, sizeof(struct imap_search_key));
}

/* key *(SP key) until ")" (in parentheses) or the end of the command. */
static bool parse_keys(struct sctx *x, struct imap_search_key *and, bool in_parens)
{
	struct imap_parser *p = x->p;
	size_t cap = 4;
	and->op = IMAP_SK_AND;
	and->kids = new_kids(x, cap);
	for (;;) {
		if (and->nkids == cap) {
			struct imap_search_key *v = new_kids(x, cap * 2);
			memcpy(v, and->kids, cap * sizeof *v);
			and->kids = v;
			cap *= 2;
		}
		if (!parse_key(x, &and->kids[ and->nkids]))
			return false;
		and->nkids++;
		if (in_parens ? imap_p_peek(p) == ')' : imap_p_at_end(p))
			return true;
		if (!imap_p_sp(p))
			return false;
	}
}

/* entry-name SP entry-type-req of the MODSEQ key (RFC 7162 3.1.5); checked and ignored:
 * tern keeps one MODSEQ per message for all flags. */
static bool parse_modseq_entry(struct imap_parser *p)
{
	struct str name;
	if (!imap_p_string(p, &name))
		return false;
	if (!str_has_prefixi(name, "/flags/"))
		return imap_p_fail(p, "MODSEQ entry name must be \"/flags/...\"");
	if (!imap_p_sp(p))
		return false;
	if (imap_p_take_word(p, "priv") || imap_p_take_word(p, "shared") ||
	    imap_p_take_word(p, "all"))
		return imap_p_sp(p);
	return imap_p_fail(p, "MODSEQ entry type must be priv, shared or all");
}

static bool simple_flag(struct sctx *x, struct imap_search_key *k)
{
	static const struct {
		const char *word;
		uint32_t flag;
		bool set;
	} flags[] = {
	    {"ANSWERED", STORE_FLAG_ANSWERED, true},  {"DELETED", STORE_FLAG_DELETED, true},
	    {"DRAFT", STORE_FLAG_DRAFT, true},        {"FLAGGED", STORE_FLAG_FLAGGED, true},
	    {"SEEN", STORE_FLAG_SEEN, true},          {"UNANSWERED", STORE_FLAG_ANSWERED, false},
	    {"UNDELETED", STORE_FLAG_DELETED, false}, {"UNDRAFT", STORE_FLAG_DRAFT, false},
	    {"UNFLAGGED", STORE_FLAG_FLAGGED, false}, {"UNSEEN", STORE_FLAG_SEEN, false},
	};
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		if (imap_p_take_word(x->p, flags[i].word)) {
			k->op = flags[i].set ? IMAP_SK_FLAG : IMAP_SK_UNFLAG;
			k->flag = flags[i].flag;
			return true;
		}
	}
	return false;
}

static bool date_key(struct sctx *x, struct imap_search_key *k, bool *matched)
{
	static const struct {
		const char *word;
		enum imap_search_op op;
	} keys[] = {
	    {"BEFORE", IMAP_SK_BEFORE},
	    {"ON", IMAP_SK_ON},
	    {"SINCE", IMAP_SK_SINCE},
	    {"SENTBEFORE", IMAP_SK_SENTBEFORE},
	    {"SENTON", IMAP_SK_SENTON},
	    {"SENTSINCE", IMAP_SK_SENTSINCE},
	    {"SAVEDBEFORE", IMAP_SK_SAVEDBEFORE},
	    {"SAVEDON", IMAP_SK_SAVEDON},
	    {"SAVEDSINCE", IMAP_SK_SAVEDSINCE},
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (imap_p_take_word(x->p, keys[i].word)) {
			*matched = true;
			k->op = keys[i].op;
			return imap_p_sp(x->p) && imap_p_date(x->p, &k->day);
		}
	}
	*matched = false;
	return true;
}

static bool header_key(struct sctx *x, struct imap_search_key *k, bool *matched)
{
	static const char *const fields[] = {"BCC", "CC", "FROM", "SUBJECT", "TO"};
	*matched = true;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		if (imap_p_take_word(x->p, fields[i])) {
			k->op = IMAP_SK_ENVELOPE;
			k->name = str_from(fields[i]);
			return imap_p_sp(x->p) && imap_p_astring(x->p, &k->value);
		}
	}
	if (imap_p_take_word(x->p, "HEADER")) {
		k->op = IMAP_SK_HEADER;
		return imap_p_sp(x->p) && imap_p_astring(x->p, &k->name) && imap_p_sp(x->p) &&
		       imap_p_astring(x->p, &k->value);
	}
	if (imap_p_take_word(x->p, "BODY")) {
		k->op = IMAP_SK_BODY;
		return imap_p_sp(x->p) && imap_p_astring(x->p, &k->value);
	}
	if (imap_p_take_word(x->p, "TEXT")) {
		k->op = IMAP_SK_TEXT;
		return imap_p_sp(x->p) && imap_p_astring(x->p, &k->value);
	}
	*matched = false;
	return true;
}

static bool parse_key(struct sctx *x, struct imap_search_key *k)
{
	struct imap_parser *p = x->p;
	memset(k, 0, sizeof *k);
	if (++x->nkeys > IMAP_SEARCH_KEYS_MAX) {
		p->code = "LIMIT";
		return imap_p_fail(p, "more than %d search keys", IMAP_SEARCH_KEYS_MAX);
	}
	int c = imap_p_peek(p);
	if (c == '(') {
		if (!deeper(x) || !imap_p_expect(p, '('))
			return false;
		bool ok = parse_keys(x, k, true) && imap_p_expect(p, ')');
		p->depth--;
		return ok;
	}
	if (ascii_isdigit(c) || c == '*' || c == '$') {
		k->op = IMAP_SK_SEQSET;
		x->seqnums |= c != '$';
		return imap_p_seqset(p, true, &k->set);
	}
	if (simple_flag(x, k))
		return true;
	bool matched;
	if (!date_key(x, k, &matched) || matched)
		return matched && p->err.kind == ERR_NONE;
	if (!header_key(x, k, &matched) || matched)
		return matched && p->err.kind == ERR_NONE;
	if (imap_p_take_word(p, "ALL")) {
		k->op = IMAP_SK_ALL;
		return true;
	}
	if (imap_p_take_word(p, "SAVEDATESUPPORTED")) {
		k->op = IMAP_SK_SAVEDATESUPPORTED;
		return true;
	}
	bool younger = imap_p_take_word(p, "YOUNGER");
	if (younger || imap_p_take_word(p, "OLDER")) {
		/* RFC 5032 4: interval in seconds, nz-number. */
		k->op = younger ? IMAP_SK_YOUNGER : IMAP_SK_OLDER;
		uint32_t secs;
		if (!imap_p_sp(p) || !imap_p_nznumber(p, &secs))
			return false;
		k->number = secs;
		return true;
	}
	bool emailid = imap_p_take_word(p, "EMAILID");
	if (emailid || imap_p_take_word(p, "THREADID")) {
		/* RFC 8474 6: objectid = 1*255(ALPHA / DIGIT / "_" / "-"). */
		k->op = emailid ? IMAP_SK_EMAILID : IMAP_SK_THREADID;
		return imap_p_sp(p) && imap_p_objectid(p, &k->value);
	}
	if (imap_p_take_word(p, "NEW")) {
		k->op = IMAP_SK_NEW;
		return true;
	}
	if (imap_p_take_word(p, "RECENT")) {
		k->op = IMAP_SK_RECENT;
		return true;
	}
	if (imap_p_take_word(p, "OLD")) {
		k->op = IMAP_SK_OLD;
		return true;
	}
	bool set = imap_p_take_word(p, "KEYWORD");
	if (set || imap_p_take_word(p, "UNKEYWORD")) {
		k->op = set ? IMAP_SK_FLAG : IMAP_SK_UNFLAG;
		return imap_p_sp(p) && imap_p_flag(p, &k->keyword);
	}
	bool larger = imap_p_take_word(p, "LARGER");
	if (larger || imap_p_take_word(p, "SMALLER")) {
		k->op = larger ? IMAP_SK_LARGER : IMAP_SK_SMALLER;
		return imap_p_sp(p) && imap_p_number64(p, &k->number);
	}
	if (imap_p_take_word(p, "UID")) {
		k->op = IMAP_SK_UIDSET;
		return imap_p_sp(p) && imap_p_seqset(p, true, &k->set);
	}
	if (imap_p_take_word(p, "NOT")) {
		k->op = IMAP_SK_NOT;
		k->kids = new_kids(x, 1);
		k->nkids = 1;
		if (!imap_p_sp(p) || !deeper(x))
			return false;
		bool ok = parse_key(x, &k->kids[0]);
		p->depth--;
		return ok;
	}
	if (imap_p_take_word(p, "OR")) {
		k->op = IMAP_SK_OR;
		k->kids = new_kids(x, 2);
		k->nkids = 2;
		if (!imap_p_sp(p) || !deeper(x))
			return false;
		bool ok = parse_key(x, &k->kids[0]) && imap_p_sp(p) && parse_key(x, &k->kids[1]);
		p->depth--;
		return ok;
	}
	if (imap_p_take_word(p, "MODSEQ")) {
		k->op = IMAP_SK_MODSEQ;
		x->modseq = true;
		if (!imap_p_sp(p))
			return false;
		if (imap_p_peek(p) == '"' && !parse_modseq_entry(p))
			return false;
		return imap_p_number64(p, &k->number);
	}
	return imap_p_fail(p, "unknown search key");
}

/* RFC 9394 4: partial-range = nz-number ":" nz-number / "-" nz-number ":" "-" nz-number. */
bool imap_parse_partial_range(struct imap_parser *p, struct imap_partial *out)
{
	bool minus = imap_p_take(p, '-');
	uint32_t a, b;
	if (!imap_p_nznumber(p, &a) || !imap_p_expect(p, ':'))
		return false;
	if (minus && !imap_p_expect(p, '-'))
		return false;
	if (!imap_p_nznumber(p, &b))
		return false;
	if (a > b) {
		uint32_t t = a;
		a = b;
		b = t;
	}
	*out =
	    minus ? (struct imap_partial){-(int64_t)a, -(int64_t)b} : (struct imap_partial){a, b};
	return true;
}

/* search-return-opts = "RETURN" SP "(" [search-return-opt *(SP search-return-opt)] ")", and
 * the SP after it. */
bool imap_parse_search_ret(struct imap_parser *p, struct imap_search_args *a)
{
	static const struct {
		const char *word;
		unsigned bit;
	} opts[] = {
	    {"MIN", IMAP_SEARCH_RET_MIN},   {"MAX", IMAP_SEARCH_RET_MAX},
	    {"ALL", IMAP_SEARCH_RET_ALL},   {"COUNT", IMAP_SEARCH_RET_COUNT},
	    {"SAVE", IMAP_SEARCH_RET_SAVE}, {"PARTIAL", IMAP_SEARCH_RET_PARTIAL},
	};
	a->has_return = true;
	if (!imap_p_take_word(p, "RETURN") || !imap_p_sp(p) || !imap_p_open(p))
		return imap_p_fail(p, "expected RETURN (...)");
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
			return imap_p_fail(p, "unknown SEARCH return option");
		if (bit == IMAP_SEARCH_RET_PARTIAL &&
		    (!imap_p_sp(p) || !imap_parse_partial_range(p, &a->partial)))
			return false;
		a->ret |= bit;
	}
	p->depth--;
	/* RFC 9394 3.1: PARTIAL and ALL exclude each other. */
	if ((a->ret & IMAP_SEARCH_RET_ALL) && (a->ret & IMAP_SEARCH_RET_PARTIAL))
		return imap_p_fail(p, "PARTIAL and ALL together");
	/* RFC 4731 3.1: "RETURN ()" means ALL. */
	if (a->ret == 0)
		a->ret = IMAP_SEARCH_RET_ALL;
	return imap_p_sp(p);
}

bool imap_parse_search_args(struct imap_parser *p, struct imap_search_args *a)
{
	if (imap_p_take_prefix(p, "RETURN ")) {
		p->pos -= 7;
		if (!imap_parse_search_ret(p, a))
			return false;
	}
	if (imap_p_take_word(p, "CHARSET")) {
		if (!imap_p_sp(p))
			return false;
		if (imap_p_peek(p) == '"') {
			if (!imap_p_string(p, &a->charset))
				return false;
		} else if (!imap_p_atom(p, &a->charset)) {
			return false;
		}
		if (!imap_p_sp(p))
			return false;
	}
	struct sctx x = {p, 0, false, false};
	if (!parse_keys(&x, &a->root, false))
		return false;
	a->uses_modseq = x.modseq;
	a->uses_seqnums = x.seqnums;
	return true;
}

bool imap_parse_search(struct imap_parser *p, struct imap_command *c)
{
	return imap_p_sp(p) && imap_parse_search_args(p, &c->u.search);
}
