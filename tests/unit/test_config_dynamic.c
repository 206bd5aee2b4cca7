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

/* ---- Validation: one failing case per rule, with the exact message and line. ---- */

/* Line numbers below refer to this file, with lines inserted where the helpers say. */
static const char *base = "Domains:\n"                          /* 1 */
			  "\texample.org:\n"                    /* 2 */
			  "\t\tLocalpartCatchallSeparator: +\n" /* 3; DOM() inserts after */
			  "\t\tDMARC:\n"                        /* 4 */
			  "\t\t\tLocalpart: dmarcreports\n"     /* 5 */
			  "\t\t\tAccount: mjl\n"                /* 6 */
			  "\t\t\tMailbox: DMARC\n"              /* 7 */
			  "\texample.net: nil\n"                /* 8 */
			  "Accounts:\n"                         /* 9 */
			  "\tmjl:\n"                            /* 10 */
			  "\t\tDomain: example.org\n"           /* 11; ACC() inserts after */
			  "\t\tDestinations:\n"                 /* 12 */
			  "\t\t\tmjl@example.org: nil\n"        /* 13 */
			  "\t\t\t@example.net: nil\n"           /* 14 */
			  "\tother:\n"                          /* 15 */
			  "\t\tDomain: example.org\n"           /* 16 */
			  "\t\tDestinations:\n"                 /* 17 */
			  "\t\t\tother@example.org: nil\n";     /* 18; TOP() appends after */

static const struct cfg_dynamic_env small_env = {
    .hostname = "mail.example.org",
    .postmaster_account = "mjl",
    .postmaster_mailbox = "Postmaster",
};

static const char *subst(const char *text, const char *old, const char *new_)
{
	const char *p = strstr(text, old);
	cr_assert_not_null(p, "not in text: %s", old);
	return arena_sprintf(&a, "%.*s%s%s", (int)(p - text), text, new_, p + strlen(old));
}

#define DOM(lines)                                                                                 \
	subst(base, "\t\tLocalpartCatchallSeparator: +\n",                                         \
	      "\t\tLocalpartCatchallSeparator: +\n" lines)
#define ACC(lines)  subst(base, "\t\tDomain: example.org\n", "\t\tDomain: example.org\n" lines)
#define TOP(lines)  arena_sprintf(&a, "%s%s", base, lines)
#define DEST(lines) subst(base, "\t\t\tmjl@example.org: nil\n", "\t\t\tmjl@example.org:\n" lines)

static void fails_env(const char *text, const struct cfg_dynamic_env *e, const char *msg)
{
	struct cfg_dynamic d;
	const char *got = load_check(text, &d, e);
	cr_assert_not_null(got, "accepted, expected: %s\n%s", msg, text);
	cr_assert_str_eq(got, msg, "\ngot:  %s\nwant: %s", got, msg);
}

static void fails(const char *text, const char *msg)
{
	fails_env(text, &small_env, msg);
}

Test(dynamic, check_base_is_fine)
{
	struct cfg_dynamic d;
	cr_assert_null(load_check(base, &d, &small_env));
	cr_assert_null(load_check(DEST("\t\t\t\tSMTPError: 421 try later\n"), &d, &small_env));
	cr_assert_str_eq(d.accounts.v[0].destinations.v[0].smtp_error_line, "451 4.3.0 try later");
	fails(subst(base, "\tother:\n\t\tDomain: example.org\n", "\tother:\n"),
	      "domains.conf:15: missing required field \"Domain\" in Account");
}

Test(dynamic, check_domains)
{
	fails(
	    subst(base, "\texample.org:\n", "\texa_mple.org:\n"),
	    "domains.conf:2: domain exa_mple.org: invalid domain \"exa_mple.org\": underscore not "
	    "allowed in label");
	fails(subst(base, "\texample.org:\n", "\tExample.org:\n"),
	      "domains.conf:2: domain Example.org: must be written in its Unicode form, "
	      "\"example.org\"");
	fails(subst(base, "\texample.net: nil\n", "\txn--bcher-kva.example: nil\n"),
	      "domains.conf:8: domain xn--bcher-kva.example: must be written in its Unicode form, "
	      "\"bücher.example\"");
	fails(DOM("\t\tClientSettingsDomain: mail..example.org\n"),
	      "domains.conf:4: domain example.org: ClientSettingsDomain: invalid domain "
	      "\"mail..example.org\": empty label");
	fails(DOM("\t\tLocalpartCatchallSeparators:\n\t\t\t- -\n"),
	      "domains.conf:4: domain example.org: set LocalpartCatchallSeparator or "
	      "LocalpartCatchallSeparators, not both");
	fails(subst(base, "\t\tLocalpartCatchallSeparator: +\n",
		    "\t\tLocalpartCatchallSeparators:\n\t\t\t- +\n\t\t\t-\n"),
	      "domains.conf:5: domain example.org: empty localpart catchall separator");
	fails(subst(base, "\t\tLocalpartCatchallSeparator: +\n",
		    "\t\tLocalpartCatchallSeparators:\n\t\t\t- +\n\t\t\t- +\n"),
	      "domains.conf:5: domain example.org: duplicate localpart catchall separator \"+\"");
	fails(subst(base, "Separator: +", "Separator: X"),
	      "domains.conf:3: domain example.org: localpart catchall separator \"X\" has upper or "
	      "lower case, which only works with LocalpartCaseSensitive");
	struct cfg_dynamic d;
	cr_assert_null(load_check(DOM("\t\tLocalpartCaseSensitive: true\n"), &d, &small_env));
}

