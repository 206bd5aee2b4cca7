/*
 * Schema tables of the static config file. Each table lists its fields in the
 * order of the file's reference, so templates (sch_describe) and written
 * files (sch_write) come out in the order users know from mox. The texts are
 * what `tern config describe-static` prints above each field.
 */
#include "config/static.h"

#include <string.h>

/* Global TLS. */

static const struct sch_field tls_ca_fields[] = {
    SCH_FIELD(struct cfg_tls_ca, additional_to_system, "AdditionalToSystem", sch_bool, SCH_OPTIONAL,
	      "If true, the certificates of CertFiles are trusted in addition to the system's "
	      "CA certificates; if false, they replace them."),
    SCH_FIELD(struct cfg_tls_ca, cert_files, "CertFiles", sch_string_list, SCH_OPTIONAL,
	      "Files with CA certificates in PEM format to trust. Relative paths are relative "
	      "to the directory of this config file."),
};
static SCH_STRUCT_TYPE(tls_ca_type, struct cfg_tls_ca, "CA", tls_ca_fields);
static SCH_PTR_TYPE(tls_ca_ptr, tls_ca_type);

static const struct sch_field static_tls_fields[] = {
    SCH_FIELD(struct cfg_static_tls, ca, "CA", tls_ca_ptr, SCH_OPTIONAL,
	      "Certificate authorities to trust when verifying the TLS certificates of "
	      "remote servers."),
};
static SCH_STRUCT_TYPE(static_tls_type, struct cfg_static_tls, "TLS", static_tls_fields);

/* ACME. */

static const struct sch_field acme_eab_fields[] = {
    SCH_FIELD(struct cfg_acme_eab, key_id, "KeyID", sch_string, 0,
	      "The key identifier the ACME provider gave you."),
    SCH_FIELD(struct cfg_acme_eab, key_file, "KeyFile", sch_string, 0,
	      "File holding the key, base64url-encoded, with which new ACME account requests "
	      "are signed so the provider can tie them to your existing account. A relative "
	      "path is relative to the directory of this config file."),
};
static SCH_STRUCT_TYPE(acme_eab_type, struct cfg_acme_eab, "ExternalAccountBinding",
		       acme_eab_fields);
static SCH_PTR_TYPE(acme_eab_ptr, acme_eab_type);

static const struct sch_field acme_fields[] = {
    SCH_FIELD(struct cfg_acme, directory_url, "DirectoryURL", sch_string, 0,
	      "URL of the ACME directory of the certificate provider. Let's Encrypt's is "
	      "https://acme-v02.api.letsencrypt.org/directory."),
    SCH_FIELD(struct cfg_acme, renew_before, "RenewBefore", sch_duration, SCH_OPTIONAL,
	      "How long before a certificate expires a new one is requested. Default 30 days "
	      "(720h)."),
    SCH_FIELD(struct cfg_acme, contact_email, "ContactEmail", sch_string, 0,
	      "Email address registered with the ACME provider, which may use it to warn "
	      "about certificates that are about to expire. If that address is delivered by "
	      "this server, such a warning may not arrive when the TLS setup is what is "
	      "broken."),
    SCH_FIELD(struct cfg_acme, port, "Port", sch_int, SCH_OPTIONAL,
	      "Port on which this server answers ACME TLS validation requests (tls-alpn-01), "
	      "443 by default. The provider always connects to port 443, so only change this "
	      "when something in front of this server, such as firewall port forwarding, "
	      "passes the connections from 443 to this port unchanged. A reverse proxy that "
	      "ends TLS itself cannot be used for this."),
    SCH_FIELD(struct cfg_acme, issuer_domain_name, "IssuerDomainName", sch_string, SCH_OPTIONAL,
	      "Domain of the certificate authority, used in suggested CAA DNS records that "
	      "limit which authority may issue certificates for your domains. Set "
	      "automatically to letsencrypt.org when DirectoryURL is Let's Encrypt's."),
    SCH_FIELD(struct cfg_acme, external_account_binding, "ExternalAccountBinding", acme_eab_ptr,
	      SCH_OPTIONAL,
	      "Some ACME providers only accept new ACME accounts that are bound to an "
	      "account you already have with them (external account binding). The binding "
	      "names that account by key ID and proves the request comes from you by signing "
	      "it with a key both sides know."),
};
static SCH_STRUCT_TYPE(acme_type, struct cfg_acme, "ACME", acme_fields);
static SCH_MAP_TYPE(acme_map, acme_type);

/* Listener TLS. */

static const struct sch_field keycert_fields[] = {
    SCH_FIELD(struct cfg_keycert, cert_file, "CertFile", sch_string, 0,
	      "Certificate in PEM format, followed by the intermediate CA certificates."),
    SCH_FIELD(struct cfg_keycert, key_file, "KeyFile", sch_string, 0,
	      "Private key of the certificate in PEM format: PKCS#8 preferably, PKCS#1 and EC "
	      "keys are accepted too."),
};
static SCH_STRUCT_TYPE(keycert_type, struct cfg_keycert, "KeyCert", keycert_fields);
static SCH_LIST_TYPE(keycert_list, keycert_type);

