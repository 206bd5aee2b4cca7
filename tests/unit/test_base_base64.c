/* Unit tests of base/base64: RFC 4648 10 vectors in every variant, strict decoding's refusals,
 * MIME line wrapping and the RFC 2045 6.8 stream decoder. */
#include "base/base64.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 4648 10 */
static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
static const char *const padded[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
				     "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
static const char *const unpadded[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};

static void check_vector(enum base64_variant v, const char *in, const char *want)
{
	struct buf b = BUF_INIT;
	base64_encode(v, in, strlen(in), &b);
	cr_assert_str_eq(buf_cstr(&b), want);
	cr_assert_eq(base64_encoded_len(v, strlen(in)), strlen(want));
	char fixed[16];
	cr_assert_eq(base64_encode_to(v, in, strlen(in), fixed), strlen(want));
	cr_assert_str_eq(fixed, want);
	buf_reset(&b);
	cr_assert(base64_decode(v, str_from(want), &b), "%s", want);
	cr_assert_eq(b.len, strlen(in));
	cr_assert_str_eq(buf_cstr(&b), in);
	buf_free(&b);
}

Test(base64, rfc4648_vectors)
{
	for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
		check_vector(BASE64_STD, plain[i], padded[i]);
		check_vector(BASE64_URL, plain[i], padded[i]);
		check_vector(BASE64_STD_NOPAD, plain[i], unpadded[i]);
		check_vector(BASE64_URL_NOPAD, plain[i], unpadded[i]);
	}
}

Test(base64, alphabets_differ_in_the_last_two_characters)
{
	static const unsigned char bytes[] = {0xfb, 0xff, 0xbf, 0xfe};
	struct buf b = BUF_INIT;
	base64_encode(BASE64_STD, bytes, sizeof bytes, &b);
	cr_assert_str_eq(buf_cstr(&b), "+/+//g==");
	buf_reset(&b);
	base64_encode(BASE64_URL_NOPAD, bytes, sizeof bytes, &b);
	cr_assert_str_eq(buf_cstr(&b), "-_-__g");
	buf_reset(&b);
	cr_assert_not(base64_decode(BASE64_STD, STR_LIT("-_-__g=="), &b), "url alphabet in std");
	cr_assert_not(base64_decode(BASE64_URL, STR_LIT("+/+//g=="), &b), "std alphabet in url");
	cr_assert(base64_decode(BASE64_URL, STR_LIT("-_-__g=="), &b));
	cr_assert_eq(b.len, sizeof bytes);
	cr_assert_eq(memcmp(b.data, bytes, sizeof bytes), 0);
	buf_free(&b);
}

static void refuse(enum base64_variant v, const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "keep");
	cr_assert_not(base64_decode(v, str_make(s, n), &b), "variant %d accepted \"%.*s\"", v,
		      (int)n, s);
	cr_assert_str_eq(buf_cstr(&b), "keep", "output untouched on failure");
	buf_free(&b);
}

Test(base64, strict_decoding_refuses_noncanonical_forms)
{
	static const char *const bad_padded[] = {
	    "Zg=",      /* length not a multiple of 4 */
	    "Zg",       /* padding missing */
	    "Zh==",     /* non-zero bits after the data (RFC 4648 3.5) */
	    "Zm9=",     /* same, one pad */
	    "Z===",     /* too much padding */
	    "====",     /* only padding */
	    "=Zg=",     /* padding first */
	    "Zg==Zg==", /* padding inside */
	    "Zm9v\n",   /* line break */
	    "Zm9v\r\nYmFy", " Zm9", "Zm 9v", "Zm9v====", "Zm9*", "Zm9\x80",
	};
	for (size_t i = 0; i < sizeof bad_padded / sizeof bad_padded[0]; i++) {
		refuse(BASE64_STD, bad_padded[i], strlen(bad_padded[i]));
		refuse(BASE64_URL, bad_padded[i], strlen(bad_padded[i]));
	}
	refuse(BASE64_STD, "Z\0==", 4);
	refuse(BASE64_STD, "Zm-v", 4);
	refuse(BASE64_URL, "Zm+v", 4);

	static const char *const bad_unpadded[] = {
	    "Zg==",  /* padding where none belongs */
	    "Zm8=",  /* same */
	    "Z",     /* a single character cannot hold a byte */
	    "Zm9vY", /* nor can one after a full group */
	    "Zh",    /* non-zero bits after the data */
	    "Zm9",   /* same */
	    "Zm9v\n",
	};
	for (size_t i = 0; i < sizeof bad_unpadded / sizeof bad_unpadded[0]; i++) {
		refuse(BASE64_STD_NOPAD, bad_unpadded[i], strlen(bad_unpadded[i]));
		refuse(BASE64_URL_NOPAD, bad_unpadded[i], strlen(bad_unpadded[i]));
	}
}

