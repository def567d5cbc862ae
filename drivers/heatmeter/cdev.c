// SPDX-License-Identifier: GPL-2.0
/*
 * heatmeter: /dev/heatmeterN, one per meter.
 *
 * The lifetime model of drivers/gnss/core.c: each meter's char device is
 * its own cdev, added with cdev_device_add() on the meter's device, so an
 * open file holds the meter (not the other way round). read(), poll() and
 * the ioctls check the meter's @disconnected flag under its rw_semaphore
 * held for reading; removal takes it for writing, after the meter has
 * cancelled every transaction it or its files queued, and wakes every
 * sleeper: from then on everything returns -ENODEV.
 *
 * The meter publishes each completed reading through the hook this file
 * registers (hm_cdev_publish()): it goes into the ring of each open file;
 * read() returns them as struct heatmeter_reading. A slow reader loses its
 * oldest readings and reads a HEATMETER_RD_DROPPED marker with their count;
 * the bus never waits.
 */
#include <linux/cdev.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "heatmeter.h"
#include "cdev.h"

static dev_t hm_cdev_base;

static struct hm_cmeter *to_cm(struct hm_meter *m)
{
	return &m->cm;
}

/* the meter's hook: give a reading to every open file */
static void hm_cdev_publish(struct hm_meter *m,
			    const struct heatmeter_reading *rd)
{
	struct hm_cmeter *cm = to_cm(m);
	struct hm_reader *r;

	spin_lock(&cm->lock);
	list_for_each_entry(r, &cm->readers, node)
		hm_ring_push(&r->ring, rd);
	spin_unlock(&cm->lock);
	wake_up_interruptible(&cm->wait);
}

/**
 * hm_cdev_add() - add the meter's device together with /dev/heatmeterN
 * @m: the meter
 *
 * Return: 0 or -errno (device_add() or cdev_add()).
 */
int hm_cdev_add(struct hm_meter *m)
{
	if (!m->dev.devt)
		return device_add(&m->dev);	/* beyond HM_CDEV_MINORS */
	return cdev_device_add(&m->cm.cdev, &m->dev);
}

/**
 * hm_cdev_disconnect() - the meter is going away
 * @m: the meter, marked dead, its transactions cancelled
 *
 * Waits for the read(), poll() and ioctl() calls in progress to leave
 * (they are woken: their transactions are complete), then makes every
 * further call return -ENODEV and wakes readers and pollers.
 */
void hm_cdev_disconnect(struct hm_meter *m)
{
	struct hm_cmeter *cm = to_cm(m);

	down_write(&cm->rwsem);
	cm->disconnected = true;
	up_write(&cm->rwsem);
	wake_up_interruptible_all(&cm->wait);
}

/**
 * hm_cdev_del() - remove the meter's device and /dev/heatmeterN
 * @m: the meter, disconnected
 */
void hm_cdev_del(struct hm_meter *m)
{
	if (!m->dev.devt)
		device_del(&m->dev);
	else
		cdev_device_del(&m->cm.cdev, &m->dev);
}

static int hm_cdev_open(struct inode *inode, struct file *file)
{
	struct hm_meter *m = container_of(inode->i_cdev, struct hm_meter,
					  cm.cdev);
	struct hm_cmeter *cm = to_cm(m);
	struct hm_reader *r;
	int ret = 0;

	r = kvzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	get_device(&m->dev);
	r->m = m;
	mutex_init(&r->read_mutex);
	mutex_init(&r->mutex);
	atomic_set(&r->busy, 0);
	hm_ring_init(&r->ring);

	down_read(&cm->rwsem);
	if (cm->disconnected) {
		ret = -ENODEV;
	} else {
		spin_lock(&cm->lock);
		list_add_tail(&r->node, &cm->readers);
		spin_unlock(&cm->lock);
	}
	up_read(&cm->rwsem);
	if (ret) {
		put_device(&m->dev);
		kvfree(r);
		return ret;
	}
	file->private_data = r;
	return stream_open(inode, file);
}

