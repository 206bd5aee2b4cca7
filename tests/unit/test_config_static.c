#include "base/arena.h"
#include "base/buf.h"
#include "base/file.h"
#include "config/static.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define DATA "tests/data/config/static"

static struct arena a;

static void setup(void)
{
	arena_init(&a, 64 * 1024);
}

static void teardown(void)
{
	arena_free(&a);
}

TestSuite(config_static, .init = setup, .fini = teardown);

/* Binds and checks text as file `file` in directory `dir`. */
static bool load_text(const char *text, const char *file, const char *dir, struct cfg_static *s,
		      struct error *err)
{
	memset(s, 0, sizeof *s);
	struct sch_lines *lines = sch_lines_new(&a);
	if (!sch_load(text, strlen(text), file, &cfg_static_type, s, &a, lines, err))
		return false;
	struct cfg_check c = {file, dir, lines, &a, err};
	return cfg_static_check(s, &c);
}

static char *read_data(const char *name)
{
	struct buf b = BUF_INIT;
	struct error err;
	char *path = arena_sprintf(&a, "%s/%s", DATA, name);
	cr_assert(file_read_all(path, 1 << 20, &b, &err), "%s", err.msg);
	char *s = arena_strdup(&a, buf_cstr(&b));
	buf_free(&b);
	return s;
}

static void load_data(const char *name, struct cfg_static *s)
{
	struct error err;
	cr_assert(load_text(read_data(name), name, DATA, s, &err), "%s", err.msg);
}

/* The first lines of most failing cases: a valid minimal file of 10 lines. */
#define BASE                                                                                       \
	"DataDir: data\n"                                                                          \
	"LogLevel: info\n"                                                                         \
	"Hostname: mail.example.com\n"                                                             \
	"Postmaster:\n"                                                                            \
	"\tAccount: mjl\n"                                                                         \
	"\tMailbox: Postmaster\n"                                                                  \
	"Listeners:\n"                                                                             \
	"\tlocal:\n"                                                                               \
	"\t\tIPs:\n"                                                                               \
	"\t\t\t- 127.0.0.1\n"

static void expect_fail(const char *text, const char *msg)
{
	struct cfg_static s;
	struct error err;
	cr_assert_not(load_text(text, "x.conf", DATA, &s, &err), "should fail:\n%s", text);
	cr_assert_str_eq(err.msg, msg, "got:  %s\nwant: %s\nfor:\n%s", err.msg, msg, text);
}

static void expect_ok(const char *text, struct cfg_static *s)
{
	struct error err;
	cr_assert(load_text(text, "x.conf", DATA, s, &err), "%s\nfor:\n%s", err.msg, text);
}

/* Schema tables against the reference. */

static void list_fields(const struct sch_type *t, const char *prefix, struct buf *out)
{
	for (size_t i = 0; i < t->nfields; i++) {
		const struct sch_field *f = &t->fields[i];
		char *path = arena_sprintf(&a, "%s%s", prefix, f->name);
		buf_printf(out, "%s %s\n", path, f->flags & SCH_OPTIONAL ? "optional" : "required");
		const struct sch_type *ft = f->type;
		if (ft->kind == SCH_PTR)
			ft = ft->elem;
		if (ft->kind == SCH_MAP) {
			buf_printf(out, "%s.* required\n", path);
			path = arena_sprintf(&a, "%s.*", path);
			ft = ft->elem;
		} else if (ft->kind == SCH_LIST) {
			path = arena_sprintf(&a, "%s[]", path);
			ft = ft->elem;
		}
		if (ft->kind == SCH_PTR)
			ft = ft->elem;
		if (ft->kind == SCH_STRUCT)
			list_fields(ft, arena_sprintf(&a, "%s.", path), out);
	}
}

Test(config_static, tables_match_reference_fields_order_and_optionality)
{
	struct buf got = BUF_INIT;
	list_fields(&cfg_static_type, "", &got);
	cr_assert_str_eq(buf_cstr(&got), read_data("reference-fields.txt"));
	buf_free(&got);
}

static void check_docs(const struct sch_type *t)
{
	for (size_t i = 0; i < t->nfields; i++) {
		const struct sch_field *f = &t->fields[i];
		cr_assert(f->doc && f->doc[0], "%s.%s has no documentation", t->name, f->name);
		const struct sch_type *ft = f->type;
		while (ft->kind == SCH_PTR || ft->kind == SCH_MAP || ft->kind == SCH_LIST)
			ft = ft->elem;
		if (ft->kind == SCH_STRUCT)
			check_docs(ft);
	}
}

Test(config_static, every_field_documented)
{
	check_docs(&cfg_static_type);
}

Test(config_static, describe_binds_back)
{
	struct buf out = BUF_INIT;
	sch_describe(&cfg_static_type, &out);
	const char *d = buf_cstr(&out);
	struct cfg_static s;
	memset(&s, 0, sizeof s);
	struct error err;
	cr_assert(sch_load(d, out.len, "describe", &cfg_static_type, &s, &a, NULL, &err), "%s\n%s",
		  err.msg, d);
	cr_assert_eq(s.listeners.n, 1);
	cr_assert_not_null(s.listeners.v[0].tls);
	cr_assert_eq(s.listeners.v[0].tls->keycerts.n, 1);
	cr_assert_not_null(s.listeners.v[0].smtp.first_time_sender_delay);
	cr_assert_eq(s.transports.n, 1);
	cr_assert_not_null(s.transports.v[0].fail);
	cr_assert_not_null(s.host_tlsrpt);
	cr_assert(strstr(d,
			 "\n\t\t\t# Lowest TLS version accepted: TLSv1.2 (the default) or TLSv1.3. "
			 "(optional)\n"),
		  "%s", d);
	buf_free(&out);
}

/* Complete files. */

static void collect_pattern(void *arg, const char *path, const char *pattern,
			    const struct sch_field *f)
{
	struct buf *b = arg;
	buf_printf(b, "|%s|", pattern);
	(void)path;
	(void)f;
}

