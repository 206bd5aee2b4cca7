/*
 * Maildirs: flags in file names, Dovecot's keyword letters, reading a
 * Maildir's messages for import (see maildir.h).
 */
#include "store/maildir.h"

#include "base/file.h"
#include "base/mem.h"
#include "base/str.h"
#include "store/eol.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- dovecot-keywords --- */

static bool keywords_line(const char *name, size_t lineno, struct str line, struct arena *ar,
			  struct maildir_keywords *out, struct error *err)
{
	struct str num, kw;
	uint64_t idx;
	uint32_t bit;
	const char *k;
	if (!str_cut(line, ' ', &num, &kw) || kw.len == 0)
		return error_set(err, ERR_INVALID, "%s:%zu: expected \"NUMBER KEYWORD\"", name,
				 lineno);
	if (!str_parse_u64(num, 1000000, &idx))
		return error_set(err, ERR_INVALID, "%s:%zu: bad keyword number", name, lineno);
	if (idx >= MAILDIR_KEYWORDS_MAX)
		return error_set(err, ERR_INVALID, "%s:%zu: keyword number %llu above %d", name,
				 lineno, (unsigned long long)idx, MAILDIR_KEYWORDS_MAX - 1);
	if (out->v[idx])
		return error_set(err, ERR_INVALID, "%s:%zu: keyword number %llu defined twice",
				 name, lineno, (unsigned long long)idx);
	if (!store_import_flag(kw.p, kw.len, ar, &bit, &k))
		return error_set(err, ERR_INVALID, "%s:%zu: %.*s is not a valid keyword", name,
				 lineno, (int)(kw.len > 100 ? 100 : kw.len), kw.p);
	out->v[idx] = arena_strndup(ar, kw.p, kw.len);
	if (idx + 1 > out->n)
		out->n = idx + 1;
	return true;
}

bool maildir_keywords_parse(const char *name, const char *data, size_t len, struct arena *ar,
			    struct maildir_keywords *out, struct error *err)
{
	memset(out, 0, sizeof *out);
	size_t lineno = 0;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (data + i)) : len - i;
		struct str line = str_make(data + i, n);
		i += n + 1;
		lineno++;
		if (line.len > 0 && line.p[line.len - 1] == '\r')
			line.len--;
		if (line.len == 0)
			continue;
		if (!keywords_line(name, lineno, line, ar, out, err))
			return false;
	}
	return true;
}

void maildir_keywords_format(const struct maildir_keywords *k, struct buf *out)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->v[i])
			buf_printf(out, "%zu %s\n", i, k->v[i]);
}

/* --- flags in file names --- */

static const char *info_part(const char *filename)
{
	const char *base = strrchr(filename, '/');
	base = base ? base + 1 : filename;
	const char *info = NULL;
	for (const char *p = base; (p = strstr(p, "2,")) != NULL; p++)
		if (p > base && (p[-1] == ':' || p[-1] == '!'))
			info = p + 2;
	return info;
}

void maildir_name_flags(const char *filename, const struct maildir_keywords *kw, struct arena *ar,
			struct store_import_msg *m)
{
	const char *info = info_part(filename);
	for (const char *p = info; p && *p; p++) {
		switch (*p) {
		case 'S': m->flags |= STORE_FLAG_SEEN; break;
		case 'R': m->flags |= STORE_FLAG_ANSWERED; break;
		case 'F': m->flags |= STORE_FLAG_FLAGGED; break;
		case 'T': m->flags |= STORE_FLAG_DELETED; break;
		case 'D': m->flags |= STORE_FLAG_DRAFT; break;
		default: break; /* P (passed) and unknown letters have no IMAP flag */
		}
		if (*p < 'a' || *p > 'z' || !kw || !kw->v[*p - 'a'])
			continue;
		uint32_t bit;
		const char *k;
		const char *name = kw->v[*p - 'a'];
		if (store_import_flag(name, strlen(name), ar, &bit, &k)) {
			m->flags |= bit;
			if (k)
				store_import_add_keyword(m, k);
		}
	}
}

static char letter_for(struct maildir_keywords *k, const char *name, struct arena *ar)
{
	for (size_t i = 0; i < k->n; i++)
		if (ascii_caseeq(k->v[i], name))
			return (char)('a' + i);
	if (k->n >= MAILDIR_KEYWORDS_MAX)
		return 0;
	k->v[k->n] = arena_strdup(ar, name);
	return (char)('a' + k->n++);
}

static int cmp_char(const void *a, const void *b)
{
	return *(const char *)a - *(const char *)b;
}

