/*
 * Reading one whole command: its lines and literals (RFC 9051 4.3,
 * RFC 7888 LITERAL+, RFC 3516 literal8), with the limits of session.h.
 *
 * A synchronizing literal is accepted with "+" only after its size was
 * checked, so a refused one costs nothing: the client gets the tagged
 * refusal instead (RFC 7889 NO [TOOBIG] for APPEND data). A refused
 * non-synchronizing literal is on its way already: its bytes and the rest of
 * the command are read and dropped (at most IMAP_DISCARD_MAX bytes, more
 * ends the connection), then the refusal is sent. APPEND data larger than
 * IMAP_LITERAL_MEM_MAX goes to a temporary file of the account, which the
 * store links into place on delivery.
 */
#include "imap/session.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define PREAUTH_COMMAND_MAX (64 * 1024)
#define FILE_CHUNK          (64 * 1024)

/* What the first line says about the command, for limits and refusals. */
struct first_line {
	char tag[64]; /* "" when the line does not start with a usable tag */
	bool append;
};

static void read_first(struct str line, struct first_line *f)
{
	memset(f, 0, sizeof *f);
	size_t i = 0;
	while (i < line.len && line.p[i] != ' ' && i < sizeof f->tag - 1) {
		unsigned char c = (unsigned char)line.p[i];
		if (!(imap_atom_char(c) || c == ']') || c == '+')
			break;
		i++;
	}
	if (i > 0 && i < line.len && line.p[i] == ' ') {
		memcpy(f->tag, line.p, i);
		f->tag[i] = 0;
		struct str rest = str_make(line.p + i + 1, line.len - i - 1);
		f->append = str_has_prefixi(rest, "APPEND ");
	}
}

/* Reads and drops n bytes of a literal. */
static bool discard(struct imap_session *s, uint64_t n, struct error *err)
{
	while (n > 0) {
		struct str chunk;
		if (!conn_read_some(s->c, n > FILE_CHUNK ? FILE_CHUNK : (size_t)n, &chunk, err))
			return false;
		n -= chunk.len;
	}
	return true;
}

/*
 * Drops the rest of a refused command. After a non-synchronizing literal the
 * client goes on sending: its bytes, then the rest of the command, which may
 * announce more literals; a synchronizing one waits for "+" and stops there.
 * consumed: a literal was just read whole, so at least one more line follows.
 */
static bool drop_rest(struct imap_session *s, bool consumed, bool nonsync, uint64_t len,
		      struct error *err)
{
	uint64_t dropped = 0;
	for (;;) {
		if (nonsync) {
			dropped += len;
			if (dropped > IMAP_DISCARD_MAX ||
			    (s->state == IMAP_STATE_NOTAUTH && dropped > IMAP_LITERAL_PREAUTH_MAX))
				return error_set(err, ERR_LIMIT, "literal too large");
			if (!discard(s, len, err))
				return false;
		} else if (!consumed) {
			return true;
		}
		consumed = false;
		struct str line;
		if (!conn_read_line(s->c, IMAP_LINE_MAX, &line, NULL, err))
			return false;
		bool sync, binary, malformed;
		if (!imap_literal_announced(line, &len, &sync, &binary, &malformed))
			return true;
		nonsync = !sync;
	}
}

static enum imap_read refuse(struct imap_session *s, const struct first_line *f, bool no,
			     const char *code, const char *msg, bool consumed, bool nonsync,
			     uint64_t len, struct error *err)
{
	if (!drop_rest(s, consumed, nonsync, len, err))
		return IMAP_READ_END;
	memset(&s->cmd, 0, sizeof s->cmd);
	s->cmd.tag = str_from(arena_strdup(&s->ar, f->tag));
	if (no)
		imap_sess_no(s, code, "%s", msg);
	else
		imap_sess_bad(s, code, "%s", msg);
	return IMAP_READ_ANSWERED;
}

/* Streams a literal into a temporary file of the account. */
static bool literal_to_file(struct imap_session *s, struct imap_literal *l, struct error *err,
			    bool *write_failed)
{
	struct store_tmpfile *tf = arena_zalloc(&s->ar, sizeof *tf);
	tf->fd = -1;
	*write_failed = false;
	struct error cerr;
	if (!store_tmpfile_create(s->account, tf, &cerr)) {
		log_error(&s->lg, "creating a temporary file for APPEND data", LE(&cerr));
		*write_failed = true;
		return discard(s, l->len, err);
	}
	l->file = tf;
	l->fd = tf->fd;
	uint64_t left = l->len;
	while (left > 0) {
		struct str chunk;
		if (!conn_read_some(s->c, left > FILE_CHUNK ? FILE_CHUNK : (size_t)left, &chunk,
				    err))
			return false;
		left -= chunk.len;
		if (!l->has_nul && memchr(chunk.p, '\0', chunk.len))
			l->has_nul = true;
		size_t off = 0;
		while (!*write_failed && off < chunk.len) {
			ssize_t w = write(tf->fd, chunk.p + off, chunk.len - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				*write_failed = true;
				log_error(&s->lg, "writing APPEND data to a temporary file",
					  LS("path", tf->path), LS("err", strerror(errno)));
				break;
			}
			off += (size_t)w;
		}
	}
	return true;
}

