/*
 * "tern config alias ...": aliases (lists) of a domain, whose mail goes to
 * the member addresses. See mox's seed on aliases: members are addresses of
 * local accounts, each receives one copy, PostPublic/ListMembers/AllowMsgFrom
 * control who may post, who sees the members, and who may send as the alias.
 */
#include "cmd/cmd.h"

#include "base/address.h"
#include "base/buf.h"
#include "base/mem.h"
#include "cmd/config_cmds.h"
#include "cmd/flags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The domain and alias map key for "alias@domain", or an error. */
static bool parse_alias(const char *s, struct address *addr, struct buf *key, struct error *err)
{
	if (!address_parse_cstr(s, 0, addr, err))
		return error_prefix(err, "alias \"%s\"", s);
	buf_reset(key);
	address_localpart_format(key, addr->localpart);
	return true;
}

static struct cfg_alias *find_alias(struct cfg_dynamic *d, const char *s, struct cfg_domain **dom,
				    size_t *index, struct error *err)
{
	struct address addr;
	struct buf key = BUF_INIT;
	struct cfg_alias *al = NULL;
	if (!parse_alias(s, &addr, &key, err))
		goto out;
	*dom = cfg_domain_find(d, addr.domain.ascii);
	if (!*dom) {
		error_set(err, ERR_NOTFOUND, "domain %s is not configured", addr.domain.unicode);
		goto out;
	}
	ptrdiff_t i = sch_map_index((struct sch_map *)&(*dom)->aliases, buf_cstr(&key));
	if (i < 0) {
		error_set(err, ERR_NOTFOUND, "alias %s does not exist", s);
		goto out;
	}
	*index = (size_t)i;
	al = &(*dom)->aliases.v[i];
out:
	buf_free(&key);
	return al;
}

/* Appends the members to the alias as given; the check after the edit refuses non-local ones. */
static bool add_members(struct cfg_alias *al, char **addrs, int n, struct arena *a,
			struct error *err)
{
	for (int i = 0; i < n; i++) {
		struct address m;
		if (!address_parse_cstr(addrs[i], 0, &m, err))
			return error_prefix(err, "member \"%s\"", addrs[i]);
		for (size_t j = 0; j < al->addresses.n; j++) {
			struct address o;
			if (address_parse_cstr(al->addresses.v[j], 0, &o, NULL) &&
			    address_eq(&o, &m))
				return error_set(err, ERR_EXISTS, "%s is already a member",
						 addrs[i]);
		}
		struct buf b = BUF_INIT;
		address_format(&b, &m, true);
		const char **slot =
		    sch_list_add((struct sch_list *)&al->addresses, sizeof *slot, a);
		*slot = arena_strdup(a, buf_cstr(&b));
		buf_free(&b);
	}
	return true;
}

static int run_alias_list(const struct cmd_env *env, int argc, char **argv)
{
	if (argc != 1)
		return cmd_usage(&cmd_config_alias[0]);
	struct dns_domain dn;
	struct error err = {0};
	if (!dns_domain_parse_cstr(argv[0], 0, &dn, &err))
		return cmd_fail("domain \"%s\": %s", argv[0], err.msg);
	struct config *c = config_cmd_load(env);
	if (!c)
		return 1;
	struct config_dynamic *cd = config_dynamic_get(c);
	const struct cfg_domain *dom = cfg_domain_find(cd->d, dn.ascii);
	int rc = 0;
	if (!dom)
		rc = cmd_fail("domain %s is not configured", dn.unicode);
	for (size_t i = 0; dom && i < dom->aliases.n; i++)
		printf("%s@%s\n", dom->aliases.keys[i], dn.unicode);
	config_dynamic_put(cd);
	config_free(c);
	return rc;
}

static int run_alias_print(const struct cmd_env *env, int argc, char **argv)
{
	if (argc != 1)
		return cmd_usage(&cmd_config_alias[1]);
	struct config *c = config_cmd_load(env);
	if (!c)
		return 1;
	struct config_dynamic *cd = config_dynamic_get(c);
	struct cfg_domain *dom;
	size_t i;
	struct error err = {0};
	struct cfg_alias *al = find_alias(cd->d, argv[0], &dom, &i, &err);
	int rc = 0;
	if (!al) {
		rc = cmd_fail("%s", err.msg);
	} else {
		printf("postpublic: %s\nlistmembers: %s\nallowmsgfrom: %s\nmembers:\n",
		       al->post_public ? "true" : "false", al->list_members ? "true" : "false",
		       al->allow_msg_from ? "true" : "false");
		for (size_t j = 0; j < al->addresses.n; j++)
			printf("\t%s\n", al->addresses.v[j]);
	}
	config_dynamic_put(cd);
	config_free(c);
	return rc;
}

