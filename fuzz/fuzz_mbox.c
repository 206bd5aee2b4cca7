/*
 * Fuzzes the mbox splitter (store/mbox.h). For arbitrary bytes the reader
 * ends (every message moves it forward), keeps each message within its
 * limit, gives CRLF lines only, and reports errors with a position. Each
 * message it reads that a writer can represent exactly (CRLF lines only,
 * ending in CRLF, no flag headers the writer replaces) is written in mboxrd
 * form and read back: one message with exactly the same bytes. A violation
 * aborts.
 */
#include "base/arena.h"
#include "base/buf.h"
#include "base/str.h"
#include "store/mbox.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MESSAGE_MAX (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(bool cond, const char *what)
{
	if (cond)
		return;
	fprintf(stderr, "invariant violated: %s\n", what);
	abort();
}

/* Every LF is preceded by CR and every CR followed by LF. */
static bool crlf_only(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			return false;
		if (p[i] == '\r' && (i + 1 == n || p[i + 1] != '\n'))
			return false;
	}
	return true;
}

/* A header line the writer drops (it writes its own flag headers). */
static bool has_replaced_header(const char *p, size_t n)
{
	static const char *const names[] = {"status", "x-status", "x-keywords", "content-length"};
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (p + i)) : n - i;
		struct str line = str_make(p + i, len && p[i + len - 1] == '\r' ? len - 1 : len);
		if (line.len == 0)
			return false;
		struct str name, value;
		for (size_t k = 0; k < 4; k++)
			if (str_cut(line, ':', &name, &value) && str_eqi_cstr(name, names[k]))
				return true;
		i += len + 1;
	}
	return false;
}

static void round_trip(const struct store_import_msg *m)
{
	const char *p = m->data.data ? m->data.data : "";
	size_t n = m->data.len;
	if (!crlf_only(p, n) || (n > 0 && (n < 2 || p[n - 1] != '\n')) || has_replaced_header(p, n))
		return;
	struct buf out = BUF_INIT;
	mbox_write_message(&out, "fuzz@example", 0, 0, NULL, p, n);
	struct mbox_reader r;
	mbox_reader_init(&r, "rt", out.data, out.len, FUZZ_MESSAGE_MAX * 2);
	struct store_import_msg back;
	memset(&back, 0, sizeof back);
	struct arena ar;
	arena_init(&ar, 1024);
	struct error err;
	require(mbox_read(&r, &back, &ar, &err) == 1, "written message reads back");
	require(back.data.len == n && memcmp(back.data.data ? back.data.data : "", p, n) == 0,
		"round trip keeps the bytes");
	require(mbox_read(&r, &back, &ar, &err) == 0, "one message written, one read");
	buf_free(&back.data);
	arena_free(&ar);
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mbox_reader r;
	mbox_reader_init(&r, "fuzz", (const char *)data, size, FUZZ_MESSAGE_MAX);
	struct store_import_msg m;
	memset(&m, 0, sizeof m);
	struct arena ar;
	arena_init(&ar, 4096);
	struct error err;
	int rc;
	size_t pos = 0;
	while ((rc = mbox_read(&r, &m, &ar, &err)) == 1) {
		require(r.pos > pos, "each message moves the reader forward");
		pos = r.pos;
		require(m.data.len <= FUZZ_MESSAGE_MAX, "message within its limit");
		require(m.nkeywords <= STORE_IMPORT_KEYWORDS_MAX, "keywords bounded");
		require((m.flags & ~STORE_FLAGS_ALL) == 0, "known flags only");
		const char *p = m.data.data ? m.data.data : "";
		for (size_t i = 0; i < m.data.len; i++)
			require(p[i] != '\n' || (i > 0 && p[i - 1] == '\r'), "CRLF lines");
		round_trip(&m);
	}
	require(rc == 0 || strncmp(err.msg, "fuzz:", 5) == 0, "errors name the position");
	int64_t t;
	int tz;
	mbox_from_date((const char *)data, size, &t, &tz);
	buf_free(&m.data);
	arena_free(&ar);
	return 0;
}