static const struct sch_field tls_fields[] = {
    SCH_FIELD(struct cfg_tls, acme, "ACME", sch_string, SCH_OPTIONAL,
	      "Name of an ACME provider from the top-level ACME section (e.g. letsencrypt) "
	      "that supplies the certificates of this listener."),
    SCH_FIELD(struct cfg_tls, keycerts, "KeyCerts", keycert_list, SCH_OPTIONAL,
	      "Certificates with their private keys for this listener, instead of ACME. The "
	      "files are read while the server still runs as root, so they need no special "
	      "permissions. When the private key stays the same across certificate renewals, "
	      "also list it in HostPrivateKeyFiles and publish DANE TLSA records for it."),
    SCH_FIELD(struct cfg_tls, min_version, "MinVersion", sch_string, SCH_OPTIONAL,
	      "Lowest TLS version accepted: TLSv1.2 (the default) or TLSv1.3."),
    SCH_FIELD(struct cfg_tls, host_private_key_files, "HostPrivateKeyFiles", sch_string_list,
	      SCH_OPTIONAL,
	      "Private keys in PEM format (PKCS#8 preferably, PKCS#1 and EC keys too) used "
	      "for certificates requested through ACME. Naming them up front lets DANE TLSA "
	      "records be published before any certificate exists. DANE lets senders check "
	      "the TLS certificate of this server against a key published in DNSSEC-signed "
	      "DNS; senders try it when delivering with STARTTLS. Only RSA 2048-bit and ECDSA "
	      "P-256 keys are used, the first of each type for new certificates."),
    SCH_FIELD(struct cfg_tls, client_auth_disabled, "ClientAuthDisabled", sch_bool, SCH_OPTIONAL,
	      "Never ask clients for a TLS certificate, which turns off logging in with one. "
	      "Helps with clients that fail when asked."),
};
static SCH_STRUCT_TYPE(tls_type, struct cfg_tls, "TLS", tls_fields);
static SCH_PTR_TYPE(tls_ptr, tls_type);

/* Listener services. */

#define ENABLED_DOC "Whether this service runs on the IPs of the listener."

static SCH_PTR_TYPE(duration_ptr, sch_duration);

static const struct sch_field smtp_fields[] = {
    SCH_FIELD(struct cfg_listener_smtp, enabled, "Enabled", sch_bool, 0, ENABLED_DOC),
    SCH_FIELD(struct cfg_listener_smtp, port, "Port", sch_int, SCH_OPTIONAL, "Default 25."),
    SCH_FIELD(struct cfg_listener_smtp, no_starttls, "NoSTARTTLS", sch_bool, SCH_OPTIONAL,
	      "Do not offer STARTTLS, so connections stay unencrypted. Not recommended."),
    SCH_FIELD(struct cfg_listener_smtp, require_starttls, "RequireSTARTTLS", sch_bool, SCH_OPTIONAL,
	      "Refuse incoming messages on connections without STARTTLS. Fits with an MTA-STS "
	      "policy or DANE records; servers that cannot do TLS can then not deliver. "
	      "Messages to TLS reporting addresses are accepted without TLS regardless."),
    SCH_FIELD(struct cfg_listener_smtp, no_require_tls, "NoRequireTLS", sch_bool, SCH_OPTIONAL,
	      "Do not announce the REQUIRETLS extension (RFC 8689). A message received with "
	      "REQUIRETLS may only be passed on to servers that support it too, which is not "
	      "always possible, e.g. when forwarding to mailing list subscribers."),
    SCH_FIELD(struct cfg_listener_smtp, dnsbls, "DNSBLs", sch_string_list, SCH_OPTIONAL,
	      "DNS block lists (e.g. sbl.spamhaus.org, bl.spamcop.net) asked about the IP of "
	      "senders whose reputation alone does not decide whether a message is accepted; "
	      "the IPs of all other senders are never sent to the list operator. A message "
	      "from a listed IP is rejected as spam. Each list is checked for health before "
	      "use, at most every 4 hours, and the IPs this server sends from are checked "
	      "against the lists regularly. MonitorDNSBLs in domains.conf only does the "
	      "latter. Mind the terms of use of each list."),
    SCH_FIELD(struct cfg_listener_smtp, first_time_sender_delay, "FirstTimeSenderDelay",
	      duration_ptr, SCH_OPTIONAL,
	      "How long to wait before accepting a message from a sender that has not sent to "
	      "the destination account before. Default 15s; 0s turns the delay off."),
    SCH_FIELD(struct cfg_listener_smtp, tls_session_tickets_disabled, "TLSSessionTicketsDisabled",
	      sch_bool, SCH_OPTIONAL,
	      "Do not issue TLS session tickets. Can work around TLS problems with some "
	      "peers."),
};
static SCH_STRUCT_TYPE(smtp_type, struct cfg_listener_smtp, "SMTP", smtp_fields);

static const struct sch_field submission_fields[] = {
    SCH_FIELD(struct cfg_listener_starttls, enabled, "Enabled", sch_bool, 0, ENABLED_DOC),
    SCH_FIELD(struct cfg_listener_starttls, port, "Port", sch_int, SCH_OPTIONAL, "Default 587."),
    SCH_FIELD(struct cfg_listener_starttls, no_require_starttls, "NoRequireSTARTTLS", sch_bool,
	      SCH_OPTIONAL,
	      "Allow logging in and submitting without STARTTLS, so passwords can cross the "
	      "network unencrypted. Not recommended."),
};
static SCH_STRUCT_TYPE(submission_type, struct cfg_listener_starttls, "Submission",
		       submission_fields);

