#include "config/features.h"

#include "base/buf.h"
#include "base/mem.h"

#include <string.h>

/* Field patterns (see sch_walk_set) and the feature they need. A pattern covers its subfields. */
static const struct {
	const char *pattern;
	const char *feature;
} unacted[] = {
    /* tern.conf */
    {"CheckUpdates", "update checks"},
    {"TLS.CA", "outgoing TLS connections"},
    {"ACME", "ACME certificates"},
    {"AdminPasswordFile", "the admin web interface"},
    {"Listeners.*.NATIPs", "DNS self-checks"},
    {"Listeners.*.IPsNATed", "DNS self-checks"},
    {"Listeners.*.TLS.ACME", "ACME certificates"},
    {"Listeners.*.TLS.HostPrivateKeyFiles", "ACME certificates and DANE records"},
    {"Listeners.*.SMTP.DNSBLs", "junk filtering"},
    {"Listeners.*.SMTP.FirstTimeSenderDelay", "junk filtering"},
    {"Listeners.*.IMAP", "the IMAP server"},
    {"Listeners.*.IMAPS", "the IMAP server"},
    {"Listeners.*.AccountHTTP", "the account web interface"},
    {"Listeners.*.AccountHTTPS", "the account web interface"},
    {"Listeners.*.AdminHTTP", "the admin web interface"},
    {"Listeners.*.AdminHTTPS", "the admin web interface"},
    {"Listeners.*.WebmailHTTP", "webmail"},
    {"Listeners.*.WebmailHTTPS", "webmail"},
    {"Listeners.*.WebAPIHTTP", "the web API"},
    {"Listeners.*.WebAPIHTTPS", "the web API"},
    {"Listeners.*.MetricsHTTP", "metrics"},
    {"Listeners.*.PprofHTTP", "profiling"},
    {"Listeners.*.AutoconfigHTTPS", "autoconfiguration"},
    {"Listeners.*.MTASTSHTTPS", "MTA-STS policies"},
    {"Listeners.*.WebserverHTTP", "the web server"},
    {"Listeners.*.WebserverHTTPS", "the web server"},
    {"HostTLSRPT", "TLS reporting"},
    {"InitialMailboxes", "the message store"},
    {"DefaultMailboxes", "the message store"},
    {"Transports", "the outgoing queue"},
    {"NoOutgoingDMARCReports", "DMARC reports"},
    {"NoOutgoingTLSReports", "TLS reports"},
    {"OutgoingTLSReportsForAllSuccess", "TLS reports"},
    {"QuotaMessageSize", "the message store"},
    /* domains.conf */
    {"Domains.*.ClientSettingsDomain", "client configuration"},
    {"Domains.*.DKIM", "DKIM signing"},
    {"Domains.*.DMARC", "DMARC reports"},
    {"Domains.*.MTASTS", "MTA-STS policies"},
    {"Domains.*.TLSRPT", "TLS reporting"},
    {"Domains.*.Routes", "the outgoing queue"},
    {"Accounts.*.OutgoingWebhook", "webhooks"},
    {"Accounts.*.IncomingWebhook", "webhooks"},
    {"Accounts.*.FromIDLoginAddresses", "the outgoing queue"},
    {"Accounts.*.KeepRetiredMessagePeriod", "the outgoing queue"},
    {"Accounts.*.KeepRetiredWebhookPeriod", "webhooks"},
    {"Accounts.*.Destinations.*.Rulesets[].VerifiedDomain", "SPF/DKIM verification"},
    {"Accounts.*.Destinations.*.Rulesets[].IsForward", "junk filtering"},
    {"Accounts.*.Destinations.*.Rulesets[].ListAllowDomain", "SPF/DKIM verification"},
    {"Accounts.*.Destinations.*.Rulesets[].AcceptRejectsToMailbox", "junk filtering"},
    {"Accounts.*.Destinations.*.MessageAuthRequiredSMTPError", "SPF/DKIM/DMARC verification"},
    {"Accounts.*.SubjectPass", "junk filtering"},
    {"Accounts.*.QuotaMessageSize", "the message store"},
    {"Accounts.*.RejectsMailbox", "junk filtering"},
    {"Accounts.*.KeepRejects", "junk filtering"},
    {"Accounts.*.Introbox", "junk filtering"},
    {"Accounts.*.AutomaticJunkFlags", "junk filtering"},
    {"Accounts.*.JunkFilter", "junk filtering"},
    {"Accounts.*.NoFirstTimeSenderDelay", "junk filtering"},
    {"Accounts.*.NoCustomPassword", "the account web interface"},
    {"Accounts.*.IMAPCapabilitiesDisabled", "the IMAP server"},
    {"Accounts.*.Routes", "the outgoing queue"},
    {"WebDomainRedirects", "the web server"},
    {"WebHandlers", "the web server"},
    {"Routes", "the outgoing queue"},
    {"MonitorDNSBLs", "DNSBL monitoring"},
};

struct state {
	features_fn fn;
	void *arg;
	struct buf reported; /* path of the last reported field: its subfields are covered */
};

/* True when pattern equals prefix or continues it with "." or "[". */
static bool covers(const char *prefix, const char *pattern)
{
	size_t n = strlen(prefix);
	return strncmp(prefix, pattern, n) == 0 &&
	       (pattern[n] == '\0' || pattern[n] == '.' || pattern[n] == '[');
}

static void visit(void *arg, const char *path, const char *pattern, const struct sch_field *f)
{
	(void)f;
	struct state *st = arg;
	if (st->reported.len && covers(buf_cstr(&st->reported), path))
		return;
	for (size_t i = 0; i < ARRAY_LEN(unacted); i++) {
		if (strcmp(unacted[i].pattern, pattern) == 0) {
			buf_reset(&st->reported);
			buf_puts(&st->reported, path);
			st->fn(st->arg, path, unacted[i].feature);
			return;
		}
	}
}

void features_unacted(const struct sch_type *t, const void *v, features_fn fn, void *arg)
{
	struct state st = {fn, arg, BUF_INIT};
	sch_walk_set(t, v, visit, &st);
	buf_free(&st.reported);
}
