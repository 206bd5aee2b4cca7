/*
 * privdrop: switching from root to the configured unprivileged user.
 *
 * tern binds its listening sockets as root and then, before any thread is
 * started, switches to the configured user for good: supplementary groups are
 * dropped, gid and uid are set, and the switch is verified by checking that
 * root cannot be regained. As in mox, a user name that is not a known user is
 * parsed as a number and used as both uid and gid.
 */
#ifndef TERN_SERVER_PRIVDROP_H
#define TERN_SERVER_PRIVDROP_H

#include "base/error.h"

#include <stdbool.h>
#include <sys/types.h>

struct run_user {
	uid_t uid;
	gid_t gid;
	char name[64]; /* user name, or the number as given */
};

/* Resolves a configured User value ("tern", "mox", "1000"). */
bool run_user_lookup(const char *user, struct run_user *out, struct error *err);

/* Switches the process to u; must be called before any thread exists. No-op when not root. */
bool priv_drop(const struct run_user *u, struct error *err);

/* Makes path (a directory tree) owned by u and not accessible to others. Only as root. */
bool fix_ownership(const char *path, const struct run_user *u, struct error *err);

#endif
