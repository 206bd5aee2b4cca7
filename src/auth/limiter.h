/*
 * limiter: limits on failed logins, per remote address and per account.
 *
 * Password guessing is slowed down two ways, each with fixed time windows
 * and a failure count per window (as mox's limiter, with the same
 * defaults for addresses): an address that failed too often in a window is
 * refused until the window ends (a temporary lockout), and so is an account
 * that failed too often -- except from an address that logged in to that
 * account successfully before (a "known" address), so an attacker cannot
 * lock the account's owner out. Successful logins are never slowed down and
 * clear their address's failures.
 *
 * Keys: IPv4 addresses as they are, IPv6 addresses by their /64 (one host
 * typically has a whole /64), IPv4-mapped IPv6 as IPv4. The account key is
 * the account name when the login resolved to one and the login name
 * otherwise, so unknown and alias addresses are limited exactly like real
 * ones and a lockout reveals nothing about which addresses exist.
 *
 * Callers pass the time (milliseconds on any clock that does not jump,
 * usually mono_ms()), so tests need not wait. The account check comes after
 * the exchange (auth_limiter_settle): while an account is locked every
 * attempt from an unknown address is refused the same way whether its
 * credentials were right or not, so the lockout cannot be used as an oracle.
 *
 * Memory is bounded: at most max_entries keys (a fixed pool allocated up
 * front); entries whose windows ended are dropped when met, and when the
 * pool is full the least recently used entry is evicted. Keys are stored as
 * 16-byte hashes, so long names cost nothing extra. Thread-safe (one mutex;
 * operations are O(1)).
 */
#ifndef TERN_AUTH_LIMITER_H
#define TERN_AUTH_LIMITER_H

#include "auth/login.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_LIMIT_RULES 2 /* windows per kind of key */
#define AUTH_LIMIT_KNOWN 4 /* known addresses remembered per account */

struct auth_limit_rule {
	int64_t window_ms; /* 0: rule unused */
	int64_t max;       /* failures in one window before refusing */
};

struct auth_limit_config {
	struct auth_limit_rule ip[AUTH_LIMIT_RULES];
	struct auth_limit_rule account[AUTH_LIMIT_RULES];
	int64_t known_ms; /* how long a successful login's address stays known */
	size_t max_entries;
};

/* Addresses: 10 failures per minute, 50 per day (mox's limits for a single address).
 * Accounts: 20 per 5 minutes, 100 per day. Known addresses: 30 days. 100000 entries. */
extern const struct auth_limit_config auth_limit_default;

struct auth_limiter;

struct auth_limiter *auth_limiter_new(const struct auth_limit_config *cfg);
void auth_limiter_free(struct auth_limiter *l);

/* Before an attempt: false while ip is locked out; *retry_ms (may be NULL) gets the wait. */
bool auth_limiter_ip_allowed(struct auth_limiter *l, const char *ip, int64_t now_ms,
			     int64_t *retry_ms);

/*
 * After an exchange ended with result r, for the account key (account name,
 * or the login name when no account was found; "" when nothing was said):
 * returns AUTH_RESULT_RATELIMITED instead of r when the key is locked out
 * for this address (the attempt is then not counted), otherwise counts a
 * failure for the address and the key, or on success clears the address's
 * failures and remembers it as known for the account; and returns r.
 */
enum auth_result auth_limiter_settle(struct auth_limiter *l, const char *ip, const char *key,
				     enum auth_result r, int64_t now_ms, int64_t *retry_ms);

/* Entries in use (for tests of the memory bound). */
size_t auth_limiter_entries(struct auth_limiter *l);

/* The key of an address: "192.0.2.1", "2001:db8:1:2::/64"; other strings as they are. */
void auth_limiter_ip_key(const char *ip, char *out, size_t cap);

#endif
