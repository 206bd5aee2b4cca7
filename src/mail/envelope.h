/*
 * envelope: the IMAP ENVELOPE fields of a header (RFC 9051 7.5.2) and the
 * message-level data derived from them for threading and lookups: msg-ids of
 * Message-ID, In-Reply-To and References (RFC 5322 3.6.4), the decoded subject
 * and its RFC 5256 2.1 base subject, the parsed Date, and the first sender.
 *
 * Values are copied into the arena; problems (address syntax, bad date) are
 * reported as MAIL_F_* flags. Bounded by MAIL_FIELD_BYTES_MAX per field and
 * MAIL_MSGIDS_MAX ids per field. Thread-safe.
 */
#ifndef TERN_MAIL_ENVELOPE_H
#define TERN_MAIL_ENVELOPE_H

#include "mail/header.h"
#include "mail/mail.h"

/* Fills env from the first occurrence of each field in h. */
void mail_envelope_from_header(struct arena *a, const struct mail_header *h,
			       struct mail_envelope *env, unsigned *flags);

/* Fills the message-level fields of m from m->envelope and the top-level
 * header h (References). */
void mail_message_derive(struct arena *a, const struct mail_header *h, struct mail_message *m);

/* The msg-ids ("<...>", returned without brackets) in a field value, in order,
 * at most max. Comments and quoted strings are skipped. */
size_t mail_msgids_parse(struct arena *a, struct str value, const char **out, size_t max);

/* RFC 5256 2.1 base subject of a decoded (UTF-8) subject, lower-cased. */
char *mail_subject_base(struct arena *a, const char *subject);
/* RFC 5256 3 (REFERENCES): whether extracting the base subject removes a "Re:"/"Fwd:", a
 * "(fwd)" trailer or a "[fwd: ...]" wrapper: the message is a reply or forward. */
bool mail_subject_is_reply(const char *subject);

#endif
