/*
 * MAIL and RCPT (RFC 5321 4.1.1.2, 4.1.1.3): the sender with its ESMTP
 * parameters, and recipients resolved against domains.conf.
 */
#include "smtp/session.h"

#include "base/mem.h"
#include "base/timeutil.h"
#include "base/utf8.h"
#include "smtp/codes.h"
#include "smtp/localserve.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Sleeps (without answering) as localserve's "timeout" localparts ask, until the client leaves. */
static void localserve_stall(struct smtp_session *s)
{
	log_info(&s->lg, "not responding, as the localserve recipient asks");
	int64_t until = mono_ms() + SMTP_LOCALSERVE_TIMEOUT_MS;
	smtp_session_flush(s);
	while (mono_ms() < until) {
		unsigned ready;
		struct error err;
		if (!conn_wait_input(s->c, -1, (int)(until - mono_ms()), &ready, &err)) {
			if (err.kind != ERR_TIMEOUT) {
				smtp_session_io_error(s, &err);
				return;
			}
			break;
		}
		struct str chunk;
		if (!conn_read_some(s->c, 64 * 1024, &chunk, &err)) {
			smtp_session_io_error(s, &err);
			return;
		}
	}
	smtp_session_reply(s, SMTP_C451_LOCAL_ERROR, SMTP_SE_OTHER,
			   "timed out, as the localpart asked");
}

/* Replies with the localserve failure the localpart asks for; true when it did. */
static bool localserve_fail(struct smtp_session *s, const char *localpart)
{
	bool timeout;
	int code = smtp_localserve_code(localpart, &timeout);
	if (timeout) {
		localserve_stall(s);
		return true;
	}
	if (code == 0)
		return false;
	smtp_session_reply(s, code, SMTP_SE_OTHER, "failure with code %d, as the localpart asks",
			   code);
	return true;
}

static bool param_is(const struct smtp_param *p, const char *key)
{
	return str_eqi_cstr(p->key, key);
}

/* RFC 4865 3: future-release-integer is 1*9DIGIT; mox refuses 0 too. */
static bool parse_hold_for(struct str v, uint64_t *secs)
{
	return smtp_parse_number(v, 9, secs) && *secs > 0;
}

/* HOLDFOR=seconds or HOLDUNTIL=RFC 3339 time (RFC 4865 3, with erratum 2040). */
static bool mail_param_hold(struct smtp_session *s, const struct smtp_param *p)
{
	if (!s->cfg->submission || !s->cfg->hold) {
		smtp_session_reply(s, SMTP_C555_PARAMS, SMTP_SE_PROTO_BAD_PARAMS,
				   "FUTURERELEASE not offered");
		return false;
	}
	if (s->hold_until) {
		smtp_session_reply(s, SMTP_C501_PARAM_SYNTAX, SMTP_SE_PROTO_BAD_PARAMS,
				   "only one of HOLDFOR and HOLDUNTIL");
		return false;
	}
	char value[64];
	if (!p->has_value || p->value.len >= sizeof value) {
		smtp_session_reply(s, SMTP_C501_PARAM_SYNTAX, SMTP_SE_PROTO_BAD_PARAMS,
				   "%s needs a value",
				   param_is(p, "HOLDFOR") ? "HOLDFOR" : "HOLDUNTIL");
		return false;
	}
	memcpy(value, p->value.p, p->value.len);
	value[p->value.len] = '\0';
	int64_t now = (int64_t)time(NULL), until;
	if (param_is(p, "HOLDFOR")) {
		uint64_t secs;
		if (!parse_hold_for(p->value, &secs)) {
			smtp_session_reply(s, SMTP_C501_PARAM_SYNTAX, SMTP_SE_PROTO_BAD_PARAMS,
					   "HOLDFOR must be a number of seconds from 1");
			return false;
		}
		until = now + (int64_t)secs;
		snprintf(s->hold_request, sizeof s->hold_request, "for;%s", value);
	} else {
		time_t t;
		if (!time_parse_rfc3339(value, &t)) {
			smtp_session_reply(s, SMTP_C501_PARAM_SYNTAX, SMTP_SE_PROTO_BAD_PARAMS,
					   "HOLDUNTIL must be an RFC 3339 date-time");
			return false;
		}
		until = (int64_t)t;
		if (until < now) {
			smtp_session_reply(s, SMTP_C554_FAILED, SMTP_SE_PROTO_BAD_PARAMS,
					   "HOLDUNTIL is in the past");
			return false;
		}
		snprintf(s->hold_request, sizeof s->hold_request, "until;%s", value);
	}
	/* RFC 4865 4: beyond what EHLO announced, the request is refused. */
	if (until - now > SMTP_FUTURE_RELEASE_MAX) {
		smtp_session_reply(s, SMTP_C554_FAILED, SMTP_SE_PROTO_BAD_PARAMS,
				   "release can be at most %d seconds in the future",
				   SMTP_FUTURE_RELEASE_MAX);
		s->hold_request[0] = '\0';
		return false;
	}
	s->hold_until = until;
	return true;
}