/* Lines 4-9 after DOM(); the key file line is 7 (8 with one more line before it). */
#define SELECTOR(fields, keyfile, sign)                                                            \
	DOM("\t\tDKIM:\n\t\t\tSelectors:\n\t\t\t\tsel:\n" fields                                   \
	    "\t\t\t\t\tPrivateKeyFile: dkim/" keyfile "\n\t\t\tSign:\n\t\t\t\t- " sign "\n")

Test(dynamic, check_dkim)
{
	make_keys(true);
	struct cfg_dynamic d;
	cr_assert_null(load_check(SELECTOR("", "ed25519.pem", "sel"), &d, &small_env));
	fails(SELECTOR("", "ed25519.pem", "other"),
	      "domains.conf:9: domain example.org: DKIM Sign names unknown selector \"other\"");
	fails(subst(SELECTOR("", "ed25519.pem", "sel"), "\t\t\t\tsel:\n", "\t\t\t\tsel_x:\n"),
	      "domains.conf:6: domain example.org: DKIM selector sel_x: invalid selector name: "
	      "underscore not allowed in label");
	fails(subst(SELECTOR("", "ed25519.pem", "sel"), "\t\t\t\tsel:\n", "\t\t\t\tSel:\n"),
	      "domains.conf:6: domain example.org: DKIM selector Sel: must be written in its "
	      "Unicode form, \"sel\"");
	fails(SELECTOR("\t\t\t\t\tExpiration: 3 days\n", "ed25519.pem", "sel"),
	      "domains.conf:7: domain example.org: DKIM selector sel: Expiration: invalid duration "
	      "\"3 days\" (use e.g. 90s, 15m, 72h, 1h30m)");
	fails(SELECTOR("\t\t\t\t\tExpiration: -1h\n", "ed25519.pem", "sel"),
	      "domains.conf:7: domain example.org: DKIM selector sel: Expiration must not be "
	      "negative");
	fails(
	    SELECTOR("\t\t\t\t\tHash: md5\n", "ed25519.pem", "sel"),
	    "domains.conf:7: domain example.org: DKIM selector sel: unsupported Hash \"md5\", use "
	    "sha256 or sha1");
	fails(SELECTOR("\t\t\t\t\tHeaders:\n\t\t\t\t\t\t- To\n", "ed25519.pem", "sel"),
	      "domains.conf:7: domain example.org: DKIM selector sel: Headers must include From");
	fails(SELECTOR("\t\t\t\t\tHash: sha1\n", "ed25519.pem", "sel"),
	      "domains.conf:8: domain example.org: DKIM selector sel: Ed25519 keys are used with "
	      "Hash sha256 only");
	fails(
	    SELECTOR("", "missing.pem", "sel"),
	    arena_sprintf(&a,
			  "domains.conf:7: domain example.org: DKIM selector sel: PrivateKeyFile: "
			  "open %s/dkim/missing.pem: No such file or directory",
			  keydir));
	fails(SELECTOR("", "garbage.pem", "sel"),
	      "domains.conf:7: domain example.org: DKIM selector sel: PrivateKeyFile "
	      "dkim/garbage.pem: no PEM block");
	fails(SELECTOR("", "pkcs1.pem", "sel"),
	      "domains.conf:7: domain example.org: DKIM selector sel: PrivateKeyFile "
	      "dkim/pkcs1.pem: PEM block is \"RSA PRIVATE KEY\", not a PKCS #8 \"PRIVATE KEY\"");
	fails(SELECTOR("", "rsa512.pem", "sel"),
	      "domains.conf:7: domain example.org: DKIM selector sel: RSA key of 512 bits is too "
	      "small, use at least 1024");
	fails(SELECTOR("", "ec.pem", "sel"),
	      "domains.conf:7: domain example.org: DKIM selector sel: PrivateKeyFile dkim/ec.pem: "
	      "key type id-ecPublicKey is not supported, use RSA or Ed25519");
}