enum imap_read imap_read_command(struct imap_session *s, struct error *err)
{
	imap_cmdtext_reset(&s->text);
	struct first_line f = {0};
	bool first = true;
	size_t max = s->state == IMAP_STATE_NOTAUTH ? PREAUTH_COMMAND_MAX : IMAP_COMMAND_MAX;
	for (;;) {
		struct str line;
		if (!conn_read_line(s->c, IMAP_LINE_MAX, &line, NULL, err)) {
			if (err->kind != ERR_LIMIT)
				return IMAP_READ_END;
			/* A line beyond the bound: drop it (up to the command bound) and answer,
			 * with the tag its first bytes give (nothing of it was consumed). */
			if (first) {
				struct str head;
				if (!conn_read_some(s->c, sizeof f.tag, &head, err))
					return IMAP_READ_END;
				read_first(head, &f);
			}
			if (!conn_skip_line(s->c, IMAP_COMMAND_MAX, err))
				return IMAP_READ_END;
			return refuse(s, &f, false, "TOOBIG", "line too long", false, false, 0,
				      err);
		}
		if (first) {
			read_first(line, &f);
			first = false;
		}
		uint64_t len = 0;
		bool sync = true, binary = false, malformed = false;
		bool announced = imap_literal_announced(line, &len, &sync, &binary, &malformed);
		if (s->text.text.len + line.len > max)
			return refuse(s, &f, false, "TOOBIG", "command too long", false,
				      announced && !sync, len, err);
		buf_append(&s->text.text, line.p, line.len);
		if (!announced)
			return IMAP_READ_COMMAND;

		bool append = f.append && s->state != IMAP_STATE_NOTAUTH;
		uint64_t limit = s->state == IMAP_STATE_NOTAUTH ? IMAP_LITERAL_PREAUTH_MAX
				 : append                       ? IMAP_APPEND_MAX
								: max - s->text.text.len;
		if (s->text.nlits == IMAP_LITERALS_MAX)
			return refuse(s, &f, false, "LIMIT", "too many literals", false, !sync, len,
				      err);
		if (len > limit)
			return refuse(s, &f, append, "TOOBIG",
				      append ? "message larger than APPENDLIMIT"
					     : "literal too large",
				      false, !sync, len, err);
		bool to_file = append && len > IMAP_LITERAL_MEM_MAX;
		if (!to_file && s->text.text.len + 2 + len > max)
			return refuse(s, &f, false, "TOOBIG", "command too long", false, !sync, len,
				      err);
		if (sync) {
			imap_sess_puts(s, "+ ready for literal data\r\n");
			imap_sess_flush(s);
			if (s->broken) {
				error_set(err, ERR_CLOSED, "write failed");
				return IMAP_READ_END;
			}
		}
		buf_append(&s->text.text, "\r\n", 2);
		struct imap_literal *l = &s->text.lits[s->text.nlits++];
		memset(l, 0, sizeof *l);
		l->at = s->text.text.len;
		l->len = len;
		l->sync = sync;
		l->binary = binary;
		l->fd = -1;
		if (to_file) {
			bool failed;
			if (!literal_to_file(s, l, err, &failed))
				return IMAP_READ_END;
			if (failed)
				return refuse(s, &f, true, "SERVERBUG", "cannot store the message",
					      true, false, 0, err);
			continue;
		}
		buf_reserve(&s->text.text, (size_t)len);
		if (!conn_read_exact(s->c, s->text.text.data + s->text.text.len, (size_t)len, err))
			return IMAP_READ_END;
		l->has_nul =
		    memchr(s->text.text.data + s->text.text.len, '\0', (size_t)len) != NULL;
		s->text.text.len += (size_t)len;
		s->text.text.data[s->text.text.len] = '\0';
	}
}

void imap_read_cleanup(struct imap_session *s)
{
	for (size_t i = 0; i < s->text.nlits; i++) {
		struct imap_literal *l = &s->text.lits[i];
		if (l->file) {
			store_tmpfile_discard(l->file);
			l->file = NULL;
			l->fd = -1;
		}
	}
	s->text.nlits = 0;
}
