// SPDX-License-Identifier: GPL-2.0
/*
 * mbus.c - wired M-Bus: EN 13757-2 frames, EN 13757-3 variable data
 * records, and the quantities a heat meter reports.
 */
#include "mbus.h"
#include "frame.h"
#include "hm_err.h"
#include "hm_util.h"

int hm_mbus_build_short(u8 *buf, size_t size, u8 ctrl, u8 addr)
{
	if (size < 5)
		return -HM_ENOSPC;
	buf[0] = 0x10;
	buf[1] = ctrl;
	buf[2] = addr;
	buf[3] = (u8)(ctrl + addr);
	buf[4] = 0x16;
	return 5;
}

int hm_mbus_build_long(u8 *buf, size_t size, u8 ctrl, u8 addr, u8 ci,
		       const u8 *data, size_t dlen)
{
	size_t l = dlen + 3;

	if (dlen > 252 || (dlen && !data))
		return -HM_EINVAL;
	if (size < l + 6)
		return -HM_ENOSPC;
	buf[0] = 0x68;
	buf[1] = (u8)l;
	buf[2] = (u8)l;
	buf[3] = 0x68;
	buf[4] = ctrl;
	buf[5] = addr;
	buf[6] = ci;
	if (dlen)
		memcpy(buf + 7, data, dlen);
	buf[4 + l] = hm_u8_sum(buf + 4, l);
	buf[5 + l] = 0x16;
	return (int)(l + 6);
}

int hm_mbus_build_snd_nke(u8 *buf, size_t size, u8 addr)
{
	return hm_mbus_build_short(buf, size, HM_MBUS_C_SND_NKE, addr);
}

int hm_mbus_build_req_ud2(u8 *buf, size_t size, u8 addr, bool fcb)
{
	return hm_mbus_build_short(buf, size,
				   HM_MBUS_C_REQ_UD2 | (fcb ? HM_MBUS_FCB : 0),
				   addr);
}

int hm_mbus_build_select(u8 *buf, size_t size,
			 const struct hm_mbus_select *sel, bool fcb)
{
	u8 d[8];

	if (!sel)
		return -HM_EINVAL;
	d[0] = sel->id & 0xff;
	d[1] = (sel->id >> 8) & 0xff;
	d[2] = (sel->id >> 16) & 0xff;
	d[3] = (sel->id >> 24) & 0xff;
	d[4] = sel->man & 0xff;
	d[5] = sel->man >> 8;
	d[6] = sel->version;
	d[7] = sel->medium;
	return hm_mbus_build_long(buf, size,
				  HM_MBUS_C_SND_UD | (fcb ? HM_MBUS_FCB : 0),
				  HM_MBUS_ADDR_SECONDARY, HM_MBUS_CI_SELECT,
				  d, sizeof(d));
}

int hm_mbus_build_app_reset(u8 *buf, size_t size, u8 addr, int subcode)
{
	u8 sc = (u8)subcode;

	if (subcode > 0xff)
		return -HM_EINVAL;
	return hm_mbus_build_long(buf, size, HM_MBUS_C_SND_UD, addr,
				  HM_MBUS_CI_APP_RESET, &sc, subcode < 0 ? 0 : 1);
}

int hm_mbus_build_freeze(u8 *buf, size_t size, u8 addr, unsigned int storage)
{
	u8 d[4];
	size_t n = 0;

	if (storage < 1 || storage > 31)
		return -HM_EINVAL;
	/* DIF: no data, storage LSB; DIFE carries storage bits 1..4 */
	d[n++] = (storage & 1 ? 0x40 : 0x00) | (storage > 1 ? 0x80 : 0);
	if (storage > 1)
		d[n++] = (storage >> 1) & 0x0f;
	d[n++] = 0xfe;		/* any VIF, extension follows */
	d[n++] = 0x0b;		/* action: freeze data */
	return hm_mbus_build_long(buf, size, HM_MBUS_C_SND_UD, addr,
				  HM_MBUS_CI_DATA_SEND, d, n);
}

