#include "auth/credentials.h"

#include "auth/md5.h"
#include "auth/precis.h"
#include "base/str.h"
#include "base/timeutil.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <sodium.h>
#include <string.h>

const struct auth_kdf_params auth_kdf_default = {
    .argon2_ops = 2,                 /* crypto_pwhash_OPSLIMIT_INTERACTIVE */
    .argon2_mem = 64u * 1024 * 1024, /* crypto_pwhash_MEMLIMIT_INTERACTIVE */
    .sha1_iterations = 4096,         /* RFC 5802 5: the example's count, clients expect it */
    .sha256_iterations = 16384,      /* RFC 7677 4 asks for at least 4096 */
};

static const char magic[4] = {'t', 'c', 'r', 'd'};
#define FORMAT_VERSION 1
#define CHECKSUM_LEN   8

/* ---- libsodium setup and the argon2 slots ---- */

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static bool sodium_ok;

static void sodium_setup(void)
{
	sodium_ok = sodium_init() >= 0;
}

static bool have_sodium(struct error *err)
{
	pthread_once(&sodium_once, sodium_setup);
	return sodium_ok || error_set(err, ERR_INTERNAL, "libsodium failed to initialise");
}

static pthread_mutex_t slot_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slot_cond = PTHREAD_COND_INITIALIZER;
static int slots_busy;

/* Waits for one of the AUTH_ARGON2_CONCURRENCY slots, at most AUTH_ARGON2_WAIT_MS. */
static bool slot_acquire(struct error *err)
{
	struct timespec deadline = timespec_after_ms(CLOCK_REALTIME, AUTH_ARGON2_WAIT_MS);
	pthread_mutex_lock(&slot_mu);
	while (slots_busy >= AUTH_ARGON2_CONCURRENCY) {
		if (pthread_cond_timedwait(&slot_cond, &slot_mu, &deadline) == ETIMEDOUT &&
		    slots_busy >= AUTH_ARGON2_CONCURRENCY) {
			pthread_mutex_unlock(&slot_mu);
			return error_set(err, ERR_TEMPORARY, "too many password checks at once");
		}
	}
	slots_busy++;
	pthread_mutex_unlock(&slot_mu);
	return true;
}

static void slot_release(void)
{
	pthread_mutex_lock(&slot_mu);
	slots_busy--;
	pthread_cond_signal(&slot_cond);
	pthread_mutex_unlock(&slot_mu);
}

/* ---- argon2id ---- */

/* Parses a decimal number at *s up to a non-digit; false when absent or > max. */
static bool parse_num(const char **s, uint64_t max, uint64_t *out)
{
	const char *p = *s;
	uint64_t v = 0;
	if (!ascii_isdigit(*p) || (p[0] == '0' && ascii_isdigit(p[1])))
		return false;
	while (ascii_isdigit(*p)) {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > max)
			return false;
		p++;
	}
	*s = p;
	*out = v;
	return true;
}

/* Skips unpadded base64 characters; false when there are none. */
static bool skip_b64(const char **s)
{
	const char *p = *s;
	while (ascii_isalnum(*p) || *p == '+' || *p == '/')
		p++;
	if (p == *s)
		return false;
	*s = p;
	return true;
}

static bool expect(const char **s, const char *lit)
{
	size_t n = strlen(lit);
	if (strncmp(*s, lit, n) != 0)
		return false;
	*s += n;
	return true;
}

bool auth_argon2_valid(const char *hash, struct error *err)
{
	size_t len = strnlen(hash, AUTH_ARGON2_STR_MAX);
	if (len == 0 || len >= AUTH_ARGON2_STR_MAX)
		return error_set(err, ERR_INVALID, "argon2 hash has a bad length");
	const char *s = hash;
	uint64_t m, t, par;
	bool ok = expect(&s, "$argon2id$v=19$m=") &&
		  parse_num(&s, AUTH_ARGON2_MEM_MAX / 1024, &m) && expect(&s, ",t=") &&
		  parse_num(&s, AUTH_ARGON2_OPS_MAX, &t) && expect(&s, ",p=") &&
		  parse_num(&s, 1, &par) && expect(&s, "$") && skip_b64(&s) && expect(&s, "$") &&
		  skip_b64(&s) && *s == '\0';
	if (!ok || m < 8 || t < 1 || par != 1)
		return error_set(err, ERR_INVALID,
				 "not an argon2id hash within tern's cost limits (at most %u MiB, "
				 "%d passes, 1 lane)",
				 AUTH_ARGON2_MEM_MAX >> 20, AUTH_ARGON2_OPS_MAX);
	return true;
}

