#include "dns/mock.h"

#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

struct mock_rr {
	char *name; /* normalised */
	struct dns_record rec;
};

struct mock_fail {
	char *name;
	enum dns_type type; /* 0: every type */
	enum dns_status status;
};

struct dns_mock {
	struct dns_resolver base; /* first: the resolver is the mock */
	pthread_rwlock_t lock;
	struct arena arena; /* names and record data, under the write lock */
	struct mock_rr *rrs;
	size_t nrr, caprr;
	struct mock_fail *fails;
	size_t nfail, capfail;
	char **secure;
	size_t nsecure, capsecure;
	_Atomic uint64_t queries;
};

/* Where a lookup stands while it follows CNAMEs. */
struct chase {
	const char *cur;
	uint32_t ttl;
	bool authenticated;
};

static bool name_within(const char *name, const char *zone)
{
	if (strcmp(zone, ".") == 0)
		return true;
	size_t n = strlen(name), z = strlen(zone);
	if (n == z)
		return strcmp(name, zone) == 0;
	return n > z && name[n - z - 1] == '.' && strcmp(name + n - z, zone) == 0;
}

static const struct mock_fail *find_fail(const struct dns_mock *m, const char *name,
					 enum dns_type type)
{
	for (size_t i = 0; i < m->nfail; i++)
		if ((m->fails[i].type == 0 || m->fails[i].type == type) &&
		    strcmp(m->fails[i].name, name) == 0)
			return &m->fails[i];
	return NULL;
}

static bool is_secure(const struct dns_mock *m, const char *name)
{
	for (size_t i = 0; i < m->nsecure; i++)
		if (name_within(name, m->secure[i]))
			return true;
	return false;
}

/* RFC 8020: a name exists when it or any name below it has records. */
static bool name_exists(const struct dns_mock *m, const char *name)
{
	for (size_t i = 0; i < m->nrr; i++)
		if (name_within(m->rrs[i].name, name))
			return true;
	return false;
}

static const struct mock_rr *find_rr(const struct dns_mock *m, const char *name, enum dns_type type)
{
	for (size_t i = 0; i < m->nrr; i++)
		if (m->rrs[i].rec.type == type && strcmp(m->rrs[i].name, name) == 0)
			return &m->rrs[i];
	return NULL;
}

static size_t collect(const struct dns_mock *m, const char *name, enum dns_type type,
		      struct arena *a, struct dns_result *out)
{
	size_t n = 0;
	for (size_t i = 0; i < m->nrr; i++)
		if (m->rrs[i].rec.type == type && strcmp(m->rrs[i].name, name) == 0)
			n++;
	if (n == 0)
		return 0;
	if (n > DNS_RECORDS_MAX) {
		n = DNS_RECORDS_MAX;
		out->truncated = true;
	}
	out->records = arena_array(a, n, sizeof *out->records);
	size_t k = 0;
	for (size_t i = 0; i < m->nrr && k < n; i++)
		if (m->rrs[i].rec.type == type && strcmp(m->rrs[i].name, name) == 0) {
			dns_record_copy(&out->records[k], &m->rrs[i].rec, a);
			if (out->records[k].ttl < out->ttl)
				out->ttl = out->records[k].ttl;
			k++;
		}
	out->count = n;
	return n;
}

static void finish(struct dns_result *out, enum dns_status status, const struct chase *c,
		   struct arena *a)
{
	out->status = status;
	out->canonical = arena_strdup(a, c->cur);
	out->authenticated = c->authenticated && status != DNS_TEMPFAIL && status != DNS_BOGUS;
	if (status == DNS_TEMPFAIL || status == DNS_BOGUS)
		out->ttl = 0;
	if (out->why == NULL)
		out->why = "";
}

