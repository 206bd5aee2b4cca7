/*
 * data: decoding the message data of DATA (RFC 5321 4.1.4, 4.5.2) and BDAT
 * (RFC 3030), as byte-at-a-time state machines fed from the socket in
 * chunks of any size, so the result never depends on how TCP split them.
 *
 * DATA. Only CRLF "." CRLF ends the data: a lone dot after a bare LF, or a
 * bare CR around it, never does (the SMTP smuggling defence, as mox's
 * README explains). Dot-unstuffing is exact: a leading '.' is removed only
 * from a line that follows CRLF. As in mox, a bare CR anywhere, and the
 * sequences CRLF "." LF, LF "." LF and LF "." CRLF (with a bare LF before the
 * dot) mark the message bad; reading still continues to the real end so
 * the session stays in sync, and the caller then refuses the message
 * (500 5.5.2). Bare LFs elsewhere are accepted (real mail has them) and
 * stored as CRLF. Output is appended to a buf; its size is counted, and
 * once it passes max the decoder keeps consuming but stops appending, so a
 * huge message costs bandwidth, not memory.
 *
 * BDAT. Chunk data is taken as is, except that bare LFs become CRLF so the
 * stored message has one line ending; the state carries over chunks.
 *
 * Encoding, for the client: smtp_data_encode dot-stuffs a message for DATA
 * (a '.' starting a line is doubled) and writes every line end as CRLF, a
 * bare CR or a bare LF included, so what the receiver takes as the end of
 * data is exactly where we put it; smtp_data_encode_end ends the last line
 * if needed and appends CRLF "." CRLF. Like the decoders it works on pieces
 * of any size with the state carried over.
 *
 * Plain values; one decoder per transaction; no locking, no allocation
 * besides the caller's buf.
 */
#ifndef TERN_SMTP_DATA_H
#define TERN_SMTP_DATA_H

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct smtp_data_decoder {
	int state;
	bool bad_crlf;  /* bare CR, or a dot next to a bare LF: refuse at the end */
	bool done;      /* CRLF.CRLF was seen */
	bool too_large; /* output passed max */
	bool saw_8bit;  /* a byte >= 0x80 */
	uint64_t size;  /* output bytes, counted even past max */
	uint64_t max;   /* 0: unlimited */
};

void smtp_data_init(struct smtp_data_decoder *d, uint64_t max);
/*
 * Consumes bytes of in up to and including the terminating CRLF.CRLF and
 * returns how many it consumed (less than n only when done). Decoded
 * message bytes are appended to out.
 */
size_t smtp_data_feed(struct smtp_data_decoder *d, const char *in, size_t n, struct buf *out);

struct smtp_bdat_decoder {
	bool last_cr; /* the previous byte was CR */
	bool too_large;
	bool saw_8bit;
	uint64_t size;
	uint64_t max;
};

void smtp_bdat_init(struct smtp_bdat_decoder *d, uint64_t max);
/* Appends the chunk bytes, bare LF as CRLF, to out while within max. */
void smtp_bdat_feed(struct smtp_bdat_decoder *d, const char *in, size_t n, struct buf *out);

struct smtp_data_encoder {
	bool mid_line; /* the last byte written was not a line end */
	bool cr;       /* a CR is pending: its line end is written with what follows */
};

void smtp_data_encoder_init(struct smtp_data_encoder *e);
/* Appends the encoding of n message bytes to out. */
void smtp_data_encode(struct smtp_data_encoder *e, const char *in, size_t n, struct buf *out);
/* Appends the end of the data: a CRLF if the last line has none, then ".\r\n". */
void smtp_data_encode_end(struct smtp_data_encoder *e, struct buf *out);

#endif
