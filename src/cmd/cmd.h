/*
 * cmd: the subcommands of the tern binary, mirroring mox's command line.
 *
 * A command is found by the longest match of its space-separated name against
 * the leading arguments ("config account add" before "config"). Each group of
 * commands lives in its own file (cmd/core.c, cmd/config.c, ...) and is listed
 * once in cmd/registry.c. Commands return a process exit status: 0 success,
 * 1 failure (message printed to stderr), 2 usage error.
 */
#ifndef TERN_CMD_CMD_H
#define TERN_CMD_CMD_H

#include <stdbool.h>
#include <stddef.h>

struct cmd_env {
	const char *config_path; /* static config file: -config, $TERNCONF, or the default */
	bool pedantic;
};

struct command {
	const char *name;  /* e.g. "config account add" */
	const char *args;  /* usage after the name, e.g. "$account $address" */
	const char *help;  /* what it does, in paragraphs */
	int (*run)(const struct cmd_env *env, int argc, char **argv);
};

struct command_group {
	const struct command *commands;
	size_t count;
};

/* All commands in usage order. */
const struct command_group *cmd_groups(size_t *ngroups);

/* Finds the command named by the leading words of argv; *consumed is set to its word count. */
const struct command *cmd_find(int argc, char **argv, int *consumed);

/* Prints "usage: tern NAME ARGS" (and flags when given) to stderr and returns 2. */
int cmd_usage(const struct command *c);
/* Prints an error message to stderr: "tern: message". Returns 1. */
int cmd_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

extern const struct command cmd_core[];
extern const size_t cmd_core_count;

#define CMD_DEFAULT_CONFIG "config/tern.conf"

#endif
