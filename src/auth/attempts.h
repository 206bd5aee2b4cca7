/*
 * attempts: recording login attempts without slowing down connections.
 *
 * Every login attempt (success or failure: time, remote and local IP,
 * protocol, mechanism, login address, account, result, TLS facts, user
 * agent) is logged and stored in auth.db (authdb.h). A connection thread
 * only copies its attempt into a bounded in-memory queue
 * (AUTH_RECORDER_QUEUE entries) and goes on; one writer thread drains the
 * queue in batches, each batch one transaction on its own database
 * connection, and writes the "login attempt" log lines (with the
 * connection's id). Connection threads never wait for the disk: when the
 * queue is full (the disk cannot keep up, or an attack), the attempt is
 * dropped from the database and counted, and its log line is written by the
 * caller's thread instead, so nothing goes unseen.
 *
 * No data races (mox had one: its writer read fields the connection was
 * still changing): an attempt is a plain value with fixed-size fields,
 * copied in under the queue's mutex and copied out under it; nothing in the
 * queue points at connection memory. The queue, counters and sequence
 * numbers are only touched with the mutex held; the writer's database handle
 * and batch buffer belong to the writer thread alone.
 *
 * Old attempts are removed once an hour (AUTHDB_ATTEMPTS_KEEP).
 */
#ifndef TERN_AUTH_ATTEMPTS_H
#define TERN_AUTH_ATTEMPTS_H

#include "auth/authdb.h"
#include "auth/sasl.h"
#include "base/log.h"

#include <stdbool.h>
#include <stdint.h>

#define AUTH_RECORDER_QUEUE      1024
#define AUTH_RECORDER_BATCH      128
#define AUTH_RECORDER_CLEANUP_MS (3600 * 1000)

struct auth_recorder;

struct auth_recorder_stats {
	uint64_t queued;  /* accepted into the queue */
	uint64_t written; /* stored in auth.db */
	uint64_t dropped; /* refused: queue full or stopped */
	uint64_t failed;  /* lost to database errors (logged) */
};

/* Opens its own connection to the database at path and starts the writer. pkg: NULL = "auth". */
struct auth_recorder *auth_recorder_start(const char *path, struct log_pkg *pkg, struct error *err);
/* Queues a copy of a; never blocks on I/O. false when it had to be dropped (see above). */
bool auth_recorder_add(struct auth_recorder *r, const struct auth_attempt *a);
/* Waits until everything queued before the call was written, at most timeout_ms. */
bool auth_recorder_flush(struct auth_recorder *r, int timeout_ms);
void auth_recorder_stats(struct auth_recorder *r, struct auth_recorder_stats *out);
/* Writes what is queued, stops the writer and frees r. */
void auth_recorder_stop(struct auth_recorder *r);

/* Starts an attempt record: protocol, addresses, the current time. */
void auth_attempt_init(struct auth_attempt *a, const char *protocol, const char *remote_ip,
		       const char *local_ip, uint64_t cid);
/* Fills mechanism, login, account and result from a finished SASL exchange. */
void auth_attempt_set_sasl(struct auth_attempt *a, enum sasl_mech m, const struct sasl_result *r);
/* Writes the "login attempt" log line for a (the writer does this for queued attempts). */
void auth_attempt_log(struct log_pkg *pkg, const struct auth_attempt *a);

#endif
