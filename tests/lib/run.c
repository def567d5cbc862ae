// SPDX-License-Identifier: GPL-2.0
/*
 * run.c - userspace runner for the lib/ tests (ASan + UBSan build).
 * Prints one "ok - name" / "not ok - name: reason" line per test case.
 */
#include <stdio.h>
#include <stdlib.h>

#include "hm_test_common.h"

static unsigned int passed, failed;

static void report(const char *name, int r, const char *msg)
{
	if (r == 0) {
		printf("ok - %s\n", name);
		passed++;
	} else {
		printf("not ok - %s: %s\n", name, msg);
		failed++;
	}
}

int main(void)
{
	struct hm_tctx *t = calloc(1, sizeof(*t));
	unsigned int i, v, outcome[3] = { 0, 0, 0 }, heat = 0;
	char name[200];

	if (!t)
		return 2;
	for (i = 0; i < hm_t_cjt_count(); i++) {
		snprintf(name, sizeof(name), "cjt188 vector %s", hm_t_cjt_name(i));
		report(name, hm_t_cjt_vector(t, i), t->msg);
	}
	for (i = 0; i < hm_t_mbus_count(); i++) {
		int r = hm_t_mbus_vector(t, i);

		snprintf(name, sizeof(name), "libmbus %s", hm_t_mbus_name(i));
		report(name, r, t->msg);
		if (t->outcome >= 0 && t->outcome < 3)
			outcome[t->outcome]++;
		if (!r && t->outcome == HM_T_DECODED)
			heat++;
	}
	for (i = 0; i < hm_t_split_count(); i++) {
		for (v = 0; v < HM_T_SPLIT_VARIANTS; v++) {
			static const char * const vn[HM_T_SPLIT_VARIANTS] = {
				"bytewise", "random-chunks", "preamble",
				"preamble+fc-tail", "text-prefix+fc-tail",
			};
			snprintf(name, sizeof(name), "split %s %s",
				 hm_t_split_name(i), vn[v]);
			report(name, hm_t_split(t, i, v), t->msg);
		}
	}
	for (i = 0; i < hm_t_ncases; i++) {
		t->msg[0] = '\0';
		report(hm_t_cases[i].name, hm_t_cases[i].fn(t), t->msg);
	}
	printf("# libmbus telegrams: %u decoded, %u unsupported, %u rejected\n",
	       outcome[HM_T_DECODED], outcome[HM_T_UNSUPPORTED],
	       outcome[HM_T_REJECTED]);
	printf("# lib: %u passed, %u failed\n", passed, failed);
	free(t);
	return failed ? 1 : 0;
}
