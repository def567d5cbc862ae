/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The register image: DL/T 2690.8 Annex B heat-meter points (01_02,
 * 40101-40116) per heating system at (n-1) x 500, plus a documented
 * extension in the unused 40117-40200 window. Holding register PDU
 * address = reference - 40001.
 */
#ifndef HMD_IMAGE_H
#define HMD_IMAGE_H

#include <stdint.h>
#include <linux/heatmeter.h>

#define IMG_STRIDE	500
#define IMG_BASE	100	/* 40101 */
#define IMG_POINTS	26	/* 40101..40126 */

/* offsets from IMG_BASE */
#define IMG_SUPPLY	0	/* 40101 Real degC */
#define IMG_RETURN	2	/* 40103 Real degC */
#define IMG_DIFF	4	/* 40105 Real degC (K) */
#define IMG_ENERGY	6	/* 40107 Real GJ */
#define IMG_VOLUME	8	/* 40109 Real m3 */
#define IMG_POWER	10	/* 40111 Real GJ/h */
#define IMG_FLOW	12	/* 40113 Real m3/h */
#define IMG_FAULT	14	/* 40115 Word */
#define IMG_METER_NO	15	/* 40116 Word */
#define IMG_ADDR_BCD	16	/* 40117-40120: full number, 16 BCD digits */
#define IMG_ID_KIND	20	/* 40121: 1 CJ/T 188, 2 M-Bus id, 3 M-Bus primary */
#define IMG_ERRNO	21	/* 40122: errno of the latest failed reading */
#define IMG_AGE		22	/* 40123: age of the values, s (65535: none) */
#define IMG_SELFTEST	23	/* 40124-40125: Real 123456.0 (word order check) */
#define IMG_SYSTEM	25	/* 40126: heating system number n */

/* 40115 fault code, low byte (high byte = raw meter status, low byte) */
#define FAULT_STALE	(1u << 0)	/* no good reading within stale_after */
#define FAULT_METER	(1u << 1)	/* meter reports an error */
#define FAULT_BATTERY	(1u << 2)	/* meter reports low battery */
#define FAULT_NODATA	(1u << 6)	/* latest reading failed (see 40122) */
#define FAULT_GONE	(1u << 7)	/* meter removed / device gone */

struct meter_state {
	int present;		/* device open */
	int index;		/* N of heatmeterN */
	int proto;		/* HEATMETER_PROTO_* (0 unknown) */
	char address[24];	/* CJ/T 188 14 digits, M-Bus primary */
	char id[24];		/* M-Bus identification number */
	int have;		/* a good reading arrived */
	struct heatmeter_reading last;	/* latest good reading */
	int64_t last_ok_ns;	/* CLOCK_MONOTONIC of its arrival */
	int last_error;		/* errno (>0) of the latest reading, 0 ok */
	uint64_t readings, errors, dropped;
};

struct img_opts {
	int word_order;		/* WO_* */
	int meter_no_mode;	/* MNO_* */
	int stale_nan;
	int64_t stale_after_ns;
};

unsigned int image_regs(int systems);
void image_float(float f, int word_order, uint16_t r[2]);
float image_get_float(const uint16_t r[2], int word_order);
/* Writes system n's points (1-based) from m (NULL: no meter assigned). */
void image_fill(uint16_t *regs, int n, const struct meter_state *m,
		const struct img_opts *o, int64_t now_ns);
uint16_t image_fault(const struct meter_state *m, const struct img_opts *o,
		     int64_t now_ns);

#endif
