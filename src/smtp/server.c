/*
 * The session loop and the commands that need no help from other files:
 * greeting, EHLO/HELO, STARTTLS, MAIL, RSET, NOOP, VRFY, EXPN, HELP, QUIT.
 */
#include "smtp/session.h"

#include "base/mem.h"
#include "base/timeutil.h"
#include "smtp/codes.h"
#include "smtp/reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct log_pkg *smtp_pkg(void)
{
	return log_pkg("smtpserver");
}

int smtp_session_cmd_timeout(const struct smtp_session *s)
{
	return s->cfg->cmd_timeout_ms ? s->cfg->cmd_timeout_ms : SMTP_CMD_TIMEOUT_MS;
}

int smtp_session_data_timeout(const struct smtp_session *s)
{
	return s->cfg->data_timeout_ms ? s->cfg->data_timeout_ms : SMTP_DATA_TIMEOUT_MS;
}

int smtp_session_txn_timeout(const struct smtp_session *s)
{
	return s->cfg->txn_timeout_ms ? s->cfg->txn_timeout_ms : SMTP_TXN_TIMEOUT_MS;
}

void smtp_session_reply_raw(struct smtp_session *s, const char *text)
{
	if (s->end == END_IO)
		return;
	struct error err;
	if (!conn_puts(s->c, text, &err)) {
		log_debug(&s->lg, "writing reply", LE(&err));
		s->end = END_IO;
	}
}

void smtp_session_reply(struct smtp_session *s, int code, const char *se, const char *fmt, ...)
{
	buf_reset(&s->scratch);
	va_list ap;
	va_start(ap, fmt);
	smtp_reply_vformatf(&s->scratch, code, se, fmt, ap);
	va_end(ap);
	if (code >= 400)
		log_debug(&s->lg, "smtp error reply", LI("code", code),
			  LS("reply", buf_cstr(&s->scratch)));
	smtp_session_reply_raw(s, buf_cstr(&s->scratch));
}

bool smtp_session_flush(struct smtp_session *s)
{
	if (s->end == END_IO)
		return false;
	struct error err;
	if (!conn_flush(s->c, &err)) {
		log_debug(&s->lg, "flushing replies", LE(&err));
		s->end = END_IO;
		return false;
	}
	return true;
}

void smtp_session_bad(struct smtp_session *s)
{
	if (++s->bad_cmds < SMTP_BAD_CMDS_MAX)
		return;
	log_info(&s->lg, "closing session after too many errors", LU("errors", s->bad_cmds));
	smtp_session_reply(s, SMTP_C421_UNAVAILABLE, SMTP_SE_PROTO_OTHER,
			   "too many errors, closing connection");
	smtp_session_flush(s);
	s->end = END_IO;
}

void smtp_session_io_error(struct smtp_session *s, const struct error *err)
{
	switch (err->kind) {
	case ERR_SHUTDOWN:
		smtp_session_reply(s, SMTP_C421_UNAVAILABLE, SMTP_SE_SYS_NOT_ACCEPTING,
				   "server shutting down, try again later");
		smtp_session_flush(s);
		break;
	case ERR_TIMEOUT:
		log_info(&s->lg, "session timed out", LE(err));
		smtp_session_reply(s, SMTP_C421_UNAVAILABLE, SMTP_SE_NET_TIMEOUT,
				   "timeout, closing connection");
		smtp_session_flush(s);
		break;
	case ERR_CLOSED: log_debug(&s->lg, "client closed the connection"); break;
	default: log_info(&s->lg, "connection error", LE(err)); break;
	}
	s->end = END_IO;
}

void smtp_session_reset_txn(struct smtp_session *s)
{
	s->have_mail = false;
	memset(&s->mail_from, 0, sizeof s->mail_from);
	s->mail_from_text = NULL;
	s->smtputf8 = false;
	s->body_8bitmime = false;
	s->requiretls = false;
	s->hold_until = 0;
	s->hold_request[0] = '\0';
	s->rcpts = NULL;
	s->nrcpts = s->caprcpts = 0;
	s->rcpt_refused = 0;
	s->bdat = false;
	s->bdat_failed = false;
	if (s->spool_fd >= 0) {
		close(s->spool_fd);
		s->spool_fd = -1;
	}
	if (s->dyn) {
		config_dynamic_put(s->dyn);
		s->dyn = NULL;
	}
	arena_free(&s->txn_arena);
	arena_init(&s->txn_arena, 16 * 1024);
}

