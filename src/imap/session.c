/*
 * The session: greeting, the command loop, state checks, capabilities,
 * tagged replies, login and logout (see session.h).
 */
#include "imap/session.h"

#include "auth/sasl.h"
#include "auth/sasl_conn.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "imap/server_internal.h"
#include "imap/idlehub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct log_pkg *pkg(void)
{
	static struct log_pkg *p;
	if (!p)
		p = log_pkg("imapserver");
	return p;
}

/* ---- capabilities ---- */

static const struct {
	imap_caps cap;
	const char *name;
} cap_names[] = {
    {IMAP_CAP_IMAP4REV2, "IMAP4rev2"},
    {0, "IMAP4rev1"},
    {IMAP_CAP_ENABLE, "ENABLE"},
    {IMAP_CAP_LITERAL_PLUS, "LITERAL+"},
    {IMAP_CAP_IDLE, "IDLE"},
    {IMAP_CAP_SASL_IR, "SASL-IR"},
    {IMAP_CAP_BINARY, "BINARY"},
    {IMAP_CAP_UNSELECT, "UNSELECT"},
    {IMAP_CAP_UIDPLUS, "UIDPLUS"},
    {IMAP_CAP_ESEARCH, "ESEARCH"},
    {IMAP_CAP_SEARCHRES, "SEARCHRES"},
    {IMAP_CAP_MOVE, "MOVE"},
    {IMAP_CAP_UTF8_ACCEPT, "UTF8=ACCEPT"},
    {IMAP_CAP_LIST_EXTENDED, "LIST-EXTENDED"},
    {IMAP_CAP_SPECIAL_USE, "SPECIAL-USE"},
    {IMAP_CAP_CREATE_SPECIAL_USE, "CREATE-SPECIAL-USE"},
    {IMAP_CAP_LIST_STATUS, "LIST-STATUS"},
    {IMAP_CAP_ID, "ID"},
    {IMAP_CAP_APPENDLIMIT, "APPENDLIMIT"},
    {IMAP_CAP_CONDSTORE, "CONDSTORE"},
    {IMAP_CAP_QRESYNC, "QRESYNC"},
    {IMAP_CAP_STATUS_SIZE, "STATUS=SIZE"},
    {IMAP_CAP_NAMESPACE, "NAMESPACE"},
    {IMAP_CAP_QUOTA, "QUOTA"},
    {IMAP_CAP_QUOTA, "QUOTA=RES-STORAGE"},
    {IMAP_CAP_SAVEDATE, "SAVEDATE"},
    {IMAP_CAP_WITHIN, "WITHIN"},
    {IMAP_CAP_OBJECTID, "OBJECTID"},
    {IMAP_CAP_PREVIEW, "PREVIEW"},
    {IMAP_CAP_MULTIAPPEND, "MULTIAPPEND"},
    {IMAP_CAP_REPLACE, "REPLACE"},
    {IMAP_CAP_INPROGRESS, "INPROGRESS"},
    {IMAP_CAP_MULTISEARCH, "MULTISEARCH"},
    {IMAP_CAP_UIDONLY, "UIDONLY"},
    {IMAP_CAP_PARTIAL, "PARTIAL"},
    {IMAP_CAP_SORT, "SORT"},
    {IMAP_CAP_ESORT, "ESORT"},
    {IMAP_CAP_THREAD, "THREAD=ORDEREDSUBJECT"},
    {IMAP_CAP_THREAD, "THREAD=REFERENCES"},
};

const char *imap_cap_name(imap_caps cap)
{
	for (size_t i = 0; i < ARRAY_LEN(cap_names); i++)
		if (cap_names[i].cap == cap)
			return cap_names[i].name;
	return NULL;
}

imap_caps imap_cap_parse(struct str name)
{
	for (size_t i = 0; i < ARRAY_LEN(cap_names); i++)
		if (cap_names[i].cap && str_eqi_cstr(name, cap_names[i].name))
			return cap_names[i].cap;
	return 0;
}

bool imap_sess_has(const struct imap_session *s, imap_caps cap)
{
	return !(s->disabled & cap);
}

bool imap_sess_utf8(const struct imap_session *s)
{
	return (s->enabled & (IMAP_CAP_IMAP4REV2 | IMAP_CAP_UTF8_ACCEPT)) != 0;
}

