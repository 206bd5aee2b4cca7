/*
 * The layout of index.db and the creation of a new account.
 */
#include "store/internal.h"

#include "base/arena.h"
#include "base/mem.h"

#include <string.h>
#include <time.h>

/*
 * Tables:
 *   account        one row: counters (UIDVALIDITY, MODSEQ, file ids), total size
 *   mailboxes      one row per mailbox, with its counts kept exact
 *   files          one row per message file: size, references, parsed form
 *   messages       one row per message in a mailbox (copies share a file)
 *   expunged       (mailbox, uid, modseq) of expunged messages, for VANISHED
 *   subscriptions  subscribed names
 *   recent         per mailbox, the first UID no IMAP4rev1 session claimed as \Recent
 *   credentials    the auth code's opaque blob
 * Indexes serve the hot paths: (mailbox, uid) for FETCH and UID ranges,
 * (mailbox, modseq) for CONDSTORE, file_id for shared files, message-id and
 * base subject for threading, the sender for "messages from X".
 * The schema's version is the file's user_version (db/db.h checks it); the
 * account row's schema_version column is written the same, for tools and
 * for the tern versions that read it there.
 */
static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS account ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " schema_version INTEGER NOT NULL,"
    " next_uidvalidity INTEGER NOT NULL,"
    " last_modseq INTEGER NOT NULL,"
    " file_id_reserved INTEGER NOT NULL,"
    " size INTEGER NOT NULL,"
    " clean_close INTEGER NOT NULL,"
    " created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS mailboxes ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " name TEXT NOT NULL UNIQUE,"
    " uidvalidity INTEGER NOT NULL,"
    " uidnext INTEGER NOT NULL,"
    " modseq INTEGER NOT NULL,"
    " highestmodseq INTEGER NOT NULL,"
    " specialuse INTEGER NOT NULL,"
    " keywords TEXT NOT NULL,"
    " total INTEGER NOT NULL, deleted INTEGER NOT NULL, unread INTEGER NOT NULL,"
    " unseen INTEGER NOT NULL, size INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS files ("
    " id INTEGER PRIMARY KEY,"
    " size INTEGER NOT NULL,"
    " refs INTEGER NOT NULL,"
    " parsed BLOB);"
    "CREATE TABLE IF NOT EXISTS messages ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " mailbox_id INTEGER NOT NULL,"
    " uid INTEGER NOT NULL,"
    " file_id INTEGER NOT NULL,"
    " modseq INTEGER NOT NULL,"
    " createseq INTEGER NOT NULL,"
    " flags INTEGER NOT NULL,"
    " keywords TEXT NOT NULL,"
    " size INTEGER NOT NULL,"
    " received INTEGER NOT NULL,"
    " received_tz INTEGER NOT NULL,"
    " saved INTEGER NOT NULL,"
    " mailbox_orig_id INTEGER NOT NULL,"
    " is_reject INTEGER NOT NULL,"
    " message_id TEXT NOT NULL,"
    " subject_base TEXT NOT NULL,"
    " from_addr TEXT NOT NULL,"
    " thread_id INTEGER NOT NULL,"
    " thread_parents TEXT NOT NULL,"
    " thread_missing_link INTEGER NOT NULL,"
    " UNIQUE (mailbox_id, uid));"
    "CREATE INDEX IF NOT EXISTS messages_modseq ON messages (mailbox_id, modseq);"
    "CREATE INDEX IF NOT EXISTS messages_file ON messages (file_id);"
    "CREATE INDEX IF NOT EXISTS messages_msgid ON messages (message_id) WHERE message_id != '';"
    "CREATE INDEX IF NOT EXISTS messages_subject ON messages (subject_base, mailbox_orig_id, "
    " received) WHERE subject_base != '';"
    "CREATE INDEX IF NOT EXISTS messages_from ON messages (from_addr, received)"
    " WHERE from_addr != '';"
    "CREATE INDEX IF NOT EXISTS messages_thread ON messages (thread_id);"
    "CREATE TABLE IF NOT EXISTS expunged ("
    " mailbox_id INTEGER NOT NULL,"
    " uid INTEGER NOT NULL,"
    " modseq INTEGER NOT NULL,"
    " PRIMARY KEY (mailbox_id, uid)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS expunged_modseq ON expunged (mailbox_id, modseq);"
    "CREATE TABLE IF NOT EXISTS subscriptions (name TEXT PRIMARY KEY) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS recent ("
    " mailbox_id INTEGER PRIMARY KEY,"
    " first_uid INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS credentials ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " data BLOB NOT NULL,"
    " modified INTEGER NOT NULL);";