bool auth_argon2_hash(const char *prepared, size_t n, const struct auth_kdf_params *p,
		      char out[AUTH_ARGON2_STR_MAX], struct error *err)
{
	if (!have_sodium(err) || !slot_acquire(err))
		return false;
	int rc = crypto_pwhash_str_alg(out, prepared, n, p->argon2_ops, p->argon2_mem,
				       crypto_pwhash_ALG_ARGON2ID13);
	slot_release();
	if (rc != 0)
		return error_set(err, ERR_TEMPORARY, "argon2id hashing failed (out of memory?)");
	return true;
}

bool auth_argon2_verify(const char *hash, const char *prepared, size_t n, bool *match,
			struct error *err)
{
	*match = false;
	if (!have_sodium(err) || !auth_argon2_valid(hash, err) || !slot_acquire(err))
		return false;
	errno = 0;
	int rc = crypto_pwhash_str_verify(hash, prepared, n);
	int e = errno;
	slot_release();
	if (rc == 0) {
		*match = true;
		return true;
	}
	/* libsodium reports a mismatch as -1 with EINVAL; memory exhaustion is not a mismatch. */
	if (e == ENOMEM)
		return error_set(err, ERR_TEMPORARY, "argon2id verification out of memory");
	return true;
}

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[AUTH_ARGON2_STR_MAX];

static void dummy_setup(void)
{
	static const char pw[] = "tern dummy password for timing";
	struct error err;
	if (!auth_argon2_hash(pw, sizeof pw - 1, &auth_kdf_default, dummy_hash, &err))
		dummy_hash[0] = '\0';
}

void auth_argon2_dummy_verify(const struct auth_kdf_params *p, const char *prepared, size_t n)
{
	bool match;
	if (p && p != &auth_kdf_default) {
		char hash[AUTH_ARGON2_STR_MAX];
		static const char pw[] = "tern dummy password for timing";
		if (auth_argon2_hash(pw, sizeof pw - 1, p, hash, NULL))
			auth_argon2_verify(hash, prepared, n, &match, NULL);
		return;
	}
	pthread_once(&dummy_once, dummy_setup);
	if (dummy_hash[0])
		auth_argon2_verify(dummy_hash, prepared, n, &match, NULL);
}

/* ---- SCRAM ---- */

size_t auth_hash_len(enum auth_hash h)
{
	return h == AUTH_SHA1 ? 20 : 32;
}

static const EVP_MD *evp(enum auth_hash h)
{
	return h == AUTH_SHA1 ? EVP_sha1() : EVP_sha256();
}

void auth_hmac(enum auth_hash h, const void *key, size_t keylen, const void *msg, size_t n,
	       uint8_t *out)
{
	unsigned int len = 0;
	HMAC(evp(h), key, (int)keylen, msg, n, out, &len);
}

void auth_digest(enum auth_hash h, const void *msg, size_t n, uint8_t *out)
{
	unsigned int len = 0;
	EVP_Digest(msg, n, out, &len, evp(h), NULL);
}

bool auth_scram_derive(enum auth_hash h, const char *prepared, size_t n, const uint8_t *salt,
		       size_t salt_len, uint32_t iterations, struct auth_scram_secret *out,
		       struct error *err)
{
	if (salt_len == 0 || salt_len > AUTH_SALT_MAX || iterations == 0 ||
	    iterations > AUTH_SCRAM_ITER_MAX)
		return error_set(err, ERR_INVALID, "bad SCRAM salt or iteration count");
	size_t hl = auth_hash_len(h);
	uint8_t salted[AUTH_SCRAM_KEY_MAX], client_key[AUTH_SCRAM_KEY_MAX];
	/* RFC 5802 2.2: Hi() is PBKDF2 with HMAC and a key length of the hash's output. */
	if (PKCS5_PBKDF2_HMAC(prepared, (int)n, salt, (int)salt_len, (int)iterations, evp(h),
			      (int)hl, salted) != 1)
		return error_set(err, ERR_INTERNAL, "PBKDF2 failed");
	memset(out, 0, sizeof *out);
	memcpy(out->salt, salt, salt_len);
	out->salt_len = salt_len;
	out->iterations = iterations;
	/* RFC 5802 3 */
	auth_hmac(h, salted, hl, "Client Key", 10, client_key);
	auth_digest(h, client_key, hl, out->stored_key);
	auth_hmac(h, salted, hl, "Server Key", 10, out->server_key);
	sodium_memzero(salted, sizeof salted);
	sodium_memzero(client_key, sizeof client_key);
	return true;
}

