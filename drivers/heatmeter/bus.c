// SPDX-License-Identifier: GPL-2.0
/*
 * heatmeter: one bus per attached tty.
 *
 * The bus is a device of class heatmeter_bus (hmbusN) whose attributes show
 * the line's statistics. A debugfs directory per bus holds a line monitor:
 * "monitor" reads the most recently received bytes as hex, "tx" writes raw
 * bytes (hex text) onto the line. The debugfs files are a debugging aid,
 * not ABI.
 */
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/idr.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "heatmeter.h"

#define HM_TX_MAX	512	/* bytes one debugfs tx write may send */

static DEFINE_IDA(hm_bus_ida);
static struct dentry *hm_debugfs_root;

static struct hm_bus *to_hm_bus(struct device *dev)
{
	return container_of(dev, struct hm_bus, dev);
}

struct hm_stat_attr {
	struct device_attribute attr;
	enum hm_bus_stat idx;
};

static ssize_t hm_stat_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct hm_stat_attr *sa = container_of(attr, struct hm_stat_attr, attr);
	struct hm_bus *bus = to_hm_bus(dev);
	u64 val;

	spin_lock_irq(&bus->lock);
	val = bus->stats[sa->idx];
	spin_unlock_irq(&bus->lock);
	return sysfs_emit(buf, "%llu\n", val);
}

#define HM_STAT_ATTR(_name, _idx)					\
	static struct hm_stat_attr hm_stat_##_name = {			\
		.attr = __ATTR(_name, 0444, hm_stat_show, NULL),	\
		.idx = (_idx),						\
	}

HM_STAT_ATTR(rx_bytes, HM_STAT_RX_BYTES);
HM_STAT_ATTR(tx_bytes, HM_STAT_TX_BYTES);
HM_STAT_ATTR(parity_errors, HM_STAT_PARITY_ERRORS);
HM_STAT_ATTR(framing_errors, HM_STAT_FRAMING_ERRORS);
HM_STAT_ATTR(overruns, HM_STAT_OVERRUNS);
HM_STAT_ATTR(breaks, HM_STAT_BREAKS);

static struct attribute *hm_bus_stats_attrs[] = {
	&hm_stat_rx_bytes.attr.attr,
	&hm_stat_tx_bytes.attr.attr,
	&hm_stat_parity_errors.attr.attr,
	&hm_stat_framing_errors.attr.attr,
	&hm_stat_overruns.attr.attr,
	&hm_stat_breaks.attr.attr,
	NULL
};

static const struct attribute_group hm_bus_stats_group = {
	.name = "stats",
	.attrs = hm_bus_stats_attrs,
};

static ssize_t tty_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	struct hm_bus *bus = to_hm_bus(dev);
	char name[64] = "";

	spin_lock_irq(&bus->lock);
	if (bus->tty)
		strscpy(name, tty_name(bus->tty), sizeof(name));
	spin_unlock_irq(&bus->lock);
	if (!name[0])
		return -ENODEV;
	return sysfs_emit(buf, "%s\n", name);
}
static DEVICE_ATTR_RO(tty);

static struct attribute *hm_bus_attrs[] = {
	&dev_attr_tty.attr,
	NULL
};

static const struct attribute_group hm_bus_group = {
	.attrs = hm_bus_attrs,
};

static const struct attribute_group *hm_bus_groups[] = {
	&hm_bus_group,
	&hm_bus_stats_group,
	NULL
};

struct class hm_bus_class = {
	.name = "heatmeter_bus",
	.dev_groups = hm_bus_groups,
};

static void hm_bus_release(struct device *dev)
{
	struct hm_bus *bus = to_hm_bus(dev);

	ida_free(&hm_bus_ida, bus->id);
	kfree(bus);
}

void hm_bus_receive(struct hm_bus *bus, const u8 *cp, const hm_flag_t *fp,
		    size_t count)
{
	unsigned long flags;
	size_t i;

	spin_lock_irqsave(&bus->lock, flags);
	bus->stats[HM_STAT_RX_BYTES] += count;
	for (i = 0; i < count; i++) {
		u8 flag = fp ? (u8)fp[i] : TTY_NORMAL;

		switch (flag) {
		case TTY_PARITY:
			bus->stats[HM_STAT_PARITY_ERRORS]++;
			break;
		case TTY_FRAME:
			bus->stats[HM_STAT_FRAMING_ERRORS]++;
			break;
		case TTY_OVERRUN:
			bus->stats[HM_STAT_OVERRUNS]++;
			break;
		case TTY_BREAK:
			bus->stats[HM_STAT_BREAKS]++;
			break;
		}
		bus->mon[bus->mon_head++ % HM_MON_SIZE] = cp[i];
	}
	spin_unlock_irqrestore(&bus->lock, flags);
}

/**
 * hm_bus_write() - write bytes onto the line
 * @bus: the bus
 * @buf: bytes
 * @len: number of bytes
 *
 * Hands as many bytes to the tty driver as it takes now.
 *
 * Return: the number of bytes taken, or -ENODEV once the tty is gone.
 */
ssize_t hm_bus_write(struct hm_bus *bus, const u8 *buf, size_t len)
{
	ssize_t ret;

	mutex_lock(&bus->tx_lock);
	if (!bus->tty) {
		mutex_unlock(&bus->tx_lock);
		return -ENODEV;
	}
	ret = bus->tty->ops->write(bus->tty, buf, len);
	if (ret > 0) {
		spin_lock_irq(&bus->lock);
		bus->stats[HM_STAT_TX_BYTES] += ret;
		spin_unlock_irq(&bus->lock);
	}
	mutex_unlock(&bus->tx_lock);
	return ret;
}

