// SPDX-License-Identifier: GPL-2.0
/*
 * heatmeter: KUnit checks that the pipeline itself works: a lock taken
 * under lockdep and a KASAN-checked allocation.
 */
#include <kunit/test.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

static void hm_smoke_alloc(struct kunit *test)
{
	u8 *buf = kunit_kzalloc(test, 64, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	buf[63] = 0x16;
	KUNIT_EXPECT_EQ(test, buf[63], 0x16);
}

static void hm_smoke_lock(struct kunit *test)
{
	static DEFINE_SPINLOCK(lock);
	unsigned long flags;

	spin_lock_irqsave(&lock, flags);
	lockdep_assert_held(&lock);
	KUNIT_SUCCEED(test);
	spin_unlock_irqrestore(&lock, flags);
}

static struct kunit_case hm_smoke_cases[] = {
	KUNIT_CASE(hm_smoke_alloc),
	KUNIT_CASE(hm_smoke_lock),
	{}
};

static struct kunit_suite hm_smoke_suite = {
	.name = "heatmeter_smoke",
	.test_cases = hm_smoke_cases,
};

kunit_test_suite(hm_smoke_suite);

MODULE_LICENSE("GPL");
