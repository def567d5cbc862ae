// SPDX-License-Identifier: GPL-2.0
/*
 * hmbench - the guest's bare hrtimer wake-up latency, for make bench
 *
 * The bench arms this module's hrtimer for the same instants it gives the
 * driver's SYNC (HEATMETER_IOC_SYNC @at), so that the lateness of SYNC's
 * tx_start can be printed next to what a bare timer achieves in the same
 * run. The timer is armed as the driver's engine arms its own
 * (CLOCK_MONOTONIC, HRTIMER_MODE_ABS); its callback records
 * ktime_get() - instant, as the driver records tx_start - at.
 *
 * debugfs /sys/kernel/debug/hmbench/:
 *   arm   (w) an instant, CLOCK_MONOTONIC ns (decimal): arm the timer
 *   late  (r) one lateness in ns per fired instant, oldest first;
 *             (w) anything: forget them
 * Never load it on a production system.
 */
#include <linux/debugfs.h>
#include <linux/hrtimer.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#define HMB_MAX	4096

static struct hrtimer hmb_timer;
static DEFINE_SPINLOCK(hmb_lock);
static s64 hmb_late[HMB_MAX];
static unsigned int hmb_n;
static struct dentry *hmb_dir;

static enum hrtimer_restart hmb_fire(struct hrtimer *t)
{
	s64 late = ktime_to_ns(ktime_sub(ktime_get(), hrtimer_get_expires(t)));
	unsigned long flags;

	spin_lock_irqsave(&hmb_lock, flags);
	if (hmb_n < HMB_MAX)
		hmb_late[hmb_n++] = late;
	spin_unlock_irqrestore(&hmb_lock, flags);
	return HRTIMER_NORESTART;
}

static ssize_t hmb_arm_write(struct file *f, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	s64 at;
	int ret;

	ret = kstrtos64_from_user(ubuf, len, 10, &at);
	if (ret)
		return ret;
	hrtimer_start(&hmb_timer, ns_to_ktime(at), HRTIMER_MODE_ABS);
	return len;
}

static const struct file_operations hmb_arm_fops = {
	.owner = THIS_MODULE,
	.write = hmb_arm_write,
	.llseek = noop_llseek,
};

static int hmb_late_show(struct seq_file *s, void *unused)
{
	unsigned int i, n;

	spin_lock_irq(&hmb_lock);
	n = hmb_n;
	spin_unlock_irq(&hmb_lock);
	for (i = 0; i < n; i++)
		seq_printf(s, "%lld\n", hmb_late[i]);
	return 0;
}

static int hmb_late_open(struct inode *inode, struct file *file)
{
	return single_open_size(file, hmb_late_show, NULL, HMB_MAX * 24);
}

static ssize_t hmb_late_write(struct file *f, const char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	spin_lock_irq(&hmb_lock);
	hmb_n = 0;
	spin_unlock_irq(&hmb_lock);
	return len;
}

static const struct file_operations hmb_late_fops = {
	.owner = THIS_MODULE,
	.open = hmb_late_open,
	.read = seq_read,
	.write = hmb_late_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static int __init hmb_init(void)
{
	hrtimer_init(&hmb_timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	hmb_timer.function = hmb_fire;
	hmb_dir = debugfs_create_dir("hmbench", NULL);
	debugfs_create_file("arm", 0200, hmb_dir, NULL, &hmb_arm_fops);
	debugfs_create_file("late", 0600, hmb_dir, NULL, &hmb_late_fops);
	return 0;
}

static void __exit hmb_exit(void)
{
	debugfs_remove_recursive(hmb_dir);
	hrtimer_cancel(&hmb_timer);
}

module_init(hmb_init);
module_exit(hmb_exit);
MODULE_DESCRIPTION("heatmeter bench: bare hrtimer wake-up latency (test only)");
MODULE_LICENSE("GPL");
