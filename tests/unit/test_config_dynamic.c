#include "base/arena.h"
#include "base/buf.h"
#include "base/file.h"
#include "config/dynamic.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FULL_CONF "tests/data/config/dynamic/full.conf"

static struct arena a;
/* Directory with the DKIM keys the configs name, made per test (never committed). */
static char keydir[64];

static void setup(void)
{
	arena_init(&a, 64 * 1024);
	keydir[0] = '\0';
}

static void remove_tree(const char *dir)
{
	char path[256];
	snprintf(path, sizeof path, "%s/dkim", dir);
	DIR *dh = opendir(path);
	struct dirent *de;
	while (dh && (de = readdir(dh)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char f[512];
		snprintf(f, sizeof f, "%s/%s", path, de->d_name);
		unlink(f);
	}
	if (dh)
		closedir(dh);
	rmdir(path);
	rmdir(dir);
}

static void teardown(void)
{
	if (keydir[0])
		remove_tree(keydir);
	arena_free(&a);
}

TestSuite(dynamic, .init = setup, .fini = teardown);

static void write_key(const char *name, EVP_PKEY *key, bool pkcs8)
{
	char path[256];
	snprintf(path, sizeof path, "%s/dkim/%s", keydir, name);
	BIO *f = BIO_new_file(path, "w");
	cr_assert_not_null(f);
	int ok = pkcs8 ? PEM_write_bio_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL)
		       : PEM_write_bio_PrivateKey_traditional(f, key, NULL, NULL, 0, NULL, NULL);
	cr_assert(ok);
	BIO_free(f);
	EVP_PKEY_free(key);
}

/* Generates the keys the test configs use: good ones and the kinds the check refuses. */
static void make_keys(bool all)
{
	strcpy(keydir, "/tmp/tern-dyn-XXXXXX");
	cr_assert_not_null(mkdtemp(keydir));
	char path[256];
	snprintf(path, sizeof path, "%s/dkim", keydir);
	cr_assert_eq(mkdir(path, 0700), 0);
	write_key("ed25519.pem", EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), true);
	write_key("rsa.pem", EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048), true);
	if (!all)
		return;
	write_key("rsa512.pem", EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)512), true);
	write_key("pkcs1.pem", EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024), false);
	write_key("ec.pem", EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), true);
	snprintf(path, sizeof path, "%s/dkim/garbage.pem", keydir);
	struct error err;
	cr_assert(file_write_atomic(path, "not a key\n", 10, 0600, &err));
}

static const struct cfg_dynamic_env env = {
    .hostname = "mail.example.org",
    .postmaster_account = "mjl",
    .postmaster_mailbox = "Postmaster",
    .host_tlsrpt_account = "other",
    .host_tlsrpt_localpart = "tls-reports",
    .host_tlsrpt_mailbox = "HostTLSRPT",
};

/* Loads and checks text; returns NULL when fine, else the error message. */
static const char *load_check(const char *text, struct cfg_dynamic *d,
			      const struct cfg_dynamic_env *e)
{
	memset(d, 0, sizeof *d);
	struct error err;
	struct sch_lines *lines = sch_lines_new(&a);
	if (!sch_load(text, strlen(text), "domains.conf", &cfg_dynamic_type, d, &a, lines, &err))
		return arena_strdup(&a, err.msg);
	struct cfg_check c = {"domains.conf", keydir[0] ? keydir : "/nonexistent", lines, &a, &err};
	bool ok = cfg_dynamic_check(d, e, &c);
	cfg_dynamic_release(d);
	return ok ? NULL : arena_strdup(&a, err.msg);
}

static const char *read_full(void)
{
	struct buf b = BUF_INIT;
	struct error err;
	cr_assert(file_read_all(FULL_CONF, 1 << 20, &b, &err), "%s", err.msg);
	const char *s = arena_strdup(&a, buf_cstr(&b));
	buf_free(&b);
	return s;
}

