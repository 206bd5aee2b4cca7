#include "mail/envelope.h"
#include "test_store_helpers.h"

#include "store/internal.h"

static int64_t received = 1700000000;

/* Delivers a message with the given headers; returns its row. */
static struct store_message put(struct tstore *t, const char *headers)
{
	char *text = arena_sprintf(
	    &t->ar, "From: Someone <Some.One@Example.ORG>\r\n%s\r\n\r\nbody\r\n", headers);
	struct store_target tg = {.mailbox_name = "Inbox"};
	struct store_delivery d = {.data = text,
				   .len = strlen(text),
				   .targets = &tg,
				   .ntargets = 1,
				   .received = received += 60};
	struct error err;
	cr_assert(store_deliver(t->a, &d, &err), "%s", err.msg);
	tcheck(t->a);
	struct store_message m;
	cr_assert(store_message_get(t->a, tg.message_id, STORE_FETCH_THREAD | STORE_FETCH_PARSED,
				    &t->ar, &m, &err),
		  "%s", err.msg);
	return m;
}

Test(store_thread, references_in_reply_to_subject_and_duplicates)
{
	struct tstore t;
	tstore_open(&t);
	struct store_message a = put(&t, "Message-ID: <A@x>\r\nSubject: hello");
	cr_assert_eq(a.thread_id, a.id);
	cr_assert_eq(a.nthread_parents, 0);
	cr_assert_str_eq(a.message_id, "a@x");
	cr_assert_str_eq(a.from, "some.one@example.org");
	cr_assert(a.parsed && a.parsed_len > 0);

	struct store_message b =
	    put(&t, "Message-ID: <b@x>\r\nIn-Reply-To: <a@x>\r\nSubject: Re: hello");
	cr_assert_eq(b.thread_id, a.id);
	cr_assert_eq(b.nthread_parents, 1);
	cr_assert_eq(b.thread_parents[0], a.id);
	cr_assert(!b.thread_missing_link);

	struct store_message c = put(
	    &t, "Message-ID: <c@x>\r\nReferences: <a@x>\r\n <b@x>\r\nSubject: RE: [list] Hello");
	cr_assert_eq(c.thread_id, a.id);
	cr_assert_eq(c.nthread_parents, 2);
	cr_assert_eq(c.thread_parents[0], b.id);
	cr_assert_eq(c.thread_parents[1], a.id);

	/* nearest reference missing: parent is the next one, link marked missing */
	struct store_message d =
	    put(&t, "Message-ID: <d@x>\r\nReferences: <a@x> <gone@x>\r\nSubject: Re: hello");
	cr_assert_eq(d.thread_parents[0], a.id);
	cr_assert(d.thread_missing_link);

	/* a reference with another base subject is not followed (as mox) */
	struct store_message e =
	    put(&t, "Message-ID: <e@x>\r\nIn-Reply-To: <a@x>\r\nSubject: something else");
	cr_assert_eq(e.thread_id, e.id);
	cr_assert(e.thread_missing_link);

	/* no references, a reply by subject: under the latest with that base subject */
	struct store_message f = put(&t, "Message-ID: <f@x>\r\nSubject: Fwd: hello");
	cr_assert_eq(f.thread_id, a.id);
	cr_assert_eq(f.thread_parents[0], d.id);
	cr_assert(f.thread_missing_link);

	/* not a reply: its own thread, even with a matching base subject */
	struct store_message g = put(&t, "Message-ID: <g@x>\r\nSubject: hello");
	cr_assert_eq(g.thread_id, g.id);

	/* a duplicate Message-ID joins the first one */
	struct store_message h = put(&t, "Message-ID: <a@x>\r\nSubject: hello");
	cr_assert_eq(h.thread_id, a.id);
	cr_assert_eq(h.thread_parents[0], a.id);
	cr_assert(h.thread_missing_link);

	/* copies keep the thread */
	int64_t in = tmailbox_id(&t, "Inbox"), ar = tmailbox_id(&t, "Archive");
	struct store_uid_range r;
	struct store_uid_set set = tuids(&r, 3, 3);
	struct store_copy_result res;
	struct error err;
	cr_assert(store_copy(t.a, in, &set, ar, 0, NULL, &t.ar, &res, &err));
	struct store_message *m;
	size_t n;
	cr_assert(store_messages_fetch(t.a, ar, NULL, 0, STORE_FETCH_THREAD, &t.ar, &m, &n, &err));
	cr_assert_eq(n, 1);
	cr_assert_eq(m[0].thread_id, a.id);
	cr_assert_eq(m[0].nthread_parents, 2);
	tstore_close(&t);
}

Test(store_thread, subject_reply_markers)
{
	cr_assert(mail_subject_is_reply("Re: x"));
	cr_assert(mail_subject_is_reply("re : x"));
	cr_assert(mail_subject_is_reply("FWD: x"));
	cr_assert(mail_subject_is_reply("Fw: x"));
	cr_assert(mail_subject_is_reply("[list] Re: x"));
	cr_assert(mail_subject_is_reply("Re[2]: x"));
	cr_assert(mail_subject_is_reply("x (fwd)"));
	cr_assert(mail_subject_is_reply("[Fwd: x]"));
	cr_assert(!mail_subject_is_reply("x"));
	cr_assert(!mail_subject_is_reply("[list] x"));
	cr_assert(!mail_subject_is_reply("Regarding x"));
	cr_assert(!mail_subject_is_reply(""));
}
