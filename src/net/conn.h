/*
 * conn: one client connection, plain or TLS, with buffered, deadline-bounded
 * reads and writes for protocol code that reads top to bottom like its RFC.
 *
 * Reading. conn_read_line returns one line without its ending and says
 * whether it ended in CRLF or a bare LF (SMTP must tell them apart, RFC 5321
 * 2.3.8). A line whose content exceeds the caller's max is ERR_LIMIT and
 * nothing is consumed; conn_skip_line then discards through the next line
 * end, so the protocol can answer "line too long" and carry on. Returned
 * lines and chunks point into the connection's buffer and stay valid until
 * the next read call; a line is also NUL-terminated (its ending is
 * overwritten), though it may contain NUL bytes of its own. conn_read_exact
 * fills a caller's buffer (literals, BDAT); conn_read_some hands out what
 * arrived, at most max bytes, for streaming large data without holding it.
 * The buffer grows only as far as the longest line the caller's max allows.
 *
 * Deadlines. Every read and write call gets a deadline of now plus the
 * connection's read or write timeout (conn_set_timeouts; milliseconds on the
 * monotonic clock); the timeout bounds the whole call, so a client trickling
 * one byte at a time cannot stretch a line forever. A passed deadline is
 * ERR_TIMEOUT. Any wait for client input also ends with ERR_SHUTDOWN once the
 * server begins shutting down (see shutdown.h); writes do not, so the
 * protocol can still say goodbye. A peer that went away is ERR_CLOSED.
 *
 * Writing. conn_write and conn_printf buffer; the buffer is sent when it
 * reaches CONN_WBUF_FLUSH or on conn_flush. After a failed write the
 * connection refuses further writes with the same kind of error.
 *
 * TLS. conn_tls_accept does the handshake of implicit TLS; conn_starttls
 * upgrades a plaintext connection, first discarding any plaintext the client
 * sent after its STARTTLS command (RFC 3207 4.2, RFC 9051 6.2.1; the
 * CVE-2011-0411 command injection). Handshakes watch the shutdown fd and
 * have their own deadline. conn_tls then describes the session. After a
 * failed handshake the connection can only be closed.
 *
 * Client TLS. On a connection we dialed (dial.h), conn_tls_connect does the
 * client handshake — right away for implicit TLS, or after the server's 220
 * to STARTTLS — with the parameters and verification of tlsclient.h, and
 * fills a result saying what was verified, on failure too. Input buffered
 * before the handshake is discarded (RFC 3207 4.2). Reads and writes then
 * go through TLS as on the server side.
 *
 * Closing. conn_close flushes (bounded by CONN_CLOSE_TIMEOUT_MS), sends TLS
 * close_notify, shuts down the sending side and reads and discards what the
 * client still sends for at most CONN_LINGER_MS, so a last reply is not lost
 * to a TCP reset caused by unread input.
 *
 * Identity. Each connection has a process-wide increasing id (cid) and a
 * logger carrying it; remote and local addresses are kept as strings.
 * A conn is used by one thread at a time (its connection thread).
 */
#ifndef TERN_NET_CONN_H
#define TERN_NET_CONN_H

#include "base/buf.h"
#include "base/error.h"
#include "base/log.h"
#include "base/str.h"
#include "net/tls.h"
#include "net/tlsclient.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CONN_TIMEOUT_DEFAULT_MS (5 * 60 * 1000)
#define CONN_READ_CHUNK         (16 * 1024) /* bytes asked of the socket per read */
#define CONN_WBUF_FLUSH         (16 * 1024) /* buffered output sent at this size */
#define CONN_CLOSE_TIMEOUT_MS   2000        /* final flush and close_notify at close */
#define CONN_LINGER_MS          500         /* reading leftover input at close */
#define CONN_LINGER_MAX         (64 * 1024) /* bytes read and dropped at close */
#define CONN_STARTTLS_DRAIN_MAX 65536       /* plaintext after STARTTLS we discard, at most */
#define CONN_ADDR_MAX           64          /* "[ipv6]:port" */

enum conn_eol {
	CONN_EOL_CRLF,
	CONN_EOL_LF, /* bare LF */
};

/* What conn_wait_input found ready (both may be set). */
#define CONN_READY_INPUT 1u
#define CONN_READY_EXTRA 2u

struct conn;

/*
 * Wraps a connected socket; takes ownership of fd and makes it nonblocking.
 * Log lines go to package pkg (NULL: "net"). Never NULL.
 */
