#include "test_store_helpers.h"

#include "base/file.h"
#include "base/mem.h"
#include "db/db.h"
#include "config/static.h"

#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

Test(store_account, new_account_has_mox_default_mailboxes)
{
	struct tstore t;
	tstore_open(&t);
	struct store_mailbox *mbs;
	size_t n;
	struct error err;
	cr_assert(store_mailboxes_list(t.a, &t.ar, &mbs, &n, &err), "%s", err.msg);
	cr_assert_eq(n, 6);
	const char *names[] = {"Archive", "Drafts", "Inbox", "Junk", "Sent", "Trash"};
	uint32_t uses[] = {
	    STORE_SPECIALUSE_ARCHIVE, STORE_SPECIALUSE_DRAFTS, 0,
	    STORE_SPECIALUSE_JUNK,    STORE_SPECIALUSE_SENT,   STORE_SPECIALUSE_TRASH};
	for (size_t i = 0; i < n; i++) {
		cr_assert_str_eq(mbs[i].name, names[i]);
		cr_assert_eq(mbs[i].specialuse, uses[i], "%s", names[i]);
		cr_assert(mbs[i].subscribed);
		cr_assert_eq(mbs[i].uidnext, 1);
		cr_assert_gt(mbs[i].uidvalidity, 0);
		for (size_t j = 0; j < i; j++)
			cr_assert_neq(mbs[i].uidvalidity, mbs[j].uidvalidity);
	}
	char *db = path_join(t.dir, "accounts/mjl/index.db");
	cr_assert(file_exists(db));
	free(db);
	tstore_close(&t);
}

Test(store_account, initial_mailboxes_from_caller)
{
	char tmpl[] = "/tmp/tern-store-XXXXXX";
	cr_assert(mkdtemp(tmpl));
	struct store_initial_mailbox init[] = {{"Verzonden", STORE_SPECIALUSE_SENT},
					       {"Lists/tern", 0}};
	struct store_account_options o = {
	    .data_dir = tmpl, .name = "other", .initial = init, .ninitial = 2};
	struct store_account *a;
	struct error err;
	cr_assert(store_account_open(&o, &a, &err), "%s", err.msg);
	struct arena ar;
	arena_init(&ar, 4096);
	struct store_mailbox *mbs;
	size_t n;
	cr_assert(store_mailboxes_list(a, &ar, &mbs, &n, &err));
	cr_assert_eq(n, 4);
	cr_assert_str_eq(mbs[0].name, "Inbox");
	cr_assert_str_eq(mbs[1].name, "Lists");
	cr_assert_str_eq(mbs[2].name, "Lists/tern");
	cr_assert_str_eq(mbs[3].name, "Verzonden");
	cr_assert_eq(mbs[3].specialuse, STORE_SPECIALUSE_SENT);
	tcheck(a);
	store_account_close(a);
	arena_free(&ar);
	trmrf(tmpl);
}

Test(store_account, handle_is_shared_and_refcounted)
{
	struct tstore t;
	tstore_open(&t);
	struct store_account *b = topen_account(t.dir, "mjl");
	cr_assert_eq(b, t.a);
	struct store_account *c = store_account_ref(b);
	cr_assert_eq(c, t.a);
	store_account_close(c);
	store_account_close(b);
	/* still open through t.a */
	tdeliver(&t, "Inbox", "Subject: x\r\n\r\nhi\r\n", 0);
	tstore_close(&t);
}

