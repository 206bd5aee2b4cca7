#include "smtp/rules.h"

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

/* Every HeadersRegexp pair must match some header field. */
static bool headers_match(const struct cfg_ruleset *rs, const struct smtp_rule_input *in)
{
	for (size_t k = 0; k < rs->headers_regexp.n; k++) {
		bool found = false;
		for (size_t i = 0; i < in->headers->n && !found; i++) {
			const struct smtp_header *h = &in->headers->v[i];
			struct buf name = BUF_INIT, value = BUF_INIT;
			buf_append(&name, h->name.p, h->name.len);
			ascii_lower_inplace(name.data ? name.data : (char *)"");
			smtp_header_unfold(h->value, &value);
			found = rule_re_match(rs->header_key_re[k], buf_cstr(&name)) &&
				rule_re_match(rs->header_value_re[k], buf_cstr(&value));
			buf_free(&name);
			buf_free(&value);
		}
		if (!found)
			return false;
	}
	return true;
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
