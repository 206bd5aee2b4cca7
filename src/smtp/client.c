#include "smtp/client_internal.h"

#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "smtp/codes.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading and writing ---- */

int client_timeout(const struct smtp_client *c)
{
	return c->o.timeout_ms > 0 ? c->o.timeout_ms : SMTP_CLIENT_TIMEOUT_MS;
}

bool client_botch(struct smtp_client *c)
{
	c->botched = true;
	return false;
}

static bool unusable(struct error *err)
{
	return error_set(err, ERR_INVALID, "smtp session unusable after an earlier error");
}

bool client_write_line(struct smtp_client *c, const char *line, bool secret, struct error *err)
{
	if (c->botched)
		return unusable(err);
	const struct logger *lg = conn_log(c->conn);
	if (secret && !log_enabled(lg, LOG_TRACEAUTH))
		log_trace(lg, "smtp client write", LS("line", "(auth data)"));
	else
		log_trace(lg, "smtp client write", LS("line", line));
	conn_set_timeouts(c->conn, client_timeout(c), client_timeout(c));
	if (!conn_puts(c->conn, line, err) || !conn_puts(c->conn, "\r\n", err))
		return client_botch(c);
	return true;
}

bool client_flush(struct smtp_client *c, struct error *err)
{
	if (c->botched)
		return unusable(err);
	conn_set_timeouts(c->conn, client_timeout(c), client_timeout(c));
	return conn_flush(c->conn, err) || client_botch(c);
}

/* One line of a reply within what is left of the reply's deadline. */
static bool read_line(struct smtp_client *c, int64_t deadline, struct str *line, struct error *err)
{
	int64_t left = deadline - mono_ms();
	if (left <= 0)
		return error_set(err, ERR_TIMEOUT, "timeout waiting for the server's reply");
	conn_set_timeouts(c->conn, left > INT_MAX ? INT_MAX : (int)left, client_timeout(c));
	if (conn_read_line(c->conn, SMTP_CLIENT_LINE_MAX, line, NULL, err))
		return true;
	if (err && err->kind == ERR_LIMIT)
		return error_set(err, ERR_LIMIT, "reply line longer than %d bytes",
				 SMTP_CLIENT_LINE_MAX);
	if (err && err->kind == ERR_TIMEOUT)
		return error_set(err, ERR_TIMEOUT, "timeout waiting for the server's reply");
	return error_prefix(err, "reading reply");
}

bool client_read_reply(struct smtp_client *c, struct smtp_reply *r, int timeout_ms,
		       struct error *err)
{
	if (c->botched)
		return unusable(err);
	smtp_reply_reset(r);
	int64_t deadline = mono_ms() + timeout_ms;
	for (;;) {
		struct str line;
		bool done;
		if (!read_line(c, deadline, &line, err))
			return client_botch(c);
		log_trace(conn_log(c->conn), "smtp client read", LS("line", line.p));
		if (!smtp_reply_add_line(r, line, &done, err))
			return client_botch(c);
		if (done)
			break;
	}
	if (r != &c->reply)
		smtp_reply_copy(&c->reply, r);
	return true;
}

bool client_command(struct smtp_client *c, const char *line, bool secret, struct error *err)
{
	return client_write_line(c, line, secret, err) && client_flush(c, err) &&
	       client_read_reply(c, &c->reply, client_timeout(c), err);
}

bool client_refused(const struct smtp_reply *r, const char *what, struct error *err)
{
	char summary[600];
	smtp_reply_summary(r, summary, sizeof summary);
	return error_set(err, r->code >= 500 ? ERR_PERMISSION : ERR_TEMPORARY, "%s: %s", what,
			 summary);
}

/* ---- session set-up ---- */

struct smtp_client *smtp_client_new(struct conn *conn, const struct smtp_client_opts *o)
{
	struct smtp_client *c = xcalloc(1, sizeof *c);
	c->conn = conn;
	c->o = *o;
	if (o->tls_ctx)
		c->tls = tls_client_ref(o->tls_ctx);
	smtp_reply_init(&c->reply);
	smtp_reply_init(&c->ehlo);
	return c;
}

/* RFC 5321 4.3.1: "220 domain text"; the domain is kept for TLS reports. */
static void note_greeting(struct smtp_client *c)
{
	struct str first = smtp_reply_first_line(&c->reply), name;
	str_cut(first, ' ', &name, NULL);
	if (name.len < sizeof c->greeting_name) {
		memcpy(c->greeting_name, name.p, name.len);
		c->greeting_name[name.len] = '\0';
	}
}

static bool is_unknown_command(int code)
{
	return code >= SMTP_C500_SYNTAX && code <= SMTP_C504_PARAM_NOT_IMPL;
}

/* EHLO, or HELO when the server does not know EHLO and helo_ok (RFC 5321 3.2). */
static bool hello(struct smtp_client *c, bool helo_ok, struct error *err)
{
	const char *name = c->o.ehlo_name ? c->o.ehlo_name : "localhost";
	char line[CLIENT_NAME_MAX + 8];
	snprintf(line, sizeof line, "EHLO %s", name);
	if (!client_command(c, line, false, err))
		return false;
	if (c->reply.code == SMTP_C250_OK) {
		smtp_reply_copy(&c->ehlo, &c->reply);
		smtp_exts_parse(&c->ehlo, &c->exts);
		return true;
	}
	if (!helo_ok || !is_unknown_command(c->reply.code))
		return client_refused(&c->reply, "EHLO", err);
	snprintf(line, sizeof line, "HELO %s", name);
	if (!client_command(c, line, false, err))
		return false;
	if (c->reply.code != SMTP_C250_OK)
		return client_refused(&c->reply, "HELO", err);
	smtp_reply_reset(&c->ehlo);
	memset(&c->exts, 0, sizeof c->exts);
	return true;
}

