#include "base/arena.h"
#include "base/buf.h"
#include "base/timeutil.h"
#include "config/schema.h"

#include <criterion/criterion.h>
#include <string.h>

/* A small model with every kind, shaped like parts of mox's config. */
struct t_keycert {
	const char *cert;
	const char *key;
};
struct t_tls {
	SCH_LIST_OF(struct t_keycert) keycerts;
	const char *minversion;
};
struct t_smtp {
	bool enabled;
	int64_t port;
	int64_t delay;
};
struct t_listener {
	SCH_LIST_OF(const char *) ips;
	struct t_tls *tls;
	struct t_smtp smtp;
	double threshold;
};
struct t_dest {
	const char *mailbox;
};
struct t_root {
	const char *datadir;
	SCH_MAP_OF(const char *) levels;
	SCH_MAP_OF(struct t_listener) listeners;
	SCH_MAP_OF(struct t_dest) dests;
	SCH_LIST_OF(bool) flags;
};

static const struct sch_field keycert_fields[] = {
    SCH_FIELD(struct t_keycert, cert, "CertFile", sch_string, 0, "Certificate file."),
    SCH_FIELD(struct t_keycert, key, "KeyFile", sch_string, 0, "Key file."),
};
static SCH_STRUCT_TYPE(keycert_type, struct t_keycert, "KeyCert", keycert_fields);
static SCH_LIST_TYPE(keycert_list, keycert_type);
static const struct sch_field tls_fields[] = {
    SCH_FIELD(struct t_tls, keycerts, "KeyCerts", keycert_list, SCH_OPTIONAL, "Pairs."),
    SCH_FIELD(struct t_tls, minversion, "MinVersion", sch_string, SCH_OPTIONAL, NULL),
};
static SCH_STRUCT_TYPE(tls_type, struct t_tls, "TLS", tls_fields);
static SCH_PTR_TYPE(tls_ptr, tls_type);
static const struct sch_field smtp_fields[] = {
    SCH_FIELD(struct t_smtp, enabled, "Enabled", sch_bool, 0, NULL),
    SCH_FIELD(struct t_smtp, port, "Port", sch_int, SCH_OPTIONAL, "Default 25."),
    SCH_FIELD(struct t_smtp, delay, "Delay", sch_duration, SCH_OPTIONAL, NULL),
};
static SCH_STRUCT_TYPE(smtp_type, struct t_smtp, "SMTP", smtp_fields);
static const struct sch_field listener_fields[] = {
    SCH_FIELD(struct t_listener, ips, "IPs", sch_string_list, 0, "Addresses to listen on."),
    SCH_FIELD(struct t_listener, tls, "TLS", tls_ptr, SCH_OPTIONAL, NULL),
    SCH_FIELD(struct t_listener, smtp, "SMTP", smtp_type, SCH_OPTIONAL, NULL),
    SCH_FIELD(struct t_listener, threshold, "Threshold", sch_float, SCH_OPTIONAL, NULL),
};
static SCH_STRUCT_TYPE(listener_type, struct t_listener, "Listener", listener_fields);
static SCH_MAP_TYPE(listener_map, listener_type);
static const struct sch_field dest_fields[] = {
    SCH_FIELD(struct t_dest, mailbox, "Mailbox", sch_string, SCH_OPTIONAL, NULL),
};
static SCH_STRUCT_TYPE(dest_type, struct t_dest, "Destination", dest_fields);
static SCH_MAP_TYPE(dest_map, dest_type);
static SCH_LIST_TYPE(bool_list, sch_bool);
static const struct sch_field root_fields[] = {
    SCH_FIELD(struct t_root, datadir, "DataDir", sch_string, 0,
	      "Directory for all data. A long documentation text that has to be wrapped over "
	      "more than one line because it is longer than eighty characters."),
    SCH_FIELD(struct t_root, levels, "PackageLogLevels", sch_string_map, SCH_OPTIONAL, NULL),
    SCH_FIELD(struct t_root, listeners, "Listeners", listener_map, 0, NULL),
    SCH_FIELD(struct t_root, dests, "Destinations", dest_map, SCH_OPTIONAL, NULL),
    SCH_FIELD(struct t_root, flags, "Flags", bool_list, SCH_OPTIONAL, NULL),
};
static SCH_STRUCT_TYPE(root_type, struct t_root, "Static", root_fields);

static struct arena a;

static void setup(void)
{
	arena_init(&a, 4096);
}

static void teardown(void)
{
	arena_free(&a);
}

TestSuite(schema, .init = setup, .fini = teardown);

