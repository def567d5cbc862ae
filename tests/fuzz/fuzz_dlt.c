// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: heatmeterd's DL/T 2690.8 codec. The first byte picks
 * the options (CRC scope and order, max_frame, config layout, byte order,
 * address mode); the rest is a TCP stream decoded frame by frame as the
 * daemon does, every frame's D is also parsed as a configuration file and
 * as a clock reply, and each good frame is re-encoded and must decode to
 * itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dlt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pcfg c;
	static uint8_t re[65535 + DLT_OVERHEAD];
	struct dlt_opts o;
	struct pcfg_opts po;
	struct dlt_frame f, g;
	struct dlt_tm tm;
	char err[200];
	uint8_t ctl;
	size_t off = 0;

	if (size < 1)
		return 0;
	ctl = data[0];
	data++;
	size--;
	o.crc_scope = ctl & 3;
	o.crc_msb = (ctl >> 2) & 1;
	o.max_frame = (ctl & 8) ? 65535 : 4096;
	po.byte_order = (ctl >> 4) % 3;
	po.layout_second = (ctl >> 6) & 1;
	po.address_reference = ctl >> 7;
	po.image_regs = 1 + ctl * 40;
	if (ctl & 0x20)
		dlt_probe(&o, data, size);
	while (off < size) {
		int n = dlt_decode(&o, data + off, size - off, &f);
		size_t m;

		if (n <= 0)
			break;
		if ((size_t)n != f.l + DLT_OVERHEAD)
			abort();
		pcfg_parse(&po, f.d, f.l, &c, err, sizeof(err));
		if (f.l >= 2)
			dlt_clock_decode(f.d + 2, f.l - 2, ctl % 6, ctl & 1, &tm);
		m = dlt_encode(&o, f.a, f.b, f.d, f.l, re, sizeof(re));
		if (m != (size_t)n || dlt_decode(&o, re, m, &g) != n || g.a != f.a ||
		    g.l != f.l || memcmp(g.d, f.d, f.l))
			abort();
		off += n;
	}
	/* the bytes as a configuration file on their own */
	if (!pcfg_parse(&po, data, size, &c, err, sizeof(err))) {
		for (unsigned int i = 0; i < c.ntables; i++)
			for (unsigned int j = 0; j < c.t[i].nrec; j++)
				if (c.t[i].rec[j].addr + pcfg_rec_regs(&c.t[i].rec[j]) > po.image_regs)
					abort();
	}
	return 0;
}
