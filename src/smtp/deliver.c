/*
 * The end of a transaction: checks on the message (submission rules),
 * expansion of aliases, the mailbox per recipient (rulesets), analysis,
 * the trace headers (Return-Path, Delivered-To RFC 9228, Received RFC 5321
 * 4.4) and delivery through the store seam, then the one reply.
 */
#include "smtp/session.h"

#include "base/mem.h"
#include "base/timeutil.h"
#include "smtp/codes.h"
#include "mail/addrlist.h"
#include "mail/header.h"
#include "smtp/rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* One delivery: an account's destination, after alias expansion and de-duplication. */
struct target {
	const char *account;
	const struct cfg_destination *dest;
	const char *address; /* Delivered-To */
	const char *via;     /* the alias it came through, or NULL */
	const char *mailbox; /* fixed mailbox (postmaster), or NULL for rulesets */
	const char *rcpt;    /* for Received "for" */
};

struct message {
	int fd;
	uint64_t size;
	char *head; /* the header section as read, NUL-terminated */
	size_t head_len;
	struct arena arena; /* header fields and parsed addresses */
	struct mail_header headers;
	char msgfrom[ADDRESS_INPUT_MAX]; /* From address, "" when none or unparsable */
	struct address from_addr;
	bool has_from;
	struct buf added; /* submission: Message-ID and Date to add */
};

/* RFC 5322 3.6.2: the single mailbox of the From field (submission needs exactly one). */
static bool msg_from_address(struct message *m, struct address *out, struct error *err)
{
	const struct mail_field *f = mail_header_get(&m->headers, "From");
	if (!f)
		return error_set(err, ERR_NOTFOUND, "no From header");
	struct mail_addrlist l;
	bool clean = mail_addrlist_parse(&m->arena, str_from(mail_unfold(&m->arena, f->value)), &l);
	if (!clean || l.n != 1 || l.v[0].kind != MAIL_ADDR_MAILBOX || !l.v[0].domain)
		return error_set(err, ERR_INVALID, "From must hold exactly one address");
	struct buf b = BUF_INIT;
	address_localpart_format(&b, l.v[0].localpart ? l.v[0].localpart : "");
	buf_printf(&b, "@%s", l.v[0].domain);
	bool ok = address_parse(str_make(b.data, b.len), 0, out, err);
	buf_free(&b);
	return ok;
}

static bool read_head(struct smtp_session *s, struct message *m)
{
	size_t want = m->size < SMTP_HEADER_MAX ? (size_t)m->size : SMTP_HEADER_MAX;
	m->head = xmalloc(want + 1);
	size_t got = 0;
	while (got < want) {
		ssize_t r = pread(m->fd, m->head + got, want - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			struct error err;
			error_errno(&err, r < 0 ? errno : EIO, "reading spooled message");
			log_error(&s->lg, "cannot read spooled message", LE(&err));
			return false;
		}
		got += (size_t)r;
	}
	m->head[got] = '\0';
	m->head_len = got;
	mail_header_scan(m->head, 0, got, &m->arena, &m->headers);
	struct error err;
	if (msg_from_address(m, &m->from_addr, &err)) {
		m->has_from = true;
		struct buf b = BUF_INIT;
		address_format(&b, &m->from_addr, true);
		str_copy(m->msgfrom, sizeof m->msgfrom, buf_cstr(&b));
		buf_free(&b);
	}
	return true;
}

static void message_id(struct smtp_session *s, struct buf *out)
{
	uint8_t rnd[12];
	if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
		memset(rnd, 0, sizeof rnd);
	buf_puts(out, "Message-ID: <");
	for (size_t i = 0; i < sizeof rnd; i++)
		buf_printf(out, "%02x", rnd[i]);
	buf_printf(out, "@%s>\r\n", s->cfg->hostname.ascii);
}

