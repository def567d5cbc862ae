// SPDX-License-Identifier: GPL-2.0
/*
 * hm_mbus_prop.c - property test of the M-Bus record decoder: random
 * well-formed RSP_UD frames go through hm_mbus_decode(), and an oracle
 * written here from EN 13757-3's tables says what the reading must be.
 *
 * The oracle shares nothing with lib/ but the output structure: its VIF,
 * extension-table and combinable-VIFE tables are its own, it decodes the
 * data fields itself, and it computes every value exactly in decimal digits
 * (a value of any size, rounded half away from zero), so a limit or a
 * rounding in lib/'s 128-bit arithmetic shows up as a difference.
 *
 * What it checks, per frame: the decoder succeeds; the set of valid
 * quantities (meter time aside) is exactly the oracle's; every value is
 * the oracle's. Dates (VIF 6C/6D) are not generated.
 */
#ifdef __KERNEL__
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/string.h>
#else
#include "hm_test_user.h"
#endif

#include "hm_test_common.h"
#include "hm_err.h"
#include "mbus.h"

static __printf(2, 3) int hm_t_fail_prop(struct hm_tctx *t,
					 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->msg, HM_T_MSG, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- the standard, as the oracle knows it ---------------------------- */

/*
 * A VIF range of a table: codes @lo..@hi are quantity @q (-1: none the
 * driver reports) and the value in driver units is
 * raw * @num / @den * 10^(@e0 + (code - lo) * @step).
 */
struct o_vif {
	u8 lo, hi;
	s8 q;
	s8 e0;
	u8 step;
	u64 num;
	u32 den;
};

/* primary VIF table (EN 13757-3 Table 10), extension bit cleared */
static const struct o_vif o_primary[] = {
	{ 0x00, 0x07, HM_Q_ENERGY, -3, 1, 1000, 1 },		/* Wh */
	{ 0x08, 0x0f, HM_Q_ENERGY, 0, 1, 1000, 3600 },		/* J */
	{ 0x10, 0x17, HM_Q_VOLUME, -6, 1, 1000000, 1 },		/* m3 */
	{ 0x18, 0x1f, -1, 0, 0, 0, 0 },			/* kg */
	{ 0x20, 0x23, -1, 0, 0, 0, 0 },			/* on time */
	{ 0x24, 0x24, HM_Q_OPERATING_TIME, 0, 0, 1, 1 },	/* s */
	{ 0x25, 0x25, HM_Q_OPERATING_TIME, 0, 0, 60, 1 },	/* min */
	{ 0x26, 0x26, HM_Q_OPERATING_TIME, 0, 0, 3600, 1 },	/* h */
	{ 0x27, 0x27, HM_Q_OPERATING_TIME, 0, 0, 86400, 1 },	/* d */
	{ 0x28, 0x2f, HM_Q_POWER, -3, 1, 1000, 1 },		/* W */
	{ 0x30, 0x37, HM_Q_POWER, 0, 1, 1000, 3600 },		/* J/h */
	{ 0x38, 0x3f, HM_Q_FLOW, -6, 1, 1000000, 1 },		/* m3/h */
	{ 0x40, 0x47, HM_Q_FLOW, -7, 1, 60000000, 1 },		/* m3/min */
	{ 0x48, 0x4f, HM_Q_FLOW, -9, 1, 3600000000ULL, 1 },	/* m3/s */
	{ 0x50, 0x57, -1, 0, 0, 0, 0 },			/* kg/h */
	{ 0x58, 0x5b, HM_Q_SUPPLY_TEMP, -3, 1, 1000, 1 },	/* C */
	{ 0x5c, 0x5f, HM_Q_RETURN_TEMP, -3, 1, 1000, 1 },	/* C */
	{ 0x60, 0x63, HM_Q_TEMP_DIFF, -3, 1, 1000, 1 },		/* K */
	{ 0x64, 0x67, -1, 0, 0, 0, 0 },			/* external */
	{ 0x68, 0x6b, -1, 0, 0, 0, 0 },			/* bar */
	/* 6C/6D dates: not generated */
	{ 0x6e, 0x6f, -1, 0, 0, 0, 0 },			/* HCA, res. */
	{ 0x70, 0x77, -1, 0, 0, 0, 0 },			/* averaging, actuality */
	{ 0x78, 0x7a, -1, 0, 0, 0, 0 },			/* fabrication no, id, address */
};

/* first extension table, after VIF FB */
static const struct o_vif o_fb[] = {
	{ 0x00, 0x01, HM_Q_ENERGY, -1, 1, 1000000000ULL, 1 },	/* MWh */
	{ 0x08, 0x09, HM_Q_ENERGY, -1, 1, 1000000000000ULL, 3600 }, /* GJ */
	{ 0x10, 0x11, HM_Q_VOLUME, 2, 1, 1000000, 1 },		/* m3 */
	{ 0x28, 0x29, HM_Q_POWER, -1, 1, 1000000000ULL, 1 },	/* MW */
	{ 0x30, 0x31, HM_Q_POWER, -1, 1, 1000000000000ULL, 3600 }, /* GJ/h */
};

static const struct o_vif *o_find(const struct o_vif *t, unsigned int n,
				  u8 code)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (code >= t[i].lo && code <= t[i].hi)
			return &t[i];
	return NULL;
}

