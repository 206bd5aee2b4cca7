#include "server/privdrop.h"

#include "base/str.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool run_user_lookup(const char *user, struct run_user *out, struct error *err)
{
	if (!user || !user[0])
		return error_set(err, ERR_INVALID, "no user configured");
	struct passwd pw, *res = NULL;
	char tmp[4096];
	int rc = getpwnam_r(user, &pw, tmp, sizeof tmp, &res);
	if (rc == 0 && res) {
		out->uid = pw.pw_uid;
		out->gid = pw.pw_gid;
		str_copy(out->name, sizeof out->name, user);
		return true;
	}
	uint64_t id;
	if (!str_parse_u64(str_from(user), 0x7fffffff, &id))
		return error_set(err, ERR_NOTFOUND,
				 "user \"%s\" is not a known user and not a numeric uid", user);
	out->uid = (uid_t)id;
	out->gid = (gid_t)id;
	str_copy(out->name, sizeof out->name, user);
	return true;
}

bool priv_drop(const struct run_user *u, struct error *err)
{
	if (geteuid() != 0)
		return true;
	if (setgroups(1, &u->gid) < 0)
		return error_errno(err, errno, "setgroups");
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return error_errno(err, errno, "setresgid %u", (unsigned)u->gid);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return error_errno(err, errno, "setresuid %u", (unsigned)u->uid);
	/* Only a switch to uid 0 itself can keep root; otherwise regaining it must fail. */
	if (u->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		return error_set(err, ERR_INTERNAL, "could regain root after dropping privileges");
	return true;
}

/* nftw has no user argument; ownership fixing runs single-threaded at startup. */
static const struct run_user *walk_user;
static int walk_err;

static int fix_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_SL)
		return 0; /* never follow or change symlinks */
	if ((st->st_uid != walk_user->uid || st->st_gid != walk_user->gid) &&
	    lchown(path, walk_user->uid, walk_user->gid) < 0) {
		walk_err = errno;
		return 1;
	}
	mode_t want = st->st_mode & ~(mode_t)S_IRWXO;
	if (type == FTW_D || type == FTW_DP)
		want |= S_IRWXU;
	if ((st->st_mode & 07777) != (want & 07777) && chmod(path, want & 07777) < 0) {
		walk_err = errno;
		return 1;
	}
	return 0;
}

bool fix_ownership(const char *path, const struct run_user *u, struct error *err)
{
	if (geteuid() != 0)
		return true;
	walk_user = u;
	walk_err = 0;
	if (nftw(path, fix_one, 32, FTW_PHYS) != 0)
		return error_errno(err, walk_err ? walk_err : errno, "fixing ownership of %s",
				   path);
	return true;
}
