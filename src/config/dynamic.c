/*
 * The schema tables of domains.conf: one table per struct of config/dynamic.h,
 * fields in the order of mox's documentation of the file, each documented for
 * `tern config describe-domains` (texts are tern's own).
 */
#include "config/dynamic.h"

/* Routes appear at three levels with the same fields; the texts differ per level. */
#define ROUTES_DOC_TAIL                                                                            \
	"The transport of the first route that matches is used for a delivery attempt; when "      \
	"none matches, as when no routes are configured, the queue delivers directly."

static const struct sch_field route_fields[] = {
    SCH_FIELD(struct cfg_route, from_domain, "FromDomain", sch_string_list, SCH_OPTIONAL,
	      "The route matches when the domain of the envelope sender is one of these, or "
	      "when the list is empty. A domain with a leading dot also matches the domains "
	      "under it."),
    SCH_FIELD(struct cfg_route, to_domain, "ToDomain", sch_string_list, SCH_OPTIONAL,
	      "Like FromDomain, for the domain of the envelope recipient."),
    SCH_FIELD(struct cfg_route, minimum_attempts, "MinimumAttempts", sch_int, SCH_OPTIONAL,
	      "The route matches only when at least this many delivery attempts were made "
	      "already, e.g. to fall back to a smarthost after direct delivery failed several "
	      "times."),
    SCH_FIELD(struct cfg_route, transport, "Transport", sch_string, 0,
	      "Name of the transport, defined in the static config file, that delivers the "
	      "messages this route matches."),
};
static SCH_STRUCT_TYPE(route_type, struct cfg_route, "Route", route_fields);
static SCH_LIST_TYPE(route_list, route_type);

/* ---- Domains ---- */

static const struct sch_field canon_fields[] = {
    SCH_FIELD(struct cfg_dkim_canonicalization, header_relaxed, "HeaderRelaxed", sch_bool, 0,
	      "If set, header fields may change in small ways (mostly whitespace) without "
	      "breaking the signature."),
    SCH_FIELD(struct cfg_dkim_canonicalization, body_relaxed, "BodyRelaxed", sch_bool, 0,
	      "If set, changes in whitespace in the body do not break the signature."),
};
static SCH_STRUCT_TYPE(canon_type, struct cfg_dkim_canonicalization, "Canonicalization",
		       canon_fields);

static const struct sch_field selector_fields[] = {
    SCH_FIELD(struct cfg_selector, hash, "Hash", sch_string, SCH_OPTIONAL,
	      "Hash algorithm: sha256 (the default) or sha1 (old, not recommended)."),
    SCH_FIELD(struct cfg_selector, canonicalization, "Canonicalization", canon_type, SCH_OPTIONAL,
	      "How much change in transit a signature tolerates."),
    SCH_FIELD(struct cfg_selector, headers, "Headers", sch_string_list, SCH_OPTIONAL,
	      "Header fields to sign. Empty: a sensible default set. From must always be "
	      "among them."),
    SCH_FIELD(struct cfg_selector, dont_seal_headers, "DontSealHeaders", sch_bool, SCH_OPTIONAL,
	      "If set, signatures do not prevent further instances of the signed header fields "
	      "from being added. Not recommended."),
    SCH_FIELD(struct cfg_selector, expiration, "Expiration", sch_string, SCH_OPTIONAL,
	      "How long a signature stays valid after signing, as a duration, e.g. 72h. Leave "
	      "time for delivery through several hops: days at least."),
    SCH_FIELD(struct cfg_selector, private_key_file, "PrivateKeyFile", sch_string, 0,
	      "File with the private key, RSA or Ed25519, in PKCS #8 PEM form. A relative path "
	      "is relative to the directory of this file."),
};
static SCH_STRUCT_TYPE(selector_type, struct cfg_selector, "Selector", selector_fields);
static SCH_MAP_TYPE(selector_map, selector_type);

static const struct sch_field dkim_fields[] = {
    SCH_FIELD(struct cfg_dkim, selectors, "Selectors", selector_map, 0,
	      "Signing keys by selector name. Each selector needs a DNS record with its public "
	      "key. Only the selectors named in Sign are used for signing."),
    SCH_FIELD(struct cfg_dkim, sign, "Sign", sch_string_list, SCH_OPTIONAL,
	      "Selectors that outgoing messages are signed with."),
};
static SCH_STRUCT_TYPE(dkim_type, struct cfg_dkim, "DKIM", dkim_fields);

#define REPORT_DOMAIN_DOC(kind)                                                                    \
	"Domain of the reporting address, when it is not this domain. This lets the server "       \
	"receive the reports of a domain whose mail is mostly handled elsewhere: configure that "  \
	"domain here without changing its other DNS records, set this field to a domain fully "    \
	"hosted here, and put the resulting address in the \"rua\" field of that domain's " kind   \
	" DNS record. Empty: this domain. Written in Unicode form."

static const struct sch_field dmarc_fields[] = {
    SCH_FIELD(struct cfg_dmarc, localpart, "Localpart", sch_string, 0,
	      "Localpart of the address that receives DMARC reports. ASCII only, as the reports "
	      "come from servers that may not support internationalized addresses. Suggested: "
	      "dmarcreports."),
    SCH_FIELD(struct cfg_dmarc, domain, "Domain", sch_string, SCH_OPTIONAL,
	      REPORT_DOMAIN_DOC("DMARC")),
    SCH_FIELD(struct cfg_dmarc, account, "Account", sch_string, 0,
	      "Account that receives the reports."),
    SCH_FIELD(struct cfg_dmarc, mailbox, "Mailbox", sch_string, 0,
	      "Mailbox the reports are delivered to, e.g. DMARC."),
};
static SCH_STRUCT_TYPE(dmarc_type, struct cfg_dmarc, "DMARC", dmarc_fields);
static SCH_PTR_TYPE(dmarc_ptr, dmarc_type);

