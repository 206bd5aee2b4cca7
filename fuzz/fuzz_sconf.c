/*
 * Fuzzes the sconf parser: any input either parses into a well-formed tree or
 * yields a "file:line: message" error; nothing crashes, leaks or reads out of
 * bounds. Checks the tree's invariants on success.
 */
#include "base/arena.h"
#include "config/sconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_tree(const struct sconf_node *n, int depth)
{
	if (depth > SCONF_MAX_DEPTH + 1)
		abort();
	size_t count = 0;
	for (const struct sconf_node *c = n->child; c; c = c->next) {
		count++;
		/* Siblings are all items or all keys; keys never contain a colon. */
		if ((c->key == NULL) != n->items)
			abort();
		if (c->key && (!c->key[0] || strchr(c->key, ':')))
			abort();
		/* A node with a value has no block. */
		if (c->value[0] && c->child)
			abort();
		if (c->line <= 0)
			abort();
		check_tree(c, depth + 1);
	}
	if (count != n->nchildren)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	arena_init(&a, 4096);
	struct error err;
	struct sconf_node *root = sconf_parse((const char *)data, size, "fuzz.conf", &a, &err);
	if (root)
		check_tree(root, 0);
	else if (strncmp(err.msg, "fuzz.conf:", 10) != 0)
		abort();
	arena_free(&a);
	return 0;
}