static void resolve_one(const struct dns_mock *m, const struct dns_question *q, struct arena *a,
			struct dns_result *out)
{
	memset(out, 0, sizeof *out);
	out->type = q->type;
	out->name = arena_strdup(a, q->name);
	struct chase c = {q->name, UINT32_MAX, true};
	for (int hop = 0; hop <= DNS_CNAME_MAX; hop++) {
		const struct mock_fail *f = find_fail(m, c.cur, q->type);
		if (f) {
			out->why =
			    arena_sprintf(a, "mock: %s for %s", dns_status_name(f->status), c.cur);
			out->ttl =
			    f->status == DNS_NXDOMAIN || f->status == DNS_NODATA ? DNS_MOCK_TTL : 0;
			c.authenticated = c.authenticated && is_secure(m, c.cur);
			finish(out, f->status, &c, a);
			return;
		}
		c.authenticated = c.authenticated && is_secure(m, c.cur);
		out->ttl = c.ttl;
		if (collect(m, c.cur, q->type, a, out) > 0) {
			finish(out, DNS_OK, &c, a);
			return;
		}
		const struct mock_rr *cname =
		    q->type == DNS_TYPE_CNAME ? NULL : find_rr(m, c.cur, DNS_TYPE_CNAME);
		if (cname == NULL) {
			out->ttl = c.ttl < DNS_MOCK_TTL ? c.ttl : DNS_MOCK_TTL;
			finish(out, name_exists(m, c.cur) ? DNS_NODATA : DNS_NXDOMAIN, &c, a);
			return;
		}
		if (cname->rec.ttl < c.ttl)
			c.ttl = cname->rec.ttl;
		c.cur = cname->rec.name;
	}
	out->why = arena_sprintf(a, "mock: more than %d CNAMEs from %s", DNS_CNAME_MAX, q->name);
	finish(out, DNS_TEMPFAIL, &c, a);
}

static void mock_resolve(struct dns_resolver *r, const struct dns_question *qs, size_t n,
			 int64_t deadline_ms, struct arena *a, struct dns_result *out)
{
	struct dns_mock *m = (struct dns_mock *)r;
	pthread_rwlock_rdlock(&m->lock);
	for (size_t i = 0; i < n; i++) {
		resolve_one(m, &qs[i], a, &out[i]);
		atomic_fetch_add(&m->queries, 1);
	}
	pthread_rwlock_unlock(&m->lock);
}

static void mock_free(struct dns_resolver *r)
{
	struct dns_mock *m = (struct dns_mock *)r;
	pthread_rwlock_destroy(&m->lock);
	arena_free(&m->arena);
	free(m->rrs);
	free(m->fails);
	free(m->secure);
	free(m);
}

static const struct dns_resolver_ops mock_ops = {"mock", mock_resolve, mock_free};

struct dns_mock *dns_mock_new(void)
{
	struct dns_mock *m = xcalloc(1, sizeof *m);
	m->base.ops = &mock_ops;
	pthread_rwlock_init(&m->lock, NULL);
	arena_init(&m->arena, 16384);
	return m;
}

struct dns_resolver *dns_mock_resolver(struct dns_mock *m)
{
	return &m->base;
}

uint64_t dns_mock_queries(struct dns_mock *m)
{
	return atomic_load(&m->queries);
}

/* Appends to a growable array under the write lock. */
#define GROW(arr, n, cap)                                                                          \
	do {                                                                                       \
		if ((n) == (cap)) {                                                                \
			(cap) = (cap) ? 2 * (cap) : 16;                                            \
			(arr) = xreallocarray((arr), (cap), sizeof *(arr));                        \
		}                                                                                  \
	} while (0)

bool dns_mock_add_record(struct dns_mock *m, const char *name, const struct dns_record *rec,
			 struct error *err)
{
	char norm[DNS_TEXT_NAME_MAX];
	if (!dns_name_normalize(name, norm, err))
		return error_prefix(err, "record name %s", name);
	if (dns_type_name(rec->type) == NULL)
		return error_set(err, ERR_INVALID, "record type %d not supported", (int)rec->type);
	pthread_rwlock_wrlock(&m->lock);
	GROW(m->rrs, m->nrr, m->caprr);
	struct mock_rr *rr = &m->rrs[m->nrr++];
	rr->name = arena_strdup(&m->arena, norm);
	dns_record_copy(&rr->rec, rec, &m->arena);
	pthread_rwlock_unlock(&m->lock);
	return true;
}

bool dns_mock_fail(struct dns_mock *m, const char *name, enum dns_type type, enum dns_status status,
		   struct error *err)
{
	char norm[DNS_TEXT_NAME_MAX];
	if (!dns_name_normalize(name, norm, err))
		return error_prefix(err, "name %s", name);
	if (status == DNS_OK || status == DNS_BADNAME)
		return error_set(err, ERR_INVALID, "mock failure status must be a DNS outcome");
	pthread_rwlock_wrlock(&m->lock);
	GROW(m->fails, m->nfail, m->capfail);
	m->fails[m->nfail++] = (struct mock_fail){arena_strdup(&m->arena, norm), type, status};
	pthread_rwlock_unlock(&m->lock);
	return true;
}