struct alias_op {
	const char *alias;
	char **addrs;
	int naddrs;
	/* For update: "true", "false" or NULL (unchanged). */
	const char *post_public, *list_members, *allow_msg_from;
};

static bool edit_alias_add(void *arg, struct cfg_dynamic *d, struct arena *a, struct error *err)
{
	struct alias_op *op = arg;
	struct address addr;
	struct buf key = BUF_INIT;
	bool ok = parse_alias(op->alias, &addr, &key, err);
	struct cfg_domain *dom = ok ? cfg_domain_find(d, addr.domain.ascii) : NULL;
	if (ok && !dom)
		ok = error_set(err, ERR_NOTFOUND, "domain %s is not configured",
			       addr.domain.unicode);
	struct cfg_dynamic_match m;
	if (ok &&
	    cfg_lookup_recipient(d, addr.localpart, addr.domain.ascii, CFG_LOOKUP_ALLOW_ALIAS,
				 &m) == CFG_LOOKUP_ACCOUNT &&
	    !m.catchall)
		ok = error_set(err, ERR_EXISTS, "%s is an address of account \"%s\"", op->alias,
			       m.account_name);
	if (ok && sch_map_index((struct sch_map *)&dom->aliases, buf_cstr(&key)) >= 0)
		ok = error_set(err, ERR_EXISTS, "alias %s already exists", op->alias);
	if (ok) {
		struct cfg_alias *al =
		    sch_map_add((struct sch_map *)&dom->aliases, sizeof *al, buf_cstr(&key), a);
		al->post_public = true;
		ok = add_members(al, op->addrs, op->naddrs, a, err);
	}
	buf_free(&key);
	return ok;
}

static int run_alias_add(const struct cmd_env *env, int argc, char **argv)
{
	if (argc < 2)
		return cmd_usage(&cmd_config_alias[2]);
	struct alias_op op = {.alias = argv[0], .addrs = argv + 1, .naddrs = argc - 1};
	return config_cmd_edit(env, edit_alias_add, &op);
}

static bool set_flag(bool *dst, const char *v, const char *name, struct error *err)
{
	if (!v)
		return true;
	if (strcmp(v, "true") == 0)
		*dst = true;
	else if (strcmp(v, "false") == 0)
		*dst = false;
	else
		return error_set(err, ERR_INVALID, "-%s: use true or false, not \"%s\"", name, v);
	return true;
}

static bool edit_alias_update(void *arg, struct cfg_dynamic *d, struct arena *a, struct error *err)
{
	(void)a;
	struct alias_op *op = arg;
	struct cfg_domain *dom;
	size_t i;
	struct cfg_alias *al = find_alias(d, op->alias, &dom, &i, err);
	return al && set_flag(&al->post_public, op->post_public, "postpublic", err) &&
	       set_flag(&al->list_members, op->list_members, "listmembers", err) &&
	       set_flag(&al->allow_msg_from, op->allow_msg_from, "allowmsgfrom", err);
}

static int run_alias_update(const struct cmd_env *env, int argc, char **argv)
{
	struct alias_op op = {0};
	struct flagset fs = {0};
	flags_string(&fs, "postpublic", &op.post_public,
		     "whether anyone (true) or only members (false) can post");
	flags_string(&fs, "listmembers", &op.list_members, "whether members can list members");
	flags_string(&fs, "allowmsgfrom", &op.allow_msg_from,
		     "whether members can use the alias address in the message From header");
	struct error err = {0};
	/* mox's usage puts the alias first and the flags after it. */
	if (argc < 1)
		return cmd_usage(&cmd_config_alias[3]);
	op.alias = argv[0];
	int first = flags_parse(&fs, argc - 1, argv + 1, &err);
	if (first < 0 || first != argc - 1) {
		if (first < 0)
			fprintf(stderr, "tern: %s\n", err.msg);
		return cmd_usage(&cmd_config_alias[3]);
	}
	return config_cmd_edit(env, edit_alias_update, &op);
}

