#include "auth/precis.h"

#include "base/mem.h"
#include "base/utf8.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <utf8proc.h>

/* RFC 8264 8: the derived properties that matter for the FreeformClass. */
enum precis_prop {
	PRECIS_PVALID,
	PRECIS_CONTEXTJ,
	PRECIS_CONTEXTO,
	PRECIS_DISALLOWED,
	PRECIS_UNASSIGNED,
};

static bool in_range(int32_t cp, int32_t lo, int32_t hi)
{
	return cp >= lo && cp <= hi;
}

/* RFC 5892 2.6, the exceptions table (F), consulted first; returns false when cp is not in it. */
static bool exception_prop(int32_t cp, enum precis_prop *p)
{
	switch (cp) {
	case 0x00DF:
	case 0x03C2:
	case 0x06FD:
	case 0x06FE:
	case 0x0F0B:
	case 0x3007: *p = PRECIS_PVALID; return true;
	case 0x00B7:
	case 0x0375:
	case 0x05F3:
	case 0x05F4:
	case 0x30FB: *p = PRECIS_CONTEXTO; return true;
	case 0x0640:
	case 0x07FA:
	case 0x302E:
	case 0x302F:
	case 0x303B: *p = PRECIS_DISALLOWED; return true;
	default: break;
	}
	if (in_range(cp, 0x0660, 0x0669) || in_range(cp, 0x06F0, 0x06F9)) {
		*p = PRECIS_CONTEXTO;
		return true;
	}
	if (in_range(cp, 0x3031, 0x3035)) {
		*p = PRECIS_DISALLOWED;
		return true;
	}
	return false;
}