static const char *good = "DataDir: ../data\n"
			  "PackageLogLevels:\n"
			  "\tsmtpserver: debug\n"
			  "Listeners:\n"
			  "\tpublic:\n"
			  "\t\tIPs:\n"
			  "\t\t\t- 127.0.0.1\n"
			  "\t\t\t- ::1\n"
			  "\t\tTLS:\n"
			  "\t\t\tKeyCerts:\n"
			  "\t\t\t\t-\n"
			  "\t\t\t\t\tCertFile: a.pem\n"
			  "\t\t\t\t\tKeyFile: a.key\n"
			  "\t\tSMTP:\n"
			  "\t\t\tEnabled: true\n"
			  "\t\t\tPort: 2525\n"
			  "\t\t\tDelay: 1m30s\n"
			  "\t\tThreshold: 0.95\n"
			  "\tinternal:\n"
			  "\t\tIPs:\n"
			  "\t\t\t- 10.0.0.1\n"
			  "Destinations:\n"
			  "\tmjl@example.org: nil\n"
			  "\tother@example.org:\n"
			  "\t\tMailbox: Other\n"
			  "Flags:\n"
			  "\t- true\n"
			  "\t- false\n";

static bool load(const char *text, struct t_root *r, struct error *err)
{
	memset(r, 0, sizeof *r);
	return sch_load(text, strlen(text), "x.conf", &root_type, r, &a, NULL, err);
}

static void expect_error(const char *text, const char *msg)
{
	struct t_root r;
	struct error err;
	cr_assert_not(load(text, &r, &err), "load of %s should fail", text);
	cr_assert_str_eq(err.msg, msg);
}

Test(schema, binds_every_kind)
{
	struct t_root r;
	struct error err;
	cr_assert(load(good, &r, &err), "%s", err.msg);
	cr_assert_str_eq(r.datadir, "../data");
	cr_assert_eq(r.levels.n, 1);
	cr_assert_str_eq(r.levels.keys[0], "smtpserver");
	cr_assert_str_eq(r.levels.v[0], "debug");
	cr_assert_eq(r.listeners.n, 2);
	cr_assert_str_eq(r.listeners.keys[0], "public");
	struct t_listener *l = &r.listeners.v[0];
	cr_assert_eq(l->ips.n, 2);
	cr_assert_str_eq(l->ips.v[1], "::1");
	cr_assert_not_null(l->tls);
	cr_assert_eq(l->tls->keycerts.n, 1);
	cr_assert_str_eq(l->tls->keycerts.v[0].key, "a.key");
	cr_assert_str_eq(l->tls->minversion, "", "absent strings are empty, not NULL");
	cr_assert(l->smtp.enabled);
	cr_assert_eq(l->smtp.port, 2525);
	cr_assert_eq(l->smtp.delay, 90 * NS_PER_SEC);
	cr_assert_float_eq(l->threshold, 0.95, 1e-12);
	struct t_listener *l2 = &r.listeners.v[1];
	cr_assert_null(l2->tls);
	cr_assert_not(l2->smtp.enabled);
	cr_assert_eq(r.dests.n, 2);
	cr_assert_str_eq(r.dests.v[0].mailbox, "", "nil is the zero value");
	cr_assert_str_eq(r.dests.v[1].mailbox, "Other");
	cr_assert_eq(r.flags.n, 2);
	cr_assert(r.flags.v[0]);
	cr_assert_not(r.flags.v[1]);
}

