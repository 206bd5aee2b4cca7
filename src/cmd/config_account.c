/*
 * "tern config account ..." and "tern config address ...": accounts and their
 * addresses in domains.conf. Changes go through config_cmd_edit, so they are
 * checked like any new domains.conf and written atomically.
 */
#include "cmd/cmd.h"

#include "base/address.h"
#include "base/buf.h"
#include "base/file.h"
#include "base/mem.h"
#include "cmd/config_cmds.h"
#include "cmd/storecmd.h"
#include "store/account.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* mox: a disabled-login message is shown in SMTP and IMAP replies. */
#define LOGIN_DISABLED_MAX 256

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int run_account_list(const struct cmd_env *env, int argc, char **argv)
{
	(void)argv;
	if (argc != 0)
		return cmd_usage(&cmd_config_account[0]);
	struct config *c = config_cmd_load(env);
	if (!c)
		return 1;
	struct config_dynamic *cd = config_dynamic_get(c);
	const struct cfg_dynamic *d = cd->d;
	const char **names = xcalloc(d->accounts.n ? d->accounts.n : 1, sizeof *names);
	for (size_t i = 0; i < d->accounts.n; i++)
		names[i] = d->accounts.keys[i];
	qsort(names, d->accounts.n, sizeof *names, cmp_str);
	for (size_t i = 0; i < d->accounts.n; i++) {
		const struct cfg_account *a = cfg_account_find(d, names[i]);
		printf("%s%s\n", names[i], a->login_disabled[0] ? "\t(disabled)" : "");
	}
	free(names);
	config_dynamic_put(cd);
	config_free(c);
	return 0;
}

static int run_account_addresses(const struct cmd_env *env, int argc, char **argv)
{
	if (argc != 1)
		return cmd_usage(&cmd_config_account[1]);
	struct config *c = config_cmd_load(env);
	if (!c)
		return 1;
	struct config_dynamic *cd = config_dynamic_get(c);
	const struct cfg_account *a = cfg_account_find(cd->d, argv[0]);
	int rc = 0;
	if (!a) {
		rc = cmd_fail("account \"%s\" does not exist", argv[0]);
	} else {
		const char **keys =
		    xcalloc(a->destinations.n ? a->destinations.n : 1, sizeof *keys);
		memcpy(keys, a->destinations.keys, a->destinations.n * sizeof *keys);
		qsort(keys, a->destinations.n, sizeof *keys, cmp_str);
		for (size_t i = 0; i < a->destinations.n; i++)
			printf("%s\n", keys[i]);
		free(keys);
	}
	config_dynamic_put(cd);
	config_free(c);
	return rc;
}

/* An account name becomes a directory name under the data directory: it must stay one. */
static bool valid_account_name(const char *name, struct error *err)
{
	if (!name[0] || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return error_set(err, ERR_INVALID, "invalid account name \"%s\"", name);
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7f)
			return error_set(
			    err, ERR_INVALID,
			    "account name must not contain \"/\" or control characters");
	if (strlen(name) > 255)
		return error_set(err, ERR_INVALID, "account name longer than 255 bytes");
	return true;
}

/* Parses an address for a Destinations key; "@domain" is the domain's catchall. */
static bool parse_destination(const char *s, struct address *addr, struct error *err)
{
	if (!address_parse_cstr(s, ADDRESS_ALLOW_CATCHALL, addr, err))
		return error_prefix(err, "address \"%s\"", s);
	return true;
}

/* The configured domain of addr, or an error naming it. */
static struct cfg_domain *hosted_domain(const struct cfg_dynamic *d, const struct address *addr,
					struct error *err)
{
	struct cfg_domain *dom = cfg_domain_find(d, addr->domain.ascii);
	if (!dom)
		error_set(err, ERR_NOTFOUND, "domain %s is not configured", addr->domain.unicode);
	return dom;
}