static const struct sch_field mtasts_fields[] = {
    SCH_FIELD(struct cfg_mtasts, policy_id, "PolicyID", sch_string, 0,
	      "Version of the policy, also published in the DNS record: letters and digits, at "
	      "most 32. To change the policy, change it here first, so the new policy is "
	      "served, and then in DNS."),
    SCH_FIELD(struct cfg_mtasts, mode, "Mode", sch_string, 0,
	      "enforce: sending servers must not deliver to this domain unless they can make a "
	      "STARTTLS connection with a certificate valid in the WebPKI. testing: they may, "
	      "but report failures through TLS reporting. none: verified TLS is not required; "
	      "used to retire a policy."),
    SCH_FIELD(struct cfg_mtasts, max_age, "MaxAge", sch_duration, 0,
	      "How long sending servers may cache the policy, typically one or several weeks, "
	      "e.g. 168h."),
    SCH_FIELD(struct cfg_mtasts, mx, "MX", sch_string_list, SCH_OPTIONAL,
	      "Host names allowed as MX for the domain. A name may start with a \"*\" label that "
	      "stands for exactly one label: *.example matches host.example, not "
	      "sub.host.example. Empty: the server's hostname."),
};
static SCH_STRUCT_TYPE(mtasts_type, struct cfg_mtasts, "MTASTS", mtasts_fields);
static SCH_PTR_TYPE(mtasts_ptr, mtasts_type);

static const struct sch_field tlsrpt_fields[] = {
    SCH_FIELD(struct cfg_tlsrpt, localpart, "Localpart", sch_string, 0,
	      "Localpart of the address that receives TLS reports. ASCII only. Suggested: "
	      "tlsreports."),
    SCH_FIELD(struct cfg_tlsrpt, domain, "Domain", sch_string, SCH_OPTIONAL,
	      REPORT_DOMAIN_DOC("TLSRPT")),
    SCH_FIELD(struct cfg_tlsrpt, account, "Account", sch_string, 0,
	      "Account that receives the reports."),
    SCH_FIELD(struct cfg_tlsrpt, mailbox, "Mailbox", sch_string, 0,
	      "Mailbox the reports are delivered to, e.g. TLSRPT."),
};
static SCH_STRUCT_TYPE(tlsrpt_type, struct cfg_tlsrpt, "TLSRPT", tlsrpt_fields);
static SCH_PTR_TYPE(tlsrpt_ptr, tlsrpt_type);

static const struct sch_field alias_fields[] = {
    SCH_FIELD(struct cfg_alias, addresses, "Addresses", sch_string_list, 0,
	      "Addresses the alias delivers to; for now they must be addresses of local "
	      "accounts. A member that is also an explicit recipient in the same SMTP "
	      "transaction gets the message once, and a member whose address is in the "
	      "message's From header does not get it."),
    SCH_FIELD(struct cfg_alias, post_public, "PostPublic", sch_bool, SCH_OPTIONAL,
	      "If set, anyone may send to the alias. Otherwise only its members may, judged by "
	      "the message's From address, which is assumed to have passed a DMARC-like "
	      "verification."),
    SCH_FIELD(struct cfg_alias, list_members, "ListMembers", sch_bool, SCH_OPTIONAL,
	      "If set, members can see the addresses of all members."),
    SCH_FIELD(struct cfg_alias, allow_msg_from, "AllowMsgFrom", sch_bool, SCH_OPTIONAL,
	      "If set, members may send messages with the alias address in the From header."),
};
static SCH_STRUCT_TYPE(alias_type, struct cfg_alias, "Alias", alias_fields);
static SCH_MAP_TYPE(alias_map, alias_type);

