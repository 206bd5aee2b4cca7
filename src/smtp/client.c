#include "smtp/client.h"

#include "base/base64.h"
#include "base/dnsname.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "smtp/client_sasl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CLIENT_EXTS_MAX 64

struct smtp_client {
	struct smtp_client_opts o;
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	char rbuf[16 * 1024];
	size_t rpos, rlen;
	struct buf reply; /* the last reply's text lines joined by '\n' */
	int code;
	char *exts[CLIENT_EXTS_MAX];
	size_t nexts;
	char tls_desc[96];
	char auth_mech[32];
};

static int timeout_of(const struct smtp_client *c)
{
	return c->o.timeout_ms ? c->o.timeout_ms : SMTP_CLIENT_TIMEOUT_MS;
}

static bool wait_fd(int fd, short events, int64_t deadline, struct error *err)
{
	for (;;) {
		int64_t left = deadline - mono_ms();
		if (left <= 0)
			return error_set(err, ERR_TIMEOUT, "timeout talking to the server");
		struct pollfd p = {fd, events, 0};
		int r = poll(&p, 1, (int)left);
		if (r > 0)
			return true;
		if (r < 0 && errno != EINTR)
			return error_errno(err, errno, "poll");
	}
}

static bool tcp_connect(struct smtp_client *c, struct error *err)
{
	char port[8];
	snprintf(port, sizeof port, "%u", c->o.port);
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
	int rc = getaddrinfo(c->o.host, port, &hints, &res);
	if (rc != 0)
		return error_set(err, ERR_TEMPORARY, "resolving %s: %s", c->o.host,
				 gai_strerror(rc));
	int64_t deadline = mono_ms() + timeout_of(c);
	error_set(err, ERR_TEMPORARY, "no address for %s", c->o.host);
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
			error_errno(err, errno, "connecting to %s:%s", c->o.host, port);
			close(fd);
			continue;
		}
		int soerr = 0;
		socklen_t sl = sizeof soerr;
		if (!wait_fd(fd, POLLOUT, deadline, err) ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr != 0) {
			if (soerr)
				error_errno(err, soerr, "connecting to %s:%s", c->o.host, port);
			close(fd);
			continue;
		}
		c->fd = fd;
		freeaddrinfo(res);
		return true;
	}
	freeaddrinfo(res);
	return false;
}

static bool ssl_fail(struct error *err, const char *what)
{
	char buf[256] = "";
	unsigned long e = ERR_get_error();
	if (e)
		ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	return error_set(err, ERR_PERMISSION, "%s%s%s", what, buf[0] ? ": " : "", buf);
}

/* Waits for the socket as SSL asks; false on a real error. */
static bool ssl_wait(struct smtp_client *c, int ret, int64_t deadline, const char *what,
		     struct error *err)
{
	int e = SSL_get_error(c->ssl, ret);
	if (e == SSL_ERROR_WANT_READ)
		return wait_fd(c->fd, POLLIN, deadline, err);
	if (e == SSL_ERROR_WANT_WRITE)
		return wait_fd(c->fd, POLLOUT, deadline, err);
	if (e == SSL_ERROR_ZERO_RETURN)
		return error_set(err, ERR_CLOSED, "%s: connection closed", what);
	if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
		return error_set(err, ERR_CLOSED, "%s: connection closed", what);
	return ssl_fail(err, what);
}

bool smtp_client_write_raw(struct smtp_client *c, const void *p, size_t n, struct error *err)
{
	int64_t deadline = mono_ms() + timeout_of(c);
	const char *s = p;
	while (n > 0) {
		if (c->ssl) {
			int w = SSL_write(c->ssl, s, n > INT32_MAX ? INT32_MAX : (int)n);
			if (w <= 0) {
				if (!ssl_wait(c, w, deadline, "writing", err))
					return false;
				continue;
			}
			s += w;
			n -= (size_t)w;
			continue;
		}
		ssize_t w = send(c->fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (!wait_fd(c->fd, POLLOUT, deadline, err))
				return false;
			continue;
		}
		if (w < 0)
			return error_errno(err, errno, "writing to server");
		s += w;
		n -= (size_t)w;
	}
	return true;
}