/* Refuses an address that is configured already (after canonicalization) or has a separator. */
static bool address_available(const struct cfg_dynamic *d, const struct address *addr,
			      struct error *err)
{
	struct cfg_domain *dom = hosted_domain(d, addr, err);
	if (!dom)
		return false;
	struct localpart_rules rules = {dom->separators, dom->nseparators,
					dom->localpart_case_sensitive};
	if (addr->localpart[0] && address_localpart_has_separator(addr->localpart, &rules))
		return error_set(err, ERR_INVALID,
				 "localpart \"%s\" contains a catchall separator of domain %s",
				 addr->localpart, addr->domain.unicode);
	struct cfg_dynamic_match m;
	enum cfg_lookup_status st = cfg_lookup_recipient(d, addr->localpart, addr->domain.ascii,
							 CFG_LOOKUP_ALLOW_ALIAS, &m);
	bool taken = (st == CFG_LOOKUP_ACCOUNT && m.catchall == (addr->localpart[0] == '\0')) ||
		     st == CFG_LOOKUP_ALIAS;
	if (!taken)
		return true;
	struct buf b = BUF_INIT;
	address_format(&b, addr, true);
	error_set(err, ERR_EXISTS, "address %s is already configured%s%s", buf_cstr(&b),
		  st == CFG_LOOKUP_ALIAS ? " as an alias" : " for account ",
		  st == CFG_LOOKUP_ALIAS ? "" : m.account_name);
	buf_free(&b);
	return false;
}

static const char *destination_key(const struct address *addr, struct arena *a)
{
	struct buf b = BUF_INIT;
	address_format(&b, addr, true);
	const char *k = arena_strdup(a, buf_cstr(&b));
	buf_free(&b);
	return k;
}

/* A new account as mox makes one: junk filtering on, rejects kept in "Rejects". */
static void init_account(struct cfg_account *acc, const struct address *addr, struct arena *a)
{
	acc->domain = arena_strdup(a, addr->domain.unicode);
	sch_map_add((struct sch_map *)&acc->destinations, sizeof(struct cfg_destination),
		    destination_key(addr, a), a);
	acc->rejects_mailbox = "Rejects";
	acc->automatic_junk_flags.enabled = true;
	acc->automatic_junk_flags.junk_mailbox_regexp = "^(junk|spam)";
	acc->automatic_junk_flags.neutral_mailbox_regexp =
	    "^(inbox|neutral|postmaster|dmarc|tlsrpt|rejects)";
	acc->junk_filter = arena_zalloc(a, sizeof *acc->junk_filter);
	acc->junk_filter->threshold = 0.95;
	acc->junk_filter->params = (struct cfg_junk_params){.onegrams = true,
							    .max_power = 0.01,
							    .top_words = 10,
							    .ignore_words = 0.1,
							    .rare_words = 2};
	acc->subject_pass.period = INT64_C(12) * 3600 * NS_PER_SEC;
}

struct account_add {
	const char *name;
	const char *address;
};

static bool edit_account_add(void *arg, struct cfg_dynamic *d, struct arena *a, struct error *err)
{
	struct account_add *op = arg;
	struct address addr;
	if (!valid_account_name(op->name, err) || !parse_destination(op->address, &addr, err))
		return false;
	if (cfg_account_find(d, op->name))
		return error_set(err, ERR_EXISTS, "account \"%s\" already exists", op->name);
	if (!addr.localpart[0])
		return error_set(err, ERR_INVALID,
				 "a new account needs a full address, not a catchall");
	if (!address_available(d, &addr, err))
		return false;
	struct cfg_account *acc =
	    sch_map_add((struct sch_map *)&d->accounts, sizeof *acc, op->name, a);
	init_account(acc, &addr, a);
	return true;
}

static int run_account_add(const struct cmd_env *env, int argc, char **argv)
{
	if (argc != 2)
		return cmd_usage(&cmd_config_account[2]);
	struct account_add op = {argv[0], argv[1]};
	return config_cmd_edit(env, edit_account_add, &op);
}

