/*
 * Fuzzes the static config model: binding arbitrary input with the static
 * file's schema, writing it back, and checking it. Properties:
 *   - a file that binds is written back (or refused with "cannot write ..."
 *     for what the format cannot express), and that text binds again and is
 *     written identically (write -> load -> write is stable);
 *   - cfg_static_check ends with true or with a "fuzz.conf..." error, and
 *     leaves the configured values as they were (the file written after the
 *     check is the same);
 *   - a file that checks has effective ports in range and paths that start
 *     and end with a slash.
 * Files are looked up in /nonexistent, so every file check fails cleanly.
 */
#include "base/arena.h"
#include "base/buf.h"
#include "config/static.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_or_abort(const struct cfg_static *s, struct buf *out)
{
	struct error err = {0};
	if (!sch_write(&cfg_static_type, s, out, &err))
		abort();
}

/*
 * The first write may refuse, with a message, what the format cannot express
 * (e.g. a map key with a carriage return, which the parser keeps).
 */
static bool write_first(const struct cfg_static *s, struct buf *out)
{
	struct error err = {0};
	if (sch_write(&cfg_static_type, s, out, &err))
		return true;
	if (err.kind != ERR_INVALID || strncmp(err.msg, "cannot write ", 13) != 0 || out->len)
		abort();
	return false;
}

static void check_port(int port)
{
	if (port < 1 || port > CFG_PORT_MAX)
		abort();
}

static void check_web(const struct cfg_listener_web *w)
{
	check_port(w->port_effective);
	if (!w->enabled)
		return;
	size_t n = strlen(w->path_effective);
	if (n == 0 || w->path_effective[0] != '/' || w->path_effective[n - 1] != '/')
		abort();
}

static void check_derived(const struct cfg_static *s)
{
	for (size_t i = 0; i < s->listeners.n; i++) {
		const struct cfg_listener *l = &s->listeners.v[i];
		if (l->ips_parsed.n != l->ips.n || !l->hostname_domain.ascii[0])
			abort();
		check_port(l->smtp.port_effective);
		check_port(l->submission.port_effective);
		check_port(l->imaps.port_effective);
		check_port(l->webserver_https.port_effective);
		check_web(&l->account_http);
		check_web(&l->admin_https);
		check_web(&l->webmail_http);
		check_web(&l->webapi_https);
		if (l->tls && l->tls->min_version_effective != CFG_TLS_1_2 &&
		    l->tls->min_version_effective != CFG_TLS_1_3)
			abort();
	}
	for (size_t i = 0; i < s->transports.n; i++) {
		const struct cfg_transport *t = &s->transports.v[i];
		if (t->smtp && t->kind != CFG_TRANSPORT_SMTP)
			abort();
		if (t->fail &&
		    (t->fail->smtp_code_effective < 400 || t->fail->smtp_code_effective > 599))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	arena_init(&a, 4096);
	struct error err = {0};
	struct cfg_static s;
	memset(&s, 0, sizeof s);
	struct sch_lines *lines = sch_lines_new(&a);
	if (!sch_load((const char *)data, size, "fuzz.conf", &cfg_static_type, &s, &a, lines,
		      &err)) {
		arena_free(&a);
		return 0;
	}

	struct buf w1 = BUF_INIT, w2 = BUF_INIT, w3 = BUF_INIT;
	bool writable = write_first(&s, &w1);
	if (writable) {
		struct cfg_static s2;
		memset(&s2, 0, sizeof s2);
		if (!sch_load(buf_cstr(&w1), w1.len, "fuzz.conf", &cfg_static_type, &s2, &a, NULL,
			      &err))
			abort();
		write_or_abort(&s2, &w2);
		if (strcmp(buf_cstr(&w1), buf_cstr(&w2)) != 0)
			abort();
	}

	struct cfg_check c = {"fuzz.conf", "/nonexistent", lines, &a, &err};
	if (cfg_static_check(&s, &c))
		check_derived(&s);
	else if (strncmp(err.msg, "fuzz.conf", 9) != 0)
		abort();
	if (writable) {
		write_or_abort(&s, &w3);
		if (strcmp(buf_cstr(&w1), buf_cstr(&w3)) != 0)
			abort();
	}

	buf_free(&w1);
	buf_free(&w2);
	buf_free(&w3);
	arena_free(&a);
	return 0;
}
