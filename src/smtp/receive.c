/*
 * DATA (RFC 5321 4.1.1.4) and BDAT (RFC 3030): reading the message into an
 * unlinked spool file, bounded in size and time, then handing it to
 * deliver.c.
 */
#include "smtp/session.h"

#include "base/file.h"
#include "base/timeutil.h"
#include "smtp/codes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Spool buffer flushed to the file at this size. */
#define SPOOL_FLUSH (64 * 1024)
/* Longest piece of a message line read at once. */
#define DATA_PIECE_MAX (16 * 1024)

int smtp_session_spool_open(struct smtp_session *s)
{
	/* O_TMPFILE: nothing to clean up if we die; the file exists only as this fd. */
	int fd = open(s->cfg->spool_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ENOENT && mkdir_p(s->cfg->spool_dir, 0700, NULL))
		fd = open(s->cfg->spool_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		struct error err;
		error_errno(&err, errno, "creating spool file in %s", s->cfg->spool_dir);
		log_error(&s->lg, "cannot spool message", LE(&err));
		smtp_session_reply(s, SMTP_C451_LOCAL_ERROR, SMTP_SE_SYS_STORAGE,
				   "cannot store message now, try again later");
	}
	return fd;
}

static bool spool_write(struct smtp_session *s, int fd, struct buf *b, bool *write_failed)
{
	if (b->len == 0 || *write_failed)
		return true;
	struct error err;
	if (!fd_write_all(fd, b->data, b->len, &err)) {
		log_error(&s->lg, "writing spool file", LE(&err));
		*write_failed = true;
	}
	buf_reset(b);
	return !*write_failed;
}

/*
 * One piece of message input, never past the end of the current line, so
 * commands pipelined after the final dot stay in the connection's buffer
 * (RFC 2920 3.1). Long lines come in pieces of DATA_PIECE_MAX bytes.
 */
static bool read_piece(struct smtp_session *s, struct buf *raw, struct error *err)
{
	struct str line;
	enum conn_eol eol;
	buf_reset(raw);
	if (conn_read_line(s->c, DATA_PIECE_MAX, &line, &eol, err)) {
		buf_append(raw, line.p, line.len);
		buf_puts(raw, eol == CONN_EOL_CRLF ? "\r\n" : "\n");
		return true;
	}
	if (err->kind != ERR_LIMIT)
		return false;
	/* More than DATA_PIECE_MAX bytes without LF are buffered: take that many. */
	struct str chunk;
	if (!conn_read_some(s->c, DATA_PIECE_MAX, &chunk, err))
		return false;
	buf_append(raw, chunk.p, chunk.len);
	return true;
}

/* Reads through CRLF.CRLF into fd. false when the connection failed (session over). */
static bool read_data(struct smtp_session *s, int fd, struct smtp_data_decoder *dec,
		      bool *write_failed)
{
	struct buf out = BUF_INIT, raw = BUF_INIT;
	int64_t deadline = mono_ms() + smtp_session_txn_timeout(s);
	conn_set_timeouts(s->c, smtp_session_data_timeout(s), smtp_session_cmd_timeout(s));
	bool ok = true;
	while (!dec->done) {
		struct error err;
		if (mono_ms() > deadline) {
			error_set(&err, ERR_TIMEOUT, "DATA took too long");
			smtp_session_io_error(s, &err);
			ok = false;
			break;
		}
		if (!read_piece(s, &raw, &err)) {
			/* Mid-DATA disconnect: nothing is stored (the spool fd is dropped). */
			smtp_session_io_error(s, &err);
			ok = false;
			break;
		}
		smtp_data_feed(dec, raw.data, raw.len, &out);
		if (out.len >= SPOOL_FLUSH)
			spool_write(s, fd, &out, write_failed);
	}
	if (ok)
		spool_write(s, fd, &out, write_failed);
	buf_free(&out);
	buf_free(&raw);
	return ok;
}

void smtp_cmd_data(struct smtp_session *s, struct str args)
{
	if (args.len) {
		smtp_session_reply(s, SMTP_C501_PARAM_SYNTAX, SMTP_SE_PROTO_SYNTAX,
				   "no parameters allowed");
		return;
	}
	if (!smtp_session_need_mail_ok(s))
		return;
	if (s->bdat) {
		/* RFC 3030 2: DATA may not follow BDAT in a transaction. */
		smtp_session_reply(s, SMTP_C503_BAD_SEQUENCE, SMTP_SE_PROTO_BAD_CMD,
				   "DATA not allowed after BDAT");
		return;
	}
	if (!s->have_mail || s->nrcpts == 0) {
		/* RFC 5321 3.3: 503 (or 554 when all recipients failed). */
		smtp_session_reply(s, s->have_mail ? SMTP_C554_FAILED : SMTP_C503_BAD_SEQUENCE,
				   s->have_mail ? SMTP_SE_ADDR_OTHER : SMTP_SE_PROTO_BAD_CMD,
				   s->have_mail ? "no valid recipients" : "MAIL and RCPT first");
		return;
	}
	int fd = smtp_session_spool_open(s);
	if (fd < 0)
		return;
	smtp_session_reply_raw(s, "354 go ahead, end with <CRLF>.<CRLF>\r\n");
	if (!smtp_session_flush(s)) {
		close(fd);
		return;
	}
	struct smtp_data_decoder dec;
	smtp_data_init(&dec, s->cfg->max_message_size);
	bool write_failed = false;
	if (!read_data(s, fd, &dec, &write_failed)) {
		close(fd);
		return;
	}
	if (dec.bad_crlf) {
		/* The smuggling defence: refuse, the client's session stays in sync. */
		log_info(&s->lg, "message refused: bare CR or LF next to a dot");
		smtp_session_reply(s, SMTP_C500_SYNTAX, SMTP_SE_PROTO_SYNTAX,
				   "invalid bare CR or LF in message, possible SMTP smuggling");
	} else if (dec.too_large) {
		smtp_session_reply(s, SMTP_C552_EXCEEDED, SMTP_SE_SYS_MSG_TOO_BIG,
				   "message too large, the limit is %llu bytes",
				   (unsigned long long)s->cfg->max_message_size);
	} else if (write_failed) {
		smtp_session_reply(s, SMTP_C451_LOCAL_ERROR, SMTP_SE_SYS_STORAGE,
				   "cannot store message now, try again later");
	} else {
		smtp_session_finish_message(s, fd, dec.size, dec.saw_8bit);
	}
	close(fd);
	smtp_session_reset_txn(s);
}

