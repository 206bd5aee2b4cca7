#include "config/config.h"

#include "base/file.h"
#include "base/log.h"
#include "base/mem.h"
#include "config/check.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Config files are small; anything this large is a mistake, not a config. */
#define CONFIG_FILE_MAX (16 * 1024 * 1024)
/* Arena chunk size: a typical config fits in a few chunks. */
#define CONFIG_ARENA_CHUNK (64 * 1024)

struct config {
	struct config_static *st;
	pthread_mutex_t lock; /* guards cur and refused */
	struct config_dynamic *cur;
	struct config_file_id refused; /* last version refused, so it is reported once */
	bool have_refused;
};

bool config_file_id_read(const char *path, struct config_file_id *id, struct error *err)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return error_errno(err, errno, "%s", path);
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->size = st.st_size;
	id->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	return true;
}

static bool file_id_eq(const struct config_file_id *a, const struct config_file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_ns == b->mtime_ns;
}

static bool read_fd_all(int fd, const char *path, struct buf *out, struct error *err)
{
	char tmp[16384];
	for (;;) {
		ssize_t n = read(fd, tmp, sizeof tmp);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_errno(err, errno, "reading %s", path);
		if (n == 0)
			return true;
		if (out->len + (size_t)n > CONFIG_FILE_MAX)
			return error_set(err, ERR_LIMIT, "%s: larger than %d bytes", path,
					 CONFIG_FILE_MAX);
		buf_append(out, tmp, (size_t)n);
	}
}

/* The static file. */

struct config_static *config_static_load(const char *static_path, struct error *err)
{
	struct config_static *cs = xcalloc(1, sizeof *cs);
	arena_init(&cs->arena, CONFIG_ARENA_CHUNK);
	struct arena *a = &cs->arena;
	cs->path = arena_strdup(a, static_path);
	char *dir = path_dirname(static_path);
	cs->dir = arena_strdup(a, dir);
	free(dir);
	cs->domains_path = arena_sprintf(a, "%s/domains.conf", cs->dir);

	struct buf text = BUF_INIT;
	struct sch_lines *lines = sch_lines_new(a);
	cs->s = arena_zalloc(a, sizeof *cs->s);
	struct cfg_check chk = {cs->path, cs->dir, lines, a, err};
	bool ok = file_read_all(static_path, CONFIG_FILE_MAX, &text, err) &&
		  sch_load(text.data ? text.data : "", text.len, cs->path, &cfg_static_type, cs->s,
			   a, lines, err) &&
		  cfg_static_check(cs->s, &chk);
	buf_free(&text);
	if (!ok) {
		if (err && err->kind == ERR_NOTFOUND)
			error_prefix(err, "reading static config");
		config_static_free(cs);
		return NULL;
	}
	cs->datadir = cs->s->data_dir_path;
	return cs;
}

void config_static_free(struct config_static *cs)
{
	if (!cs)
		return;
	arena_free(&cs->arena);
	free(cs);
}

/* The dynamic file. */

static void dynamic_free(struct config_dynamic *cd)
{
	if (!cd)
		return;
	if (cd->d)
		cfg_dynamic_release(cd->d);
	arena_free(&cd->arena);
	free(cd);
}

void config_dynamic_put(struct config_dynamic *d)
{
	if (d && atomic_fetch_sub(&d->refs, 1) == 1)
		dynamic_free(d);
}

/* A route's transport must be one the static file defines. */
static bool check_routes(const struct config_static *cs, struct cfg_check *chk,
			 const struct cfg_route *routes, size_t n, const char *where)
{
	const struct cfg_static *s = cs->s;
	for (size_t i = 0; i < n; i++) {
		const char *t = routes[i].transport;
		if (sch_map_index((const struct sch_map *)&s->transports, t) < 0)
			return cfg_fail(chk, &routes[i].transport,
					"%sroute %zu: transport \"%s\" is not defined in %s", where,
					i + 1, t, cs->path);
	}
	return true;
}

/*
 * Checks what ties the two files together and the dynamic check cannot see:
 * transports named by routes. (Accounts named in the static file are checked
 * by cfg_dynamic_check, through struct cfg_dynamic_env.)
 */
