/*
 * rules: choosing the mailbox for a delivery with the destination's
 * Rulesets of domains.conf (see domains.conf.reference): the first ruleset
 * whose conditions all hold picks its Mailbox; otherwise the destination's
 * Mailbox, otherwise "Inbox".
 *
 * Conditions: SMTPMailFromRegexp on the MAIL FROM address, MsgFromRegexp on
 * the From header's address, HeadersRegexp on (lower-case field name,
 * unfolded value) pairs, VerifiedDomain on the domains that SPF/DKIM
 * verified. Until message authentication exists (a later issue), no domain
 * is verified, so rulesets with VerifiedDomain or ListAllowDomain do not
 * match. Pure function over the checked config; thread-safe.
 */
#ifndef TERN_SMTP_RULES_H
#define TERN_SMTP_RULES_H

#include "config/dynamic.h"
#include "mail/header.h"

struct smtp_rule_input {
	const char *mailfrom; /* "" for the null path */
	const char *msgfrom;  /* From header address, "" when none */
	const struct mail_header *headers;
	const char *const *verified; /* verified domains (ASCII), none today */
	size_t nverified;
};

/* The ruleset that matched, or NULL; *mailbox gets the mailbox to use. */
const struct cfg_ruleset *smtp_rules_match(const struct cfg_destination *dest,
					   const struct smtp_rule_input *in, const char **mailbox);

#endif
