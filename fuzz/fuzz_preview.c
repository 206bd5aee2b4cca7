/*
 * Fuzzes message previews (mail/preview.h): the input is parsed as a message
 * and its preview made, and its first byte chooses plain or HTML for the
 * text form. Beyond "no crash": a preview is valid UTF-8 of at most
 * MAIL_PREVIEW_CHARS characters, without control characters.
 */
#include "base/arena.h"
#include "base/utf8.h"
#include "mail/preview.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct buf *b)
{
	const char *p = b->data ? b->data : "";
	if (!utf8_valid(p, b->len)) {
		fprintf(stderr, "preview is not UTF-8\n");
		abort();
	}
	size_t chars = 0;
	for (size_t i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x20 || c == 0x7f) {
			fprintf(stderr, "control character in preview\n");
			abort();
		}
		chars += (c & 0xc0) != 0x80;
	}
	if (chars > MAIL_PREVIEW_CHARS) {
		fprintf(stderr, "preview of %zu characters\n", chars);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena ar;
	arena_init(&ar, 4096);
	struct mail_message *m = mail_parse((const char *)data, size, &ar);
	struct buf b = BUF_INIT;
	mail_preview(m, (const char *)data, size, &b);
	check(&b);
	buf_free(&b);
	if (size > 0) {
		mail_preview_text((const char *)data + 1, size - 1, data[0] & 1, &b);
		check(&b);
		buf_free(&b);
	}
	arena_free(&ar);
	return 0;
}