/* One MAIL parameter (RFC 5321 4.1.1.11); false with a reply sent when refused. */
static bool mail_param(struct smtp_session *s, const struct smtp_param *p)
{
	if (param_is(p, "SIZE")) {
		uint64_t size;
		/* RFC 1870 3: SIZE=number. */
		if (!p->has_value || !smtp_parse_number(p->value, 20, &size)) {
			smtp_session_reply(s, SMTP_C501_PARAM_SYNTAX, SMTP_SE_PROTO_BAD_PARAMS,
					   "bad SIZE");
			return false;
		}
		if (size > s->cfg->max_message_size) {
			/* RFC 1870 6.1. */
			smtp_session_reply(s, SMTP_C552_EXCEEDED, SMTP_SE_SYS_MSG_TOO_BIG,
					   "message too large, the limit is %llu bytes",
					   (unsigned long long)s->cfg->max_message_size);
			return false;
		}
		return true;
	}
	if (param_is(p, "BODY")) {
		/* RFC 6152 2; BINARYMIME (RFC 3030) is not offered. */
		if (p->has_value && str_eqi_cstr(p->value, "7BIT"))
			s->body_8bitmime = false;
		else if (p->has_value && str_eqi_cstr(p->value, "8BITMIME"))
			s->body_8bitmime = true;
		else {
			smtp_session_reply(s, SMTP_C555_PARAMS, SMTP_SE_PROTO_BAD_PARAMS,
					   "BODY must be 7BIT or 8BITMIME");
			return false;
		}
		return true;
	}
	if (param_is(p, "SMTPUTF8")) {
		if (p->has_value) {
			smtp_session_reply(s, SMTP_C501_PARAM_SYNTAX, SMTP_SE_PROTO_BAD_PARAMS,
					   "SMTPUTF8 takes no value");
			return false;
		}
		s->smtputf8 = true; /* RFC 6531 3.4 */
		return true;
	}
	if (param_is(p, "AUTH")) {
		/* RFC 4954 5: accepted and not trusted; submission checks the sender itself. */
		struct buf tmp = BUF_INIT;
		struct error err;
		bool ok = p->has_value && smtp_xtext_decode(p->value, &tmp, &err);
		buf_free(&tmp);
		if (!ok)
			smtp_session_reply(s, SMTP_C501_PARAM_SYNTAX, SMTP_SE_PROTO_BAD_PARAMS,
					   "bad AUTH parameter");
		return ok;
	}
	if (param_is(p, "REQUIRETLS")) {
		/* RFC 8689 4.1: only offered, and only valid, over TLS. */
		if (!s->tls || !s->cfg->requiretls || p->has_value) {
			smtp_session_reply(s, SMTP_C555_PARAMS, SMTP_SE_PROTO_BAD_PARAMS,
					   "REQUIRETLS only over TLS, without value");
			return false;
		}
		s->requiretls = true;
		return true;
	}
	if (param_is(p, "HOLDFOR") || param_is(p, "HOLDUNTIL"))
		return mail_param_hold(s, p);
	/* RFC 5321 4.1.1.11: unrecognised parameters get 555. */
	smtp_session_reply(s, SMTP_C555_PARAMS, SMTP_SE_PROTO_BAD_PARAMS,
			   "unrecognised parameter %.*s", (int)(p->key.len > 64 ? 64 : p->key.len),
			   p->key.p);
	return false;
}

