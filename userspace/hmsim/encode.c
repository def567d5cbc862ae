// SPDX-License-Identifier: GPL-2.0
/*
 * hmsim - frame encoding: BCD, checksums, CJ/T 188-2004 replies and
 * EN 13757-3 records. Independent of the project's lib/ on purpose.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hmsim.h"

u8 sum8(const u8 *p, int n)
{
	u8 s = 0;

	while (n-- > 0)
		s += *p++;
	return s;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* parse hex bytes, ignoring blanks; returns count or -1 */
int hex_parse(const char *s, u8 *out, int max)
{
	int n = 0, hi = -1;

	for (; *s; s++) {
		int v;

		if (isspace((unsigned char)*s) || *s == ':' || *s == '-')
			continue;
		if ((s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) && hi < 0) {
			s++;
			continue;
		}
		v = hexval((unsigned char)*s);
		if (v < 0)
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= max)
			return -1;
		out[n++] = (u8)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? n : -1;
}

/* EN 13757-3 manufacturer: three letters or a number */
int man_code(const char *s)
{
	if (strlen(s) == 3 && isalpha((unsigned char)s[0]) &&
	    isalpha((unsigned char)s[1]) && isalpha((unsigned char)s[2]))
		return ((toupper(s[0]) - 64) << 10) |
		       ((toupper(s[1]) - 64) << 5) | (toupper(s[2]) - 64);
	return (int)strtol(s, NULL, 0);
}

static s64 pow10i(int n)
{
	s64 r = 1;

	while (n-- > 0)
		r *= 10;
	return r;
}

/* v * mul / div, truncated toward zero (meters truncate registers) */
s64 scale_div(s64 v, s64 mul, s64 div)
{
	__int128 t = (__int128)v * mul;

	return (s64)(t / div);
}

/*
 * BCD, low byte first (or high first); a negative value sets 0x80 in the
 * top byte... for CJ/T 188, or the top nibble F for EN 13757-3 (see callers).
 */
void bcd_put(u8 *p, int len, s64 v, bool msb_first)
{
	int i;

	if (v < 0)
		v = -v;
	for (i = 0; i < len; i++) {
		u8 b = (u8)(v % 10);

		v /= 10;
		b |= (u8)((v % 10) << 4);
		v /= 10;
		p[msb_first ? len - 1 - i : i] = b;
	}
}

/* 8 hex digits (most significant first) -> 4 bytes low first */
void id_put(u8 *p, const char *id)
{
	int i;

	for (i = 0; i < 4; i++) {
		int hi = hexval((unsigned char)id[6 - 2 * i]);
		int lo = hexval((unsigned char)id[7 - 2 * i]);

		p[i] = (u8)((hi < 0 ? 0 : hi) << 4 | (lo < 0 ? 0 : lo));
	}
}

void meter_clock(struct meter *m, struct tm *tm)
{
	if (m->time_now) {
		time_t t = time(NULL);

		localtime_r(&t, tm);
	} else {
		*tm = m->clock;
	}
}

/* ---- CJ/T 188 ---------------------------------------------------------- */

/* driver units per unit code, as num/den */
static const struct {
	int code;
	s64 num, den;
} cj_units[] = {
	{ 0x01, 10, 36 },			/* J */
	{ 0x02, 1000, 1 },			/* Wh */
	{ 0x05, 1000000, 1 },			/* kWh */
	{ 0x08, 1000000000, 1 },		/* MWh */
	{ 0x0A, 100000000000LL, 1 },		/* MWh x 100 */
	{ 0x0B, 10000, 36 },			/* kJ */
	{ 0x0E, 10000000, 36 },			/* MJ */
	{ 0x11, 10000000000LL, 36 },		/* GJ */
	{ 0x13, 1000000000000LL, 36 },		/* GJ x 100 */
	{ 0x14, 1000, 1 },			/* W */
	{ 0x17, 1000000, 1 },			/* kW */
	{ 0x1A, 1000000000, 1 },		/* MW */
	{ 0x29, 1000, 1 },			/* L */
	{ 0x2C, 1000000, 1 },			/* m3 */
	{ 0x32, 1000, 1 },			/* L/h */
	{ 0x35, 1000000, 1 },			/* m3/h */
};

static bool cj_unit_scale(int unit, s64 *num, s64 *den)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cj_units); i++) {
		if (cj_units[i].code == unit) {
			*num = cj_units[i].num;
			*den = cj_units[i].den;
			return true;
		}
	}
	return false;
}