Test(config_static, full_config_sets_every_field_and_checks)
{
	struct cfg_static s, dm;
	load_data("full.conf", &s);
	load_data("default-mailboxes.conf", &dm);
	struct buf seen = BUF_INIT;
	sch_walk_set(&cfg_static_type, &s, collect_pattern, &seen);
	sch_walk_set(&cfg_static_type, &dm, collect_pattern, &seen);
	/* Every field of the reference is set in one of the two files. */
	char *ref = read_data("reference-fields.txt");
	for (char *line = strtok(ref, "\n"); line; line = strtok(NULL, "\n")) {
		char *sp = strchr(line, ' ');
		*sp = '\0';
		if (sp - line >= 2 && strcmp(sp - 2, ".*") == 0)
			continue; /* map entries, not fields */
		/* Shared with the other SMTP transports, but invalid on a TLS connection. */
		if (strcmp(line, "Transports.*.Submissions.STARTTLSInsecureSkipVerify") == 0 ||
		    strcmp(line, "Transports.*.Submissions.NoSTARTTLS") == 0)
			continue;
		char *want = arena_sprintf(&a, "|%s|", line);
		cr_assert(strstr(buf_cstr(&seen), want), "field %s not set in full.conf", line);
	}
	buf_free(&seen);
	cr_assert_eq(s.warnings.n, 0);
}

static char *write_static(const struct cfg_static *s)
{
	struct buf out = BUF_INIT;
	struct error err;
	cr_assert(sch_write(&cfg_static_type, s, &out, &err), "%s", err.msg);
	char *r = arena_strdup(&a, buf_cstr(&out));
	buf_free(&out);
	return r;
}

Test(config_static, write_load_write_is_stable)
{
	const char *files[] = {"full.conf", "quickstart.conf", "default-mailboxes.conf"};
	for (size_t i = 0; i < ARRAY_LEN(files); i++) {
		struct cfg_static s, s2;
		load_data(files[i], &s);
		char *w1 = write_static(&s);
		struct error err;
		cr_assert(load_text(w1, files[i], DATA, &s2, &err), "%s\n%s", err.msg, w1);
		char *w2 = write_static(&s2);
		cr_assert_str_eq(w1, w2);
	}
	/* The derived fields stay out of written files. */
	struct cfg_static s;
	load_data("full.conf", &s);
	char *w = write_static(&s);
	cr_assert_null(strstr(w, DATA));
	cr_assert(strstr(w, "\t\tFirstTimeSenderDelay: 0s\n"), "explicit 0s is kept:\n%s", w);
}

Test(config_static, present_but_empty_sections_are_written)
{
	struct cfg_static s, s2;
	expect_ok(BASE "InitialMailboxes:\n\tSpecialUse:\n\t\tSent:\n", &s);
	cr_assert_not_null(s.initial_mailboxes);
	cr_assert_eq(s.initial_mailbox_list.n, 5, "empty: the default mailboxes");
	char *w = write_static(&s);
	cr_assert(strstr(w, "\nInitialMailboxes:\n\tSpecialUse:\n\t\tSent:\n"), "%s", w);
	expect_ok(w, &s2);
	cr_assert_not_null(s2.initial_mailboxes);
	cr_assert_str_eq(write_static(&s2), w);
}

Test(config_static, full_config_values_and_derived)
{
	struct cfg_static s;
	load_data("full.conf", &s);
	cr_assert_str_eq(s.data_dir_path, DATA "/../data");
	cr_assert_str_eq(s.admin_password_path, DATA "/adminpasswd");
	cr_assert_eq(s.log_level_parsed, LOG_INFO);
	cr_assert_eq(s.package_levels.n, 2);
	cr_assert_str_eq(s.package_levels.v[1].pkg, "queue");
	cr_assert_eq(s.package_levels.v[1].level, LOG_TRACE);
	cr_assert_str_eq(s.hostname_domain.ascii, "mail.example.com");
	cr_assert_str_eq(s.tls.ca->cert_paths.v[0], DATA "/ca.pem");

	const struct cfg_acme *le = &s.acme.v[0];
	cr_assert_str_eq(le->name, "letsencrypt");
	cr_assert_eq(le->renew_before_effective, INT64_C(720) * 3600 * NS_PER_SEC);
	cr_assert_eq(le->port_effective, 8443);
	cr_assert_str_eq(le->external_account_binding->key_path, DATA "/eab.key");

	const struct cfg_listener *pub = cfg_static_listener(&s, "public");
	cr_assert_not_null(pub);
	cr_assert_eq(pub->tls->acme_provider, le);
	cr_assert_eq(pub->tls->min_version_effective, CFG_TLS_1_2);
	cr_assert_eq(pub->tls->host_private_key_paths.n, 2);
	cr_assert_eq(pub->ips_parsed.n, 2);
	cr_assert_eq(pub->ips_parsed.v[1].family, AF_INET6);
	cr_assert_eq(pub->nat_ips_parsed.v[0].family, AF_INET);
	cr_assert_eq(pub->smtp_max_message_size_effective, 52428800);
	cr_assert_eq(pub->smtp.dnsbl_zones.n, 2);
	cr_assert_str_eq(pub->smtp.dnsbl_zones.v[1].ascii, "bl.spamcop.net");
	cr_assert_str_eq(pub->webmail_https.path_effective, "/webmail/");

	const struct cfg_listener *in = cfg_static_listener(&s, "internal");
	cr_assert_str_eq(in->hostname_domain.ascii, "localhost");
	cr_assert_eq(in->tls->min_version_effective, CFG_TLS_1_3);
	cr_assert_str_eq(in->tls->keycerts.v[0].cert_path, DATA "/cert.pem");
	cr_assert_str_eq(in->account_http.path_effective, "/account/");
	cr_assert_eq(in->account_http.port_effective, 1080);

	const struct cfg_listener *nat = cfg_static_listener(&s, "natted");
	cr_assert_eq(nat->smtp.first_time_sender_delay_effective, 0, "explicit 0s: no delay");
	cr_assert_str_eq(nat->hostname_domain.ascii, "mail.example.com", "global host name");

	cr_assert_str_eq(s.host_tlsrpt->localpart_parsed, "tlsreports");
	cr_assert_eq(s.initial_mailbox_list.n, 7);
	cr_assert_str_eq(s.initial_mailbox_list.v[3].name, "Drafts");
	cr_assert_eq(s.initial_mailbox_list.v[3].role, CFG_ROLE_DRAFT);
	cr_assert_str_eq(s.initial_mailbox_list.v[6].name, "Receipts");
	cr_assert_eq(s.initial_mailbox_list.v[6].role, CFG_ROLE_NONE);

	const struct cfg_transport *t = cfg_static_transport(&s, "submissions");
	cr_assert_eq(t->kind, CFG_TRANSPORT_SUBMISSIONS);
	cr_assert_eq(t->submissions->auth->mechanisms_effective.n, 2);
	t = cfg_static_transport(&s, "submission-plain");
	cr_assert_eq(t->submission->port_effective, 587);
	cr_assert_eq(t->submission->auth->mechanisms_effective.n, 5, "default: all but PLAIN");
	cr_assert_str_eq(t->submission->auth->mechanisms_effective.v[4], "CRAM-MD5");
	t = cfg_static_transport(&s, "socks");
	cr_assert_str_eq(t->socks->address_host, "proxy.example.net");
	cr_assert_eq(t->socks->address_port, 1080);
	cr_assert_eq(t->socks->remote_ips_parsed.n, 2);
	cr_assert_eq(cfg_static_transport(&s, "ipv6only")->direct->family, AF_INET6);
	cr_assert_eq(cfg_static_transport(&s, "ipv4only")->direct->family, AF_INET);
	cr_assert_eq(cfg_static_transport(&s, "blackhole")->fail->smtp_code_effective, 550);
	cr_assert_null(cfg_static_transport(&s, "nonexistent"));
}

