#include "smtp/localserve.h"

#include "base/str.h"

#include <string.h>

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int smtp_localserve_code(const char *localpart, bool *timeout)
{
	*timeout = false;
	if (has_suffix(localpart, "temperror"))
		return 451;
	if (has_suffix(localpart, "permerror"))
		return 550;
	if (has_suffix(localpart, "timeout")) {
		*timeout = true;
		return 0;
	}
	size_t n = strlen(localpart);
	if (n >= 3) {
		const char *d = localpart + n - 3;
		if ((d[0] == '4' || d[0] == '5') && ascii_isdigit(d[1]) && ascii_isdigit(d[2]))
			return (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
	}
	return 0;
}
