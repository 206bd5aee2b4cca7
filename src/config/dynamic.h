/*
 * dynamic: the model of the dynamic config file, domains.conf.
 *
 * domains.conf holds what changes while tern runs: the hosted domains (DKIM,
 * DMARC, MTA-STS and TLS reporting, routes, aliases), the accounts with their
 * addresses and delivery rules, web handlers and monitored DNS blocklists. The
 * file has mox's field names and layout, so a mox installation's file loads
 * unchanged. This header declares
 *   - the C structs of the whole file and their schema tables (config/schema.h):
 *     sch_load(..., &cfg_dynamic_type, ...) binds a file, sch_describe documents
 *     it, sch_write writes it back;
 *   - cfg_dynamic_check, which validates a bound model as mox does and fills
 *     in the derived fields (marked "derived" below): parsed domains, canonical
 *     addresses, resolved paths, default limits, SMTP reply lines, compiled
 *     regular expressions, loaded DKIM keys, and the lookup indexes;
 *   - the lookups the mail protocols need: recipient address to destination or
 *     alias, login address to account, domain and account by name.
 *
 * Configured fields are never changed by the check, so writing a checked model
 * gives back what was read. Derived fields are not in the schema tables: they
 * are neither read, written nor described. In structs whose first configured
 * field is checked, derived fields come first in C: the line map of
 * config/schema.h knows a struct and its first member by one address, and a
 * checked field needs an address of its own to be reported at its line. Everything lives in the
 * arena the model was bound into, except compiled regular expressions and DKIM keys, which
 * cfg_dynamic_release frees; call it once for every model that went through cfg_dynamic_check,
 * whether the check passed or failed.
 *
 * A checked model is read-only: any number of threads may look up in it at
 * once. Lookups take time logarithmic or constant in the number of accounts,
 * domains and addresses (hash tables built by the check).
 *
 * Cross-checks against the static file that need its model are left to the
 * config loader: that Routes name transports defined in tern.conf, that a
 * listener serves MTA-STS when a domain has MTASTS, and that a listener has the
 * web server enabled when WebDomainRedirects or WebHandlers are set. What the
 * check needs from the static file comes in struct cfg_dynamic_env.
 */
#ifndef TERN_CONFIG_DYNAMIC_H
#define TERN_CONFIG_DYNAMIC_H

#include "base/dnsname.h"
#include "config/check.h"
#include "config/schema.h"

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>

/* OpenSSL's EVP_PKEY, without making every user of the config include OpenSSL. */
struct evp_pkey_st;

/* Defaults mox applies when an account leaves its limits at 0. */
#define CFG_DEFAULT_MAX_OUTGOING_PER_DAY              1000
#define CFG_DEFAULT_MAX_FIRST_TIME_RECIPIENTS_PER_DAY 200
/* Bounds on free-text values that end up in SMTP/IMAP replies (mox's limit). */
#define CFG_REPLY_TEXT_MAX 256

struct cfg_domain;
struct cfg_account;
struct cfg_alias;
struct cfg_dynamic_index;

/* A route (domain, account or global): the first matching route picks the transport. */
struct cfg_route {
	SCH_LIST_OF(const char *) from_domain;
	SCH_LIST_OF(const char *) to_domain;
	int64_t minimum_attempts;
	const char *transport;

	/* derived: the domains in ASCII form, keeping a leading "." (suffix match) and a lone "."
	 */
	const char **from_domain_ascii;
	const char **to_domain_ascii;
};

struct cfg_dkim_canonicalization {
	bool header_relaxed;
	bool body_relaxed;
};

enum cfg_dkim_algorithm {
	CFG_DKIM_NONE = 0,
	CFG_DKIM_RSA,
	CFG_DKIM_ED25519,
};

struct cfg_selector {
	/* derived */
	struct dns_domain name;               /* the selector as a DNS label sequence */
	const char *hash_effective;           /* "sha256" (the default) or "sha1" */
	const char *const *headers_effective; /* Headers, or the default set */
	size_t nheaders_effective;
	int64_t expiration_seconds;   /* 0: signatures do not expire */
	const char *private_key_path; /* PrivateKeyFile resolved against the config directory */
	enum cfg_dkim_algorithm algorithm;
	int key_bits;            /* RSA modulus size; 256 for Ed25519 */
	struct evp_pkey_st *key; /* freed by cfg_dynamic_release */