/* Reads n chunk bytes, feeding them to the decoder (or discarding them). */
static bool read_chunk(struct smtp_session *s, uint64_t n, bool keep, bool *write_failed)
{
	struct buf out = BUF_INIT;
	conn_set_timeouts(s->c, smtp_session_data_timeout(s), smtp_session_cmd_timeout(s));
	bool ok = true;
	while (n > 0) {
		struct str chunk;
		struct error err;
		if (mono_ms() > s->bdat_deadline) {
			error_set(&err, ERR_TIMEOUT, "BDAT took too long");
			smtp_session_io_error(s, &err);
			ok = false;
			break;
		}
		size_t want = n > 64 * 1024 ? 64 * 1024 : (size_t)n;
		if (!conn_read_some(s->c, want, &chunk, &err)) {
			smtp_session_io_error(s, &err);
			ok = false;
			break;
		}
		n -= chunk.len;
		if (keep) {
			smtp_bdat_feed(&s->bdat_dec, chunk.p, chunk.len, &out);
			if (out.len >= SPOOL_FLUSH)
				spool_write(s, s->spool_fd, &out, write_failed);
		}
	}
	if (ok && keep)
		spool_write(s, s->spool_fd, &out, write_failed);
	buf_free(&out);
	return ok;
}

/* RFC 3030 2: the chunk must be read whatever we answer, or the session desyncs. */
void smtp_cmd_bdat(struct smtp_session *s, struct str args)
{
	uint64_t size;
	bool last;
	struct error err;
	if (!smtp_parse_bdat(args, &size, &last, &err)) {
		/* Without a size we cannot know where the chunk ends: close. */
		smtp_session_reply(s, SMTP_C501_PARAM_SYNTAX, SMTP_SE_PROTO_SYNTAX,
				   "BDAT: %s; closing connection", err.msg);
		smtp_session_flush(s);
		s->end = END_IO;
		return;
	}
	bool ok_state = s->hello_done && s->have_mail && s->nrcpts > 0 &&
			(!s->cfg->submission || s->authenticated);
	if (!s->bdat && ok_state) {
		s->spool_fd = smtp_session_spool_open(s);
		if (s->spool_fd < 0) {
			s->bdat_failed = true;
			ok_state = false;
		}
		s->bdat = true;
		smtp_bdat_init(&s->bdat_dec, s->cfg->max_message_size);
		s->bdat_deadline = mono_ms() + smtp_session_txn_timeout(s);
	}
	bool keep = ok_state && !s->bdat_failed;
	bool write_failed = false;
	if (!s->bdat)
		s->bdat_deadline = mono_ms() + smtp_session_txn_timeout(s);
	if (!read_chunk(s, size, keep, &write_failed))
		return;
	if (!ok_state && !s->bdat_failed) {
		smtp_session_reply(s, SMTP_C503_BAD_SEQUENCE, SMTP_SE_PROTO_BAD_CMD,
				   "BDAT needs EHLO, MAIL and RCPT first");
		smtp_session_bad(s);
		return;
	}
	if (write_failed)
		s->bdat_failed = true;
	if (!last) {
		if (s->bdat_failed)
			smtp_session_reply(s, SMTP_C451_LOCAL_ERROR, SMTP_SE_SYS_STORAGE,
					   "cannot store message now, try again later");
		else
			smtp_session_reply(s, SMTP_C250_OK, SMTP_SE_OTHER, "%llu octets received",
					   (unsigned long long)size);
		return;
	}
	if (s->bdat_failed)
		smtp_session_reply(s, SMTP_C451_LOCAL_ERROR, SMTP_SE_SYS_STORAGE,
				   "cannot store message now, try again later");
	else if (s->bdat_dec.too_large)
		smtp_session_reply(s, SMTP_C552_EXCEEDED, SMTP_SE_SYS_MSG_TOO_BIG,
				   "message too large, the limit is %llu bytes",
				   (unsigned long long)s->cfg->max_message_size);
	else
		smtp_session_finish_message(s, s->spool_fd, s->bdat_dec.size, s->bdat_dec.saw_8bit);
	smtp_session_reset_txn(s);
}