/* Whether LOGIN and the password mechanisms may be used on this connection now. */
static bool plaintext_ok(const struct imap_session *s)
{
	return s->tls || s->svc->no_require_starttls;
}

static void sasl_conn_of(struct imap_session *s, const struct cfg_dynamic *d, struct sasl_conn *sc)
{
	*sc = (struct sasl_conn){d, &s->tlsinfo, s->have_identity ? &s->identity : NULL,
				 plaintext_ok(s)};
}

void imap_sess_capabilities(struct imap_session *s, struct buf *out)
{
	for (size_t i = 0; i < ARRAY_LEN(cap_names); i++) {
		if (cap_names[i].cap && !imap_sess_has(s, cap_names[i].cap))
			continue;
		if (i)
			buf_putc(out, ' ');
		if (cap_names[i].cap == IMAP_CAP_APPENDLIMIT)
			buf_printf(out, "APPENDLIMIT=%llu", (unsigned long long)IMAP_APPEND_MAX);
		else
			buf_puts(out, cap_names[i].name);
	}
	if (s->state != IMAP_STATE_NOTAUTH)
		return;
	/* RFC 9051 6.2.1, 6.2.3: STARTTLS, and no logins before TLS unless configured. */
	if (!s->tls && s->svc->tls)
		buf_puts(out, " STARTTLS");
	if (!plaintext_ok(s)) {
		buf_puts(out, " LOGINDISABLED");
		return;
	}
	struct auth_service *as = imap_server_auth(s->server);
	if (!as)
		return;
	struct config_dynamic *dyn = config_dynamic_get(imap_server_config(s->server));
	struct sasl_conn sc;
	sasl_conn_of(s, dyn->d, &sc);
	enum sasl_mech mechs[SASL_MECH_COUNT];
	size_t n = sasl_mechanisms(&sc, mechs);
	for (size_t i = 0; i < n; i++)
		buf_printf(out, " AUTH=%s", sasl_mech_name(mechs[i]));
	config_dynamic_put(dyn);
}

/* ---- output ---- */

void imap_sess_write(struct imap_session *s, const void *p, size_t n)
{
	if (s->broken)
		return;
	struct error err;
	if (!conn_write(s->c, p, n, &err)) {
		s->broken = true;
		log_debug(&s->lg, "write failed", LE(&err));
	}
}

void imap_sess_puts(struct imap_session *s, const char *str)
{
	imap_sess_write(s, str, strlen(str));
}

void imap_sess_printf(struct imap_session *s, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	imap_sess_write(s, b.data, b.len);
	buf_free(&b);
}

void imap_sess_flush(struct imap_session *s)
{
	if (s->broken)
		return;
	struct error err;
	if (!conn_flush(s->c, &err)) {
		s->broken = true;
		log_debug(&s->lg, "flush failed", LE(&err));
	}
}

void imap_sess_untagged(struct imap_session *s, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "* ");
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	buf_puts(&b, "\r\n");
	imap_sess_write(s, b.data, b.len);
	buf_free(&b);
}

__attribute__((format(printf, 4, 0))) static void
tagged(struct imap_session *s, const char *status, const char *code, const char *fmt, va_list ap)
{
	if (s->selected && strcmp(status, "BAD") != 0)
		imap_sess_sync(s, !s->cmd_no_expunge);
	struct buf b = BUF_INIT;
	const struct str *tag = &s->cmd.tag;
	if (tag->len)
		buf_append(&b, tag->p, tag->len);
	else
		buf_putc(&b, '*');
	buf_printf(&b, " %s ", status);
	if (code && *code)
		buf_printf(&b, "[%s] ", code);
	buf_vprintf(&b, fmt, ap);
	/* Text from errors must not break the line. */
	for (size_t i = 0; i < b.len; i++)
		if (b.data[i] == '\r' || b.data[i] == '\n')
			b.data[i] = ' ';
	buf_puts(&b, "\r\n");
	imap_sess_write(s, b.data, b.len);
	buf_free(&b);
	imap_sess_flush(s);
}

void imap_sess_ok(struct imap_session *s, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tagged(s, "OK", code, fmt, ap);
	va_end(ap);
	s->nbad = 0;
}

