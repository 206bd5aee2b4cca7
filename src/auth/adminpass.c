#include "auth/adminpass.h"

#include "auth/precis.h"
#include "base/file.h"
#include "base/mem.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *auth_admin_password_path(const struct config_static *cs)
{
	const char *configured = cs->s->admin_password_path;
	if (configured && configured[0])
		return xstrdup(configured);
	return path_join(cs->dir, AUTH_ADMINPASS_FILE);
}

bool auth_admin_password_set(const char *path, const char *password, size_t n,
			     const struct auth_kdf_params *p, gid_t group, struct error *err)
{
	struct buf pw = BUF_INIT;
	char hash[AUTH_ARGON2_STR_MAX + 1];
	bool ok = auth_password_prepare(password, n, &pw, err) &&
		  auth_argon2_hash(pw.data, pw.len, p ? p : &auth_kdf_default, hash, err);
	if (pw.data)
		sodium_memzero(pw.data, pw.cap);
	buf_free(&pw);
	if (!ok)
		return false;
	struct stat st;
	bool existed = stat(path, &st) == 0;
	mode_t mode = existed ? (st.st_mode & 0660) : 0640;
	size_t len = strlen(hash);
	hash[len++] = '\n';
	if (!file_write_atomic(path, hash, len, mode, err))
		return false;
	/* The new file is the writer's; give it the old file's owner, or the server's group. */
	uid_t uid = existed ? st.st_uid : (uid_t)-1;
	gid_t gid = existed ? st.st_gid : group;
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && (uid != geteuid() || gid != getegid()) &&
	    chown(path, uid, gid) < 0)
		return error_errno(err, errno, "chown %s", path);
	return true;
}

bool auth_admin_password_verify(const char *path, const char *password, size_t n, bool *match,
				struct error *err)
{
	*match = false;
	struct buf f = BUF_INIT, pw = BUF_INIT;
	bool ok = file_read_all(path, AUTH_ADMINPASS_MAX, &f, err);
	if (ok) {
		size_t len = f.len;
		while (len > 0 && (f.data[len - 1] == '\n' || f.data[len - 1] == '\r'))
			len--;
		buf_truncate(&f, len);
		ok = auth_argon2_valid(buf_cstr(&f), err) || error_prefix(err, "%s", path);
	}
	/* A password that cannot be prepared was never set: no match, not an error. */
	if (ok && auth_password_prepare(password, n, &pw, NULL))
		ok = auth_argon2_verify(buf_cstr(&f), pw.data, pw.len, match, err);
	if (pw.data)
		sodium_memzero(pw.data, pw.cap);
	buf_free(&pw);
	buf_free(&f);
	return ok;
}