Test(config_static, quickstart_config_loads)
{
	struct cfg_static s;
	load_data("quickstart.conf", &s);
	const struct cfg_listener *pub = cfg_static_listener(&s, "public");
	cr_assert_eq(pub->smtp.port_effective, 25);
	cr_assert_eq(pub->submissions.port_effective, 465);
	cr_assert_eq(pub->imaps.port_effective, 993);
	cr_assert_eq(pub->autoconfig_https.port_effective, 443);
	cr_assert_eq(pub->mtasts_https.port_effective, 443);
	cr_assert_eq(pub->webserver_http.port_effective, 80);
	cr_assert_eq(pub->webserver_https.port_effective, 443);
	cr_assert_eq(s.acme.v[0].port_effective, 443);
	cr_assert_str_eq(s.acme.v[0].issuer_domain_effective, "letsencrypt.org");
	const struct cfg_listener *in = cfg_static_listener(&s, "internal");
	cr_assert_eq(in->account_http.port_effective, 80);
	cr_assert_str_eq(in->account_http.path_effective, "/");
	cr_assert_str_eq(in->admin_http.path_effective, "/admin/");
	cr_assert_str_eq(in->webmail_http.path_effective, "/webmail/");
	cr_assert_str_eq(in->webapi_http.path_effective, "/webapi/");
	cr_assert_eq(in->metrics_http.port_effective, 8010);
	cr_assert_eq(in->pprof_http.port_effective, 8011, "defaults also for disabled services");
	cr_assert_str_eq(s.user_effective, "mox");
}

Test(config_static, defaults)
{
	struct cfg_static s;
	expect_ok(BASE "\t\tSubmission:\n\t\t\tEnabled: true\n\t\t\tNoRequireSTARTTLS: true\n", &s);
	cr_assert_str_eq(s.user_effective, CFG_DEFAULT_USER);
	cr_assert_str_eq(s.data_dir_path, DATA "/data");
	cr_assert_str_eq(s.admin_password_path, "");
	cr_assert_eq(s.package_levels.n, 0);
	const struct cfg_listener *l = &s.listeners.v[0];
	cr_assert_str_eq(l->name, "local");
	cr_assert_eq(l->smtp_max_message_size_effective, 100 * 1024 * 1024);
	cr_assert_eq(l->smtp.port_effective, 25);
	cr_assert_eq(l->smtp.first_time_sender_delay_effective, 15 * NS_PER_SEC);
	cr_assert_eq(l->submission.port_effective, 587);
	cr_assert_eq(l->imap.port_effective, 143);
	cr_assert_eq(l->account_http.port_effective, 80);
	cr_assert_eq(l->account_https.port_effective, 443);
	cr_assert_eq(l->admin_https.port_effective, 443);
	cr_assert_eq(l->webmail_http.port_effective, 80);
	cr_assert_eq(l->webapi_https.port_effective, 443);
	cr_assert_null(l->account_http.path_effective, "no path for a disabled service");
	/* mox's default mailboxes. */
	cr_assert_eq(s.initial_mailbox_list.n, 5);
	const char *names[] = {"Sent", "Archive", "Trash", "Drafts", "Junk"};
	enum cfg_mailbox_role roles[] = {CFG_ROLE_SENT, CFG_ROLE_ARCHIVE, CFG_ROLE_TRASH,
					 CFG_ROLE_DRAFT, CFG_ROLE_JUNK};
	for (size_t i = 0; i < 5; i++) {
		cr_assert_str_eq(s.initial_mailbox_list.v[i].name, names[i]);
		cr_assert_eq(s.initial_mailbox_list.v[i].role, roles[i]);
	}

	expect_ok(BASE "ACME:\n\tpebble:\n\t\tDirectoryURL: https://localhost:14000/dir\n"
		       "\t\tContactEmail: a@example.com\n",
		  &s);
	cr_assert_eq(s.acme.v[0].renew_before_effective, INT64_C(30) * 24 * 3600 * NS_PER_SEC);
	cr_assert_eq(s.acme.v[0].port_effective, 443);
	cr_assert_str_eq(s.acme.v[0].issuer_domain_effective, "");

	expect_ok(BASE "Transports:\n\tx:\n\t\tFail:\n\t\t\tSMTPMessage: no\n"
		       "\ty: nil\n\tz:\n\t\tSubmissions:\n\t\t\tHost: smtp.example.net\n"
		       "\tw:\n\t\tSMTP:\n\t\t\tHost: smtp.example.net\n"
		       "\tv:\n\t\tSubmission:\n\t\t\tHost: smtp.example.net\n",
		  &s);
	cr_assert_eq(s.transports.v[0].fail->smtp_code_effective, 554);
	cr_assert_eq(s.transports.v[1].kind, CFG_TRANSPORT_DEFAULT, "no method: direct delivery");
	cr_assert_eq(s.transports.v[2].submissions->port_effective, 465);
	cr_assert_eq(s.transports.v[3].smtp->port_effective, 25);
	cr_assert_eq(s.transports.v[4].submission->port_effective, 587);
	cr_assert_eq(s.transports.v[4].submission->host_domain.ascii[0], 's');
}