/* combinable VIFE (Table 15): what one code does to a record */
enum { O_OTHER, O_SCALE, O_SAME, O_NEG };

static int o_vife(u8 c, int *e)
{
	c &= 0x7f;
	if (c >= 0x70 && c <= 0x77) {	/* E111 0nnn: 10^(nnn-6) */
		*e += (c & 7) - 6;
		return O_SCALE;
	}
	if (c == 0x7d) {		/* E111 1101: 10^3 */
		*e += 3;
		return O_SCALE;
	}
	if (c == 0x3b)		/* accumulation only if positive */
		return O_SAME;
	if (c == 0x3c)		/* absolute value, negative contributions */
		return O_NEG;
	/*
	 * 00-1F errors / reserved / compact profiles, 20-2F per time, per
	 * unit, per pulse, 30-38 per / multiplied by, 39 start date, 3A
	 * uncorrected, 3D-3F non-metric / base conditions / OBIS, 40-6F
	 * limits, 78-7B additive, 7C extension, 7E future, 7F manufacturer
	 */
	return O_OTHER;
}

/* ---- exact decimal arithmetic ----------------------------------------- */

#define O_DIGITS 360

/* x / 10 and x % 10 without a 64-bit division helper on 32-bit kernels */
static u64 o_div10(u64 x, u8 *rem)
{
#ifdef __KERNEL__
	u32 r;
	u64 q = div_u64_rem(x, 10, &r);
#else
	u64 q = x / 10, r = x % 10;
#endif
	*rem = (u8)r;
	return q;
}

struct o_num {
	unsigned int n;		/* digits in use, least significant first */
	u8 d[O_DIGITS];
};

static void o_set(struct o_num *a, u64 v)
{
	a->n = 0;
	while (v)
		v = o_div10(v, &a->d[a->n++]);
}

static void o_norm(struct o_num *a)
{
	while (a->n && !a->d[a->n - 1])
		a->n--;
}

/* a = a * m + add; m <= 10^13 */
static int o_muladd(struct o_num *a, u64 m, u64 add)
{
	u64 carry = add;
	unsigned int i;

	for (i = 0; i < a->n; i++)
		carry = o_div10(a->d[i] * m + carry, &a->d[i]);
	while (carry) {
		if (a->n >= O_DIGITS)
			return -1;
		carry = o_div10(carry, &a->d[a->n++]);
	}
	o_norm(a);
	return 0;
}

static int o_shl10(struct o_num *a, unsigned int k)
{
	if (!a->n)
		return 0;
	if (a->n + k > O_DIGITS)
		return -1;
	memmove(a->d + k, a->d, a->n);
	memset(a->d, 0, k);
	a->n += k;
	return 0;
}

/* a += b */
static int o_add(struct o_num *a, const struct o_num *b)
{
	unsigned int i, n = a->n > b->n ? a->n : b->n;
	u8 carry = 0;

	for (i = 0; i < n; i++) {
		u8 x = (i < a->n ? a->d[i] : 0) + (i < b->n ? b->d[i] : 0) +
		       carry;

		a->d[i] = x % 10;
		carry = x / 10;
	}
	a->n = n;
	if (carry) {
		if (a->n >= O_DIGITS)
			return -1;
		a->d[a->n++] = carry;
	}
	return 0;
}