static ssize_t hm_mon_read(struct file *file, char __user *ubuf, size_t len,
			   loff_t *ppos)
{
	struct hm_bus *bus = file->private_data;
	size_t n, i, pos = 0;
	u64 head, start;
	char *text;
	ssize_t ret;

	text = kmalloc(HM_MON_SIZE * 3 + 2, GFP_KERNEL);
	if (!text)
		return -ENOMEM;

	spin_lock_irq(&bus->lock);
	head = bus->mon_head;
	n = min_t(u64, head, HM_MON_SIZE);
	start = head - n;
	for (i = 0; i < n; i++)
		pos += scnprintf(text + pos, HM_MON_SIZE * 3 + 2 - pos, "%02x ",
				 bus->mon[(start + i) % HM_MON_SIZE]);
	spin_unlock_irq(&bus->lock);
	if (pos)
		text[pos - 1] = '\n';

	ret = simple_read_from_buffer(ubuf, len, ppos, text, pos);
	kfree(text);
	return ret;
}

static ssize_t hm_tx_write(struct file *file, const char __user *ubuf,
			   size_t len, loff_t *ppos)
{
	struct hm_bus *bus = file->private_data;
	size_t n = 0, i = 0, done = 0;
	char *text;
	u8 *bytes;
	ssize_t ret;

	if (len > HM_TX_MAX * 3)
		return -EINVAL;
	text = memdup_user_nul(ubuf, len);
	if (IS_ERR(text))
		return PTR_ERR(text);
	bytes = kmalloc(HM_TX_MAX, GFP_KERNEL);
	if (!bytes) {
		ret = -ENOMEM;
		goto out;
	}

	while (text[i]) {
		if (isspace(text[i])) {
			i++;
			continue;
		}
		if (n == HM_TX_MAX || hex2bin(&bytes[n], &text[i], 1)) {
			ret = -EINVAL;
			goto out;
		}
		n++;
		i += 2;
	}

	while (done < n) {
		ret = hm_bus_write(bus, bytes + done, n - done);
		if (ret < 0)
			goto out;
		if (ret == 0) {
			/* tty buffer full: the monitor is not a flow controller */
			ret = -EAGAIN;
			goto out;
		}
		done += ret;
	}
	ret = len;
out:
	kfree(bytes);
	kfree(text);
	return ret;
}

static const struct file_operations hm_mon_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = hm_mon_read,
	.llseek = default_llseek,
};

static const struct file_operations hm_tx_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = hm_tx_write,
	.llseek = noop_llseek,
};

/**
 * hm_bus_create() - create the bus of a tty
 * @tty: the tty the line discipline was attached to
 *
 * Return: the bus, or an ERR_PTR.
 */
struct hm_bus *hm_bus_create(struct tty_struct *tty)
{
	struct hm_bus *bus;
	int ret;

	bus = kzalloc(sizeof(*bus), GFP_KERNEL);
	if (!bus)
		return ERR_PTR(-ENOMEM);

	ret = ida_alloc(&hm_bus_ida, GFP_KERNEL);
	if (ret < 0) {
		kfree(bus);
		return ERR_PTR(ret);
	}
	bus->id = ret;
	bus->tty = tty;
	spin_lock_init(&bus->lock);
	mutex_init(&bus->tx_lock);

	device_initialize(&bus->dev);
	bus->dev.class = &hm_bus_class;
	bus->dev.parent = tty->dev;
	bus->dev.release = hm_bus_release;
	dev_set_drvdata(&bus->dev, bus);
	ret = dev_set_name(&bus->dev, "hmbus%d", bus->id);
	if (!ret)
		ret = device_add(&bus->dev);
	if (ret) {
		put_device(&bus->dev);
		return ERR_PTR(ret);
	}

	bus->debugfs = debugfs_create_dir(dev_name(&bus->dev), hm_debugfs_root);
	debugfs_create_file("monitor", 0400, bus->debugfs, bus, &hm_mon_fops);
	debugfs_create_file("tx", 0200, bus->debugfs, bus, &hm_tx_fops);
	return bus;
}

/**
 * hm_bus_destroy() - tear down a bus when its tty goes away
 * @bus: the bus
 *
 * Waits for debugfs users, detaches the tty and drops the device.
 */
void hm_bus_destroy(struct hm_bus *bus)
{
	debugfs_remove_recursive(bus->debugfs);

	mutex_lock(&bus->tx_lock);
	spin_lock_irq(&bus->lock);
	bus->tty = NULL;
	spin_unlock_irq(&bus->lock);
	mutex_unlock(&bus->tx_lock);

	device_del(&bus->dev);
	put_device(&bus->dev);
}

int hm_bus_class_init(void)
{
	int ret;

	ret = class_register(&hm_bus_class);
	if (ret)
		return ret;
	hm_debugfs_root = debugfs_create_dir("heatmeter", NULL);
	return 0;
}

void hm_bus_class_exit(void)
{
	debugfs_remove_recursive(hm_debugfs_root);
	class_unregister(&hm_bus_class);
	ida_destroy(&hm_bus_ida);
}