Test(config_static, host_tlsrpt_localpart_is_decoded)
{
	struct cfg_static s;
	expect_ok(BASE "HostTLSRPT:\n\tAccount: mjl\n\tMailbox: TLSRPT\n"
		       "\tLocalpart: \"tls reports\"\n",
		  &s);
	cr_assert_str_eq(s.host_tlsrpt->localpart_parsed, "tls reports");
	cr_assert_str_eq(s.host_tlsrpt->localpart, "\"tls reports\"", "configured value kept");
}

Test(config_static, default_mailboxes_get_roles_by_name)
{
	struct cfg_static s;
	load_data("default-mailboxes.conf", &s);
	cr_assert_eq(s.initial_mailbox_list.n, 3, "Inbox is skipped");
	cr_assert_str_eq(s.initial_mailbox_list.v[0].name, "Sent");
	cr_assert_eq(s.initial_mailbox_list.v[0].role, CFG_ROLE_SENT);
	cr_assert_eq(s.initial_mailbox_list.v[1].role, CFG_ROLE_ARCHIVE);
	cr_assert_eq(s.initial_mailbox_list.v[2].role, CFG_ROLE_NONE);
}

Test(config_static, path_without_trailing_slash_warns)
{
	struct cfg_static s;
	expect_ok(BASE "\t\tAdminHTTP:\n\t\t\tEnabled: true\n\t\t\tPath: /moxadmin\n", &s);
	cr_assert_str_eq(s.listeners.v[0].admin_http.path_effective, "/moxadmin/");
	cr_assert_str_eq(s.listeners.v[0].admin_http.path, "/moxadmin", "configured value kept");
	cr_assert_eq(s.warnings.n, 1);
	cr_assert_str_eq(s.warnings.v[0],
			 "x.conf:13: listener local: AdminHTTP: Path \"/moxadmin\" "
			 "should end with a slash, serving at \"/moxadmin/\"");
}

Test(config_static, acme_http_for_local_test_ca)
{
	struct cfg_static s;
	expect_ok(BASE "ACME:\n\tpebble:\n\t\tDirectoryURL: http://127.0.0.1:14000/dir\n"
		       "\t\tContactEmail: a@example.com\n",
		  &s);
	expect_ok(BASE "ACME:\n\tpebble:\n\t\tDirectoryURL: http://[::1]/dir\n"
		       "\t\tContactEmail: a@example.com\n",
		  &s);
}

Test(config_static, web_services_share_ports)
{
	struct cfg_static s;
	/* Plain HTTP services and NonTLS autoconfig/MTA-STS on one port; 0.0.0.0 and :: apart. */
	expect_ok("DataDir: data\nLogLevel: info\nHostname: mail.example.com\n"
		  "Postmaster:\n\tAccount: mjl\n\tMailbox: Postmaster\n"
		  "Listeners:\n\tall:\n\t\tIPs:\n\t\t\t- 0.0.0.0\n\t\t\t- ::\n"
		  "\t\tAccountHTTP:\n\t\t\tEnabled: true\n"
		  "\t\tAdminHTTP:\n\t\t\tEnabled: true\n"
		  "\t\tWebmailHTTP:\n\t\t\tEnabled: true\n"
		  "\t\tWebAPIHTTP:\n\t\t\tEnabled: true\n"
		  "\t\tMetricsHTTP:\n\t\t\tEnabled: true\n\t\t\tPort: 80\n"
		  "\t\tAutoconfigHTTPS:\n\t\t\tEnabled: true\n\t\t\tPort: 80\n\t\t\tNonTLS: true\n"
		  "\t\tWebserverHTTP:\n\t\t\tEnabled: true\n",
		  &s);
	/* The same port on separate IPs in two listeners. */
	expect_ok(BASE "\t\tAdminHTTP:\n\t\t\tEnabled: true\n"
		       "\tother:\n\t\tIPs:\n\t\t\t- 127.0.0.2\n"
		       "\t\tWebserverHTTP:\n\t\t\tEnabled: true\n",
		  &s);
}

Test(config_static, top_level_list_items_are_refused)
{
	struct cfg_static s;
	memset(&s, 0, sizeof s);
	struct error err;
	const char *text = "# comment\n- Lists\n";
	cr_assert_not(sch_load(text, strlen(text), "x.conf", &cfg_static_type, &s, &a, NULL, &err));
	cr_assert_str_eq(
	    err.msg, "x.conf:2: expected fields (\"Key: value\") at the top level, not list items");
}

/* One failing case per rule, with the exact message and line. */

Test(config_static, top_level_rules)
{
	expect_fail(
	    "DataDir:\nLogLevel: info\nHostname: mail.example.com\nPostmaster:\n\tAccount: "
	    "mjl\n\tMailbox: Postmaster\nListeners:\n\tlocal:\n\t\tIPs:\n\t\t\t- 127.0.0.1\n",
	    "x.conf:1: DataDir is empty");
	expect_fail(
	    "DataDir: data\nLogLevel: loud\nHostname: mail.example.com\nPostmaster:\n"
	    "\tAccount: mjl\n\tMailbox: Postmaster\nListeners:\n\tlocal:\n\t\tIPs:\n\t\t\t- "
	    "127.0.0.1\n",
	    "x.conf:2: LogLevel: unknown level \"loud\" (use error, info, debug, trace, "
	    "traceauth or tracedata)");
	expect_fail(BASE "PackageLogLevels:\n\tsmtpserver: debug\n\tqueue: verbose\n",
		    "x.conf:13: PackageLogLevels: unknown level \"verbose\" for package queue (use "
		    "error, info, debug, trace, traceauth or tracedata)");
	expect_fail(BASE "User: mox user\n",
		    "x.conf:11: User: \"mox user\" is neither a user name nor a uid (it has a "
		    "colon, space or control character)");
	expect_fail(
	    "DataDir: data\nLogLevel: info\nHostname: mail..example.com\nPostmaster:\n"
	    "\tAccount: mjl\n\tMailbox: Postmaster\nListeners:\n\tlocal:\n\t\tIPs:\n\t\t\t- "
	    "127.0.0.1\n",
	    "x.conf:3: Hostname: invalid host name \"mail..example.com\": empty label");
	expect_fail(
	    "DataDir: data\nLogLevel: info\nHostname: Mail.Example.com\nPostmaster:\n"
	    "\tAccount: mjl\n\tMailbox: Postmaster\nListeners:\n\tlocal:\n\t\tIPs:\n\t\t\t- "
	    "127.0.0.1\n",
	    "x.conf:3: Hostname: write \"Mail.Example.com\" as \"mail.example.com\"");
	expect_fail(BASE "QuotaMessageSize: -1\n",
		    "x.conf:11: QuotaMessageSize cannot be negative");
	expect_fail(BASE "\tl\x01x:\n\t\tIPs:\n\t\t\t- 127.0.0.2\n",
		    "x.conf:11: listener name \"l\\x01x\" has a control character");
	expect_fail(BASE "Transports:\n\tt\x7f: nil\n",
		    "x.conf:12: transport name \"t\\x7f\" has a control character");
	expect_fail(BASE "PackageLogLevels:\n\tsmtp\x02: info\n",
		    "x.conf:12: package name \"smtp\\x02\" has a control character");
}