Test(schema, type_and_structure_errors)
{
	expect_error("Listeners:\n\tx:\n\t\tIPs:\n\t\t\t- a\nDataDir: d\nBogus: 1\n",
		     "x.conf:6: unknown field \"Bogus\" in Static");
	expect_error("DataDir : d\n", "x.conf:1: unknown field \"DataDir \" in Static (stray "
				      "whitespace in key?)");
	expect_error("DataDir: a\nDataDir: b\n", "x.conf:2: duplicate field \"DataDir\" in Static");
	expect_error("DataDir: d\n", "x.conf: missing required field \"Listeners\" in Static");
	expect_error(
	    "DataDir: d\nListeners:\n\tx:\n\t\tIPs:\n\t\t\t- a\n\t\tSMTP:\n\t\t\tPort: 1\n",
	    "x.conf:6: missing required field \"Enabled\" in SMTP");
	expect_error("DataDir: d\nListeners:\n\tx:\n\t\tIPs:\n\t\t\t- a\n\t\tSMTP:\n\t\t\tEnabled: "
		     "yes\n",
		     "x.conf:7: Enabled: invalid boolean \"yes\" (use true or false)");
	expect_error("DataDir: d\nListeners:\n\tx:\n\t\tIPs:\n\t\t\t- a\n\t\tSMTP:\n\t\t\tEnabled: "
		     "true\n\t\t\tPort: 25x\n",
		     "x.conf:8: Port: invalid integer \"25x\"");
	expect_error("DataDir: d\nListeners:\n\tx:\n\t\tIPs:\n\t\t\t- a\n\t\tSMTP:\n\t\t\tEnabled: "
		     "true\n\t\t\tDelay: 10\n",
		     "x.conf:8: Delay: invalid duration \"10\" (use e.g. 90s, 15m, 72h, 1h30m)");
	expect_error("DataDir: d\nListeners:\n\tx:\n\t\tIPs:\n\t\t\t- a\n\t\tThreshold: lots\n",
		     "x.conf:6: Threshold: invalid number \"lots\"");
	expect_error("DataDir:\n\tx: y\nListeners:\n\tx:\n\t\tIPs:\n\t\t\t- a\n",
		     "x.conf:1: DataDir: expected a value on the line, not an indented block");
	expect_error("DataDir: d\nListeners: x\n",
		     "x.conf:2: Listeners: expected an indented block on the next lines, not a "
		     "value");
	expect_error(
	    "DataDir: d\nListeners:\n",
	    "x.conf:2: Listeners: expected an indented block of fields (\"Key: value\") on "
	    "the next lines");
	expect_error("DataDir: d\nListeners:\n\t- x\n",
		     "x.conf:2: Listeners: expected keys (\"Key: value\"), not list items");
	expect_error("DataDir: d\nListeners:\n\tx:\n\t\tIPs:\n\t\t\tA: b\n",
		     "x.conf:4: IPs: expected list items (\"- value\"), not keys");
	expect_error("- x\n",
		     "x.conf:1: expected fields (\"Key: value\") at the top level, not list items");
	expect_error("DataDir: d\nListeners:\n\tx:\n\t\tIPs:\n\t\t\t- a\n\tx:\n\t\tIPs:\n\t\t\t- "
		     "b\n",
		     "x.conf:6: Listeners: duplicate key \"x\"");
}

Test(schema, write_reads_back_identically)
{
	struct t_root r;
	struct error err;
	cr_assert(load(good, &r, &err), "%s", err.msg);
	struct buf out = BUF_INIT;
	cr_assert(sch_write(&root_type, &r, &out, &err), "%s", err.msg);
	/* Zero optional fields vanish; nil map values and everything else stay. */
	cr_assert_str_eq(buf_cstr(&out), good);

	struct t_root r2;
	cr_assert(load(buf_cstr(&out), &r2, &err), "%s", err.msg);
	struct buf out2 = BUF_INIT;
	cr_assert(sch_write(&root_type, &r2, &out2, &err));
	cr_assert_str_eq(buf_cstr(&out2), buf_cstr(&out));
	buf_free(&out);
	buf_free(&out2);
}

Test(schema, write_keeps_empty_structs_parseable)
{
	struct t_root r;
	struct error err;
	cr_assert(
	    load("DataDir: d\nListeners:\n\tx:\n\t\tIPs:\n\t\t\t- a\n\t\tTLS:\n\t\t\tMinVersion: "
		 "\n",
		 &r, &err),
	    "%s", err.msg);
	cr_assert_not_null(r.listeners.v[0].tls);
	struct buf out = BUF_INIT;
	cr_assert(sch_write(&root_type, &r, &out, &err), "%s", err.msg);
	struct t_root r2;
	cr_assert(load(buf_cstr(&out), &r2, &err), "%s\n%s", err.msg, buf_cstr(&out));
	cr_assert_not_null(r2.listeners.v[0].tls, "presence of an empty TLS block survives");
	buf_free(&out);
}

Test(schema, write_refuses_what_cannot_be_expressed)
{
	struct t_root r;
	struct error err;
	cr_assert(load(good, &r, &err));
	r.datadir = "a\nb";
	struct buf out = BUF_INIT;
	cr_assert_not(sch_write(&root_type, &r, &out, &err));
	cr_assert_str_eq(err.msg, "cannot write DataDir: value contains a line break");
	cr_assert_eq(out.len, 0, "nothing is left half-written");
	r.datadir = "d";
	r.levels.keys[0] = "a:b";
	cr_assert_not(sch_write(&root_type, &r, &out, &err));
	cr_assert(strstr(err.msg, "PackageLogLevels.a:b: map key cannot be written"));
	r.levels.keys[0] = "smtpserver";
	r.listeners.n = 0;
	cr_assert_not(sch_write(&root_type, &r, &out, &err));
	cr_assert_str_eq(err.msg, "cannot write Listeners: required map is empty");
	buf_free(&out);
}

