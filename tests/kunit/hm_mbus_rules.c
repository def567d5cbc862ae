// SPDX-License-Identifier: GPL-2.0
/*
 * hm_mbus_rules.c - one vector per EN 13757-3 record rule (issue 10): what
 * combinable VIFEs, the DIFE chain, the medium and a bad value do to the
 * reading. Shared by the userspace runner and the KUnit suite (which
 * includes this file); each vector is one RSP_UD (CI 72) whose records
 * follow a fixed header, and the exact set of valid quantities and their
 * values in driver units.
 */
#ifdef __KERNEL__
#include <linux/kernel.h>
#include <linux/string.h>
#else
#include "hm_test_user.h"
#endif

#include "hm_test_common.h"
#include "hm_err.h"
#include "mbus.h"

struct hm_t_mrule {
	const char *name;
	u8 medium;		/* header medium byte */
	int ret;		/* hm_mbus_decode() result */
	const char *rec;	/* the records, hex; "xx*n": n bytes xx */
	const char *expect;	/* every valid quantity: name=value ... */
};

static const struct hm_t_mrule hm_t_mrules[] = {
	/* ---- scaling VIFEs change the value ---- */
	{ "scale/x1000-7D", 0x04, 0,
	  "04 86 7d 39 30 00 00",
	  "energy=12345000000000" },
	{ "scale/10^-6-70", 0x04, 0,
	  "04 83 70 40 4b 4c 00",
	  "energy=5000" },
	{ "scale/10^-2-74-volume", 0x04, 0,
	  "04 93 74 d2 04 00 00",
	  "volume=12340" },
	{ "scale/two-7D-75", 0x04, 0,
	  "04 83 fd 75 07 00 00 00",
	  "energy=700000" },
	{ "scale/x1-76-flow", 0x04, 0,
	  "02 bb 76 64 00",
	  "flow=100000" },
	{ "scale/FB-MWh-7D", 0x04, 0,
	  "04 fb 80 7d 03 00 00 00",
	  "energy=300000000000" },
	{ "scale/7D-bcd-power", 0x04, 0,
	  "0b ab 7d 50 02 00",
	  "power=250000000" },
	/*
	 * ---- VIFEs that change the meaning: the record is not the quantity of its
	 * VIF (the plain record after it is) ----
	 */
	{ "meaning/additive-78", 0x04, 0,
	  "04 86 78 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/additive-7B", 0x04, 0,
	  "04 86 7b 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/per-hour-22", 0x04, 0,
	  "04 86 22 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/per-second-20", 0x04, 0,
	  "04 86 20 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/per-litre-2C", 0x04, 0,
	  "04 86 2c 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/per-kWh-30", 0x04, 0,
	  "04 86 30 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/per-input-pulse-28", 0x04, 0,
	  "04 86 28 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/per-output-pulse-2B", 0x04, 0,
	  "04 86 2b 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/multiplied-by-s-36", 0x04, 0,
	  "04 86 36 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/start-date-of-39", 0x04, 0,
	  "04 86 39 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/uncorrected-unit-3A", 0x04, 0,
	  "04 86 3a 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/non-metric-3D", 0x04, 0,
	  "04 86 3d 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/base-conditions-3E", 0x04, 0,
	  "04 86 3e 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/obis-3F", 0x04, 0,
	  "04 86 3f 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/lower-limit-40", 0x04, 0,
	  "04 86 40 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/upper-limit-48", 0x04, 0,
	  "04 86 48 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/count-of-exceeds-41", 0x04, 0,
	  "04 86 41 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/date-of-exceed-42", 0x04, 0,
	  "04 86 42 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/date-of-exceed-4F", 0x04, 0,
	  "04 86 4f 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/duration-of-exceed-50", 0x04, 0,
	  "04 86 50 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/duration-of-exceed-5F", 0x04, 0,
	  "04 86 5f 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/duration-date-6x-61", 0x04, 0,
	  "04 86 61 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/duration-date-6x-6F", 0x04, 0,
	  "04 86 6f 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/future-value-7E", 0x04, 0,
	  "04 86 7e 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/error-code-00", 0x04, 0,
	  "04 86 00 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/error-code-15", 0x04, 0,
	  "04 86 15 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/error-code-18", 0x04, 0,
	  "04 86 18 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/averaged-12", 0x04, 0,
	  "04 86 12 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/compact-profile-1E", 0x04, 0,
	  "04 86 1e 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/compact-profile-1F", 0x04, 0,
	  "04 86 1f 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/manufacturer-7F", 0x04, 0,
	  "04 86 7f 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/manufacturer-7F-then-7D", 0x04, 0,
	  "04 86 ff 7d 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/extension-7C", 0x04, 0,
	  "04 86 fc 01 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/scaling-then-per-hour", 0x04, 0,
	  "04 86 fd 22 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/backward-volume-3C", 0x04, 0,
	  "04 93 3c 09 00 00 00 04 13 05 00 00 00",
	  "volume=5000" },
	{ "meaning/positive-only-3B-is-energy", 0x04, 0,
	  "04 86 3b 09 00 00 00 04 06 01 00 00 00",
	  "energy=9000000" },
	{ "meaning/manufacturer-VIF-FF", 0x04, 0,
	  "04 ff 06 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/per-hour-on-FB-GJ", 0x04, 0,
	  "04 fb 89 22 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "meaning/limit-on-power", 0x04, 0,
	  "02 ab 48 09 00 02 2b 07 00",
	  "power=7000" },
	{ "meaning/date-with-VIFE-is-no-clock", 0x04, 0,
	  "04 ed 39 00 0c 21 31",
	  "" },
	/* ---- storage, tariff and subunit come from the whole DIFE chain ---- */
	{ "dife/storage-in-8th-DIFE", 0x04, 0,
	  "84 80*7 01 06 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "dife/storage-in-10th-DIFE", 0x04, 0,
	  "84 80*9 08 06 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "dife/tariff-in-9th-DIFE", 0x04, 0,
	  "84 80*8 10 06 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "dife/tariff-in-10th-DIFE", 0x04, 0,
	  "84 80*9 20 06 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "dife/subunit-in-10th-DIFE", 0x04, 0,
	  "84 80*9 40 06 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "dife/storage-in-1st-DIFE", 0x04, 0,
	  "84 01 06 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "dife/ten-empty-DIFEs-count", 0x04, 0,
	  "84 80*9 00 06 09 00 00 00 04 06 01 00 00 00",
	  "energy=9000000" },
	/* ---- cooling meters (medium 0A/0B) and the cooling register (VIFE 3C) ---- */
	{ "cooling/medium-0A-energy", 0x0a, 0,
	  "04 06 09 00 00 00 04 13 05 00 00 00",
	  "cooling_energy=9000000 volume=5000" },
	{ "cooling/medium-0B-energy-J", 0x0b, 0,
	  "04 0e 24 00 00 00",
	  "cooling_energy=10000000" },
	{ "cooling/medium-0A-3C-is-neither", 0x0a, 0,
	  "04 86 3c 09 00 00 00 04 06 01 00 00 00",
	  "cooling_energy=1000000" },
	{ "cooling/medium-0D-3C-register", 0x0d, 0,
	  "04 86 3c 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000 cooling_energy=9000000" },
	{ "cooling/medium-04-3C-register", 0x04, 0,
	  "04 06 01 00 00 00 04 86 3c 09 00 00 00",
	  "energy=1000000 cooling_energy=9000000" },
	{ "cooling/3C-with-scaling", 0x0d, 0,
	  "04 86 fd 3c 09 00 00 00 04 06 01 00 00 00",
	  "energy=1000000 cooling_energy=9000000000" },
	{ "cooling/medium-0A-power-stays-power", 0x0a, 0,
	  "02 2b 10 00",
	  "power=16000" },
	/* ---- one bad record never costs the whole reading ---- */
	{ "bad/bcd-in-later-duplicate", 0x04, 0,
	  "04 06 01 00 00 00 0c 06 1a 00 00 00",
	  "energy=1000000" },
	{ "bad/bcd-in-storage-1", 0x04, 0,
	  "4c 06 1a 00 00 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "bad/bcd-in-counted-record", 0x04, 0,
	  "0c 06 1a 00 00 00 04 13 05 00 00 00",
	  "volume=5000" },
	{ "bad/bcd-counted-then-good-duplicate", 0x04, 0,
	  "0c 06 1a 00 00 00 04 06 01 00 00 00 04 13 05 00 00 00",
	  "volume=5000" },
	{ "bad/nan-in-counted-record", 0x04, 0,
	  "05 2b 01 00 c0 7f 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "bad/nan-in-later-duplicate", 0x04, 0,
	  "04 06 01 00 00 00 05 06 00 00 c0 7f",
	  "energy=1000000" },
	{ "bad/inf-in-tariff-1", 0x04, 0,
	  "85 10 06 00 00 80 7f 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "bad/overflow-in-counted-record", 0x04, 0,
	  "07 07 ff*7 7f 04 13 05 00 00 00",
	  "volume=5000" },
	{ "bad/overflow-in-later-duplicate", 0x04, 0,
	  "04 06 01 00 00 00 07 07 ff*7 7f",
	  "energy=1000000" },
	{ "bad/text-value-in-counted-record", 0x04, 0,
	  "0d 06 02 31 32 04 06 01 00 00 00",
	  "" },
	/* ---- every LVAR length the standard defines is skipped ---- */
	{ "lvar/text-00", 0x04, 0,
	  "0d fd 0c 00 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "lvar/text-BF", 0x04, 0,
	  "0d fd 0c bf 99*191 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "lvar/bcd-C9", 0x04, 0,
	  "0d fd 0c c9 99*9 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "lvar/bcd-DF", 0x04, 0,
	  "0d fd 0c df 99*15 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "lvar/binary-EF", 0x04, 0,
	  "0d fd 0c ef 99*15 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "lvar/binary-F0-16", 0x04, 0,
	  "0d fd 0c f0 99*16 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "lvar/binary-F4-32", 0x04, 0,
	  "0d fd 0c f4 99*32 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "lvar/binary-F5-48", 0x04, 0,
	  "0d fd 0c f5 99*48 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "lvar/binary-F6-64", 0x04, 0,
	  "0d fd 0c f6 99*64 04 06 01 00 00 00",
	  "energy=1000000" },
	{ "lvar/reserved-F7-stops-the-frame", 0x04, -HM_EUNSUPPORTED,
	  "04 06 01 00 00 00 0d fd 0c f7 00",
	  "energy=1000000" },
	{ "lvar/bcd-C9-energy-value", 0x04, 0,
	  "0d 03 c9 78 56 34 12 90 78 56 34 00",
	  "energy=3456789012345678000" },
	{ "lvar/bcd-D2-negative-power", 0x04, 0,
	  "0d 2b d2 34 12",
	  "power=-1234000" },
	{ "lvar/binary-E9-sign-extended", 0x04, 0,
	  "0d 13 e9 fe ff*8",
	  "volume=-2000" },
	/* ---- quantities that were dropped ---- */
	{ "new/power-J/h-33", 0x04, 0,
	  "04 33 a0 8c 00 00",
	  "power=10000000" },
	{ "new/power-J/h-30-rounds", 0x04, 0,
	  "01 30 07",
	  "power=2" },
	{ "new/power-GJ/h-FB-30", 0x04, 0,
	  "02 fb 30 24 00",
	  "power=1000000000" },
	{ "new/power-GJ/h-FB-31", 0x04, 0,
	  "01 fb 31 05",
	  "power=1388888889" },
	{ "new/cooling-energy-MWh-FB", 0x0b, 0,
	  "02 fb 01 02 00",
	  "cooling_energy=2000000000" },
};

