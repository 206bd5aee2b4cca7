#include "config/check.h"

#include <stdarg.h>
#include <stdio.h>

bool cfg_fail(struct cfg_check *c, const void *at, const char *fmt, ...)
{
	char msg[ERROR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	int line = at ? sch_lines_get(c->lines, at) : 0;
	if (line > 0)
		return error_set(c->err, ERR_INVALID, "%s:%d: %s", c->file, line, msg);
	return error_set(c->err, ERR_INVALID, "%s: %s", c->file, msg);
}

const char *cfg_path(struct cfg_check *c, const char *path)
{
	if (path[0] == '/' || !c->config_dir || !c->config_dir[0])
		return path;
	return arena_sprintf(c->a, "%s/%s", c->config_dir, path);
}
