/*
 * adminpass: the admin password file (the static config's AdminPasswordFile,
 * by default "adminpasswd" beside the static config file, as mox has it).
 *
 * The file holds one line: the argon2id hash (credentials.h) of the password
 * after PRECIS OpaqueString preparation, never the password. It is replaced
 * atomically (temporary file, fsync, rename, fsync of the directory). An
 * existing file keeps its owner, group and mode (limited to 0660); a new one
 * gets mode 0640 and, when a group is given, that group, so the server's
 * user can read but not change it. mox's file holds a bcrypt hash instead;
 * such a file is reported as not an argon2id hash: set the password again.
 *
 * Thread-safe; bounded reads (AUTH_ADMINPASS_MAX).
 */
#ifndef TERN_AUTH_ADMINPASS_H
#define TERN_AUTH_ADMINPASS_H

#include "auth/credentials.h"
#include "config/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define AUTH_ADMINPASS_FILE "adminpasswd"
#define AUTH_ADMINPASS_MAX  1024

/* The file's path (heap string): AdminPasswordFile resolved, or adminpasswd in the config dir. */
char *auth_admin_password_path(const struct config_static *cs);

/* Sets the admin password (as typed, UTF-8); group (gid_t)-1 leaves a new file's group alone. */
bool auth_admin_password_set(const char *path, const char *password, size_t n,
			     const struct auth_kdf_params *p, gid_t group, struct error *err);

/* *match tells whether password is the admin password; false return: no answer (err). */
bool auth_admin_password_verify(const char *path, const char *password, size_t n, bool *match,
				struct error *err);

#endif
