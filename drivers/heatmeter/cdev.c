// SPDX-License-Identifier: GPL-2.0
/*
 * heatmeter: /dev/heatmeterN, one per meter (the meter device itself
 * carries the dev_t, so the node has the meter's name, N and uevent).
 *
 * One struct cdev covers every minor; open() finds the meter by dev_t and
 * creates the meter's char device side (struct hm_cmeter) on first use.
 * Every completed reading of the meter (sysfs, polling, the ioctls) is
 * pushed into the ring of each open file; read() returns them as struct
 * heatmeter_reading. A slow reader loses its oldest readings and reads a
 * HEATMETER_RD_DROPPED marker with their count; the bus never waits.
 * When the meter or its line goes away, read/poll/ioctl return -ENODEV.
 */
#include <linux/cdev.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "heatmeter.h"
#include "cdev.h"

static dev_t hm_cdev_base;
static struct cdev hm_cdev;
static DEFINE_MUTEX(hm_cdev_mutex);	/* creation and removal of cmeters */
static DEFINE_XARRAY(hm_cmeters);	/* meter id -> struct hm_cmeter */

/**
 * hm_cdev_devt() - dev_t of meter @id's char device
 * @id: meter instance number
 *
 * Return: the dev_t, or 0 (no char device) beyond HM_CDEV_MINORS.
 */
dev_t hm_cdev_devt(int id)
{
	if (!hm_cdev_base || id < 0 || id >= HM_CDEV_MINORS)
		return 0;
	return MKDEV(MAJOR(hm_cdev_base), id);
}

static void hm_cmeter_release(struct kref *ref)
{
	struct hm_cmeter *cm = container_of(ref, struct hm_cmeter, ref);

	put_device(&cm->m->dev);
	kfree(cm);
}

void hm_cmeter_put(struct hm_cmeter *cm)
{
	kref_put(&cm->ref, hm_cmeter_release);
}

/* the meter's cmeter with a reference, created if needed */
static struct hm_cmeter *hm_cmeter_get(struct hm_meter *m)
{
	struct hm_cmeter *cm;
	int ret;

	mutex_lock(&hm_cdev_mutex);
	if (READ_ONCE(m->dead)) {
		cm = ERR_PTR(-ENODEV);
		goto out;
	}
	cm = xa_load(&hm_cmeters, m->id);
	if (cm) {
		kref_get(&cm->ref);
		goto out;
	}
	cm = kzalloc(sizeof(*cm), GFP_KERNEL);
	if (!cm) {
		cm = ERR_PTR(-ENOMEM);
		goto out;
	}
	kref_init(&cm->ref);		/* the registration's */
	cm->m = m;
	spin_lock_init(&cm->lock);
	INIT_LIST_HEAD(&cm->readers);
	init_waitqueue_head(&cm->wait);
	ret = xa_err(xa_store(&hm_cmeters, m->id, cm, GFP_KERNEL));
	if (ret) {
		kfree(cm);
		cm = ERR_PTR(ret);
		goto out;
	}
	get_device(&m->dev);
	kref_get(&cm->ref);		/* the caller's */
out:
	mutex_unlock(&hm_cdev_mutex);
	return cm;
}

/* the meter's cmeter with a reference, or NULL */
static struct hm_cmeter *hm_cmeter_find(struct hm_meter *m)
{
	struct hm_cmeter *cm;

	xa_lock(&hm_cmeters);
	cm = xa_load(&hm_cmeters, m->id);
	if (cm)
		kref_get(&cm->ref);
	xa_unlock(&hm_cmeters);
	return cm;
}

/**
 * hm_cdev_meter_remove() - the meter is going away (already marked dead)
 * @m: meter
 *
 * Readers and pollers wake up with -ENODEV; ioctls return -ENODEV.
 * Transactions still in flight keep what they use alive.
 */
void hm_cdev_meter_remove(struct hm_meter *m)
{
	struct hm_cmeter *cm;

	mutex_lock(&hm_cdev_mutex);
	cm = xa_erase(&hm_cmeters, m->id);
	mutex_unlock(&hm_cdev_mutex);
	if (!cm)
		return;
	spin_lock_irq(&cm->lock);
	cm->dead = true;
	spin_unlock_irq(&cm->lock);
	wake_up_interruptible_all(&cm->wait);
	hm_cmeter_put(cm);
}