/* Why an account cannot go: something else in the config points at it. */
static bool account_in_use(const struct cfg_dynamic *d, const char *name, struct error *err)
{
	if (strcmp(d->postmaster_account, name) == 0)
		return error_set(err, ERR_INVALID,
				 "account \"%s\" is the postmaster account in the "
				 "static config",
				 name);
	for (size_t i = 0; i < d->domains.n; i++) {
		const struct cfg_domain *dom = &d->domains.v[i];
		if ((dom->dmarc && strcmp(dom->dmarc->account, name) == 0) ||
		    (dom->tlsrpt && strcmp(dom->tlsrpt->account, name) == 0))
			return error_set(
			    err, ERR_INVALID,
			    "account \"%s\" receives reports for domain %s; change that "
			    "first",
			    name, d->domains.keys[i]);
	}
	const struct cfg_account *acc = cfg_account_find(d, name);
	if (acc && acc->naliases > 0)
		return error_set(err, ERR_INVALID,
				 "account \"%s\" has addresses in alias %s@%s; remove them first",
				 name, acc->aliases[0]->localpart,
				 acc->aliases[0]->domain->name.unicode);
	return true;
}

static bool edit_account_rm(void *arg, struct cfg_dynamic *d, struct arena *a, struct error *err)
{
	(void)a;
	const char *name = arg;
	ptrdiff_t i = sch_map_index((struct sch_map *)&d->accounts, name);
	if (i < 0)
		return error_set(err, ERR_NOTFOUND, "account \"%s\" does not exist", name);
	if (!account_in_use(d, name, err))
		return false;
	sch_map_remove((struct sch_map *)&d->accounts, sizeof(struct cfg_account), (size_t)i);
	return true;
}

/*
 * mox removes an account's data with the account: messages, index and all.
 * A running server does it (it may have the account open, and IMAP sessions
 * of the account keep its data until they end); otherwise the command does.
 */
static int remove_account_data(const struct cmd_env *env, const char *name)
{
	struct ctl_conn c;
	bool running = false;
	struct error err = {0};
	bool ok = storecmd_dial(env, "accountrm", &c, &running, &err);
	if (ok && running) {
		ok = ctl_send_str(&c, name, &err) && storecmd_recv_report(&c, &err);
		ctl_close(&c);
	} else if (ok) {
		struct config_static *cs = config_static_load(env->config_path, &err);
		bool deferred;
		ok = cs && store_account_remove(cs->datadir, name, &deferred, &err);
		config_static_free(cs);
	}
	return ok ? 0 : cmd_fail("account removed from the config, but not its data: %s", err.msg);
}

static int run_account_rm(const struct cmd_env *env, int argc, char **argv)
{
	if (argc != 1)
		return cmd_usage(&cmd_config_account[3]);
	struct error err = {0};
	if (!valid_account_name(argv[0], &err))
		return cmd_fail("%s", err.msg);
	int rc = config_cmd_edit(env, edit_account_rm, argv[0]);
	return rc ? rc : remove_account_data(env, argv[0]);
}

struct account_login {
	const char *name;
	const char *message; /* NULL: enable */
};

static bool edit_account_login(void *arg, struct cfg_dynamic *d, struct arena *a, struct error *err)
{
	struct account_login *op = arg;
	struct cfg_account *acc = cfg_account_find(d, op->name);
	if (!acc)
		return error_set(err, ERR_NOTFOUND, "account \"%s\" does not exist", op->name);
	acc->login_disabled = op->message ? arena_strdup(a, op->message) : "";
	return true;
}