/* RFC 6409 8: submission checks and fix-ups. false with a reply sent. */
static bool submission_checks(struct smtp_session *s, struct message *m)
{
	if (m->headers.n == 0) {
		smtp_session_reply(s, SMTP_C554_FAILED, SMTP_SE_MSG_OTHER,
				   "message needs a header section");
		return false;
	}
	struct error err = {0};
	if (!m->has_from) {
		msg_from_address(m, &m->from_addr, &err);
		smtp_session_reply(s, SMTP_C550_MAILBOX_UNAVAIL, SMTP_SE_MSG_OTHER,
				   "message needs one From address: %s", err.msg);
		return false;
	}
	bool disabled;
	if (!s->cfg->localserve && !smtp_session_may_send_as(s, &m->from_addr, &disabled)) {
		log_info(&s->lg, "submission with a From address the account may not use",
			 LS("account", s->login.account), LS("from", m->msgfrom));
		smtp_session_reply(
		    s, disabled ? SMTP_C451_LOCAL_ERROR : SMTP_C550_MAILBOX_UNAVAIL,
		    disabled ? SMTP_SE_MAILBOX_DISABLED : SMTP_SE_POL_DELIVERY_UNAUTH,
		    disabled ? "From domain temporarily disabled"
			     : "From address must belong to the authenticated account");
		return false;
	}
	/* RFC 5321 4.4: Return-Path is for the final delivery to add. */
	if (mail_header_get(&m->headers, "Return-Path")) {
		smtp_session_reply(s, SMTP_C550_MAILBOX_UNAVAIL, SMTP_SE_MSG_OTHER,
				   "message must not have a Return-Path header");
		return false;
	}
	/* RFC 6409 8.2 and 8.3. */
	if (!mail_header_get(&m->headers, "Message-ID"))
		message_id(s, &m->added);
	if (!mail_header_get(&m->headers, "Date")) {
		char date[40];
		time_format_rfc5322(time(NULL), date, sizeof date);
		buf_printf(&m->added, "Date: %s\r\n", date);
	}
	return true;
}

static bool target_seen(const struct target *t, size_t n, const struct target *x)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].account, x->account) == 0 && t[i].address && x->address &&
		    strcmp(t[i].address, x->address) == 0)
			return true;
	return false;
}

/* Whether the From address is this alias member (seed 000: the sender gets no copy). */
static bool member_is_sender(struct smtp_session *s, const struct message *m,
			     const struct cfg_alias_member *mem)
{
	if (!m->has_from)
		return false;
	struct cfg_dynamic_match mm;
	return cfg_lookup_recipient(s->dyn->d, m->from_addr.localpart, m->from_addr.domain.ascii, 0,
				    &mm) == CFG_LOOKUP_ACCOUNT &&
	       mm.dest == mem->dest;
}

/* Local recipients first, then alias members; each destination once. */
static size_t expand_targets(struct smtp_session *s, const struct message *m, struct target **out)
{
	size_t cap = s->nrcpts;
	for (size_t i = 0; i < s->nrcpts; i++)
		if (s->rcpts[i].kind == RCPT_ALIAS)
			cap += s->rcpts[i].alias->nmembers;
	struct target *t = arena_array(&s->txn_arena, cap ? cap : 1, sizeof *t);
	size_t n = 0;
	for (size_t i = 0; i < s->nrcpts; i++) {
		const struct rcpt *r = &s->rcpts[i];
		if (r->kind != RCPT_LOCAL)
			continue;
		struct target x = {
		    r->account, r->dest,    r->dest_address ? r->dest_address : r->text,
		    NULL,       r->mailbox, r->text};
		if (!target_seen(t, n, &x))
			t[n++] = x;
	}
	for (size_t i = 0; i < s->nrcpts; i++) {
		const struct rcpt *r = &s->rcpts[i];
		if (r->kind != RCPT_ALIAS)
			continue;
		for (size_t k = 0; k < r->alias->nmembers; k++) {
			const struct cfg_alias_member *mem = &r->alias->members[k];
			if (!mem->account || member_is_sender(s, m, mem))
				continue;
			struct target x = {mem->account->name,
					   mem->dest,
					   mem->dest->address,
					   r->text,
					   NULL,
					   r->text};
			if (!target_seen(t, n, &x))
				t[n++] = x;
		}
	}
	*out = t;
	return n;
}

/* RFC 3848 and RFC 6531 3.7.3: the "with" protocol name. */
static const char *with_protocol(const struct smtp_session *s)
{
	static const char *const names[2][2][2] = {
	    {{"ESMTP", "ESMTPA"}, {"ESMTPS", "ESMTPSA"}},
	    {{"UTF8SMTP", "UTF8SMTPA"}, {"UTF8SMTPS", "UTF8SMTPSA"}},
	};
	if (!s->ehlo)
		return "SMTP";
	return names[s->smtputf8][s->tls][s->authenticated];
}