bool dns_mock_authenticate(struct dns_mock *m, const char *zone, struct error *err)
{
	char norm[DNS_TEXT_NAME_MAX];
	if (!dns_name_normalize(zone, norm, err))
		return error_prefix(err, "zone %s", zone);
	pthread_rwlock_wrlock(&m->lock);
	GROW(m->secure, m->nsecure, m->capsecure);
	m->secure[m->nsecure++] = arena_strdup(&m->arena, norm);
	pthread_rwlock_unlock(&m->lock);
	return true;
}

/* ---- Record lines ---- */

/* The next space-separated word of *s, advancing past it. */
static struct str next_word(struct str *s)
{
	*s = str_trim(*s);
	size_t i = 0;
	while (i < s->len && s->p[i] != ' ' && s->p[i] != '\t')
		i++;
	struct str w = str_make(s->p, i);
	*s = str_make(s->p + i, s->len - i);
	return w;
}

static bool word_number(struct str *s, uint64_t max, uint64_t *out, const char *what,
			struct error *err)
{
	struct str w = next_word(s);
	if (!str_parse_u64(w, max, out))
		return error_set(err, ERR_INVALID, "bad %s %.*s", what, (int)w.len, w.p);
	return true;
}

/* The last word of the data: a name. */
static bool word_name(struct str *s, struct arena *a, const char **out, struct error *err)
{
	struct str w = next_word(s);
	if (str_trim(*s).len > 0)
		return error_set(err, ERR_INVALID, "text after the name");
	char tmp[DNS_INPUT_MAX + 1], norm[DNS_TEXT_NAME_MAX];
	if (w.len == 0 || w.len > DNS_INPUT_MAX)
		return error_set(err, ERR_INVALID, "missing or overlong name");
	memcpy(tmp, w.p, w.len);
	tmp[w.len] = '\0';
	if (!dns_name_normalize(tmp, norm, err))
		return false;
	*out = arena_strdup(a, norm);
	return true;
}

/* One quoted character-string starting at s->p[0] == '"'; appends to b. */
static bool quoted_string(struct str *s, struct buf *b, struct error *err)
{
	size_t i = 1;
	while (i < s->len && s->p[i] != '"') {
		char c = s->p[i++];
		if (c != '\\') {
			buf_putc(b, c);
			continue;
		}
		if (i + 3 <= s->len && ascii_isdigit(s->p[i]) && ascii_isdigit(s->p[i + 1]) &&
		    ascii_isdigit(s->p[i + 2])) {
			unsigned v = (unsigned)((s->p[i] - '0') * 100 + (s->p[i + 1] - '0') * 10 +
						(s->p[i + 2] - '0'));
			if (v > 255)
				return error_set(err, ERR_INVALID, "bad \\DDD escape");
			buf_putc(b, (char)v);
			i += 3;
		} else if (i < s->len) {
			buf_putc(b, s->p[i++]);
		}
	}
	if (i >= s->len)
		return error_set(err, ERR_INVALID, "unterminated quoted string");
	*s = str_make(s->p + i + 1, s->len - i - 1);
	return true;
}

static bool parse_txt(struct str s, struct arena *a, struct dns_txt *txt, struct error *err)
{
	s = str_trim(s);
	struct buf b = BUF_INIT;
	if (s.len == 0 || s.p[0] != '"') {
		buf_append(&b, s.p, s.len);
	} else {
		while (s.len > 0) {
			if (s.p[0] != '"') {
				buf_free(&b);
				return error_set(err, ERR_INVALID, "text between quoted strings");
			}
			if (!quoted_string(&s, &b, err)) {
				buf_free(&b);
				return false;
			}
			s = str_trim(s);
		}
	}
	txt->len = b.len;
	txt->data = arena_memdup0(a, buf_cstr(&b), b.len);
	buf_free(&b);
	return true;
}

static bool parse_hex(struct str s, struct arena *a, const uint8_t **out, size_t *len,
		      struct error *err)
{
	uint8_t *data = arena_alloc(a, s.len / 2 + 1);
	size_t n = 0;
	int hi = -1;
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] == ' ' || s.p[i] == '\t')
			continue;
		int v = ascii_hexval(s.p[i]);
		if (v < 0)
			return error_set(err, ERR_INVALID, "bad hex in TLSA data");
		if (hi < 0) {
			hi = v;
		} else {
			data[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0 || n == 0)
		return error_set(err, ERR_INVALID, "TLSA data must be whole hex bytes");
	*out = data;
	*len = n;
	return true;
}