/* One read from the socket or TLS into p; *n = 0 at EOF. */
static bool read_once(struct smtp_client *c, void *p, size_t cap, size_t *n, int64_t deadline,
		      struct error *err)
{
	for (;;) {
		if (c->ssl) {
			int r = SSL_read(c->ssl, p, cap > INT32_MAX ? INT32_MAX : (int)cap);
			if (r > 0) {
				*n = (size_t)r;
				return true;
			}
			struct error e2;
			if (!ssl_wait(c, r, deadline, "reading", &e2)) {
				if (e2.kind == ERR_CLOSED) {
					*n = 0;
					return true;
				}
				if (err)
					*err = e2;
				return false;
			}
			continue;
		}
		ssize_t r = recv(c->fd, p, cap, 0);
		if (r >= 0) {
			*n = (size_t)r;
			return true;
		}
		if (errno != EAGAIN && errno != EINTR)
			return error_errno(err, errno, "reading from server");
		if (!wait_fd(c->fd, POLLIN, deadline, err))
			return false;
	}
}

bool smtp_client_read_raw(struct smtp_client *c, void *p, size_t cap, size_t *n, int timeout_ms,
			  struct error *err)
{
	if (c->rpos < c->rlen) {
		size_t k = c->rlen - c->rpos < cap ? c->rlen - c->rpos : cap;
		memcpy(p, c->rbuf + c->rpos, k);
		c->rpos += k;
		*n = k;
		return true;
	}
	return read_once(c, p, cap, n, mono_ms() + timeout_ms, err);
}

size_t smtp_client_pending(const struct smtp_client *c)
{
	size_t n = c->rlen - c->rpos;
	if (c->ssl)
		n += (size_t)SSL_pending(c->ssl);
	return n;
}

int smtp_client_fd(const struct smtp_client *c)
{
	return c->fd;
}

/* One line without its CRLF into line (bounded); false on EOF or error. */
static bool read_line(struct smtp_client *c, struct buf *line, int64_t deadline, struct error *err)
{
	buf_reset(line);
	for (;;) {
		while (c->rpos < c->rlen) {
			char ch = c->rbuf[c->rpos++];
			if (ch == '\n') {
				if (line->len && line->data[line->len - 1] == '\r')
					buf_truncate(line, line->len - 1);
				return true;
			}
			if (line->len >= 2048)
				return error_set(err, ERR_INVALID, "reply line too long");
			buf_putc(line, ch);
		}
		size_t n;
		if (!read_once(c, c->rbuf, sizeof c->rbuf, &n, deadline, err))
			return false;
		if (n == 0)
			return error_set(err, ERR_CLOSED, "server closed the connection");
		c->rpos = 0;
		c->rlen = n;
	}
}

/* Reads a (multi-line) reply: c->code and c->reply (text lines, '\n'-joined). */
static bool read_reply(struct smtp_client *c, struct error *err)
{
	int64_t deadline = mono_ms() + timeout_of(c);
	struct buf line = BUF_INIT;
	buf_reset(&c->reply);
	bool ok = true;
	for (;;) {
		if (!read_line(c, &line, deadline, err)) {
			ok = false;
			break;
		}
		if (c->o.lg)
			log_trace(c->o.lg, "smtp client read", LS("line", buf_cstr(&line)));
		const char *l = buf_cstr(&line);
		if (line.len < 3 || !ascii_isdigit(l[0]) || !ascii_isdigit(l[1]) ||
		    !ascii_isdigit(l[2]) || (line.len > 3 && l[3] != ' ' && l[3] != '-')) {
			ok = error_set(err, ERR_INVALID, "malformed reply line: %.100s", l);
			break;
		}
		c->code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
		if (c->reply.len)
			buf_putc(&c->reply, '\n');
		if (line.len > 4)
			buf_puts(&c->reply, l + 4);
		if (c->reply.len > SMTP_CLIENT_REPLY_MAX) {
			ok = error_set(err, ERR_INVALID, "reply too long");
			break;
		}
		if (line.len == 3 || l[3] == ' ')
			break;
	}
	buf_free(&line);
	return ok;
}

static bool command(struct smtp_client *c, const char *cmd, bool secret, struct error *err)
{
	if (c->o.lg)
		log_trace(c->o.lg, "smtp client write", LS("line", secret ? "(auth data)" : cmd));
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s\r\n", cmd);
	bool ok = smtp_client_write_raw(c, b.data, b.len, err) && read_reply(c, err);
	if (secret)
		OPENSSL_cleanse(b.data, b.len);
	buf_free(&b);
	return ok;
}