/* a = floor(a / 10^k) */
static void o_drop10(struct o_num *a, unsigned int k)
{
	if (k >= a->n) {
		a->n = 0;
		return;
	}
	memmove(a->d, a->d + k, a->n - k);
	a->n -= k;
}

/* a = floor(a / d), d small */
static void o_div(struct o_num *a, u32 d)
{
	u32 r = 0;
	int i;

	for (i = (int)a->n - 1; i >= 0; i--) {
		r = r * 10 + a->d[i];
		a->d[i] = (u8)(r / d);
		r %= d;
	}
	o_norm(a);
}

/* the s64 of a magnitude and sign, or -1 if it does not fit */
static int o_to_s64(const struct o_num *a, bool neg, s64 *out)
{
	static const char lim[] = "9223372036854775808";
	unsigned int i;
	u64 v = 0;

	if (a->n > 19)
		return -1;
	if (a->n == 19) {
		for (i = 0; i < 19; i++) {
			u8 c = lim[i] - '0', x = a->d[18 - i];

			if (x != c) {
				if (x > c)
					return -1;
				break;
			}
		}
		if (i == 19 && !neg)
			return -1;	/* exactly 2^63 */
	}
	for (i = a->n; i-- > 0;)
		v = v * 10 + a->d[i];
	*out = neg ? (s64)(0 - v) : (s64)v;
	return 0;
}

/* ---- the oracle's reading of a data field ----------------------------- */

struct o_val {
	bool ok;		/* a number */
	bool neg;
	bool huge;		/* a real of 2^100 or more */
	unsigned int dec;	/* value = mag / 10^dec */
	struct o_num mag;
};

/* bytes least significant first */
static void o_binary(const u8 *b, unsigned int len, struct o_val *v)
{
	u8 tmp[64];
	unsigned int i;

	memcpy(tmp, b, len);
	v->neg = tmp[len - 1] & 0x80;
	if (v->neg) {			/* two's complement magnitude */
		for (i = 0; i < len; i++)
			tmp[i] = ~tmp[i];
		for (i = 0; i < len && ++tmp[i] == 0; i++)
			;
	}
	v->mag.n = 0;
	for (i = len; i-- > 0;)
		o_muladd(&v->mag, 256, tmp[i]);
	v->ok = true;
}

static void o_bcd(const u8 *b, unsigned int len, bool type_a, struct o_val *v)
{
	unsigned int i;

	v->mag.n = 0;
	for (i = len; i-- > 0;) {
		u8 hi = b[i] >> 4, lo = b[i] & 0x0f;

		if (type_a && i == len - 1 && hi == 0x0f) {
			v->neg = true;
			hi = 0;
		}
		if (hi > 9 || lo > 9)
			return;		/* not a number */
		o_muladd(&v->mag, 100, hi * 10 + lo);
	}
	v->ok = true;
}

static void o_real(const u8 *b, struct o_val *v)
{
	u32 bits = b[0] | b[1] << 8 | b[2] << 16 | (u32)b[3] << 24;
	int e = (bits >> 23) & 0xff;
	u32 m = bits & 0x7fffff;
	int p;

	if (e == 0xff)
		return;			/* NaN, infinity */
	if (e)
		m |= 0x800000;
	else
		e = 1;
	v->neg = bits >> 31;
	v->huge = e - 127 >= 100;
	o_set(&v->mag, m);
	/* m * 2^p; 2^-k = 5^k / 10^k */
	for (p = e - 150; p > 0; p--)
		o_muladd(&v->mag, 2, 0);
	for (; p < 0; p++) {
		o_muladd(&v->mag, 5, 0);
		v->dec++;
	}
	v->ok = true;
}

/* @data least significant byte first */
static void o_value(u8 dif, u8 lvar, const u8 *data, unsigned int len,
		    struct o_val *v)
{
	memset(v, 0, sizeof(*v));
	switch (dif & 0x0f) {
	case 0x05:
		o_real(data, v);
		break;
	case 0x09: case 0x0a: case 0x0b: case 0x0c: case 0x0e:
		o_bcd(data, len, true, v);
		break;
	case 0x0d:
		if (lvar >= 0xc0 && lvar <= 0xdf) {
			o_bcd(data, len, false, v);
			v->neg = lvar >= 0xd0;
		} else if (lvar >= 0xe0) {
			o_binary(data, len, v);
		}			/* else text: no number */
		break;
	default:
		o_binary(data, len, v);
	}
}