static bool parse_ip(struct str s, enum dns_type type, struct ip_addr *ip, struct error *err)
{
	struct str w = next_word(&s);
	if (!ip_parse(w, ip, err))
		return false;
	if ((type == DNS_TYPE_A) != (ip->family == IP_V4))
		return error_set(err, ERR_INVALID, "%s record needs an IPv%c address",
				 dns_type_name(type), type == DNS_TYPE_A ? '4' : '6');
	return true;
}

static bool parse_data(enum dns_type type, struct str s, struct arena *a, struct dns_record *rec,
		       struct error *err)
{
	uint64_t v[3];
	switch (type) {
	case DNS_TYPE_A:
	case DNS_TYPE_AAAA: return parse_ip(s, type, &rec->ip, err);
	case DNS_TYPE_CNAME:
	case DNS_TYPE_PTR:
	case DNS_TYPE_NS: return word_name(&s, a, &rec->name, err);
	case DNS_TYPE_MX:
		if (!word_number(&s, 65535, &v[0], "preference", err))
			return false;
		rec->mx.preference = (uint16_t)v[0];
		return word_name(&s, a, &rec->mx.host, err);
	case DNS_TYPE_SRV:
		for (int i = 0; i < 3; i++)
			if (!word_number(&s, 65535, &v[i], "SRV number", err))
				return false;
		rec->srv = (struct dns_srv){(uint16_t)v[0], (uint16_t)v[1], (uint16_t)v[2], NULL};
		return word_name(&s, a, &rec->srv.target, err);
	case DNS_TYPE_TXT: return parse_txt(s, a, &rec->txt, err);
	case DNS_TYPE_TLSA:
		for (int i = 0; i < 3; i++)
			if (!word_number(&s, 255, &v[i], "TLSA number", err))
				return false;
		rec->tlsa.usage = (uint8_t)v[0];
		rec->tlsa.selector = (uint8_t)v[1];
		rec->tlsa.matching_type = (uint8_t)v[2];
		return parse_hex(str_trim(s), a, &rec->tlsa.data, &rec->tlsa.len, err);
	}
	return error_set(err, ERR_INVALID, "record type not supported");
}

bool dns_mock_add(struct dns_mock *m, const char *line, struct error *err)
{
	struct str s = str_from(line);
	struct str name = next_word(&s), w = next_word(&s);
	uint64_t ttl = DNS_MOCK_TTL;
	if (w.len > 0 && ascii_isdigit(w.p[0])) {
		if (!str_parse_u64(w, INT32_MAX, &ttl))
			return error_set(err, ERR_INVALID, "bad TTL %.*s", (int)w.len, w.p);
		w = next_word(&s);
	}
	char tname[16];
	enum dns_type type;
	if (w.len == 0 || w.len >= sizeof tname)
		return error_set(err, ERR_INVALID, "missing record type");
	memcpy(tname, w.p, w.len);
	tname[w.len] = '\0';
	if (!dns_type_parse(tname, &type))
		return error_set(err, ERR_INVALID, "record type %s not supported", tname);
	if (name.len == 0 || name.len > DNS_INPUT_MAX)
		return error_set(err, ERR_INVALID, "missing or overlong name");
	char nametext[DNS_INPUT_MAX + 1];
	memcpy(nametext, name.p, name.len);
	nametext[name.len] = '\0';
	/* Parse into a scratch arena; dns_mock_add_record copies into the mock. */
	struct arena scratch;
	arena_init(&scratch, 4096);
	struct dns_record rec = {.type = type, .ttl = (uint32_t)ttl};
	bool ok =
	    parse_data(type, s, &scratch, &rec, err) && dns_mock_add_record(m, nametext, &rec, err);
	arena_free(&scratch);
	return ok;
}

bool dns_mock_add_zone(struct dns_mock *m, const char *text, struct error *err)
{
	struct str rest = str_from(text), line;
	int lineno = 0;
	while (rest.len > 0) {
		str_cut(rest, '\n', &line, &rest); /* the last line may lack its newline */
		lineno++;
		line = str_trim(line);
		if (line.len > 0 && line.p[line.len - 1] == '\r')
			line.len--;
		if (line.len == 0 || line.p[0] == '#' || line.p[0] == ';')
			continue;
		char *copy = xstrndup(line.p, line.len);
		bool ok = dns_mock_add(m, copy, err);
		free(copy);
		if (!ok)
			return error_prefix(err, "line %d", lineno);
	}
	return true;
}