/* RFC 3207 4.2: after TLS starts, the client starts over with EHLO. */
static void reset_session(struct smtp_session *s)
{
	smtp_session_reset_txn(s);
	s->hello_done = false;
	s->ehlo = false;
	s->hello[0] = '\0';
	s->authenticated = false;
	s->auth_by_tls = false;
	memset(&s->login, 0, sizeof s->login);
}

/* AUTH is possible now: submission, a SASL table, and TLS unless not required. */
static bool auth_offered(const struct smtp_session *s)
{
	if (!s->cfg->submission || !s->cfg->sasl)
		return false;
	return s->tls || !s->cfg->require_tls_for_auth;
}

static void ehlo_reply(struct smtp_session *s)
{
	struct buf *b = &s->scratch;
	buf_reset(b);
	/* RFC 2034 3: no enhanced codes in the EHLO reply. */
	buf_printf(b, "250-%s\r\n", s->cfg->hostname.ascii);
	buf_puts(b, "250-PIPELINING\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n");
	buf_printf(b, "250-SIZE %llu\r\n", (unsigned long long)s->cfg->max_message_size);
	if (!s->tls && s->cfg->tls)
		buf_puts(b, "250-STARTTLS\r\n");
	if (auth_offered(s)) {
		struct buf mechs = BUF_INIT;
		struct smtp_sasl_env env = {s->c, conn_tls(s->c), conn_remote_ip(s->c),
					    !s->cfg->require_tls_for_auth};
		s->cfg->sasl->mechanisms(s->cfg->sasl->arg, &env, &mechs);
		if (mechs.len)
			buf_printf(b, "250-AUTH %s\r\n", buf_cstr(&mechs));
		buf_free(&mechs);
	}
	if (s->tls && s->cfg->requiretls)
		buf_puts(b, "250-REQUIRETLS\r\n");
	if (s->cfg->submission && s->cfg->hold) {
		/* RFC 4865 3: the longest interval and the latest release time. */
		char latest[40];
		time_format_rfc3339(time(NULL) + SMTP_FUTURE_RELEASE_MAX, latest, sizeof latest);
		buf_printf(b, "250-FUTURERELEASE %d %s\r\n", SMTP_FUTURE_RELEASE_MAX, latest);
	}
	buf_printf(b, "250-LIMITS RCPTMAX=%d\r\n", SMTP_RCPT_MAX);
	buf_puts(b, "250-CHUNKING\r\n250-SMTPUTF8\r\n250 HELP\r\n");
	smtp_session_reply_raw(s, buf_cstr(b));
}

static void cmd_hello(struct smtp_session *s, struct str args, bool ehlo)
{
	struct smtp_hello h;
	struct error err;
	/* RFC 5321 4.1.1.1; SMTPUTF8 clients may use a U-label name (RFC 6531 3.7.1). */
	if (!smtp_parse_hello(str_trim(args), true, &h, &err)) {
		smtp_session_reply(s, SMTP_C501_PARAM_SYNTAX, SMTP_SE_PROTO_SYNTAX, "%s: %s",
				   ehlo ? "EHLO" : "HELO", err.msg);
		smtp_session_bad(s);
		return;
	}
	/* RFC 5321 4.1.4: EHLO/HELO again resets the transaction. */
	smtp_session_reset_txn(s);
	s->hello_done = true;
	s->ehlo = ehlo;
	if (h.literal)
		snprintf(s->hello, sizeof s->hello, "[%s]", h.literal_text);
	else
		str_copy(s->hello, sizeof s->hello, h.domain.unicode);
	if (ehlo)
		ehlo_reply(s);
	else
		smtp_session_reply(s, SMTP_C250_OK, NULL, "%s", s->cfg->hostname.ascii);
}

static void cmd_starttls(struct smtp_session *s, struct str args)
{
	if (args.len) {
		smtp_session_reply(s, SMTP_C501_PARAM_SYNTAX, SMTP_SE_PROTO_SYNTAX,
				   "no parameters allowed");
		return;
	}
	if (s->tls) {
		smtp_session_reply(s, SMTP_C503_BAD_SEQUENCE, SMTP_SE_PROTO_BAD_CMD,
				   "already using TLS");
		return;
	}
	if (!s->cfg->tls) {
		smtp_session_reply(s, SMTP_C502_NOT_IMPL, SMTP_SE_PROTO_BAD_CMD,
				   "STARTTLS not available: no TLS configured for this listener");
		return;
	}
	if (!smtp_session_flush(s))
		return;
	struct error err;
	/* conn_starttls discards plaintext pipelined after STARTTLS (RFC 3207 4.2). */
	char ready[64];
	snprintf(ready, sizeof ready, "220 2.0.0 ready to start TLS\r\n");
	if (!conn_starttls(s->c, s->cfg->tls, ready, smtp_session_cmd_timeout(s), &err)) {
		log_info(&s->lg, "STARTTLS handshake failed", LE(&err));
		s->end = END_IO;
		return;
	}
	s->tls = true;
	const struct tls_info *ti = conn_tls(s->c);
	log_debug(&s->lg, "tls started", LS("version", ti->version), LS("cipher", ti->cipher));
	reset_session(s);
	smtp_session_tls_login(s);
}

