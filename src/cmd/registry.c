#include "cmd/cmd.h"

#include "base/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const struct command_group *cmd_groups(size_t *ngroups)
{
	static struct command_group groups[1];
	groups[0] = (struct command_group){cmd_core, cmd_core_count};
	*ngroups = ARRAY_LEN(groups);
	return groups;
}

/* Counts how many leading words of argv spell name; 0 when they do not. */
static int match_words(const char *name, int argc, char **argv)
{
	int words = 0;
	const char *p = name;
	while (*p) {
		if (words >= argc)
			return 0;
		size_t n = strcspn(p, " ");
		if (strlen(argv[words]) != n || strncmp(argv[words], p, n) != 0)
			return 0;
		words++;
		p += n;
		if (*p == ' ')
			p++;
	}
	return words;
}

const struct command *cmd_find(int argc, char **argv, int *consumed)
{
	const struct command *best = NULL;
	int best_words = 0;
	size_t ngroups;
	const struct command_group *groups = cmd_groups(&ngroups);
	for (size_t g = 0; g < ngroups; g++) {
		for (size_t i = 0; i < groups[g].count; i++) {
			int w = match_words(groups[g].commands[i].name, argc, argv);
			if (w > best_words) {
				best = &groups[g].commands[i];
				best_words = w;
			}
		}
	}
	*consumed = best_words;
	return best;
}

int cmd_usage(const struct command *c)
{
	fprintf(stderr, "usage: tern %s%s%s\n", c->name, c->args[0] ? " " : "", c->args);
	return 2;
}

int cmd_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("tern: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 1;
}
