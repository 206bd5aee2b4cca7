/*
 * The SMTP client's sessions and transactions against a scripted server on
 * the other end of a socketpair: what it sends, how it reads replies, and
 * how it fails on bad ones.
 */
#include "base/mem.h"
#include "net/conn.h"
#include "smtp/client.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- the scripted server ---- */

struct fake {
	const char *exts;     /* EHLO lines after the first, '\n'-separated */
	const char *greeting; /* NULL: "220 fake ESMTP" */
	bool no_ehlo;         /* 502 to EHLO */
	const char *special;  /* a command prefix ... */
	const char *answer;   /* ... answered with this raw text; "": none, wait for the end;
				 CLOSE: close the connection */
	struct conn *conn;
	pthread_t thread;
	struct buf log;      /* commands received, one per line */
	struct buf messages; /* message data received, each followed by "\n--\n" */
	bool joined;
};

#define CLOSE "close"

/* The fake's writes and reads may fail once a test's client gave up: they end its loop. */
static bool say(struct fake *f, const char *s)
{
	return conn_puts(f->conn, s, NULL) && conn_puts(f->conn, "\r\n", NULL) &&
	       conn_flush(f->conn, NULL);
}

static bool ehlo(struct fake *f)
{
	if (f->no_ehlo)
		return say(f, "502 5.5.1 no EHLO here");
	struct buf b = BUF_INIT;
	buf_puts(&b, "250");
	buf_puts(&b, f->exts && *f->exts ? "-" : " ");
	buf_puts(&b, "fake.example hello");
	for (const char *p = f->exts; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		buf_printf(&b, "\r\n250%c%.*s", nl ? '-' : ' ', (int)n, p);
		p = nl ? nl + 1 : NULL;
	}
	bool ok = say(f, buf_cstr(&b));
	buf_free(&b);
	return ok;
}

static bool read_data(struct fake *f)
{
	for (;;) {
		struct str line;
		if (!conn_read_line(f->conn, 100000, &line, NULL, NULL))
			return false;
		if (str_eq_cstr(line, "."))
			break;
		if (line.len && line.p[0] == '.')
			line = str_sub(line, 1, line.len);
		buf_append(&f->messages, line.p, line.len);
		buf_puts(&f->messages, "\r\n");
	}
	buf_puts(&f->messages, "\n--\n");
	return say(f, "250 2.0.0 queued as 1");
}

static bool read_bdat(struct fake *f, const char *args)
{
	size_t n = strtoul(args, NULL, 10);
	char *p = xmalloc(n + 1);
	bool ok = conn_read_exact(f->conn, p, n, NULL);
	if (ok) {
		buf_append(&f->messages, p, n);
		buf_puts(&f->messages, "\n--\n");
	}
	free(p);
	return ok && say(f, "250 2.0.0 chunk queued");
}

static bool rcpt(struct fake *f, const char *args)
{
	if (strstr(args, "<bad"))
		return say(f, "550 5.1.1 no such user");
	if (strstr(args, "<full"))
		return say(f, "452 4.5.3 too many recipients");
	return say(f, "250 2.1.5 ok");
}

/* The answer to the special command; false when the session is to end. */
static bool special(struct fake *f)
{
	if (strcmp(f->answer, CLOSE) == 0)
		return false;
	if (!*f->answer) {
		struct str line; /* nothing: wait until the client gives up */
		conn_read_line(f->conn, 10, &line, NULL, NULL);
		return false;
	}
	return conn_puts(f->conn, f->answer, NULL) && conn_flush(f->conn, NULL);
}

/* One command; false at QUIT or when the client went away. */
static bool command(struct fake *f)
{
	struct str line;
	if (!conn_read_line(f->conn, 100000, &line, NULL, NULL))
		return false;
	buf_append(&f->log, line.p, line.len);
	buf_putc(&f->log, '\n');
	const char *l = line.p;
	if (f->special && strncasecmp(l, f->special, strlen(f->special)) == 0)
		return special(f);
	if (strncasecmp(l, "EHLO", 4) == 0)
		return ehlo(f);
	if (strncasecmp(l, "HELO", 4) == 0)
		return say(f, "250 fake.example");
	if (strncasecmp(l, "MAIL FROM:", 10) == 0)
		return say(f, strstr(l, "<refused@") ? "550 5.7.1 not you" : "250 2.1.0 ok");
	if (strncasecmp(l, "RCPT TO:", 8) == 0)
		return rcpt(f, l);
	if (strcasecmp(l, "DATA") == 0)
		return say(f, "354 go ahead") && read_data(f);
	if (strncasecmp(l, "BDAT ", 5) == 0)
		return read_bdat(f, l + 5);
	if (strcasecmp(l, "RSET") == 0)
		return say(f, "250 2.0.0 reset");
	if (strcasecmp(l, "QUIT") == 0) {
		say(f, "221 2.0.0 bye");
		return false;
	}
	return say(f, "500 5.5.2 what");
}

