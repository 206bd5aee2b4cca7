/*
 * "tern config tlspubkey list|get|add|rm|gen": TLS public keys for TLS client
 * certificate authentication (auth/tlspubkey.h), kept in DATADIR/auth.db.
 * Output formats are mox's. SQLite lets these commands run beside the
 * server; run as root, a new auth.db is given to the configured User.
 */
#include "cmd/cmd.h"

#include "auth/tlspubkey.h"
#include "base/base64.h"
#include "base/buf.h"
#include "base/file.h"
#include "base/mem.h"
#include "base/str.h"
#include "cmd/config_cmds.h"
#include "cmd/flags.h"
#include "net/certgen.h"
#include "net/tls.h"
#include "server/privdrop.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- auth.db ---- */

static struct authdb *open_db(const struct config_static *cs, struct error *err)
{
	if (!mkdir_p(cs->datadir, 0750, err))
		return NULL;
	char *path = path_join(cs->datadir, AUTHDB_FILE);
	struct authdb *db = NULL;
	authdb_open(path, &db, err);
	free(path);
	return db;
}

/* Closes db and, as root, gives auth.db and its WAL files to the configured User. */
static bool close_db(const struct config_static *cs, struct authdb *db, struct error *err)
{
	authdb_close(db);
	struct run_user u;
	if (geteuid() != 0 || !run_user_lookup(cs->s->user_effective, &u, NULL))
		return true;
	static const char *const suffixes[] = {"", "-wal", "-shm"};
	bool ok = true;
	for (size_t i = 0; ok && i < 3; i++) {
		char *path = xasprintf("%s/%s%s", cs->datadir, AUTHDB_FILE, suffixes[i]);
		struct stat st;
		if (lstat(path, &st) == 0 && (st.st_uid != u.uid || st.st_gid != u.gid) &&
		    lchown(path, u.uid, u.gid) < 0)
			ok = error_errno(err, errno, "chown %s", path);
		free(path);
	}
	return ok;
}

/* Loads the static file, opens auth.db; prints the error and returns NULL on failure. */
static struct authdb *begin(const struct cmd_env *env, struct config_static **cs)
{
	struct error err = {0};
	*cs = config_static_load(env->config_path, &err);
	struct authdb *db = *cs ? open_db(*cs, &err) : NULL;
	if (!db) {
		cmd_fail("%s", err.msg);
		config_static_free(*cs);
		*cs = NULL;
	}
	return db;
}

static int end(struct config_static *cs, struct authdb *db, int rc)
{
	struct error err = {0};
	if (!close_db(cs, db, &err) && rc == 0)
		rc = cmd_fail("%s", err.msg);
	config_static_free(cs);
	return rc;
}

/* ---- list and get ---- */

/* Go's %q: a double-quoted string with escapes, as mox prints key names. */
static void go_quote(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': buf_puts(b, "\\\""); break;
		case '\\': buf_puts(b, "\\\\"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		case '\t': buf_puts(b, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				buf_printf(b, "\\x%02x", *p);
			else
				buf_putc(b, (char)*p);
		}
	}
	buf_putc(b, '"');
}

struct listing {
	struct buf out;
	size_t n;
};

static void list_one(void *arg, const struct auth_tlspubkey *k)
{
	struct listing *l = arg;
	buf_printf(&l->out, "%s\t%s\t", k->fingerprint, k->type);
	go_quote(&l->out, k->name);
	buf_printf(&l->out, "\t%s\t%s\t%s\n", k->account, k->login_address,
		   k->no_imap_preauth ? "true" : "false");
	l->n++;
}

static int run_list(const struct cmd_env *env, int argc, char **argv)
{
	if (argc > 1)
		return cmd_usage(&cmd_tlspubkey[0]);
	struct config_static *cs;
	struct authdb *db = begin(env, &cs);
	if (!db)
		return 1;
	struct listing l = {BUF_INIT, 0};
	struct error err = {0};
	int rc = 0;
	if (!authdb_tlspubkey_list(db, argc ? argv[0] : NULL, list_one, &l, &err))
		rc = cmd_fail("%s", err.msg);
	else
		printf(
		    "# fingerprint, type, name, account, login address, no imap preauth (%zu)\n%s",
		    l.n, buf_cstr(&l.out));
	buf_free(&l.out);
	return end(cs, db, rc);
}

