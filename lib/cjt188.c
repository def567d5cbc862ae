// SPDX-License-Identifier: GPL-2.0
/*
 * cjt188.c - CJ/T 188-2004 request builder and reply decoder.
 *
 * Replies are decoded by interpreting a profile's field layout (profile.h):
 * the engine knows encodings and units, never vendors.
 */
#include "cjt188.h"
#include "hm_err.h"
#include "hm_util.h"
#include "frame.h"

const u8 hm_cjt188_broadcast[7] = { 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa };

enum unit_class {
	CLS_ENERGY = 1,
	CLS_POWER,
	CLS_VOLUME,
	CLS_FLOW,
	CLS_TEMP,
	CLS_TDIFF,
	CLS_TIME,
};

/* value in driver units = raw * mul * 10^(exp10 - decimals) / div */
struct unit_def {
	u8 code;
	u8 cls;
	s8 exp10;
	u8 div;
	u32 mul;
};

static const struct unit_def units[] = {
	{ HM_UNIT_J, CLS_ENERGY, 1, 36, 1 },	/* 1 J = 10/36 mWh */
	{ HM_UNIT_WH, CLS_ENERGY, 3, 1, 1 },
	{ HM_UNIT_KWH, CLS_ENERGY, 6, 1, 1 },
	{ HM_UNIT_MWH, CLS_ENERGY, 9, 1, 1 },
	{ HM_UNIT_MWH100, CLS_ENERGY, 11, 1, 1 },
	{ HM_UNIT_KJ, CLS_ENERGY, 4, 36, 1 },
	{ HM_UNIT_MJ, CLS_ENERGY, 7, 36, 1 },
	{ HM_UNIT_GJ, CLS_ENERGY, 10, 36, 1 },
	{ HM_UNIT_GJ100, CLS_ENERGY, 12, 36, 1 },
	{ HM_UNIT_W, CLS_POWER, 3, 1, 1 },
	{ HM_UNIT_KW, CLS_POWER, 6, 1, 1 },
	{ HM_UNIT_MW, CLS_POWER, 9, 1, 1 },
	{ HM_UNIT_L, CLS_VOLUME, 3, 1, 1 },
	{ HM_UNIT_M3, CLS_VOLUME, 6, 1, 1 },
	{ HM_UNIT_LH, CLS_FLOW, 3, 1, 1 },
	{ HM_UNIT_M3H, CLS_FLOW, 6, 1, 1 },
	{ HM_UNIT_CELSIUS, CLS_TEMP, 3, 1, 1 },
	{ HM_UNIT_KELVIN, CLS_TDIFF, 3, 1, 1 },
	{ HM_UNIT_HOUR, CLS_TIME, 0, 1, 3600 },
	{ HM_UNIT_SECOND, CLS_TIME, 0, 1, 1 },
};

static u8 quantity_class(unsigned int q)
{
	switch (q) {
	case HM_Q_ENERGY:
	case HM_Q_COOLING_ENERGY:
		return CLS_ENERGY;
	case HM_Q_POWER:
		return CLS_POWER;
	case HM_Q_VOLUME:
		return CLS_VOLUME;
	case HM_Q_FLOW:
		return CLS_FLOW;
	case HM_Q_SUPPLY_TEMP:
	case HM_Q_RETURN_TEMP:
		return CLS_TEMP;
	case HM_Q_TEMP_DIFF:
		return CLS_TDIFF;
	case HM_Q_OPERATING_TIME:
		return CLS_TIME;
	default:
		return 0;
	}
}

static const struct unit_def *unit_for(unsigned int code, unsigned int q)
{
	u8 cls = quantity_class(q);
	unsigned int i;

	for (i = 0; i < HM_ARRAY_SIZE(units); i++) {
		if (units[i].code != code)
			continue;
		if (units[i].cls == cls ||
		    (cls == CLS_TDIFF && units[i].cls == CLS_TEMP))
			return &units[i];
		return NULL;
	}
	return NULL;
}

