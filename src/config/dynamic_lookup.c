/*
 * Lookups in a checked domains.conf model: the hash indexes the check builds,
 * and the address rules mox applies when mail arrives or a user logs in
 * (mox-/lookup.go is the behaviour matched here).
 */
#include "config/dynamic.h"

#include "base/address.h"

#include <stdint.h>
#include <string.h>

struct index_slot {
	uint64_t hash;
	const char *k1;
	const char *k2; /* NULL for one-string keys */
	bool flag;
	void *value; /* NULL: empty slot */
};

struct cfg_dynamic_index {
	struct arena *a;
	struct index_slot *slots;
	size_t cap; /* a power of two, kept at least twice n */
	size_t n;
};

/* FNV-1a over both strings, with a byte between them that no key contains. */
static uint64_t key_hash(const char *k1, const char *k2, bool flag)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	const uint64_t prime = UINT64_C(0x100000001b3);
	for (const char *p = k1; *p; p++)
		h = (h ^ (unsigned char)*p) * prime;
	h = (h ^ 0xff) * prime;
	for (const char *p = k2 ? k2 : ""; *p; p++)
		h = (h ^ (unsigned char)*p) * prime;
	h = (h ^ (flag ? 1u : 2u)) * prime;
	return h;
}

static bool key_eq(const struct index_slot *s, uint64_t h, const char *k1, const char *k2,
		   bool flag)
{
	return s->hash == h && s->flag == flag && strcmp(s->k1, k1) == 0 &&
	       strcmp(s->k2 ? s->k2 : "", k2 ? k2 : "") == 0;
}

struct cfg_dynamic_index *cfg_dynamic_index_new(struct arena *a, size_t expected)
{
	struct cfg_dynamic_index *ix = arena_zalloc(a, sizeof *ix);
	ix->a = a;
	ix->cap = 16;
	while (ix->cap < 2 * expected)
		ix->cap *= 2;
	ix->slots = arena_array(a, ix->cap, sizeof *ix->slots);
	memset(ix->slots, 0, ix->cap * sizeof *ix->slots);
	return ix;
}

/* The slot holding the key, or the empty slot where it would go. */
static struct index_slot *find_slot(const struct cfg_dynamic_index *ix, uint64_t h, const char *k1,
				    const char *k2, bool flag)
{
	size_t i = (size_t)h & (ix->cap - 1);
	while (ix->slots[i].value && !key_eq(&ix->slots[i], h, k1, k2, flag))
		i = (i + 1) & (ix->cap - 1);
	return &ix->slots[i];
}

static void grow(struct cfg_dynamic_index *ix)
{
	struct index_slot *old = ix->slots;
	size_t oldcap = ix->cap;
	ix->cap *= 2;
	ix->slots = arena_array(ix->a, ix->cap, sizeof *ix->slots);
	memset(ix->slots, 0, ix->cap * sizeof *ix->slots);
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].value)
			*find_slot(ix, old[i].hash, old[i].k1, old[i].k2, old[i].flag) = old[i];
}

void *cfg_dynamic_index_add(struct cfg_dynamic_index *ix, const char *k1, const char *k2, bool flag,
			    void *value)
{
	if (2 * (ix->n + 1) > ix->cap)
		grow(ix);
	uint64_t h = key_hash(k1, k2, flag);
	struct index_slot *s = find_slot(ix, h, k1, k2, flag);
	if (s->value)
		return s->value;
	*s = (struct index_slot){h, k1, k2, flag, value};
	ix->n++;
	return NULL;
}

void cfg_dynamic_index_set(struct cfg_dynamic_index *ix, const char *k1, const char *k2, bool flag,
			   void *value)
{
	if (cfg_dynamic_index_add(ix, k1, k2, flag, value))
		find_slot(ix, key_hash(k1, k2, flag), k1, k2, flag)->value = value;
}

void *cfg_dynamic_index_get(const struct cfg_dynamic_index *ix, const char *k1, const char *k2,
			    bool flag)
{
	if (!ix || !k1)
		return NULL;
	return find_slot(ix, key_hash(k1, k2, flag), k1, k2, flag)->value;
}

struct cfg_domain *cfg_domain_find(const struct cfg_dynamic *d, const char *ascii_domain)
{
	return cfg_dynamic_index_get(d->domain_index, ascii_domain, NULL, false);
}