static bool check_cross(const struct config_static *cs, const struct cfg_dynamic *d,
			struct cfg_check *chk)
{
	if (!check_routes(cs, chk, d->routes.v, d->routes.n, ""))
		return false;
	for (size_t i = 0; i < d->domains.n; i++) {
		char where[300];
		snprintf(where, sizeof where, "domain %s: ", d->domains.keys[i]);
		if (!check_routes(cs, chk, d->domains.v[i].routes.v, d->domains.v[i].routes.n,
				  where))
			return false;
	}
	for (size_t i = 0; i < d->accounts.n; i++) {
		char where[300];
		snprintf(where, sizeof where, "account %s: ", d->accounts.keys[i]);
		if (!check_routes(cs, chk, d->accounts.v[i].routes.v, d->accounts.v[i].routes.n,
				  where))
			return false;
	}
	return true;
}

/* What the dynamic file's check needs to know of the static file. */
static void dynamic_env(const struct cfg_static *s, struct cfg_dynamic_env *env)
{
	*env = (struct cfg_dynamic_env){
	    .hostname = s->hostname_domain.ascii,
	    .postmaster_account = s->postmaster.account,
	    .postmaster_mailbox = s->postmaster.mailbox,
	    .host_tlsrpt_account = s->host_tlsrpt ? s->host_tlsrpt->account : "",
	    .host_tlsrpt_localpart = s->host_tlsrpt ? s->host_tlsrpt->localpart : "",
	    .host_tlsrpt_mailbox = s->host_tlsrpt ? s->host_tlsrpt->mailbox : "",
	};
}

/* Binds and checks text as domains.conf into a new snapshot. */
static struct config_dynamic *dynamic_from_text(const struct config_static *cs, const char *text,
						size_t len, struct error *err)
{
	struct config_dynamic *cd = xcalloc(1, sizeof *cd);
	atomic_init(&cd->refs, 1);
	arena_init(&cd->arena, CONFIG_ARENA_CHUNK);
	struct arena *a = &cd->arena;
	struct sch_lines *lines = sch_lines_new(a);
	cd->d = arena_zalloc(a, sizeof *cd->d);
	struct cfg_check chk = {cs->domains_path, cs->dir, lines, a, err};
	struct cfg_dynamic_env env;
	dynamic_env(cs->s, &env);
	if (!sch_load(text, len, cs->domains_path, &cfg_dynamic_type, cd->d, a, lines, err) ||
	    !cfg_dynamic_check(cd->d, &env, &chk) || !check_cross(cs, cd->d, &chk)) {
		dynamic_free(cd);
		return NULL;
	}
	return cd;
}

/* Reads domains.conf from an open descriptor and records which version it was. */
static struct config_dynamic *dynamic_from_fd(const struct config_static *cs, int fd,
					      struct error *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0) {
		error_errno(err, errno, "%s", cs->domains_path);
		return NULL;
	}
	struct buf text = BUF_INIT;
	struct config_dynamic *cd = NULL;
	if (read_fd_all(fd, cs->domains_path, &text, err))
		cd = dynamic_from_text(cs, text.data ? text.data : "", text.len, err);
	buf_free(&text);
	if (cd)
		cd->id = (struct config_file_id){st.st_dev, st.st_ino, st.st_size,
						 (int64_t)st.st_mtim.tv_sec * 1000000000 +
						     st.st_mtim.tv_nsec};
	return cd;
}

struct config_dynamic *config_dynamic_load(const struct config_static *cs, struct error *err)
{
	int fd = open(cs->domains_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		error_errno(err, errno, "reading dynamic config %s", cs->domains_path);
		return NULL;
	}
	struct config_dynamic *cd = dynamic_from_fd(cs, fd, err);
	close(fd);
	return cd;
}

/* The server's view: static plus current dynamic snapshot. */