	/* configured */
	const char *hash;
	struct cfg_dkim_canonicalization canonicalization;
	SCH_LIST_OF(const char *) headers;
	bool dont_seal_headers;
	const char *expiration;
	const char *private_key_file;
};

struct cfg_dkim {
	SCH_MAP_OF(struct cfg_selector) selectors;
	SCH_LIST_OF(const char *) sign;

	/* derived: the selectors named in Sign, in order */
	struct cfg_selector **sign_selectors;
};

/* Where DMARC or TLS reports for a domain are delivered. */
struct cfg_dmarc {
	/* derived */
	const char *parsed_localpart; /* decoded, lower-cased unless the domain is case-sensitive */
	struct cfg_domain *address_domain; /* Domain, or the domain this block is in */
	struct cfg_account *account_conf;

	/* configured */
	const char *localpart;
	const char *domain;
	const char *account;
	const char *mailbox;
};

struct cfg_tlsrpt {
	/* derived, as for cfg_dmarc */
	const char *parsed_localpart;
	struct cfg_domain *address_domain;
	struct cfg_account *account_conf;

	/* configured */
	const char *localpart;
	const char *domain;
	const char *account;
	const char *mailbox;
};

enum cfg_mtasts_mode {
	CFG_MTASTS_NONE = 0,
	CFG_MTASTS_TESTING,
	CFG_MTASTS_ENFORCE,
};

struct cfg_mtasts {
	/* derived */
	enum cfg_mtasts_mode mode_parsed;
	struct dns_pattern *mx_patterns; /* one per MX entry */

	/* configured */
	const char *policy_id;
	const char *mode;
	int64_t max_age;
	SCH_LIST_OF(const char *) mx;
};

/* One member of an alias, resolved to the account that receives for it. */
struct cfg_alias_member {
	const char *address; /* as configured */
	struct cfg_account *account;
	const struct cfg_destination *dest;
};

struct cfg_alias {
	SCH_LIST_OF(const char *) addresses;
	bool post_public;
	bool list_members;
	bool allow_msg_from;

	/* derived */
	const char *localpart;           /* the map key, decoded */
	const char *canonical_localpart; /* as used in lookups */
	struct cfg_domain *domain;
	struct cfg_alias_member *members; /* one per entry of Addresses */
	size_t nmembers;
};

struct cfg_domain {
	bool disabled;
	const char *description;
	const char *client_settings_domain;
	const char *localpart_catchall_separator;
	SCH_LIST_OF(const char *) localpart_catchall_separators;
	bool localpart_case_sensitive;
	struct cfg_dkim dkim;
	struct cfg_dmarc *dmarc;
	struct cfg_mtasts *mtasts;
	struct cfg_tlsrpt *tlsrpt;
	SCH_LIST_OF(struct cfg_route) routes;
	SCH_MAP_OF(struct cfg_alias) aliases;

	/* derived */
	struct dns_domain name;            /* the map key, parsed */
	struct dns_domain client_settings; /* zero when ClientSettingsDomain is empty */
	const char *const *separators;     /* the effective catchall separators, first one first */
	size_t nseparators;
	/* No address of its own (typically it only has its DMARC/TLS reports
	 * delivered to another domain): not a local domain for delivery. */
	bool reports_only;
};

/* The parts of a URL that the checks and the web server need. */
struct cfg_web_url {
	const char *scheme; /* "" for a scheme-relative URL ("//host/") */
	const char *host;   /* including a port, as written */
	const char *path;
	const char *query;
	const char *fragment;
};

struct cfg_webhook_outgoing {
	struct cfg_web_url url_parsed; /* derived */

	/* configured */
	const char *url;
	const char *authorization;
	SCH_LIST_OF(const char *) events;
};

struct cfg_webhook_incoming {
	struct cfg_web_url url_parsed; /* derived */

	/* configured */
	const char *url;
	const char *authorization;
};

struct cfg_ruleset {
	/* derived; regexes are NULL when their field is empty */
	regex_t *smtp_mail_from_re;
	regex_t *msg_from_re;
	const char *verified_domain_ascii;
	regex_t **header_key_re; /* one pair per HeadersRegexp entry */
	regex_t **header_value_re;
	const char *list_allow_domain_ascii;

	/* configured */
	const char *smtp_mail_from_regexp;
	const char *msg_from_regexp;
	const char *verified_domain;
	SCH_MAP_OF(const char *) headers_regexp;
	bool is_forward;
	const char *list_allow_domain;
	const char *accept_rejects_to_mailbox;
	const char *mailbox;
	const char *comment;
};

