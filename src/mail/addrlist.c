#include "mail/addrlist.h"

#include <string.h>

enum tok_kind { T_ATOM, T_QUOTED, T_DLIT, T_COMMENT, T_SPECIAL };

struct tok {
	enum tok_kind kind;
	char special;  /* for T_SPECIAL */
	const char *s; /* text, decoded for quoted strings and comments */
	size_t len;
};

struct parser {
	struct arena *a;
	struct tok *t;
	size_t n, i;
	bool clean;
	struct mail_addrlist *out;
	size_t cap;
};

/* RFC 5322 3.2.3 specials that the parser acts on ("[" "]" '"' "(" ")" "\"
 * are handled by the tokenizer). */
static bool is_special(char c)
{
	return strchr("<>@,;:.", c) != NULL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Reads a quoted string or comment body, removing quoted-pairs. */
static size_t read_delimited(const char *p, size_t n, size_t i, char close, bool nest,
			     struct buf *out)
{
	int depth = 1;
	while (i < n) {
		char c = p[i++];
		if (c == '\\' && i < n) {
			c = p[i++];
		} else if (nest && c == '(') {
			depth++;
		} else if (c == close && --depth == 0) {
			break;
		}
		if (c != '\0')
			buf_putc(out, c);
	}
	return i;
}

static void push_tok(struct tok **v, size_t *n, size_t *cap, struct arena *a, struct tok t)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 32;
		struct tok *nv = arena_array(a, nc, sizeof *nv);
		if (*n)
			memcpy(nv, *v, *n * sizeof *nv);
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = t;
}

static size_t tokenize(struct arena *a, struct str s, struct tok **out)
{
	struct tok *v = NULL;
	size_t n = 0, cap = 0, i = 0;
	const char *p = s.p;
	while (i < s.len) {
		char c = p[i];
		if (is_space(c) || c == '\0') {
			i++;
			continue;
		}
		struct tok t = {0};
		if (c == '"' || c == '(') {
			struct buf b = BUF_INIT;
			i = read_delimited(p, s.len, i + 1, c == '"' ? '"' : ')', c == '(', &b);
			t.kind = c == '"' ? T_QUOTED : T_COMMENT;
			t.s = arena_memdup0(a, b.data ? b.data : "", b.len);
			t.len = b.len;
			buf_free(&b);
		} else if (c == '[') {
			/* Domain literal; an unterminated one is closed. */
			struct buf b = BUF_INIT;
			buf_putc(&b, '[');
			i++;
			while (i < s.len && p[i] != ']') {
				if (p[i] != '\0' && !is_space(p[i]))
					buf_putc(&b, p[i]);
				i++;
			}
			i++;
			buf_putc(&b, ']');
			t.kind = T_DLIT;
			t.s = arena_memdup0(a, b.data, b.len);
			t.len = b.len;
			buf_free(&b);
		} else if (is_special(c)) {
			t.kind = T_SPECIAL;
			t.special = c;
			i++;
		} else {
			size_t st = i;
			while (i < s.len && !is_space(p[i]) && !is_special(p[i]) && p[i] != '"' &&
			       p[i] != '(' && p[i] != '[' && p[i] != '\0' && p[i] != ')' &&
			       p[i] != ']')
				i++;
			if (i == st)
				i++; /* a stray ")" or "]" */
			t.kind = T_ATOM;
			t.s = arena_memdup0(a, p + st, i - st);
			t.len = i - st;
			if (t.len == 1 && (t.s[0] == ')' || t.s[0] == ']'))
				continue;
		}
		push_tok(&v, &n, &cap, a, t);
	}
	*out = v;
	return n;
}

static bool at_special(const struct parser *ps, char c)
{
	return ps->i < ps->n && ps->t[ps->i].kind == T_SPECIAL && ps->t[ps->i].special == c;
}

static void skip_comments(struct parser *ps)
{
	while (ps->i < ps->n && ps->t[ps->i].kind == T_COMMENT)
		ps->i++;
}

static void emit(struct parser *ps, enum mail_address_kind kind, const char *name,
		 const char *route, const char *lp, const char *domain)
{
	/* Room is kept for a group's end marker, so groups stay balanced. */
	size_t limit = kind == MAIL_ADDR_GROUP_END ? MAIL_ADDRESSES_MAX : MAIL_ADDRESSES_MAX - 1;
	if (ps->out->n >= limit) {
		ps->clean = false;
		return;
	}
	if (ps->out->n == ps->cap) {
		size_t nc = ps->cap ? ps->cap * 2 : 4;
		struct mail_address *nv = arena_array(ps->a, nc, sizeof *nv);
		if (ps->out->n)
			memcpy(nv, ps->out->v, ps->out->n * sizeof *nv);
		ps->out->v = nv;
		ps->cap = nc;
	}
	ps->out->v[ps->out->n++] = (struct mail_address){kind, name, route, lp, domain};
}

