/*
 * Fuzzes the domains.conf model: any input either binds or fails with a
 * "file:line: message" error. A model that binds is written back, and the
 * written text must bind again and write back identically. Then the model is
 * checked (with a config directory that does not exist, so key files fail
 * cleanly), and a checked model is looked up in; every check failure must be
 * a "file..." message. Everything is freed: the arena, and what
 * cfg_dynamic_release frees.
 */
#include "base/arena.h"
#include "base/buf.h"
#include "config/dynamic.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct cfg_dynamic_env env = {
    .hostname = "mail.example.org",
    .postmaster_account = "",
    .postmaster_mailbox = "Postmaster",
};

/* Written text must read back as the same model, seen through a second write. */
static void check_round_trip(const struct cfg_dynamic *d, struct arena *a)
{
	struct buf w1 = BUF_INIT, w2 = BUF_INIT;
	struct error err = {0};
	if (sch_write(&cfg_dynamic_type, d, &w1, &err)) {
		struct cfg_dynamic d2;
		memset(&d2, 0, sizeof d2);
		if (!sch_load(buf_cstr(&w1), w1.len, "written.conf", &cfg_dynamic_type, &d2, a,
			      NULL, &err))
			abort();
		if (!sch_write(&cfg_dynamic_type, &d2, &w2, &err))
			abort();
		if (w1.len != w2.len || memcmp(buf_cstr(&w1), buf_cstr(&w2), w1.len) != 0)
			abort();
	} else if (strncmp(err.msg, "cannot write ", 13) != 0) {
		abort();
	}
	buf_free(&w1);
	buf_free(&w2);
}

/* Every configured address of a checked model is found again by the lookups. */
static void exercise_lookups(const struct cfg_dynamic *d)
{
	struct cfg_dynamic_match m;
	for (size_t i = 0; i < d->accounts.n; i++) {
		const struct cfg_account *acc = &d->accounts.v[i];
		if (cfg_account_find(d, acc->name) != acc)
			abort();
		for (size_t j = 0; j < acc->destinations.n; j++) {
			const struct cfg_destination *dest = &acc->destinations.v[j];
			/* postmaster@hostname is the static file's, never a login. */
			if (strncasecmp(dest->address, "postmaster@", 11) == 0)
				continue;
			enum cfg_login_status st = cfg_lookup_login(d, dest->address, &m);
			/* Reporting addresses may take over an address (as in mox), so only
			 * "found somewhere" is certain, and only for non-catchall addresses. */
			if (!dest->catchall && st == CFG_LOGIN_NO_ADDRESS)
				abort();
		}
	}
	for (size_t i = 0; i < d->domains.n; i++) {
		const struct cfg_domain *dom = &d->domains.v[i];
		if (cfg_domain_find(d, dom->name.ascii) != dom)
			abort();
		cfg_lookup_recipient(d, "postmaster", dom->name.ascii,
				     CFG_LOOKUP_ALLOW_POSTMASTER | CFG_LOOKUP_ALLOW_ALIAS |
					 CFG_LOOKUP_CHECK_DISABLED,
				     &m);
		cfg_lookup_recipient(d, "Some.One+tag", dom->name.ascii, CFG_LOOKUP_ALLOW_ALIAS,
				     &m);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	arena_init(&a, 16384);
	struct cfg_dynamic d;
	memset(&d, 0, sizeof d);
	struct error err = {0};
	struct sch_lines *lines = sch_lines_new(&a);
	if (!sch_load((const char *)data, size, "fuzz.conf", &cfg_dynamic_type, &d, &a, lines,
		      &err)) {
		if (strncmp(err.msg, "fuzz.conf:", 10) != 0)
			abort();
		arena_free(&a);
		return 0;
	}
	check_round_trip(&d, &a);
	struct cfg_check c = {"fuzz.conf", "/nonexistent", lines, &a, &err};
	if (cfg_dynamic_check(&d, &env, &c))
		exercise_lookups(&d);
	else if (strncmp(err.msg, "fuzz.conf", 9) != 0)
		abort();
	cfg_dynamic_release(&d);
	arena_free(&a);
	return 0;
}