static bool params_unique(struct smtp_session *s, const struct smtp_param *ps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (str_eqi(ps[i].key, ps[j].key)) {
				smtp_session_reply(s, SMTP_C501_PARAM_SYNTAX,
						   SMTP_SE_PROTO_BAD_PARAMS, "duplicate parameter");
				return false;
			}
	return true;
}

/* The account a sender address belongs to may send as it (or an alias allowing it). */
static bool may_send_as(struct smtp_session *s, const struct address *a, bool *domain_disabled)
{
	struct cfg_dynamic_match m;
	enum cfg_lookup_status st =
	    cfg_lookup_recipient(s->dyn->d, a->localpart, a->domain.ascii,
				 CFG_LOOKUP_ALLOW_ALIAS | CFG_LOOKUP_CHECK_DISABLED, &m);
	*domain_disabled = st == CFG_LOOKUP_DOMAIN_DISABLED;
	if (st == CFG_LOOKUP_ACCOUNT)
		return strcmp(m.account_name, s->login.account) == 0;
	if (st == CFG_LOOKUP_ALIAS && m.alias->allow_msg_from) {
		for (size_t i = 0; i < m.alias->nmembers; i++)
			if (m.alias->members[i].account &&
			    strcmp(m.alias->members[i].account->name, s->login.account) == 0)
				return true;
	}
	return false;
}

bool smtp_session_may_send_as(struct smtp_session *s, const struct address *a,
			      bool *domain_disabled)
{
	return may_send_as(s, a, domain_disabled);
}

static bool check_sender(struct smtp_session *s)
{
	const struct smtp_path *p = &s->mail_from;
	if (p->kind == SMTP_PATH_LITERAL) {
		smtp_session_reply(s, SMTP_C550_MAILBOX_UNAVAIL, SMTP_SE_POL_OTHER,
				   "sender address needs a domain name, not an IP address");
		return false;
	}
	if (!s->cfg->submission || p->kind == SMTP_PATH_NULL || s->cfg->localserve)
		return true;
	bool disabled;
	if (may_send_as(s, &p->addr, &disabled))
		return true;
	if (disabled) {
		/* Seed 001: a disabled domain fails temporarily. */
		smtp_session_reply(s, SMTP_C451_LOCAL_ERROR, SMTP_SE_MAILBOX_DISABLED,
				   "sender domain temporarily disabled");
		return false;
	}
	/* RFC 6409 6.1: the submission server may refuse senders the user may not use. */
	log_info(&s->lg, "submission with a sender the account may not use",
		 LS("account", s->login.account), LS("mailfrom", s->mail_from_text));
	smtp_session_reply(s, SMTP_C550_MAILBOX_UNAVAIL, SMTP_SE_POL_DELIVERY_UNAUTH,
			   "sender address must belong to the authenticated account");
	return false;
}

