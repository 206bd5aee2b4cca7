/* Mail transactions as a client (RFC 5321 3.3, RFC 2920, RFC 3030); see client.h. */
#include "smtp/client_internal.h"

#include "base/buf.h"
#include "base/mem.h"
#include "smtp/codes.h"
#include "smtp/data.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MSG_CHUNK (64 * 1024) /* message bytes read and sent at a time */

void smtp_tx_result_init(struct smtp_tx_result *r)
{
	memset(r, 0, sizeof *r);
	smtp_reply_init(&r->mail);
	smtp_reply_init(&r->data);
}

void smtp_tx_result_free(struct smtp_tx_result *r)
{
	smtp_reply_free(&r->mail);
	smtp_reply_free(&r->data);
	for (size_t i = 0; i < r->nrcpts; i++)
		smtp_reply_free(&r->rcpt[i]);
	free(r->rcpt);
	memset(r, 0, sizeof *r);
}

static bool is_2xx(const struct smtp_reply *r)
{
	return r->code >= 200 && r->code < 300;
}

static bool tx_fail(struct smtp_tx_result *res, enum smtp_tx_fail fail)
{
	res->fail = fail;
	return false;
}

/* An I/O or protocol error: client_read_reply and friends marked the session. */
static bool connection_failed(struct smtp_tx_result *res)
{
	return tx_fail(res, SMTP_TX_CONNECTION);
}

/* ---- the message source ---- */

static uint64_t msg_size(const struct smtp_msg *m)
{
	return m->prefix_len + (m->fd >= 0 ? m->fd_len : m->len);
}

/* The next piece of the message from position *pos: in place, or read into buf. */
static bool msg_piece(const struct smtp_msg *m, uint64_t *pos, char *buf, const char **p, size_t *n,
		      struct error *err)
{
	*n = 0;
	if (*pos < m->prefix_len) {
		*p = m->prefix + *pos;
		*n = m->prefix_len - (size_t)*pos;
	} else if (m->fd < 0) {
		uint64_t at = *pos - m->prefix_len;
		*p = m->data + at;
		*n = (size_t)(m->len - at);
	} else {
		uint64_t at = *pos - m->prefix_len, left = m->fd_len - at;
		size_t want = left < MSG_CHUNK ? (size_t)left : MSG_CHUNK;
		ssize_t r;
		do
			r = want ? pread(m->fd, buf, want, m->offset + (off_t)at) : 0;
		while (r < 0 && errno == EINTR);
		if (r < 0)
			return error_errno(err, errno, "reading the message");
		if (r == 0 && want > 0)
			return error_set(err, ERR_IO, "message file shorter than its size");
		*p = buf;
		*n = (size_t)r;
	}
	if (*n > MSG_CHUNK)
		*n = MSG_CHUNK;
	*pos += *n;
	return true;
}

/* ---- checks and commands ---- */

static bool check_needs(struct smtp_client *c, const struct smtp_tx *tx, struct smtp_tx_result *res,
			struct error *err)
{
	const struct smtp_exts *x = &c->exts;
	if (tx->nrcpts == 0 || tx->nrcpts > SMTP_TX_RCPTS_MAX)
		return error_set(err, ERR_INVALID, "transaction with %zu recipients (1 to %d)",
				 tx->nrcpts, SMTP_TX_RCPTS_MAX);
	/* Temporary, as for mox: a front end without 8BITMIME may have a server behind it
	 * that has it. */
	if (tx->need_8bitmime && !x->eightbitmime) {
		tx_fail(res, SMTP_TX_NO_8BITMIME);
		return error_set(err, ERR_TEMPORARY,
				 "server does not offer 8BITMIME, needed for "
				 "this message");
	}
	/* RFC 6531 3.2: no SMTPUTF8 message to a server without the extension. */
	if (tx->need_smtputf8 && !x->smtputf8) {
		tx_fail(res, SMTP_TX_NO_SMTPUTF8);
		return error_set(err, ERR_PERMISSION,
				 "server does not offer SMTPUTF8, needed for "
				 "this message");
	}
	/* RFC 8689 4.1. */
	if (tx->requiretls && !x->requiretls) {
		tx_fail(res, SMTP_TX_NO_REQUIRETLS);
		return error_set(err, ERR_PERMISSION, "server does not offer REQUIRETLS");
	}
	/* RFC 1870 6: a known maximum is not worth trying. */
	uint64_t size = msg_size(&tx->msg);
	if (x->size && x->size_max > 0 && size > x->size_max) {
		tx_fail(res, SMTP_TX_TOO_LARGE);
		return error_set(err, ERR_PERMISSION,
				 "message of %llu bytes larger than the server's maximum of %llu",
				 (unsigned long long)size, (unsigned long long)x->size_max);
	}
	return true;
}

