/*
 * Accounts: the per-process registry of open accounts, opening (creating on
 * first use, locking, cleaning up) and closing, totals and credentials.
 */
#include "store/internal.h"

#include "base/file.h"
#include "base/mem.h"
#include "base/str.h"
#include "config/static.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Directory modes as mox uses them: the group may read (backups). */
#define STORE_DIR_MODE 0770

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
/* Signalled when a closing account has released its files (and its flock). */
static pthread_cond_t registry_cv = PTHREAD_COND_INITIALIZER;
static struct store_account *registry;

static struct log_pkg *log_package;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;

static void log_init(void)
{
	log_package = log_pkg("store");
}

struct log_pkg *store_log_pkg(void)
{
	pthread_once(&log_once, log_init);
	return log_package;
}

static void account_free(struct store_account *a)
{
	db_close(&a->wdb);
	db_pool_destroy(&a->readers);
	if (a->walfd >= 0)
		close(a->walfd);
	free(a->walpath);
	pthread_mutex_destroy(&a->dmu);
	pthread_cond_destroy(&a->dcv);
	if (a->lockfd >= 0)
		close(a->lockfd); /* releases the flock */
	pthread_mutex_destroy(&a->wmu);
	pthread_mutex_destroy(&a->qmu);
	pthread_mutex_destroy(&a->idmu);
	pthread_mutex_destroy(&a->smu);
	free(a->durable_dirs);
	free(a->key);
	free(a->name);
	free(a->dir);
	free(a->msgdir);
	free(a->tmpdir);
	free(a->dbpath);
	free(a);
}

static struct store_account *account_alloc(const char *key, const char *name, const char *dir)
{
	struct store_account *a = xcalloc(1, sizeof *a);
	a->key = xstrdup(key);
	a->name = xstrdup(name);
	a->dir = xstrdup(dir);
	a->msgdir = path_join(dir, "msg");
	a->tmpdir = path_join(dir, "tmp");
	a->dbpath = path_join(dir, "index.db");
	a->lockfd = -1;
	a->walfd = -1;
	a->refs = 1;
	a->log = (struct logger){store_log_pkg(), 0};
	pthread_mutex_init(&a->wmu, NULL);
	pthread_mutex_init(&a->qmu, NULL);
	pthread_mutex_init(&a->idmu, NULL);
	pthread_mutex_init(&a->smu, NULL);
	pthread_mutex_init(&a->dmu, NULL);
	pthread_cond_init(&a->dcv, NULL);
	db_pool_init(&a->readers, a->dbpath, STORE_READERS_MAX);
	return a;
}

/*
 * One process at a time: an exclusive flock on index.lock, held while the
 * account is open. A second process (a command run beside the server) fails
 * instead of writing the same index and files.
 */
static bool lock_account(struct store_account *a, struct error *err)
{
	char *path = path_join(a->dir, "index.lock");
	a->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, STORE_FILE_MODE);
	if (a->lockfd < 0) {
		error_errno(err, errno, "open %s", path);
		free(path);
		return false;
	}
	bool ok = true;
	if (flock(a->lockfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			ok = error_set(err, ERR_TEMPORARY,
				       "account %s is in use by another process (%s)", a->name,
				       path);
		else
			ok = error_errno(err, errno, "lock %s", path);
	}
	free(path);
	return ok;
}

static bool make_dirs(struct store_account *a, bool no_create, struct error *err)
{
	struct stat st;
	if (stat(a->dir, &st) < 0) {
		if (errno != ENOENT)
			return error_errno(err, errno, "account directory %s", a->dir);
		if (no_create)
			return error_set(err, ERR_NOTFOUND, "account %s has no data directory %s",
					 a->name, a->dir);
	}
	if (!mkdir_p(a->dir, STORE_DIR_MODE, err) || !mkdir_p(a->msgdir, STORE_DIR_MODE, err) ||
	    !mkdir_p(a->tmpdir, STORE_DIR_MODE, err))
		return false;
	/* The account directory itself must survive a crash once deliveries are acknowledged. */
	char *accounts = path_dirname(a->dir);
	char *datadir = path_dirname(accounts);
	bool ok = fsync_dir(datadir, err) && fsync_dir(accounts, err) && fsync_dir(a->dir, err);
	free(datadir);
	free(accounts);
	return ok;
}