static s64 hm_ns(ktime_t t)
{
	return ktime_to_ns(t);
}

/**
 * hm_cdev_fill() - a uapi reading from a transaction and its decoding
 * @out: reading to fill
 * @t: the transaction (timestamps, tries), or NULL
 * @err: 0 or the reading's errno
 * @rd: decoded values (if @err is 0)
 * @flags: HEATMETER_RD_* to add
 */
void hm_cdev_fill(struct heatmeter_reading *out, const struct hm_txn *t,
		  int err, const struct hm_reading *rd, u32 flags)
{
	unsigned int q;

	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->error = err;
	out->flags = flags;
	if (!err && rd) {
		out->valid = rd->valid & (HM_QBIT(HM_Q_COUNT) - 1);
		for (q = 0; q < HM_Q_COUNT && q < HEATMETER_Q_MAX; q++)
			if (q != HM_Q_METER_TIME && (rd->valid & HM_QBIT(q)))
				out->values[q] = rd->values[q];
		out->meter_time.year = rd->meter_time.year;
		out->meter_time.month = rd->meter_time.month;
		out->meter_time.day = rd->meter_time.day;
		out->meter_time.hour = rd->meter_time.hour;
		out->meter_time.minute = rd->meter_time.minute;
		out->meter_time.second = rd->meter_time.second;
		out->meter_time.has_time = rd->meter_time.has_time;
		if (rd->flags & HM_RD_HAS_STATUS) {
			out->status = rd->status;
			out->flags |= HEATMETER_RD_STATUS;
		}
		if (rd->flags & HM_RD_HIGHRES)
			out->flags |= HEATMETER_RD_HIGHRES;
		if (rd->flags & HM_RD_TEST_MODE)
			out->flags |= HEATMETER_RD_TEST_MODE;
	}
	if (!t)
		return;
	out->tries = t->tries_used;
	out->ts.queued = hm_ns(t->t.queued);
	out->ts.tx_start = hm_ns(t->t.tx_start);
	out->ts.tx_done = hm_ns(t->t.sent);
	out->ts.rx_first = hm_ns(t->t.first_rx);
	out->ts.rx_last = hm_ns(t->t.frame);
	out->ts.complete_real = hm_ns(t->t.done_real);
}

/* test mode as the char device knows it; cm->lock held */
static bool hm_cmeter_test_mode(struct hm_cmeter *cm)
{
	if (cm->test_mode && cm->test_expires &&
	    ktime_after(ktime_get(), cm->test_expires))
		cm->test_mode = false;
	return cm->test_mode;
}

/**
 * hm_cdev_test_mode() - is the meter in test mode (entered by TEST_MODE)?
 * @m: meter
 * @expires: out: CLOCK_MONOTONIC ns when it ends by itself (0 = unknown)
 *
 * Return: true while in test mode.
 */
bool hm_cdev_test_mode(struct hm_meter *m, s64 *expires)
{
	struct hm_cmeter *cm = hm_cmeter_find(m);
	bool on = false;

	*expires = 0;
	if (!cm)
		return false;
	spin_lock_irq(&cm->lock);
	on = hm_cmeter_test_mode(cm);
	if (on)
		*expires = hm_ns(cm->test_expires);
	spin_unlock_irq(&cm->lock);
	hm_cmeter_put(cm);
	return on;
}

/* sysfs: test_mode of the meter (1 while in it, as far as the driver knows) */
static ssize_t test_mode_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	s64 expires;

	return sysfs_emit(buf, "%d\n",
			  hm_cdev_test_mode(container_of(dev, struct hm_meter,
							 dev), &expires));
}

struct device_attribute dev_attr_test_mode = __ATTR_RO(test_mode);

/**
 * hm_cdev_deliver() - give a reading to every open file of the meter
 * @cm: the meter's char device side
 * @rd: the reading; its seq is assigned here
 */
