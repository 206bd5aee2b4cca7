/*
 * config: tern's two configuration files, loaded, checked and kept current.
 *
 * The static file (tern.conf, or mox.conf) is read once at startup; changing
 * it needs a restart, as with mox. The dynamic file (domains.conf, in the same
 * directory) holds domains, accounts, aliases and routes; it is reloaded when
 * it changes on disk. A reload that fails to parse or check is refused with a
 * logged error and the previous version stays active.
 *
 * Each loaded version of the dynamic file is an immutable, reference-counted
 * snapshot: a connection takes a reference for the duration of a command
 * (config_dynamic_get / config_dynamic_put) and never sees a half-applied
 * change; a reload swaps the current pointer and the old snapshot is freed
 * when its last user lets go. Snapshots own all their memory (one arena).
 *
 * Changes made by commands (add an account, disable a domain, ...) go through
 * config_edit_dynamic: under an exclusive lock on domains.conf it reads the
 * current file, applies the change to a fresh model, checks the result like a
 * load would, and writes it back atomically (temporary file, fsync, rename,
 * fsync of the directory), keeping the file's owner and mode. A running
 * server notices the new file on its next reload check.
 */
#ifndef TERN_CONFIG_CONFIG_H
#define TERN_CONFIG_CONFIG_H

#include "base/arena.h"
#include "base/error.h"
#include "config/dynamic.h"
#include "config/schema.h"
#include "config/static.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The loaded static file. Read-only after config_load; lives as long as the process uses it. */
struct config_static {
	struct arena arena;
	struct cfg_static *s;
	const char *path;         /* the static file as given */
	const char *dir;          /* its directory: base for relative paths */
	const char *domains_path; /* dir/domains.conf */
	const char *datadir;      /* DataDir resolved against dir */
};

/* Identity of a file version on disk, to notice changes. */
struct config_file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime_ns;
};

/* One checked version of domains.conf. Never modified once published. */
struct config_dynamic {
	atomic_int refs;
	struct arena arena;
	struct cfg_dynamic *d;
	struct config_file_id id;
};

struct config;

/* Loads and checks the static file, then domains.conf next to it, and the references between them.
 */
struct config *config_load(const char *static_path, struct error *err);
void config_free(struct config *c);

const struct config_static *config_static(const struct config *c);

/* The current dynamic snapshot, with a reference the caller must drop with config_dynamic_put. */
struct config_dynamic *config_dynamic_get(struct config *c);
void config_dynamic_put(struct config_dynamic *d);

/*
 * Reloads domains.conf if it changed on disk since the current snapshot (or
 * always, with force). Returns 1 when a new snapshot was published, 0 when
 * nothing changed, -1 when the new version was refused (err says why; the
 * same broken version is reported only once, later calls return 0 for it).
 */
int config_reload(struct config *c, bool force, struct error *err);

/* Loads only the static file, for commands that need the data directory or listeners. */
struct config_static *config_static_load(const char *static_path, struct error *err);
void config_static_free(struct config_static *cs);

/*
 * Loads domains.conf for cs as a standalone snapshot (refcount 1), checked
 * against the static file. For commands.
 */
struct config_dynamic *config_dynamic_load(const struct config_static *cs, struct error *err);

/*
 * Edits domains.conf: fn gets a freshly loaded copy of the current file whose
 * memory lives in a (fn allocates new values there too) and changes it; the
 * result is checked and written back atomically. fn returns false with err
 * set to refuse; nothing is written then.
 */
typedef bool (*config_edit_fn)(void *arg, struct cfg_dynamic *d, struct arena *a,
			       struct error *err);
bool config_edit_dynamic(const struct config_static *cs, config_edit_fn fn, void *arg,
			 struct error *err);

/* Reads the identity of path's current version. */
bool config_file_id_read(const char *path, struct config_file_id *id, struct error *err);

#endif
