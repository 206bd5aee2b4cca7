/*
 * Helpers for the store's unit tests: a fresh data directory with an open
 * account, the consistency check after every operation, small deliveries.
 */
#ifndef TERN_TEST_STORE_HELPERS_H
#define TERN_TEST_STORE_HELPERS_H

#include "base/arena.h"
#include "base/buf.h"
#include "base/error.h"
#include "store/store.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tstore {
	char *dir;
	struct store_account *a;
	struct arena ar;
};

/* Asserts that the account is consistent, printing the problems otherwise. */
static inline void tcheck(struct store_account *a)
{
	struct buf problems = BUF_INIT;
	struct error err;
	bool ok = false;
	cr_assert(store_account_check(a, false, &problems, &ok, &err), "check: %s", err.msg);
	cr_assert(ok, "consistency check failed:\n%s", buf_cstr(&problems));
	buf_free(&problems);
}

static inline struct store_account *topen_account(const char *dir, const char *name)
{
	struct store_account_options o = {.data_dir = dir, .name = name};
	struct store_account *a = NULL;
	struct error err;
	cr_assert(store_account_open(&o, &a, &err), "open: %s", err.msg);
	return a;
}

static inline void tstore_open(struct tstore *t)
{
	char tmpl[] = "/tmp/tern-store-XXXXXX";
	cr_assert(mkdtemp(tmpl));
	t->dir = strdup(tmpl);
	t->a = topen_account(t->dir, "mjl");
	arena_init(&t->ar, 8192);
	tcheck(t->a);
}

static inline void trmrf(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static inline void tstore_close(struct tstore *t)
{
	if (t->a) {
		tcheck(t->a);
		store_account_close(t->a);
	}
	arena_free(&t->ar);
	trmrf(t->dir);
	free(t->dir);
}

static inline int64_t tmailbox_id(struct tstore *t, const char *name)
{
	struct store_mailbox mb;
	struct error err;
	cr_assert(store_mailbox_get(t->a, name, &t->ar, &mb, &err), "get %s: %s", name, err.msg);
	return mb.id;
}

static inline struct store_mailbox tmailbox(struct tstore *t, const char *name)
{
	struct store_mailbox mb;
	struct error err;
	cr_assert(store_mailbox_get(t->a, name, &t->ar, &mb, &err), "get %s: %s", name, err.msg);
	return mb;
}

/* Delivers text to the named mailbox with flags; returns the UID. Checks afterwards. */
static inline uint32_t tdeliver(struct tstore *t, const char *mailbox, const char *text,
				uint32_t flags)
{
	struct store_target tg = {.mailbox_name = mailbox, .flags = flags};
	struct store_delivery d = {
	    .data = text, .len = strlen(text), .targets = &tg, .ntargets = 1};
	struct error err;
	cr_assert(store_deliver(t->a, &d, &err), "deliver: %s", err.msg);
	tcheck(t->a);
	return tg.uid;
}

static inline struct store_uid_set tuids(struct store_uid_range *r, uint32_t first, uint32_t last)
{
	r->first = first;
	r->last = last;
	return (struct store_uid_set){r, 1};
}

#endif