static bool mark_open(struct store_account *a, bool *was_clean, struct error *err)
{
	sqlite3_stmt *st = db_stmt(&a->wdb, "SELECT clean_close FROM account WHERE id = 1", err);
	int64_t v;
	if (!st || !db_query_int(&a->wdb, st, &v, NULL, err))
		return false;
	*was_clean = v != 0;
	st = db_stmt(&a->wdb, "UPDATE account SET clean_close = 0 WHERE id = 1", err);
	return st && db_step_done(&a->wdb, st, err);
}

static bool open_index(struct store_account *a, const struct store_account_options *o,
		       struct error *err)
{
	if (o->no_create && !file_exists(a->dbpath))
		return error_set(err, ERR_NOTFOUND, "account %s has no index %s", a->name,
				 a->dbpath);
	struct db_options dbo = {.role = DB_READ_WRITE,
				 .create = true,
				 .mode = STORE_FILE_MODE,
				 .schema = &store_index_schema};
	if (!db_open(&a->wdb, a->dbpath, &dbo, err))
		return false;
	/* A new index.db (and its WAL) must be in the directory durably. */
	if (!schema_init(a, o, err) || !fsync_dir(a->dir, err))
		return false;
	bool was_clean;
	if (!mark_open(a, &was_clean, err) || !acct_durable_init(a, err))
		return error_prefix(err, "index %s", a->dbpath);
	/*
	 * After a clean close nothing can be left over; after a crash, files of
	 * interrupted deliveries and of expunges whose removal did not happen yet
	 * are removed now, before anyone can use the account.
	 */
	if (!o->no_cleanup && !was_clean && !files_cleanup(a, err))
		return false;
	/* Leftovers not cleaned now must be cleaned by the next open. */
	a->mark_clean_on_close = was_clean || !o->no_cleanup;
	return true;
}

static char *account_key(const char *data_dir, const char *name, struct error *err)
{
	char real[PATH_MAX];
	if (!mkdir_p(data_dir, STORE_DIR_MODE, err))
		return NULL;
	if (!realpath(data_dir, real)) {
		error_errno(err, errno, "data directory %s", data_dir);
		return NULL;
	}
	return xasprintf("%s/accounts/%s", real, name);
}

bool store_account_open(const struct store_account_options *o, struct store_account **out,
			struct error *err)
{
	*out = NULL;
	if (!store_account_name_valid(o->name, err))
		return false;
	if (o->no_create && !file_exists(o->data_dir))
		return error_set(err, ERR_NOTFOUND, "no data directory %s", o->data_dir);
	char *key = account_key(o->data_dir, o->name, err);
	if (!key)
		return false;
	pthread_mutex_lock(&registry_mu);
again:
	for (struct store_account *a = registry; a; a = a->next) {
		if (strcmp(a->key, key) == 0) {
			/* Being closed by its last user: wait until its lock is released, or the
			 * flock below would refuse this process its own account. */
			if (a->closing) {
				pthread_cond_wait(&registry_cv, &registry_mu);
				goto again;
			}
			if (a->remove_on_close) {
				pthread_mutex_unlock(&registry_mu);
				free(key);
				return error_set(err, ERR_TEMPORARY, "account %s is being removed",
						 o->name);
			}
			a->refs++;
			pthread_mutex_unlock(&registry_mu);
			free(key);
			*out = a;
			return true;
		}
	}
	/* Opening holds the registry lock so two threads cannot open one account twice. */
	struct store_account *a = account_alloc(key, o->name, key);
	free(key);
	bool ok = make_dirs(a, o->no_create, err) && lock_account(a, err) && open_index(a, o, err);
	if (!ok) {
		pthread_mutex_unlock(&registry_mu);
		error_prefix(err, "open account %s", o->name);
		account_free(a);
		return false;
	}
	a->next = registry;
	registry = a;
	pthread_mutex_unlock(&registry_mu);
	log_debug(&a->log, "account opened", LS("account", a->name));
	*out = a;
	return true;
}

