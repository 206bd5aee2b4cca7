/* SMTP AUTH as a client (RFC 4954), for smtp_client_hello; see client.h. */
#include "smtp/client_internal.h"

#include "base/base64.h"
#include "base/buf.h"
#include "base/str.h"
#include "smtp/client_sasl.h"
#include "smtp/codes.h"

#include <openssl/crypto.h>
#include <string.h>

#define AUTH_ROUNDS_MAX 8 /* challenges answered in one exchange */

/* RFC 9266 tls-exporter for TLS 1.3, RFC 5929 tls-unique for TLS 1.2. */
static bool channel_binding(struct smtp_client *c, struct client_sasl_cb *cb)
{
	memset(cb, 0, sizeof *cb);
	const struct tls_info *t = conn_tls(c->conn);
	if (!t)
		return false;
	if (strcmp(t->version, "TLS1.3") == 0) {
		if (!conn_tls_exporter(c->conn, cb->data, NULL))
			return false;
		cb->type = "tls-exporter";
		cb->len = TLS_EXPORTER_LEN;
		return true;
	}
	if (!conn_tls_unique(c->conn, cb->data, sizeof cb->data, &cb->len, NULL))
		return false;
	cb->type = "tls-unique";
	return true;
}

static const char *choose_mech(struct smtp_client *c, bool have_cb)
{
	static const char *const order[] = {"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256",
					    "SCRAM-SHA-1-PLUS",   "SCRAM-SHA-1",
					    "CRAM-MD5",           "PLAIN"};
	if (c->o.auth_mech && *c->o.auth_mech)
		return c->o.auth_mech;
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		bool plus = strstr(order[i], "-PLUS") != NULL;
		if ((!plus || have_cb) && smtp_ext_mech_listed(c->exts.auth_mechs, order[i]))
			return order[i];
	}
	return NULL;
}

static void wipe(struct buf *b)
{
	if (b->data)
		OPENSSL_cleanse(b->data, b->cap);
	buf_free(b);
}

/* The first command, "AUTH MECH [initial-response]" (RFC 4954 4: "=" for an empty one). */
static bool send_auth(struct smtp_client *c, struct client_sasl *s, const char *mech,
		      struct error *err)
{
	struct buf msg = BUF_INIT, cmd = BUF_INIT;
	buf_printf(&cmd, "AUTH %s", mech);
	if (client_sasl_initial(s, &msg)) {
		buf_putc(&cmd, ' ');
		if (msg.len)
			base64_encode(BASE64_STD, msg.data, msg.len, &cmd);
		else
			buf_putc(&cmd, '=');
	}
	bool ok = client_command(c, buf_cstr(&cmd), true, err);
	wipe(&msg);
	wipe(&cmd);
	return ok;
}

/* Answers one 334 challenge; false with err when it is bad (the exchange is then cancelled). */
static bool answer(struct smtp_client *c, struct client_sasl *s, struct error *err)
{
	struct buf in = BUF_INIT, out = BUF_INIT, line = BUF_INIT;
	struct error serr = {0};
	bool good = c->reply.nlines == 1 &&
		    base64_decode(BASE64_STD, str_make(c->reply.text.data, c->reply.text.len), &in);
	if (!good)
		error_set(&serr, ERR_INVALID, "bad base64 in challenge");
	else
		good = client_sasl_step(s, (const uint8_t *)in.data, in.len, &out, &serr);
	bool ok;
	if (!good) {
		/* RFC 4954 4: "*" cancels; the server answers 501. Then report why. */
		client_command(c, "*", false, NULL);
		ok = error_set(err, ERR_PERMISSION, "authentication: %s", serr.msg);
	} else {
		base64_encode(BASE64_STD, out.data, out.len, &line);
		ok = client_command(c, buf_cstr(&line), true, err);
	}
	wipe(&in);
	wipe(&out);
	wipe(&line);
	return ok;
}

/* Runs AUTH with mech (RFC 4954 4). */
static bool auth_exchange(struct smtp_client *c, const char *mech, struct error *err)
{
	struct client_sasl_cb cb;
	bool have_cb = channel_binding(c, &cb);
	bool server_plus = smtp_ext_mech_listed(c->exts.auth_mechs, "SCRAM-SHA-256-PLUS") ||
			   smtp_ext_mech_listed(c->exts.auth_mechs, "SCRAM-SHA-1-PLUS");
	struct client_sasl *s = client_sasl_new(mech, c->o.username, c->o.password,
						have_cb ? &cb : NULL, server_plus, err);
	if (!s)
		return false;
	bool ok = send_auth(c, s, mech, err);
	for (int round = 0; ok && c->reply.code == SMTP_C334_AUTH_CONTINUE; round++) {
		if (round == AUTH_ROUNDS_MAX) {
			client_command(c, "*", false, NULL);
			ok = error_set(err, ERR_PERMISSION, "authentication: too many challenges");
			break;
		}
		ok = answer(c, s, err);
	}
	if (ok && c->reply.code != SMTP_C235_AUTH_OK)
		ok = client_refused(&c->reply, "authentication", err);
	else if (ok && !client_sasl_done(s))
		ok = error_set(err, ERR_PERMISSION, "authentication: server did not prove itself");
	if (ok)
		str_copy(c->auth_mech, sizeof c->auth_mech, mech);
	client_sasl_free(s);
	OPENSSL_cleanse(&cb, sizeof cb);
	return ok;
}

bool client_authenticate(struct smtp_client *c, struct error *err)
{
	bool have_user = c->o.username && *c->o.username;
	if (c->o.client_cert && !have_user) {
		/* A known client certificate may already have logged us in; EXTERNAL when offered.
		 */
		if (smtp_ext_mech_listed(c->exts.auth_mechs, "EXTERNAL"))
			return auth_exchange(c, "EXTERNAL", err);
		str_copy(c->auth_mech, sizeof c->auth_mech, "tls-client-certificate");
		return true;
	}
	if (!have_user)
		return true;
	if (!c->exts.auth)
		return error_set(err, ERR_PERMISSION, "server offers no authentication%s",
				 conn_tls(c->conn) ? "" : " (without TLS)");
	struct client_sasl_cb cb;
	const char *mech = choose_mech(c, channel_binding(c, &cb));
	OPENSSL_cleanse(&cb, sizeof cb);
	if (!mech)
		return error_set(err, ERR_PERMISSION,
				 "no shared authentication mechanism (server: %s)",
				 c->exts.auth_mechs);
	return auth_exchange(c, mech, err);
}