static const struct sch_field submissions_fields[] = {
    SCH_FIELD(struct cfg_listener_implicit_tls, enabled, "Enabled", sch_bool, 0, ENABLED_DOC),
    SCH_FIELD(struct cfg_listener_implicit_tls, port, "Port", sch_int, SCH_OPTIONAL,
	      "Default 465."),
    SCH_FIELD(struct cfg_listener_implicit_tls, enabled_on_https, "EnabledOnHTTPS", sch_bool,
	      SCH_OPTIONAL,
	      "Also accept submission on the HTTPS port 443: a client that asks for the "
	      "\"smtp\" protocol through TLS ALPN (application-layer protocol negotiation) "
	      "gets SMTP instead of HTTP. Meant to get around censorship, e.g. for Delta "
	      "Chat."),
};
static SCH_STRUCT_TYPE(submissions_type, struct cfg_listener_implicit_tls, "Submissions",
		       submissions_fields);

static const struct sch_field imap_fields[] = {
    SCH_FIELD(struct cfg_listener_starttls, enabled, "Enabled", sch_bool, 0, ENABLED_DOC),
    SCH_FIELD(struct cfg_listener_starttls, port, "Port", sch_int, SCH_OPTIONAL, "Default 143."),
    SCH_FIELD(struct cfg_listener_starttls, no_require_starttls, "NoRequireSTARTTLS", sch_bool,
	      SCH_OPTIONAL,
	      "Allow logging in without STARTTLS. Only for connections that are protected "
	      "otherwise, such as through a VPN."),
};
static SCH_STRUCT_TYPE(imap_type, struct cfg_listener_starttls, "IMAP", imap_fields);

static const struct sch_field imaps_fields[] = {
    SCH_FIELD(struct cfg_listener_implicit_tls, enabled, "Enabled", sch_bool, 0, ENABLED_DOC),
    SCH_FIELD(struct cfg_listener_implicit_tls, port, "Port", sch_int, SCH_OPTIONAL,
	      "Default 993."),
    SCH_FIELD(struct cfg_listener_implicit_tls, enabled_on_https, "EnabledOnHTTPS", sch_bool,
	      SCH_OPTIONAL,
	      "Also accept IMAP on the HTTPS port 443: a client that asks for the \"imap\" "
	      "protocol through TLS ALPN (application-layer protocol negotiation) gets IMAP "
	      "instead of HTTP. Meant to get around censorship, e.g. for Delta Chat."),
};
static SCH_STRUCT_TYPE(imaps_type, struct cfg_listener_implicit_tls, "IMAPS", imaps_fields);

/* The four web interfaces share one table: their fields mean the same. */
static const struct sch_field web_fields[] = {
    SCH_FIELD(struct cfg_listener_web, enabled, "Enabled", sch_bool, 0, ENABLED_DOC),
    SCH_FIELD(struct cfg_listener_web, port, "Port", sch_int, SCH_OPTIONAL,
	      "Default 80 for HTTP, 443 for HTTPS. Which host names are answered is "
	      "explained at Hostname of the listener."),
    SCH_FIELD(struct cfg_listener_web, path, "Path", sch_string, SCH_OPTIONAL,
	      "URL path under which the interface is served. Must start with a slash and "
	      "should end with one, because session cookies are limited to this path."),
    SCH_FIELD(struct cfg_listener_web, forwarded, "Forwarded", sch_bool, SCH_OPTIONAL,
	      "Trust the X-Forwarded-* headers of a reverse proxy in front of this server for "
	      "the client IP (used in rate limiting) and for whether cookies are marked "
	      "secure."),
};
static SCH_STRUCT_TYPE(web_type, struct cfg_listener_web, "WebService", web_fields);

static const struct sch_field metrics_fields[] = {
    SCH_FIELD(struct cfg_listener_port, enabled, "Enabled", sch_bool, 0, ENABLED_DOC),
    SCH_FIELD(struct cfg_listener_port, port, "Port", sch_int, SCH_OPTIONAL, "Default 8010."),
};
static SCH_STRUCT_TYPE(metrics_type, struct cfg_listener_port, "MetricsHTTP", metrics_fields);

static const struct sch_field pprof_fields[] = {
    SCH_FIELD(struct cfg_listener_port, enabled, "Enabled", sch_bool, 0, ENABLED_DOC),
    SCH_FIELD(struct cfg_listener_port, port, "Port", sch_int, SCH_OPTIONAL, "Default 8011."),
};
static SCH_STRUCT_TYPE(pprof_type, struct cfg_listener_port, "PprofHTTP", pprof_fields);

static const struct sch_field autoconfig_fields[] = {
    SCH_FIELD(struct cfg_listener_wellknown, enabled, "Enabled", sch_bool, 0, ENABLED_DOC),
    SCH_FIELD(struct cfg_listener_wellknown, port, "Port", sch_int, SCH_OPTIONAL,
	      "Port to serve on, 443 by default. Clients always ask on port 443, so only "
	      "change this when something in front of this server, such as port forwarding, "
	      "passes those requests on to this port."),
    SCH_FIELD(struct cfg_listener_wellknown, non_tls, "NonTLS", sch_bool, SCH_OPTIONAL,
	      "Serve plain HTTP instead of HTTPS on the port, e.g. behind a reverse proxy "
	      "that handles TLS for the autoconfig domains."),
    SCH_FIELD(struct cfg_listener_wellknown, forwarded, "Forwarded", sch_bool, SCH_OPTIONAL,
	      "Trust the X-Forwarded-* headers of a reverse proxy for the client IP, in rate "
	      "limiting and logging."),
};
static SCH_STRUCT_TYPE(autoconfig_type, struct cfg_listener_wellknown, "AutoconfigHTTPS",
		       autoconfig_fields);