/* The message ends up in SMTP and IMAP replies: one line of printable ASCII. */
static bool valid_disable_message(const char *msg, struct error *err)
{
	size_t n = strlen(msg);
	if (n == 0)
		return error_set(err, ERR_INVALID, "message must not be empty");
	if (n > LOGIN_DISABLED_MAX)
		return error_set(err, ERR_INVALID, "message longer than %d characters",
				 LOGIN_DISABLED_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)msg[i] < 0x20 || (unsigned char)msg[i] > 0x7e)
			return error_set(err, ERR_INVALID,
					 "message must be printable ASCII without control "
					 "characters");
	return true;
}

static int run_account_disable(const struct cmd_env *env, int argc, char **argv)
{
	if (argc != 2)
		return cmd_usage(&cmd_config_account[4]);
	struct error err = {0};
	if (!valid_disable_message(argv[1], &err))
		return cmd_fail("%s", err.msg);
	struct account_login op = {argv[0], argv[1]};
	return config_cmd_edit(env, edit_account_login, &op);
}

static int run_account_enable(const struct cmd_env *env, int argc, char **argv)
{
	if (argc != 1)
		return cmd_usage(&cmd_config_account[5]);
	struct account_login op = {argv[0], NULL};
	return config_cmd_edit(env, edit_account_login, &op);
}

struct address_op {
	const char *address;
	const char *account;
};

static bool edit_address_add(void *arg, struct cfg_dynamic *d, struct arena *a, struct error *err)
{
	struct address_op *op = arg;
	struct address addr;
	if (!parse_destination(op->address, &addr, err))
		return false;
	struct cfg_account *acc = cfg_account_find(d, op->account);
	if (!acc)
		return error_set(err, ERR_NOTFOUND, "account \"%s\" does not exist", op->account);
	if (!address_available(d, &addr, err))
		return false;
	sch_map_add((struct sch_map *)&acc->destinations, sizeof(struct cfg_destination),
		    destination_key(&addr, a), a);
	return true;
}

static int run_address_add(const struct cmd_env *env, int argc, char **argv)
{
	if (argc != 2)
		return cmd_usage(&cmd_config_account[6]);
	struct address_op op = {argv[0], argv[1]};
	return config_cmd_edit(env, edit_address_add, &op);
}

/* Finds the destination configured for exactly this address (not via catchall or separator). */
static bool find_destination(struct cfg_dynamic *d, const struct address *addr,
			     struct cfg_account **acc, size_t *index)
{
	for (size_t i = 0; i < d->accounts.n; i++) {
		struct cfg_account *a = &d->accounts.v[i];
		for (size_t j = 0; j < a->destinations.n; j++) {
			struct address da;
			if (!address_parse_cstr(a->destinations.keys[j], ADDRESS_ALLOW_CATCHALL,
						&da, NULL))
				continue;
			if (address_eq(&da, addr)) {
				*acc = a;
				*index = j;
				return true;
			}
		}
	}
	return false;
}

static bool edit_address_rm(void *arg, struct cfg_dynamic *d, struct arena *a, struct error *err)
{
	(void)a;
	struct address_op *op = arg;
	struct address addr;
	if (!parse_destination(op->address, &addr, err))
		return false;
	struct cfg_account *acc;
	size_t j;
	if (!find_destination(d, &addr, &acc, &j))
		return error_set(err, ERR_NOTFOUND, "address %s is not configured", op->address);
	if (acc->destinations.n == 1)
		return error_set(err, ERR_INVALID,
				 "%s is the last address of account \"%s\"; remove the account "
				 "instead",
				 op->address, acc->name);
	for (size_t i = 0; i < acc->naliases; i++)
		for (size_t k = 0; k < acc->aliases[i]->nmembers; k++)
			if (acc->aliases[i]->members[k].dest == &acc->destinations.v[j])
				return error_set(err, ERR_INVALID,
						 "%s is a member of alias %s@%s; remove it there "
						 "first",
						 op->address, acc->aliases[i]->localpart,
						 acc->aliases[i]->domain->name.unicode);
	sch_map_remove((struct sch_map *)&acc->destinations, sizeof(struct cfg_destination), j);
	return true;
}

