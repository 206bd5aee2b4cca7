/*
 * Fuzzes the RFC 5322 address list parser: arbitrary bytes give a list whose
 * groups are balanced and whose strings have no NUL; formatting the list and
 * parsing the result gives the same list; the IMAP address structures built
 * from it are balanced. A violation aborts.
 */
#include "mail/addrlist.h"
#include "mail/imapfmt.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(bool cond, const char *what, const char *detail)
{
	if (cond)
		return;
	fprintf(stderr, "invariant violated: %s (%s)\n", what, detail);
	abort();
}

static bool same(const struct mail_address *a, const struct mail_address *b)
{
	return a->kind == b->kind && strcmp(a->name, b->name) == 0 &&
	       strcmp(a->route, b->route) == 0 && strcmp(a->localpart, b->localpart) == 0 &&
	       strcmp(a->domain, b->domain) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	arena_init(&a, 0);
	struct mail_addrlist l;
	mail_addrlist_parse(&a, str_make((const char *)data, size), &l);
	require(l.n <= MAIL_ADDRESSES_MAX, "address limit", "");
	int depth = 0;
	for (size_t i = 0; i < l.n; i++) {
		const struct mail_address *m = &l.v[i];
		require(m->name && m->route && m->localpart && m->domain, "strings set", "");
		if (m->kind == MAIL_ADDR_GROUP_START)
			require(++depth == 1, "groups do not nest", "");
		else if (m->kind == MAIL_ADDR_GROUP_END)
			require(--depth == 0, "group end after start", "");
	}
	require(depth == 0, "groups closed", "");

	struct buf f = BUF_INIT;
	mail_addrlist_format(&l, &f);
	struct mail_addrlist again;
	mail_addrlist_parse(&a, str_make(f.data ? f.data : "", f.len), &again);
	require(again.n == l.n, "round trip count", buf_cstr(&f));
	for (size_t i = 0; i < l.n; i++)
		require(same(&l.v[i], &again.v[i]), "round trip", buf_cstr(&f));

	struct mail_envelope env = {0};
	env.to = l;
	for (int utf8 = 0; utf8 < 2; utf8++) {
		struct buf b = BUF_INIT;
		mail_imap_envelope(&env, utf8, &b);
		int d = 0;
		bool quoted = false;
		for (size_t i = 0; i < b.len; i++) {
			char c = b.data[i];
			if (quoted) {
				if (c == '\\')
					i++;
				else if (c == '"')
					quoted = false;
				continue;
			}
			if (c == '"') {
				quoted = true;
			} else if (c == '{') {
				char *end;
				unsigned long n = strtoul(b.data + i + 1, &end, 10);
				require(*end == '}' && n <= b.len, "literal", buf_cstr(&b));
				i = (size_t)(end - b.data) + 2 + n;
			} else if (c == '(') {
				d++;
			} else if (c == ')') {
				require(--d >= 0, "balanced", buf_cstr(&b));
			}
		}
		require(d == 0 && !quoted, "balanced at end", buf_cstr(&b));
		buf_free(&b);
	}
	buf_free(&f);
	arena_free(&a);
	return 0;
}
