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

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/heatmeter.h>
#include <linux/rwsem.h>
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
bool hm_ring_peek(const struct hm_ring *ring, struct heatmeter_reading *out,
		  u32 *pos);
void hm_ring_commit(struct hm_ring *ring, const struct heatmeter_reading *out,
		    u32 pos);
bool hm_ring_pop(struct hm_ring *ring, struct heatmeter_reading *out);

struct hm_meter;
struct hm_vop;

/**
 * struct hm_cmeter - the character device of one meter (in struct hm_meter)
 * @cdev: /dev/heatmeterN, added with cdev_device_add() on the meter's
 *        device: an open file holds the meter device
 * @rwsem: read/poll/ioctl hold it for reading, removal for writing
 * @disconnected: the meter is gone: everything returns -ENODEV
 * @lock: protects @readers and the readers' rings
 * @readers: open files (struct hm_reader)
 * @wait: readers and pollers
 */
struct hm_cmeter {
	struct cdev cdev;
	struct rw_semaphore rwsem;	/* @disconnected */
	bool disconnected;
	spinlock_t lock;		/* see above */
	struct list_head readers;
	wait_queue_head_t wait;
};

enum hm_vop_slot {
	HM_VS_START,
	HM_VS_STOP,
	HM_VS_SYNC,
	HM_VS_COUNT
};

#define HM_FILE_OPS_MAX	4	/* bus operations in progress per open file */

/**
 * struct hm_reader - one open file
 * @m: the meter (a device reference is held)
 * @node: entry in the meter's readers
 * @read_mutex: one read() of this file at a time
 * @mutex: serializes this file's START, STOP and SYNC
 * @busy: ioctls of this file using the bus right now (HM_FILE_OPS_MAX)
 * @pending: ASYNC operations queued by this file (START, STOP, SYNC)
 * @start: START's reading, for STOP
 * @have_start: @start is set
 * @ring: readings not yet read (under the meter's cdev lock)
 */
struct hm_reader {
	struct hm_meter *m;
	struct list_head node;
	struct mutex read_mutex;	/* read() */
	struct mutex mutex;		/* verification ioctls */
	atomic_t busy;
	struct hm_vop *pending[HM_VS_COUNT];
	struct heatmeter_reading start;
	bool have_start;
	struct hm_ring ring;
};

/* cdev.c */
int hm_cdev_init(void);
void hm_cdev_exit(void);
void hm_cdev_setup(struct hm_meter *m);
int hm_cdev_add(struct hm_meter *m);
void hm_cdev_disconnect(struct hm_meter *m);
void hm_cdev_del(struct hm_meter *m);

/* verify.c */
long hm_verify_ioctl(struct hm_reader *r, unsigned int cmd, void *arg);
void hm_verify_release(struct hm_reader *r);

#endif /* _HEATMETER_CDEV_H */
