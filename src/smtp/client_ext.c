#include "smtp/client_ext.h"

#include <string.h>
#include <strings.h>

/* Calls fn for each line after the first (the greeting line) until it returns true. */
static bool each_keyword_line(const struct smtp_reply *ehlo, bool (*fn)(struct str line, void *arg),
			      void *arg)
{
	if (ehlo->text.len == 0)
		return false;
	struct str rest = str_make(ehlo->text.data, ehlo->text.len), line;
	if (!str_cut(rest, '\n', NULL, &rest))
		return false;
	for (;;) {
		bool more = str_cut(rest, '\n', &line, &rest);
		if (fn(str_trim(line), arg))
			return true;
		if (!more)
			return false;
	}
}

/* "KEYWORD" or "KEYWORD params": the keyword and its parameters. */
static struct str keyword_of(struct str line, struct str *params)
{
	struct str kw;
	str_cut(line, ' ', &kw, params); /* without a space: all of it, no parameters */
	*params = str_trim(*params);
	return kw;
}

struct find {
	const char *keyword;
	struct str params;
};

static bool find_line(struct str line, void *arg)
{
	struct find *f = arg;
	struct str params;
	if (!str_eqi_cstr(keyword_of(line, &params), f->keyword))
		return false;
	f->params = params;
	return true;
}

bool smtp_ext_find(const struct smtp_reply *ehlo, const char *keyword, struct str *params)
{
	struct find f = {keyword, STR_LIT("")};
	bool found = each_keyword_line(ehlo, find_line, &f);
	if (found && params)
		*params = f.params;
	return found;
}

bool smtp_ext_mech_listed(const char *list, const char *mech)
{
	size_t n = strlen(mech);
	for (const char *p = list; p && *p;) {
		while (*p == ' ')
			p++;
		const char *e = strchr(p, ' ');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && n > 0 && strncasecmp(p, mech, n) == 0)
			return true;
		p = e;
	}
	return false;
}

/* RFC 9422 4: "LIMITS" 1*(SP name "=" value); a value is 1 to 6 digits. */
static void parse_limits(struct str params, struct smtp_exts *x)
{
	unsigned mail = 0, rcpt = 0, domain = 0;
	struct str item, rest = params;
	while (rest.len > 0) {
		str_cut(rest, ' ', &item, &rest); /* without a space: all of it, rest empty */
		struct str name, value;
		if (item.len == 0 || !str_cut(item, '=', &name, &value) || name.len == 0 ||
		    value.len == 0)
			return; /* a syntax error voids the whole line */
		uint64_t v = 0;
		bool ok = value.len <= 6 && str_parse_u64(value, 999999, &v) && v > 0;
		if (ok && str_eqi_cstr(name, "MAILMAX"))
			mail = (unsigned)v;
		else if (ok && str_eqi_cstr(name, "RCPTMAX"))
			rcpt = (unsigned)v;
		else if (ok && str_eqi_cstr(name, "RCPTDOMAINMAX"))
			domain = (unsigned)v;
	}
	x->limit_mailmax = mail;
	x->limit_rcptmax = rcpt;
	x->limit_rcptdomainmax = domain;
}

static void copy_mechs(struct str params, struct smtp_exts *x)
{
	size_t n = params.len < sizeof x->auth_mechs - 1 ? params.len : sizeof x->auth_mechs - 1;
	for (size_t i = 0; i < n; i++)
		x->auth_mechs[i] = ascii_upper(params.p[i]);
	x->auth_mechs[n] = '\0';
}

static bool note_keyword(struct str line, void *arg)
{
	struct smtp_exts *x = arg;
	struct str params;
	struct str kw = keyword_of(line, &params);
	if (str_eqi_cstr(kw, "STARTTLS"))
		x->starttls = true;
	else if (str_eqi_cstr(kw, "PIPELINING"))
		x->pipelining = true;
	else if (str_eqi_cstr(kw, "CHUNKING"))
		x->chunking = true;
	else if (str_eqi_cstr(kw, "8BITMIME"))
		x->eightbitmime = true;
	else if (str_eqi_cstr(kw, "SMTPUTF8"))
		x->smtputf8 = true;
	else if (str_eqi_cstr(kw, "REQUIRETLS"))
		x->requiretls = true;
	else if (str_eqi_cstr(kw, "ENHANCEDSTATUSCODES"))
		x->enhancedstatuscodes = true;
	else if (str_eqi_cstr(kw, "SIZE")) {
		x->size = true;
		uint64_t v;
		x->size_max = str_parse_u64(params, UINT64_MAX, &v) ? v : 0;
	} else if (str_eqi_cstr(kw, "AUTH")) {
		x->auth = true;
		copy_mechs(params, x);
	} else if (str_eqi_cstr(kw, "LIMITS"))
		parse_limits(params, x);
	return false;
}

void smtp_exts_parse(const struct smtp_reply *ehlo, struct smtp_exts *out)
{
	memset(out, 0, sizeof *out);
	each_keyword_line(ehlo, note_keyword, out);
}