static void mail_command(struct smtp_client *c, const struct smtp_tx *tx, struct buf *line)
{
	buf_printf(line, "MAIL FROM:<%s>", tx->mail_from ? tx->mail_from : "");
	if (c->exts.size) /* RFC 1870 6 */
		buf_printf(line, " SIZE=%llu", (unsigned long long)msg_size(&tx->msg));
	if (tx->need_8bitmime) /* RFC 6152 2 */
		buf_puts(line, " BODY=8BITMIME");
	if (tx->need_smtputf8) /* RFC 6531 3.4 */
		buf_puts(line, " SMTPUTF8");
	if (tx->requiretls) /* RFC 8689 4 */
		buf_puts(line, " REQUIRETLS");
}

/* Command i of the envelope: MAIL for 0, RCPT for the recipients after it. */
static bool write_envelope_command(struct smtp_client *c, const struct smtp_tx *tx, size_t i,
				   struct error *err)
{
	struct buf line = BUF_INIT;
	if (i == 0)
		mail_command(c, tx, &line);
	else
		buf_printf(&line, "RCPT TO:<%s>", tx->rcpts[i - 1]);
	bool ok = client_write_line(c, buf_cstr(&line), false, err);
	buf_free(&line);
	return ok;
}

static struct smtp_reply *envelope_reply(struct smtp_tx_result *res, size_t i)
{
	return i == 0 ? &res->mail : &res->rcpt[i - 1];
}

/* RFC 2920 3.1: a window of commands, then their replies, so no side blocks on a full buffer. */
static bool envelope_pipelined(struct smtp_client *c, const struct smtp_tx *tx,
			       struct smtp_tx_result *res, struct error *err)
{
	size_t total = 1 + tx->nrcpts;
	res->pipelined = true;
	for (size_t start = 0; start < total; start += SMTP_PIPELINE_WINDOW) {
		size_t end =
		    start + SMTP_PIPELINE_WINDOW < total ? start + SMTP_PIPELINE_WINDOW : total;
		for (size_t i = start; i < end; i++)
			if (!write_envelope_command(c, tx, i, err))
				return false;
		if (!client_flush(c, err))
			return false;
		for (size_t i = start; i < end; i++)
			if (!client_read_reply(c, envelope_reply(res, i), client_timeout(c), err))
				return false;
		if (!is_2xx(&res->mail))
			return true; /* the rest would only be refused as out of sequence */
	}
	return true;
}

static bool envelope_serial(struct smtp_client *c, const struct smtp_tx *tx,
			    struct smtp_tx_result *res, struct error *err)
{
	if (!write_envelope_command(c, tx, 0, err) || !client_flush(c, err) ||
	    !client_read_reply(c, &res->mail, client_timeout(c), err))
		return false;
	if (!is_2xx(&res->mail))
		return true;
	for (size_t i = 0; i < tx->nrcpts; i++) {
		struct smtp_reply *r = &res->rcpt[i];
		if (!write_envelope_command(c, tx, i + 1, err) || !client_flush(c, err) ||
		    !client_read_reply(c, r, client_timeout(c), err))
			return false;
		/* RFC 5321 4.5.3.1.10: no more recipients in this transaction; the rest get the
		 * same answer and can go in another one. */
		if (i > 0 && (r->code == SMTP_C452_STORAGE || r->code == SMTP_C552_EXCEEDED)) {
			for (size_t j = i + 1; j < tx->nrcpts; j++)
				smtp_reply_copy(&res->rcpt[j], r);
			break;
		}
	}
	return true;
}

static bool envelope(struct smtp_client *c, const struct smtp_tx *tx, struct smtp_tx_result *res,
		     struct error *err)
{
	bool ok = c->exts.pipelining ? envelope_pipelined(c, tx, res, err)
				     : envelope_serial(c, tx, res, err);
	if (!ok)
		return connection_failed(res);
	if (!is_2xx(&res->mail)) {
		tx_fail(res, SMTP_TX_REFUSED);
		return client_refused(&res->mail, "MAIL FROM", err);
	}
	c->need_rset = true;
	for (size_t i = 0; i < tx->nrcpts; i++)
		if (is_2xx(&res->rcpt[i]))
			res->accepted++;
	if (res->accepted > 0)
		return true;
	tx_fail(res, SMTP_TX_NO_RECIPIENTS);
	if (tx->nrcpts == 1)
		return client_refused(&res->rcpt[0], "RCPT TO", err);
	return error_set(err, ERR_TEMPORARY, "none of %zu recipients accepted", tx->nrcpts);
}

