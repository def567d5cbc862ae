/* SPDX-License-Identifier: GPL-2.0 */
/* heatmeterctl - subcommand table shared by main.c and the subcommands */
#ifndef HEATMETERCTL_H
#define HEATMETERCTL_H

struct hmctl_cmd {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);	/* argv[0] is the subcommand */
};

int hmctl_decode(int argc, char **argv);
int hmctl_verify(int argc, char **argv);

#endif