Test(config_static, tls_ca_rules)
{
	expect_fail(BASE "TLS:\n\tCA:\n\t\tCertFiles:\n\t\t\t- missing.pem\n",
		    "x.conf:14: TLS CA certificate file: open " DATA
		    "/missing.pem: No such file or directory");
	expect_fail(BASE "TLS:\n\tCA:\n\t\tCertFiles:\n\t\t\t- ca.pem\n\t\t\t- key.pem\n",
		    "x.conf:15: TLS CA certificate file " DATA
		    "/key.pem: no PEM certificate in it");
}

#define ACME_HEAD BASE "ACME:\n\tle:\n"

Test(config_static, acme_rules)
{
	expect_fail(
	    ACME_HEAD "\t\tDirectoryURL: ftp://acme.example/dir\n"
		      "\t\tContactEmail: a@example.com\n",
	    "x.conf:13: ACME provider le: DirectoryURL \"ftp://acme.example/dir\" must be an "
	    "https:// URL");
	expect_fail(
	    ACME_HEAD "\t\tDirectoryURL: http://acme.example/dir\n"
		      "\t\tContactEmail: a@example.com\n",
	    "x.conf:13: ACME provider le: DirectoryURL \"http://acme.example/dir\" must be an "
	    "https:// URL (plain http is only allowed to localhost, for test CAs)");
	expect_fail(ACME_HEAD "\t\tDirectoryURL: https:///dir\n\t\tContactEmail: a@example.com\n",
		    "x.conf:13: ACME provider le: DirectoryURL \"https:///dir\" has no host");
	expect_fail(ACME_HEAD "\t\tDirectoryURL: https://acme.example:99999/dir\n"
			      "\t\tContactEmail: a@example.com\n",
		    "x.conf:13: ACME provider le: DirectoryURL \"https://acme.example:99999/dir\" "
		    "has an invalid port");
	expect_fail(ACME_HEAD "\t\tDirectoryURL: https://acme.example/dir\n\t\tContactEmail:\n",
		    "x.conf:14: ACME provider le: invalid ContactEmail \"\": empty address");
	expect_fail(ACME_HEAD "\t\tDirectoryURL: https://acme.example/dir\n"
			      "\t\tContactEmail: admin.example.com\n",
		    "x.conf:14: ACME provider le: invalid ContactEmail \"admin.example.com\": "
		    "missing @domain");
	expect_fail(ACME_HEAD "\t\tDirectoryURL: https://acme.example/dir\n"
			      "\t\tContactEmail: a@example.com\n\t\tRenewBefore: -1h\n",
		    "x.conf:15: ACME provider le: RenewBefore cannot be negative");
	expect_fail(
	    ACME_HEAD "\t\tDirectoryURL: https://acme.example/dir\n"
		      "\t\tContactEmail: a@example.com\n\t\tPort: 70000\n",
	    "x.conf:15: ACME provider le: port 70000 out of range (1 to 65535, or 0 for the "
	    "default)");
	expect_fail(ACME_HEAD "\t\tDirectoryURL: https://acme.example/dir\n"
			      "\t\tContactEmail: a@example.com\n\t\tIssuerDomainName: -x.example\n",
		    "x.conf:15: ACME provider le: invalid host name \"-x.example\": label starts "
		    "with a hyphen");
	expect_fail(ACME_HEAD "\t\tDirectoryURL: https://acme.example/dir\n"
			      "\t\tContactEmail: a@example.com\n\t\tExternalAccountBinding:\n"
			      "\t\t\tKeyID:\n\t\t\tKeyFile: eab.key\n",
		    "x.conf:16: ACME provider le: ExternalAccountBinding KeyID is empty");
	expect_fail(ACME_HEAD "\t\tDirectoryURL: https://acme.example/dir\n"
			      "\t\tContactEmail: a@example.com\n\t\tExternalAccountBinding:\n"
			      "\t\t\tKeyID: k\n\t\t\tKeyFile: nope.key\n",
		    "x.conf:17: ACME provider le: external account binding key: open " DATA
		    "/nope.key: No such file or directory");
	expect_fail(ACME_HEAD "\t\tDirectoryURL: https://acme.example/dir\n"
			      "\t\tContactEmail: a@example.com\n\t\tExternalAccountBinding:\n"
			      "\t\t\tKeyID: k\n\t\t\tKeyFile: cert.pem\n",
		    "x.conf:17: ACME provider le: external account binding key file " DATA
		    "/cert.pem does not hold an unpadded base64url key");
}

Test(config_static, listener_ip_rules)
{
	expect_fail(BASE "\t\t\t- 127.0.0.256\n",
		    "x.conf:11: listener local: invalid IP \"127.0.0.256\"");
	expect_fail(
	    BASE "\t\t\t- 0.0.0.0\n",
	    "x.conf:11: listener local: IPs 127.0.0.1 and 0.0.0.0 overlap: they cannot both "
	    "be listened on");
	expect_fail(BASE "\t\t\t- ::ffff:127.0.0.1\n",
		    "x.conf:11: listener local: IPs 127.0.0.1 and ::ffff:127.0.0.1 overlap: they "
		    "cannot both be listened on");
	expect_fail(BASE "\t\tIPsNATed: true\n\t\tNATIPs:\n\t\t\t- 192.0.2.1\n",
		    "x.conf:11: listener local: both IPsNATed and NATIPs are set; remove the "
		    "outdated IPsNATed");
	expect_fail(BASE "\t\tNATIPs:\n\t\t\t- 192.0.2.1\n\t\t\t- 192.0.2\n",
		    "x.conf:13: listener local: invalid NAT IP \"192.0.2\"");
	expect_fail(
	    BASE "\t\tNATIPs:\n\t\t\t- ::1\n",
	    "x.conf:12: listener local: NAT IP ::1 is the unspecified or a loopback address, "
	    "not a public IP");
	expect_fail(
	    BASE "\t\tHostname: bad_name.example\n",
	    "x.conf:11: listener local: invalid host name \"bad_name.example\": underscore not "
	    "allowed in label");
	expect_fail(BASE "\t\tSMTPMaxMessageSize: -5\n",
		    "x.conf:11: listener local: SMTPMaxMessageSize cannot be negative");
	expect_fail(BASE "\tempty: nil\n", "x.conf:11: listener empty: no IPs to listen on");
}