/* round(v * num / den * 10^e) into @out; -1: does not fit an s64 */
static int o_scale(struct o_val *v, u64 num, u32 den, int e, s64 *out,
		   struct o_num *tmp)
{
	unsigned int k = v->dec;

	if (o_muladd(&v->mag, num, 0))
		return -1;
	if (e >= 0) {
		if (o_shl10(&v->mag, e))
			return -1;
	} else {
		k += -e;
	}
	/* floor((2 mag + den 10^k) / (2 den 10^k)) */
	if (o_muladd(&v->mag, 2, 0))
		return -1;
	o_set(tmp, den);
	if (o_shl10(tmp, k) || o_add(&v->mag, tmp))
		return -1;
	o_drop10(&v->mag, k);
	o_div(&v->mag, 2 * den);
	return o_to_s64(&v->mag, v->neg && v->mag.n, out);
}

/* ---- the generator ---------------------------------------------------- */

struct o_rec {
	u8 dif;
	u8 ndife;
	u8 dife[10];
	u8 vif;
	u8 nvife;
	u8 vife[10];		/* FB/FD code first, then combinable ones */
	u8 text_len;		/* plain-text VIF */
	u8 lvar;
	u8 dlen;
	u8 data[64];		/* least significant byte first */
};

struct o_gen {
	u32 s;
	bool msb;		/* CI 76 */
	u8 medium;
	unsigned int flags;
};

static u32 o_rnd(struct o_gen *g)
{
	g->s ^= g->s << 13;
	g->s ^= g->s >> 17;
	g->s ^= g->s << 5;
	return g->s;
}

static unsigned int o_pick(struct o_gen *g, unsigned int n)
{
	return o_rnd(g) % n;
}

static void o_gen_dife(struct o_gen *g, struct o_rec *r)
{
	unsigned int i;

	r->ndife = 0;
	if (o_pick(g, 5) < 3)
		return;
	r->ndife = 1 + o_pick(g, 10);
	for (i = 0; i < r->ndife; i++) {
		u8 b = 0;

		if (!o_pick(g, 3 * r->ndife))
			b = o_rnd(g) & 0x7f;	/* storage, tariff, unit */
		if (g->flags && i == 0 && o_pick(g, 4))
			b |= 0x40;		/* subunit 1 */
		r->dife[i] = b | (i + 1 < r->ndife ? 0x80 : 0);
	}
	r->dif |= 0x80;
}

static u8 o_gen_combinable(struct o_gen *g)
{
	static const u8 scale[] = { 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76,
				    0x77, 0x7d };

	switch (o_pick(g, 5)) {
	case 0:
	case 1:
		return scale[o_pick(g, HM_ARRAY_SIZE(scale))];
	case 2:
		return o_pick(g, 2) ? 0x3b : 0x3c;
	default:
		return o_rnd(g) & 0x7f;
	}
}

static void o_gen_vib(struct o_gen *g, struct o_rec *r)
{
	static const u8 fb_known[] = { 0x00, 0x01, 0x08, 0x09, 0x10, 0x11,
				       0x28, 0x29, 0x30, 0x31 };
	unsigned int k = o_pick(g, 20), ncomb, i;
	u8 v;

	r->nvife = 0;
	r->text_len = 0;
	if (k < 13) {
		do
			v = o_rnd(g) % 0x7b;
		while (v == 0x6c || v == 0x6d);
		r->vif = v;
	} else if (k < 17) {
		r->vif = 0xfb;
		r->vife[r->nvife++] = o_pick(g, 3) ?
			fb_known[o_pick(g, HM_ARRAY_SIZE(fb_known))] :
			o_rnd(g) & 0x7f;
	} else if (k == 17) {
		r->vif = 0xfd;
		r->vife[r->nvife++] = o_rnd(g) & 0x7f;
	} else if (k == 18) {
		r->vif = 0x7c;
		r->text_len = o_pick(g, 6);
	} else {
		r->vif = o_pick(g, 2) ? 0x7f : 0x7e;
	}
	ncomb = o_pick(g, 3) ? 0 : 1 + o_pick(g, 3);
	for (i = 0; i < ncomb; i++)
		r->vife[r->nvife++] = o_gen_combinable(g);
	if (r->nvife > (r->vif == 0xfb || r->vif == 0xfd))
		r->vif |= 0x80;
	for (i = 0; i + 1 < r->nvife; i++)
		r->vife[i] |= 0x80;
}