static const struct sch_field domain_fields[] = {
    SCH_FIELD(struct cfg_domain, disabled, "Disabled", sch_bool, SCH_OPTIONAL,
	      "Takes the domain out of service for a while, e.g. around a migration, while "
	      "keeping its configuration; addresses in it can still be added to accounts. For a "
	      "disabled domain: 1. no ACME certificates are requested, so TLS for names under "
	      "the domain fails (the certificate for the server's hostname, used as MX, is "
	      "still requested); 2. incoming SMTP deliveries are refused with the temporary "
	      "error 450 4.2.1; 3. SMTP submissions with an envelope sender or message From "
	      "address in the domain are refused with the temporary error 451 4.3.0. Accounts "
	      "with addresses in the domain can still log in and read their mail, unless the "
	      "account itself is disabled."),
    SCH_FIELD(struct cfg_domain, description, "Description", sch_string, SCH_OPTIONAL,
	      "Free-form text describing the domain."),
    SCH_FIELD(struct cfg_domain, client_settings_domain, "ClientSettingsDomain", sch_string,
	      SCH_OPTIONAL,
	      "Host name that email clients are told to use, instead of the server's hostname, "
	      "e.g. mail.<domain>. Pointing clients at a name under the domain itself lets the "
	      "mail move to another operator later without changing the settings of every "
	      "client. Empty: the server's hostname. Written in Unicode form."),
    SCH_FIELD(struct cfg_domain, localpart_catchall_separator, "LocalpartCatchallSeparator",
	      sch_string, SCH_OPTIONAL,
	      "If set, only the part of a localpart before this separator decides where a "
	      "message is delivered: with \"+\", mail for you+anything@example.com goes to "
	      "you@example.com."),
    SCH_FIELD(struct cfg_domain, localpart_catchall_separators, "LocalpartCatchallSeparators",
	      sch_string_list, SCH_OPTIONAL,
	      "Like LocalpartCatchallSeparator, for more than one separator, e.g. \"+\" and "
	      "\"-\". Set either this or LocalpartCatchallSeparator, not both. The first "
	      "separator is the one used to make unique SMTP MAIL FROM addresses for "
	      "FromIDLoginAddresses."),
    SCH_FIELD(struct cfg_domain, localpart_case_sensitive, "LocalpartCaseSensitive", sch_bool,
	      SCH_OPTIONAL,
	      "If set, upper and lower case in localparts are different for delivery."),
    SCH_FIELD(struct cfg_domain, dkim, "DKIM", dkim_type, SCH_OPTIONAL,
	      "DKIM signing of outgoing messages: the domain takes responsibility for the "
	      "messages it sends, so receiving servers can build a reputation for it, which "
	      "helps messages get delivered."),
    SCH_FIELD(struct cfg_domain, dmarc, "DMARC", dmarc_ptr, SCH_OPTIONAL,
	      "Where DMARC reports for this domain are delivered. With DMARC, a domain publishes "
	      "in DNS how receiving servers should treat messages whose From header is in the "
	      "domain (or, depending on the alignment, in a subdomain) and that fail "
	      "authentication; receivers use it to build a reputation for the domain, which "
	      "helps delivery. The record can also name an address for reports about the "
	      "verifications receivers did, useful for monitoring. Incoming DMARC reports are "
	      "parsed, checked, counted in the metrics and stored for the admin web "
	      "interface."),
    SCH_FIELD(struct cfg_domain, mtasts, "MTASTS", mtasts_ptr, SCH_OPTIONAL,
	      "The MTA-STS policy of the domain (RFC 8461): sending servers must deliver to it "
	      "with STARTTLS and a certificate valid in the WebPKI, and only to MX hosts that "
	      "match the policy (patterns allowed). A DNS TXT record, often not protected by "
	      "DNSSEC (MTA-STS's weak spot), says a policy exists; senders fetch it over "
	      "verified HTTPS when they first deliver, keep a cached copy, and check the DNS "
	      "record now and then for a new policy ID. MX hosts still come from DNS, but mail "
	      "only goes to those the policy allows. To change a policy, serve it with a new "
	      "PolicyID first, then update the DNS record, not the other way around. To remove "
	      "an enforced policy, serve mode \"none\" until all cached copies have expired "
	      "(DNS TTL and MaxAge), then remove the DNS record, wait for its TTL, and stop "
	      "serving the policy."),
    SCH_FIELD(struct cfg_domain, tlsrpt, "TLSRPT", tlsrpt_ptr, SCH_OPTIONAL,
	      "Where TLS reports for this domain are delivered (RFC 8460): a DNS record tells "
	      "sending servers where to report how SMTP with TLS to this domain went, useful "
	      "for monitoring. Incoming TLS reports are parsed, checked, counted in the metrics "
	      "and stored for the admin web interface."),
    SCH_FIELD(struct cfg_domain, routes, "Routes", route_list, SCH_OPTIONAL,
	      "Routes for outgoing messages from this domain, tried after the account's routes "
	      "and before the global ones. " ROUTES_DOC_TAIL),
    SCH_FIELD(struct cfg_domain, aliases, "Aliases", alias_map, SCH_OPTIONAL,
	      "Addresses in this domain that deliver to one or more local addresses. Keys are "
	      "localparts, written as in an address (quoted where needed)."),
};
static SCH_STRUCT_TYPE(domain_type, struct cfg_domain, "Domain", domain_fields);
static SCH_MAP_TYPE(domain_map, domain_type);

/* ---- Accounts ---- */

static const struct sch_field outgoing_webhook_fields[] = {
    SCH_FIELD(struct cfg_webhook_outgoing, url, "URL", sch_string, 0,
	      "URL the webhook requests are POSTed to."),
    SCH_FIELD(struct cfg_webhook_outgoing, authorization, "Authorization", sch_string, SCH_OPTIONAL,
	      "If set, sent as the Authorization header of each request."),
    SCH_FIELD(struct cfg_webhook_outgoing, events, "Events", sch_string_list, SCH_OPTIONAL,
	      "Delivery events to call the webhook for; all of them when absent. Possible: "
	      "delivered, suppressed, delayed, failed, relayed, expanded, canceled, "
	      "unrecognized."),
};
static SCH_STRUCT_TYPE(outgoing_webhook_type, struct cfg_webhook_outgoing, "OutgoingWebhook",
		       outgoing_webhook_fields);
static SCH_PTR_TYPE(outgoing_webhook_ptr, outgoing_webhook_type);

static const struct sch_field incoming_webhook_fields[] = {
    SCH_FIELD(struct cfg_webhook_incoming, url, "URL", sch_string, 0,
	      "URL the webhook requests about messages delivered over SMTP are POSTed to."),
    SCH_FIELD(struct cfg_webhook_incoming, authorization, "Authorization", sch_string, SCH_OPTIONAL,
	      "If set, sent as the Authorization header of each request."),
};
static SCH_STRUCT_TYPE(incoming_webhook_type, struct cfg_webhook_incoming, "IncomingWebhook",
		       incoming_webhook_fields);
static SCH_PTR_TYPE(incoming_webhook_ptr, incoming_webhook_type);