#define TLS_HEAD BASE "\t\tTLS:\n"

Test(config_static, listener_tls_rules)
{
	expect_fail(TLS_HEAD "\t\t\tACME: le\n\t\t\tKeyCerts:\n\t\t\t\t-\n\t\t\t\t\tCertFile: "
			     "cert.pem\n\t\t\t\t\tKeyFile: key.pem\n",
		    "x.conf:12: listener local: TLS cannot have both ACME and KeyCerts");
	expect_fail(
	    TLS_HEAD "\t\t\tACME: le\n",
	    "x.conf:12: listener local: TLS refers to ACME provider \"le\", which is not in "
	    "the ACME section");
	expect_fail(TLS_HEAD "\t\t\tMinVersion: TLSv1.2\n",
		    "x.conf:11: listener local: TLS needs either ACME or KeyCerts");
	expect_fail(TLS_HEAD "\t\t\tKeyCerts:\n\t\t\t\t-\n\t\t\t\t\tCertFile: nocert.pem\n"
			     "\t\t\t\t\tKeyFile: key.pem\n",
		    "x.conf:14: listener local: certificate " DATA
		    "/nocert.pem: No such file or directory");
	expect_fail(TLS_HEAD "\t\t\tKeyCerts:\n\t\t\t\t-\n\t\t\t\t\tCertFile: cert.pem\n"
			     "\t\t\t\t\tKeyFile: /nonexistent/key.pem\n",
		    "x.conf:15: listener local: private key /nonexistent/key.pem: No such file or "
		    "directory");
	expect_fail(TLS_HEAD "\t\t\tKeyCerts:\n\t\t\t\t-\n\t\t\t\t\tCertFile: cert.pem\n"
			     "\t\t\t\t\tKeyFile: .\n",
		    "x.conf:15: listener local: private key " DATA "/.: not a regular file");
	expect_fail(TLS_HEAD "\t\t\tKeyCerts:\n\t\t\t\t-\n\t\t\t\t\tCertFile: cert.pem\n"
			     "\t\t\t\t\tKeyFile: key.pem\n\t\t\tHostPrivateKeyFiles:\n\t\t\t\t- "
			     "hostkey-rsa2048.pem\n\t\t\t\t- hostkey.pem\n",
		    "x.conf:18: listener local: host private key " DATA
		    "/hostkey.pem: No such file or directory");
	expect_fail(
	    TLS_HEAD "\t\t\tKeyCerts:\n\t\t\t\t-\n\t\t\t\t\tCertFile: cert.pem\n"
		     "\t\t\t\t\tKeyFile: key.pem\n\t\t\tMinVersion: TLSv1.1\n",
	    "x.conf:16: listener local: MinVersion TLSv1.1 is not supported, TLS before 1.2 "
	    "is deprecated (RFC 8996); use TLSv1.2 or TLSv1.3");
	expect_fail(TLS_HEAD "\t\t\tKeyCerts:\n\t\t\t\t-\n\t\t\t\t\tCertFile: cert.pem\n"
			     "\t\t\t\t\tKeyFile: key.pem\n\t\t\tMinVersion: tls1.3\n",
		    "x.conf:16: listener local: unknown MinVersion \"tls1.3\" (use TLSv1.2 or "
		    "TLSv1.3)");
}

Test(config_static, services_need_tls)
{
	expect_fail(
	    BASE "\t\tSMTP:\n\t\t\tEnabled: true\n\t\tIMAPS:\n\t\t\tEnabled: true\n"
		 "\t\tAutoconfigHTTPS:\n\t\t\tEnabled: true\n",
	    "x.conf:8: listener local: no TLS configured, but it is needed for SMTP (without "
	    "NoSTARTTLS), IMAPS, AutoconfigHTTPS (without NonTLS)");
	const char *svc[] = {"Submission",   "Submissions", "AccountHTTPS", "AdminHTTPS",
			     "WebmailHTTPS", "WebAPIHTTPS", "MTASTSHTTPS",  "WebserverHTTPS"};
	for (size_t i = 0; i < ARRAY_LEN(svc); i++) {
		char *text = arena_sprintf(&a, BASE "\t\t%s:\n\t\t\tEnabled: true\n", svc[i]);
		struct cfg_static s;
		struct error err;
		cr_assert_not(load_text(text, "x.conf", DATA, &s, &err), "%s needs TLS", svc[i]);
		cr_assert(strstr(err.msg, "x.conf:8: listener local: no TLS configured, but it is "
					  "needed for "),
			  "%s", err.msg);
		cr_assert(strstr(err.msg, svc[i]), "%s", err.msg);
	}
}

Test(config_static, service_rules)
{
	expect_fail(
	    BASE "\t\tIMAP:\n\t\t\tEnabled: true\n\t\t\tPort: 65536\n",
	    "x.conf:13: listener local: IMAP: port 65536 out of range (1 to 65535, or 0 for "
	    "the default)");
	expect_fail(
	    BASE "\t\tAccountHTTP:\n\t\t\tEnabled: true\n\t\t\tPort: -1\n",
	    "x.conf:13: listener local: AccountHTTP: port -1 out of range (1 to 65535, or 0 "
	    "for the default)");
	expect_fail(BASE "\t\tSMTP:\n\t\t\tEnabled: true\n\t\t\tNoSTARTTLS: true\n"
			 "\t\t\tFirstTimeSenderDelay: -1s\n",
		    "x.conf:14: listener local: SMTP FirstTimeSenderDelay cannot be negative");
	expect_fail(
	    BASE "\t\tSMTP:\n\t\t\tEnabled: true\n\t\t\tNoSTARTTLS: true\n"
		 "\t\t\tDNSBLs:\n\t\t\t\t- 192.0.2.1\n",
	    "x.conf:15: listener local: DNSBL: invalid host name \"192.0.2.1\": IP address is "
	    "not a domain name");
	expect_fail(BASE "\t\tWebmailHTTP:\n\t\t\tEnabled: true\n\t\t\tPath: webmail/\n",
		    "x.conf:13: listener local: WebmailHTTP: Path \"webmail/\" must start with a "
		    "slash");
	expect_fail(
	    BASE "\t\tWebAPIHTTP:\n\t\t\tEnabled: true\n\t\t\tPath: /web api/\n",
	    "x.conf:13: listener local: WebAPIHTTP: Path \"/web api/\" has a space, control "
	    "character, ? or #");
}