struct config *config_load(const char *static_path, struct error *err)
{
	struct config_static *cs = config_static_load(static_path, err);
	if (!cs)
		return NULL;
	struct config_dynamic *cd = config_dynamic_load(cs, err);
	if (!cd) {
		config_static_free(cs);
		return NULL;
	}
	struct config *c = xcalloc(1, sizeof *c);
	c->st = cs;
	c->cur = cd;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void config_free(struct config *c)
{
	if (!c)
		return;
	config_dynamic_put(c->cur);
	config_static_free(c->st);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

const struct config_static *config_static(const struct config *c)
{
	return c->st;
}

struct config_dynamic *config_dynamic_get(struct config *c)
{
	pthread_mutex_lock(&c->lock);
	struct config_dynamic *d = c->cur;
	atomic_fetch_add(&d->refs, 1);
	pthread_mutex_unlock(&c->lock);
	return d;
}

int config_reload(struct config *c, bool force, struct error *err)
{
	struct config_file_id id;
	if (!config_file_id_read(c->st->domains_path, &id, err))
		return -1;
	pthread_mutex_lock(&c->lock);
	bool same = file_id_eq(&id, &c->cur->id);
	bool refused_before = c->have_refused && file_id_eq(&id, &c->refused);
	pthread_mutex_unlock(&c->lock);
	if (!force && (same || refused_before))
		return 0;

	struct config_dynamic *cd = config_dynamic_load(c->st, err);
	pthread_mutex_lock(&c->lock);
	if (!cd) {
		c->refused = id;
		c->have_refused = true;
		pthread_mutex_unlock(&c->lock);
		return -1;
	}
	struct config_dynamic *old = c->cur;
	c->cur = cd;
	c->have_refused = false;
	pthread_mutex_unlock(&c->lock);
	config_dynamic_put(old);
	return 1;
}

/* Editing domains.conf. */

/*
 * Opens domains.conf and takes an exclusive lock on it. A concurrent editor
 * may have replaced the file (rename) while we waited; then the lock is on the
 * old file and we start over on the new one.
 */
static int open_locked(const char *path, struct error *err)
{
	for (int attempt = 0; attempt < 100; attempt++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			error_errno(err, errno, "opening %s", path);
			return -1;
		}
		if (flock(fd, LOCK_EX) < 0) {
			error_errno(err, errno, "locking %s", path);
			close(fd);
			return -1;
		}
		struct stat a, b;
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino)
			return fd;
		close(fd);
	}
	error_set(err, ERR_TEMPORARY, "%s keeps changing, giving up", path);
	return -1;
}

/* Writes text over path atomically, keeping the owner and mode of the file it replaces. */
static bool write_like(const char *path, int oldfd, const struct buf *text, struct error *err)
{
	struct stat st;
	if (fstat(oldfd, &st) < 0)
		return error_errno(err, errno, "%s", path);
	char *tmp = xasprintf("%s.tmp%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777);
	bool ok = fd >= 0;
	if (!ok)
		error_errno(err, errno, "creating %s", tmp);
	/* Owner first (only root can change it), then mode, which fchown may have cleared. */
	if (ok && geteuid() == 0 && fchown(fd, st.st_uid, st.st_gid) < 0)
		ok = error_errno(err, errno, "chown %s", tmp);
	if (ok && fchmod(fd, st.st_mode & 07777) < 0)
		ok = error_errno(err, errno, "chmod %s", tmp);
	if (ok)
		ok = fd_write_all(fd, text->data ? text->data : "", text->len, err);
	if (ok && fsync(fd) < 0)
		ok = error_errno(err, errno, "fsync %s", tmp);
	if (fd >= 0 && close(fd) < 0 && ok)
		ok = error_errno(err, errno, "close %s", tmp);
	if (ok && rename(tmp, path) < 0)
		ok = error_errno(err, errno, "rename %s", tmp);
	if (!ok)
		unlink(tmp);
	free(tmp);
	return ok && fsync_parent_dir(path, err);
}

bool config_edit_dynamic(const struct config_static *cs, config_edit_fn fn, void *arg,
			 struct error *err)
{
	int fd = open_locked(cs->domains_path, err);
	if (fd < 0)
		return false;
	struct config_dynamic *cd = dynamic_from_fd(cs, fd, err);
	bool ok = cd != NULL;
	struct buf text = BUF_INIT;
	if (ok)
		ok = fn(arg, cd->d, &cd->arena, err) &&
		     sch_write(&cfg_dynamic_type, cd->d, &text, err);
	/* The edited model is written only if it loads and checks like any new file would. */
	if (ok) {
		struct config_dynamic *check = dynamic_from_text(cs, text.data, text.len, err);
		ok = check != NULL;
		dynamic_free(check);
	}
	if (ok)
		ok = write_like(cs->domains_path, fd, &text, err);
	buf_free(&text);
	dynamic_free(cd);
	close(fd); /* releases the lock */
	return ok;
}