/* Every field is documented, and the template is a file that binds. */
Test(dynamic, describe_is_complete_and_binds_back)
{
	struct buf out = BUF_INIT;
	sch_describe(&cfg_dynamic_type, &out);
	const char *text = buf_cstr(&out);
	struct cfg_dynamic d;
	memset(&d, 0, sizeof d);
	struct error err;
	cr_assert(sch_load(text, out.len, "describe.conf", &cfg_dynamic_type, &d, &a, NULL, &err),
		  "%s", err.msg);
	cr_assert_eq(d.domains.n, 1);
	cr_assert_eq(d.accounts.n, 1);
	cr_assert_not_null(d.domains.v[0].dmarc);
	cr_assert_not_null(d.accounts.v[0].junk_filter);
	cr_assert_eq(d.web_handlers.n, 1);
	cr_assert_not_null(d.web_handlers.v[0].web_internal);
	/* Each field line comes right after its documentation (map keys "x" have none). */
	const char *prev = NULL;
	size_t nfields = 0;
	for (const char *line = text; *line;) {
		const char *eol = strchr(line, '\n');
		const char *k = line;
		while (*k == '\t')
			k++;
		bool field = *k != '#' && *k != '-' && k != eol && strncmp(k, "x:", 2) != 0;
		if (field) {
			nfields++;
			const char *c = prev;
			while (c && *c == '\t')
				c++;
			cr_assert(c && *c == '#', "undocumented field: %.*s", (int)(eol - line),
				  line);
		}
		prev = line;
		line = eol + 1;
	}
	cr_assert_eq(nfields, 135, "fields in the template: %zu", nfields);
	buf_free(&out);
}

Test(dynamic, full_config_loads_checks_and_derives)
{
	make_keys(false);
	const char *text = read_full();
	struct cfg_dynamic d;
	memset(&d, 0, sizeof d);
	struct error err;
	struct sch_lines *lines = sch_lines_new(&a);
	cr_assert(
	    sch_load(text, strlen(text), "domains.conf", &cfg_dynamic_type, &d, &a, lines, &err),
	    "%s", err.msg);
	struct cfg_check c = {"domains.conf", keydir, lines, &a, &err};
	cr_assert(cfg_dynamic_check(&d, &env, &c), "%s", err.msg);

	struct cfg_domain *dom = cfg_domain_find(&d, "example.org");
	cr_assert_not_null(dom);
	cr_assert_eq(dom->nseparators, 2);
	cr_assert_str_eq(dom->separators[0], "+");
	cr_assert_str_eq(dom->client_settings.ascii, "mail.example.org");
	cr_assert_not(dom->reports_only);
	struct cfg_selector *ed = &dom->dkim.selectors.v[0];
	cr_assert_eq(ed->algorithm, CFG_DKIM_ED25519);
	cr_assert_not_null(ed->key);
	cr_assert_eq(ed->expiration_seconds, 72 * 3600);
	cr_assert_str_eq(ed->hash_effective, "sha256");
	cr_assert_eq(ed->nheaders_effective, 5);
	struct cfg_selector *rsa = &dom->dkim.selectors.v[1];
	cr_assert_eq(rsa->algorithm, CFG_DKIM_RSA);
	cr_assert_eq(rsa->key_bits, 2048);
	cr_assert_str_eq(rsa->hash_effective, "sha1");
	cr_assert_eq(rsa->nheaders_effective, 11, "default headers");
	cr_assert_str_eq(rsa->headers_effective[0], "From");
	cr_assert(strstr(rsa->private_key_path, "/dkim/rsa.pem"));
	cr_assert_eq(dom->dkim.sign_selectors[1], rsa);
	cr_assert_eq(dom->mtasts->mode_parsed, CFG_MTASTS_ENFORCE);
	cr_assert(dom->mtasts->mx_patterns[1].wildcard);
	cr_assert_str_eq(dom->routes.v[0].to_domain_ascii[0], ".example.net");
	cr_assert_str_eq(dom->dmarc->parsed_localpart, "dmarcreports");
	cr_assert_eq(dom->dmarc->account_conf, cfg_account_find(&d, "mjl"));

	struct cfg_domain *idn = cfg_domain_find(&d, "xn--bcher-kva.example");
	cr_assert_not_null(idn);
	cr_assert_str_eq(idn->name.unicode, "bücher.example");
	cr_assert(cfg_domain_find(&d, "reports.example")->reports_only);
	cr_assert_not(cfg_domain_find(&d, "disabled.example")->reports_only);
	cr_assert_null(cfg_domain_find(&d, "bücher.example"), "lookups take the ASCII form");

	struct cfg_account *mjl = cfg_account_find(&d, "mjl");
	cr_assert_not_null(mjl);
	cr_assert_eq(mjl->domain_conf, dom);
	cr_assert_eq(mjl->max_outgoing_effective, 500);
	cr_assert_eq(mjl->max_first_time_effective, 100);
	cr_assert_not_null(mjl->junk_mailbox_re);
	cr_assert_eq(regexec(mjl->junk_mailbox_re, "spam", 0, NULL, 0), 0);
	cr_assert_eq(mjl->naliases, 1);
	struct cfg_destination *noreply = &mjl->destinations.v[3];
	cr_assert_str_eq(noreply->address, "noreply@example.org");
	cr_assert_eq(noreply->smtp_error_code, 550);
	cr_assert_str_eq(noreply->smtp_error_line, "550 5.1.1 this address does not receive mail");
	cr_assert_str_eq(mjl->destinations.v[4].smtp_error_line, "451 4.3.0 error processing");
	struct cfg_ruleset *rs = &mjl->destinations.v[0].rulesets.v[0];
	cr_assert_eq(regexec(rs->smtp_mail_from_re, "news@lists.example.net", 0, NULL, 0), 0);
	cr_assert_eq(regexec(rs->header_key_re[0], "list-id", 0, NULL, 0), 0);
	cr_assert_str_eq(rs->verified_domain_ascii, "lists.example.net");
	struct cfg_ruleset *fw = &mjl->destinations.v[0].rulesets.v[1];
	cr_assert_eq(regexec(fw->smtp_mail_from_re, "user@forward.example", 0, NULL, 0), 0);
	cr_assert_eq(regexec(fw->smtp_mail_from_re, "user+x@forward.example", 0, NULL, 0), 0);

	struct cfg_account *other = cfg_account_find(&d, "other");
	cr_assert_eq(other->max_outgoing_effective, CFG_DEFAULT_MAX_OUTGOING_PER_DAY);
	cr_assert_eq(other->max_first_time_effective, 200);
	cr_assert_str_eq(other->destinations.v[1].address, "legacy@example.org");
	cr_assert_str_eq(other->destinations.keys[1], "legacy", "configured values stay");

	struct cfg_webhandler *wh = d.web_handlers.v;
	cr_assert_str_eq(wh[0].name, "static");
	cr_assert_str_eq(wh[3].name, "3");
	cr_assert_str_eq(wh[1].web_redirect->url.host, "example.org");
	cr_assert_eq(wh[1].web_redirect->status_effective, 307);
	cr_assert_str_eq(wh[2].web_forward->target.path, "/base");
	cr_assert_eq(wh[3].web_internal->service_parsed, CFG_WEB_SERVICE_WEBMAIL);
	cr_assert_str_eq(d.web_redirect_to[0], "example.org");
	cr_assert_str_eq(d.monitor_dnsbl_zones[1], "bl.spamcop.net");
	cr_assert_str_eq(d.routes.v[0].from_domain_ascii[0], ".example.org");
	cfg_dynamic_release(&d);
	cfg_dynamic_release(&d);
}