int hm_mbus_build_cmd(u8 *buf, size_t size, const struct hm_cmd *cmd, u8 addr)
{
	if (!cmd)
		return -HM_EINVAL;
	if (cmd->proto == HM_PROTO_NONE)
		return -HM_ENOTSUPP;
	if (cmd->proto != HM_PROTO_MBUS || cmd->len > sizeof(cmd->data))
		return -HM_EPROTO;
	if (!cmd->ci && !cmd->len)
		return hm_mbus_build_short(buf, size, cmd->ctrl, addr);
	return hm_mbus_build_long(buf, size, cmd->ctrl, addr, cmd->ci,
				  cmd->data, cmd->len);
}

int hm_mbus_check(const u8 *frame, size_t len)
{
	if (!len)
		return -HM_ETRUNC;
	if (frame[0] == HM_MBUS_ACK)
		return len == 1 ? HM_FRAME_MBUS_ACK : -HM_ELENGTH;
	if (frame[0] == 0x10) {
		if (len != 5)
			return -HM_ELENGTH;
		if ((u8)(frame[1] + frame[2]) != frame[3])
			return -HM_EBADCS;
		if (frame[4] != 0x16)
			return -HM_ESTOP;
		return HM_FRAME_MBUS_SHORT;
	}
	if (frame[0] != 0x68)
		return -HM_EFORMAT;
	if (len < 9 || frame[1] != frame[2] || frame[3] != 0x68 ||
	    frame[1] < 3 || len != (size_t)frame[1] + 6)
		return -HM_ELENGTH;
	if (hm_u8_sum(frame + 4, frame[1]) != frame[len - 2])
		return -HM_EBADCS;
	if (frame[len - 1] != 0x16)
		return -HM_ESTOP;
	return HM_FRAME_MBUS_LONG;
}

void hm_mbus_man_decode(u16 man, char *out)
{
	out[0] = (char)(((man >> 10) & 0x1f) + 64);
	out[1] = (char)(((man >> 5) & 0x1f) + 64);
	out[2] = (char)((man & 0x1f) + 64);
	out[3] = '\0';
}

static u16 get16(const u8 *p, bool msb)
{
	return msb ? (u16)(p[0] << 8 | p[1]) : (u16)(p[1] << 8 | p[0]);
}

int hm_mbus_parse_header(const u8 *frame, size_t len, struct hm_identity *id,
			 struct hm_mbus_iter *it)
{
	const u8 *d;
	size_t dlen;
	bool msb = false;
	u8 ci, medium = 0xff;
	int t;

	t = hm_mbus_check(frame, len);
	if (t < 0)
		return t;
	if (t != HM_FRAME_MBUS_LONG)
		return -HM_EPROTO;
	/* RSP_UD: 0x08 plus ACD/DFC bits; anything else is not a reply */
	if ((frame[4] & 0xcf) != 0x08)
		return -HM_EPROTO;
	ci = frame[6];
	d = frame + 7;
	dlen = frame[1] - 3;
	if (id) {
		hm_identity_init(id);
		id->protocol = HM_PROTO_MBUS;
		id->primary = frame[5];
		hm_u32_to_dec(frame[5], id->address);
	}
	switch (ci) {
	case 0x70:
		if (dlen >= 1 && d[0] == 0x08)
			return -HM_EBUSY;
		return -HM_EMETERERR;
	case 0x71:
		return -HM_EALARM;
	case 0x76:
		msb = true;
		fallthrough;
	case 0x72:
		if (dlen < 12)
			return -HM_ETRUNC;
		if (id) {
			u8 idb[4];
			int i;

			for (i = 0; i < 4; i++)
				idb[i] = msb ? d[3 - i] : d[i];
			hm_hex_digits_rev(idb, 4, id->id);
			hm_mbus_man_decode(get16(d + 4, msb), id->manufacturer);
			id->version = d[6];
			id->medium = d[7];
			id->access_no = d[8];
			id->mbus_status = d[9];
			id->signature = get16(d + 10, msb);
		}
		medium = d[7];
		d += 12;
		dlen -= 12;
		break;
	case 0x7a:
		if (dlen < 4)
			return -HM_ETRUNC;
		if (id) {
			id->access_no = d[0];
			id->mbus_status = d[1];
			id->signature = get16(d + 2, false);
		}
		d += 4;
		dlen -= 4;
		break;
	case 0x78:
		break;
	default:
		return -HM_EUNSUPPORTED;
	}
	if (it) {
		it->p = d;
		it->len = dlen;
		it->pos = 0;
		it->count = 0;
		it->msb = msb;
		it->medium = medium;
	}
	return 0;
}