static const struct sch_field mtasts_fields[] = {
    SCH_FIELD(struct cfg_listener_wellknown, enabled, "Enabled", sch_bool, 0, ENABLED_DOC),
    SCH_FIELD(struct cfg_listener_wellknown, port, "Port", sch_int, SCH_OPTIONAL,
	      "Port to serve on, 443 by default. Senders always fetch policies from port "
	      "443, so only change this when something in front of this server, such as port "
	      "forwarding, passes those requests on to this port."),
    SCH_FIELD(struct cfg_listener_wellknown, non_tls, "NonTLS", sch_bool, SCH_OPTIONAL,
	      "Serve plain HTTP instead of HTTPS on the port, e.g. behind a reverse proxy "
	      "that handles TLS for the mta-sts domains."),
    SCH_FIELD(struct cfg_listener_wellknown, forwarded, "Forwarded", sch_bool, SCH_OPTIONAL,
	      "Trust the X-Forwarded-* headers of a reverse proxy for the client IP, in rate "
	      "limiting and logging."),
};
static SCH_STRUCT_TYPE(mtasts_type, struct cfg_listener_wellknown, "MTASTSHTTPS", mtasts_fields);

static const struct sch_field webserver_http_fields[] = {
    SCH_FIELD(struct cfg_listener_webserver, enabled, "Enabled", sch_bool, 0, ENABLED_DOC),
    SCH_FIELD(struct cfg_listener_webserver, port, "Port", sch_int, SCH_OPTIONAL,
	      "Port of the plain HTTP webserver, default 80."),
    SCH_FIELD(struct cfg_listener_webserver, rate_limit_disabled, "RateLimitDisabled", sch_bool,
	      SCH_OPTIONAL, "Do not rate limit requests on this port."),
};
static SCH_STRUCT_TYPE(webserver_http_type, struct cfg_listener_webserver, "WebserverHTTP",
		       webserver_http_fields);

static const struct sch_field webserver_https_fields[] = {
    SCH_FIELD(struct cfg_listener_webserver, enabled, "Enabled", sch_bool, 0, ENABLED_DOC),
    SCH_FIELD(struct cfg_listener_webserver, port, "Port", sch_int, SCH_OPTIONAL,
	      "Port of the HTTPS webserver, default 443."),
    SCH_FIELD(struct cfg_listener_webserver, rate_limit_disabled, "RateLimitDisabled", sch_bool,
	      SCH_OPTIONAL, "Do not rate limit requests on this port."),
};
static SCH_STRUCT_TYPE(webserver_https_type, struct cfg_listener_webserver, "WebserverHTTPS",
		       webserver_https_fields);

