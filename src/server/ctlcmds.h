/*
 * ctlcmds: the commands the running server answers on its ctl socket.
 *
 * Each command is a name and a handler that runs on the ctl client's thread
 * and exchanges frames (see ctl.h). Handlers end with a status frame ("ok" or
 * "error: ..."). New commands are added to the table in ctlcmds.c.
 */
#ifndef TERN_SERVER_CTLCMDS_H
#define TERN_SERVER_CTLCMDS_H

#include "server/ctl.h"

struct server_setup;

/* ctl_dispatch_fn for ctl_start; ctx is the struct server_setup. */
void ctlcmds_dispatch(void *ctx, struct ctl_conn *c, const char *cmd);

#endif
