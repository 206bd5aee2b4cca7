/*
 * store/eol: line endings between the store and mailbox files.
 *
 * The store keeps messages with CRLF line endings, as IMAP and SMTP carry
 * them (RFC 5322 2.1); mbox files and Maildirs hold them with the local
 * convention, a bare LF (RFC 4155 on mbox). Import turns every LF that is not
 * preceded by CR into CRLF; export turns every CRLF into LF. A bare CR is
 * left alone both ways, so a message that ends in LF lines survives an
 * import and export unchanged. Pure functions, thread-safe.
 */
#ifndef TERN_STORE_EOL_H
#define TERN_STORE_EOL_H

#include "base/buf.h"

#include <stddef.h>

/* Appends p with bare LFs turned into CRLF. */
void eol_to_crlf(struct buf *out, const char *p, size_t n);
/* Appends p with CRLFs turned into LF. */
void eol_to_lf(struct buf *out, const char *p, size_t n);

#endif
