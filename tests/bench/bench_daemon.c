// SPDX-License-Identifier: GPL-2.0
/*
 * heatmeterd figures (printed, never asserted): frame codec, CRC, the
 * configuration file parser, the register image, the spool with
 * fdatasync per record and per batch. bench_daemon DIR (on the disk the
 * spool would live on).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "config.h"
#include "dlt.h"
#include "image.h"
#include "spool.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static uint8_t d[65535], f[65535 + 9];
	static uint16_t regs[20 * 500 + 200];
	static struct pcfg c, p;
	struct dlt_opts o = { DLT_CRC_FRAME, 0, 65535 };
	struct pcfg_opts po = { .image_regs = image_regs(20) };
	struct img_opts io = { .stale_after_ns = 1000000000LL };
	struct meter_state m = { .present = 1, .have = 1, .proto = 1, .address = "11110021098754" };
	struct dlt_frame fr;
	struct spool s;
	char err[200], dir[512];
	volatile unsigned int sink = 0;
	double t0, t;
	size_t n;
	int i, N;

	if (argc < 2)
		return 2;
	for (i = 0; i < (int)sizeof(d); i++)
		d[i] = i * 7;
	N = 2000;
	t0 = now();
	for (i = 0; i < N; i++)
		sink += dlt_crc16(d, sizeof(d), 0xffff);
	t = now() - t0;
	printf("heatmeterd:\n  CRC-16/MODBUS: %.0f MB/s\n", N * 65535.0 / t / 1e6);
	N = 1000000;
	t0 = now();
	for (i = 0; i < N; i++) {
		n = dlt_encode(&o, 6, 1, d, 64, f, sizeof(f));
		sink += dlt_decode(&o, f, n, &fr);
	}
	t = now() - t0;
	printf("  frame (D = 64 bytes) encode + decode: %.0f ns\n", t / N * 1e9);
	c.ntables = PCFG_MAX_TABLES;
	for (int k = 0; k < PCFG_MAX_TABLES; k++) {
		c.t[k].table_no = k + 1;
		c.t[k].period = 10;
		c.t[k].nrec = PCFG_MAX_RECS;
		for (int j = 0; j < PCFG_MAX_RECS; j++)
			c.t[k].rec[j] = (struct pcfg_rec){ 9, 100 + j % 20, 2 };
	}
	n = pcfg_build(&c, 1, 0, d, sizeof(d));
	N = 2000;
	t0 = now();
	for (i = 0; i < N; i++)
		sink += pcfg_parse(&po, d, n, &p, err, sizeof(err));
	t = now() - t0;
	printf("  configuration file of %d tables x %d records (%zu bytes): parsed in %.1f us\n",
	       PCFG_MAX_TABLES, PCFG_MAX_RECS, n, t / N * 1e6);
	m.last.valid = 0xff;
	N = 1000000;
	t0 = now();
	for (i = 0; i < N; i++)
		image_fill(regs, 1 + i % 20, &m, &io, i);
	t = now() - t0;
	printf("  register image, one system rewritten: %.0f ns\n", t / N * 1e9);
	snprintf(dir, sizeof(dir), "%s/spool-bench", argv[1]);
	if (system("true")) {}
	if (spool_open(&s, dir, 1ULL << 30, 86400)) {
		printf("  spool: cannot open %s\n", dir);
		return 0;
	}
	N = 200;
	t0 = now();
	for (i = 0; i < N; i++) {
		spool_append(&s, 6, d, 40, i);
		spool_sync(&s);
	}
	t = now() - t0;
	printf("  spool, fdatasync per record (40-byte packets): %.0f records/s\n", N / t);
	N = 20000;
	t0 = now();
	for (i = 0; i < N; i++) {
		spool_append(&s, 6, d, 40, i);
		if (i % 100 == 99)
			spool_sync(&s);
	}
	t = now() - t0;
	printf("  spool, fdatasync per 100 records: %.0f records/s\n", N / t);
	n = spool_pending(&s);
	t0 = now();
	spool_ack(&s, s.next_seq - 1000);
	t = now() - t0;
	printf("  spool, %zu of %zu records delivered at once (state + compaction): %.1f ms\n",
	       n - spool_pending(&s), n, t * 1e3);
	spool_close(&s);
	t0 = now();
	spool_open(&s, dir, 1ULL << 30, 86400);
	t = now() - t0;
	printf("  spool reopen with %zu pending records: %.1f ms\n", spool_pending(&s), t * 1e3);
	spool_ack(&s, s.next_seq - 1);
	spool_close(&s);
	(void)sink;
	return 0;
}