static bool all_bytes(const u8 *p, unsigned int len, u8 v)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* 33 33 .. or FF FF ..: the meter does not fill this field, whatever unit */
static bool unused_value(const u8 *p, unsigned int len)
{
	return all_bytes(p, len, 0x33) || all_bytes(p, len, 0xff);
}

/* a filler of any kind: 33 33 .., FF FF .. or 00 00 .. */
static bool filler_value(const u8 *p, unsigned int len)
{
	return unused_value(p, len) || all_bytes(p, len, 0x00);
}

/* cumulative registers: never negative */
static bool cumulative(unsigned int q)
{
	return q == HM_Q_ENERGY || q == HM_Q_COOLING_ENERGY ||
	       q == HM_Q_VOLUME || q == HM_Q_OPERATING_TIME;
}

/* -273.15 °C in m°C: no temperature is below it */
#define HM_ABS_ZERO_MC	(-273150)

/* the top byte is 0x80 and every other byte 0: a minus sign on a zero */
static bool signed_zero(const u8 *p, unsigned int len, unsigned int top)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		if (p[i] != (i == top ? 0x80 : 0x00))
			return false;
	return true;
}

int hm_cjt188_decode_field(const u8 *p, unsigned int len, unsigned int enc,
			   unsigned int decimals, unsigned int unit,
			   unsigned int q, unsigned int flags, s64 *out)
{
	const struct unit_def *u;
	u8 tmp[9];
	bool neg = false;
	u64 mant = 0;
	unsigned int i, top;
	int exp10, err;

	if (!len || len > 8 || decimals > 20)
		return -HM_EINVAL;
	if (unused_value(p, len))
		return 0;
	u = unit_for(unit, q);
	if (!u)
		return -HM_EUNIT;
	exp10 = u->exp10 - (int)decimals;
	memcpy(tmp, p, len);
	top = (enc == HM_ENC_BCD_MSB) ? 0 : len - 1;

	switch (enc) {
	case HM_ENC_BCD:
	case HM_ENC_BCD_MSB:
		/* 80 00 .. 00 is a signed zero, with or without HM_FF_SIGN80 */
		if (signed_zero(tmp, len, top)) {
			*out = 0;
			return 1;
		}
		if (flags & HM_FF_SIGN80 && tmp[top] & 0x80) {
			neg = true;
			tmp[top] &= 0x7f;
		}
		err = hm_bcd_to_u64(tmp, len, enc == HM_ENC_BCD_MSB, &mant);
		if (err)
			return err;
		break;
	case HM_ENC_INT_LE:
		if (flags & HM_FF_SIGN80 && tmp[top] & 0x80) {
			neg = true;
			tmp[top] &= 0x7f;
		}
		for (i = 0; i < len; i++)
			mant |= (u64)tmp[i] << (8 * i);
		break;
	case HM_ENC_FLOAT_LE:
		if (len != 4)
			return -HM_EINVAL;
		err = hm_real32_scale((u32)tmp[0] | (u32)tmp[1] << 8 |
				      (u32)tmp[2] << 16 | (u32)tmp[3] << 24,
				      u->mul, exp10, u->div, out);
		if (err)
			return err;
		neg = *out < 0;
		goto check;
	default:
		return -HM_EINVAL;
	}
	err = hm_scale(mant, 0, neg, u->mul, exp10, u->div, out);
	if (err)
		return err;
check:
	/* impossible readings are absent, never reported */
	if (neg && *out && cumulative(q))
		return 0;
	if ((q == HM_Q_SUPPLY_TEMP || q == HM_Q_RETURN_TEMP) &&
	    *out < HM_ABS_ZERO_MC)
		return 0;
	return 1;
}

static int bcd_byte(u8 b)
{
	if ((b >> 4) > 9 || (b & 0x0f) > 9)
		return -1;
	return (b >> 4) * 10 + (b & 0x0f);
}