/* A refusal as an error: 4xx temporary, 5xx permanent. */
static bool refused(struct smtp_client *c, const char *what, struct error *err)
{
	return error_set(err, c->code >= 500 ? ERR_PERMISSION : ERR_TEMPORARY, "%s: %d %s", what,
			 c->code, buf_cstr(&c->reply));
}

static void free_exts(struct smtp_client *c)
{
	for (size_t i = 0; i < c->nexts; i++)
		free(c->exts[i]);
	c->nexts = 0;
}

static bool ehlo(struct smtp_client *c, struct error *err)
{
	struct buf cmd = BUF_INIT;
	buf_printf(&cmd, "EHLO %s", c->o.ehlo_name ? c->o.ehlo_name : "localhost");
	bool ok = command(c, buf_cstr(&cmd), false, err);
	buf_free(&cmd);
	if (!ok)
		return false;
	if (c->code != 250)
		return refused(c, "EHLO", err);
	free_exts(c);
	/* Lines after the first are "KEYWORD params". */
	const char *p = buf_cstr(&c->reply);
	const char *nl = strchr(p, '\n');
	while (nl && c->nexts < CLIENT_EXTS_MAX) {
		p = nl + 1;
		nl = strchr(p, '\n');
		c->exts[c->nexts++] = nl ? xstrndup(p, (size_t)(nl - p)) : xstrdup(p);
	}
	return true;
}

/* The parameters of an extension ("AUTH PLAIN LOGIN" -> "PLAIN LOGIN"), or NULL. */
static const char *ext_params(const struct smtp_client *c, const char *keyword)
{
	size_t n = strlen(keyword);
	for (size_t i = 0; i < c->nexts; i++)
		if (strncasecmp(c->exts[i], keyword, n) == 0 &&
		    (c->exts[i][n] == '\0' || c->exts[i][n] == ' '))
			return c->exts[i][n] ? c->exts[i] + n + 1 : "";
	return NULL;
}

bool smtp_client_has_ext(const struct smtp_client *c, const char *keyword)
{
	return ext_params(c, keyword) != NULL;
}

static int proto_version(const char *s)
{
	if (!s || !*s)
		return 0;
	if (strcasecmp(s, "tls1.2") == 0)
		return TLS1_2_VERSION;
	if (strcasecmp(s, "tls1.3") == 0)
		return TLS1_3_VERSION;
	return -1;
}

/* A self-signed certificate for an ed25519 key: only the key matters to the server. */
static X509 *cert_for_key(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24 * 365);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"tern sendmail",
				   -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509_set_pubkey(x, key);
	if (X509_sign(x, key, NULL) <= 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static bool ed25519_cert(SSL_CTX *ctx, const char *b64, struct error *err)
{
	/* raw-url-base64 (RFC 4648 5, no padding): the 32-byte seed, or seed and public key. */
	unsigned char raw[64];
	struct str in = str_from(b64);
	if (!base64_decode_exact(BASE64_URL_NOPAD, in, raw, 32) &&
	    !base64_decode_exact(BASE64_URL_NOPAD, in, raw, 64))
		return error_set(err, ERR_INVALID,
				 "ed25519 key must be 32 or 64 bytes in base64url");
	EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw, 32);
	OPENSSL_cleanse(raw, sizeof raw);
	if (!key)
		return ssl_fail(err, "ed25519 key");
	X509 *x = cert_for_key(key);
	bool ok =
	    x && SSL_CTX_use_certificate(ctx, x) == 1 && SSL_CTX_use_PrivateKey(ctx, key) == 1;
	X509_free(x);
	EVP_PKEY_free(key);
	return ok || ssl_fail(err, "client certificate");
}