static int hm_cdev_release(struct inode *inode, struct file *file)
{
	struct hm_reader *r = file->private_data;
	struct hm_cmeter *cm = to_cm(r->m);

	hm_verify_release(r);
	spin_lock(&cm->lock);
	list_del(&r->node);
	spin_unlock(&cm->lock);
	put_device(&r->m->dev);
	mutex_destroy(&r->mutex);
	mutex_destroy(&r->read_mutex);
	kvfree(r);
	return 0;
}

/* the ring has something, or the meter is gone */
static bool hm_cdev_readable(struct hm_reader *r)
{
	struct hm_cmeter *cm = to_cm(r->m);
	bool ret;

	spin_lock(&cm->lock);
	ret = READ_ONCE(cm->disconnected) || !hm_ring_empty(&r->ring);
	spin_unlock(&cm->lock);
	return ret;
}

/*
 * Copy what the ring holds, a record at a time: each is committed only
 * once the reader has it. r->read_mutex and cm->rwsem (read) held.
 * Return: bytes copied, or -EFAULT / -ENODEV when none was.
 */
static ssize_t hm_cdev_copy(struct hm_reader *r, char __user *buf,
			    size_t count)
{
	struct hm_cmeter *cm = to_cm(r->m);
	struct heatmeter_reading rd;
	size_t done = 0;
	bool got;
	u32 pos;

	while (count - done >= sizeof(rd)) {
		spin_lock(&cm->lock);
		got = hm_ring_peek(&r->ring, &rd, &pos);
		spin_unlock(&cm->lock);
		if (!got)
			break;
		if (copy_to_user(buf + done, &rd, sizeof(rd)))
			return done ? done : -EFAULT;
		spin_lock(&cm->lock);
		hm_ring_commit(&r->ring, &rd, pos);
		spin_unlock(&cm->lock);
		done += sizeof(rd);
	}
	return done;
}

static ssize_t hm_cdev_read(struct file *file, char __user *buf, size_t count,
			    loff_t *ppos)
{
	struct hm_reader *r = file->private_data;
	struct hm_cmeter *cm = to_cm(r->m);
	ssize_t ret;

	if (count < sizeof(struct heatmeter_reading))
		return -EINVAL;
	for (;;) {
		if (mutex_lock_interruptible(&r->read_mutex))
			return -ERESTARTSYS;
		down_read(&cm->rwsem);
		ret = cm->disconnected ? -ENODEV : hm_cdev_copy(r, buf, count);
		up_read(&cm->rwsem);
		mutex_unlock(&r->read_mutex);
		/* empty (another reader of this file may have taken it) */
		if (ret)
			return ret;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event_interruptible(cm->wait, hm_cdev_readable(r)))
			return -ERESTARTSYS;
	}
}

static __poll_t hm_cdev_poll(struct file *file, poll_table *wait)
{
	struct hm_reader *r = file->private_data;
	struct hm_cmeter *cm = to_cm(r->m);
	__poll_t mask = 0;

	poll_wait(file, &cm->wait, wait);
	spin_lock(&cm->lock);
	if (READ_ONCE(cm->disconnected))
		mask = EPOLLHUP | EPOLLERR;
	else if (!hm_ring_empty(&r->ring))
		mask = EPOLLIN | EPOLLRDNORM;
	spin_unlock(&cm->lock);
	return mask;
}