bool smtp_session_need_mail_ok(struct smtp_session *s)
{
	if (!s->hello_done) {
		smtp_session_reply(s, SMTP_C503_BAD_SEQUENCE, SMTP_SE_PROTO_BAD_CMD,
				   "say EHLO or HELO first");
		return false;
	}
	if (s->cfg->require_starttls && !s->tls) {
		/* RFC 3207 4: a server may require TLS before mail transactions. */
		smtp_session_reply(s, SMTP_C530_AUTH_REQUIRED, SMTP_SE_POL_OTHER,
				   "STARTTLS required first");
		return false;
	}
	if (s->cfg->submission && !s->authenticated) {
		/* RFC 4954 6; RFC 6409 4.3. */
		smtp_session_reply(s, SMTP_C530_AUTH_REQUIRED, SMTP_SE_POL_OTHER,
				   s->cfg->sasl ? "authentication required"
						: "authentication required, and this build of tern "
						  "has no authentication yet");
		return false;
	}
	return true;
}

static void cmd_rset(struct smtp_session *s, struct str args)
{
	if (args.len) {
		smtp_session_reply(s, SMTP_C501_PARAM_SYNTAX, SMTP_SE_PROTO_SYNTAX,
				   "no parameters allowed");
		return;
	}
	smtp_session_reset_txn(s);
	smtp_session_reply(s, SMTP_C250_OK, SMTP_SE_OTHER, "all clear");
}

static void cmd_help(struct smtp_session *s)
{
	smtp_session_reply(s, SMTP_C214_HELP, SMTP_SE_OTHER,
			   "commands: EHLO HELO STARTTLS AUTH MAIL RCPT DATA BDAT RSET NOOP VRFY "
			   "EXPN HELP QUIT\nsee RFC 5321");
}

/* The first command decides whether the peer speaks SMTP at all (an HTTP client, binary). */
static bool first_command_ok(const struct smtp_cmd *cmd)
{
	static const char *const known[] = {"EHLO", "HELO",     "QUIT", "NOOP", "RSET",
					    "HELP", "STARTTLS", "AUTH", "MAIL", "RCPT",
					    "DATA", "VRFY",     "EXPN", "BDAT"};
	for (size_t i = 0; i < ARRAY_LEN(known); i++)
		if (strcmp(cmd->verb, known[i]) == 0)
			return true;
	return false;
}

static void dispatch(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	const char *v = cmd->verb;
	struct str a = cmd->args;
	if (strcmp(v, "EHLO") == 0)
		cmd_hello(s, a, true);
	else if (strcmp(v, "HELO") == 0)
		cmd_hello(s, a, false);
	else if (strcmp(v, "STARTTLS") == 0)
		cmd_starttls(s, a);
	else if (strcmp(v, "AUTH") == 0)
		smtp_cmd_auth(s, a);
	else if (strcmp(v, "MAIL") == 0)
		smtp_cmd_mail(s, a);
	else if (strcmp(v, "RCPT") == 0)
		smtp_cmd_rcpt(s, a);
	else if (strcmp(v, "DATA") == 0)
		smtp_cmd_data(s, a);
	else if (strcmp(v, "BDAT") == 0)
		smtp_cmd_bdat(s, a);
	else if (strcmp(v, "RSET") == 0)
		cmd_rset(s, a);
	else if (strcmp(v, "NOOP") == 0)
		smtp_session_reply(s, SMTP_C250_OK, SMTP_SE_OTHER, "OK");
	else if (strcmp(v, "VRFY") == 0)
		/* RFC 5321 3.5.3: 252, no disclosure of which addresses exist. */
		smtp_session_reply(s, SMTP_C252_CANNOT_VRFY, SMTP_SE_PROTO_OTHER,
				   "not verifying addresses; send a message to find out");
	else if (strcmp(v, "EXPN") == 0)
		smtp_session_reply(s, SMTP_C252_CANNOT_VRFY, SMTP_SE_PROTO_OTHER,
				   "not expanding lists; send a message to find out");
	else if (strcmp(v, "HELP") == 0)
		cmd_help(s);
	else if (strcmp(v, "QUIT") == 0) {
		smtp_session_reply(s, SMTP_C221_CLOSING, SMTP_SE_OTHER, "bye");
		s->end = END_QUIT;
	} else {
		smtp_session_reply(s, SMTP_C500_SYNTAX, SMTP_SE_PROTO_BAD_CMD, "unknown command");
		smtp_session_bad(s);
	}
}