Test(dynamic, check_reporting_and_mtasts)
{
	fails(subst(base, "Localpart: dmarcreports", "Localpart: a..b"),
	      "domains.conf:5: domain example.org: DMARC: invalid Localpart \"a..b\": consecutive "
	      "dots in localpart");
	fails(subst(base, "Localpart: dmarcreports", "Localpart: dmärc"),
	      "domains.conf:5: domain example.org: DMARC: Localpart \"dmärc\" must be ASCII, so "
	      "that all reporters can send to it");
	fails(subst(base, "\t\t\tLocalpart: dmarcreports\n",
		    "\t\t\tLocalpart: dmarcreports\n\t\t\tDomain: example.com\n"),
	      "domains.conf:6: domain example.org: DMARC: Domain example.com is not a configured "
	      "domain");
	fails(subst(base, "\t\t\tAccount: mjl\n", "\t\t\tAccount: nobody\n"),
	      "domains.conf:6: domain example.org: DMARC: account \"nobody\" does not exist");
	fails(subst(base, "\t\t\tMailbox: DMARC\n", "\t\t\tMailbox:\n"),
	      "domains.conf:7: domain example.org: DMARC: mailbox is empty");
	fails(subst(base, "\t\t\tMailbox: DMARC\n", "\t\t\tMailbox: DMA\xcc\x88RC\n"),
	      "domains.conf:7: domain example.org: DMARC: mailbox \"DMA\xcc\x88RC\" is not in "
	      "Unicode NFC form, write it as \"DM\xc3\x84RC\"");
	fails(DOM("\t\tTLSRPT:\n\t\t\tLocalpart: tlsreports\n\t\t\tAccount: nobody\n"
		  "\t\t\tMailbox: TLSRPT\n"),
	      "domains.conf:6: domain example.org: TLSRPT: account \"nobody\" does not exist");

	const char *sts =
	    "\t\tMTASTS:\n\t\t\tPolicyID: 1\n\t\t\tMode: enforce\n\t\t\tMaxAge: 24h\n";
	struct cfg_dynamic d;
	cr_assert_null(load_check(DOM("\t\tMTASTS:\n\t\t\tPolicyID: 1\n\t\t\tMode: enforce\n"
				      "\t\t\tMaxAge: 24h\n"),
				  &d, &small_env));
	const char *t = subst(base, "\t\tDMARC:\n", arena_sprintf(&a, "%s\t\tDMARC:\n", sts));
	fails(subst(t, "PolicyID: 1", "PolicyID:"),
	      "domains.conf:5: domain example.org: MTA-STS PolicyID is empty");
	fails(subst(t, "PolicyID: 1", "PolicyID: 2024-01"),
	      "domains.conf:5: domain example.org: MTA-STS PolicyID \"2024-01\" must be 1 to 32 "
	      "letters and digits (RFC 8461 3.1)");
	fails(subst(t, "Mode: enforce", "Mode: strict"),
	      "domains.conf:6: domain example.org: MTA-STS Mode \"strict\" is not enforce, testing "
	      "or none");
	fails(subst(t, "MaxAge: 24h", "MaxAge: 0s"),
	      "domains.conf:7: domain example.org: MTA-STS MaxAge must be positive");
	fails(subst(t, "MaxAge: 24h", "MaxAge: 9000h"),
	      "domains.conf:7: domain example.org: MTA-STS MaxAge is above 31557600 seconds, the "
	      "most RFC 8461 3.2 allows");
	fails(subst(t, "MaxAge: 24h\n", "MaxAge: 24h\n\t\t\tMX:\n\t\t\t\t- mx*.example.org\n"),
	      "domains.conf:9: domain example.org: MTA-STS MX \"mx*.example.org\": wildcard only "
	      "allowed as the whole first label");
}

Test(dynamic, check_routes)
{
	fails(
	    TOP("Routes:\n\t-\n\t\tFromDomain:\n\t\t\t- -bad.example\n\t\tTransport: x\n"),
	    "domains.conf:22: global: route 1: FromDomain: invalid domain \"-bad.example\": label "
	    "starts with a hyphen");
	fails(TOP("Routes:\n\t-\n\t\tMinimumAttempts: -1\n\t\tTransport: x\n"),
	      "domains.conf:21: global: route 1: MinimumAttempts must not be negative");
	fails(TOP("Routes:\n\t-\n\t\tTransport:\n"),
	      "domains.conf:21: global: route 1: Transport is empty");
	fails(DOM("\t\tRoutes:\n\t\t\t-\n\t\t\t\tToDomain:\n\t\t\t\t\t- x..y\n"
		  "\t\t\t\tTransport: t\n"),
	      "domains.conf:7: domain example.org: route 1: ToDomain: invalid domain \"x..y\": "
	      "empty label");
	fails(ACC("\t\tRoutes:\n\t\t\t-\n\t\t\t\tToDomain:\n\t\t\t\t\t- .\n\t\t\t\tTransport:\n"),
	      "domains.conf:16: account mjl: route 1: Transport is empty");
}

/* The alias is at line 5, its first member at 7. */
#define ALIAS(key, members) DOM("\t\tAliases:\n\t\t\t" key ":\n\t\t\t\tAddresses:\n" members)

Test(dynamic, check_aliases)
{
	struct cfg_dynamic d;
	cr_assert_null(load_check(ALIAS("team", "\t\t\t\t\t- mjl@example.org\n"
						"\t\t\t\t\t- Other@example.org\n"),
				  &d, &small_env));
	fails(
	    ALIAS("te..am", "\t\t\t\t\t- mjl@example.org\n"),
	    "domains.conf:5: domain example.org: alias te..am: invalid localpart: consecutive dots "
	    "in localpart");
	fails(ALIAS("team+x", "\t\t\t\t\t- mjl@example.org\n"),
	      "domains.conf:5: domain example.org: alias team+x: localpart contains a catchall "
	      "separator");
	fails(
	    ALIAS("MJL", "\t\t\t\t\t- other@example.org\n"),
	    "domains.conf:5: domain example.org: alias MJL: address is already mjl@example.org of "
	    "account mjl");
	fails(ALIAS("dmarcreports", "\t\t\t\t\t- other@example.org\n"),
	      "domains.conf:5: domain example.org: alias dmarcreports: address is already "
	      "dmarcreports@example.org of account mjl");
	fails(ALIAS("team", "\t\t\t\t\t- mjl@\n"),
	      "domains.conf:7: domain example.org: alias team: invalid address \"mjl@\": missing "
	      "domain after @");
	fails(
	    ALIAS("team", "\t\t\t\t\t- nobody@example.org\n"),
	    "domains.conf:7: domain example.org: alias team: nobody@example.org is not an address "
	    "of an account");
	fails(
	    ALIAS("team", "\t\t\t\t\t- nobody@example.net\n"),
	    "domains.conf:7: domain example.org: alias team: nobody@example.net is not an address "
	    "of an account");
	fails(ALIAS("team", "\t\t\t\t\t- mjl+x@example.org\n"),
	      "domains.conf:7: domain example.org: alias team: mjl+x@example.org is not an address "
	      "of an account");
	fails(ALIAS("team", "\t\t\t\t\t- mjl@example.org\n\t\t\t\t\t- MJL@example.org\n"),
	      "domains.conf:8: domain example.org: alias team: MJL@example.org is listed twice");
	fails(DOM("\t\tAliases:\n\t\t\tteam:\n\t\t\t\tAddresses:\n\t\t\t\t\t- mjl@example.org\n"
		  "\t\t\tall:\n\t\t\t\tAddresses:\n\t\t\t\t\t- team@example.org\n"),
	      "domains.conf:10: domain example.org: alias all: team@example.org is not an address "
	      "of an account");
	fails(DOM("\t\tAliases:\n\t\t\tteam:\n\t\t\t\tAddresses:\n\t\t\t\t\t- mjl@example.org\n"
		  "\t\t\tTeam:\n\t\t\t\tAddresses:\n\t\t\t\t\t- mjl@example.org\n"),
	      "domains.conf:8: domain example.org: alias Team: same address as alias team");
}

