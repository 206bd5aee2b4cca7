/*
 * The \Recent mark (store/recent.h): claims move it up and say where it was,
 * reads never claim, the mark survives closing the account and goes with
 * its mailbox.
 */
#include "test_store_helpers.h"

static const char msg[] = "Subject: x\r\n\r\nbody\r\n";

Test(store_recent, claim_and_count)
{
	struct tstore t;
	tstore_open(&t);
	tdeliver(&t, "Inbox", msg, 0);
	tdeliver(&t, "Inbox", msg, 0);
	int64_t in = tmailbox_id(&t, "Inbox");
	struct error err;
	uint32_t first;
	int64_t n;
	cr_assert(store_recent_first(t.a, in, &first, &err), "%s", err.msg);
	cr_assert_eq(first, 1, "nobody claimed anything yet");
	cr_assert(store_recent_count(t.a, in, &n, &err));
	cr_assert_eq(n, 2);
	/* The first claim gets both; a second finds nothing. */
	cr_assert(store_recent_claim(t.a, in, 3, &first, &err), "%s", err.msg);
	cr_assert_eq(first, 1);
	cr_assert(store_recent_claim(t.a, in, 3, &first, &err));
	cr_assert_eq(first, 3);
	cr_assert(store_recent_count(t.a, in, &n, &err));
	cr_assert_eq(n, 0);
	tdeliver(&t, "Inbox", msg, 0);
	cr_assert(store_recent_count(t.a, in, &n, &err));
	cr_assert_eq(n, 1);
	tcheck(t.a);
	/* Kept across a close. */
	store_account_close(t.a);
	t.a = topen_account(t.dir, "mjl");
	cr_assert(store_recent_first(t.a, in, &first, &err));
	cr_assert_eq(first, 3);
	/* A claim below the mark changes nothing. */
	cr_assert(store_recent_claim(t.a, in, 2, &first, &err));
	cr_assert_eq(first, 3);
	tstore_close(&t);
}

Test(store_recent, goes_with_the_mailbox)
{
	struct tstore t;
	tstore_open(&t);
	struct error err;
	int64_t id;
	struct store_mailbox_create o = {0};
	cr_assert(store_mailbox_create(t.a, "Box", &o, NULL, &id, &err), "%s", err.msg);
	tdeliver(&t, "Box", msg, 0);
	uint32_t first;
	cr_assert(store_recent_claim(t.a, id, 2, &first, &err));
	cr_assert(store_mailbox_delete(t.a, "Box", NULL, &err), "%s", err.msg);
	cr_assert(!store_recent_claim(t.a, id, 5, &first, &err));
	cr_assert_eq(err.kind, ERR_NOTFOUND);
	int64_t left = -1;
	cr_assert(store_recent_count(t.a, id, &left, &err));
	cr_assert_eq(left, 0);
	tstore_close(&t);
}
