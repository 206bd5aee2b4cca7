#include "cmd/localserve.h"

#include "auth/credentials.h"
#include "base/buf.h"
#include "base/file.h"
#include "base/mem.h"
#include "cmd/flags.h"
#include "config/config.h"
#include "net/certgen.h"
#include "server/server.h"
#include "server/setup.h"
#include "store/account.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Port numbers are the usual ones plus this, as with mox localserve. */
#define LOCALSERVE_PORT_OFFSET 1000

/* Listener services and their ports (usual + 1000); NoRequireSTARTTLS where plain text is fine. */
static void write_services(struct buf *b)
{
	static const struct {
		const char *name;
		int port;
		bool plain_ok;
	} services[] = {
	    {"SMTP", 25, false},          {"Submission", 587, true},
	    {"Submissions", 465, false},  {"IMAP", 143, true},
	    {"IMAPS", 993, false},        {"AccountHTTP", 80, false},
	    {"AccountHTTPS", 443, false}, {"AdminHTTP", 80, false},
	    {"AdminHTTPS", 443, false},   {"WebmailHTTP", 80, false},
	    {"WebmailHTTPS", 443, false}, {"WebAPIHTTP", 80, false},
	    {"WebAPIHTTPS", 443, false},  {"MetricsHTTP", 81, false},
	    {"WebserverHTTP", 80, false}, {"WebserverHTTPS", 443, false},
	};
	for (size_t i = 0; i < ARRAY_LEN(services); i++) {
		buf_printf(b, "\t\t%s:\n\t\t\tEnabled: true\n\t\t\tPort: %d\n", services[i].name,
			   services[i].port + LOCALSERVE_PORT_OFFSET);
		if (services[i].plain_ok)
			buf_puts(b, "\t\t\tNoRequireSTARTTLS: true\n");
	}
}

static void static_config(struct buf *b, const char *ip)
{
	buf_printf(b,
		   "DataDir: .\n"
		   "LogLevel: traceauth\n"
		   "User: %ld\n"
		   "Hostname: localhost\n"
		   "TLS:\n"
		   "\tCA:\n"
		   "\t\tAdditionalToSystem: true\n"
		   "\t\tCertFiles:\n"
		   "\t\t\t- localhost.crt\n"
		   "Listeners:\n"
		   "\tlocal:\n"
		   "\t\tIPs:\n",
		   (long)getuid());
	if (ip)
		buf_printf(b, "\t\t\t- %s\n", ip);
	else
		buf_puts(b, "\t\t\t- 127.0.0.1\n\t\t\t- ::1\n");
	buf_puts(b, "\t\tTLS:\n"
		    "\t\t\tKeyCerts:\n"
		    "\t\t\t\t-\n"
		    "\t\t\t\t\tCertFile: localhost.crt\n"
		    "\t\t\t\t\tKeyFile: localhost.key\n");
	write_services(b);
	buf_puts(b, "Postmaster:\n"
		    "\tAccount: tern\n"
		    "\tMailbox: Inbox\n");
}

static void dynamic_config(struct buf *b)
{
	buf_puts(b, "Domains:\n"
		    "\tlocalhost:\n"
		    "\t\tLocalpartCatchallSeparator: +\n"
		    "Accounts:\n"
		    "\ttern:\n"
		    "\t\tDomain: localhost\n"
		    "\t\tDestinations:\n"
		    "\t\t\ttern@localhost: nil\n"
		    "\t\tRejectsMailbox: Rejects\n"
		    "\t\tAutomaticJunkFlags:\n"
		    "\t\t\tEnabled: true\n"
		    "\t\t\tJunkMailboxRegexp: ^(junk|spam)\n"
		    "\t\t\tNeutralMailboxRegexp: ^(inbox|neutral|postmaster|dmarc|tlsrpt|rejects)\n"
		    "\t\tJunkFilter:\n"
		    "\t\t\tThreshold: 0.95\n"
		    "\t\t\tParams:\n"
		    "\t\t\t\tOnegrams: true\n"
		    "\t\t\t\tMaxPower: 0.01\n"
		    "\t\t\t\tTopWords: 10\n"
		    "\t\t\t\tIgnoreWords: 0.1\n"
		    "\t\t\t\tRareWords: 2\n");
}

/* The account's password, as mox localserve sets moxmoxmox for its account. */
#define LOCALSERVE_ACCOUNT  "tern"
#define LOCALSERVE_PASSWORD "ternterntern"