Test(dynamic, check_accounts)
{
	fails(subst(base, "\tother:\n", "\ta/b:\n"),
	      "domains.conf:15: account \"a/b\": account name cannot contain slashes or control "
	      "characters");
	fails(subst(base, "\tother:\n", "\t..:\n"),
	      "domains.conf:15: account \"..\": not a usable account name");
	fails(subst(base, "\t\tDomain: example.org\n", "\t\tDomain: example..org\n"),
	      "domains.conf:11: account mjl: invalid Domain \"example..org\": empty label");
	fails(ACC("\t\tRejectsMailbox: inbox\n"),
	      "domains.conf:12: account mjl: RejectsMailbox cannot be Inbox: messages are removed "
	      "from it automatically");
	fails(ACC("\t\tIntrobox: INBOX\n"),
	      "domains.conf:12: account mjl: Introbox cannot be Inbox");
	fails(ACC("\t\tRejectsMailbox: Rejects\n\t\tIntrobox: Rejects\n"),
	      "domains.conf:13: account mjl: Introbox cannot be the RejectsMailbox");
	fails(
	    ACC("\t\tLoginDisabled: Gesperrt für Wartung\n"),
	    "domains.conf:12: account mjl: LoginDisabled must be printable ASCII, without control "
	    "characters");
	fails(ACC("\t\tKeepRetiredMessagePeriod: -1h\n"),
	      "domains.conf:12: account mjl: KeepRetiredMessagePeriod must not be negative");
	fails(ACC("\t\tKeepRetiredWebhookPeriod: -1s\n"),
	      "domains.conf:12: account mjl: KeepRetiredWebhookPeriod must not be negative");
	fails(ACC("\t\tSubjectPass:\n\t\t\tPeriod: -1h\n"),
	      "domains.conf:13: account mjl: SubjectPass Period must not be negative");
	fails(ACC("\t\tMaxOutgoingMessagesPerDay: -5\n"),
	      "domains.conf:12: account mjl: MaxOutgoingMessagesPerDay must not be negative");
	fails(ACC("\t\tMaxFirstTimeRecipientsPerDay: -5\n"),
	      "domains.conf:12: account mjl: MaxFirstTimeRecipientsPerDay must not be negative");
	fails(ACC("\t\tIMAPCapabilitiesDisabled:\n\t\t\t- condstore\n"),
	      "domains.conf:13: account mjl: IMAP capability \"condstore\" must be upper case");
	fails(ACC("\t\tIMAPCapabilitiesDisabled:\n\t\t\t- QRESYNC X\n"),
	      "domains.conf:13: account mjl: IMAP capability \"QRESYNC X\" is not an atom");
	fails(ACC("\t\tOutgoingWebhook:\n\t\t\tURL: ftp://hooks.example/\n"),
	      "domains.conf:13: account mjl: OutgoingWebhook URL \"ftp://hooks.example/\": scheme "
	      "must be http or https");
	fails(ACC("\t\tOutgoingWebhook:\n\t\t\tURL: https://x.example/\n\t\t\tEvents:\n"
		  "\t\t\t\t- bounced\n"),
	      "domains.conf:15: account mjl: OutgoingWebhook: unknown event \"bounced\"");
	fails(ACC("\t\tIncomingWebhook:\n\t\t\tURL: https:///hook\n"),
	      "domains.conf:13: account mjl: IncomingWebhook URL \"https:///hook\": no host");
	fails(
	    ACC("\t\tIncomingWebhook:\n\t\t\tURL: http://x.example/a%zz\n"),
	    "domains.conf:13: account mjl: IncomingWebhook URL \"http://x.example/a%zz\": invalid "
	    "percent escape");
	fails(
	    ACC("\t\tFromIDLoginAddresses:\n\t\t\t- nope\n"),
	    "domains.conf:13: account mjl: FromIDLoginAddresses: invalid address \"nope\": missing "
	    "@domain");
	fails(ACC("\t\tFromIDLoginAddresses:\n\t\t\t- x@example.com\n"),
	      "domains.conf:13: account mjl: FromIDLoginAddresses: domain of x@example.com is not "
	      "configured");
	fails(ACC("\t\tFromIDLoginAddresses:\n\t\t\t- x@example.net\n"),
	      "domains.conf:13: account mjl: FromIDLoginAddresses: x@example.net needs a localpart "
	      "catchall separator configured for domain example.net");
	fails(ACC("\t\tFromIDLoginAddresses:\n\t\t\t- other@example.org\n"),
	      "domains.conf:13: account mjl: FromIDLoginAddresses: other@example.org is not an "
	      "address of this account");
	struct cfg_dynamic d;
	cr_assert_null(load_check(ACC("\t\tFromIDLoginAddresses:\n\t\t\t- MJL+id@example.org\n"),
				  &d, &small_env));
}

