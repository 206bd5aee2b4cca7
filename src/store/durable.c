/*
 * Durability of the index: commits numbered under the write lock, made
 * durable by a shared fdatasync of the WAL outside it (see internal.h).
 *
 * Why this is as safe as synchronous=FULL for what is acknowledged: in WAL
 * mode a COMMIT appends the transaction's frames (and a commit frame) to
 * index.db-wal with write(); fdatasync of that file afterwards puts them on
 * disk, which is all FULL does at commit. A crash before the fdatasync
 * returns can lose those commits, never corrupt the index (SQLite's WAL
 * is consistent with synchronous=NORMAL), and nobody was told they succeeded.
 * Checkpoints keep SQLite's own syncs (NORMAL syncs the WAL before and the
 * database after copying). A process crash loses nothing: the frames are in
 * the page cache.
 */
#include "store/internal.h"

#include "base/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

uint64_t acct_committed_seq(struct store_account *a)
{
	return atomic_fetch_add(&a->committed, 1) + 1;
}

static bool open_wal(struct store_account *a, struct error *err)
{
	if (a->walfd >= 0)
		close(a->walfd);
	a->walfd = open(a->walpath, O_RDONLY | O_CLOEXEC);
	return a->walfd >= 0 || error_errno(err, errno, "open %s", a->walpath);
}

/* fdatasync of the WAL file SQLite writes now (by path: reopened if it was replaced). */
static bool sync_wal(struct store_account *a, struct error *err)
{
	struct stat ps, fs;
	if (stat(a->walpath, &ps) < 0) {
		if (errno != ENOENT)
			return error_errno(err, errno, "stat %s", a->walpath);
		/* SQLite removes the WAL only after checkpointing it into the database
		 * and syncing that; sync the database to be sure. */
		int fd = open(a->dbpath, O_RDONLY | O_CLOEXEC);
		bool ok = fd >= 0 && fdatasync(fd) == 0;
		if (!ok)
			error_errno(err, errno, "sync %s", a->dbpath);
		if (fd >= 0)
			close(fd);
		return ok;
	}
	if ((a->walfd < 0 || fstat(a->walfd, &fs) < 0 || fs.st_ino != ps.st_ino ||
	     fs.st_dev != ps.st_dev) &&
	    !open_wal(a, err))
		return false;
	if (fdatasync(a->walfd) < 0)
		return error_errno(err, errno, "fdatasync %s", a->walpath);
	return true;
}

bool acct_make_durable(struct store_account *a, uint64_t seq, struct error *err)
{
	bool ok = true;
	pthread_mutex_lock(&a->dmu);
	while (ok && a->durable < seq) {
		if (a->syncing) {
			pthread_cond_wait(&a->dcv, &a->dmu);
			continue;
		}
		/* Every commit numbered so far has written its frames: one fsync covers them. */
		a->syncing = true;
		uint64_t target = atomic_load(&a->committed);
		pthread_mutex_unlock(&a->dmu);
		ok = sync_wal(a, err);
		pthread_mutex_lock(&a->dmu);
		a->syncing = false;
		if (ok && target > a->durable)
			a->durable = target;
		pthread_cond_broadcast(&a->dcv);
	}
	pthread_mutex_unlock(&a->dmu);
	if (!ok)
		log_error(&a->log, "index not durable", LS("account", a->name), LE(err));
	return ok;
}

bool acct_durable_init(struct store_account *a, struct error *err)
{
	a->walpath = xasprintf("%s-wal", a->dbpath);
	return db_exec(&a->wdb, "PRAGMA synchronous=NORMAL", err) && open_wal(a, err);
}
