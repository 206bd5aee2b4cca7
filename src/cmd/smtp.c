/*
 * SMTP commands: "tern smtp dial" (look at a server's session set-up, then
 * talk to it), "tern sendmail" (a sendmail for cron and scripts that submits
 * to a mail server as configured in /etc/ternsubmit.conf) and "tern config
 * describe-sendmail" (that file's annotated template).
 */
#include "cmd/cmd.h"

#include "base/address.h"
#include "base/base64.h"
#include "base/buf.h"
#include "base/file.h"
#include "base/log.h"
#include "base/mem.h"
#include "cmd/flags.h"
#include "config/schema.h"
#include "net/certgen.h"
#include "net/dial.h"
#include "net/tlsclient.h"
#include "smtp/client.h"

#include <openssl/crypto.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SUBMIT_CONF        "/etc/ternsubmit.conf"
#define SUBMIT_CONF_MAX    (64 * 1024)
#define SENDMAIL_INPUT_MAX (INT64_C(256) * 1024 * 1024)
#define FAILURES_DIR       "ternsubmit.failures"
#define SUBMIT_TIMEOUT_MS  (60 * 1000)

/* ---- /etc/ternsubmit.conf: the fields of mox's moxsubmit.conf ---- */

struct submitconf {
	const char *local_hostname;
	const char *host;
	int64_t port;
	bool tls;
	bool starttls;
	const char *username;
	const char *password;
	const char *auth_method;
	const char *client_auth_ed25519_private_key;
	const char *client_auth_cert_private_key_pem_file;
	const char *from;
	const char *default_destination;
	const char *require_tls;
};

static const struct sch_field submit_fields[] = {
    SCH_FIELD(struct submitconf, local_hostname, "LocalHostname", sch_string, 0,
	      "Hosts don't always have an FQDN, set it explicitly, for EHLO."),
    SCH_FIELD(struct submitconf, host, "Host", sch_string, 0,
	      "Host to dial for delivery, e.g. mail.<domain>."),
    SCH_FIELD(struct submitconf, port, "Port", sch_int, 0,
	      "Port to dial for delivery, e.g. 465 for submissions, 587 for submission, or "
	      "perhaps 25 for smtp."),
    SCH_FIELD(struct submitconf, tls, "TLS", sch_bool, 0,
	      "Connect with TLS. Usually for connections to port 465."),
    SCH_FIELD(struct submitconf, starttls, "STARTTLS", sch_bool, 0,
	      "After starting in plain text, use STARTTLS to enable TLS. For port 587 and 25."),
    SCH_FIELD(struct submitconf, username, "Username", sch_string, SCH_OPTIONAL,
	      "For SMTP authentication."),
    SCH_FIELD(struct submitconf, password, "Password", sch_string, SCH_OPTIONAL,
	      "For password-based SMTP authentication, e.g. SCRAM-SHA-256-PLUS, CRAM-MD5, PLAIN."),
    SCH_FIELD(struct submitconf, auth_method, "AuthMethod", sch_string, SCH_OPTIONAL,
	      "If set, only attempt this authentication mechanism. E.g. SCRAM-SHA-256-PLUS, "
	      "SCRAM-SHA-256, SCRAM-SHA-1-PLUS, SCRAM-SHA-1, CRAM-MD5, PLAIN. If not set, any "
	      "mutually supported algorithm can be used, in order listed, from most to least "
	      "secure. It is recommended to specify the strongest authentication mechanism known "
	      "to be implemented by the server, to prevent mechanism downgrade attacks."),
    SCH_FIELD(struct submitconf, client_auth_ed25519_private_key, "ClientAuthEd25519PrivateKey",
	      sch_string, SCH_OPTIONAL,
	      "If set, used for TLS client authentication with a certificate made for this "
	      "ed25519 private key, in raw-url-base64 form. The account must have its public key "
	      "(see tern config tlspubkey). Username and Password are then not needed."),
    SCH_FIELD(struct submitconf, client_auth_cert_private_key_pem_file,
	      "ClientAuthCertPrivateKeyPEMFile", sch_string, SCH_OPTIONAL,
	      "If set, a PEM file with a certificate and its private key, used for TLS client "
	      "authentication."),
    SCH_FIELD(struct submitconf, from, "From", sch_string, 0,
	      "Address for MAIL FROM in SMTP and From-header in message."),
    SCH_FIELD(struct submitconf, default_destination, "DefaultDestination", sch_string,
	      SCH_OPTIONAL,
	      "Used when specified address does not contain an @ and may be a local user (eg "
	      "root)."),
    SCH_FIELD(struct submitconf, require_tls, "RequireTLS", sch_string, SCH_OPTIONAL,
	      "If yes, submission server must implement SMTP REQUIRETLS extension, and connection "
	      "to submission server must use verified TLS. If no, a TLS-Required header with value "
	      "no is added to the message, allowing fallback to unverified TLS or plain text "
	      "delivery despite recpient domain policies. By default, the submission server will "
	      "follow the policies of the recipient domain (MTA-STS and/or DANE), and apply "
	      "unverified opportunistic TLS with STARTTLS."),
};
static SCH_STRUCT_TYPE(submitconf_type, struct submitconf, "SubmitConf", submit_fields);

