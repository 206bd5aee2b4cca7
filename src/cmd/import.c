/*
 * "tern import mbox|maildir ACCOUNT MAILBOX PATH": messages from mbox
 * files and Maildirs into a mailbox (created when missing). The command
 * reads the files, so they need to be readable by whoever runs it, not by
 * the server; with a server running the messages travel over the ctl
 * socket and the server delivers them (see storecmd.h).
 */
#include "cmd/cmd.h"

#include "base/arena.h"
#include "base/buf.h"
#include "cmd/storecmd.h"
#include "store/importer.h"
#include "store/maildir.h"
#include "store/mbox.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct source {
	bool maildir;
	struct mbox_reader mbox;
	struct maildir_reader dir;
	void *map;
	size_t maplen;
};

static bool source_open_mbox(struct source *s, const char *path, struct error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_errno(err, errno, "open %s", path);
	struct stat st;
	bool ok = fstat(fd, &st) == 0 || error_errno(err, errno, "stat %s", path);
	if (ok && !S_ISREG(st.st_mode))
		ok = error_set(err, ERR_INVALID, "%s is not a file (an mbox is one file)", path);
	if (ok && st.st_size > 0) {
		s->maplen = (size_t)st.st_size;
		s->map = mmap(NULL, s->maplen, PROT_READ, MAP_PRIVATE, fd, 0);
		if (s->map == MAP_FAILED) {
			s->map = NULL;
			ok = error_errno(err, errno, "map %s", path);
		}
	}
	close(fd);
	if (ok)
		mbox_reader_init(&s->mbox, path, s->map ? s->map : "", s->map ? s->maplen : 0,
				 STORE_IMPORT_MESSAGE_MAX);
	return ok;
}

static bool source_open(struct source *s, bool maildir, const char *path, struct error *err)
{
	memset(s, 0, sizeof *s);
	s->maildir = maildir;
	if (maildir)
		return maildir_reader_open(&s->dir, path, STORE_IMPORT_MESSAGE_MAX, err);
	return source_open_mbox(s, path, err);
}

static int source_next(struct source *s, struct store_import_msg *m, struct arena *ar,
		       struct error *err)
{
	return s->maildir ? maildir_read(&s->dir, m, ar, err) : mbox_read(&s->mbox, m, ar, err);
}

static void source_close(struct source *s)
{
	if (s->maildir)
		maildir_reader_close(&s->dir);
	else if (s->map)
		munmap(s->map, s->maplen);
}

static void print_progress(void *arg, size_t n)
{
	(void)arg;
	printf("%zu messages imported\n", n);
	fflush(stdout);
}

/* Without a server: deliver through an importer on the account opened here. */
static bool import_local(const struct cmd_env *env, const char *account, const char *mailbox,
			 struct source *src, size_t *count, struct error *err)
{
	struct config *cfg;
	struct store_account *a;
	int64_t quota;
	if (!storecmd_open_local(env, account, &cfg, &a, &quota, err))
		return false;
	struct store_importer_options o = {
	    .mailbox = mailbox, .quota = quota, .progress = print_progress};
	struct store_importer *im;
	bool ok = store_importer_start(a, &o, &im, err);
	if (ok) {
		struct store_import_msg m;
		memset(&m, 0, sizeof m);
		struct arena ar;
		arena_init(&ar, 4096);
		struct arena_mark mark = arena_mark(&ar);
		int rc;
		while ((rc = source_next(src, &m, &ar, err)) == 1) {
			if (!store_importer_add(im, &m, err))
				break;
			arena_rewind(&ar, mark);
		}
		ok = rc == 0;
		struct error ferr;
		bool fok = store_importer_finish(im, count, &ferr);
		if (ok && !fok)
			*err = ferr;
		ok = ok && fok;
		buf_free(&m.data);
		arena_free(&ar);
	}
	storecmd_close_local(cfg, a);
	return ok;
}

/* What the server said so far. */
struct remote {
	struct ctl_conn c;
	size_t imported;
	bool done;   /* the status arrived */
	bool failed; /* ... and was an error (in err) */
	struct error err;
};

/* Handles one frame from the server: progress, the count, or the status. */
static bool remote_frame(struct remote *r, struct error *err)
{
	struct buf f = BUF_INIT;
	bool ok = ctl_recv(&r->c, &f, err);
	if (ok) {
		const char *s = buf_cstr(&f);
		unsigned long long n;
		if (sscanf(s, "progress %llu", &n) == 1) {
			print_progress(NULL, (size_t)n);
		} else if (sscanf(s, "imported %llu", &n) == 1) {
			r->imported = (size_t)n;
		} else if (strcmp(s, "ok") == 0) {
			r->done = true;
		} else {
			r->done = r->failed = true;
			error_set(&r->err, ERR_INVALID, "%s",
				  strncmp(s, "error: ", 7) == 0 ? s + 7 : s);
		}
	}
	buf_free(&f);
	return ok;
}

/* Reads what the server has sent without waiting (progress while we send). */
static bool remote_poll(struct remote *r, struct error *err)
{
	struct pollfd p = {.fd = r->c.fd, .events = POLLIN};
	while (!r->done && poll(&p, 1, 0) == 1)
		if (!remote_frame(r, err))
			return false;
	return true;
}