static const struct sch_field ruleset_fields[] = {
    SCH_FIELD(struct cfg_ruleset, smtp_mail_from_regexp, "SMTPMailFromRegexp", sch_string,
	      SCH_OPTIONAL,
	      "Matches when this regular expression matches (part of) the SMTP MAIL FROM "
	      "address, not the From header, e.g. ^user@example\\.org$."),
    SCH_FIELD(struct cfg_ruleset, msg_from_regexp, "MsgFromRegexp", sch_string, SCH_OPTIONAL,
	      "Matches when this regular expression matches (part of) the single address in "
	      "the message's From header."),
    SCH_FIELD(struct cfg_ruleset, verified_domain, "VerifiedDomain", sch_string, SCH_OPTIONAL,
	      "Matches when this domain, or a domain under it, was verified through SPF and/or "
	      "DKIM."),
    SCH_FIELD(struct cfg_ruleset, headers_regexp, "HeadersRegexp", sch_string_map, SCH_OPTIONAL,
	      "Matches when each pair of regular expressions, for a header field name (the key) "
	      "and its value, matches (part of) a header of the message. Names and values are "
	      "lower-cased, and values trimmed of surrounding whitespace, before matching. When "
	      "a field occurs more than once, one match is enough. For a mailing list, use e.g. "
	      "^list-id$ with a value like <name\\.lists\\.example\\.org>, the list address in "
	      "angle brackets with the @ replaced by a dot."),
    SCH_FIELD(struct cfg_ruleset, is_forward, "IsForward", sch_bool, SCH_OPTIONAL,
	      "Changes junk filtering only, not whether the ruleset matches. For mail forwarded "
	      "to this address by another server; requires SMTPMailFromRegexp, set to the "
	      "address the forwarder delivers with (e.g. ^user(|\\+.*)@forward\\.example$), "
	      "and VerifiedDomain. Such messages are not refused for failing a DMARC policy, "
	      "since a forwarded message often lacks an intact aligned DKIM signature and its "
	      "SPF domain is the forwarder's. The forwarding server's IP address, EHLO and MAIL "
	      "FROM domains and matching DKIM domain are left out of later reputation "
	      "decisions (other verified DKIM domains are used), as the forwarder says nothing "
	      "about whether a message is spam."),
    SCH_FIELD(struct cfg_ruleset, list_allow_domain, "ListAllowDomain", sch_string, SCH_OPTIONAL,
	      "Changes junk filtering only, not whether the ruleset matches. When this domain, "
	      "or one under it, was verified through SPF and/or DKIM, the message is accepted "
	      "without further spam checks such as the junk filter or DMARC reject policies. "
	      "Meant for mailing lists that do not rewrite the From header of messages without "
	      "a passing DKIM signature of the From domain: refusing their messages can get "
	      "you unsubscribed. Mailing lists are assumed to do their own spam filtering."),
    SCH_FIELD(struct cfg_ruleset, accept_rejects_to_mailbox, "AcceptRejectsToMailbox", sch_string,
	      SCH_OPTIONAL,
	      "Changes junk filtering only, not whether the ruleset matches. A message judged "
	      "to be spam is accepted during SMTP and delivered to this mailbox, instead of "
	      "being refused. Unlike the account's RejectsMailbox, this mailbox is not cleaned "
	      "up automatically (unless it is that mailbox)."),
    SCH_FIELD(struct cfg_ruleset, mailbox, "Mailbox", sch_string, 0,
	      "Mailbox for messages that match this ruleset."),
    SCH_FIELD(struct cfg_ruleset, comment, "Comment", sch_string, SCH_OPTIONAL, "Free-form notes."),
};
static SCH_STRUCT_TYPE(ruleset_type, struct cfg_ruleset, "Ruleset", ruleset_fields);
static SCH_LIST_TYPE(ruleset_list, ruleset_type);

static const struct sch_field destination_fields[] = {
    SCH_FIELD(struct cfg_destination, mailbox, "Mailbox", sch_string, SCH_OPTIONAL,
	      "Mailbox for messages that match none of the Rulesets. Default: Inbox."),
    SCH_FIELD(struct cfg_destination, rulesets, "Rulesets", ruleset_list, SCH_OPTIONAL,
	      "Rules that deliver messages to other mailboxes based on the SMTP transaction and "
	      "the message, e.g. a mailbox per mailing list, recognized by SMTP MAIL FROM, "
	      "VerifiedDomain and/or the List-Id header (usually <listname.example.org> for "
	      "the list address listname@example.org)."),
    SCH_FIELD(struct cfg_destination, smtp_error, "SMTPError", sch_string, SCH_OPTIONAL,
	      "If set, SMTP deliveries to this address are refused at RCPT TO with this reply, "
	      "e.g. to refuse a few addresses that a catchall of the domain would otherwise "
	      "accept. The reply starts with its code, either 421 (temporary local error: the "
	      "sender will try again later) or 550 (no such user: the sender should give up), "
	      "optionally followed by a text; with a code only, a fitting text is added."),
    SCH_FIELD(struct cfg_destination, message_auth_required_smtp_error,
	      "MessageAuthRequiredSMTPError", sch_string, SCH_OPTIONAL,
	      "If set, incoming messages must pass a DMARC-like check of the domain in their "
	      "From header: without an aligned SPF or DKIM pass, they are refused at DATA with "
	      "a permanent error and this text. Alignment is strict or relaxed as the From "
	      "domain's DMARC policy says, and relaxed (same organizational domain) without a "
	      "policy. Useful for automatic responders that should not answer forged "
	      "senders."),
    SCH_FIELD(struct cfg_destination, full_name, "FullName", sch_string, SCH_OPTIONAL,
	      "Name used in the From header of messages composed in webmail from this "
	      "address."),
};
static SCH_STRUCT_TYPE(destination_type, struct cfg_destination, "Destination", destination_fields);
static SCH_MAP_TYPE(destination_map, destination_type);