struct store_account *store_account_ref(struct store_account *a)
{
	pthread_mutex_lock(&registry_mu);
	a->refs++;
	pthread_mutex_unlock(&registry_mu);
	return a;
}

/* Records that the account was closed with nothing left over (no cleanup needed on open). */
static void mark_clean(struct store_account *a)
{
	struct error err;
	sqlite3_stmt *st =
	    db_stmt(&a->wdb, "UPDATE account SET clean_close = 1 WHERE id = 1", &err);
	if (!st || !db_step_done(&a->wdb, st, &err))
		log_error(&a->log, "marking account closed", LS("account", a->name), LE(&err));
}

static bool remove_tree(const char *dir, struct error *err);

static void registry_unlink(struct store_account *a)
{
	for (struct store_account **pp = &registry; *pp; pp = &(*pp)->next) {
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	}
}

/*
 * Takes an account's directory away from its name at once, under the registry
 * lock, so that removing its files (slow for a large account) runs without
 * the lock: moved into a new directory under DATADIR/tmp, which nothing reads
 * (backup skips it). Returns what to remove (heap): that directory, or dir
 * itself when it cannot be moved (another file system). NULL: err set.
 */
static char *retire_dir(const char *dir, struct error *err)
{
	char *accounts = path_dirname(dir);
	char *datadir = path_dirname(accounts);
	char *tmp = path_join(datadir, "tmp");
	char *grave = path_join(tmp, "removed-account-XXXXXX");
	char *out = NULL;
	if (mkdir_p(tmp, STORE_DIR_MODE, err) &&
	    (mkdtemp(grave) || error_errno(err, errno, "mkdtemp %s", grave))) {
		char *dst = path_join(grave, "account");
		if (rename(dir, dst) == 0)
			out = fsync_dir(accounts, err) ? xstrdup(grave) : NULL;
		else if (errno == EXDEV || errno == ENOENT)
			out = xstrdup(dir);
		else
			error_errno(err, errno, "rename %s", dir);
		if (!out || strcmp(out, dir) == 0)
			rmdir(grave);
		free(dst);
	}
	free(grave);
	free(tmp);
	free(datadir);
	free(accounts);
	return out;
}

/* Removes a retired directory (retire_dir), logging the outcome. */
static void remove_retired(struct logger *lg, const char *name, char *path)
{
	struct error err;
	if (remove_tree(path, &err))
		log_info(lg, "account data removed", LS("account", name));
	else
		log_error(lg, "removing account data", LS("account", name), LS("dir", path),
			  LE(&err));
	free(path);
}

/* The last reference of an account marked for removal, under the registry lock so that
 * nobody opens the name while its directory is moved away; returns what to remove. */
static char *retire_account(struct store_account *a)
{
	registry_unlink(a);
	char *dir = xstrdup(a->dir);
	struct logger lg = a->log;
	account_free(a);
	struct error err;
	char *path = retire_dir(dir, &err);
	if (!path)
		log_error(&lg, "removing account data", LS("dir", dir), LE(&err));
	free(dir);
	return path;
}

void store_account_close(struct store_account *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&registry_mu);
	if (--a->refs > 0) {
		pthread_mutex_unlock(&registry_mu);
		return;
	}
	/* The last reference: no subscriber (they hold references) and no operation is left. */
	if (a->remove_on_close) {
		char *name = xstrdup(a->name);
		struct logger lg = a->log;
		char *path = retire_account(a);
		pthread_cond_broadcast(&registry_cv);
		pthread_mutex_unlock(&registry_mu);
		if (path)
			remove_retired(&lg, name, path);
		free(name);
		return;
	}
	/* Stays in the registry, marked closing, until its files are closed: an open of the
	 * same account meanwhile waits instead of failing on the flock. */
	a->closing = true;
	pthread_mutex_unlock(&registry_mu);
	if (a->mark_clean_on_close)
		mark_clean(a);
	log_debug(&a->log, "account closed", LS("account", a->name));
	pthread_mutex_lock(&registry_mu);
	registry_unlink(a);
	account_free(a);
	pthread_cond_broadcast(&registry_cv);
	pthread_mutex_unlock(&registry_mu);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