static bool is_noncharacter(int32_t cp)
{
	return in_range(cp, 0xFDD0, 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
}

/* RFC 8264 9.9: Hangul_Syllable_Type L, V or T (conjoining jamo). */
static bool is_old_hangul_jamo(int32_t cp)
{
	return in_range(cp, 0x1100, 0x11FF) || in_range(cp, 0xA960, 0xA97C) ||
	       in_range(cp, 0xD7B0, 0xD7C6) || in_range(cp, 0xD7CB, 0xD7FB);
}

/* RFC 8264 9.17: NFKC(cp) != cp. */
static bool has_compat(int32_t cp)
{
	utf8proc_int32_t buf[32];
	int boundclass = 0;
	utf8proc_ssize_t n =
	    utf8proc_decompose_char(cp, buf, 32, UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT, &boundclass);
	if (n <= 0 || n > 32)
		return n > 32;
	n = utf8proc_normalize_utf32(buf, n, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	return !(n == 1 && buf[0] == cp);
}

/* Why a code point is not allowed, for the error message. */
struct verdict {
	enum precis_prop prop;
	const char *why; /* for DISALLOWED and UNASSIGNED */
};

/* RFC 8264 8, the derived property algorithm, for the FreeformClass (FREE_PVAL is valid). */
static struct verdict freeform_property(int32_t cp)
{
	enum precis_prop p;
	if (exception_prop(cp, &p))
		return (struct verdict){p, "not allowed by the PRECIS exceptions"};
	const utf8proc_property_t *prop = utf8proc_get_property(cp);
	utf8proc_category_t cat = (utf8proc_category_t)prop->category;
	if (cat == UTF8PROC_CATEGORY_CN && !is_noncharacter(cp))
		return (struct verdict){PRECIS_UNASSIGNED, "unassigned code point"};
	if (in_range(cp, 0x21, 0x7E))
		return (struct verdict){PRECIS_PVALID, NULL};
	if (cp == 0x200C || cp == 0x200D)
		return (struct verdict){PRECIS_CONTEXTJ, NULL};
	if (is_old_hangul_jamo(cp))
		return (struct verdict){PRECIS_DISALLOWED, "old Hangul jamo"};
	if (prop->ignorable || is_noncharacter(cp))
		return (struct verdict){PRECIS_DISALLOWED,
					"default-ignorable code point or noncharacter"};
	if (cat == UTF8PROC_CATEGORY_CC)
		return (struct verdict){PRECIS_DISALLOWED, "control character"};
	if (has_compat(cp))
		return (struct verdict){PRECIS_PVALID, NULL};
	switch (cat) {
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC: /* LetterDigits */
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
	case UTF8PROC_CATEGORY_ME: /* OtherLetterDigits */
	case UTF8PROC_CATEGORY_ZS: /* Spaces */
	case UTF8PROC_CATEGORY_SM:
	case UTF8PROC_CATEGORY_SC:
	case UTF8PROC_CATEGORY_SK:
	case UTF8PROC_CATEGORY_SO: /* Symbols */
	case UTF8PROC_CATEGORY_PC:
	case UTF8PROC_CATEGORY_PD:
	case UTF8PROC_CATEGORY_PS:
	case UTF8PROC_CATEGORY_PE:
	case UTF8PROC_CATEGORY_PI:
	case UTF8PROC_CATEGORY_PF:
	case UTF8PROC_CATEGORY_PO: /* Punctuation */ return (struct verdict){PRECIS_PVALID, NULL};
	case UTF8PROC_CATEGORY_ZL:
	case UTF8PROC_CATEGORY_ZP:
		return (struct verdict){PRECIS_DISALLOWED, "line or paragraph separator"};
	case UTF8PROC_CATEGORY_CO:
		return (struct verdict){PRECIS_DISALLOWED, "private use code point"};
	case UTF8PROC_CATEGORY_CS: return (struct verdict){PRECIS_DISALLOWED, "surrogate"};
	default: return (struct verdict){PRECIS_DISALLOWED, "format or other disallowed character"};
	}
}

/* Script membership by Unicode block, for the context rules (see precis.h). */
static bool is_greek(int32_t cp)
{
	return (in_range(cp, 0x0370, 0x03FF) && !in_range(cp, 0x03E2, 0x03EF)) ||
	       in_range(cp, 0x1F00, 0x1FFF) || cp == 0x2126 || in_range(cp, 0x10140, 0x1018F) ||
	       in_range(cp, 0x1D200, 0x1D24F);
}

static bool is_hebrew(int32_t cp)
{
	return in_range(cp, 0x0591, 0x05F4) || in_range(cp, 0xFB1D, 0xFB4F);
}

static bool is_hiragana_katakana_han(int32_t cp)
{
	return in_range(cp, 0x3041, 0x309F) || in_range(cp, 0x30A1, 0x30FA) ||
	       in_range(cp, 0x30FD, 0x30FF) || in_range(cp, 0x31F0, 0x31FF) ||
	       in_range(cp, 0x32D0, 0x32FE) || in_range(cp, 0x3300, 0x3357) ||
	       in_range(cp, 0xFF66, 0xFF6F) || in_range(cp, 0xFF71, 0xFF9D) ||
	       in_range(cp, 0x1B000, 0x1B11F) || in_range(cp, 0x2E80, 0x2FDF) || cp == 0x3005 ||
	       cp == 0x3007 || in_range(cp, 0x3021, 0x3029) || in_range(cp, 0x3038, 0x303B) ||
	       in_range(cp, 0x3400, 0x4DBF) || in_range(cp, 0x4E00, 0x9FFF) ||
	       in_range(cp, 0xF900, 0xFAFF) || in_range(cp, 0x20000, 0x3134F);
}

static bool any_in(const int32_t *v, size_t n, int32_t lo, int32_t hi)
{
	for (size_t i = 0; i < n; i++)
		if (in_range(v[i], lo, hi))
			return true;
	return false;
}

/* RFC 5892 appendix A: whether the CONTEXTJ/CONTEXTO code point at v[i] is allowed here. */
static bool context_ok(const int32_t *v, size_t n, size_t i)
{
	int32_t cp = v[i];
	int32_t before = i > 0 ? v[i - 1] : -1;
	int32_t after = i + 1 < n ? v[i + 1] : -1;
	if (cp == 0x200C || cp == 0x200D) /* A.1, A.2: after a virama (combining class 9) */
		return before >= 0 && utf8proc_get_property(before)->combining_class == 9;
	if (cp == 0x00B7) /* A.3: only between two "l" (Catalan) */
		return before == 0x6C && after == 0x6C;
	if (cp == 0x0375) /* A.4 */
		return after >= 0 && is_greek(after);
	if (cp == 0x05F3 || cp == 0x05F4) /* A.5, A.6 */
		return before >= 0 && is_hebrew(before);
	if (cp == 0x30FB) { /* A.7 */
		for (size_t j = 0; j < n; j++)
			if (is_hiragana_katakana_han(v[j]))
				return true;
		return false;
	}
	if (in_range(cp, 0x0660, 0x0669)) /* A.8: not mixed with extended Arabic-Indic digits */
		return !any_in(v, n, 0x06F0, 0x06F9);
	if (in_range(cp, 0x06F0, 0x06F9)) /* A.9 */
		return !any_in(v, n, 0x0660, 0x0669);
	return false;
}

static bool check_freeform(const int32_t *v, size_t n, struct error *err)
{
	for (size_t i = 0; i < n; i++) {
		struct verdict d = freeform_property(v[i]);
		if (d.prop == PRECIS_PVALID)
			continue;
		if ((d.prop == PRECIS_CONTEXTJ || d.prop == PRECIS_CONTEXTO) && context_ok(v, n, i))
			continue;
		if (d.prop == PRECIS_CONTEXTJ || d.prop == PRECIS_CONTEXTO)
			d.why = "not allowed in this context";
		return error_set(err, ERR_INVALID,
				 "password contains a disallowed character U+%04X (%s)",
				 (unsigned)v[i], d.why);
	}
	return true;
}

/* Copies s to tmp with every non-ASCII space (Zs) replaced by an ASCII space (RFC 8265 4.2.2 1). */
static void map_spaces(const char *s, size_t n, struct buf *tmp)
{
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		size_t k = utf8_decode(s + i, n - i, &cp);
		if (cp >= 0x80 && utf8proc_category((utf8proc_int32_t)cp) == UTF8PROC_CATEGORY_ZS)
			buf_putc(tmp, ' ');
		else
			buf_append(tmp, s + i, k);
		i += k;
	}
}

/* NFC of the UTF-8 string s as code points in a new array (wiped and freed by the caller). */
static int32_t *nfc_codepoints(const char *s, size_t n, size_t *count)
{
	const utf8proc_uint8_t *u = (const utf8proc_uint8_t *)s;
	const int opts = UTF8PROC_STABLE | UTF8PROC_DECOMPOSE;
	utf8proc_ssize_t need = utf8proc_decompose(u, (utf8proc_ssize_t)n, NULL, 0, opts);
	if (need < 0)
		return NULL;
	int32_t *v = xcalloc((size_t)need + 1, sizeof *v);
	utf8proc_ssize_t got = utf8proc_decompose(u, (utf8proc_ssize_t)n, v, need, opts);
	if (got >= 0 && got <= need)
		got = utf8proc_normalize_utf32(v, got, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	if (got < 0 || got > need) {
		sodium_memzero(v, ((size_t)need + 1) * sizeof *v);
		free(v);
		return NULL;
	}
	*count = (size_t)got;
	return v;
}

/* Appends code points as UTF-8; out must have room reserved (see prepare). */
static void encode(const int32_t *v, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		utf8proc_uint8_t b[4];
		utf8proc_ssize_t k = utf8proc_encode_char(v[i], b);
		buf_append(out, b, (size_t)k);
		sodium_memzero(b, sizeof b);
	}
}

bool auth_password_prepare(const char *pw, size_t n, struct buf *out, struct error *err)
{
	if (n == 0)
		return error_set(err, ERR_INVALID, "password is empty");
	if (n > AUTH_PASSWORD_MAX)
		return error_set(err, ERR_LIMIT, "password longer than %d bytes",
				 AUTH_PASSWORD_MAX);
	if (!utf8_valid(pw, n))
		return error_set(err, ERR_INVALID, "password is not valid UTF-8");
	struct buf tmp = BUF_INIT;
	buf_reserve(&tmp, n);
	map_spaces(pw, n, &tmp);
	size_t count = 0;
	int32_t *v = nfc_codepoints(tmp.data, tmp.len, &count);
	sodium_memzero(tmp.data, tmp.cap);
	buf_free(&tmp);
	if (!v)
		return error_set(err, ERR_INVALID, "password cannot be normalised");
	bool ok = count > 0 && check_freeform(v, count, err);
	if (count == 0)
		error_set(err, ERR_INVALID, "password is empty");
	if (ok) {
		buf_reserve(out, 4 * count); /* at most 4 bytes per code point */
		encode(v, count, out);
	}
	sodium_memzero(v, (count + 1) * sizeof *v);
	free(v);
	return ok;
}

bool auth_username_prepare(const char *s, size_t n, struct buf *out, struct error *err)
{
	if (n == 0)
		return error_set(err, ERR_INVALID, "user name is empty");
	if (n > AUTH_USERNAME_MAX)
		return error_set(err, ERR_LIMIT, "user name longer than %d bytes",
				 AUTH_USERNAME_MAX);
	if (!utf8_valid(s, n))
		return error_set(err, ERR_INVALID, "user name is not valid UTF-8");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return error_set(err, ERR_INVALID,
					 "user name contains a control character");
	size_t count = 0;
	int32_t *v = nfc_codepoints(s, n, &count);
	if (!v)
		return error_set(err, ERR_INVALID, "user name cannot be normalised");
	for (size_t i = 0; i < count; i++)
		if (utf8proc_category(v[i]) == UTF8PROC_CATEGORY_CC) {
			free(v);
			return error_set(err, ERR_INVALID,
					 "user name contains a control character");
		}
	encode(v, count, out);
	free(v);
	return true;
}
