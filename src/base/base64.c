/*
 * base64 (RFC 4648) encoding, strict decoding and RFC 2045 MIME decoding; see base64.h.
 */
#include "base/base64.h"

#include <string.h>

static const char std_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static bool is_url(enum base64_variant v)
{
	return v == BASE64_URL || v == BASE64_URL_NOPAD;
}

static bool is_padded(enum base64_variant v)
{
	return v == BASE64_STD || v == BASE64_URL;
}

static const char *alphabet_of(enum base64_variant v)
{
	return is_url(v) ? url_alphabet : std_alphabet;
}

size_t base64_encoded_len(enum base64_variant v, size_t n)
{
	if (is_padded(v))
		return BASE64_LEN(n);
	/* RFC 4648 3.2: the last group without its padding characters. */
	return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

/* Writes the encoding of p[0..n) to out (base64_encoded_len(v, n) bytes, no NUL). */
static void encode_raw(enum base64_variant v, const uint8_t *p, size_t n, char *out)
{
	const char *abc = alphabet_of(v);
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t x = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			x |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			x |= p[i + 2];
		out[o++] = abc[(x >> 18) & 63];
		out[o++] = abc[(x >> 12) & 63];
		if (i + 1 < n)
			out[o++] = abc[(x >> 6) & 63];
		else if (is_padded(v))
			out[o++] = '=';
		if (i + 2 < n)
			out[o++] = abc[x & 63];
		else if (is_padded(v))
			out[o++] = '=';
	}
}

void base64_encode(enum base64_variant v, const void *p, size_t n, struct buf *out)
{
	size_t len = base64_encoded_len(v, n);
	buf_reserve(out, len);
	encode_raw(v, p, n, out->data + out->len);
	out->len += len;
	out->data[out->len] = '\0';
}

size_t base64_encode_to(enum base64_variant v, const void *p, size_t n, char *out)
{
	size_t len = base64_encoded_len(v, n);
	encode_raw(v, p, n, out);
	out[len] = '\0';
	return len;
}

void base64_encode_lines(const void *p, size_t n, size_t line_len, struct buf *out)
{
	if (line_len > BASE64_MIME_LINE)
		line_len = BASE64_MIME_LINE;
	line_len -= line_len % 4;
	if (line_len == 0)
		line_len = 4;
	/* Each line is line_len / 4 groups of 3 input bytes. */
	size_t per_line = line_len / 4 * 3;
	const uint8_t *s = p;
	buf_reserve(out, BASE64_LEN(n) + (n / per_line + 1) * 2);
	for (size_t i = 0; i < n; i += per_line) {
		size_t take = n - i < per_line ? n - i : per_line;
		base64_encode(BASE64_STD, s + i, take, out);
		buf_append(out, "\r\n", 2);
	}
}

/* ---- strict decoding ---- */

/*
 * Decodes one group of 2 to 4 characters g[0..len) (fewer than 4 only at
 * the end: padding removed or never written); returns the byte count (1..3)
 * or 0 when a character is outside the alphabet or the bits after the data
 * are not zero (RFC 4648 3.5).
 */
static size_t decode_group(const char *g, size_t len, char c62, char c63, uint8_t out[3])
{
	uint32_t x = 0;
	for (size_t i = 0; i < len; i++) {
		int d = base64_sextet((unsigned char)g[i], c62, c63);
		if (d < 0)
			return 0;
		x = (x << 6) | (uint32_t)d;
	}
	switch (len) {
	case 2:
		if (x & 0xf)
			return 0;
		out[0] = (uint8_t)(x >> 4);
		return 1;
	case 3:
		if (x & 0x3)
			return 0;
		out[0] = (uint8_t)(x >> 10);
		out[1] = (uint8_t)(x >> 2);
		return 2;
	case 4:
		out[0] = (uint8_t)(x >> 16);
		out[1] = (uint8_t)(x >> 8);
		out[2] = (uint8_t)x;
		return 3;
	default: return 0;
	}
}

/*
 * The number of data characters of in, with the padding checked: for padded
 * variants a multiple of 4 long with at most two "=" at the very end; for
 * unpadded ones no "=" and a length that leaves no single character in the
 * last group. SIZE_MAX when the form is wrong.
 */
static size_t data_length(enum base64_variant v, struct str in)
{
	size_t n = in.len;
	if (!is_padded(v))
		return n % 4 == 1 ? SIZE_MAX : n;
	if (n % 4 != 0)
		return SIZE_MAX;
	for (int pad = 0; pad < 2 && n > 0 && in.p[n - 1] == '='; pad++)
		n--;
	return n;
}

bool base64_decode(enum base64_variant v, struct str in, struct buf *out)
{
	size_t n = data_length(v, in);
	if (n == SIZE_MAX)
		return false;
	char c62 = is_url(v) ? '-' : '+', c63 = is_url(v) ? '_' : '/';
	size_t start = out->len;
	buf_reserve(out, n / 4 * 3 + 3);
	for (size_t i = 0; i < n; i += 4) {
		uint8_t b[3];
		size_t glen = n - i < 4 ? n - i : 4;
		size_t got = decode_group(in.p + i, glen, c62, c63, b);
		if (got == 0) {
			buf_truncate(out, start);
			return false;
		}
		buf_append(out, b, got);
	}
	return true;
}

bool base64_decode_exact(enum base64_variant v, struct str in, void *dst, size_t want)
{
	if (in.len != base64_encoded_len(v, want))
		return false;
	struct buf b = BUF_INIT;
	bool ok = base64_decode(v, in, &b) && b.len == want;
	if (ok && want > 0)
		memcpy(dst, b.data, want);
	buf_free(&b);
	return ok;
}

/* ---- RFC 2045 6.8 decoding ---- */

void base64_stream_init(struct base64_stream *s)
{
	memset(s, 0, sizeof *s);
}

uint64_t base64_stream_decode(struct base64_stream *s, const char *p, size_t n, struct buf *out)
{
	uint64_t count = 0;
	char chunk[256];
	size_t used = 0;
	for (size_t i = 0; i < n && !s->ended; i++) {
		/* RFC 2045 6.8: "=" ends the data; characters outside the alphabet are ignored. */
		if (p[i] == '=') {
			s->ended = true;
			break;
		}
		int d = base64_sextet((unsigned char)p[i], '+', '/');
		if (d < 0)
			continue;
		s->acc = (s->acc << 6) | (uint32_t)d;
		s->bits += 6;
		if (s->bits < 8)
			continue;
		s->bits -= 8;
		count++;
		if (!out)
			continue;
		chunk[used++] = (char)((s->acc >> s->bits) & 0xff);
		if (used == sizeof chunk) {
			buf_append(out, chunk, used);
			used = 0;
		}
	}
	s->acc &= (1u << s->bits) - 1;
	if (out && used)
		buf_append(out, chunk, used);
	return count;
}

void base64_mime_decode(const char *p, size_t n, struct buf *out)
{
	struct base64_stream s;
	base64_stream_init(&s);
	base64_stream_decode(&s, p, n, out);
}

uint64_t base64_mime_decoded_size(const char *p, size_t n)
{
	struct base64_stream s;
	base64_stream_init(&s);
	return base64_stream_decode(&s, p, n, NULL);
}
