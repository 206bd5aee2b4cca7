/*
 * server_internal: what sessions need from the shared server object
 * (server.c). Thread-safe.
 */
#ifndef TERN_IMAP_SERVER_INTERNAL_H
#define TERN_IMAP_SERVER_INTERNAL_H

#include "auth/service.h"
#include "imap/server.h"

struct config *imap_server_config(struct imap_server *s);
/* The authentication service, opened on first use; NULL when it cannot be opened (logged). */
struct auth_service *imap_server_auth(struct imap_server *s);
/* Takes (add) or returns a connection slot of the account; false when all are taken. */
bool imap_server_count_account(struct imap_server *s, const char *account, bool add);
/* The IDLE hub (idlehub.h), started on first use; NULL when it cannot start (logged). */
struct imap_hub *imap_server_hub(struct imap_server *s);
/* How long a command runs before INPROGRESS responses, and between them (RFC 9585). */
#define IMAP_INPROGRESS_MS 1000
int imap_server_inprogress_ms(struct imap_server *s);
/* For tests: INPROGRESS after ms (0: at once, for every message). */
void imap_server_set_inprogress_ms(struct imap_server *s, int ms);
/* For tests: the per-account connection bound. */
void imap_server_set_account_max(struct imap_server *s, int max);

#endif