Test(dynamic, write_load_write_is_stable)
{
	make_keys(false);
	const char *text = read_full();
	struct cfg_dynamic d;
	cr_assert_null(load_check(text, &d, &env));
	struct buf out = BUF_INIT, out2 = BUF_INIT;
	struct error err;
	cr_assert(sch_write(&cfg_dynamic_type, &d, &out, &err), "%s", err.msg);
	/* The file is written in the canonical order and form, so it comes back as is. */
	cr_assert_str_eq(buf_cstr(&out), text);
	struct cfg_dynamic d2;
	cr_assert_null(load_check(buf_cstr(&out), &d2, &env));
	cr_assert(sch_write(&cfg_dynamic_type, &d2, &out2, &err), "%s", err.msg);
	cr_assert_str_eq(buf_cstr(&out2), buf_cstr(&out));
	buf_free(&out);
	buf_free(&out2);
}

/* ---- Lookups ---- */

static struct cfg_dynamic full;

static void load_full(void)
{
	make_keys(false);
	cr_assert_null(load_check(read_full(), &full, &env));
}

static enum cfg_lookup_status rcpt(const char *lp, const char *domain, unsigned flags,
				   struct cfg_dynamic_match *m)
{
	return cfg_lookup_recipient(&full, lp, domain, flags, m);
}

static void expect_account(const char *lp, const char *domain, const char *account,
			   const char *dest_address)
{
	struct cfg_dynamic_match m;
	enum cfg_lookup_status st = rcpt(lp, domain, CFG_LOOKUP_ALLOW_ALIAS, &m);
	cr_assert_eq(st, CFG_LOOKUP_ACCOUNT, "%s@%s: status %d", lp, domain, st);
	cr_assert_str_eq(m.account_name, account, "%s@%s", lp, domain);
	cr_assert_str_eq(m.dest->address, dest_address, "%s@%s", lp, domain);
}