/* data length for DIF low nibble; -1 = variable, -2 = special */
static int dif_len(u8 dif)
{
	static const s8 lens[16] = {
		0, 1, 2, 3, 4, 4, 6, 8, 0, 1, 2, 3, 4, -1, 6, -2
	};
	return lens[dif & 0x0f];
}

/*
 * Data length after an LVAR byte (EN 13757-3, variable length data):
 * 00-BF text of LVAR characters, C0-CF and D0-DF positive and negative BCD
 * of (LVAR & 0F) bytes, E0-EF binary of LVAR - E0 bytes, F0-F4 binary of
 * 4 * (LVAR - EC) bytes, F5 48 bytes, F6 64 bytes. F7-FF are reserved: the
 * length is unknown, so nothing after them can be parsed (-1).
 */
static int lvar_len(u8 lvar)
{
	if (lvar <= 0xbf)
		return lvar;
	if (lvar <= 0xef)
		return lvar & 0x0f;
	if (lvar <= 0xf4)
		return 4 * (lvar - 0xec);
	if (lvar == 0xf5)
		return 48;
	if (lvar == 0xf6)
		return 64;
	return -1;
}

int hm_mbus_next_record(struct hm_mbus_iter *it, struct hm_mbus_record *rec)
{
	const u8 *p = it->p;
	size_t len = it->len;
	bool ext;
	int dl;
	u8 b;

	memset(rec, 0, sizeof(*rec));
	rec->msb = it->msb;
	rec->medium = it->medium;
	for (;;) {
		if (it->pos >= len)
			return 0;
		b = p[it->pos];
		if (b != 0x2f)
			break;
		it->pos++;		/* idle filler */
	}
	it->pos++;
	rec->dif = b;
	if ((b & 0x0f) == 0x0f) {
		/* 0F/1F manufacturer data to the end; others: special */
		rec->kind = HM_MBUS_REC_MANUF;
		rec->more_follows = b == 0x1f;
		rec->data = p + it->pos;
		rec->dlen = (u16)(len - it->pos);
		it->pos = len;
		it->count++;
		return 1;
	}
	rec->kind = HM_MBUS_REC_DATA;
	rec->function = (b >> 4) & 3;
	rec->storage = (b >> 6) & 1;
	ext = b & 0x80;
	while (ext) {
		unsigned int n = rec->ndife;

		if (it->pos >= len)
			return -HM_ETRUNC;
		if (n >= HM_MBUS_MAX_DIFE)
			return -HM_ETOOMANY;
		b = p[it->pos++];
		/* DIFE n: storage bits 1 + 4n.., tariff bits 2n.., unit bit n */
		rec->storage |= (u64)(b & 0x0f) << (1 + 4 * n);
		rec->tariff |= (u32)((b >> 4) & 3) << (2 * n);
		rec->subunit |= (u16)(((b >> 6) & 1) << n);
		rec->ndife++;
		ext = b & 0x80;
	}
	if (it->pos >= len)
		return -HM_ETRUNC;
	rec->vif = p[it->pos++];
	if ((rec->vif & 0x7f) == 0x7c) {
		u8 tl;

		if (it->pos >= len)
			return -HM_ETRUNC;
		tl = p[it->pos++];
		if (tl > len - it->pos)
			return -HM_ETRUNC;
		rec->vif_text = p + it->pos;
		rec->vif_text_len = tl;
		it->pos += tl;
	}
	ext = rec->vif & 0x80;
	while (ext) {
		if (it->pos >= len)
			return -HM_ETRUNC;
		if (rec->nvife >= HM_MBUS_MAX_VIFE)
			return -HM_ETOOMANY;
		b = p[it->pos++];
		rec->vife[rec->nvife++] = b;
		ext = b & 0x80;
	}
	dl = dif_len(rec->dif);
	if (dl == -1) {
		if (it->pos >= len)
			return -HM_ETRUNC;
		dl = lvar_len(p[it->pos++]);
		if (dl < 0)
			return -HM_EUNSUPPORTED;
		/* LVAR stays readable as rec->data[-1] */
	}
	if ((size_t)dl > len - it->pos)
		return -HM_ETRUNC;
	rec->data = p + it->pos;
	rec->dlen = (u16)dl;
	it->pos += dl;
	it->count++;
	return 1;
}