void imap_sess_no(struct imap_session *s, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tagged(s, "NO", code, fmt, ap);
	va_end(ap);
	s->nbad = 0;
}

void imap_sess_bad(struct imap_session *s, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tagged(s, "BAD", code, fmt, ap);
	va_end(ap);
	s->nbad++;
}

void imap_sess_server_error(struct imap_session *s, const char *what, const struct error *err)
{
	log_error(&s->lg, what, LE(err), LS("account", s->account_name));
	imap_sess_no(s, "SERVERBUG", "%s: internal error", what);
}

void imap_sess_no_err(struct imap_session *s, const char *what, const struct error *err)
{
	switch (err->kind) {
	case ERR_NOTFOUND: imap_sess_no(s, "NONEXISTENT", "%s: %s", what, err->msg); break;
	case ERR_EXISTS: imap_sess_no(s, "ALREADYEXISTS", "%s: %s", what, err->msg); break;
	case ERR_INVALID: imap_sess_no(s, "CANNOT", "%s: %s", what, err->msg); break;
	case ERR_LIMIT: imap_sess_no(s, "OVERQUOTA", "%s: %s", what, err->msg); break;
	case ERR_PERMISSION: imap_sess_no(s, "NOPERM", "%s: %s", what, err->msg); break;
	case ERR_TEMPORARY: imap_sess_no(s, "UNAVAILABLE", "%s: %s", what, err->msg); break;
	default: imap_sess_server_error(s, what, err); break;
	}
}

/* ---- login ---- */

int64_t imap_sess_quota(struct imap_session *s)
{
	struct config *cfg = imap_server_config(s->server);
	int64_t q = config_static(cfg)->s->quota_message_size;
	struct config_dynamic *dyn = config_dynamic_get(cfg);
	const struct cfg_account *acc = cfg_account_find(dyn->d, s->account_name);
	if (acc && acc->quota_message_size != 0)
		q = acc->quota_message_size;
	config_dynamic_put(dyn);
	return q > 0 ? q : 0;
}

/* The account's IMAPCapabilitiesDisabled as capability bits. */
static imap_caps disabled_caps(struct imap_session *s)
{
	imap_caps bits = 0;
	struct config_dynamic *dyn = config_dynamic_get(imap_server_config(s->server));
	const struct cfg_account *acc = cfg_account_find(dyn->d, s->account_name);
	for (size_t i = 0; acc && i < acc->imap_capabilities_disabled.n; i++) {
		imap_caps b = imap_cap_parse(str_from(acc->imap_capabilities_disabled.v[i]));
		if (!b)
			log_debug(&s->lg, "unknown capability in IMAPCapabilitiesDisabled",
				  LS("capability", acc->imap_capabilities_disabled.v[i]));
		bits |= b;
	}
	config_dynamic_put(dyn);
	/* QRESYNC builds on CONDSTORE (RFC 7162 3.2.3). */
	if (bits & IMAP_CAP_CONDSTORE)
		bits |= IMAP_CAP_QRESYNC;
	return bits;
}

/* Undoes a half-done login. */
static void login_undo(struct imap_session *s)
{
	store_subscriber_free(s->sub);
	s->sub = NULL;
	if (s->account)
		store_account_close(s->account);
	s->account = NULL;
	if (s->counted)
		imap_server_count_account(s->server, s->account_name, false);
	s->counted = false;
	s->account_name[0] = 0;
	s->username[0] = 0;
}

bool imap_sess_login(struct imap_session *s, const char *account, const char *username,
		     struct error *err)
{
	if (!imap_server_count_account(s->server, account, true))
		return error_set(err, ERR_LIMIT, "too many connections for this account");
	s->counted = true;
	str_copy(s->account_name, sizeof s->account_name, account);
	str_copy(s->username, sizeof s->username, username);
	const struct config_static *cs = config_static(imap_server_config(s->server));
	size_t ninitial = 0;
	struct store_initial_mailbox *initial = store_initial_mailboxes(cs->s, &s->ar, &ninitial);
	struct store_account_options o = {
	    .data_dir = cs->datadir, .name = account, .initial = initial, .ninitial = ninitial};
	struct store_subscriber_options so = {
	    .hold_expunged = true, .notify = imap_waiter_notify, .notify_arg = s->waiter};
	if (!store_account_open(&o, &s->account, err) ||
	    !(s->sub = store_subscriber_new(s->account, &so, err))) {
		login_undo(s);
		return false;
	}
	s->disabled = disabled_caps(s);
	s->state = IMAP_STATE_AUTH;
	conn_set_timeouts(s->c, IMAP_AUTH_TIMEOUT_MS, IMAP_WRITE_TIMEOUT_MS);
	log_info(&s->lg, "authenticated", LS("account", account), LS("username", username));
	return true;
}

