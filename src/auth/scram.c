#include "auth/scram.h"

#include "base/base64.h"
#include "base/str.h"
#include "base/utf8.h"

#include <sodium.h>
#include <string.h>

void scram_init(struct scram_server *s, enum auth_hash hash, bool plus)
{
	memset(s, 0, sizeof *s);
	s->hash = hash;
	s->plus = plus;
}

void scram_free(struct scram_server *s)
{
	buf_free(&s->gs2_header);
	buf_free(&s->authzid);
	buf_free(&s->username);
	buf_free(&s->client_first_bare);
	buf_free(&s->nonce);
	buf_free(&s->server_first);
	memset(s, 0, sizeof *s);
}

static enum scram_status protocol(struct error *err, const char *msg)
{
	error_set(err, ERR_INVALID, "scram: %s", msg);
	return SCRAM_PROTOCOL;
}

static enum scram_status binding(struct error *err, const char *msg)
{
	error_set(err, ERR_PERMISSION, "scram: %s", msg);
	return SCRAM_CHANNEL_BINDING;
}

/* Cuts the next comma-separated field off *rest; false when *rest is exhausted. */
static bool next_field(struct str *rest, struct str *field)
{
	if (!rest->p)
		return false;
	struct str before, after;
	if (str_cut(*rest, ',', &before, &after)) {
		*field = before;
		*rest = after;
	} else {
		*field = *rest;
		*rest = STR_NULL;
	}
	return true;
}

/* "x=value": true when the field is attribute attr; *value gets the part after "=". */
static bool attr(struct str field, char name, struct str *value)
{
	if (field.len < 2 || field.p[0] != name || field.p[1] != '=')
		return false;
	*value = str_sub(field, 2, field.len);
	return true;
}

/* RFC 5802 7: saslname, with "=2C" for "," and "=3D" for "="; UTF-8, non-empty. */
static bool decode_saslname(struct str v, struct buf *out)
{
	if (v.len == 0 || !utf8_valid(v.p, v.len))
		return false;
	for (size_t i = 0; i < v.len; i++) {
		if (v.p[i] == '\0')
			return false;
		if (v.p[i] != '=') {
			buf_putc(out, v.p[i]);
			continue;
		}
		if (i + 2 >= v.len)
			return false;
		if (v.p[i + 1] == '2' && v.p[i + 2] == 'C')
			buf_putc(out, ',');
		else if (v.p[i + 1] == '3' && v.p[i + 2] == 'D')
			buf_putc(out, '=');
		else
			return false;
		i += 2;
	}
	return true;
}

/* RFC 5802 7: printable = %x21-2B / %x2D-7E (no ","). */
static bool valid_nonce(struct str v, size_t max)
{
	if (v.len == 0 || v.len > max)
		return false;
	for (size_t i = 0; i < v.len; i++)
		if ((unsigned char)v.p[i] < 0x21 || (unsigned char)v.p[i] > 0x7e || v.p[i] == ',')
			return false;
	return true;
}

/* RFC 5802 7: cb-name = 1*(ALPHA / DIGIT / "." / "-"). */
static bool valid_cb_name(struct str v)
{
	if (v.len == 0 || v.len > SCRAM_CBNAME_MAX)
		return false;
	for (size_t i = 0; i < v.len; i++)
		if (!ascii_isalnum(v.p[i]) && v.p[i] != '.' && v.p[i] != '-')
			return false;
	return true;
}

/* An extension attribute: a letter, "=", and a value without NUL (RFC 5802 7). */
static bool valid_extension(struct str f)
{
	return f.len >= 2 && ascii_isalpha(f.p[0]) && f.p[1] == '=';
}

static enum scram_status parse_gs2_flag(struct scram_server *s, struct str f, struct error *err)
{
	struct str v;
	if (str_eq_cstr(f, "n") || str_eq_cstr(f, "y")) {
		s->cbind_flag = f.p[0];
		return SCRAM_OK;
	}
	if (!attr(f, 'p', &v) || !valid_cb_name(v))
		return protocol(err, "bad channel binding flag in GS2 header");
	s->cbind_flag = 'p';
	memcpy(s->cb_name, v.p, v.len);
	s->cb_name[v.len] = '\0';
	return SCRAM_OK;
}