static void o_gen_bcd(struct o_gen *g, u8 *b, unsigned int len)
{
	unsigned int i, top = o_pick(g, len + 1);

	for (i = 0; i < len; i++)
		b[i] = i < top ? (o_pick(g, 10) << 4 | o_pick(g, 10)) : 0;
	if (len && !o_pick(g, 15))	/* not a digit */
		b[o_pick(g, len)] |= 0x0a + o_pick(g, 5);
}

static void o_gen_binary(struct o_gen *g, u8 *b, unsigned int len)
{
	unsigned int i, top = o_pick(g, len + 1);
	u8 ext = o_pick(g, 3) ? 0x00 : 0xff;

	if (len > 8 && !o_pick(g, 4))
		top = 8;		/* the edges of 64 bits */

	for (i = 0; i < len; i++)
		b[i] = i < top ? (u8)o_rnd(g) : ext;
	if (!o_pick(g, 10))
		for (i = 0; i < len; i++)
			b[i] = (u8)o_rnd(g);
}

static void o_gen_data(struct o_gen *g, struct o_rec *r)
{
	static const u8 fixed[16] = { 0, 1, 2, 3, 4, 4, 6, 8, 0, 1, 2, 3, 4,
				      0, 6, 0 };
	static const u8 codes[] = { 1, 2, 3, 4, 6, 7, 5, 5, 9, 0xa, 0xb, 0xc,
				    0xe, 0xd, 0xd, 0, 8 };
	u8 code = codes[o_pick(g, HM_ARRAY_SIZE(codes))];

	r->dif |= code;
	r->lvar = 0;
	r->dlen = fixed[code];
	if (code == 0x05) {
		u32 f;

		switch (o_pick(g, 12)) {
		case 0:
			f = 0x7f800000 | (o_rnd(g) & 0x807fffff); /* NaN, inf */
			break;
		case 1:
			f = o_rnd(g);
			break;
		default:
			/* a few fractional bits, up to about 2^40 */
			f = (o_rnd(g) & 0x80000000) |
			    (u32)(127 - 4 + o_pick(g, 45)) << 23 |
			    (o_rnd(g) & 0x7fffff);
		}
		r->data[0] = f;
		r->data[1] = f >> 8;
		r->data[2] = f >> 16;
		r->data[3] = f >> 24;
	} else if (code >= 0x09 && code != 0x0d) {
		o_gen_bcd(g, r->data, r->dlen);
		if (!o_pick(g, 6))	/* type A minus sign */
			r->data[r->dlen - 1] = 0xf0 | (r->data[r->dlen - 1] & 0x0f);
	} else if (code == 0x0d) {
		switch (o_pick(g, 4)) {
		case 0:
			r->lvar = o_pick(g, 8);			/* text */
			r->dlen = r->lvar;
			memset(r->data, 'A', r->dlen);
			break;
		case 1:
			r->lvar = (o_pick(g, 2) ? 0xc0 : 0xd0) + o_pick(g, 16);
			r->dlen = r->lvar & 0x0f;
			o_gen_bcd(g, r->data, r->dlen);
			break;
		case 2:
			r->lvar = 0xe0 + o_pick(g, 16);
			r->dlen = r->lvar & 0x0f;
			o_gen_binary(g, r->data, r->dlen);
			break;
		default:
			r->lvar = 0xf0 + o_pick(g, 7);
			r->dlen = r->lvar <= 0xf4 ? 4 * (r->lvar - 0xec) :
				  r->lvar == 0xf5 ? 48 : 64;
			o_gen_binary(g, r->data, r->dlen);
		}
	} else {
		o_gen_binary(g, r->data, r->dlen);
	}
}