static int run_get(const struct cmd_env *env, int argc, char **argv)
{
	if (argc != 1)
		return cmd_usage(&cmd_tlspubkey[1]);
	struct config_static *cs;
	struct authdb *db = begin(env, &cs);
	if (!db)
		return 1;
	struct auth_tlspubkey k;
	bool found = false;
	struct error err = {0};
	int rc = 0;
	if (!authdb_tlspubkey_get(db, argv[0], &k, &found, &err))
		rc = cmd_fail("%s", err.msg);
	else if (!found)
		rc = cmd_fail("no TLS public key with fingerprint %s", argv[0]);
	else
		printf("type: %s\nname: %s\naccount: %s\naddress: %s\nno imap preauth: %s\n"
		       "certificate:\n\n%s",
		       k.type, k.name, k.account, k.login_address,
		       k.no_imap_preauth ? "true" : "false", buf_cstr(&k.cert_pem));
	auth_tlspubkey_free(&k);
	return end(cs, db, rc);
}

/* ---- add and rm ---- */

static bool read_stdin(struct buf *out, size_t max, struct error *err)
{
	char chunk[4096];
	for (;;) {
		ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_errno(err, errno, "reading standard input");
		if (n == 0)
			return true;
		if (out->len + (size_t)n > max)
			return error_set(err, ERR_LIMIT, "input larger than %zu bytes", max);
		buf_append(out, chunk, (size_t)n);
	}
}

/* Parses the certificate and resolves the address in the current domains.conf. */
static bool prepare_key(const struct cmd_env *env, const char *address, const char *name,
			bool no_preauth, struct auth_tlspubkey *k, struct error *err)
{
	struct buf pem = BUF_INIT;
	bool ok = read_stdin(&pem, AUTH_CERT_PEM_MAX, err) &&
		  auth_tlspubkey_from_pem(buf_cstr(&pem), pem.len, k, err);
	buf_free(&pem);
	if (!ok)
		return error_prefix(err, "certificate on standard input");
	struct config *c = config_load(env->config_path, err);
	if (!c) {
		auth_tlspubkey_free(k);
		return false;
	}
	struct config_dynamic *cd = config_dynamic_get(c);
	ok = auth_tlspubkey_set_login(k, cd->d, address, err);
	config_dynamic_put(cd);
	config_free(c);
	if (ok && name && !str_copy(k->name, sizeof k->name, name))
		ok = error_set(err, ERR_INVALID, "name longer than %d bytes", AUTH_TLSKEY_NAME_MAX);
	if (ok && !k->name[0])
		ok = error_set(err, ERR_INVALID, "the certificate has no name: give one");
	k->no_imap_preauth = no_preauth;
	if (!ok)
		auth_tlspubkey_free(k);
	return ok;
}

static int run_add(const struct cmd_env *env, int argc, char **argv)
{
	bool no_preauth = false;
	struct flagset fs = {0};
	flags_bool(&fs, "no-imap-preauth", &no_preauth,
		   "Don't automatically switch new IMAP connections authenticated with this key to "
		   "\"authenticated\" state after the TLS handshake. For working around clients "
		   "that ignore the untagged IMAP PREAUTH response and try to authenticate while "
		   "already authenticated.");
	struct error err = {0};
	int first = flags_parse(&fs, argc, argv, &err);
	if (first < 0)
		fprintf(stderr, "tern: %s\n", err.msg);
	int n = first < 0 ? -1 : argc - first;
	if (n != 1 && n != 2)
		return cmd_usage(&cmd_tlspubkey[2]);
	struct auth_tlspubkey k;
	if (!prepare_key(env, argv[first], n == 2 ? argv[first + 1] : NULL, no_preauth, &k, &err))
		return cmd_fail("%s", err.msg);
	struct config_static *cs;
	struct authdb *db = begin(env, &cs);
	int rc = 0;
	if (db && !authdb_tlspubkey_add(db, &k, &err))
		rc = cmd_fail("adding TLS public key: %s", err.msg);
	auth_tlspubkey_free(&k);
	return db ? end(cs, db, rc) : 1;
}

static int run_rm(const struct cmd_env *env, int argc, char **argv)
{
	if (argc != 1)
		return cmd_usage(&cmd_tlspubkey[3]);
	struct config_static *cs;
	struct authdb *db = begin(env, &cs);
	if (!db)
		return 1;
	struct error err = {0};
	int rc = authdb_tlspubkey_remove(db, argv[0], &err) ? 0 : cmd_fail("%s", err.msg);
	return end(cs, db, rc);
}

/* ---- gen ---- */

static bool write_file(const char *path, const struct buf *a, const struct buf *b,
		       struct error *err)
{
	struct buf all = BUF_INIT;
	buf_append(&all, a->data, a->len);
	if (b)
		buf_append(&all, b->data, b->len);
	fprintf(stderr, "writing %s\n", path);
	bool ok = file_write_atomic(path, all.data, all.len, 0600, err);
	sodium_memzero(all.data, all.cap);
	buf_free(&all);
	return ok;
}