static void received_header(struct smtp_session *s, const struct target *t, struct buf *b)
{
	char date[40];
	time_format_rfc5322(time(NULL), date, sizeof date);
	const struct dns_domain *host = &s->cfg->hostname;
	const char *hostname = s->smtputf8 ? host->unicode : host->ascii;
	/* Submission: the client's address stays private (as mox). */
	if (s->cfg->submission)
		buf_printf(b, "Received: from %s", hostname);
	else
		buf_printf(b, "Received: from %s ([%s])", s->hello[0] ? s->hello : "unknown",
			   conn_remote_ip(s->c));
	buf_printf(b, " by %s ([%s]) via tcp\r\n\twith %s", hostname, conn_local_ip(s->c),
		   with_protocol(s));
	const struct tls_info *ti = conn_tls(s->c);
	if (ti)
		buf_printf(b, " (using %s with cipher %s)", ti->version, ti->cipher);
	/* Seed 004: the requiretls comment goes after "with", before "id". */
	if (s->requiretls)
		buf_puts(b, " (requiretls)");
	buf_printf(b, " id %llx.%llx\r\n\tfor <%s>; %s\r\n", (unsigned long long)conn_cid(s->c),
		   (unsigned long long)s->ntxn, t->rcpt, date);
}

static void trace_headers(struct smtp_session *s, const struct target *t, struct buf *b)
{
	/* RFC 5321 4.4: Return-Path by the final delivery. */
	buf_printf(b, "Return-Path: <%s>\r\n", s->mail_from_text ? s->mail_from_text : "");
	/* RFC 9228: the newest Delivered-To first: the member, then the alias. */
	buf_printf(b, "Delivered-To: %s\r\n", t->address);
	if (t->via)
		buf_printf(b, "Delivered-To: %s\r\n", t->via);
	received_header(s, t, b);
}

struct outcome {
	size_t ok, temp, perm, refused;
	int code;
	const char *se;
	char text[256];
};

/* QuotaMessageSize of the account, else the static default; negative means none. */
static int64_t account_quota(struct smtp_session *s, const char *account)
{
	const struct cfg_account *acc = cfg_account_find(s->dyn->d, account);
	int64_t q = acc ? acc->quota_message_size : 0;
	if (q == 0)
		q = config_static(s->cfg->config)->s->quota_message_size;
	return q > 0 ? q : 0;
}

/*
 * What one target's delivery will be: the mailbox (rulesets, analysis) and the
 * header lines to put before the message. false when analysis refused the
 * message for this target (recorded in o).
 */
static bool prepare_target(struct smtp_session *s, struct message *m, const struct target *t,
			   struct outcome *o, const char **mailbox_out, struct buf *prefix)
{
	const char *mailbox = t->mailbox;
	const struct cfg_ruleset *rs = NULL;
	if (!mailbox) {
		struct smtp_rule_input ri = {s->mail_from_text ? s->mail_from_text : "", m->msgfrom,
					     &m->headers, NULL, 0};
		rs = smtp_rules_match(t->dest, &ri, &mailbox);
	}
	struct smtp_analysis_input ai = {conn_remote_ip(s->c),
					 s->hello,
					 s->mail_from_text,
					 t->address,
					 t->account,
					 s->tls,
					 s->cfg->submission,
					 m->fd,
					 m->size,
					 rs && rs->is_forward,
					 rs ? rs->list_allow_domain_ascii : NULL};
	struct smtp_analysis an;
	smtp_analyze(&ai, &an);
	if (!an.accept) {
		o->refused++;
		o->code = an.code;
		o->se = an.se;
		str_copy(o->text, sizeof o->text, an.text);
		buf_free(&an.headers);
		return false;
	}
	*mailbox_out = an.mailbox ? an.mailbox : mailbox;
	trace_headers(s, t, prefix);
	buf_append(prefix, an.headers.data, an.headers.len);
	buf_append(prefix, m->added.data, m->added.len);
	buf_free(&an.headers);
	return true;
}

