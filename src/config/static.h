/*
 * static: the model of the static config file, tern.conf (mox.conf is the
 * same format and is read unchanged).
 *
 * The structs below hold every field of the file; the schema tables in
 * static.c describe them for config/schema.h, in the order of the file's
 * reference, so `sch_load(..., &cfg_static_type, ...)` binds a file, and
 * sch_describe / sch_write print it. Binding checks form only (types,
 * unknown, duplicate and missing fields). cfg_static_check then checks meaning
 * as mox does when it loads the file (names, addresses, levels, references
 * between sections, ports, files that must exist) and fills in the fields
 * marked "derived": values the server needs later, computed once here so no
 * other module repeats a default or resolves a path on its own. Derived
 * fields are not in the schema tables, so they are never read from or written
 * to a file; configured values are never changed by the check. In structs
 * whose first file field can be the subject of an error, the derived fields
 * come first: schema.h records one line per address, and a struct shares its
 * address with its first member, so this keeps that field's own line for
 * messages.
 *
 * Optional sections whose presence means something are pointers (NULL when
 * absent); service blocks of a listener are embedded and say with Enabled
 * whether the service runs. Everything lives in the arena the file was bound
 * in; a checked model is read-only and may be shared between threads.
 * Whether accounts named here exist is checked against domains.conf by the
 * config loader, not here.
 */
#ifndef TERN_CONFIG_STATIC_H
#define TERN_CONFIG_STATIC_H

#include "base/dnsname.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "config/check.h"
#include "config/schema.h"

#include <stdbool.h>
#include <stdint.h>

/* Defaults, as mox applies them. */
#define CFG_DEFAULT_USER "mox"
/* mox: config.DefaultMaxMsgSize. */
#define CFG_DEFAULT_MAX_MESSAGE_SIZE        (INT64_C(100) * 1024 * 1024)
#define CFG_DEFAULT_FIRST_TIME_SENDER_DELAY (15 * NS_PER_SEC)
#define CFG_DEFAULT_ACME_RENEW_BEFORE       (INT64_C(30) * 24 * 3600 * NS_PER_SEC)
#define CFG_DEFAULT_FAIL_SMTP_CODE          554
#define CFG_PORT_MAX                        65535

/* Minimum TLS version; the values are the protocol's version numbers (RFC 8446 4.1.2). */
enum cfg_tls_version {
	CFG_TLS_1_2 = 0x0303,
	CFG_TLS_1_3 = 0x0304,
};

/* An IP address from the file, parsed: family AF_INET or AF_INET6. */
struct cfg_static_ip {
	int family;
	unsigned char addr[16]; /* 4 bytes used for AF_INET */
	bool unspecified;       /* 0.0.0.0 or :: (listen on every address of the family) */
};

/* Global TLS settings (the top-level TLS block). */
struct cfg_tls_ca {
	bool additional_to_system;
	SCH_LIST_OF(const char *) cert_files;
	SCH_LIST_OF(const char *) cert_paths; /* derived: cert_files resolved */
};

struct cfg_static_tls {
	struct cfg_tls_ca *ca;
};

/* ACME providers (the ACME map). */
struct cfg_acme_eab {
	const char *key_path; /* derived: key_file resolved */
	const char *key_id;
	const char *key_file;
};

struct cfg_acme {
	/* derived */
	const char *name;
	int64_t renew_before_effective; /* ns; 30 days when not set */
	int port_effective;             /* 443 when not set */
	/* IssuerDomainName, or "letsencrypt.org" for Let's Encrypt's directory, or "". */
	const char *issuer_domain_effective;

	const char *directory_url;
	int64_t renew_before; /* ns */
	const char *contact_email;
	int64_t port;
	const char *issuer_domain_name;
	struct cfg_acme_eab *external_account_binding;
};

/* TLS of a listener. */
struct cfg_keycert {
	const char *cert_path; /* derived */
	const char *key_path;  /* derived */
	const char *cert_file;
	const char *key_file;
};

struct cfg_tls {
	/* derived */
	const struct cfg_acme *acme_provider; /* the provider named by acme, or NULL */
	enum cfg_tls_version min_version_effective;
	SCH_LIST_OF(const char *) host_private_key_paths;

	const char *acme;
	SCH_LIST_OF(struct cfg_keycert) keycerts;
	const char *min_version;
	SCH_LIST_OF(const char *) host_private_key_files;
	bool client_auth_disabled;
};

