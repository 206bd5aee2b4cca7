#include "server/server.h"

#include "base/file.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "server/ctl.h"
#include "server/ctlcmds.h"
#include "server/pidfile.h"
#include "server/privdrop.h"
#include "server/setup.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Main-loop tick: config reload checks and certificate reload checks run this often. */
#define SERVER_TICK_MS 1000

static atomic_bool shutdown_requested;
static pthread_mutex_t drained_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t drained_cond = PTHREAD_COND_INITIALIZER;
static bool drained;

void server_request_shutdown(void)
{
	atomic_store(&shutdown_requested, true);
	/* Wake the main thread out of sigtimedwait at once. */
	kill(getpid(), SIGTERM);
}

bool server_wait_drained(int timeout_ms)
{
	struct timespec ts = timespec_after_ms(CLOCK_REALTIME, timeout_ms);
	pthread_mutex_lock(&drained_lock);
	int rc = 0;
	while (!drained && rc == 0)
		rc = pthread_cond_timedwait(&drained_cond, &drained_lock, &ts);
	bool ok = drained;
	pthread_mutex_unlock(&drained_lock);
	return ok;
}

static void mark_drained(void)
{
	pthread_mutex_lock(&drained_lock);
	drained = true;
	pthread_cond_broadcast(&drained_cond);
	pthread_mutex_unlock(&drained_lock);
}

static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	/* Writes to closed sockets are errors to handle, not reasons to die. */
	signal(SIGPIPE, SIG_IGN);
}

/* Waits for signals, ticking for periodic work, until shutdown is asked for. */
static void main_loop(struct server_setup *setup, const sigset_t *set, struct logger *lg)
{
	struct timespec tick = {SERVER_TICK_MS / 1000, (SERVER_TICK_MS % 1000) * 1000000L};
	while (!atomic_load(&shutdown_requested)) {
		siginfo_t info;
		int sig = sigtimedwait(set, &info, &tick);
		if (sig == SIGTERM || sig == SIGINT) {
			log_info(lg, "shutdown requested",
				 LS("signal", sig == SIGTERM ? "TERM" : "INT"));
			break;
		}
		if (sig == SIGHUP) {
			log_info(lg, "reload requested by SIGHUP");
			setup_reload(setup, true, NULL);
			continue;
		}
		if (sig < 0 && errno != EAGAIN && errno != EINTR) {
			log_error(lg, "waiting for signals failed");
			break;
		}
		setup_reload(setup, false, NULL);
	}
	atomic_store(&shutdown_requested, true);
}

int server_main(const char *config_path)
{
	sigset_t set;
	block_signals(&set);
	struct logger lg = {log_pkg("serve"), 0};
	struct error err = {0};

	struct server_setup *setup = setup_load(config_path, &err);
	if (!setup) {
		fprintf(stderr, "tern: %s\n", err.msg);
		return 1;
	}
	if (!setup_prepare_datadir(setup, &err) || !setup_bind(setup, &err)) {
		log_error(&lg, "startup failed", LE(&err));
		setup_free(setup);
		return 1;
	}
	const struct run_user *user = setup_user(setup);
	if (!priv_drop(user, &err)) {
		log_error(&lg, "dropping privileges failed", LE(&err));
		setup_free(setup);
		return 1;
	}
#ifdef TERN_SANITIZE
	/* After setuid the process is not dumpable, which stops LeakSanitizer's exit check. */
	prctl(PR_SET_DUMPABLE, 1);
#endif
	char *pid_path = path_join(setup_datadir(setup), "tern.pid");
	char *ctl_path = path_join(setup_datadir(setup), "ctl");
	struct ctl_server *ctl = NULL;
	int status = 1;
	if (!pidfile_write(pid_path, &err)) {
		log_error(&lg, "writing pid file", LE(&err));
		goto out;
	}
	ctl = ctl_listen(ctl_path, &err);
	if (!ctl || !ctl_start(ctl, ctlcmds_dispatch, setup, &err)) {
		log_error(&lg, "starting ctl socket", LE(&err));
		goto out;
	}
	if (!setup_start(setup, &err)) {
		log_error(&lg, "starting services", LE(&err));
		goto out;
	}
	log_info(&lg, "tern serving", LS("user", user->name), LU("uid", getuid()),
		 LS("datadir", setup_datadir(setup)));

	main_loop(setup, &set, &lg);

	int remaining = setup_shutdown(setup, SERVER_SHUTDOWN_GRACE_MS);
	if (remaining > 0)
		log_info(&lg, "connections still open at shutdown deadline, closing",
			 LI("count", remaining));
	status = 0;
out:
	mark_drained();
	ctl_stop(ctl);
	pidfile_remove(pid_path);
	log_info(&lg, "tern stopped");
	setup_free(setup);
	free(pid_path);
	free(ctl_path);
	return status;
}