static unsigned int month_days(unsigned int y, unsigned int m)
{
	static const u8 days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return days[m - 1] + (m == 2 && leap ? 1 : 0);
}

/*
 * ss mm hh DD MM YYlo YYhi (standard) or YYhi YYlo MM DD hh mm ss (@rev,
 * year first): 1 if it is a valid date and time in HM_CJT188_YEAR_MIN ..
 * HM_CJT188_YEAR_MAX, 0 if not, -HM_EBCD for a non-BCD byte.
 */
static int parse_datetime(const u8 *p, bool rev, struct hm_datetime *dt)
{
	int v[7], i, year;

	for (i = 0; i < 7; i++) {
		v[i] = bcd_byte(p[rev ? 6 - i : i]);
		if (v[i] < 0)
			return -HM_EBCD;
	}
	year = v[6] * 100 + v[5];
	if (year < HM_CJT188_YEAR_MIN || year > HM_CJT188_YEAR_MAX ||
	    v[4] < 1 || v[4] > 12 || v[3] < 1 ||
	    v[3] > (int)month_days(year, v[4]) ||
	    v[2] > 23 || v[1] > 59 || v[0] > 59)
		return 0;
	dt->second = v[0];
	dt->minute = v[1];
	dt->hour = v[2];
	dt->day = v[3];
	dt->month = v[4];
	dt->year = year;
	dt->has_time = 1;
	return 1;
}

/*
 * The real-time field in the standard order, or year first: the order that
 * gives a valid, plausible date wins (HM_RD_TIME_YEAR_FIRST when it is year
 * first); when both do, the standard order (HM_RD_TIME_AMBIGUOUS). Neither:
 * the time is absent.
 */
static int decode_time(const u8 *p, struct hm_reading *rd)
{
	struct hm_datetime std, yf;
	int r, r2;

	if (filler_value(p, 7))
		return 0;
	r = parse_datetime(p, false, &std);
	if (r < 0)
		return r;
	r2 = parse_datetime(p, true, &yf);
	if (r == 1) {
		rd->meter_time = std;
		if (r2 == 1)
			rd->flags |= HM_RD_TIME_AMBIGUOUS;
	} else if (r2 == 1) {
		rd->meter_time = yf;
		rd->flags |= HM_RD_TIME_YEAR_FIRST;
	} else {
		return 0;
	}
	rd->valid |= HM_QBIT(HM_Q_METER_TIME);
	return 0;
}

/*
 * The quantity whose unit codes the unit byte of @f takes, or HM_Q_COUNT if
 * @f has no unit byte: a HM_FIELD_IGNORE field names it in @unit.
 */
static unsigned int unit_quantity(const struct hm_field *f)
{
	if (f->usrc != HM_USRC_NEXT)
		return HM_Q_COUNT;
	if (f->quantity < HM_Q_COUNT)
		return f->quantity;
	if (f->quantity == HM_FIELD_IGNORE && f->unit < HM_Q_COUNT)
		return f->unit;
	return HM_Q_COUNT;
}

static bool value_ok(const u8 *p, unsigned int len, unsigned int enc)
{
	u64 v;

	if (enc != HM_ENC_BCD && enc != HM_ENC_BCD_MSB)
		return true;
	return !hm_bcd_to_u64(p, len, false, &v);
}

/* support for one unit position: the evidence of every unit-byte field */
struct unit_votes {
	unsigned int fit;	/* unit bytes that fit their quantity */
	unsigned int bad;	/* real values with a misfit unit or bad BCD */
};

