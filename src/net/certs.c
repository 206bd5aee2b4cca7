#include "net/certs.h"

#include "base/buf.h"
#include "base/file.h"
#include "base/mem.h"
#include "base/str.h"

#include <errno.h>
#include <stdio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Longest DNS name (RFC 1035 2.3.4), plus room for a trailing dot. */
#define DNS_NAME_MAX 254

bool certs_openssl_error(struct error *err, enum error_kind kind, const char *what)
{
	unsigned long e = ERR_get_error();
	char reason[256] = "unknown error";
	if (e)
		ERR_error_string_n(e, reason, sizeof reason);
	ERR_clear_error();
	return error_set(err, kind, "%s: %s", what, reason);
}

void certs_stat(const struct tls_keypair *pairs, size_t n, struct file_id *ids)
{
	for (size_t i = 0; i < 2 * n; i++) {
		const char *path = i % 2 ? pairs[i / 2].key_file : pairs[i / 2].cert_file;
		struct stat st;
		memset(&ids[i], 0, sizeof ids[i]);
		if (stat(path, &st) < 0) {
			ids[i].missing = true;
			continue;
		}
		ids[i].dev = st.st_dev;
		ids[i].ino = st.st_ino;
		ids[i].size = st.st_size;
		ids[i].mtime = st.st_mtim;
	}
}

bool certs_ids_equal(const struct file_id *a, const struct file_id *b, size_t n)
{
	for (size_t i = 0; i < 2 * n; i++) {
		if (a[i].missing != b[i].missing || a[i].dev != b[i].dev || a[i].ino != b[i].ino ||
		    a[i].size != b[i].size || a[i].mtime.tv_sec != b[i].mtime.tv_sec ||
		    a[i].mtime.tv_nsec != b[i].mtime.tv_nsec)
			return false;
	}
	return true;
}

/* Never prompts: an encrypted key is an error, not a question on a terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

/* Reads a PEM file into a memory BIO; the buffer is wiped (it may hold a key). */
static BIO *read_pem(const char *path, struct buf *b, struct error *err)
{
	if (!file_read_all(path, TLS_FILE_MAX, b, err))
		return NULL;
	BIO *bio = BIO_new_mem_buf(b->data ? b->data : "", (int)b->len);
	if (!bio)
		certs_openssl_error(err, ERR_INTERNAL, "memory bio");
	return bio;
}

static void wipe(struct buf *b)
{
	if (b->data)
		OPENSSL_cleanse(b->data, b->cap);
	buf_free(b);
}

/* The leaf and the rest of the chain from PEM in bio; what names the source for errors. */
static bool parse_chain(struct cert *c, BIO *bio, const char *what, struct error *err)
{
	c->leaf = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
	if (!c->leaf) {
		certs_openssl_error(err, ERR_INVALID, "no certificate");
		return error_prefix(err, "%s", what);
	}
	ERR_clear_error();
	X509 *x;
	while ((x = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL)) != NULL)
		sk_X509_push(c->chain, x);
	/* The loop ends at "no start line" (end of file); anything else is damage. */
	unsigned long e = ERR_peek_last_error();
	if (e && !(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
		certs_openssl_error(err, ERR_INVALID, "reading chain");
		return error_prefix(err, "%s", what);
	}
	ERR_clear_error();
	return true;
}

static bool parse_key(struct cert *c, BIO *bio, const char *what, struct error *err)
{
	/* Decoders for PKCS#8, PKCS#1 and SEC1 are all tried by this one call. */
	c->key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	if (!c->key) {
		certs_openssl_error(err, ERR_INVALID, "no usable private key");
		return error_prefix(err, "%s", what);
	}
	return true;
}

static bool load_chain(struct cert *c, const char *path, struct error *err)
{
	struct buf b = BUF_INIT;
	BIO *bio = read_pem(path, &b, err);
	bool ok = bio && parse_chain(c, bio, path, err);
	BIO_free(bio);
	buf_free(&b);
	return ok;
}

static bool load_key(struct cert *c, const char *path, struct error *err)
{
	struct buf b = BUF_INIT;
	BIO *bio = read_pem(path, &b, err);
	bool ok = bio && parse_key(c, bio, path, err);
	BIO_free(bio);
	wipe(&b);
	return ok;
}

static void add_name(struct cert *c, const unsigned char *p, int len)
{
	/* Names with NUL bytes or beyond DNS length can never match; skip them. */
	if (len <= 0 || len > DNS_NAME_MAX || memchr(p, 0, (size_t)len) ||
	    c->nnames >= CERT_NAMES_MAX)
		return;
	char *name = xstrndup((const char *)p, (size_t)len);
	ascii_lower_inplace(name);
	c->names = xreallocarray(c->names, c->nnames + 1, sizeof *c->names);
	c->names[c->nnames++] = name;
}