/* scale of a record: quantity, multiplier, power of ten, divisor */
struct vif_scale {
	unsigned int q;
	u32 mul;
	int exp10;
	u32 div;
};

#define HM_Q_TIME_G	(HM_Q_COUNT + 1)	/* date, type G */
#define HM_Q_TIME_F	(HM_Q_COUNT + 2)	/* date and time, type F/I */

/* primary VIF (extension bit cleared): the codes a heat meter reports */
static bool vif_primary(u8 v, struct vif_scale *s)
{
	unsigned int n = v & 7;
	static const u32 tmul[4] = { 1, 60, 3600, 86400 };

	if (v <= 0x07) {		/* 10^(n-3) Wh */
		s->q = HM_Q_ENERGY;
		s->exp10 = n;
	} else if (v <= 0x0f) {		/* 10^n J */
		s->q = HM_Q_ENERGY;
		s->exp10 = n + 1;
		s->div = 36;
	} else if (v <= 0x17) {		/* 10^(n-6) m3 */
		s->q = HM_Q_VOLUME;
		s->exp10 = n;
	} else if (v >= 0x24 && v <= 0x27) {	/* s, min, h, d */
		s->q = HM_Q_OPERATING_TIME;
		s->mul = tmul[v & 3];
	} else if (v >= 0x28 && v <= 0x2f) {	/* 10^(n-3) W */
		s->q = HM_Q_POWER;
		s->exp10 = n;
	} else if (v >= 0x30 && v <= 0x37) {	/* 10^n J/h */
		s->q = HM_Q_POWER;
		s->exp10 = n + 1;
		s->div = 36;
	} else if (v >= 0x38 && v <= 0x3f) {	/* 10^(n-6) m3/h */
		s->q = HM_Q_FLOW;
		s->exp10 = n;
	} else if (v >= 0x40 && v <= 0x47) {	/* 10^(n-7) m3/min */
		s->q = HM_Q_FLOW;
		s->mul = 60;
		s->exp10 = (int)n - 1;
	} else if (v >= 0x48 && v <= 0x4f) {	/* 10^(n-9) m3/s */
		s->q = HM_Q_FLOW;
		s->mul = 3600;
		s->exp10 = (int)n - 3;
	} else if (v >= 0x58 && v <= 0x5b) {	/* 10^(n-3) degrees C */
		s->q = HM_Q_SUPPLY_TEMP;
		s->exp10 = v & 3;
	} else if (v >= 0x5c && v <= 0x5f) {
		s->q = HM_Q_RETURN_TEMP;
		s->exp10 = v & 3;
	} else if (v >= 0x60 && v <= 0x63) {	/* 10^(n-3) K */
		s->q = HM_Q_TEMP_DIFF;
		s->exp10 = v & 3;
	} else if (v == 0x6c) {
		s->q = HM_Q_TIME_G;
	} else if (v == 0x6d) {
		s->q = HM_Q_TIME_F;
	} else {
		return false;
	}
	return true;
}