void hm_cdev_deliver(struct hm_cmeter *cm, struct heatmeter_reading *rd)
{
	struct hm_reader *r;
	unsigned long flags;

	spin_lock_irqsave(&cm->lock, flags);
	if (cm->dead) {
		spin_unlock_irqrestore(&cm->lock, flags);
		return;
	}
	if (hm_cmeter_test_mode(cm))
		rd->flags |= HEATMETER_RD_TEST_MODE;
	rd->seq = ++cm->seq;
	list_for_each_entry(r, &cm->readers, node)
		hm_ring_push(&r->ring, rd);
	spin_unlock_irqrestore(&cm->lock, flags);
	wake_up_interruptible(&cm->wait);
}

/**
 * hm_cdev_meter_reading() - a read of the meter completed (meter.c)
 * @m: meter
 * @t: its transaction
 * @err: 0 or why it failed
 * @rd: the decoded reading when @err is 0
 */
void hm_cdev_meter_reading(struct hm_meter *m, const struct hm_txn *t,
			   int err, const struct hm_reading *rd)
{
	struct heatmeter_reading *out;
	struct hm_cmeter *cm;

	cm = hm_cmeter_find(m);
	if (!cm)
		return;		/* nobody ever opened it */
	out = kmalloc(sizeof(*out), GFP_KERNEL);
	if (out) {
		hm_cdev_fill(out, t, err, rd,
			     READ_ONCE(m->highres) ? HEATMETER_RD_HIGHRES : 0);
		hm_cdev_deliver(cm, out);
		kfree(out);
	}
	hm_cmeter_put(cm);
}

static int hm_cdev_open(struct inode *inode, struct file *file)
{
	struct hm_cmeter *cm;
	struct hm_reader *r;
	struct device *dev;

	dev = class_find_device_by_devt(&hm_meter_class, inode->i_rdev);
	if (!dev)
		return -ENODEV;
	cm = hm_cmeter_get(container_of(dev, struct hm_meter, dev));
	put_device(dev);
	if (IS_ERR(cm))
		return PTR_ERR(cm);

	r = kvzalloc(sizeof(*r), GFP_KERNEL);
	if (!r) {
		hm_cmeter_put(cm);
		return -ENOMEM;
	}
	r->cm = cm;
	mutex_init(&r->mutex);
	hm_ring_init(&r->ring);
	spin_lock_irq(&cm->lock);
	if (cm->dead) {
		spin_unlock_irq(&cm->lock);
		kvfree(r);
		hm_cmeter_put(cm);
		return -ENODEV;
	}
	list_add_tail(&r->node, &cm->readers);
	spin_unlock_irq(&cm->lock);
	file->private_data = r;
	return stream_open(inode, file);
}

static int hm_cdev_release(struct inode *inode, struct file *file)
{
	struct hm_reader *r = file->private_data;
	struct hm_cmeter *cm = r->cm;

	hm_verify_release(r);
	spin_lock_irq(&cm->lock);
	list_del(&r->node);
	spin_unlock_irq(&cm->lock);
	mutex_destroy(&r->mutex);
	kvfree(r);
	hm_cmeter_put(cm);
	return 0;
}

/* the ring has something, or the meter is gone */
static bool hm_cdev_readable(struct hm_reader *r)
{
	struct hm_cmeter *cm = r->cm;
	bool ret;

	spin_lock_irq(&cm->lock);
	ret = cm->dead || !hm_ring_empty(&r->ring);
	spin_unlock_irq(&cm->lock);
	return ret;
}

static ssize_t hm_cdev_read(struct file *file, char __user *buf, size_t count,
			    loff_t *ppos)
{
	struct hm_reader *r = file->private_data;
	struct hm_cmeter *cm = r->cm;
	struct heatmeter_reading rd;
	size_t done = 0;
	bool got;
	int ret;

	if (count < sizeof(rd))
		return -EINVAL;
	for (;;) {
		spin_lock_irq(&cm->lock);
		if (cm->dead) {
			spin_unlock_irq(&cm->lock);
			return -ENODEV;
		}
		got = !hm_ring_empty(&r->ring);
		spin_unlock_irq(&cm->lock);
		if (got)
			break;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(cm->wait, hm_cdev_readable(r));
		if (ret)
			return ret;
	}
	while (count - done >= sizeof(rd)) {
		spin_lock_irq(&cm->lock);
		got = !cm->dead && hm_ring_pop(&r->ring, &rd);
		spin_unlock_irq(&cm->lock);
		if (!got)
			break;
		if (copy_to_user(buf + done, &rd, sizeof(rd)))
			return done ? done : -EFAULT;
		done += sizeof(rd);
	}
	return done ? done : -ENODEV;
}

