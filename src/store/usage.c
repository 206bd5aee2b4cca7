/*
 * Usage figures that are computed, not kept: bytes an EXPUNGE would free.
 */
#include "store/internal.h"

bool store_mailbox_deleted_size(struct store_account *a, int64_t mailbox_id, int64_t *bytes,
				struct error *err)
{
	*bytes = 0;
	struct db *db = store_reader(a, err);
	if (!db)
		return false;
	bool ok = db_begin_read(db, err);
	sqlite3_stmt *st =
	    ok ? db_stmt(db,
			 "SELECT coalesce(sum(size), 0) FROM messages WHERE mailbox_id = ? AND "
			 "(flags & ?) != 0",
			 err)
	       : NULL;
	if (st) {
		sqlite3_bind_int64(st, 1, mailbox_id);
		sqlite3_bind_int64(st, 2, STORE_FLAG_DELETED);
		ok = db_query_int(db, st, bytes, NULL, err);
	} else {
		ok = false;
	}
	store_reader_done(a, db);
	return ok;
}
