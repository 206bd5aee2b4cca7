#include "auth/md5.h"

#include <sodium.h>
#include <string.h>

/* RFC 1321 3.4: T[i] = floor(2^32 * abs(sin(i + 1))). */
static const uint32_t T[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

/* Per-round rotation amounts (RFC 1321 3.4). */
static const uint8_t S[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

static uint32_t rotl(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

static uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void store_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void compress(uint32_t h[4], const uint8_t block[AUTH_MD5_BLOCK])
{
	uint32_t x[16];
	for (int i = 0; i < 16; i++)
		x[i] = load_le32(block + 4 * i);
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
	for (int i = 0; i < 64; i++) {
		int round = i / 16;
		uint32_t f;
		int k;
		switch (round) {
		case 0:
			f = (b & c) | (~b & d);
			k = i;
			break;
		case 1:
			f = (b & d) | (c & ~d);
			k = (5 * i + 1) % 16;
			break;
		case 2:
			f = b ^ c ^ d;
			k = (3 * i + 5) % 16;
			break;
		default:
			f = c ^ (b | ~d);
			k = (7 * i) % 16;
			break;
		}
		uint32_t t = d;
		d = c;
		c = b;
		b = b + rotl(a + f + x[k] + T[i], S[round][i % 4]);
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	sodium_memzero(x, sizeof x);
}

void auth_md5_init(struct auth_md5 *m)
{
	/* RFC 1321 3.3 */
	m->h[0] = 0x67452301;
	m->h[1] = 0xefcdab89;
	m->h[2] = 0x98badcfe;
	m->h[3] = 0x10325476;
	m->total = 0;
	m->used = 0;
}

void auth_md5_update(struct auth_md5 *m, const void *p, size_t n)
{
	const uint8_t *s = p;
	m->total += n;
	while (n > 0) {
		size_t take = AUTH_MD5_BLOCK - m->used;
		if (take > n)
			take = n;
		memcpy(m->block + m->used, s, take);
		m->used += take;
		s += take;
		n -= take;
		if (m->used == AUTH_MD5_BLOCK) {
			compress(m->h, m->block);
			m->used = 0;
		}
	}
}

void auth_md5_final(struct auth_md5 *m, uint8_t out[AUTH_MD5_LEN])
{
	/* RFC 1321 3.1-3.2: a 1 bit, zeros to 56 mod 64, then the bit length. */
	uint64_t bits = m->total * 8;
	static const uint8_t pad[AUTH_MD5_BLOCK] = {0x80};
	size_t padlen = m->used < 56 ? 56 - m->used : 120 - m->used;
	auth_md5_update(m, pad, padlen);
	uint8_t len[8];
	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)(bits >> (8 * i));
	auth_md5_update(m, len, 8);
	for (int i = 0; i < 4; i++)
		store_le32(out + 4 * i, m->h[i]);
	sodium_memzero(m, sizeof *m);
}

void auth_md5(const void *p, size_t n, uint8_t out[AUTH_MD5_LEN])
{
	struct auth_md5 m;
	auth_md5_init(&m);
	auth_md5_update(&m, p, n);
	auth_md5_final(&m, out);
}

/* The chaining state after hashing one block of key XOR pad. */
static void pad_state(const uint8_t key[AUTH_MD5_BLOCK], uint8_t padbyte, uint8_t out[AUTH_MD5_LEN])
{
	uint8_t block[AUTH_MD5_BLOCK];
	for (int i = 0; i < AUTH_MD5_BLOCK; i++)
		block[i] = key[i] ^ padbyte;
	struct auth_md5 m;
	auth_md5_init(&m);
	compress(m.h, block);
	for (int i = 0; i < 4; i++)
		store_le32(out + 4 * i, m.h[i]);
	sodium_memzero(block, sizeof block);
	sodium_memzero(&m, sizeof m);
}

void auth_hmac_md5_states(const void *key, size_t keylen, uint8_t inner[AUTH_MD5_LEN],
			  uint8_t outer[AUTH_MD5_LEN])
{
	/* RFC 2104 2: keys longer than the block are hashed; shorter ones zero-padded. */
	uint8_t k[AUTH_MD5_BLOCK] = {0};
	if (keylen > AUTH_MD5_BLOCK)
		auth_md5(key, keylen, k);
	else if (keylen > 0)
		memcpy(k, key, keylen);
	pad_state(k, 0x36, inner);
	pad_state(k, 0x5c, outer);
	sodium_memzero(k, sizeof k);
}

/* A context positioned after one block, with the given chaining state. */
static void resume(struct auth_md5 *m, const uint8_t state[AUTH_MD5_LEN])
{
	for (int i = 0; i < 4; i++)
		m->h[i] = load_le32(state + 4 * i);
	m->total = AUTH_MD5_BLOCK;
	m->used = 0;
}

void auth_hmac_md5_resume(const uint8_t inner[AUTH_MD5_LEN], const uint8_t outer[AUTH_MD5_LEN],
			  const void *msg, size_t n, uint8_t out[AUTH_MD5_LEN])
{
	/* RFC 2104 2: H(K XOR opad, H(K XOR ipad, text)). */
	struct auth_md5 m;
	uint8_t ih[AUTH_MD5_LEN];
	resume(&m, inner);
	auth_md5_update(&m, msg, n);
	auth_md5_final(&m, ih);
	resume(&m, outer);
	auth_md5_update(&m, ih, sizeof ih);
	auth_md5_final(&m, out);
	sodium_memzero(ih, sizeof ih);
}
