/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heatmeter: the character device /dev/heatmeterN and the verification
 * ioctls (include/uapi/linux/heatmeter.h).
 *
 * The per-reader ring (ring.c) is tty-free so that KUnit can test it; the
 * rest needs the driver's headers.
 */
#ifndef _HEATMETER_CDEV_H
#define _HEATMETER_CDEV_H

#include <linux/device.h>
#include <linux/heatmeter.h>
#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#define HM_RING_SIZE	64	/* readings kept per open file (power of 2) */
#define HM_CDEV_MINORS	1024	/* /dev/heatmeter0 .. heatmeter1023 */

/**
 * struct hm_ring - readings waiting for one reader
 * @head: readings ever pushed
 * @tail: readings ever popped or dropped
 * @dropped: readings dropped since the reader last saw a drop marker
 * @r: the readings
 *
 * Full: the oldest is dropped and counted, the writer never waits. A pop
 * after drops yields one HEATMETER_RD_DROPPED marker first: the lost
 * readings were the ones just before the oldest still kept.
 */
struct hm_ring {
	u32 head;
	u32 tail;
	u32 dropped;
	struct heatmeter_reading r[HM_RING_SIZE];
};

void hm_ring_init(struct hm_ring *ring);
bool hm_ring_empty(const struct hm_ring *ring);
void hm_ring_push(struct hm_ring *ring, const struct heatmeter_reading *rd);
bool hm_ring_pop(struct hm_ring *ring, struct heatmeter_reading *out);

struct hm_meter;
struct hm_txn;
struct hm_reading;
struct hm_vop;

/**
 * struct hm_cmeter - the character device side of one meter
 * @ref: references: the meter's registration, each open file, each
 *       verification transaction in flight
 * @m: the meter (a device reference is held)
 * @lock: protects @readers, @dead, the readers' rings, @test_*
 * @readers: open files (struct hm_reader)
 * @dead: the meter is gone: everything returns -ENODEV
 * @wait: readers and pollers
 * @seq: readings delivered (the next gets @seq + 1)
 * @test_mode: test mode was entered through TEST_MODE
 * @test_expires: CLOCK_MONOTONIC when the meter leaves it by itself (0 =
 *                the profile does not say)
 */
struct hm_cmeter {
	struct kref ref;
	struct hm_meter *m;
	spinlock_t lock;		/* see above */
	struct list_head readers;
	bool dead;
	wait_queue_head_t wait;
	u64 seq;
	bool test_mode;
	ktime_t test_expires;
};

enum hm_vop_slot {
	HM_VS_START,
	HM_VS_STOP,
	HM_VS_SYNC,
	HM_VS_COUNT
};

/**
 * struct hm_reader - one open file
 * @cm: the meter's char device side (a reference is held)
 * @node: entry in @cm->readers
 * @mutex: serializes this file's verification ioctls
 * @pending: ASYNC operations queued by this file (START, STOP, SYNC)
 * @start: START's reading, for STOP
 * @have_start: @start is set
 * @ring: readings not yet read (under @cm->lock)
 */
struct hm_reader {
	struct hm_cmeter *cm;
	struct list_head node;
	struct mutex mutex;		/* verification ioctls */
	struct hm_vop *pending[HM_VS_COUNT];
	struct heatmeter_reading start;
	bool have_start;
	struct hm_ring ring;
};

/* cdev.c: hooks for the rest of the driver */
int hm_cdev_init(void);
void hm_cdev_exit(void);
dev_t hm_cdev_devt(int id);
void hm_cdev_meter_remove(struct hm_meter *m);
void hm_cdev_meter_reading(struct hm_meter *m, const struct hm_txn *t,
			   int err, const struct hm_reading *rd);
bool hm_cdev_test_mode(struct hm_meter *m, s64 *expires);
extern struct device_attribute dev_attr_test_mode;

/* cdev.c: for verify.c */
void hm_cmeter_put(struct hm_cmeter *cm);
void hm_cdev_fill(struct heatmeter_reading *out, const struct hm_txn *t,
		  int err, const struct hm_reading *rd, u32 flags);
void hm_cdev_deliver(struct hm_cmeter *cm, struct heatmeter_reading *rd);

/* verify.c */
long hm_verify_ioctl(struct hm_reader *r, unsigned int cmd, void *arg);
void hm_verify_release(struct hm_reader *r);

#endif /* _HEATMETER_CDEV_H */