static void cj_bcd(struct meter *m, u8 *p, int len, s64 v)
{
	s64 lim = pow10i(2 * len);
	bool neg = v < 0;

	if (neg)
		v = -v;
	v %= lim;
	bcd_put(p, len, v, m->bcd_msb_first);
	if (neg)
		p[m->bcd_msb_first ? 0 : len - 1] |= 0x80;
}

/* one 901F field: value (+ unit), or the filler when absent */
static int cj_field(struct meter *m, u8 *p, enum cj_fld f, enum qty q)
{
	const struct cj_field *cf = &m->fld[f];
	int n = 0, unit = cf->unit;
	u8 val[8];

	if (!m->have[q]) {
		memset(val, m->filler, (size_t)cf->len);
		if (cf->unit_absent >= 0)
			unit = cf->unit_absent;
	} else {
		s64 raw, num = 1, den = 1;

		switch (q) {
		case Q_SUPPLY:
		case Q_RETURN:
			raw = scale_div(m->v[q], pow10i(cf->dec), 1000);
			break;
		case Q_OPTIME:
			raw = scale_div(m->v[q], pow10i(cf->dec), 3600);
			break;
		default:
			if (!cj_unit_scale(unit, &num, &den))
				num = 1;
			raw = scale_div(m->v[q], pow10i(cf->dec) * den, num);
			break;
		}
		cj_bcd(m, val, cf->len, raw);
	}
	if (unit >= 0 && m->unit_first)
		p[n++] = (u8)unit;
	memcpy(p + n, val, (size_t)cf->len);
	n += cf->len;
	if (unit >= 0 && !m->unit_first)
		p[n++] = (u8)unit;
	return n;
}

static int cj_head(struct meter *m, u8 *out, int c)
{
	int n = 0, i;

	for (i = 0; i < m->preamble; i++)
		out[n++] = 0xFE;
	out[n++] = 0x68;
	out[n++] = (u8)m->reply_type;
	memcpy(out + n, m->addr, 7);
	n += 7;
	out[n++] = (u8)c;
	out[n++] = 0;	/* L, patched */
	return n;
}

static void cj_di(struct meter *m, const u8 *req_di, u8 *p)
{
	/* req_di is as received; normalise to the meter's order */
	int hi = req_di[0] >= 0x80 ? req_di[0] : req_di[1];
	int lo = req_di[0] >= 0x80 ? req_di[1] : req_di[0];

	if (m->di_order == 0) {
		p[0] = req_di[0];
		p[1] = req_di[1];
	} else if (m->di_order == 1) {
		p[0] = (u8)hi;
		p[1] = (u8)lo;
	} else {
		p[0] = (u8)lo;
		p[1] = (u8)hi;
	}
}

static int cj_finish(u8 *out, int n, int lpos)
{
	int start = lpos - 10;

	out[lpos] = (u8)(n - lpos - 1);
	out[n] = sum8(out + start, n - start);
	n++;
	out[n++] = 0x16;
	return n;
}

static void cj_clock(struct meter *m, u8 *p)
{
	struct tm tm;

	if (m->clock_raw_set) {
		memcpy(p, m->clock_raw, 7);
		return;
	}
	meter_clock(m, &tm);
	bcd_put(p + 0, 1, tm.tm_sec, false);
	bcd_put(p + 1, 1, tm.tm_min, false);
	bcd_put(p + 2, 1, tm.tm_hour, false);
	bcd_put(p + 3, 1, tm.tm_mday, false);
	bcd_put(p + 4, 1, tm.tm_mon + 1, false);
	bcd_put(p + 5, 2, tm.tm_year + 1900, false);
}