static bool send_message(struct remote *r, const struct store_import_msg *m, struct buf *meta,
			 struct error *err)
{
	buf_reset(meta);
	store_import_meta_format(m, meta);
	return ctl_send_str(&r->c, buf_cstr(meta), err) &&
	       ctl_send(&r->c, m->data.data ? m->data.data : "", m->data.len, err) &&
	       remote_poll(r, err);
}

static bool send_all(struct remote *r, struct source *src, struct error *err)
{
	struct store_import_msg m;
	memset(&m, 0, sizeof m);
	struct buf meta = BUF_INIT;
	struct arena ar;
	arena_init(&ar, 4096);
	struct arena_mark mark = arena_mark(&ar);
	int rc;
	bool ok = true;
	while (!r->done && (rc = source_next(src, &m, &ar, err)) == 1) {
		if (!(ok = send_message(r, &m, &meta, err)))
			break;
		arena_rewind(&ar, mark);
	}
	if (ok && !r->done)
		ok = rc == 0 && ctl_send_str(&r->c, "end", err);
	buf_free(&m.data);
	buf_free(&meta);
	arena_free(&ar);
	return ok;
}

static bool import_remote(struct remote *r, const char *account, const char *mailbox,
			  struct source *src, size_t *count, struct error *err)
{
	const char *args[] = {account, mailbox};
	if (!storecmd_send_args(&r->c, args, 2, err) || !ctl_recv_status(&r->c, err))
		return false;
	bool sent = send_all(r, src, err);
	/* After a failed send the server may still have said why: its answer wins. */
	struct error rerr;
	while (!r->done && remote_frame(r, &rerr))
		;
	*count = r->imported;
	if (r->failed) {
		*err = r->err;
		return false;
	}
	if (sent && !r->done)
		*err = rerr;
	return sent && r->done;
}

static int run_import(const struct cmd_env *env, int argc, char **argv, bool maildir)
{
	const char *what = maildir ? "maildir" : "mbox";
	if (argc != 3) {
		fprintf(stderr, "usage: tern import %s $account $mailbox $%s\n", what, what);
		return 2;
	}
	struct error err = {0};
	struct source src;
	if (!source_open(&src, maildir, argv[2], &err))
		return cmd_fail("import: %s", err.msg);
	struct remote r;
	memset(&r, 0, sizeof r);
	bool running;
	size_t count = 0;
	bool ok = storecmd_dial(env, "import", &r.c, &running, &err);
	if (ok && running) {
		ok = import_remote(&r, argv[0], argv[1], &src, &count, &err);
		ctl_close(&r.c);
	} else if (ok) {
		ok = import_local(env, argv[0], argv[1], &src, &count, &err);
	}
	source_close(&src);
	if (!ok)
		return cmd_fail("import: %s (%zu messages imported before)", err.msg, count);
	printf("imported %zu messages into mailbox %s of account %s\n", count, argv[1], argv[0]);
	return 0;
}

static int run_import_mbox(const struct cmd_env *env, int argc, char **argv)
{
	return run_import(env, argc, argv, false);
}

static int run_import_maildir(const struct cmd_env *env, int argc, char **argv)
{
	return run_import(env, argc, argv, true);
}

#define IMPORT_COMMON_HELP                                                                         \
	"The messages are added to the mailbox, which is created when missing. When tern\n"        \
	"serve runs, the messages are sent to it over its control socket and it delivers\n"        \
	"them, so IMAP sessions see them arrive; otherwise the account is opened\n"                \
	"directly. The files are read by this command: they need to be readable by the\n"          \
	"user running it, not by the server.\n\n"                                                  \
	"Messages are imported even when already present: importing twice gives\n"                 \
	"duplicates. Line endings become CRLF, as mail is stored. Progress is printed\n"           \
	"every 1000 messages. Malformed input stops the import with the file name (and\n"          \
	"line number) of the problem; messages imported before it stay. Messages are\n"            \
	"limited to 64 MiB each.\n"

const struct command cmd_import[] = {
    {"import maildir", "$account $mailbox $maildir",
     "Import a Maildir into a mailbox of an account.\n\n"
     "The messages in new/ and cur/ are imported, with the flags of their file names\n"
     "(S seen, R answered, F flagged, T deleted, D draft) and the keywords that a\n"
     "dovecot-keywords file beside them gives to the letters a-z (its well-known\n"
     "names such as $Forwarded or Junk become those flags). A message's internal date\n"
     "is its file's modification time.\n\n" IMPORT_COMMON_HELP,
     run_import_maildir},
    {"import mbox", "$account $mailbox $mbox",
     "Import an mbox file into a mailbox of an account.\n\n"
     "Messages start at \"From \" lines. The quoting of \"From \" lines in message\n"
     "bodies is detected: mboxrd (\">From \" and \">>From \" each lose one \">\") or\n"
     "mboxo (only \">From \" is unquoted). The date on the \"From \" line becomes the\n"
     "internal date; the Status, X-Status and X-Keywords headers give the flags and\n"
     "keywords, as mutt, Dovecot and mox write them. Maildir is the better defined\n"
     "format.\n\n" IMPORT_COMMON_HELP,
     run_import_mbox},
};
const size_t cmd_import_count = sizeof cmd_import / sizeof cmd_import[0];