Test(base64, decode_appends)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "x:");
	cr_assert(base64_decode(BASE64_STD, STR_LIT("Zm9v"), &b));
	cr_assert_str_eq(buf_cstr(&b), "x:foo");
	base64_encode(BASE64_STD, "ba", 2, &b);
	cr_assert_str_eq(buf_cstr(&b), "x:fooYmE=");
	buf_free(&b);
}

Test(base64, decode_exact)
{
	uint8_t out[3];
	cr_assert(base64_decode_exact(BASE64_STD, STR_LIT("Zm9v"), out, 3));
	cr_assert_eq(memcmp(out, "foo", 3), 0);
	cr_assert_not(base64_decode_exact(BASE64_STD, STR_LIT("Zm8="), out, 3),
		      "two bytes, not three");
	cr_assert_not(base64_decode_exact(BASE64_STD, STR_LIT("Zm9vYg=="), out, 3));
	cr_assert(base64_decode_exact(BASE64_STD, STR_LIT(""), out, 0));
	cr_assert(base64_decode_exact(BASE64_URL_NOPAD, STR_LIT("Zm8"), out, 2));
	cr_assert_eq(memcmp(out, "fo", 2), 0);
	cr_assert_not(base64_decode_exact(BASE64_URL_NOPAD, STR_LIT("Zm8="), out, 2));
}

Test(base64, round_trips_every_length_and_variant)
{
	uint8_t data[200];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 167 + 13);
	for (int v = BASE64_STD; v <= BASE64_URL_NOPAD; v++) {
		for (size_t n = 0; n <= sizeof data; n++) {
			struct buf enc = BUF_INIT, dec = BUF_INIT;
			base64_encode((enum base64_variant)v, data, n, &enc);
			cr_assert_eq(enc.len, base64_encoded_len((enum base64_variant)v, n));
			cr_assert(base64_decode((enum base64_variant)v, str_make(enc.data, enc.len),
						&dec),
				  "variant %d length %zu", v, n);
			cr_assert_eq(dec.len, n);
			cr_assert(n == 0 || memcmp(dec.data, data, n) == 0);
			buf_free(&enc);
			buf_free(&dec);
		}
	}
}

Test(base64, mime_lines)
{
	uint8_t data[200];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)i;
	struct buf b = BUF_INIT;
	base64_encode_lines(data, sizeof data, BASE64_MIME_LINE, &b);
	/* 200 bytes: three full lines of 57 bytes (76 characters), then 29 bytes (40). */
	const char *p = buf_cstr(&b);
	size_t lines = 0, total = 0;
	while (*p) {
		const char *eol = strstr(p, "\r\n");
		cr_assert(eol, "every line ends in CRLF");
		size_t len = (size_t)(eol - p);
		cr_assert_eq(len, lines < 3 ? 76 : 40, "line %zu is %zu long", lines, len);
		total += len;
		lines++;
		p = eol + 2;
	}
	cr_assert_eq(lines, 4);
	cr_assert_eq(total, BASE64_LEN(sizeof data));
	struct buf dec = BUF_INIT;
	base64_mime_decode(b.data, b.len, &dec);
	cr_assert_eq(dec.len, sizeof data);
	cr_assert_eq(memcmp(dec.data, data, sizeof data), 0);

	/* Line lengths are whole groups, and never over 76. */
	buf_reset(&b);
	base64_encode_lines("foobar", 6, 6, &b);
	cr_assert_str_eq(buf_cstr(&b), "Zm9v\r\nYmFy\r\n");
	buf_reset(&b);
	base64_encode_lines("foobar", 6, 0, &b);
	cr_assert_str_eq(buf_cstr(&b), "Zm9v\r\nYmFy\r\n");
	buf_reset(&b);
	base64_encode_lines(data, 60, 1000, &b);
	cr_assert_eq(strstr(buf_cstr(&b), "\r\n") - buf_cstr(&b), 76);
	buf_reset(&b);
	base64_encode_lines("", 0, 76, &b);
	cr_assert_eq(b.len, 0);
	buf_free(&b);
	buf_free(&dec);
}

