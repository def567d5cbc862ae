// SPDX-License-Identifier: GPL-2.0
/*
 * heatmeterctl - command-line tool for the heatmeter driver.
 *
 * A subcommand dispatcher: add a subcommand by adding a line to cmds[] and
 * a file implementing it.
 */
#include <stdio.h>
#include <string.h>

#include "heatmeterctl.h"

static const struct hmctl_cmd cmds[] = {
	{ "decode", "decode a captured CJ/T 188 or M-Bus frame (hex dump) to JSON",
	  hmctl_decode },
	{ "verify", "verification ioctls of /dev/heatmeterN (info, read, test-mode, start-stop, sync, raw)",
	  hmctl_verify },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: heatmeterctl COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\nheatmeterctl COMMAND --help for the command's options\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "heatmeterctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
