// SPDX-License-Identifier: GPL-2.0
/*
 * DL/T 2690.8 frame codec, configuration file and clock reply.
 * Every choice the standard leaves open is a parameter; the defaults are
 * those of ../shared/facts/platform-modbus-hwmon.md §1.3.
 */
#include <string.h>
#include <stdio.h>
#include "dlt.h"

uint16_t dlt_crc16(const uint8_t *p, size_t n, uint16_t crc)
{
	while (n--) {
		crc ^= *p++;
		for (int i = 0; i < 8; i++)
			crc = (crc & 1) ? (crc >> 1) ^ 0xA001 : crc >> 1;
	}
	return crc;
}

static size_t scope_start(enum dlt_crc_scope s)
{
	switch (s) {
	case DLT_CRC_DATA: return 6;
	case DLT_CRC_LEN_DATA: return 4;
	case DLT_CRC_PROTO_LEN_DATA: return 2;
	default: return 0;
	}
}

static void put_cs(const struct dlt_opts *o, uint8_t *p, uint16_t cs)
{
	p[o->crc_msb ? 1 : 0] = cs & 0xff;
	p[o->crc_msb ? 0 : 1] = cs >> 8;
}

size_t dlt_encode(const struct dlt_opts *o, uint16_t a, uint16_t b,
		  const uint8_t *d, size_t l, uint8_t *out, size_t cap)
{
	size_t n = l + DLT_OVERHEAD, s;

	if (l > 0xffff || cap < n)
		return 0;
	out[0] = a & 0xff; out[1] = a >> 8;
	out[2] = b & 0xff; out[3] = b >> 8;
	out[4] = l & 0xff; out[5] = l >> 8;
	if (l)
		memcpy(out + 6, d, l);
	s = scope_start(o->crc_scope);
	put_cs(o, out + 6 + l, dlt_crc16(out + s, 6 + l - s, 0xffff));
	out[n - 1] = DLT_END;
	return n;
}

static int check_cs(const struct dlt_opts *o, const uint8_t *buf, size_t l)
{
	size_t s = scope_start(o->crc_scope);
	uint16_t cs = dlt_crc16(buf + s, 6 + l - s, 0xffff);
	const uint8_t *p = buf + 6 + l;
	uint16_t got = o->crc_msb ? (p[0] << 8 | p[1]) : (p[1] << 8 | p[0]);

	return cs == got;
}

int dlt_decode(const struct dlt_opts *o, const uint8_t *buf, size_t n,
	       struct dlt_frame *f)
{
	size_t l;

	if (n < DLT_HDR)
		return DLT_NEED_MORE;
	l = buf[4] | buf[5] << 8;
	if (l > o->max_frame)
		return DLT_E_OVERSIZE;
	if (n < l + DLT_OVERHEAD)
		return DLT_NEED_MORE;
	if (buf[l + 8] != DLT_END)
		return DLT_E_END;
	if (!check_cs(o, buf, l))
		return DLT_E_CRC;
	f->a = buf[0] | buf[1] << 8;
	f->b = buf[2] | buf[3] << 8;
	f->l = l;
	f->d = buf + 6;
	return (int)(l + DLT_OVERHEAD);
}

int dlt_probe(struct dlt_opts *o, const uint8_t *buf, size_t n)
{
	struct dlt_opts t = *o;
	size_t l;

	if (n < DLT_OVERHEAD)
		return 0;
	l = buf[4] | buf[5] << 8;
	if (l + DLT_OVERHEAD > n || buf[l + 8] != DLT_END)
		return 0;
	for (int s = DLT_CRC_FRAME; s <= DLT_CRC_PROTO_LEN_DATA; s++)
		for (int m = 0; m < 2; m++) {
			t.crc_scope = s;
			t.crc_msb = m;
			if (check_cs(&t, buf, l)) {
				*o = t;
				return 1;
			}
		}
	return 0;
}

const char *dlt_strerror(int e)
{
	switch (e) {
	case DLT_E_OVERSIZE: return "L exceeds max_frame";
	case DLT_E_END: return "end byte is not 0x16";
	case DLT_E_CRC: return "CRC mismatch";
	default: return "?";
	}
}

/* --- configuration file --- */

struct rd {
	const uint8_t *p;
	size_t n, off;
	int be;
	int err;
};

static unsigned long rd_uint(struct rd *r, int bytes)
{
	unsigned long v = 0;

	if (r->err || r->off + bytes > r->n) {
		r->err = 1;
		return 0;
	}
	for (int i = 0; i < bytes; i++) {
		int k = r->be ? i : bytes - 1 - i;

		v = v << 8 | r->p[r->off + k];
	}
	r->off += bytes;
	return v;
}

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