Test(config_static, port_rules)
{
	expect_fail(BASE "\t\tSubmission:\n\t\t\tEnabled: true\n\t\t\tNoRequireSTARTTLS: true\n"
			 "\t\tIMAP:\n\t\t\tEnabled: true\n\t\t\tPort: 587\n",
		    "x.conf:14: listener local: Submission and IMAP both use port 587");
	expect_fail(
	    BASE "\t\tAdminHTTP:\n\t\t\tEnabled: true\n"
		 "\t\tMTASTSHTTPS:\n\t\t\tEnabled: true\n\t\t\tPort: 80\n"
		 "\t\tTLS:\n\t\t\tKeyCerts:\n\t\t\t\t-\n\t\t\t\t\tCertFile: cert.pem\n"
		 "\t\t\t\t\tKeyFile: key.pem\n",
	    "x.conf:13: listener local: AdminHTTP and MTASTSHTTPS both use port 80, but one "
	    "is plain HTTP and the other HTTPS");
	expect_fail(BASE "\t\tMetricsHTTP:\n\t\t\tEnabled: true\n"
			 "\t\tPprofHTTP:\n\t\t\tEnabled: true\n\t\t\tPort: 8010\n",
		    "x.conf:13: listener local: PprofHTTP cannot share port 8010 with MetricsHTTP");
	expect_fail(BASE "\t\tAdminHTTP:\n\t\t\tEnabled: true\n\t\t\tPort: 25\n"
			 "\t\tSMTP:\n\t\t\tEnabled: true\n\t\t\tNoSTARTTLS: true\n",
		    "x.conf:11: listener local: SMTP and AdminHTTP both use port 25");
	/* The implicit users of port 443 with ACME. */
	expect_fail(
	    BASE "\t\tTLS:\n\t\t\tACME: le\n\t\tIMAPS:\n\t\t\tEnabled: true\n"
		 "\t\tWebserverHTTP:\n\t\t\tEnabled: true\n\t\t\tPort: 443\n"
		 "ACME:\n\tle:\n\t\tDirectoryURL: https://acme.example/\n"
		 "\t\tContactEmail: a@example.com\n",
	    "x.conf:15: listener local: ACME TLS-ALPN validation and WebserverHTTP both use "
	    "port 443, but one is plain HTTP and the other HTTPS");
	/* Across listeners with overlapping IPs. */
	expect_fail(BASE
		    "\t\tAdminHTTP:\n\t\t\tEnabled: true\n"
		    "\tall:\n\t\tIPs:\n\t\t\t- 0.0.0.0\n\t\tWebserverHTTP:\n\t\t\tEnabled: true\n",
		    "x.conf:16: listeners local and all both use port 80 on overlapping IPs "
		    "127.0.0.1 and 0.0.0.0 (AdminHTTP and WebserverHTTP)");
}

Test(config_static, postmaster_and_tlsrpt_rules)
{
	expect_fail("DataDir: data\nLogLevel: info\nHostname: mail.example.com\nPostmaster:\n"
		    "\tAccount:\n\tMailbox: Postmaster\nListeners:\n\tlocal:\n\t\tIPs:\n\t\t\t- "
		    "127.0.0.1\n",
		    "x.conf:4: Postmaster: Account is empty");
	/* "Postmaster" with a decomposed e-acute is not NFC. */
	expect_fail(
	    "DataDir: data\nLogLevel: info\nHostname: mail.example.com\nPostmaster:\n"
	    "\tAccount: mjl\n\tMailbox: Re\xcc\x81sume\xcc\x81\nListeners:\n\tlocal:\n"
	    "\t\tIPs:\n\t\t\t- 127.0.0.1\n",
	    "x.conf:6: Postmaster: mailbox name \"Re\xcc\x81sume\xcc\x81\" is not in Unicode "
	    "NFC form, write \"R\xc3\xa9sum\xc3\xa9\"");
	expect_fail(
	    "DataDir: data\nLogLevel: info\nHostname: mail.example.com\nPostmaster:\n"
	    "\tAccount: mjl\n\tMailbox:\nListeners:\n\tlocal:\n\t\tIPs:\n\t\t\t- 127.0.0.1\n",
	    "x.conf:6: Postmaster: empty mailbox name");
	expect_fail(BASE "HostTLSRPT:\n\tAccount:\n\tMailbox: TLSRPT\n\tLocalpart: tlsreports\n",
		    "x.conf:12: HostTLSRPT: Account is empty");
	expect_fail(BASE "HostTLSRPT:\n\tAccount: mjl\n\tMailbox: TLS\x01RPT\n"
			 "\tLocalpart: tlsreports\n",
		    "x.conf:13: HostTLSRPT: mailbox name \"TLS\x01RPT\" is not valid UTF-8 text");
	expect_fail(BASE "HostTLSRPT:\n\tAccount: mjl\n\tMailbox: TLSRPT\n\tLocalpart:\n",
		    "x.conf:14: HostTLSRPT: invalid Localpart \"\": empty localpart");
	expect_fail(BASE
		    "HostTLSRPT:\n\tAccount: mjl\n\tMailbox: TLSRPT\n\tLocalpart: tls reports\n",
		    "x.conf:14: HostTLSRPT: invalid Localpart \"tls reports\": invalid character "
		    "0x20 in localpart");
	expect_fail(BASE
		    "HostTLSRPT:\n\tAccount: mjl\n\tMailbox: TLSRPT\n\tLocalpart: PostMaster\n",
		    "x.conf:14: HostTLSRPT: Localpart cannot be postmaster, which is delivered to "
		    "Postmaster");
	expect_fail(BASE "HostTLSRPT:\n\tAccount: mjl\n\tMailbox: TLSRPT\n"
			 "\tLocalpart: rapports-tls-\xc3\xa9\n",
		    "x.conf:14: HostTLSRPT: Localpart \"rapports-tls-\xc3\xa9\" must be ASCII, so "
		    "every reporter can send to it");
}