/* Words of a phrase (RFC 5322 3.2.5, obs-phrase with "."), joined by single
 * spaces with "." attached to the word before it. Comments are skipped; the
 * last one is remembered. */
static char *read_phrase(struct parser *ps, const char **comment)
{
	struct buf b = BUF_INIT;
	while (ps->i < ps->n) {
		const struct tok *t = &ps->t[ps->i];
		if (t->kind == T_COMMENT) {
			*comment = t->s;
			ps->i++;
			continue;
		}
		bool dot = t->kind == T_SPECIAL && t->special == '.';
		if (t->kind == T_SPECIAL && !dot)
			break;
		if (dot) {
			buf_putc(&b, '.');
		} else {
			if (b.len > 0)
				buf_putc(&b, ' ');
			buf_append(&b, t->s, t->len);
		}
		ps->i++;
	}
	char *r = arena_memdup0(ps->a, b.data ? b.data : "", b.len);
	buf_free(&b);
	return r;
}

/* Concatenates atoms, domain literals, quoted strings (local parts only) and
 * the given specials until another special or token (local parts, domains,
 * routes). */
static char *read_joined(struct parser *ps, const char *allowed, bool quoted_ok,
			 const char **comment)
{
	struct buf b = BUF_INIT;
	bool after_word = false; /* words must be separated by "." (obs-local-part, obs-domain) */
	while (ps->i < ps->n) {
		const struct tok *t = &ps->t[ps->i];
		if (t->kind == T_COMMENT) {
			if (comment)
				*comment = t->s;
		} else if (t->kind == T_SPECIAL) {
			if (!strchr(allowed, t->special))
				break;
			buf_putc(&b, t->special);
			after_word = false;
		} else if ((t->kind == T_QUOTED && !quoted_ok) || after_word) {
			break;
		} else {
			buf_append(&b, t->s, t->len);
			after_word = true;
		}
		ps->i++;
	}
	char *r = arena_memdup0(ps->a, b.data ? b.data : "", b.len);
	buf_free(&b);
	return r;
}

/* Skips to the next "," (or ";" ending a group) after a syntax error. */
static void recover(struct parser *ps, bool in_group)
{
	ps->clean = false;
	while (ps->i < ps->n && !at_special(ps, ',') && !(in_group && at_special(ps, ';')))
		ps->i++;
}

/* angle-addr after "<": [obs-route] addr-spec ">" (RFC 5322 3.4, 4.4). */
static void read_angle(struct parser *ps, const char *name, bool in_group)
{
	ps->i++;
	const char *route = "";
	if (at_special(ps, '@')) {
		size_t save = ps->i;
		route = read_joined(ps, "@,.", false, NULL);
		if (at_special(ps, ':')) {
			ps->i++;
			/* The route's trailing "," separators are obsolete padding. */
			size_t rl = strlen(route);
			while (rl > 0 && route[rl - 1] == ',')
				rl--;
			route = arena_strndup(ps->a, route, rl);
		} else {
			ps->i = save; /* "<@domain>": no route after all */
			route = "";
		}
	}
	const char *lp = read_joined(ps, ".", true, NULL);
	const char *domain = "";
	if (at_special(ps, '@')) {
		ps->i++;
		domain = read_joined(ps, ".", false, NULL);
	}
	if (at_special(ps, '>'))
		ps->i++;
	else
		recover(ps, in_group);
	emit(ps, MAIL_ADDR_MAILBOX, name, route, lp, domain);
}

/* One mailbox; false when nothing was there. */
static bool read_mailbox(struct parser *ps, bool in_group)
{
	size_t start = ps->i;
	const char *comment = NULL;
	const char *phrase = read_phrase(ps, &comment);
	if (at_special(ps, '<')) {
		read_angle(ps, phrase, in_group);
		/* A comment after the address is ignored when there is a name. */
		while (ps->i < ps->n && ps->t[ps->i].kind == T_COMMENT)
			ps->i++;
		return true;
	}
	if (at_special(ps, '@')) {
		/* addr-spec: the "phrase" was the local part. */
		ps->i = start;
		comment = NULL;
		const char *lp = read_joined(ps, ".", true, &comment);
		if (!at_special(ps, '@')) {
			/* Words without dots ("John Doe@x"): keep the first, skip to "@". */
			ps->clean = false;
			while (ps->i < ps->n && !at_special(ps, '@'))
				ps->i++;
		}
		ps->i++;
		const char *domain = read_joined(ps, ".", false, &comment);
		emit(ps, MAIL_ADDR_MAILBOX, comment ? comment : "", "", lp, domain);
		return true;
	}
	if (phrase[0] != '\0') {
		/* A bare word without "@": keep it as a local part without domain. */
		ps->clean = false;
		emit(ps, MAIL_ADDR_MAILBOX, "", "", phrase, "");
		return true;
	}
	return false;
}

