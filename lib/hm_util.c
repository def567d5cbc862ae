// SPDX-License-Identifier: GPL-2.0
/*
 * hm_util.c - exact integer arithmetic for lib/: BCD, decimal and binary
 * scaling with rounding and overflow detection, no floating point and no
 * libgcc helpers: 128-bit values are pairs of u64 (32-bit targets have no
 * __int128) and 128-bit division is done by shift and subtract.
 */
#include "hm_util.h"
#include "hm_err.h"

int hm_bcd_to_u64(const u8 *p, unsigned int len, bool msb_first, u64 *out)
{
	u64 v = 0;
	unsigned int i;

	if (len > 9)
		return -HM_EINVAL;
	for (i = 0; i < len; i++) {
		u8 b = msb_first ? p[i] : p[len - 1 - i];

		if ((b >> 4) > 9 || (b & 0x0f) > 9)
			return -HM_EBCD;
		v = v * 100 + (b >> 4) * 10 + (b & 0x0f);
	}
	*out = v;
	return 0;
}

/*
 * A 128-bit unsigned integer as two u64 halves: lib/ also builds for 32-bit
 * targets, which have no __int128. Only what hm_scale() needs; every helper
 * works modulo 2^128 (hm_scale() keeps its values below 2^122).
 */
struct hm_u128 {
	u64 hi;
	u64 lo;
};

static struct hm_u128 hm_u128_from(u64 v)
{
	struct hm_u128 a = { 0, v };

	return a;
}

/* a << s for 0 <= s < 128 */
static struct hm_u128 hm_u128_shl(struct hm_u128 a, unsigned int s)
{
	if (s >= 64) {
		a.hi = a.lo << (s - 64);
		a.lo = 0;
	} else if (s) {
		a.hi = a.hi << s | a.lo >> (64 - s);
		a.lo <<= s;
	}
	return a;
}

/* a >> s for 0 <= s < 128 */
static struct hm_u128 hm_u128_shr(struct hm_u128 a, unsigned int s)
{
	if (s >= 64) {
		a.lo = a.hi >> (s - 64);
		a.hi = 0;
	} else if (s) {
		a.lo = a.lo >> s | a.hi << (64 - s);
		a.hi >>= s;
	}
	return a;
}

static struct hm_u128 hm_u128_add(struct hm_u128 a, struct hm_u128 b)
{
	struct hm_u128 c;

	c.lo = a.lo + b.lo;
	c.hi = a.hi + b.hi + (c.lo < a.lo);
	return c;
}

static struct hm_u128 hm_u128_sub(struct hm_u128 a, struct hm_u128 b)
{
	struct hm_u128 c;

	c.lo = a.lo - b.lo;
	c.hi = a.hi - b.hi - (a.lo < b.lo);
	return c;
}

/* a * m: 32 x 32 -> 64 bit partial products only (no __multi3) */
static struct hm_u128 hm_u128_mul32(struct hm_u128 a, u32 m)
{
	u64 p0 = (a.lo & 0xffffffffULL) * m;
	u64 p1 = (a.lo >> 32) * m;
	struct hm_u128 c;

	c.lo = p0 + (p1 << 32);
	c.hi = a.hi * m + (p1 >> 32) + (c.lo < p0);
	return c;
}