#define JUNK(threshold, params)                                                                    \
	ACC("\t\tJunkFilter:\n\t\t\tThreshold: " threshold "\n\t\t\tParams:\n" params)

Test(dynamic, check_junk)
{
	struct cfg_dynamic d;
	cr_assert_null(
	    load_check(JUNK("1", "\t\t\t\tMaxPower: 0.5\n\t\t\t\tTopWords: 0\n"), &d, &small_env));
	fails(JUNK("0", "\t\t\t\tMaxPower: 0.01\n\t\t\t\tTopWords: 10\n"),
	      "domains.conf:13: account mjl: JunkFilter Threshold 0 must be above 0 and at most 1");
	fails(JUNK("1.5", "\t\t\t\tMaxPower: 0.01\n\t\t\t\tTopWords: 10\n"),
	      "domains.conf:13: account mjl: JunkFilter Threshold 1.5 must be above 0 and at most "
	      "1");
	fails(JUNK("0.9", "\t\t\t\tMaxPower: 0.6\n\t\t\t\tTopWords: 10\n"),
	      "domains.conf:15: account mjl: JunkFilter MaxPower must be between 0 and 0.5");
	fails(JUNK("0.9", "\t\t\t\tMaxPower: 0.1\n\t\t\t\tTopWords: -1\n"),
	      "domains.conf:16: account mjl: JunkFilter TopWords must not be negative");
	fails(subst(JUNK("0.9", "\t\t\t\tMaxPower: 0.1\n\t\t\t\tTopWords: 10\n"), "TopWords: 10\n",
		    "TopWords: 10\n\t\t\t\tIgnoreWords: 0.7\n"),
	      "domains.conf:17: account mjl: JunkFilter IgnoreWords must be between 0 and 0.5");
	fails(subst(JUNK("0.9", "\t\t\t\tMaxPower: 0.1\n\t\t\t\tTopWords: 10\n"), "TopWords: 10\n",
		    "TopWords: 10\n\t\t\t\tRareWords: -2\n"),
	      "domains.conf:17: account mjl: JunkFilter RareWords must not be negative");
	fails(
	    ACC("\t\tAutomaticJunkFlags:\n\t\t\tEnabled: true\n\t\t\tJunkMailboxRegexp: ^(junk\n"),
	    "domains.conf:14: account mjl: AutomaticJunkFlags JunkMailboxRegexp: invalid regular "
	    "expression \"^(junk\": Unmatched ( or \\(");
	fails(
	    ACC("\t\tAutomaticJunkFlags:\n\t\t\tEnabled: true\n\t\t\tNeutralMailboxRegexp: "
		"(?i)inbox\n"),
	    "domains.conf:14: account mjl: AutomaticJunkFlags NeutralMailboxRegexp: regular "
	    "expression \"(?i)inbox\" uses a (?...) group or flag, which tern does not support yet "
	    "(it follows POSIX extended syntax)");
}

Test(dynamic, check_destinations)
{
	fails(
	    subst(base, "\t\t\tmjl@example.org: nil\n", "\t\t\tmjl@example.com: nil\n"),
	    "domains.conf:13: account mjl: destination mjl@example.com: domain example.com is not "
	    "configured");
	fails(
	    subst(base, "\t\t\tmjl@example.org: nil\n", "\t\t\tmj l@example.org: nil\n"),
	    "domains.conf:13: account mjl: destination mj l@example.org: invalid address: invalid "
	    "character 0x20 in localpart");
	fails(subst(base, "\t\t\tmjl@example.org: nil\n", "\t\t\tmjl+x@example.org: nil\n"),
	      "domains.conf:13: account mjl: destination mjl+x@example.org: localpart contains a "
	      "catchall separator of domain example.org");
	fails(subst(base, "\t\t\t@example.net: nil\n", "\t\t\tMJL@example.org: nil\n"),
	      "domains.conf:14: account mjl: destination MJL@example.org: same address as "
	      "mjl@example.org of account mjl (after case folding and catchall separators)");
	fails(subst(base, "\t\t\tother@example.org: nil\n", "\t\t\tMjl@Example.ORG: nil\n"),
	      "domains.conf:18: account other: destination Mjl@Example.ORG: same address as "
	      "mjl@example.org of account mjl (after case folding and catchall separators)");
	/* Localparts are compared in NFC: the NFD and NFC forms of "ré" are one address. */
	fails(subst(base, "\t\t\t@example.net: nil\n",
		    "\t\t\tre\xcc\x81@example.org: nil\n\t\t\tr\xc3\xa9@example.org: nil\n"),
	      "domains.conf:15: account mjl: destination r\xc3\xa9@example.org: same address as "
	      "r\xc3\xa9@example.org of account mjl (after case folding and catchall separators)");
	fails(subst(base, "\t\t\tother@example.org: nil\n", "\t\t\t@EXAMPLE.net: nil\n"),
	      "domains.conf:18: account other: destination @EXAMPLE.net: domain already has a "
	      "catchall, in account mjl");
	fails(subst(base, "\t\t\tother@example.org: nil\n", "\t\t\t@example.com: nil\n"),
	      "domains.conf:18: account other: destination @example.com: domain example.com is not "
	      "configured");
	fails(subst(base,
		    "\t\tDomain: example.org\n\t\tDestinations:\n\t\t\tmjl@example.org: nil\n",
		    "\t\tDomain: example.com\n\t\tDestinations:\n\t\t\tmjl: nil\n"),
	      "domains.conf:13: account mjl: destination mjl: a destination without domain needs "
	      "the account's Domain (example.com) to be configured");
	fails(
	    DEST("\t\t\t\tMailbox: Inbo\xcc\x81x\n"),
	    "domains.conf:14: account mjl: destination mjl@example.org: mailbox \"Inbo\xcc\x81x\" "
	    "is not in Unicode NFC form, write it as \"Inb\xc3\xb3x\"");
	fails(
	    DEST("\t\t\t\tSMTPError: 452 full\n"),
	    "domains.conf:14: account mjl: destination mjl@example.org: SMTPError must start with "
	    "421 or 550, not \"452 full\"");
	fails(
	    DEST("\t\t\t\tMailbox: x\n\t\t\t\tSMTPError: 550\n"),
	    "domains.conf:15: account mjl: destination mjl@example.org: cannot have both SMTPError "
	    "and Mailbox");
	fails(
	    DEST("\t\t\t\tRulesets:\n\t\t\t\t\t-\n\t\t\t\t\t\tVerifiedDomain: x.example\n"
		 "\t\t\t\t\t\tMailbox: x\n\t\t\t\tSMTPError: 550\n"),
	    "domains.conf:18: account mjl: destination mjl@example.org: cannot have both SMTPError "
	    "and Rulesets");
	char big[300];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	fails(subst(DEST("\t\t\t\tSMTPError: 550 BIG\n"), "BIG", big),
	      "domains.conf:14: account mjl: destination mjl@example.org: SMTPError is longer than "
	      "256 bytes");
	fails(DEST("\t\t\t\tMessageAuthRequiredSMTPError: nicht authentifiziert, grüße\n"),
	      "domains.conf:14: account mjl: destination mjl@example.org: "
	      "MessageAuthRequiredSMTPError must be printable ASCII, without control characters");
}