struct cfg_destination {
	/* derived */
	const char *address;       /* the full address this destination is for, domain in Unicode */
	struct cfg_domain *domain; /* its domain */
	bool catchall;             /* "@domain" */
	int smtp_error_code;       /* 451 or 550 when SMTPError is set, else 0 */
	const char *smtp_error_enhanced; /* RFC 3463 code: "4.3.0" or "5.1.1" */
	const char *smtp_error_text;
	const char *smtp_error_line; /* the whole reply: "550 5.1.1 no such user(s)" */
	/* Set on the destinations the check makes for reporting addresses. */
	bool dmarc_reports;
	bool tlsrpt_reports;
	bool host_tlsrpt_reports;

	/* configured */
	const char *mailbox;
	SCH_LIST_OF(struct cfg_ruleset) rulesets;
	const char *smtp_error;
	const char *message_auth_required_smtp_error;
	const char *full_name;
};

struct cfg_subjectpass {
	bool enabled; /* derived: Period is set */

	/* configured */
	int64_t period;
};

struct cfg_junk_flags {
	bool enabled;
	const char *junk_mailbox_regexp;
	const char *neutral_mailbox_regexp;
	const char *not_junk_mailbox_regexp;
};

struct cfg_junk_params {
	bool onegrams;
	bool twograms;
	bool threegrams;
	double max_power;
	int64_t top_words;
	double ignore_words;
	int64_t rare_words;
};

/* params before threshold in C (not in the file): see the note at the top. */
struct cfg_junk_filter {
	struct cfg_junk_params params;
	double threshold;
};

struct cfg_account {
	struct cfg_webhook_outgoing *outgoing_webhook;
	struct cfg_webhook_incoming *incoming_webhook;
	SCH_LIST_OF(const char *) from_id_login_addresses;
	int64_t keep_retired_message_period;
	int64_t keep_retired_webhook_period;
	const char *login_disabled;
	const char *domain;
	const char *description;
	const char *full_name;
	SCH_MAP_OF(struct cfg_destination) destinations;
	struct cfg_subjectpass subject_pass;
	int64_t quota_message_size;
	const char *rejects_mailbox;
	bool keep_rejects;
	const char *introbox;
	struct cfg_junk_flags automatic_junk_flags;
	struct cfg_junk_filter *junk_filter;
	int64_t max_outgoing_messages_per_day;
	int64_t max_first_time_recipients_per_day;
	bool no_first_time_sender_delay;
	bool no_custom_password;
	SCH_LIST_OF(const char *) imap_capabilities_disabled;
	SCH_LIST_OF(struct cfg_route) routes;

	/* derived */
	const char *name;                 /* the map key */
	struct dns_domain domain_name;    /* Domain, parsed */
	struct cfg_domain *domain_conf;   /* Domain's configuration; NULL when not hosted */
	int64_t max_outgoing_effective;   /* MaxOutgoingMessagesPerDay or its default */
	int64_t max_first_time_effective; /* MaxFirstTimeRecipientsPerDay or its default */
	regex_t *junk_mailbox_re;         /* AutomaticJunkFlags, NULL when empty */
	regex_t *neutral_mailbox_re;
	regex_t *not_junk_mailbox_re;
	struct cfg_alias **aliases; /* the aliases with an address of this account as member */
	size_t naliases;
};

/* The booleans first in C (not in the file): see the note at the top. */
struct cfg_web_static {
	bool list_files;
	bool continue_not_found;
	const char *strip_prefix;
	const char *root;
	SCH_MAP_OF(const char *) response_headers;
};

struct cfg_web_redirect {
	/* derived */
	struct cfg_web_url url;   /* BaseURL parsed, path "/" when empty; zero without BaseURL */
	regex_t *orig_path_re;    /* NULL when OrigPathRegexp is empty */
	int64_t status_effective; /* StatusCode, or 308 */

	/* configured */
	const char *base_url;
	const char *orig_path_regexp;
	const char *replace_path;
	int64_t status_code;
};

struct cfg_web_forward {
	bool strip_path;
	const char *url;
	SCH_MAP_OF(const char *) response_headers;

	/* derived */
	struct cfg_web_url target;
};

