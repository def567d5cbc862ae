/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hm_util.h - exact integer helpers shared by the decoders (internal).
 */
#ifndef HM_UTIL_H
#define HM_UTIL_H

#include "hm_shim.h"

/**
 * hm_bcd_to_u64() - BCD digits to a number
 * @p: bytes
 * @len: number of bytes (at most 9)
 * @msb_first: byte order
 * @out: result
 *
 * Return: 0 or -HM_EBCD if a nibble is > 9.
 */
int hm_bcd_to_u64(const u8 *p, unsigned int len, bool msb_first, u64 *out);

/**
 * hm_scale() - value = (-1)^neg * mant * 2^shift * mul * 10^exp10 / div
 * @mant: magnitude (at most 64 bits)
 * @shift: power of two applied to @mant (real32), may be negative
 * @neg: negative value
 * @mul: integer multiplier (>= 1)
 * @exp10: power of ten, may be negative
 * @div: integer divisor (>= 1)
 * @out: result, rounded to nearest (halves away from zero)
 *
 * Return: 0 or -HM_EOVERFLOW when the result does not fit in s64.
 */
int hm_scale(u64 mant, int shift, bool neg, u32 mul, int exp10, u32 div,
	     s64 *out);

/**
 * hm_real32_scale() - IEEE 754 single (bits) scaled like hm_scale()
 * @bits: the 32 bits of the float
 * @mul: integer multiplier
 * @exp10: power of ten
 * @div: divisor
 * @out: result rounded to nearest
 *
 * Return: 0, -HM_EOVERFLOW (also for inf), -HM_EFORMAT for NaN.
 */
int hm_real32_scale(u32 bits, u32 mul, int exp10, u32 div, s64 *out);

/**
 * hm_hex_digits() - bytes to upper-case hex digits, last byte first
 * @p: bytes
 * @len: number of bytes
 * @out: at least 2 * @len + 1 chars
 */
void hm_hex_digits_rev(const u8 *p, unsigned int len, char *out);

/**
 * hm_u8_sum() - 8-bit sum
 * @p: bytes
 * @len: number of bytes
 *
 * Return: the sum modulo 256.
 */
u8 hm_u8_sum(const u8 *p, size_t len);

/**
 * hm_u32_to_dec() - decimal text of a number
 * @v: number
 * @out: at least 11 chars
 */
void hm_u32_to_dec(u32 v, char *out);

#endif /* HM_UTIL_H */