static void read_group(struct parser *ps, const char *name)
{
	ps->i++;
	size_t before_start = ps->out->n;
	emit(ps, MAIL_ADDR_GROUP_START, name, "", "", "");
	bool opened = ps->out->n > before_start;
	for (skip_comments(ps); ps->i < ps->n && !at_special(ps, ';'); skip_comments(ps)) {
		if (at_special(ps, ',')) {
			ps->i++;
			continue;
		}
		size_t before = ps->i;
		if (!read_mailbox(ps, true) || ps->i == before ||
		    (!at_special(ps, ',') && !at_special(ps, ';') && ps->i < ps->n))
			recover(ps, true);
	}
	if (at_special(ps, ';'))
		ps->i++;
	else
		ps->clean = false;
	if (opened)
		emit(ps, MAIL_ADDR_GROUP_END, "", "", "", "");
}

bool mail_addrlist_parse(struct arena *a, struct str value, struct mail_addrlist *out)
{
	out->v = NULL;
	out->n = 0;
	if (value.len > MAIL_FIELD_BYTES_MAX)
		value.len = MAIL_FIELD_BYTES_MAX;
	struct parser ps = {.a = a, .clean = true, .out = out};
	ps.n = tokenize(a, value, &ps.t);
	for (skip_comments(&ps); ps.i < ps.n; skip_comments(&ps)) {
		if (at_special(&ps, ',')) {
			ps.i++;
			continue;
		}
		size_t start = ps.i;
		const char *comment = NULL;
		const char *phrase = read_phrase(&ps, &comment);
		if (at_special(&ps, ':')) {
			read_group(&ps, phrase);
		} else {
			ps.i = start;
			if (!read_mailbox(&ps, false) || ps.i == start) {
				recover(&ps, false);
				if (ps.i == start)
					ps.i++;
			}
		}
		skip_comments(&ps);
		if (ps.i < ps.n && !at_special(&ps, ','))
			recover(&ps, false);
	}
	return ps.clean;
}

/* RFC 5322 3.2.3 atext, plus UTF-8 (RFC 6532 3.2). */
static bool is_atext(unsigned char c)
{
	return ascii_isalnum(c) || c >= 0x80 ||
	       (c > 32 && c < 127 && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

static void put_quoted(struct buf *out, const char *s)
{
	buf_putc(out, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(out, '\\');
		buf_putc(out, *s);
	}
	buf_putc(out, '"');
}

/* Atoms separated by single spaces can go unquoted. */
static bool is_atom_phrase(const char *s)
{
	if (!*s || *s == ' ')
		return false;
	for (const char *p = s; *p; p++) {
		if (*p == ' ') {
			if (p[1] == ' ' || p[1] == '\0')
				return false;
		} else if (!is_atext((unsigned char)*p)) {
			return false;
		}
	}
	return true;
}

static bool is_dot_atom(const char *s)
{
	if (!*s || *s == '.')
		return false;
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (p[1] == '.' || p[1] == '\0')
				return false;
		} else if (!is_atext((unsigned char)*p)) {
			return false;
		}
	}
	return true;
}

static void put_phrase(struct buf *out, const char *s)
{
	if (is_atom_phrase(s))
		buf_puts(out, s);
	else
		put_quoted(out, s);
}

static void put_mailbox(struct buf *out, const struct mail_address *m)
{
	bool angle = m->name[0] || m->route[0] || !m->localpart[0] || !m->domain[0];
	if (m->name[0]) {
		put_phrase(out, m->name);
		buf_putc(out, ' ');
	}
	if (angle)
		buf_putc(out, '<');
	if (m->route[0]) {
		buf_puts(out, m->route);
		buf_putc(out, ':');
	}
	if (is_dot_atom(m->localpart))
		buf_puts(out, m->localpart);
	else if (m->localpart[0] || m->domain[0])
		put_quoted(out, m->localpart);
	if (m->domain[0]) {
		buf_putc(out, '@');
		buf_puts(out, m->domain);
	}
	if (angle)
		buf_putc(out, '>');
}

void mail_addrlist_format(const struct mail_addrlist *l, struct buf *out)
{
	bool need_comma = false;
	for (size_t i = 0; i < l->n; i++) {
		const struct mail_address *m = &l->v[i];
		if (m->kind == MAIL_ADDR_GROUP_END) {
			buf_putc(out, ';');
			need_comma = true;
			continue;
		}
		if (need_comma)
			buf_puts(out, ", ");
		if (m->kind == MAIL_ADDR_GROUP_START) {
			if (m->name[0])
				put_phrase(out, m->name);
			buf_putc(out, ':');
			need_comma = false;
			continue;
		}
		put_mailbox(out, m);
		need_comma = true;
	}
}

const struct mail_address *mail_addrlist_first_mailbox(const struct mail_addrlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].kind == MAIL_ADDR_MAILBOX)
			return &l->v[i];
	return NULL;
}
