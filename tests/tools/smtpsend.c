/*
 * smtpsend: drives tern's SMTP client (smtp/client.h on net/dial.h and
 * net/tlsclient.h) from the command line, so integration tests can deliver
 * to real servers (tern, Postfix) with any TLS verification mode and
 * hand-made TLSA records, and read back what happened.
 *
 *   smtpsend (-connect IP:PORT ... | -host NAME -port N) [-local IP]...
 *            [-tls none|opportunistic|starttls|implicit]
 *            [-verify none|opportunistic|pkix|dane] [-name NAME] [-morename NAME]...
 *            [-cafile FILE] [-clientcert PEMFILE [-certlogin]]
 *            [-tlsa "USAGE SELECTOR MTYPE HEX"]...
 *            [-ehlo NAME] [-user U -pass P] [-from ADDR] [-rcpt ADDR]... [-msg FILE]...
 *            [-8bit] [-smtputf8] [-requiretls] [-timeout MS] [-dialtimeout MS]
 *
 * Each -msg file is one transaction to all -rcpt addresses over the one
 * connection. Output: one line per fact ("dial ...", "tls ...", "ehlo ...",
 * "tx N ...", "rcpt N I ...", "error ...", "quit ..."), fields as key=value
 * with values quoted when they have spaces. Exit 0 when every step
 * succeeded, 1 otherwise, 2 for usage errors.
 */
#include "base/buf.h"
#include "base/file.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "net/dial.h"
#include "net/tlsclient.h"
#include "smtp/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS 32
#define MSG_MAX   (64 * 1024 * 1024)

struct opts {
	const char *connect[MAX_ITEMS];
	size_t nconnect;
	const char *host;
	uint16_t port;
	const char *local[MAX_ITEMS];
	size_t nlocal;
	const char *tls, *verify, *name, *cafile, *clientcert, *ehlo, *user, *pass, *from;
	const char *more_names[MAX_ITEMS];
	size_t nmore;
	const char *tlsa[MAX_ITEMS];
	size_t ntlsa;
	const char *rcpts[MAX_ITEMS];
	size_t nrcpts;
	const char *msgs[MAX_ITEMS];
	size_t nmsgs;
	bool eightbit, smtputf8, requiretls, certlogin;
	int timeout_ms, dial_timeout_ms;
};

__attribute__((noreturn)) static void usage(const char *why)
{
	fprintf(stderr, "smtpsend: %s\nusage: see tests/tools/smtpsend.c\n", why);
	exit(2);
}

static void add(const char **list, size_t *n, const char *v)
{
	if (*n >= MAX_ITEMS)
		usage("too many values");
	list[(*n)++] = v;
}

static int number(const char *s)
{
	uint64_t v;
	if (!str_parse_u64(str_from(s), 3600 * 1000, &v))
		usage("not a number");
	return (int)v;
}

/* Flags without a value; true when f was one. */
static bool parse_switch(struct opts *o, const char *f)
{
	if (strcmp(f, "-8bit") == 0)
		o->eightbit = true;
	else if (strcmp(f, "-smtputf8") == 0)
		o->smtputf8 = true;
	else if (strcmp(f, "-requiretls") == 0)
		o->requiretls = true;
	else if (strcmp(f, "-certlogin") == 0)
		o->certlogin = true;
	else
		return false;
	return true;
}

static void parse_value(struct opts *o, const char *f, const char *v)
{
	const char **single[] = {&o->tls,  &o->verify, &o->name, &o->cafile, &o->clientcert,
				 &o->ehlo, &o->user,   &o->pass, &o->from,   &o->host};
	static const char *const names[] = {"-tls",  "-verify", "-name", "-cafile", "-clientcert",
					    "-ehlo", "-user",   "-pass", "-from",   "-host"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(f, names[i]) == 0) {
			*single[i] = v;
			return;
		}
	if (strcmp(f, "-connect") == 0)
		add(o->connect, &o->nconnect, v);
	else if (strcmp(f, "-local") == 0)
		add(o->local, &o->nlocal, v);
	else if (strcmp(f, "-morename") == 0)
		add(o->more_names, &o->nmore, v);
	else if (strcmp(f, "-tlsa") == 0)
		add(o->tlsa, &o->ntlsa, v);
	else if (strcmp(f, "-rcpt") == 0)
		add(o->rcpts, &o->nrcpts, v);
	else if (strcmp(f, "-msg") == 0)
		add(o->msgs, &o->nmsgs, v);
	else if (strcmp(f, "-port") == 0)
		o->port = (uint16_t)number(v);
	else if (strcmp(f, "-timeout") == 0)
		o->timeout_ms = number(v);
	else if (strcmp(f, "-dialtimeout") == 0)
		o->dial_timeout_ms = number(v);
	else
		usage(f);
}

static void parse(struct opts *o, int argc, char **argv)
{
	*o = (struct opts){.tls = "none", .verify = "none", .from = "", .timeout_ms = 30000};
	for (int i = 1; i < argc; i++) {
		if (parse_switch(o, argv[i]))
			continue;
		if (i + 1 >= argc)
			usage("flag without value");
		parse_value(o, argv[i], argv[i + 1]);
		i++;
	}
	if (!o->nconnect && !o->host)
		usage("need -connect or -host");
}