static unsigned int o_put(const struct o_gen *g, const struct o_rec *r,
			  u8 *out)
{
	unsigned int n = 0, i;

	out[n++] = r->dif;
	for (i = 0; i < r->ndife; i++)
		out[n++] = r->dife[i];
	out[n++] = r->vif;
	if ((r->vif & 0x7f) == 0x7c) {
		out[n++] = r->text_len;
		for (i = 0; i < r->text_len; i++)
			out[n++] = 'a' + i;
	}
	for (i = 0; i < r->nvife; i++)
		out[n++] = r->vife[i];
	if ((r->dif & 0x0f) == 0x0d)
		out[n++] = r->lvar;
	for (i = 0; i < r->dlen; i++)
		out[n++] = r->data[g->msb ? r->dlen - 1 - i : i];
	return n;
}

/* ---- the oracle ------------------------------------------------------- */

struct o_expect {
	u32 counted;
	u32 valid;
	s64 v[HM_Q_COUNT];
};

struct o_frame {
	struct o_gen g;
	struct o_expect x;
	struct o_rec r;
	struct o_num tmp;
	struct o_val val;
	u8 d[252];
};

/*
 * Limits of the decoder's numbers, stated in Documentation/heatmeter.rst:
 * a binary raw value must fit an s64, a BCD one 18 digits, a real must be
 * below 2^100 (whatever the scale); beyond them the quantity is
 * unavailable.
 */
static bool o_raw_fits(u8 dif, u8 lvar, const struct o_val *v)
{
	const char *lim = v->neg ? "9223372036854775808" :
				   "9223372036854775807";
	u8 code = dif & 0x0f;
	unsigned int i;

	if (code == 0x05)
		return !v->huge;
	if ((code >= 0x09 && code != 0x0d) || (code == 0x0d && lvar < 0xe0))
		return v->mag.n <= 18;
	if (v->mag.n != 19)
		return v->mag.n < 19;
	for (i = 0; i < 19; i++) {
		u8 c = lim[i] - '0', x = v->mag.d[18 - i];

		if (x != c)
			return x < c;
	}
	return true;
}

static void o_record(struct o_frame *f)
{
	const struct o_gen *g = &f->g;
	const struct o_rec *r = &f->r;
	struct o_expect *x = &f->x;
	struct o_val *val = &f->val;
	const struct o_vif *t;
	unsigned int i, first = 0, sub = 0;
	bool neg = false, storage = r->dif & 0x40, tariff = false;
	int e, q;
	s64 out;

	for (i = 0; i < r->ndife; i++) {
		storage |= r->dife[i] & 0x0f;
		tariff |= r->dife[i] & 0x30;
		sub |= (r->dife[i] >> 6 & 1) << i;
	}
	if ((r->dif & 0x30) || storage || tariff || sub != (g->flags ? 1 : 0))
		return;
	if (!r->dlen)
		return;
	if (r->vif == 0xfb) {
		t = o_find(o_fb, HM_ARRAY_SIZE(o_fb), r->vife[0] & 0x7f);
		first = 1;
	} else if ((r->vif & 0x7f) < 0x7b) {
		t = o_find(o_primary, HM_ARRAY_SIZE(o_primary), r->vif & 0x7f);
	} else {
		return;		/* FD, text, any, manufacturer */
	}
	if (!t || t->q < 0)
		return;
	q = t->q;
	e = t->e0 + (((r->vif == 0xfb ? r->vife[0] : r->vif) & 0x7f) - t->lo) *
	    t->step;
	for (i = first; i < r->nvife; i++) {
		int kind = o_vife(r->vife[i], &e);

		if (kind == O_OTHER)
			return;
		if (kind == O_NEG)
			neg = true;
	}
	if (q == HM_Q_ENERGY) {
		bool cooling_meter = g->medium == 0x0a || g->medium == 0x0b;

		if (cooling_meter && neg)
			return;
		if (cooling_meter || neg)
			q = HM_Q_COOLING_ENERGY;
	} else if (neg) {
		return;
	}
	if (x->counted & HM_QBIT(q))
		return;
	x->counted |= HM_QBIT(q);
	o_value(r->dif, r->lvar, r->data, r->dlen, val);
	if (!val->ok || !o_raw_fits(r->dif, r->lvar, val) ||
	    o_scale(val, t->num, t->den, e, &out, &f->tmp))
		return;
	x->valid |= HM_QBIT(q);
	x->v[q] = out;
}