void smtp_cmd_mail(struct smtp_session *s, struct str args)
{
	if (!smtp_session_need_mail_ok(s))
		return;
	if (s->tx_bad > SMTP_UNKNOWN_RCPTS_MAX && s->tx_good == 0) {
		/* Guessing addresses (as mox): many unknown recipients, nothing delivered. */
		log_info(&s->lg, "closing session: too many unknown recipients",
			 LU("unknown", s->tx_bad));
		smtp_session_reply(s, SMTP_C550_MAILBOX_UNAVAIL, SMTP_SE_ADDR_OTHER,
				   "too many failures, closing connection");
		smtp_session_flush(s);
		s->end = END_IO;
		return;
	}
	if (s->have_mail) {
		/* RFC 5321 4.1.4. */
		smtp_session_reply(s, SMTP_C503_BAD_SEQUENCE, SMTP_SE_PROTO_BAD_CMD,
				   "already in a transaction, RSET first");
		return;
	}
	struct str path, rest;
	struct error err;
	if (!smtp_split_path_arg(args, "FROM:", s->cfg->submission, &path, &rest, &err)) {
		smtp_session_reply(s, SMTP_C501_PARAM_SYNTAX, SMTP_SE_PROTO_SYNTAX, "MAIL: %s",
				   err.msg);
		smtp_session_bad(s);
		return;
	}
	struct smtp_param params[SMTP_PARAMS_MAX];
	size_t n;
	if (!smtp_parse_params(rest, true, params, SMTP_PARAMS_MAX, &n, &err)) {
		smtp_session_reply(s, SMTP_C501_PARAM_SYNTAX, SMTP_SE_PROTO_BAD_PARAMS, "MAIL: %s",
				   err.msg);
		smtp_session_bad(s);
		return;
	}
	smtp_session_reset_txn(s);
	if (!params_unique(s, params, n))
		return;
	for (size_t i = 0; i < n; i++)
		if (!mail_param(s, &params[i])) {
			smtp_session_reset_txn(s);
			return;
		}
	unsigned flags = SMTP_PATH_REVERSE | (s->smtputf8 ? SMTP_PATH_UTF8 : 0);
	if (!smtp_parse_path(path, flags, &s->mail_from, &err)) {
		bool utf8 = !s->smtputf8 && utf8_has_nonascii(path.p, path.len);
		smtp_session_reply(
		    s, utf8 ? SMTP_C553_BAD_NAME : SMTP_C501_PARAM_SYNTAX,
		    utf8 ? SMTP_SE_MSG_UTF8_REQUIRED : SMTP_SE_ADDR_SENDER_SYNTAX,
		    utf8 ? "non-ASCII address needs SMTPUTF8" : "bad sender address: %s", err.msg);
		smtp_session_reset_txn(s);
		return;
	}
	struct buf t = BUF_INIT;
	smtp_path_format(&t, &s->mail_from, s->smtputf8);
	/* Without the brackets: "" for the null path. */
	s->mail_from_text = arena_memdup0(&s->txn_arena, t.data + 1, t.len - 2);
	buf_free(&t);
	s->dyn = config_dynamic_get(s->cfg->config);
	if (!check_sender(s)) {
		smtp_session_reset_txn(s);
		return;
	}
	if (s->cfg->localserve && strncmp(s->mail_from.addr.localpart, "mailfrom", 8) == 0 &&
	    localserve_fail(s, s->mail_from.addr.localpart)) {
		smtp_session_reset_txn(s);
		return;
	}
	s->have_mail = true;
	s->ntxn++;
	smtp_session_reply(s, SMTP_C250_OK, SMTP_SE_ADDR_SENDER_OK, "sender ok");
}

/* Whether the sender is a member of the alias (for aliases that are not PostPublic). */
static bool sender_is_member(struct smtp_session *s, const struct cfg_alias *al)
{
	for (size_t i = 0; i < al->nmembers; i++) {
		const struct cfg_alias_member *m = &al->members[i];
		if (s->cfg->submission) {
			if (m->account && strcmp(m->account->name, s->login.account) == 0)
				return true;
			continue;
		}
		if (s->mail_from.kind != SMTP_PATH_MAILBOX)
			return false;
		struct cfg_dynamic_match mm;
		const struct address *a = &s->mail_from.addr;
		if (cfg_lookup_recipient(s->dyn->d, a->localpart, a->domain.ascii, 0, &mm) ==
			CFG_LOOKUP_ACCOUNT &&
		    mm.dest == m->dest)
			return true;
	}
	return false;
}

static void rcpt_set_local(struct smtp_session *s, struct rcpt *r,
			   const struct cfg_dynamic_match *m)
{
	r->kind = RCPT_LOCAL;
	r->account = m->account_name;
	r->dest = m->dest;
	r->dest_address = m->dest ? m->dest->address : NULL;
	r->mailbox = m->mailbox && m->mailbox[0] ? m->mailbox : NULL;
	(void)s;
}

/* Localserve: everything not otherwise known goes to the localserve account. */
static bool resolve_localserve(struct smtp_session *s, struct rcpt *r)
{
	const struct cfg_account *acc = cfg_account_find(s->dyn->d, s->cfg->localserve_account);
	if (!acc) {
		smtp_session_reply(s, SMTP_C451_LOCAL_ERROR, SMTP_SE_SYS_OTHER,
				   "localserve account missing from the configuration");
		return false;
	}
	r->kind = RCPT_LOCAL;
	r->account = acc->name;
	r->dest = NULL;
	r->dest_address = s->cfg->localserve_destination;
	for (size_t i = 0; i < acc->destinations.n; i++)
		if (strcmp(acc->destinations.v[i].address, s->cfg->localserve_destination) == 0)
			r->dest = &acc->destinations.v[i];
	return true;
}