static int run_describe_sendmail(const struct cmd_env *env, int argc, char **argv)
{
	(void)env;
	(void)argv;
	if (argc != 0) {
		fprintf(stderr, "usage: tern config describe-sendmail >" SUBMIT_CONF "\n");
		return 2;
	}
	struct buf b = BUF_INIT;
	sch_describe(&submitconf_type, &b);
	fputs(buf_cstr(&b), stdout);
	buf_free(&b);
	return 0;
}

/* The file to read: $TERNSUBMITCONF for tests and unprivileged use, never when setgid. */
static const char *submitconf_path(void)
{
	const char *p = getenv("TERNSUBMITCONF");
	if (p && *p && getegid() == getgid() && geteuid() == getuid())
		return p;
	return SUBMIT_CONF;
}

static bool load_submitconf(struct submitconf *sc, struct arena *a, struct error *err)
{
	const char *path = submitconf_path();
	struct buf text = BUF_INIT;
	bool ok = file_read_all(path, SUBMIT_CONF_MAX, &text, err) &&
		  sch_load(buf_cstr(&text), text.len, path, &submitconf_type, sc, a, NULL, err);
	buf_free(&text);
	if (!ok)
		return false;
	if (sc->port <= 0 || sc->port > 65535)
		return error_set(err, ERR_INVALID, "%s: Port must be 1 to 65535", path);
	if (sc->require_tls && *sc->require_tls && strcmp(sc->require_tls, "yes") != 0 &&
	    strcmp(sc->require_tls, "no") != 0)
		return error_set(err, ERR_INVALID, "%s: RequireTLS must be yes, no or empty", path);
	return true;
}

/* ---- sendmail ---- */

struct sendmail_args {
	const char *fullname; /* -F */
	bool tflag;           /* -t: recipient from the To header */
	const char *recipient;
};

/* Flags of other sendmails that take a separate value; all but -F and -t are ignored. */
static bool flag_takes_value(char f)
{
	return strchr("fFrNRVXBChLOp", f) != NULL;
}

static int parse_sendmail_args(int argc, char **argv, struct sendmail_args *sa)
{
	int i = 0;
	for (; i < argc; i++) {
		const char *s = argv[i];
		if (strcmp(s, "--") == 0) {
			i++;
			break;
		}
		if (s[0] != '-' || s[1] == '\0')
			break;
		const char *value = s[2] ? s + 2 : NULL;
		if (!value && flag_takes_value(s[1]) && i + 1 < argc)
			value = argv[++i];
		if (s[1] == 'F')
			sa->fullname = value;
		else if (strcmp(s, "-t") == 0)
			sa->tflag = true;
	}
	if (argc - i == 1 && !sa->tflag)
		sa->recipient = argv[i];
	else if (!sa->tflag || argc - i != 0)
		return cmd_fail("need either exactly 1 recipient, or -t");
	return 0;
}

static bool resolve_recipient(const struct submitconf *sc, const char *r, const char **out,
			      struct error *err)
{
	if (!strchr(r, '@')) {
		if (!sc->default_destination || !*sc->default_destination)
			return error_set(err, ERR_INVALID,
					 "recipient %s has no @ and no default destination is "
					 "configured",
					 r);
		*out = sc->default_destination;
		return true;
	}
	struct address a;
	if (!address_parse_cstr(r, 0, &a, err))
		return error_prefix(err, "recipient %s", r);
	*out = r;
	return true;
}