void imap_sess_unselect(struct imap_session *s)
{
	if (!s->selected)
		return;
	imap_view_free(&s->sel.view);
	free(s->sel.name);
	free(s->sel.saved);
	free(s->sel.recent);
	arena_free(&s->sel.kwar);
	memset(&s->sel, 0, sizeof s->sel);
	s->selected = false;
	s->state = IMAP_STATE_AUTH;
}

/* ---- dispatch ---- */

#define ANY    (IMAP_STATE_NOTAUTH | IMAP_STATE_AUTH | IMAP_STATE_SELECTED)
#define AUTHED (IMAP_STATE_AUTH | IMAP_STATE_SELECTED)

static const struct {
	enum imap_cmd_kind kind;
	void (*exec)(struct imap_session *s);
	unsigned states;
	imap_caps cap;
} dispatch[] = {
    {IMAP_CMD_CAPABILITY, imap_cmd_capability, ANY, 0},
    {IMAP_CMD_NOOP, imap_cmd_noop, ANY, 0},
    {IMAP_CMD_LOGOUT, imap_cmd_logout, ANY, 0},
    {IMAP_CMD_ID, imap_cmd_id, ANY, IMAP_CAP_ID},
    {IMAP_CMD_STARTTLS, imap_cmd_starttls, IMAP_STATE_NOTAUTH, 0},
    {IMAP_CMD_AUTHENTICATE, imap_cmd_authenticate, IMAP_STATE_NOTAUTH, 0},
    {IMAP_CMD_LOGIN, imap_cmd_login, IMAP_STATE_NOTAUTH, 0},
    {IMAP_CMD_ENABLE, imap_cmd_enable, AUTHED, IMAP_CAP_ENABLE},
    {IMAP_CMD_SELECT, imap_cmd_select, AUTHED, 0},
    {IMAP_CMD_EXAMINE, imap_cmd_select, AUTHED, 0},
    {IMAP_CMD_CREATE, imap_cmd_create, AUTHED, 0},
    {IMAP_CMD_DELETE, imap_cmd_delete, AUTHED, 0},
    {IMAP_CMD_RENAME, imap_cmd_rename, AUTHED, 0},
    {IMAP_CMD_SUBSCRIBE, imap_cmd_subscribe, AUTHED, 0},
    {IMAP_CMD_UNSUBSCRIBE, imap_cmd_subscribe, AUTHED, 0},
    {IMAP_CMD_LIST, imap_cmd_list, AUTHED, 0},
    {IMAP_CMD_LSUB, imap_cmd_list, AUTHED, 0},
    {IMAP_CMD_NAMESPACE, imap_cmd_namespace, AUTHED, IMAP_CAP_NAMESPACE},
    {IMAP_CMD_STATUS, imap_cmd_status, AUTHED, 0},
    {IMAP_CMD_APPEND, imap_cmd_append, AUTHED, 0},
    {IMAP_CMD_IDLE, imap_cmd_idle, AUTHED, IMAP_CAP_IDLE},
    {IMAP_CMD_GETQUOTA, imap_cmd_getquota, AUTHED, IMAP_CAP_QUOTA},
    {IMAP_CMD_GETQUOTAROOT, imap_cmd_getquotaroot, AUTHED, IMAP_CAP_QUOTA},
    {IMAP_CMD_SETQUOTA, imap_cmd_setquota, AUTHED, IMAP_CAP_QUOTA},
    {IMAP_CMD_CHECK, imap_cmd_noop, IMAP_STATE_SELECTED, 0},
    {IMAP_CMD_CLOSE, imap_cmd_close, IMAP_STATE_SELECTED, 0},
    {IMAP_CMD_UNSELECT, imap_cmd_unselect, IMAP_STATE_SELECTED, IMAP_CAP_UNSELECT},
    {IMAP_CMD_SEARCH, imap_cmd_search, IMAP_STATE_SELECTED, 0},
    {IMAP_CMD_FETCH, imap_cmd_fetch, IMAP_STATE_SELECTED, 0},
    {IMAP_CMD_STORE, imap_cmd_store, IMAP_STATE_SELECTED, 0},
    {IMAP_CMD_COPY, imap_cmd_copy, IMAP_STATE_SELECTED, 0},
    {IMAP_CMD_MOVE, imap_cmd_copy, IMAP_STATE_SELECTED, IMAP_CAP_MOVE},
    {IMAP_CMD_EXPUNGE, imap_cmd_expunge, IMAP_STATE_SELECTED, 0},
    {IMAP_CMD_UID_EXPUNGE, imap_cmd_expunge, IMAP_STATE_SELECTED, IMAP_CAP_UIDPLUS},
    {IMAP_CMD_REPLACE, imap_cmd_replace, IMAP_STATE_SELECTED, IMAP_CAP_REPLACE},
    {IMAP_CMD_ESEARCH, imap_cmd_esearch, AUTHED, IMAP_CAP_MULTISEARCH},
    {IMAP_CMD_SORT, imap_cmd_sort, IMAP_STATE_SELECTED, IMAP_CAP_SORT},
    {IMAP_CMD_THREAD, imap_cmd_thread, IMAP_STATE_SELECTED, IMAP_CAP_THREAD},
};

