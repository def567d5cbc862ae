// SPDX-License-Identifier: GPL-2.0
/* Register image: driver units -> Annex B units, float32 by hand. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "image.h"

unsigned int image_regs(int systems)
{
	return (systems - 1) * IMG_STRIDE + IMG_BASE + IMG_POINTS;
}

/*
 * Never libmodbus' float setters: Debian 3.1.6's do not round-trip
 * (facts §2.3). ABCD = IEEE 754 big-endian, high word first.
 */
void image_float(float f, int wo, uint16_t r[2])
{
	uint32_t u;
	uint16_t hi, lo;

	memcpy(&u, &f, 4);
	hi = u >> 16;
	lo = u & 0xffff;
	switch (wo) {
	case WO_CDAB: r[0] = lo; r[1] = hi; break;
	case WO_BADC: r[0] = __builtin_bswap16(hi); r[1] = __builtin_bswap16(lo); break;
	case WO_DCBA: r[0] = __builtin_bswap16(lo); r[1] = __builtin_bswap16(hi); break;
	default: r[0] = hi; r[1] = lo; break;
	}
}

float image_get_float(const uint16_t r[2], int wo)
{
	uint16_t hi, lo;
	uint32_t u;
	float f;

	switch (wo) {
	case WO_CDAB: lo = r[0]; hi = r[1]; break;
	case WO_BADC: hi = __builtin_bswap16(r[0]); lo = __builtin_bswap16(r[1]); break;
	case WO_DCBA: lo = __builtin_bswap16(r[0]); hi = __builtin_bswap16(r[1]); break;
	default: hi = r[0]; lo = r[1]; break;
	}
	u = (uint32_t)hi << 16 | lo;
	memcpy(&f, &u, 4);
	return f;
}

uint16_t image_fault(const struct meter_state *m, const struct img_opts *o,
		     int64_t now_ns)
{
	uint16_t f = 0;

	if (!m)
		return FAULT_STALE | FAULT_GONE;
	if (!m->present)
		f |= FAULT_GONE | FAULT_STALE;
	if (!m->have || now_ns - m->last_ok_ns > o->stale_after_ns)
		f |= FAULT_STALE;
	if (m->last_error)
		f |= FAULT_NODATA;
	if (m->have && (m->last.flags & HEATMETER_RD_STATUS)) {
		uint8_t st = m->last.status & 0xff;

		if (m->proto == HEATMETER_PROTO_MBUS) {
			/* EN 13757-3 status: b0-1 application, b3 permanent, b4 temporary error */
			if (st & 0x1b)
				f |= FAULT_METER;
		} else if ((st & 3) == 3) {
			f |= FAULT_METER;	/* CJ/T 188 ST1 valve abnormal */
		}
		if (st & 0x04)
			f |= FAULT_BATTERY;	/* both: bit 2 = low battery/power */
		f |= (uint16_t)st << 8;
	}
	return f;
}

static void put_q(uint16_t *r, const struct meter_state *m, int q, double scale,
		  int nan, const struct img_opts *o)
{
	float v = NAN;

	if (!nan && m && m->have && (m->last.valid & (1u << q)))
		v = (float)((double)m->last.values[q] * scale);
	image_float(v, o->word_order, r);
}

/* the printed meter number: CJ/T 188 address, else the M-Bus id/primary */
static const char *meter_number(const struct meter_state *m, int *kind)
{
	if (m->proto == HEATMETER_PROTO_CJT188) {
		*kind = 1;
		return m->address;
	}
	if (*m->id) {
		*kind = 2;
		return m->id;
	}
	*kind = *m->address ? 3 : 0;
	return m->address;
}

void image_fill(uint16_t *regs, int n, const struct meter_state *m,
		const struct img_opts *o, int64_t now_ns)
{
	uint16_t *r = regs + (n - 1) * IMG_STRIDE + IMG_BASE;
	uint16_t fault = image_fault(m, o, now_ns);
	int nan = o->stale_nan && (fault & FAULT_STALE);
	int kind = 0;
	const char *num = "";
	char digits[17];
	size_t len;

	put_q(r + IMG_SUPPLY, m, HEATMETER_Q_SUPPLY_TEMP, 1e-3, nan, o);
	put_q(r + IMG_RETURN, m, HEATMETER_Q_RETURN_TEMP, 1e-3, nan, o);
	if (m && m->have && !(m->last.valid & (1u << HEATMETER_Q_TEMP_DIFF)) &&
	    (m->last.valid & (1u << HEATMETER_Q_SUPPLY_TEMP)) &&
	    (m->last.valid & (1u << HEATMETER_Q_RETURN_TEMP)) && !nan)
		image_float((float)((double)(m->last.values[HEATMETER_Q_SUPPLY_TEMP] -
					     m->last.values[HEATMETER_Q_RETURN_TEMP]) * 1e-3),
			    o->word_order, r + IMG_DIFF);
	else
		put_q(r + IMG_DIFF, m, HEATMETER_Q_TEMP_DIFF, 1e-3, nan, o);
	put_q(r + IMG_ENERGY, m, HEATMETER_Q_ENERGY, 3.6e-9, nan, o);
	put_q(r + IMG_VOLUME, m, HEATMETER_Q_VOLUME, 1e-6, nan, o);
	put_q(r + IMG_POWER, m, HEATMETER_Q_POWER, 3.6e-9, nan, o);
	put_q(r + IMG_FLOW, m, HEATMETER_Q_FLOW, 1e-6, nan, o);
	r[IMG_FAULT] = fault;
	if (m)
		num = meter_number(m, &kind);
	/* the last 16 decimal digits, zero-padded, most significant first */
	len = strlen(num);
	memset(digits, '0', 16);
	digits[16] = 0;
	for (size_t i = 0; i < len && i < 16; i++) {
		char ch = num[len - 1 - i];

		digits[15 - i] = (ch >= '0' && ch <= '9') ? ch : '0';
	}
	switch (o->meter_no_mode) {
	case MNO_INDEX: r[IMG_METER_NO] = m ? m->index : 0xffff; break;
	case MNO_LOW16: r[IMG_METER_NO] = strtoull(digits, NULL, 10) & 0xffff; break;
	default: r[IMG_METER_NO] = strtoul(digits + 12, NULL, 10); break;
	}
	for (int i = 0; i < 4; i++) {
		uint16_t w = 0;

		for (int k = 0; k < 4; k++)
			w = w << 4 | (digits[4 * i + k] - '0');
		r[IMG_ADDR_BCD + i] = w;
	}
	r[IMG_ID_KIND] = kind;
	r[IMG_ERRNO] = m ? m->last_error : 0;
	if (m && m->have) {
		int64_t age = (now_ns - m->last_ok_ns) / 1000000000LL;

		r[IMG_AGE] = age > 65534 ? 65534 : (age < 0 ? 0 : age);
	} else {
		r[IMG_AGE] = 65535;
	}
	image_float(123456.0f, o->word_order, r + IMG_SELFTEST);
	r[IMG_SYSTEM] = n;
}
