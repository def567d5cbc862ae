// SPDX-License-Identifier: GPL-2.0
/*
 * hm_cdev_test.c - KUnit suite for the char device's per-reader ring
 * (drivers/heatmeter/ring.c: order, drop-oldest, the drop marker) and the
 * engine's not_before (drivers/heatmeter/engine.c: a transaction never
 * goes on the line before its instant).
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/slab.h>

#include "../../drivers/heatmeter/cdev.h"
#include "../../drivers/heatmeter/engine.h"

static struct hm_ring *ring_new(struct kunit *test)
{
	struct hm_ring *ring = kunit_kzalloc(test, sizeof(*ring), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ring);
	hm_ring_init(ring);
	return ring;
}

static void push_seq(struct hm_ring *ring, u64 seq)
{
	struct heatmeter_reading rd = { .size = sizeof(rd), .seq = seq };

	hm_ring_push(ring, &rd);
}

static void hm_ring_order(struct kunit *test)
{
	struct hm_ring *ring = ring_new(test);
	struct heatmeter_reading out;
	u64 i;

	KUNIT_EXPECT_TRUE(test, hm_ring_empty(ring));
	KUNIT_EXPECT_FALSE(test, hm_ring_pop(ring, &out));
	for (i = 1; i <= HM_RING_SIZE; i++)
		push_seq(ring, i);
	for (i = 1; i <= HM_RING_SIZE; i++) {
		KUNIT_ASSERT_TRUE(test, hm_ring_pop(ring, &out));
		KUNIT_EXPECT_EQ(test, out.seq, i);
		KUNIT_EXPECT_EQ(test, out.flags, 0U);
	}
	KUNIT_EXPECT_TRUE(test, hm_ring_empty(ring));
}

static void hm_ring_drop(struct kunit *test)
{
	struct hm_ring *ring = ring_new(test);
	struct heatmeter_reading out;
	u64 i;

	for (i = 1; i <= HM_RING_SIZE + 6; i++)
		push_seq(ring, i);
	/* the marker first, with the count of the lost (oldest) readings */
	KUNIT_ASSERT_TRUE(test, hm_ring_pop(ring, &out));
	KUNIT_EXPECT_EQ(test, out.flags, HEATMETER_RD_DROPPED);
	KUNIT_EXPECT_EQ(test, out.dropped, 6U);
	KUNIT_EXPECT_EQ(test, out.size, (u32)sizeof(out));
	for (i = 7; i <= HM_RING_SIZE + 6; i++) {
		KUNIT_ASSERT_TRUE(test, hm_ring_pop(ring, &out));
		KUNIT_EXPECT_EQ(test, out.seq, i);
	}
	KUNIT_EXPECT_FALSE(test, hm_ring_pop(ring, &out));
	/* drops after a partial read: again a marker, then the newest */
	for (i = 100; i < 100 + 2 * HM_RING_SIZE; i++)
		push_seq(ring, i);
	KUNIT_ASSERT_TRUE(test, hm_ring_pop(ring, &out));
	KUNIT_EXPECT_EQ(test, out.dropped, (u32)HM_RING_SIZE);
	KUNIT_ASSERT_TRUE(test, hm_ring_pop(ring, &out));
	KUNIT_EXPECT_EQ(test, out.seq, 100ULL + HM_RING_SIZE);
}

/*
 * A peeked record stays until it is committed (a failed copy_to_user()
 * loses nothing); drops between peek and commit are accounted exactly.
 */
