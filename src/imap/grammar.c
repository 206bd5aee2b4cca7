/*
 * The command grammar (RFC 9051 9): the table of commands and the parsers
 * of the simple ones. FETCH, SEARCH and LIST have their own files.
 */
#include "imap/command.h"

#include "store/mailbox.h"

#include <string.h>

typedef bool (*parse_fn)(struct imap_parser *p, struct imap_command *c);

static bool parse_none(struct imap_parser *p, struct imap_command *c);
static bool parse_id(struct imap_parser *p, struct imap_command *c);
static bool parse_authenticate(struct imap_parser *p, struct imap_command *c);
static bool parse_login(struct imap_parser *p, struct imap_command *c);
static bool parse_enable(struct imap_parser *p, struct imap_command *c);
static bool parse_select(struct imap_parser *p, struct imap_command *c);
static bool parse_create(struct imap_parser *p, struct imap_command *c);
static bool parse_mailbox_only(struct imap_parser *p, struct imap_command *c);
static bool parse_rename(struct imap_parser *p, struct imap_command *c);
static bool parse_status(struct imap_parser *p, struct imap_command *c);
static bool parse_append(struct imap_parser *p, struct imap_command *c);
static bool parse_uid_expunge(struct imap_parser *p, struct imap_command *c);
static bool parse_store(struct imap_parser *p, struct imap_command *c);
static bool parse_copy(struct imap_parser *p, struct imap_command *c);
static bool parse_quota_root(struct imap_parser *p, struct imap_command *c);
static bool parse_replace(struct imap_parser *p, struct imap_command *c);
static bool parse_setquota(struct imap_parser *p, struct imap_command *c);

static const struct {
	const char *name;
	enum imap_cmd_kind kind;
	bool uid; /* only after "UID " */
	parse_fn parse;
} commands[] = {
    {"CAPABILITY", IMAP_CMD_CAPABILITY, false, parse_none},
    {"NOOP", IMAP_CMD_NOOP, false, parse_none},
    {"LOGOUT", IMAP_CMD_LOGOUT, false, parse_none},
    {"ID", IMAP_CMD_ID, false, parse_id},
    {"STARTTLS", IMAP_CMD_STARTTLS, false, parse_none},
    {"AUTHENTICATE", IMAP_CMD_AUTHENTICATE, false, parse_authenticate},
    {"LOGIN", IMAP_CMD_LOGIN, false, parse_login},
    {"ENABLE", IMAP_CMD_ENABLE, false, parse_enable},
    {"SELECT", IMAP_CMD_SELECT, false, parse_select},
    {"EXAMINE", IMAP_CMD_EXAMINE, false, parse_select},
    {"CREATE", IMAP_CMD_CREATE, false, parse_create},
    {"DELETE", IMAP_CMD_DELETE, false, parse_mailbox_only},
    {"RENAME", IMAP_CMD_RENAME, false, parse_rename},
    {"SUBSCRIBE", IMAP_CMD_SUBSCRIBE, false, parse_mailbox_only},
    {"UNSUBSCRIBE", IMAP_CMD_UNSUBSCRIBE, false, parse_mailbox_only},
    {"LIST", IMAP_CMD_LIST, false, imap_parse_list},
    {"LSUB", IMAP_CMD_LSUB, false, imap_parse_lsub},
    {"NAMESPACE", IMAP_CMD_NAMESPACE, false, parse_none},
    {"STATUS", IMAP_CMD_STATUS, false, parse_status},
    {"APPEND", IMAP_CMD_APPEND, false, parse_append},
    {"IDLE", IMAP_CMD_IDLE, false, parse_none},
    {"GETQUOTA", IMAP_CMD_GETQUOTA, false, parse_quota_root},
    {"GETQUOTAROOT", IMAP_CMD_GETQUOTAROOT, false, parse_mailbox_only},
    {"SETQUOTA", IMAP_CMD_SETQUOTA, false, parse_setquota},
    {"CHECK", IMAP_CMD_CHECK, false, parse_none},
    {"CLOSE", IMAP_CMD_CLOSE, false, parse_none},
    {"UNSELECT", IMAP_CMD_UNSELECT, false, parse_none},
    {"EXPUNGE", IMAP_CMD_EXPUNGE, false, parse_none},
    {"EXPUNGE", IMAP_CMD_UID_EXPUNGE, true, parse_uid_expunge},
    {"SEARCH", IMAP_CMD_SEARCH, false, imap_parse_search},
    {"SEARCH", IMAP_CMD_SEARCH, true, imap_parse_search},
    {"FETCH", IMAP_CMD_FETCH, false, imap_parse_fetch},
    {"FETCH", IMAP_CMD_FETCH, true, imap_parse_fetch},
    {"STORE", IMAP_CMD_STORE, false, parse_store},
    {"STORE", IMAP_CMD_STORE, true, parse_store},
    {"COPY", IMAP_CMD_COPY, false, parse_copy},
    {"COPY", IMAP_CMD_COPY, true, parse_copy},
    {"MOVE", IMAP_CMD_MOVE, false, parse_copy},
    {"MOVE", IMAP_CMD_MOVE, true, parse_copy},
    {"REPLACE", IMAP_CMD_REPLACE, false, parse_replace},
    {"REPLACE", IMAP_CMD_REPLACE, true, parse_replace},
    {"ESEARCH", IMAP_CMD_ESEARCH, false, imap_parse_esearch},
    {"SORT", IMAP_CMD_SORT, false, imap_parse_sort},
    {"SORT", IMAP_CMD_SORT, true, imap_parse_sort},
    {"THREAD", IMAP_CMD_THREAD, false, imap_parse_thread},
    {"THREAD", IMAP_CMD_THREAD, true, imap_parse_thread},
};

