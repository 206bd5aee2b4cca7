/*
 * timeutil: clocks, durations and date formats.
 *
 * Durations use Go's syntax because mox's config files do ("72h", "1h30m",
 * "15s", "500ms", "1.5h"), held as signed nanoseconds. Deadlines use the
 * monotonic clock so wall-clock jumps never shorten or extend a timeout.
 */
#ifndef TERN_BASE_TIMEUTIL_H
#define TERN_BASE_TIMEUTIL_H

#include "base/error.h"
#include "base/str.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define NS_PER_MS  INT64_C(1000000)
#define NS_PER_SEC INT64_C(1000000000)

/* Monotonic milliseconds, for deadlines. */
int64_t mono_ms(void);
/* Wall-clock milliseconds since the Unix epoch. */
int64_t wall_ms(void);

/* The time ms milliseconds from now on clock: an absolute deadline for pthread_cond_timedwait. */
struct timespec timespec_after_ms(clockid_t clock, int64_t ms);

/* Parses a Go duration into nanoseconds. */
bool duration_parse(struct str s, int64_t *ns, struct error *err);
/* Formats like Go's time.Duration.String: "1h30m0s", "15s", "500ms", "0s". */
void duration_format(int64_t ns, char *out, size_t cap);

/* "2026-11-23T10:04:05Z" (UTC, seconds). out needs 32 bytes. */
void time_format_rfc3339(time_t t, char *out, size_t cap);
/* Parses RFC 3339 with "Z" or a numeric offset, optional fractional seconds. */
bool time_parse_rfc3339(const char *s, time_t *out);
/* RFC 5322 3.3 date-time in local time: "Mon, 23 Nov 2026 10:04:05 +0100". out needs 40 bytes. */
void time_format_rfc5322(time_t t, char *out, size_t cap);

#endif