static int o_frame(struct hm_tctx *t, struct o_frame *f, u32 seed)
{
	static const u8 media[] = { 0x04, 0x0c, 0x0a, 0x0b, 0x0d, 0x07, 0x06,
				    0x00 };
	struct o_gen *g = &f->g;
	unsigned int n = 12, nrec, i, q;
	int len, r;

	memset(&f->x, 0, sizeof(f->x));
	g->s = seed ? seed : 1;
	o_rnd(g);
	g->msb = !o_pick(g, 8);
	g->medium = media[o_pick(g, HM_ARRAY_SIZE(media))];
	g->flags = o_pick(g, 8) ? 0 : HM_MBUS_DF_SUBUNIT1;
	/* header: id 12345678, PLO, version 2, medium, access 1, status 0 */
	memcpy(f->d, "\x78\x56\x34\x12\x8f\x41\x02\x04\x01\x00\x00\x00", 12);
	f->d[7] = g->medium;
	if (g->msb) {
		for (i = 0; i < 2; i++) {
			u8 c = f->d[i];

			f->d[i] = f->d[3 - i];
			f->d[3 - i] = c;
		}
		f->d[4] = 0x41;
		f->d[5] = 0x8f;
	}
	nrec = 1 + o_pick(g, 14);
	for (i = 0; i < nrec; i++) {
		u8 buf[100];
		unsigned int m;

		if (!o_pick(g, 12)) {
			if (n < sizeof(f->d))
				f->d[n++] = 0x2f;
			continue;
		}
		memset(&f->r, 0, sizeof(f->r));
		f->r.dif = (o_pick(g, 6) ? 0 : (o_rnd(g) & 0x30)) |
			   (o_pick(g, 7) ? 0 : 0x40);
		o_gen_dife(g, &f->r);
		o_gen_vib(g, &f->r);
		o_gen_data(g, &f->r);
		m = o_put(g, &f->r, buf);
		if (m > sizeof(f->d) - n)
			break;
		memcpy(f->d + n, buf, m);
		n += m;
		o_record(f);
	}
	if (n < sizeof(f->d) && !o_pick(g, 6))
		f->d[n++] = o_pick(g, 2) ? 0x0f : 0x1f;	/* manufacturer */
	len = hm_mbus_build_long(t->work, sizeof(t->work), 0x08, 1,
				 g->msb ? 0x76 : 0x72, f->d, n);
	if (len < 0)
		return hm_t_fail_prop(t, "seed %08x: frame %d", seed, len);
	r = hm_mbus_decode(t->work, len, g->flags, &t->id, &t->rd);
	if (r)
		return hm_t_fail_prop(t, "seed %08x: decode: %s", seed,
				      hm_strerror(r));
	for (q = 0; q < HM_Q_METER_TIME; q++) {
		u32 bit = HM_QBIT(q);

		if ((t->rd.valid & bit) != (f->x.valid & bit))
			return hm_t_fail_prop(t, "seed %08x: %s %s (oracle %lld)",
					      seed, hm_quantity_name(q),
					      f->x.valid & bit ? "missing" :
					      "reported", (long long)f->x.v[q]);
		if ((f->x.valid & bit) && t->rd.values[q] != f->x.v[q])
			return hm_t_fail_prop(t, "seed %08x: %s = %lld, oracle %lld",
					      seed, hm_quantity_name(q),
					      (long long)t->rd.values[q],
					      (long long)f->x.v[q]);
	}
	return 0;
}

size_t hm_t_mbus_prop_size(void)
{
	return sizeof(struct o_frame);
}

int hm_t_mbus_prop(struct hm_tctx *t, void *ws, u32 seed, unsigned long n)
{
	unsigned long i;

	t->msg[0] = '\0';
	for (i = 0; i < n; i++) {
		/* one seed per frame: a failure names the frame to replay */
		u32 s = seed + (u32)i * 0x9e3779b9u;

		if (o_frame(t, ws, s))
			return -1;
	}
	return 0;
}