static const char *state_name(unsigned st)
{
	switch (st) {
	case IMAP_STATE_NOTAUTH: return "not authenticated";
	case IMAP_STATE_AUTH: return "authenticated";
	case IMAP_STATE_SELECTED: return "selected";
	default: return "logout";
	}
}

/* Commands that take message sequence numbers (RFC 9586 3). */
static bool uses_seqnums(enum imap_cmd_kind k)
{
	return k == IMAP_CMD_FETCH || k == IMAP_CMD_STORE || k == IMAP_CMD_SEARCH ||
	       k == IMAP_CMD_COPY || k == IMAP_CMD_MOVE || k == IMAP_CMD_REPLACE ||
	       k == IMAP_CMD_SORT || k == IMAP_CMD_THREAD;
}

static void run_command(struct imap_session *s)
{
	struct imap_command *c = &s->cmd;
	for (size_t i = 0; i < ARRAY_LEN(dispatch); i++) {
		if (dispatch[i].kind != c->kind)
			continue;
		if (dispatch[i].cap && !imap_sess_has(s, dispatch[i].cap)) {
			imap_sess_bad(s, NULL, "%s is disabled for this account",
				      imap_cmd_name(c->kind, c->uid));
			return;
		}
		if (!(dispatch[i].states & s->state)) {
			imap_sess_bad(s, NULL, "%s is not allowed in the %s state",
				      imap_cmd_name(c->kind, c->uid), state_name(s->state));
			return;
		}
		/* RFC 9586 3: with UIDONLY, only the UID forms of these commands. */
		if ((s->enabled & IMAP_CAP_UIDONLY) && !c->uid && uses_seqnums(c->kind)) {
			imap_sess_bad(s, "UIDREQUIRED", "%s needs its UID form with UIDONLY",
				      imap_cmd_name(c->kind, c->uid));
			return;
		}
		s->cmd_start_ms = s->progress_last_ms = mono_ms();
		/* RFC 9051 7.5.1: no EXPUNGE during FETCH, STORE or SEARCH. */
		s->cmd_no_expunge =
		    !c->uid && (c->kind == IMAP_CMD_FETCH || c->kind == IMAP_CMD_STORE ||
				c->kind == IMAP_CMD_SEARCH || c->kind == IMAP_CMD_SORT ||
				c->kind == IMAP_CMD_THREAD);
		s->expunge_issued = false;
		s->unknown_cte = false;
		dispatch[i].exec(s);
		return;
	}
	imap_sess_bad(s, NULL, "command not implemented");
}

/* Whether the first line looks like another protocol (HTTP, SMTP): worth a BYE. */
static bool not_imap(const struct imap_session *s)
{
	return s->ncommands == 1 && s->cmd.kind == IMAP_CMD_NONE;
}

