/*
 * The delivery seam on the message store: an account cache and durable
 * delivery of prefix + spooled message (see backend.h).
 */
#include "smtp/backend_internal.h"

#include "base/file.h"
#include "base/mem.h"
#include "store/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool open_account(struct smtp_backend *b, const char *name, struct store_account **out,
			 struct error *err)
{
	pthread_mutex_lock(&b->mu);
	for (size_t i = 0; i < b->naccounts; i++)
		if (strcmp(b->accounts[i].name, name) == 0) {
			*out = store_account_ref(b->accounts[i].acc);
			pthread_mutex_unlock(&b->mu);
			return true;
		}
	pthread_mutex_unlock(&b->mu);
	struct arena ar;
	arena_init(&ar, 1024);
	size_t ninitial;
	const struct config_static *cs = config_static(b->config);
	struct store_initial_mailbox *initial = store_initial_mailboxes(cs->s, &ar, &ninitial);
	struct store_account_options o = {cs->datadir, name, initial, ninitial, false, false};
	struct store_account *acc;
	bool ok = store_account_open(&o, &acc, err);
	arena_free(&ar);
	if (!ok)
		return false;
	pthread_mutex_lock(&b->mu);
	bool cached = false;
	for (size_t i = 0; i < b->naccounts && !cached; i++)
		cached = strcmp(b->accounts[i].name, name) == 0;
	if (!cached && b->naccounts < SMTP_BACKEND_ACCOUNTS_MAX) {
		b->accounts[b->naccounts].name = xstrdup(name);
		b->accounts[b->naccounts].acc = store_account_ref(acc);
		b->naccounts++;
	}
	pthread_mutex_unlock(&b->mu);
	*out = acc;
	return true;
}

/* Writes prefix and then the spooled message into the store's temporary file. */
static bool fill_tmpfile(const struct smtp_delivery *d, int fd, struct error *err)
{
	if (!fd_write_all(fd, d->prefix, d->prefix_len, err))
		return false;
	off_t in = 0;
	uint64_t left = d->size;
	while (left > 0) {
		ssize_t n = copy_file_range(d->fd, &in, fd, NULL, left, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* Filesystems without copy_file_range (or across them): copy by hand. */
			char buf[64 * 1024];
			ssize_t r =
			    pread(d->fd, buf, left < sizeof buf ? (size_t)left : sizeof buf, in);
			if (r <= 0)
				return error_errno(err, r < 0 ? errno : EIO,
						   "reading spooled message");
			if (!fd_write_all(fd, buf, (size_t)r, err))
				return false;
			n = r;
			in += r;
		}
		left -= (uint64_t)n;
	}
	return true;
}

static bool deliver(void *arg, const struct smtp_delivery *d, struct error *err)
{
	struct smtp_backend *b = arg;
	struct store_account *acc;
	if (!open_account(b, d->account, &acc, err))
		return error_prefix(err, "opening account %s", d->account);
	struct arena ar;
	arena_init(&ar, 1024);
	const char *mailbox;
	struct store_tmpfile tf = {-1, NULL, false};
	bool ok = store_mailbox_name_check(d->mailbox, true, &ar, &mailbox, err) &&
		  store_tmpfile_create(acc, &tf, err) && fill_tmpfile(d, tf.fd, err);
	if (ok) {
		struct store_target t = {.mailbox_name = mailbox, .create = true};
		struct store_delivery sd = {
		    .file = &tf, .quota = d->quota, .targets = &t, .ntargets = 1};
		ok = store_deliver(acc, &sd, err);
		if (ok)
			log_debug(d->lg, "stored", LS("account", d->account),
				  LS("mailbox", mailbox), LI("uid", t.uid), LI("size", sd.size));
	}
	if (tf.fd >= 0 || tf.path)
		store_tmpfile_discard(&tf);
	arena_free(&ar);
	store_account_close(acc);
	return ok;
}

void smtp_backend_forget_account(struct smtp_backend *b, const char *name)
{
	struct store_account *acc = NULL;
	pthread_mutex_lock(&b->mu);
	for (size_t i = 0; i < b->naccounts; i++)
		if (strcmp(b->accounts[i].name, name) == 0) {
			acc = b->accounts[i].acc;
			free(b->accounts[i].name);
			b->accounts[i] = b->accounts[--b->naccounts];
			break;
		}
	pthread_mutex_unlock(&b->mu);
	store_account_close(acc);
}

void backend_store_init(struct smtp_backend *b)
{
	b->delivery = (struct smtp_delivery_ops){deliver, b};
}

void backend_store_free(struct smtp_backend *b)
{
	for (size_t i = 0; i < b->naccounts; i++) {
		store_account_close(b->accounts[i].acc);
		free(b->accounts[i].name);
	}
	b->naccounts = 0;
}
