/*
 * date: the date-time of RFC 5322 3.3 (Date, Resent-Date), including the
 * obsolete forms of RFC 5322 4.3 (two- and three-digit years, alphabetic and
 * military zones, comments and extra white space) and broken forms common in
 * real mail: missing day of week or seconds, full month names, dashes between
 * day, month and year, zones written "+01:00" or missing, ctime/asctime style
 * ("Mon Jan  2 15:04:05 2006"), and ISO 8601 ("2006-01-02T15:04:05Z").
 *
 * The result is seconds since the epoch (UTC) and the zone offset as written,
 * computed without the process time zone (no mktime, no TZ). Ranges are
 * checked: day within the month (leap years), hour 0-23, minute 0-59, second
 * 0-60 (a leap second is read as 59), year 1900-9999, zone within +-99:59.
 * Military zones other than Z are read as -0000 (RFC 5322 4.3). Bounded by its
 * input; thread-safe.
 */
#ifndef TERN_MAIL_DATE_H
#define TERN_MAIL_DATE_H

#include "base/str.h"

#include <stdbool.h>
#include <time.h>

bool mail_date_parse(struct str s, time_t *t, int *tzoffset_minutes);

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). */
long long mail_days_from_civil(long long y, unsigned m, unsigned d);

#endif
