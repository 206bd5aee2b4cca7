/*
 * Validation of account and mailbox names.
 */
#include "store/internal.h"

#include "base/str.h"
#include "base/utf8.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

bool store_account_name_valid(const char *name, struct error *err)
{
	size_t n = strlen(name);
	if (n == 0)
		return error_set(err, ERR_INVALID, "empty account name");
	if (n > STORE_ACCOUNT_NAME_MAX)
		return error_set(err, ERR_INVALID, "account name longer than %d bytes",
				 STORE_ACCOUNT_NAME_MAX);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return error_set(err, ERR_INVALID, "account name %s not allowed", name);
	if (!utf8_valid(name, n))
		return error_set(err, ERR_INVALID, "account name is not valid UTF-8");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		/* "/" would leave accounts/, control characters have no place in a directory name.
		 */
		if (*p == '/' || *p == '\\' || *p < 0x20 || *p == 0x7f)
			return error_set(err, ERR_INVALID,
					 "account name has a character not allowed in a "
					 "directory name");
	}
	return true;
}

/* RFC 9051 5.1 and RFC 6855 3: no control characters in mailbox names. */
static bool is_control(uint32_t cp)
{
	return cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029;
}

static bool check_nfc(const char *name, struct error *err)
{
	if (!utf8_has_nonascii(name, strlen(name)))
		return true;
	utf8proc_uint8_t *nfc = utf8proc_NFC((const utf8proc_uint8_t *)name);
	bool same = nfc && strcmp((const char *)nfc, name) == 0;
	free(nfc);
	if (!same)
		return error_set(err, ERR_INVALID, "mailbox name is not in Unicode NFC");
	return true;
}

static bool check_parts(const char *name, size_t n, struct error *err)
{
	size_t depth = 0;
	const char *p = name, *end = name + n;
	while (p <= end) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		const char *part_end = slash ? slash : end;
		size_t len = (size_t)(part_end - p);
		if (len == 0)
			return error_set(err, ERR_INVALID,
					 "mailbox name has an empty hierarchy part (leading, "
					 "trailing or double \"/\")");
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return error_set(err, ERR_INVALID, "mailbox name part \"%.*s\" not allowed",
					 (int)len, p);
		if (len > STORE_MAILBOX_PART_MAX)
			return error_set(err, ERR_INVALID, "mailbox name part longer than %d bytes",
					 STORE_MAILBOX_PART_MAX);
		if (++depth > STORE_MAILBOX_DEPTH_MAX)
			return error_set(err, ERR_INVALID, "mailbox name deeper than %d levels",
					 STORE_MAILBOX_DEPTH_MAX);
		if (!slash)
			break;
		p = slash + 1;
	}
	return true;
}

static bool check_chars(const char *name, size_t n, struct error *err)
{
	if (!utf8_valid(name, n))
		return error_set(err, ERR_INVALID, "mailbox name is not valid UTF-8");
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		size_t used = utf8_decode(name + i, n - i, &cp);
		if (used == 0 || is_control(cp))
			return error_set(err, ERR_INVALID,
					 "control characters not allowed in mailbox name");
		i += used;
	}
	return true;
}

bool store_mailbox_name_check(const char *name, bool allow_inbox, struct arena *ar,
			      const char **normalized, struct error *err)
{
	size_t n = strlen(name);
	if (n == 0)
		return error_set(err, ERR_INVALID, "empty mailbox name");
	if (n > STORE_MAILBOX_NAME_MAX)
		return error_set(err, ERR_INVALID, "mailbox name longer than %d bytes",
				 STORE_MAILBOX_NAME_MAX);
	if (!check_chars(name, n, err) || !check_nfc(name, err) || !check_parts(name, n, err))
		return false;
	/* IMAP namespaces start with "#" (RFC 9051 5.1.2). */
	if (name[0] == '#')
		return error_set(err, ERR_INVALID, "mailbox name cannot start with \"#\"");
	char *out = arena_memdup0(ar, name, n);
	/* RFC 9051 5.1: INBOX is case-insensitive; stored as "Inbox" like mox. */
	if ((n == 5 || (n > 5 && name[5] == '/')) && str_eqi(str_make(name, 5), STR_LIT("inbox"))) {
		if (n == 5 && !allow_inbox)
			return error_set(err, ERR_INVALID, "mailbox name Inbox not allowed here");
		memcpy(out, "Inbox", 5);
	}
	*normalized = out;
	return true;
}

const char *store_specialuse_name(uint32_t bit)
{
	switch (bit) {
	case STORE_SPECIALUSE_ARCHIVE: return "\\Archive";
	case STORE_SPECIALUSE_DRAFTS: return "\\Drafts";
	case STORE_SPECIALUSE_JUNK: return "\\Junk";
	case STORE_SPECIALUSE_SENT: return "\\Sent";
	case STORE_SPECIALUSE_TRASH: return "\\Trash";
	default: return NULL;
	}
}
