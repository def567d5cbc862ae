// SPDX-License-Identifier: GPL-2.0
/*
 * hm_lib_test.c - KUnit suite for lib/: the same vectors and cases as the
 * userspace runner (tests/lib/), through the shared hm_test_common.c.
 *
 * hm_test_common.c is included so the suite is one object for Kbuild; it
 * needs -I<repo>/lib, -I<repo>/tests/kunit and the directory holding the
 * generated hm_vectors.h (tests/lib/gen-vectors.py).
 */
#include <kunit/test.h>

#include "hm_test_common.c"
#include "hm_mbus_rules.c"
#include "hm_mbus_prop.c"

static struct hm_tctx *ctx_new(struct kunit *test)
{
	struct hm_tctx *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t);
	return t;
}

static void hm_cjt188_vectors(struct kunit *test)
{
	struct hm_tctx *t = ctx_new(test);
	unsigned int i;

	for (i = 0; i < hm_t_cjt_count(); i++)
		KUNIT_EXPECT_EQ_MSG(test, hm_t_cjt_vector(t, i), 0, "%s: %s",
				    hm_t_cjt_name(i), t->msg);
	kunit_info(test, "%u CJ/T 188 vectors (shared and tests/lib/cjt188-vectors.txt)\n",
		   hm_t_cjt_count());
}

static void hm_libmbus_telegrams(struct kunit *test)
{
	struct hm_tctx *t = ctx_new(test);
	unsigned int i, n[3] = { 0, 0, 0 };

	for (i = 0; i < hm_t_mbus_count(); i++) {
		KUNIT_EXPECT_EQ_MSG(test, hm_t_mbus_vector(t, i), 0, "%s: %s",
				    hm_t_mbus_name(i), t->msg);
		if (t->outcome >= 0 && t->outcome < 3)
			n[t->outcome]++;
	}
	kunit_info(test, "libmbus: %u decoded, %u unsupported, %u rejected\n",
		   n[HM_T_DECODED], n[HM_T_UNSUPPORTED], n[HM_T_REJECTED]);
}

static void hm_mbus_rules(struct kunit *test)
{
	struct hm_tctx *t = ctx_new(test);
	unsigned int i;

	for (i = 0; i < hm_t_mrule_count(); i++)
		KUNIT_EXPECT_EQ_MSG(test, hm_t_mrule(t, i), 0, "%s: %s",
				    hm_t_mrule_name(i), t->msg);
}

/* random frames against the EN 13757-3 oracle; more in `make fuzz` */
static void hm_mbus_property(struct kunit *test)
{
	struct hm_tctx *t = ctx_new(test);
	void *ws = kunit_kzalloc(test, hm_t_mbus_prop_size(), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ws);
	KUNIT_EXPECT_EQ_MSG(test, hm_t_mbus_prop(t, ws, 0x5eed0001u, 3000), 0,
			    "%s", t->msg);
}

static void hm_split_delivery(struct kunit *test)
{
	struct hm_tctx *t = ctx_new(test);
	unsigned int i, v;

	for (i = 0; i < hm_t_split_count(); i++)
		for (v = 0; v < HM_T_SPLIT_VARIANTS; v++)
			KUNIT_EXPECT_EQ_MSG(test, hm_t_split(t, i, v), 0,
					    "%s variant %u: %s",
					    hm_t_split_name(i), v, t->msg);
}

static void hm_own_cases(struct kunit *test)
{
	struct hm_tctx *t = ctx_new(test);
	unsigned int i;

	for (i = 0; i < hm_t_ncases; i++) {
		t->msg[0] = '\0';
		KUNIT_EXPECT_EQ_MSG(test, hm_t_cases[i].fn(t), 0, "%s: %s",
				    hm_t_cases[i].name, t->msg);
	}
}

static struct kunit_case hm_lib_cases[] = {
	KUNIT_CASE(hm_cjt188_vectors),
	KUNIT_CASE(hm_libmbus_telegrams),
	KUNIT_CASE(hm_mbus_rules),
	KUNIT_CASE(hm_mbus_property),
	KUNIT_CASE(hm_split_delivery),
	KUNIT_CASE(hm_own_cases),
	{}
};

static struct kunit_suite hm_lib_suite = {
	.name = "heatmeter-lib",
	.test_cases = hm_lib_cases,
};

kunit_test_suites(&hm_lib_suite);

MODULE_DESCRIPTION("KUnit tests for the heatmeter protocol library");
MODULE_LICENSE("GPL");
