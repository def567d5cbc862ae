// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: heatmeterd's configuration parser (libinih + the
 * key table + validation) on arbitrary text; a configuration it accepts
 * must print and parse again to the same values.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hmd_config c, d;
	char err[256], *text, *out = NULL;
	size_t outlen = 0;
	FILE *f;

	if (size > 8192)
		return 0;
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = 0;
	config_defaults(&c);
	if (config_load_string(&c, text, err, sizeof(err)) == 0) {
		f = open_memstream(&out, &outlen);
		if (f) {
			FILE *old = stdout;

			stdout = f;
			config_print(&c);
			stdout = old;
			fclose(f);
			config_defaults(&d);
			if (config_load_string(&d, out, err, sizeof(err)) ||
			    memcmp(&c, &d, sizeof(c)))
				abort();
			free(out);
		}
	}
	free(text);
	return 0;
}