/* "To: a@b" or "To: Name <a@b>" as sendmail -t finds it: one address. */
static bool to_header_address(const char *value, struct arena *a, const char **out,
			      struct error *err)
{
	const char *lt = strrchr(value, '<');
	const char *gt = lt ? strchr(lt, '>') : NULL;
	char *addr =
	    lt && gt ? arena_strndup(a, lt + 1, (size_t)(gt - lt - 1)) : arena_strdup(a, value);
	struct str t = str_trim(str_from(addr));
	if (memchr(t.p, ',', t.len))
		return error_set(err, ERR_INVALID, "only a single address in the To header");
	*out = arena_strndup(a, t.p, t.len);
	return true;
}

/*
 * Reads the message from stdin as mox sendmail does: LF becomes CRLF, the
 * From header is replaced by the configured address, a To header is added
 * when missing, and with -t the single To address is the recipient.
 */
static bool read_message(const struct submitconf *sc, struct sendmail_args *sa, struct arena *a,
			 struct buf *msg, struct error *err)
{
	if (sa->fullname && *sa->fullname) {
		buf_puts(msg, "From: \"");
		for (const char *p = sa->fullname; *p; p++)
			if (*p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
				buf_putc(msg, *p);
		buf_printf(msg, "\" <%s>\r\n", sc->from);
	} else {
		buf_printf(msg, "From: <%s>\r\n", sc->from);
	}
	bool header = true, have_to = false, skipping = false;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	uint64_t total = 0;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		total += (uint64_t)n;
		if (total > SENDMAIL_INPUT_MAX) {
			free(line);
			return error_set(err, ERR_LIMIT, "message too large");
		}
		size_t len = (size_t)n;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (header && len == 0) {
			if (!have_to && sa->recipient)
				buf_printf(msg, "To: <%s>\r\n", sa->recipient);
			if (sc->require_tls && strcmp(sc->require_tls, "no") == 0)
				buf_puts(msg, "TLS-Required: No\r\n");
			header = false;
		} else if (header && (line[0] == ' ' || line[0] == '\t')) {
			if (skipping)
				continue; /* continuation of a dropped From */
		} else if (header) {
			char *colon = memchr(line, ':', len);
			if (!colon) {
				free(line);
				return error_set(err, ERR_INVALID,
						 "invalid message, missing colon in header");
			}
			skipping = (size_t)(colon - line) == 4 && strncasecmp(line, "from", 4) == 0;
			if (skipping)
				continue;
			if ((size_t)(colon - line) == 2 && strncasecmp(line, "to", 2) == 0) {
				if (sa->tflag) {
					if (sa->recipient) {
						free(line);
						return error_set(err, ERR_INVALID,
								 "only a single To header allowed");
					}
					char *v = arena_strndup(a, colon + 1,
								len - (size_t)(colon + 1 - line));
					const char *r = NULL;
					if (!to_header_address(v, a, &r, err) ||
					    !resolve_recipient(sc, r, &sa->recipient, err)) {
						free(line);
						return false;
					}
				}
				have_to = true;
			}
		}
		buf_append(msg, line, len);
		buf_puts(msg, "\r\n");
	}
	free(line);
	if (header && sc->require_tls && strcmp(sc->require_tls, "no") == 0)
		buf_puts(msg, "TLS-Required: No\r\n");
	if (!sa->recipient)
		return error_set(err, ERR_INVALID, "no recipient");
	return true;
}

/* Keeps a message that could not be submitted in ~/ternsubmit.failures/. */
static void save_failure(const struct buf *msg)
{
	const char *home = getenv("HOME");
	if (!home || !*home)
		return;
	char *dir = path_join(home, FAILURES_DIR);
	mkdir(dir, 0700);
	char *tmpl = path_join(dir, "newmsg.XXXXXX");
	int fd = mkstemp(tmpl);
	if (fd >= 0) {
		struct error err;
		if (fd_write_all(fd, msg->data, msg->len, &err) && close(fd) == 0)
			fprintf(stderr, "tern: saved message in %s\n", tmpl);
		else
			close(fd);
	}
	free(tmpl);
	free(dir);
}

/* A raw-url-base64 Ed25519 private key (its 32-byte seed, or seed and public key) as PEM
 * key and a certificate made for it on the fly: only the key matters to the server. */
static bool ed25519_client_cert(const char *b64url, struct buf *key_pem, struct buf *cert_pem,
				struct error *err)
{
	unsigned char raw[64];
	struct str in = str_from(b64url);
	bool ok = base64_decode_exact(BASE64_URL_NOPAD, in, raw, 32) ||
		  base64_decode_exact(BASE64_URL_NOPAD, in, raw, 64);
	if (!ok)
		error_set(err, ERR_INVALID, "ed25519 key must be 32 or 64 bytes in base64url");
	else
		ok = certgen_ed25519_cert(raw, "tern sendmail", 365, key_pem, cert_pem, err);
	OPENSSL_cleanse(raw, sizeof raw);
	return ok;
}

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