const char *imap_cmd_name(enum imap_cmd_kind k, bool uid)
{
	static const char *const uid_names[] = {
	    [IMAP_CMD_UID_EXPUNGE] = "UID EXPUNGE", [IMAP_CMD_SEARCH] = "UID SEARCH",
	    [IMAP_CMD_FETCH] = "UID FETCH",         [IMAP_CMD_STORE] = "UID STORE",
	    [IMAP_CMD_COPY] = "UID COPY",           [IMAP_CMD_MOVE] = "UID MOVE",
	    [IMAP_CMD_REPLACE] = "UID REPLACE",     [IMAP_CMD_SORT] = "UID SORT",
	    [IMAP_CMD_THREAD] = "UID THREAD",
	};
	if (uid && k < IMAP_CMD_COUNT && uid_names[k])
		return uid_names[k];
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (commands[i].kind == k)
			return commands[i].name;
	return "command";
}

bool imap_command_parse(struct imap_parser *p, struct imap_command *c)
{
	memset(c, 0, sizeof *c);
	if (!imap_p_tag(p, &c->tag) || !imap_p_sp(p))
		return false;
	struct str name;
	if (!imap_p_atom(p, &name))
		return imap_p_fail(p, "expected a command name");
	if (str_eqi_cstr(name, "UID")) {
		c->uid = true;
		if (!imap_p_sp(p) || !imap_p_atom(p, &name))
			return imap_p_fail(p, "expected a command after UID");
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (commands[i].uid != c->uid || !str_eqi_cstr(name, commands[i].name))
			continue;
		c->kind = commands[i].kind;
		return commands[i].parse(p, c) && imap_p_end(p);
	}
	return imap_p_fail(p, "unknown command %s%.*s", c->uid ? "UID " : "",
			   (int)(name.len > 40 ? 40 : name.len), name.p);
}

static bool parse_none(struct imap_parser *p, struct imap_command *c)
{
	(void)p;
	(void)c;
	return true;
}

/* RFC 2971: "ID" SP ( "(" string SP nstring *(SP string SP nstring) ")" / nil ). */
#define ID_PARAMS_MAX 30 /* RFC 2971 3.3 */

static bool parse_id(struct imap_parser *p, struct imap_command *c)
{
	struct imap_id_args *a = &c->u.id;
	if (!imap_p_sp(p))
		return false;
	if (imap_p_take_word(p, "NIL")) {
		a->nil = true;
		return true;
	}
	if (!imap_p_open(p))
		return false;
	a->keys = arena_array(p->ar, ID_PARAMS_MAX, sizeof *a->keys);
	a->values = arena_array(p->ar, ID_PARAMS_MAX, sizeof *a->values);
	/* RFC 2971 allows "()" only as NIL; accept it as an empty list anyway. */
	if (imap_p_take(p, ')')) {
		p->depth--;
		return true;
	}
	for (;;) {
		if (a->n == ID_PARAMS_MAX)
			return imap_p_fail(p, "more than %d ID parameters", ID_PARAMS_MAX);
		if (!imap_p_string(p, &a->keys[a->n]) || !imap_p_sp(p) ||
		    !imap_p_nstring(p, &a->values[a->n]))
			return false;
		a->n++;
		if (imap_p_take(p, ')')) {
			p->depth--;
			return true;
		}
		if (!imap_p_sp(p))
			return false;
	}
}

