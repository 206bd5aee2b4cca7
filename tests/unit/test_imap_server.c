/*
 * The IMAP server's shared pieces without sockets of clients: per-account
 * connection slots, and the IDLE hub waking a waiter for input on its
 * descriptor, for store notifications, and at its timeout.
 */
#include "imap/idlehub.h"
#include "imap/server_internal.h"

#include <criterion/criterion.h>
#include <sys/socket.h>
#include <unistd.h>

Test(imap_server, account_connection_slots)
{
	struct imap_server *s = imap_server_new(NULL, NULL);
	imap_server_set_account_max(s, 2);
	cr_assert(imap_server_count_account(s, "mjl", true));
	cr_assert(imap_server_count_account(s, "mjl", true));
	cr_assert(!imap_server_count_account(s, "mjl", true), "third connection refused");
	cr_assert(imap_server_count_account(s, "other", true), "accounts counted apart");
	imap_server_count_account(s, "mjl", false);
	cr_assert(imap_server_count_account(s, "mjl", true), "a slot given back is free");
	imap_server_count_account(s, "mjl", false);
	imap_server_count_account(s, "mjl", false);
	imap_server_count_account(s, "other", false);
	imap_server_free(s);
}

Test(imap_idlehub, wakes_for_input_changes_and_timeout)
{
	struct error err;
	struct imap_hub *h = imap_hub_new(&err);
	cr_assert(h, "%s", err.msg);
	int sv[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct imap_waiter w;
	imap_waiter_init(&w, 42);

	/* Nothing happens: the timeout. */
	unsigned got = imap_hub_wait(h, &w, sv[0], 50);
	cr_assert_eq(got, IMAP_WAKE_TIMEOUT);
	cr_assert_eq(imap_hub_waiting(h), 0, "unregistered after the wait");

	/* A notification before the wait is not lost. */
	imap_waiter_notify(&w);
	got = imap_hub_wait(h, &w, sv[0], 5000);
	cr_assert(got & IMAP_WAKE_CHANGES);

	/* Input on the socket. */
	cr_assert_eq(write(sv[1], "DONE\r\n", 6), 6);
	got = imap_hub_wait(h, &w, sv[0], 5000);
	cr_assert(got & IMAP_WAKE_INPUT, "got %u", got);

	imap_waiter_destroy(&w);
	close(sv[0]);
	close(sv[1]);
	imap_hub_free(h);
}