/* The TLS context for the submission server: verified against the system's CAs (or
 * TERNSUBMIT_CAFILE), with the configured client certificate. */
static struct tls_client *submit_tls(const struct submitconf *sc, bool *client_cert,
				     struct error *err)
{
	struct buf key = BUF_INIT, cert = BUF_INIT;
	struct tls_client_config tc = {
	    .ca_file = nonempty(getenv("TERNSUBMIT_CAFILE")),
	    .cert_file = nonempty(sc->client_auth_cert_private_key_pem_file),
	};
	const char *ed = nonempty(sc->client_auth_ed25519_private_key);
	struct tls_client *t = NULL;
	if (!tc.cert_file && ed) {
		if (!ed25519_client_cert(ed, &key, &cert, err))
			goto out;
		tc.cert_pem = &cert;
		tc.key_pem = &key;
	}
	*client_cert = tc.cert_file || tc.cert_pem;
	t = tls_client_new(&tc, err);
out:
	if (key.data)
		OPENSSL_cleanse(key.data, key.cap);
	buf_free(&key);
	buf_free(&cert);
	return t;
}

static bool submit(const struct submitconf *sc, const char *rcpt, const struct buf *msg,
		   bool requiretls, struct error *err)
{
	bool client_cert = false;
	struct tls_client *tls = NULL;
	if (sc->tls || sc->starttls) {
		tls = submit_tls(sc, &client_cert, err);
		if (!tls)
			return false;
	}
	struct smtp_client_opts o = {
	    .ehlo_name = nonempty(sc->local_hostname),
	    .tls = sc->tls        ? SMTP_CLIENT_TLS_IMPLICIT
		   : sc->starttls ? SMTP_CLIENT_TLS_STARTTLS
				  : SMTP_CLIENT_TLS_NONE,
	    .tls_ctx = tls,
	    .tls_params = {.verify = TLS_VERIFY_PKIX, .server_name = sc->host},
	    .username = sc->username,
	    .password = sc->password,
	    .auth_mech = sc->auth_method,
	    .client_cert = client_cert,
	    .timeout_ms = SUBMIT_TIMEOUT_MS,
	    .data_timeout_ms = SUBMIT_TIMEOUT_MS,
	};
	struct dial_opts d = {.timeout_ms = SUBMIT_TIMEOUT_MS, .pkg = log_pkg("smtpclient")};
	struct smtp_client *c = smtp_client_dial(sc->host, (uint16_t)sc->port, &o, &d, err);
	tls_client_unref(tls);
	if (!c)
		return false;
	const char *rcpts[1] = {rcpt};
	/* As mox's sendmail: the message is declared 8-bit, whatever it holds. */
	struct smtp_tx tx = {
	    .mail_from = sc->from,
	    .rcpts = rcpts,
	    .nrcpts = 1,
	    .msg = {.data = msg->data, .len = msg->len, .fd = -1},
	    .need_8bitmime = true,
	    .requiretls = requiretls,
	};
	struct smtp_tx_result res;
	smtp_tx_result_init(&res);
	bool ok = smtp_client_send(c, &tx, &res, err);
	smtp_tx_result_free(&res);
	if (smtp_client_usable(c))
		smtp_client_quit(c, NULL);
	smtp_client_free(c);
	return ok;
}

static int run_sendmail(const struct cmd_env *env, int argc, char **argv)
{
	(void)env;
	struct sendmail_args sa = {0};
	int rc = parse_sendmail_args(argc, argv, &sa);
	if (rc != 0)
		return rc;
	struct arena a;
	arena_init(&a, 4096);
	struct submitconf sc = {0};
	struct error err = {0};
	struct buf msg = BUF_INIT;
	if (!load_submitconf(&sc, &a, &err) ||
	    (sa.recipient && !resolve_recipient(&sc, sa.recipient, &sa.recipient, &err)) ||
	    !read_message(&sc, &sa, &a, &msg, &err)) {
		rc = cmd_fail("%s", err.msg);
		goto out;
	}
	bool requiretls = sc.require_tls && strcmp(sc.require_tls, "yes") == 0;
	if (requiretls && !sc.tls && !sc.starttls)
		error_set(&err, ERR_INVALID, "RequireTLS yes needs TLS or STARTTLS to the server");
	else if (submit(&sc, sa.recipient, &msg, requiretls, &err))
		goto out;
	fprintf(stderr, "tern: submit failed: %s\n", err.msg);
	save_failure(&msg);
	rc = 1;
out:
	buf_free(&msg);
	arena_free(&a);
	return rc;
}