static void unit_votes(const struct hm_layout *lo, const u8 *d,
		       unsigned int dlen, bool before, struct unit_votes *v)
{
	unsigned int i;

	v->fit = 0;
	v->bad = 0;
	for (i = 0; i < lo->nfields; i++) {
		const struct hm_field *f = &lo->fields[i];
		unsigned int q = unit_quantity(f);
		unsigned int voff = f->offset + (before ? 1 : 0);
		unsigned int uoff = before ? f->offset : f->offset + f->len;
		bool filler;

		if (q >= HM_Q_COUNT)
			continue;
		if (voff + f->len > dlen || uoff >= dlen) {
			v->bad++;
			continue;
		}
		filler = filler_value(d + voff, f->len);
		if (unit_for(d[uoff], q))
			v->fit++;
		else if (!filler)
			v->bad++;
		if (!filler && !value_ok(d + voff, f->len, f->enc))
			v->bad++;
	}
}

/*
 * Unit byte before the value? Decided from all fields together: the
 * position where more unit bytes fit their quantities wins, then the one
 * with fewer misfits on real values; a tie keeps the standard's position
 * (after the value).
 */
static bool units_before(const struct hm_layout *lo, const u8 *d,
			 unsigned int dlen)
{
	struct unit_votes a, b;

	unit_votes(lo, d, dlen, false, &a);
	unit_votes(lo, d, dlen, true, &b);
	return b.fit > a.fit || (b.fit == a.fit && b.bad < a.bad);
}

int hm_cjt188_check(const u8 *frame, size_t len)
{
	if (len < HM_CJT188_HDR + 2 || frame[0] != 0x68)
		return -HM_EFORMAT;
	if (len != (size_t)frame[10] + HM_CJT188_HDR + 2)
		return -HM_ELENGTH;
	if (hm_u8_sum(frame, len - 2) != frame[len - 2])
		return -HM_EBADCS;
	if (frame[len - 1] != 0x16)
		return -HM_ESTOP;
	return 0;
}

int hm_cjt188_decode(const u8 *frame, size_t len,
		     const struct hm_profile *prof, struct hm_identity *id,
		     struct hm_reading *rd)
{
	const struct hm_layout *lo;
	const u8 *d;
	unsigned int dlen, i;
	bool before = false;
	u8 c, l;
	int err;

	err = hm_cjt188_check(frame, len);
	if (err)
		return err;
	c = frame[9];
	l = frame[10];
	if (id) {
		hm_identity_init(id);
		id->protocol = HM_PROTO_CJT188;
		id->meter_type = frame[1];
		hm_hex_digits_rev(frame + 2, 7, id->address);
	}
	if (rd)
		hm_reading_init(rd);
	if (!(c & HM_CJT188_DIR_REPLY))
		return -HM_EPROTO;
	if (c & HM_CJT188_ABNORMAL)
		return -HM_EMETERERR;
	if ((c & 0x3f) == HM_CJT188_C_READ_ADDR)
		return 0;
	if (l < 3)
		return -HM_EFORMAT;
	if (!prof)
		prof = hm_profile_match(frame, len);
	lo = hm_profile_find_layout(prof, c, frame[1], frame + 11, l);
	if (!lo)
		return -HM_EUNSUPPORTED;
	d = frame + 14;
	dlen = l - 3;
	if (lo->flags & HM_LF_UNIT_SWAP)
		before = units_before(lo, d, dlen);
	if (!rd)
		return 0;
	if (lo->flags & HM_LF_HIGHRES)
		rd->flags |= HM_RD_HIGHRES;