/* Delu ultrasonic DI 903F high-resolution layout (PROTOCOLS.md) */
static int delu_us_data(struct meter *m, u8 *p)
{
	static const u8 k_misc[] = { 0x03, 0x00, 0x24, 0x00, 0x00, 0x00,
				     0x51, 0x23, 0x02 };
	static const u8 k_int12[] = { 0x4F, 0x0F, 0x81, 0x0F, 0x58, 0x0F,
				      0x45, 0x0E, 0x00, 0x00, 0x00, 0x00 };
	static const u8 k_tail[] = { 0x30, 0x07, 0x10, 0x20, 0x00, 0x00 };
	int n = 0;
	char id[9];

	if (m->have[Q_SUPPLY])
		cj_bcd(m, p + n, 3, m->v[Q_SUPPLY] / 10);
	else
		memset(p + n, m->filler, 3);
	n += 3;
	memset(p + n, 0, 3);			/* internal */
	n += 3;
	if (m->have[Q_VOLUME])			/* 6 decimals m3 = mL */
		cj_bcd(m, p + n, 4, m->v[Q_VOLUME]);
	else
		memset(p + n, m->filler, 4);
	n += 4;
	p[n++] = 0x2C;
	if (m->have[Q_ENERGY])			/* 4 decimals kWh = 100 mWh */
		cj_bcd(m, p + n, 4, m->v[Q_ENERGY] / 100);
	else
		memset(p + n, m->filler, 4);
	n += 4;
	p[n++] = 0x05;
	memset(p + n, 0, 3);			/* alarm time, s */
	n += 3;
	memcpy(p + n, k_misc, sizeof(k_misc));	/* size+version, internal */
	n += (int)sizeof(k_misc);
	/* meter number: the address' low 8 digits */
	snprintf(id, sizeof(id), "%02X%02X%02X%02X", m->addr[3], m->addr[2],
		 m->addr[1], m->addr[0]);
	id_put(p + n, id);
	n += 4;
	memcpy(p + n, k_int12, sizeof(k_int12));
	n += (int)sizeof(k_int12);
	p[n++] = 0x00;				/* params */
	p[n++] = 0x04;
	if (m->have[Q_RETURN])
		cj_bcd(m, p + n, 3, m->v[Q_RETURN] / 10);
	else
		memset(p + n, m->filler, 3);
	n += 3;
	memcpy(p + n, k_tail, sizeof(k_tail));
	n += (int)sizeof(k_tail);
	return n;
}

/* reply to a read-data request (C=01): DI 901F standard layout or 903F */
int cj_build_read(struct meter *m, const u8 *req_di, int ser, u8 *out)
{
	int n = cj_head(m, out, 0x81), lpos = n - 1;
	bool di903f = req_di[0] == 0x3F || req_di[1] == 0x3F;

	cj_di(m, req_di, out + n);
	n += 2;
	out[n++] = (u8)(m->ser >= 0 ? m->ser : ser);
	if (di903f) {
		n += delu_us_data(m, out + n);
		return cj_finish(out, n, lpos);
	}
	n += cj_field(m, out + n, CF_SETTLE, Q_SETTLE);
	n += cj_field(m, out + n, CF_ENERGY, Q_ENERGY);
	n += cj_field(m, out + n, CF_POWER, Q_POWER);
	n += cj_field(m, out + n, CF_FLOW, Q_FLOW);
	n += cj_field(m, out + n, CF_VOLUME, Q_VOLUME);
	n += cj_field(m, out + n, CF_SUPPLY, Q_SUPPLY);
	n += cj_field(m, out + n, CF_RETURN, Q_RETURN);
	n += cj_field(m, out + n, CF_OPTIME, Q_OPTIME);
	cj_clock(m, out + n);
	n += 7;
	out[n++] = m->st[0];
	out[n++] = m->st[1];
	return cj_finish(out, n, lpos);
}

/* reply to read address (C=03, DI 810A) */
int cj_build_addr(struct meter *m, const u8 *req_di, int ser, u8 *out)
{
	int n = cj_head(m, out, 0x83), lpos = n - 1;

	cj_di(m, req_di, out + n);
	n += 2;
	out[n++] = (u8)(m->ser >= 0 ? m->ser : ser);
	return cj_finish(out, n, lpos);
}

/* reply to write data (C=04): DI SER ST */
int cj_build_write(struct meter *m, const u8 *req_di, int ser, u8 *out)
{
	int n = cj_head(m, out, 0x84), lpos = n - 1;

	cj_di(m, req_di, out + n);
	n += 2;
	out[n++] = (u8)(m->ser >= 0 ? m->ser : ser);
	out[n++] = m->st[0];
	out[n++] = m->st[1];
	return cj_finish(out, n, lpos);
}

/* ---- EN 13757-3 -------------------------------------------------------- */

static int dif_len(int dif)
{
	static const int l[16] = { 0, 1, 2, 3, 4, 4, 6, 8,
				   0, 1, 2, 3, 4, -1, 6, -2 };
	return l[dif & 0x0F];
}