int pcfg_parse(const struct pcfg_opts *o, const uint8_t *d, size_t n,
	       struct pcfg *c, char *err, size_t errlen)
{
	struct rd r = { .p = d, .n = n };
	size_t flen;

	memset(c, 0, sizeof(*c));
	if (n < 24 + 6)
		FAIL("too short (%zu bytes)", n);
	if (d[0] != 0xAA || d[1] != 0xAA)
		FAIL("no 0xAAAA start word");
	if (d[2] == 0x00 && d[3] == 0x06)
		r.be = 1;
	else if (d[2] == 0x06 && d[3] == 0x00)
		r.be = 0;
	else
		FAIL("no 0x0006 file type");
	if ((o->byte_order == 1 && !r.be) || (o->byte_order == 2 && r.be))
		FAIL("byte order differs from config_byte_order");
	c->be = r.be;
	r.off = 4;
	c->version = rd_uint(&r, 2);
	memcpy(c->name, d + 6, 16);
	r.off = 22;
	flen = rd_uint(&r, 2);
	if (flen < 24 + 6 || flen > n)
		FAIL("file length %zu outside 30..%zu", flen, n);
	r.n = flen;		/* the body is parsed by its counts, inside the file */
	r.off = 24 + 4;		/* 4 reserved bytes */
	c->ntables = rd_uint(&r, 2);
	if (c->ntables > PCFG_MAX_TABLES)
		FAIL("%u tables (at most %d)", c->ntables, PCFG_MAX_TABLES);
	for (unsigned int i = 0; i < c->ntables; i++) {
		struct pcfg_table *t = &c->t[i];

		t->client_id = rd_uint(&r, 2);
		t->table_no = rd_uint(&r, o->layout_second ? 1 : 4);
		t->on_change = rd_uint(&r, 1);
		t->period = rd_uint(&r, 2);
		t->nrec = rd_uint(&r, 2);
		if (r.err)
			FAIL("table %u truncated", i + 1);
		if (t->client_id > 255 || t->table_no > 255)
			FAIL("table %u: client id %u / table number %u do not fit the 1-byte fields of table 14",
			     i + 1, t->client_id, t->table_no);
		if (t->on_change > 1)
			FAIL("table %u: change-trigger flag %u", i + 1, t->on_change);
		if (t->period == 0)
			t->period = 10;
		if (t->period > 60)
			t->period = 60;
		if (t->nrec > PCFG_MAX_RECS)
			FAIL("table %u: %u records (at most %d)", i + 1, t->nrec, PCFG_MAX_RECS);
		for (unsigned int j = 0; j < t->nrec; j++) {
			struct pcfg_rec *e = &t->rec[j];
			unsigned long a;

			e->attr = rd_uint(&r, 1);
			a = rd_uint(&r, 2);
			e->type = rd_uint(&r, 1);
			if (r.err)
				FAIL("table %u record %u truncated", i + 1, j + 1);
			if (o->address_reference) {
				if (a < 40001)
					FAIL("table %u record %u: address %lu is no 4xxxx reference",
					     i + 1, j + 1, a);
				a -= 40001;
			}
			e->addr = a;
			if (e->type != 1 && e->type != 2 && e->type != 4 && e->type != 8)
				FAIL("table %u record %u: unknown data type 0x%02x",
				     i + 1, j + 1, e->type);
			if (e->addr + pcfg_rec_regs(e) > o->image_regs)
				FAIL("table %u record %u: address %u outside the register image",
				     i + 1, j + 1, e->addr);
		}
	}
	return 0;
}

static void wr_uint(uint8_t *p, size_t *off, unsigned long v, int bytes, int be)
{
	for (int i = 0; i < bytes; i++) {
		int k = be ? bytes - 1 - i : i;

		p[*off + i] = (v >> (8 * k)) & 0xff;
	}
	*off += bytes;
}