struct conn *conn_new(int fd, struct log_pkg *pkg);
/* Closes (if still open) and frees. */
void conn_free(struct conn *c);
/* Orderly close as described above. Idempotent. */
void conn_close(struct conn *c);

/* A fresh process-wide connection id (for connections refused before a conn exists). */
uint64_t conn_next_cid(void);
uint64_t conn_cid(const struct conn *c);
const struct logger *conn_log(const struct conn *c);
int conn_fd(const struct conn *c);
const char *conn_remote_ip(const struct conn *c); /* "192.0.2.1", "2001:db8::1", "unix" */
uint16_t conn_remote_port(const struct conn *c);
const char *conn_remote(const struct conn *c); /* "192.0.2.1:25", "[2001:db8::1]:25" */
const char *conn_local_ip(const struct conn *c);
uint16_t conn_local_port(const struct conn *c);
const char *conn_local(const struct conn *c);
const struct sockaddr *conn_remote_addr(const struct conn *c);
/* Formats sa like conn_remote into out; *port gets the port (0 when none). */
void conn_format_addr(const struct sockaddr *sa, char *out, size_t cap, uint16_t *port);
/* Bytes read from and written to the socket so far (TLS: application data). */
uint64_t conn_bytes_in(const struct conn *c);
uint64_t conn_bytes_out(const struct conn *c);

/* Timeouts for each following read and write call. */
void conn_set_timeouts(struct conn *c, int read_ms, int write_ms);

/* One line of at most max content bytes (ending excluded); see above. */
bool conn_read_line(struct conn *c, size_t max, struct str *line, enum conn_eol *eol,
		    struct error *err);
/* Discards through the next LF; ERR_LIMIT after more than max bytes without one. */
bool conn_skip_line(struct conn *c, size_t max, struct error *err);
/* Reads exactly n bytes into dst. */
bool conn_read_exact(struct conn *c, void *dst, size_t n, struct error *err);
/* Between 1 and max bytes, from the buffer or one read of the socket. */
bool conn_read_some(struct conn *c, size_t max, struct str *chunk, struct error *err);
/* Bytes of input already received and not yet handed out. */
size_t conn_buffered(const struct conn *c);
/*
 * Frees the read and write buffers when they hold nothing (the next read or
 * write makes them again): for connections that wait long, as IMAP IDLE.
 */
void conn_trim(struct conn *c);

bool conn_write(struct conn *c, const void *p, size_t n, struct error *err);
bool conn_puts(struct conn *c, const char *s, struct error *err);
/* err comes before the format here: variadic arguments must be last. */
bool conn_printf(struct conn *c, struct error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool conn_flush(struct conn *c, struct error *err);

/*
 * Waits up to timeout_ms until client input is available or extra_fd (-1 for
 * none) is readable; *ready gets CONN_READY_* bits. For IMAP IDLE and event
 * streams. Buffered input counts as available at once. ERR_SHUTDOWN and
 * ERR_TIMEOUT as for reads.
 */
bool conn_wait_input(struct conn *c, int extra_fd, int timeout_ms, unsigned *ready,
		     struct error *err);

/* Implicit TLS: handshake within timeout_ms. The conn keeps a reference to t. */
bool conn_tls_accept(struct conn *c, struct tls_ctx *t, int timeout_ms, struct error *err);
/*
 * STARTTLS: discards buffered input and, when reply is set, whatever else
 * already arrived, then sends reply (e.g. "220 2.0.0 go ahead\r\n") and does
 * the handshake. Pass reply here rather than writing it first: only before
 * the reply is sent is everything still arriving known to be plaintext.
 */
bool conn_starttls(struct conn *c, struct tls_ctx *t, const char *reply, int timeout_ms,
		   struct error *err);
/*
 * Client handshake (see above); res is filled whether or not it succeeds.
 * The conn keeps a reference to t.
 */
bool conn_tls_connect(struct conn *c, struct tls_client *t, const struct tls_client_params *p,
		      int timeout_ms, struct tls_client_result *res, struct error *err);
/* The certificates the peer sent, leaf first, as PEM appended to out. */
bool conn_tls_peer_chain_pem(struct conn *c, struct buf *out, struct error *err);
/* The TLS session, or NULL for plaintext. */
const struct tls_info *conn_tls(const struct conn *c);
/* Channel binding data for SCRAM-*-PLUS (see tls.h). */
bool conn_tls_exporter(struct conn *c, uint8_t out[TLS_EXPORTER_LEN], struct error *err);
bool conn_tls_unique(struct conn *c, uint8_t *out, size_t cap, size_t *len, struct error *err);

#endif
