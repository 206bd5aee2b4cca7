/*
 * IDLE (RFC 2177, RFC 9051 6.3.13): the client waits for changes until it
 * sends DONE. The session's thread sleeps in the IDLE hub (idlehub.h),
 * woken by input on its socket, by store changes for the account, by the
 * server's shutdown or by its timeout. Changes are reported at once, with
 * expunges (no command is running). A "* OK" every IMAP_IDLE_KEEPALIVE_MS
 * keeps NATs from forgetting the connection; after IMAP_IDLE_TIMEOUT_MS the
 * session ends with BYE (RFC 9051 5.4: clients re-issue IDLE before that).
 */
#include "imap/session.h"

#include "base/timeutil.h"
#include "imap/server_internal.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define IDLE_DONE_LINE_MAX 64
#define IDLE_STACK_MARGIN  4096 /* below the current frame: the red zone and a little more */

/*
 * Gives the pages of this thread's stack below the current frame back to the
 * kernel: login and SELECT (SQLite, the KDF) touch tens of kilobytes of stack
 * that an idling session would otherwise hold for hours. The pages are
 * unused (below the stack pointer, past a margin), and come back zeroed when
 * touched again.
 */
static void trim_stack(void)
{
	pthread_attr_t attr;
	if (pthread_getattr_np(pthread_self(), &attr) != 0)
		return;
	void *lo;
	size_t size;
	int rc = pthread_attr_getstack(&attr, &lo, &size);
	pthread_attr_destroy(&attr);
	long pagesize = sysconf(_SC_PAGESIZE);
	if (rc != 0 || pagesize <= 0)
		return;
	uintptr_t page = (uintptr_t)pagesize;
	char here;
	uintptr_t sp = (uintptr_t)&here;
	uintptr_t low = ((uintptr_t)lo + page - 1) & ~(page - 1);
	if (sp < low + IDLE_STACK_MARGIN + page)
		return;
	uintptr_t top = (sp - IDLE_STACK_MARGIN) & ~(page - 1);
	madvise((void *)low, top - low, MADV_DONTNEED);
}

/* Reads the client's line after IDLE: DONE ends it; anything else is BAD. */
static void done(struct imap_session *s)
{
	struct str line;
	struct error err;
	if (!conn_read_line(s->c, IDLE_DONE_LINE_MAX, &line, NULL, &err)) {
		if (err.kind == ERR_LIMIT && conn_skip_line(s->c, IMAP_LINE_MAX, &err)) {
			imap_sess_bad(s, NULL, "expected DONE");
			return;
		}
		log_debug(&s->lg, "idle: reading DONE", LE(&err));
		if (err.kind == ERR_SHUTDOWN)
			imap_sess_untagged(s, "BYE server shutting down");
		imap_sess_flush(s);
		s->broken = true;
		return;
	}
	if (str_eqi_cstr(line, "DONE"))
		imap_sess_ok(s, NULL, "IDLE terminated");
	else
		imap_sess_bad(s, NULL, "expected DONE");
}

void imap_cmd_idle(struct imap_session *s)
{
	struct imap_hub *hub = imap_server_hub(s->server);
	if (!hub) {
		imap_sess_no(s, "UNAVAILABLE", "IDLE is not available");
		return;
	}
	/* Nothing of the arena is needed while idling (the tag is in the command text): an
	 * idle session holds no chunk of it. */
	arena_rewind(&s->ar, (struct arena_mark){0});
	imap_sess_puts(s, "+ idling\r\n");
	int64_t end = mono_ms() + IMAP_IDLE_TIMEOUT_MS;
	for (;;) {
		imap_sess_sync(s, true);
		imap_sess_flush(s);
		if (s->broken)
			return;
		if (conn_buffered(s->c) > 0)
			break;
		int64_t left = end - mono_ms();
		if (left <= 0) {
			imap_sess_untagged(s, "BYE autologout; idle for too long");
			imap_sess_flush(s);
			s->state = IMAP_STATE_LOGOUT;
			return;
		}
		int wait = (int)(left < IMAP_IDLE_KEEPALIVE_MS ? left : IMAP_IDLE_KEEPALIVE_MS);
		/* Waiting may take hours: hold no buffers and no stack pages meanwhile. */
		conn_trim(s->c);
		trim_stack();
		unsigned got = imap_hub_wait(hub, s->waiter, conn_fd(s->c), wait);
		if (got & IMAP_WAKE_SHUTDOWN) {
			imap_sess_untagged(s, "BYE server shutting down");
			imap_sess_flush(s);
			s->state = IMAP_STATE_LOGOUT;
			return;
		}
		if (got & IMAP_WAKE_INPUT)
			break;
		if ((got & IMAP_WAKE_TIMEOUT) && end - mono_ms() > 0)
			imap_sess_untagged(s, "OK still here");
	}
	done(s);
}