static void hm_ring_peek_commit(struct kunit *test)
{
	struct hm_ring *ring = ring_new(test);
	struct heatmeter_reading out, again;
	u32 pos;
	u64 i;

	for (i = 1; i <= 3; i++)
		push_seq(ring, i);
	KUNIT_ASSERT_TRUE(test, hm_ring_peek(ring, &out, &pos));
	KUNIT_EXPECT_EQ(test, out.seq, 1ULL);
	/* not committed (the copy failed): the same record again */
	KUNIT_ASSERT_TRUE(test, hm_ring_peek(ring, &again, &pos));
	KUNIT_EXPECT_EQ(test, again.seq, 1ULL);
	hm_ring_commit(ring, &again, pos);
	KUNIT_ASSERT_TRUE(test, hm_ring_pop(ring, &out));
	KUNIT_EXPECT_EQ(test, out.seq, 2ULL);

	/* peek 3; the writer fills the ring and drops 3 and 4 meanwhile */
	KUNIT_ASSERT_TRUE(test, hm_ring_peek(ring, &out, &pos));
	KUNIT_EXPECT_EQ(test, out.seq, 3ULL);
	for (i = 4; i < 4 + HM_RING_SIZE + 1; i++)
		push_seq(ring, i);
	hm_ring_commit(ring, &out, pos);
	/* 3 reached the reader: only 4 is lost */
	KUNIT_ASSERT_TRUE(test, hm_ring_peek(ring, &out, &pos));
	KUNIT_EXPECT_EQ(test, out.flags, HEATMETER_RD_DROPPED);
	KUNIT_EXPECT_EQ(test, out.dropped, 1U);
	/* a drop after the marker was peeked is reported by the next one */
	push_seq(ring, 1000);
	hm_ring_commit(ring, &out, pos);
	KUNIT_ASSERT_TRUE(test, hm_ring_pop(ring, &out));
	KUNIT_EXPECT_EQ(test, out.flags, HEATMETER_RD_DROPPED);
	KUNIT_EXPECT_EQ(test, out.dropped, 1U);
	KUNIT_ASSERT_TRUE(test, hm_ring_pop(ring, &out));
	KUNIT_EXPECT_EQ(test, out.seq, 6ULL);
}

/* a line that records when the request went out */
struct nb_line {
	struct hm_engine e;
	ktime_t sent_at;
	unsigned int sends;
};

static int nb_send(struct hm_engine *e, const u8 *buf, size_t len)
{
	struct nb_line *l = container_of(e, struct nb_line, e);

	l->sent_at = ktime_get();
	l->sends++;
	return 0;
}

static int nb_set_baud(struct hm_engine *e, u32 baud)
{
	return 0;
}

static const struct hm_line_ops nb_ops = {
	.send = nb_send,
	.set_baud = nb_set_baud,
};

static void hm_engine_not_before(struct kunit *test)
{
	struct nb_line *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	struct hm_txn *t;
	ktime_t at;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, l);
	hm_engine_init(&l->e, &nb_ops, 2400);
	l->e.idle_ms = 0;
	for (i = 0; i < 5; i++) {
		t = hm_txn_alloc(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, t);
		t->req[0] = 0x10;
		t->req_len = 1;
		t->expect = HM_EXPECT_NONE;
		at = ktime_add_us(ktime_get(), 5000 + 3000 * i);
		t->not_before = at;
		KUNIT_ASSERT_EQ(test, hm_engine_submit(&l->e, t), 0);
		KUNIT_ASSERT_EQ(test, hm_txn_wait(t), 0);
		KUNIT_EXPECT_EQ(test, t->result, 0);
		KUNIT_EXPECT_FALSE(test, ktime_before(l->sent_at, at));
		KUNIT_EXPECT_FALSE(test, ktime_before(t->t.tx_start, at));
		KUNIT_EXPECT_FALSE(test, ktime_after(t->t.tx_start, l->sent_at));
		hm_txn_put(t);
	}
	KUNIT_EXPECT_EQ(test, l->sends, 5U);
	hm_engine_kill(&l->e);
}

