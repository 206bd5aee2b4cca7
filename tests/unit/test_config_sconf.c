#include "base/arena.h"
#include "config/sconf.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct arena a;

static void setup(void)
{
	arena_init(&a, 4096);
}

static void teardown(void)
{
	arena_free(&a);
}

TestSuite(sconf, .init = setup, .fini = teardown);

static struct sconf_node *parse(const char *text, struct error *err)
{
	return sconf_parse(text, strlen(text), "t.conf", &a, err);
}

static void expect_error(const char *text, const char *msg)
{
	struct error err;
	struct sconf_node *root = parse(text, &err);
	cr_assert_null(root, "parse of %s should fail", text);
	cr_assert_str_eq(err.msg, msg);
	cr_assert_eq(err.kind, ERR_INVALID);
}

Test(sconf, keys_values_blocks_items)
{
	struct error err;
	struct sconf_node *root = parse("# comment\n"
					"A: one two \n"
					"\n"
					"B:\n"
					"\tC: x: y\n"
					"\t# indented comment\n"
					"\tD:\n"
					"\t\t- item 1\n"
					"\t\t-\n"
					"\t\t\tE: e\n"
					"F:\n",
					&err);
	cr_assert_not_null(root, "%s", err.msg);
	cr_assert_eq(root->nchildren, 3);
	struct sconf_node *n = root->child;
	cr_assert_str_eq(n->key, "A");
	cr_assert_str_eq(n->value, "one two ");
	cr_assert_eq(n->line, 2);
	n = n->next;
	cr_assert_str_eq(n->key, "B");
	cr_assert_str_eq(n->value, "");
	cr_assert_eq(n->line, 4);
	cr_assert_not(n->items);
	struct sconf_node *c = n->child;
	cr_assert_str_eq(c->key, "C");
	cr_assert_str_eq(c->value, "x: y");
	struct sconf_node *d = c->next;
	cr_assert_str_eq(d->key, "D");
	cr_assert(d->items);
	cr_assert_eq(d->nchildren, 2);
	cr_assert_null(d->child->key);
	cr_assert_str_eq(d->child->value, "item 1");
	struct sconf_node *item2 = d->child->next;
	cr_assert_str_eq(item2->value, "");
	cr_assert_str_eq(item2->child->key, "E");
	cr_assert_eq(item2->child->line, 10);
	cr_assert_str_eq(n->next->key, "F");
	cr_assert_null(n->next->child);
}

Test(sconf, four_spaces_count_as_a_tab_and_crlf_is_accepted)
{
	struct error err;
	struct sconf_node *root = parse("A:\r\n    B:\r\n    \tC: c\r\n", &err);
	cr_assert_not_null(root, "%s", err.msg);
	cr_assert_str_eq(root->child->child->child->value, "c");
}

Test(sconf, empty_input_is_an_empty_root)
{
	struct error err;
	struct sconf_node *root = parse("# only comments\n\n", &err);
	cr_assert_not_null(root);
	cr_assert_eq(root->nchildren, 0);
}

Test(sconf, syntax_errors_have_file_and_line)
{
	expect_error("A: 1\n\t\tB: 2\n", "t.conf:2: indented more than the line before allows");
	expect_error("A\n", "t.conf:1: missing colon after key");
	expect_error("A:1\n", "t.conf:1: missing space after colon");
	expect_error(": x\n", "t.conf:1: empty key");
	expect_error("A:\n\t-x\n", "t.conf:2: missing space after \"-\" of a list item");
	expect_error("A: value\n\tB: x\n",
		     "t.conf:2: indented block after a line that already has a value");
	expect_error("A:\n\t- x\n\tB: y\n", "t.conf:3: list items and keys mixed in one block");
	expect_error("A:\n\t B: x\n",
		     "t.conf:2: line starts with a space after its indentation (indent with tabs, "
		     "not spaces)");
	expect_error("A: \xff\n", "t.conf:1: invalid UTF-8");
	expect_error("A: 1\nB: \xc0\xaf\n", "t.conf:2: invalid UTF-8");
}

Test(sconf, nul_byte_is_an_error)
{
	struct error err;
	cr_assert_null(sconf_parse("A: x\0y\n", 7, "t.conf", &a, &err));
	cr_assert_str_eq(err.msg, "t.conf:1: NUL byte in line");
}

Test(sconf, depth_and_line_length_are_bounded)
{
	char text[4096] = "";
	size_t n = 0;
	for (int d = 0; d <= SCONF_MAX_DEPTH; d++) {
		for (int i = 0; i < d; i++)
			text[n++] = '\t';
		n += (size_t)snprintf(text + n, sizeof text - n, "K%d:\n", d);
	}
	expect_error(text, "t.conf:33: nesting too deep");

	size_t big = SCONF_MAX_LINE + 10;
	char *line = malloc(big + 1);
	memset(line, 'x', big);
	memcpy(line, "A: ", 3);
	line[big] = '\0';
	expect_error(line, "t.conf:1: line too long");
	free(line);
}

Test(sconf, whitespace_only_lines_and_indented_comments_are_skipped)
{
	struct error err;
	struct sconf_node *root = parse("A:\n\t \n   # c\n\tB: b\n", &err);
	cr_assert_not_null(root, "%s", err.msg);
	cr_assert_str_eq(root->child->child->key, "B");
}
