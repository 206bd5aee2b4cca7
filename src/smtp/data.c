#include "smtp/data.h"

/* Where in the line the decoder is; "LF" states follow a bare LF. */
enum {
	ST_BOL,        /* after CRLF (or at the start): a '.' here is stuffing */
	ST_BOL_DOT,    /* CRLF "." */
	ST_BOL_DOT_CR, /* CRLF "." CR: LF ends the data */
	ST_LF,         /* after a bare LF */
	ST_LF_DOT,     /* bare LF "." */
	ST_LF_DOT_CR,  /* bare LF "." CR */
	ST_TEXT,       /* inside a line */
	ST_CR,         /* inside a line after CR */
};

void smtp_data_init(struct smtp_data_decoder *d, uint64_t max)
{
	*d = (struct smtp_data_decoder){.state = ST_BOL, .max = max};
}

static void emit(struct smtp_data_decoder *d, struct buf *out, const char *p, size_t n)
{
	d->size += n;
	if (d->max && d->size > d->max)
		d->too_large = true;
	if (!d->too_large)
		buf_append(out, p, n);
}

/* A byte inside a line (also the byte after a dot that turned out not to end anything). */
static void text_byte(struct smtp_data_decoder *d, struct buf *out, char c)
{
	if (c == '\r') {
		d->state = ST_CR;
		return;
	}
	if (c == '\n') {
		emit(d, out, "\r\n", 2); /* bare LF stored as CRLF */
		d->state = ST_LF;
		return;
	}
	if ((unsigned char)c >= 0x80)
		d->saw_8bit = true;
	emit(d, out, &c, 1);
	d->state = ST_TEXT;
}

/* A CR that was not followed by LF: kept as data, and the message is bad. */
static void bare_cr(struct smtp_data_decoder *d, struct buf *out, char next)
{
	d->bad_crlf = true;
	emit(d, out, "\r", 1);
	text_byte(d, out, next);
}

static void step(struct smtp_data_decoder *d, struct buf *out, char c)
{
	switch (d->state) {
	case ST_BOL:
		if (c == '.')
			d->state = ST_BOL_DOT;
		else
			text_byte(d, out, c);
		break;
	case ST_BOL_DOT:
		if (c == '\r') {
			d->state = ST_BOL_DOT_CR;
		} else {
			/* RFC 5321 4.5.2: the stuffed dot is dropped. CRLF "." LF is bad. */
			if (c == '\n')
				d->bad_crlf = true;
			text_byte(d, out, c);
		}
		break;
	case ST_BOL_DOT_CR:
		if (c == '\n')
			d->done = true;
		else
			bare_cr(d, out, c);
		break;
	case ST_LF:
		if (c == '.')
			d->state = ST_LF_DOT;
		else
			text_byte(d, out, c);
		break;
	case ST_LF_DOT:
		if (c == '\r') {
			d->state = ST_LF_DOT_CR;
			break;
		}
		if (c == '\n')
			d->bad_crlf = true; /* LF "." LF */
		emit(d, out, ".", 1);
		text_byte(d, out, c);
		break;
	case ST_LF_DOT_CR:
		emit(d, out, ".", 1);
		if (c == '\n') {
			d->bad_crlf = true; /* LF "." CRLF: never an end */
			emit(d, out, "\r\n", 2);
			d->state = ST_BOL;
		} else {
			bare_cr(d, out, c);
		}
		break;
	case ST_TEXT: text_byte(d, out, c); break;
	case ST_CR:
		if (c == '\n') {
			emit(d, out, "\r\n", 2);
			d->state = ST_BOL;
		} else {
			bare_cr(d, out, c);
		}
		break;
	}
}

size_t smtp_data_feed(struct smtp_data_decoder *d, const char *in, size_t n, struct buf *out)
{
	size_t i = 0;
	while (i < n && !d->done) {
		/* Fast path: copy a run of ordinary bytes inside a line at once. */
		if (d->state == ST_TEXT) {
			size_t j = i;
			while (j < n && in[j] != '\r' && in[j] != '\n') {
				if ((unsigned char)in[j] >= 0x80)
					d->saw_8bit = true;
				j++;
			}
			if (j > i) {
				emit(d, out, in + i, j - i);
				i = j;
				continue;
			}
		}
		step(d, out, in[i++]);
	}
	return i;
}

void smtp_bdat_init(struct smtp_bdat_decoder *d, uint64_t max)
{
	*d = (struct smtp_bdat_decoder){.max = max};
}

static void bdat_emit(struct smtp_bdat_decoder *d, struct buf *out, const char *p, size_t n)
{
	d->size += n;
	if (d->max && d->size > d->max)
		d->too_large = true;
	if (!d->too_large)
		buf_append(out, p, n);
}

void smtp_bdat_feed(struct smtp_bdat_decoder *d, const char *in, size_t n, struct buf *out)
{
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c >= 0x80)
			d->saw_8bit = true;
		if (c == '\n' && !d->last_cr) {
			bdat_emit(d, out, in + start, i - start);
			bdat_emit(d, out, "\r\n", 2);
			start = i + 1;
		}
		d->last_cr = c == '\r';
	}
	bdat_emit(d, out, in + start, n - start);
}

void smtp_data_encoder_init(struct smtp_data_encoder *e)
{
	e->mid_line = false;
	e->cr = false;
}

static void line_end(struct smtp_data_encoder *e, struct buf *out)
{
	buf_append(out, "\r\n", 2);
	e->mid_line = false;
	e->cr = false;
}

void smtp_data_encode(struct smtp_data_encoder *e, const char *in, size_t n, struct buf *out)
{
	size_t i = 0;
	while (i < n) {
		if (e->mid_line && !e->cr) {
			/* Most bytes: copy the run up to the next CR or LF. */
			size_t j = i;
			while (j < n && in[j] != '\r' && in[j] != '\n')
				j++;
			buf_append(out, in + i, j - i);
			i = j;
			if (i == n)
				break;
		}
		char c = in[i++];
		if (e->cr) {
			line_end(e, out); /* CRLF, or a bare CR made a line end */
			if (c == '\n')
				continue;
		}
		if (c == '\r') {
			e->cr = true;
			continue;
		}
		if (c == '\n') {
			line_end(e, out); /* a bare LF */
			continue;
		}
		/* RFC 5321 4.5.2: a line starting with '.' gets one more. */
		if (!e->mid_line && c == '.')
			buf_putc(out, '.');
		buf_putc(out, c);
		e->mid_line = true;
	}
}

void smtp_data_encode_end(struct smtp_data_encoder *e, struct buf *out)
{
	if (e->cr || e->mid_line)
		line_end(e, out);
	buf_append(out, ".\r\n", 3);
}