enum cfg_web_service {
	CFG_WEB_SERVICE_NONE = 0,
	CFG_WEB_SERVICE_ADMIN,
	CFG_WEB_SERVICE_ACCOUNT,
	CFG_WEB_SERVICE_WEBMAIL,
	CFG_WEB_SERVICE_WEBAPI,
};

struct cfg_web_internal {
	/* derived */
	enum cfg_web_service service_parsed;

	/* configured */
	const char *base_path;
	const char *service;
};

struct cfg_webhandler {
	const char *log_name;
	const char *domain;
	const char *path_regexp;
	bool dont_redirect_plain_http;
	bool compress;
	struct cfg_web_static *web_static;
	struct cfg_web_redirect *web_redirect;
	struct cfg_web_forward *web_forward;
	struct cfg_web_internal *web_internal;

	/* derived */
	const char *name; /* LogName, or the handler's index */
	struct dns_domain domain_name;
	regex_t *path_re;
};

/* A resource outside the arena, freed by cfg_dynamic_release. */
struct cfg_dynamic_owned;

struct cfg_dynamic {
	SCH_MAP_OF(struct cfg_domain) domains;
	SCH_MAP_OF(struct cfg_account) accounts;
	SCH_MAP_OF(const char *) web_domain_redirects;
	SCH_LIST_OF(struct cfg_webhandler) web_handlers;
	SCH_LIST_OF(struct cfg_route) routes;
	SCH_LIST_OF(const char *) monitor_dnsbls;

	/* derived */
	bool checked;                   /* cfg_dynamic_check succeeded */
	const char *hostname;           /* from the environment, ASCII */
	const char *postmaster_account; /* from the environment, "" when not given */
	const char *postmaster_mailbox;
	const char **web_redirect_from; /* WebDomainRedirects in ASCII form, in file order */
	const char **web_redirect_to;
	const char **monitor_dnsbl_zones; /* MonitorDNSBLs in ASCII form */
	struct cfg_dynamic_index *domain_index;
	struct cfg_dynamic_index *account_index;
	struct cfg_dynamic_index *address_index;
	struct cfg_dynamic_owned *owned;
};

extern const struct sch_type cfg_dynamic_type;

/*
 * What the checks need from the static file (tern.conf/mox.conf), passed in so
 * this model does not depend on that one. Strings may be NULL, meaning "".
 */
struct cfg_dynamic_env {
	const char *hostname;              /* Hostname, ASCII form; required */
	const char *postmaster_account;    /* Postmaster.Account: must exist when set */
	const char *postmaster_mailbox;    /* Postmaster.Mailbox */
	const char *host_tlsrpt_account;   /* HostTLSRPT.Account; "" when HostTLSRPT is absent */
	const char *host_tlsrpt_localpart; /* HostTLSRPT.Localpart */
	const char *host_tlsrpt_mailbox;   /* HostTLSRPT.Mailbox */
};

/*
 * Validates d as mox validates domains.conf and fills in the derived fields,
 * allocating them in c->a (which must be the arena d was bound into). Stops at
 * the first problem with "file:line: message" in c->err. Reads the DKIM key
 * files, relative to c->config_dir. Call cfg_dynamic_release(d) afterwards in
 * every case.
 */
bool cfg_dynamic_check(struct cfg_dynamic *d, const struct cfg_dynamic_env *env,
		       struct cfg_check *c);

/* Frees what the check allocated outside the arena: the compiled regexes and
 * DKIM keys, which must not be used afterwards (lookups still work until the
 * arena is freed). Idempotent. */
void cfg_dynamic_release(struct cfg_dynamic *d);

/* ---- Lookups, on a model that passed cfg_dynamic_check. ---- */

/* The domain with this ASCII name (A-labels, lower case), or NULL. */
struct cfg_domain *cfg_domain_find(const struct cfg_dynamic *d, const char *ascii_domain);
/* The account with this name, or NULL. */
struct cfg_account *cfg_account_find(const struct cfg_dynamic *d, const char *name);

enum cfg_lookup_status {
	CFG_LOOKUP_ACCOUNT,    /* an account's destination (possibly a catchall) */
	CFG_LOOKUP_ALIAS,      /* an alias (only with CFG_LOOKUP_ALLOW_ALIAS) */
	CFG_LOOKUP_POSTMASTER, /* the static file's postmaster (with CFG_LOOKUP_ALLOW_POSTMASTER) */
	CFG_LOOKUP_NO_DOMAIN,  /* domain not hosted here (or only for reports) */
	CFG_LOOKUP_DOMAIN_DISABLED, /* domain is disabled (with CFG_LOOKUP_CHECK_DISABLED) */
	CFG_LOOKUP_NO_ADDRESS,      /* domain hosted, address unknown */
};