/* The binding data for the client's "p=" type, if the connection has it. */
static bool binding_data(const struct scram_server *s, const struct scram_binding *b,
			 const uint8_t **p, size_t *n)
{
	if (strcmp(s->cb_name, "tls-exporter") == 0 && b->have_exporter) {
		*p = b->exporter;
		*n = 32;
		return true;
	}
	if (strcmp(s->cb_name, "tls-unique") == 0 && b->have_unique) {
		*p = b->unique;
		*n = b->unique_len;
		return true;
	}
	return false;
}

/* RFC 5802 6: the channel binding flag against the mechanism and what the server offers. */
static enum scram_status check_binding_choice(const struct scram_server *s,
					      const struct scram_binding *b, struct error *err)
{
	const uint8_t *p;
	size_t n;
	if (s->plus && s->cbind_flag != 'p')
		return protocol(err, "a -PLUS mechanism needs channel binding (flag \"p=\")");
	if (!s->plus && s->cbind_flag == 'p')
		return protocol(err, "channel binding requested with a mechanism without -PLUS");
	if (s->cbind_flag == 'y' && b->server_plus)
		return binding(err, "client believes the server cannot do channel binding, but it "
				    "offered -PLUS: possible downgrade attack");
	if (s->cbind_flag == 'p' && !binding_data(s, b, &p, &n))
		return binding(err, "unsupported channel binding type");
	return SCRAM_OK;
}

static enum scram_status parse_bare(struct scram_server *s, struct str rest, struct error *err)
{
	struct str f, v;
	if (!next_field(&rest, &f))
		return protocol(err, "missing user name");
	if (attr(f, 'm', &v))
		return protocol(err, "mandatory extension not supported");
	if (!attr(f, 'n', &v) || !decode_saslname(v, &s->username))
		return protocol(err, "bad user name attribute");
	if (!next_field(&rest, &f) || !attr(f, 'r', &v) || !valid_nonce(v, SCRAM_NONCE_MAX))
		return protocol(err, "bad nonce attribute");
	buf_append(&s->nonce, v.p, v.len);
	while (next_field(&rest, &f))
		if (!valid_extension(f))
			return protocol(err, "malformed extension attribute");
	return SCRAM_OK;
}

enum scram_status scram_client_first(struct scram_server *s, const char *msg, size_t n,
				     const struct scram_binding *b, struct error *err)
{
	if (n > SCRAM_MESSAGE_MAX)
		return protocol(err, "client-first-message too long");
	if (n == 0)
		return protocol(err, "empty client-first-message");
	if (memchr(msg, '\0', n))
		return protocol(err, "NUL byte in client-first-message");
	struct str rest = str_make(msg, n), f, v;
	if (!next_field(&rest, &f))
		return protocol(err, "empty client-first-message");
	enum scram_status st = parse_gs2_flag(s, f, err);
	if (st != SCRAM_OK)
		return st;
	if (!next_field(&rest, &f) || !rest.p)
		return protocol(err, "incomplete GS2 header");
	if (f.len > 0 && (!attr(f, 'a', &v) || !decode_saslname(v, &s->authzid)))
		return protocol(err, "bad authorization identity in GS2 header");
	buf_append(&s->gs2_header, msg, (size_t)(rest.p - msg));
	buf_append(&s->client_first_bare, rest.p, rest.len);
	st = parse_bare(s, rest, err);
	if (st != SCRAM_OK)
		return st;
	return check_binding_choice(s, b, err);
}

void scram_server_first(struct scram_server *s, const char *server_nonce, const uint8_t *salt,
			size_t salt_len, uint32_t iterations, struct buf *out)
{
	buf_puts(&s->nonce, server_nonce);
	buf_reset(&s->server_first);
	buf_puts(&s->server_first, "r=");
	buf_append(&s->server_first, s->nonce.data, s->nonce.len);
	buf_puts(&s->server_first, ",s=");
	base64_encode(BASE64_STD, salt, salt_len, &s->server_first);
	buf_printf(&s->server_first, ",i=%u", iterations);
	buf_append(out, s->server_first.data, s->server_first.len);
}

/* The "c=" attribute: base64 of the GS2 header plus, for "p=", the connection's binding data. */
static enum scram_status check_cbind(const struct scram_server *s, struct str v,
				     const struct scram_binding *b, struct error *err)
{
	struct buf got = BUF_INIT, want = BUF_INIT;
	if (!base64_decode(BASE64_STD, v, &got)) {
		buf_free(&got);
		return protocol(err, "channel binding attribute is not base64");
	}
	buf_append(&want, s->gs2_header.data, s->gs2_header.len);
	const uint8_t *p;
	size_t n;
	if (s->cbind_flag == 'p' && binding_data(s, b, &p, &n))
		buf_append(&want, p, n);
	bool same = got.len == want.len && memcmp(got.data, want.data, got.len) == 0;
	buf_free(&got);
	buf_free(&want);
	if (!same)
		return binding(err, "channel binding data does not match this connection: possible "
				    "man-in-the-middle");
	return SCRAM_OK;
}

