// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the framer in all modes, fed in chunks with flags
 * taken from the input; every frame it returns is decoded.
 */
#include <stddef.h>
#include <stdint.h>

#include "cjt188.h"
#include "frame.h"
#include "mbus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hm_framer f;
	static u8 flags[4096];
	struct hm_frame_result r;
	struct hm_identity id;
	struct hm_reading rd;
	size_t n = 0, i;
	u8 ctl;

	if (size < 2 || size > sizeof(flags))
		return 0;
	ctl = data[0];
	data++;
	size--;
	for (i = 0; i < size; i++)
		flags[i] = (ctl & 0x80 && (data[i] & 0x3f) == 0x3f) ?
			   data[i] % 5 : 0;
	hm_framer_init(&f, ctl % 3);
	while (n < size || hm_framer_midframe(&f)) {
		size_t c = 1 + (ctl >> 2) % 23;

		if (n >= size) {
			hm_framer_timeout(&f);
			c = 0;
		}
		if (c > size - n)
			c = size - n;
		n += hm_framer_push(&f, data + n, flags + n, c, &r);
		if (!r.len || r.status)
			continue;
		if (r.len > HM_FRAME_MAX)
			__builtin_trap();
		if (r.type == HM_FRAME_CJT188)
			hm_cjt188_decode(r.data, r.len, NULL, &id, &rd);
		else if (r.type == HM_FRAME_MBUS_LONG)
			hm_mbus_decode(r.data, r.len, 0, &id, &rd);
	}
	return 0;
}