static void load_names(struct cert *c)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(c->leaf, NID_subject_alt_name, NULL, NULL);
	if (!gens)
		return;
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_DNS)
			add_name(c, ASN1_STRING_get0_data(g->d.dNSName),
				 ASN1_STRING_length(g->d.dNSName));
	}
	GENERAL_NAMES_free(gens);
}

void cert_free(struct cert *c)
{
	X509_free(c->leaf);
	sk_X509_pop_free(c->chain, X509_free);
	EVP_PKEY_free(c->key);
	for (size_t i = 0; i < c->nnames; i++)
		free(c->names[i]);
	free(c->names);
	memset(c, 0, sizeof *c);
}

static bool check_pair(struct cert *c, const char *what, struct error *err)
{
	if (X509_check_private_key(c->leaf, c->key) != 1) {
		certs_openssl_error(err, ERR_INVALID, "key does not match certificate");
		return error_prefix(err, "%s", what);
	}
	load_names(c);
	return true;
}

bool cert_load(struct cert *c, const struct tls_keypair *p, struct error *err)
{
	memset(c, 0, sizeof *c);
	c->chain = sk_X509_new_null();
	if (!c->chain)
		return certs_openssl_error(err, ERR_INTERNAL, "allocating chain");
	if (!load_chain(c, p->cert_file, err) || !load_key(c, p->key_file, err))
		return false;
	char what[2 * 256];
	snprintf(what, sizeof what, "%s and %s", p->cert_file, p->key_file);
	return check_pair(c, what, err);
}

bool cert_load_pem(struct cert *c, const struct buf *chain_pem, const struct buf *key_pem,
		   struct error *err)
{
	memset(c, 0, sizeof *c);
	c->chain = sk_X509_new_null();
	BIO *cb = BIO_new_mem_buf(chain_pem->data ? chain_pem->data : "", (int)chain_pem->len);
	BIO *kb = BIO_new_mem_buf(key_pem->data ? key_pem->data : "", (int)key_pem->len);
	bool ok = c->chain && cb && kb
		      ? parse_chain(c, cb, "certificate", err) && parse_key(c, kb, "key", err) &&
			    check_pair(c, "certificate and key", err)
		      : certs_openssl_error(err, ERR_INTERNAL, "memory bio");
	BIO_free(cb);
	BIO_free(kb);
	return ok;
}

struct certset *certset_load(const struct tls_keypair *pairs, size_t n, const struct file_id *ids,
			     struct error *err)
{
	struct certset *s = xcalloc(1, sizeof *s);
	atomic_init(&s->refs, 1);
	s->certs = xcalloc(n, sizeof *s->certs);
	s->n = n;
	s->ids = xcalloc(2 * n, sizeof *s->ids);
	memcpy(s->ids, ids, 2 * n * sizeof *ids);
	for (size_t i = 0; i < n; i++) {
		if (!cert_load(&s->certs[i], &pairs[i], err)) {
			certset_unref(s);
			return NULL;
		}
	}
	return s;
}

struct certset *certset_ref(struct certset *s)
{
	atomic_fetch_add(&s->refs, 1);
	return s;
}

void certset_unref(struct certset *s)
{
	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	for (size_t i = 0; i < s->n; i++)
		cert_free(&s->certs[i]);
	free(s->certs);
	free(s->ids);
	free(s);
}

bool tls_name_matches(const char *pattern, const char *name)
{
	if (pattern[0] != '*')
		return ascii_caseeq(pattern, name);
	/* "*.example.com": the wildcard stands for exactly one non-empty label. */
	if (pattern[1] != '.')
		return false;
	const char *dot = strchr(name, '.');
	if (!dot || dot == name)
		return false;
	return ascii_caseeq(pattern + 1, dot);
}

const struct cert *certset_select(const struct certset *s, const char *sni)
{
	if (!sni || !*sni)
		return &s->certs[0];
	char name[DNS_NAME_MAX + 1];
	if (!str_copy(name, sizeof name, sni))
		return &s->certs[0];
	size_t len = strlen(name);
	if (name[len - 1] == '.')
		name[len - 1] = '\0';
	for (size_t i = 0; i < s->n; i++)
		for (size_t j = 0; j < s->certs[i].nnames; j++)
			if (ascii_caseeq(s->certs[i].names[j], name))
				return &s->certs[i];
	for (size_t i = 0; i < s->n; i++)
		for (size_t j = 0; j < s->certs[i].nnames; j++)
			if (s->certs[i].names[j][0] == '*' &&
			    tls_name_matches(s->certs[i].names[j], name))
				return &s->certs[i];
	return &s->certs[0];
}