/* -1, 0 or 1 as a <, == or > b */
static int hm_u128_cmp(struct hm_u128 a, struct hm_u128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

/* number of significant bits of a (0 for 0) */
static unsigned int hm_u128_bits(struct hm_u128 a)
{
	unsigned int n = a.hi ? 64 : 0;
	u64 w = a.hi ? a.hi : a.lo;

	while (w) {
		w >>= 1;
		n++;
	}
	return n;
}

/*
 * n / d for d != 0, by shift and subtract: no __udivti3 in the kernel, and
 * no __udivdi3 on 32-bit (u64 by u64 goes through div64_u64() there).
 */
static struct hm_u128 hm_u128_div(struct hm_u128 n, struct hm_u128 d,
				  struct hm_u128 *rem)
{
	struct hm_u128 q = { 0, 0 }, r = { 0, 0 };
	int i;

#if defined(__KERNEL__) || __SIZEOF_LONG__ >= 8
	if (!n.hi && !d.hi) {
#ifdef __KERNEL__
		u64 q64 = div64_u64(n.lo, d.lo);
#else
		u64 q64 = n.lo / d.lo;
#endif
		*rem = hm_u128_from(n.lo - q64 * d.lo);
		return hm_u128_from(q64);
	}
#endif
	for (i = (int)hm_u128_bits(n) - 1; i >= 0; i--) {
		r = hm_u128_shl(r, 1);
		r.lo |= (i >= 64 ? n.hi >> (i - 64) : n.lo >> i) & 1;
		if (hm_u128_cmp(r, d) >= 0) {
			r = hm_u128_sub(r, d);
			if (i >= 64)
				q.hi |= 1ULL << (i - 64);
			else
				q.lo |= 1ULL << i;
		}
	}
	*rem = r;
	return q;
}

int hm_scale(u64 mant, int shift, bool neg, u32 mul, int exp10, u32 div,
	     s64 *out)
{
	struct hm_u128 n = hm_u128_from(mant), d = hm_u128_from(div ? div : 1);
	struct hm_u128 q, r;
	/* |result| <= 2^63 - 1, or 2^63 when negative */
	struct hm_u128 limit = hm_u128_from((u64)HM_S64_MAX + neg);
	/* 2^120, the bound kept on n and d while scaling by powers of ten */
	const u64 top_hi = 1ULL << 56;
	int k = 0;

	if (!mant) {
		*out = 0;
		return 0;
	}
	if (mul >= (1U << 20))
		return -HM_EINVAL;
	if (shift > 0) {
		/* any value >= 2^100 overflows s64 for every scale used here */
		if (shift > 100 || (shift > 36 && (mant >> (100 - shift))))
			return -HM_EOVERFLOW;
		n = hm_u128_shl(n, shift);
	} else {
		k = -shift;
	}
	n = hm_u128_mul32(n, mul ? mul : 1);	/* < 2^100 * 2^20 */
	for (; exp10 > 0; exp10--) {
		n = hm_u128_mul32(n, 10);
		if (n.hi >= top_hi)
			return -HM_EOVERFLOW;
	}
	for (; exp10 < 0; exp10++) {
		d = hm_u128_mul32(d, 10);
		if (d.hi >= top_hi) {
			*out = 0;		/* n < d / 2: rounds to zero */
			return 0;
		}
	}
	if (k >= 126) {
		*out = 0;
		return 0;
	}
	if (k == 0) {
		/* round(n / d) = floor((2n + d) / 2d) */
		q = hm_u128_div(hm_u128_add(hm_u128_shl(n, 1), d),
				hm_u128_shl(d, 1), &r);
	} else {
		/* round(floor(n / d) / 2^k) is exact because 2^(k-1) is whole */
		q = hm_u128_div(n, d, &r);
		q = hm_u128_shr(hm_u128_add(q, hm_u128_shl(hm_u128_from(1),
							   k - 1)), k);
	}
	if (hm_u128_cmp(q, limit) > 0)
		return -HM_EOVERFLOW;
	if (!neg)
		*out = (s64)q.lo;
	else if (q.lo == (u64)HM_S64_MAX + 1)
		*out = -HM_S64_MAX - 1;
	else
		*out = -(s64)q.lo;
	return 0;
}

int hm_real32_scale(u32 bits, u32 mul, int exp10, u32 div, s64 *out)
{
	bool neg = bits >> 31;
	int e = (bits >> 23) & 0xff;
	u32 m = bits & 0x7fffff;

	if (e == 0xff)
		return m ? -HM_EFORMAT : -HM_EOVERFLOW;
	if (e == 0)
		e = 1;			/* subnormal */
	else
		m |= 0x800000;
	/* value = m * 2^(e - 150), shift -149 .. 104 */
	return hm_scale(m, e - 150, neg, mul, exp10, div, out);
}

void hm_hex_digits_rev(const u8 *p, unsigned int len, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned int i;

	for (i = 0; i < len; i++) {
		u8 b = p[len - 1 - i];

		out[2 * i] = hex[b >> 4];
		out[2 * i + 1] = hex[b & 0x0f];
	}
	out[2 * len] = '\0';
}

u8 hm_u8_sum(const u8 *p, size_t len)
{
	u8 s = 0;

	while (len--)
		s += *p++;
	return s;
}

void hm_u32_to_dec(u32 v, char *out)
{
	char tmp[11];
	int n = 0, i;

	do {
		tmp[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
}
