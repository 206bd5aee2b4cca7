/*
 * Validation of domains.conf as mox validates it (mox-/config.go,
 * prepareDynamicConfig), filling in the derived fields of config/dynamic.h and
 * the lookup indexes. The first problem ends the check; problems are reported
 * at the line of the value they are about.
 *
 * The order of the checks: domain names, account names, the static file's
 * accounts, global routes, each domain, each account with its destinations,
 * FromIDLoginAddresses, reporting addresses, aliases, then the web server and
 * DNSBL settings. Where tern is stricter than mox, a comment says so and why.
 */
#include "config/dynamic.h"

#include "base/address.h"
#include "base/file.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "msgauth/dkim_key.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Bounds on what the check builds. Longer expressions are surely mistakes; regcomp's
 * cost grows with length. */
#define REGEXP_MAX 4096
/* Go's RE2 refuses counted repetition above 1000, also nested ones multiplied;
 * the same bound keeps regcomp's automaton small. */
#define REGEXP_REPEAT_MAX 1000
/* regcomp builds a node per character and copies repeated parts (x{3} is xxx,
 * x+ is xx*), so nested repetition grows its memory exponentially; this
 * bounds the expanded size, and the nesting of groups. */
#define REGEXP_EXPANDED_MAX 20000
#define REGEXP_DEPTH_MAX    64
/* RFC 8461 3.2: max_age is at most 31557600 seconds. */
#define MTASTS_MAX_AGE_SECONDS INT64_C(31557600)
/* RFC 8461 3.1: id = 1*32(ALPHA / DIGIT). */
#define MTASTS_POLICY_ID_MAX 32

enum owned_kind {
	OWNED_REGEX,
	OWNED_PKEY,
};

struct cfg_dynamic_owned {
	struct cfg_dynamic_owned *next;
	enum owned_kind kind;
	void *p;
};

struct checker {
	struct cfg_check *c;
	struct cfg_dynamic *d;
	struct arena *a;
};

static void own(struct checker *k, enum owned_kind kind, void *p)
{
	struct cfg_dynamic_owned *o = arena_alloc(k->a, sizeof *o);
	*o = (struct cfg_dynamic_owned){k->d->owned, kind, p};
	k->d->owned = o;
}

void cfg_dynamic_release(struct cfg_dynamic *d)
{
	for (struct cfg_dynamic_owned *o = d->owned; o; o = o->next) {
		if (o->kind == OWNED_REGEX)
			regfree(o->p);
		else
			EVP_PKEY_free(o->p);
	}
	d->owned = NULL;
}

/* The value to report a problem at: the field when it was in the file, else its container. */
static const void *where(struct checker *k, const void *field, const void *container)
{
	return sch_lines_get(k->c->lines, field) > 0 ? field : container;
}

/* ---- Small syntax checks ---- */

static bool parse_domain(struct checker *k, const void *at, const char *what, const char *s,
			 struct dns_domain *out)
{
	struct error err = {0};
	if (!dns_domain_parse_cstr(s, 0, out, &err))
		return cfg_fail(k->c, at, "%s: invalid domain \"%s\": %s", what, s, err.msg);
	return true;
}

/* mox keeps names in its maps in Unicode form, so keys must be written that way. */
static bool parse_domain_key(struct checker *k, const void *at, const char *what, const char *s,
			     struct dns_domain *out)
{
	if (!parse_domain(k, at, what, s, out))
		return false;
	if (strcmp(out->unicode, s) != 0)
		return cfg_fail(k->c, at, "%s: must be written in its Unicode form, \"%s\"", what,
				out->unicode);
	return true;
}

/* Mailbox names are compared in NFC, as IMAP (RFC 9051 5.1) and mox do. */
static bool check_mailbox(struct checker *k, const void *at, const char *what, const char *name)
{
	utf8proc_uint8_t *nfc = NULL;
	utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)name, 0, &nfc,
					  UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	if (n < 0)
		return cfg_fail(k->c, at, "%s: mailbox name is not valid UTF-8", what);
	bool same = strcmp((const char *)nfc, name) == 0;
	if (!same)
		cfg_fail(k->c, at,
			 "%s: mailbox \"%s\" is not in Unicode NFC form, write it as \"%s\"", what,
			 name, (const char *)nfc);
	free(nfc);
	return same;
}

static bool check_mailbox_nonempty(struct checker *k, const void *at, const char *what,
				   const char *name)
{
	if (!name[0])
		return cfg_fail(k->c, at, "%s: mailbox is empty", what);
	return check_mailbox(k, at, what, name);
}

/* Text that ends up in SMTP/IMAP replies: printable ASCII, bounded (as mox requires). */
static bool check_reply_text(struct checker *k, const void *at, const char *what, const char *s)
{
	if (strlen(s) > CFG_REPLY_TEXT_MAX)
		return cfg_fail(k->c, at, "%s is longer than %d bytes", what, CFG_REPLY_TEXT_MAX);
	for (const char *p = s; *p; p++)
		if (*p < ' ' || *p >= 0x7f)
			return cfg_fail(k->c, at,
					"%s must be printable ASCII, without control characters",
					what);
	return true;
}

/* ---- Regular expressions ---- */

/*
 * mox's configs hold Go (RE2) regular expressions; tern compiles them with
 * POSIX regcomp(REG_EXTENDED) for now. The common subset (literals, ., [], ^,
 * $, |, groups, * + ? {m,n}, \. and other escaped punctuation, \w \s \b) means
 * the same in both. What differs, and is refused here rather than silently
 * matching something else: \d \D \p \P \A \z \Q \E \C (POSIX reads \d as "d"),
 * (?i) and other (? groups and flags, non-greedy repetition (*? and friends,
 * which POSIX reads as optional repetition), backreferences (RE2 has none;
 * they make matching exponential), and backslashes inside [...] (an escape in
 * RE2, a literal backslash in POSIX). Refused as in RE2: a repetition of a
 * repetition (a**, a+{2}) and counts above 1000, also nested ones multiplied.
 * Refused for regcomp's sake: expressions whose repetitions expand beyond
 * REGEXP_EXPANDED_MAX nodes, which RE2 would compile in linear size but regcomp
 * copies. Also: RE2 matches UTF-8 characters where
 * regcomp in the C locale matches bytes, so "." is one byte of a multi-byte
 * character; and RE2 picks the leftmost-first alternative, POSIX the longest,
 * which only changes submatches (ReplacePath's $1), not whether a text matches.
 */
/* One open group while scanning an expression. */
struct re_frame {
	long size;    /* nodes regcomp will build for the group, repetitions expanded */
	long product; /* largest product of nested counted repetitions inside (RE2's rule) */
};

/* Parses the count of "{m}", "{m,}" or "{m,n}" at p; false when it is not one (a literal "{"). */
static bool re_count(const char *p, long *count, const char **end)
{
	char *e;
	if (!ascii_isdigit(p[1]))
		return false;
	long lo = strtol(p + 1, &e, 10), hi = lo;
	if (*e == ',') {
		const char *h = e + 1;
		hi = ascii_isdigit(*h) ? strtol(h, &e, 10) : lo + 1;
	}
	if (*e != '}')
		return false;
	*count = hi > lo ? hi : lo;
	*end = e;
	return true;
}

/* Scans the bracket expression at re[i] ("[...]") and returns the index of its
 * closing "]" (of the NUL when there is none). */
static size_t re_bracket(const char *re, size_t i, const char **bad)
{
	size_t j = i + 1;
	if (re[j] == '^')
		j++;
	if (re[j] == ']') /* a leading "]" is a member */
		j++;
	for (; re[j] && re[j] != ']'; j++) {
		if (re[j] == '\\') {
			*bad = "a backslash inside [...]";
			return j;
		}
		if (re[j] == '[' && re[j + 1] == ':') { /* a class: [:alpha:] */
			const char *close = strstr(re + j + 2, ":]");
			if (!close)
				return strlen(re);
			j = (size_t)(close - re) + 1;
		}
	}
	return j;
}