Test(store_account, index_of_a_newer_tern_is_refused)
{
	struct tstore t;
	tstore_open(&t);
	char *dbpath = xasprintf("%s/accounts/mjl/index.db", t.dir);
	store_account_close(t.a);
	t.a = NULL;
	struct stat st;
	cr_assert_eq(stat(dbpath, &st), 0);
	mode_t mask = umask(0);
	umask(mask);
	cr_assert_eq(st.st_mode & 0777, 0660 & ~mask, "the group may read the index (backups)");
	struct db db;
	struct db_options o = {.role = DB_READ_WRITE};
	struct error err;
	cr_assert(db_open(&db, dbpath, &o, &err), "%s", err.msg);
	cr_assert(db_exec(&db, "PRAGMA user_version = 9", &err));
	db_close(&db);
	struct store_account_options ao = {.data_dir = t.dir, .name = "mjl"};
	struct store_account *a = NULL;
	cr_assert_not(store_account_open(&ao, &a, &err));
	cr_assert_eq(err.kind, ERR_INVALID);
	cr_assert(strstr(err.msg, "schema version 9, newer"), "%s", err.msg);
	free(dbpath);
	tstore_close(&t);
}

Test(store_account, names_that_escape_are_refused)
{
	const char *bad[] = {"", ".", "..", "a/b", "../x", "a\\b", "tab\there", "nl\n"};
	struct error err;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cr_assert(!store_account_name_valid(bad[i], &err), "%s", bad[i]);
		cr_assert_eq(err.kind, ERR_INVALID);
	}
	cr_assert(store_account_name_valid("mjl", &err));
	cr_assert(store_account_name_valid("jöran.example", &err));
	char tmpl[] = "/tmp/tern-store-XXXXXX";
	cr_assert(mkdtemp(tmpl));
	struct store_account_options o = {.data_dir = tmpl, .name = "../evil"};
	struct store_account *a;
	cr_assert(!store_account_open(&o, &a, &err));
	cr_assert_eq(err.kind, ERR_INVALID);
	trmrf(tmpl);
}

Test(store_account, credentials_get_set)
{
	struct tstore t;
	tstore_open(&t);
	struct buf b = BUF_INIT;
	bool found = true;
	struct error err;
	cr_assert(store_account_credentials_get(t.a, &b, &found, &err), "%s", err.msg);
	cr_assert(!found);
	const char blob1[] = "v1\0binary\xff";
	cr_assert(store_account_credentials_set(t.a, blob1, sizeof blob1, &err), "%s", err.msg);
	cr_assert(store_account_credentials_get(t.a, &b, &found, &err));
	cr_assert(found);
	cr_assert_eq(b.len, sizeof blob1);
	cr_assert_eq(memcmp(b.data, blob1, sizeof blob1), 0);
	buf_reset(&b);
	cr_assert(store_account_credentials_set(t.a, "v2", 2, &err));
	cr_assert(store_account_credentials_get(t.a, &b, &found, &err));
	cr_assert_eq(b.len, 2);
	cr_assert_eq(memcmp(b.data, "v2", 2), 0);
	char *big = calloc(1, STORE_CREDENTIALS_MAX + 1);
	cr_assert(!store_account_credentials_set(t.a, big, STORE_CREDENTIALS_MAX + 1, &err));
	cr_assert_eq(err.kind, ERR_INVALID);
	free(big);
	/* survives reopening */
	store_account_close(t.a);
	t.a = topen_account(t.dir, "mjl");
	buf_reset(&b);
	cr_assert(store_account_credentials_get(t.a, &b, &found, &err));
	cr_assert(found && b.len == 2);
	buf_free(&b);
	tstore_close(&t);
}

Test(store_account, no_create_and_second_process_lock)
{
	char tmpl[] = "/tmp/tern-store-XXXXXX";
	cr_assert(mkdtemp(tmpl));
	struct store_account_options o = {.data_dir = tmpl, .name = "nobody", .no_create = true};
	struct store_account *a;
	struct error err;
	cr_assert(!store_account_open(&o, &a, &err));
	cr_assert_eq(err.kind, ERR_NOTFOUND, "%s", err.msg);
	o.no_create = false;
	/* Another process holds the account: opening here must fail, not share it. */
	int ready[2], quit[2];
	cr_assert_eq(pipe(ready), 0);
	cr_assert_eq(pipe(quit), 0);
	pid_t pid = fork();
	if (pid == 0) {
		struct store_account *b;
		struct error e2;
		char c = store_account_open(&o, &b, &e2) ? 'y' : 'n';
		if (write(ready[1], &c, 1) != 1 || read(quit[0], &c, 1) != 1)
			_exit(2);
		store_account_close(b);
		_exit(0);
	}
	char c;
	cr_assert_eq(read(ready[0], &c, 1), 1);
	cr_assert_eq(c, 'y');
	cr_assert(!store_account_open(&o, &a, &err));
	cr_assert_eq(err.kind, ERR_TEMPORARY, "%s", err.msg);
	cr_assert_eq(write(quit[1], "q", 1), 1);
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Free again once the other process is gone. */
	cr_assert(store_account_open(&o, &a, &err), "%s", err.msg);
	tcheck(a);
	store_account_close(a);
	close(ready[0]);
	close(ready[1]);
	close(quit[0]);
	close(quit[1]);
	trmrf(tmpl);
}