/* Lines: 14 Rulesets, 15 "-", 16 SMTPMailFromRegexp, 17 Mailbox; RULE() adds at 17. */
#define RULESET(from, more)                                                                        \
	DEST("\t\t\t\tRulesets:\n\t\t\t\t\t-\n\t\t\t\t\t\tSMTPMailFromRegexp: " from "\n" more     \
	     "\t\t\t\t\t\tMailbox: Lists\n")
#define RS "domains.conf:%d: account mjl: destination mjl@example.org: ruleset 1: "

static void rule_fails(const char *text, int line, const char *msg)
{
	fails(text, arena_sprintf(&a, RS "%s", line, msg));
}

Test(dynamic, check_rulesets)
{
	struct cfg_dynamic d;
	cr_assert_null(load_check(RULESET("^a@b\\.c$", ""), &d, &small_env));
	rule_fails(RULESET("^(a", ""), 16,
		   "SMTPMailFromRegexp: invalid regular expression \"^(a\": Unmatched ( or \\(");
	rule_fails(subst(RULESET("x", ""), "SMTPMailFromRegexp: x", "Comment: nothing"), 15,
		   "has no rule to match");
	rule_fails(RULESET("x", "\t\t\t\t\t\tMsgFromRegexp: a[b\n"), 17,
		   "MsgFromRegexp: invalid regular expression \"a[b\": Unmatched [, [^, [:, [., or "
		   "[=");
	rule_fails(RULESET("x", "\t\t\t\t\t\tVerifiedDomain: a..b\n"), 17,
		   "VerifiedDomain: invalid domain \"a..b\": empty label");
	rule_fails(RULESET("x", "\t\t\t\t\t\tHeadersRegexp:\n\t\t\t\t\t\t\t^List-Id$: x\n"), 18,
		   "HeadersRegexp: header field \"^List-Id$\" must be lower case");
	rule_fails(RULESET("x", "\t\t\t\t\t\tHeadersRegexp:\n\t\t\t\t\t\t\t^list-id$: <X>\n"), 18,
		   "HeadersRegexp: value \"<X>\" must be lower case");
	rule_fails(RULESET("x", "\t\t\t\t\t\tHeadersRegexp:\n\t\t\t\t\t\t\t^list-id$: (x\n"), 18,
		   "HeadersRegexp: invalid regular expression \"(x\": Unmatched ( or \\(");
	rule_fails(RULESET("x", "\t\t\t\t\t\tIsForward: true\n"), 17,
		   "IsForward needs SMTPMailFromRegexp and VerifiedDomain");
	rule_fails(
	    RULESET("x", "\t\t\t\t\t\tIsForward: true\n\t\t\t\t\t\tListAllowDomain: l.example\n"),
	    17, "cannot have both IsForward and ListAllowDomain");
	rule_fails(RULESET("x", "\t\t\t\t\t\tListAllowDomain: l..example\n"), 17,
		   "ListAllowDomain: invalid domain \"l..example\": empty label");
	rule_fails(RULESET("x", "\t\t\t\t\t\tAcceptRejectsToMailbox: INBOX\n"), 17,
		   "AcceptRejectsToMailbox cannot be Inbox");
	rule_fails(subst(RULESET("x", ""), "Mailbox: Lists", "Mailbox:"), 17, "mailbox is empty");
}

static const char *with_msg_from(const char *re)
{
	return subst(base, "\t\t\tmjl@example.org: nil\n",
		     arena_sprintf(&a,
				   "\t\t\tmjl@example.org:\n\t\t\t\tRulesets:\n\t\t\t\t\t-\n"
				   "\t\t\t\t\t\tSMTPMailFromRegexp: x\n"
				   "\t\t\t\t\t\tMsgFromRegexp: %s\n\t\t\t\t\t\tMailbox: Lists\n",
				   re));
}

