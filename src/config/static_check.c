/*
 * Validation of the static config file, as mox does it when it loads
 * mox.conf (mox-/config.go PrepareStaticConfig), plus the port conflicts that
 * mox only discovers when binding. Each check stops at the first problem with
 * "file:line: message"; messages name the section ("listener public: ...",
 * "transport smarthost: ...") as mox's do. Along the way the derived fields of
 * the model are filled in (see static.h).
 */
#include "config/static.h"

#include "base/address.h"
#include "base/base64.h"
#include "base/buf.h"
#include "base/file.h"
#include "base/str.h"
#include "base/utf8.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utf8proc.h>

/* Bounds for files read during the check. */
#define CA_FILE_MAX      (16 * 1024 * 1024)
#define EAB_KEY_FILE_MAX (64 * 1024)

#define LETSENCRYPT_DIRECTORY "https://acme-v02.api.letsencrypt.org/directory"
#define LETSENCRYPT_ISSUER    "letsencrypt.org"

/* Appends a zeroed element to a derived list (an SCH_LIST_OF) and returns it. */
#define LIST_PUSH(a, list) sch_list_add((struct sch_list *)(list), sizeof *(list)->v, (a))

/* Appends a string to a derived list of strings. */
static void push_string(struct arena *a, void *list, const char *s)
{
	const char **slot = sch_list_add(list, sizeof s, a);
	*slot = s;
}

/* Common helpers. */

__attribute__((format(printf, 4, 5))) static void warn(struct cfg_static *s, struct cfg_check *c,
						       const void *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = arena_vsprintf(c->a, fmt, ap);
	va_end(ap);
	int line = at ? sch_lines_get(c->lines, at) : 0;
	push_string(c->a, &s->warnings,
		    line > 0 ? arena_sprintf(c->a, "%s:%d: %s", c->file, line, msg)
			     : arena_sprintf(c->a, "%s: %s", c->file, msg));
}

/* A port from the file: 0 means "use the default". */
static bool check_port(struct cfg_check *c, const void *at, const char *what, int64_t port, int def,
		       int *effective)
{
	if (port < 0 || port > CFG_PORT_MAX)
		return cfg_fail(c, at, "%s: port %lld out of range (1 to %d, or 0 for the default)",
				what, (long long)port, CFG_PORT_MAX);
	*effective = port ? (int)port : def;
	return true;
}

static bool check_domain(struct cfg_check *c, const void *at, const char *what, const char *value,
			 struct dns_domain *out)
{
	struct error e;
	if (!dns_domain_parse_cstr(value, 0, out, &e))
		return cfg_fail(c, at, "%s: invalid host name \"%s\": %s", what, value, e.msg);
	return true;
}

static bool ip_parse(const char *s, struct cfg_static_ip *out)
{
	memset(out, 0, sizeof *out);
	size_t n;
	if (inet_pton(AF_INET, s, out->addr) == 1) {
		out->family = AF_INET;
		n = 4;
	} else if (inet_pton(AF_INET6, s, out->addr) == 1) {
		/* An IPv4-mapped IPv6 address is the IPv4 address, as in mox (Go's To4). */
		static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0,    0,
							   0, 0, 0, 0, 0xff, 0xff};
		if (memcmp(out->addr, v4mapped, sizeof v4mapped) == 0) {
			memmove(out->addr, out->addr + 12, 4);
			memset(out->addr + 4, 0, 12);
			out->family = AF_INET;
			n = 4;
		} else {
			out->family = AF_INET6;
			n = 16;
		}
	} else {
		return false;
	}
	out->unspecified = true;
	for (size_t i = 0; i < n; i++)
		if (out->addr[i])
			out->unspecified = false;
	return true;
}

static bool ip_is_loopback(const struct cfg_static_ip *ip)
{
	static const unsigned char v6loop[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	if (ip->family == AF_INET)
		return ip->addr[0] == 127;
	return memcmp(ip->addr, v6loop, 16) == 0;
}

static bool ip_eq(const struct cfg_static_ip *a, const struct cfg_static_ip *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr, sizeof a->addr) == 0;
}

/*
 * Whether two listen addresses take the same sockets: equal, or one is the
 * unspecified address of the other's family (Linux refuses to bind a specific
 * address on a port a wildcard listener of that family holds). IPv4 and IPv6
 * never overlap: IPv6 listening sockets are IPv6-only, as in mox.
 */
static bool ip_overlap(const struct cfg_static_ip *a, const struct cfg_static_ip *b)
{
	return a->family == b->family && (a->unspecified || b->unspecified || ip_eq(a, b));
}

static bool parse_ip_list(struct cfg_check *c, const char *what, const char *kind,
			  const char *const *v, size_t n, void *outlist)
{
	SCH_LIST_OF(struct cfg_static_ip) *out = outlist;
	for (size_t i = 0; i < n; i++) {
		struct cfg_static_ip *ip = LIST_PUSH(c->a, out);
		if (!ip_parse(v[i], ip))
			return cfg_fail(c, &v[i], "%s: invalid %s \"%s\"", what, kind, v[i]);
	}
	return true;
}

/* A file the server opens later: it must be a readable regular file now. */
static bool check_readable(struct cfg_check *c, const void *at, const char *what, const char *path)
{
	struct error e;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		error_errno(&e, errno, "%s %s", what, path);
		return cfg_fail(c, at, "%s", e.msg);
	}
	struct stat st;
	bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	close(fd);
	if (!regular)
		return cfg_fail(c, at, "%s %s: not a regular file", what, path);
	return true;
}

static bool has_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return true;
	return false;
}

/*
 * Names of listeners, ACME providers, transports and packages end up in logs,
 * metrics and commands: no control characters. They are shown escaped.
 */
static bool check_name(struct cfg_check *c, const void *at, const void *section, const char *what,
		       const char *name)
{
	if (!has_control(name))
		return true;
	struct buf b = BUF_INIT;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			buf_printf(&b, "\\x%02x", *p);
		else
			buf_putc(&b, (char)*p);
	char *shown = arena_strdup(c->a, buf_cstr(&b));
	buf_free(&b);
	/* A "nil" entry has no line of its own: point at the section then. */
	return cfg_fail(c, sch_lines_get(c->lines, at) ? at : section,
			"%s name \"%s\" has a control character", what, shown);
}

/*
 * A mailbox name from this file: valid UTF-8 without control characters, in
 * Unicode NFC (mox refuses other forms, which would not match what clients
 * send), and for mailboxes created in new accounts not Inbox (always created)
 * and not below another mailbox (parents are not created).
 */