/* first extension table (VIF FB), code without the extension bit */
static bool vif_fb(u8 v, struct vif_scale *s)
{
	int n = v & 1;

	switch (v & 0x7e) {
	case 0x00:			/* 10^(n-1) MWh */
		s->q = HM_Q_ENERGY;
		s->exp10 = 8 + n;
		break;
	case 0x08:			/* 10^(n-1) GJ */
		s->q = HM_Q_ENERGY;
		s->exp10 = 9 + n;
		s->div = 36;
		break;
	case 0x10:			/* 10^(n+2) m3 */
		s->q = HM_Q_VOLUME;
		s->exp10 = 8 + n;
		break;
	case 0x28:			/* 10^(n-1) MW */
		s->q = HM_Q_POWER;
		s->exp10 = 8 + n;
		break;
	case 0x30:			/* 10^(n-1) GJ/h */
		s->q = HM_Q_POWER;
		s->exp10 = 9 + n;
		s->div = 36;
		break;
	default:
		return false;
	}
	return true;
}

/*
 * Combinable (orthogonal) VIFEs after the VIF. E111 0nnn multiplies the
 * value by 10^(nnn-6), E111 1101 by 1000. E011 1011 (accumulation of
 * positive contributions only) is what a register counts anyway, E011 1100
 * (absolute value of negative contributions only: backward flow, cooling)
 * sets *@negative. Any other code makes the record something else than
 * the quantity of its VIF: error, reserved and compact-profile codes
 * (E00x xxxx), per time, per unit, per pulse and products (20-38), start
 * date of (39), uncorrected unit (3A), non-metric units, base conditions,
 * OBIS (3D-3F), limit values, counts, dates and durations of limit exceed
 * (40-6F), additive corrections (E111 10nn), the extension table (7C),
 * future value (7E) and manufacturer specific (7F and all that follows).
 */
static bool vife_combinable(const u8 *vife, unsigned int n,
			    struct vif_scale *s, bool *negative)
{
	unsigned int i;

	*negative = false;
	for (i = 0; i < n; i++) {
		u8 c = vife[i] & 0x7f;

		if (c >= 0x70 && c <= 0x77)
			s->exp10 += (int)(c & 7) - 6;
		else if (c == 0x7d)
			s->exp10 += 3;
		else if (c == 0x3c)
			*negative = true;
		else if (c != 0x3b)
			return false;
	}
	return true;
}

/* medium 0A/0B: cooling load meter (outlet/inlet) */
static bool medium_cooling(u8 medium)
{
	return medium == 0x0a || medium == 0x0b;
}

static bool vif_scale(const struct hm_mbus_record *rec, struct vif_scale *s)
{
	unsigned int first = 0;
	bool negative;

	s->mul = 1;
	s->exp10 = 0;
	s->div = 1;
	if (rec->vif == 0xfb) {
		if (!rec->nvife || !vif_fb(rec->vife[0] & 0x7f, s))
			return false;
		first = 1;
	} else if ((rec->vif & 0x7f) >= 0x7b) {
		/* 7B without its code, plain text, FD table, any, manufacturer */
		return false;
	} else if (!vif_primary(rec->vif & 0x7f, s)) {
		return false;
	}
	if (s->q == HM_Q_TIME_G || s->q == HM_Q_TIME_F)
		return rec->nvife == first;	/* "start date of", limits... */
	if (!vife_combinable(rec->vife + first, rec->nvife - first, s,
			     &negative))
		return false;
	if (s->q == HM_Q_ENERGY) {
		/* a cooling meter's energy is cooling; never its backward one */
		if (medium_cooling(rec->medium) && negative)
			return false;
		if (medium_cooling(rec->medium) || negative)
			s->q = HM_Q_COOLING_ENERGY;
	} else if (negative) {
		return false;			/* backward volume, flow... */
	}
	return true;
}

static int decode_date(const u8 *d, unsigned int len, bool with_time,
		       struct hm_datetime *dt)
{
	unsigned int year;