Test(dynamic, lookup_exact_case_separator_and_catchall)
{
	load_full();
	expect_account("mjl", "example.org", "mjl", "mjl@example.org");
	/* Case-insensitive domain: case is folded. */
	expect_account("MJL", "example.org", "mjl", "mjl@example.org");
	/* Both catchall separators of the domain cut the localpart. */
	expect_account("mjl+news", "example.org", "mjl", "mjl@example.org");
	expect_account("Mjl-x+y", "example.org", "mjl", "mjl@example.org");
	expect_account("legacy", "example.org", "other", "legacy@example.org");
	/* Case-sensitive IDN domain: exact match, else its catchall. */
	expect_account("Ünïcode", "xn--bcher-kva.example", "mjl", "Ünïcode@bücher.example");
	expect_account("Ünïcode+tag", "xn--bcher-kva.example", "mjl", "Ünïcode@bücher.example");
	expect_account("ünïcode", "xn--bcher-kva.example", "mjl", "@bücher.example");
	/* The same localpart in NFD (U+0308 combining diaeresis) is the same address. */
	expect_account("U\xcc\x88ni\xcc\x88"
		       "code",
		       "xn--bcher-kva.example", "mjl", "Ünïcode@bücher.example");
	struct cfg_dynamic_match m;
	cr_assert_eq(rcpt("anyone", "xn--bcher-kva.example", 0, &m), CFG_LOOKUP_ACCOUNT);
	cr_assert(m.catchall);
	cr_assert_str_eq(m.dest->mailbox, "Catchall");
	cr_assert_eq(rcpt("nobody", "example.org", 0, &m), CFG_LOOKUP_NO_ADDRESS);
	cr_assert_eq(rcpt("mjl", "example.com", 0, &m), CFG_LOOKUP_NO_DOMAIN);
	/* A domain that only has its reports delivered elsewhere is not local. */
	cr_assert_eq(rcpt("x", "reports.example", 0, &m), CFG_LOOKUP_NO_DOMAIN);
	cr_assert_eq(rcpt("other", "disabled.example", CFG_LOOKUP_CHECK_DISABLED, &m),
		     CFG_LOOKUP_DOMAIN_DISABLED);
	cr_assert_eq(rcpt("other", "disabled.example", 0, &m), CFG_LOOKUP_ACCOUNT);
	cr_assert_str_eq(m.account_name, "other");
	/* Derived reply of a destination with SMTPError. */
	cr_assert_eq(rcpt("noreply", "example.org", 0, &m), CFG_LOOKUP_ACCOUNT);
	cr_assert_str_eq(m.dest->smtp_error_line, "550 5.1.1 this address does not receive mail");
}

Test(dynamic, lookup_reporting_postmaster_and_aliases)
{
	load_full();
	struct cfg_dynamic_match m;
	cr_assert_eq(rcpt("dmarcreports", "example.org", 0, &m), CFG_LOOKUP_ACCOUNT);
	cr_assert(m.dest->dmarc_reports);
	cr_assert_str_eq(m.dest->mailbox, "DMARC");
	cr_assert_eq(rcpt("DMARCreports+x", "example.org", 0, &m), CFG_LOOKUP_ACCOUNT);
	cr_assert(m.dest->dmarc_reports);
	/* Reports for reports.example arrive at example.org, separators and all. */
	cr_assert_eq(rcpt("dmarc-reports-example", "example.org", 0, &m), CFG_LOOKUP_ACCOUNT);
	cr_assert(m.dest->dmarc_reports);
	cr_assert_eq(rcpt("tls-reports-example", "example.org", 0, &m), CFG_LOOKUP_ACCOUNT);
	cr_assert(m.dest->tlsrpt_reports);
	cr_assert_str_eq(m.account_name, "other");
	cr_assert_eq(rcpt("tls-reports", "mail.example.org", 0, &m), CFG_LOOKUP_ACCOUNT);
	cr_assert(m.dest->host_tlsrpt_reports);
	cr_assert_str_eq(m.dest->mailbox, "HostTLSRPT");

	cr_assert_eq(rcpt("postmaster", NULL, CFG_LOOKUP_ALLOW_POSTMASTER, &m),
		     CFG_LOOKUP_POSTMASTER);
	cr_assert_str_eq(m.account_name, "mjl");
	cr_assert_str_eq(m.mailbox, "Postmaster");
	cr_assert_eq(rcpt("PostMaster", "mail.example.org", CFG_LOOKUP_ALLOW_POSTMASTER, &m),
		     CFG_LOOKUP_POSTMASTER);
	cr_assert_eq(rcpt("postmaster", "example.org", CFG_LOOKUP_ALLOW_POSTMASTER, &m),
		     CFG_LOOKUP_POSTMASTER, "a domain without its own postmaster address");
	cr_assert_eq(rcpt("postmaster", "example.org", 0, &m), CFG_LOOKUP_NO_ADDRESS);
	cr_assert_eq(rcpt("postmaster", "xn--bcher-kva.example", CFG_LOOKUP_ALLOW_POSTMASTER, &m),
		     CFG_LOOKUP_ACCOUNT, "the catchall comes first");

	cr_assert_eq(rcpt("team", "example.org", CFG_LOOKUP_ALLOW_ALIAS, &m), CFG_LOOKUP_ALIAS);
	cr_assert_eq(m.alias->nmembers, 2);
	cr_assert_str_eq(m.alias->members[1].account->name, "other");
	cr_assert_eq(rcpt("Team+x", "example.org", CFG_LOOKUP_ALLOW_ALIAS, &m), CFG_LOOKUP_ALIAS);
	cr_assert_eq(rcpt("team", "example.org", 0, &m), CFG_LOOKUP_NO_ADDRESS);
}