Test(config_static, mailbox_rules)
{
	expect_fail(BASE
		    "InitialMailboxes:\n\tRegular:\n\t\t- Lists\nDefaultMailboxes:\n\t- Sent\n",
		    "x.conf:14: cannot have both DefaultMailboxes and InitialMailboxes");
	expect_fail(BASE "InitialMailboxes:\n\tSpecialUse:\n\t\tSent: inbox\n",
		    "x.conf:11: InitialMailboxes SpecialUse: Inbox is always created and cannot be "
		    "listed");
	expect_fail(BASE "InitialMailboxes:\n\tRegular:\n\t\t- Lists\n\t\t- Lists/Work\n",
		    "x.conf:14: InitialMailboxes Regular: mailbox \"Lists/Work\" is a child "
		    "mailbox; only top-level mailboxes can be created for new accounts");
	expect_fail(BASE "InitialMailboxes:\n\tSpecialUse:\n\t\tJunk: Spam\n\tRegular:\n\t\t- "
			 "Spam\n",
		    "x.conf:15: initial mailbox \"Spam\" is listed more than once");
	expect_fail(
	    BASE "DefaultMailboxes:\n\t- Sent\n\t- Archive/2024\n",
	    "x.conf:13: DefaultMailboxes: mailbox \"Archive/2024\" is a child mailbox; only "
	    "top-level mailboxes can be created");
}

#define TRANSPORT_HEAD BASE "Transports:\n\tt:\n"

Test(config_static, transport_rules)
{
	expect_fail(TRANSPORT_HEAD "\t\tDirect:\n\t\t\tDisableIPv4: true\n"
				   "\t\tFail:\n\t\t\tSMTPCode: 550\n",
		    "x.conf:15: transport t: has both Direct and Fail, a transport has at most one "
		    "method");
	expect_fail(TRANSPORT_HEAD "\t\tSMTP:\n\t\t\tHost: smtp example\n",
		    "x.conf:14: transport t: SMTP: invalid host name \"smtp example\": invalid "
		    "character 0x20 in label");
	expect_fail(
	    TRANSPORT_HEAD "\t\tSubmission:\n\t\t\tHost: smtp.example\n\t\t\tPort: 100000\n",
	    "x.conf:15: transport t: Submission: port 100000 out of range (1 to 65535, or 0 "
	    "for the default)");
	expect_fail(TRANSPORT_HEAD "\t\tSubmissions:\n\t\t\tHost: smtp.example\n"
				   "\t\t\tNoSTARTTLS: true\n",
		    "x.conf:15: transport t: Submissions: NoSTARTTLS does not apply to a TLS "
		    "connection");
	expect_fail(
	    TRANSPORT_HEAD "\t\tSubmissions:\n\t\t\tHost: smtp.example\n"
			   "\t\t\tSTARTTLSInsecureSkipVerify: true\n",
	    "x.conf:15: transport t: Submissions: STARTTLSInsecureSkipVerify does not apply "
	    "to a TLS connection");
	expect_fail(TRANSPORT_HEAD "\t\tSubmission:\n\t\t\tHost: smtp.example\n\t\t\tAuth:\n"
				   "\t\t\t\tUsername: u\n\t\t\t\tPassword: p\n\t\t\t\tMechanisms:\n"
				   "\t\t\t\t\t- XOAUTH2\n",
		    "x.conf:19: transport t: Submission: unknown authentication mechanism "
		    "\"XOAUTH2\" (use SCRAM-SHA-256-PLUS, SCRAM-SHA-256, SCRAM-SHA-1-PLUS, "
		    "SCRAM-SHA-1, CRAM-MD5 or PLAIN)");
	expect_fail(TRANSPORT_HEAD "\t\tSubmission:\n\t\t\tHost: smtp.example\n\t\t\tAuth:\n"
				   "\t\t\t\tUsername: u\n\t\t\t\tPassword: p\n\t\t\t\tMechanisms:\n"
				   "\t\t\t\t\t- PLAIN\n\t\t\t\t\t- PLAIN\n",
		    "x.conf:20: transport t: Submission: authentication mechanism PLAIN is listed "
		    "twice");
	expect_fail(TRANSPORT_HEAD "\t\tSocks:\n\t\t\tAddress: proxy.example\n"
				   "\t\t\tRemoteIPs:\n\t\t\t\t- 192.0.2.1\n"
				   "\t\t\tRemoteHostname: out.example\n",
		    "x.conf:14: transport t: Socks Address \"proxy.example\" must be host:port or "
		    "[ipv6]:port");
	expect_fail(TRANSPORT_HEAD "\t\tSocks:\n\t\t\tAddress: ::1:1080\n"
				   "\t\t\tRemoteIPs:\n\t\t\t\t- 192.0.2.1\n"
				   "\t\t\tRemoteHostname: out.example\n",
		    "x.conf:14: transport t: Socks Address \"::1:1080\" must be host:port or "
		    "[ipv6]:port");
	expect_fail(TRANSPORT_HEAD "\t\tSocks:\n\t\t\tAddress: [::1]:1080\n"
				   "\t\t\tRemoteIPs:\n\t\t\t\t- 192.0.2.x\n"
				   "\t\t\tRemoteHostname: out.example\n",
		    "x.conf:16: transport t: Socks: invalid remote IP \"192.0.2.x\"");
	expect_fail(
	    TRANSPORT_HEAD "\t\tSocks:\n\t\t\tAddress: [::1]:1080\n"
			   "\t\t\tRemoteIPs:\n\t\t\t\t- 192.0.2.1\n"
			   "\t\t\tRemoteHostname: out.example.\n",
	    "x.conf:17: transport t: Socks: invalid host name \"out.example.\": trailing dot "
	    "not allowed");
	expect_fail(TRANSPORT_HEAD
		    "\t\tDirect:\n\t\t\tDisableIPv4: true\n\t\t\tDisableIPv6: true\n",
		    "x.conf:13: transport t: Direct disables both IPv4 and IPv6");
	expect_fail(
	    TRANSPORT_HEAD "\t\tFail:\n\t\t\tSMTPCode: 250\n",
	    "x.conf:14: transport t: Fail SMTPCode 250 is not a failure code (400 to 599, or "
	    "0 for 554)");
	expect_fail(TRANSPORT_HEAD "\t\tFail:\n\t\t\tSMTPMessage: go\taway\n",
		    "x.conf:14: transport t: Fail SMTPMessage must be text without control "
		    "characters");
}
