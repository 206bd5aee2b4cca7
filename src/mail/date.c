#include "mail/date.h"

#include <string.h>

long long mail_days_from_civil(long long y, unsigned m, unsigned d)
{
	/* Howard Hinnant's algorithm, public domain arithmetic. */
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static bool is_leap(long long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(long long y, unsigned m)
{
	static const unsigned dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Tokens of a date: numbers, words, and the separators that matter. */
enum dtok_kind { D_NUM, D_WORD, D_SEP };

struct dtok {
	enum dtok_kind kind;
	struct str s;
	char sep;      /* for D_SEP: one of ":+-,/T" */
	long long num; /* for D_NUM */
};

#define DATE_TOKENS_MAX 24

static size_t tokenize(struct str s, struct dtok *t)
{
	size_t n = 0, i = 0;
	int depth = 0;
	while (i < s.len && n < DATE_TOKENS_MAX) {
		char c = s.p[i];
		if (c == '(') {
			depth++;
			i++;
			continue;
		}
		if (depth > 0) {
			if (c == ')')
				depth--;
			else if (c == '\\')
				i++;
			i++;
			continue;
		}
		if (ascii_isdigit(c)) {
			size_t st = i;
			long long v = 0;
			while (i < s.len && ascii_isdigit(s.p[i])) {
				if (i - st < 9)
					v = v * 10 + (s.p[i] - '0');
				i++;
			}
			t[n++] = (struct dtok){D_NUM, str_make(s.p + st, i - st), 0,
					       i - st > 9 ? -1 : v};
		} else if (ascii_isalpha(c)) {
			size_t st = i;
			while (i < s.len && ascii_isalpha(s.p[i]))
				i++;
			t[n++] = (struct dtok){D_WORD, str_make(s.p + st, i - st), 0, 0};
		} else if (strchr(":+-,/.", c)) {
			t[n++] = (struct dtok){D_SEP, str_make(s.p + i, 1), c, 0};
			i++;
		} else {
			i++;
		}
	}
	return n;
}

static int month_of(struct str w)
{
	static const char *const names[] = {"jan", "feb", "mar", "apr", "may", "jun",
					    "jul", "aug", "sep", "oct", "nov", "dec"};
	if (w.len < 3)
		return 0;
	for (int m = 0; m < 12; m++)
		if (str_has_prefixi(w, names[m])) {
			static const char *const full[] = {
			    "january", "february", "march",     "april",   "may",      "june",
			    "july",    "august",   "september", "october", "november", "december"};
			/* "Jan" or a prefix of the full name ("Sept"). */
			struct str f = str_from(full[m]);
			if (w.len <= f.len && str_eqi(w, str_sub(f, 0, w.len)))
				return m + 1;
		}
	return 0;
}

static bool is_weekday(struct str w)
{
	static const char *const names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
	for (int d = 0; d < 7; d++)
		if (w.len >= 3 && str_has_prefixi(w, names[d]))
			return true;
	return false;
}

/* RFC 5322 4.3 obs-zone; military letters other than Z mean -0000. */
static bool alpha_zone(struct str w, int *off)
{
	static const struct {
		const char *name;
		int minutes;
	} zones[] = {{"UT", 0},        {"UTC", 0},       {"GMT", 0},       {"Z", 0},
		     {"EST", -5 * 60}, {"EDT", -4 * 60}, {"CST", -6 * 60}, {"CDT", -5 * 60},
		     {"MST", -7 * 60}, {"MDT", -6 * 60}, {"PST", -8 * 60}, {"PDT", -7 * 60}};
	for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++)
		if (str_eqi_cstr(w, zones[i].name)) {
			*off = zones[i].minutes;
			return true;
		}
	if (w.len == 1 && ascii_isalpha(w.p[0]) && ascii_lower(w.p[0]) != 'j') {
		*off = 0;
		return true;
	}
	return false;
}

struct date_parts {
	long long year;
	unsigned month, day, hour, min, sec;
	int zone;
	bool have_zone;
};

static bool finish(const struct date_parts *d, time_t *t, int *tz)
{
	long long y = d->year;
	if (y < 50 && y >= 0 && d->year < 100)
		y += 2000; /* RFC 5322 4.3: 00-49 are 2000-2049 */
	else if (y < 1000)
		y += 1900; /* 50-99 and three-digit years */
	if (y < 1900 || y > 9999 || d->month < 1 || d->month > 12 || d->day < 1 ||
	    d->day > days_in_month(y, d->month) || d->hour > 23 || d->min > 59 || d->sec > 60)
		return false;
	if (d->zone < -(99 * 60 + 59) || d->zone > 99 * 60 + 59)
		return false;
	unsigned sec = d->sec == 60 ? 59 : d->sec;
	long long days = mail_days_from_civil(y, d->month, d->day);
	long long secs = days * 86400 + d->hour * 3600LL + d->min * 60LL + sec - d->zone * 60LL;
	*t = (time_t)secs;
	*tz = d->zone;
	return true;
}

/* Reads "hh:mm[:ss]" at t[*i]. */
static bool read_time(const struct dtok *t, size_t n, size_t *i, struct date_parts *d)
{
	size_t k = *i;
	if (k + 2 >= n || t[k].kind != D_NUM || t[k + 1].kind != D_SEP || t[k + 1].sep != ':' ||
	    t[k + 2].kind != D_NUM || t[k].num < 0 || t[k + 2].num < 0)
		return false;
	d->hour = (unsigned)t[k].num;
	d->min = (unsigned)t[k + 2].num;
	d->sec = 0;
	k += 3;
	if (k + 1 < n && t[k].kind == D_SEP && t[k].sep == ':' && t[k + 1].kind == D_NUM &&
	    t[k + 1].num >= 0) {
		d->sec = (unsigned)t[k + 1].num;
		k += 2;
		/* Fractional seconds, as some generators write them. */
		if (k + 1 < n && t[k].kind == D_SEP && t[k].sep == '.' && t[k + 1].kind == D_NUM)
			k += 2;
	}
	*i = k;
	return true;
}

/* Reads an optional zone at t[*i]: "+hhmm", "-hh:mm", "+hh", or a name. */
static void read_zone(const struct dtok *t, size_t n, size_t *i, struct date_parts *d)
{
	size_t k = *i;
	d->zone = 0;
	d->have_zone = false;
	if (k < n && t[k].kind == D_WORD && alpha_zone(t[k].s, &d->zone)) {
		d->have_zone = true;
		k++;
		/* "GMT+0100" / "UTC+01:00" */
		if (!(k < n && t[k].kind == D_SEP && (t[k].sep == '+' || t[k].sep == '-'))) {
			*i = k;
			return;
		}
	}
	if (k + 1 < n && t[k].kind == D_SEP && (t[k].sep == '+' || t[k].sep == '-') &&
	    t[k + 1].kind == D_NUM && t[k + 1].num >= 0) {
		int sign = t[k].sep == '-' ? -1 : 1;
		long long v = t[k + 1].num;
		size_t digits = t[k + 1].s.len;
		int h, m = 0;
		k += 2;
		if (digits <= 2) {
			h = (int)v;
			if (k + 1 < n && t[k].kind == D_SEP && t[k].sep == ':' &&
			    t[k + 1].kind == D_NUM && t[k + 1].num >= 0 && t[k + 1].num < 100) {
				m = (int)t[k + 1].num;
				k += 2;
			}
		} else if (digits <= 4) {
			h = (int)(v / 100);
			m = (int)(v % 100);
		} else {
			return;
		}
		if (m > 59)
			return;
		d->zone = sign * (h * 60 + m);
		d->have_zone = true;
	}
	*i = k;
}

/* "[dow,] d mon y time [zone]" and "d-mon-y". */
static bool parse_rfc(const struct dtok *t, size_t n, size_t i, struct date_parts *d)
{
	if (i >= n || t[i].kind != D_NUM || t[i].num < 0)
		return false;
	d->day = (unsigned)t[i++].num;
	if (i < n && t[i].kind == D_SEP && (t[i].sep == '-' || t[i].sep == '/'))
		i++;
	if (i >= n || t[i].kind != D_WORD || !(d->month = (unsigned)month_of(t[i].s)))
		return false;
	i++;
	if (i < n && t[i].kind == D_SEP && (t[i].sep == '-' || t[i].sep == '/' || t[i].sep == ','))
		i++;
	if (i >= n || t[i].kind != D_NUM || t[i].num < 0 || t[i].s.len > 4)
		return false;
	d->year = t[i].num;
	if (t[i].s.len == 4 && d->year < 1000)
		return false;
	i++;
	if (!read_time(t, n, &i, d))
		return false;
	read_zone(t, n, &i, d);
	return true;
}

/* ctime/asctime: "mon d time [zone] year" (after the weekday). */
static bool parse_ctime(const struct dtok *t, size_t n, size_t i, struct date_parts *d)
{
	if (i >= n || t[i].kind != D_WORD || !(d->month = (unsigned)month_of(t[i].s)))
		return false;
	i++;
	if (i >= n || t[i].kind != D_NUM || t[i].num < 0)
		return false;
	d->day = (unsigned)t[i++].num;
	if (i < n && t[i].kind == D_SEP && t[i].sep == ',')
		i++;
	/* "Jan 2, 2006 15:04:05" or "Jan 2 15:04:05 2006" */
	if (i < n && t[i].kind == D_NUM && t[i].s.len == 4) {
		d->year = t[i++].num;
		if (!read_time(t, n, &i, d))
			return false;
		read_zone(t, n, &i, d);
		return true;
	}
	if (!read_time(t, n, &i, d))
		return false;
	read_zone(t, n, &i, d);
	if (i >= n || t[i].kind != D_NUM || t[i].s.len != 4)
		return false;
	d->year = t[i].num;
	return true;
}

/* ISO 8601: "2006-01-02T15:04:05Z", "2006-01-02 15:04:05 +0100". */
static bool parse_iso(const struct dtok *t, size_t n, struct date_parts *d)
{
	if (n < 5 || t[0].kind != D_NUM || t[0].s.len != 4 || t[1].kind != D_SEP ||
	    t[1].sep != '-' || t[2].kind != D_NUM || t[3].kind != D_SEP || t[3].sep != '-')
		return false;
	d->year = t[0].num;
	d->month = (unsigned)t[2].num;
	size_t i = 4;
	/* The day and "T" tokenize as a number followed by the word "T...". */
	if (t[i].kind != D_NUM || t[i].num < 0)
		return false;
	d->day = (unsigned)t[i++].num;
	if (i < n && t[i].kind == D_WORD && (t[i].s.p[0] == 'T' || t[i].s.p[0] == 't')) {
		if (t[i].s.len != 1)
			return false;
		i++;
	}
	if (!read_time(t, n, &i, d))
		return false;
	read_zone(t, n, &i, d);
	return true;
}

bool mail_date_parse(struct str s, time_t *t, int *tzoffset_minutes)
{
	struct dtok tok[DATE_TOKENS_MAX];
	size_t n = tokenize(s, tok);
	struct date_parts d;
	memset(&d, 0, sizeof d);
	*t = 0;
	*tzoffset_minutes = 0;
	size_t i = 0;
	if (i < n && tok[i].kind == D_WORD && is_weekday(tok[i].s)) {
		i++;
		if (i < n && tok[i].kind == D_SEP && tok[i].sep == ',')
			i++;
	}
	if (parse_rfc(tok, n, i, &d) && finish(&d, t, tzoffset_minutes))
		return true;
	memset(&d, 0, sizeof d);
	if (parse_ctime(tok, n, i, &d) && finish(&d, t, tzoffset_minutes))
		return true;
	memset(&d, 0, sizeof d);
	if (parse_iso(tok, n, &d) && finish(&d, t, tzoffset_minutes))
		return true;
	*t = 0;
	*tzoffset_minutes = 0;
	return false;
}
