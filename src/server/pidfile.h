/*
 * pidfile: the running server's process id in DATADIR/tern.pid.
 *
 * Written atomically after startup and removed at a clean exit. It is
 * informational (for scripts and service managers); whether a server runs is
 * decided by connecting to the ctl socket, which cannot go stale.
 */
#ifndef TERN_SERVER_PIDFILE_H
#define TERN_SERVER_PIDFILE_H

#include "base/error.h"

#include <stdbool.h>

bool pidfile_write(const char *path, struct error *err);
void pidfile_remove(const char *path);

#endif
