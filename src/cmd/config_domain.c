/*
 * "tern config domain ...": adding, removing, disabling and enabling domains.
 *
 * A new domain gets what mox gives it: two DKIM keys (Ed25519 and RSA 2048,
 * written under the config directory's dkim/ and both used for signing), the
 * catchall separator "+", DMARC and TLS report addresses delivered to the
 * given account, an MTA-STS policy when a listener serves MTA-STS, and a
 * postmaster address at the domain for the account.
 */
#include "cmd/cmd.h"

#include "base/address.h"
#include "base/buf.h"
#include "base/file.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "cmd/config_cmds.h"
#include "cmd/flags.h"
#include "net/certgen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* mox's defaults for a new domain's DKIM signatures and MTA-STS policy. */
#define DKIM_EXPIRATION "72h"
#define MTASTS_MAX_AGE  (INT64_C(24) * 3600 * NS_PER_SEC)

struct domain_add {
	const char *domain;
	const char *account;
	const char *localpart; /* NULL: the account must exist */
	bool disabled;
	const struct config_static *cs;
	/* Key files written for the new domain: removed again when the edit fails. */
	char *key_paths[2];
};

/* Writes a new DKIM key under DIR/dkim/ and adds its selector; the file name is relative. */
static bool add_selector(struct domain_add *op, struct cfg_domain *dom, const char *selector,
			 enum certgen_key kind, int slot, struct arena *a, struct error *err)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
	const char *rel =
	    arena_sprintf(a, "dkim/%s._domainkey.%s.%s.%skey.pkcs8.pem", selector, op->domain,
			  stamp, kind == CERTGEN_ED25519 ? "ed25519" : "rsa2048");
	char *path = path_join(op->cs->dir, rel);
	char *dir = path_dirname(path);
	struct buf pem = BUF_INIT;
	bool ok = mkdir_p(dir, 0750, err) && certgen_key_pem(kind, &pem, err);
	if (ok && file_exists(path))
		ok = error_set(err, ERR_EXISTS, "%s already exists", path);
	ok = ok && file_write_atomic(path, pem.data, pem.len, 0600, err);
	free(dir);
	buf_free(&pem);
	if (!ok) {
		free(path);
		return false;
	}
	op->key_paths[slot] = path;
	struct cfg_selector *sel =
	    sch_map_add((struct sch_map *)&dom->dkim.selectors, sizeof *sel, selector, a);
	sel->expiration = DKIM_EXPIRATION;
	sel->private_key_file = rel;
	const char **sign = sch_list_add((struct sch_list *)&dom->dkim.sign, sizeof *sign, a);
	*sign = arena_strdup(a, selector);
	return true;
}

static bool serves_mtasts(const struct cfg_static *s)
{
	for (size_t i = 0; i < s->listeners.n; i++)
		if (s->listeners.v[i].mtasts_https.enabled)
			return true;
	return false;
}

/* The reporting, separator and policy settings of a new domain. */
static void init_domain(struct domain_add *op, struct cfg_domain *dom, struct arena *a)
{
	dom->disabled = op->disabled;
	dom->localpart_catchall_separator = "+";
	dom->dmarc = arena_zalloc(a, sizeof *dom->dmarc);
	dom->dmarc->account = arena_strdup(a, op->account);
	dom->dmarc->localpart = "dmarc-reports";
	dom->dmarc->mailbox = "DMARC";
	dom->tlsrpt = arena_zalloc(a, sizeof *dom->tlsrpt);
	dom->tlsrpt->account = arena_strdup(a, op->account);
	dom->tlsrpt->localpart = "tls-reports";
	dom->tlsrpt->mailbox = "TLSRPT";
	const struct cfg_static *s = op->cs->s;
	if (serves_mtasts(s)) {
		char id[32];
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(id, sizeof id, "%Y%m%dT%H%M%S", &tm);
		dom->mtasts = arena_zalloc(a, sizeof *dom->mtasts);
		dom->mtasts->policy_id = arena_strdup(a, id);
		dom->mtasts->mode = "enforce";
		dom->mtasts->max_age = MTASTS_MAX_AGE;
		const char **mx = sch_list_add((struct sch_list *)&dom->mtasts->mx, sizeof *mx, a);
		*mx = s->hostname_domain.ascii;
	}
}

