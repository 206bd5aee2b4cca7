/*
 * client_internal: the SMTP client's state and the helpers its files share
 * (client.c: session, client_auth.c: AUTH, client_tx.c: transactions).
 * Internal to src/smtp/client*.c.
 */
#ifndef TERN_SMTP_CLIENT_INTERNAL_H
#define TERN_SMTP_CLIENT_INTERNAL_H

#include "smtp/client.h"

#define CLIENT_NAME_MAX 256

struct smtp_client {
	struct conn *conn;
	struct smtp_client_opts o; /* strings and arrays stay the caller's */
	struct tls_client *tls;    /* our reference to o.tls_ctx */
	struct smtp_reply reply;   /* the last reply */
	struct smtp_reply ehlo;    /* the last EHLO reply */
	struct smtp_exts exts;
	bool botched;   /* the conversation's state is unknown: send nothing more */
	bool need_rset; /* a transaction was started and not completed */
	bool tls_tried; /* tls_result is meaningful */
	struct tls_client_result tls_result;
	char greeting_name[CLIENT_NAME_MAX];
	char tls_desc[96];
	char auth_mech[32];
};

int client_timeout(const struct smtp_client *c);
/* Marks the session unusable; returns false so callers can return it. */
bool client_botch(struct smtp_client *c);
/* Buffers one command line (CRLF added); secret lines are not traced below traceauth. */
bool client_write_line(struct smtp_client *c, const char *line, bool secret, struct error *err);
bool client_flush(struct smtp_client *c, struct error *err);
/* Reads one whole reply into r within timeout_ms. */
bool client_read_reply(struct smtp_client *c, struct smtp_reply *r, int timeout_ms,
		       struct error *err);
/* Sends line and reads the reply into c->reply. */
bool client_command(struct smtp_client *c, const char *line, bool secret, struct error *err);
/* A refusal as an error: 4xx ERR_TEMPORARY, 5xx ERR_PERMISSION, with the reply. */
bool client_refused(const struct smtp_reply *r, const char *what, struct error *err);
/* AUTH as smtp_client_hello needs it (client_auth.c). */
bool client_authenticate(struct smtp_client *c, struct error *err);

#endif