/* "U S M HEX" into r; *data is allocated for it. */
static void parse_tlsa(const char *s, struct tls_tlsa *r, uint8_t **datap)
{
	unsigned u, sel, m;
	int off = 0;
	if (sscanf(s, "%u %u %u %n", &u, &sel, &m, &off) != 3 || u > 255 || sel > 255 || m > 255)
		usage("bad -tlsa");
	const char *hex = s + off;
	size_t n = strlen(hex) / 2;
	uint8_t *data = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		int hi = ascii_hexval(hex[2 * i]), lo = ascii_hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			usage("bad hex in -tlsa");
		data[i] = (uint8_t)(hi << 4 | lo);
	}
	*r = (struct tls_tlsa){(uint8_t)u, (uint8_t)sel, (uint8_t)m, data, n};
	*datap = data;
}

static enum tls_verify verify_mode(const char *s)
{
	for (enum tls_verify v = TLS_VERIFY_NONE; v <= TLS_VERIFY_DANE; v++)
		if (strcmp(s, tls_verify_name(v)) == 0)
			return v;
	usage("bad -verify");
}

static enum smtp_client_tls tls_mode(const char *s)
{
	static const char *const names[] = {"none", "opportunistic", "starttls", "implicit"};
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return (enum smtp_client_tls)i;
	usage("bad -tls");
}

/* A value in double quotes, '"' and '\\' escaped (shell rules, as Python's shlex reads them). */
static const char *quoted(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	out[n++] = '"';
	for (; *s && n + 3 < cap; s++) {
		if (*s == '"' || *s == '\\')
			out[n++] = '\\';
		out[n++] = *s;
	}
	out[n++] = '"';
	out[n] = '\0';
	return out;
}

static void print_error(const char *what, const struct error *err)
{
	char q[2 * ERROR_MSG_MAX + 3];
	printf("%s fail kind=%s msg=%s\n", what, error_kind_name(err->kind),
	       quoted(err->msg, q, sizeof q));
}

static const char *check_word(const struct tls_check *c)
{
	return !c->checked ? "-" : c->ok ? "ok" : "fail";
}

static void print_tls(const struct tls_client_result *r)
{
	char q[4][2 * TLS_CERT_NAME_MAX + 3];
	printf("tls handshake=%d verified=%d verify=%s failure=\"%s\" reason=%s pkix=%s "
	       "pkixfailure=\"%s\" pkixreason=%s dane=%s danefailure=\"%s\" usable=%zu "
	       "matched=%d usage=%d selector=%d mtype=%d depth=%d version=%s cipher=%s sni=%s "
	       "chain=%u subject=%s issuer=%s\n",
	       r->handshake_done, r->verified, tls_verify_name(r->verify),
	       tls_result_type_name(r->failure), quoted(r->reason, q[0], sizeof q[0]),
	       check_word(&r->pkix), tls_result_type_name(r->pkix.failure),
	       quoted(r->pkix.reason, q[1], sizeof q[1]), check_word(&r->dane),
	       tls_result_type_name(r->dane.failure), r->tlsa_usable, r->dane_matched,
	       r->dane_usage, r->dane_selector, r->dane_mtype, r->dane_depth, r->version, r->cipher,
	       r->server_name[0] ? r->server_name : "-", r->chain_len,
	       quoted(r->leaf_subject, q[2], sizeof q[2]),
	       quoted(r->leaf_issuer, q[3], sizeof q[3]));
}

static void print_exts(const struct smtp_exts *x)
{
	printf("ehlo pipelining=%d chunking=%d 8bitmime=%d smtputf8=%d requiretls=%d starttls=%d "
	       "size=%d sizemax=%llu auth=\"%s\"\n",
	       x->pipelining, x->chunking, x->eightbitmime, x->smtputf8, x->requiretls, x->starttls,
	       x->size, (unsigned long long)x->size_max, x->auth_mechs);
}

/* How many certificates conn_tls_peer_chain_pem gives, when TLS is on. */
static void print_chain(struct conn *c)
{
	struct buf pem = BUF_INIT;
	if (conn_tls(c) && conn_tls_peer_chain_pem(c, &pem, NULL)) {
		size_t n = 0;
		for (const char *p = buf_cstr(&pem); (p = strstr(p, "-----BEGIN CERTIFICATE-----"));
		     p++)
			n++;
		printf("peerchain pem=%zu\n", n);
	}
	buf_free(&pem);
}

