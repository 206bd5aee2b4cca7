/*
 * DNS commands: "tern dns lookup TYPE NAME" prints records as mox's
 * "mox dns lookup" does, through the production resolver (dns/unbound.h:
 * resolv.conf's servers, DNSSEC validated by tern), always saying whether the
 * answer was DNSSEC-protected. "tern dnsbl check ZONE IP" and "tern dnsbl
 * checkhealth ZONE" ask a DNS block list (msgauth/dnsbl.h) as mox's do.
 */
#include "cmd/cmd.h"

#include "base/arena.h"
#include "base/buf.h"
#include "base/mem.h"
#include "dns/unbound.h"
#include "msgauth/dnsbl.h"

#include <stdio.h>
#include <string.h>

/* As mox prints it. */
static const char *dnssec_status(bool authenticated)
{
	return authenticated ? "with dnssec" : "without dnssec";
}

/* The production resolver; NULL after printing why it cannot be made. */
static struct dns_resolver *resolver_or_fail(void)
{
	struct error err = {0};
	struct dns_resolver *res = dns_unbound_new(NULL, &err);
	if (res == NULL)
		cmd_fail("%s", err.msg);
	return res;
}

/* Why a lookup found nothing, in words. */
static const char *status_text(const struct dns_result *r)
{
	switch (r->status) {
	case DNS_OK: return "ok";
	case DNS_NODATA: return "no record of this type (nodata)";
	case DNS_NXDOMAIN: return "name does not exist (nxdomain)";
	case DNS_TEMPFAIL: return "temporary failure (tempfail)";
	case DNS_BOGUS: return "DNSSEC validation failed (bogus)";
	case DNS_BADNAME: return "invalid name (badname)";
	}
	return "unknown";
}

static int lookup_failed(const struct dns_result *r)
{
	fprintf(stderr, "tern: dns lookup: %s %s: %s%s%s (%s)\n", r->name, dns_type_name(r->type),
		status_text(r), r->why[0] ? ": " : "", r->why, dnssec_status(r->authenticated));
	return 1;
}

/* TXT data may hold any byte: controls are shown as \DDD so output stays lines. */
static void print_txt(const struct dns_txt *t)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < t->len; i++) {
		unsigned char c = (unsigned char)t->data[i];
		if (c < 0x20 || c == 0x7f)
			buf_printf(&b, "\\%03u", c);
		else
			buf_putc(&b, (char)c);
	}
	printf("- %s\n", buf_cstr(&b));
	buf_free(&b);
}

/* Names print as mox prints Go's absolute names: with the trailing dot. */
static const char *absolute(const char *name)
{
	static char out[DNS_TEXT_NAME_MAX + 1];
	if (strcmp(name, ".") == 0)
		return ".";
	snprintf(out, sizeof out, "%s.", name);
	return out;
}

static const char *tlsa_usage(uint8_t v)
{
	static const char *const names[] = {"PKIX-TA", "PKIX-EE", "DANE-TA", "DANE-EE"};
	return v < ARRAY_LEN(names) ? names[v] : "?";
}
static const char *tlsa_selector(uint8_t v)
{
	static const char *const names[] = {"Cert", "SPKI"};
	return v < ARRAY_LEN(names) ? names[v] : "?";
}
static const char *tlsa_matching(uint8_t v)
{
	static const char *const names[] = {"Full", "SHA2-256", "SHA2-512"};
	return v < ARRAY_LEN(names) ? names[v] : "?";
}

