/*
 * localserve: the special recipient localparts of `tern localserve`, as mox
 * localserve has them, so software under test can provoke SMTP failures.
 *
 * A localpart ending in "temperror" fails with 451, "permerror" with 550,
 * three digits [45][0-9][0-9] with that code, and "timeout" gets no answer
 * (for an hour, or until the connection or server ends). The failure comes
 * at DATA, or at MAIL FROM / RCPT TO when the localpart starts with
 * "mailfrom" / "rcptto". Pure function; thread-safe. Only sessions with
 * smtp_server_config.localserve set consult it.
 */
#ifndef TERN_SMTP_LOCALSERVE_H
#define TERN_SMTP_LOCALSERVE_H

#include <stdbool.h>

#define SMTP_LOCALSERVE_TIMEOUT_MS (60 * 60 * 1000)

/* The reply code the localpart asks for (0: none); *timeout for "timeout". */
int smtp_localserve_code(const char *localpart, bool *timeout);

#endif
