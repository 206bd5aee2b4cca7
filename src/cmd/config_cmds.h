/*
 * Helpers shared by the files that implement "tern config ..." commands.
 */
#ifndef TERN_CMD_CONFIG_CMDS_H
#define TERN_CMD_CONFIG_CMDS_H

#include "cmd/cmd.h"
#include "config/config.h"

/*
 * Applies fn to domains.conf (config_edit_dynamic) and, when a server is
 * running, asks it to reload at once so the change is live when the command
 * returns. Prints errors; returns the exit status.
 */
int config_cmd_edit(const struct cmd_env *env, config_edit_fn fn, void *arg);

/* Loads both files for a read-only command; prints the error and returns NULL on failure. */
struct config *config_cmd_load(const struct cmd_env *env);

#endif