static __poll_t hm_cdev_poll(struct file *file, poll_table *wait)
{
	struct hm_reader *r = file->private_data;
	struct hm_cmeter *cm = r->cm;
	__poll_t mask = 0;

	poll_wait(file, &cm->wait, wait);
	spin_lock_irq(&cm->lock);
	if (cm->dead)
		mask = EPOLLHUP | EPOLLERR;
	else if (!hm_ring_empty(&r->ring))
		mask = EPOLLIN | EPOLLRDNORM;
	spin_unlock_irq(&cm->lock);
	return mask;
}

/* HEATMETER_IOC_*: 0 = needs a readable fd, 1 = writable, 2 = + admin */
static int hm_ioctl_class(unsigned int cmd)
{
	switch (cmd) {
	case HEATMETER_IOC_GET_INFO:
	case HEATMETER_IOC_READ:
		return 0;
	case HEATMETER_IOC_TEST_MODE:
	case HEATMETER_IOC_START:
	case HEATMETER_IOC_STOP:
	case HEATMETER_IOC_SYNC:
	case HEATMETER_IOC_SIMULATED_FLOW:
		return 1;
	case HEATMETER_IOC_RAW:
		return 2;
	default:
		return -1;
	}
}

static long hm_cdev_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct hm_reader *r = file->private_data;
	void __user *up = (void __user *)arg;
	size_t size = _IOC_SIZE(cmd);
	int class = hm_ioctl_class(cmd);
	void *buf;
	u32 usize;
	long ret;

	if (class < 0)
		return -ENOTTY;
	if (class == 0 && !(file->f_mode & FMODE_READ))
		return -EBADF;
	if (class > 0 && !(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (class > 1 && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (READ_ONCE(r->cm->dead))
		return -ENODEV;

	/* every struct starts with its size as userspace knows it */
	if (get_user(usize, (u32 __user *)up))
		return -EFAULT;
	if (usize < size)
		return -EINVAL;
	buf = kzalloc(size, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	if ((_IOC_DIR(cmd) & _IOC_WRITE) && copy_from_user(buf, up, size)) {
		ret = -EFAULT;
		goto out;
	}
	*(u32 *)buf = size;
	ret = hm_verify_ioctl(r, cmd, buf);
	if (ret >= 0 && (_IOC_DIR(cmd) & _IOC_READ)) {
		*(u32 *)buf = size;
		if (copy_to_user(up, buf, size))
			ret = -EFAULT;
	}
out:
	kfree(buf);
	return ret;
}

static const struct file_operations hm_cdev_fops = {
	.owner		= THIS_MODULE,
	.open		= hm_cdev_open,
	.release	= hm_cdev_release,
	.read		= hm_cdev_read,
	.poll		= hm_cdev_poll,
	.unlocked_ioctl	= hm_cdev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

int hm_cdev_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&hm_cdev_base, 0, HM_CDEV_MINORS, "heatmeter");
	if (ret)
		return ret;
	cdev_init(&hm_cdev, &hm_cdev_fops);
	hm_cdev.owner = THIS_MODULE;
	ret = cdev_add(&hm_cdev, hm_cdev_base, HM_CDEV_MINORS);
	if (ret) {
		unregister_chrdev_region(hm_cdev_base, HM_CDEV_MINORS);
		hm_cdev_base = 0;
	}
	return ret;
}

void hm_cdev_exit(void)
{
	cdev_del(&hm_cdev);
	unregister_chrdev_region(hm_cdev_base, HM_CDEV_MINORS);
	hm_cdev_base = 0;
	xa_destroy(&hm_cmeters);
}
