/*
 * seams: the interfaces through which the SMTP server reaches what other
 * areas of tern provide: the message store (delivery), authentication
 * (SASL), and message analysis (SPF/DKIM/DMARC, junk filtering).
 *
 * The server calls these and never their implementations directly, so each
 * can land on its own and tests can drive the protocol with their own. A
 * NULL delivery or SASL table means the capability is not in this build:
 * the server then says so in its replies (AUTH is not offered; DATA is
 * answered with a temporary error naming the missing store) instead of
 * pretending. Implementations must be thread-safe: every connection thread
 * calls them.
 */
#ifndef TERN_SMTP_SEAMS_H
#define TERN_SMTP_SEAMS_H

#include "base/buf.h"
#include "base/error.h"
#include "base/log.h"
#include "net/conn.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMTP_ACCOUNT_NAME_MAX 256
#define SMTP_LOGIN_MAX        1024

/* One message for one local recipient. */
struct smtp_delivery {
	const char *account; /* account name */
	int64_t quota;       /* the account's size limit in bytes; 0: none */
	const char *mailbox; /* mailbox name, "Inbox" when no rule chose another */
	const char *rcpt;    /* the recipient address, for logs */
	const char *prefix;  /* header lines to put before the message (CRLF-terminated) */
	size_t prefix_len;
	int fd;                  /* the message as received (CRLF), read with pread from 0 */
	uint64_t size;           /* bytes of the message in fd */
	const struct logger *lg; /* the connection's logger */
};

struct smtp_delivery_ops {
	/*
	 * Stores prefix + message in the account's mailbox and returns only once
	 * it is durable on disk (the 250 reply follows). err kind ERR_LIMIT for
	 * quota (552), anything else is a temporary failure (451).
	 */
	bool (*deliver)(void *arg, const struct smtp_delivery *d, struct error *err);
	void *arg;
};

/* Who authenticated. */
struct smtp_login {
	char account[SMTP_ACCOUNT_NAME_MAX];
	char username[SMTP_LOGIN_MAX]; /* the login address as given */
};

enum smtp_sasl_status {
	SMTP_SASL_CONTINUE,  /* send the challenge in out (334), feed the client's answer */
	SMTP_SASL_OK,        /* login filled in (235) */
	SMTP_SASL_BAD_CREDS, /* 535 5.7.8 */
	SMTP_SASL_TEMP,      /* 454 4.7.0 */
	SMTP_SASL_SYNTAX,    /* 501 5.5.2: malformed client message */
	SMTP_SASL_DISABLED,  /* 525/535: login disabled for the account (err: the text to show) */
};

/* Facts about the connection an exchange may need (channel binding, EXTERNAL, limits). */
struct smtp_sasl_env {
	struct conn *c;             /* for conn_tls_exporter / conn_tls_unique */
	const struct tls_info *tls; /* NULL for plain text */
	const char *remote_ip;
	bool plaintext_ok; /* PLAIN/LOGIN allowed without TLS (NoRequireSTARTTLS) */
};

struct smtp_sasl_ops {
	/* Appends the mechanisms to offer on this connection, space separated. */
	void (*mechanisms)(void *arg, const struct smtp_sasl_env *env, struct buf *out);
	/* Starts an exchange; NULL with err set when mech is not offered (504). */
	void *(*start)(void *arg, const char *mech, const struct smtp_sasl_env *env,
		       struct error *err);
	/*
	 * One step: in is the decoded client message (have_input false when the
	 * client sent no initial response). out gets the challenge to send.
	 */
	enum smtp_sasl_status (*step)(void *exchange, const uint8_t *in, size_t n, bool have_input,
				      struct buf *out, struct smtp_login *login, struct error *err);
	void (*end)(void *exchange);
	/* The account of the connection's TLS client certificate key, if known (login without
	 * AUTH). */
	bool (*tls_login)(void *arg, const struct smtp_sasl_env *env, struct smtp_login *login);
	void *arg;
};

/* What analysis sees of a message about to be delivered. */
struct smtp_analysis_input {
	const char *remote_ip;
	const char *hello;    /* EHLO/HELO name */
	const char *mailfrom; /* "" for the null reverse-path */
	const char *rcpt;
	const char *account;
	bool tls;
	bool submission; /* authenticated submission: trusted */
	int fd;          /* the message */
	uint64_t size;
	bool is_forward; /* the ruleset said IsForward */
	const char *list_allow_domain;
};

struct smtp_analysis {
	bool accept;
	int code;       /* when refused */
	const char *se; /* enhanced code without class */
	char text[256];
	const char *mailbox; /* NULL: keep the ruleset's choice (e.g. Rejects, Junk) */
	struct buf headers;  /* header lines to prepend, e.g. Authentication-Results */
};

/*
 * The analysis step between DATA and delivery. Later areas (msgauth, junk)
 * fill it in; today every message is accepted without added headers.
 */
void smtp_analyze(const struct smtp_analysis_input *in, struct smtp_analysis *out);

#endif
