/* Unit tests of the admin password file (adminpass.h). */
#include "auth/adminpass.h"
#include "base/file.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct auth_kdf_params cheap = {1, 8192, 4096, 4096};
static char dir[64], path[128];

static void setup(void)
{
	strcpy(dir, "/tmp/tern-adminpw-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/adminpasswd", dir);
}

static void teardown(void)
{
	unlink(path);
	rmdir(dir);
}

TestSuite(adminpass, .init = setup, .fini = teardown);

Test(adminpass, path_default_and_configured)
{
	struct cfg_static s = {0};
	s.admin_password_path = "";
	struct config_static cs = {.s = &s, .dir = "/etc/tern"};
	char *p = auth_admin_password_path(&cs);
	cr_assert_str_eq(p, "/etc/tern/adminpasswd");
	free(p);
	s.admin_password_path = "/etc/tern/secret/admin";
	p = auth_admin_password_path(&cs);
	cr_assert_str_eq(p, "/etc/tern/secret/admin");
	free(p);
}

Test(adminpass, set_and_verify)
{
	struct error err = {0};
	cr_assert(auth_admin_password_set(path, "s\xc3\xa9same", 7, &cheap, (gid_t)-1, &err), "%s",
		  err.msg);
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0640);
	bool match = false;
	cr_assert(auth_admin_password_verify(path, "s\xc3\xa9same", 7, &match, &err), "%s",
		  err.msg);
	cr_assert(match);
	cr_assert(auth_admin_password_verify(path, "se\xcc\x81same", 8, &match, &err));
	cr_assert(match, "NFD typing of the same password");
	cr_assert(auth_admin_password_verify(path, "sesame", 6, &match, &err));
	cr_assert_not(match);
	cr_assert(auth_admin_password_verify(path, "a\x01", 2, &match, &err));
	cr_assert_not(match, "an unpreparable password simply does not match");
	/* An existing file keeps its mode. */
	chmod(path, 0600);
	cr_assert(auth_admin_password_set(path, "other", 5, &cheap, (gid_t)-1, &err));
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_not(auth_admin_password_set(path, "", 0, &cheap, (gid_t)-1, &err));
	cr_assert(strstr(err.msg, "empty"));
}

Test(adminpass, foreign_or_damaged_files)
{
	struct error err = {0};
	bool match = true;
	/* mox's file: a bcrypt hash. */
	const char bcrypt[] = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy\n";
	cr_assert(file_write_atomic(path, bcrypt, sizeof bcrypt - 1, 0600, &err));
	cr_assert_not(auth_admin_password_verify(path, "x", 1, &match, &err));
	cr_assert(strstr(err.msg, "not an argon2id hash"), "%s", err.msg);
	cr_assert_not(match);
	char big[AUTH_ADMINPASS_MAX + 10];
	memset(big, 'a', sizeof big);
	cr_assert(file_write_atomic(path, big, sizeof big, 0600, &err));
	cr_assert_not(auth_admin_password_verify(path, "x", 1, &match, &err));
	cr_assert_eq(err.kind, ERR_LIMIT);
	unlink(path);
	cr_assert_not(auth_admin_password_verify(path, "x", 1, &match, &err));
}
