/*
 * server: the SMTP server protocol engine for incoming mail (port 25) and
 * submission (587 with STARTTLS, 465 with implicit TLS), RFC 5321 with the
 * extensions PIPELINING (RFC 2920), SIZE (RFC 1870), 8BITMIME (RFC 6152),
 * SMTPUTF8 (RFC 6531), ENHANCEDSTATUSCODES (RFC 2034, 3463), STARTTLS (RFC
 * 3207), AUTH (RFC 4954), REQUIRETLS (RFC 8689), LIMITS (RFC 9422) and
 * CHUNKING (RFC 3030).
 *
 * smtp_serve runs one session on a connection's thread, top to bottom like
 * the RFC, and returns when the session ends; it never frees the conn.
 * Every read has a deadline; every failure gets a reply with an enhanced
 * status code and a log line with the connection id. Replies are buffered
 * while pipelined commands are waiting and flushed when the client's input
 * runs dry (RFC 2920 3.1).
 *
 * The configuration is read-only and shared by all sessions of a listener;
 * the domains.conf snapshot is taken per transaction (config_dynamic_get),
 * so a reload never changes a transaction halfway. Delivery, authentication
 * and analysis go through smtp/seams.h.
 */
#ifndef TERN_SMTP_SERVER_H
#define TERN_SMTP_SERVER_H

#include "base/dnsname.h"
#include "config/config.h"
#include "net/conn.h"
#include "net/tls.h"
#include "smtp/seams.h"
#include "smtp/sendlimit.h"

#include <stdbool.h>
#include <stdint.h>

/* Bounds (RFC 5321 4.5.3 gives minimums; these are tern's maximums). */
#define SMTP_CMD_LINE_MAX      4096  /* 512 plus room for extension parameters */
#define SMTP_AUTH_LINE_MAX     12288 /* RFC 4954 4 */
#define SMTP_RCPT_MAX          1000  /* recipients per transaction; LIMITS RCPTMAX */
#define SMTP_BAD_CMDS_MAX      10    /* errors before the session is closed */
#define SMTP_AUTH_FAILS_MAX    5     /* failed AUTH attempts before the session is closed */
#define SMTP_UNKNOWN_RCPTS_MAX 10    /* unknown recipients, none delivered: closed at next MAIL */
#define SMTP_CMD_TIMEOUT_MS    (5 * 60 * 1000)  /* RFC 5321 4.5.3.2.7 */
#define SMTP_DATA_TIMEOUT_MS   (3 * 60 * 1000)  /* per read during DATA, 4.5.3.2.6 */
#define SMTP_TXN_TIMEOUT_MS    (30 * 60 * 1000) /* a whole DATA or BDAT sequence */
#define SMTP_HEADER_MAX        (256 * 1024)     /* header section examined at delivery */
/* RFC 4865: the longest hold the server accepts for FUTURERELEASE. */
#define SMTP_FUTURE_RELEASE_MAX (30 * 24 * 3600)

struct smtp_server_config {
	const char *listener;           /* for logs */
	bool submission;                /* RFC 6409: authenticated users only */
	bool implicit_tls;              /* the connection is TLS from the start (465) */
	struct tls_ctx *tls;            /* for STARTTLS (and implicit TLS); NULL: none */
	bool require_starttls;          /* refuse mail transactions before STARTTLS */
	bool require_tls_for_auth;      /* AUTH only after TLS (loopback excepted when allowed) */
	bool requiretls;                /* offer REQUIRETLS once TLS is on (RFC 8689) */
	bool localserve;                /* tern localserve behaviour (see localserve.h) */
	const char *localserve_account; /* account that gets everything under localserve */
	const char *localserve_destination; /* its address */
	struct dns_domain hostname;         /* for the greeting, Received and postmaster */
	uint64_t max_message_size;
	struct config *config;                    /* domains.conf snapshots */
	const char *spool_dir;                    /* where incoming data is spooled (must exist) */
	const struct smtp_delivery_ops *delivery; /* NULL: no store in this build */
	const struct smtp_sasl_ops *sasl;         /* NULL: no authentication in this build */
	struct smtp_sendlimits *sendlimits;       /* submission limits per account; NULL: none */
	bool future_release; /* offer FUTURERELEASE (needs the queue to hold messages) */
	/* Timeouts in milliseconds; 0 takes the defaults above (tests shorten them). */
	int cmd_timeout_ms;
	int data_timeout_ms;
	int txn_timeout_ms;
};

/* Serves one SMTP session on c (already TLS for implicit TLS). */
void smtp_serve(struct conn *c, const struct smtp_server_config *cfg);

#endif