/* Reads and runs one command; false when the session is over. */
static bool one_command(struct smtp_session *s)
{
	/* RFC 2920 3.1: replies wait while more pipelined commands are buffered. */
	if (conn_buffered(s->c) == 0 && !smtp_session_flush(s))
		return false;
	conn_set_timeouts(s->c, smtp_session_cmd_timeout(s), smtp_session_cmd_timeout(s));
	struct str line;
	enum conn_eol eol;
	struct error err;
	if (!conn_read_line(s->c, SMTP_CMD_LINE_MAX, &line, &eol, &err)) {
		if (err.kind != ERR_LIMIT) {
			smtp_session_io_error(s, &err);
			return false;
		}
		/* RFC 5321 4.5.3.1.4: answer 500 and go on after the line. */
		smtp_session_reply(s, SMTP_C500_SYNTAX, SMTP_SE_PROTO_SYNTAX, "line too long");
		if (!conn_skip_line(s->c, 1024 * 1024, &err)) {
			smtp_session_io_error(s, &err);
			return false;
		}
		smtp_session_bad(s);
		return s->end == END_NONE;
	}
	s->ncmds++;
	struct smtp_cmd cmd;
	bool parsed = smtp_parse_command(line, &cmd);
	log_trace(&s->lg, "command", LS("verb", parsed ? cmd.verb : "?"));
	if (s->ncmds == 1 && (!parsed || !first_command_ok(&cmd))) {
		/* Not an SMTP client: say so once and hang up. */
		log_info(&s->lg, "first command is not SMTP, closing");
		smtp_session_reply(s, SMTP_C500_SYNTAX, SMTP_SE_PROTO_BAD_CMD,
				   "this is an SMTP server; first command not recognised");
		smtp_session_flush(s);
		return false;
	}
	if (!parsed) {
		smtp_session_reply(s, SMTP_C500_SYNTAX, SMTP_SE_PROTO_BAD_CMD, "unknown command");
		smtp_session_bad(s);
	} else if (eol == CONN_EOL_LF && strcmp(cmd.verb, "BDAT") == 0) {
		/* A chunk size after a bare LF could desync client and server: refuse. */
		smtp_session_reply(s, SMTP_C500_SYNTAX, SMTP_SE_PROTO_SYNTAX,
				   "BDAT line must end in CRLF");
		smtp_session_bad(s);
	} else {
		dispatch(s, &cmd);
	}
	return s->end == END_NONE;
}

void smtp_serve(struct conn *c, const struct smtp_server_config *cfg)
{
	struct smtp_session *s = xcalloc(1, sizeof *s);
	s->c = c;
	s->cfg = cfg;
	s->lg = (struct logger){smtp_pkg(), conn_cid(c)};
	s->spool_fd = -1;
	s->tls = conn_tls(c) != NULL;
	buf_init(&s->scratch);
	arena_init(&s->txn_arena, 16 * 1024);
	log_debug(&s->lg, "new smtp session", LS("remote", conn_remote(c)),
		  LS("listener", cfg->listener), LB("submission", cfg->submission),
		  LB("tls", s->tls));
	if (s->tls)
		smtp_session_tls_login(s);
	/* RFC 5321 4.2: the greeting has no enhanced code (RFC 2034 3). */
	buf_printf(&s->scratch, "220 %s ESMTP tern\r\n", cfg->hostname.ascii);
	smtp_session_reply_raw(s, buf_cstr(&s->scratch));
	while (one_command(s))
		;
	if (s->end == END_QUIT)
		smtp_session_flush(s);
	smtp_session_reset_txn(s);
	arena_free(&s->txn_arena);
	buf_free(&s->scratch);
	log_debug(&s->lg, "smtp session ended", LU("commands", s->ncmds));
	free(s);
}
