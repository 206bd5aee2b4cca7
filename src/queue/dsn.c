/*
 * Delivery status notifications: RFC 3464 (message/delivery-status),
 * RFC 6522 (multipart/report), RFC 3834 (Auto-Submitted).
 */
#include "queue/dsn.h"

#include "base/timeutil.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* RFC 5322 2.1.1: no line longer than 998 characters; leave room for a field name. */
#define DSN_DIAGNOSTIC_MAX 900

static void random_token(char *out, size_t cap)
{
	uint8_t rnd[12];
	if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
		memset(rnd, 0, sizeof rnd);
	size_t o = 0;
	for (size_t i = 0; i < sizeof rnd && o + 3 <= cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%02x", rnd[i]);
}

/* One line of text with control characters (CR, LF, ...) replaced: it goes into a header. */
static void put_line(struct buf *out, const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n > max)
		n = max;
	for (size_t i = 0; i < n; i++)
		buf_putc(out, (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i]);
}

static void human_part(const struct dsn_input *in, struct buf *out)
{
	buf_puts(out, "Content-Type: text/plain; charset=utf-8\r\n"
		      "Content-Transfer-Encoding: 8bit\r\n\r\n");
	put_line(out, in->why, DSN_DIAGNOSTIC_MAX);
	buf_puts(out, "\r\n\r\n");
	for (size_t i = 0; i < in->nrcpts; i++) {
		buf_puts(out, "- ");
		put_line(out, in->rcpts[i].address, 320);
		buf_puts(out, ": ");
		put_line(out, in->rcpts[i].diagnostic, DSN_DIAGNOSTIC_MAX);
		buf_puts(out, "\r\n");
	}
	buf_puts(out, "\r\nThe header section of your message follows at the end.\r\n");
}

/* RFC 3464 2.2 (per message) and 2.3 (per recipient). */
static void status_part(const struct dsn_input *in, struct buf *out)
{
	char date[40];
	time_format_rfc5322((time_t)in->arrival, date, sizeof date);
	buf_puts(out, "Content-Type: message/delivery-status\r\n\r\n");
	buf_printf(out, "Reporting-MTA: dns; %s\r\n", in->hostname);
	buf_printf(out, "Arrival-Date: %s\r\n", date);
	for (size_t i = 0; i < in->nrcpts; i++) {
		const struct dsn_rcpt *r = &in->rcpts[i];
		buf_puts(out, "\r\nFinal-Recipient: rfc822; ");
		put_line(out, r->address, 320);
		buf_printf(out, "\r\nAction: failed\r\nStatus: %s\r\n", r->status);
		/* RFC 3464 2.3.6: no SMTP reply exists for a local delivery, so a private type. */
		buf_puts(out, "Diagnostic-Code: X-tern; ");
		put_line(out, r->diagnostic, DSN_DIAGNOSTIC_MAX);
		buf_puts(out, "\r\n");
	}
}

static void headers_part(const struct dsn_input *in, struct buf *out)
{
	buf_puts(out, "Content-Type: text/rfc822-headers\r\n\r\n");
	size_t n = in->headers ? in->headers_len : 0;
	if (n > DSN_HEADERS_MAX)
		n = DSN_HEADERS_MAX;
	/* Only complete lines: a cut header would end in the middle of a line. */
	while (n > 0 && in->headers[n - 1] != '\n')
		n--;
	buf_append(out, in->headers, n);
}

void dsn_compose(const struct dsn_input *in, struct buf *out)
{
	char boundary[40], msgid[40], date[40];
	random_token(boundary, sizeof boundary);
	random_token(msgid, sizeof msgid);
	time_format_rfc5322(time(NULL), date, sizeof date);
	buf_printf(out, "From: Mail Delivery Subsystem <postmaster@%s>\r\n", in->hostname);
	buf_puts(out, "To: <");
	put_line(out, in->mailfrom, 320);
	buf_puts(out, ">\r\nSubject: mail delivery failed\r\n");
	buf_printf(out, "Message-ID: <%s@%s>\r\nDate: %s\r\n", msgid, in->hostname, date);
	buf_puts(out, "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n");
	buf_printf(out,
		   "Content-Type: multipart/report; report-type=delivery-status; "
		   "boundary=\"%s\"\r\n\r\n",
		   boundary);
	buf_printf(out, "--%s\r\n", boundary);
	human_part(in, out);
	buf_printf(out, "\r\n--%s\r\n", boundary);
	status_part(in, out);
	buf_printf(out, "\r\n--%s\r\n", boundary);
	headers_part(in, out);
	buf_printf(out, "\r\n--%s--\r\n", boundary);
}
