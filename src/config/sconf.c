#include "config/sconf.h"

#include "base/str.h"
#include "base/utf8.h"

#include <string.h>

/* One content line after indentation and comments are dealt with. */
struct line {
	int number;
	int depth;
	bool item;
	struct str key;
	struct str value;
};

struct parser {
	const char *file;
	struct arena *a;
	struct error *err;
	size_t nodes;
	/* open[d]: the last node at depth d while it can still receive a block; tail of its level.
	 */
	struct sconf_node *open[SCONF_MAX_DEPTH + 1];
	int depth; /* deepest valid index in open[], -1 when none */
};

static bool fail(struct parser *p, int line, const char *msg)
{
	return error_set(p->err, ERR_INVALID, "%s:%d: %s", p->file, line, msg);
}

/* Counts indentation: leading groups of four spaces count as tabs (as mox's parser does), then
 * tabs. */
static int indentation(struct str *s)
{
	int depth = 0;
	size_t i = 0;
	while (i + 4 <= s->len && memcmp(s->p + i, "    ", 4) == 0) {
		depth++;
		i += 4;
	}
	while (i < s->len && s->p[i] == '\t') {
		depth++;
		i++;
	}
	*s = str_sub(*s, i, s->len);
	return depth;
}

static bool blank(struct str s)
{
	for (size_t i = 0; i < s.len; i++)
		if (s.p[i] != ' ' && s.p[i] != '\t')
			return false;
	return true;
}

/* Splits "Key: value" / "Key:" / "- value" / "-" into l. */
static bool split_content(struct parser *p, struct str s, struct line *l)
{
	if (s.p[0] == ' ')
		return fail(p, l->number,
			    "line starts with a space after its indentation (indent with tabs, "
			    "not spaces)");
	if (s.p[0] == '-' && (s.len == 1 || s.p[1] == ' ')) {
		l->item = true;
		l->value = s.len == 1 ? STR_LIT("") : str_sub(s, 2, s.len);
		return true;
	}
	ptrdiff_t colon = str_index(s, ':');
	if (colon < 0) {
		if (s.p[0] == '-')
			return fail(p, l->number, "missing space after \"-\" of a list item");
		return fail(p, l->number, "missing colon after key");
	}
	if (colon == 0)
		return fail(p, l->number, "empty key");
	l->key = str_sub(s, 0, (size_t)colon);
	struct str rest = str_sub(s, (size_t)colon + 1, s.len);
	if (rest.len > 0 && rest.p[0] != ' ')
		return fail(p, l->number, "missing space after colon");
	l->value = rest.len > 0 ? str_sub(rest, 1, rest.len) : rest;
	return true;
}

/*
 * Reads the next content line from text starting at *pos. Returns 1 with l set,
 * 0 at end of input, -1 on error.
 */
static int next_line(struct parser *p, const char *text, size_t len, size_t *pos, int *number,
		     struct line *l)
{
	while (*pos < len) {
		const char *start = text + *pos;
		const char *nl = memchr(start, '\n', len - *pos);
		size_t n = nl ? (size_t)(nl - start) : len - *pos;
		*pos += n + (nl ? 1 : 0);
		(*number)++;
		if (n > SCONF_MAX_LINE) {
			fail(p, *number, "line too long");
			return -1;
		}
		struct str s = str_make(start, n);
		if (s.len > 0 && s.p[s.len - 1] == '\r')
			s.len--;
		if (memchr(s.p, '\0', s.len)) {
			fail(p, *number, "NUL byte in line");
			return -1;
		}
		if (!utf8_valid(s.p, s.len)) {
			fail(p, *number, "invalid UTF-8");
			return -1;
		}
		if (blank(s))
			continue;
		struct str trimmed = str_trim(s);
		if (trimmed.p[0] == '#')
			continue;
		*l = (struct line){.number = *number};
		l->depth = indentation(&s);
		return split_content(p, s, l) ? 1 : -1;
	}
	return 0;
}

static struct sconf_node *new_node(struct parser *p, const struct line *l)
{
	struct sconf_node *n = arena_zalloc(p->a, sizeof *n);
	n->key = l->item ? NULL : arena_memdup0(p->a, l->key.p, l->key.len);
	n->value = arena_memdup0(p->a, l->value.p, l->value.len);
	n->line = l->number;
	return n;
}

/* Places the line's node under the open node one level up. */
static bool place(struct parser *p, struct sconf_node *root, const struct line *l)
{
	if (l->depth >= SCONF_MAX_DEPTH)
		return fail(p, l->number, "nesting too deep");
	if (l->depth > p->depth + 1)
		return fail(p, l->number, "indented more than the line before allows");
	struct sconf_node *parent = l->depth == 0 ? root : p->open[l->depth - 1];
	if (parent->value[0] != '\0')
		return fail(p, l->number, "indented block after a line that already has a value");
	if (parent->child && parent->items != l->item)
		return fail(p, l->number, "list items and keys mixed in one block");
	if (++p->nodes > SCONF_MAX_NODES)
		return fail(p, l->number, "too many entries");
	struct sconf_node *n = new_node(p, l);
	if (!parent->child) {
		parent->child = n;
		parent->items = l->item;
	} else {
		/* The previous sibling is the open node at this depth. */
		p->open[l->depth]->next = n;
	}
	parent->nchildren++;
	p->open[l->depth] = n;
	p->depth = l->depth;
	return true;
}

struct sconf_node *sconf_parse(const char *text, size_t len, const char *file, struct arena *a,
			       struct error *err)
{
	struct parser p = {.file = file, .a = a, .err = err, .depth = -1};
	if (len > SCONF_MAX_FILE) {
		error_set(err, ERR_LIMIT, "%s: file larger than %d bytes", file, SCONF_MAX_FILE);
		return NULL;
	}
	struct sconf_node *root = arena_zalloc(a, sizeof *root);
	root->value = "";
	size_t pos = 0;
	int number = 0;
	for (;;) {
		struct line l;
		int rc = next_line(&p, text, len, &pos, &number, &l);
		if (rc < 0)
			return NULL;
		if (rc == 0)
			break;
		if (!place(&p, root, &l))
			return NULL;
	}
	return root;
}