/* Resolves r->path; false with a reply sent when refused. */
static bool resolve(struct smtp_session *s, struct rcpt *r)
{
	const struct smtp_path *p = &r->path;
	if (p->kind == SMTP_PATH_LITERAL) {
		if (s->cfg->localserve)
			return resolve_localserve(s, r);
		if (!s->cfg->submission) {
			smtp_session_reply(s, SMTP_C550_MAILBOX_UNAVAIL,
					   SMTP_SE_ADDR_UNKNOWN_MAILBOX,
					   "not accepting email for IP address literals");
			return false;
		}
		r->kind = RCPT_REMOTE;
	} else {
		struct cfg_dynamic_match m;
		/* Postmaster at the listener's host name is ours (RFC 5321 4.5.1). */
		const char *dom = p->kind == SMTP_PATH_POSTMASTER ? NULL : p->addr.domain.ascii;
		if (dom && address_localpart_is_postmaster(p->addr.localpart) &&
		    strcmp(dom, s->cfg->hostname.ascii) == 0)
			dom = NULL;
		unsigned flags = CFG_LOOKUP_ALLOW_POSTMASTER | CFG_LOOKUP_ALLOW_ALIAS |
				 CFG_LOOKUP_CHECK_DISABLED;
		enum cfg_lookup_status st =
		    cfg_lookup_recipient(s->dyn->d, p->addr.localpart, dom, flags, &m);
		switch (st) {
		case CFG_LOOKUP_ACCOUNT:
		case CFG_LOOKUP_POSTMASTER:
			if (m.dest && m.dest->smtp_error_code) {
				smtp_session_reply(s, m.dest->smtp_error_code,
						   m.dest->smtp_error_enhanced + 2, "%s",
						   m.dest->smtp_error_text);
				return false;
			}
			rcpt_set_local(s, r, &m);
			return true;
		case CFG_LOOKUP_ALIAS:
			if (!m.alias->post_public && !sender_is_member(s, m.alias)) {
				smtp_session_reply(s, SMTP_C550_MAILBOX_UNAVAIL,
						   SMTP_SE_POL_DELIVERY_UNAUTH,
						   "only members may send to this list");
				return false;
			}
			r->kind = RCPT_ALIAS;
			r->alias = m.alias;
			return true;
		case CFG_LOOKUP_DOMAIN_DISABLED:
			if (s->cfg->localserve)
				return resolve_localserve(s, r);
			/* Seed 001: temporary, so senders retry after a migration. */
			smtp_session_reply(s, SMTP_C450_MAILBOX_UNAVAIL, SMTP_SE_MAILBOX_DISABLED,
					   "recipient domain temporarily disabled");
			return false;
		case CFG_LOOKUP_NO_ADDRESS:
			if (s->cfg->localserve)
				return resolve_localserve(s, r);
			s->tx_bad++;
			smtp_session_reply(s, SMTP_C550_MAILBOX_UNAVAIL,
					   SMTP_SE_ADDR_UNKNOWN_MAILBOX, "no such user");
			return false;
		case CFG_LOOKUP_NO_DOMAIN:
			if (s->cfg->localserve)
				return resolve_localserve(s, r);
			if (!s->cfg->submission) {
				/* RFC 5321 3.6.2: no relaying for unauthenticated clients. */
				smtp_session_reply(
				    s, SMTP_C550_MAILBOX_UNAVAIL, SMTP_SE_POL_DELIVERY_UNAUTH,
				    "not accepting email for this domain (relaying denied)");
				return false;
			}
			r->kind = RCPT_REMOTE;
			break;
		}
	}
	/* Submission to another domain: the outgoing queue would take it. */
	smtp_session_reply(s, SMTP_C451_LOCAL_ERROR, SMTP_SE_SYS_NOT_CAPABLE,
			   "cannot send to other domains yet: this build of tern has no outgoing "
			   "queue; only local recipients are accepted");
	return false;
}