/* The account for the domain's reports: created with localpart@domain, or given a postmaster
 * address. */
static bool attach_account(struct domain_add *op, struct cfg_dynamic *d, const char *name,
			   struct arena *a, struct error *err)
{
	struct cfg_account *acc = cfg_account_find(d, op->account);
	if (acc && op->localpart)
		return error_set(err, ERR_EXISTS,
				 "account \"%s\" already exists; leave out the localpart to use it",
				 op->account);
	if (!acc && !op->localpart)
		return error_set(err, ERR_NOTFOUND,
				 "account \"%s\" does not exist; give a localpart to create it",
				 op->account);
	struct address addr;
	const char *lp = op->localpart ? op->localpart : "postmaster";
	char *s = xasprintf("%s@%s", lp, name);
	bool ok = address_parse_cstr(s, 0, &addr, err);
	free(s);
	if (!ok)
		return false;
	struct buf key = BUF_INIT;
	address_format(&key, &addr, true);
	const char *k = arena_strdup(a, buf_cstr(&key));
	buf_free(&key);
	if (!acc) {
		acc = sch_map_add((struct sch_map *)&d->accounts, sizeof *acc, op->account, a);
		acc->domain = arena_strdup(a, addr.domain.unicode);
		acc->rejects_mailbox = "Rejects";
		sch_map_add((struct sch_map *)&acc->destinations, sizeof(struct cfg_destination), k,
			    a);
		return true;
	}
	/* The static postmaster account already gets postmaster@ every domain. */
	if (strcmp(op->account, d->postmaster_account) != 0)
		sch_map_add((struct sch_map *)&acc->destinations, sizeof(struct cfg_destination), k,
			    a);
	return true;
}

static bool edit_domain_add(void *arg, struct cfg_dynamic *d, struct arena *a, struct error *err)
{
	struct domain_add *op = arg;
	struct dns_domain dn;
	if (!dns_domain_parse_cstr(op->domain, 0, &dn, err))
		return error_prefix(err, "domain \"%s\"", op->domain);
	if (cfg_domain_find(d, dn.ascii))
		return error_set(err, ERR_EXISTS, "domain %s already exists", dn.unicode);
	if (!op->account[0])
		return error_set(err, ERR_INVALID, "account name is empty");
	struct cfg_domain *dom =
	    sch_map_add((struct sch_map *)&d->domains, sizeof *dom, dn.unicode, a);
	init_domain(op, dom, a);
	char year[8];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(year, sizeof year, "%Y", &tm);
	const char *ed = arena_sprintf(a, "%sa", year), *rsa = arena_sprintf(a, "%sb", year);
	return attach_account(op, d, dn.unicode, a, err) &&
	       add_selector(op, dom, ed, CERTGEN_ED25519, 0, a, err) &&
	       add_selector(op, dom, rsa, CERTGEN_RSA2048, 1, a, err);
}

static int run_domain_add(const struct cmd_env *env, int argc, char **argv)
{
	bool disabled = false;
	struct flagset fs = {0};
	flags_bool(&fs, "disabled", &disabled, "disable the new domain");
	struct error err = {0};
	int first = flags_parse(&fs, argc, argv, &err);
	if (first < 0)
		fprintf(stderr, "tern: %s\n", err.msg);
	int n = first < 0 ? -1 : argc - first;
	if (n != 2 && n != 3)
		return cmd_usage(&cmd_config_domain[0]);
	struct config_static *cs = config_static_load(env->config_path, &err);
	if (!cs)
		return cmd_fail("%s", err.msg);
	struct domain_add op = {
	    argv[first], argv[first + 1], n == 3 ? argv[first + 2] : NULL, disabled,
	    cs,          {NULL, NULL}};
	int rc = config_cmd_edit(env, edit_domain_add, &op);
	for (int i = 0; i < 2; i++) {
		if (rc != 0 && op.key_paths[i])
			unlink(op.key_paths[i]);
		free(op.key_paths[i]);
	}
	config_static_free(cs);
	return rc;
}