static bool edit_alias_rm(void *arg, struct cfg_dynamic *d, struct arena *a, struct error *err)
{
	(void)a;
	struct alias_op *op = arg;
	struct cfg_domain *dom;
	size_t i;
	if (!find_alias(d, op->alias, &dom, &i, err))
		return false;
	sch_map_remove((struct sch_map *)&dom->aliases, sizeof(struct cfg_alias), i);
	return true;
}

static int run_alias_rm(const struct cmd_env *env, int argc, char **argv)
{
	if (argc != 1)
		return cmd_usage(&cmd_config_alias[4]);
	struct alias_op op = {.alias = argv[0]};
	return config_cmd_edit(env, edit_alias_rm, &op);
}

static bool edit_alias_addaddr(void *arg, struct cfg_dynamic *d, struct arena *a, struct error *err)
{
	struct alias_op *op = arg;
	struct cfg_domain *dom;
	size_t i;
	struct cfg_alias *al = find_alias(d, op->alias, &dom, &i, err);
	return al && add_members(al, op->addrs, op->naddrs, a, err);
}

static int run_alias_addaddr(const struct cmd_env *env, int argc, char **argv)
{
	if (argc < 2)
		return cmd_usage(&cmd_config_alias[5]);
	struct alias_op op = {.alias = argv[0], .addrs = argv + 1, .naddrs = argc - 1};
	return config_cmd_edit(env, edit_alias_addaddr, &op);
}

static bool edit_alias_rmaddr(void *arg, struct cfg_dynamic *d, struct arena *a, struct error *err)
{
	(void)a;
	struct alias_op *op = arg;
	struct cfg_domain *dom;
	size_t i;
	struct cfg_alias *al = find_alias(d, op->alias, &dom, &i, err);
	if (!al)
		return false;
	for (int k = 0; k < op->naddrs; k++) {
		struct address m;
		if (!address_parse_cstr(op->addrs[k], 0, &m, err))
			return error_prefix(err, "member \"%s\"", op->addrs[k]);
		size_t j = 0;
		for (; j < al->addresses.n; j++) {
			struct address o;
			if (address_parse_cstr(al->addresses.v[j], 0, &o, NULL) &&
			    address_eq(&o, &m))
				break;
		}
		if (j == al->addresses.n)
			return error_set(err, ERR_NOTFOUND, "%s is not a member", op->addrs[k]);
		sch_list_remove((struct sch_list *)&al->addresses, sizeof(const char *), j);
	}
	if (al->addresses.n == 0)
		return error_set(err, ERR_INVALID,
				 "an alias needs at least one member; remove the alias instead");
	return true;
}

static int run_alias_rmaddr(const struct cmd_env *env, int argc, char **argv)
{
	if (argc < 2)
		return cmd_usage(&cmd_config_alias[6]);
	struct alias_op op = {.alias = argv[0], .addrs = argv + 1, .naddrs = argc - 1};
	return config_cmd_edit(env, edit_alias_rmaddr, &op);
}

const struct command cmd_config_alias[] = {
    {"config alias list", "$domain", "Lists the aliases (lists) of a domain, one per line.",
     run_alias_list},
    {"config alias print", "$alias@domain", "Prints the settings and members of an alias (list).",
     run_alias_print},
    {"config alias add", "$alias@domain $rcpt1@domain ...",
     "Adds an alias (list) with one or more members, open to posts from anyone.\n\n"
     "Mail for the alias is delivered to each member once. Members must be addresses\n"
     "of accounts here. To give an account another address, add the address to the\n"
     "account instead of making an alias.",
     run_alias_add},
    {"config alias update",
     "$alias@domain [-postpublic false|true -listmembers false|true "
     "-allowmsgfrom false|true]",
     "Changes the settings of an alias (list).\n\n"
     "Flags:\n"
     "  -allowmsgfrom string\n"
     "\twhether members can use the alias address in the message From header\n"
     "  -listmembers string\n"
     "\twhether members can list members\n"
     "  -postpublic string\n"
     "\twhether anyone (true) or only members (false) can post",
     run_alias_update},
    {"config alias rm", "$alias@domain", "Removes an alias (list).", run_alias_rm},
    {"config alias addaddr", "$alias@domain $rcpt1@domain ...", "Adds members to an alias (list).",
     run_alias_addaddr},
    {"config alias rmaddr", "$alias@domain $rcpt1@domain ...",
     "Removes members from an alias (list); the last member cannot be removed.", run_alias_rmaddr},
};
const size_t cmd_config_alias_count = sizeof cmd_config_alias / sizeof cmd_config_alias[0];