static bool gen_files(const char *stem, struct error *err)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d%H%M", &tm);
	const char *base = strrchr(stem, '/') ? strrchr(stem, '/') + 1 : stem;
	struct buf key = BUF_INIT, cert = BUF_INIT, p12 = BUF_INIT;
	struct auth_tlspubkey k = {0};
	unsigned char seed[32];
	bool ok =
	    certgen_client_cert(CERTGEN_ED25519, base[0] ? base : "tern", 3650, &key, &cert, err) &&
	    certgen_pkcs12(&key, &cert, base, "", &p12, err) &&
	    certgen_raw_private_key(&key, seed, err) &&
	    auth_tlspubkey_from_pem(cert.data, cert.len, &k, err);
	char *paths[4] = {
	    xasprintf("%s.%s.ed25519privatekey.pkcs8.pem", stem, stamp),
	    xasprintf("%s.%s.certificate.pem", stem, stamp),
	    xasprintf("%s.%s.ed25519privatekey-certificate.pem", stem, stamp),
	    xasprintf("%s.%s.ed25519privatekey-certificate.p12", stem, stamp),
	};
	ok = ok && write_file(paths[0], &key, NULL, err) &&
	     write_file(paths[1], &cert, NULL, err) && write_file(paths[2], &key, &cert, err) &&
	     write_file(paths[3], &p12, NULL, err);
	if (ok) {
		char seed64[TLS_FP_B64_LEN + 1];
		base64_encode_to(BASE64_URL_NOPAD, seed, sizeof seed, seed64);
		fprintf(stderr,
			"ed25519 private key as raw-url-base64: %s\ned25519 public key "
			"fingerprint: %s\n",
			seed64, k.fingerprint);
		sodium_memzero(seed64, sizeof seed64);
	}
	for (int i = 0; i < 4; i++)
		free(paths[i]);
	sodium_memzero(seed, sizeof seed);
	sodium_memzero(key.data, key.cap);
	sodium_memzero(p12.data, p12.cap);
	buf_free(&key);
	buf_free(&cert);
	buf_free(&p12);
	auth_tlspubkey_free(&k);
	return ok;
}

static int run_gen(const struct cmd_env *env, int argc, char **argv)
{
	(void)env;
	if (argc != 1 || !argv[0][0])
		return cmd_usage(&cmd_tlspubkey[4]);
	struct error err = {0};
	return gen_files(argv[0], &err) ? 0 : cmd_fail("%s", err.msg);
}

const struct command cmd_tlspubkey[] = {
    {"config tlspubkey list", "[$account]",
     "List TLS public keys for TLS client certificate authentication.\n\n"
     "If account is absent, the TLS public keys for all accounts are listed.",
     run_list},
    {"config tlspubkey get", "$fingerprint",
     "Get a TLS public key for a fingerprint.\n\n"
     "Prints the type, name, account and address for the key, and the certificate in\n"
     "PEM format.",
     run_get},
    {"config tlspubkey add", "[-no-imap-preauth] $address [$name] < cert.pem",
     "Add a TLS public key to the account of the given address.\n\n"
     "The public key is read from the certificate; only the public key is used to\n"
     "identify the account, the rest of the certificate is ignored. The address must\n"
     "be an address of an account (not an alias); it is the login address for\n"
     "connections with this key.\n\n"
     "The optional name is a human-readable descriptive name of the key. If absent,\n"
     "the CommonName from the certificate is used.\n\n"
     "Flags:\n"
     "  -no-imap-preauth\n"
     "\tDon't automatically switch new IMAP connections authenticated with this key\n"
     "\tto \"authenticated\" state after the TLS handshake. For working around clients\n"
     "\tthat ignore the untagged IMAP PREAUTH response and try to authenticate while\n"
     "\talready authenticated.",
     run_add},
    {"config tlspubkey rm", "$fingerprint", "Remove TLS public key for fingerprint.", run_rm},
    {"config tlspubkey gen", "$stem",
     "Generate an ed25519 private key and minimal certificate for use as a TLS public\n"
     "key and write them to files starting with stem.\n\n"
     "The private key is written to $stem.$timestamp.ed25519privatekey.pkcs8.pem.\n"
     "The certificate is written to $stem.$timestamp.certificate.pem.\n"
     "The private key and certificate are also written to\n"
     "$stem.$timestamp.ed25519privatekey-certificate.pem, and as a PKCS#12 file\n"
     "(empty password, the format email clients import) to\n"
     "$stem.$timestamp.ed25519privatekey-certificate.p12.\n\n"
     "The certificate can be added to an account with \"tern config tlspubkey add\".\n\n"
     "The private key is also written to standard error in raw-url-base64-encoded\n"
     "form. The fingerprint is written to standard error too, for reference.",
     run_gen},
};
const size_t cmd_tlspubkey_count = sizeof cmd_tlspubkey / sizeof cmd_tlspubkey[0];