/* Go RE2 syntax that POSIX would read differently is refused, not mis-matched. */
Test(dynamic, check_regexp_dialect)
{
	struct {
		const char *re, *why;
	} bad[] = {
	    {"\\d+@x", "a Perl escape (\\d, \\p, \\A, \\z, \\Q...)"},
	    {"\\Aabc\\z", "a Perl escape (\\d, \\p, \\A, \\z, \\Q...)"},
	    {"(?i)abc", "a (?...) group or flag"},
	    {"a.*?b", "non-greedy repetition (*?, +?, ??, {n,m}?)"},
	    {"a{2,3}?", "non-greedy repetition (*?, +?, ??, {n,m}?)"},
	    {"[\\w.]+@x", "a backslash inside [...]"},
	    {"(a)\\1", "a backreference"},
	    {"a{1001}", "a repetition count above 1000"},
	    {"(a{100}){100}", "nested repetitions above 1000 in total"},
	    {"((a{10}){10}b){11}", "nested repetitions above 1000 in total"},
	    {"a++", "a repetition of a repetition (such as a**)"},
	    {"x{,2}", "\"{,\" (text in RE2, a repetition in POSIX)"},
	    {"x.+*y", "a repetition of a repetition (such as a**)"},
	    {"(((((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+", "repetitions that expand too much"},
	    {"(abcdefghijklmnopqrstuvwxyz){999}", "repetitions that expand too much"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		rule_fails(with_msg_from(bad[i].re), 17,
			   arena_sprintf(&a,
					 "MsgFromRegexp: regular expression \"%s\" uses %s, which "
					 "tern does not support yet (it follows POSIX extended "
					 "syntax)",
					 bad[i].re, bad[i].why));
	const char *good[] = {
	    "^user(|\\+.*)@forward\\.example$",
	    "[[:alpha:]]+@x",
	    "[]x-]",
	    "(a+)+b",
	    "a{2,}",
	    "^$|^inbox$",
	    "a{2,3}",
	    "(a{10}){100}",
	    "\\w+\\s\\b",
	};
	struct cfg_dynamic d;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		cr_assert_null(load_check(with_msg_from(good[i]), &d, &small_env), "%s", good[i]);
}

Test(dynamic, check_static_file_references)
{
	struct cfg_dynamic_env e = small_env;
	e.postmaster_account = "nobody";
	fails_env(base, &e, "domains.conf: postmaster account \"nobody\" does not exist");
	e = small_env;
	e.hostname = "";
	fails_env(base, &e, "domains.conf: hostname \"\" from the static config: empty name");
	e = small_env;
	e.host_tlsrpt_account = "nobody";
	e.host_tlsrpt_localpart = "tlsreports";
	fails_env(base, &e, "domains.conf: host TLSRPT account \"nobody\" does not exist");
	e.host_tlsrpt_account = "other";
	e.host_tlsrpt_localpart = "a..b";
	fails_env(base, &e,
		  "domains.conf: host TLSRPT localpart \"a..b\": consecutive dots in localpart");
	/* The host's reporting address is an address like any other. */
	e.hostname = "example.org";
	e.host_tlsrpt_localpart = "mjl";
	fails_env(base, &e,
		  "domains.conf:13: account mjl: destination mjl@example.org: same address as "
		  "mjl@example.org of account other (after case folding and catchall separators)");
}

/* A handler at lines 19-25: "-" at 20, Domain 21, PathRegexp 22, kind 23, its fields 24-25. */
#define HANDLER(path, kind)                                                                        \
	TOP("WebHandlers:\n\t-\n\t\tDomain: example.org\n\t\tPathRegexp: " path "\n" kind)
#define INTERNAL(base_path, service)                                                               \
	"\t\tWebInternal:\n\t\t\tBasePath: " base_path "\n\t\t\tService: " service "\n"

Test(dynamic, check_web)
{
	struct cfg_dynamic d;
	cr_assert_null(
	    load_check(HANDLER("^/admin/", INTERNAL("/admin/", "admin")), &d, &small_env));
	fails(TOP("WebDomainRedirects:\n\twww.example.org: WWW.example.org\n"),
	      "domains.conf:20: WebDomainRedirects www.example.org: redirects to itself");
	fails(TOP("WebDomainRedirects:\n\tWWW.example.org: a.example\n\twww.example.org: "
		  "b.example\n"),
	      "domains.conf:21: WebDomainRedirects www.example.org: domain www.example.org is "
	      "redirected twice");
	fails(TOP("WebDomainRedirects:\n\twww.example.org: a..example\n"),
	      "domains.conf:20: WebDomainRedirects www.example.org: invalid domain \"a..example\": "
	      "empty label");
	fails(subst(HANDLER("^/", INTERNAL("/admin/", "admin")), "Domain: example.org\n\t\tPath",
		    "Domain: exa mple.org\n\t\tPath"),
	      "domains.conf:21: web handler 0: invalid domain \"exa mple.org\": invalid character "
	      "0x20 in label");
	fails(HANDLER("/admin/", INTERNAL("/admin/", "admin")),
	      "domains.conf:22: web handler 0: PathRegexp must start with ^");
	fails(
	    HANDLER("^/(admin", INTERNAL("/admin/", "admin")),
	    "domains.conf:22: web handler 0: PathRegexp: invalid regular expression \"^/(admin\": "
	    "Unmatched ( or \\(");
	/* LogName names the handler in messages; lines below it move down by one. */
	fails(subst(HANDLER("^/", INTERNAL("/admin", "admin")), "\t-\n", "\t-\n\t\tLogName: adm\n"),
	      "domains.conf:25: web handler adm: BasePath \"/admin\" must start and end with a "
	      "slash");
	fails(
	    HANDLER("^/", INTERNAL("/imap/", "imap")),
	    "domains.conf:25: web handler 0: unknown Service \"imap\" (admin, account, webmail or "
	    "webapi)");
	fails(HANDLER("^/", INTERNAL("/admin/", "admin") "\t\tWebForward:\n\t\t\tURL: http://x/\n"),
	      "domains.conf:20: web handler 0: set exactly one of WebStatic, WebRedirect, "
	      "WebForward and WebInternal, not 2");
	fails(HANDLER("^/", "\t\tCompress: true\n"),
	      "domains.conf:20: web handler 0: set exactly one of WebStatic, WebRedirect, "
	      "WebForward and WebInternal, not 0");
	fails(HANDLER("^/", "\t\tWebStatic:\n\t\t\tStripPrefix: files/\n\t\t\tRoot: /srv\n"),
	      "domains.conf:24: web handler 0: StripPrefix \"files/\" must start with a slash");
	fails(HANDLER("^/", "\t\tWebStatic:\n\t\t\tRoot: /srv\n\t\t\tResponseHeaders:\n"
			    "\t\t\t\tCache Control: none\n"),
	      "domains.conf:26: web handler 0: invalid response header name \"Cache Control\"");
	fails(HANDLER("^/", "\t\tWebRedirect:\n\t\t\tBaseURL: https://example.com/path\n"),
	      "domains.conf:24: web handler 0: BaseURL \"https://example.com/path\" must have no "
	      "path");
	fails(
	    HANDLER("^/", "\t\tWebRedirect:\n\t\t\tBaseURL: https://example.com:http/\n"),
	    "domains.conf:24: web handler 0: BaseURL \"https://example.com:http/\": invalid port");
	fails(
	    HANDLER("^/", "\t\tWebRedirect:\n\t\t\tOrigPathRegexp: ^/a\n"),
	    "domains.conf:24: web handler 0: set both OrigPathRegexp and ReplacePath, or neither");
	fails(HANDLER("^/", "\t\tWebRedirect:\n\t\t\tStatusCode: 301\n"),
	      "domains.conf:23: web handler 0: WebRedirect needs BaseURL, or OrigPathRegexp and "
	      "ReplacePath");
	fails(HANDLER("^/",
		      "\t\tWebRedirect:\n\t\t\tBaseURL: //example.com/\n\t\t\tStatusCode: 200\n"),
	      "domains.conf:25: web handler 0: StatusCode 200 is not a redirect (3xx)");
	fails(
	    HANDLER("^/", "\t\tWebRedirect:\n\t\t\tOrigPathRegexp: ^/(a\n\t\t\tReplacePath: /$1\n"),
	    "domains.conf:24: web handler 0: OrigPathRegexp: invalid regular expression \"^/(a\": "
	    "Unmatched ( or \\(");
	fails(HANDLER("^/", "\t\tWebForward:\n\t\t\tURL: 127.0.0.1:8080\n"),
	      "domains.conf:24: web handler 0: WebForward URL \"127.0.0.1:8080\": scheme must be "
	      "http or https");
	fails(HANDLER("^/", "\t\tWebForward:\n\t\t\tURL: :8080\n"),
	      "domains.conf:24: web handler 0: WebForward URL \":8080\": missing scheme before "
	      "\":\"");
	cr_assert_null(load_check(HANDLER("^/", "\t\tWebRedirect:\n\t\t\tBaseURL: //example.com\n"),
				  &d, &small_env));
	cr_assert_str_eq(d.web_handlers.v[0].web_redirect->url.scheme, "");
	cr_assert_str_eq(d.web_handlers.v[0].web_redirect->url.path, "/");
	cr_assert_eq(d.web_handlers.v[0].web_redirect->status_effective, 308);
}

Test(dynamic, check_dnsbls)
{
	fails(TOP("MonitorDNSBLs:\n\t- bl..example\n"),
	      "domains.conf:20: MonitorDNSBLs: invalid domain \"bl..example\": empty label");
	fails(TOP("MonitorDNSBLs:\n\t- bl.example\n\t- BL.example\n"),
	      "domains.conf:21: MonitorDNSBLs: zone BL.example is listed twice");
}

/* A domain with only aliases is local (unlike in mox, where its aliases are unreachable). */
Test(dynamic, alias_only_domain_is_local)
{
	struct cfg_dynamic d;
	const char *text = subst(base, "\texample.net: nil\n",
				 "\texample.net: nil\n\tlists.example:\n\t\tAliases:\n\t\t\tall:\n"
				 "\t\t\t\tAddresses:\n\t\t\t\t\t- mjl@example.org\n");
	cr_assert_null(load_check(text, &d, &small_env));
	struct cfg_dynamic_match m;
	cr_assert_not(cfg_domain_find(&d, "lists.example")->reports_only);
	cr_assert_eq(cfg_lookup_recipient(&d, "ALL", "lists.example", CFG_LOOKUP_ALLOW_ALIAS, &m),
		     CFG_LOOKUP_ALIAS);
	cr_assert_eq(m.alias->members[0].account, cfg_account_find(&d, "mjl"));
	cr_assert_eq(cfg_lookup_recipient(&d, "other", "lists.example", CFG_LOOKUP_ALLOW_ALIAS, &m),
		     CFG_LOOKUP_NO_ADDRESS);
}
