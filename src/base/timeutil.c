#include "base/timeutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct unit {
	const char *name;
	int64_t ns;
};

/* Longest names first so "ms" is not taken for "m". */
static const struct unit units[] = {
    {"ns", 1},         {"us", 1000},      {"\xc2\xb5s", 1000},    {"\xce\xbcs", 1000},
    {"ms", NS_PER_MS}, {"s", NS_PER_SEC}, {"m", 60 * NS_PER_SEC}, {"h", 3600 * NS_PER_SEC},
};

static const struct unit *match_unit(struct str s, size_t *len)
{
	const struct unit *best = NULL;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		size_t n = strlen(units[i].name);
		if (s.len >= n && memcmp(s.p, units[i].name, n) == 0 && (!best || n > *len)) {
			best = &units[i];
			*len = n;
		}
	}
	return best;
}

bool duration_parse(struct str s, int64_t *ns, struct error *err)
{
	struct str orig = s;
	bool neg = false;
	if (s.len && (s.p[0] == '-' || s.p[0] == '+')) {
		neg = s.p[0] == '-';
		s = str_sub(s, 1, s.len);
	}
	if (str_eq_cstr(s, "0")) {
		*ns = 0;
		return true;
	}
	if (s.len == 0)
		return error_set(err, ERR_INVALID, "invalid duration \"%.*s\"", (int)orig.len,
				 orig.p);
	/* Accumulate in long double: exact enough for config values, and overflow is checked. */
	long double total = 0;
	while (s.len) {
		size_t i = 0;
		long double whole = 0, frac = 0, scale = 1;
		bool digits = false;
		while (i < s.len && ascii_isdigit(s.p[i])) {
			whole = whole * 10 + (s.p[i++] - '0');
			digits = true;
		}
		if (i < s.len && s.p[i] == '.') {
			i++;
			while (i < s.len && ascii_isdigit(s.p[i])) {
				frac = frac * 10 + (s.p[i++] - '0');
				scale *= 10;
				digits = true;
			}
		}
		size_t ulen = 0;
		const struct unit *u = digits ? match_unit(str_sub(s, i, s.len), &ulen) : NULL;
		if (!u)
			return error_set(
			    err, ERR_INVALID,
			    "invalid duration \"%.*s\" (use e.g. 90s, 15m, 72h, 1h30m)",
			    (int)orig.len, orig.p);
		total += (whole + frac / scale) * (long double)u->ns;
		if (total > (long double)INT64_MAX)
			return error_set(err, ERR_INVALID, "duration \"%.*s\" too large",
					 (int)orig.len, orig.p);
		s = str_sub(s, i + ulen, s.len);
	}
	*ns = (int64_t)(neg ? -total : total);
	return true;
}

/* Formats v (< 10^prec units) as "int.frac" with trailing zeros removed. */
static int fmt_frac(char *out, size_t cap, uint64_t v, int prec, const char *unit)
{
	uint64_t div = 1;
	for (int i = 0; i < prec; i++)
		div *= 10;
	uint64_t ip = v / div, fp = v % div;
	if (fp == 0)
		return snprintf(out, cap, "%" PRIu64 "%s", ip, unit);
	/* prec digits with leading zeros, then trailing zeros dropped. */
	char frac[24] = {0};
	for (int i = prec - 1; i >= 0; i--) {
		frac[i] = (char)('0' + fp % 10);
		fp /= 10;
	}
	int n = prec;
	while (n > 0 && frac[n - 1] == '0')
		n--;
	frac[n] = '\0';
	return snprintf(out, cap, "%" PRIu64 ".%s%s", ip, frac, unit);
}

void duration_format(int64_t ns, char *out, size_t cap)
{
	if (cap == 0)
		return;
	const char *sign = ns < 0 ? "-" : "";
	uint64_t u = ns < 0 ? (uint64_t)(-(ns + 1)) + 1 : (uint64_t)ns;
	char body[64];
	if (u == 0) {
		snprintf(body, sizeof body, "0s");
	} else if (u < 1000) {
		snprintf(body, sizeof body, "%" PRIu64 "ns", u);
	} else if (u < 1000000) {
		fmt_frac(body, sizeof body, u, 3, "\xc2\xb5s");
	} else if (u < (uint64_t)NS_PER_SEC) {
		fmt_frac(body, sizeof body, u, 6, "ms");
	} else {
		uint64_t secs_ns = u % (60 * (uint64_t)NS_PER_SEC);
		uint64_t mins = u / (60 * (uint64_t)NS_PER_SEC);
		char sec[32];
		fmt_frac(sec, sizeof sec, secs_ns, 9, "s");
		if (mins == 0)
			snprintf(body, sizeof body, "%s", sec);
		else if (mins < 60)
			snprintf(body, sizeof body, "%" PRIu64 "m%s", mins, sec);
		else
			snprintf(body, sizeof body, "%" PRIu64 "h%" PRIu64 "m%s", mins / 60,
				 mins % 60, sec);
	}
	snprintf(out, cap, "%s%s", sign, body);
}

void time_format_rfc3339(time_t t, char *out, size_t cap)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static bool parse_digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!ascii_isdigit((*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

bool time_parse_rfc3339(const char *s, time_t *out)
{
	struct tm tm = {0};
	int year, mon, day, hour, min, sec;
	const char *p = s;
	if (!parse_digits(&p, 4, &year) || *p++ != '-' || !parse_digits(&p, 2, &mon) ||
	    *p++ != '-' || !parse_digits(&p, 2, &day) || (*p != 'T' && *p != 't'))
		return false;
	p++;
	if (!parse_digits(&p, 2, &hour) || *p++ != ':' || !parse_digits(&p, 2, &min) ||
	    *p++ != ':' || !parse_digits(&p, 2, &sec))
		return false;
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
		return false;
	if (*p == '.') {
		p++;
		if (!ascii_isdigit(*p))
			return false;
		while (ascii_isdigit(*p))
			p++;
	}
	long offset = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, oh, om;
		if (!parse_digits(&p, 2, &oh) || *p++ != ':' || !parse_digits(&p, 2, &om) ||
		    oh > 23 || om > 59)
			return false;
		offset = sign * (oh * 3600L + om * 60L);
	} else {
		return false;
	}
	if (*p != '\0')
		return false;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	*out = timegm(&tm) - offset;
	return true;
}

void time_format_rfc5322(time_t t, char *out, size_t cap)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	localtime_r(&t, &tm);
	long off = tm.tm_gmtoff / 60;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	/* RFC 5322 3.3: day-name and month-name are fixed English abbreviations, not locale. */
	snprintf(out, cap, "%s, %d %s %04d %02d:%02d:%02d %c%02ld%02ld", days[tm.tm_wday],
		 tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 sign, off / 60, off % 60);
}

struct timespec timespec_after_ms(clockid_t clock, int64_t ms)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}