Test(store_account, initial_mailboxes_from_static_config)
{
	struct arena ar;
	arena_init(&ar, 4096);
	struct cfg_static st;
	memset(&st, 0, sizeof st);
	size_t n;
	/* nothing configured: NULL, meaning mox's defaults */
	cr_assert_null(store_initial_mailboxes(&st, &ar, &n));
	/* InitialMailboxes: special use by role, then the regular ones; Inbox skipped */
	struct cfg_initial_mailboxes im;
	memset(&im, 0, sizeof im);
	im.special_use.sent = "Verzonden";
	im.special_use.junk = "Spam";
	const char *regular[] = {"Lists", "INBOX"};
	im.regular.v = regular;
	im.regular.n = 2;
	st.initial_mailboxes = &im;
	struct store_initial_mailbox *v = store_initial_mailboxes(&st, &ar, &n);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(v[0].name, "Spam");
	cr_assert_eq(v[0].specialuse, STORE_SPECIALUSE_JUNK);
	cr_assert_str_eq(v[1].name, "Verzonden");
	cr_assert_eq(v[1].specialuse, STORE_SPECIALUSE_SENT);
	cr_assert_str_eq(v[2].name, "Lists");
	cr_assert_eq(v[2].specialuse, 0);
	/* DefaultMailboxes (deprecated) wins, special use guessed from the name as mox does */
	const char *defaults[] = {"Inbox", "Sent Items", "Archive", "Other"};
	st.default_mailboxes.v = defaults;
	st.default_mailboxes.n = 4;
	v = store_initial_mailboxes(&st, &ar, &n);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(v[0].name, "Sent Items");
	cr_assert_eq(v[0].specialuse, STORE_SPECIALUSE_SENT);
	cr_assert_eq(v[1].specialuse, STORE_SPECIALUSE_ARCHIVE);
	cr_assert_eq(v[2].specialuse, 0);
	arena_free(&ar);
}

static bool account_dir_exists(const char *data_dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/accounts/%s", data_dir, name);
	return file_exists(path);
}

Test(store_account, remove_closed_account_takes_its_data)
{
	struct tstore t;
	tstore_open(&t);
	tdeliver(&t, "Inbox", "Subject: x\r\n\r\nx\r\n", 0);
	store_account_close(t.a);
	t.a = NULL;
	bool deferred = true;
	struct error err;
	cr_assert(store_account_remove(t.dir, "mjl", &deferred, &err), "%s", err.msg);
	cr_assert_not(deferred);
	cr_assert_not(account_dir_exists(t.dir, "mjl"));
	/* Moved out of its name, then removed: nothing left where it was moved to. */
	char tmp[512];
	snprintf(tmp, sizeof tmp, "%s/tmp", t.dir);
	DIR *dh = opendir(tmp);
	cr_assert_not_null(dh);
	struct dirent *de;
	while ((de = readdir(dh)) != NULL)
		cr_assert(de->d_name[0] == '.', "left in tmp: %s", de->d_name);
	closedir(dh);
	/* Nothing to remove is fine; a bad name is not. */
	cr_assert(store_account_remove(t.dir, "mjl", &deferred, &err), "%s", err.msg);
	cr_assert_not(store_account_remove(t.dir, "../mjl", &deferred, &err));
	tstore_close(&t);
}

