#include "net/certgen.h"

#include <criterion/criterion.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

Test(certgen, selfsigned_has_names_and_matching_key)
{
	char dir[] = "/tmp/tern-certgen-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char crt[256], key[256];
	snprintf(crt, sizeof crt, "%s/c.pem", dir);
	snprintf(key, sizeof key, "%s/k.pem", dir);
	const char *names[] = {"localhost", "mail.example.org"};
	struct error err;
	cr_assert(certgen_selfsigned(names, 2, "tern test", 30, crt, key, &err), "%s", err.msg);

	struct stat st;
	cr_assert_eq(stat(key, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "private key readable only by its owner");

	FILE *f = fopen(crt, "r");
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	cr_assert_not_null(x);
	f = fopen(key, "r");
	EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	cr_assert_not_null(k);
	cr_assert_eq(X509_check_private_key(x, k), 1);
	cr_assert_eq(X509_check_host(x, "localhost", 0, 0, NULL), 1);
	cr_assert_eq(X509_check_host(x, "mail.example.org", 0, 0, NULL), 1);
	cr_assert_neq(X509_check_host(x, "other.example.org", 0, 0, NULL), 1);
	EVP_PKEY *pub = X509_get0_pubkey(x);
	cr_assert_eq(X509_verify(x, pub), 1, "self-signed");
	cr_assert_lt(X509_cmp_current_time(X509_get0_notBefore(x)), 0);
	cr_assert_gt(X509_cmp_current_time(X509_get0_notAfter(x)), 0);
	X509_free(x);
	EVP_PKEY_free(k);
	unlink(crt);
	unlink(key);
	rmdir(dir);
}

Test(certgen, needs_a_name)
{
	struct error err;
	cr_assert_not(certgen_selfsigned(NULL, 0, "x", 1, "/tmp/x", "/tmp/y", &err));
	cr_assert_str_eq(err.msg, "certificate needs at least one name");
}
