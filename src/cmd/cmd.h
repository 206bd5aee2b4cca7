/*
 * cmd: the subcommands of the tern binary, mirroring mox's command line.
 *
 * A command is found by the longest match of its space-separated name against
 * the leading arguments ("config account add" before "config"). Each group of
 * commands lives in its own file (cmd/core.c, cmd/serve.c, cmd/config*.c, ...)
 * and is listed once in cmd/registry.c. Commands return a process exit status:
 * 0 success, 1 failure (message printed to stderr), 2 usage error.
 *
 * mox commands that tern does not have yet are listed in cmd/registry.c with
 * the area of work that brings them, so "tern queue list" says so plainly
 * instead of "unknown command". The list shrinks as features land.
 */
#ifndef TERN_CMD_CMD_H
#define TERN_CMD_CMD_H

#include <stdbool.h>
#include <stddef.h>

struct cmd_env {
	const char
	    *config_path; /* static config file: -config, $TERNCONF/$MOXCONF, or the default */
	bool pedantic;
};

struct command {
	const char *name; /* e.g. "config account add" */
	const char *args; /* usage after the name, e.g. "$account $address" */
	const char *help; /* first line: a summary; then paragraphs; flags described at the end */
	int (*run)(const struct cmd_env *env, int argc, char **argv);
};

struct command_group {
	const struct command *commands;
	size_t count;
};

/* A mox command that tern does not implement yet. */
struct planned_command {
	const char *name;
	const char *area; /* what it belongs to, e.g. "the outgoing queue" */
};

/* All commands in usage order. */
const struct command_group *cmd_groups(size_t *ngroups);

/* Finds the command named by the leading words of argv; *consumed is set to its word count. */
const struct command *cmd_find(int argc, char **argv, int *consumed);
/* Finds a planned (not yet implemented) mox command named by the leading words of argv. */
const struct planned_command *cmd_find_planned(int argc, char **argv);
const struct planned_command *cmd_planned(size_t *n);

/* Prints "usage: tern NAME ARGS" to stderr and returns 2. */
int cmd_usage(const struct command *c);
/* Prints an error message to stderr: "tern: message". Returns 1. */
int cmd_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Command groups, one per file. */
extern const struct command cmd_core[];
extern const size_t cmd_core_count;
extern const struct command cmd_serve[];
extern const size_t cmd_serve_count;
extern const struct command cmd_config[];
extern const size_t cmd_config_count;
extern const struct command cmd_config_account[];
extern const size_t cmd_config_account_count;
extern const struct command cmd_config_domain[];
extern const size_t cmd_config_domain_count;
extern const struct command cmd_config_alias[];
extern const size_t cmd_config_alias_count;
extern const struct command cmd_message[];
extern const size_t cmd_message_count;
extern const struct command cmd_dns[];
extern const size_t cmd_dns_count;
extern const struct command cmd_smtp[];
extern const size_t cmd_smtp_count;
extern const struct command cmd_store_admin[];
extern const size_t cmd_store_admin_count;
extern const struct command cmd_import[];
extern const size_t cmd_import_count;
extern const struct command cmd_export[];
extern const size_t cmd_export_count;
extern const struct command cmd_backup[];
extern const size_t cmd_backup_count;
extern const struct command cmd_auth[];
extern const size_t cmd_auth_count;
extern const struct command cmd_tlspubkey[];
extern const size_t cmd_tlspubkey_count;

#define CMD_DEFAULT_CONFIG "config/tern.conf"

#endif