static const struct sch_field subjectpass_fields[] = {
    SCH_FIELD(struct cfg_subjectpass, period, "Period", sch_duration, 0,
	      "How long a generated token is accepted, e.g. 12h."),
};
static SCH_STRUCT_TYPE(subjectpass_type, struct cfg_subjectpass, "SubjectPass", subjectpass_fields);

static const struct sch_field junk_flags_fields[] = {
    SCH_FIELD(struct cfg_junk_flags, enabled, "Enabled", sch_bool, 0,
	      "If set, the junk flags are set for mailboxes whose name matches one of the "
	      "regular expressions below. When two of the three are set, the third matches "
	      "every mailbox the other two do not. They are tried in the order junk, neutral, "
	      "not junk, and the first match decides. Mailbox names are lower-cased before "
	      "matching."),
    SCH_FIELD(struct cfg_junk_flags, junk_mailbox_regexp, "JunkMailboxRegexp", sch_string,
	      SCH_OPTIONAL, "Mailboxes whose messages are junk, e.g. ^(junk|spam)."),
    SCH_FIELD(struct cfg_junk_flags, neutral_mailbox_regexp, "NeutralMailboxRegexp", sch_string,
	      SCH_OPTIONAL,
	      "Mailboxes whose messages get neither flag, e.g. "
	      "^(inbox|introbox|neutral|postmaster|dmarc|tlsrpt|rejects), perhaps with trash "
	      "depending on how it is used; or empty."),
    SCH_FIELD(struct cfg_junk_flags, not_junk_mailbox_regexp, "NotJunkMailboxRegexp", sch_string,
	      SCH_OPTIONAL, "Mailboxes whose messages are not junk, e.g. .* or empty."),
};
static SCH_STRUCT_TYPE(junk_flags_type, struct cfg_junk_flags, "AutomaticJunkFlags",
		       junk_flags_fields);

static const struct sch_field junk_params_fields[] = {
    SCH_FIELD(struct cfg_junk_params, onegrams, "Onegrams", sch_bool, SCH_OPTIONAL,
	      "Rank single words."),
    SCH_FIELD(struct cfg_junk_params, twograms, "Twograms", sch_bool, SCH_OPTIONAL,
	      "Rank pairs of consecutive words."),
    SCH_FIELD(struct cfg_junk_params, threegrams, "Threegrams", sch_bool, SCH_OPTIONAL,
	      "Rank triples of consecutive words."),
    SCH_FIELD(struct cfg_junk_params, max_power, "MaxPower", sch_float, 0,
	      "How far a word's score may lie from 0.5, at most 0.5: with 0.1, a word with a "
	      "spam score of 0.99 counts as 0.9, and likewise for ham words."),
    SCH_FIELD(struct cfg_junk_params, top_words, "TopWords", sch_int, 0,
	      "Number of most spammy and most hammy words the score is computed from, e.g. "
	      "10."),
    SCH_FIELD(struct cfg_junk_params, ignore_words, "IgnoreWords", sch_float, SCH_OPTIONAL,
	      "Words whose score lies within this distance of 0.5 are ignored, at most 0.5: "
	      "with 0.1, words scoring between 0.4 and 0.6."),
    SCH_FIELD(struct cfg_junk_params, rare_words, "RareWords", sch_int, SCH_OPTIONAL,
	      "Words seen at most this many times count as rare and weigh less, e.g. 1 or 2."),
};
static SCH_STRUCT_TYPE(junk_params_type, struct cfg_junk_params, "Params", junk_params_fields);

static const struct sch_field junk_filter_fields[] = {
    SCH_FIELD(struct cfg_junk_filter, threshold, "Threshold", sch_float, 0,
	      "Spam score, between 0 and 1, above which a message is refused, e.g. 0.95. Each "
	      "delivery attempt adds a little noise, so spammers cannot easily find the words "
	      "that get a message past the filter."),
    SCH_FIELD(struct cfg_junk_filter, params, "Params", junk_params_type, 0,
	      "Parameters of the word statistics."),
};
static SCH_STRUCT_TYPE(junk_filter_type, struct cfg_junk_filter, "JunkFilter", junk_filter_fields);
static SCH_PTR_TYPE(junk_filter_ptr, junk_filter_type);