static bool set_password(const struct config *c, struct error *err)
{
	const struct config_static *cs = config_static(c);
	struct store_account_options o = {.data_dir = cs->datadir, .name = LOCALSERVE_ACCOUNT};
	struct store_account *acc;
	if (!store_account_open(&o, &acc, err))
		return false;
	struct auth_credentials cred;
	struct buf blob = BUF_INIT;
	bool ok = auth_credentials_derive(LOCALSERVE_PASSWORD, strlen(LOCALSERVE_PASSWORD), NULL,
					  &cred, err);
	if (ok) {
		auth_credentials_serialize(&cred, &blob);
		auth_credentials_wipe(&cred);
		ok = store_account_credentials_set(acc, blob.data, blob.len, err);
	}
	buf_free(&blob);
	store_account_close(acc);
	return ok;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static bool write_file(const char *dir, const char *name, const struct buf *b, struct error *err)
{
	char *path = path_join(dir, name);
	bool ok = file_write_atomic(path, buf_cstr(b), b->len, 0640, err);
	free(path);
	return ok;
}

bool localserve_init(const char *dir, const char *ip, struct error *err)
{
	if (mkdir(dir, 0750) < 0)
		return error_errno(err, errno, "creating %s", dir);
	char *crt = path_join(dir, "localhost.crt");
	char *key = path_join(dir, "localhost.key");
	const char *names[] = {"localhost"};
	struct buf st = BUF_INIT, dyn = BUF_INIT;
	static_config(&st, ip);
	dynamic_config(&dyn);
	bool ok = certgen_selfsigned(names, 1, "tern localserve", 4 * 365, crt, key, err) &&
		  write_file(dir, "tern.conf", &st, err) &&
		  write_file(dir, "domains.conf", &dyn, err);
	buf_free(&st);
	buf_free(&dyn);
	free(crt);
	free(key);
	/* What was written must load; a half-made directory would only confuse the next start. */
	if (ok) {
		char *conf = path_join(dir, "tern.conf");
		struct config *c = config_load(conf, err);
		ok = c != NULL && set_password(c, err);
		config_free(c);
		free(conf);
	}
	if (!ok)
		nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	return ok;
}

static char *default_dir(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/tern-localserve", xdg);
	const char *home = getenv("HOME");
	if (home && home[0])
		return xasprintf("%s/.config/tern-localserve", home);
	return xstrdup("tern-localserve");
}

static void print_banner(const char *dir)
{
	printf(
	    "tern localserve, serving from %s\n"
	    "the account is tern with address tern@localhost and password ternterntern\n"
	    "ports are the usual ones plus %d; tls uses the self-signed certificate %s/"
	    "localhost.crt\n"
	    "\"tern -config %s/tern.conf config test\" lists what the configuration asks for that "
	    "this version does not serve yet\n",
	    dir, LOCALSERVE_PORT_OFFSET, dir, dir);
	fflush(stdout);
}

int cmd_localserve_run(const struct cmd_env *env, int argc, char **argv)
{
	(void)env;
	const char *dir = NULL, *ip = NULL;
	bool initonly = false;
	struct flagset fs = {0};
	flags_string(&fs, "dir", &dir, "configuration and data directory");
	flags_bool(&fs, "initonly", &initonly, "write configuration files and exit");
	flags_string(&fs, "ip", &ip, "serve on this ip instead of 127.0.0.1 and ::1");
	struct error err = {0};
	int first = flags_parse(&fs, argc, argv, &err);
	if (first < 0 || first != argc) {
		if (first < 0)
			fprintf(stderr, "tern: %s\n", err.msg);
		fprintf(stderr, "usage: tern localserve [-dir dir] [-initonly] [-ip ip]\n");
		flags_print(&fs, stderr);
		return 2;
	}
	char *d = dir ? xstrdup(dir) : default_dir();
	struct stat stt;
	if (stat(d, &stt) < 0) {
		bool ok = errno == ENOENT ? localserve_init(d, ip, &err)
					  : error_errno(&err, errno, "%s", d);
		if (!ok) {
			free(d);
			return cmd_fail("localserve: %s", err.msg);
		}
		printf("tern localserve: configuration written to %s\n", d);
	}
	int rc = 0;
	if (!initonly) {
		print_banner(d);
		char *conf = path_join(d, "tern.conf");
		setup_set_localserve(true);
		rc = server_main(conf);
		free(conf);
	}
	free(d);
	return rc;
}