static struct conn *dial(const struct opts *o, struct error *err)
{
	struct dial_addr local[MAX_ITEMS], to[MAX_ITEMS];
	for (size_t i = 0; i < o->nlocal; i++)
		if (!dial_addr_parse(o->local[i], 0, &local[i], err))
			return NULL;
	struct dial_opts d = {.timeout_ms = o->dial_timeout_ms,
			      .local = local,
			      .nlocal = o->nlocal,
			      .pkg = log_pkg("smtpclient")};
	if (!o->nconnect)
		return dial_host(o->host, o->port, &d, err);
	for (size_t i = 0; i < o->nconnect; i++) {
		char *ip = xstrdup(o->connect[i]), *colon = strrchr(ip, ':');
		if (!colon)
			usage("-connect needs IP:PORT");
		*colon = '\0';
		char *bare = ip[0] == '[' ? ip + 1 : ip;
		if (bare != ip && colon[-1] == ']')
			colon[-1] = '\0';
		bool ok = dial_addr_parse(bare, (uint16_t)number(colon + 1), &to[i], err);
		free(ip);
		if (!ok)
			return NULL;
	}
	return dial_addrs(to, o->nconnect, &d, NULL, err);
}

static bool send_one(struct smtp_client *c, const struct opts *o, size_t i)
{
	struct buf msg = BUF_INIT;
	struct error err = {0};
	if (!file_read_all(o->msgs[i], MSG_MAX, &msg, &err)) {
		print_error("msg", &err);
		return false;
	}
	struct smtp_tx tx = {.mail_from = o->from,
			     .rcpts = o->rcpts,
			     .nrcpts = o->nrcpts,
			     .msg = {.data = msg.data, .len = msg.len, .fd = -1},
			     .need_8bitmime = o->eightbit,
			     .need_smtputf8 = o->smtputf8,
			     .requiretls = o->requiretls};
	struct smtp_tx_result res;
	smtp_tx_result_init(&res);
	bool ok = smtp_client_send(c, &tx, &res, &err);
	printf("tx %zu ok=%d fail=%d mail=%d data=%d dataecode=%s accepted=%zu chunking=%d "
	       "pipelined=%d\n",
	       i, ok, res.fail, res.mail.code, res.data.code,
	       res.data.ecode[0] ? res.data.ecode : "-", res.accepted, res.chunking, res.pipelined);
	for (size_t r = 0; r < res.nrcpts; r++)
		printf("rcpt %zu %zu code=%d ecode=%s\n", i, r, res.rcpt[r].code,
		       res.rcpt[r].ecode[0] ? res.rcpt[r].ecode : "-");
	if (!ok)
		print_error("error", &err);
	smtp_tx_result_free(&res);
	buf_free(&msg);
	return ok;
}

static struct tls_client *make_tls(const struct opts *o)
{
	struct tls_client_config tc = {.ca_file = o->cafile, .cert_file = o->clientcert};
	struct error err;
	struct tls_client *t = tls_client_new(&tc, &err);
	if (!t) {
		print_error("tlsctx", &err);
		exit(1);
	}
	return t;
}

static int run(const struct opts *o, struct tls_client *tls, const struct tls_tlsa *tlsa)
{
	struct error err = {0};
	struct conn *conn = dial(o, &err);
	if (!conn) {
		print_error("dial", &err);
		return 1;
	}
	printf("dial ok remote=%s local=%s\n", conn_remote(conn), conn_local(conn));
	struct smtp_client_opts co = {
	    .ehlo_name = o->ehlo,
	    .tls = tls_mode(o->tls),
	    .tls_ctx = tls,
	    .tls_params = {.verify = verify_mode(o->verify),
			   .server_name = o->name,
			   .more_names = o->more_names,
			   .nmore_names = o->nmore,
			   .tlsa = tlsa,
			   .ntlsa = o->ntlsa},
	    .username = o->user,
	    .password = o->pass,
	    .client_cert = o->certlogin,
	    .timeout_ms = o->timeout_ms,
	    .data_timeout_ms = o->timeout_ms,
	};
	struct smtp_client *c = smtp_client_new(conn, &co);
	bool ok = smtp_client_hello(c, &err);
	if (smtp_client_tls_result(c))
		print_tls(smtp_client_tls_result(c));
	print_chain(smtp_client_conn(c));
	if (!ok) {
		print_error("hello", &err);
	} else {
		print_exts(smtp_client_exts(c));
		printf("auth mech=%s\n",
		       smtp_client_auth_mech(c)[0] ? smtp_client_auth_mech(c) : "-");
		for (size_t i = 0; i < o->nmsgs; i++)
			ok = send_one(c, o, i) && ok;
	}
	if (smtp_client_usable(c)) {
		bool quit = smtp_client_quit(c, &err);
		if (quit)
			printf("quit ok\n");
		else
			print_error("quit", &err);
	}
	smtp_client_free(c);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct opts o;
	parse(&o, argc, argv);
	log_set_fd(2);
	struct tls_tlsa tlsa[MAX_ITEMS];
	uint8_t *data[MAX_ITEMS];
	for (size_t i = 0; i < o.ntlsa; i++)
		parse_tlsa(o.tlsa[i], &tlsa[i], &data[i]);
	struct tls_client *tls = strcmp(o.tls, "none") != 0 ? make_tls(&o) : NULL;
	int rc = run(&o, tls, tlsa);
	tls_client_unref(tls);
	for (size_t i = 0; i < o.ntlsa; i++)
		free(data[i]);
	fflush(stdout);
	return rc;
}