static const struct sch_field account_fields[] = {
    SCH_FIELD(struct cfg_account, outgoing_webhook, "OutgoingWebhook", outgoing_webhook_ptr,
	      SCH_OPTIONAL, "Webhook requests about the delivery of outgoing messages."),
    SCH_FIELD(struct cfg_account, incoming_webhook, "IncomingWebhook", incoming_webhook_ptr,
	      SCH_OPTIONAL, "Webhook requests about messages delivered to the account over SMTP."),
    SCH_FIELD(struct cfg_account, from_id_login_addresses, "FromIDLoginAddresses", sch_string_list,
	      SCH_OPTIONAL,
	      "Login addresses whose outgoing messages get an SMTP MAIL FROM address with a "
	      "unique ID after the domain's catchall separator, which must then be configured. "
	      "Delivery status notifications, e.g. bounces, can then be matched to the message "
	      "and recipient they are about. Any address of the account is a login, also with "
	      "a separator and a suffix, so one can send with or without unique IDs by logging "
	      "in with a listed or an unlisted address. Webmail and the webapi generate the "
	      "ID; submission uses the one in MAIL FROM when there is one and generates one "
	      "otherwise."),
    SCH_FIELD(struct cfg_account, keep_retired_message_period, "KeepRetiredMessagePeriod",
	      sch_duration, SCH_OPTIONAL,
	      "How long messages that left the queue (delivered or failed) are kept, e.g. 168h. "
	      "They keep the suppression list for transactional mail working, let incoming "
	      "delivery status notifications be matched to sent messages, and help debugging. "
	      "The time of removal is set when a message leaves the queue."),
    SCH_FIELD(struct cfg_account, keep_retired_webhook_period, "KeepRetiredWebhookPeriod",
	      sch_duration, SCH_OPTIONAL,
	      "How long webhook requests that left the queue (delivered or failed) are kept, "
	      "e.g. 168h, for debugging. The time of removal is set when a request leaves the "
	      "queue."),
    SCH_FIELD(struct cfg_account, login_disabled, "LoginDisabled", sch_string, SCH_OPTIONAL,
	      "If not empty, every login (SMTP, IMAP, web interfaces) is refused with this "
	      "message, e.g. during a migration. Mail for the account's addresses is still "
	      "accepted as usual."),
    SCH_FIELD(struct cfg_account, domain, "Domain", sch_string, 0,
	      "The account's default domain. Deprecated use: a Destinations key that is only a "
	      "localpart gets this domain added to form an address."),
    SCH_FIELD(struct cfg_account, description, "Description", sch_string, SCH_OPTIONAL,
	      "Free-form text, e.g. the user's name or other contact details."),
    SCH_FIELD(struct cfg_account, full_name, "FullName", sch_string, SCH_OPTIONAL,
	      "Name used in the From header of messages composed in webmail; a destination can "
	      "override it."),
    SCH_FIELD(struct cfg_account, destinations, "Destinations", destination_map, SCH_OPTIONAL,
	      "The account's addresses, as keys with domains in Unicode form, each with how its "
	      "mail is delivered. Each one is also a login for IMAP, SMTP and webmail; an "
	      "account without destinations cannot log in. A key of the form \"@domain\", "
	      "without localpart, is the domain's catchall: it receives the domain's mail for "
	      "addresses configured nowhere else. Deprecated use: a key that is only a "
	      "localpart is combined with Domain."),
    SCH_FIELD(struct cfg_account, subject_pass, "SubjectPass", subjectpass_type, SCH_OPTIONAL,
	      "If set, messages judged somewhat spammy are refused with instructions to send "
	      "them again with a signed token added to the subject, which lets the next attempt "
	      "past the junk filter. Messages with a clear spam signal, such as a bad "
	      "reputation, are refused or delayed without a token."),
    SCH_FIELD(struct cfg_account, quota_message_size, "QuotaMessageSize", sch_int, SCH_OPTIONAL,
	      "Maximum total size in bytes of the account's messages; when not zero, it "
	      "overrides a default from the static file. Negative: no limit, also when there is "
	      "a default. Adding messages beyond the limit fails. Keeps one account from "
	      "filling the disk."),
    SCH_FIELD(struct cfg_account, rejects_mailbox, "RejectsMailbox", sch_string, SCH_OPTIONAL,
	      "Mailbox, e.g. Rejects, that keeps a copy of messages refused as spam for a "
	      "while. The sender was still refused (a legitimate server will try again, a "
	      "spammer hopefully gives up), so this is where to look when expected mail does "
	      "not arrive. Messages are removed from it automatically: do not pick a mailbox "
	      "with mail you want to keep."),
    SCH_FIELD(struct cfg_account, keep_rejects, "KeepRejects", sch_bool, SCH_OPTIONAL,
	      "If set, messages in RejectsMailbox are not removed automatically, e.g. to keep "
	      "them for training the junk filter. They can fill the disk."),
    SCH_FIELD(struct cfg_account, introbox, "Introbox", sch_string, SCH_OPTIONAL,
	      "Mailbox for messages that would go to the Inbox but come from a first-time "
	      "sender without reputation, so mail from known correspondents stays apart from "
	      "mail from strangers. Must differ from Inbox and RejectsMailbox. Moving a message "
	      "from it to the mailbox it was meant for marks it as not junk, so later messages "
	      "from that sender go to their regular mailbox. Let NeutralMailboxRegexp match it, "
	      "so junk flags are handled right."),
    SCH_FIELD(struct cfg_account, automatic_junk_flags, "AutomaticJunkFlags", junk_flags_type,
	      SCH_OPTIONAL,
	      "Sets the $Junk and $NotJunk flags from the mailbox a message is delivered, "
	      "moved or copied to. Few email clients make setting these flags easy, "
	      "especially $NotJunk, but all of them can move messages."),
    SCH_FIELD(struct cfg_account, junk_filter, "JunkFilter", junk_filter_ptr, SCH_OPTIONAL,
	      "Junk filter based on content: the words of messages with a known junk status "
	      "are ranked as spammy or hammy. Keep setting the junk status of messages, and do "
	      "not empty the Trash: its messages are useful training material."),
    SCH_FIELD(struct cfg_account, max_outgoing_messages_per_day, "MaxOutgoingMessagesPerDay",
	      sch_int, SCH_OPTIONAL,
	      "Maximum number of messages the account may send in 24 hours, limiting the harm "
	      "a compromised account does to recipients and to the server's reputation. "
	      "Default 1000."),
    SCH_FIELD(struct cfg_account, max_first_time_recipients_per_day, "MaxFirstTimeRecipientsPerDay",
	      sch_int, SCH_OPTIONAL,
	      "Maximum number of recipients the account may send to for the first time in 24 "
	      "hours, for the same reason. Default 200."),
    SCH_FIELD(struct cfg_account, no_first_time_sender_delay, "NoFirstTimeSenderDelay", sch_bool,
	      SCH_OPTIONAL,
	      "If set, incoming SMTP from a first-time sender is not delayed before the message "
	      "is accepted, e.g. for accounts that answer automatically and should do so at "
	      "once."),
    SCH_FIELD(struct cfg_account, no_custom_password, "NoCustomPassword", sch_bool, SCH_OPTIONAL,
	      "If set, the user cannot choose a password, only have a random one generated, "
	      "which rules out weak passwords and passwords used elsewhere. The administrator "
	      "can still set any password."),
    SCH_FIELD(struct cfg_account, imap_capabilities_disabled, "IMAPCapabilitiesDisabled",
	      sch_string_list, SCH_OPTIONAL,
	      "IMAP capabilities (in upper case) that are turned off for this account after "
	      "login, for email clients with a broken implementation of an extension."),
    SCH_FIELD(struct cfg_account, routes, "Routes", route_list, SCH_OPTIONAL,
	      "Routes for outgoing messages of this account, tried before the domain's and the "
	      "global routes. " ROUTES_DOC_TAIL),
};
static SCH_STRUCT_TYPE(account_type, struct cfg_account, "Account", account_fields);
static SCH_MAP_TYPE(account_map, account_type);

