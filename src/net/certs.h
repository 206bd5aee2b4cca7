/*
 * certs: immutable sets of certificates with their keys, for the TLS module.
 *
 * A certset is loaded from (certificate file, key file) pairs and never
 * changes afterwards; tls.c swaps whole sets on reload. Each set records the
 * identity (device, inode, size, mtime) the files had when it was loaded, so
 * a reload can tell whether anything changed without reading the files.
 * Sets are reference counted and may be used from any thread; the OpenSSL
 * objects inside are only read. Names are stored lower-cased.
 */
#ifndef TERN_NET_CERTS_H
#define TERN_NET_CERTS_H

#include "base/buf.h"
#include "base/error.h"
#include "net/tls.h"

#include <openssl/x509.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define CERT_NAMES_MAX 1000 /* dNSNames kept per certificate */

struct cert {
	X509 *leaf;
	STACK_OF(X509) * chain; /* may be empty, never NULL */
	EVP_PKEY *key;
	char **names; /* subjectAltName dNSNames, lower case */
	size_t nnames;
};

struct file_id {
	bool missing; /* stat failed */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct certset {
	atomic_uint refs;
	size_t n;
	struct cert *certs;
	struct file_id *ids; /* 2 per pair: certificate file, key file */
};

/*
 * One certificate with its chain and key, from files (the key file may be
 * the certificate file) or from PEM in memory; the key must match the leaf.
 * On failure c may be partly filled: cert_free it. cert_free zeroes c.
 */
bool cert_load(struct cert *c, const struct tls_keypair *p, struct error *err);
bool cert_load_pem(struct cert *c, const struct buf *chain_pem, const struct buf *key_pem,
		   struct error *err);
void cert_free(struct cert *c);

/* Stats the files of n pairs into ids[2*n]. */
void certs_stat(const struct tls_keypair *pairs, size_t n, struct file_id *ids);
bool certs_ids_equal(const struct file_id *a, const struct file_id *b, size_t n);

/* Loads n pairs; ids (2*n, from certs_stat) are recorded in the set. One reference. */
struct certset *certset_load(const struct tls_keypair *pairs, size_t n, const struct file_id *ids,
			     struct error *err);
struct certset *certset_ref(struct certset *s);
void certset_unref(struct certset *s);

/* The certificate for a server name (NULL or "" for none); see tls.h. */
const struct cert *certset_select(const struct certset *s, const char *sni);

/* Appends the oldest queued OpenSSL error to err's message and clears the queue. */
bool certs_openssl_error(struct error *err, enum error_kind kind, const char *what);

#endif