struct cfg_account *cfg_account_find(const struct cfg_dynamic *d, const char *name)
{
	return cfg_dynamic_index_get(d->account_index, name, NULL, false);
}

static struct localpart_rules rules_of(const struct cfg_domain *dom, bool with_separators)
{
	return (struct localpart_rules){
	    .separators = with_separators ? dom->separators : NULL,
	    .nseparators = with_separators ? dom->nseparators : 0,
	    .case_sensitive = dom->localpart_case_sensitive,
	};
}

/*
 * A DMARC or TLS reporting localpart may contain a catchall separator (older
 * configurations had them), so it must match before separators are cut: the
 * folded localpart is the reporting one, alone or followed by a separator.
 */
static bool is_reporting_localpart(const struct cfg_domain *dom, const char *folded,
				   const char *report)
{
	if (!report)
		return false;
	size_t n = strlen(report);
	if (strncmp(folded, report, n) != 0)
		return false;
	if (folded[n] == '\0')
		return true;
	for (size_t i = 0; i < dom->nseparators; i++)
		if (strncmp(folded + n, dom->separators[i], strlen(dom->separators[i])) == 0)
			return true;
	return false;
}

bool cfg_dynamic_canonical_localpart(const struct cfg_domain *dom, const char *localpart,
				     struct buf *out, struct error *err)
{
	struct localpart_rules fold_only = rules_of(dom, false);
	struct buf folded = BUF_INIT;
	if (!address_localpart_canonical(localpart, &fold_only, &folded, err)) {
		buf_free(&folded);
		return false;
	}
	const char *report = NULL;
	if (dom->dmarc &&
	    is_reporting_localpart(dom, buf_cstr(&folded), dom->dmarc->parsed_localpart))
		report = dom->dmarc->parsed_localpart;
	else if (dom->tlsrpt &&
		 is_reporting_localpart(dom, buf_cstr(&folded), dom->tlsrpt->parsed_localpart))
		report = dom->tlsrpt->parsed_localpart;
	buf_free(&folded);
	if (report) {
		buf_puts(out, report);
		return true;
	}
	struct localpart_rules rules = rules_of(dom, true);
	return address_localpart_canonical(localpart, &rules, out, err);
}

static const struct cfg_dynamic_addr *find_addr(const struct cfg_dynamic *d, const char *domain,
						const char *localpart, bool catchall)
{
	return cfg_dynamic_index_get(d->address_index, domain, localpart, catchall);
}

/*
 * A reporting address whose localpart contains a catchall separator, matched
 * as a whole. mox only matches those through the reporting settings of the
 * same domain (cfg_dynamic_canonical_localpart); one set up through another
 * domain's DMARC or TLSRPT Domain field would be unreachable there.
 */
static const struct cfg_dynamic_addr *
find_reporting(const struct cfg_dynamic *d, const struct cfg_domain *dom, const char *localpart)
{
	if (dom->nseparators == 0)
		return NULL;
	struct localpart_rules fold_only = rules_of(dom, false);
	struct buf folded = BUF_INIT;
	const struct cfg_dynamic_addr *e = NULL;
	if (address_localpart_canonical(localpart, &fold_only, &folded, NULL))
		e = find_addr(d, dom->name.ascii, buf_cstr(&folded), false);
	buf_free(&folded);
	if (e && e->dest && (e->dest->dmarc_reports || e->dest->tlsrpt_reports))
		return e;
	return NULL;
}

static enum cfg_lookup_status found_addr(const struct cfg_dynamic_addr *e,
					 struct cfg_dynamic_match *m)
{
	m->account = e->account;
	m->account_name = e->account->name;
	m->dest = e->dest;
	m->catchall = e->catchall;
	return CFG_LOOKUP_ACCOUNT;
}

static enum cfg_lookup_status postmaster(const struct cfg_dynamic *d, struct cfg_dynamic_match *m)
{
	m->account = cfg_account_find(d, d->postmaster_account);
	m->account_name = d->postmaster_account;
	m->mailbox = d->postmaster_mailbox;
	return CFG_LOOKUP_POSTMASTER;
}

