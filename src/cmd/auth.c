/*
 * "tern setaccountpassword" and "tern setadminpassword".
 *
 * A password is read from the terminal with echo off, twice (the two must
 * match), or as one line from standard input when that is not a terminal.
 * Only derived secrets are stored (auth/credentials.h): for an account in
 * its index.db through the store, for the admin in the admin password file
 * (auth/adminpass.h). Password buffers are wiped after use.
 *
 * Run as root (the usual way), files that did not exist are given to the
 * configured User afterwards, so a running server can use them.
 */
#include "cmd/cmd.h"

#include "auth/adminpass.h"
#include "auth/credentials.h"
#include "auth/precis.h"
#include "base/arena.h"
#include "base/file.h"
#include "base/mem.h"
#include "cmd/config_cmds.h"
#include "cmd/storecmd.h"
#include "server/privdrop.h"
#include "store/account.h"

#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

/* Room for the longest password, its line ending, and one byte to notice longer input. */
#define PW_BUF (AUTH_PASSWORD_MAX + 3)

/* ---- reading passwords ---- */

/* Reads one line from fd without stdio (no buffered copies of the password). */
static bool read_line(int fd, char *out, size_t cap, size_t *len, struct error *err)
{
	size_t n = 0;
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return error_errno(err, errno, "reading the password");
		if (r == 0 || c == '\n')
			break;
		if (n + 1 >= cap)
			return error_set(err, ERR_LIMIT, "password longer than %d bytes",
					 AUTH_PASSWORD_MAX);
		out[n++] = c;
	}
	if (n > 0 && out[n - 1] == '\r')
		n--;
	out[n] = '\0';
	*len = n;
	if (n == 0)
		return error_set(err, ERR_INVALID, "no password given");
	return true;
}

/* Echo is restored if the user interrupts while it is off. */
static struct termios saved_tty;
static volatile sig_atomic_t echo_off;

static void restore_tty(int sig)
{
	if (echo_off)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
	signal(sig, SIG_DFL);
	raise(sig);
}

static bool prompt(const char *what, char *out, size_t cap, size_t *len, struct error *err)
{
	/* Echo goes off before the prompt appears, and nothing typed is discarded
	 * (TCSANOW, not TCSAFLUSH): input arriving right after the prompt is kept. */
	struct termios quiet = saved_tty;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	echo_off = 1;
	tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
	fprintf(stderr, "%s", what);
	fflush(stderr);
	bool ok = read_line(STDIN_FILENO, out, cap, len, err);
	tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
	echo_off = 0;
	return ok;
}

static bool read_password_tty(char *pw, size_t *len, struct error *err)
{
	if (tcgetattr(STDIN_FILENO, &saved_tty) < 0)
		return error_errno(err, errno, "terminal settings");
	struct sigaction sa = {.sa_handler = restore_tty}, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	char again[PW_BUF];
	size_t len2 = 0;
	bool ok = prompt("password: ", pw, PW_BUF, len, err) &&
		  prompt("repeat password: ", again, sizeof again, &len2, err);
	if (ok && (*len != len2 || sodium_memcmp(pw, again, *len) != 0))
		ok = error_set(err, ERR_INVALID, "passwords do not match");
	sodium_memzero(again, sizeof again);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return ok;
}

/* pw must have PW_BUF bytes. */
static bool read_password(char *pw, size_t *len, struct error *err)
{
	if (isatty(STDIN_FILENO))
		return read_password_tty(pw, len, err);
	return read_line(STDIN_FILENO, pw, PW_BUF, len, err);
}

/* ---- ownership when run as root ---- */

/* The configured User, when we are root and it is someone else; false otherwise. */
static bool run_user_of(const struct config_static *cs, struct run_user *u)
{
	struct error err = {0};
	if (geteuid() != 0 || !run_user_lookup(cs->s->user_effective, u, &err))
		return false;
	return u->uid != 0;
}

/* Gives the account's directory (and the accounts directory) to the configured User. */
static bool give_account(const struct config_static *cs, const char *account, struct error *err)
{
	struct run_user u;
	if (!run_user_of(cs, &u))
		return true;
	char *accounts = path_join(cs->datadir, "accounts");
	char *dir = path_join(accounts, account);
	struct stat st;
	bool ok = true;
	if (stat(accounts, &st) == 0 && (st.st_uid != u.uid || st.st_gid != u.gid) &&
	    chown(accounts, u.uid, u.gid) < 0)
		ok = error_errno(err, errno, "chown %s", accounts);
	if (ok)
		ok = fix_ownership(dir, &u, err);
	free(dir);
	free(accounts);
	return ok;
}

/* ---- the commands ---- */