static bool make_ctx(struct smtp_client *c, struct error *err)
{
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx)
		return ssl_fail(err, "TLS context");
	int min = proto_version(c->o.tls_min), max = proto_version(c->o.tls_max);
	if (min < 0 || max < 0)
		return error_set(err, ERR_INVALID, "TLS versions are tls1.2 or tls1.3");
	SSL_CTX_set_min_proto_version(c->ctx, min ? min : TLS1_2_VERSION);
	if (max)
		SSL_CTX_set_max_proto_version(c->ctx, max);
	if (c->o.no_session_tickets)
		SSL_CTX_set_options(c->ctx, SSL_OP_NO_TICKET);
	if (c->o.tls_verify) {
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
		bool ok = c->o.ca_file ? SSL_CTX_load_verify_locations(c->ctx, c->o.ca_file, NULL)
				       : SSL_CTX_set_default_verify_paths(c->ctx);
		if (!ok)
			return ssl_fail(err, "loading CA certificates");
	}
	if (c->o.cert_pem_file) {
		if (SSL_CTX_use_certificate_chain_file(c->ctx, c->o.cert_pem_file) != 1 ||
		    SSL_CTX_use_PrivateKey_file(c->ctx, c->o.cert_pem_file, SSL_FILETYPE_PEM) != 1)
			return ssl_fail(err, "loading client certificate and key");
	} else if (c->o.ed25519_key && !ed25519_cert(c->ctx, c->o.ed25519_key, err)) {
		return false;
	}
	return true;
}

static bool is_ip(const char *s)
{
	unsigned char tmp[16];
	return inet_pton(AF_INET, s, tmp) == 1 || inet_pton(AF_INET6, s, tmp) == 1;
}

static bool tls_handshake(struct smtp_client *c, struct error *err)
{
	if (!c->ctx && !make_ctx(c, err))
		return false;
	c->ssl = SSL_new(c->ctx);
	SSL_set_fd(c->ssl, c->fd);
	const char *name = c->o.tls_name ? c->o.tls_name : c->o.host;
	if (name && !is_ip(name)) {
		char sni[DNS_NAME_MAX + 1]; /* a mutable copy: OpenSSL's macro casts away const */
		str_copy(sni, sizeof sni, name);
		SSL_set_tlsext_host_name(c->ssl, sni);
		if (c->o.tls_verify)
			SSL_set1_host(c->ssl, name);
	} else if (c->o.tls_verify && name) {
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), name);
	}
	int64_t deadline = mono_ms() + timeout_of(c);
	for (;;) {
		int r = SSL_connect(c->ssl);
		if (r == 1)
			break;
		if (!ssl_wait(c, r, deadline, "TLS handshake", err)) {
			long v = SSL_get_verify_result(c->ssl);
			if (v != X509_V_OK)
				error_set(err, ERR_PERMISSION, "TLS handshake: certificate: %s",
					  X509_verify_cert_error_string(v));
			return false;
		}
	}
	snprintf(c->tls_desc, sizeof c->tls_desc, "%s %s", SSL_get_version(c->ssl),
		 SSL_get_cipher_name(c->ssl));
	return true;
}

/* RFC 9266 for TLS 1.3, RFC 5929 tls-unique for TLS 1.2. */
static bool channel_binding(struct smtp_client *c, struct client_sasl_cb *cb)
{
	memset(cb, 0, sizeof *cb);
	if (!c->ssl)
		return false;
	if (SSL_version(c->ssl) == TLS1_3_VERSION) {
		static const char label[] = "EXPORTER-Channel-Binding";
		if (SSL_export_keying_material(c->ssl, cb->data, 32, label, sizeof label - 1, NULL,
					       0, 0) != 1)
			return false;
		cb->type = "tls-exporter";
		cb->len = 32;
		return true;
	}
	/* The first Finished message: ours, in a full handshake the client sends first. */
	size_t n = SSL_session_reused(c->ssl)
		       ? SSL_get_peer_finished(c->ssl, cb->data, sizeof cb->data)
		       : SSL_get_finished(c->ssl, cb->data, sizeof cb->data);
	if (n == 0 || n > sizeof cb->data)
		return false;
	cb->type = "tls-unique";
	cb->len = n;
	return true;
}

static bool offered(const char *list, const char *mech)
{
	size_t n = strlen(mech);
	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ' ');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && strncasecmp(p, mech, n) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

static const char *choose_mech(struct smtp_client *c, const char *list, bool have_cb)
{
	static const char *const order[] = {"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256",
					    "SCRAM-SHA-1-PLUS",   "SCRAM-SHA-1",
					    "CRAM-MD5",           "PLAIN"};
	if (c->o.auth_mech && *c->o.auth_mech)
		return c->o.auth_mech;
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		bool plus = strstr(order[i], "-PLUS") != NULL;
		if ((!plus || have_cb) && offered(list, order[i]))
			return order[i];
	}
	return NULL;
}