size_t pcfg_build(const struct pcfg *c, int be, int layout_second,
		  uint8_t *out, size_t cap)
{
	size_t need = 24 + 6 + 3, off = 0;

	for (unsigned int i = 0; i < c->ntables; i++)
		need += (layout_second ? 8 : 11) + 4u * c->t[i].nrec;
	if (need > cap || need > 0xffff)
		return 0;
	memset(out, 0, need);
	out[0] = out[1] = 0xAA;
	off = 2;
	wr_uint(out, &off, 6, 2, be);
	wr_uint(out, &off, c->version, 2, be);
	memcpy(out + 6, c->name, 16);
	off = 22;
	wr_uint(out, &off, need, 2, be);
	off += 4;
	wr_uint(out, &off, c->ntables, 2, be);
	for (unsigned int i = 0; i < c->ntables; i++) {
		const struct pcfg_table *t = &c->t[i];

		wr_uint(out, &off, t->client_id, 2, be);
		wr_uint(out, &off, t->table_no, layout_second ? 1 : 4, be);
		wr_uint(out, &off, t->on_change, 1, be);
		wr_uint(out, &off, t->period, 2, be);
		wr_uint(out, &off, t->nrec, 2, be);
		for (unsigned int j = 0; j < t->nrec; j++) {
			wr_uint(out, &off, t->rec[j].attr, 1, be);
			wr_uint(out, &off, t->rec[j].addr, 2, be);
			wr_uint(out, &off, t->rec[j].type, 1, be);
		}
	}
	return need;	/* the 3 bytes after the body stay 0x00 (facts #18) */
}

/* --- clock --- */

static const int clk_lo[6] = { 0, 1, 1, 0, 0, 0 };
static const int clk_hi[6] = { 99, 12, 31, 23, 59, 59 };

static int in_range(const int v[6])
{
	for (int i = 0; i < 6; i++)
		if (v[i] < clk_lo[i] || v[i] > clk_hi[i])
			return 0;
	return 1;
}

static void to_tm(const int v[6], struct dlt_tm *tm)
{
	tm->year = 2000 + v[0];
	tm->mon = v[1];
	tm->day = v[2];
	tm->hour = v[3];
	tm->min = v[4];
	tm->sec = v[5];
}

static int decode_as(const uint8_t *p, enum dlt_clock_enc e, int v[6])
{
	for (int i = 0; i < 6; i++) {
		uint8_t h = p[2 * i], l = p[2 * i + 1], b;

		switch (e) {
		case CLK_ASCII:
			if (h < '0' || h > '9' || l < '0' || l > '9')
				return 0;
			v[i] = (h - '0') * 10 + (l - '0');
			continue;
		case CLK_BIN_BE: v[i] = h << 8 | l; continue;
		case CLK_BIN_LE: v[i] = l << 8 | h; continue;
		case CLK_BCD_BE: if (h) return 0; b = l; break;
		case CLK_BCD_LE: if (l) return 0; b = h; break;
		default: return 0;
		}
		if ((b >> 4) > 9 || (b & 15) > 9)
			return 0;
		v[i] = (b >> 4) * 10 + (b & 15);
	}
	return in_range(v);
}

int dlt_clock_decode(const uint8_t *p, size_t n, enum dlt_clock_enc enc,
		     int tiebreak_bcd, struct dlt_tm *tm)
{
	int v[6], hi0 = 1, lo0 = 1, bin, bcd;
	enum dlt_clock_enc eb, ec;

	if (n < 12)
		return -1;
	if (enc != CLK_AUTO) {
		if (!decode_as(p, enc, v))
			return -1;
		to_tm(v, tm);
		return enc;
	}
	if (decode_as(p, CLK_ASCII, v)) {
		to_tm(v, tm);
		return CLK_ASCII;
	}
	for (int i = 0; i < 6; i++) {
		hi0 &= p[2 * i] == 0;
		lo0 &= p[2 * i + 1] == 0;
	}
	if (hi0 == lo0)
		return -1;
	eb = hi0 ? CLK_BIN_BE : CLK_BIN_LE;
	ec = hi0 ? CLK_BCD_BE : CLK_BCD_LE;
	bin = decode_as(p, eb, v);
	bcd = decode_as(p, ec, v);
	if (bin && bcd) {	/* clock_tiebreak */
		if (tiebreak_bcd)
			bin = 0;
		else
			bcd = 0;
	}
	if (!bin && !bcd)
		return -1;
	decode_as(p, bin ? eb : ec, v);
	to_tm(v, tm);
	return bin ? eb : ec;
}

void dlt_clock_encode(const struct dlt_tm *tm, enum dlt_clock_enc enc,
		      uint8_t out[12])
{
	int v[6] = { tm->year % 100, tm->mon, tm->day, tm->hour, tm->min, tm->sec };

	for (int i = 0; i < 6; i++) {
		uint8_t bcd = (v[i] / 10) << 4 | (v[i] % 10);
		uint8_t *q = out + 2 * i;

		switch (enc) {
		case CLK_ASCII: q[0] = '0' + v[i] / 10; q[1] = '0' + v[i] % 10; break;
		case CLK_BIN_LE: q[0] = v[i]; q[1] = 0; break;
		case CLK_BCD_BE: q[0] = 0; q[1] = bcd; break;
		case CLK_BCD_LE: q[0] = bcd; q[1] = 0; break;
		default: q[0] = 0; q[1] = v[i]; break;
		}
	}
}
