/*
 * json: a parsed message as a JSON object (jansson), for `tern message parse`
 * and later the web interfaces. Field names follow mox's message.Part where
 * there is one (HeaderOffset, BodyOffset, EndOffset, MediaType, Parts,
 * Message, Envelope, ...); tern's additions are named in the same style.
 * Values are strings as parsed (UTF-8 where decoded; header values as written
 * may hold invalid UTF-8, which is replaced by U+FFFD here since JSON strings
 * must be Unicode). The caller owns the returned object (json_decref).
 */
#ifndef TERN_MAIL_JSON_H
#define TERN_MAIL_JSON_H

#include "mail/mail.h"

#include <jansson.h>

json_t *mail_json(const struct mail_message *m);

/* Names of the MAIL_F_* flags set in flags, as a JSON array of strings. */
json_t *mail_json_flags(unsigned flags);

#endif