static const struct sch_field listener_fields[] = {
    SCH_FIELD(struct cfg_listener, ips, "IPs", sch_string_list, 0,
	      "IP addresses to listen on. 0.0.0.0 means every IPv4 address and :: every IPv6 "
	      "address, but naming the addresses meant for email is better: outgoing "
	      "connections are then made only from those. When both IPv4 and IPv6 work for "
	      "outgoing connections and only one family is named here, the other family is "
	      "still used; the Direct transport can limit outgoing connections to one "
	      "family."),
    SCH_FIELD(struct cfg_listener, nat_ips, "NATIPs", sch_string_list, SCH_OPTIONAL,
	      "Public IPs of this server when it is behind NAT, with IPs then holding the "
	      "internal addresses. Used by the DNS self-checks that involve IPs (iprev, MX, "
	      "SPF, autoconfig, autodiscover) and by automatic TLS."),
    SCH_FIELD(struct cfg_listener, ips_nated, "IPsNATed", sch_bool, SCH_OPTIONAL,
	      "Outdated, use NATIPs. Says the IPs are internal addresses behind NAT, which "
	      "skips the DNS self-checks that involve IPs."),
    SCH_FIELD(struct cfg_listener, hostname, "Hostname", sch_string, SCH_OPTIONAL,
	      "Host name of this listener; the global Hostname when empty. The web "
	      "interfaces for accounts, admin, webmail and webapi answer requests for IP "
	      "addresses, this host name and \"localhost\"; all but admin also answer for the "
	      "client settings domains of configured domains."),
    SCH_FIELD(struct cfg_listener, tls, "TLS", tls_ptr, SCH_OPTIONAL,
	      "TLS for STARTTLS in SMTP and IMAP, for implicit TLS and for HTTPS."),
    SCH_FIELD(struct cfg_listener, smtp_max_message_size, "SMTPMaxMessageSize", sch_int,
	      SCH_OPTIONAL,
	      "Largest message in bytes accepted or sent through this listener. Default "
	      "104857600 (100 MiB)."),
    SCH_FIELD(struct cfg_listener, smtp, "SMTP", smtp_type, SCH_OPTIONAL,
	      "SMTP for messages delivered by other mail servers."),
    SCH_FIELD(struct cfg_listener, submission, "Submission", submission_type, SCH_OPTIONAL,
	      "SMTP submission for email applications sending messages: plain text at first, "
	      "made secure with STARTTLS. Submissions, always encrypted, is the better "
	      "choice."),
    SCH_FIELD(struct cfg_listener, submissions, "Submissions", submissions_type, SCH_OPTIONAL,
	      "SMTP submission over TLS for email applications. Needs TLS on the listener."),
    SCH_FIELD(struct cfg_listener, imap, "IMAP", imap_type, SCH_OPTIONAL,
	      "IMAP for email applications reading mail: plain text at first, made secure "
	      "with STARTTLS. IMAPS, always encrypted, is the better choice."),
    SCH_FIELD(struct cfg_listener, imaps, "IMAPS", imaps_type, SCH_OPTIONAL,
	      "IMAP over TLS for email applications. Needs TLS on the listener."),
    SCH_FIELD(struct cfg_listener, account_http, "AccountHTTP", web_type, SCH_OPTIONAL,
	      "Web interface where users manage their account, e.g. change their password "
	      "or delivery rules. Default path /."),
    SCH_FIELD(struct cfg_listener, account_https, "AccountHTTPS", web_type, SCH_OPTIONAL,
	      "The account web interface over HTTPS. Needs TLS on the listener."),
    SCH_FIELD(struct cfg_listener, admin_http, "AdminHTTP", web_type, SCH_OPTIONAL,
	      "Web interface for administration: domains, accounts and more. Default path "
	      "/admin/. Best enabled only on IPs that are not public; reach it e.g. with an "
	      "SSH tunnel ('ssh -L 8080:localhost:80 you@yourserver', then "
	      "http://localhost:8080/admin/) or a VPN such as WireGuard whose IP is added to "
	      "the 'internal' listener."),
    SCH_FIELD(struct cfg_listener, admin_https, "AdminHTTPS", web_type, SCH_OPTIONAL,
	      "The admin web interface over HTTPS. Needs TLS on the listener."),
    SCH_FIELD(struct cfg_listener, webmail_http, "WebmailHTTP", web_type, SCH_OPTIONAL,
	      "Webmail, for reading and writing email in a browser. Default path /webmail/."),
    SCH_FIELD(struct cfg_listener, webmail_https, "WebmailHTTPS", web_type, SCH_OPTIONAL,
	      "Webmail over HTTPS. Needs TLS on the listener."),
    SCH_FIELD(struct cfg_listener, webapi_http, "WebAPIHTTP", web_type, SCH_OPTIONAL,
	      "The webapi over plain HTTP, without TLS."),
    SCH_FIELD(struct cfg_listener, webapi_https, "WebAPIHTTPS", web_type, SCH_OPTIONAL,
	      "Webapi, a simple API with JSON over HTTP for sending and handling email, over "
	      "HTTPS (needs TLS on the listener). Default path /webapi/."),
    SCH_FIELD(struct cfg_listener, metrics_http, "MetricsHTTP", metrics_type, SCH_OPTIONAL,
	      "Prometheus metrics for monitoring. Keep it off public IPs."),
    SCH_FIELD(struct cfg_listener, pprof_http, "PprofHTTP", pprof_type, SCH_OPTIONAL,
	      "Profiling of the running server at /debug/pprof/. Never enable it on a public "
	      "IP."),
    SCH_FIELD(struct cfg_listener, autoconfig_https, "AutoconfigHTTPS", autoconfig_type,
	      SCH_OPTIONAL,
	      "Autoconfiguration and autodiscovery, so email applications find their settings "
	      "by themselves; served on port 443. Needs TLS on the listener."),
    SCH_FIELD(struct cfg_listener, mtasts_https, "MTASTSHTTPS", mtasts_type, SCH_OPTIONAL,
	      "MTA-STS policies (RFC 8461), which tell senders to require TLS when delivering "
	      "here. Needs TLS on the listener."),
    SCH_FIELD(struct cfg_listener, webserver_http, "WebserverHTTP", webserver_http_type,
	      SCH_OPTIONAL,
	      "The webserver: the WebHandlers of domains.conf are served on every listener "
	      "that enables it."),
    SCH_FIELD(struct cfg_listener, webserver_https, "WebserverHTTPS", webserver_https_type,
	      SCH_OPTIONAL,
	      "The webserver over HTTPS: the WebHandlers of domains.conf are served on every "
	      "listener that enables it. Certificates come from ACME, or else one must be "
	      "configured for each WebHandler domain."),
};
static SCH_STRUCT_TYPE(listener_type, struct cfg_listener, "Listener", listener_fields);
static SCH_MAP_TYPE(listener_map, listener_type);

/* Postmaster, host TLSRPT, mailboxes. */

static const struct sch_field postmaster_fields[] = {
    SCH_FIELD(struct cfg_postmaster, account, "Account", sch_string, 0,
	      "Account that receives postmaster messages."),
    SCH_FIELD(struct cfg_postmaster, mailbox, "Mailbox", sch_string, 0,
	      "Mailbox of that account to deliver them to, e.g. Postmaster or Inbox."),
};
static SCH_STRUCT_TYPE(postmaster_type, struct cfg_postmaster, "Postmaster", postmaster_fields);

static const struct sch_field host_tlsrpt_fields[] = {
    SCH_FIELD(struct cfg_host_tlsrpt, account, "Account", sch_string, 0,
	      "Account that receives the TLS reports, usually the postmaster account."),
    SCH_FIELD(struct cfg_host_tlsrpt, mailbox, "Mailbox", sch_string, 0,
	      "Mailbox of that account for the reports, e.g. TLSRPT."),
    SCH_FIELD(struct cfg_host_tlsrpt, localpart, "Localpart", sch_string, 0,
	      "Localpart of the address at the host name that accepts the reports, e.g. "
	      "tlsreports."),
};
static SCH_STRUCT_TYPE(host_tlsrpt_type, struct cfg_host_tlsrpt, "HostTLSRPT", host_tlsrpt_fields);
static SCH_PTR_TYPE(host_tlsrpt_ptr, host_tlsrpt_type);