static const char *re2_only(const char *re)
{
	struct re_frame stack[REGEXP_DEPTH_MAX + 1];
	int depth = 0;
	stack[0] = (struct re_frame){0, 1};
	struct re_frame atom = {0, 1}; /* the last atom or group, which a repetition applies to */
	bool after_repeat = false;
	for (size_t i = 0; re[i]; i++) {
		char ch = re[i];
		struct re_frame *f = &stack[depth];
		long factor = 0; /* set for a repetition */
		long count = 0;  /* set for a counted repetition */
		const char *end;
		switch (ch) {
		case '\\': {
			char n = re[i + 1];
			if (n && strchr("dDpPAzQEC", n))
				return "a Perl escape (\\d, \\p, \\A, \\z, \\Q...)";
			if (n >= '1' && n <= '9')
				return "a backreference";
			if (n)
				i++;
			atom = (struct re_frame){1, 1};
			f->size++;
			break;
		}
		case '[': {
			const char *bad = NULL;
			size_t j = re_bracket(re, i, &bad);
			if (bad || !re[j])
				return bad; /* an unterminated [ is for regcomp to report */
			i = j;
			atom = (struct re_frame){1, 1};
			f->size++;
			break;
		}
		case '(':
			if (re[i + 1] == '?')
				return "a (?...) group or flag";
			if (depth == REGEXP_DEPTH_MAX)
				return "groups nested too deeply";
			stack[++depth] = (struct re_frame){0, 1};
			break;
		case ')':
			if (depth == 0) {
				atom = (struct re_frame){1, 1};
				f->size++;
				break;
			}
			atom = stack[depth--];
			stack[depth].size += atom.size;
			if (atom.product > stack[depth].product)
				stack[depth].product = atom.product;
			break;
		case '*':
		case '?': factor = 1; break;
		case '+': factor = 2; break;
		case '{':
			if (re[i + 1] == ',')
				return "\"{,\" (text in RE2, a repetition in POSIX)";
			if (re_count(re + i, &count, &end)) {
				factor = count + 1;
				i = (size_t)(end - re);
			} else {
				atom = (struct re_frame){1, 1};
				f->size++;
			}
			break;
		case '|': break;
		default:
			atom = (struct re_frame){1, 1};
			f->size++;
			break;
		}
		if (!factor) {
			after_repeat = false;
			continue;
		}
		if (after_repeat)
			return ch == '?' ? "non-greedy repetition (*?, +?, ??, {n,m}?)"
					 : "a repetition of a repetition (such as a**)";
		after_repeat = true;
		if (count > REGEXP_REPEAT_MAX)
			return "a repetition count above 1000";
		if (count) {
			long product = count * atom.product;
			if (product > REGEXP_REPEAT_MAX)
				return "nested repetitions above 1000 in total";
			if (product > f->product)
				f->product = product;
		}
		/* regcomp copies the repeated part (x+ is xx*, x{n} is n times x). */
		f->size += atom.size * (factor - 1);
		if (f->size > REGEXP_EXPANDED_MAX)
			return "repetitions that expand too much";
		atom = (struct re_frame){0, 1};
	}
	return NULL;
}

static bool compile_regexp(struct checker *k, const void *at, const char *what, const char *pattern,
			   regex_t **out)
{
	*out = NULL;
	if (strlen(pattern) > REGEXP_MAX)
		return cfg_fail(k->c, at, "%s: regular expression longer than %d bytes", what,
				REGEXP_MAX);
	const char *bad = re2_only(pattern);
	if (bad)
		return cfg_fail(
		    k->c, at,
		    "%s: regular expression \"%s\" uses %s, which tern does not support "
		    "yet (it follows POSIX extended syntax)",
		    what, pattern, bad);
	regex_t *re = arena_alloc(k->a, sizeof *re);
	int rc = regcomp(re, pattern, REG_EXTENDED);
	if (rc != 0) {
		char msg[128];
		regerror(rc, re, msg, sizeof msg);
		regfree(re);
		return cfg_fail(k->c, at, "%s: invalid regular expression \"%s\": %s", what,
				pattern, msg);
	}
	own(k, OWNED_REGEX, re);
	*out = re;
	return true;
}

/* ---- URLs ---- */

static bool is_hex(char c)
{
	return ascii_isdigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Splits a URL into the parts of struct cfg_web_url (RFC 3986 3), refusing what
 * Go's url.Parse refuses: controls, bad percent escapes, a non-numeric port. */
static const char *parse_url(struct arena *a, const char *s, struct cfg_web_url *u)
{
	memset(u, 0, sizeof *u);
	u->scheme = u->host = u->path = u->query = u->fragment = "";
	if (!s[0])
		return "empty URL";
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "control character in URL";
		if (*p == '%' && !(is_hex(p[1]) && is_hex(p[2])))
			return "invalid percent escape";
	}
	const char *p = s;
	/* A scheme is letters, digits, "+", "-", "." starting with a letter, then ":". */
	size_t n = 0;
	if (ascii_isalpha(p[0]))
		while (ascii_isalnum(p[n]) || p[n] == '+' || p[n] == '-' || p[n] == '.')
			n++;
	if (n > 0 && p[n] == ':') {
		char *scheme = arena_strndup(a, p, n);
		ascii_lower_inplace(scheme);
		u->scheme = scheme;
		p += n + 1;
	} else if (p[0] == ':') {
		return "missing scheme before \":\"";
	}
	if (p[0] == '/' && p[1] == '/') {
		p += 2;
		size_t h = strcspn(p, "/?#");
		u->host = arena_strndup(a, p, h);
		for (size_t i = 0; i < h; i++)
			if (p[i] == ' ')
				return "space in host";
		const char *colon = strrchr(u->host, ':');
		const char *bracket = strrchr(u->host, ']');
		if (colon && (!bracket || colon > bracket))
			for (const char *q = colon + 1; *q; q++)
				if (!ascii_isdigit(*q))
					return "invalid port";
		p += h;
	}
	size_t pl = strcspn(p, "?#");
	u->path = arena_strndup(a, p, pl);
	p += pl;
	if (*p == '?') {
		size_t ql = strcspn(p + 1, "#");
		u->query = arena_strndup(a, p + 1, ql);
		p += 1 + ql;
	}
	if (*p == '#')
		u->fragment = arena_strdup(a, p + 1);
	return NULL;
}

/* A URL that tern itself makes HTTP requests to. */
static bool check_http_url(struct checker *k, const void *at, const char *what, const char *s,
			   struct cfg_web_url *u)
{
	const char *bad = parse_url(k->a, s, u);
	if (bad)
		return cfg_fail(k->c, at, "%s \"%s\": %s", what, s, bad);
	if (strcmp(u->scheme, "http") != 0 && strcmp(u->scheme, "https") != 0)
		return cfg_fail(k->c, at, "%s \"%s\": scheme must be http or https", what, s);
	/* Stricter than mox, which only parses: a request without host cannot be made. */
	if (!u->host[0])
		return cfg_fail(k->c, at, "%s \"%s\": no host", what, s);
	return true;
}

/* ---- Routes ---- */

static bool check_route_domains(struct checker *k, const char *ctx, size_t ri, const char *field,
				const struct sch_list *l, const char ***out)
{
	const char **ascii = arena_array(k->a, l->n ? l->n : 1, sizeof *ascii);
	const char **v = l->v;
	for (size_t i = 0; i < l->n; i++) {
		const char *e = v[i];
		/* A lone "." is kept as it is, as mox does. */
		if (strcmp(e, ".") == 0) {
			ascii[i] = ".";
			continue;
		}
		bool dot = e[0] == '.';
		struct dns_domain dom;
		struct error err = {0};
		if (!dns_domain_parse_cstr(dot ? e + 1 : e, 0, &dom, &err))
			return cfg_fail(k->c, &v[i], "%s: route %zu: %s: invalid domain \"%s\": %s",
					ctx, ri + 1, field, e, err.msg);
		ascii[i] = arena_sprintf(k->a, "%s%s", dot ? "." : "", dom.ascii);
	}
	*out = ascii;
	return true;
}

static bool check_routes(struct checker *k, const char *ctx, struct cfg_route *routes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct cfg_route *r = &routes[i];
		if (!check_route_domains(k, ctx, i, "FromDomain",
					 (struct sch_list *)&r->from_domain,
					 &r->from_domain_ascii) ||
		    !check_route_domains(k, ctx, i, "ToDomain", (struct sch_list *)&r->to_domain,
					 &r->to_domain_ascii))
			return false;
		if (r->minimum_attempts < 0)
			return cfg_fail(k->c, &r->minimum_attempts,
					"%s: route %zu: MinimumAttempts must not be negative", ctx,
					i + 1);
		/* Whether the transport exists is checked by the loader, against tern.conf. */
		if (!r->transport[0])
			return cfg_fail(k->c, where(k, &r->transport, r),
					"%s: route %zu: Transport is empty", ctx, i + 1);
	}
	return true;
}

/* ---- Domains ---- */

static bool check_separators(struct checker *k, struct cfg_domain *dom, const char *name)
{
	const char *one = dom->localpart_catchall_separator;
	size_t nlist = dom->localpart_catchall_separators.n;
	if (one[0] && nlist > 0)
		return cfg_fail(k->c, &dom->localpart_catchall_separators,
				"domain %s: set LocalpartCatchallSeparator or "
				"LocalpartCatchallSeparators, not both",
				name);
	const char **seps = arena_array(k->a, nlist + 1, sizeof *seps);
	size_t n = 0;
	if (one[0])
		seps[n++] = one;
	for (size_t i = 0; i < nlist; i++) {
		const char *s = dom->localpart_catchall_separators.v[i];
		const void *at = &dom->localpart_catchall_separators.v[i];
		/* An empty separator would cut every localpart after its first character. */
		if (!s[0])
			return cfg_fail(k->c, at, "domain %s: empty localpart catchall separator",
					name);
		for (size_t j = 0; j < n; j++)
			if (strcmp(seps[j], s) == 0)
				return cfg_fail(k->c, at,
						"domain %s: duplicate localpart catchall separator "
						"\"%s\"",
						name, s);
		seps[n++] = s;
	}
	/* Separators are found before case folding (base/address.h): one with case
	 * would make delivery depend on the case of the localpart. */
	for (size_t i = 0; i < n && !dom->localpart_case_sensitive; i++) {
		struct buf f = BUF_INIT;
		bool ok = address_localpart_canonical(seps[i], NULL, &f, NULL) &&
			  strcmp(buf_cstr(&f), seps[i]) == 0;
		buf_free(&f);
		if (!ok)
			return cfg_fail(
			    k->c,
			    where(k, &dom->localpart_catchall_separator,
				  &dom->localpart_catchall_separators),
			    "domain %s: localpart catchall separator \"%s\" has upper or "
			    "lower case, which only works with LocalpartCaseSensitive",
			    name, seps[i]);
	}
	dom->separators = seps;
	dom->nseparators = n;
	return true;
}