	memset(dt, 0, sizeof(*dt));
	if (!with_time) {
		if (len != 2)
			return 0;
		dt->day = d[0] & 0x1f;
		dt->month = d[1] & 0x0f;
		year = ((d[0] & 0xe0) >> 5) | ((d[1] & 0xf0) >> 1);
	} else if (len == 4) {
		if (d[0] & 0x80)
			return 0;		/* IV: time invalid */
		dt->minute = d[0] & 0x3f;
		dt->hour = d[1] & 0x1f;
		dt->day = d[2] & 0x1f;
		dt->month = d[3] & 0x0f;
		year = ((d[2] & 0xe0) >> 5) | ((d[3] & 0xf0) >> 1);
		dt->has_time = 1;
	} else if (len == 6) {
		if (d[1] & 0x80)
			return 0;
		dt->second = d[0] & 0x3f;
		dt->minute = d[1] & 0x3f;
		dt->hour = d[2] & 0x1f;
		dt->day = d[3] & 0x1f;
		dt->month = d[4] & 0x0f;
		year = ((d[3] & 0xe0) >> 5) | ((d[4] & 0xf0) >> 1);
		dt->has_time = 1;
	} else {
		return 0;
	}
	if (dt->day < 1 || dt->month < 1 || dt->month > 12 || dt->hour > 23 ||
	    dt->minute > 59 || dt->second > 59 || year > 99)
		return 0;
	dt->year = (u16)(year < 81 ? 2000 + year : 1900 + year);
	return 1;
}

/*
 * BCD digits, least significant byte first, of any length: the value must
 * fit in 18 digits. @sign: a top nibble F is a minus sign (type A).
 */
static int bcd_number(u8 *b, unsigned int len, bool sign, u64 *mant,
		      bool *neg)
{
	unsigned int i;

	if (sign && (b[len - 1] >> 4) == 0x0f) {
		*neg = true;
		b[len - 1] &= 0x0f;
	}
	for (i = 0; i < len; i++)
		if ((b[i] >> 4) > 9 || (b[i] & 0x0f) > 9)
			return -HM_EBCD;
	for (i = 9; i < len; i++)
		if (b[i])
			return -HM_EOVERFLOW;
	return hm_bcd_to_u64(b, len < 9 ? len : 9, false, mant);
}

/* type B: signed binary, least significant byte first, of any length */
static int binary_number(const u8 *b, unsigned int len, u64 *mant, bool *neg)
{
	u8 ext = b[len - 1] & 0x80 ? 0xff : 0x00;
	unsigned int i;

	/* longer than 8 bytes: the rest must only extend the sign */
	for (i = 8; i < len; i++)
		if (b[i] != ext)
			return -HM_EOVERFLOW;
	if (len > 8) {
		if ((b[7] ^ ext) & 0x80)
			return -HM_EOVERFLOW;
		len = 8;
	}
	*mant = 0;
	for (i = 0; i < len; i++)
		*mant |= (u64)b[i] << (8 * i);
	if (ext) {
		if (len < 8)
			*mant |= ~0ULL << (8 * len);
		*mant = ~*mant + 1;	/* magnitude */
		*neg = true;
	}
	return 0;
}

static int record_number(const struct hm_mbus_record *rec, u64 *mant,
			 bool *neg, bool *is_real)
{
	u8 tmp[64];
	unsigned int len = rec->dlen, i;
	u8 code = rec->dif & 0x0f, lvar;

	*neg = false;
	*is_real = false;
	*mant = 0;
	if (!len || len > sizeof(tmp))
		return -HM_EUNSUPPORTED;
	for (i = 0; i < len; i++)
		tmp[i] = rec->msb ? rec->data[len - 1 - i] : rec->data[i];
	switch (code) {
	case 0x05:
		*mant = (u32)tmp[0] | (u32)tmp[1] << 8 | (u32)tmp[2] << 16 |
			(u32)tmp[3] << 24;
		*is_real = true;
		return 0;
	case 0x09:
	case 0x0a:
	case 0x0b:
	case 0x0c:
	case 0x0e:
		return bcd_number(tmp, len, true, mant, neg);
	case 0x0d:
		lvar = rec->data[-1];
		if (lvar < 0xc0)
			return -HM_EUNSUPPORTED;	/* text */
		if (lvar < 0xe0) {
			*neg = lvar >= 0xd0;
			return bcd_number(tmp, len, false, mant, neg);
		}
		return binary_number(tmp, len, mant, neg);
	default:
		return binary_number(tmp, len, mant, neg);
	}
}