Test(store_account, remove_open_account_waits_for_the_last_reference)
{
	struct tstore t;
	tstore_open(&t);
	tdeliver(&t, "Inbox", "Subject: x\r\n\r\nx\r\n", 0);
	bool deferred = false;
	struct error err;
	cr_assert(store_account_remove(t.dir, "mjl", &deferred, &err), "%s", err.msg);
	cr_assert(deferred);
	cr_assert(account_dir_exists(t.dir, "mjl"));
	struct store_account_options o = {.data_dir = t.dir, .name = "mjl"};
	struct store_account *again = NULL;
	cr_assert_not(store_account_open(&o, &again, &err));
	cr_assert_eq(err.kind, ERR_TEMPORARY, "%s", err.msg);
	store_account_close(t.a);
	t.a = NULL;
	cr_assert_not(account_dir_exists(t.dir, "mjl"));
	/* The name can be used again: a new, empty account. */
	t.a = topen_account(t.dir, "mjl");
	struct store_account_info info;
	cr_assert(store_account_info(t.a, &info, &err), "%s", err.msg);
	cr_assert_eq(info.messages, 0);
	tstore_close(&t);
}

Test(store_account, remove_refused_while_another_process_has_it)
{
	struct tstore t;
	tstore_open(&t);
	store_account_close(t.a);
	t.a = NULL;
	int ready[2], done[2];
	cr_assert_eq(pipe(ready), 0);
	cr_assert_eq(pipe(done), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct store_account_options o = {.data_dir = t.dir, .name = "mjl"};
		struct store_account *a;
		struct error e;
		bool ok = store_account_open(&o, &a, &e);
		char c = ok ? 'y' : 'n';
		if (write(ready[1], &c, 1) != 1 || read(done[0], &c, 1) != 1)
			_exit(2);
		_exit(ok ? 0 : 1);
	}
	char c;
	cr_assert_eq(read(ready[0], &c, 1), 1);
	cr_assert_eq(c, 'y');
	bool deferred;
	struct error err;
	cr_assert_not(store_account_remove(t.dir, "mjl", &deferred, &err));
	cr_assert_eq(err.kind, ERR_TEMPORARY, "%s", err.msg);
	cr_assert(account_dir_exists(t.dir, "mjl"));
	cr_assert_eq(write(done[1], "x", 1), 1);
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert(store_account_remove(t.dir, "mjl", &deferred, &err), "%s", err.msg);
	cr_assert_not(account_dir_exists(t.dir, "mjl"));
	for (int i = 0; i < 2; i++) {
		close(ready[i]);
		close(done[i]);
	}
	tstore_close(&t);
}

/* Threads opening and closing one account: an open racing the last close waits for the
 * close instead of failing on the account's flock (ERR_TEMPORARY). */
struct openclose_arg {
	const char *dir;
	int failures;
};

static void *openclose(void *p)
{
	struct openclose_arg *arg = p;
	for (int i = 0; i < 200; i++) {
		struct store_account_options o = {.data_dir = arg->dir, .name = "race"};
		struct store_account *a;
		struct error err;
		if (!store_account_open(&o, &a, &err)) {
			arg->failures++;
			continue;
		}
		store_account_close(a);
	}
	return NULL;
}

Test(store_account, open_racing_last_close_does_not_fail)
{
	char tmpl[] = "/tmp/tern-store-XXXXXX";
	cr_assert(mkdtemp(tmpl));
	pthread_t th[4];
	struct openclose_arg args[4];
	for (int i = 0; i < 4; i++) {
		args[i] = (struct openclose_arg){tmpl, 0};
		cr_assert_eq(pthread_create(&th[i], NULL, openclose, &args[i]), 0);
	}
	int failures = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		failures += args[i].failures;
	}
	trmrf(tmpl);
	cr_assert_eq(failures, 0, "%d opens failed", failures);
}
