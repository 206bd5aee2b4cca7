/*
 * client_ext: the service extensions a server announces in its EHLO reply
 * (RFC 5321 4.1.1.1: each line after the first is "keyword [parameters]"),
 * read into the flags and values the SMTP client acts on. Keywords compare
 * case-insensitively. A SIZE without a valid number counts as SIZE without
 * a limit (RFC 1870 4); SMTPUTF8 parameters are ignored (RFC 6531 3.3); a
 * LIMITS line with a syntax error is ignored whole, a value out of range
 * only itself (RFC 9422 4). Pure functions on the parsed reply; thread-safe.
 */
#ifndef TERN_SMTP_CLIENT_EXT_H
#define TERN_SMTP_CLIENT_EXT_H

#include "base/str.h"
#include "smtp/client_reply.h"

#include <stdbool.h>
#include <stdint.h>

#define SMTP_EXT_AUTH_MAX 256

struct smtp_exts {
	bool starttls;                      /* RFC 3207 */
	bool pipelining;                    /* RFC 2920 */
	bool chunking;                      /* RFC 3030 */
	bool eightbitmime;                  /* RFC 6152 */
	bool smtputf8;                      /* RFC 6531 */
	bool requiretls;                    /* RFC 8689 */
	bool enhancedstatuscodes;           /* RFC 2034 */
	bool size;                          /* RFC 1870 */
	uint64_t size_max;                  /* the announced maximum; 0: none */
	bool auth;                          /* RFC 4954 */
	char auth_mechs[SMTP_EXT_AUTH_MAX]; /* "SCRAM-SHA-256 PLAIN", upper case */
	unsigned limit_mailmax;             /* RFC 9422; 0: not announced */
	unsigned limit_rcptmax;
	unsigned limit_rcptdomainmax;
};

void smtp_exts_parse(const struct smtp_reply *ehlo, struct smtp_exts *out);

/* Whether keyword was announced; *params (may be NULL) gets what follows it. */
bool smtp_ext_find(const struct smtp_reply *ehlo, const char *keyword, struct str *params);

/* Whether mech is in a space-separated mechanism list (case-insensitive). */
bool smtp_ext_mech_listed(const char *list, const char *mech);

#endif