/* Removes dir and everything below it, without following symbolic links. */
static bool remove_tree(const char *dir, struct error *err)
{
	struct stat st;
	if (lstat(dir, &st) < 0)
		return errno == ENOENT || error_errno(err, errno, "%s", dir);
	if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		return error_errno(err, errno, "removing %s", dir);
	char *parent = path_dirname(dir);
	bool ok = fsync_dir(parent, err);
	free(parent);
	return ok;
}

/* Not open here: the process lock shows no other process has it, then the directory is
 * retired (*retired: what to remove, NULL when nothing is there). */
static bool retire_closed(const char *key, const char *name, char **retired, struct error *err)
{
	*retired = NULL;
	struct stat st;
	if (lstat(key, &st) < 0)
		return errno == ENOENT || error_errno(err, errno, "%s", key);
	char *path = path_join(key, "index.lock");
	int fd = open(path, O_RDWR | O_CLOEXEC);
	free(path);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		return e == EWOULDBLOCK ? error_set(err, ERR_TEMPORARY,
						    "account %s is in use by another process", name)
					: error_errno(err, e, "lock account %s", name);
	}
	/* Moved away while holding its lock: a late opener finds it gone. */
	*retired = retire_dir(key, err);
	if (fd >= 0)
		close(fd);
	return *retired != NULL;
}

bool store_account_remove(const char *data_dir, const char *name, bool *deferred, struct error *err)
{
	*deferred = false;
	if (!store_account_name_valid(name, err))
		return false;
	char *key = account_key(data_dir, name, err);
	if (!key)
		return false;
	pthread_mutex_lock(&registry_mu);
	struct store_account *open;
again:
	open = NULL;
	for (struct store_account *a = registry; a; a = a->next)
		if (strcmp(a->key, key) == 0)
			open = a;
	/* Its last user is closing it: once its files are closed it is simply not open. */
	if (open && open->closing) {
		pthread_cond_wait(&registry_cv, &registry_mu);
		goto again;
	}
	bool ok = true;
	char *retired = NULL;
	if (open)
		*deferred = open->remove_on_close = true;
	else
		ok = retire_closed(key, name, &retired, err);
	pthread_mutex_unlock(&registry_mu);
	free(key);
	/* Gone from its name already; the files go outside the registry lock. */
	if (retired && !remove_tree(retired, err))
		ok = error_prefix(err, "removing account %s", name);
	free(retired);
	return ok;
}

const char *store_account_name(const struct store_account *a)
{
	return a->name;
}

const char *store_account_dir(const struct store_account *a)
{
	return a->dir;
}

bool store_account_info(struct store_account *a, struct store_account_info *out, struct error *err)
{
	memset(out, 0, sizeof *out);
	struct db *db = store_reader(a, err);
	if (!db)
		return false;
	bool ok = db_begin_read(db, err);
	sqlite3_stmt *st = NULL;
	if (ok)
		st = db_stmt(db,
			     "SELECT size, last_modseq, (SELECT count(*) FROM messages), "
			     "(SELECT count(*) FROM mailboxes) FROM account WHERE id = 1",
			     err);
	if (ok && st && db_step(db, st, err) == 1) {
		out->size = sqlite3_column_int64(st, 0);
		out->modseq = (uint64_t)sqlite3_column_int64(st, 1);
		out->messages = sqlite3_column_int64(st, 2);
		out->mailboxes = sqlite3_column_int64(st, 3);
		sqlite3_reset(st);
	} else {
		ok = false;
	}
	store_reader_done(a, db);
	return ok;
}

struct creds_arg {
	const void *blob;
	size_t n;
};