static bool tls_handshake(struct smtp_client *c, struct error *err)
{
	c->tls_tried = true;
	if (!c->tls)
		return error_set(err, ERR_INVALID, "tls requested without a tls client context");
	if (!conn_tls_connect(c->conn, c->tls, &c->o.tls_params, client_timeout(c), &c->tls_result,
			      err))
		return client_botch(c);
	snprintf(c->tls_desc, sizeof c->tls_desc, "%s %s", c->tls_result.version,
		 c->tls_result.cipher);
	return true;
}

/* RFC 8460 4.3.1: recorded for reports whether or not the session goes on. */
static void no_starttls(struct smtp_client *c, const char *reason)
{
	c->tls_tried = true;
	memset(&c->tls_result, 0, sizeof c->tls_result);
	c->tls_result.verify = c->o.tls_params.verify;
	c->tls_result.failure = TLS_RESULT_STARTTLS_NOT_SUPPORTED;
	str_copy(c->tls_result.reason, sizeof c->tls_result.reason, reason);
}

/* RFC 3207 4: STARTTLS, the handshake, and EHLO again (4.2: forget what came before). */
static bool starttls(struct smtp_client *c, struct error *err)
{
	bool required = c->o.tls == SMTP_CLIENT_TLS_STARTTLS;
	if (!c->exts.starttls && !required) {
		no_starttls(c, "starttls not offered");
		return true;
	}
	if (!client_command(c, "STARTTLS", false, err))
		return false;
	if (c->reply.code != SMTP_C220_READY) {
		char reason[64];
		snprintf(reason, sizeof reason, "smtp-starttls-reply-code-%d", c->reply.code);
		no_starttls(c, reason);
		return client_refused(&c->reply, "STARTTLS", err);
	}
	smtp_reply_reset(&c->ehlo);
	memset(&c->exts, 0, sizeof c->exts);
	return tls_handshake(c, err) && hello(c, false, err);
}

bool smtp_client_hello(struct smtp_client *c, struct error *err)
{
	if (c->o.tls == SMTP_CLIENT_TLS_IMPLICIT && !tls_handshake(c, err))
		return false;
	if (!client_read_reply(c, &c->reply, client_timeout(c), err))
		return error_prefix(err, "greeting");
	if (c->reply.code != SMTP_C220_READY)
		return client_refused(&c->reply, "greeting", err);
	note_greeting(c);
	if (!hello(c, true, err))
		return false;
	if ((c->o.tls == SMTP_CLIENT_TLS_OPPORTUNISTIC || c->o.tls == SMTP_CLIENT_TLS_STARTTLS) &&
	    !starttls(c, err))
		return false;
	return client_authenticate(c, err);
}

struct smtp_client *smtp_client_dial(const char *host, uint16_t port,
				     const struct smtp_client_opts *o, const struct dial_opts *d,
				     struct error *err)
{
	struct conn *conn = dial_host(host, port, d, err);
	if (!conn)
		return NULL;
	struct smtp_client *c = smtp_client_new(conn, o);
	if (!smtp_client_hello(c, err)) {
		smtp_client_free(c);
		return NULL;
	}
	return c;
}

void smtp_client_free(struct smtp_client *c)
{
	if (!c)
		return;
	conn_free(c->conn);
	tls_client_unref(c->tls);
	smtp_reply_free(&c->reply);
	smtp_reply_free(&c->ehlo);
	free(c);
}

/* ---- QUIT, RSET ---- */

bool smtp_client_quit(struct smtp_client *c, struct error *err)
{
	if (!client_write_line(c, "QUIT", false, err) || !client_flush(c, err) ||
	    !client_read_reply(c, &c->reply, SMTP_CLIENT_QUIT_TIMEOUT_MS, err))
		return false;
	return c->reply.code == SMTP_C221_CLOSING || client_refused(&c->reply, "QUIT", err);
}

bool smtp_client_rset(struct smtp_client *c, struct error *err)
{
	if (!client_command(c, "RSET", false, err))
		return false;
	if (c->reply.code != SMTP_C250_OK)
		return client_refused(&c->reply, "RSET", err);
	c->need_rset = false;
	return true;
}

/* ---- accessors ---- */

bool smtp_client_usable(const struct smtp_client *c)
{
	return !c->botched;
}

const struct smtp_exts *smtp_client_exts(const struct smtp_client *c)
{
	return &c->exts;
}

bool smtp_client_has_ext(const struct smtp_client *c, const char *keyword)
{
	return smtp_ext_find(&c->ehlo, keyword, NULL);
}

const struct smtp_reply *smtp_client_last_reply(const struct smtp_client *c)
{
	return &c->reply;
}

const char *smtp_client_greeting_name(const struct smtp_client *c)
{
	return c->greeting_name;
}

bool smtp_client_tls_active(const struct smtp_client *c)
{
	return conn_tls(c->conn) != NULL;
}

const struct tls_client_result *smtp_client_tls_result(const struct smtp_client *c)
{
	return c->tls_tried ? &c->tls_result : NULL;
}

const char *smtp_client_tls_desc(const struct smtp_client *c)
{
	return c->tls_desc;
}

const char *smtp_client_auth_mech(const struct smtp_client *c)
{
	return c->auth_mech;
}

struct conn *smtp_client_conn(struct smtp_client *c)
{
	return c->conn;
}