struct domain_rm {
	const char *domain;
	struct dns_domain dn;
	/* DKIM key files of the removed domain, relative to the config directory (heap). */
	char **keys;
	size_t nkeys;
};

/* Refuses removal while accounts, aliases or report settings still use the domain. */
static bool domain_in_use(const struct cfg_dynamic *d, const struct cfg_domain *dom,
			  struct error *err)
{
	for (size_t i = 0; i < d->accounts.n; i++) {
		const struct cfg_account *acc = &d->accounts.v[i];
		for (size_t j = 0; j < acc->destinations.n; j++)
			if (acc->destinations.v[j].domain == dom)
				return error_set(err, ERR_INVALID,
						 "account \"%s\" still has address %s; remove it "
						 "first",
						 d->accounts.keys[i], acc->destinations.keys[j]);
	}
	for (size_t i = 0; i < d->domains.n; i++) {
		const struct cfg_domain *o = &d->domains.v[i];
		if (o == dom)
			continue;
		if ((o->dmarc && o->dmarc->address_domain == dom) ||
		    (o->tlsrpt && o->tlsrpt->address_domain == dom))
			return error_set(err, ERR_INVALID,
					 "domain %s has its report address at this domain",
					 d->domains.keys[i]);
	}
	return true;
}

static bool edit_domain_rm(void *arg, struct cfg_dynamic *d, struct arena *a, struct error *err)
{
	struct domain_rm *op = arg;
	if (!dns_domain_parse_cstr(op->domain, 0, &op->dn, err))
		return error_prefix(err, "domain \"%s\"", op->domain);
	struct cfg_domain *dom = cfg_domain_find(d, op->dn.ascii);
	if (!dom)
		return error_set(err, ERR_NOTFOUND, "domain %s does not exist", op->dn.unicode);
	if (!domain_in_use(d, dom, err))
		return false;
	/* The key file names are needed after the edit's memory is gone: heap copies. */
	(void)a;
	op->nkeys = dom->dkim.selectors.n;
	op->keys = xcalloc(op->nkeys ? op->nkeys : 1, sizeof *op->keys);
	for (size_t i = 0; i < op->nkeys; i++)
		op->keys[i] = xstrdup(dom->dkim.selectors.v[i].private_key_file);
	sch_map_remove((struct sch_map *)&d->domains, sizeof *dom, (size_t)(dom - d->domains.v));
	return true;
}

/* Keys of a removed domain move to dkim/old/ beside them, unless another domain uses them. */
static void retire_keys(const struct config_static *cs, char *const *keys, size_t n)
{
	struct error err = {0};
	struct config_dynamic *cd = config_dynamic_load(cs, &err);
	for (size_t i = 0; i < n && cd; i++) {
		bool used = false;
		for (size_t j = 0; j < cd->d->domains.n && !used; j++) {
			const struct cfg_domain *dom = &cd->d->domains.v[j];
			for (size_t k = 0; k < dom->dkim.selectors.n; k++)
				used |=
				    strcmp(dom->dkim.selectors.v[k].private_key_file, keys[i]) == 0;
		}
		if (used)
			continue;
		char *src = path_join(cs->dir, keys[i]);
		char *dir = path_dirname(src);
		char *olddir = path_join(dir, "old");
		const char *base = strrchr(src, '/') ? strrchr(src, '/') + 1 : src;
		char *dst = path_join(olddir, base);
		if (!mkdir_p(olddir, 0750, &err) || (!file_exists(dst) && rename(src, dst) < 0))
			fprintf(stderr, "tern: moving DKIM key %s to %s: %s\n", src, olddir,
				strerror(errno));
		free(src);
		free(dir);
		free(olddir);
		free(dst);
	}
	config_dynamic_put(cd);
}