/* ---- smtp dial ---- */

/* Sends what was typed on stdin, lines ending in LF sent with CRLF; false at its end. */
static bool relay_stdin(struct conn *c, int *rc)
{
	char buf[8 * 1024];
	ssize_t n = read(0, buf, sizeof buf);
	if (n <= 0)
		return false;
	struct buf out = BUF_INIT;
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\n' && (i == 0 || buf[i - 1] != '\r'))
			buf_putc(&out, '\r');
		buf_putc(&out, buf[i]);
	}
	struct error err;
	if (!conn_write(c, out.data, out.len, &err) || !conn_flush(c, &err))
		*rc = cmd_fail("%s", err.msg);
	buf_free(&out);
	return *rc == 0;
}

/* Copies what the server sends to stdout; false when it closed or failed. */
static bool relay_server(struct conn *c, int *rc)
{
	struct str chunk;
	struct error err;
	if (!conn_read_some(c, 16 * 1024, &chunk, &err)) {
		if (err.kind == ERR_TIMEOUT) /* a TLS record still arriving */
			return true;
		if (err.kind != ERR_CLOSED)
			*rc = cmd_fail("%s", err.msg);
		return false;
	}
	fwrite(chunk.p, 1, chunk.len, stdout);
	fflush(stdout);
	return true;
}

/* Copies between stdin/stdout and the session until the server closes. */
static int relay(struct conn *c)
{
	bool stdin_open = true;
	int rc = 0;
	conn_set_timeouts(c, 1000, SMTP_CLIENT_TIMEOUT_MS);
	for (;;) {
		struct pollfd p[2] = {{conn_fd(c), POLLIN, 0}, {0, POLLIN, 0}};
		int np = stdin_open ? 2 : 1;
		if (conn_buffered(c) == 0 && poll(p, (nfds_t)np, -1) < 0) {
			if (errno == EINTR)
				continue;
			return cmd_fail("poll: %s", strerror(errno));
		}
		if ((conn_buffered(c) > 0 || p[0].revents) && !relay_server(c, &rc))
			return rc;
		if (stdin_open && p[1].revents && !relay_stdin(c, &rc)) {
			if (rc != 0)
				return rc;
			stdin_open = false;
		}
	}
}

/* "[::1]:25", "host:25", "host", or a bare IPv6 address without port. */
static char *split_host_port(const char *arg, uint16_t *port)
{
	char *host = xstrdup(arg);
	*port = 25;
	char *colon = strrchr(host, ':');
	if (host[0] == '[' && colon && colon[-1] == ']') {
		*colon = '\0';
		*port = (uint16_t)atoi(colon + 1);
		colon[-1] = '\0';
		memmove(host, host + 1, strlen(host));
	} else if (colon && strchr(host, ':') == colon) {
		*colon = '\0';
		*port = (uint16_t)atoi(colon + 1);
	}
	return host;
}