static void deliver_one(struct smtp_session *s, struct message *m, const struct target *t,
			struct outcome *o)
{
	const char *mailbox;
	struct buf prefix = BUF_INIT;
	if (!prepare_target(s, m, t, o, &mailbox, &prefix)) {
		buf_free(&prefix);
		return;
	}
	struct smtp_delivery d = {
	    .account = t->account,
	    .quota = account_quota(s, t->account),
	    .mailbox = mailbox,
	    .rcpt = t->address,
	    .prefix = buf_cstr(&prefix),
	    .prefix_len = prefix.len,
	    .fd = m->fd,
	    .size = m->size,
	    .lg = &s->lg,
	};
	struct error err = {0};
	if (s->cfg->delivery->deliver(s->cfg->delivery->arg, &d, &err)) {
		o->ok++;
		log_info(&s->lg, "message delivered", LS("account", t->account),
			 LS("mailbox", mailbox), LS("rcpt", t->address), LU("size", m->size));
	} else if (err.kind == ERR_LIMIT) {
		o->perm++;
		log_info(&s->lg, "delivery refused", LS("account", t->account), LE(&err));
	} else {
		o->temp++;
		log_error(&s->lg, "delivery failed", LS("account", t->account), LE(&err));
	}
	buf_free(&prefix);
}

/* Localserve: a recipient whose localpart asks for a failure at DATA gets it. */
static bool localserve_data_failure(struct smtp_session *s)
{
	for (size_t i = 0; i < s->nrcpts; i++) {
		const struct rcpt *r = &s->rcpts[i];
		if (r->localserve_timeout) {
			log_info(&s->lg, "localserve timeout recipient, not answering DATA");
			unsigned ready;
			struct error err;
			smtp_session_flush(s);
			if (!conn_wait_input(s->c, -1, 60 * 60 * 1000, &ready, &err))
				smtp_session_io_error(s, &err);
			else
				smtp_session_reply(s, SMTP_C451_LOCAL_ERROR, SMTP_SE_OTHER,
						   "timed out");
			return true;
		}
		if (r->localserve_code) {
			smtp_session_reply(s, r->localserve_code, SMTP_SE_OTHER,
					   "failure with code %d, as the localpart asks",
					   r->localserve_code);
			return true;
		}
	}
	return false;
}

static void reply_outcome(struct smtp_session *s, const struct outcome *o, size_t ntargets)
{
	if (o->ok > 0) {
		s->tx_good++;
		/* Partial failures cannot be told apart in one reply; they are logged. */
		smtp_session_reply(s, SMTP_C250_OK, SMTP_SE_OTHER,
				   "message delivered, id %llx.%llx",
				   (unsigned long long)conn_cid(s->c), (unsigned long long)s->ntxn);
	} else if (ntargets == 0 || o->refused == ntargets) {
		s->tx_bad++;
		smtp_session_reply(s, o->code ? o->code : SMTP_C550_MAILBOX_UNAVAIL,
				   o->se ? o->se : SMTP_SE_POL_DELIVERY_UNAUTH, "%s",
				   o->text[0] ? o->text : "no recipient accepted the message");
	} else if (o->temp > 0) {
		smtp_session_reply(s, SMTP_C451_LOCAL_ERROR, SMTP_SE_SYS_OTHER,
				   "cannot store message now, try again later");
	} else {
		smtp_session_reply(s, SMTP_C552_EXCEEDED, SMTP_SE_MAILBOX_FULL,
				   "mailbox over its quota or message too large for it");
	}
}

/*
 * RFC 4865: a message submitted with HOLDFOR/HOLDUNTIL is prepared for each
 * target as for an immediate delivery and handed to the hold seam, which
 * delivers it at the release time. One reply for the whole transaction.
 */
static void hold_message(struct smtp_session *s, struct message *m, const struct target *t,
			 size_t n)
{
	struct smtp_held_rcpt *hr = arena_array(&s->txn_arena, n ? n : 1, sizeof *hr);
	struct buf *prefixes = xcalloc(n ? n : 1, sizeof *prefixes);
	struct outcome o = {0};
	size_t nheld = 0;
	for (size_t i = 0; i < n; i++) {
		const char *mailbox;
		buf_init(&prefixes[i]);
		if (!prepare_target(s, m, &t[i], &o, &mailbox, &prefixes[i]))
			continue;
		hr[nheld++] = (struct smtp_held_rcpt){
		    t[i].account, account_quota(s, t[i].account), mailbox,
		    t[i].address, buf_cstr(&prefixes[i]),         prefixes[i].len};
	}
	struct smtp_held h = {s->hold_until,
			      s->hold_request,
			      s->login.account,
			      s->mail_from_text ? s->mail_from_text : "",
			      hr,
			      nheld,
			      m->fd,
			      m->size,
			      &s->lg};
	struct error err = {0};
	char release[40];
	time_format_rfc3339((time_t)s->hold_until, release, sizeof release);
	if (nheld == 0) {
		reply_outcome(s, &o, n);
	} else if (s->cfg->hold->hold(s->cfg->hold->arg, &h, &err)) {
		s->tx_good++;
		log_info(&s->lg, "message held for future release", LS("release", release),
			 LU("rcpts", nheld), LU("size", m->size));
		smtp_session_reply(s, SMTP_C250_OK, SMTP_SE_OTHER,
				   "message held for release at %s, id %llx.%llx", release,
				   (unsigned long long)conn_cid(s->c), (unsigned long long)s->ntxn);
	} else {
		log_error(&s->lg, "cannot hold message", LE(&err));
		smtp_session_reply(s, SMTP_C451_LOCAL_ERROR, SMTP_SE_SYS_OTHER,
				   "cannot keep message for future release now, try again later");
	}
	for (size_t i = 0; i < n; i++)
		buf_free(&prefixes[i]);
	free(prefixes);
}