Test(schema, describe_parses_back_and_documents)
{
	struct buf out = BUF_INIT;
	sch_describe(&root_type, &out);
	const char *d = buf_cstr(&out);
	cr_assert(strstr(d, "\n# Directory for all data. A long documentation text that has to be "
			    "wrapped over\n# more than one line because it is longer than eighty "
			    "characters.\nDataDir:\n"),
		  "%s", d);
	cr_assert(strstr(d, "\n# (optional)\nPackageLogLevels:\n\tx:\n"), "%s", d);
	cr_assert(strstr(d,
			 "\t\t\tKeyCerts:\n\t\t\t\t-\n\n\t\t\t\t\t# Certificate file.\n\t\t\t\t\t"
			 "CertFile:\n"),
		  "%s", d);
	cr_assert(strstr(d, "\t\t\t# Default 25. (optional)\n\t\t\tPort: 0\n"), "%s", d);
	struct t_root r;
	struct error err;
	cr_assert(load(d, &r, &err), "%s\n%s", err.msg, d);
	cr_assert_eq(r.listeners.n, 1);
	cr_assert_eq(r.flags.n, 1);
	buf_free(&out);
}

struct seen {
	struct buf paths;
};

static void collect(void *arg, const char *path, const char *pattern, const struct sch_field *f)
{
	struct seen *s = arg;
	buf_printf(&s->paths, "%s=%s|", path, pattern);
	(void)f;
}

Test(schema, walk_reports_set_fields_with_patterns)
{
	struct t_root r;
	struct error err;
	cr_assert(
	    load("DataDir: d\nListeners:\n\tx:\n\t\tIPs:\n\t\t\t- a\n\t\tTLS:\n\t\t\tKeyCerts:"
		 "\n\t\t\t\t-\n\t\t\t\t\tCertFile: c\n\t\t\t\t\tKeyFile: k\n",
		 &r, &err),
	    "%s", err.msg);
	struct seen s = {BUF_INIT};
	sch_walk_set(&root_type, &r, collect, &s);
	cr_assert_str_eq(buf_cstr(&s.paths),
			 "DataDir=DataDir|Listeners=Listeners|Listeners.x.IPs=Listeners.*.IPs|"
			 "Listeners.x.TLS=Listeners.*.TLS|"
			 "Listeners.x.TLS.KeyCerts=Listeners.*.TLS.KeyCerts|"
			 "Listeners.x.TLS.KeyCerts[0].CertFile=Listeners.*.TLS.KeyCerts[].CertFile|"
			 "Listeners.x.TLS.KeyCerts[0].KeyFile=Listeners.*.TLS.KeyCerts[].KeyFile|");
	buf_free(&s.paths);
}

Test(schema, map_and_list_editing)
{
	struct t_root r;
	struct error err;
	cr_assert(load(good, &r, &err));
	struct sch_map *m = (struct sch_map *)&r.dests;
	cr_assert_eq(sch_map_index(m, "other@example.org"), 1);
	struct t_dest *d = sch_map_add(m, sizeof *d, "new@example.org", &a);
	d->mailbox = "New";
	cr_assert_eq(r.dests.n, 3);
	cr_assert_str_eq(r.dests.v[2].mailbox, "New");
	sch_map_remove(m, sizeof *d, 0);
	cr_assert_eq(r.dests.n, 2);
	cr_assert_str_eq(r.dests.keys[0], "other@example.org");
	cr_assert_str_eq(r.dests.keys[1], "new@example.org");
	cr_assert_eq(sch_map_index(m, "mjl@example.org"), -1);

	struct sch_list *l = (struct sch_list *)&r.listeners.v[0].ips;
	const char **ip = sch_list_add(l, sizeof *ip, &a);
	*ip = "192.0.2.1";
	cr_assert_eq(r.listeners.v[0].ips.n, 3);
	sch_list_remove(l, sizeof *ip, 0);
	cr_assert_str_eq(r.listeners.v[0].ips.v[0], "::1");
	cr_assert_str_eq(r.listeners.v[0].ips.v[1], "192.0.2.1");
}

Test(schema, lines_of_bound_values)
{
	struct t_root r;
	struct error err;
	memset(&r, 0, sizeof r);
	struct sch_lines *lines = sch_lines_new(&a);
	cr_assert(sch_load(good, strlen(good), "x.conf", &root_type, &r, &a, lines, &err));
	cr_assert_eq(sch_lines_get(lines, &r.datadir), 1);
	cr_assert_eq(sch_lines_get(lines, &r.listeners.v[0]), 5);
	cr_assert_eq(sch_lines_get(lines, &r.listeners.v[0].ips.v[1]), 8);
	cr_assert_eq(sch_lines_get(lines, &r.listeners.v[0].tls->keycerts.v[0].key), 13);
	cr_assert_eq(sch_lines_get(lines, &r.listeners.v[0].smtp.port), 16);
	cr_assert_eq(sch_lines_get(lines, &r.dests.v[0]), 23, "nil values have their key's line");
	cr_assert_eq(sch_lines_get(lines, &r.flags.v[1]), 28);
	cr_assert_eq(sch_lines_get(lines, &r.listeners.v[0].ips), 5, "first field: struct's line");
}