static const struct sch_field special_use_fields[] = {
    SCH_FIELD(struct cfg_special_use, sent, "Sent", sch_string, SCH_OPTIONAL,
	      "Name of the mailbox for sent messages."),
    SCH_FIELD(struct cfg_special_use, archive, "Archive", sch_string, SCH_OPTIONAL,
	      "Name of the mailbox for archived messages."),
    SCH_FIELD(struct cfg_special_use, trash, "Trash", sch_string, SCH_OPTIONAL,
	      "Name of the mailbox for deleted messages."),
    SCH_FIELD(struct cfg_special_use, draft, "Draft", sch_string, SCH_OPTIONAL,
	      "Name of the mailbox for drafts."),
    SCH_FIELD(struct cfg_special_use, junk, "Junk", sch_string, SCH_OPTIONAL,
	      "Name of the mailbox for spam."),
};
static SCH_STRUCT_TYPE(special_use_type, struct cfg_special_use, "SpecialUse", special_use_fields);

static const struct sch_field initial_mailboxes_fields[] = {
    SCH_FIELD(struct cfg_initial_mailboxes, special_use, "SpecialUse", special_use_type,
	      SCH_OPTIONAL, "Mailboxes to create with a special-use role (RFC 6154), by role."),
    SCH_FIELD(struct cfg_initial_mailboxes, regular, "Regular", sch_string_list, SCH_OPTIONAL,
	      "Mailboxes to create without a special-use role."),
};
static SCH_STRUCT_TYPE(initial_mailboxes_type, struct cfg_initial_mailboxes, "InitialMailboxes",
		       initial_mailboxes_fields);
static SCH_PTR_TYPE(initial_mailboxes_ptr, initial_mailboxes_type);

/* Transports. */

static const struct sch_field transport_auth_fields[] = {
    SCH_FIELD(struct cfg_transport_auth, username, "Username", sch_string, 0,
	      "User name to log in with."),
    SCH_FIELD(struct cfg_transport_auth, password, "Password", sch_string, 0,
	      "Password to log in with."),
    SCH_FIELD(struct cfg_transport_auth, mechanisms, "Mechanisms", sch_string_list, SCH_OPTIONAL,
	      "Authentication mechanisms that may be used, from SCRAM-SHA-256-PLUS, "
	      "SCRAM-SHA-256, SCRAM-SHA-1-PLUS, SCRAM-SHA-1, CRAM-MD5 and PLAIN. Default: all "
	      "but PLAIN. Listing only the strongest mechanism the remote server supports "
	      "keeps an attacker from forcing a weaker one."),
};
static SCH_STRUCT_TYPE(transport_auth_type, struct cfg_transport_auth, "SMTPAuth",
		       transport_auth_fields);
static SCH_PTR_TYPE(transport_auth_ptr, transport_auth_type);

static const struct sch_field transport_smtp_fields[] = {
    SCH_FIELD(struct cfg_transport_smtp, host, "Host", sch_string, 0,
	      "Host name to connect to, also the name its TLS certificate must be valid "
	      "for."),
    SCH_FIELD(struct cfg_transport_smtp, port, "Port", sch_int, SCH_OPTIONAL,
	      "Port to connect to. When 0 or absent: 465 for Submissions, 587 for Submission, "
	      "25 for SMTP."),
    SCH_FIELD(struct cfg_transport_smtp, starttls_insecure_skip_verify,
	      "STARTTLSInsecureSkipVerify", sch_bool, SCH_OPTIONAL,
	      "Accept a TLS certificate that cannot be verified after STARTTLS."),
    SCH_FIELD(struct cfg_transport_smtp, no_starttls, "NoSTARTTLS", sch_bool, SCH_OPTIONAL,
	      "For Submission and SMTP: do not try STARTTLS, so credentials and messages "
	      "cross the network unencrypted."),
    SCH_FIELD(struct cfg_transport_smtp, auth, "Auth", transport_auth_ptr, SCH_OPTIONAL,
	      "Credentials for logging in to the remote server."),
};
static SCH_STRUCT_TYPE(transport_smtp_type, struct cfg_transport_smtp, "TransportSMTP",
		       transport_smtp_fields);
static SCH_PTR_TYPE(transport_smtp_ptr, transport_smtp_type);

static const struct sch_field transport_socks_fields[] = {
    SCH_FIELD(struct cfg_transport_socks, address, "Address", sch_string, 0,
	      "The SOCKS proxy, as host:port or ip:port."),
    SCH_FIELD(struct cfg_transport_socks, remote_ips, "RemoteIPs", sch_string_list, 0,
	      "IP addresses from which the proxy makes its connections, usually the IPv4 and "
	      "IPv6 address of the proxy host. Add them to the SPF records of your domains "
	      "(mind the DNS TTL when adding a proxy) and give them reverse DNS that points "
	      "to RemoteHostname."),
    SCH_FIELD(struct cfg_transport_socks, remote_hostname, "RemoteHostname", sch_string, 0,
	      "Host name of RemoteIPs, used in SMTP EHLO; usually the host name of the "
	      "proxy."),
};
static SCH_STRUCT_TYPE(transport_socks_type, struct cfg_transport_socks, "TransportSocks",
		       transport_socks_fields);
static SCH_PTR_TYPE(transport_socks_ptr, transport_socks_type);