static bool check_mailbox(struct cfg_check *c, const void *at, const char *what, const char *name,
			  bool created)
{
	if (!name[0])
		return cfg_fail(c, at, "%s: empty mailbox name", what);
	if (!utf8_valid(name, strlen(name)) || has_control(name))
		return cfg_fail(c, at, "%s: mailbox name \"%s\" is not valid UTF-8 text", what,
				name);
	utf8proc_uint8_t *nfc = utf8proc_NFC((const utf8proc_uint8_t *)name);
	if (!nfc)
		return cfg_fail(c, at, "%s: mailbox name \"%s\" cannot be normalized", what, name);
	bool same = strcmp((const char *)nfc, name) == 0;
	char *norm = arena_strdup(c->a, (const char *)nfc);
	free(nfc);
	if (!same)
		return cfg_fail(c, at,
				"%s: mailbox name \"%s\" is not in Unicode NFC form, write \"%s\"",
				what, name, norm);
	if (created && ascii_caseeq(name, "Inbox"))
		return cfg_fail(c, at, "%s: Inbox is always created and cannot be listed", what);
	if (created && strchr(name, '/'))
		return cfg_fail(c, at,
				"%s: mailbox \"%s\" is a child mailbox; only top-level mailboxes "
				"can be created for new accounts",
				what, name);
	return true;
}

/* Top level. */

static bool check_levels(struct cfg_static *s, struct cfg_check *c)
{
	if (!log_level_parse(s->log_level, &s->log_level_parsed))
		return cfg_fail(c, &s->log_level,
				"LogLevel: unknown level \"%s\" (use error, info, debug, trace, "
				"traceauth or tracedata)",
				s->log_level);
	for (size_t i = 0; i < s->package_log_levels.n; i++) {
		struct cfg_static_pkg_level *pl = LIST_PUSH(c->a, &s->package_levels);
		pl->pkg = s->package_log_levels.keys[i];
		if (!check_name(c, &s->package_log_levels.v[i], &s->package_log_levels, "package",
				pl->pkg))
			return false;
		const char *v = s->package_log_levels.v[i];
		if (!log_level_parse(v, &pl->level))
			return cfg_fail(
			    c, &s->package_log_levels.v[i],
			    "PackageLogLevels: unknown level \"%s\" for package %s (use "
			    "error, info, debug, trace, traceauth or tracedata)",
			    v, pl->pkg);
	}
	return true;
}

