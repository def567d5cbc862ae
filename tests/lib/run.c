// SPDX-License-Identifier: GPL-2.0
/*
 * run.c - userspace runner for the lib/ tests (ASan + UBSan build).
 * Prints one "ok - name" / "not ok - name: reason" line per test case.
 * Built twice: natively and with -m32 (HM_T_PREFIX "m32/" before every name).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hm_test_common.h"
#include "hm_err.h"
#include "hm_util.h"

#ifndef HM_T_PREFIX
#define HM_T_PREFIX ""
#endif

/* random frames of the M-Bus property test in `make check` */
#ifndef HM_T_PROP_FRAMES
#define HM_T_PROP_FRAMES 20000
#endif

static unsigned int passed, failed;

static void report(const char *name, int r, const char *msg)
{
	if (r == 0) {
		printf("ok - %s%s\n", HM_T_PREFIX, name);
		passed++;
	} else {
		printf("not ok - %s%s: %s\n", HM_T_PREFIX, name, msg);
		failed++;
	}
}

#ifdef __SIZEOF_INT128__
/*
 * The original __uint128_t hm_scale(), as the reference for the portable
 * one in lib/hm_util.c (64-bit builds only: -m32 has no __int128).
 */
static int ref_scale(u64 mant, int shift, bool neg, u32 mul, int exp10,
		     u32 div, s64 *out)
{
	__uint128_t n = mant, d = div ? div : 1, q;
	__uint128_t limit = (__uint128_t)HM_S64_MAX + neg;
	__uint128_t top = (__uint128_t)1 << 120;
	int k = 0;

	if (!mant) {
		*out = 0;
		return 0;
	}
	if (mul >= (1U << 20))
		return -HM_EINVAL;
	if (shift > 0) {
		if (shift > 100 || (shift > 36 && (mant >> (100 - shift))))
			return -HM_EOVERFLOW;
		n <<= shift;
	} else {
		k = -shift;
	}
	n *= mul ? mul : 1;
	for (; exp10 > 0; exp10--) {
		n *= 10;
		if (n >= top)
			return -HM_EOVERFLOW;
	}
	for (; exp10 < 0; exp10++) {
		d *= 10;
		if (d >= top) {
			*out = 0;
			return 0;
		}
	}
	if (k >= 126) {
		*out = 0;
		return 0;
	}
	if (k == 0)
		q = (2 * n + d) / (2 * d);
	else
		q = (n / d + ((__uint128_t)1 << (k - 1))) >> k;
	if (q > limit)
		return -HM_EOVERFLOW;
	if (neg)
		*out = q == limit ? -HM_S64_MAX - 1 : -(s64)q;
	else
		*out = (s64)q;
	return 0;
}