/* ---- deriving all parts ---- */

static bool derive_scram(enum auth_hash h, const struct buf *pw, uint32_t iterations,
			 struct auth_scram_secret *out, struct error *err)
{
	uint8_t salt[AUTH_SALT_LEN];
	randombytes_buf(salt, sizeof salt);
	return auth_scram_derive(h, pw->data, pw->len, salt, sizeof salt, iterations, out, err);
}

bool auth_credentials_derive(const char *password, size_t n, const struct auth_kdf_params *p,
			     struct auth_credentials *out, struct error *err)
{
	if (!p)
		p = &auth_kdf_default;
	memset(out, 0, sizeof *out);
	if (!have_sodium(err))
		return false;
	struct buf pw = BUF_INIT;
	bool ok = auth_password_prepare(password, n, &pw, err) &&
		  auth_argon2_hash(pw.data, pw.len, p, out->argon2, err) &&
		  derive_scram(AUTH_SHA1, &pw, p->sha1_iterations, &out->scram_sha1, err) &&
		  derive_scram(AUTH_SHA256, &pw, p->sha256_iterations, &out->scram_sha256, err);
	if (ok) {
		/* RFC 2195 / RFC 2104 4: the shared secret is the password. */
		auth_hmac_md5_states(pw.data, pw.len, out->crammd5_inner, out->crammd5_outer);
		out->parts = AUTH_CRED_ALL;
	} else {
		auth_credentials_wipe(out);
	}
	if (pw.data)
		sodium_memzero(pw.data, pw.cap);
	buf_free(&pw);
	return ok;
}

void auth_credentials_wipe(struct auth_credentials *c)
{
	sodium_memzero(c, sizeof *c);
}

/* ---- storage form ---- */

static void put_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	buf_append(b, x, 4);
}

static void put_scram(struct buf *b, enum auth_hash h, const struct auth_scram_secret *s)
{
	uint8_t sl = (uint8_t)s->salt_len;
	buf_append(b, &sl, 1);
	buf_append(b, s->salt, s->salt_len);
	put_u32(b, s->iterations);
	buf_append(b, s->stored_key, auth_hash_len(h));
	buf_append(b, s->server_key, auth_hash_len(h));
}