Test(dynamic, lookup_login)
{
	load_full();
	struct cfg_dynamic_match m;
	cr_assert_eq(cfg_lookup_login(&full, "mjl@example.org", &m), CFG_LOGIN_ACCOUNT);
	cr_assert_eq(m.account, cfg_account_find(&full, "mjl"));
	cr_assert_eq(cfg_lookup_login(&full, "MJL+phone@Example.ORG", &m), CFG_LOGIN_ACCOUNT);
	cr_assert_eq(cfg_lookup_login(&full, "legacy@example.org", &m), CFG_LOGIN_ACCOUNT);
	cr_assert_str_eq(m.account_name, "other");
	cr_assert_eq(cfg_lookup_login(&full, "someone@bücher.example", &m), CFG_LOGIN_ACCOUNT,
		     "the catchall's account");
	cr_assert_eq(cfg_lookup_login(&full, "other@disabled.example", &m), CFG_LOGIN_ACCOUNT,
		     "disabled domains do not stop logins");
	/* An alias exists but is not a login: a result of its own. */
	cr_assert_eq(cfg_lookup_login(&full, "team@example.org", &m), CFG_LOGIN_ALIAS);
	cr_assert_null(m.account);
	cr_assert_eq(cfg_lookup_login(&full, "nobody@example.org", &m), CFG_LOGIN_NO_ADDRESS);
	cr_assert_eq(cfg_lookup_login(&full, "mjl@example.com", &m), CFG_LOGIN_NO_ADDRESS);
	cr_assert_eq(cfg_lookup_login(&full, "not an address", &m), CFG_LOGIN_NO_ADDRESS);
	cr_assert_eq(cfg_lookup_login(&full, "postmaster@mail.example.org", &m),
		     CFG_LOGIN_NO_ADDRESS);
}

Test(dynamic, lookups_on_an_unchecked_model_find_nothing)
{
	struct cfg_dynamic d;
	memset(&d, 0, sizeof d);
	struct cfg_dynamic_match m;
	cr_assert_null(cfg_domain_find(&d, "example.org"));
	cr_assert_null(cfg_account_find(&d, "mjl"));
	cr_assert_eq(cfg_lookup_recipient(&d, "mjl", "example.org", 0, &m), CFG_LOOKUP_NO_DOMAIN);
	cr_assert_eq(cfg_lookup_login(&d, "mjl@example.org", &m), CFG_LOGIN_NO_ADDRESS);
}

/* Many accounts: the check and the lookups must not be quadratic. */
Test(dynamic, many_accounts)
{
	enum { N = 20000 };
	struct buf b = BUF_INIT;
	buf_puts(&b, "Domains:\n\texample.org:\n\t\tLocalpartCatchallSeparator: +\nAccounts:\n");
	for (int i = 0; i < N; i++)
		buf_printf(&b,
			   "\tu%d:\n\t\tDomain: example.org\n\t\tDestinations:\n"
			   "\t\t\tuser%d@example.org: nil\n",
			   i, i);
	struct cfg_dynamic d;
	struct cfg_dynamic_env e = {.hostname = "mail.example.org"};
	cr_assert_null(load_check(buf_cstr(&b), &d, &e));
	buf_free(&b);
	struct cfg_dynamic_match m;
	for (int i = 0; i < N; i += 7) {
		char lp[32], name[32];
		snprintf(lp, sizeof lp, "User%d+tag", i);
		snprintf(name, sizeof name, "u%d", i);
		cr_assert_eq(cfg_lookup_recipient(&d, lp, "example.org", 0, &m),
			     CFG_LOOKUP_ACCOUNT);
		cr_assert_str_eq(m.account_name, name);
		cr_assert_not_null(cfg_account_find(&d, name));
	}
}
