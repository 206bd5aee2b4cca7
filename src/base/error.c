#include "base/error.h"

#include "base/str.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__attribute__((format(printf, 3, 0))) static void format_into(char *dst, size_t cap,
							      const char *fmt, va_list ap)
{
	int n = vsnprintf(dst, cap, fmt, ap);
	if (n < 0)
		snprintf(dst, cap, "(unformattable error)");
}

bool error_set(struct error *err, enum error_kind kind, const char *fmt, ...)
{
	if (!err)
		return false;
	err->kind = kind;
	va_list ap;
	va_start(ap, fmt);
	format_into(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return false;
}

bool error_errno(struct error *err, int errnum, const char *fmt, ...)
{
	if (!err)
		return false;
	err->kind = (errnum == ETIMEDOUT || errnum == EAGAIN) ? ERR_TEMPORARY
		    : (errnum == ENOENT)                      ? ERR_NOTFOUND
		    : (errnum == EEXIST)                      ? ERR_EXISTS
		    : (errnum == EACCES || errnum == EPERM)   ? ERR_PERMISSION
							      : ERR_IO;
	va_list ap;
	va_start(ap, fmt);
	format_into(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	size_t len = strlen(err->msg);
	char reason[128];
	const char *r = strerror_r(errnum, reason, sizeof reason);
	if (len < sizeof err->msg - 3) {
		memcpy(err->msg + len, ": ", 2);
		len += 2;
		str_copy(err->msg + len, sizeof err->msg - len, r);
	}
	return false;
}

bool error_prefix(struct error *err, const char *fmt, ...)
{
	if (!err)
		return false;
	char prefix[ERROR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	format_into(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	/* "prefix: old", cut at the buffer's end; cutting is intended, errors stay bounded. */
	char old[ERROR_MSG_MAX];
	memcpy(old, err->msg, sizeof old);
	size_t cap = sizeof err->msg, n = 0;
	const char *parts[3] = {prefix, ": ", old};
	for (size_t i = 0; i < 3; i++) {
		size_t len = strlen(parts[i]);
		if (len > cap - 1 - n)
			len = cap - 1 - n;
		memcpy(err->msg + n, parts[i], len);
		n += len;
	}
	err->msg[n] = '\0';
	return false;
}

void error_clear(struct error *err)
{
	if (!err)
		return;
	err->kind = ERR_NONE;
	err->msg[0] = '\0';
}

const char *error_kind_name(enum error_kind kind)
{
	switch (kind) {
	case ERR_NONE: return "none";
	case ERR_INVALID: return "invalid";
	case ERR_NOTFOUND: return "notfound";
	case ERR_EXISTS: return "exists";
	case ERR_IO: return "io";
	case ERR_TEMPORARY: return "temporary";
	case ERR_LIMIT: return "limit";
	case ERR_PERMISSION: return "permission";
	case ERR_TIMEOUT: return "timeout";
	case ERR_CLOSED: return "closed";
	case ERR_SHUTDOWN: return "shutdown";
	case ERR_REFUSED: return "refused";
	case ERR_UNREACHABLE: return "unreachable";
	case ERR_INTERNAL: return "internal";
	}
	return "unknown";
}