unsigned int hm_t_mrule_count(void)
{
	return HM_ARRAY_SIZE(hm_t_mrules);
}

const char *hm_t_mrule_name(unsigned int i)
{
	return hm_t_mrules[i].name;
}

static __printf(2, 3) int mr_fail(struct hm_tctx *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->msg, HM_T_MSG, fmt, ap);
	va_end(ap);
	return -1;
}

/* a RSP_UD, CI 72, id 12345678, manufacturer PLO, version 2 */
int hm_t_mbus_frame(u8 *buf, size_t size, u8 medium, const u8 *rec,
		    unsigned int rlen)
{
	u8 d[252];
	static const u8 hdr[12] = { 0x78, 0x56, 0x34, 0x12, 0x8f, 0x41, 0x02,
				    0x04, 0x01, 0x00, 0x00, 0x00 };

	if (rlen > sizeof(d) - sizeof(hdr))
		return -HM_EINVAL;
	memcpy(d, hdr, sizeof(hdr));
	d[7] = medium;
	memcpy(d + sizeof(hdr), rec, rlen);
	return hm_mbus_build_long(buf, size, 0x08, 1, 0x72, d,
				  sizeof(hdr) + rlen);
}

static int mr_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int mr_hex(const char *s, u8 *out, unsigned int size)
{
	unsigned int n = 0, rep;

	while (*s) {
		int hi, lo;

		if (*s == ' ') {
			s++;
			continue;
		}
		hi = mr_nibble(s[0]);
		lo = s[1] ? mr_nibble(s[1]) : -1;
		if (hi < 0 || lo < 0)
			return -1;
		s += 2;
		rep = 1;
		if (*s == '*') {
			rep = 0;
			while (*++s >= '0' && *s <= '9')
				rep = rep * 10 + (*s - '0');
		}
		if (rep > size - n)
			return -1;
		memset(out + n, hi << 4 | lo, rep);
		n += rep;
	}
	return (int)n;
}