/* ---- the message ---- */

/* Sends the message bytes through encode (DATA) or as they are (BDAT). */
static bool stream_message(struct smtp_client *c, const struct smtp_msg *m, bool encode,
			   struct error *err)
{
	char *chunk = xmalloc(MSG_CHUNK);
	struct buf out = BUF_INIT;
	struct smtp_data_encoder enc;
	smtp_data_encoder_init(&enc);
	uint64_t pos = 0, size = msg_size(m);
	bool ok = true;
	while (ok && pos < size) {
		const char *p;
		size_t n;
		ok = msg_piece(m, &pos, chunk, &p, &n, err);
		if (ok && encode) {
			buf_reset(&out);
			smtp_data_encode(&enc, p, n, &out);
			p = out.data;
			n = out.len;
		}
		ok = ok && (conn_write(c->conn, p, n, err) || client_botch(c));
	}
	if (ok && encode) {
		buf_reset(&out);
		smtp_data_encode_end(&enc, &out);
		ok = conn_write(c->conn, out.data, out.len, err) || client_botch(c);
	}
	free(chunk);
	buf_free(&out);
	/* A message cut short cannot be ended cleanly: the session is over. */
	return (ok && client_flush(c, err)) || client_botch(c);
}

static int data_timeout(const struct smtp_client *c)
{
	return c->o.data_timeout_ms > 0 ? c->o.data_timeout_ms : SMTP_CLIENT_DATA_TIMEOUT_MS;
}

/* RFC 5321 4.1.1.4: DATA, 354, the dot-stuffed message, the reply. */
static bool send_data(struct smtp_client *c, const struct smtp_tx *tx, struct smtp_tx_result *res,
		      struct error *err)
{
	if (!client_write_line(c, "DATA", false, err) || !client_flush(c, err) ||
	    !client_read_reply(c, &res->data, client_timeout(c), err))
		return connection_failed(res);
	if (res->data.code != SMTP_C354_START_DATA) {
		tx_fail(res, SMTP_TX_REFUSED);
		return client_refused(&res->data, "DATA", err);
	}
	if (!stream_message(c, &tx->msg, true, err) ||
	    !client_read_reply(c, &res->data, data_timeout(c), err))
		return connection_failed(res);
	return true;
}

/* RFC 3030 2: the whole message as one last chunk. */
static bool send_bdat(struct smtp_client *c, const struct smtp_tx *tx, struct smtp_tx_result *res,
		      struct error *err)
{
	char line[48];
	snprintf(line, sizeof line, "BDAT %llu LAST", (unsigned long long)msg_size(&tx->msg));
	res->chunking = true;
	if (!client_write_line(c, line, false, err) || !stream_message(c, &tx->msg, false, err) ||
	    !client_read_reply(c, &res->data, data_timeout(c), err))
		return connection_failed(res);
	return true;
}

static bool start(struct smtp_client *c, const struct smtp_tx *tx, struct smtp_tx_result *res,
		  struct error *err)
{
	res->nrcpts = tx->nrcpts;
	res->rcpt = xcalloc(tx->nrcpts ? tx->nrcpts : 1, sizeof *res->rcpt);
	for (size_t i = 0; i < tx->nrcpts; i++)
		smtp_reply_init(&res->rcpt[i]);
	if (!c->botched && c->need_rset && !smtp_client_rset(c, err))
		return tx_fail(res, c->botched ? SMTP_TX_CONNECTION : SMTP_TX_REFUSED);
	if (c->botched) {
		tx_fail(res, SMTP_TX_CONNECTION);
		return error_set(err, ERR_INVALID, "smtp session unusable after an earlier error");
	}
	return true;
}

bool smtp_client_send(struct smtp_client *c, const struct smtp_tx *tx, struct smtp_tx_result *res,
		      struct error *err)
{
	if (!check_needs(c, tx, res, err) || !start(c, tx, res, err) || !envelope(c, tx, res, err))
		return false;
	bool sent = c->exts.chunking ? send_bdat(c, tx, res, err) : send_data(c, tx, res, err);
	if (!sent)
		return false;
	/* The reply to the message ends the transaction, accepted or not. */
	c->need_rset = false;
	if (!is_2xx(&res->data)) {
		tx_fail(res, SMTP_TX_REFUSED);
		return client_refused(&res->data, "message", err);
	}
	res->fail = SMTP_TX_OK;
	return true;
}