static void *serve(void *arg)
{
	struct fake *f = arg;
	if (say(f, f->greeting ? f->greeting : "220 fake.example ESMTP"))
		while (command(f))
			;
	conn_close(f->conn);
	return NULL;
}

/* Starts the fake on one end of a socketpair and a client on the other. */
static struct smtp_client *start(struct fake *f, int timeout_ms)
{
	int fds[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	f->conn = conn_new(fds[0], NULL);
	conn_set_timeouts(f->conn, 5000, 5000);
	buf_init(&f->log);
	buf_init(&f->messages);
	cr_assert_eq(pthread_create(&f->thread, NULL, serve, f), 0);
	struct smtp_client_opts o = {.ehlo_name = "client.example", .timeout_ms = timeout_ms};
	return smtp_client_new(conn_new(fds[1], NULL), &o);
}

/* Waits for the fake's end (after QUIT or the client's close): its log is then complete. */
static void join(struct fake *f)
{
	if (!f->joined)
		pthread_join(f->thread, NULL);
	f->joined = true;
}

static void quit_and_join(struct fake *f, struct smtp_client *c)
{
	struct error err;
	cr_assert(smtp_client_quit(c, &err), "quit: %s", err.msg);
	join(f);
}

static void finish(struct fake *f, struct smtp_client *c)
{
	smtp_client_free(c);
	join(f);
	conn_free(f->conn);
	buf_free(&f->log);
	buf_free(&f->messages);
}

static struct smtp_client *started(struct fake *f)
{
	struct smtp_client *c = start(f, 5000);
	struct error err;
	cr_assert(smtp_client_hello(c, &err), "hello: %s", err.msg);
	return c;
}

static struct smtp_tx tx_for(const char *const *rcpts, size_t n, const char *msg)
{
	return (struct smtp_tx){.mail_from = "me@client.example",
				.rcpts = rcpts,
				.nrcpts = n,
				.msg = {.data = msg, .len = strlen(msg), .fd = -1}};
}

/* ---- tests ---- */

Test(smtp_client, one_transaction_with_data_and_per_recipient_replies)
{
	struct fake f = {.exts = "SIZE 100000\n8BITMIME"};
	struct smtp_client *c = started(&f);
	const char *rcpts[] = {"a@x.example", "bad@x.example", "b@x.example"};
	struct smtp_tx tx = tx_for(rcpts, 3, "Subject: t\r\n\r\n.dot\nbare lf\r\n");
	tx.need_8bitmime = true;
	struct smtp_tx_result res;
	smtp_tx_result_init(&res);
	struct error err;
	cr_assert(smtp_client_send(c, &tx, &res, &err), "%s", err.msg);
	cr_assert_eq(res.fail, SMTP_TX_OK);
	cr_assert_eq(res.accepted, 2);
	cr_assert_eq(res.rcpt[0].code, 250);
	cr_assert_eq(res.rcpt[1].code, 550);
	cr_assert_str_eq(res.rcpt[1].ecode, "5.1.1");
	cr_assert_str_eq(buf_cstr(&res.rcpt[1].text), "no such user");
	cr_assert_eq(res.data.code, 250);
	cr_assert_str_eq(res.data.ecode, "2.0.0");
	cr_assert_not(res.chunking || res.pipelined);
	quit_and_join(&f, c);
	smtp_tx_result_free(&res);
	finish(&f, c);
}

Test(smtp_client, what_goes_over_the_wire)
{
	struct fake f = {.exts = "SIZE 100000\n8BITMIME\nSMTPUTF8\nREQUIRETLS"};
	struct smtp_client *c = started(&f);
	const char *rcpts[] = {"ü@x.example"};
	struct smtp_tx tx = tx_for(rcpts, 1, ".dot\nbare lf\rbare cr");
	tx.need_8bitmime = tx.need_smtputf8 = tx.requiretls = true;
	tx.mail_from = "";
	struct smtp_tx_result res;
	smtp_tx_result_init(&res);
	struct error err;
	cr_assert(smtp_client_send(c, &tx, &res, &err), "%s", err.msg);
	quit_and_join(&f, c);
	cr_assert_str_eq(buf_cstr(&f.log),
			 "EHLO client.example\n"
			 "MAIL FROM:<> SIZE=20 BODY=8BITMIME SMTPUTF8 REQUIRETLS\n"
			 "RCPT TO:<ü@x.example>\nDATA\nQUIT\n");
	cr_assert_str_eq(buf_cstr(&f.messages), ".dot\r\nbare lf\r\nbare cr\r\n\n--\n");
	smtp_tx_result_free(&res);
	finish(&f, c);
}

Test(smtp_client, pipelining_and_chunking_and_several_transactions)
{
	struct fake f = {.exts = "PIPELINING\nCHUNKING\nSIZE"};
	struct smtp_client *c = started(&f);
	/* More recipients than one pipelining window. */
	size_t n = SMTP_PIPELINE_WINDOW * 2 + 5;
	const char **rcpts = xcalloc(n, sizeof *rcpts);
	char **names = xcalloc(n, sizeof *names);
	for (size_t i = 0; i < n; i++) {
		names[i] = xasprintf(i % 10 == 3 ? "bad%zu@x.example" : "r%zu@x.example", i);
		rcpts[i] = names[i];
	}
	struct error err;
	for (int round = 0; round < 3; round++) {
		struct smtp_tx tx = tx_for(rcpts, n, "raw\nbytes.\r\n.\r\n");
		struct smtp_tx_result res;
		smtp_tx_result_init(&res);
		cr_assert(smtp_client_send(c, &tx, &res, &err), "%s", err.msg);
		cr_assert(res.pipelined && res.chunking);
		for (size_t i = 0; i < n; i++)
			cr_assert_eq(res.rcpt[i].code, i % 10 == 3 ? 550 : 250, "rcpt %zu", i);
		cr_assert_eq(res.accepted, n - (n + 6) / 10);
		smtp_tx_result_free(&res);
	}
	quit_and_join(&f, c);
	/* BDAT sends the bytes as they are. */
	cr_assert_str_eq(buf_cstr(&f.messages),
			 "raw\nbytes.\r\n.\r\n\n--\nraw\nbytes.\r\n.\r\n\n--\n"
			 "raw\nbytes.\r\n.\r\n\n--\n");
	cr_assert(strstr(buf_cstr(&f.log), "\nBDAT 15 LAST\n"));
	cr_assert_null(strstr(buf_cstr(&f.log), "RSET"));
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(rcpts);
	finish(&f, c);
}

Test(smtp_client, refused_transaction_is_reset_before_the_next)
{
	struct fake f = {.exts = "PIPELINING"};
	struct smtp_client *c = started(&f);
	const char *bad[] = {"bad1@x.example", "bad2@x.example"};
	struct smtp_tx tx = tx_for(bad, 2, "x\r\n");
	struct smtp_tx_result res;
	smtp_tx_result_init(&res);
	struct error err;
	cr_assert_not(smtp_client_send(c, &tx, &res, &err));
	cr_assert_eq(res.fail, SMTP_TX_NO_RECIPIENTS);
	cr_assert_eq(res.accepted, 0);
	smtp_tx_result_free(&res);
	/* One recipient refused: the error is its reply. */
	const char *one[] = {"bad@x.example"};
	tx = tx_for(one, 1, "x\r\n");
	smtp_tx_result_init(&res);
	cr_assert_not(smtp_client_send(c, &tx, &res, &err));
	cr_assert_eq(err.kind, ERR_PERMISSION);
	cr_assert(strstr(err.msg, "RCPT TO: 550 5.1.1 no such user"), "%s", err.msg);
	smtp_tx_result_free(&res);
	/* MAIL refused. */
	const char *good[] = {"good@x.example"};
	tx = tx_for(good, 1, "x\r\n");
	tx.mail_from = "refused@client.example";
	smtp_tx_result_init(&res);
	cr_assert_not(smtp_client_send(c, &tx, &res, &err));
	cr_assert_eq(res.fail, SMTP_TX_REFUSED);
	cr_assert_eq(res.mail.code, 550);
	smtp_tx_result_free(&res);
	tx.mail_from = "me@client.example";
	smtp_tx_result_init(&res);
	cr_assert(smtp_client_send(c, &tx, &res, &err), "%s", err.msg);
	smtp_tx_result_free(&res);
	quit_and_join(&f, c);
	const char *log = buf_cstr(&f.log);
	/* RSET after each transaction that got as far as an accepted MAIL. */
	const char *first = strstr(log, "RCPT TO:<bad2@x.example>\nRSET\nMAIL");
	cr_assert(first, "%s", log);
	cr_assert(strstr(first + 1, "RCPT TO:<bad@x.example>\nRSET\nMAIL FROM:<refused"), "%s",
		  log);
	cr_assert(strstr(log, "MAIL FROM:<refused@client.example>\nRCPT TO:<good@x.example>\n"
			      "MAIL FROM:<me@"),
		  "%s", log);
	finish(&f, c);
}

Test(smtp_client, too_many_recipients_without_pipelining)
{
	struct fake f = {.exts = ""};
	struct smtp_client *c = started(&f);
	const char *rcpts[] = {"a@x.example", "full@x.example", "c@x.example", "d@x.example"};
	struct smtp_tx tx = tx_for(rcpts, 4, "x\r\n");
	struct smtp_tx_result res;
	smtp_tx_result_init(&res);
	struct error err;
	cr_assert(smtp_client_send(c, &tx, &res, &err), "%s", err.msg);
	cr_assert_eq(res.accepted, 1);
	/* RFC 5321 4.5.3.1.10: the rest are not sent and share the 452. */
	for (int i = 1; i < 4; i++) {
		cr_assert_eq(res.rcpt[i].code, 452);
		cr_assert_str_eq(res.rcpt[i].ecode, "4.5.3");
	}
	smtp_tx_result_free(&res);
	quit_and_join(&f, c);
	cr_assert_null(strstr(buf_cstr(&f.log), "c@x.example"));
	finish(&f, c);
}

Test(smtp_client, needs_the_server_lacks_fail_before_sending)
{
	struct fake f = {.exts = "SIZE 10"};
	struct smtp_client *c = started(&f);
	const char *rcpts[] = {"a@x.example"};
	struct smtp_tx_result res;
	struct error err;
	struct {
		bool utf8, eight, requiretls;
		const char *msg;
		enum smtp_tx_fail fail;
		enum error_kind kind;
	} cases[] = {
	    {true, false, false, "x", SMTP_TX_NO_SMTPUTF8, ERR_PERMISSION},
	    {false, true, false, "x", SMTP_TX_NO_8BITMIME, ERR_TEMPORARY},
	    {false, false, true, "x", SMTP_TX_NO_REQUIRETLS, ERR_PERMISSION},
	    {false, false, false, "eleven byte", SMTP_TX_TOO_LARGE, ERR_PERMISSION},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct smtp_tx tx = tx_for(rcpts, 1, cases[i].msg);
		tx.need_smtputf8 = cases[i].utf8;
		tx.need_8bitmime = cases[i].eight;
		tx.requiretls = cases[i].requiretls;
		smtp_tx_result_init(&res);
		cr_assert_not(smtp_client_send(c, &tx, &res, &err));
		cr_assert_eq(res.fail, cases[i].fail, "case %zu", i);
		cr_assert_eq(err.kind, cases[i].kind, "case %zu", i);
		smtp_tx_result_free(&res);
	}
	cr_assert(smtp_client_usable(c));
	quit_and_join(&f, c);
	cr_assert_str_eq(buf_cstr(&f.log), "EHLO client.example\nQUIT\n");
	finish(&f, c);
}

Test(smtp_client, message_from_a_file_with_a_prefix)
{
	struct fake f = {.exts = "CHUNKING"};
	struct smtp_client *c = started(&f);
	char path[] = "/tmp/tern-client-msg-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	const char *content = "skipped|Subject: file\r\n\r\nbody\r\n|skipped";
	cr_assert_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	const char *rcpts[] = {"a@x.example"};
	struct smtp_tx tx = {.mail_from = "me@client.example",
			     .rcpts = rcpts,
			     .nrcpts = 1,
			     .msg = {.prefix = "Received: by test\r\n",
				     .prefix_len = 19,
				     .fd = fd,
				     .offset = 8,
				     .fd_len = 23}};
	struct smtp_tx_result res;
	smtp_tx_result_init(&res);
	struct error err;
	cr_assert(smtp_client_send(c, &tx, &res, &err), "%s", err.msg);
	smtp_tx_result_free(&res);
	/* A file shorter than promised ends the session: the data cannot be ended cleanly. */
	tx.msg.fd_len = 100;
	smtp_tx_result_init(&res);
	cr_assert_not(smtp_client_send(c, &tx, &res, &err));
	cr_assert_eq(res.fail, SMTP_TX_CONNECTION);
	cr_assert(strstr(err.msg, "shorter"), "%s", err.msg);
	cr_assert_not(smtp_client_usable(c));
	smtp_tx_result_free(&res);
	close(fd);
	unlink(path);
	smtp_client_free(c);
	join(&f);
	cr_assert(strncmp(buf_cstr(&f.messages),
			  "Received: by test\r\nSubject: file\r\n\r\nbody\r\n\n--\n", 46) == 0,
		  "%s", buf_cstr(&f.messages));
	finish(&f, NULL);
}

Test(smtp_client, helo_when_ehlo_is_unknown_and_refused_greeting)
{
	struct fake f = {.no_ehlo = true};
	struct smtp_client *c = started(&f);
	cr_assert_not(smtp_client_exts(c)->pipelining);
	cr_assert_str_eq(smtp_client_greeting_name(c), "fake.example");
	struct error err;
	cr_assert(smtp_client_quit(c, &err));
	finish(&f, c);

	struct fake g = {.greeting = "554-5.7.1 not today\r\n554 5.7.1 go away"};
	c = start(&g, 5000);
	cr_assert_not(smtp_client_hello(c, &err));
	cr_assert_eq(err.kind, ERR_PERMISSION);
	cr_assert(strstr(err.msg, "greeting: 554 5.7.1 not today"), "%s", err.msg);
	cr_assert_eq(smtp_client_last_reply(c)->nlines, 2);
	cr_assert(smtp_client_quit(c, &err));
	finish(&g, c);
}

/* A server answering `command` with `answer`: the client's error kind and a word of it. */
static void bad_answer(const char *command, const char *answer, int timeout_ms,
		       enum error_kind kind, const char *words)
{
	struct fake f = {.exts = "PIPELINING", .special = command, .answer = answer};
	struct smtp_client *c = start(&f, timeout_ms);
	struct error err;
	bool ok = smtp_client_hello(c, &err);
	if (ok) {
		const char *rcpts[] = {"a@x.example"};
		struct smtp_tx tx = tx_for(rcpts, 1, "x\r\n");
		struct smtp_tx_result res;
		smtp_tx_result_init(&res);
		ok = smtp_client_send(c, &tx, &res, &err);
		cr_assert_eq(res.fail, SMTP_TX_CONNECTION);
		smtp_tx_result_free(&res);
	}
	cr_assert_not(ok);
	cr_assert_eq(err.kind, kind, "%s: %s", command, err.msg);
	cr_assert(strstr(err.msg, words), "%s", err.msg);
	cr_assert_not(smtp_client_usable(c));
	cr_assert_not(smtp_client_quit(c, NULL));
	/* The client closes; the fake sees the end. */
	finish(&f, c);
}

static char *huge_reply(size_t lines, size_t width)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < lines; i++) {
		buf_puts(&b, i + 1 < lines ? "250-" : "250 ");
		for (size_t j = 0; j < width; j++)
			buf_putc(&b, 'x');
		buf_puts(&b, "\r\n");
	}
	return buf_steal(&b);
}

Test(smtp_client, bad_replies_end_the_session_with_a_clear_error)
{
	bad_answer("EHLO", "hello there\r\n", 5000, ERR_INVALID, "no reply code");
	bad_answer("MAIL", "250-ok\r\n354 no\r\n", 5000, ERR_INVALID, "code differs");
	/* 1 MB in one line, and 1 MB in many lines: bounded, never held. */
	char *line = huge_reply(1, 1024 * 1024);
	bad_answer("MAIL", line, 5000, ERR_LIMIT, "reply line longer than 2048 bytes");
	free(line);
	char *lines = huge_reply(10000, 100);
	bad_answer("RCPT", lines, 5000, ERR_LIMIT, "reply of more than 128 lines");
	free(lines);
	/* A stalled server: the reply's deadline. */
	bad_answer("DATA", "", 300, ERR_TIMEOUT, "timeout waiting for the server's reply");
	/* A server that trickles lines cannot stretch one reply past the deadline. */
	bad_answer("MAIL", "250-a\r\n", 300, ERR_TIMEOUT, "timeout");
	/* A server that goes away. */
	bad_answer("RCPT", CLOSE, 5000, ERR_CLOSED, "closed");
}
