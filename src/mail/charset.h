/*
 * charset: conversion of text in a named character set to UTF-8, for RFC 2047
 * encoded words and RFC 2231 parameter values.
 *
 * Any charset glibc's iconv knows is accepted (names are matched the way iconv
 * matches them, after a check that they are plain tokens of at most
 * MAIL_CHARSET_NAME_MAX bytes, so names from messages never reach iconv as
 * option strings). US-ASCII and UTF-8 are handled without iconv. The output is
 * always valid UTF-8 without NUL: invalid or incomplete input sequences become
 * U+FFFD. Input is bounded by the caller (field size limits). Thread-safe:
 * each call uses its own conversion descriptor.
 */
#ifndef TERN_MAIL_CHARSET_H
#define TERN_MAIL_CHARSET_H

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>

#define MAIL_CHARSET_NAME_MAX 40

/* Appends p[0..n) converted from charset to UTF-8. False (nothing appended)
 * when the charset is unknown. */
bool mail_charset_to_utf8(const char *charset, size_t charset_len, const char *p, size_t n,
			  struct buf *out);

/* Appends p[0..n), keeping valid UTF-8 and replacing each invalid byte with
 * U+FFFD, dropping NUL. */
void mail_utf8_sanitize(const char *p, size_t n, struct buf *out);

#endif
