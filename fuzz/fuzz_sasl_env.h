/*
 * Shared set-up of the SASL fuzz targets (fuzz_sasl_*.c): a checked
 * domains.conf model with accounts, an alias, a disabled account; an
 * in-memory credentials "store" with cheap argon2 costs, so an input reaching
 * a password check costs microseconds, not 64 MiB; deterministic randomness;
 * TLS facts with channel binding data. Built once per process and never
 * freed (still reachable, not a leak).
 *
 * Also the invariants every exchange must keep, checked by check_result:
 * the status agrees with the recorded result; a protocol error is an
 * ERR_INVALID detail (client data, never a server error); nothing but a
 * configured account ever logs in; client messages only for disabled
 * accounts.
 */
#ifndef TERN_FUZZ_SASL_ENV_H
#define TERN_FUZZ_SASL_ENV_H

#include "auth/sasl.h"
#include "base/arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char fuzz_domains_conf[] = "Domains:\n"
					"\texample.org:\n"
					"\t\tLocalpartCatchallSeparator: +\n"
					"\t\tAliases:\n"
					"\t\t\tlist:\n"
					"\t\t\t\tAddresses:\n"
					"\t\t\t\t\t- mjl@example.org\n"
					"Accounts:\n"
					"\tmjl:\n"
					"\t\tDomain: example.org\n"
					"\t\tDestinations:\n"
					"\t\t\tmjl@example.org: nil\n"
					"\t\t\tr\xc3\xa9my@example.org: nil\n"
					"\toff:\n"
					"\t\tDomain: example.org\n"
					"\t\tLoginDisabled: gone\n"
					"\t\tDestinations:\n"
					"\t\t\toff@example.org: nil\n"
					"\tnopw:\n"
					"\t\tDomain: example.org\n"
					"\t\tDestinations:\n"
					"\t\t\tnopw@example.org: nil\n";

static const struct auth_kdf_params fuzz_cheap = {1, 8192, 4096, 4096};

struct fuzz_sasl {
	struct arena arena;
	struct cfg_dynamic cfg;
	struct buf blob; /* credentials of mjl and off: password "pencil" */
	struct auth_env env;
	struct auth_tls tls13, tls12;
	struct auth_identity identity;
};

static struct fuzz_sasl *fuzz_sasl_state;

static inline bool fuzz_get_credentials(void *arg, const char *account, struct buf *out,
					bool *found, struct error *err)
{
	(void)err;
	struct fuzz_sasl *f = arg;
	*found = strcmp(account, "mjl") == 0 || strcmp(account, "off") == 0;
	if (*found)
		buf_append(out, f->blob.data, f->blob.len);
	return true;
}

static unsigned fuzz_counter;
static inline void fuzz_random(void *buf, size_t n)
{
	unsigned char *p = buf;
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(fuzz_counter++ * 37 + 11);
}

static inline int64_t fuzz_now(void)
{
	return 1700000000000;
}

static inline struct fuzz_sasl *fuzz_sasl_setup(void)
{
	if (fuzz_sasl_state)
		return fuzz_sasl_state;
	struct fuzz_sasl *f = calloc(1, sizeof *f);
	arena_init(&f->arena, 65536);
	struct error err = {0};
	struct sch_lines *lines = sch_lines_new(&f->arena);
	struct cfg_dynamic_env denv = {.hostname = "mail.example.org"};
	struct cfg_check c = {"domains.conf", "/nonexistent", lines, &f->arena, &err};
	struct auth_credentials cred;
	if (!sch_load(fuzz_domains_conf, strlen(fuzz_domains_conf), "domains.conf",
		      &cfg_dynamic_type, &f->cfg, &f->arena, lines, &err) ||
	    !cfg_dynamic_check(&f->cfg, &denv, &c) ||
	    !auth_credentials_derive("pencil", 6, &fuzz_cheap, &cred, &err)) {
		fprintf(stderr, "fuzz set-up: %s\n", err.msg);
		abort();
	}
	auth_credentials_serialize(&cred, &f->blob);
	f->env = (struct auth_env){.credentials = fuzz_get_credentials,
				   .credentials_arg = f,
				   .hostname = "mail.example.org",
				   .kdf = &fuzz_cheap,
				   .random = fuzz_random,
				   .now_ms = fuzz_now};
	memset(f->env.secret, 7, sizeof f->env.secret);
	f->tls13 = (struct auth_tls){.active = true, .have_exporter = true, .client_cert = true};
	memset(f->tls13.exporter, 0x5a, sizeof f->tls13.exporter);
	f->tls12 = (struct auth_tls){.active = true, .have_unique = true, .unique_len = 12};
	memset(f->tls12.unique, 0xa5, 12);
	if (auth_lookup_login(&f->cfg, "mjl@example.org", 15, &f->identity.ref, NULL) !=
	    AUTH_LOOKUP_FOUND)
		abort();
	fuzz_sasl_state = f;
	return f;
}

/* The invariants of a finished (or still continuing) exchange. */
static inline void check_result(enum sasl_status st, const struct sasl_result *r)
{
	switch (st) {
	case SASL_OK:
		if (r->result != AUTH_RESULT_OK || (strcmp(r->ref.account, "mjl") != 0))
			abort(); /* only mjl can log in: off is disabled, nopw has no password */
		break;
	case SASL_PROTOCOL:
		if (r->result != AUTH_RESULT_BADPROTOCOL || r->detail.kind != ERR_INVALID)
			abort();
		break;
	case SASL_FAIL:
		if (r->result == AUTH_RESULT_OK || r->result == AUTH_RESULT_BADPROTOCOL ||
		    r->result == AUTH_RESULT_ERROR)
			abort();
		if (r->client_message[0] && r->result != AUTH_RESULT_LOGINDISABLED)
			abort();
		break;
	case SASL_TEMPORARY: abort(); /* the fuzz store never fails */
	case SASL_CONTINUE:
	case SASL_ABORTED: break;
	}
}

/* Runs mech on c: the initial response, then each response in turn. */
static inline void fuzz_exchange(const struct sasl_conn *c, enum sasl_mech mech, const uint8_t *ir,
				 size_t irlen, bool have_ir, const uint8_t *const *resp,
				 const size_t *resplen, size_t nresp)
{
	struct fuzz_sasl *f = fuzz_sasl_setup();
	struct error err = {0};
	struct sasl_session *s = sasl_new(&f->env, c, mech, &err);
	if (!s)
		return;
	struct buf ch = BUF_INIT;
	enum sasl_status st = sasl_start(s, ir, irlen, have_ir, &ch);
	for (size_t i = 0; st == SASL_CONTINUE && i < nresp; i++)
		st = sasl_step(s, resp[i], resplen[i], &ch);
	check_result(st, sasl_result(s));
	buf_free(&ch);
	sasl_free(s);
}

/* Splits data at the first occurrences of sep into at most max parts. */
static inline size_t fuzz_split(const uint8_t *data, size_t size, uint8_t sep,
				const uint8_t **parts, size_t *lens, size_t max)
{
	size_t n = 0;
	while (n + 1 < max) {
		const uint8_t *p = size ? memchr(data, sep, size) : NULL;
		if (!p)
			break;
		parts[n] = data;
		lens[n++] = (size_t)(p - data);
		size -= (size_t)(p - data) + 1;
		data = p + 1;
	}
	parts[n] = data;
	lens[n++] = size;
	return n;
}

#endif