	for (i = 0; i < lo->nfields; i++) {
		const struct hm_field *f = &lo->fields[i];
		unsigned int voff = f->offset, uoff = f->unit, unit;
		s64 v;

		if (f->usrc == HM_USRC_NEXT)
			uoff = f->offset + f->len;
		if (before && f->usrc == HM_USRC_NEXT) {
			uoff = f->offset;
			voff = f->offset + 1;
		}
		if (voff + f->len > dlen ||
		    (f->usrc != HM_USRC_FIXED && uoff >= dlen))
			return -HM_ELENGTH;
		switch (f->quantity) {
		case HM_FIELD_IGNORE:
			continue;
		case HM_FIELD_STATUS:
			rd->status = 0;
			for (unit = 0; unit < f->len && unit < 4; unit++)
				rd->status |= (u32)d[voff + unit] << (8 * unit);
			rd->flags |= HM_RD_HAS_STATUS;
			continue;
		case HM_FIELD_ID:
			if (f->len > 8)
				return -HM_EINVAL;
			if (id && !unused_value(d + voff, f->len))
				hm_hex_digits_rev(d + voff, f->len, id->id);
			continue;
		case HM_Q_METER_TIME:
			if (f->len != 7)
				return -HM_EINVAL;
			err = decode_time(d + voff, rd);
			if (err)
				return err;
			continue;
		default:
			break;
		}
		if (f->quantity >= HM_Q_COUNT)
			return -HM_EINVAL;
		unit = f->usrc != HM_USRC_FIXED ? d[uoff] : f->unit;
		err = hm_cjt188_decode_field(d + voff, f->len, f->enc,
					     f->decimals, unit, f->quantity,
					     f->flags, &v);
		/* a unit byte that does not fit its quantity: absent */
		if (err == -HM_EUNIT && f->usrc != HM_USRC_FIXED)
			continue;
		if (err < 0)
			return err;
		if (err == 1) {
			rd->values[f->quantity] = v;
			rd->valid |= HM_QBIT(f->quantity);
		}
	}
	return 0;
}

int hm_cjt188_build(u8 *buf, size_t size, unsigned int preamble, u8 type,
		    const u8 *addr, u8 ctrl, const u8 *payload, size_t plen)
{
	size_t n = 0, start;

	if (preamble > 4 || plen > 255 || (plen && !payload))
		return -HM_EINVAL;
	if (size < preamble + HM_CJT188_HDR + plen + 2)
		return -HM_ENOSPC;
	if (!addr)
		addr = hm_cjt188_broadcast;
	while (n < preamble)
		buf[n++] = 0xfe;
	start = n;
	buf[n++] = 0x68;
	buf[n++] = type;
	memcpy(buf + n, addr, 7);
	n += 7;
	buf[n++] = ctrl;
	buf[n++] = (u8)plen;
	if (plen)
		memcpy(buf + n, payload, plen);
	n += plen;
	buf[n] = hm_u8_sum(buf + start, n - start);
	n++;
	buf[n++] = 0x16;
	return (int)n;
}

int hm_cjt188_build_cmd(u8 *buf, size_t size, const struct hm_profile *prof,
			const struct hm_cmd *cmd, const u8 *addr)
{
	if (!prof || !cmd)
		return -HM_EINVAL;
	if (cmd->proto == HM_PROTO_NONE)
		return -HM_ENOTSUPP;
	if (cmd->proto != HM_PROTO_CJT188 || cmd->len > sizeof(cmd->data))
		return -HM_EPROTO;
	return hm_cjt188_build(buf, size, prof->wire.preamble, prof->req_type,
			       addr, cmd->ctrl, cmd->data, cmd->len);
}

int hm_cjt188_build_read(u8 *buf, size_t size, const struct hm_profile *prof,
			 const u8 *addr, u8 di0, u8 di1, u8 ser)
{
	u8 p[3] = { di0, di1, ser };

	if (!prof)
		return -HM_EINVAL;
	return hm_cjt188_build(buf, size, prof->wire.preamble, prof->req_type,
			       addr, HM_CJT188_C_READ, p, sizeof(p));
}

int hm_cjt188_build_write(u8 *buf, size_t size, const struct hm_profile *prof,
			  const u8 *addr, u8 di0, u8 di1, u8 ser,
			  const u8 *data, size_t dlen)
{
	u8 p[255];

	if (!prof || dlen > sizeof(p) - 3 || (dlen && !data))
		return -HM_EINVAL;
	p[0] = di0;
	p[1] = di1;
	p[2] = ser;
	if (dlen)
		memcpy(p + 3, data, dlen);
	return hm_cjt188_build(buf, size, prof->wire.preamble, prof->req_type,
			       addr, HM_CJT188_C_WRITE, p, dlen + 3);
}