static void handle(struct imap_session *s)
{
	struct imap_parser p;
	imap_parser_init(&p, &s->text, &s->ar);
	bool ok = imap_command_parse(&p, &s->cmd);
	s->cmd_no_expunge = false;
	if (!ok) {
		if (not_imap(s) && s->state == IMAP_STATE_NOTAUTH) {
			imap_sess_untagged(s, "BYE please speak IMAP");
			s->state = IMAP_STATE_LOGOUT;
			return;
		}
		imap_sess_bad(s, p.code, "%s", p.err.msg);
		return;
	}
	log_debug(&s->lg, "command", LS("cmd", imap_cmd_name(s->cmd.kind, s->cmd.uid)));
	run_command(s);
}

/* ---- the connection ---- */

static void greet(struct imap_session *s, bool preauth)
{
	struct buf caps = BUF_INIT;
	imap_sess_capabilities(s, &caps);
	if (preauth)
		imap_sess_untagged(s, "PREAUTH [CAPABILITY %s] tern IMAP, logged in as %s",
				   caps.data, s->username);
	else
		imap_sess_untagged(s, "OK [CAPABILITY %s] tern IMAP ready", caps.data);
	buf_free(&caps);
	imap_sess_flush(s);
}

/* The goodbye for a connection that ends without LOGOUT. */
static void farewell(struct imap_session *s, const struct error *err)
{
	switch (err->kind) {
	case ERR_SHUTDOWN: imap_sess_untagged(s, "BYE server shutting down"); break;
	case ERR_TIMEOUT: imap_sess_untagged(s, "BYE autologout; idle for too long"); break;
	case ERR_LIMIT: imap_sess_untagged(s, "BYE [TOOBIG] %s", err->msg); break;
	default: return;
	}
	imap_sess_flush(s);
}

static void session_end(struct imap_session *s)
{
	imap_sess_unselect(s);
	store_subscriber_free(s->sub);
	if (s->account)
		store_account_close(s->account);
	if (s->counted)
		imap_server_count_account(s->server, s->account_name, false);
	imap_cmdtext_free(&s->text);
	arena_free(&s->ar);
	imap_waiter_destroy(s->waiter);
	free(s->waiter);
}

void imap_serve(struct conn *c, const struct imap_service *svc)
{
	struct imap_session *s = xcalloc(1, sizeof *s);
	s->c = c;
	s->svc = svc;
	s->server = svc->server;
	s->lg = (struct logger){pkg(), conn_cid(c)};
	s->tls = svc->implicit_tls;
	s->state = IMAP_STATE_NOTAUTH;
	arena_init(&s->ar, 8 * 1024);
	imap_cmdtext_init(&s->text);
	s->waiter = xcalloc(1, sizeof *s->waiter);
	imap_waiter_init(s->waiter, conn_cid(c));
	conn_set_timeouts(c, IMAP_PREAUTH_TIMEOUT_MS, IMAP_WRITE_TIMEOUT_MS);
	log_info(&s->lg, "new connection", LS("remote", conn_remote(c)), LS("local", conn_local(c)),
		 LB("tls", s->tls), LS("listener", svc->listener));

	bool preauth = s->tls && imap_sess_tls_identify(s);
	greet(s, preauth);
	while (!s->broken && s->state != IMAP_STATE_LOGOUT) {
		/* Everything of the last command goes, also its chunk: idle sessions hold none. */
		arena_rewind(&s->ar, (struct arena_mark){0});
		struct error err;
		enum imap_read r = imap_read_command(s, &err);
		if (r == IMAP_READ_END) {
			farewell(s, &err);
			log_debug(&s->lg, "connection ends", LE(&err));
			break;
		}
		s->ncommands++;
		if (r == IMAP_READ_COMMAND)
			handle(s);
		imap_read_cleanup(s);
		if (s->nbad >= IMAP_BAD_COMMANDS_MAX) {
			imap_sess_untagged(s, "BYE too many bad commands");
			imap_sess_flush(s);
			break;
		}
	}
	log_info(&s->lg, "connection closed", LS("account", s->account_name));
	session_end(s);
	free(s);
}