/* "name=value name=value": bits of the quantities named, values in @v */
static int mr_expect(const char *s, u32 *valid, s64 *v)
{
	*valid = 0;
	while (*s) {
		unsigned int q, len = 0;
		bool neg = false;
		s64 x = 0;

		if (*s == ' ') {
			s++;
			continue;
		}
		while (s[len] && s[len] != '=')
			len++;
		for (q = 0; q < HM_Q_COUNT; q++)
			if (strlen(hm_quantity_name(q)) == len &&
			    !strncmp(hm_quantity_name(q), s, len))
				break;
		if (q == HM_Q_COUNT || !s[len])
			return -1;
		s += len + 1;
		if (*s == '-') {
			neg = true;
			s++;
		}
		while (*s >= '0' && *s <= '9')
			x = x * 10 + (*s++ - '0');
		*valid |= HM_QBIT(q);
		v[q] = neg ? -x : x;
	}
	return 0;
}

int hm_t_mrule(struct hm_tctx *t, unsigned int i)
{
	const struct hm_t_mrule *m = &hm_t_mrules[i];
	u8 rec[252];
	s64 v[HM_Q_COUNT];
	u32 valid;
	unsigned int q;
	int n, r;

	t->msg[0] = '\0';
	n = mr_hex(m->rec, rec, sizeof(rec));
	if (n < 0 || mr_expect(m->expect, &valid, v))
		return mr_fail(t, "bad vector");
	n = hm_t_mbus_frame(t->work, sizeof(t->work), m->medium, rec, n);
	if (n < 0)
		return mr_fail(t, "frame: %s", hm_strerror(n));
	r = hm_mbus_decode(t->work, n, 0, &t->id, &t->rd);
	if (r != m->ret)
		return mr_fail(t, "decode: %s, expected %s", hm_strerror(r),
			       hm_strerror(m->ret));
	for (q = 0; q < HM_Q_COUNT; q++) {
		u32 bit = HM_QBIT(q);

		if ((t->rd.valid & bit) != (valid & bit))
			return mr_fail(t, "%s %s", hm_quantity_name(q),
				       valid & bit ? "missing" :
				       "reported, expected absent");
		if ((valid & bit) && q != HM_Q_METER_TIME &&
		    t->rd.values[q] != v[q])
			return mr_fail(t, "%s = %lld, expected %lld",
				       hm_quantity_name(q),
				       (long long)t->rd.values[q],
				       (long long)v[q]);
	}
	return 0;
}