/* mox's LookupAddress; the localpart is decoded and NFC already. */
static enum cfg_lookup_status lookup(const struct cfg_dynamic *d, const char *localpart,
				     const char *ascii_domain, unsigned flags,
				     struct cfg_dynamic_match *m)
{
	memset(m, 0, sizeof *m);
	if (!d->checked)
		return CFG_LOOKUP_NO_DOMAIN;
	bool allow_postmaster = (flags & CFG_LOOKUP_ALLOW_POSTMASTER) && d->postmaster_account[0];
	bool is_postmaster = address_localpart_is_postmaster(localpart);
	if (!ascii_domain)
		ascii_domain = "";

	/* RFC 5321 4.5.1: postmaster without domain, or at the host itself. */
	if (is_postmaster && (!ascii_domain[0] || strcmp(ascii_domain, d->hostname) == 0))
		return allow_postmaster ? postmaster(d, m) : CFG_LOOKUP_NO_ADDRESS;

	/* The host's own TLS reporting address (static file), matched exactly. */
	if (strcmp(ascii_domain, d->hostname) == 0) {
		const struct cfg_dynamic_addr *e = find_addr(d, ascii_domain, localpart, false);
		if (e && e->dest && e->dest->host_tlsrpt_reports)
			return found_addr(e, m);
	}

	const struct cfg_domain *dom = cfg_domain_find(d, ascii_domain);
	/* A domain that only receives reports for another is not local: mail for it
	 * must go to its real MX. */
	if (!dom || dom->reports_only)
		return CFG_LOOKUP_NO_DOMAIN;
	if (dom->disabled && (flags & CFG_LOOKUP_CHECK_DISABLED))
		return CFG_LOOKUP_DOMAIN_DISABLED;

	const struct cfg_dynamic_addr *e = find_reporting(d, dom, localpart);
	if (e)
		return found_addr(e, m);
	struct buf canon = BUF_INIT;
	if (!cfg_dynamic_canonical_localpart(dom, localpart, &canon, NULL)) {
		buf_free(&canon);
		return CFG_LOOKUP_NO_ADDRESS;
	}
	e = find_addr(d, ascii_domain, buf_cstr(&canon), false);
	buf_free(&canon);
	if (e && e->alias) {
		if (!(flags & CFG_LOOKUP_ALLOW_ALIAS))
			return CFG_LOOKUP_NO_ADDRESS;
		m->alias = e->alias;
		return CFG_LOOKUP_ALIAS;
	}
	if (e)
		return found_addr(e, m);
	e = find_addr(d, ascii_domain, "", true);
	if (e)
		return found_addr(e, m);
	/* A domain without its own postmaster address still has one (RFC 5321 4.5.1). */
	if (is_postmaster && allow_postmaster)
		return postmaster(d, m);
	return CFG_LOOKUP_NO_ADDRESS;
}

enum cfg_lookup_status cfg_lookup_recipient(const struct cfg_dynamic *d, const char *localpart,
					    const char *ascii_domain, unsigned flags,
					    struct cfg_dynamic_match *m)
{
	/* Callers may pass a localpart that did not come from address.h: normalise it. */
	char nfc[ADDRESS_LOCALPART_MAX + 1];
	struct buf quoted = BUF_INIT;
	address_localpart_format(&quoted, localpart);
	bool ok = address_localpart_parse(str_make(quoted.data ? quoted.data : "", quoted.len),
					  ADDRESS_ALLOW_CATCHALL, nfc, NULL);
	buf_free(&quoted);
	if (!ok) {
		memset(m, 0, sizeof *m);
		return CFG_LOOKUP_NO_ADDRESS;
	}
	return lookup(d, nfc, ascii_domain, flags, m);
}

enum cfg_login_status cfg_lookup_login(const struct cfg_dynamic *d, const char *address,
				       struct cfg_dynamic_match *m)
{
	memset(m, 0, sizeof *m);
	struct address addr;
	if (!address_parse_cstr(address, 0, &addr, NULL))
		return CFG_LOGIN_NO_ADDRESS;
	/* As mox opens an account by address: no postmaster, aliases flagged, and
	 * disabled domains do not matter (their accounts may still log in). */
	switch (lookup(d, addr.localpart, addr.domain.ascii, CFG_LOOKUP_ALLOW_ALIAS, m)) {
	case CFG_LOOKUP_ACCOUNT: return CFG_LOGIN_ACCOUNT;
	case CFG_LOOKUP_ALIAS: return CFG_LOGIN_ALIAS;
	default: return CFG_LOGIN_NO_ADDRESS;
	}
}