/* The DKIM headers signed when a selector lists none: everything a reader sees
 * or a client relies on (RFC 6376 5.4.1), so a signature cannot be reused for
 * a different message. */
static const char *const dkim_default_headers[] = {
    "From",        "To",      "Cc",   "Bcc",        "Reply-To",     "References",
    "In-Reply-To", "Subject", "Date", "Message-Id", "Content-Type",
};

/* The key rules are DKIM's (msgauth/dkim_key.h); here they are reported at the line. */
static bool load_dkim_key(struct checker *k, struct cfg_selector *sel, const char *ctx)
{
	const void *at = where(k, &sel->private_key_file, sel);
	sel->private_key_path = cfg_path(k->c, sel->private_key_file);
	if (!sel->private_key_file[0])
		return cfg_fail(k->c, at, "%s: PrivateKeyFile is empty", ctx);
	struct error err = {0};
	struct dkim_key_info info;
	EVP_PKEY *key = dkim_key_load(sel->private_key_path, &info, &err);
	if (!key && err.kind == ERR_IO)
		return cfg_fail(k->c, at, "%s: PrivateKeyFile: %s", ctx, err.msg);
	if (!key && err.kind == ERR_LIMIT)
		return cfg_fail(k->c, at, "%s: %s", ctx, err.msg);
	if (!key)
		return cfg_fail(k->c, at, "%s: PrivateKeyFile %s: %s", ctx, sel->private_key_file,
				err.msg);
	own(k, OWNED_PKEY, key);
	sel->key = key;
	sel->key_bits = info.bits;
	sel->algorithm = info.type == DKIM_KEYTYPE_ED25519 ? CFG_DKIM_ED25519 : CFG_DKIM_RSA;
	/* RFC 8463 3: Ed25519 signatures are over a SHA-256 hash. */
	if (sel->algorithm == CFG_DKIM_ED25519 && strcmp(sel->hash_effective, "sha256") != 0)
		return cfg_fail(k->c, at, "%s: Ed25519 keys are used with Hash sha256 only", ctx);
	return true;
}

static bool check_selector(struct checker *k, struct cfg_domain *dom, const char *dname,
			   const char *selname, struct cfg_selector *sel)
{
	const char *ctx = arena_sprintf(k->a, "domain %s: DKIM selector %s", dname, selname);
	/* A selector is one or more labels in front of "._domainkey.<domain>"
	 * (RFC 6376 3.1); parsed with the domain so the length limit covers the whole. */
	struct dns_domain full;
	struct error err = {0};
	const char *joined = arena_sprintf(k->a, "%s.%s", selname, dom->name.unicode);
	if (!dns_domain_parse_cstr(joined, 0, &full, &err))
		return cfg_fail(k->c, sel, "%s: invalid selector name: %s", ctx, err.msg);
	size_t ulen = strlen(full.unicode) - strlen(dom->name.unicode) - 1;
	size_t alen = strlen(full.ascii) - strlen(dom->name.ascii) - 1;
	if (strlen(selname) != ulen || strncmp(full.unicode, selname, ulen) != 0)
		return cfg_fail(k->c, sel, "%s: must be written in its Unicode form, \"%.*s\"", ctx,
				(int)ulen, full.unicode);
	memcpy(sel->name.ascii, full.ascii, alen);
	sel->name.ascii[alen] = '\0';
	memcpy(sel->name.unicode, full.unicode, ulen);
	sel->name.unicode[ulen] = '\0';

	if (sel->expiration[0]) {
		int64_t ns;
		if (!duration_parse(str_from(sel->expiration), &ns, &err))
			return cfg_fail(k->c, &sel->expiration, "%s: Expiration: %s", ctx, err.msg);
		if (ns < 0)
			return cfg_fail(k->c, &sel->expiration,
					"%s: Expiration must not be negative", ctx);
		sel->expiration_seconds = ns / NS_PER_SEC;
	}

	if (!sel->hash[0] || strcmp(sel->hash, "sha256") == 0)
		sel->hash_effective = "sha256";
	else if (strcmp(sel->hash, "sha1") == 0)
		sel->hash_effective = "sha1"; /* allowed, though RFC 8301 3.1 deprecates it */
	else
		return cfg_fail(k->c, &sel->hash, "%s: unsupported Hash \"%s\", use sha256 or sha1",
				ctx, sel->hash);

	if (sel->headers.n == 0) {
		sel->headers_effective = dkim_default_headers;
		sel->nheaders_effective = ARRAY_LEN(dkim_default_headers);
	} else {
		bool from = false;
		for (size_t i = 0; i < sel->headers.n; i++) {
			const char *h = sel->headers.v[i];
			if (!h[0])
				return cfg_fail(k->c, &sel->headers.v[i], "%s: empty header name",
						ctx);
			from |= ascii_caseeq(h, "From");
		}
		/* RFC 6376 5.4: the From header field MUST be signed. */
		if (!from)
			return cfg_fail(k->c, &sel->headers, "%s: Headers must include From", ctx);
		sel->headers_effective = sel->headers.v;
		sel->nheaders_effective = sel->headers.n;
	}
	return load_dkim_key(k, sel, ctx);
}

static bool check_dkim(struct checker *k, struct cfg_domain *dom, const char *name)
{
	struct cfg_dkim *dk = &dom->dkim;
	for (size_t i = 0; i < dk->selectors.n; i++)
		if (!check_selector(k, dom, name, dk->selectors.keys[i], &dk->selectors.v[i]))
			return false;
	dk->sign_selectors = arena_array(k->a, dk->sign.n ? dk->sign.n : 1, sizeof(void *));
	for (size_t i = 0; i < dk->sign.n; i++) {
		ptrdiff_t j = sch_map_index((struct sch_map *)&dk->selectors, dk->sign.v[i]);
		if (j < 0)
			return cfg_fail(k->c, &dk->sign.v[i],
					"domain %s: DKIM Sign names unknown selector \"%s\"", name,
					dk->sign.v[i]);
		dk->sign_selectors[i] = &dk->selectors.v[j];
	}
	return true;
}

/* The checks shared by DMARC and TLSRPT reporting addresses. */
struct report_fields {
	const char *kind; /* "DMARC" or "TLSRPT" */
	const void *block;
	const char **localpart, **domain, **account, **mailbox;
	const char **parsed_localpart;
	struct cfg_domain **address_domain;
	struct cfg_account **account_conf;
};

static bool check_report_address(struct checker *k, struct cfg_domain *dom, const char *name,
				 const struct report_fields *r)
{
	char lp[ADDRESS_LOCALPART_MAX + 1];
	struct error err = {0};
	const void *lpat = where(k, r->localpart, r->block);
	if (!address_localpart_parse(str_from(*r->localpart), 0, lp, &err))
		return cfg_fail(k->c, lpat, "domain %s: %s: invalid Localpart \"%s\": %s", name,
				r->kind, *r->localpart, err.msg);
	/* RFC 8616 4 for DMARC, and by analogy TLSRPT: reports come from servers that
	 * may lack SMTPUTF8, so the address must be ASCII. */
	for (const char *p = lp; *p; p++)
		if ((unsigned char)*p >= 0x80)
			return cfg_fail(
			    k->c, lpat,
			    "domain %s: %s: Localpart \"%s\" must be ASCII, so that all "
			    "reporters can send to it",
			    name, r->kind, *r->localpart);
	/* Reporting localparts may contain a catchall separator (older configurations
	 * have them), so they are only folded, not cut. */
	struct cfg_domain *adom = dom;
	if ((*r->domain)[0]) {
		struct dns_domain dd;
		if (!dns_domain_parse_cstr(*r->domain, 0, &dd, &err))
			return cfg_fail(k->c, r->domain, "domain %s: %s: invalid Domain \"%s\": %s",
					name, r->kind, *r->domain, err.msg);
		adom = cfg_domain_find(k->d, dd.ascii);
		if (!adom)
			return cfg_fail(k->c, r->domain,
					"domain %s: %s: Domain %s is not a configured domain", name,
					r->kind, *r->domain);
	}
	struct localpart_rules fold = {NULL, 0, adom->localpart_case_sensitive};
	struct buf b = BUF_INIT;
	address_localpart_canonical(lp, &fold, &b, NULL);
	*r->parsed_localpart = arena_strdup(k->a, buf_cstr(&b));
	buf_free(&b);
	*r->address_domain = adom;

	*r->account_conf = cfg_account_find(k->d, *r->account);
	if (!*r->account_conf)
		return cfg_fail(k->c, where(k, r->account, r->block),
				"domain %s: %s: account \"%s\" does not exist", name, r->kind,
				*r->account);
	char what[128];
	snprintf(what, sizeof what, "domain %s: %s", name, r->kind);
	return check_mailbox_nonempty(k, where(k, r->mailbox, r->block), what, *r->mailbox);
}