static void mime(const char *in, const char *want, size_t wantlen)
{
	struct buf b = BUF_INIT;
	base64_mime_decode(in, strlen(in), &b);
	cr_assert_eq(b.len, wantlen, "\"%s\": %zu bytes", in, b.len);
	cr_assert(wantlen == 0 || memcmp(b.data, want, wantlen) == 0, "\"%s\"", in);
	cr_assert_eq(base64_mime_decoded_size(in, strlen(in)), wantlen);
	buf_free(&b);
}

Test(base64, mime_decoding_is_lenient)
{
	/* RFC 2045 6.8: characters outside the alphabet are ignored, "=" ends the data. */
	mime("Zm9v\r\nYmFy\r\n", "foobar", 6);
	mime("Zm9v YmFy", "foobar", 6);
	mime("Zm9v*!YmFy", "foobar", 6);
	mime("Zm8=", "fo", 2);
	mime("Zm8=Zm9v", "fo", 2);
	mime("Zm9vYmFy=", "foobar", 6);
	mime("Zm9vY", "foo", 3);  /* an incomplete group's bits are dropped */
	mime("Zm-_9v", "foo", 3); /* the url alphabet's characters are not data here */
	mime("", "", 0);
	mime("====", "", 0);
}

Test(base64, stream_decoding_in_pieces_equals_whole)
{
	uint8_t data[300];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 31 + 7);
	struct buf enc = BUF_INIT, whole = BUF_INIT;
	base64_encode_lines(data, sizeof data, BASE64_MIME_LINE, &enc);
	base64_mime_decode(enc.data, enc.len, &whole);
	cr_assert_eq(whole.len, sizeof data);
	cr_assert_eq(memcmp(whole.data, data, sizeof data), 0);
	for (size_t piece = 1; piece < 20; piece++) {
		struct base64_stream st;
		base64_stream_init(&st);
		struct buf out = BUF_INIT;
		uint64_t n = 0;
		for (size_t off = 0; off < enc.len; off += piece) {
			size_t take = enc.len - off < piece ? enc.len - off : piece;
			n += base64_stream_decode(&st, enc.data + off, take, &out);
		}
		cr_assert_eq(n, sizeof data, "pieces of %zu", piece);
		cr_assert_eq(out.len, sizeof data);
		cr_assert_eq(memcmp(out.data, data, sizeof data), 0, "pieces of %zu", piece);
		buf_free(&out);
	}
	/* After "=", later pieces decode to nothing. */
	struct base64_stream st = {0};
	struct buf out = BUF_INIT;
	cr_assert_eq(base64_stream_decode(&st, "Zm8", 3, &out), 2);
	cr_assert_eq(base64_stream_decode(&st, "=", 1, &out), 0);
	cr_assert_eq(base64_stream_decode(&st, "Zm9v", 4, &out), 0);
	cr_assert_eq(out.len, 2);
	buf_free(&out);
	buf_free(&enc);
	buf_free(&whole);
}

Test(base64, sextets)
{
	cr_assert_eq(base64_sextet('A', '+', '/'), 0);
	cr_assert_eq(base64_sextet('z', '+', '/'), 51);
	cr_assert_eq(base64_sextet('9', '+', '/'), 61);
	cr_assert_eq(base64_sextet('+', '+', '/'), 62);
	cr_assert_eq(base64_sextet('/', '+', '/'), 63);
	cr_assert_eq(base64_sextet(',', '+', ','), 63);
	cr_assert_eq(base64_sextet('-', '+', '/'), -1);
	cr_assert_eq(base64_sextet('=', '+', '/'), -1);
	cr_assert_eq(base64_sextet(0xff, '+', '/'), -1);
}
