/*
 * Commands that concern the binary itself: help and version.
 */
#include "cmd/cmd.h"

#include "version.h"

#include <stdio.h>
#include <string.h>

static void print_usage_line(FILE *out, const char *prefix, const struct command *c)
{
	fprintf(out, "%stern %s%s%s\n", prefix, c->name, c->args[0] ? " " : "", c->args);
}

static void print_overview(FILE *out)
{
	fprintf(out, "usage: tern [-config config/tern.conf] [-pedantic] ...\n");
	size_t ngroups;
	const struct command_group *groups = cmd_groups(&ngroups);
	for (size_t g = 0; g < ngroups; g++)
		for (size_t i = 0; i < groups[g].count; i++)
			print_usage_line(out, "       ", &groups[g].commands[i]);
	size_t nplanned;
	const struct planned_command *planned = cmd_planned(&nplanned);
	fprintf(out, "\nmox commands that tern does not implement yet:\n");
	size_t col = 0;
	for (size_t i = 0; i < nplanned; i++) {
		size_t w = strlen(planned[i].name) + 2;
		if (col + w > 78) {
			fputc('\n', out);
			col = 0;
		}
		fprintf(out, "%s%s", col ? ", " : "  ", planned[i].name);
		col += w;
	}
	fputc('\n', out);
}

/* True when the words of argv are the leading words of name. */
static bool words_prefix(const char *name, int argc, char **argv)
{
	const char *p = name;
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);
		if (strncmp(p, argv[i], n) != 0 || (p[n] != ' ' && p[n] != '\0'))
			return false;
		p += n;
		if (*p == ' ')
			p++;
	}
	return true;
}

static void print_summary(const struct command *c)
{
	size_t n = strcspn(c->help, "\n");
	printf("tern %s%s%s\n\t%.*s\n", c->name, c->args[0] ? " " : "", c->args, (int)n, c->help);
}

/* mox's help: one exact match prints the full help, several matches their first lines. */
static int run_help(const struct cmd_env *env, int argc, char **argv)
{
	(void)env;
	if (argc == 0) {
		print_overview(stdout);
		return 0;
	}
	size_t ngroups, matches = 0;
	const struct command_group *groups = cmd_groups(&ngroups);
	const struct command *exact = NULL;
	for (size_t g = 0; g < ngroups; g++)
		for (size_t i = 0; i < groups[g].count; i++) {
			const struct command *c = &groups[g].commands[i];
			if (!words_prefix(c->name, argc, argv))
				continue;
			matches++;
			int consumed;
			if (cmd_find(argc, argv, &consumed) == c && consumed == argc)
				exact = c;
		}
	if (exact) {
		print_usage_line(stdout, "usage: ", exact);
		printf("\n%s\n", exact->help);
		return 0;
	}
	if (matches > 0) {
		for (size_t g = 0; g < ngroups; g++)
			for (size_t i = 0; i < groups[g].count; i++)
				if (words_prefix(groups[g].commands[i].name, argc, argv))
					print_summary(&groups[g].commands[i]);
		return 0;
	}
	const struct planned_command *p = cmd_find_planned(argc, argv);
	if (p)
		return cmd_fail("\"%s\" is a mox command that tern does not implement yet (part of "
				"%s)",
				p->name, p->area);
	fprintf(stderr, "tern: no command matches \"");
	for (int i = 0; i < argc; i++)
		fprintf(stderr, "%s%s", i ? " " : "", argv[i]);
	fprintf(stderr, "\"\n");
	print_overview(stderr);
	return 2;
}

static int run_version(const struct cmd_env *env, int argc, char **argv)
{
	(void)env;
	(void)argv;
	if (argc != 0) {
		fprintf(stderr, "usage: tern version\n");
		return 2;
	}
	printf("%s\n", TERN_VERSION);
	return 0;
}

/* Used by main when no command matches. */
int cmd_overview_usage(void);
int cmd_overview_usage(void)
{
	print_overview(stderr);
	return 2;
}

const struct command cmd_core[] = {
    {"help", "[$command ...]",
     "Prints help for the commands that match.\n\n"
     "With one command named in full, its usage and whole help text are printed.\n"
     "When the words given start the names of several commands, each of those is\n"
     "listed with the first line of its help. Without arguments, all commands are\n"
     "listed.",
     run_help},
    {"version", "", "Prints the version of tern.", run_version},
};
const size_t cmd_core_count = sizeof cmd_core / sizeof cmd_core[0];