/* No server runs: the command opens the account itself. */
static bool set_local(const struct config_static *cs, const char *account, const struct buf *blob,
		      struct error *err)
{
	struct arena a;
	arena_init(&a, 4096);
	size_t ninitial = 0;
	struct store_initial_mailbox *initial = store_initial_mailboxes(cs->s, &a, &ninitial);
	struct store_account_options o = {
	    .data_dir = cs->datadir, .name = account, .initial = initial, .ninitial = ninitial};
	struct store_account *acc = NULL;
	bool ok = store_account_open(&o, &acc, err) &&
		  store_account_credentials_set(acc, blob->data, blob->len, err);
	if (acc)
		store_account_close(acc);
	arena_free(&a);
	return ok && give_account(cs, account, err);
}

/*
 * A running server has the account open (and the store allows one process
 * per account): it is handed the derived credentials over the ctl socket.
 */
static int set_account_password(const struct cmd_env *env, const struct config_static *cs,
				const char *account, const struct auth_credentials *c)
{
	struct buf blob = BUF_INIT;
	auth_credentials_serialize(c, &blob);
	struct ctl_conn conn;
	bool running = false;
	struct error err = {0};
	bool ok = storecmd_dial(env, "setaccountpassword", &conn, &running, &err);
	if (ok && running) {
		ok = ctl_send_str(&conn, account, &err) &&
		     ctl_send(&conn, blob.data, blob.len, &err) && ctl_recv_status(&conn, &err);
		ctl_close(&conn);
	} else if (ok) {
		ok = set_local(cs, account, &blob, &err);
	}
	sodium_memzero(blob.data, blob.cap);
	buf_free(&blob);
	return ok ? 0 : cmd_fail("%s", err.msg);
}

static int run_setaccountpassword(const struct cmd_env *env, int argc, char **argv)
{
	if (argc != 1)
		return cmd_usage(&cmd_auth[0]);
	struct config *c = config_cmd_load(env);
	if (!c)
		return 1;
	struct config_dynamic *cd = config_dynamic_get(c);
	bool exists = cfg_account_find(cd->d, argv[0]) != NULL;
	config_dynamic_put(cd);
	int rc;
	char pw[PW_BUF];
	size_t len = 0;
	struct error err = {0};
	struct auth_credentials cred;
	if (!exists)
		rc = cmd_fail("account \"%s\" does not exist", argv[0]);
	else if (!read_password(pw, &len, &err) ||
		 !auth_credentials_derive(pw, len, NULL, &cred, &err))
		rc = cmd_fail("%s", err.msg);
	else
		rc = set_account_password(env, config_static(c), argv[0], &cred);
	sodium_memzero(pw, sizeof pw);
	auth_credentials_wipe(&cred);
	config_free(c);
	return rc;
}

static int run_setadminpassword(const struct cmd_env *env, int argc, char **argv)
{
	(void)argv;
	if (argc != 0)
		return cmd_usage(&cmd_auth[1]);
	struct error err = {0};
	struct config_static *cs = config_static_load(env->config_path, &err);
	if (!cs)
		return cmd_fail("%s", err.msg);
	char *path = auth_admin_password_path(cs);
	struct run_user u;
	gid_t group = run_user_of(cs, &u) ? u.gid : (gid_t)-1;
	char pw[PW_BUF];
	size_t len = 0;
	int rc = 0;
	if (!read_password(pw, &len, &err) ||
	    !auth_admin_password_set(path, pw, len, NULL, group, &err))
		rc = cmd_fail("%s", err.msg);
	sodium_memzero(pw, sizeof pw);
	free(path);
	config_static_free(cs);
	return rc;
}

const struct command cmd_auth[] = {
    {"setaccountpassword", "$account",
     "Set a new password for an account.\n\n"
     "The password is read from the terminal (twice, without echo), or as one line\n"
     "from standard input when that is not a terminal. It is prepared with the PRECIS\n"
     "OpaqueString profile (RFC 8265): non-ASCII spaces become ASCII spaces, the text\n"
     "is normalised to NFC, and control and other disallowed characters are refused.\n"
     "Secrets derived from the password, but not the password itself, are stored in\n"
     "the account database: for authentication with SCRAM-SHA-256, SCRAM-SHA-1,\n"
     "CRAM-MD5 and plain text (an argon2id hash). They replace all earlier ones.\n\n"
     "The parameter is an account name, as configured under Accounts in domains.conf\n"
     "and as present in the data/accounts/ directory, not a configured email address\n"
     "for an account.",
     run_setaccountpassword},
    {"setadminpassword", "",
     "Set a new admin password, for the web interface.\n\n"
     "The password is read as for setaccountpassword. Its argon2id hash is stored in\n"
     "the file named by AdminPasswordFile in the static config, by default a file\n"
     "named \"adminpasswd\" in the configuration directory. The file is replaced\n"
     "atomically and readable only by its owner and group.",
     run_setadminpassword},
};
const size_t cmd_auth_count = sizeof cmd_auth / sizeof cmd_auth[0];