/* MaxOutgoingMessagesPerDay and MaxFirstTimeRecipientsPerDay (as mox). false with a reply. */
static bool within_send_limits(struct smtp_session *s)
{
	const struct cfg_account *acc = cfg_account_find(s->dyn->d, s->login.account);
	if (!s->cfg->sendlimits || !acc)
		return true;
	const char **rcpts = arena_array(&s->txn_arena, s->nrcpts ? s->nrcpts : 1, sizeof *rcpts);
	for (size_t i = 0; i < s->nrcpts; i++) {
		char *r = arena_strdup(&s->txn_arena, s->rcpts[i].text);
		ascii_lower_inplace(r);
		rcpts[i] = r;
	}
	switch (smtp_sendlimits_take(s->cfg->sendlimits, acc->name, acc->max_outgoing_effective,
				     acc->max_first_time_effective, rcpts, s->nrcpts,
				     (int64_t)time(NULL))) {
	case SMTP_SENDLIMIT_OK: return true;
	case SMTP_SENDLIMIT_MESSAGES:
		log_info(&s->lg, "submission refused: message limit", LS("account", acc->name));
		smtp_session_reply(
		    s, SMTP_C451_LOCAL_ERROR, SMTP_SE_POL_DELIVERY_UNAUTH,
		    "max number of messages (%lld) over past 24h reached, try increasing "
		    "per-account setting MaxOutgoingMessagesPerDay",
		    (long long)acc->max_outgoing_effective);
		return false;
	case SMTP_SENDLIMIT_RECIPIENTS:
		log_info(&s->lg, "submission refused: first-time recipient limit",
			 LS("account", acc->name));
		smtp_session_reply(
		    s, SMTP_C451_LOCAL_ERROR, SMTP_SE_POL_DELIVERY_UNAUTH,
		    "max number of new/first-time recipients (%lld) over past 24h reached, "
		    "try increasing per-account setting MaxFirstTimeRecipientsPerDay",
		    (long long)acc->max_first_time_effective);
		return false;
	}
	return false;
}

void smtp_session_finish_message(struct smtp_session *s, int fd, uint64_t size, bool saw_8bit)
{
	(void)saw_8bit;
	if (s->cfg->localserve && localserve_data_failure(s))
		return;
	struct message *m = xcalloc(1, sizeof *m);
	m->fd = fd;
	m->size = size;
	buf_init(&m->added);
	arena_init(&m->arena, 16 * 1024);
	if (!read_head(s, m)) {
		smtp_session_reply(s, SMTP_C451_LOCAL_ERROR, SMTP_SE_SYS_STORAGE,
				   "cannot read message back, try again later");
	} else if (s->cfg->submission && !submission_checks(s, m)) {
		/* replied */
	} else if (s->cfg->submission && !within_send_limits(s)) {
		/* replied */
	} else if (!s->cfg->delivery) {
		log_info(&s->lg, "message not delivered: no message store in this build");
		smtp_session_reply(s, SMTP_C451_LOCAL_ERROR, SMTP_SE_SYS_NOT_CAPABLE,
				   "cannot deliver: this build of tern has no message store yet");
	} else {
		struct target *t;
		size_t n = expand_targets(s, m, &t);
		if (s->hold_until) {
			hold_message(s, m, t, n);
		} else {
			struct outcome o = {0};
			for (size_t i = 0; i < n; i++)
				deliver_one(s, m, &t[i], &o);
			reply_outcome(s, &o, n);
		}
	}
	buf_free(&m->added);
	arena_free(&m->arena);
	free(m->head);
	free(m);
}
