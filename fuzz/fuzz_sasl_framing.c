/*
 * Fuzzes the SASL line decoding of SMTP AUTH and IMAP AUTHENTICATE
 * (sasl_decode_response, sasl_decode_initial) and the strict base64 beneath:
 * decoding is canonical, so whatever decodes must encode back to exactly the
 * input; "*" always cancels; "=" is only an initial response.
 */
#include "base/base64.h"
#include "auth/sasl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(struct str line, const struct buf *decoded)
{
	struct buf again = BUF_INIT;
	base64_encode(BASE64_STD, decoded->data, decoded->len, &again);
	if (again.len != line.len || (line.len && memcmp(again.data, line.p, line.len) != 0))
		abort();
	buf_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str line = str_make((const char *)data, size);
	struct buf out = BUF_INIT;
	enum sasl_line r = sasl_decode_response(line, &out);
	if (r == SASL_LINE_CANCEL && !str_eq_cstr(line, "*"))
		abort();
	if (r == SASL_LINE_DATA)
		round_trip(line, &out);
	else if (out.len != 0)
		abort(); /* nothing decoded on failure */
	sasl_wipe(&out);

	r = sasl_decode_initial(line, &out);
	if (str_eq_cstr(line, "=")) {
		if (r != SASL_LINE_DATA || out.len != 0)
			abort();
	} else if (r == SASL_LINE_DATA) {
		round_trip(line, &out);
	}
	sasl_wipe(&out);

	uint8_t exact[32];
	if (base64_decode_exact(BASE64_STD, line, exact, sizeof exact)) {
		struct buf b = BUF_INIT;
		base64_encode(BASE64_STD, exact, sizeof exact, &b);
		if (b.len != size || memcmp(b.data, data, size) != 0)
			abort();
		buf_free(&b);
	}
	return 0;
}
