/*
 * tern: a complete mail server in one binary.
 *
 * main parses the global flags (-config, -pedantic), then hands the remaining
 * arguments to the matching subcommand (see cmd/cmd.h).
 */
#include "cmd/cmd.h"
#include "cmd/flags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_overview_usage(void);

/*
 * Installed as /usr/sbin/sendmail (see "tern help sendmail"), tern is the
 * sendmail command: every argument is a sendmail flag, none is tern's.
 */
static bool invoked_as_sendmail(const char *argv0)
{
	const char *base = strrchr(argv0, '/');
	return strcmp(base ? base + 1 : argv0, "sendmail") == 0;
}

int main(int argc, char **argv)
{
	struct cmd_env env = {0};
	env.config_path = getenv("TERNCONF");
	if (!env.config_path || !env.config_path[0])
		env.config_path = getenv("MOXCONF");
	if (!env.config_path || !env.config_path[0])
		env.config_path = CMD_DEFAULT_CONFIG;

	if (argc > 0 && invoked_as_sendmail(argv[0])) {
		char *name[] = {"sendmail"};
		int consumed;
		const struct command *sendmail = cmd_find(1, name, &consumed);
		return sendmail->run(&env, argc - 1, argv + 1);
	}

	struct flagset fs = {0};
	flags_string(&fs, "config", &env.config_path,
		     "configuration file, other config files are looked up in the same directory");
	flags_bool(&fs, "pedantic", &env.pedantic,
		   "protocol violations result in errors instead of accepting/working around them");
	struct error err = {0};
	int first = flags_parse(&fs, argc - 1, argv + 1, &err);
	if (first < 0) {
		fprintf(stderr, "tern: %s\n", err.msg);
		return cmd_overview_usage();
	}
	int rest = argc - 1 - first;
	char **args = argv + 1 + first;
	if (rest == 0)
		return cmd_overview_usage();

	int consumed;
	const struct command *c = cmd_find(rest, args, &consumed);
	if (!c) {
		const struct planned_command *p = cmd_find_planned(rest, args);
		if (p)
			return cmd_fail("\"%s\" is a mox command that tern does not implement yet "
					"(part of %s)",
					p->name, p->area);
		fprintf(stderr, "tern: unknown command \"%s\"\n", args[0]);
		return cmd_overview_usage();
	}
	return c->run(&env, rest - consumed, args + consumed);
}