/* parse "DIF[DIFE..]VIF[VIFE..][=DATA]" */
int mrec_parse(const char *item, struct mrec *r, char *err, size_t errlen)
{
	char hb[1024], *eq;
	int n, i, dl;

	memset(r, 0, sizeof(*r));
	r->vif = -1;
	snprintf(hb, sizeof(hb), "%s", item);
	eq = strchr(hb, '=');
	if (eq)
		*eq++ = 0;
	n = hex_parse(hb, r->hdr, (int)sizeof(r->hdr));
	if (n < 1) {
		snprintf(err, errlen, "bad record header '%s'", item);
		return -1;
	}
	r->hlen = n;
	if (eq) {
		r->dlen = hex_parse(eq, r->data, (int)sizeof(r->data));
		if (r->dlen < 0) {
			snprintf(err, errlen, "bad record data '%s'", item);
			return -1;
		}
		r->konst = true;
	}
	if ((r->hdr[0] & 0x0F) == 0x0F) {
		/* manufacturer specific / more records follow: raw tail */
		if (n != 1) {
			memmove(r->data + (n - 1), r->data, (size_t)r->dlen);
			memcpy(r->data, r->hdr + 1, (size_t)(n - 1));
			r->dlen += n - 1;
			r->hlen = 1;
		}
		r->konst = true;
		return 0;
	}
	for (i = 1; i < n && (r->hdr[i - 1] & 0x80); i++)
		;
	if (i >= n) {
		snprintf(err, errlen, "record '%s' has no VIF", item);
		return -1;
	}
	r->vif = r->hdr[i] & 0x7F;
	if (r->hdr[i] == 0xFD || r->hdr[i] == 0xFB || r->hdr[i] == 0xFF ||
	    r->hdr[i] == 0x7C || r->hdr[i] == 0xFC)
		r->vif = -2;	/* extension tables: constant data only */
	dl = dif_len(r->hdr[0]);
	if (r->konst) {
		if (dl >= 0 && dl != r->dlen) {
			snprintf(err, errlen, "record '%s': DIF wants %d bytes",
				 item, dl);
			return -1;
		}
		return 0;
	}
	if (dl <= 0 || r->vif == -2) {
		snprintf(err, errlen, "record '%s' needs =DATA", item);
		return -1;
	}
	r->dlen = dl;
	/* known quantity VIFs only */
	if (!(r->vif <= 0x17 || (r->vif >= 0x20 && r->vif <= 0x2F) ||
	      (r->vif >= 0x38 && r->vif <= 0x3F) ||
	      (r->vif >= 0x58 && r->vif <= 0x63) || r->vif == 0x6C ||
	      r->vif == 0x6D || r->vif == 0x78 || r->vif == 0x79)) {
		snprintf(err, errlen, "record '%s': VIF %02X is not a known quantity (give =DATA)",
			 item, r->vif);
		return -1;
	}
	return 0;
}

int mrecs_parse(const char *s, struct mrec *r, int max, char *err,
		size_t errlen)
{
	char buf[1024], *tok, *save = NULL;
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, "/;", &save); tok;
	     tok = strtok_r(NULL, "/;", &save)) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		if (!*tok)
			continue;
		if (n >= max) {
			snprintf(err, errlen, "too many records");
			return -1;
		}
		if (mrec_parse(tok, &r[n], err, errlen))
			return -1;
		n++;
	}
	return n;
}

/* the quantity and the raw value a record's VIF asks for */
static bool mrec_value(struct meter *m, const struct mrec *r, s64 *raw)
{
	int v = r->vif, nn = v & 7;
	enum qty q;
	s64 x;

	if (v <= 0x07) {
		q = Q_ENERGY;
		if (!m->have[q])
			return false;
		*raw = scale_div(m->v[q], 1, pow10i(nn));
		return true;
	}
	if (v <= 0x0F) {		/* 10^n J; 1 mWh = 3.6 J */
		q = Q_ENERGY;
		if (!m->have[q])
			return false;
		*raw = scale_div(m->v[q], 36, pow10i(nn + 1));
		return true;
	}
	if (v <= 0x17) {
		q = Q_VOLUME;
		nn = v & 7;
	} else if (v >= 0x20 && v <= 0x27) {
		static const s64 tu[4] = { 1, 60, 3600, 86400 };

		if (!m->have[Q_OPTIME])
			return false;
		*raw = m->v[Q_OPTIME] / tu[v & 3];
		return true;
	} else if (v >= 0x28 && v <= 0x2F) {
		q = Q_POWER;
	} else if (v >= 0x38 && v <= 0x3F) {
		q = Q_FLOW;
	} else if (v >= 0x58 && v <= 0x5B) {
		q = Q_SUPPLY;
		nn = v & 3;
	} else if (v >= 0x5C && v <= 0x5F) {
		q = Q_RETURN;
		nn = v & 3;
	} else if (v >= 0x60 && v <= 0x63) {
		nn = v & 3;
		if (m->have[Q_TDIFF])
			x = m->v[Q_TDIFF];
		else if (m->have[Q_SUPPLY] && m->have[Q_RETURN])
			x = m->v[Q_SUPPLY] - m->v[Q_RETURN];
		else
			return false;
		*raw = x / pow10i(nn);
		return true;
	} else {
		return false;
	}
	if (!m->have[q])
		return false;
	*raw = m->v[q] / pow10i(nn);
	return true;
}