static const struct sch_field transport_direct_fields[] = {
    SCH_FIELD(struct cfg_transport_direct, disable_ipv4, "DisableIPv4", sch_bool, SCH_OPTIONAL,
	      "Never connect to remote SMTP servers over IPv4."),
    SCH_FIELD(struct cfg_transport_direct, disable_ipv6, "DisableIPv6", sch_bool, SCH_OPTIONAL,
	      "Never connect to remote SMTP servers over IPv6."),
};
static SCH_STRUCT_TYPE(transport_direct_type, struct cfg_transport_direct, "TransportDirect",
		       transport_direct_fields);
static SCH_PTR_TYPE(transport_direct_ptr, transport_direct_type);

static const struct sch_field transport_fail_fields[] = {
    SCH_FIELD(struct cfg_transport_fail, smtp_code, "SMTPCode", sch_int, SCH_OPTIONAL,
	      "SMTP reply code of the failure, 400 to 599; 554 (transaction failed) when 0 "
	      "or absent."),
    SCH_FIELD(struct cfg_transport_fail, smtp_message, "SMTPMessage", sch_string, SCH_OPTIONAL,
	      "Text of the failure, shown in the delivery status notification."),
};
static SCH_STRUCT_TYPE(transport_fail_type, struct cfg_transport_fail, "TransportFail",
		       transport_fail_fields);
static SCH_PTR_TYPE(transport_fail_ptr, transport_fail_type);

static const struct sch_field transport_fields[] = {
    SCH_FIELD(struct cfg_transport, submissions, "Submissions", transport_smtp_ptr, SCH_OPTIONAL,
	      "Submit messages to the queue of a remote server with SMTP submission over "
	      "TLS."),
    SCH_FIELD(struct cfg_transport, submission, "Submission", transport_smtp_ptr, SCH_OPTIONAL,
	      "Submit messages to the queue of a remote server with SMTP submission over "
	      "plain TCP, with STARTTLS where possible."),
    SCH_FIELD(struct cfg_transport, smtp, "SMTP", transport_smtp_ptr, SCH_OPTIONAL,
	      "Relay messages to the queue of a remote server with SMTP over plain TCP, with "
	      "STARTTLS where possible; usually unauthenticated."),
    SCH_FIELD(struct cfg_transport, socks, "Socks", transport_socks_ptr, SCH_OPTIONAL,
	      "Deliver directly, as without a transport, but connect through a SOCKS "
	      "proxy."),
    SCH_FIELD(struct cfg_transport, direct, "Direct", transport_direct_ptr, SCH_OPTIONAL,
	      "Deliver directly, as without a transport, with adjusted outgoing "
	      "connections."),
    SCH_FIELD(struct cfg_transport, fail, "Fail", transport_fail_ptr, SCH_OPTIONAL,
	      "Fail each delivery attempt at once."),
};
static SCH_STRUCT_TYPE(transport_type, struct cfg_transport, "Transport", transport_fields);
static SCH_MAP_TYPE(transport_map, transport_type);

/* The file. */

