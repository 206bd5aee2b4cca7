/*
 * session: the state of one SMTP session, shared by the files of the server
 * (server.c: command loop and simple commands; transaction.c: MAIL and RCPT
 * with recipient resolution; auth.c: AUTH; receive.c: DATA and BDAT;
 * deliver.c: the end of a transaction).
 * Internal to src/smtp. A session belongs to its connection's thread.
 */
#ifndef TERN_SMTP_SESSION_H
#define TERN_SMTP_SESSION_H

#include "base/arena.h"
#include "base/buf.h"
#include "base/log.h"
#include "config/config.h"
#include "smtp/data.h"
#include "smtp/parse.h"
#include "smtp/server.h"

#include <stdbool.h>
#include <stdint.h>

enum rcpt_kind {
	RCPT_LOCAL,  /* an account's destination */
	RCPT_ALIAS,  /* an alias: its members receive */
	RCPT_REMOTE, /* not ours: needs the outgoing queue */
};

struct rcpt {
	struct smtp_path path;
	char *text; /* the address as written for headers and logs, arena */
	enum rcpt_kind kind;
	const char *account;                /* RCPT_LOCAL */
	const struct cfg_destination *dest; /* RCPT_LOCAL; NULL for the postmaster */
	const char *dest_address;           /* RCPT_LOCAL: the destination's address */
	const char *mailbox;                /* RCPT_LOCAL: fixed mailbox (postmaster), or NULL */
	const struct cfg_alias *alias;      /* RCPT_ALIAS */
	int localserve_code;                /* localserve: fail at DATA with this code */
	bool localserve_timeout;
};

/* Why a session ends. */
enum smtp_session_end {
	END_NONE,
	END_QUIT,
	END_IO, /* closed, timed out, shut down or write failed: no more replies */
};

struct smtp_session {
	struct conn *c;
	const struct smtp_server_config *cfg;
	struct logger lg;
	struct arena txn_arena; /* per transaction: recipients and their texts */
	struct buf scratch;
	enum smtp_session_end end;
	uint64_t ntxn;

	/* Connection state. */
	bool tls;
	bool hello_done;
	bool ehlo;
	char hello[DNS_UNICODE_MAX + SMTP_LITERAL_MAX + 3];
	unsigned ncmds;
	unsigned bad_cmds;
	unsigned auth_fails;
	bool authenticated;
	bool auth_by_tls; /* by client certificate only: AUTH may still follow (seed 000) */
	struct smtp_login login;
	unsigned tx_good, tx_bad;

	/* Transaction state (RFC 5321 3.3). */
	bool have_mail;
	struct smtp_path mail_from;
	char *mail_from_text; /* "" for <> */
	bool smtputf8;
	bool body_8bitmime;
	bool requiretls;
	int64_t hold_until;         /* FUTURERELEASE, unix seconds; 0: none */
	char hold_request[80];      /* "for;SECONDS" or "until;TIME" as asked */
	struct config_dynamic *dyn; /* snapshot for the transaction */
	struct rcpt *rcpts;
	size_t nrcpts, caprcpts;
	size_t rcpt_refused; /* RCPTs beyond the limit */

	/* BDAT in progress (RFC 3030 2). */
	bool bdat;
	bool bdat_failed; /* an earlier chunk failed: discard the rest until LAST */
	int spool_fd;
	struct smtp_bdat_decoder bdat_dec;
	int64_t bdat_deadline;
};

/* Replies (buffered; flushed when input runs dry). Failed writes end the session. */
void smtp_session_reply(struct smtp_session *s, int code, const char *se, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void smtp_session_reply_raw(struct smtp_session *s, const char *text);
bool smtp_session_flush(struct smtp_session *s);
/* Counts a bad command; closes the session when there were too many. */
void smtp_session_bad(struct smtp_session *s);

/* Resets the mail transaction (RSET, after DATA, on errors). */
void smtp_session_reset_txn(struct smtp_session *s);
/* True with a reply sent when the transaction may not go on (helo, auth, tls). */
bool smtp_session_need_mail_ok(struct smtp_session *s);

void smtp_cmd_mail(struct smtp_session *s, struct str args);
void smtp_cmd_rcpt(struct smtp_session *s, struct str args);
void smtp_cmd_data(struct smtp_session *s, struct str args);
void smtp_cmd_bdat(struct smtp_session *s, struct str args);
void smtp_cmd_auth(struct smtp_session *s, struct str args);
/* Submission: the logged-in account may use address a as sender (MAIL FROM, From:). */
bool smtp_session_may_send_as(struct smtp_session *s, const struct address *a,
			      bool *domain_disabled);
/* After TLS: log in by a known client certificate (submission). */
void smtp_session_tls_login(struct smtp_session *s);

/* Creates the (already unlinked) spool file; -1 with a reply sent on failure. */
int smtp_session_spool_open(struct smtp_session *s);
/* Ends a transaction whose data is in fd: checks, analysis, delivery, the reply. */
void smtp_session_finish_message(struct smtp_session *s, int fd, uint64_t size, bool saw_8bit);

/* Milliseconds of the configured timeouts. */
int smtp_session_cmd_timeout(const struct smtp_session *s);
int smtp_session_data_timeout(const struct smtp_session *s);
int smtp_session_txn_timeout(const struct smtp_session *s);
/* Handles an I/O error: replies 421 for timeouts/shutdown where possible, marks the end. */
void smtp_session_io_error(struct smtp_session *s, const struct error *err);

#endif