/* Service blocks of a listener. port_effective is the configured port or the default. */
struct cfg_listener_smtp {
	bool enabled;
	int64_t port;
	bool no_starttls;
	bool require_starttls;
	bool no_require_tls;
	SCH_LIST_OF(const char *) dnsbls;
	int64_t *first_time_sender_delay; /* ns; NULL when not set: 0 means no delay */
	bool tls_session_tickets_disabled;

	/* derived */
	int port_effective;
	int64_t first_time_sender_delay_effective; /* ns */
	SCH_LIST_OF(struct dns_domain) dnsbl_zones;
};

/* Submission and IMAP: plain text first, STARTTLS required unless disabled. */
struct cfg_listener_starttls {
	bool enabled;
	int64_t port;
	bool no_require_starttls;
	int port_effective; /* derived */
};

/* Submissions and IMAPS: TLS from the first byte. */
struct cfg_listener_implicit_tls {
	bool enabled;
	int64_t port;
	bool enabled_on_https;
	int port_effective; /* derived */
};

/* The account, admin, webmail and webapi interfaces. */
struct cfg_listener_web {
	bool enabled;
	int64_t port;
	const char *path;
	bool forwarded;

	/* derived */
	int port_effective;
	const char *path_effective; /* starts and ends with "/"; NULL when not enabled */
};

/* Metrics and pprof. */
struct cfg_listener_port {
	bool enabled;
	int64_t port;
	int port_effective; /* derived */
};

/* Autoconfig and MTA-STS policy serving. */
struct cfg_listener_wellknown {
	bool enabled;
	int64_t port;
	bool non_tls;
	bool forwarded;
	int port_effective; /* derived */
};

struct cfg_listener_webserver {
	bool enabled;
	int64_t port;
	bool rate_limit_disabled;
	int port_effective; /* derived */
};

struct cfg_listener {
	SCH_LIST_OF(const char *) ips;
	SCH_LIST_OF(const char *) nat_ips;
	bool ips_nated;
	const char *hostname;
	struct cfg_tls *tls;
	int64_t smtp_max_message_size;
	struct cfg_listener_smtp smtp;
	struct cfg_listener_starttls submission;
	struct cfg_listener_implicit_tls submissions;
	struct cfg_listener_starttls imap;
	struct cfg_listener_implicit_tls imaps;
	struct cfg_listener_web account_http;
	struct cfg_listener_web account_https;
	struct cfg_listener_web admin_http;
	struct cfg_listener_web admin_https;
	struct cfg_listener_web webmail_http;
	struct cfg_listener_web webmail_https;
	struct cfg_listener_web webapi_http;
	struct cfg_listener_web webapi_https;
	struct cfg_listener_port metrics_http;
	struct cfg_listener_port pprof_http;
	struct cfg_listener_wellknown autoconfig_https;
	struct cfg_listener_wellknown mtasts_https;
	struct cfg_listener_webserver webserver_http;
	struct cfg_listener_webserver webserver_https;

	/* derived */
	const char *name;
	SCH_LIST_OF(struct cfg_static_ip) ips_parsed;
	SCH_LIST_OF(struct cfg_static_ip) nat_ips_parsed;
	struct dns_domain hostname_domain; /* the listener's Hostname, else the global one */
	int64_t smtp_max_message_size_effective;
};

struct cfg_postmaster {
	const char *account;
	const char *mailbox;
};

struct cfg_host_tlsrpt {
	const char *localpart_parsed; /* derived: decoded localpart */
	const char *account;
	const char *mailbox;
	const char *localpart;
};

struct cfg_special_use {
	const char *sent;
	const char *archive;
	const char *trash;
	const char *draft;
	const char *junk;
};

struct cfg_initial_mailboxes {
	struct cfg_special_use special_use;
	SCH_LIST_OF(const char *) regular;
};

/* Transports (the Transports map). */
struct cfg_transport_auth {
	const char *username;
	const char *password;
	SCH_LIST_OF(const char *) mechanisms;
	SCH_LIST_OF(const char *)
	mechanisms_effective; /* derived: the configured or the default list */
};

/* Submissions, Submission and SMTP transports. */
struct cfg_transport_smtp {
	/* derived */
	struct dns_domain host_domain;
	int port_effective; /* 465, 587 or 25 by kind when not set */

