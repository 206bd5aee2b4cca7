/*
 * storecmd: what the message store commands (import, export, backup,
 * maintenance) share: reaching the running server, or working directly.
 *
 * The store lets one process at a time have an account open (account.h).
 * When a server runs, a command sends its work over the ctl socket and the
 * server does it through the account it has open, so IMAP sessions see the
 * changes at once; when none runs, the command opens the account itself.
 * storecmd_dial tells which: *running false (and true returned) when no
 * server answers on the ctl socket.
 */
#ifndef TERN_CMD_STORECMD_H
#define TERN_CMD_STORECMD_H

#include "base/buf.h"
#include "base/error.h"
#include "cmd/cmd.h"
#include "server/ctl.h"

#include <stdbool.h>
#include <stdint.h>

/* How long a command waits for one answer of the server (a backup can take long). */
#define STORECMD_TIMEOUT_MS (2 * 60 * 60 * 1000)

struct config;
struct store_account;

bool storecmd_dial(const struct cmd_env *env, const char *cmd, struct ctl_conn *c, bool *running,
		   struct error *err);
/* Sends string frames. */
bool storecmd_send_args(struct ctl_conn *c, const char *const *args, size_t n, struct error *err);
/* Receives a report frame, prints it to stdout, then receives the status. */
bool storecmd_recv_report(struct ctl_conn *c, struct error *err);

/* Without a server: loads the config and opens the account as configured (cfgopen.h). */
bool storecmd_open_local(const struct cmd_env *env, const char *account, struct config **cfg,
			 struct store_account **a, int64_t *quota, struct error *err);
void storecmd_close_local(struct config *cfg, struct store_account *a);

#endif
