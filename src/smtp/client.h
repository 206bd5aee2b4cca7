/*
 * client: the SMTP client, on a connection from net/dial.h: the session
 * set-up (greeting, EHLO, STARTTLS with the verification of
 * net/tlsclient.h, AUTH), then any number of mail transactions over the one
 * connection, then QUIT. Used by tern sendmail and tern smtp dial, and by the
 * outgoing queue.
 *
 * Session set-up (smtp_client_hello): the 220 greeting (implicit TLS first
 * when asked), EHLO (HELO when the server does not know EHLO, RFC 5321
 * 3.2), STARTTLS per the TLS mode — SMTP_CLIENT_TLS_OPPORTUNISTIC when
 * offered, SMTP_CLIENT_TLS_STARTTLS always (even when not offered, for
 * servers that must do TLS) — with tls_params choosing how the certificate
 * is verified (none, opportunistic, PKIX, DANE), then EHLO again (RFC 3207
 * 4.2), then authentication when credentials are given: with a TLS client
 * certificate by EXTERNAL or the server's certificate login, else with the
 * strongest password mechanism both sides have (SCRAM-SHA-256-PLUS,
 * SCRAM-SHA-256, SCRAM-SHA-1-PLUS, SCRAM-SHA-1, CRAM-MD5, PLAIN) or the one
 * configured; SCRAM verifies the server's signature and -PLUS binds to the
 * TLS channel. After a failure, smtp_client_last_reply and
 * smtp_client_tls_result say what the server answered and what TLS found
 * (starttls-not-supported when the server refused or did not offer STARTTLS
 * in a mode that needed it), for the caller's decisions and TLS reports.
 *
 * Transactions (smtp_client_send): MAIL FROM with SIZE (when announced),
 * BODY=8BITMIME, SMTPUTF8 and REQUIRETLS as the transaction needs; RCPT TO
 * for each recipient, each reply kept; the message by BDAT (one chunk,
 * "BDAT n LAST", when CHUNKING is offered, the bytes as they are) or DATA
 * (dot-stuffed, bare CR and LF sent as CRLF so no receiver can see a
 * different end of data). With PIPELINING the MAIL and RCPT commands go out
 * in groups of SMTP_PIPELINE_WINDOW before their replies are read (RFC 2920
 * 3.1), so neither side can block on full buffers; DATA and BDAT wait for
 * the recipients' replies. A transaction that ended before the message was
 * accepted is reset with RSET before the next one.
 *
 * Replies are read with bounds (client_reply.h: lines of at most
 * SMTP_CLIENT_LINE_MAX, at most SMTP_REPLY_LINES_MAX lines), each whole
 * reply within the command timeout (the final reply to the message within
 * data_timeout_ms). Garbage, an overlong reply, a timeout or a closed
 * connection make the session unusable (smtp_client_usable false): the
 * state of the conversation is unknown, so no further command is sent.
 *
 * Errors: a refusal is ERR_TEMPORARY (4xx) or ERR_PERMISSION (5xx) with the
 * server's reply in the message; protocol garbage ERR_INVALID, bounds
 * ERR_LIMIT, and the connection's ERR_TIMEOUT/ERR_CLOSED. The transaction
 * result says more (enum smtp_tx_fail). Logs: commands and replies at trace
 * level on the connection's logger, authentication data never below
 * traceauth. One client per thread; the client owns its connection.
 */
#ifndef TERN_SMTP_CLIENT_H
#define TERN_SMTP_CLIENT_H

#include "base/error.h"
#include "net/conn.h"
#include "net/dial.h"
#include "net/tlsclient.h"
#include "smtp/client_ext.h"
#include "smtp/client_reply.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SMTP_CLIENT_LINE_MAX        2048            /* a reply line (RFC 5321 4.5.3.1.5 says 512) */
#define SMTP_CLIENT_TIMEOUT_MS      (5 * 60 * 1000) /* RFC 5321 4.5.3.2: MAIL, RCPT */
#define SMTP_CLIENT_DATA_TIMEOUT_MS (10 * 60 * 1000) /* RFC 5321 4.5.3.2.6 */
#define SMTP_CLIENT_QUIT_TIMEOUT_MS 5000
#define SMTP_PIPELINE_WINDOW        64   /* commands sent before their replies are read */
#define SMTP_TX_RCPTS_MAX           1000 /* recipients in one transaction */

enum smtp_client_tls {
	SMTP_CLIENT_TLS_NONE,
	SMTP_CLIENT_TLS_OPPORTUNISTIC, /* STARTTLS when offered */
	SMTP_CLIENT_TLS_STARTTLS,      /* STARTTLS even when not offered */
	SMTP_CLIENT_TLS_IMPLICIT,      /* TLS from the first byte (465) */
};

struct smtp_client_opts {
	const char *ehlo_name; /* NULL: "localhost" */
	enum smtp_client_tls tls;
	struct tls_client *tls_ctx; /* needed unless tls is NONE; a reference is taken */
	struct tls_client_params tls_params;
	const char *username; /* password authentication when set */
	const char *password;
	const char *auth_mech; /* only this mechanism; NULL: the best shared one */
	bool client_cert;      /* tls_ctx has a client certificate to log in with */
	int timeout_ms;        /* for each command's reply; 0: SMTP_CLIENT_TIMEOUT_MS */
	int data_timeout_ms;   /* for the reply to the message; 0: SMTP_CLIENT_DATA_TIMEOUT_MS */
};