static bool check_mtasts(struct checker *k, struct cfg_mtasts *sts, const char *name)
{
	size_t idlen = strlen(sts->policy_id);
	if (idlen == 0)
		return cfg_fail(k->c, where(k, &sts->policy_id, sts),
				"domain %s: MTA-STS PolicyID is empty", name);
	/* Stricter than mox: the ID goes into a DNS record whose syntax allows only this. */
	bool alnum = idlen <= MTASTS_POLICY_ID_MAX;
	for (const char *p = sts->policy_id; *p && alnum; p++)
		alnum = ascii_isalnum(*p);
	if (!alnum)
		return cfg_fail(k->c, &sts->policy_id,
				"domain %s: MTA-STS PolicyID \"%s\" must be 1 to 32 letters and "
				"digits (RFC 8461 3.1)",
				name, sts->policy_id);
	if (strcmp(sts->mode, "enforce") == 0)
		sts->mode_parsed = CFG_MTASTS_ENFORCE;
	else if (strcmp(sts->mode, "testing") == 0)
		sts->mode_parsed = CFG_MTASTS_TESTING;
	else if (strcmp(sts->mode, "none") == 0)
		sts->mode_parsed = CFG_MTASTS_NONE;
	else
		return cfg_fail(k->c, where(k, &sts->mode, sts),
				"domain %s: MTA-STS Mode \"%s\" is not enforce, testing or none",
				name, sts->mode);
	if (sts->max_age <= 0)
		return cfg_fail(k->c, where(k, &sts->max_age, sts),
				"domain %s: MTA-STS MaxAge must be positive", name);
	if (sts->max_age / NS_PER_SEC > MTASTS_MAX_AGE_SECONDS)
		return cfg_fail(k->c, &sts->max_age,
				"domain %s: MTA-STS MaxAge is above %" PRId64
				" seconds, the most RFC 8461 3.2 allows",
				name, MTASTS_MAX_AGE_SECONDS);
	sts->mx_patterns = arena_array(k->a, sts->mx.n ? sts->mx.n : 1, sizeof *sts->mx_patterns);
	for (size_t i = 0; i < sts->mx.n; i++) {
		struct error err = {0};
		if (!dns_pattern_parse(str_from(sts->mx.v[i]), 0, &sts->mx_patterns[i], &err))
			return cfg_fail(k->c, &sts->mx.v[i], "domain %s: MTA-STS MX \"%s\": %s",
					name, sts->mx.v[i], err.msg);
	}
	return true;
}

static bool check_domain(struct checker *k, struct cfg_domain *dom, const char *name)
{
	if (dom->client_settings_domain[0] &&
	    !parse_domain(k, &dom->client_settings_domain,
			  arena_sprintf(k->a, "domain %s: ClientSettingsDomain", name),
			  dom->client_settings_domain, &dom->client_settings))
		return false;
	if (!check_separators(k, dom, name) || !check_dkim(k, dom, name))
		return false;
	if (dom->dmarc) {
		struct cfg_dmarc *m = dom->dmarc;
		struct report_fields r = {
		    "DMARC",         m,           &m->localpart,        &m->domain,
		    &m->account,     &m->mailbox, &m->parsed_localpart, &m->address_domain,
		    &m->account_conf};
		if (!check_report_address(k, dom, name, &r))
			return false;
	}
	if (dom->mtasts && !check_mtasts(k, dom->mtasts, name))
		return false;
	if (dom->tlsrpt) {
		struct cfg_tlsrpt *t = dom->tlsrpt;
		struct report_fields r = {
		    "TLSRPT",        t,           &t->localpart,        &t->domain,
		    &t->account,     &t->mailbox, &t->parsed_localpart, &t->address_domain,
		    &t->account_conf};
		if (!check_report_address(k, dom, name, &r))
			return false;
	}
	return check_routes(k, arena_sprintf(k->a, "domain %s", name), dom->routes.v,
			    dom->routes.n);
}

/* ---- Accounts ---- */

