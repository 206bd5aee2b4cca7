#include "base/log.h"

#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

/* Packages are few and long-lived; a fixed table keeps lookups lock-free. */
#define LOG_MAX_PKGS     128
#define LOG_PKG_NAME_MAX 32

struct log_pkg {
	char name[LOG_PKG_NAME_MAX];
	atomic_int own;       /* own level, or -1 when unset */
	atomic_int effective; /* own level if set, else the default */
};

static struct log_pkg pkgs[LOG_MAX_PKGS];
static atomic_size_t npkgs;
static atomic_int default_level = LOG_INFO;
static atomic_int out_fd = 2;
static pthread_mutex_t pkgs_lock = PTHREAD_MUTEX_INITIALIZER;
/* Used when the table is full, so callers always get a valid handle. */
static struct log_pkg overflow_pkg = {"other", -1, LOG_INFO};

static const char *const level_names[LOG_LEVEL_COUNT] = {
    "error", "info", "debug", "trace", "traceauth", "tracedata",
};

const char *log_level_name(enum log_level level)
{
	if ((unsigned)level >= LOG_LEVEL_COUNT)
		return "unknown";
	return level_names[level];
}

bool log_level_parse(const char *name, enum log_level *out)
{
	for (int i = 0; i < LOG_LEVEL_COUNT; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	}
	return false;
}

static void recompute(struct log_pkg *p)
{
	int own = atomic_load(&p->own);
	atomic_store(&p->effective, own >= 0 ? own : atomic_load(&default_level));
}

struct log_pkg *log_pkg(const char *name)
{
	size_t n = atomic_load(&npkgs);
	for (size_t i = 0; i < n; i++)
		if (strcmp(pkgs[i].name, name) == 0)
			return &pkgs[i];
	pthread_mutex_lock(&pkgs_lock);
	n = atomic_load(&npkgs);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(pkgs[i].name, name) == 0) {
			pthread_mutex_unlock(&pkgs_lock);
			return &pkgs[i];
		}
	}
	struct log_pkg *p = &overflow_pkg;
	if (n < LOG_MAX_PKGS) {
		p = &pkgs[n];
		str_copy(p->name, sizeof p->name, name);
		atomic_store(&p->own, -1);
		recompute(p);
		atomic_store(&npkgs, n + 1);
	}
	pthread_mutex_unlock(&pkgs_lock);
	return p;
}

const char *log_pkg_name(const struct log_pkg *pkg)
{
	return pkg->name;
}

bool log_enabled(const struct logger *lg, enum log_level level)
{
	int eff = lg && lg->pkg ? atomic_load(&lg->pkg->effective) : atomic_load(&default_level);
	return (int)level <= eff;
}

void log_set_default_level(enum log_level level)
{
	pthread_mutex_lock(&pkgs_lock);
	atomic_store(&default_level, (int)level);
	size_t n = atomic_load(&npkgs);
	for (size_t i = 0; i < n; i++)
		recompute(&pkgs[i]);
	recompute(&overflow_pkg);
	pthread_mutex_unlock(&pkgs_lock);
}

enum log_level log_default_level(void)
{
	return (enum log_level)atomic_load(&default_level);
}

static void set_own(const char *name, int level)
{
	struct log_pkg *p = log_pkg(name);
	pthread_mutex_lock(&pkgs_lock);
	atomic_store(&p->own, level);
	recompute(p);
	pthread_mutex_unlock(&pkgs_lock);
}

void log_set_pkg_level(const char *pkg, enum log_level level)
{
	set_own(pkg, (int)level);
}

void log_clear_pkg_level(const char *pkg)
{
	set_own(pkg, -1);
}

void log_clear_pkg_levels(void)
{
	pthread_mutex_lock(&pkgs_lock);
	size_t n = atomic_load(&npkgs);
	for (size_t i = 0; i < n; i++) {
		atomic_store(&pkgs[i].own, -1);
		recompute(&pkgs[i]);
	}
	pthread_mutex_unlock(&pkgs_lock);
}

size_t log_pkg_levels(void (*fn)(void *arg, const char *pkg, enum log_level level), void *arg)
{
	size_t count = 0;
	size_t n = atomic_load(&npkgs);
	for (size_t i = 0; i < n; i++) {
		int own = atomic_load(&pkgs[i].own);
		if (own < 0)
			continue;
		fn(arg, pkgs[i].name, (enum log_level)own);
		count++;
	}
	return count;
}

void log_set_fd(int fd)
{
	atomic_store(&out_fd, fd);
}

static bool needs_quote(const char *s)
{
	if (*s == '\0')
		return true;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == '=' || *p == '"' || *p == '\\' || *p >= 0x7f)
			return true;
	return false;
}

void log_quote(struct buf *dst, const char *s)
{
	if (!needs_quote(s)) {
		buf_puts(dst, s);
		return;
	}
	static const char hex[] = "0123456789abcdef";
	buf_putc(dst, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': buf_puts(dst, "\\\""); break;
		case '\\': buf_puts(dst, "\\\\"); break;
		case '\n': buf_puts(dst, "\\n"); break;
		case '\r': buf_puts(dst, "\\r"); break;
		case '\t': buf_puts(dst, "\\t"); break;
		default:
			/* UTF-8 is kept as is; control bytes and DEL are escaped. */
			if (*p < ' ' || *p == 0x7f) {
				char esc[4] = {'\\', 'x', hex[*p >> 4], hex[*p & 15]};
				buf_append(dst, esc, 4);
			} else {
				buf_putc(dst, (char)*p);
			}
		}
	}
	buf_putc(dst, '"');
}

static void append_kv(struct buf *line, const struct log_kv *kv)
{
	if (kv->type == LOG_KV_NONE || !kv->key)
		return;
	buf_putc(line, ' ');
	buf_puts(line, kv->key);
	buf_putc(line, '=');
	switch (kv->type) {
	case LOG_KV_STR: log_quote(line, kv->v.s ? kv->v.s : ""); break;
	case LOG_KV_INT: buf_printf(line, "%" PRId64, kv->v.i); break;
	case LOG_KV_UINT: buf_printf(line, "%" PRIu64, kv->v.u); break;
	case LOG_KV_BOOL: buf_puts(line, kv->v.b ? "true" : "false"); break;
	case LOG_KV_ERR: log_quote(line, kv->v.err ? kv->v.err->msg : ""); break;
	case LOG_KV_NONE: break;
	}
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return; /* nowhere left to report a failing log */
		}
		p += w;
		n -= (size_t)w;
	}
}

void log_emit(const struct logger *lg, enum log_level level, const char *msg, size_t nkv,
	      const struct log_kv *kv)
{
	struct buf line = BUF_INIT;
	buf_printf(&line, "l=%s m=", log_level_name(level));
	log_quote(&line, msg);
	if (lg && lg->pkg) {
		buf_puts(&line, " pkg=");
		log_quote(&line, lg->pkg->name);
	}
	if (lg && lg->cid)
		buf_printf(&line, " cid=%" PRIu64, lg->cid);
	for (size_t i = 1; i < nkv; i++)
		append_kv(&line, &kv[i]);
	buf_putc(&line, '\n');
	write_all(atomic_load(&out_fd), line.data, line.len);
	buf_free(&line);
}