/* ---- Web handlers ---- */

static const struct sch_field web_static_fields[] = {
    SCH_FIELD(struct cfg_web_static, strip_prefix, "StripPrefix", sch_string, SCH_OPTIONAL,
	      "Prefix removed from the request path before it becomes a file path. A request "
	      "whose path does not start with it gets 404 file not found, or, with "
	      "ContinueNotFound, is left to the next handlers."),
    SCH_FIELD(struct cfg_web_static, root, "Root", sch_string, 0,
	      "Directory the files are served from. A relative path is relative to the working "
	      "directory of tern."),
    SCH_FIELD(struct cfg_web_static, list_files, "ListFiles", sch_bool, SCH_OPTIONAL,
	      "If set, a request for a directory without an index.html gets a listing of its "
	      "files; otherwise 403. A directory requested without a trailing slash is "
	      "redirected to the path with one."),
    SCH_FIELD(struct cfg_web_static, continue_not_found, "ContinueNotFound", sch_bool, SCH_OPTIONAL,
	      "If set, a request for a file that does not exist is not answered with 404 but "
	      "left to the next handlers, e.g. a reverse proxy that generates the content (and "
	      "may write a static file for later requests); like \"try_files\" in other web "
	      "servers. With this set, only GET and HEAD requests match."),
    SCH_FIELD(struct cfg_web_static, response_headers, "ResponseHeaders", sch_string_map,
	      SCH_OPTIONAL,
	      "Headers added to responses, e.g. for caching or content types. Known file types "
	      "get a Content-Type unless one is set here; directory listings get none."),
};
static SCH_STRUCT_TYPE(web_static_type, struct cfg_web_static, "WebStatic", web_static_fields);
static SCH_PTR_TYPE(web_static_ptr, web_static_type);

static const struct sch_field web_redirect_fields[] = {
    SCH_FIELD(struct cfg_web_redirect, base_url, "BaseURL", sch_string, SCH_OPTIONAL,
	      "URL to redirect to, without a path: the request's path, or the one made with "
	      "OrigPathRegexp and ReplacePath, is put in. Scheme, host, port and fragment are "
	      "kept, and query strings are merged. Without a scheme, e.g. //newdomain/, the "
	      "request's protocol is kept. Empty: only the path changes, through "
	      "OrigPathRegexp and ReplacePath, which must then be set. A redirect to the same "
	      "scheme, host and path does not match, so the next handler is tried; that lets "
	      "one handler redirect all plain HTTP to HTTPS."),
    SCH_FIELD(struct cfg_web_redirect, orig_path_regexp, "OrigPathRegexp", sch_string, SCH_OPTIONAL,
	      "Regular expression for the request path, which always starts with a slash. If "
	      "set and the path does not match, the response is 404."),
    SCH_FIELD(struct cfg_web_redirect, replace_path, "ReplacePath", sch_string, SCH_OPTIONAL,
	      "Path of the redirect target, made from the match of OrigPathRegexp: $1 stands "
	      "for the text of the first parenthesized group, and so on. When both "
	      "OrigPathRegexp and ReplacePath are empty, BaseURL must be set and all paths are "
	      "kept as they are."),
    SCH_FIELD(struct cfg_web_redirect, status_code, "StatusCode", sch_int, SCH_OPTIONAL,
	      "HTTP status of the redirect, e.g. 307. Default: 308, a permanent redirect."),
};
static SCH_STRUCT_TYPE(web_redirect_type, struct cfg_web_redirect, "WebRedirect",
		       web_redirect_fields);
static SCH_PTR_TYPE(web_redirect_ptr, web_redirect_type);

static const struct sch_field web_forward_fields[] = {
    SCH_FIELD(struct cfg_web_forward, strip_path, "StripPath", sch_bool, SCH_OPTIONAL,
	      "If set, the part of the path that PathRegexp matched is removed before the "
	      "request is forwarded."),
    SCH_FIELD(struct cfg_web_forward, url, "URL", sch_string, 0,
	      "URL requests are forwarded to, e.g. http://127.0.0.1:8123/base. Without "
	      "StripPath, the whole request path is appended to it. The Host header is passed "
	      "on unchanged, and new X-Forwarded-For, X-Forwarded-Host and X-Forwarded-Proto "
	      "headers are set. A query string in this URL is ignored. Proxies named in the "
	      "HTTP_PROXY and HTTPS_PROXY environment variables are used. WebSocket "
	      "connections are forwarded, copying data without looking at the framing; the "
	      "handshake's version and key/accept headers are checked, other WebSocket headers "
	      "(such as origin, protocol, extensions) are for the backend to check."),
    SCH_FIELD(struct cfg_web_forward, response_headers, "ResponseHeaders", sch_string_map,
	      SCH_OPTIONAL, "Headers added to responses, e.g. for security or caching."),
};
static SCH_STRUCT_TYPE(web_forward_type, struct cfg_web_forward, "WebForward", web_forward_fields);
static SCH_PTR_TYPE(web_forward_ptr, web_forward_type);

