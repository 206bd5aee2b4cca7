#include "smtp/rules.h"

#include "base/arena.h"

#include <string.h>

static bool rule_re_match(const regex_t *re, const char *s)
{
	return re == NULL || regexec(re, s, 0, NULL, 0) == 0;
}

static bool verified(const struct smtp_rule_input *in, const char *domain)
{
	for (size_t i = 0; i < in->nverified; i++)
		if (strcmp(in->verified[i], domain) == 0)
			return true;
	return false;
}

/* Every HeadersRegexp pair must match some header field (lower-case name, unfolded value). */
static bool headers_match(const struct cfg_ruleset *rs, const struct smtp_rule_input *in)
{
	if (rs->headers_regexp.n == 0)
		return true;
	struct arena a;
	arena_init(&a, 4096);
	bool all = true;
	for (size_t k = 0; k < rs->headers_regexp.n && all; k++) {
		bool found = false;
		for (size_t i = 0; i < in->headers->n && !found; i++) {
			const struct mail_field *f = &in->headers->fields[i];
			char *name = arena_memdup0(&a, f->name.p, f->name.len);
			ascii_lower_inplace(name);
			found = rule_re_match(rs->header_key_re[k], name) &&
				rule_re_match(rs->header_value_re[k], mail_unfold(&a, f->value));
		}
		all = found;
	}
	arena_free(&a);
	return all;
}

static bool ruleset_matches(const struct cfg_ruleset *rs, const struct smtp_rule_input *in)
{
	if (!rule_re_match(rs->smtp_mail_from_re, in->mailfrom))
		return false;
	if (!rule_re_match(rs->msg_from_re, in->msgfrom))
		return false;
	if (rs->verified_domain_ascii && rs->verified_domain_ascii[0] &&
	    !verified(in, rs->verified_domain_ascii))
		return false;
	if (rs->list_allow_domain_ascii && rs->list_allow_domain_ascii[0] &&
	    !verified(in, rs->list_allow_domain_ascii))
		return false;
	return headers_match(rs, in);
}

const struct cfg_ruleset *smtp_rules_match(const struct cfg_destination *dest,
					   const struct smtp_rule_input *in, const char **mailbox)
{
	*mailbox = dest && dest->mailbox && dest->mailbox[0] ? dest->mailbox : "Inbox";
	if (!dest)
		return NULL;
	for (size_t i = 0; i < dest->rulesets.n; i++) {
		const struct cfg_ruleset *rs = &dest->rulesets.v[i];
		if (ruleset_matches(rs, in)) {
			if (rs->mailbox && rs->mailbox[0])
				*mailbox = rs->mailbox;
			return rs;
		}
	}
	return NULL;
}