static u64 xs64(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* hm_scale() against ref_scale() over 2^21 random argument sets */
static int scale_vs_ref(char *msg, size_t size)
{
	static const u32 m32[] = { 0, 1, 2, 3, 10, 1000, (1U << 20) - 1,
				   1U << 20, 0xffffffff };
	u64 s = 0x9e3779b97f4a7c15ULL;
	unsigned int i;

	for (i = 0; i < 1U << 21; i++) {
		u64 x = xs64(&s), y = xs64(&s), mant = xs64(&s);
		int shift = (int)(x % 256) - 150, exp10 = (int)(x >> 8) % 61 - 30;
		bool neg = (x >> 16) & 1;
		u32 mul = (y & 3) ? (u32)(y >> 8) & 0xfffff : m32[(y >> 2) % 9];
		u32 div = (y & 0x30) ? (u32)(y >> 32) >> (y >> 40) % 32 :
				       m32[(y >> 6) % 9];
		s64 a = 0, b = 0;
		int ra, rb;

		mant >>= (x >> 24) % 64;
		if (!((x >> 32) & 7))
			shift = 0;
		ra = hm_scale(mant, shift, neg, mul, exp10, div, &a);
		rb = ref_scale(mant, shift, neg, mul, exp10, div, &b);
		if (ra != rb || (!ra && a != b)) {
			snprintf(msg, size,
				 "hm_scale(%#llx, %d, %d, %u, %d, %u): %d %lld, reference %d %lld",
				 (unsigned long long)mant, shift, neg, mul,
				 exp10, div, ra, (long long)a, rb, (long long)b);
			return -1;
		}
	}
	return 0;
}
#endif

/* hm-lib-test --property FRAMES [SEED]: the property test alone (make fuzz) */
static int property(struct hm_tctx *t, int argc, char **argv)
{
	unsigned long frames = strtoul(argv[2], NULL, 0);
	unsigned long seed = argc > 3 ? strtoul(argv[3], NULL, 0) : 0x1088;
	unsigned int redrawn;
	char name[120];
	int r;

	r = hm_t_cjt_property(t, (u32)seed, (unsigned int)frames, &redrawn);
	snprintf(name, sizeof(name), "cjt188-property-random-901f %lu frames seed %#lx",
		 frames, seed);
	report(name, r, t->msg);
	printf("# property: %u frames drawn again\n", redrawn);
	free(t);
	return r ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct hm_tctx *t = calloc(1, sizeof(*t));
	unsigned int i, v, outcome[3] = { 0, 0, 0 }, heat = 0;
	char name[200];

	if (!t)
		return 2;
	if (argc > 2 && !strcmp(argv[1], "--property"))
		return property(t, argc, argv);
	for (i = 0; i < hm_t_cjt_count(); i++) {
		snprintf(name, sizeof(name), "cjt188 vector %s", hm_t_cjt_name(i));
		report(name, hm_t_cjt_vector(t, i), t->msg);
	}
	for (i = 0; i < hm_t_mbus_count(); i++) {
		int r = hm_t_mbus_vector(t, i);

		snprintf(name, sizeof(name), "libmbus %s", hm_t_mbus_name(i));
		report(name, r, t->msg);
		if (t->outcome >= 0 && t->outcome < 3)
			outcome[t->outcome]++;
		if (!r && t->outcome == HM_T_DECODED)
			heat++;
	}
	for (i = 0; i < hm_t_mrule_count(); i++) {
		snprintf(name, sizeof(name), "mbus-rule %s", hm_t_mrule_name(i));
		report(name, hm_t_mrule(t, i), t->msg);
	}
	for (i = 0; i < hm_t_split_count(); i++) {
		for (v = 0; v < HM_T_SPLIT_VARIANTS; v++) {
			static const char * const vn[HM_T_SPLIT_VARIANTS] = {
				"bytewise", "random-chunks", "preamble",
				"preamble+fc-tail", "text-prefix+fc-tail",
			};
			snprintf(name, sizeof(name), "split %s %s",
				 hm_t_split_name(i), vn[v]);
			report(name, hm_t_split(t, i, v), t->msg);
		}
	}
	for (i = 0; i < hm_t_ncases; i++) {
		t->msg[0] = '\0';
		report(hm_t_cases[i].name, hm_t_cases[i].fn(t), t->msg);
	}
	{
		void *ws = calloc(1, hm_t_mbus_prop_size());

		if (!ws)
			return 2;
		snprintf(name, sizeof(name), "mbus-property %u frames",
			 HM_T_PROP_FRAMES);
		report(name, hm_t_mbus_prop(t, ws, 0x5eed0001u,
					    HM_T_PROP_FRAMES), t->msg);
		free(ws);
	}
#ifdef __SIZEOF_INT128__
	report("scale-vs-int128-reference", scale_vs_ref(t->msg, sizeof(t->msg)),
	       t->msg);
#endif
	printf("# libmbus telegrams: %u decoded, %u unsupported, %u rejected\n",
	       outcome[HM_T_DECODED], outcome[HM_T_UNSUPPORTED],
	       outcome[HM_T_REJECTED]);
	printf("# lib: %u passed, %u failed\n", passed, failed);
	free(t);
	return failed ? 1 : 0;
}