static bool parse_authenticate(struct imap_parser *p, struct imap_command *c)
{
	struct imap_authenticate_args *a = &c->u.authenticate;
	if (!imap_p_sp(p) || !imap_p_atom(p, &a->mech))
		return false;
	if (imap_p_take(p, ' ')) {
		/* RFC 4959 SASL-IR: base64 or "=". */
		a->has_initial = true;
		a->initial = imap_p_rest(p);
		if (a->initial.len == 0)
			return imap_p_fail(p, "empty initial response (use \"=\")");
		p->pos = p->len;
	}
	return true;
}

static bool parse_login(struct imap_parser *p, struct imap_command *c)
{
	struct imap_login_args *a = &c->u.login;
	return imap_p_sp(p) && imap_p_astring(p, &a->user) && imap_p_sp(p) &&
	       imap_p_astring(p, &a->password);
}

#define ENABLE_CAPS_MAX 32

static bool parse_enable(struct imap_parser *p, struct imap_command *c)
{
	struct imap_enable_args *a = &c->u.enable;
	a->caps = arena_array(p->ar, ENABLE_CAPS_MAX, sizeof *a->caps);
	do {
		if (a->n == ENABLE_CAPS_MAX)
			return imap_p_fail(p, "more than %d capabilities", ENABLE_CAPS_MAX);
		if (!imap_p_sp(p) || !imap_p_atom(p, &a->caps[a->n++]))
			return false;
	} while (!imap_p_at_end(p));
	return true;
}

static bool parse_mailbox(struct imap_parser *p, struct str *out)
{
	return imap_p_astring(p, out);
}

/* A set of plain numbers: no "*" and no "$" (QRESYNC's known sets). */
static bool parse_plain_set(struct imap_parser *p, struct imap_seqset *out)
{
	size_t start = p->pos;
	while (p->pos < p->len &&
	       (ascii_isdigit(p->p[p->pos]) || p->p[p->pos] == ':' || p->p[p->pos] == ','))
		p->pos++;
	struct error e;
	if (!imap_seqset_parse(str_make(p->p + start, p->pos - start), false, false, p->ar, out,
			       &e))
		return imap_p_fail(p, "%s", e.msg);
	return true;
}

/* QRESYNC parameters (RFC 7162 3.2.5.1): "(" uidvalidity SP mod-sequence-value
 * [SP known-uids] [SP seq-match-data] ")". */
static bool parse_qresync(struct imap_parser *p, struct imap_select_args *a)
{
	a->qresync = true;
	if (!imap_p_sp(p) || !imap_p_open(p) || !imap_p_nznumber(p, &a->uidvalidity) ||
	    !imap_p_sp(p) || !imap_p_nznumber64(p, &a->modseq))
		return false;
	if (!imap_p_take(p, ' '))
		return imap_p_close(p);
	if (imap_p_peek(p) != '(') {
		if (!parse_plain_set(p, &a->known_uids))
			return false;
		a->has_known_uids = true;
		if (!imap_p_take(p, ' '))
			return imap_p_close(p);
	}
	/* seq-match-data = "(" known-sequence-set SP known-uid-set ")" */
	a->has_seq_match = true;
	return imap_p_open(p) && parse_plain_set(p, &a->known_seqs) && imap_p_sp(p) &&
	       parse_plain_set(p, &a->known_seq_uids) && imap_p_close(p) && imap_p_close(p);
}

static bool parse_select(struct imap_parser *p, struct imap_command *c)
{
	struct imap_select_args *a = &c->u.select;
	if (!imap_p_sp(p) || !parse_mailbox(p, &a->mailbox))
		return false;
	if (!imap_p_take(p, ' '))
		return true;
	/* RFC 4466 select-params: "(" select-param *(SP select-param) ")" */
	if (!imap_p_open(p))
		return false;
	for (;;) {
		if (imap_p_take_word(p, "CONDSTORE")) {
			if (a->condstore)
				return imap_p_fail(p, "CONDSTORE given twice");
			a->condstore = true;
		} else if (imap_p_take_word(p, "QRESYNC")) {
			if (a->qresync)
				return imap_p_fail(p, "QRESYNC given twice");
			if (!parse_qresync(p, a))
				return false;
		} else {
			return imap_p_fail(p, "unknown SELECT parameter");
		}
		if (imap_p_peek(p) == ')')
			return imap_p_close(p);
		if (!imap_p_sp(p))
			return false;
	}
}