static const struct sch_field static_fields[] = {
    SCH_FIELD(struct cfg_static, data_dir, "DataDir", sch_string, 0,
	      "Directory that holds all data: queue, accounts with their messages, ACME "
	      "certificates and keys. A relative path is relative to the directory of this "
	      "config file."),
    SCH_FIELD(struct cfg_static, log_level, "LogLevel", sch_string, 0,
	      "Log level for all packages without their own: error, info, debug, trace, "
	      "traceauth or tracedata. trace adds SMTP and IMAP protocol transcripts, "
	      "traceauth adds the authentication exchanges (with passwords), and tracedata "
	      "adds all transferred data, whole messages included, which can be a lot."),
    SCH_FIELD(struct cfg_static, package_log_levels, "PackageLogLevels", sch_string_map,
	      SCH_OPTIONAL,
	      "Log levels of single packages, overriding LogLevel, e.g. queue, smtpclient, "
	      "smtpserver, imapserver, spf, dkim, dmarc, dmarcdb, autotls, junk, mtasts, "
	      "tlsrpt."),
    SCH_FIELD(struct cfg_static, user, "User", sch_string, SCH_OPTIONAL,
	      "User to run as once all sockets are bound as root, default mox. A value that "
	      "is not a known user name is taken as a number, used as both uid and gid."),
    SCH_FIELD(struct cfg_static, no_fix_permissions, "NoFixPermissions", sch_bool, SCH_OPTIONAL,
	      "Leave file ownership and permissions alone at startup. Normally the owner and "
	      "permissions of the working, data and config directories and their files, and "
	      "of the binary if present, are corrected."),
    SCH_FIELD(struct cfg_static, hostname, "Hostname", sch_string, 0,
	      "Fully qualified host name of this machine, e.g. mail.example.com."),
    SCH_FIELD(struct cfg_static, check_updates, "CheckUpdates", sch_bool, SCH_OPTIONAL,
	      "Look for new releases once a day with one DNS TXT lookup of _updates.xmox.nl. "
	      "For each new release, its changelog is fetched from "
	      "https://updates.xmox.nl/changelog and delivered to the postmaster mailbox."),
    SCH_FIELD(struct cfg_static, pedantic, "Pedantic", sch_bool, SCH_OPTIONAL,
	      "Treat protocol violations in SMTP, IMAP and elsewhere as errors, even those "
	      "that are common in practice and accepted otherwise."),
    SCH_FIELD(struct cfg_static, tls, "TLS", static_tls_type, SCH_OPTIONAL,
	      "TLS settings for connections this server makes: outgoing SMTP and HTTPS "
	      "requests. E.g. extra certificate authorities to trust."),
    SCH_FIELD(struct cfg_static, acme, "ACME", acme_map, SCH_OPTIONAL,
	      "Providers of certificates through ACME, such as Let's Encrypt, by a name of "
	      "your choice (e.g. letsencrypt) that the TLS section of listeners refers to."),
    SCH_FIELD(struct cfg_static, admin_password_file, "AdminPasswordFile", sch_string, SCH_OPTIONAL,
	      "File with the hash of the admin password, for logging in to the admin web "
	      "interface when it is enabled."),
    SCH_FIELD(struct cfg_static, listeners, "Listeners", listener_map, 0,
	      "Listeners, by name: sets of IP addresses with the services to run on them, "
	      "such as SMTP, IMAP, administration or metrics. Every listener with SMTP or IMAP "
	      "serves all configured domains. A listener named 'public' gets extra checks "
	      "for automatic TLS certificates (ACME) and, with DNSBLs configured, its IPs are "
	      "monitored in those block lists."),
    SCH_FIELD(struct cfg_static, postmaster, "Postmaster", postmaster_type, 0,
	      "Where messages to postmaster addresses go: plain 'postmaster' without domain, "
	      "'postmaster@' the host name (also that of each listener with SMTP), and "
	      "postmaster at each domain that has no postmaster destination of its own."),
    SCH_FIELD(struct cfg_static, host_tlsrpt, "HostTLSRPT", host_tlsrpt_ptr, SCH_OPTIONAL,
	      "Where TLS reports (TLSRPT, RFC 8460) about this host go. Reports are either "
	      "about a recipient domain (MTA-STS, configured per domain in domains.conf) or "
	      "about an MX host (DANE); this section is for the host. Without it, no "
	      "reporting address for the host exists and no host TLSRPT DNS record is "
	      "suggested."),
    SCH_FIELD(struct cfg_static, initial_mailboxes, "InitialMailboxes", initial_mailboxes_ptr,
	      SCH_OPTIONAL,
	      "Mailboxes created in each new account; Inbox is always created. Mailboxes can "
	      "have a special-use role that most email applications understand. When absent "
	      "or empty: Sent, Archive, Trash, Drafts and Junk, with their roles."),
    SCH_FIELD(struct cfg_static, default_mailboxes, "DefaultMailboxes", sch_string_list,
	      SCH_OPTIONAL,
	      "Outdated, use InitialMailboxes. Mailboxes created in each new account besides "
	      "Inbox, which is always created; when empty: Sent, Archive, Trash, Drafts and "
	      "Junk."),
    SCH_FIELD(struct cfg_static, transports, "Transports", transport_map, SCH_OPTIONAL,
	      "Ways of delivering outgoing messages other than directly, by a name that "
	      "Routes (of accounts, domains or the global ones in domains.conf) refer to. "
	      "Without a matching route, messages are delivered directly from the queue with "
	      "SMTP. Transports are mostly for smarthosts: delivery through another SMTP "
	      "server. A transport has at most one method. When another party sends email "
	      "for your domain, its IPs likely belong in the domain's SPF record, and it may "
	      "need DKIM records of its own."),
    SCH_FIELD(struct cfg_static, no_outgoing_dmarc_reports, "NoOutgoingDMARCReports", sch_bool,
	      SCH_OPTIONAL,
	      "Send no DMARC aggregate reports. Normally domains whose DMARC policy asks for "
	      "them get reports about evaluations of their messages, sent at whole hours "
	      "(every 1 to 24 hours, rounded up so whole intervals fill a UTC day) from "
	      "postmaster at the host name."),
    SCH_FIELD(struct cfg_static, no_outgoing_tls_reports, "NoOutgoingTLSReports", sch_bool,
	      SCH_OPTIONAL,
	      "Send no TLS reports. Normally domains whose TLSRPT DNS record asks for them get "
	      "a daily report covering a UTC day about failed STARTTLS connections and the "
	      "MTA-STS or DANE policies involved. Reports are sent from the postmaster "
	      "address of the configured domain that contains the host name; without such a "
	      "domain, or without DKIM for it, none are sent."),
    SCH_FIELD(struct cfg_static, outgoing_tls_reports_for_all_success,
	      "OutgoingTLSReportsForAllSuccess", sch_bool, SCH_OPTIONAL,
	      "Send TLS reports also when no STARTTLS connection failed. Normally a report "
	      "is only sent after at least one failure; each report includes the successful "
	      "connections either way."),
    SCH_FIELD(struct cfg_static, quota_message_size, "QuotaMessageSize", sch_int, SCH_OPTIONAL,
	      "Default limit in bytes on the total size of the messages of each account, "
	      "used when greater than 0; accounts can set their own. Adding a message beyond "
	      "the limit fails, so no single account can fill the disk. Only message files "
	      "count, not file system overhead or the index database (reckon with about 15% "
	      "on top)."),
};
SCH_STRUCT_TYPE(cfg_static_type, struct cfg_static, "Static", static_fields);

const struct cfg_listener *cfg_static_listener(const struct cfg_static *s, const char *name)
{
	ptrdiff_t i = sch_map_index((const struct sch_map *)&s->listeners, name);
	return i < 0 ? NULL : &s->listeners.v[i];
}

const struct cfg_transport *cfg_static_transport(const struct cfg_static *s, const char *name)
{
	ptrdiff_t i = sch_map_index((const struct sch_map *)&s->transports, name);
	return i < 0 ? NULL : &s->transports.v[i];
}