static int run_address_rm(const struct cmd_env *env, int argc, char **argv)
{
	if (argc != 1)
		return cmd_usage(&cmd_config_account[7]);
	struct address_op op = {argv[0], NULL};
	return config_cmd_edit(env, edit_address_rm, &op);
}

static int run_address_account(const struct cmd_env *env, int argc, char **argv)
{
	if (argc != 1)
		return cmd_usage(&cmd_config_account[8]);
	struct address addr;
	struct error err = {0};
	if (!address_parse_cstr(argv[0], 0, &addr, &err))
		return cmd_fail("address \"%s\": %s", argv[0], err.msg);
	struct config *c = config_cmd_load(env);
	if (!c)
		return 1;
	struct config_dynamic *cd = config_dynamic_get(c);
	struct cfg_dynamic_match m;
	enum cfg_lookup_status st = cfg_lookup_recipient(cd->d, addr.localpart, addr.domain.ascii,
							 CFG_LOOKUP_ALLOW_ALIAS, &m);
	int rc = 0;
	if (st == CFG_LOOKUP_ACCOUNT)
		printf("%s\n", m.account_name);
	else if (st == CFG_LOOKUP_ALIAS)
		rc = cmd_fail("%s is an alias, not an address of an account", argv[0]);
	else if (st == CFG_LOOKUP_NO_DOMAIN)
		rc = cmd_fail("domain %s is not configured", addr.domain.unicode);
	else
		rc = cmd_fail("address %s is not configured", argv[0]);
	config_dynamic_put(cd);
	config_free(c);
	return rc;
}

const struct command cmd_config_account[] = {
    {"config account list", "",
     "Lists all accounts, one per line, with \"(disabled)\" after a tab for accounts\n"
     "whose login is disabled.",
     run_account_list},
    {"config account addresses", "$account",
     "Lists the addresses of an account, one per line. An address starting with \"@\"\n"
     "is the catchall of its domain. Does not consider whether login is disabled.",
     run_account_addresses},
    {"config account add", "$account $address",
     "Adds an account with one address and applies the change.\n\n"
     "Mail for the address is delivered to the new account. The account gets no\n"
     "password: set one with \"tern setaccountpassword\". The account name becomes a\n"
     "directory name in the data directory and may not contain \"/\".",
     run_account_add},
    {"config account rm", "$account",
     "Removes an account and its data, and applies the change.\n\n"
     "Mail for its addresses is rejected from then on. The account's messages are\n"
     "deleted from the data directory. An account that receives reports for a domain,\n"
     "is the postmaster account, or is a member of an alias is not removed.",
     run_account_rm},
    {"config account disable", "$account $message",
     "Disables login for an account; login attempts are refused with the message.\n\n"
     "Mail for the account is still accepted, and its queued mail still delivered.\n"
     "The message must be printable ASCII, at most 256 characters, because SMTP and\n"
     "IMAP replies carry it.",
     run_account_disable},
    {"config account enable", "$account", "Enables login again for an account that was disabled.",
     run_account_enable},
    {"config address add", "$address $account",
     "Adds an address to an account and applies the change.\n\n"
     "An address starting with \"@\" (no localpart) is the catchall of its domain. The\n"
     "domain must be configured, and the address (after the domain's case and\n"
     "catchall separator rules) must not be configured already.",
     run_address_add},
    {"config address rm", "$address",
     "Removes an address from its account and applies the change.\n\n"
     "Mail for the address is rejected from then on. The last address of an account\n"
     "and members of aliases are not removed.",
     run_address_rm},
    {"config address account", "$address",
     "Prints the account that receives mail for an address, taking catchall\n"
     "addresses and catchall separators into account. Does not consider whether\n"
     "login is disabled.",
     run_address_account},
};
const size_t cmd_config_account_count = sizeof cmd_config_account / sizeof cmd_config_account[0];