/* Splits client-final-message at its proof (the last attribute, RFC 5802 7). */
static bool split_proof(struct str msg, struct str *without, struct str *proof)
{
	for (size_t i = msg.len; i >= 3; i--) {
		if (memcmp(msg.p + i - 3, ",p=", 3) == 0) {
			*without = str_sub(msg, 0, i - 3);
			*proof = str_sub(msg, i, msg.len);
			return true;
		}
	}
	return false;
}

static enum scram_status parse_final(struct scram_server *s, struct str without,
				     const struct scram_binding *b, struct error *err)
{
	struct str rest = without, f, v;
	if (!next_field(&rest, &f) || !attr(f, 'c', &v))
		return protocol(err, "missing channel binding attribute");
	struct str cb = v;
	if (!next_field(&rest, &f) || !attr(f, 'r', &v))
		return protocol(err, "missing nonce attribute");
	if (!str_eq(v, str_make(s->nonce.data, s->nonce.len)))
		return protocol(err, "nonce does not match");
	while (next_field(&rest, &f))
		if (!valid_extension(f))
			return protocol(err, "malformed extension attribute");
	return check_cbind(s, cb, b, err);
}

/* RFC 5802 3: verifies ClientProof and computes ServerSignature. */
static enum scram_status verify_proof(struct scram_server *s, struct str without,
				      const uint8_t *proof, const struct auth_scram_secret *secret,
				      struct buf *out, struct error *err)
{
	size_t hl = auth_hash_len(s->hash);
	struct buf am = BUF_INIT;
	buf_append(&am, s->client_first_bare.data, s->client_first_bare.len);
	buf_putc(&am, ',');
	buf_append(&am, s->server_first.data, s->server_first.len);
	buf_putc(&am, ',');
	buf_append(&am, without.p, without.len);
	uint8_t sig[AUTH_SCRAM_KEY_MAX], key[AUTH_SCRAM_KEY_MAX], stored[AUTH_SCRAM_KEY_MAX];
	auth_hmac(s->hash, secret->stored_key, hl, am.data, am.len, sig);
	for (size_t i = 0; i < hl; i++)
		key[i] = proof[i] ^ sig[i];
	auth_digest(s->hash, key, hl, stored);
	bool ok = sodium_memcmp(stored, secret->stored_key, hl) == 0;
	if (ok) {
		auth_hmac(s->hash, secret->server_key, hl, am.data, am.len, sig);
		buf_puts(out, "v=");
		base64_encode(BASE64_STD, sig, hl, out);
	}
	sodium_memzero(key, sizeof key);
	buf_free(&am);
	if (!ok) {
		error_set(err, ERR_PERMISSION, "scram: invalid proof");
		return SCRAM_BAD_PROOF;
	}
	return SCRAM_OK;
}

enum scram_status scram_client_final(struct scram_server *s, const char *msg, size_t n,
				     const struct scram_binding *b,
				     const struct auth_scram_secret *secret, struct buf *out,
				     struct error *err)
{
	if (n > SCRAM_MESSAGE_MAX)
		return protocol(err, "client-final-message too long");
	if (n == 0)
		return protocol(err, "empty client-final-message");
	if (memchr(msg, '\0', n))
		return protocol(err, "NUL byte in client-final-message");
	struct str without, proof_b64;
	if (!split_proof(str_make(msg, n), &without, &proof_b64))
		return protocol(err, "missing proof attribute");
	uint8_t proof[AUTH_SCRAM_KEY_MAX];
	if (!base64_decode_exact(BASE64_STD, proof_b64, proof, auth_hash_len(s->hash)))
		return protocol(err, "proof is not base64 of the hash length");
	enum scram_status st = parse_final(s, without, b, err);
	if (st != SCRAM_OK)
		return st;
	if (!secret) {
		error_set(err, ERR_PERMISSION, "scram: no credentials for user");
		return SCRAM_BAD_PROOF;
	}
	return verify_proof(s, without, proof, secret, out, err);
}
