/*
 * precis: preparing user names and passwords before they are compared or
 * hashed, so that equal strings typed or encoded differently give equal
 * results.
 *
 * Passwords follow the PRECIS OpaqueString profile (RFC 8265 4.2): any
 * non-ASCII space (general category Zs) becomes an ASCII space, the string is
 * normalised to Unicode NFC, and every code point must be allowed by the
 * FreeformClass (RFC 8264 4.3): controls, default-ignorable code points,
 * noncharacters, old Hangul jamo, private use, surrogates, line/paragraph
 * separators, format characters and unassigned code points are refused,
 * with a message naming the code point and why. Context rules (RFC 8264 9.x,
 * RFC 5892 appendix A) apply to the joiners, middle dots, keraia, geresh and
 * the Arabic-Indic digits. Two documented simplifications: scripts are
 * recognised by their Unicode blocks, and ZERO WIDTH NON-JOINER is only
 * accepted after a virama (the Arabic joining-type context is refused, as
 * utf8proc has no joining types).
 *
 * The same preparation is applied when a password is set (a failure is
 * shown to the person setting it) and when a client presents one (a failure
 * is just a failed login: such a password could never have been set).
 *
 * User names are login addresses; as in mox they are normalised to NFC
 * (so "é" typed precomposed or as e + U+0301 logs in the same), after
 * checking for valid UTF-8 without control characters.
 *
 * Lengths are bounded (AUTH_PASSWORD_MAX, AUTH_USERNAME_MAX). Password copies
 * made here are wiped before their memory is released; out is reserved in
 * full before anything is written so it never reallocates (the caller wipes
 * it). Thread-safe, no global state.
 */
#ifndef TERN_AUTH_PRECIS_H
#define TERN_AUTH_PRECIS_H

#include "base/buf.h"
#include "base/error.h"

#include <stdbool.h>
#include <stddef.h>

/* Longest password accepted, in octets (RFC 4616 asks for at least 255). */
#define AUTH_PASSWORD_MAX 1024
/* Longest user name (a login address, possibly with a Unicode domain). */
#define AUTH_USERNAME_MAX 2048

/* Appends the OpaqueString form of the n bytes at pw to out (see above). */
bool auth_password_prepare(const char *pw, size_t n, struct buf *out, struct error *err);

/* Appends the NFC form of a user name to out; refuses invalid UTF-8, NUL and controls. */
bool auth_username_prepare(const char *s, size_t n, struct buf *out, struct error *err);

#endif
