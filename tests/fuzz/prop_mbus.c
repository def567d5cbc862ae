// SPDX-License-Identifier: GPL-2.0
/*
 * prop_mbus - the M-Bus property test of tests/kunit/hm_mbus_prop.c for
 * longer than `make check` runs it: random well-formed RSP_UD frames
 * against the EN 13757-3 oracle for a number of seconds.
 *
 *   prop_mbus [SECONDS [SEED]]     (default 60 s, seed from the clock)
 *
 * A failure prints the seed of the frame that failed and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "hm_test_common.h"

#define BATCH 5000

int main(int argc, char **argv)
{
	struct hm_tctx *t = calloc(1, sizeof(*t));
	void *ws = calloc(1, hm_t_mbus_prop_size());
	double secs = argc > 1 ? atof(argv[1]) : 60;
	unsigned int seed = argc > 2 ? (unsigned int)strtoul(argv[2], NULL, 0) :
			    (unsigned int)time(NULL);
	unsigned long frames = 0;
	time_t end = time(NULL) + (time_t)secs;

	if (!t || !ws)
		return 2;
	printf("prop_mbus: seed %#x, %.0f s\n", seed, secs);
	do {
		if (hm_t_mbus_prop(t, ws, seed + (unsigned int)frames * 0x9e3779b9u,
				   BATCH)) {
			printf("prop_mbus: FAIL after %lu frames: %s\n", frames,
			       t->msg);
			return 1;
		}
		frames += BATCH;
	} while (time(NULL) < end);
	printf("prop_mbus: %lu frames ok\n", frames);
	free(ws);
	free(t);
	return 0;
}
