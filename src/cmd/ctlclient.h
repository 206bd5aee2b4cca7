/*
 * ctlclient: how commands reach the running server.
 *
 * Loads the static config named by the command line to find the data
 * directory, connects to DATADIR/ctl and sends the command name. The caller
 * continues the command's exchange (see server/ctl.h) and closes the
 * connection.
 */
#ifndef TERN_CMD_CTLCLIENT_H
#define TERN_CMD_CTLCLIENT_H

#include "base/error.h"
#include "cmd/cmd.h"
#include "server/ctl.h"

#include <stdbool.h>

bool ctlclient_dial(const struct cmd_env *env, const char *cmd, struct ctl_conn *c,
		    struct error *err);

/* The ctl socket path for a data directory (heap string). */
char *ctlclient_socket_path(const char *datadir);

#endif
