// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: CJ/T 188 reply decoding with every profile. The input
 * is a frame from 0x68; its checksum is fixed up so the decoder's content
 * paths are reached.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cjt188.h"
#include "hm_util.h"
#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static u8 buf[300];
	struct hm_identity id;
	struct hm_reading rd;
	unsigned int i;
	size_t len;

	if (size < 12 || size > sizeof(buf) - 2)
		return 0;
	memcpy(buf, data, size);
	buf[0] = 0x68;
	buf[10] = (u8)(size - 11);
	len = size + 2;
	buf[len - 2] = hm_u8_sum(buf, len - 2);
	buf[len - 1] = 0x16;
	hm_cjt188_decode(buf, len, NULL, &id, &rd);
	for (i = 0; i < hm_profile_count(); i++)
		hm_cjt188_decode(buf, len, hm_profile_get(i), &id, &rd);
	return 0;
}