/*
 * Version 0 to 1 creates the tables; IF NOT EXISTS because files written before
 * the version was kept in user_version have them already (or all but the
 * newest tables). Step 0 now runs only on such files and new ones: a later
 * change to the tables is a new step, with STORE_SCHEMA_VERSION raised.
 */
static const char *const schema_steps[] = {schema_sql};
const struct db_schema store_index_schema = {STORE_SCHEMA_VERSION, schema_steps};

static const struct store_initial_mailbox mox_defaults[] = {
    {"Sent", STORE_SPECIALUSE_SENT},   {"Archive", STORE_SPECIALUSE_ARCHIVE},
    {"Trash", STORE_SPECIALUSE_TRASH}, {"Drafts", STORE_SPECIALUSE_DRAFTS},
    {"Junk", STORE_SPECIALUSE_JUNK},
};

/*
 * The first UIDVALIDITY of an account is the time in 2-second units, as mox
 * does: an account removed and created again does not repeat the values of
 * its previous life (RFC 9051 2.3.1.1 suggests a time-based value).
 */
static uint32_t initial_uidvalidity(void)
{
	uint32_t v = (uint32_t)((uint64_t)time(NULL) >> 1);
	return v ? v : 1;
}

static bool create_account_row(struct store_account *a, struct error *err)
{
	sqlite3_stmt *st =
	    db_stmt(&a->wdb,
		    "INSERT INTO account (id, schema_version, next_uidvalidity, last_modseq, "
		    "file_id_reserved, size, clean_close, created) VALUES (1, ?, ?, 1, 1, 0, 1, ?)",
		    err);
	if (!st)
		return false;
	sqlite3_bind_int(st, 1, STORE_SCHEMA_VERSION);
	sqlite3_bind_int64(st, 2, initial_uidvalidity());
	sqlite3_bind_int64(st, 3, (int64_t)time(NULL));
	return db_step_done(&a->wdb, st, err);
}

bool account_create_mailboxes(struct store_account *a, const struct store_account_options *o,
			      struct error *err)
{
	const struct store_initial_mailbox *list = o->initial ? o->initial : mox_defaults;
	size_t n = o->initial ? o->ninitial : sizeof mox_defaults / sizeof mox_defaults[0];
	struct arena ar;
	arena_init(&ar, 4096);
	struct change_list cl;
	changes_init(&cl);
	struct mbrow mb;
	bool ok = mbrow_ensure(a, "Inbox", true, 0, true, &ar, &cl, &mb, err);
	for (size_t i = 0; ok && i < n; i++) {
		const char *name;
		ok = store_mailbox_name_check(list[i].name, false, &ar, &name, err);
		if (!ok) {
			error_prefix(err, "initial mailbox");
			break;
		}
		ok = mbrow_ensure(a, name, true, list[i].specialuse & STORE_SPECIALUSE_ALL, true,
				  &ar, &cl, &mb, err);
	}
	changes_discard(&cl); /* nobody can be subscribed to an account being created */
	arena_free(&ar);
	return ok;
}

bool schema_init(struct store_account *a, const struct store_account_options *o, struct error *err)
{
	if (!db_begin_write(&a->wdb, err))
		return false;
	int64_t rows = 0;
	sqlite3_stmt *st = db_stmt(&a->wdb, "SELECT count(*) FROM account", err);
	bool ok = st && db_query_int(&a->wdb, st, &rows, NULL, err);
	/* An index without its account row is new, or was interrupted while being created. */
	if (ok && rows == 0)
		ok = create_account_row(a, err) && account_create_mailboxes(a, o, err);
	if (!db_end(&a->wdb, ok, err))
		return error_prefix(err, "initializing index %s", a->dbpath);
	return true;
}