/* HEATMETER_IOC_*: 0 = needs a readable fd, 1 = writable, 2 = + admin */
static int hm_ioctl_class(unsigned int cmd)
{
	switch (cmd) {
	case HEATMETER_IOC_GET_INFO:
	case HEATMETER_IOC_READ:
	case HEATMETER_IOC_READ_STORAGE:
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

/*
 * Every field the kernel writes starts out zero: nothing of the caller's
 * bytes comes back as if the kernel had written it.
 */
static void hm_ioctl_clear_out(unsigned int cmd, void *buf)
{
	switch (cmd) {
	case HEATMETER_IOC_READ:
		memset(buf, 0, sizeof(struct heatmeter_reading));
		break;
	case HEATMETER_IOC_READ_STORAGE: {
		struct heatmeter_storage_read *sr = buf;

		memset(&sr->reading, 0, sizeof(sr->reading));
		break;
	}
	case HEATMETER_IOC_TEST_MODE:
		((struct heatmeter_test_mode *)buf)->expires = 0;
		break;
	case HEATMETER_IOC_START:
	case HEATMETER_IOC_STOP: {
		struct heatmeter_snapshot *s = buf;

		memset(&s->start, 0, sizeof(s->start));
		memset(&s->stop, 0, sizeof(s->stop));
		s->d_energy = 0;
		s->d_volume = 0;
		s->d_time = 0;
		s->valid = 0;
		break;
	}
	case HEATMETER_IOC_SYNC: {
		struct heatmeter_sync *s = buf;

		s->late = 0;
		memset(&s->reading, 0, sizeof(s->reading));
		break;
	}
	case HEATMETER_IOC_RAW: {
		struct heatmeter_raw *raw = buf;

		raw->reply_control = 0;
		raw->reply_ci = 0;
		raw->reply_len = 0;
		memset(raw->reply, 0, sizeof(raw->reply));
		break;
	}
	default:
		break;
	}
}

static long hm_cdev_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct hm_reader *r = file->private_data;
	struct hm_cmeter *cm = to_cm(r->m);
	void __user *up = (void __user *)arg;
	size_t size = _IOC_SIZE(cmd);
	int class = hm_ioctl_class(cmd);
	bool bus = cmd != HEATMETER_IOC_GET_INFO;
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

	/*
	 * The struct's size is part of the ioctl number; its size field
	 * must say the same (a check that userspace and kernel agree).
	 */
	if (get_user(usize, (u32 __user *)up))
		return -EFAULT;
	if (usize != size)
		return -EINVAL;
	buf = kzalloc(size, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	if ((_IOC_DIR(cmd) & _IOC_WRITE) && copy_from_user(buf, up, size)) {
		ret = -EFAULT;
		goto out;
	}
	hm_ioctl_clear_out(cmd, buf);
	*(u32 *)buf = size;

	/* a bounded number of bus operations per open file */
	if (bus && atomic_inc_return(&r->busy) > HM_FILE_OPS_MAX) {
		atomic_dec(&r->busy);
		ret = -EBUSY;
		goto out;
	}
	down_read(&cm->rwsem);
	ret = cm->disconnected ? -ENODEV : hm_verify_ioctl(r, cmd, buf);
	up_read(&cm->rwsem);
	if (bus)
		atomic_dec(&r->busy);
	if (ret >= 0 && (_IOC_DIR(cmd) & _IOC_READ) &&
	    copy_to_user(up, buf, size))
		ret = -EFAULT;
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

/**
 * hm_cdev_setup() - initialize a new meter's char device side
 * @m: the meter (device initialized, not yet added)
 */
void hm_cdev_setup(struct hm_meter *m)
{
	struct hm_cmeter *cm = to_cm(m);

	cdev_init(&cm->cdev, &hm_cdev_fops);
	cm->cdev.owner = THIS_MODULE;
	init_rwsem(&cm->rwsem);
	spin_lock_init(&cm->lock);
	INIT_LIST_HEAD(&cm->readers);
	init_waitqueue_head(&cm->wait);
	m->publish = hm_cdev_publish;
	if (hm_cdev_base && m->id < HM_CDEV_MINORS)
		m->dev.devt = MKDEV(MAJOR(hm_cdev_base), m->id);
}

int hm_cdev_init(void)
{
	return alloc_chrdev_region(&hm_cdev_base, 0, HM_CDEV_MINORS, "heatmeter");
}

void hm_cdev_exit(void)
{
	unregister_chrdev_region(hm_cdev_base, HM_CDEV_MINORS);
	hm_cdev_base = 0;
}