static bool creds_write(struct store_account *a, void *arg, struct change_list *cl,
			struct error *err)
{
	(void)cl;
	struct creds_arg *c = arg;
	sqlite3_stmt *st = db_stmt(&a->wdb,
				   "INSERT INTO credentials (id, data, modified) VALUES (1, ?, ?) "
				   "ON CONFLICT (id) DO UPDATE SET data = excluded.data, "
				   "modified = excluded.modified",
				   err);
	if (!st)
		return false;
	sqlite3_bind_blob(st, 1, c->blob ? c->blob : "", (int)c->n, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
	return db_step_done(&a->wdb, st, err);
}

bool store_account_credentials_set(struct store_account *a, const void *blob, size_t n,
				   struct error *err)
{
	if (n > STORE_CREDENTIALS_MAX)
		return error_set(err, ERR_INVALID, "credentials larger than %d bytes",
				 STORE_CREDENTIALS_MAX);
	struct creds_arg c = {blob, n};
	return store_write(a, NULL, creds_write, &c, err);
}

bool store_account_credentials_get(struct store_account *a, struct buf *out, bool *found,
				   struct error *err)
{
	*found = false;
	struct db *db = store_reader(a, err);
	if (!db)
		return false;
	sqlite3_stmt *st = db_stmt(db, "SELECT data FROM credentials WHERE id = 1", err);
	int rc = st ? db_step(db, st, err) : -1;
	if (rc == 1) {
		const void *p = sqlite3_column_blob(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		buf_append(out, p ? p : "", n);
		*found = true;
		sqlite3_reset(st);
	}
	store_reader_done(a, db);
	return rc >= 0;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* mox guesses special use of DefaultMailboxes from the start of their names. */
static uint32_t guess_specialuse(const char *name)
{
	if (has_prefix(name, "Archive"))
		return STORE_SPECIALUSE_ARCHIVE;
	if (has_prefix(name, "Drafts"))
		return STORE_SPECIALUSE_DRAFTS;
	if (has_prefix(name, "Junk"))
		return STORE_SPECIALUSE_JUNK;
	if (has_prefix(name, "Sent"))
		return STORE_SPECIALUSE_SENT;
	if (has_prefix(name, "Trash"))
		return STORE_SPECIALUSE_TRASH;
	return 0;
}

static size_t add_initial(struct store_initial_mailbox *v, size_t n, const char *name,
			  uint32_t specialuse)
{
	if (name && *name && !ascii_caseeq(name, "inbox"))
		v[n++] = (struct store_initial_mailbox){name, specialuse};
	return n;
}

struct store_initial_mailbox *store_initial_mailboxes(const struct cfg_static *stc,
						      struct arena *ar, size_t *n)
{
	*n = 0;
	if (stc->default_mailboxes.n > 0) {
		struct store_initial_mailbox *v =
		    arena_array(ar, stc->default_mailboxes.n, sizeof *v);
		for (size_t i = 0; i < stc->default_mailboxes.n; i++) {
			const char *name = stc->default_mailboxes.v[i];
			*n = add_initial(v, *n, name, guess_specialuse(name));
		}
		return v;
	}
	const struct cfg_initial_mailboxes *im = stc->initial_mailboxes;
	if (!im)
		return NULL; /* mox's defaults */
	const struct cfg_special_use *su = &im->special_use;
	bool any = (su->sent && *su->sent) || (su->archive && *su->archive) ||
		   (su->trash && *su->trash) || (su->draft && *su->draft) ||
		   (su->junk && *su->junk) || im->regular.n > 0;
	if (!any)
		return NULL;
	struct store_initial_mailbox *v = arena_array(ar, 5 + im->regular.n, sizeof *v);
	/* mox's order: Archive, Draft, Junk, Sent, Trash, then the regular ones. */
	*n = add_initial(v, *n, su->archive, STORE_SPECIALUSE_ARCHIVE);
	*n = add_initial(v, *n, su->draft, STORE_SPECIALUSE_DRAFTS);
	*n = add_initial(v, *n, su->junk, STORE_SPECIALUSE_JUNK);
	*n = add_initial(v, *n, su->sent, STORE_SPECIALUSE_SENT);
	*n = add_initial(v, *n, su->trash, STORE_SPECIALUSE_TRASH);
	for (size_t i = 0; i < im->regular.n; i++)
		*n = add_initial(v, *n, im->regular.v[i], 0);
	return v;
}