/* Flags for cfg_lookup_recipient. */
#define CFG_LOOKUP_ALLOW_POSTMASTER                                                                \
	1u                           /* "postmaster" at the hostname, and at domains without one */
#define CFG_LOOKUP_ALLOW_ALIAS    2u /* otherwise an alias counts as no such address */
#define CFG_LOOKUP_CHECK_DISABLED 4u /* report disabled domains */

/* Where an address leads. Pointers into the model, valid as long as it is. */
struct cfg_dynamic_match {
	struct cfg_account *account;        /* for ACCOUNT and POSTMASTER */
	const char *account_name;           /* for ACCOUNT and POSTMASTER */
	const struct cfg_destination *dest; /* for ACCOUNT */
	const char *mailbox;     /* for POSTMASTER: the static file's postmaster mailbox */
	struct cfg_alias *alias; /* for ALIAS */
	bool catchall;           /* matched the domain's "@domain" destination */
};

/*
 * Finds where mail for localpart@ascii_domain goes, as mox does: the localpart
 * (decoded, UTF-8) is normalised to NFC, lower-cased unless the domain is
 * case-sensitive, and cut at the domain's catchall separators (DMARC and TLS
 * reporting localparts, which may themselves contain a separator, match
 * first); the resulting address is looked up among account destinations and
 * aliases, then the domain's catchall "@domain" is tried. flags: see above.
 * "postmaster" without domain or at the hostname goes to the static file's
 * postmaster; callers that accept mail for other host names of their own
 * (e.g. a listener's Hostname) pass NULL as domain for those.
 */
enum cfg_lookup_status cfg_lookup_recipient(const struct cfg_dynamic *d, const char *localpart,
					    const char *ascii_domain, unsigned flags,
					    struct cfg_dynamic_match *m);

enum cfg_login_status {
	CFG_LOGIN_ACCOUNT,    /* the address belongs to an account: log in to it */
	CFG_LOGIN_ALIAS,      /* the address is an alias: it exists but is not a login */
	CFG_LOGIN_NO_ADDRESS, /* not an address of this server (or not an address at all) */
};

/*
 * Finds the account a login address ("mjl@example.org") belongs to: any
 * address that delivers to an account is a login for it, including variants
 * with a catchall separator and addresses covered by the account's catchall.
 * Disabled domains do not matter here (mox lets their accounts log in).
 */
enum cfg_login_status cfg_lookup_login(const struct cfg_dynamic *d, const char *address,
				       struct cfg_dynamic_match *m);

/*
 * ---- Internal: the indexes, built by dynamic_check.c for dynamic_lookup.c. ----
 *
 * An index maps a key of one or two strings and a flag to a value: domains by
 * ASCII name, accounts by name, and addresses by (ASCII domain, canonical
 * localpart, catchall). Open addressing in the model's arena; it grows as
 * needed and never shrinks.
 */

/* An entry of the address index. */
struct cfg_dynamic_addr {
	const char *domain;          /* ASCII */
	const char *localpart;       /* canonical (see cfg_lookup_recipient); "" for a catchall */
	bool catchall;               /* "@domain" */
	struct cfg_account *account; /* for account destinations, NULL for aliases */
	struct cfg_destination *dest;
	struct cfg_alias *alias; /* for aliases */
};

struct cfg_dynamic_index *cfg_dynamic_index_new(struct arena *a, size_t expected);
/* Adds value under the key unless the key is present; returns the value already there, or NULL. */
void *cfg_dynamic_index_add(struct cfg_dynamic_index *ix, const char *k1, const char *k2, bool flag,
			    void *value);
/* Adds or replaces. */
void cfg_dynamic_index_set(struct cfg_dynamic_index *ix, const char *k1, const char *k2, bool flag,
			   void *value);
void *cfg_dynamic_index_get(const struct cfg_dynamic_index *ix, const char *k1, const char *k2,
			    bool flag);

/*
 * The canonical localpart used as lookup key in domain dom (see
 * cfg_lookup_recipient), appended to out. localpart must be decoded and NFC
 * (as address.h parses it).
 */
bool cfg_dynamic_canonical_localpart(const struct cfg_domain *dom, const char *localpart,
				     struct buf *out, struct error *err);

#endif
