#include "auth/base64.h"

#include "base/str.h"

#include <stdint.h>
#include <string.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void auth_b64_encode(const void *p, size_t n, struct buf *out)
{
	const uint8_t *s = p;
	buf_reserve(out, AUTH_B64_LEN(n));
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		char q[4] = {alphabet[(v >> 18) & 63], alphabet[(v >> 12) & 63],
			     i + 1 < n ? alphabet[(v >> 6) & 63] : '=',
			     i + 2 < n ? alphabet[v & 63] : '='};
		buf_append(out, q, 4);
	}
}

/* Decodes one group of four characters; returns the byte count (1..3) or 0 when invalid. */
static size_t decode_group(const char *g, bool last, uint8_t out[3])
{
	int pad = 0;
	if (last && g[3] == '=')
		pad = g[2] == '=' ? 2 : 1;
	uint32_t v = 0;
	for (int i = 0; i < 4 - pad; i++) {
		int x = base64_sextet((unsigned char)g[i], '+', '/');
		if (x < 0)
			return 0;
		v = (v << 6) | (uint32_t)x;
	}
	/* RFC 4648 3.5: the bits beyond the data in the last character must be zero. */
	if (pad == 2) {
		if (v & 0xf)
			return 0;
		out[0] = (uint8_t)(v >> 4);
		return 1;
	}
	if (pad == 1) {
		if (v & 0x3)
			return 0;
		out[0] = (uint8_t)(v >> 10);
		out[1] = (uint8_t)(v >> 2);
		return 2;
	}
	out[0] = (uint8_t)(v >> 16);
	out[1] = (uint8_t)(v >> 8);
	out[2] = (uint8_t)v;
	return 3;
}

bool auth_b64_decode(struct str in, struct buf *out)
{
	if (in.len % 4 != 0)
		return false;
	size_t start = out->len;
	buf_reserve(out, in.len / 4 * 3);
	for (size_t i = 0; i < in.len; i += 4) {
		uint8_t b[3];
		bool last = i + 4 == in.len;
		size_t n = decode_group(in.p + i, last, b);
		if (n == 0) {
			buf_truncate(out, start);
			return false;
		}
		buf_append(out, b, n);
	}
	return true;
}

bool auth_b64_decode_exact(struct str in, void *dst, size_t want)
{
	if (in.len != AUTH_B64_LEN(want))
		return false;
	struct buf b = BUF_INIT;
	bool ok = auth_b64_decode(in, &b) && b.len == want;
	if (ok && want > 0)
		memcpy(dst, b.data, want);
	buf_free(&b);
	return ok;
}