/* Account names become directory names under data/accounts/. */
static bool check_account_name(struct checker *k, const void *at, const char *name)
{
	if (!name[0] || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return cfg_fail(k->c, at, "account \"%s\": not a usable account name", name);
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == '\\' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return cfg_fail(k->c, at,
					"account \"%s\": account name cannot contain slashes or "
					"control characters",
					name);
	return true;
}

static bool check_junk(struct checker *k, struct cfg_account *acc, const char *name)
{
	struct cfg_junk_flags *f = &acc->automatic_junk_flags;
	char what[160];
	snprintf(what, sizeof what, "account %s: AutomaticJunkFlags JunkMailboxRegexp", name);
	if (f->junk_mailbox_regexp[0] &&
	    !compile_regexp(k, &f->junk_mailbox_regexp, what, f->junk_mailbox_regexp,
			    &acc->junk_mailbox_re))
		return false;
	snprintf(what, sizeof what, "account %s: AutomaticJunkFlags NeutralMailboxRegexp", name);
	if (f->neutral_mailbox_regexp[0] &&
	    !compile_regexp(k, &f->neutral_mailbox_regexp, what, f->neutral_mailbox_regexp,
			    &acc->neutral_mailbox_re))
		return false;
	snprintf(what, sizeof what, "account %s: AutomaticJunkFlags NotJunkMailboxRegexp", name);
	if (f->not_junk_mailbox_regexp[0] &&
	    !compile_regexp(k, &f->not_junk_mailbox_regexp, what, f->not_junk_mailbox_regexp,
			    &acc->not_junk_mailbox_re))
		return false;

	struct cfg_junk_filter *jf = acc->junk_filter;
	if (!jf)
		return true;
	/* A spam probability: 0 would refuse everything, above 1 nothing. */
	if (!(jf->threshold > 0 && jf->threshold <= 1))
		return cfg_fail(k->c, where(k, &jf->threshold, jf),
				"account %s: JunkFilter Threshold %g must be above 0 and at most 1",
				name, jf->threshold);
	struct cfg_junk_params *p = &jf->params;
	if (!(p->max_power >= 0 && p->max_power <= 0.5))
		return cfg_fail(k->c, where(k, &p->max_power, jf),
				"account %s: JunkFilter MaxPower must be between 0 and 0.5", name);
	if (p->top_words < 0)
		return cfg_fail(k->c, where(k, &p->top_words, jf),
				"account %s: JunkFilter TopWords must not be negative", name);
	if (!(p->ignore_words >= 0 && p->ignore_words <= 0.5))
		return cfg_fail(k->c, where(k, &p->ignore_words, jf),
				"account %s: JunkFilter IgnoreWords must be between 0 and 0.5",
				name);
	if (p->rare_words < 0)
		return cfg_fail(k->c, where(k, &p->rare_words, jf),
				"account %s: JunkFilter RareWords must not be negative", name);
	return true;
}

/* Delivery events of outgoing webhooks (mox's queue/hooks.go). */
static const char *const webhook_events[] = {
    "delivered", "suppressed", "delayed",  "failed",
    "relayed",   "expanded",   "canceled", "unrecognized",
};

static bool check_webhooks(struct checker *k, struct cfg_account *acc, const char *name)
{
	char what[160];
	if (acc->outgoing_webhook) {
		struct cfg_webhook_outgoing *w = acc->outgoing_webhook;
		snprintf(what, sizeof what, "account %s: OutgoingWebhook URL", name);
		if (!check_http_url(k, where(k, &w->url, w), what, w->url, &w->url_parsed))
			return false;
		for (size_t i = 0; i < w->events.n; i++) {
			bool known = false;
			for (size_t j = 0; j < ARRAY_LEN(webhook_events); j++)
				known |= strcmp(w->events.v[i], webhook_events[j]) == 0;
			if (!known)
				return cfg_fail(k->c, &w->events.v[i],
						"account %s: OutgoingWebhook: unknown event \"%s\"",
						name, w->events.v[i]);
		}
	}
	if (acc->incoming_webhook) {
		struct cfg_webhook_incoming *w = acc->incoming_webhook;
		snprintf(what, sizeof what, "account %s: IncomingWebhook URL", name);
		if (!check_http_url(k, where(k, &w->url, w), what, w->url, &w->url_parsed))
			return false;
	}
	return true;
}

static bool check_ruleset(struct checker *k, struct cfg_ruleset *rs, const char *ctx)
{
	size_t rules = 0;
	char what[600];
	if (!check_mailbox_nonempty(k, where(k, &rs->mailbox, rs), ctx, rs->mailbox))
		return false;
	if (rs->smtp_mail_from_regexp[0]) {
		rules++;
		snprintf(what, sizeof what, "%s: SMTPMailFromRegexp", ctx);
		if (!compile_regexp(k, &rs->smtp_mail_from_regexp, what, rs->smtp_mail_from_regexp,
				    &rs->smtp_mail_from_re))
			return false;
	}
	if (rs->msg_from_regexp[0]) {
		rules++;
		snprintf(what, sizeof what, "%s: MsgFromRegexp", ctx);
		if (!compile_regexp(k, &rs->msg_from_regexp, what, rs->msg_from_regexp,
				    &rs->msg_from_re))
			return false;
	}
	struct dns_domain dom;
	if (rs->verified_domain[0]) {
		rules++;
		snprintf(what, sizeof what, "%s: VerifiedDomain", ctx);
		if (!parse_domain(k, &rs->verified_domain, what, rs->verified_domain, &dom))
			return false;
		rs->verified_domain_ascii = arena_strdup(k->a, dom.ascii);
	}
	size_t nh = rs->headers_regexp.n;
	rs->header_key_re = arena_array(k->a, nh ? nh : 1, sizeof(regex_t *));
	rs->header_value_re = arena_array(k->a, nh ? nh : 1, sizeof(regex_t *));
	for (size_t i = 0; i < nh; i++) {
		rules++;
		const char *key = rs->headers_regexp.keys[i];
		const char *val = rs->headers_regexp.v[i];
		const void *at = &rs->headers_regexp.v[i];
		/* Header names and values are lower-cased before matching, so an
		 * expression with upper case could never match. */
		for (const char *p = key; *p; p++)
			if (ascii_isalpha(*p) && ascii_lower(*p) != *p)
				return cfg_fail(
				    k->c, at,
				    "%s: HeadersRegexp: header field \"%s\" must be lower "
				    "case",
				    ctx, key);
		for (const char *p = val; *p; p++)
			if (ascii_isalpha(*p) && ascii_lower(*p) != *p)
				return cfg_fail(
				    k->c, at, "%s: HeadersRegexp: value \"%s\" must be lower case",
				    ctx, val);
		snprintf(what, sizeof what, "%s: HeadersRegexp", ctx);
		if (!compile_regexp(k, at, what, key, &rs->header_key_re[i]) ||
		    !compile_regexp(k, at, what, val, &rs->header_value_re[i]))
			return false;
	}
	if (rules == 0)
		return cfg_fail(k->c, rs, "%s: has no rule to match", ctx);
	if (rs->is_forward && rs->list_allow_domain[0])
		return cfg_fail(k->c, &rs->is_forward,
				"%s: cannot have both IsForward and ListAllowDomain", ctx);
	if (rs->is_forward && (!rs->smtp_mail_from_regexp[0] || !rs->verified_domain[0]))
		return cfg_fail(k->c, &rs->is_forward,
				"%s: IsForward needs SMTPMailFromRegexp and VerifiedDomain", ctx);
	if (rs->list_allow_domain[0]) {
		snprintf(what, sizeof what, "%s: ListAllowDomain", ctx);
		if (!parse_domain(k, &rs->list_allow_domain, what, rs->list_allow_domain, &dom))
			return false;
		rs->list_allow_domain_ascii = arena_strdup(k->a, dom.ascii);
	}
	snprintf(what, sizeof what, "%s: AcceptRejectsToMailbox", ctx);
	if (!check_mailbox(k, &rs->accept_rejects_to_mailbox, what, rs->accept_rejects_to_mailbox))
		return false;
	if (ascii_caseeq(rs->accept_rejects_to_mailbox, "Inbox"))
		return cfg_fail(k->c, &rs->accept_rejects_to_mailbox,
				"%s: AcceptRejectsToMailbox cannot be Inbox", ctx);
	return true;
}

/* RFC 3463 codes for the two replies SMTPError may choose (as mox maps them). */
static bool check_smtp_error(struct checker *k, struct cfg_destination *dest, const char *ctx)
{
	const void *at = &dest->smtp_error;
	char what[600];
	snprintf(what, sizeof what, "%s: SMTPError", ctx);
	if (!check_reply_text(k, at, what, dest->smtp_error))
		return false;
	if (dest->mailbox[0])
		return cfg_fail(k->c, at, "%s: cannot have both SMTPError and Mailbox", ctx);
	if (dest->rulesets.n)
		return cfg_fail(k->c, at, "%s: cannot have both SMTPError and Rulesets", ctx);
	const char *s = dest->smtp_error;
	const char *sp = strchr(s, ' ');
	size_t codelen = sp ? (size_t)(sp - s) : strlen(s);
	const char *text;
	if (codelen == 3 && strncmp(s, "421", 3) == 0) {
		/* 421 would close the connection; a local error for this recipient is 451. */
		dest->smtp_error_code = 451;
		dest->smtp_error_enhanced = "4.3.0";
		text = "error processing";
	} else if (codelen == 3 && strncmp(s, "550", 3) == 0) {
		dest->smtp_error_code = 550;
		dest->smtp_error_enhanced = "5.1.1";
		text = "no such user(s)";
	} else {
		return cfg_fail(k->c, at, "%s: SMTPError must start with 421 or 550, not \"%s\"",
				ctx, s);
	}
	if (sp) {
		struct str t = str_trim(str_from(sp + 1));
		if (t.len)
			text = arena_strndup(k->a, t.p, t.len);
	}
	dest->smtp_error_text = text;
	dest->smtp_error_line =
	    arena_sprintf(k->a, "%d %s %s", dest->smtp_error_code, dest->smtp_error_enhanced, text);
	return true;
}

static struct cfg_dynamic_addr *new_addr(struct checker *k, const struct cfg_domain *dom,
					 const char *canonical, bool catchall,
					 struct cfg_account *acc, struct cfg_destination *dest)
{
	struct cfg_dynamic_addr *e = arena_zalloc(k->a, sizeof *e);
	e->domain = dom->name.ascii;
	e->localpart = canonical;
	e->catchall = catchall;
	e->account = acc;
	e->dest = dest;
	return e;
}

/* Adds an address to the index; a second address with the same canonical form is an error. */
static bool add_destination(struct checker *k, const void *at, const char *ctx,
			    struct cfg_dynamic_addr *e)
{
	const struct cfg_dynamic_addr *old =
	    cfg_dynamic_index_add(k->d->address_index, e->domain, e->localpart, e->catchall, e);
	if (!old)
		return true;
	const char *other = old->dest ? old->dest->address : "an alias";
	if (e->catchall && old->account)
		return cfg_fail(k->c, at, "%s: domain already has a catchall, in account %s", ctx,
				old->account->name);
	if (old->account)
		return cfg_fail(k->c, at,
				"%s: same address as %s of account %s (after case folding and "
				"catchall separators)",
				ctx, other, old->account->name);
	return cfg_fail(k->c, at, "%s: same address as %s", ctx, other);
}

static bool check_destination_address(struct checker *k, struct cfg_account *acc, const char *key,
				      struct cfg_destination *dest, const char *ctx)
{
	struct error err = {0};
	/* "@domain": the domain's catchall. */
	if (key[0] == '@') {
		struct dns_domain dd;
		if (!dns_domain_parse_cstr(key + 1, 0, &dd, &err))
			return cfg_fail(k->c, dest, "%s: invalid domain: %s", ctx, err.msg);
		struct cfg_domain *dom = cfg_domain_find(k->d, dd.ascii);
		if (!dom)
			return cfg_fail(k->c, dest, "%s: domain %s is not configured", ctx,
					dd.unicode);
		dest->address = arena_sprintf(k->a, "@%s", dom->name.unicode);
		dest->domain = dom;
		dest->catchall = true;
		dom->reports_only = false;
		return add_destination(k, dest, ctx, new_addr(k, dom, "", true, acc, dest));
	}

	struct address addr;
	struct error lperr;
	char lp[ADDRESS_LOCALPART_MAX + 1];
	if (!address_parse_cstr(key, 0, &addr, &err)) {
		/* Deprecated form: a bare localpart, in the account's default domain. */
		if (!address_localpart_parse(str_from(key), 0, lp, &lperr))
			return cfg_fail(k->c, dest, "%s: invalid address: %s", ctx, err.msg);
		if (!acc->domain_conf)
			return cfg_fail(k->c, dest,
					"%s: a destination without domain needs the account's "
					"Domain (%s) to be configured",
					ctx, acc->domain);
		memcpy(addr.localpart, lp, sizeof lp);
		addr.domain = acc->domain_name;
	}
	struct cfg_domain *dom = cfg_domain_find(k->d, addr.domain.ascii);
	if (!dom)
		return cfg_fail(k->c, dest, "%s: domain %s is not configured", ctx,
				addr.domain.unicode);
	struct buf b = BUF_INIT;
	address_format(&b, &addr, true);
	dest->address = arena_strdup(k->a, buf_cstr(&b));
	buf_free(&b);
	dest->domain = dom;
	dom->reports_only = false;
	/* An address containing a separator could never receive mail: the part from
	 * the separator on is cut off before lookup. */
	struct localpart_rules rules = {dom->separators, dom->nseparators, true};
	if (address_localpart_has_separator(addr.localpart, &rules))
		return cfg_fail(k->c, dest,
				"%s: localpart contains a catchall separator of domain %s", ctx,
				dom->name.unicode);
	struct buf canon = BUF_INIT;
	if (!cfg_dynamic_canonical_localpart(dom, addr.localpart, &canon, &err)) {
		buf_free(&canon);
		return cfg_fail(k->c, dest, "%s: %s", ctx, err.msg);
	}
	const char *c = arena_strdup(k->a, buf_cstr(&canon));
	buf_free(&canon);
	return add_destination(k, dest, ctx, new_addr(k, dom, c, false, acc, dest));
}

static bool check_destination(struct checker *k, struct cfg_account *acc, const char *key,
			      struct cfg_destination *dest)
{
	const char *ctx = arena_sprintf(k->a, "account %s: destination %s", acc->name, key);
	if (!check_mailbox(k, where(k, &dest->mailbox, dest), ctx, dest->mailbox))
		return false;
	if (dest->smtp_error[0] && !check_smtp_error(k, dest, ctx))
		return false;
	char what[600];
	snprintf(what, sizeof what, "%s: MessageAuthRequiredSMTPError", ctx);
	if (!check_reply_text(k, &dest->message_auth_required_smtp_error, what,
			      dest->message_auth_required_smtp_error))
		return false;
	for (size_t i = 0; i < dest->rulesets.n; i++) {
		const char *rctx = arena_sprintf(k->a, "%s: ruleset %zu", ctx, i + 1);
		if (!check_ruleset(k, &dest->rulesets.v[i], rctx))
			return false;
	}
	return check_destination_address(k, acc, key, dest, ctx);
}

static bool check_account_mailboxes(struct checker *k, struct cfg_account *acc)
{
	const char *name = acc->name;
	char what[160];
	snprintf(what, sizeof what, "account %s: RejectsMailbox", name);
	if (!check_mailbox(k, &acc->rejects_mailbox, what, acc->rejects_mailbox))
		return false;
	if (ascii_caseeq(acc->rejects_mailbox, "Inbox"))
		return cfg_fail(k->c, &acc->rejects_mailbox,
				"account %s: RejectsMailbox cannot be Inbox: messages are removed "
				"from it automatically",
				name);
	snprintf(what, sizeof what, "account %s: Introbox", name);
	if (!check_mailbox(k, &acc->introbox, what, acc->introbox))
		return false;
	if (acc->introbox[0] && ascii_caseeq(acc->introbox, "Inbox"))
		return cfg_fail(k->c, &acc->introbox, "account %s: Introbox cannot be Inbox", name);
	if (acc->introbox[0] && strcmp(acc->introbox, acc->rejects_mailbox) == 0)
		return cfg_fail(k->c, &acc->introbox,
				"account %s: Introbox cannot be the RejectsMailbox", name);
	return true;
}

/* Periods and limits, and the limits' defaults. */
static bool check_account_limits(struct checker *k, struct cfg_account *acc)
{
	const struct {
		int64_t *v;
		const char *field;
	} counts[] = {
	    {&acc->keep_retired_message_period, "KeepRetiredMessagePeriod"},
	    {&acc->keep_retired_webhook_period, "KeepRetiredWebhookPeriod"},
	    {&acc->subject_pass.period, "SubjectPass Period"},
	    {&acc->max_outgoing_messages_per_day, "MaxOutgoingMessagesPerDay"},
	    {&acc->max_first_time_recipients_per_day, "MaxFirstTimeRecipientsPerDay"},
	};
	for (size_t i = 0; i < ARRAY_LEN(counts); i++)
		if (*counts[i].v < 0)
			return cfg_fail(k->c, counts[i].v, "account %s: %s must not be negative",
					acc->name, counts[i].field);
	acc->subject_pass.enabled = acc->subject_pass.period > 0;
	acc->max_outgoing_effective = acc->max_outgoing_messages_per_day
					  ? acc->max_outgoing_messages_per_day
					  : CFG_DEFAULT_MAX_OUTGOING_PER_DAY;
	acc->max_first_time_effective = acc->max_first_time_recipients_per_day
					    ? acc->max_first_time_recipients_per_day
					    : CFG_DEFAULT_MAX_FIRST_TIME_RECIPIENTS_PER_DAY;
	return true;
}

static bool check_imap_capabilities(struct checker *k, struct cfg_account *acc)
{
	for (size_t i = 0; i < acc->imap_capabilities_disabled.n; i++) {
		const char *cap = acc->imap_capabilities_disabled.v[i];
		const void *at = &acc->imap_capabilities_disabled.v[i];
		if (!cap[0])
			return cfg_fail(k->c, at, "account %s: empty IMAP capability", acc->name);
		for (const char *p = cap; *p; p++) {
			/* RFC 9051 9: capabilities are atoms. */
			if (*p <= ' ' || *p >= 0x7f || strchr("(){%*\"\\]", *p))
				return cfg_fail(k->c, at,
						"account %s: IMAP capability \"%s\" is not an atom",
						acc->name, cap);
			/* Capabilities are compared as IMAP servers announce them. */
			if (ascii_upper(*p) != *p)
				return cfg_fail(k->c, at,
						"account %s: IMAP capability \"%s\" must be upper "
						"case",
						acc->name, cap);
		}
	}
	return true;
}

static bool check_account(struct checker *k, struct cfg_account *acc)
{
	struct error err = {0};
	if (!dns_domain_parse_cstr(acc->domain, 0, &acc->domain_name, &err))
		return cfg_fail(k->c, where(k, &acc->domain, acc),
				"account %s: invalid Domain \"%s\": %s", acc->name, acc->domain,
				err.msg);
	/* Like mox: the default domain need not be hosted (a removed domain may still be
	 * named), unless a destination without domain relies on it. */
	acc->domain_conf = cfg_domain_find(k->d, acc->domain_name.ascii);
	char what[160];
	snprintf(what, sizeof what, "account %s: LoginDisabled", acc->name);
	if (!check_account_mailboxes(k, acc) ||
	    !check_reply_text(k, &acc->login_disabled, what, acc->login_disabled) ||
	    !check_junk(k, acc, acc->name) || !check_webhooks(k, acc, acc->name) ||
	    !check_account_limits(k, acc) || !check_imap_capabilities(k, acc))
		return false;
	for (size_t i = 0; i < acc->destinations.n; i++)
		if (!check_destination(k, acc, acc->destinations.keys[i], &acc->destinations.v[i]))
			return false;
	return check_routes(k, arena_sprintf(k->a, "account %s", acc->name), acc->routes.v,
			    acc->routes.n);
}

/* After all destinations are known: each FromID login address must be one of the account's. */
static bool check_from_id_logins(struct checker *k, struct cfg_account *acc)
{
	for (size_t i = 0; i < acc->from_id_login_addresses.n; i++) {
		const char *s = acc->from_id_login_addresses.v[i];
		const void *at = &acc->from_id_login_addresses.v[i];
		struct address addr;
		struct error err = {0};
		if (!address_parse_cstr(s, 0, &addr, &err))
			return cfg_fail(
			    k->c, at,
			    "account %s: FromIDLoginAddresses: invalid address \"%s\": %s",
			    acc->name, s, err.msg);
		struct cfg_domain *dom = cfg_domain_find(k->d, addr.domain.ascii);
		if (!dom)
			return cfg_fail(k->c, at,
					"account %s: FromIDLoginAddresses: domain of %s is not "
					"configured",
					acc->name, s);
		if (dom->nseparators == 0)
			return cfg_fail(
			    k->c, at,
			    "account %s: FromIDLoginAddresses: %s needs a localpart catchall "
			    "separator configured for domain %s",
			    acc->name, s, dom->name.unicode);
		struct buf canon = BUF_INIT;
		bool ok = cfg_dynamic_canonical_localpart(dom, addr.localpart, &canon, NULL);
		const struct cfg_dynamic_addr *e =
		    ok ? cfg_dynamic_index_get(k->d->address_index, dom->name.ascii,
					       buf_cstr(&canon), false)
		       : NULL;
		buf_free(&canon);
		if (!e)
			e = cfg_dynamic_index_get(k->d->address_index, dom->name.ascii, "", true);
		/* Stricter than mox, which accepts any account's address here. */
		if (!e || e->account != acc)
			return cfg_fail(k->c, at,
					"account %s: FromIDLoginAddresses: %s is not an address of "
					"this account",
					acc->name, s);
	}
	return true;
}

/* The destination that receives a domain's DMARC or TLS reports. */
static struct cfg_destination *report_destination(struct checker *k, const char *localpart,
						  struct cfg_domain *adom, const char *mailbox)
{
	struct cfg_destination *dest = arena_zalloc(k->a, sizeof *dest);
	dest->mailbox = mailbox;
	dest->smtp_error = dest->message_auth_required_smtp_error = dest->full_name = "";
	struct buf b = BUF_INIT;
	address_localpart_format(&b, localpart);
	buf_printf(&b, "@%s", adom->name.unicode);
	dest->address = arena_strdup(k->a, buf_cstr(&b));
	buf_free(&b);
	dest->domain = adom;
	return dest;
}

/* As in mox, reporting addresses replace a destination with the same address. */
static void add_report_addresses(struct checker *k)
{
	struct cfg_dynamic *d = k->d;
	for (size_t i = 0; i < d->domains.n; i++) {
		struct cfg_domain *dom = &d->domains.v[i];
		if (dom->dmarc) {
			struct cfg_dmarc *m = dom->dmarc;
			struct cfg_destination *dest = report_destination(
			    k, m->parsed_localpart, m->address_domain, m->mailbox);
			dest->dmarc_reports = true;
			cfg_dynamic_index_set(d->address_index, m->address_domain->name.ascii,
					      m->parsed_localpart, false,
					      new_addr(k, m->address_domain, m->parsed_localpart,
						       false, m->account_conf, dest));
			if (m->address_domain == dom)
				dom->reports_only = false;
		}
		if (dom->tlsrpt) {
			struct cfg_tlsrpt *t = dom->tlsrpt;
			struct cfg_destination *dest = report_destination(
			    k, t->parsed_localpart, t->address_domain, t->mailbox);
			dest->tlsrpt_reports = true;
			cfg_dynamic_index_set(d->address_index, t->address_domain->name.ascii,
					      t->parsed_localpart, false,
					      new_addr(k, t->address_domain, t->parsed_localpart,
						       false, t->account_conf, dest));
			if (t->address_domain == dom)
				dom->reports_only = false;
		}
	}
}

/* ---- Aliases ---- */

static void add_account_alias(struct checker *k, struct cfg_account *acc, struct cfg_alias *al)
{
	for (size_t i = 0; i < acc->naliases; i++)
		if (acc->aliases[i] == al)
			return;
	struct cfg_alias **v = arena_array(k->a, acc->naliases + 1, sizeof *v);
	if (acc->naliases)
		memcpy(v, acc->aliases, acc->naliases * sizeof *v);
	v[acc->naliases++] = al;
	acc->aliases = v;
}

static bool check_alias(struct checker *k, struct cfg_domain *dom, const char *key,
			struct cfg_alias *al)
{
	const char *dname = dom->name.unicode;
	char lp[ADDRESS_LOCALPART_MAX + 1];
	struct error err = {0};
	if (!address_localpart_parse(str_from(key), 0, lp, &err))
		return cfg_fail(k->c, al, "domain %s: alias %s: invalid localpart: %s", dname, key,
				err.msg);
	struct localpart_rules rules = {dom->separators, dom->nseparators, true};
	if (address_localpart_has_separator(lp, &rules))
		return cfg_fail(k->c, al,
				"domain %s: alias %s: localpart contains a catchall separator",
				dname, key);
	struct buf canon = BUF_INIT;
	if (!cfg_dynamic_canonical_localpart(dom, lp, &canon, &err)) {
		buf_free(&canon);
		return cfg_fail(k->c, al, "domain %s: alias %s: %s", dname, key, err.msg);
	}
	al->localpart = arena_strdup(k->a, lp);
	al->canonical_localpart = arena_strdup(k->a, buf_cstr(&canon));
	al->domain = dom;
	/* An alias is an address of its domain. (mox decides "reports only" before
	 * looking at aliases, which makes the aliases of a domain without other
	 * addresses unreachable.) */
	dom->reports_only = false;
	buf_free(&canon);

	struct cfg_dynamic_addr *e = new_addr(k, dom, al->canonical_localpart, false, NULL, NULL);
	e->alias = al;
	const struct cfg_dynamic_addr *old = cfg_dynamic_index_add(
	    k->d->address_index, dom->name.ascii, al->canonical_localpart, false, e);
	if (old && old->alias)
		return cfg_fail(k->c, al, "domain %s: alias %s: same address as alias %s", dname,
				key, old->alias->localpart);
	if (old)
		return cfg_fail(k->c, al,
				"domain %s: alias %s: address is already %s of account %s", dname,
				key, old->dest->address, old->account->name);
	if (al->addresses.n == 0)
		return cfg_fail(k->c, al, "domain %s: alias %s: has no Addresses", dname, key);

	al->members = arena_array(k->a, al->addresses.n, sizeof *al->members);
	al->nmembers = 0;
	for (size_t i = 0; i < al->addresses.n; i++) {
		const char *s = al->addresses.v[i];
		const void *at = &al->addresses.v[i];
		struct address addr;
		if (!address_parse_cstr(s, 0, &addr, &err))
			return cfg_fail(k->c, at, "domain %s: alias %s: invalid address \"%s\": %s",
					dname, key, s, err.msg);
		struct cfg_domain *mdom = cfg_domain_find(k->d, addr.domain.ascii);
		const struct cfg_dynamic_addr *m = NULL;
		if (mdom) {
			struct buf mc = BUF_INIT;
			if (cfg_dynamic_canonical_localpart(mdom, addr.localpart, &mc, NULL))
				m = cfg_dynamic_index_get(k->d->address_index, mdom->name.ascii,
							  buf_cstr(&mc), false);
			buf_free(&mc);
		}
		/* Members must be addresses of accounts: not aliases, not reached by a
		 * catchall or separator (mox looks them up exactly; tern folds case as
		 * a lookup would, so what mox accepts is accepted). */
		if (!m || !m->account || !mdom ||
		    address_localpart_has_separator(
			addr.localpart,
			&(struct localpart_rules){mdom->separators, mdom->nseparators, true}))
			return cfg_fail(k->c, at,
					"domain %s: alias %s: %s is not an address of an account",
					dname, key, s);
		for (size_t j = 0; j < al->nmembers; j++)
			if (al->members[j].dest == m->dest)
				return cfg_fail(k->c, at, "domain %s: alias %s: %s is listed twice",
						dname, key, s);
		al->members[al->nmembers++] = (struct cfg_alias_member){s, m->account, m->dest};
		add_account_alias(k, m->account, al);
	}
	return true;
}

/* ---- Web server and DNSBLs ---- */

static bool check_web_redirects(struct checker *k)
{
	struct cfg_dynamic *d = k->d;
	size_t n = d->web_domain_redirects.n;
	d->web_redirect_from = arena_array(k->a, n ? n : 1, sizeof(char *));
	d->web_redirect_to = arena_array(k->a, n ? n : 1, sizeof(char *));
	struct cfg_dynamic_index *seen = cfg_dynamic_index_new(k->a, n);
	for (size_t i = 0; i < n; i++) {
		const char *from = d->web_domain_redirects.keys[i];
		const char *to = d->web_domain_redirects.v[i];
		const void *at = &d->web_domain_redirects.v[i];
		char what[600];
		snprintf(what, sizeof what, "WebDomainRedirects %s", from);
		struct dns_domain fd, td;
		if (!parse_domain(k, at, what, from, &fd) || !parse_domain(k, at, what, to, &td))
			return false;
		if (dns_domain_eq(&fd, &td))
			return cfg_fail(k->c, at, "%s: redirects to itself", what);
		char *fa = arena_strdup(k->a, fd.ascii);
		if (cfg_dynamic_index_add(seen, fa, NULL, false, fa))
			return cfg_fail(k->c, at, "%s: domain %s is redirected twice", what,
					fd.unicode);
		d->web_redirect_from[i] = fa;
		d->web_redirect_to[i] = arena_strdup(k->a, td.ascii);
	}
	return true;
}

/* RFC 9110 5.6.2: field names are tokens. */
static bool check_response_headers(struct checker *k, const char *ctx, const struct sch_map *m)
{
	const char *const *vals = m->v;
	for (size_t i = 0; i < m->n; i++) {
		const char *h = m->keys[i];
		bool ok = h[0] != '\0';
		for (const char *p = h; *p && ok; p++)
			ok = ascii_isalnum(*p) || strchr("!#$%&'*+-.^_`|~", *p);
		if (!ok)
			return cfg_fail(k->c, &vals[i], "%s: invalid response header name \"%s\"",
					ctx, h);
	}
	return true;
}

static const struct {
	const char *name;
	enum cfg_web_service service;
} web_services[] = {
    {"admin", CFG_WEB_SERVICE_ADMIN},
    {"account", CFG_WEB_SERVICE_ACCOUNT},
    {"webmail", CFG_WEB_SERVICE_WEBMAIL},
    {"webapi", CFG_WEB_SERVICE_WEBAPI},
};

static bool check_web_redirect(struct checker *k, const char *ctx, struct cfg_web_redirect *wr)
{
	char what[600];
	if (wr->base_url[0]) {
		const char *bad = parse_url(k->a, wr->base_url, &wr->url);
		if (bad)
			return cfg_fail(k->c, &wr->base_url, "%s: BaseURL \"%s\": %s", ctx,
					wr->base_url, bad);
		if (wr->url.path[0] && strcmp(wr->url.path, "/") != 0)
			return cfg_fail(k->c, &wr->base_url, "%s: BaseURL \"%s\" must have no path",
					ctx, wr->base_url);
		wr->url.path = "/";
	}
	if (wr->orig_path_regexp[0] && wr->replace_path[0]) {
		snprintf(what, sizeof what, "%s: OrigPathRegexp", ctx);
		if (!compile_regexp(k, &wr->orig_path_regexp, what, wr->orig_path_regexp,
				    &wr->orig_path_re))
			return false;
	} else if (wr->orig_path_regexp[0] || wr->replace_path[0]) {
		return cfg_fail(k->c, where(k, &wr->orig_path_regexp, wr),
				"%s: set both OrigPathRegexp and ReplacePath, or neither", ctx);
	} else if (!wr->base_url[0]) {
		return cfg_fail(k->c, wr,
				"%s: WebRedirect needs BaseURL, or OrigPathRegexp and ReplacePath",
				ctx);
	}
	if (wr->status_code != 0 && (wr->status_code < 300 || wr->status_code > 399))
		return cfg_fail(k->c, &wr->status_code,
				"%s: StatusCode %" PRId64 " is not a redirect (3xx)", ctx,
				wr->status_code);
	wr->status_effective = wr->status_code ? wr->status_code : 308;
	return true;
}

static bool check_webhandler(struct checker *k, size_t idx, struct cfg_webhandler *wh)
{
	wh->name = wh->log_name[0] ? wh->log_name : arena_sprintf(k->a, "%zu", idx);
	const char *ctx = arena_sprintf(k->a, "web handler %s", wh->name);
	if (!parse_domain(k, where(k, &wh->domain, wh), ctx, wh->domain, &wh->domain_name))
		return false;
	const void *pat = where(k, &wh->path_regexp, wh);
	if (wh->path_regexp[0] != '^')
		return cfg_fail(k->c, pat, "%s: PathRegexp must start with ^", ctx);
	char what[600];
	snprintf(what, sizeof what, "%s: PathRegexp", ctx);
	if (!compile_regexp(k, pat, what, wh->path_regexp, &wh->path_re))
		return false;

	int n = !!wh->web_static + !!wh->web_redirect + !!wh->web_forward + !!wh->web_internal;
	if (n != 1)
		return cfg_fail(k->c, wh,
				"%s: set exactly one of WebStatic, WebRedirect, WebForward and "
				"WebInternal, not %d",
				ctx, n);
	if (wh->web_static) {
		struct cfg_web_static *ws = wh->web_static;
		if (ws->strip_prefix[0] && ws->strip_prefix[0] != '/')
			return cfg_fail(k->c, &ws->strip_prefix,
					"%s: StripPrefix \"%s\" must start with a slash", ctx,
					ws->strip_prefix);
		return check_response_headers(k, ctx, (struct sch_map *)&ws->response_headers);
	}
	if (wh->web_redirect)
		return check_web_redirect(k, ctx, wh->web_redirect);
	if (wh->web_forward) {
		struct cfg_web_forward *wf = wh->web_forward;
		snprintf(what, sizeof what, "%s: WebForward URL", ctx);
		if (!check_http_url(k, where(k, &wf->url, wf), what, wf->url, &wf->target))
			return false;
		return check_response_headers(k, ctx, (struct sch_map *)&wf->response_headers);
	}
	struct cfg_web_internal *wi = wh->web_internal;
	size_t bl = strlen(wi->base_path);
	if (bl == 0 || wi->base_path[0] != '/' || wi->base_path[bl - 1] != '/')
		return cfg_fail(k->c, where(k, &wi->base_path, wi),
				"%s: BasePath \"%s\" must start and end with a slash", ctx,
				wi->base_path);
	for (size_t i = 0; i < ARRAY_LEN(web_services); i++)
		if (strcmp(wi->service, web_services[i].name) == 0)
			wi->service_parsed = web_services[i].service;
	if (wi->service_parsed == CFG_WEB_SERVICE_NONE)
		return cfg_fail(k->c, where(k, &wi->service, wi),
				"%s: unknown Service \"%s\" (admin, account, webmail or webapi)",
				ctx, wi->service);
	return true;
}

static bool check_monitor_dnsbls(struct checker *k)
{
	struct cfg_dynamic *d = k->d;
	size_t n = d->monitor_dnsbls.n;
	d->monitor_dnsbl_zones = arena_array(k->a, n ? n : 1, sizeof(char *));
	struct cfg_dynamic_index *seen = cfg_dynamic_index_new(k->a, n);
	for (size_t i = 0; i < n; i++) {
		const char *s = d->monitor_dnsbls.v[i];
		const void *at = &d->monitor_dnsbls.v[i];
		struct dns_domain zone;
		if (!parse_domain(k, at, "MonitorDNSBLs", s, &zone))
			return false;
		char *z = arena_strdup(k->a, zone.ascii);
		if (cfg_dynamic_index_add(seen, z, NULL, false, z))
			return cfg_fail(k->c, at, "MonitorDNSBLs: zone %s is listed twice", s);
		d->monitor_dnsbl_zones[i] = z;
	}
	return true;
}

/* ---- The static file's accounts ---- */

static const char *nz(const char *s)
{
	return s ? s : "";
}

static bool check_env(struct checker *k, const struct cfg_dynamic_env *env)
{
	struct cfg_dynamic *d = k->d;
	struct dns_domain host;
	struct error err = {0};
	if (!dns_domain_parse_cstr(nz(env->hostname), 0, &host, &err))
		return cfg_fail(k->c, NULL, "hostname \"%s\" from the static config: %s",
				nz(env->hostname), err.msg);
	d->hostname = arena_strdup(k->a, host.ascii);
	d->postmaster_account = arena_strdup(k->a, nz(env->postmaster_account));
	d->postmaster_mailbox = arena_strdup(k->a, nz(env->postmaster_mailbox));
	if (d->postmaster_account[0] && !cfg_account_find(d, d->postmaster_account))
		return cfg_fail(k->c, NULL, "postmaster account \"%s\" does not exist",
				d->postmaster_account);

	const char *tls_account = nz(env->host_tlsrpt_account);
	if (!tls_account[0])
		return true;
	struct cfg_account *acc = cfg_account_find(d, tls_account);
	if (!acc)
		return cfg_fail(k->c, NULL, "host TLSRPT account \"%s\" does not exist",
				tls_account);
	char lp[ADDRESS_LOCALPART_MAX + 1];
	if (!address_localpart_parse(str_from(nz(env->host_tlsrpt_localpart)), 0, lp, &err))
		return cfg_fail(k->c, NULL, "host TLSRPT localpart \"%s\": %s",
				nz(env->host_tlsrpt_localpart), err.msg);
	/* The host's reporting address is matched exactly, as mox does, even when the
	 * hostname is also a hosted domain. */
	struct cfg_destination *dest = arena_zalloc(k->a, sizeof *dest);
	dest->mailbox = arena_strdup(k->a, nz(env->host_tlsrpt_mailbox));
	dest->smtp_error = dest->message_auth_required_smtp_error = dest->full_name = "";
	dest->address = arena_sprintf(k->a, "%s@%s", lp, host.unicode);
	dest->host_tlsrpt_reports = true;
	struct cfg_dynamic_addr *e = arena_zalloc(k->a, sizeof *e);
	e->domain = d->hostname;
	e->localpart = arena_strdup(k->a, lp);
	e->account = acc;
	e->dest = dest;
	cfg_dynamic_index_add(d->address_index, e->domain, e->localpart, false, e);
	return true;
}

/* ---- The whole file ---- */

static size_t count_addresses(const struct cfg_dynamic *d)
{
	size_t n = 1 + 2 * d->domains.n;
	for (size_t i = 0; i < d->accounts.n; i++)
		n += d->accounts.v[i].destinations.n;
	for (size_t i = 0; i < d->domains.n; i++)
		n += d->domains.v[i].aliases.n;
	return n;
}

static bool check_names(struct checker *k)
{
	struct cfg_dynamic *d = k->d;
	for (size_t i = 0; i < d->domains.n; i++) {
		struct cfg_domain *dom = &d->domains.v[i];
		const char *key = d->domains.keys[i];
		char what[600];
		snprintf(what, sizeof what, "domain %s", key);
		if (!parse_domain_key(k, dom, what, key, &dom->name))
			return false;
		dom->reports_only = true; /* until an address in it is seen */
		if (cfg_dynamic_index_add(d->domain_index, dom->name.ascii, NULL, false, dom))
			return cfg_fail(k->c, dom, "domain %s: configured twice", key);
	}
	for (size_t i = 0; i < d->accounts.n; i++) {
		struct cfg_account *acc = &d->accounts.v[i];
		acc->name = d->accounts.keys[i];
		acc->aliases = NULL; /* filled in by the alias checks */
		acc->naliases = 0;
		if (!check_account_name(k, acc, acc->name))
			return false;
		/* Keys are unique already (binding checks that). */
		cfg_dynamic_index_add(d->account_index, acc->name, NULL, false, acc);
	}
	return true;
}

bool cfg_dynamic_check(struct cfg_dynamic *d, const struct cfg_dynamic_env *env,
		       struct cfg_check *c)
{
	struct checker k = {c, d, c->a};
	d->checked = false;
	d->domain_index = cfg_dynamic_index_new(k.a, d->domains.n);
	d->account_index = cfg_dynamic_index_new(k.a, d->accounts.n);
	d->address_index = cfg_dynamic_index_new(k.a, count_addresses(d));
	if (!check_names(&k) || !check_env(&k, env) ||
	    !check_routes(&k, "global", d->routes.v, d->routes.n))
		return false;
	for (size_t i = 0; i < d->domains.n; i++)
		if (!check_domain(&k, &d->domains.v[i], d->domains.keys[i]))
			return false;
	for (size_t i = 0; i < d->accounts.n; i++)
		if (!check_account(&k, &d->accounts.v[i]))
			return false;
	for (size_t i = 0; i < d->accounts.n; i++)
		if (!check_from_id_logins(&k, &d->accounts.v[i]))
			return false;
	add_report_addresses(&k);
	for (size_t i = 0; i < d->domains.n; i++) {
		struct cfg_domain *dom = &d->domains.v[i];
		for (size_t j = 0; j < dom->aliases.n; j++)
			if (!check_alias(&k, dom, dom->aliases.keys[j], &dom->aliases.v[j]))
				return false;
	}
	if (!check_web_redirects(&k))
		return false;
	for (size_t i = 0; i < d->web_handlers.n; i++)
		if (!check_webhandler(&k, i, &d->web_handlers.v[i]))
			return false;
	if (!check_monitor_dnsbls(&k))
		return false;
	d->checked = true;
	return true;
}
