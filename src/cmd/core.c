/*
 * Commands that concern the binary itself: help and version.
 */
#include "cmd/cmd.h"

#include "version.h"

#include <stdio.h>
#include <string.h>

static void print_overview(FILE *out)
{
	fprintf(out, "usage: tern [-config config/tern.conf] [-pedantic] ...\n");
	size_t ngroups;
	const struct command_group *groups = cmd_groups(&ngroups);
	for (size_t g = 0; g < ngroups; g++)
		for (size_t i = 0; i < groups[g].count; i++) {
			const struct command *c = &groups[g].commands[i];
			fprintf(out, "       tern %s%s%s\n", c->name, c->args[0] ? " " : "", c->args);
		}
}

static void print_help(const struct command *c)
{
	printf("usage: tern %s%s%s\n\n%s\n", c->name, c->args[0] ? " " : "", c->args, c->help);
}

static int run_help(const struct cmd_env *env, int argc, char **argv)
{
	(void)env;
	if (argc == 0) {
		print_overview(stdout);
		return 0;
	}
	int consumed;
	const struct command *c = cmd_find(argc, argv, &consumed);
	if (!c || consumed != argc) {
		fprintf(stderr, "tern: unknown command \"");
		for (int i = 0; i < argc; i++)
			fprintf(stderr, "%s%s", i ? " " : "", argv[i]);
		fprintf(stderr, "\"\n");
		print_overview(stderr);
		return 2;
	}
	print_help(c);
	return 0;
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
	 "Prints the usage of all commands, or the usage and help text of one command.", run_help},
	{"version", "", "Prints the version of tern.", run_version},
};
const size_t cmd_core_count = sizeof cmd_core / sizeof cmd_core[0];