/* Runs AUTH with mech (RFC 4954 4). */
static bool auth_exchange(struct smtp_client *c, const char *mech, struct error *err)
{
	struct client_sasl_cb cb;
	bool have_cb = channel_binding(c, &cb);
	const char *list = ext_params(c, "AUTH");
	bool server_plus =
	    list && (offered(list, "SCRAM-SHA-256-PLUS") || offered(list, "SCRAM-SHA-1-PLUS"));
	struct client_sasl *s = client_sasl_new(mech, c->o.username, c->o.password,
						have_cb ? &cb : NULL, server_plus, err);
	if (!s)
		return false;
	struct buf msg = BUF_INIT, enc = BUF_INIT, cmd = BUF_INIT;
	buf_printf(&cmd, "AUTH %s", mech);
	if (client_sasl_initial(s, &msg)) {
		base64_encode(BASE64_STD, msg.data, msg.len, &enc);
		buf_printf(&cmd, " %s", enc.len ? buf_cstr(&enc) : "=");
	}
	bool ok = command(c, buf_cstr(&cmd), true, err);
	struct buf in = BUF_INIT;
	for (int round = 0; ok && c->code == 334 && round < 8; round++) {
		struct error serr = {0};
		buf_reset(&in);
		bool good = base64_decode(BASE64_STD, str_from(buf_cstr(&c->reply)), &in);
		if (!good)
			error_set(&serr, ERR_INVALID, "bad base64 in challenge");
		else
			good = client_sasl_step(s, (const uint8_t *)in.data, in.len, &msg, &serr);
		if (!good) {
			/* RFC 4954 4: "*" cancels; then report why. */
			command(c, "*", false, NULL);
			ok = error_set(err, ERR_PERMISSION, "authentication: %s", serr.msg);
			break;
		}
		buf_reset(&enc);
		base64_encode(BASE64_STD, msg.data, msg.len, &enc);
		ok = command(c, buf_cstr(&enc), true, err);
	}
	buf_free(&in);
	if (ok && c->code != 235)
		ok = refused(c, "authentication", err);
	else if (ok && !client_sasl_done(s))
		ok = error_set(err, ERR_PERMISSION, "authentication: server did not prove itself");
	if (ok)
		str_copy(c->auth_mech, sizeof c->auth_mech, mech);
	client_sasl_free(s);
	buf_free(&msg);
	buf_free(&enc);
	OPENSSL_cleanse(cmd.data, cmd.len);
	buf_free(&cmd);
	return ok;
}

static bool authenticate(struct smtp_client *c, struct error *err)
{
	bool have_cert = c->o.cert_pem_file || c->o.ed25519_key;
	const char *list = ext_params(c, "AUTH");
	if (have_cert && !(c->o.username && *c->o.username)) {
		/* Seed 000: a known client certificate may already have logged us in;
		 * EXTERNAL when the server asks for it. */
		if (list && offered(list, "EXTERNAL"))
			return auth_exchange(c, "EXTERNAL", err);
		str_copy(c->auth_mech, sizeof c->auth_mech, "tls-client-certificate");
		return true;
	}
	if (!(c->o.username && *c->o.username))
		return true;
	if (!list)
		return error_set(err, ERR_PERMISSION, "server offers no authentication%s",
				 c->ssl ? "" : " (without TLS)");
	struct client_sasl_cb cb;
	const char *mech = choose_mech(c, list, channel_binding(c, &cb));
	if (!mech)
		return error_set(err, ERR_PERMISSION,
				 "no shared authentication mechanism (server: %s)", list);
	return auth_exchange(c, mech, err);
}

static bool start_tls(struct smtp_client *c, struct error *err)
{
	bool offered_tls = smtp_client_has_ext(c, "STARTTLS");
	if (c->o.tls == SMTP_CLIENT_TLS_OPPORTUNISTIC && !offered_tls)
		return true;
	if (!command(c, "STARTTLS", false, err))
		return false;
	if (c->code != 220)
		return refused(c, "STARTTLS", err);
	/* RFC 3207 4.2: nothing the server sent before TLS may be used after. */
	c->rpos = c->rlen = 0;
	return tls_handshake(c, err) && ehlo(c, err);
}