/* a transaction armed for later holds the queue; a cancel takes it back */
static void hm_engine_not_before_cancel(struct kunit *test)
{
	struct nb_line *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	struct hm_txn *t;

	KUNIT_ASSERT_NOT_NULL(test, l);
	hm_engine_init(&l->e, &nb_ops, 2400);
	t = hm_txn_alloc(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	t->req[0] = 0x10;
	t->req_len = 1;
	t->not_before = ktime_add_ms(ktime_get(), 60000);
	KUNIT_ASSERT_EQ(test, hm_engine_submit(&l->e, t), 0);
	msleep(20);
	KUNIT_EXPECT_EQ(test, l->sends, 0U);
	KUNIT_EXPECT_EQ(test, hm_engine_cancel(&l->e, t), 0);
	KUNIT_EXPECT_EQ(test, t->result, -ECANCELED);
	hm_txn_put(t);
	hm_engine_kill(&l->e);
}

static struct hm_txn *nb_txn(struct kunit *test, const void *owner,
			     s64 in_ms)
{
	struct hm_txn *t = hm_txn_alloc(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->req[0] = 0x10;
	t->req_len = 1;
	t->owner = owner;
	if (in_ms)
		t->not_before = ktime_add_ms(ktime_get(), in_ms);
	return t;
}

static bool nb_done(struct hm_txn *t)
{
	/* pairs with the release in hm_txn_finish() */
	return smp_load_acquire(&t->done);
}

/*
 * The head of the queue waits for its instant; cancelled, what queued
 * behind it goes at once (not at the cancelled instant).
 */
static void hm_engine_cancel_head(struct kunit *test)
{
	struct nb_line *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	struct hm_txn *a, *b;

	KUNIT_ASSERT_NOT_NULL(test, l);
	hm_engine_init(&l->e, &nb_ops, 2400);
	l->e.idle_ms = 0;
	a = nb_txn(test, NULL, 60000);
	b = nb_txn(test, NULL, 0);
	KUNIT_ASSERT_EQ(test, hm_engine_submit(&l->e, a), 0);
	KUNIT_ASSERT_EQ(test, hm_engine_submit(&l->e, b), 0);
	msleep(20);
	KUNIT_EXPECT_EQ(test, l->sends, 0U);
	KUNIT_EXPECT_EQ(test, hm_engine_cancel(&l->e, a), 0);
	KUNIT_EXPECT_GT(test, wait_event_timeout(b->wait, nb_done(b), 2 * HZ),
			0L);
	KUNIT_EXPECT_EQ(test, b->result, 0);
	KUNIT_EXPECT_EQ(test, l->sends, 1U);
	hm_engine_kill(&l->e);
	hm_txn_put(a);
	hm_txn_put(b);
}

/* an owner's queued transactions go with it; the others' stay and run */
static void hm_engine_cancel_owner_all(struct kunit *test)
{
	struct nb_line *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	static const int x, y;
	struct hm_txn *a, *b, *c;

	KUNIT_ASSERT_NOT_NULL(test, l);
	hm_engine_init(&l->e, &nb_ops, 2400);
	l->e.idle_ms = 0;
	a = nb_txn(test, &x, 60000);
	b = nb_txn(test, &y, 0);
	c = nb_txn(test, &x, 0);
	KUNIT_ASSERT_EQ(test, hm_engine_submit(&l->e, a), 0);
	KUNIT_ASSERT_EQ(test, hm_engine_submit(&l->e, b), 0);
	KUNIT_ASSERT_EQ(test, hm_engine_submit(&l->e, c), 0);
	msleep(20);
	KUNIT_EXPECT_EQ(test, hm_engine_cancel_owner(&l->e, &x, -ENODEV), 2U);
	KUNIT_EXPECT_TRUE(test, nb_done(a));
	KUNIT_EXPECT_TRUE(test, nb_done(c));
	KUNIT_EXPECT_EQ(test, a->result, -ENODEV);
	KUNIT_EXPECT_EQ(test, c->result, -ENODEV);
	KUNIT_EXPECT_GT(test, wait_event_timeout(b->wait, nb_done(b), 2 * HZ),
			0L);
	KUNIT_EXPECT_EQ(test, b->result, 0);
	KUNIT_EXPECT_EQ(test, l->sends, 1U);
	KUNIT_EXPECT_EQ(test, hm_engine_cancel_owner(&l->e, &x, -ENODEV), 0U);
	hm_engine_kill(&l->e);
	hm_txn_put(a);
	hm_txn_put(b);
	hm_txn_put(c);
}

static struct kunit_case hm_cdev_cases[] = {
	KUNIT_CASE(hm_ring_peek_commit),
	KUNIT_CASE(hm_engine_cancel_head),
	KUNIT_CASE(hm_engine_cancel_owner_all),
	KUNIT_CASE(hm_ring_order),
	KUNIT_CASE(hm_ring_drop),
	KUNIT_CASE(hm_engine_not_before),
	KUNIT_CASE(hm_engine_not_before_cancel),
	{}
};

static struct kunit_suite hm_cdev_suite = {
	.name = "heatmeter-cdev",
	.test_cases = hm_cdev_cases,
};

kunit_test_suite(hm_cdev_suite);

MODULE_LICENSE("GPL");