/* RFC 6154 5.2 / RFC 4466: CREATE mailbox [SP "(" "USE" SP "(" use-attr ... ")" ")"]. */
static bool parse_create(struct imap_parser *p, struct imap_command *c)
{
	struct imap_create_args *a = &c->u.create;
	if (!imap_p_sp(p) || !parse_mailbox(p, &a->mailbox))
		return false;
	if (!imap_p_take(p, ' '))
		return true;
	if (!imap_p_open(p))
		return false;
	for (;;) {
		if (!imap_p_take_word(p, "USE"))
			return imap_p_fail(p, "unknown CREATE parameter");
		if (!imap_p_sp(p) || !imap_p_open(p))
			return false;
		for (;;) {
			struct str f;
			if (!imap_p_flag(p, &f))
				return false;
			uint32_t bit = 0;
			for (uint32_t b = 1; b & STORE_SPECIALUSE_ALL; b <<= 1)
				if (str_eqi_cstr(f, store_specialuse_name(b)))
					bit = b;
			if (!bit && a->bad_use.len == 0)
				a->bad_use = f;
			a->use |= bit;
			if (imap_p_peek(p) == ')')
				break;
			if (!imap_p_sp(p))
				return false;
		}
		if (!imap_p_close(p))
			return false;
		if (imap_p_peek(p) == ')')
			return imap_p_close(p);
		if (!imap_p_sp(p))
			return false;
	}
}

static bool parse_mailbox_only(struct imap_parser *p, struct imap_command *c)
{
	return imap_p_sp(p) && parse_mailbox(p, &c->u.mailbox.name);
}

static bool parse_rename(struct imap_parser *p, struct imap_command *c)
{
	return imap_p_sp(p) && parse_mailbox(p, &c->u.rename.from) && imap_p_sp(p) &&
	       parse_mailbox(p, &c->u.rename.to);
}

bool imap_parse_status_items(struct imap_parser *p, unsigned *items)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {
	    {"MESSAGES", IMAP_STATUS_MESSAGES},
	    {"UIDNEXT", IMAP_STATUS_UIDNEXT},
	    {"UIDVALIDITY", IMAP_STATUS_UIDVALIDITY},
	    {"UNSEEN", IMAP_STATUS_UNSEEN},
	    {"DELETED", IMAP_STATUS_DELETED},
	    {"SIZE", IMAP_STATUS_SIZE},
	    {"RECENT", IMAP_STATUS_RECENT},
	    {"HIGHESTMODSEQ", IMAP_STATUS_HIGHESTMODSEQ},
	    {"APPENDLIMIT", IMAP_STATUS_APPENDLIMIT},
	    {"DELETED-STORAGE", IMAP_STATUS_DELETED_STORAGE},
	    {"MAILBOXID", IMAP_STATUS_MAILBOXID},
	};
	*items = 0;
	if (!imap_p_open(p))
		return false;
	for (;;) {
		struct str w;
		if (!imap_p_atom(p, &w))
			return false;
		unsigned bit = 0;
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			if (str_eqi_cstr(w, names[i].name))
				bit = names[i].bit;
		if (!bit)
			return imap_p_fail(p, "unknown status item %.*s",
					   (int)(w.len > 40 ? 40 : w.len), w.p);
		*items |= bit;
		if (imap_p_peek(p) == ')')
			return imap_p_close(p);
		if (!imap_p_sp(p))
			return false;
	}
}

static bool parse_status(struct imap_parser *p, struct imap_command *c)
{
	struct imap_status_args *a = &c->u.status;
	return imap_p_sp(p) && parse_mailbox(p, &a->mailbox) && imap_p_sp(p) &&
	       imap_parse_status_items(p, &a->items);
}

/* append-message = [flag-list SP] [date-time SP] literal (RFC 9051, RFC 3516 literal8). */
static bool parse_append_message(struct imap_parser *p, struct imap_append_msg *m)
{
	if (imap_p_peek(p) == '(') {
		if (!imap_p_flag_list(p, IMAP_APPEND_FLAGS_MAX, &m->flags, &m->nflags) ||
		    !imap_p_sp(p))
			return false;
	}
	if (imap_p_peek(p) == '"') {
		m->has_date = true;
		if (!imap_p_datetime(p, &m->date, &m->date_tz) || !imap_p_sp(p))
			return false;
	}
	return imap_p_message_literal(p, &m->data);
}

/* APPEND mailbox 1*(SP append-message): several messages are MULTIAPPEND (RFC 3502 6). */
static bool parse_append(struct imap_parser *p, struct imap_command *c)
{
	struct imap_append_args *a = &c->u.append;
	if (!imap_p_sp(p) || !parse_mailbox(p, &a->mailbox))
		return false;
	a->msgs = arena_array(p->ar, IMAP_APPEND_MSGS_MAX, sizeof *a->msgs);
	do {
		if (a->n == IMAP_APPEND_MSGS_MAX)
			return imap_p_fail(p, "more than %d messages in one APPEND",
					   IMAP_APPEND_MSGS_MAX);
		struct imap_append_msg *m = &a->msgs[a->n++];
		memset(m, 0, sizeof *m);
		if (!imap_p_sp(p) || !parse_append_message(p, m))
			return false;
	} while (!imap_p_at_end(p));
	return true;
}