int hm_mbus_record_value(const struct hm_mbus_record *rec, unsigned int *q,
			 s64 *value, struct hm_datetime *dt)
{
	struct vif_scale s;
	struct hm_datetime tmp;
	bool neg, is_real;
	u64 mant;
	int err;

	*q = HM_Q_COUNT;
	if (rec->kind != HM_MBUS_REC_DATA || !rec->dlen || !vif_scale(rec, &s))
		return 0;
	if (s.q == HM_Q_TIME_G || s.q == HM_Q_TIME_F) {
		u8 d[6];
		unsigned int i;

		*q = HM_Q_METER_TIME;
		if (rec->dlen > sizeof(d))
			return -HM_EFORMAT;
		for (i = 0; i < rec->dlen; i++)
			d[i] = rec->msb ? rec->data[rec->dlen - 1 - i] :
					  rec->data[i];
		if (!decode_date(d, rec->dlen, s.q == HM_Q_TIME_F, &tmp))
			return -HM_EFORMAT;
		if (dt)
			*dt = tmp;
		return 1;
	}
	*q = s.q;
	err = record_number(rec, &mant, &neg, &is_real);
	if (err)
		return err;
	if (is_real)
		err = hm_real32_scale((u32)mant, s.mul, s.exp10, s.div, value);
	else
		err = hm_scale(mant, 0, neg, s.mul, s.exp10, s.div, value);
	return err ? err : 1;
}

int hm_mbus_decode(const u8 *frame, size_t len, unsigned int flags,
		   struct hm_identity *id, struct hm_reading *rd)
{
	struct hm_mbus_iter it;
	struct hm_mbus_record rec;
	u16 want_sub = (flags & HM_MBUS_DF_SUBUNIT1) ? 1 : 0;
	u32 want_storage = HM_MBUS_DF_STORAGE_OF(flags);
	u32 counted = 0;
	int r;

	if (rd && !(flags & HM_MBUS_DF_MERGE))
		hm_reading_init(rd);
	if (rd) {
		/* a later telegram: only what the earlier ones did not have */
		counted = rd->valid;
		rd->flags &= ~HM_RD_MORE_RECORDS;
	}
	r = hm_mbus_parse_header(frame, len, id, &it);
	if (r)
		return r;
	if (rd && frame[6] != 0x78) {
		rd->status = frame[6] == 0x7a ? frame[8] : frame[16];
		rd->flags |= HM_RD_HAS_STATUS;
	}
	if (rd && want_sub)
		rd->flags |= HM_RD_HIGHRES | HM_RD_TEST_MODE;
	while ((r = hm_mbus_next_record(&it, &rec)) > 0) {
		struct hm_datetime dt;
		unsigned int q;
		s64 v;
		int vr;

		if (rec.kind == HM_MBUS_REC_MANUF) {
			if (rec.more_follows && rd)
				rd->flags |= HM_RD_MORE_RECORDS;
			continue;
		}
		if (id && rec.dlen && rec.dlen <= 8 && rec.storage == 0 &&
		    (rec.vif & 0x7f) >= 0x78 && (rec.vif & 0x7f) <= 0x79 &&
		    ((rec.dif & 0x0f) >= 0x09 && (rec.dif & 0x0f) != 0x0d)) {
			char *dst = (rec.vif & 0x7f) == 0x78 ? id->fabrication :
							       id->id;

			if ((rec.vif & 0x7f) == 0x78 || !id->id[0])
				hm_hex_digits_rev(rec.data, rec.dlen, dst);
		}
		if (!rd || rec.storage != want_storage || rec.tariff ||
		    rec.subunit != want_sub ||
		    rec.function != HM_MBUS_FN_INST)
			continue;
		vr = hm_mbus_record_value(&rec, &q, &v, &dt);
		/* the first record of a quantity counts, even a bad one */
		if (q >= HM_Q_COUNT || (counted & HM_QBIT(q)))
			continue;
		counted |= HM_QBIT(q);
		if (vr <= 0)
			continue;	/* only this quantity is unavailable */
		rd->valid |= HM_QBIT(q);
		if (q == HM_Q_METER_TIME)
			rd->meter_time = dt;
		else
			rd->values[q] = v;
	}
	return r;
}
