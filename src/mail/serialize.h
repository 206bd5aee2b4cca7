/*
 * serialize: a compact, versioned binary form of a parsed message, for the
 * store to keep beside each message (SQLite blob) so that ENVELOPE,
 * BODYSTRUCTURE, section offsets and threading data never need a reparse.
 *
 * Format (version 1): "TMP" and a version byte, then the message fields and
 * the part tree depth first; integers as LEB128 varints (signed ones zigzag),
 * strings as a varint length and bytes, optional strings with length+1 (0 for
 * absent). Every value has exactly one encoding (minimal varints, 0/1
 * booleans, no trailing bytes), so serialize(deserialize(b)) == b for every b
 * that deserializes, and serialize(deserialize(serialize(m))) ==
 * serialize(m).
 *
 * mail_deserialize treats its input as untrusted (it is read from disk): it
 * checks every length against the input, every count against the parser's
 * limits, the nesting depth, strings for NUL bytes, and the offsets for the
 * parser's invariants (each part within its parent's body, children in order,
 * nested messages covering their part's body). Failures are ERR_INVALID with
 * a message naming the problem; a newer version is ERR_INVALID too (reparse).
 * Results live in the arena. Thread-safe.
 */
#ifndef TERN_MAIL_SERIALIZE_H
#define TERN_MAIL_SERIALIZE_H

#include "mail/mail.h"

#include "base/arena.h"
#include "base/buf.h"
#include "base/error.h"

#define MAIL_SERIALIZE_VERSION 1

void mail_serialize(const struct mail_message *m, struct buf *out);
struct mail_message *mail_deserialize(const void *p, size_t n, struct arena *a, struct error *err);

#endif
