/*
 * Fuzzes base/base64, whose decoders read SASL lines, SCRAM attributes, MIME
 * bodies and encoded words from the network: strict decoding of every
 * variant must be canonical (what decodes encodes back to exactly the input)
 * and leave the output alone on failure; the RFC 2045 stream decoder must
 * give the same bytes whatever pieces the input arrives in, and its count
 * must match; and the line-wrapped encoding of anything decodes back to it.
 */
#include "base/base64.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void strict(enum base64_variant v, struct str in)
{
	struct buf out = BUF_INIT, again = BUF_INIT;
	buf_puts(&out, "x");
	if (base64_decode(v, in, &out)) {
		base64_encode(v, out.data + 1, out.len - 1, &again);
		if (again.len != in.len || (in.len && memcmp(again.data, in.p, in.len) != 0))
			abort();
		uint8_t exact[64];
		size_t n = out.len - 1;
		if (n <= sizeof exact &&
		    (!base64_decode_exact(v, in, exact, n) || memcmp(exact, out.data + 1, n) != 0))
			abort();
	} else if (out.len != 1) {
		abort();
	}
	buf_free(&out);
	buf_free(&again);
}

static void stream(const char *p, size_t n)
{
	struct buf whole = BUF_INIT, parts = BUF_INIT;
	base64_mime_decode(p, n, &whole);
	if (base64_mime_decoded_size(p, n) != whole.len)
		abort();
	/* Pieces whose sizes come from the input itself. */
	struct base64_stream st;
	base64_stream_init(&st);
	size_t off = 0;
	uint64_t count = 0;
	while (off < n) {
		size_t take = 1 + (unsigned char)p[off] % 7;
		if (take > n - off)
			take = n - off;
		count += base64_stream_decode(&st, p + off, take, &parts);
		off += take;
	}
	if (count != whole.len || parts.len != whole.len ||
	    (whole.len && memcmp(parts.data, whole.data, whole.len) != 0))
		abort();
	buf_free(&whole);
	buf_free(&parts);
}

static void lines(const uint8_t *data, size_t size)
{
	struct buf enc = BUF_INIT, dec = BUF_INIT;
	size_t line = size ? data[0] : BASE64_MIME_LINE;
	base64_encode_lines(data, size, line, &enc);
	base64_mime_decode(enc.data, enc.len, &dec);
	if (dec.len != size || (size && memcmp(dec.data, data, size) != 0))
		abort();
	buf_free(&enc);
	buf_free(&dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str in = str_make((const char *)data, size);
	for (int v = BASE64_STD; v <= BASE64_URL_NOPAD; v++)
		strict((enum base64_variant)v, in);
	stream((const char *)data, size);
	lines(data, size);
	return 0;
}
