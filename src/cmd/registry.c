#include "cmd/cmd.h"

#include "base/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const struct command_group *cmd_groups(size_t *ngroups)
{
	static struct command_group groups[15];
	groups[0] = (struct command_group){cmd_serve, cmd_serve_count};
	groups[1] = (struct command_group){cmd_auth, cmd_auth_count};
	groups[2] = (struct command_group){cmd_config, cmd_config_count};
	groups[3] = (struct command_group){cmd_config_account, cmd_config_account_count};
	groups[4] = (struct command_group){cmd_config_domain, cmd_config_domain_count};
	groups[5] = (struct command_group){cmd_config_alias, cmd_config_alias_count};
	groups[6] = (struct command_group){cmd_tlspubkey, cmd_tlspubkey_count};
	groups[7] = (struct command_group){cmd_message, cmd_message_count};
	groups[8] = (struct command_group){cmd_store_admin, cmd_store_admin_count};
	groups[9] = (struct command_group){cmd_import, cmd_import_count};
	groups[10] = (struct command_group){cmd_export, cmd_export_count};
	groups[11] = (struct command_group){cmd_backup, cmd_backup_count};
	groups[12] = (struct command_group){cmd_smtp, cmd_smtp_count};
	groups[13] = (struct command_group){cmd_dns, cmd_dns_count};
	groups[14] = (struct command_group){cmd_core, cmd_core_count};
	*ngroups = ARRAY_LEN(groups);
	return groups;
}

/* mox's commands that tern does not have yet, and the work that brings them. */
static const struct planned_command planned[] = {
    {"quickstart", "quickstart (initial configuration and DNS records)"},
    {"queue holdrules list", "the outgoing queue"},
    {"queue holdrules add", "the outgoing queue"},
    {"queue holdrules remove", "the outgoing queue"},
    {"queue list", "the outgoing queue"},
    {"queue hold", "the outgoing queue"},
    {"queue unhold", "the outgoing queue"},
    {"queue schedule", "the outgoing queue"},
    {"queue transport", "the outgoing queue"},
    {"queue requiretls", "the outgoing queue"},
    {"queue fail", "the outgoing queue"},
    {"queue drop", "the outgoing queue"},
    {"queue dump", "the outgoing queue"},
    {"queue retired list", "the outgoing queue"},
    {"queue retired print", "the outgoing queue"},
    {"queue suppress list", "the outgoing queue"},
    {"queue suppress add", "the outgoing queue"},
    {"queue suppress remove", "the outgoing queue"},
    {"queue suppress lookup", "the outgoing queue"},
    {"queue webhook list", "webhooks"},
    {"queue webhook schedule", "webhooks"},
    {"queue webhook cancel", "webhooks"},
    {"queue webhook print", "webhooks"},
    {"queue webhook retired list", "webhooks"},
    {"queue webhook retired print", "webhooks"},
    {"licenses", "release packaging"},
    {"config dnscheck", "DNS"},
    {"config dnsrecords", "DNS"},
    {"config printservice", "release packaging"},
    {"config ensureacmehostprivatekeys", "ACME"},
    {"config example", "configuration examples"},
    {"admin imapserve", "IMAP"},
    {"checkupdate", "update checks"},
    {"cid", "SMTP"},
    {"clientconfig", "client configuration"},
    {"dane dial", "DANE"},
    {"dane dialmx", "DANE"},
    {"dane makerecord", "DANE"},
    {"dkim gened25519", "DKIM"},
    {"dkim genrsa", "DKIM"},
    {"dkim lookup", "DKIM"},
    {"dkim txt", "DKIM"},
    {"dkim verify", "DKIM"},
    {"dkim sign", "DKIM"},
    {"dmarc lookup", "DMARC"},
    {"dmarc parsereportmsg", "DMARC"},
    {"dmarc verify", "DMARC"},
    {"dmarc checkreportaddrs", "DMARC"},
    {"mtasts lookup", "MTA-STS"},
    {"rdap domainage", "RDAP"},
    {"retrain", "junk filtering"},
    {"spf check", "SPF"},
    {"spf lookup", "SPF"},
    {"spf parse", "SPF"},
    {"tlsrpt lookup", "TLS reporting"},
    {"tlsrpt parsereportmsg", "TLS reporting"},
    {"webapi", "the web API"},
    {"example", "configuration examples"},
};

const struct planned_command *cmd_planned(size_t *n)
{
	*n = ARRAY_LEN(planned);
	return planned;
}

/* Counts how many leading words of argv spell name; 0 when they do not. */
static int match_words(const char *name, int argc, char **argv)
{
	int words = 0;
	const char *p = name;
	while (*p) {
		if (words >= argc)
			return 0;
		size_t n = strcspn(p, " ");
		if (strlen(argv[words]) != n || strncmp(argv[words], p, n) != 0)
			return 0;
		words++;
		p += n;
		if (*p == ' ')
			p++;
	}
	return words;
}

const struct command *cmd_find(int argc, char **argv, int *consumed)
{
	const struct command *best = NULL;
	int best_words = 0;
	size_t ngroups;
	const struct command_group *groups = cmd_groups(&ngroups);
	for (size_t g = 0; g < ngroups; g++) {
		for (size_t i = 0; i < groups[g].count; i++) {
			int w = match_words(groups[g].commands[i].name, argc, argv);
			if (w > best_words) {
				best = &groups[g].commands[i];
				best_words = w;
			}
		}
	}
	*consumed = best_words;
	return best;
}

const struct planned_command *cmd_find_planned(int argc, char **argv)
{
	const struct planned_command *best = NULL;
	int best_words = 0;
	for (size_t i = 0; i < ARRAY_LEN(planned); i++) {
		int w = match_words(planned[i].name, argc, argv);
		if (w > best_words) {
			best = &planned[i];
			best_words = w;
		}
	}
	return best;
}

int cmd_usage(const struct command *c)
{
	fprintf(stderr, "usage: tern %s%s%s\n", c->name, c->args[0] ? " " : "", c->args);
	return 2;
}

int cmd_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("tern: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 1;
}
