/*
 * localserve: a complete tern for local testing, configured on first start.
 */
#ifndef TERN_CMD_LOCALSERVE_H
#define TERN_CMD_LOCALSERVE_H

#include "base/error.h"
#include "cmd/cmd.h"

#include <stdbool.h>

int cmd_localserve_run(const struct cmd_env *env, int argc, char **argv);

/* Writes a new localserve configuration into dir (which must not exist yet). */
bool localserve_init(const char *dir, const char *ip, struct error *err);

#endif