static const struct sch_field web_internal_fields[] = {
    SCH_FIELD(struct cfg_web_internal, base_path, "BasePath", sch_string, 0,
	      "Path the service is served under, starting and ending with a slash, e.g. "
	      "/webmail/."),
    SCH_FIELD(struct cfg_web_internal, service, "Service", sch_string, 0,
	      "The service: admin, account, webmail or webapi."),
};
static SCH_STRUCT_TYPE(web_internal_type, struct cfg_web_internal, "WebInternal",
		       web_internal_fields);
static SCH_PTR_TYPE(web_internal_ptr, web_internal_type);

static const struct sch_field webhandler_fields[] = {
    SCH_FIELD(struct cfg_webhandler, log_name, "LogName", sch_string, SCH_OPTIONAL,
	      "Name of the handler in logs and metrics."),
    SCH_FIELD(struct cfg_webhandler, domain, "Domain", sch_string, 0,
	      "Domain of the requests this handler takes; both Domain and PathRegexp must "
	      "match. Exactly one of WebStatic, WebRedirect, WebForward and WebInternal must be "
	      "set."),
    SCH_FIELD(struct cfg_webhandler, path_regexp, "PathRegexp", sch_string, 0,
	      "Regular expression the request path must match. It must start with ^, so it "
	      "matches from the start of the path; it need not end with $. WebForward can "
	      "strip the matched part."),
    SCH_FIELD(struct cfg_webhandler, dont_redirect_plain_http, "DontRedirectPlainHTTP", sch_bool,
	      SCH_OPTIONAL,
	      "If set, plain HTTP requests are handled as they are, instead of being "
	      "redirected to HTTPS with a permanent redirect (308). Set it when there is no "
	      "HTTPS web server."),
    SCH_FIELD(struct cfg_webhandler, compress, "Compress", sch_bool, SCH_OPTIONAL,
	      "Compress responses (with gzip for now) when the client accepts it, the status "
	      "is 200 OK, the response has no Content-Encoding yet and its Content-Type looks "
	      "compressible (text/..., some application/... types, .../...+json and "
	      ".../...+xml). For static files, compressed copies are cached."),
    SCH_FIELD(struct cfg_webhandler, web_static, "WebStatic", web_static_ptr, SCH_OPTIONAL,
	      "Serve files from a directory."),
    SCH_FIELD(struct cfg_webhandler, web_redirect, "WebRedirect", web_redirect_ptr, SCH_OPTIONAL,
	      "Redirect requests to another URL."),
    SCH_FIELD(struct cfg_webhandler, web_forward, "WebForward", web_forward_ptr, SCH_OPTIONAL,
	      "Forward requests to another web server, as a reverse proxy."),
    SCH_FIELD(struct cfg_webhandler, web_internal, "WebInternal", web_internal_ptr, SCH_OPTIONAL,
	      "Hand requests to one of tern's own services, e.g. webmail."),
};
static SCH_STRUCT_TYPE(webhandler_type, struct cfg_webhandler, "WebHandler", webhandler_fields);
static SCH_LIST_TYPE(webhandler_list, webhandler_type);

/* ---- The file ---- */

static const struct sch_field dynamic_fields[] = {
    SCH_FIELD(struct cfg_dynamic, domains, "Domains", domain_map, 0,
	      "Domains this server accepts email for. Internationalized domains are written in "
	      "their Unicode form."),
    SCH_FIELD(struct cfg_dynamic, accounts, "Accounts", account_map, 0,
	      "Accounts of the users of this server: each has a password, its own directory "
	      "with messages and index, and one or more addresses, possibly in different "
	      "domains, that mail is delivered for. An account name is not an email "
	      "address."),
    SCH_FIELD(struct cfg_dynamic, web_domain_redirects, "WebDomainRedirects", sch_string_map,
	      SCH_OPTIONAL,
	      "Web requests for a domain (the key) are redirected to another domain (the "
	      "value), always to HTTPS. For plain HTTP redirects, use a WebHandler with "
	      "WebRedirect."),
    SCH_FIELD(struct cfg_dynamic, web_handlers, "WebHandlers", webhandler_list, SCH_OPTIONAL,
	      "How the web server handles requests: serve static files, redirect, forward to "
	      "another web server (reverse proxy), or pass the request to one of tern's own "
	      "services. The first handler that matches takes the request. Built-in handlers "
	      "for ACME validation, autoconfig and MTA-STS always come first; the built-in "
	      "admin, account, webmail and webapi handlers come after all WebHandlers, so these "
	      "can take over their paths for some domains. A request that no handler matches "
	      "gets 404 file not found. For features the web server lacks, forward requests to "
	      "an application that has them."),
    SCH_FIELD(struct cfg_dynamic, routes, "Routes", route_list, SCH_OPTIONAL,
	      "Routes for all outgoing messages, tried after the account's and the domain's "
	      "routes. " ROUTES_DOC_TAIL),
    SCH_FIELD(struct cfg_dynamic, monitor_dnsbls, "MonitorDNSBLs", sch_string_list, SCH_OPTIONAL,
	      "DNS blocklists that the IP addresses this server sends from are checked in now "
	      "and then, without using them to judge incoming mail. DNSBLs on SMTP listeners in "
	      "the static file are used for both. Examples: sbl.spamhaus.org, "
	      "bl.spamcop.net."),
};
SCH_STRUCT_TYPE(cfg_dynamic_type, struct cfg_dynamic, "Dynamic", dynamic_fields);