void maildir_name_info(uint32_t flags, const struct store_keywords *kw, struct maildir_keywords *k,
		       struct arena *ar, struct buf *out, size_t *dropped)
{
	static const struct {
		uint32_t bit;
		char c;
	} sys[] = {{STORE_FLAG_DRAFT, 'D'},
		   {STORE_FLAG_FLAGGED, 'F'},
		   {STORE_FLAG_ANSWERED, 'R'},
		   {STORE_FLAG_SEEN, 'S'},
		   {STORE_FLAG_DELETED, 'T'}};
	buf_puts(out, ":2,");
	for (size_t i = 0; i < sizeof sys / sizeof sys[0]; i++)
		if (flags & sys[i].bit)
			buf_putc(out, sys[i].c);
	char letters[MAILDIR_KEYWORDS_MAX];
	size_t n = 0;
	for (uint32_t bit = STORE_FLAG_FORWARDED; bit <= STORE_FLAG_MDNSENT; bit <<= 1) {
		if (!(flags & bit))
			continue;
		char c = letter_for(k, store_flag_name(bit), ar);
		if (c)
			letters[n++] = c;
		else
			(*dropped)++;
	}
	for (size_t i = 0; kw && i < kw->n; i++) {
		char c = letter_for(k, kw->v[i], ar);
		if (c && n < MAILDIR_KEYWORDS_MAX)
			letters[n++] = c;
		else
			(*dropped)++;
	}
	/* The Maildir spec: info letters in ASCII order. */
	qsort(letters, n, 1, cmp_char);
	buf_append(out, letters, n);
}

/* --- reading a Maildir --- */

static int cmp_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_regular(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Appends the message files of DIR/sub, sorted by name. */
static bool list_sub(struct maildir_reader *r, const char *sub, size_t *cap, struct error *err)
{
	char *d = path_join(r->dir, sub);
	DIR *dh = opendir(d);
	if (!dh) {
		bool ok = error_errno(err, errno, "%s: not a Maildir (opening %s/)", r->dir, sub);
		free(d);
		return ok;
	}
	size_t first = r->n;
	struct dirent *de;
	bool ok = true;
	while (ok && (de = readdir(dh)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *p = path_join(d, de->d_name);
		if (!is_regular(p)) {
			free(p);
			continue;
		}
		if (r->n >= MAILDIR_FILES_MAX) {
			free(p);
			ok = error_set(err, ERR_LIMIT, "%s: more than %d messages", r->dir,
				       MAILDIR_FILES_MAX);
			break;
		}
		if (r->n == *cap) {
			*cap = *cap ? *cap * 2 : 256;
			r->paths = xreallocarray(r->paths, *cap, sizeof *r->paths);
		}
		r->paths[r->n++] = p;
	}
	closedir(dh);
	free(d);
	if (r->n > first + 1)
		qsort(r->paths + first, r->n - first, sizeof *r->paths, cmp_path);
	return ok;
}

static bool read_keywords(struct maildir_reader *r, struct error *err)
{
	char *path = path_join(r->dir, "dovecot-keywords");
	struct buf b = BUF_INIT;
	bool ok = true;
	if (file_exists(path))
		ok = file_read_all(path, MAILDIR_KEYWORDS_FILE_MAX, &b, err) &&
		     maildir_keywords_parse(path, b.data ? b.data : "", b.len, &r->ar, &r->kw, err);
	buf_free(&b);
	free(path);
	return ok;
}

bool maildir_reader_open(struct maildir_reader *r, const char *dir, size_t max, struct error *err)
{
	memset(r, 0, sizeof *r);
	arena_init(&r->ar, 4096);
	r->dir = xstrdup(dir);
	r->max = max;
	size_t cap = 0;
	if (list_sub(r, "new", &cap, err) && list_sub(r, "cur", &cap, err) && read_keywords(r, err))
		return true;
	maildir_reader_close(r);
	return false;
}

static bool read_file(const char *path, size_t max, struct buf *raw, int64_t *mtime,
		      struct error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_errno(err, errno, "open %s", path);
	struct stat st;
	bool ok = fstat(fd, &st) == 0;
	if (!ok)
		error_errno(err, errno, "stat %s", path);
	else if ((uint64_t)st.st_size > max)
		ok = error_set(err, ERR_INVALID, "%s: message larger than %zu bytes", path, max);
	close(fd);
	*mtime = ok ? (int64_t)st.st_mtime : 0;
	/* Read by name again, bounded: the file may grow after the check. */
	if (ok && !file_read_all(path, max, raw, err))
		ok = error_prefix(err, "reading message");
	return ok;
}

int maildir_read(struct maildir_reader *r, struct store_import_msg *m, struct arena *ar,
		 struct error *err)
{
	if (r->next >= r->n)
		return 0;
	const char *path = r->paths[r->next++];
	struct buf raw = BUF_INIT;
	buf_reset(&m->data);
	m->flags = 0;
	m->nkeywords = 0;
	m->received_tz = 0;
	snprintf(m->origin, sizeof m->origin, "%s", path);
	bool ok = read_file(path, r->max, &raw, &m->received, err);
	if (ok) {
		eol_to_crlf(&m->data, raw.data ? raw.data : "", raw.len);
		if (m->data.len > r->max)
			ok = error_set(err, ERR_INVALID, "%s: message larger than %zu bytes", path,
				       r->max);
	}
	buf_free(&raw);
	if (!ok)
		return -1;
	maildir_name_flags(path, &r->kw, ar, m);
	return 1;
}

void maildir_reader_close(struct maildir_reader *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->paths[i]);
	free(r->paths);
	free(r->dir);
	arena_free(&r->ar);
	memset(r, 0, sizeof *r);
}
