// SPDX-License-Identifier: GPL-2.0
/*
 * heatmeterctl - command-line tool for the heatmeter driver.
 *
 * A subcommand dispatcher: add a subcommand by adding a line to cmds[] and
 * a file implementing it.
 */
#include <stdio.h>
#include <string.h>

#include <json.h>

#include "heatmeterctl.h"

static const struct hmctl_cmd cmds[] = {
	{ "list", "buses and meters with their newest values (--json)", hmctl_list },
	{ "read", "read meters now through /dev/heatmeterN (--json)", hmctl_read },
	{ "monitor", "meters appearing and going, and --readings as they arrive (--json)",
	  hmctl_monitor },
	{ "scan", "find the meters on a bus, waiting for the scan (--json)", hmctl_scan },
	{ "attach", "put the heatmeter line discipline on a tty and hold it", hmctl_attach },
	{ "detach", "take the line discipline off a tty", hmctl_detach },
	{ "decode", "decode a captured CJ/T 188 or M-Bus frame (hex dump) (--json)",
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
	fprintf(f, "\nheatmeterctl COMMAND --help for the command's options; exit codes in heatmeterctl(1)\n");
}

int main(int argc, char **argv)
{
	size_t i;

	/*
	 * json-c seeds its default string hash from /dev/urandom, which early
	 * at boot (an attach unit) makes the kernel generate entropy first;
	 * our objects are small and built from local data, so the unseeded
	 * hash is as good.
	 */
	json_global_set_string_hash(JSON_C_STR_HASH_PERLLIKE);
	if (argc < 2) {
		usage(stderr);
		return HMCTL_EUSAGE;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("heatmeterctl %s\n", HMCTL_VERSION);
		return HMCTL_OK;
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
	return HMCTL_EUSAGE;
}