struct smtp_client *smtp_client_connect(const struct smtp_client_opts *o, struct error *err)
{
	struct smtp_client *c = xcalloc(1, sizeof *c);
	c->o = *o;
	c->fd = -1;
	buf_init(&c->reply);
	bool ok = tcp_connect(c, err);
	if (ok && o->tls == SMTP_CLIENT_TLS_IMPLICIT)
		ok = tls_handshake(c, err);
	ok = ok && read_reply(c, err);
	if (ok && c->code != 220)
		ok = refused(c, "greeting", err);
	ok = ok && ehlo(c, err);
	if (ok && (o->tls == SMTP_CLIENT_TLS_STARTTLS || o->tls == SMTP_CLIENT_TLS_OPPORTUNISTIC))
		ok = start_tls(c, err);
	ok = ok && authenticate(c, err);
	if (!ok) {
		smtp_client_free(c);
		return NULL;
	}
	return c;
}

bool smtp_client_tls_active(const struct smtp_client *c)
{
	return c->ssl != NULL;
}

const char *smtp_client_tls_desc(const struct smtp_client *c)
{
	return c->tls_desc;
}

const char *smtp_client_auth_mech(const struct smtp_client *c)
{
	return c->auth_mech;
}

/* RFC 5321 4.5.2: CRLF line ends, a dot doubled at line start, CRLF.CRLF at the end. */
static void dot_stuff(const char *msg, size_t len, struct buf *out)
{
	bool bol = true;
	for (size_t i = 0; i < len; i++) {
		char ch = msg[i];
		if (bol && ch == '.')
			buf_putc(out, '.');
		if (ch == '\n' && (i == 0 || msg[i - 1] != '\r'))
			buf_putc(out, '\r');
		if (ch == '\r' && (i + 1 >= len || msg[i + 1] != '\n')) {
			buf_puts(out, "\r\n"); /* a bare CR becomes a line end */
			bol = true;
			continue;
		}
		buf_putc(out, ch);
		bol = ch == '\n';
	}
	if (!bol)
		buf_puts(out, "\r\n");
	buf_puts(out, ".\r\n");
}

bool smtp_client_submit(struct smtp_client *c, const char *from, const char *const *rcpts,
			size_t nrcpts, const char *msg, size_t len, bool requiretls,
			struct error *err)
{
	if (requiretls && !smtp_client_has_ext(c, "REQUIRETLS"))
		return error_set(err, ERR_PERMISSION, "server does not offer REQUIRETLS");
	struct buf cmd = BUF_INIT;
	buf_printf(&cmd, "MAIL FROM:<%s>", from);
	if (smtp_client_has_ext(c, "SIZE"))
		buf_printf(&cmd, " SIZE=%zu", len);
	if (smtp_client_has_ext(c, "8BITMIME"))
		buf_puts(&cmd, " BODY=8BITMIME");
	if (requiretls)
		buf_puts(&cmd, " REQUIRETLS");
	bool ok = command(c, buf_cstr(&cmd), false, err);
	if (ok && c->code != 250)
		ok = refused(c, "MAIL FROM", err);
	for (size_t i = 0; ok && i < nrcpts; i++) {
		buf_reset(&cmd);
		buf_printf(&cmd, "RCPT TO:<%s>", rcpts[i]);
		ok = command(c, buf_cstr(&cmd), false, err);
		if (ok && c->code != 250 && c->code != 251)
			ok = refused(c, "RCPT TO", err);
	}
	ok = ok && command(c, "DATA", false, err);
	if (ok && c->code != 354)
		ok = refused(c, "DATA", err);
	if (ok) {
		buf_reset(&cmd);
		dot_stuff(msg, len, &cmd);
		ok = smtp_client_write_raw(c, cmd.data, cmd.len, err) && read_reply(c, err);
		if (ok && c->code != 250)
			ok = refused(c, "message", err);
	}
	buf_free(&cmd);
	return ok;
}

void smtp_client_quit(struct smtp_client *c)
{
	command(c, "QUIT", false, NULL);
}

void smtp_client_free(struct smtp_client *c)
{
	if (!c)
		return;
	if (c->ssl) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	free_exts(c);
	buf_free(&c->reply);
	free(c);
}