static void mrec_encode(struct meter *m, const struct mrec *r, u8 *p,
			s64 raw)
{
	int dif = r->hdr[0] & 0x0F, i;

	switch (dif) {
	case 0x9:
	case 0xA:
	case 0xB:
	case 0xC:
	case 0xE: {
		int digits = 2 * r->dlen;

		if (raw < 0) {
			bcd_put(p, r->dlen, (-raw) % pow10i(digits - 1), false);
			p[r->dlen - 1] |= 0xF0;
		} else {
			bcd_put(p, r->dlen, raw % pow10i(digits), false);
		}
		break;
	}
	case 0x5: {
		float f = (float)raw;

		memcpy(p, &f, 4);	/* little-endian hosts only */
		break;
	}
	default:
		for (i = 0; i < r->dlen; i++)
			p[i] = (u8)((u64)raw >> (8 * i));
		break;
	}
	(void)m;
}

static int mrec_put(struct meter *m, const struct mrec *r, u8 *p)
{
	int n = r->hlen;
	s64 raw;

	memcpy(p, r->hdr, (size_t)r->hlen);
	if (r->konst) {
		memcpy(p + n, r->data, (size_t)r->dlen);
		return n + r->dlen;
	}
	if (r->vif == 0x78 || r->vif == 0x79) {
		u8 id[4];

		id_put(id, m->id);
		if (r->dlen == 4 && (r->hdr[0] & 0x0F) == 0x0C)
			memcpy(p + n, id, 4);
		else
			mrec_encode(m, r, p + n, strtoll(m->id, NULL, 10));
		return n + r->dlen;
	}
	if (r->vif == 0x6C || r->vif == 0x6D) {
		struct tm tm;
		int y, hy;

		meter_clock(m, &tm);
		y = tm.tm_year % 100;
		/* EN 13757-3:2013 type F: hundred years in the hour byte */
		hy = m->date_hy ? ((tm.tm_year / 100) & 3) << 5 : 0;
		if (r->vif == 0x6D && r->dlen == 4) {
			p[n + 0] = (u8)tm.tm_min;
			p[n + 1] = (u8)(tm.tm_hour | hy);
			p[n + 2] = (u8)(tm.tm_mday | (y & 7) << 5);
			p[n + 3] = (u8)((tm.tm_mon + 1) | (y >> 3) << 4);
		} else if (r->vif == 0x6D && r->dlen == 6) {
			p[n + 0] = (u8)tm.tm_sec;
			p[n + 1] = (u8)tm.tm_min;
			p[n + 2] = (u8)(tm.tm_hour | hy);
			p[n + 3] = (u8)(tm.tm_mday | (y & 7) << 5);
			p[n + 4] = (u8)((tm.tm_mon + 1) | (y >> 3) << 4);
			p[n + 5] = 0;
		} else {
			p[n + 0] = (u8)(tm.tm_mday | (y & 7) << 5);
			p[n + 1] = (u8)((tm.tm_mon + 1) | (y >> 3) << 4);
			if (r->dlen > 2)
				memset(p + n + 2, 0, (size_t)(r->dlen - 2));
		}
		return n + r->dlen;
	}
	if (!mrec_value(m, r, &raw))
		return 0;	/* quantity not provided: no record */
	mrec_encode(m, r, p + n, raw);
	return n + r->dlen;
}

const int mbus_rates[8] = { 300, 600, 1200, 2400, 4800, 9600, 19200, 38400 };