static void print_record(const struct dns_record *rec)
{
	char ip[IP_TEXT_MAX];
	switch (rec->type) {
	case DNS_TYPE_A:
	case DNS_TYPE_AAAA: printf("- %s\n", ip_format(&rec->ip, ip, sizeof ip)); break;
	case DNS_TYPE_NS:
	case DNS_TYPE_PTR:
	case DNS_TYPE_CNAME: printf("- %s\n", absolute(rec->name)); break;
	case DNS_TYPE_MX:
		printf("- %s, preference %u\n", absolute(rec->mx.host), rec->mx.preference);
		break;
	case DNS_TYPE_TXT: print_txt(&rec->txt); break;
	case DNS_TYPE_SRV:
		printf("- host %s, port %u, priority %u, weight %u\n", absolute(rec->srv.target),
		       rec->srv.port, rec->srv.priority, rec->srv.weight);
		break;
	case DNS_TYPE_TLSA: {
		const struct dns_tlsa *t = &rec->tlsa;
		printf("- usage \"%s\" (%u), selector \"%s\" (%u), matchtype \"%s\" (%u), "
		       "certificate association data ",
		       tlsa_usage(t->usage), t->usage, tlsa_selector(t->selector), t->selector,
		       tlsa_matching(t->matching_type), t->matching_type);
		for (size_t i = 0; i < t->len; i++)
			printf("%02x", t->data[i]);
		printf("\n");
		break;
	}
	}
}

/* The heading mox prints before the records of each type. */
static const char *heading(const char *cmd)
{
	static const char *const h[][2] = {
	    {"ptr", "names"},       {"mx", "mx records"},   {"ips", "records"},
	    {"a", "records"},       {"aaaa", "records"},    {"ns", "ns records"},
	    {"txt", "txt records"}, {"srv", "srv records"}, {"tlsa", "tlsa records"},
	};
	for (size_t i = 0; i < ARRAY_LEN(h); i++)
		if (strcmp(h[i][0], cmd) == 0)
			return h[i][1];
	return "records";
}

static enum dns_status lookup(struct dns_resolver *res, const char *cmd, const char *name,
			      struct arena *a, struct dns_result *r)
{
	if (strcmp(cmd, "ptr") == 0) {
		struct ip_addr ip;
		struct error err = {0};
		if (!ip_parse_cstr(name, &ip, &err)) {
			dns_result_fail(r, DNS_BADNAME, name, DNS_TYPE_PTR, a, err.msg);
			return r->status;
		}
		return dns_lookup_ptr(res, &ip, a, r);
	}
	if (strcmp(cmd, "ips") == 0)
		return dns_lookup_ip(res, name, DNS_IP_BOTH, a, r);
	enum dns_type type;
	dns_type_parse(cmd, &type);
	return dns_lookup(res, name, type, a, r);
}

static int run_dns_lookup(const struct cmd_env *env, int argc, char **argv)
{
	(void)env;
	static const char *const cmds[] = {"ptr",  "mx", "cname", "ips", "a",
					   "aaaa", "ns", "txt",   "srv", "tlsa"};
	if (argc != 2) {
		fprintf(stderr, "usage: tern dns lookup [ptr | mx | cname | ips | a | aaaa | ns | "
				"txt | srv | tlsa] $name\n");
		return 2;
	}
	char cmd[8];
	bool known = false;
	for (size_t i = 0; i < ARRAY_LEN(cmds) && !known; i++)
		known = ascii_caseeq(argv[0], cmds[i]);
	if (!known)
		return cmd_fail("unknown record type \"%s\"", argv[0]);
	str_copy(cmd, sizeof cmd, argv[0]);
	ascii_lower_inplace(cmd);

	struct dns_resolver *res = resolver_or_fail();
	if (res == NULL)
		return 1;
	struct arena a;
	arena_init(&a, 16384);
	struct dns_result r;
	int rc = 0;
	enum dns_status st = lookup(res, cmd, argv[1], &a, &r);
	/* mox prints MX records (none) after a failed lookup too. */
	if (st != DNS_OK && strcmp(cmd, "mx") != 0) {
		rc = lookup_failed(&r);
	} else if (strcmp(cmd, "cname") == 0) {
		printf("%s (%s)\n", absolute(r.records[0].name), dnssec_status(r.authenticated));
	} else {
		if (st != DNS_OK)
			rc = lookup_failed(&r);
		printf("%s (%zu, %s):\n", heading(cmd), r.count, dnssec_status(r.authenticated));
		for (size_t i = 0; i < r.count; i++)
			print_record(&r.records[i]);
	}
	arena_free(&a);
	dns_resolver_free(res);
	return rc;
}