void auth_credentials_serialize(const struct auth_credentials *c, struct buf *out)
{
	size_t start = out->len;
	buf_append(out, magic, sizeof magic);
	uint8_t head[2] = {FORMAT_VERSION, (uint8_t)c->parts};
	buf_append(out, head, 2);
	if (c->parts & AUTH_CRED_ARGON2) {
		uint8_t l = (uint8_t)strnlen(c->argon2, AUTH_ARGON2_STR_MAX - 1);
		buf_append(out, &l, 1);
		buf_append(out, c->argon2, l);
	}
	if (c->parts & AUTH_CRED_SCRAM_SHA1)
		put_scram(out, AUTH_SHA1, &c->scram_sha1);
	if (c->parts & AUTH_CRED_SCRAM_SHA256)
		put_scram(out, AUTH_SHA256, &c->scram_sha256);
	if (c->parts & AUTH_CRED_CRAM_MD5) {
		buf_append(out, c->crammd5_inner, AUTH_CRAMMD5_STATE_LEN);
		buf_append(out, c->crammd5_outer, AUTH_CRAMMD5_STATE_LEN);
	}
	uint8_t sum[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(sum, (const uint8_t *)out->data + start, out->len - start);
	buf_append(out, sum, CHECKSUM_LEN);
}

/* A bounds-checked reader over the blob. */
struct reader {
	const uint8_t *p;
	size_t n, off;
};

static bool take(struct reader *r, void *dst, size_t k)
{
	if (k > r->n - r->off)
		return false;
	if (k > 0)
		memcpy(dst, r->p + r->off, k);
	r->off += k;
	return true;
}

static bool take_u32(struct reader *r, uint32_t *v)
{
	uint8_t x[4];
	if (!take(r, x, 4))
		return false;
	*v = (uint32_t)x[0] << 24 | (uint32_t)x[1] << 16 | (uint32_t)x[2] << 8 | x[3];
	return true;
}

static bool read_scram(struct reader *r, enum auth_hash h, struct auth_scram_secret *s,
		       struct error *err)
{
	uint8_t sl;
	size_t hl = auth_hash_len(h);
	const char *name = h == AUTH_SHA1 ? "SCRAM-SHA-1" : "SCRAM-SHA-256";
	if (!take(r, &sl, 1) || sl == 0 || sl > AUTH_SALT_MAX)
		return error_set(err, ERR_INVALID, "credentials: bad %s salt length", name);
	s->salt_len = sl;
	if (!take(r, s->salt, sl) || !take_u32(r, &s->iterations) || !take(r, s->stored_key, hl) ||
	    !take(r, s->server_key, hl))
		return error_set(err, ERR_INVALID, "credentials: %s part truncated", name);
	if (s->iterations == 0 || s->iterations > AUTH_SCRAM_ITER_MAX)
		return error_set(err, ERR_INVALID, "credentials: bad %s iteration count %u", name,
				 s->iterations);
	return true;
}

static bool read_argon2(struct reader *r, struct auth_credentials *c, struct error *err)
{
	uint8_t l;
	if (!take(r, &l, 1) || l == 0 || l >= AUTH_ARGON2_STR_MAX || !take(r, c->argon2, l))
		return error_set(err, ERR_INVALID, "credentials: argon2 part truncated");
	c->argon2[l] = '\0';
	if (strlen(c->argon2) != l)
		return error_set(err, ERR_INVALID, "credentials: NUL byte in the argon2 part");
	if (!auth_argon2_valid(c->argon2, err))
		return error_prefix(err, "credentials");
	return true;
}

static bool read_parts(struct reader *r, struct auth_credentials *c, struct error *err)
{
	char m[4];
	uint8_t head[2];
	if (!take(r, m, 4) || memcmp(m, magic, 4) != 0)
		return error_set(err, ERR_INVALID, "credentials: not tern credentials");
	if (!take(r, head, 2))
		return error_set(err, ERR_INVALID, "credentials: truncated header");
	if (head[0] != FORMAT_VERSION)
		return error_set(err, ERR_INVALID, "credentials: unknown format version %u",
				 head[0]);
	if (head[1] == 0 || (head[1] & ~AUTH_CRED_ALL))
		return error_set(err, ERR_INVALID, "credentials: bad part flags 0x%02x", head[1]);
	c->parts = head[1];
	if ((c->parts & AUTH_CRED_ARGON2) && !read_argon2(r, c, err))
		return false;
	if ((c->parts & AUTH_CRED_SCRAM_SHA1) && !read_scram(r, AUTH_SHA1, &c->scram_sha1, err))
		return false;
	if ((c->parts & AUTH_CRED_SCRAM_SHA256) &&
	    !read_scram(r, AUTH_SHA256, &c->scram_sha256, err))
		return false;
	if ((c->parts & AUTH_CRED_CRAM_MD5) &&
	    (!take(r, c->crammd5_inner, AUTH_CRAMMD5_STATE_LEN) ||
	     !take(r, c->crammd5_outer, AUTH_CRAMMD5_STATE_LEN)))
		return error_set(err, ERR_INVALID, "credentials: CRAM-MD5 part truncated");
	return true;
}

bool auth_credentials_deserialize(const void *p, size_t n, struct auth_credentials *out,
				  struct error *err)
{
	memset(out, 0, sizeof *out);
	if (!have_sodium(err))
		return false;
	if (n > AUTH_CREDENTIALS_MAX)
		return error_set(err, ERR_INVALID,
				 "credentials: %zu bytes, longer than any version", n);
	if (n < CHECKSUM_LEN)
		return error_set(err, ERR_INVALID, "credentials: truncated");
	struct reader r = {p, n - CHECKSUM_LEN, 0};
	bool ok = read_parts(&r, out, err);
	if (ok && r.off != r.n)
		ok = error_set(err, ERR_INVALID, "credentials: %zu unexpected trailing bytes",
			       r.n - r.off);
	if (ok) {
		uint8_t sum[crypto_hash_sha256_BYTES];
		crypto_hash_sha256(sum, p, r.n);
		if (sodium_memcmp(sum, (const uint8_t *)p + r.n, CHECKSUM_LEN) != 0)
			ok = error_set(err, ERR_INVALID,
				       "credentials: checksum mismatch (corrupted)");
	}
	if (!ok)
		auth_credentials_wipe(out);
	return ok;
}