/* EN 13757-3 type G date (2 bytes) */
void date_g_put(u8 *p, const struct tm *tm)
{
	int y = tm->tm_year % 100;

	p[0] = (u8)(tm->tm_mday | (y & 7) << 5);
	p[1] = (u8)((tm->tm_mon + 1) | (y >> 3) << 4);
}

/* DIF (+ DIFE) for storage number @st: bit 6 of the DIF, then 4 per DIFE */
static int storage_dif(u8 *p, int coding, int st)
{
	int n = 0;

	p[n++] = (u8)(coding | (st & 1) << 6 | (st > 1 ? 0x80 : 0));
	if (st > 1)
		p[n++] = (u8)((st >> 1) & 0x0F);
	return n;
}

static void le32_put(u8 *p, s64 v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (u8)((u64)v >> (8 * i));
}

/* due-date record @k (0 energy, 1 volume, 2 date) if the meter has it */
static int due_put(struct meter *m, int k, u8 *p)
{
	int n;

	if (k == 0 && m->have_due_energy) {		/* 32-bit int, kWh */
		n = storage_dif(p, 0x04, m->due_storage);
		p[n++] = 0x06;
		le32_put(p + n, m->due_energy / 1000000);
		return n + 4;
	}
	if (k == 1 && m->have_due_volume) {		/* 32-bit int, 0.01 m3 */
		n = storage_dif(p, 0x04, m->due_storage);
		p[n++] = 0x14;
		le32_put(p + n, m->due_volume / 10000);
		return n + 4;
	}
	if (k == 2 && m->have_due_date) {		/* type G date */
		n = storage_dif(p, 0x02, m->due_storage);
		p[n++] = 0x6C;
		date_g_put(p + n, &m->due_date);
		return n + 2;
	}
	return 0;
}

/*
 * RSP_UD: 68 L L 68 08 A CI [header] records CS 16.
 * ci 0x72: long header; 0x78: no header (Tiangang "single test" reply).
 * The records (the current ones, then the due-date ones) are split over
 * m->telegrams telegrams; telegram m->tg is built, ending in DIF 1F
 * ("more records follow") unless it is the last.
 */
int mbus_build_rsp(struct meter *m, u8 *out, int ci, bool single)
{
	static struct mrec single_recs[5];
	static int nsingle;
	const struct mrec *recs = m->test_mode && m->ntrec ? m->trec : m->rec;
	int nrec = m->test_mode && m->ntrec ? m->ntrec : m->nrec;
	int n = 0, i, total, lo, hi, ntg = 1, tg = 0;

	if (single) {
		if (!nsingle) {
			char e[80];

			nsingle = mrecs_parse("0C79/0C03/0C11/0B59/0B5D",
					      single_recs, 5, e, sizeof(e));
		}
		recs = single_recs;
		nrec = nsingle;
	}
	total = nrec + (single ? 0 : 3);
	if (!single && ci == 0x72 && m->telegrams > 1) {
		ntg = m->telegrams;
		tg = m->tg < ntg ? m->tg : ntg - 1;
	}
	lo = (int)((long)tg * total / ntg);
	hi = (int)((long)(tg + 1) * total / ntg);
	out[n++] = 0x68;
	out[n++] = 0;
	out[n++] = 0;
	out[n++] = 0x68;
	out[n++] = 0x08;
	out[n++] = (u8)m->primary;
	out[n++] = (u8)ci;
	if (ci == 0x72) {
		id_put(out + n, m->id);
		n += 4;
		out[n++] = (u8)(m->man & 0xFF);
		out[n++] = (u8)(m->man >> 8);
		out[n++] = (u8)m->version;
		out[n++] = (u8)m->medium;
		out[n++] = (u8)m->access;
		out[n++] = (u8)m->mstatus;
		out[n++] = 0;
		out[n++] = 0;
	}
	for (i = lo; i < hi && n < MAX_FRAME - 300; i++) {
		int k = i < nrec ? mrec_put(m, &recs[i], out + n) :
			due_put(m, i - nrec, out + n);

		if (n + k - 4 > (tg < ntg - 1 ? 254 : 255))
			break;	/* L is one byte: the telegram ends here */
		n += k;
	}
	if (tg < ntg - 1)
		out[n++] = 0x1F;	/* more records follow */
	out[1] = out[2] = (u8)(n - 4);
	out[n] = sum8(out + 4, n - 4);
	n++;
	out[n++] = 0x16;
	return n;
}