static int run_smtp_dial(const struct cmd_env *env, int argc, char **argv)
{
	(void)env;
	const char *ehlo = NULL, *remote = NULL, *certs = NULL, *vmin = NULL, *vmax = NULL;
	bool forcetls = false, notls = false, verify = false, notickets = false;
	struct flagset fs = {0};
	flags_string(&fs, "ehlohostname", &ehlo,
		     "our hostname to use during the SMTP EHLO command");
	flags_bool(&fs, "forcetls", &forcetls,
		   "use TLS, even if remote SMTP server does not announce STARTTLS extension");
	flags_bool(&fs, "notls", &notls, "do not use TLS");
	flags_string(&fs, "remotehostname", &remote,
		     "remote hostname to use for TLS verification, if enabled; the hostname from "
		     "the parameter is used by default");
	flags_string(&fs, "tlscerts", &certs,
		     "path to root ca certificates in pem form, for "
		     "verification");
	flags_bool(&fs, "tlsnosessiontickets", &notickets, "disable TLS session tickets");
	flags_bool(&fs, "tlsverify", &verify, "verify remote hostname during TLS");
	flags_string(&fs, "tlsversionmax", &vmax,
		     "maximum TLS version, empty value uses TLS stack default; values: tls1.2, "
		     "tls1.3");
	flags_string(&fs, "tlsversionmin", &vmin,
		     "minimum TLS version, empty value uses TLS stack default; values: tls1.2, "
		     "tls1.3");
	struct error err = {0};
	int first = flags_parse(&fs, argc, argv, &err);
	if (first < 0 || argc - first != 1) {
		if (first < 0)
			fprintf(stderr, "tern: %s\n", err.msg);
		fprintf(stderr, "usage: tern smtp dial $host[:$port]\n");
		flags_print(&fs, stderr);
		return 2;
	}
	uint16_t port;
	char *host = split_host_port(argv[first], &port);
	struct tls_client *tls = NULL;
	if (!notls) {
		struct tls_client_config tc = {.ca_file = nonempty(certs),
					       .min_version = nonempty(vmin),
					       .max_version = nonempty(vmax),
					       .no_session_tickets = notickets};
		tls = tls_client_new(&tc, &err);
		if (!tls) {
			free(host);
			return cmd_fail("tls: %s", err.msg);
		}
	}
	/* Without -tlsverify any certificate will do, as mox's smtp dial. */
	struct smtp_client_opts o = {
	    .ehlo_name = ehlo,
	    .tls = notls      ? SMTP_CLIENT_TLS_NONE
		   : forcetls ? SMTP_CLIENT_TLS_STARTTLS
			      : SMTP_CLIENT_TLS_OPPORTUNISTIC,
	    .tls_ctx = tls,
	    .tls_params = {.verify = verify ? TLS_VERIFY_PKIX : TLS_VERIFY_NONE,
			   .server_name = remote && *remote ? remote : host},
	};
	struct dial_opts d = {.pkg = log_pkg("smtpclient")};
	int rc;
	struct smtp_client *c = smtp_client_dial(host, port, &o, &d, &err);
	tls_client_unref(tls);
	if (!c) {
		rc = cmd_fail("dial %s: %s", argv[first], err.msg);
	} else {
		fprintf(stderr,
			"connected to %s:%u%s%s, session initialized, copying stdin/stdout\n", host,
			port, smtp_client_tls_active(c) ? ", tls " : ", no tls",
			smtp_client_tls_desc(c));
		rc = relay(smtp_client_conn(c));
		smtp_client_free(c);
	}
	free(host);
	return rc;
}

const struct command cmd_smtp[] = {
    {"smtp dial", "$host[:$port]",
     "Dial the address, initialize the SMTP session, including using STARTTLS to enable TLS if "
     "the server supports it.\n\nIf no port is specified, SMTP port 25 is used.\n\nData is "
     "copied between connection and stdin/stdout until either side closes the connection.\n\n"
     "The flags influence the TLS configuration, useful for debugging interoperability "
     "issues.\n\nNo MTA-STS or DANE verification is done.",
     run_smtp_dial},
    {"sendmail", "[-Fname] [ignoredflags] [-t] [<message]",
     "Sendmail is a drop-in replacement for /usr/sbin/sendmail to deliver emails sent by unix "
     "processes like cron.\n\nMessages are submitted to an actual mail server over SMTP. The "
     "destination mail server and credentials are configured in " SUBMIT_CONF
     ", see tern config describe-sendmail. The From message header is rewritten to the "
     "configured address (with the -F name as display name). When the addressee appears to "
     "be a local user, because without @, the message is sent to the configured default "
     "address.\n\nIf submitting an email fails, it is added to a directory " FAILURES_DIR
     " in the user's home directory.\n\nMost flags are ignored to fake compatibility with "
     "other sendmail implementations. A single recipient or the -t flag with a To-header is "
     "required. With the -t flag, Cc and Bcc headers are not handled specially, so Bcc is not "
     "removed and the addresses do not receive the email.\n\n" SUBMIT_CONF
     " should be group-readable and not readable by others and this binary should be setgid "
     "that group:\n\n\tgroupadd ternsubmit\n\tinstall -m 2755 -o root -g ternsubmit tern "
     "/usr/sbin/sendmail\n\ttouch " SUBMIT_CONF "\n\tchown root:ternsubmit " SUBMIT_CONF
     "\n\tchmod 640 " SUBMIT_CONF "\n\t# edit " SUBMIT_CONF
     "\n\nTERNSUBMITCONF names another file (ignored when setgid); TERNSUBMIT_CAFILE adds CA "
     "certificates for verifying the server.",
     run_sendmail},
    {"config describe-sendmail", ">" SUBMIT_CONF,
     "Describe configuration for tern when invoked as sendmail.", run_describe_sendmail},
};
const size_t cmd_smtp_count = ARRAY_LEN(cmd_smtp);