	const char *host;
	int64_t port;
	bool starttls_insecure_skip_verify;
	bool no_starttls;
	struct cfg_transport_auth *auth;
};

struct cfg_transport_socks {
	/* derived */
	const char *address_host;
	int address_port;
	SCH_LIST_OF(struct cfg_static_ip) remote_ips_parsed;
	struct dns_domain remote_host_domain;

	const char *address;
	SCH_LIST_OF(const char *) remote_ips;
	const char *remote_hostname;
};

struct cfg_transport_direct {
	bool disable_ipv4;
	bool disable_ipv6;
	int family; /* derived: AF_UNSPEC (both), AF_INET or AF_INET6 */
};

struct cfg_transport_fail {
	int smtp_code_effective; /* derived: 554 when not set */
	int64_t smtp_code;
	const char *smtp_message;
};

enum cfg_transport_kind {
	/* No method configured: direct delivery, as without a transport. */
	CFG_TRANSPORT_DEFAULT = 0,
	CFG_TRANSPORT_SUBMISSIONS,
	CFG_TRANSPORT_SUBMISSION,
	CFG_TRANSPORT_SMTP,
	CFG_TRANSPORT_SOCKS,
	CFG_TRANSPORT_DIRECT,
	CFG_TRANSPORT_FAIL,
};

struct cfg_transport {
	struct cfg_transport_smtp *submissions;
	struct cfg_transport_smtp *submission;
	struct cfg_transport_smtp *smtp;
	struct cfg_transport_socks *socks;
	struct cfg_transport_direct *direct;
	struct cfg_transport_fail *fail;

	/* derived */
	const char *name;
	enum cfg_transport_kind kind;
};

/* Derived helpers of the top level. */
struct cfg_static_pkg_level {
	const char *pkg;
	enum log_level level;
};

/* Special-use role of a mailbox created for new accounts (RFC 6154). */
enum cfg_mailbox_role {
	CFG_ROLE_NONE = 0,
	CFG_ROLE_SENT,
	CFG_ROLE_ARCHIVE,
	CFG_ROLE_TRASH,
	CFG_ROLE_DRAFT,
	CFG_ROLE_JUNK,
};

struct cfg_static_mailbox {
	const char *name;
	enum cfg_mailbox_role role;
};

struct cfg_static {
	const char *data_dir;
	const char *log_level;
	SCH_MAP_OF(const char *) package_log_levels;
	const char *user;
	bool no_fix_permissions;
	const char *hostname;
	bool check_updates;
	bool pedantic;
	struct cfg_static_tls tls;
	SCH_MAP_OF(struct cfg_acme) acme;
	const char *admin_password_file;
	SCH_MAP_OF(struct cfg_listener) listeners;
	struct cfg_postmaster postmaster;
	struct cfg_host_tlsrpt *host_tlsrpt;
	struct cfg_initial_mailboxes *initial_mailboxes;
	SCH_LIST_OF(const char *) default_mailboxes;
	SCH_MAP_OF(struct cfg_transport) transports;
	bool no_outgoing_dmarc_reports;
	bool no_outgoing_tls_reports;
	bool outgoing_tls_reports_for_all_success;
	int64_t quota_message_size;

	/* derived */
	const char *data_dir_path;
	const char *admin_password_path; /* "" when not configured */
	enum log_level log_level_parsed;
	SCH_LIST_OF(struct cfg_static_pkg_level) package_levels;
	const char *user_effective;
	struct dns_domain hostname_domain;
	/* Mailboxes to create in a new account besides Inbox, in order. */
	SCH_LIST_OF(struct cfg_static_mailbox) initial_mailbox_list;
	/* Things mox accepts with a warning, for the log and `tern config test`. */
	SCH_LIST_OF(const char *) warnings;
};

extern const struct sch_type cfg_static_type;

/*
 * Checks s (bound from c->file with line map c->lines) as mox does, and fills
 * in the derived fields, allocating in c->a. Relative paths are resolved
 * against c->config_dir; files that must exist are opened for reading. Stops
 * at the first problem: false with c->err set to "file:line: message".
 */
bool cfg_static_check(struct cfg_static *s, struct cfg_check *c);

/* The listener or transport named name, or NULL. */
const struct cfg_listener *cfg_static_listener(const struct cfg_static *s, const char *name);
const struct cfg_transport *cfg_static_transport(const struct cfg_static *s, const char *name);

#endif