/* A string quoted as Go's %q does for printable text: "..." with \" and \\,
 * other bytes below 0x20 or 0x7f as \xNN. */
static void print_quoted(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static int run_dnsbl_check(const struct cmd_env *env, int argc, char **argv)
{
	(void)env;
	if (argc != 2) {
		fprintf(stderr, "usage: tern dnsbl check $zone $ip\n");
		return 2;
	}
	struct error err = {0};
	struct dns_domain zone;
	struct ip_addr ip;
	if (!dns_domain_parse_cstr(argv[0], DNS_LOOKUP_NAME, &zone, &err))
		return cmd_fail("parsing zone: %s", err.msg);
	if (!ip_parse_cstr(argv[1], &ip, &err))
		return cmd_fail("parsing ip: %s", err.msg);
	struct dns_resolver *res = resolver_or_fail();
	if (res == NULL)
		return 1;
	struct arena a;
	arena_init(&a, 4096);
	struct dnsbl_result r;
	dnsbl_lookup(res, zone.ascii, &ip, &a, &r);
	printf("status: %s\n", dnsbl_status_name(r.status));
	if (r.status == DNSBL_FAIL) {
		printf("explanation: ");
		print_quoted(r.explanation);
		printf("\n");
	}
	if (r.status == DNSBL_TEMPERROR)
		printf("error: dnsbl: dns error: %s\n", r.why);
	arena_free(&a);
	dns_resolver_free(res);
	return 0;
}

static int run_dnsbl_checkhealth(const struct cmd_env *env, int argc, char **argv)
{
	(void)env;
	if (argc != 1) {
		fprintf(stderr, "usage: tern dnsbl checkhealth $zone\n");
		return 2;
	}
	struct error err = {0};
	struct dns_domain zone;
	if (!dns_domain_parse_cstr(argv[0], DNS_LOOKUP_NAME, &zone, &err))
		return cmd_fail("parsing zone: %s", err.msg);
	struct dns_resolver *res = resolver_or_fail();
	if (res == NULL)
		return 1;
	struct arena a;
	arena_init(&a, 4096);
	bool healthy = dnsbl_check_health(res, zone.ascii, &a, &err);
	arena_free(&a);
	dns_resolver_free(res);
	if (!healthy)
		return cmd_fail("unhealthy: %s", err.msg);
	printf("healthy\n");
	return 0;
}

const struct command cmd_dns[] = {
    {"dns lookup", "[ptr | mx | cname | ips | a | aaaa | ns | txt | srv | tlsa] $name",
     "Lookup DNS name of given type.\n\nLookup always prints whether the response was "
     "DNSSEC-protected.\n\nThe lookup goes to the name servers of /etc/resolv.conf, and tern "
     "validates DNSSEC itself from the root trust anchor (or the file named by "
     "$TERN_DNS_TRUST_ANCHOR; \"none\" turns validation off). The exit status is 1 when "
     "nothing was found; the message says whether the name does not exist (nxdomain), has "
     "no records of the type (nodata), the lookup failed temporarily (tempfail), or the "
     "answer failed DNSSEC validation (bogus).\n\nExamples:\n\ntern dns lookup ptr "
     "1.1.1.1\ntern dns lookup mx xmox.nl\ntern dns lookup txt _dmarc.xmox.nl.\ntern dns "
     "lookup tlsa _25._tcp.xmox.nl",
     run_dns_lookup},
    {"dnsbl check", "$zone $ip",
     "Test if IP is in the DNS blocklist of the zone, e.g. bl.spamcop.net.\n\nIf the IP is in "
     "the blocklist, an explanation is printed. This is typically a URL with more "
     "information.",
     run_dnsbl_check},
    {"dnsbl checkhealth", "$zone",
     "Check the health of the DNS blocklist represented by zone, e.g. bl.spamcop.net.\n\nThe "
     "health of a DNS blocklist can be checked by querying for 127.0.0.1 and 127.0.0.2. The "
     "second must and the first must not be present.",
     run_dnsbl_checkhealth},
};
const size_t cmd_dns_count = ARRAY_LEN(cmd_dns);
