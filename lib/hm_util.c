// SPDX-License-Identifier: GPL-2.0
/*
 * hm_util.c - exact integer arithmetic for lib/: BCD, decimal and binary
 * scaling with rounding and overflow detection, no floating point and no
 * libgcc helpers (128-bit division is done by shift and subtract).
 */
#include "hm_util.h"
#include "hm_err.h"

#ifndef __SIZEOF_INT128__
#error "lib/ needs a compiler with 128-bit integers (64-bit target)"
#endif

#define HM_U128_TOP ((__uint128_t)1 << 120)
#define HM_LIMIT_POS ((__uint128_t)HM_S64_MAX)

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

/* n / d for d != 0, by shift and subtract (no __udivti3 in the kernel) */
static __uint128_t div_u128(__uint128_t n, __uint128_t d, __uint128_t *rem)
{
	__uint128_t q = 0, r = 0;
	int i;

	if (!(n >> 64) && !(d >> 64)) {
		u64 n64 = (u64)n, d64 = (u64)d;
#ifdef __KERNEL__
		u64 q64 = div64_u64(n64, d64);
#else
		u64 q64 = n64 / d64;
#endif
		*rem = n64 - q64 * d64;
		return q64;
	}
	for (i = 127; i >= 0; i--) {
		r = (r << 1) | ((n >> i) & 1);
		if (r >= d) {
			r -= d;
			q |= (__uint128_t)1 << i;
		}
	}
	*rem = r;
	return q;
}

int hm_scale(u64 mant, int shift, bool neg, u32 mul, int exp10, u32 div,
	     s64 *out)
{
	__uint128_t n = mant, d = div ? div : 1, q, r;
	__uint128_t limit = neg ? HM_LIMIT_POS + 1 : HM_LIMIT_POS;
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
		n <<= shift;
	} else {
		k = -shift;
	}
	n *= mul ? mul : 1;			/* < 2^100 * 2^20 */
	for (; exp10 > 0; exp10--) {
		n *= 10;
		if (n >= HM_U128_TOP)
			return -HM_EOVERFLOW;
	}
	for (; exp10 < 0; exp10++) {
		d *= 10;
		if (d >= HM_U128_TOP) {
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
		q = div_u128(2 * n + d, 2 * d, &r);
	} else {
		/* round(floor(n / d) / 2^k) is exact because 2^(k-1) is whole */
		q = div_u128(n, d, &r);
		q = (q + ((__uint128_t)1 << (k - 1))) >> k;
	}
	if (q > limit)
		return -HM_EOVERFLOW;
	if (neg)
		*out = (q == (__uint128_t)HM_S64_MAX + 1) ? -HM_S64_MAX - 1 : -(s64)q;
	else
		*out = (s64)q;
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
	/* value = m * 2^(e - 150) */
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
