/*
 * "tern message parse": parses a message file and prints its structure as
 * JSON, like mox's "message parse" (field names follow mox's where they
 * exist; see mail/json.h).
 */
#include "cmd/cmd.h"

#include "base/arena.h"
#include "base/buf.h"
#include "base/file.h"
#include "cmd/flags.h"
#include "mail/json.h"
#include "mail/mail.h"

#include <stdio.h>

/* Messages larger than this are not read (mox's default MaxMessageSize is
 * 100 MB; a file may have been stored under a larger configured limit). */
#define MESSAGE_FILE_MAX (1024L * 1024 * 1024)

static int run_message_parse(const struct cmd_env *env, int argc, char **argv)
{
	(void)env;
	bool smtputf8 = false;
	struct flagset fs = {0};
	flags_bool(&fs, "smtputf8", &smtputf8, "check if message needs smtputf8");
	struct error err = {0};
	int first = flags_parse(&fs, argc, argv, &err);
	if (first < 0)
		fprintf(stderr, "tern: %s\n", err.msg);
	if (first < 0 || argc - first != 1) {
		int rc = cmd_usage(&cmd_message[0]);
		flags_print(&fs, stderr);
		return rc;
	}
	struct buf data = BUF_INIT;
	if (!file_read_all(argv[first], MESSAGE_FILE_MAX, &data, &err))
		return cmd_fail("open: %s", err.msg);
	struct arena a;
	arena_init(&a, 64 * 1024);
	struct mail_message *m = mail_parse(data.data, data.len, &a);
	json_t *j = mail_json(m);
	int rc = 0;
	if (json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
		rc = cmd_fail("write: error writing JSON");
	} else {
		fputc('\n', stdout);
		/* mox: any 8-bit header byte, in any part, needs SMTPUTF8. */
		if (smtputf8)
			printf("message needs smtputf8: %s\n", m->headers_8bit ? "true" : "false");
	}
	json_decref(j);
	arena_free(&a);
	buf_free(&data);
	if (fflush(stdout) != 0 && rc == 0)
		rc = cmd_fail("write: error writing output");
	return rc;
}

const struct command cmd_message[] = {
    {"message parse", "[-smtputf8] $messagefile",
     "Parse message, print JSON representation.\n\n"
     "The message is parsed as tern stores it: the MIME part tree with the byte\n"
     "offsets of every part's header, body and end, the Content-* fields with\n"
     "RFC 2231 and RFC 2047 decoding, the envelope of the message and of nested\n"
     "messages, the fields used for threading, and the problems found (the parser\n"
     "accepts malformed messages and notes what was wrong).\n\n"
     "  -smtputf8\n"
     "    \tcheck if message needs smtputf8",
     run_message_parse},
};
const size_t cmd_message_count = sizeof cmd_message / sizeof cmd_message[0];