struct smtp_client;

/* A client on conn (taking it over); nothing is sent yet. Never NULL. */
struct smtp_client *smtp_client_new(struct conn *conn, const struct smtp_client_opts *o);
/* Greeting, EHLO, STARTTLS, AUTH as described above. */
bool smtp_client_hello(struct smtp_client *c, struct error *err);
/* dial_host, smtp_client_new and smtp_client_hello; NULL with err on failure. */
struct smtp_client *smtp_client_dial(const char *host, uint16_t port,
				     const struct smtp_client_opts *o, const struct dial_opts *d,
				     struct error *err);
/* Closes the connection (without QUIT) and frees. */
void smtp_client_free(struct smtp_client *c);

/* QUIT and its reply, within SMTP_CLIENT_QUIT_TIMEOUT_MS (RFC 5321 4.1.1.10). */
bool smtp_client_quit(struct smtp_client *c, struct error *err);
/* RSET (RFC 5321 4.1.1.5); smtp_client_send does it by itself when needed. */
bool smtp_client_rset(struct smtp_client *c, struct error *err);

/* The message of a transaction: prefix (may be empty), then data in memory or, when fd >= 0,
 * fd_len bytes of a file from offset (read with pread). */
struct smtp_msg {
	const char *prefix;
	size_t prefix_len;
	const char *data;
	size_t len;
	int fd;
	off_t offset;
	uint64_t fd_len;
};

struct smtp_tx {
	const char *mail_from;    /* reverse-path without brackets; "" for the null path */
	const char *const *rcpts; /* forward-paths without brackets */
	size_t nrcpts;            /* 1 to SMTP_TX_RCPTS_MAX */
	struct smtp_msg msg;
	bool need_8bitmime; /* 8-bit content: BODY=8BITMIME, failing without 8BITMIME */
	bool need_smtputf8; /* UTF-8 addresses or header fields: SMTPUTF8 (RFC 6531 3.4) */
	bool requiretls;    /* REQUIRETLS (RFC 8689 4), failing without the extension */
};

enum smtp_tx_fail {
	SMTP_TX_OK,
	SMTP_TX_REFUSED,       /* a reply refused MAIL, DATA/BDAT or the message */
	SMTP_TX_NO_RECIPIENTS, /* every RCPT was refused (see rcpt[]) */
	SMTP_TX_NO_8BITMIME,   /* needed but not offered */
	SMTP_TX_NO_SMTPUTF8,
	SMTP_TX_NO_REQUIRETLS,
	SMTP_TX_TOO_LARGE,  /* larger than the server's SIZE */
	SMTP_TX_CONNECTION, /* I/O, timeout or protocol error: the session is unusable */
};

struct smtp_tx_result {
	enum smtp_tx_fail fail;
	struct smtp_reply mail;
	struct smtp_reply *rcpt; /* one per recipient, in order; code 0: not sent */
	size_t nrcpts;
	size_t accepted;        /* recipients with a 2xx reply */
	struct smtp_reply data; /* the reply to DATA (when refused) or to the message */
	bool chunking;          /* the message went by BDAT */
	bool pipelined;
};

void smtp_tx_result_init(struct smtp_tx_result *r);
void smtp_tx_result_free(struct smtp_tx_result *r);

/*
 * One transaction (see above). True when the message was accepted for the
 * recipients that got a 2xx reply; res (initialized) says what happened
 * either way.
 */
bool smtp_client_send(struct smtp_client *c, const struct smtp_tx *tx, struct smtp_tx_result *res,
		      struct error *err);

/* False once the conversation's state is unknown; see above. */
bool smtp_client_usable(const struct smtp_client *c);
const struct smtp_exts *smtp_client_exts(const struct smtp_client *c);
/* The EHLO keyword was offered (case-insensitive), e.g. "REQUIRETLS". */
bool smtp_client_has_ext(const struct smtp_client *c, const char *keyword);
/* The last reply read; code 0 when none was. */
const struct smtp_reply *smtp_client_last_reply(const struct smtp_client *c);
/* The host name from the greeting (RFC 5321 4.3.1), for TLS reports; "" when none. */
const char *smtp_client_greeting_name(const struct smtp_client *c);
bool smtp_client_tls_active(const struct smtp_client *c);
/* TLS outcome, also after a failure; NULL when TLS was not attempted or considered. */
const struct tls_client_result *smtp_client_tls_result(const struct smtp_client *c);
/* "TLS1.3 TLS_AES_128_GCM_SHA256", "" for plain text. */
const char *smtp_client_tls_desc(const struct smtp_client *c);
/* The mechanism used to authenticate, "" when none. */
const char *smtp_client_auth_mech(const struct smtp_client *c);
/* The connection, for tern smtp dial's raw relay after set-up. */
struct conn *smtp_client_conn(struct smtp_client *c);

#endif
