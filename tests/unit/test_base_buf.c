#include "base/arena.h"
#include "base/buf.h"
#include "base/str.h"

#include <criterion/criterion.h>
#include <string.h>

Test(buf, append_and_nul_terminated)
{
	struct buf b = BUF_INIT;
	cr_assert_str_eq(buf_cstr(&b), "");
	buf_puts(&b, "hello");
	buf_putc(&b, ' ');
	buf_printf(&b, "%d-%s", 42, "x");
	cr_assert_str_eq(buf_cstr(&b), "hello 42-x");
	cr_assert_eq(b.len, 10);
	cr_assert_eq(b.data[b.len], '\0');
	buf_consume(&b, 6);
	cr_assert_str_eq(buf_cstr(&b), "42-x");
	buf_truncate(&b, 2);
	cr_assert_str_eq(buf_cstr(&b), "42");
	buf_consume(&b, 100);
	cr_assert_eq(b.len, 0);
	buf_free(&b);
}

Test(buf, grows_past_initial_capacity)
{
	struct buf b = BUF_INIT;
	for (int i = 0; i < 10000; i++)
		buf_putc(&b, (char)('a' + i % 26));
	cr_assert_eq(b.len, 10000);
	cr_assert(b.cap > b.len);
	cr_assert_eq(b.data[9999], 'a' + 9999 % 26);
	char *s = buf_steal(&b);
	cr_assert_eq(b.data, NULL);
	cr_assert_eq(strlen(s), 10000);
	free(s);
}

Test(buf, embedded_nul_bytes_are_kept)
{
	struct buf b = BUF_INIT;
	buf_append(&b, "a\0b", 3);
	cr_assert_eq(b.len, 3);
	cr_assert_eq(memcmp(b.data, "a\0b", 3), 0);
	buf_free(&b);
}

Test(arena, allocations_are_aligned_and_distinct)
{
	struct arena a;
	arena_init(&a, 64);
	char *p = arena_alloc(&a, 3);
	char *q = arena_alloc(&a, 5);
	cr_assert_neq(p, q);
	cr_assert_eq((uintptr_t)q % 16, 0);
	memset(p, 'x', 3);
	memset(q, 'y', 5);
	/* larger than the chunk size: gets its own chunk */
	char *big = arena_alloc(&a, 1000);
	memset(big, 'z', 1000);
	cr_assert_eq(p[2], 'x');
	arena_free(&a);
}

Test(arena, mark_and_rewind_release_later_allocations)
{
	struct arena a;
	arena_init(&a, 128);
	char *keep = arena_strdup(&a, "keep");
	struct arena_mark m = arena_mark(&a);
	for (int i = 0; i < 100; i++)
		arena_sprintf(&a, "temporary %d", i);
	cr_assert(a.total > 1000);
	arena_rewind(&a, m);
	cr_assert_eq(a.total, m.total);
	cr_assert_str_eq(keep, "keep");
	char *again = arena_strdup(&a, "again");
	cr_assert_str_eq(again, "again");
	arena_free(&a);
}

Test(arena, printf_and_dup)
{
	struct arena a;
	arena_init(&a, 0);
	cr_assert_str_eq(arena_sprintf(&a, "%s=%d", "n", 7), "n=7");
	cr_assert_str_eq(arena_strndup(&a, "abcdef", 3), "abc");
	char *m = arena_memdup0(&a, "a\0c", 3);
	cr_assert_eq(m[1], '\0');
	cr_assert_eq(m[3], '\0');
	arena_free(&a);
}

Test(str, compare_cut_trim)
{
	struct str s = str_from("  Hello World\t");
	cr_assert(str_eq_cstr(str_trim(s), "Hello World"));
	cr_assert(str_eqi_cstr(STR_LIT("EHLO"), "ehlo"));
	cr_assert(!str_eqi_cstr(STR_LIT("EHLO"), "ehl"));
	struct str a, b;
	cr_assert(str_cut(STR_LIT("key=value=x"), '=', &a, &b));
	cr_assert(str_eq_cstr(a, "key"));
	cr_assert(str_eq_cstr(b, "value=x"));
	cr_assert(!str_cut(STR_LIT("novalue"), '=', &a, &b));
	cr_assert(str_eq_cstr(a, "novalue"));
	cr_assert(str_has_prefixi(STR_LIT("MAIL FROM:<a>"), "mail from:"));
	cr_assert(str_has_suffix(STR_LIT("file.conf"), ".conf"));
}

Test(str, parse_numbers_bounded)
{
	uint64_t u;
	cr_assert(str_parse_u64(STR_LIT("18446744073709551615"), UINT64_MAX, &u));
	cr_assert_eq(u, UINT64_MAX);
	cr_assert(!str_parse_u64(STR_LIT("18446744073709551616"), UINT64_MAX, &u));
	cr_assert(!str_parse_u64(STR_LIT("101"), 100, &u));
	cr_assert(str_parse_u64(STR_LIT("100"), 100, &u));
	cr_assert(!str_parse_u64(STR_LIT(""), 100, &u));
	cr_assert(!str_parse_u64(STR_LIT("+1"), 100, &u));
	cr_assert(!str_parse_u64(STR_LIT("1 "), 100, &u));
	int64_t i;
	cr_assert(str_parse_i64(STR_LIT("-9223372036854775808"), INT64_MIN, INT64_MAX, &i));
	cr_assert_eq(i, INT64_MIN);
	cr_assert(str_parse_i64(STR_LIT("-5"), -10, 10, &i));
	cr_assert_eq(i, -5);
	cr_assert(!str_parse_i64(STR_LIT("-11"), -10, 10, &i));
	cr_assert(!str_parse_i64(STR_LIT("-"), -10, 10, &i));
}

Test(str, copy_truncates_safely)
{
	char small[4];
	cr_assert(!str_copy(small, sizeof small, "abcdef"));
	cr_assert_str_eq(small, "abc");
	cr_assert(str_copy(small, sizeof small, "ab"));
	cr_assert_str_eq(small, "ab");
}
