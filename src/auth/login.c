#include "auth/login.h"

#include "base/str.h"
#include "base/timeutil.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const char *const result_names[] = {
    [AUTH_RESULT_OK] = "ok",
    [AUTH_RESULT_BADUSER] = "baduser",
    [AUTH_RESULT_BADPASSWORD] = "badpassword",
    [AUTH_RESULT_BADCREDS] = "badcreds",
    [AUTH_RESULT_BADAUTHZ] = "badauthz",
    [AUTH_RESULT_BADCHANBIND] = "badchanbind",
    [AUTH_RESULT_BADPROTOCOL] = "badprotocol",
    [AUTH_RESULT_LOGINDISABLED] = "logindisabled",
    [AUTH_RESULT_ERROR] = "error",
    [AUTH_RESULT_ABORTED] = "aborted",
    [AUTH_RESULT_RATELIMITED] = "ratelimited",
};

const char *auth_result_name(enum auth_result r)
{
	if ((size_t)r >= sizeof result_names / sizeof result_names[0] || !result_names[r])
		return "unknown";
	return result_names[r];
}

bool auth_result_is_failure(enum auth_result r)
{
	/* A temporary failure is ours, not the client's; a cancelled exchange tested nothing;
	 * a refusal by the limiter must not extend itself. */
	return r != AUTH_RESULT_OK && r != AUTH_RESULT_ERROR && r != AUTH_RESULT_ABORTED &&
	       r != AUTH_RESULT_RATELIMITED;
}

void auth_random(const struct auth_env *env, void *buf, size_t n)
{
	if (env->random)
		env->random(buf, n);
	else
		randombytes_buf(buf, n);
}

int64_t auth_now_ms(const struct auth_env *env)
{
	return env->now_ms ? env->now_ms() : wall_ms();
}

enum auth_lookup auth_lookup_login(const struct cfg_dynamic *d, const char *name, size_t n,
				   struct auth_account_ref *out, const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	memset(out, 0, sizeof *out);
	struct buf nfc = BUF_INIT;
	if (!auth_username_prepare(name, n, &nfc, NULL) || nfc.len > AUTH_USERNAME_MAX) {
		buf_free(&nfc);
		*why = "not a valid login name";
		return AUTH_LOOKUP_NONE;
	}
	memcpy(out->login, nfc.data, nfc.len + 1);
	buf_free(&nfc);
	struct cfg_dynamic_match m;
	switch (cfg_lookup_login(d, out->login, &m)) {
	case CFG_LOGIN_ACCOUNT: break;
	case CFG_LOGIN_ALIAS: *why = "address is an alias, not a login"; return AUTH_LOOKUP_NONE;
	default: *why = "no such address"; return AUTH_LOOKUP_NONE;
	}
	if (!str_copy(out->account, sizeof out->account, m.account_name)) {
		*why = "account name too long";
		return AUTH_LOOKUP_NONE;
	}
	str_copy(out->login_disabled, sizeof out->login_disabled, m.account->login_disabled);
	return AUTH_LOOKUP_FOUND;
}

enum auth_fetch auth_fetch_credentials(const struct auth_env *env, const char *account,
				       struct auth_credentials *out, struct error *err)
{
	memset(out, 0, sizeof *out);
	struct buf blob = BUF_INIT;
	bool found = false;
	enum auth_fetch r = AUTH_FETCH_FOUND;
	if (!env->credentials(env->credentials_arg, account, &blob, &found, err)) {
		error_prefix(err, "credentials of account %s", account);
		r = AUTH_FETCH_ERROR;
	} else if (!found) {
		r = AUTH_FETCH_NONE;
	} else if (!auth_credentials_deserialize(blob.data, blob.len, out, err)) {
		error_prefix(err, "account %s", account);
		if (err)
			err->kind =
			    ERR_INTERNAL; /* a corrupt blob on disk, not the client's doing */
		r = AUTH_FETCH_ERROR;
	}
	if (blob.data)
		sodium_memzero(blob.data, blob.cap);
	buf_free(&blob);
	return r;
}

enum auth_result auth_check_allowed(const struct auth_account_ref *ref,
				    const struct auth_identity *identity,
				    char client_msg[AUTH_CLIENT_MSG_MAX], struct error *detail)
{
	client_msg[0] = '\0';
	if (ref->login_disabled[0]) {
		snprintf(client_msg, AUTH_CLIENT_MSG_MAX, "login disabled: %s",
			 ref->login_disabled);
		error_set(detail, ERR_PERMISSION, "logins of account %s are disabled",
			  ref->account);
		return AUTH_RESULT_LOGINDISABLED;
	}
	if (identity && strcmp(identity->ref.account, ref->account) != 0) {
		error_set(detail, ERR_PERMISSION,
			  "TLS client certificate belongs to account %s, login was for account %s",
			  identity->ref.account, ref->account);
		return AUTH_RESULT_BADCREDS;
	}
	return AUTH_RESULT_OK;
}

/* Verifies a prepared password against the argon2id part. */
static enum auth_result verify_argon2(const struct auth_credentials *c, const char *password,
				      size_t n, struct error *detail)
{
	struct buf pw = BUF_INIT;
	enum auth_result r = AUTH_RESULT_BADPASSWORD;
	bool match = false;
	if (!auth_password_prepare(password, n, &pw, detail)) {
		error_prefix(detail, "password not acceptable");
	} else if (!auth_argon2_verify(c->argon2, pw.data, pw.len, &match, detail)) {
		r = AUTH_RESULT_ERROR;
	} else if (match) {
		r = AUTH_RESULT_OK;
	} else {
		error_set(detail, ERR_PERMISSION, "wrong password");
	}
	if (pw.data)
		sodium_memzero(pw.data, pw.cap);
	buf_free(&pw);
	return r;
}

enum auth_result auth_check_password(const struct auth_env *env, const struct cfg_dynamic *d,
				     const char *name, size_t name_len, const char *password,
				     size_t password_len, const struct auth_identity *identity,
				     struct auth_account_ref *ref,
				     char client_msg[AUTH_CLIENT_MSG_MAX], struct error *detail)
{
	client_msg[0] = '\0';
	const char *why = NULL;
	if (auth_lookup_login(d, name, name_len, ref, &why) != AUTH_LOOKUP_FOUND) {
		/* As long as a real check, so timing does not tell which addresses exist. */
		auth_argon2_dummy_verify(env->kdf, password, password_len);
		error_set(detail, ERR_PERMISSION, "%s", why);
		return AUTH_RESULT_BADUSER;
	}
	struct auth_credentials c;
	enum auth_result r;
	switch (auth_fetch_credentials(env, ref->account, &c, detail)) {
	case AUTH_FETCH_ERROR: return AUTH_RESULT_ERROR;
	case AUTH_FETCH_NONE: c.parts = 0; break;
	case AUTH_FETCH_FOUND: break;
	}
	if (!(c.parts & AUTH_CRED_ARGON2)) {
		auth_argon2_dummy_verify(env->kdf, password, password_len);
		error_set(detail, ERR_PERMISSION, "no password set for account %s", ref->account);
		r = AUTH_RESULT_BADUSER;
	} else {
		r = verify_argon2(&c, password, password_len, detail);
	}
	auth_credentials_wipe(&c);
	if (r != AUTH_RESULT_OK)
		return r;
	return auth_check_allowed(ref, identity, client_msg, detail);
}
