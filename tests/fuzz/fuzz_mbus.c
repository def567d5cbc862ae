// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: M-Bus RSP_UD decoding. The input is the C A CI DATA
 * part; the frame around it is built so the record parser is reached.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mbus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static u8 buf[300];
	struct hm_identity id;
	struct hm_reading rd;
	struct hm_mbus_iter it;
	struct hm_mbus_record rec;
	unsigned int q;
	s64 v;
	int n;

	if (size < 3 || size > 255)
		return 0;
	n = hm_mbus_build_long(buf, sizeof(buf), data[0], data[1], data[2],
			       data + 3, size - 3);
	if (n < 0)
		return 0;
	hm_mbus_decode(buf, n, 0, &id, &rd);
	hm_mbus_decode(buf, n, HM_MBUS_DF_SUBUNIT1, &id, &rd);
	if (hm_mbus_parse_header(buf, n, &id, &it) == 0)
		while (hm_mbus_next_record(&it, &rec) > 0)
			hm_mbus_record_value(&rec, &q, &v, NULL);
	return 0;
}