static bool parse_uid_expunge(struct imap_parser *p, struct imap_command *c)
{
	return imap_p_sp(p) && imap_p_seqset(p, true, &c->u.uid_expunge.set);
}

/* STORE seq SP [(UNCHANGEDSINCE n) SP] ["+"/"-"]FLAGS[.SILENT] SP flags. */
static bool parse_store(struct imap_parser *p, struct imap_command *c)
{
	struct imap_store_args *a = &c->u.store;
	if (!imap_p_sp(p) || !imap_p_seqset(p, true, &a->set) || !imap_p_sp(p))
		return false;
	if (imap_p_peek(p) == '(') {
		/* RFC 7162 3.1.3: store-modifiers; UNCHANGEDSINCE is the only one. */
		if (!imap_p_open(p) || !imap_p_take_word(p, "UNCHANGEDSINCE"))
			return imap_p_fail(p, "unknown STORE modifier");
		a->unchangedsince_set = true;
		if (!imap_p_sp(p) || !imap_p_number64(p, &a->unchangedsince) || !imap_p_close(p) ||
		    !imap_p_sp(p))
			return false;
	}
	a->op = imap_p_take(p, '+')   ? IMAP_STORE_ADD
		: imap_p_take(p, '-') ? IMAP_STORE_REMOVE
				      : IMAP_STORE_REPLACE;
	if (imap_p_take_word(p, "FLAGS.SILENT"))
		a->silent = true;
	else if (!imap_p_take_word(p, "FLAGS"))
		return imap_p_fail(p, "expected FLAGS or FLAGS.SILENT");
	if (!imap_p_sp(p))
		return false;
	if (imap_p_peek(p) == '(')
		return imap_p_flag_list(p, IMAP_STORE_FLAGS_MAX, &a->flags, &a->nflags);
	/* flag *(SP flag) without parentheses */
	a->flags = arena_array(p->ar, IMAP_STORE_FLAGS_MAX, sizeof *a->flags);
	for (;;) {
		if (a->nflags == IMAP_STORE_FLAGS_MAX)
			return imap_p_fail(p, "too many flags");
		if (!imap_p_flag(p, &a->flags[a->nflags++]))
			return false;
		if (!imap_p_take(p, ' '))
			return true;
	}
}

static bool parse_copy(struct imap_parser *p, struct imap_command *c)
{
	struct imap_copy_args *a = &c->u.copy;
	return imap_p_sp(p) && imap_p_seqset(p, true, &a->set) && imap_p_sp(p) &&
	       parse_mailbox(p, &a->mailbox);
}

/* RFC 9208 4.1.1: GETQUOTA quota-root-name. */
static bool parse_quota_root(struct imap_parser *p, struct imap_command *c)
{
	return imap_p_sp(p) && imap_p_astring(p, &c->u.quota.root);
}

/* RFC 9208 4.1.3: SETQUOTA quota-root-name SP "(" [resource-name SP number64 ...] ")".
 * Parsed so the refusal is about the command, not its syntax. */
static bool parse_setquota(struct imap_parser *p, struct imap_command *c)
{
	if (!imap_p_sp(p) || !imap_p_astring(p, &c->u.quota.root) || !imap_p_sp(p) ||
	    !imap_p_open(p))
		return false;
	while (imap_p_peek(p) != ')') {
		struct str name;
		uint64_t limit;
		if (!imap_p_atom(p, &name) || !imap_p_sp(p) || !imap_p_number64(p, &limit))
			return false;
		if (imap_p_peek(p) != ')' && !imap_p_sp(p))
			return false;
	}
	return imap_p_close(p);
}

/* RFC 8508 5: REPLACE SP seq-number SP mailbox SP append-message (UID REPLACE: a UID). */
static bool parse_replace(struct imap_parser *p, struct imap_command *c)
{
	struct imap_replace_args *a = &c->u.replace;
	struct imap_seqset set;
	if (!imap_p_sp(p) || !imap_p_seqset(p, false, &set))
		return false;
	if (set.n != 1 || set.v[0].first != set.v[0].last)
		return imap_p_fail(p, "REPLACE takes one message");
	a->msg = set.v[0];
	return imap_p_sp(p) && parse_mailbox(p, &a->mailbox) && imap_p_sp(p) &&
	       parse_append_message(p, &a->msg_data);
}