static bool check_user(struct cfg_static *s, struct cfg_check *c)
{
	/* mox: an empty User means the default; the name or uid is resolved when serving. */
	s->user_effective = s->user[0] ? s->user : CFG_DEFAULT_USER;
	for (const char *p = s->user; *p; p++)
		if (*p == ':' || *p == ' ' || *p == '\t' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return cfg_fail(c, &s->user,
					"User: \"%s\" is neither a user name nor a uid (it has a "
					"colon, space or control character)",
					s->user);
	return true;
}

static bool check_hostname(struct cfg_static *s, struct cfg_check *c)
{
	if (!check_domain(c, &s->hostname, "Hostname", s->hostname, &s->hostname_domain))
		return false;
	/* mox: the name must be written as it is canonically, in its Unicode form. */
	if (strcmp(s->hostname_domain.unicode, s->hostname) != 0)
		return cfg_fail(c, &s->hostname, "Hostname: write \"%s\" as \"%s\"", s->hostname,
				s->hostname_domain.unicode);
	return true;
}

static bool check_tls_ca(struct cfg_static *s, struct cfg_check *c)
{
	struct cfg_tls_ca *ca = s->tls.ca;
	if (!ca)
		return true;
	for (size_t i = 0; i < ca->cert_files.n; i++) {
		const char **at = &ca->cert_files.v[i];
		const char *p = cfg_path(c, *at);
		push_string(c->a, &ca->cert_paths, p);
		struct buf b = BUF_INIT;
		struct error e;
		if (!file_read_all(p, CA_FILE_MAX, &b, &e)) {
			buf_free(&b);
			return cfg_fail(c, at, "TLS CA certificate file: %s", e.msg);
		}
		/* mox fails when no certificate could be added from the file. */
		bool any = strstr(buf_cstr(&b), "-----BEGIN CERTIFICATE-----") != NULL;
		buf_free(&b);
		if (!any)
			return cfg_fail(c, at,
					"TLS CA certificate file %s: no PEM certificate in it", p);
	}
	return true;
}

/* ACME. */

/*
 * The directory URL of an ACME provider: https, or plain http to the local
 * machine for test CAs such as pebble.
 */
static bool check_acme_url(struct cfg_check *c, const void *at, const char *what, const char *url)
{
	bool https = strncmp(url, "https://", 8) == 0;
	bool http = strncmp(url, "http://", 7) == 0;
	if (!https && !http)
		return cfg_fail(c, at, "%s: DirectoryURL \"%s\" must be an https:// URL", what,
				url);
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return cfg_fail(c, at, "%s: DirectoryURL \"%s\" contains white space", what,
					url);
	struct str auth = str_from(url + (https ? 8 : 7));
	auth.len = strcspn(auth.p, "/?#");
	if (str_index(auth, '@') >= 0)
		return cfg_fail(c, at, "%s: DirectoryURL \"%s\" must not contain user information",
				what, url);
	struct str host = auth, port = STR_NULL;
	if (str_has_prefix(auth, "[")) {
		ptrdiff_t end = str_index(auth, ']');
		if (end < 0)
			return cfg_fail(c, at, "%s: DirectoryURL \"%s\" has an unclosed [", what,
					url);
		host = str_sub(auth, 0, (size_t)end + 1);
		struct str rest = str_sub(auth, (size_t)end + 1, auth.len);
		if (rest.len && !str_has_prefix(rest, ":"))
			return cfg_fail(c, at, "%s: DirectoryURL \"%s\" has a malformed host", what,
					url);
		if (rest.len)
			port = str_sub(rest, 1, rest.len);
	} else if (str_index(auth, ':') >= 0) {
		str_cut(auth, ':', &host, &port);
	}
	uint64_t portnum;
	if (port.p && !str_parse_u64(port, CFG_PORT_MAX, &portnum))
		return cfg_fail(c, at, "%s: DirectoryURL \"%s\" has an invalid port", what, url);
	if (host.len == 0)
		return cfg_fail(c, at, "%s: DirectoryURL \"%s\" has no host", what, url);
	if (http && !str_eqi_cstr(host, "localhost") && !str_eq_cstr(host, "127.0.0.1") &&
	    !str_eq_cstr(host, "[::1]"))
		return cfg_fail(
		    c, at,
		    "%s: DirectoryURL \"%s\" must be an https:// URL (plain http is only "
		    "allowed to localhost, for test CAs)",
		    what, url);
	return true;
}

/* The EAB key file holds the key in unpadded base64url (RFC 4648 5), as mox reads it. */
static bool check_eab(struct cfg_check *c, const char *what, struct cfg_acme_eab *eab)
{
	if (!eab->key_id[0])
		return cfg_fail(c, &eab->key_id, "%s: ExternalAccountBinding KeyID is empty", what);
	eab->key_path = cfg_path(c, eab->key_file);
	struct buf b = BUF_INIT;
	struct error e;
	if (!file_read_all(eab->key_path, EAB_KEY_FILE_MAX, &b, &e)) {
		buf_free(&b);
		return cfg_fail(c, &eab->key_file, "%s: external account binding key: %s", what,
				e.msg);
	}
	/* A trailing line break, as editors add, is not part of the key. */
	struct str k = str_from(buf_cstr(&b));
	while (k.len && (k.p[k.len - 1] == '\n' || k.p[k.len - 1] == '\r'))
		k.len--;
	struct buf key = BUF_INIT;
	bool ok = k.len > 0 && base64_decode(BASE64_URL_NOPAD, k, &key);
	buf_free(&key);
	buf_free(&b);
	if (!ok)
		return cfg_fail(
		    c, &eab->key_file,
		    "%s: external account binding key file %s does not hold an unpadded "
		    "base64url key",
		    what, eab->key_path);
	return true;
}

static bool check_acme(struct cfg_static *s, struct cfg_check *c)
{
	for (size_t i = 0; i < s->acme.n; i++) {
		struct cfg_acme *a = &s->acme.v[i];
		a->name = s->acme.keys[i];
		if (!check_name(c, a, &s->acme, "ACME provider", a->name))
			return false;
		const char *what = arena_sprintf(c->a, "ACME provider %s", a->name);
		if (!sch_lines_get(c->lines, a) && !a->directory_url[0])
			return cfg_fail(c, &s->acme, "%s: empty (nil) provider", what);
		if (!check_acme_url(c, &a->directory_url, what, a->directory_url))
			return false;
		struct address contact;
		struct error e;
		if (!address_parse_cstr(a->contact_email, 0, &contact, &e))
			return cfg_fail(c, &a->contact_email, "%s: invalid ContactEmail \"%s\": %s",
					what, a->contact_email, e.msg);
		if (a->renew_before < 0)
			return cfg_fail(c, &a->renew_before, "%s: RenewBefore cannot be negative",
					what);
		a->renew_before_effective =
		    a->renew_before ? a->renew_before : CFG_DEFAULT_ACME_RENEW_BEFORE;
		if (!check_port(c, &a->port, what, a->port, 443, &a->port_effective))
			return false;
		a->issuer_domain_effective = a->issuer_domain_name;
		if (a->issuer_domain_name[0]) {
			struct dns_domain d;
			if (!check_domain(c, &a->issuer_domain_name, what, a->issuer_domain_name,
					  &d))
				return false;
		} else if (strcmp(a->directory_url, LETSENCRYPT_DIRECTORY) == 0) {
			/* As mox does for configs written before IssuerDomainName existed. */
			a->issuer_domain_effective = LETSENCRYPT_ISSUER;
		}
		if (a->external_account_binding && !check_eab(c, what, a->external_account_binding))
			return false;
	}
	return true;
}

/* Listeners. */

static bool check_listener_ips(struct cfg_static *s, struct cfg_check *c, const char *what,
			       struct cfg_listener *l)
{
	/* A "nil" entry has no line of its own: point at the Listeners section then. */
	if (l->ips.n == 0)
		return cfg_fail(c, sch_lines_get(c->lines, l) ? (const void *)l : &s->listeners,
				"%s: no IPs to listen on", what);
	if (!parse_ip_list(c, what, "IP", l->ips.v, l->ips.n, &l->ips_parsed))
		return false;
	for (size_t i = 0; i < l->ips_parsed.n; i++)
		for (size_t j = 0; j < i; j++)
			if (ip_overlap(&l->ips_parsed.v[i], &l->ips_parsed.v[j]))
				return cfg_fail(c, &l->ips.v[i],
						"%s: IPs %s and %s overlap: they cannot both be "
						"listened on",
						what, l->ips.v[j], l->ips.v[i]);
	if (l->ips_nated && l->nat_ips.n > 0)
		return cfg_fail(
		    c, &l->ips_nated,
		    "%s: both IPsNATed and NATIPs are set; remove the outdated IPsNATed", what);
	if (!parse_ip_list(c, what, "NAT IP", l->nat_ips.v, l->nat_ips.n, &l->nat_ips_parsed))
		return false;
	for (size_t i = 0; i < l->nat_ips_parsed.n; i++) {
		const struct cfg_static_ip *ip = &l->nat_ips_parsed.v[i];
		if (ip->unspecified || ip_is_loopback(ip))
			return cfg_fail(
			    c, &l->nat_ips.v[i],
			    "%s: NAT IP %s is the unspecified or a loopback address, not "
			    "a public IP",
			    what, l->nat_ips.v[i]);
	}
	return true;
}

static bool check_tls_version(struct cfg_check *c, const char *what, struct cfg_tls *t)
{
	const char *v = t->min_version;
	if (!v[0] || strcmp(v, "TLSv1.2") == 0)
		t->min_version_effective = CFG_TLS_1_2;
	else if (strcmp(v, "TLSv1.3") == 0)
		t->min_version_effective = CFG_TLS_1_3;
	else if (strcmp(v, "TLSv1.0") == 0 || strcmp(v, "TLSv1.1") == 0)
		/* RFC 8996 deprecates TLS 1.0 and 1.1; tern does not speak them. */
		return cfg_fail(c, &t->min_version,
				"%s: MinVersion %s is not supported, TLS before 1.2 is deprecated "
				"(RFC 8996); use TLSv1.2 or TLSv1.3",
				what, v);
	else
		return cfg_fail(c, &t->min_version,
				"%s: unknown MinVersion \"%s\" (use TLSv1.2 or TLSv1.3)", what, v);
	return true;
}

static bool check_listener_tls(struct cfg_static *s, struct cfg_check *c, const char *what,
			       struct cfg_tls *t)
{
	if (t->acme[0] && t->keycerts.n > 0)
		return cfg_fail(c, &t->acme, "%s: TLS cannot have both ACME and KeyCerts", what);
	if (t->acme[0]) {
		ptrdiff_t i = sch_map_index((const struct sch_map *)&s->acme, t->acme);
		if (i < 0)
			return cfg_fail(
			    c, &t->acme,
			    "%s: TLS refers to ACME provider \"%s\", which is not in the "
			    "ACME section",
			    what, t->acme);
		t->acme_provider = &s->acme.v[i];
	} else if (t->keycerts.n == 0) {
		return cfg_fail(c, t, "%s: TLS needs either ACME or KeyCerts", what);
	}
	for (size_t i = 0; i < t->keycerts.n; i++) {
		struct cfg_keycert *kc = &t->keycerts.v[i];
		kc->cert_path = cfg_path(c, kc->cert_file);
		kc->key_path = cfg_path(c, kc->key_file);
		if (!check_readable(c, &kc->cert_file, arena_sprintf(c->a, "%s: certificate", what),
				    kc->cert_path) ||
		    !check_readable(c, &kc->key_file, arena_sprintf(c->a, "%s: private key", what),
				    kc->key_path))
			return false;
	}
	for (size_t i = 0; i < t->host_private_key_files.n; i++) {
		const char **at = &t->host_private_key_files.v[i];
		const char *p = cfg_path(c, *at);
		push_string(c->a, &t->host_private_key_paths, p);
		if (!check_readable(c, at, arena_sprintf(c->a, "%s: host private key", what), p))
			return false;
	}
	return check_tls_version(c, what, t);
}

/* Services that cannot work without TLS on the listener (mox's list, plus all HTTPS). */
static bool check_needs_tls(struct cfg_check *c, const char *what, struct cfg_listener *l)
{
	if (l->tls)
		return true;
	struct {
		const char *name;
		bool needs;
	} svc[] = {
	    {"SMTP (without NoSTARTTLS)", l->smtp.enabled && !l->smtp.no_starttls},
	    {"Submission (without NoRequireSTARTTLS)",
	     l->submission.enabled && !l->submission.no_require_starttls},
	    {"Submissions", l->submissions.enabled},
	    {"IMAPS", l->imaps.enabled},
	    {"AccountHTTPS", l->account_https.enabled},
	    {"AdminHTTPS", l->admin_https.enabled},
	    {"WebmailHTTPS", l->webmail_https.enabled},
	    {"WebAPIHTTPS", l->webapi_https.enabled},
	    {"AutoconfigHTTPS (without NonTLS)",
	     l->autoconfig_https.enabled && !l->autoconfig_https.non_tls},
	    {"MTASTSHTTPS (without NonTLS)", l->mtasts_https.enabled && !l->mtasts_https.non_tls},
	    {"WebserverHTTPS", l->webserver_https.enabled},
	};
	struct buf names = BUF_INIT;
	for (size_t i = 0; i < ARRAY_LEN(svc); i++)
		if (svc[i].needs)
			buf_printf(&names, "%s%s", names.len ? ", " : "", svc[i].name);
	if (names.len == 0)
		return true;
	char *list = arena_strdup(c->a, buf_cstr(&names));
	buf_free(&names);
	return cfg_fail(c, l, "%s: no TLS configured, but it is needed for %s", what, list);
}

static bool check_web(struct cfg_static *s, struct cfg_check *c, const char *what, const char *svc,
		      struct cfg_listener_web *w, int defport, const char *defpath)
{
	const char *where = arena_sprintf(c->a, "%s: %s", what, svc);
	if (!check_port(c, &w->port, where, w->port, defport, &w->port_effective))
		return false;
	if (!w->enabled)
		return true;
	const char *p = w->path;
	if (!p[0]) {
		w->path_effective = defpath;
		return true;
	}
	if (p[0] != '/')
		return cfg_fail(c, &w->path, "%s: Path \"%s\" must start with a slash", where, p);
	for (const char *q = p; *q; q++)
		if ((unsigned char)*q <= ' ' || *q == 0x7f || *q == '?' || *q == '#')
			return cfg_fail(c, &w->path,
					"%s: Path \"%s\" has a space, control character, ? or #",
					where, p);
	w->path_effective = p;
	if (p[strlen(p) - 1] != '/') {
		/* mox accepts this with a warning and serves at the path with a slash added. */
		w->path_effective = arena_sprintf(c->a, "%s/", p);
		warn(s, c, &w->path, "%s: Path \"%s\" should end with a slash, serving at \"%s\"",
		     where, p, w->path_effective);
	}
	return true;
}

static bool check_services(struct cfg_static *s, struct cfg_check *c, const char *what,
			   struct cfg_listener *l)
{
	struct cfg_listener_smtp *smtp = &l->smtp;
	if (!check_port(c, &smtp->port, arena_sprintf(c->a, "%s: SMTP", what), smtp->port, 25,
			&smtp->port_effective))
		return false;
	smtp->first_time_sender_delay_effective = CFG_DEFAULT_FIRST_TIME_SENDER_DELAY;
	if (smtp->first_time_sender_delay) {
		if (*smtp->first_time_sender_delay < 0)
			return cfg_fail(c, &smtp->first_time_sender_delay,
					"%s: SMTP FirstTimeSenderDelay cannot be negative", what);
		smtp->first_time_sender_delay_effective = *smtp->first_time_sender_delay;
	}
	for (size_t i = 0; i < smtp->dnsbls.n; i++) {
		struct dns_domain *d = LIST_PUSH(c->a, &smtp->dnsbl_zones);
		if (!check_domain(c, &smtp->dnsbls.v[i], arena_sprintf(c->a, "%s: DNSBL", what),
				  smtp->dnsbls.v[i], d))
			return false;
	}
	struct {
		const char *name;
		const void *at;
		int64_t port;
		int def;
		int *eff;
	} ports[] = {
	    {"Submission", &l->submission.port, l->submission.port, 587,
	     &l->submission.port_effective},
	    {"Submissions", &l->submissions.port, l->submissions.port, 465,
	     &l->submissions.port_effective},
	    {"IMAP", &l->imap.port, l->imap.port, 143, &l->imap.port_effective},
	    {"IMAPS", &l->imaps.port, l->imaps.port, 993, &l->imaps.port_effective},
	    {"MetricsHTTP", &l->metrics_http.port, l->metrics_http.port, 8010,
	     &l->metrics_http.port_effective},
	    {"PprofHTTP", &l->pprof_http.port, l->pprof_http.port, 8011,
	     &l->pprof_http.port_effective},
	    {"AutoconfigHTTPS", &l->autoconfig_https.port, l->autoconfig_https.port, 443,
	     &l->autoconfig_https.port_effective},
	    {"MTASTSHTTPS", &l->mtasts_https.port, l->mtasts_https.port, 443,
	     &l->mtasts_https.port_effective},
	    {"WebserverHTTP", &l->webserver_http.port, l->webserver_http.port, 80,
	     &l->webserver_http.port_effective},
	    {"WebserverHTTPS", &l->webserver_https.port, l->webserver_https.port, 443,
	     &l->webserver_https.port_effective},
	};
	for (size_t i = 0; i < ARRAY_LEN(ports); i++)
		if (!check_port(c, ports[i].at, arena_sprintf(c->a, "%s: %s", what, ports[i].name),
				ports[i].port, ports[i].def, ports[i].eff))
			return false;
	return check_web(s, c, what, "AccountHTTP", &l->account_http, 80, "/") &&
	       check_web(s, c, what, "AccountHTTPS", &l->account_https, 443, "/") &&
	       check_web(s, c, what, "AdminHTTP", &l->admin_http, 80, "/admin/") &&
	       check_web(s, c, what, "AdminHTTPS", &l->admin_https, 443, "/admin/") &&
	       check_web(s, c, what, "WebmailHTTP", &l->webmail_http, 80, "/webmail/") &&
	       check_web(s, c, what, "WebmailHTTPS", &l->webmail_https, 443, "/webmail/") &&
	       check_web(s, c, what, "WebAPIHTTP", &l->webapi_http, 80, "/webapi/") &&
	       check_web(s, c, what, "WebAPIHTTPS", &l->webapi_https, 443, "/webapi/");
}

/*
 * Ports. Within a listener, the web services (account, admin, webmail,
 * webapi, metrics, autoconfig, MTA-STS, webserver) share a port when they
 * agree on plain HTTP or HTTPS: one HTTP server routes by path, as in mox.
 * Everything else needs a port of its own: SMTP, submission and IMAP take
 * their own sockets, and mox refuses pprof next to other HTTP services.
 * Listeners bind separately, so two listeners with overlapping IPs cannot use
 * the same port for anything.
 */
enum use_kind { USE_OWN, USE_HTTP, USE_HTTPS, USE_PPROF };

struct port_use {
	const char *name;
	enum use_kind kind;
	int port;
	const void *at;
};

#define MAX_PORT_USES 32

static size_t listener_port_uses(const struct cfg_listener *l, struct port_use *u)
{
	size_t n = 0;
#define USE(cond, name_, kind_, port_, at_)                                                        \
	do {                                                                                       \
		if (cond)                                                                          \
			u[n++] = (struct port_use){(name_), (kind_), (port_), (at_)};              \
	} while (0)
	USE(l->smtp.enabled, "SMTP", USE_OWN, l->smtp.port_effective, &l->smtp);
	USE(l->submission.enabled, "Submission", USE_OWN, l->submission.port_effective,
	    &l->submission);
	USE(l->submissions.enabled, "Submissions", USE_OWN, l->submissions.port_effective,
	    &l->submissions);
	USE(l->imap.enabled, "IMAP", USE_OWN, l->imap.port_effective, &l->imap);
	USE(l->imaps.enabled, "IMAPS", USE_OWN, l->imaps.port_effective, &l->imaps);
	/* ACME's TLS-ALPN validation runs when a TLS mail service uses an ACME certificate. */
	bool alpn = l->tls && l->tls->acme_provider &&
		    ((l->smtp.enabled && !l->smtp.no_starttls) || l->submissions.enabled ||
		     l->imaps.enabled);
	USE(alpn, "ACME TLS-ALPN validation", USE_HTTPS,
	    alpn ? l->tls->acme_provider->port_effective : 0,
	    l->tls ? (const void *)&l->tls->acme : NULL);
	/* mox always uses port 443 for these. */
	USE(l->submissions.enabled && l->submissions.enabled_on_https, "Submissions on HTTPS",
	    USE_HTTPS, 443, &l->submissions.enabled_on_https);
	USE(l->imaps.enabled && l->imaps.enabled_on_https, "IMAPS on HTTPS", USE_HTTPS, 443,
	    &l->imaps.enabled_on_https);
	USE(l->account_http.enabled, "AccountHTTP", USE_HTTP, l->account_http.port_effective,
	    &l->account_http);
	USE(l->account_https.enabled, "AccountHTTPS", USE_HTTPS, l->account_https.port_effective,
	    &l->account_https);
	USE(l->admin_http.enabled, "AdminHTTP", USE_HTTP, l->admin_http.port_effective,
	    &l->admin_http);
	USE(l->admin_https.enabled, "AdminHTTPS", USE_HTTPS, l->admin_https.port_effective,
	    &l->admin_https);
	USE(l->webmail_http.enabled, "WebmailHTTP", USE_HTTP, l->webmail_http.port_effective,
	    &l->webmail_http);
	USE(l->webmail_https.enabled, "WebmailHTTPS", USE_HTTPS, l->webmail_https.port_effective,
	    &l->webmail_https);
	USE(l->webapi_http.enabled, "WebAPIHTTP", USE_HTTP, l->webapi_http.port_effective,
	    &l->webapi_http);
	USE(l->webapi_https.enabled, "WebAPIHTTPS", USE_HTTPS, l->webapi_https.port_effective,
	    &l->webapi_https);
	USE(l->metrics_http.enabled, "MetricsHTTP", USE_HTTP, l->metrics_http.port_effective,
	    &l->metrics_http);
	USE(l->pprof_http.enabled, "PprofHTTP", USE_PPROF, l->pprof_http.port_effective,
	    &l->pprof_http);
	USE(l->autoconfig_https.enabled, "AutoconfigHTTPS",
	    l->autoconfig_https.non_tls ? USE_HTTP : USE_HTTPS, l->autoconfig_https.port_effective,
	    &l->autoconfig_https);
	USE(l->mtasts_https.enabled, "MTASTSHTTPS", l->mtasts_https.non_tls ? USE_HTTP : USE_HTTPS,
	    l->mtasts_https.port_effective, &l->mtasts_https);
	USE(l->webserver_http.enabled, "WebserverHTTP", USE_HTTP, l->webserver_http.port_effective,
	    &l->webserver_http);
	USE(l->webserver_https.enabled, "WebserverHTTPS", USE_HTTPS,
	    l->webserver_https.port_effective, &l->webserver_https);
#undef USE
	return n;
}

static bool check_ports_within(struct cfg_check *c, const char *what, const struct cfg_listener *l)
{
	struct port_use u[MAX_PORT_USES];
	size_t n = listener_port_uses(l, u);
	for (size_t j = 0; j < n; j++) {
		for (size_t i = 0; i < j; i++) {
			if (u[i].port != u[j].port)
				continue;
			enum use_kind a = u[i].kind, b = u[j].kind;
			if (a == b && (a == USE_HTTP || a == USE_HTTPS))
				continue;
			if (a == USE_PPROF || b == USE_PPROF)
				return cfg_fail(c, u[j].at,
						"%s: PprofHTTP cannot share port %d with %s", what,
						u[j].port, a == USE_PPROF ? u[j].name : u[i].name);
			if ((a == USE_HTTP && b == USE_HTTPS) || (a == USE_HTTPS && b == USE_HTTP))
				return cfg_fail(c, u[j].at,
						"%s: %s and %s both use port %d, but one is plain "
						"HTTP and the other HTTPS",
						what, u[i].name, u[j].name, u[j].port);
			return cfg_fail(c, u[j].at, "%s: %s and %s both use port %d", what,
					u[i].name, u[j].name, u[j].port);
		}
	}
	return true;
}

static bool check_ports_between(struct cfg_check *c, const struct cfg_listener *a,
				const struct cfg_listener *b)
{
	struct port_use ua[MAX_PORT_USES], ub[MAX_PORT_USES];
	size_t na = listener_port_uses(a, ua), nb = listener_port_uses(b, ub);
	for (size_t x = 0; x < a->ips_parsed.n; x++) {
		for (size_t y = 0; y < b->ips_parsed.n; y++) {
			if (!ip_overlap(&a->ips_parsed.v[x], &b->ips_parsed.v[y]))
				continue;
			for (size_t i = 0; i < na; i++)
				for (size_t j = 0; j < nb; j++)
					if (ua[i].port == ub[j].port)
						return cfg_fail(
						    c, ub[j].at,
						    "listeners %s and %s both use port %d on "
						    "overlapping IPs %s and %s (%s and %s)",
						    a->name, b->name, ua[i].port, a->ips.v[x],
						    b->ips.v[y], ua[i].name, ub[j].name);
		}
	}
	return true;
}

static bool check_listener(struct cfg_static *s, struct cfg_check *c, struct cfg_listener *l)
{
	const char *what = arena_sprintf(c->a, "listener %s", l->name);
	if (!check_listener_ips(s, c, what, l))
		return false;
	l->hostname_domain = s->hostname_domain;
	if (l->hostname[0] &&
	    !check_domain(c, &l->hostname, what, l->hostname, &l->hostname_domain))
		return false;
	if (l->tls && !check_listener_tls(s, c, what, l->tls))
		return false;
	if (!check_needs_tls(c, what, l))
		return false;
	if (l->smtp_max_message_size < 0)
		return cfg_fail(c, &l->smtp_max_message_size,
				"%s: SMTPMaxMessageSize cannot be negative", what);
	l->smtp_max_message_size_effective =
	    l->smtp_max_message_size ? l->smtp_max_message_size : CFG_DEFAULT_MAX_MESSAGE_SIZE;
	return check_services(s, c, what, l) && check_ports_within(c, what, l);
}

static bool check_listeners(struct cfg_static *s, struct cfg_check *c)
{
	if (s->listeners.n == 0)
		return cfg_fail(c, &s->listeners, "Listeners: at least one listener is needed");
	for (size_t i = 0; i < s->listeners.n; i++) {
		s->listeners.v[i].name = s->listeners.keys[i];
		if (!check_name(c, &s->listeners.v[i], &s->listeners, "listener",
				s->listeners.v[i].name))
			return false;
		if (!check_listener(s, c, &s->listeners.v[i]))
			return false;
	}
	for (size_t j = 0; j < s->listeners.n; j++)
		for (size_t i = 0; i < j; i++)
			if (!check_ports_between(c, &s->listeners.v[i], &s->listeners.v[j]))
				return false;
	return true;
}

/* Postmaster, TLS reports, mailboxes. */

static bool check_postmaster(struct cfg_static *s, struct cfg_check *c)
{
	struct cfg_postmaster *p = &s->postmaster;
	if (!p->account[0])
		return cfg_fail(c, &p->account, "Postmaster: Account is empty");
	return check_mailbox(c, &p->mailbox, "Postmaster", p->mailbox, false);
}

static bool check_host_tlsrpt(struct cfg_static *s, struct cfg_check *c)
{
	struct cfg_host_tlsrpt *t = s->host_tlsrpt;
	if (!t)
		return true;
	if (!t->account[0])
		return cfg_fail(c, &t->account, "HostTLSRPT: Account is empty");
	if (!check_mailbox(c, &t->mailbox, "HostTLSRPT", t->mailbox, false))
		return false;
	char lp[ADDRESS_LOCALPART_MAX + 1];
	struct error e;
	if (!address_localpart_parse(str_from(t->localpart), 0, lp, &e))
		return cfg_fail(c, &t->localpart, "HostTLSRPT: invalid Localpart \"%s\": %s",
				t->localpart, e.msg);
	/* As mox: like DMARC report addresses, kept ASCII so every reporter can send to it. */
	if (utf8_has_nonascii(lp, strlen(lp)))
		return cfg_fail(c, &t->localpart,
				"HostTLSRPT: Localpart \"%s\" must be ASCII, so every reporter can "
				"send to it",
				t->localpart);
	/* Messages to postmaster go to the Postmaster destination, never to TLS reports. */
	if (address_localpart_is_postmaster(lp))
		return cfg_fail(c, &t->localpart,
				"HostTLSRPT: Localpart cannot be postmaster, which is delivered to "
				"Postmaster");
	t->localpart_parsed = arena_strdup(c->a, lp);
	return true;
}

static bool add_initial(struct cfg_static *s, struct cfg_check *c, const void *at, const char *name,
			enum cfg_mailbox_role role)
{
	for (size_t i = 0; i < s->initial_mailbox_list.n; i++)
		if (strcmp(s->initial_mailbox_list.v[i].name, name) == 0)
			return cfg_fail(c, at, "initial mailbox \"%s\" is listed more than once",
					name);
	struct cfg_static_mailbox *m = LIST_PUSH(c->a, &s->initial_mailbox_list);
	m->name = name;
	m->role = role;
	return true;
}

/* mox gives mailboxes of the outdated DefaultMailboxes a role by their name. */
static enum cfg_mailbox_role role_by_name(const char *name)
{
	static const struct {
		const char *prefix;
		enum cfg_mailbox_role role;
	} roles[] = {
	    {"Archive", CFG_ROLE_ARCHIVE}, {"Drafts", CFG_ROLE_DRAFT}, {"Junk", CFG_ROLE_JUNK},
	    {"Sent", CFG_ROLE_SENT},       {"Trash", CFG_ROLE_TRASH},
	};
	for (size_t i = 0; i < ARRAY_LEN(roles); i++)
		if (strncmp(name, roles[i].prefix, strlen(roles[i].prefix)) == 0)
			return roles[i].role;
	return CFG_ROLE_NONE;
}

static bool check_mailboxes(struct cfg_static *s, struct cfg_check *c)
{
	struct cfg_initial_mailboxes *im = s->initial_mailboxes;
	bool have_initial =
	    im && (im->regular.n > 0 || im->special_use.sent[0] || im->special_use.archive[0] ||
		   im->special_use.trash[0] || im->special_use.draft[0] || im->special_use.junk[0]);
	if (have_initial && s->default_mailboxes.n > 0)
		return cfg_fail(c, &s->default_mailboxes,
				"cannot have both DefaultMailboxes and InitialMailboxes");

	if (s->default_mailboxes.n > 0) {
		for (size_t i = 0; i < s->default_mailboxes.n; i++) {
			const char **at = &s->default_mailboxes.v[i];
			if (!check_mailbox(c, at, "DefaultMailboxes", *at, false))
				return false;
			if (strchr(*at, '/'))
				return cfg_fail(c, at,
						"DefaultMailboxes: mailbox \"%s\" is a child "
						"mailbox; only top-level mailboxes can be created",
						*at);
			/* mox skips Inbox here: it is always created. */
			if (ascii_caseeq(*at, "Inbox"))
				continue;
			if (!add_initial(s, c, at, *at, role_by_name(*at)))
				return false;
		}
		return true;
	}

	if (!have_initial) {
		/* mox's default set. */
		static const struct cfg_static_mailbox defaults[] = {
		    {"Sent", CFG_ROLE_SENT},   {"Archive", CFG_ROLE_ARCHIVE},
		    {"Trash", CFG_ROLE_TRASH}, {"Drafts", CFG_ROLE_DRAFT},
		    {"Junk", CFG_ROLE_JUNK},
		};
		for (size_t i = 0; i < ARRAY_LEN(defaults); i++) {
			struct cfg_static_mailbox *m = LIST_PUSH(c->a, &s->initial_mailbox_list);
			*m = defaults[i];
		}
		return true;
	}

	struct cfg_special_use *su = &im->special_use;
	const struct {
		const char **name;
		enum cfg_mailbox_role role;
	} roles[] = {
	    {&su->sent, CFG_ROLE_SENT},   {&su->archive, CFG_ROLE_ARCHIVE},
	    {&su->trash, CFG_ROLE_TRASH}, {&su->draft, CFG_ROLE_DRAFT},
	    {&su->junk, CFG_ROLE_JUNK},
	};
	for (size_t i = 0; i < ARRAY_LEN(roles); i++) {
		const char **at = roles[i].name;
		if (!(*at)[0])
			continue;
		if (!check_mailbox(c, at, "InitialMailboxes SpecialUse", *at, true) ||
		    !add_initial(s, c, at, *at, roles[i].role))
			return false;
	}
	for (size_t i = 0; i < im->regular.n; i++) {
		const char **at = &im->regular.v[i];
		if (!check_mailbox(c, at, "InitialMailboxes Regular", *at, true) ||
		    !add_initial(s, c, at, *at, CFG_ROLE_NONE))
			return false;
	}
	return true;
}

/* Transports. */

static const char *const auth_mechanisms[] = {
    "SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-1", "CRAM-MD5", "PLAIN",
};
/* The default leaves out PLAIN: it exposes the password to the remote server. */
#define DEFAULT_AUTH_MECHANISMS 5

static bool check_transport_auth(struct cfg_check *c, const char *what,
				 struct cfg_transport_auth *a)
{
	for (size_t i = 0; i < a->mechanisms.n; i++) {
		const char **at = &a->mechanisms.v[i];
		bool known = false;
		for (size_t k = 0; k < ARRAY_LEN(auth_mechanisms); k++)
			known = known || strcmp(*at, auth_mechanisms[k]) == 0;
		if (!known)
			return cfg_fail(c, at,
					"%s: unknown authentication mechanism \"%s\" (use "
					"SCRAM-SHA-256-PLUS, SCRAM-SHA-256, SCRAM-SHA-1-PLUS, "
					"SCRAM-SHA-1, CRAM-MD5 or PLAIN)",
					what, *at);
		for (size_t j = 0; j < i; j++)
			if (strcmp(a->mechanisms.v[j], *at) == 0)
				return cfg_fail(c, at,
						"%s: authentication mechanism %s is listed twice",
						what, *at);
		push_string(c->a, &a->mechanisms_effective, *at);
	}
	if (a->mechanisms.n == 0)
		for (size_t k = 0; k < DEFAULT_AUTH_MECHANISMS; k++)
			push_string(c->a, &a->mechanisms_effective, auth_mechanisms[k]);
	return true;
}

static bool check_transport_smtp(struct cfg_check *c, const char *what, const char *method,
				 struct cfg_transport_smtp *t, bool implicit_tls, int defport)
{
	const char *where = arena_sprintf(c->a, "%s: %s", what, method);
	if (!check_domain(c, &t->host, where, t->host, &t->host_domain) ||
	    !check_port(c, &t->port, where, t->port, defport, &t->port_effective))
		return false;
	if (implicit_tls && t->starttls_insecure_skip_verify)
		return cfg_fail(c, &t->starttls_insecure_skip_verify,
				"%s: STARTTLSInsecureSkipVerify does not apply to a TLS connection",
				where);
	if (implicit_tls && t->no_starttls)
		return cfg_fail(c, &t->no_starttls,
				"%s: NoSTARTTLS does not apply to a TLS connection", where);
	return !t->auth || check_transport_auth(c, where, t->auth);
}

/* "host:port" or "[ipv6]:port", as Go's net.SplitHostPort takes it, with a numeric port. */
static bool check_socks(struct cfg_check *c, const char *what, struct cfg_transport_socks *t)
{
	struct str a = str_from(t->address), host, port;
	bool ok;
	if (str_has_prefix(a, "[")) {
		ptrdiff_t end = str_index(a, ']');
		ok = end > 1 && (size_t)end + 1 < a.len && a.p[end + 1] == ':';
		host = ok ? str_sub(a, 1, (size_t)end) : STR_NULL;
		port = ok ? str_sub(a, (size_t)end + 2, a.len) : STR_NULL;
	} else {
		/* Exactly one colon: an IPv6 address needs brackets. */
		ptrdiff_t colon = str_index(a, ':');
		ok = colon > 0 && str_index(str_sub(a, (size_t)colon + 1, a.len), ':') < 0;
		host = ok ? str_sub(a, 0, (size_t)colon) : STR_NULL;
		port = ok ? str_sub(a, (size_t)colon + 1, a.len) : STR_NULL;
	}
	uint64_t portnum = 0;
	if (!ok || !str_parse_u64(port, CFG_PORT_MAX, &portnum) || portnum == 0)
		return cfg_fail(c, &t->address,
				"%s: Socks Address \"%s\" must be host:port or [ipv6]:port", what,
				t->address);
	t->address_host = arena_memdup0(c->a, host.p, host.len);
	t->address_port = (int)portnum;
	if (t->remote_ips.n == 0)
		return cfg_fail(c, &t->remote_ips, "%s: Socks RemoteIPs is empty", what);
	if (!parse_ip_list(c, arena_sprintf(c->a, "%s: Socks", what), "remote IP", t->remote_ips.v,
			   t->remote_ips.n, &t->remote_ips_parsed))
		return false;
	return check_domain(c, &t->remote_hostname, arena_sprintf(c->a, "%s: Socks", what),
			    t->remote_hostname, &t->remote_host_domain);
}

static bool check_transport(struct cfg_check *c, struct cfg_transport *t)
{
	const char *what = arena_sprintf(c->a, "transport %s", t->name);
	const struct {
		const void *set;
		const char *name;
		enum cfg_transport_kind kind;
	} methods[] = {
	    {t->submissions, "Submissions", CFG_TRANSPORT_SUBMISSIONS},
	    {t->submission, "Submission", CFG_TRANSPORT_SUBMISSION},
	    {t->smtp, "SMTP", CFG_TRANSPORT_SMTP},
	    {t->socks, "Socks", CFG_TRANSPORT_SOCKS},
	    {t->direct, "Direct", CFG_TRANSPORT_DIRECT},
	    {t->fail, "Fail", CFG_TRANSPORT_FAIL},
	};
	const char *first = NULL;
	for (size_t i = 0; i < ARRAY_LEN(methods); i++) {
		if (!methods[i].set)
			continue;
		if (first)
			return cfg_fail(
			    c, methods[i].set,
			    "%s: has both %s and %s, a transport has at most one method", what,
			    first, methods[i].name);
		first = methods[i].name;
		t->kind = methods[i].kind;
	}
	switch (t->kind) {
	case CFG_TRANSPORT_DEFAULT: return true;
	case CFG_TRANSPORT_SUBMISSIONS:
		return check_transport_smtp(c, what, "Submissions", t->submissions, true, 465);
	case CFG_TRANSPORT_SUBMISSION:
		return check_transport_smtp(c, what, "Submission", t->submission, false, 587);
	case CFG_TRANSPORT_SMTP: return check_transport_smtp(c, what, "SMTP", t->smtp, false, 25);
	case CFG_TRANSPORT_SOCKS: return check_socks(c, what, t->socks);
	case CFG_TRANSPORT_DIRECT: {
		struct cfg_transport_direct *d = t->direct;
		if (d->disable_ipv4 && d->disable_ipv6)
			return cfg_fail(c, d, "%s: Direct disables both IPv4 and IPv6", what);
		d->family = d->disable_ipv4 ? AF_INET6 : d->disable_ipv6 ? AF_INET : AF_UNSPEC;
		return true;
	}
	case CFG_TRANSPORT_FAIL: {
		struct cfg_transport_fail *f = t->fail;
		if (f->smtp_code != 0 && (f->smtp_code < 400 || f->smtp_code > 599))
			return cfg_fail(
			    c, &f->smtp_code,
			    "%s: Fail SMTPCode %lld is not a failure code (400 to 599, or "
			    "0 for 554)",
			    what, (long long)f->smtp_code);
		f->smtp_code_effective =
		    f->smtp_code ? (int)f->smtp_code : CFG_DEFAULT_FAIL_SMTP_CODE;
		/* The text goes into an SMTP reply line and a DSN. */
		if (!utf8_valid(f->smtp_message, strlen(f->smtp_message)) ||
		    has_control(f->smtp_message))
			return cfg_fail(c, &f->smtp_message,
					"%s: Fail SMTPMessage must be text without control "
					"characters",
					what);
		return true;
	}
	}
	return true;
}

static bool check_transports(struct cfg_static *s, struct cfg_check *c)
{
	for (size_t i = 0; i < s->transports.n; i++) {
		s->transports.v[i].name = s->transports.keys[i];
		if (!check_name(c, &s->transports.v[i], &s->transports, "transport",
				s->transports.v[i].name))
			return false;
		if (!check_transport(c, &s->transports.v[i]))
			return false;
	}
	return true;
}

bool cfg_static_check(struct cfg_static *s, struct cfg_check *c)
{
	if (!s->data_dir[0])
		return cfg_fail(c, &s->data_dir, "DataDir is empty");
	s->data_dir_path = cfg_path(c, s->data_dir);
	s->admin_password_path =
	    s->admin_password_file[0] ? cfg_path(c, s->admin_password_file) : "";
	if (s->quota_message_size < 0)
		return cfg_fail(c, &s->quota_message_size, "QuotaMessageSize cannot be negative");
	return check_levels(s, c) && check_user(s, c) && check_hostname(s, c) &&
	       check_tls_ca(s, c) && check_acme(s, c) && check_listeners(s, c) &&
	       check_postmaster(s, c) && check_host_tlsrpt(s, c) && check_mailboxes(s, c) &&
	       check_transports(s, c);
}