static int run_domain_rm(const struct cmd_env *env, int argc, char **argv)
{
	if (argc != 1)
		return cmd_usage(&cmd_config_domain[1]);
	struct error err = {0};
	struct config_static *cs = config_static_load(env->config_path, &err);
	if (!cs)
		return cmd_fail("%s", err.msg);
	struct domain_rm op = {.domain = argv[0]};
	int rc = config_cmd_edit(env, edit_domain_rm, &op);
	if (rc == 0)
		retire_keys(cs, op.keys, op.nkeys);
	for (size_t i = 0; i < op.nkeys; i++)
		free(op.keys[i]);
	free(op.keys);
	config_static_free(cs);
	return rc;
}

struct domain_toggle {
	const char *domain;
	bool disabled;
};

static bool edit_domain_toggle(void *arg, struct cfg_dynamic *d, struct arena *a, struct error *err)
{
	(void)a;
	struct domain_toggle *op = arg;
	struct dns_domain dn;
	if (!dns_domain_parse_cstr(op->domain, 0, &dn, err))
		return error_prefix(err, "domain \"%s\"", op->domain);
	struct cfg_domain *dom = cfg_domain_find(d, dn.ascii);
	if (!dom)
		return error_set(err, ERR_NOTFOUND, "domain %s does not exist", dn.unicode);
	dom->disabled = op->disabled;
	return true;
}

static int run_domain_disable(const struct cmd_env *env, int argc, char **argv)
{
	if (argc != 1)
		return cmd_usage(&cmd_config_domain[2]);
	struct domain_toggle op = {argv[0], true};
	return config_cmd_edit(env, edit_domain_toggle, &op);
}

static int run_domain_enable(const struct cmd_env *env, int argc, char **argv)
{
	if (argc != 1)
		return cmd_usage(&cmd_config_domain[3]);
	struct domain_toggle op = {argv[0], false};
	return config_cmd_edit(env, edit_domain_toggle, &op);
}

const struct command cmd_config_domain[] = {
    {"config domain add", "[-disabled] $domain $account [$localpart]",
     "Adds a domain and applies the change.\n\n"
     "The account receives the domain's DMARC and TLS reports and its postmaster\n"
     "mail. Give a localpart if and only if the account does not exist yet: it is\n"
     "then created with the address localpart@domain. Two DKIM keys are generated in\n"
     "the config directory's dkim/ (Ed25519 and RSA 2048) and used for signing.\n\n"
     "A domain added with -disabled can be configured further, but mail from and to\n"
     "it is refused with temporary errors, and no TLS certificates are requested\n"
     "for it, until it is enabled.\n\n"
     "Flags:\n"
     "  -disabled\n"
     "\tdisable the new domain",
     run_domain_add},
    {"config domain rm", "$domain",
     "Removes a domain and applies the change.\n\n"
     "Mail for the domain is rejected from then on. A domain still used by account\n"
     "addresses is not removed: remove those first. Its DKIM keys are moved to\n"
     "dkim/old/ in the config directory.",
     run_domain_rm},
    {"config domain disable", "$domain",
     "Disables a domain and applies the change.\n\n"
     "Incoming mail for it and outgoing mail from it are refused with temporary\n"
     "errors; accounts with addresses at the domain can still log in.",
     run_domain_disable},
    {"config domain enable", "$domain", "Enables a disabled domain again and applies the change.",
     run_domain_enable},
};
const size_t cmd_config_domain_count = sizeof cmd_config_domain / sizeof cmd_config_domain[0];