static bool rcpt_parse(struct smtp_session *s, struct str args, struct rcpt *r)
{
	struct str path, rest;
	struct error err;
	if (!smtp_split_path_arg(args, "TO:", s->cfg->submission, &path, &rest, &err)) {
		smtp_session_reply(s, SMTP_C501_PARAM_SYNTAX, SMTP_SE_PROTO_SYNTAX, "RCPT: %s",
				   err.msg);
		smtp_session_bad(s);
		return false;
	}
	struct smtp_param params[SMTP_PARAMS_MAX];
	size_t n;
	if (!smtp_parse_params(rest, s->smtputf8, params, SMTP_PARAMS_MAX, &n, &err)) {
		smtp_session_reply(s, SMTP_C501_PARAM_SYNTAX, SMTP_SE_PROTO_BAD_PARAMS, "RCPT: %s",
				   err.msg);
		smtp_session_bad(s);
		return false;
	}
	if (n > 0) {
		/* No RCPT parameters are offered (no DSN yet). */
		smtp_session_reply(
		    s, SMTP_C555_PARAMS, SMTP_SE_PROTO_BAD_PARAMS, "unrecognised parameter %.*s",
		    (int)(params[0].key.len > 64 ? 64 : params[0].key.len), params[0].key.p);
		return false;
	}
	if (!smtp_parse_path(path, s->smtputf8 ? SMTP_PATH_UTF8 : 0, &r->path, &err)) {
		bool utf8 = !s->smtputf8 && utf8_has_nonascii(path.p, path.len);
		smtp_session_reply(s, utf8 ? SMTP_C553_BAD_NAME : SMTP_C501_PARAM_SYNTAX,
				   utf8 ? SMTP_SE_MSG_UTF8_REQUIRED : SMTP_SE_ADDR_BAD_SYNTAX,
				   utf8 ? "non-ASCII address needs SMTPUTF8"
					: "bad recipient address: %s",
				   err.msg);
		return false;
	}
	struct buf t = BUF_INIT;
	smtp_path_format(&t, &r->path, s->smtputf8);
	r->text = arena_memdup0(&s->txn_arena, t.data + 1, t.len - 2);
	buf_free(&t);
	return true;
}

static bool rcpt_localserve(struct smtp_session *s, struct rcpt *r)
{
	const char *lp = r->path.addr.localpart;
	if (strncmp(lp, "rcptto", 6) == 0)
		return !localserve_fail(s, lp);
	r->localserve_code = smtp_localserve_code(lp, &r->localserve_timeout);
	return true;
}

void smtp_cmd_rcpt(struct smtp_session *s, struct str args)
{
	if (!smtp_session_need_mail_ok(s))
		return;
	if (!s->have_mail) {
		smtp_session_reply(s, SMTP_C503_BAD_SEQUENCE, SMTP_SE_PROTO_BAD_CMD, "MAIL first");
		return;
	}
	if (s->nrcpts >= SMTP_RCPT_MAX) {
		/* RFC 5321 4.5.3.1.10 and RFC 9422 4.1: 452, the client sends the rest later. */
		s->rcpt_refused++;
		smtp_session_reply(s, SMTP_C452_STORAGE, SMTP_SE_PROTO_TOO_MANY_RCPTS,
				   "too many recipients, at most %d per transaction",
				   SMTP_RCPT_MAX);
		return;
	}
	if (!s->cfg->submission && s->mail_from.kind == SMTP_PATH_NULL && s->nrcpts > 0) {
		/* Bounces go to one recipient; more is a sign of abuse (as mox). */
		smtp_session_reply(s, SMTP_C452_STORAGE, SMTP_SE_PROTO_TOO_MANY_RCPTS,
				   "only one recipient with the null reverse path");
		return;
	}
	struct rcpt r = {0};
	if (!rcpt_parse(s, args, &r))
		return;
	if (s->cfg->localserve && !rcpt_localserve(s, &r))
		return;
	if (!resolve(s, &r))
		return;
	if (s->nrcpts == s->caprcpts) {
		size_t cap = s->caprcpts ? 2 * s->caprcpts : 8;
		struct rcpt *nr = arena_array(&s->txn_arena, cap, sizeof *nr);
		if (s->nrcpts)
			memcpy(nr, s->rcpts, s->nrcpts * sizeof *nr);
		s->rcpts = nr;
		s->caprcpts = cap;
	}
	s->rcpts[s->nrcpts++] = r;
	smtp_session_reply(s, SMTP_C250_OK, "1.5", "recipient ok");
}
