// SPDX-License-Identifier: GPL-2.0
/*
 * heatmeter: one bus per attached tty.
 *
 * The bus is a device of class heatmeter_bus (hmbusN): its attributes set
 * the line's timing (response timeout, tries, line idle, echo suppression,
 * polling), start discovery, add and remove meters, and show statistics
 * (stats/). The meters found on it are its children (class heatmeter).
 *
 * A debugfs directory per bus holds a line monitor: "monitor" reads the
 * most recently received bytes as hex, "tx" sends raw bytes (hex text) as
 * a transaction without reply, queued with the meters' requests. The
 * debugfs files are a debugging aid, not ABI.
 *
 * Teardown (hm_bus_kill(), on hangup or close): mark the bus dead, kill
 * the engine (wakes a sleeping send, cancels the hrtimer and the work,
 * completes every transaction with -ENODEV so sleeping readers return),
 * cancel scan, poll and tx works, remove the meters, forget the tty.
 */
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/idr.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "heatmeter.h"
#include "hm_err.h"

#define HM_TX_MAX	HM_TXN_REQ_MAX	/* bytes one debugfs tx write may send */
#define HM_POLL_MIN_MS	100

static DEFINE_IDA(hm_bus_ida);
struct workqueue_struct *hm_scan_wq;
static struct dentry *hm_debugfs_root;

static struct hm_bus *to_hm_bus(struct device *dev)
{
	return container_of(dev, struct hm_bus, dev);
}

/* statistics: engine counters and the framer's */
enum hm_bus_stat {
	HM_BS_RX_BYTES,
	HM_BS_TX_BYTES,
	HM_BS_FRAMES,
	HM_BS_CHECKSUM,
	HM_BS_PARITY,
	HM_BS_FRAMING,
	HM_BS_OVERRUNS,
	HM_BS_BREAKS,
	HM_BS_GARBAGE,
	HM_BS_TRUNCATED,
	HM_BS_BAD_FRAMES,
	HM_BS_TIMEOUTS,
	HM_BS_RETRIES,
	HM_BS_COLLISIONS,
	HM_BS_ECHOES,
	HM_BS_UNSOLICITED,
	HM_BS_LATE,
	HM_BS_GLITCHES,
	HM_BS_TRANSACTIONS,
};

static u64 hm_bus_stat(struct hm_bus *bus, unsigned int idx)
{
	struct hm_engine_stats st;
	const struct hm_framer_stats *f = &st.fr;

	hm_engine_get_stats(&bus->engine, &st);
	switch (idx) {
	case HM_BS_RX_BYTES:
		return st.eng[HM_ES_RX_BYTES];
	case HM_BS_TX_BYTES:
		return st.eng[HM_ES_TX_BYTES];
	case HM_BS_FRAMES:
		return (u64)f->frames_cjt188 + f->frames_mbus_ack +
		       f->frames_mbus_short + f->frames_mbus_long;
	case HM_BS_CHECKSUM:
		return f->checksum_errors;
	case HM_BS_PARITY:
		return f->parity_errors;
	case HM_BS_FRAMING:
		return f->framing_errors;
	case HM_BS_OVERRUNS:
		return f->overrun_errors;
	case HM_BS_BREAKS:
		return f->break_errors;
	case HM_BS_GARBAGE:
		return f->garbage_bytes;
	case HM_BS_TRUNCATED:
		return f->truncated;
	case HM_BS_BAD_FRAMES:
		return f->bad_frames;
	case HM_BS_TIMEOUTS:
		return st.eng[HM_ES_TIMEOUTS];
	case HM_BS_RETRIES:
		return st.eng[HM_ES_RETRIES];
	case HM_BS_COLLISIONS:
		return st.eng[HM_ES_COLLISIONS];
	case HM_BS_ECHOES:
		return st.eng[HM_ES_ECHOES];
	case HM_BS_UNSOLICITED:
		return st.eng[HM_ES_UNSOLICITED];
	case HM_BS_LATE:
		return st.eng[HM_ES_LATE];
	case HM_BS_GLITCHES:
		return st.eng[HM_ES_GLITCHES];
	default:
		return st.eng[HM_ES_TRANSACTIONS];
	}
}

struct hm_stat_attr {
	struct device_attribute attr;
	unsigned int idx;
};

static ssize_t hm_stat_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct hm_stat_attr *sa = container_of(attr, struct hm_stat_attr, attr);

	return sysfs_emit(buf, "%llu\n", hm_bus_stat(to_hm_bus(dev), sa->idx));
}

#define HM_STAT_ATTR(_name, _idx)					\
	static struct hm_stat_attr hm_stat_##_name = {			\
		.attr = __ATTR(_name, 0444, hm_stat_show, NULL),	\
		.idx = (_idx),						\
	}

HM_STAT_ATTR(rx_bytes, HM_BS_RX_BYTES);
HM_STAT_ATTR(tx_bytes, HM_BS_TX_BYTES);
HM_STAT_ATTR(frames, HM_BS_FRAMES);
HM_STAT_ATTR(checksum_errors, HM_BS_CHECKSUM);
HM_STAT_ATTR(parity_errors, HM_BS_PARITY);
HM_STAT_ATTR(framing_errors, HM_BS_FRAMING);
HM_STAT_ATTR(overruns, HM_BS_OVERRUNS);
HM_STAT_ATTR(breaks, HM_BS_BREAKS);
HM_STAT_ATTR(garbage_bytes, HM_BS_GARBAGE);
HM_STAT_ATTR(truncated, HM_BS_TRUNCATED);
HM_STAT_ATTR(bad_frames, HM_BS_BAD_FRAMES);
HM_STAT_ATTR(timeouts, HM_BS_TIMEOUTS);
HM_STAT_ATTR(retries, HM_BS_RETRIES);
HM_STAT_ATTR(collisions, HM_BS_COLLISIONS);
HM_STAT_ATTR(echoes, HM_BS_ECHOES);
HM_STAT_ATTR(unsolicited, HM_BS_UNSOLICITED);
HM_STAT_ATTR(late_replies, HM_BS_LATE);
HM_STAT_ATTR(glitches, HM_BS_GLITCHES);
HM_STAT_ATTR(transactions, HM_BS_TRANSACTIONS);

static struct attribute *hm_bus_stats_attrs[] = {
	&hm_stat_rx_bytes.attr.attr,
	&hm_stat_tx_bytes.attr.attr,
	&hm_stat_frames.attr.attr,
	&hm_stat_checksum_errors.attr.attr,
	&hm_stat_parity_errors.attr.attr,
	&hm_stat_framing_errors.attr.attr,
	&hm_stat_overruns.attr.attr,
	&hm_stat_breaks.attr.attr,
	&hm_stat_garbage_bytes.attr.attr,
	&hm_stat_truncated.attr.attr,
	&hm_stat_bad_frames.attr.attr,
	&hm_stat_timeouts.attr.attr,
	&hm_stat_retries.attr.attr,
	&hm_stat_collisions.attr.attr,
	&hm_stat_echoes.attr.attr,
	&hm_stat_unsolicited.attr.attr,
	&hm_stat_late_replies.attr.attr,
	&hm_stat_glitches.attr.attr,
	&hm_stat_transactions.attr.attr,
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

	spin_lock(&bus->lock);
	if (bus->tty)
		strscpy(name, tty_name(bus->tty), sizeof(name));
	spin_unlock(&bus->lock);
	if (!name[0])
		return -ENODEV;
	return sysfs_emit(buf, "%s\n", name);
}
static DEVICE_ATTR_RO(tty);

static const char * const hm_proto_names[] = {
	[HM_PROTO_NONE] = "none",
	[HM_PROTO_CJT188] = "cjt188",
	[HM_PROTO_MBUS] = "mbus",
};

static ssize_t protocol_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct hm_bus *bus = to_hm_bus(dev);

	return sysfs_emit(buf, "%s\n", hm_proto_names[READ_ONCE(bus->protocol)]);
}

static ssize_t protocol_store(struct device *dev, struct device_attribute *attr,
			      const char *buf, size_t count)
{
	struct hm_bus *bus = to_hm_bus(dev);

	if (sysfs_streq(buf, "cjt188"))
		WRITE_ONCE(bus->protocol, HM_PROTO_CJT188);
	else if (sysfs_streq(buf, "mbus"))
		WRITE_ONCE(bus->protocol, HM_PROTO_MBUS);
	else
		return -EINVAL;
	return count;
}
static DEVICE_ATTR_RW(protocol);

static ssize_t baud_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct hm_engine *e = &to_hm_bus(dev)->engine;

	return sysfs_emit(buf, "%u\n", READ_ONCE(e->baud));
}
static DEVICE_ATTR_RO(baud);

/*
 * hm_engine_store_u32() - set an engine setting from a sysfs write: a u32
 * in 0..@max (else -ERANGE), stored as value + @add under the engine lock
 */
static ssize_t hm_engine_store_u32(struct hm_engine *e, const char *buf,
				   size_t count, u32 max, u32 add, u32 *field)
{
	u32 v;
	int ret;

	ret = kstrtou32(buf, 0, &v);
	if (ret)
		return ret;
	if (v > max)
		return -ERANGE;
	spin_lock_irq(&e->lock);
	*field = v + add;
	spin_unlock_irq(&e->lock);
	return count;
}

static ssize_t response_timeout_ms_show(struct device *dev,
					struct device_attribute *attr, char *buf)
{
	struct hm_bus *bus = to_hm_bus(dev);
	u8 expect = READ_ONCE(bus->protocol) == HM_PROTO_MBUS ?
		    HM_EXPECT_MBUS_RSP : HM_EXPECT_CJT188;

	return sysfs_emit(buf, "%u\n", hm_engine_timeout_ms(&bus->engine, expect));
}

static ssize_t response_timeout_ms_store(struct device *dev,
					 struct device_attribute *attr,
					 const char *buf, size_t count)
{
	struct hm_engine *e = &to_hm_bus(dev)->engine;

	return hm_engine_store_u32(e, buf, count, 60000, 0, &e->timeout_ms);
}
static DEVICE_ATTR_RW(response_timeout_ms);

static ssize_t retries_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct hm_engine *e = &to_hm_bus(dev)->engine;

	return sysfs_emit(buf, "%u\n", READ_ONCE(e->tries) - 1);
}

static ssize_t retries_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	struct hm_engine *e = &to_hm_bus(dev)->engine;

	/* retries = tries - 1 */
	return hm_engine_store_u32(e, buf, count, HM_MAX_TRIES - 1, 1,
				   &e->tries);
}
static DEVICE_ATTR_RW(retries);

static ssize_t line_idle_ms_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct hm_bus *bus = to_hm_bus(dev);
	u8 expect = READ_ONCE(bus->protocol) == HM_PROTO_MBUS ?
		    HM_EXPECT_MBUS_RSP : HM_EXPECT_CJT188;

	return sysfs_emit(buf, "%u\n", hm_engine_idle_ms(&bus->engine, expect));
}

/* "auto" (default): the protocol's idle; or 0..10000 ms for both */
static ssize_t line_idle_ms_store(struct device *dev,
				  struct device_attribute *attr,
				  const char *buf, size_t count)
{
	struct hm_engine *e = &to_hm_bus(dev)->engine;

	if (sysfs_streq(buf, "auto")) {
		spin_lock_irq(&e->lock);
		e->idle_ms = HM_IDLE_AUTO;
		spin_unlock_irq(&e->lock);
		return count;
	}
	return hm_engine_store_u32(e, buf, count, 10000, 0, &e->idle_ms);
}
static DEVICE_ATTR_RW(line_idle_ms);

static ssize_t adapter_latency_ms_show(struct device *dev,
				       struct device_attribute *attr, char *buf)
{
	struct hm_engine *e = &to_hm_bus(dev)->engine;

	return sysfs_emit(buf, "%u\n", READ_ONCE(e->latency_ms));
}

static ssize_t adapter_latency_ms_store(struct device *dev,
					struct device_attribute *attr,
					const char *buf, size_t count)
{
	struct hm_engine *e = &to_hm_bus(dev)->engine;

	return hm_engine_store_u32(e, buf, count, 2000, 0, &e->latency_ms);
}
static DEVICE_ATTR_RW(adapter_latency_ms);

static ssize_t echo_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct hm_engine *e = &to_hm_bus(dev)->engine;

	return sysfs_emit(buf, "%d\n", READ_ONCE(e->echo));
}

static ssize_t echo_store(struct device *dev, struct device_attribute *attr,
			  const char *buf, size_t count)
{
	struct hm_engine *e = &to_hm_bus(dev)->engine;
	bool v;
	int ret;

	ret = kstrtobool(buf, &v);
	if (ret)
		return ret;
	spin_lock_irq(&e->lock);
	e->echo = v;
	spin_unlock_irq(&e->lock);
	return count;
}
static DEVICE_ATTR_RW(echo);

static ssize_t poll_interval_ms_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_hm_bus(dev)->poll_ms));
}

static ssize_t poll_interval_ms_store(struct device *dev,
				      struct device_attribute *attr,
				      const char *buf, size_t count)
{
	struct hm_bus *bus = to_hm_bus(dev);
	u32 v;
	int ret;

	ret = kstrtou32(buf, 0, &v);
	if (ret)
		return ret;
	if (v && v < HM_POLL_MIN_MS)
		return -ERANGE;
	mutex_lock(&bus->meters_lock);
	if (bus->dead) {
		mutex_unlock(&bus->meters_lock);
		return -ENODEV;
	}
	WRITE_ONCE(bus->poll_ms, v);
	if (v)
		mod_delayed_work(system_wq, &bus->poll_work, 0);
	mutex_unlock(&bus->meters_lock);
	return count;
}
static DEVICE_ATTR_RW(poll_interval_ms);

static ssize_t allow_trigger_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(to_hm_bus(dev)->allow_trigger));
}

static ssize_t allow_trigger_store(struct device *dev,
				   struct device_attribute *attr,
				   const char *buf, size_t count)
{
	bool v;
	int ret;

	ret = kstrtobool(buf, &v);
	if (ret)
		return ret;
	WRITE_ONCE(to_hm_bus(dev)->allow_trigger, v);
	return count;
}
static DEVICE_ATTR_RW(allow_trigger);

static ssize_t scan_store(struct device *dev, struct device_attribute *attr,
			  const char *buf, size_t count)
{
	int ret = hm_scan_start(to_hm_bus(dev), buf);

	return ret ? ret : count;
}
static DEVICE_ATTR_WO(scan);

static ssize_t scan_status_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return hm_scan_status(to_hm_bus(dev), buf);
}
static DEVICE_ATTR_RO(scan_status);

static ssize_t new_meter_store(struct device *dev,
			       struct device_attribute *attr,
			       const char *buf, size_t count)
{
	struct hm_bus *bus = to_hm_bus(dev);
	const struct hm_profile *prof;
	struct hm_meter *m;
	u8 proto, wire[8], primary;
	int ret;

	ret = hm_meter_parse(buf, &proto, wire, &primary, &prof);
	if (ret)
		return ret;
	m = hm_meter_create(bus, proto, wire, primary, prof, NULL);
	return IS_ERR(m) ? PTR_ERR(m) : count;
}
static DEVICE_ATTR_WO(new_meter);

static ssize_t delete_meter_store(struct device *dev,
				  struct device_attribute *attr,
				  const char *buf, size_t count)
{
	struct hm_bus *bus = to_hm_bus(dev);
	const struct hm_profile *prof;
	struct hm_meter *m;
	u8 proto, wire[8], primary;
	int ret;

	ret = hm_meter_parse(buf, &proto, wire, &primary, &prof);
	if (ret)
		return ret;
	mutex_lock(&bus->meters_lock);
	m = hm_meter_find(bus, proto, wire, primary);
	if (m)
		list_del_init(&m->node);
	mutex_unlock(&bus->meters_lock);
	if (!m)
		return -ENOENT;
	hm_meter_remove(m);
	return count;
}
static DEVICE_ATTR_WO(delete_meter);

static struct attribute *hm_bus_attrs[] = {
	&dev_attr_tty.attr,
	&dev_attr_protocol.attr,
	&dev_attr_baud.attr,
	&dev_attr_response_timeout_ms.attr,
	&dev_attr_retries.attr,
	&dev_attr_line_idle_ms.attr,
	&dev_attr_adapter_latency_ms.attr,
	&dev_attr_echo.attr,
	&dev_attr_poll_interval_ms.attr,
	&dev_attr_allow_trigger.attr,
	&dev_attr_scan.attr,
	&dev_attr_scan_status.attr,
	&dev_attr_new_meter.attr,
	&dev_attr_delete_meter.attr,
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
	size_t i;

	/* receive_buf runs in process context (the flip buffer's work) */
	spin_lock(&bus->lock);
	for (i = 0; i < count; i++)
		bus->mon[bus->mon_head++ % HM_MON_SIZE] = cp[i];
	spin_unlock(&bus->lock);
	/* TTY_NORMAL..TTY_OVERRUN are lib/'s HM_FLAG_* */
	hm_engine_receive(&bus->engine, cp, (const u8 *)fp, count);
}

static void hm_poll_work(struct work_struct *work)
{
	struct hm_bus *bus = container_of(to_delayed_work(work), struct hm_bus,
					  poll_work);
	struct hm_meter *m;
	u32 ms;

	mutex_lock(&bus->meters_lock);
	if (!bus->dead) {
		list_for_each_entry(m, &bus->meters, node)
			hm_meter_refresh(m);
		ms = READ_ONCE(bus->poll_ms);
		if (ms)
			queue_delayed_work(system_wq, &bus->poll_work,
					   msecs_to_jiffies(ms));
	}
	mutex_unlock(&bus->meters_lock);
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

	spin_lock(&bus->lock);
	head = bus->mon_head;
	n = min_t(u64, head, HM_MON_SIZE);
	start = head - n;
	for (i = 0; i < n; i++)
		pos += scnprintf(text + pos, HM_MON_SIZE * 3 + 2 - pos, "%02x ",
				 bus->mon[(start + i) % HM_MON_SIZE]);
	spin_unlock(&bus->lock);
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
	struct hm_txn *t;
	size_t n = 0, i = 0;
	char *text;
	ssize_t ret;

	if (len > HM_TX_MAX * 3)
		return -EINVAL;
	text = memdup_user_nul(ubuf, len);
	if (IS_ERR(text))
		return PTR_ERR(text);
	t = hm_txn_alloc(GFP_KERNEL);
	if (!t) {
		ret = -ENOMEM;
		goto out;
	}

	while (text[i]) {
		if (isspace(text[i])) {
			i++;
			continue;
		}
		if (n == HM_TX_MAX || hex2bin(&t->req[n], &text[i], 1)) {
			ret = -EINVAL;
			goto out;
		}
		n++;
		i += 2;
	}
	if (!n) {
		ret = -EINVAL;
		goto out;
	}

	/* raw bytes, no reply expected, queued with the meters' requests */
	t->req_len = n;
	t->expect = HM_EXPECT_NONE;
	t->tries = 1;
	ret = hm_engine_submit(&bus->engine, t);
	if (!ret)
		ret = hm_txn_wait(t);
	if (!ret)
		ret = t->result;
	if (!ret)
		ret = len;
out:
	hm_txn_put(t);
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
	bus->protocol = HM_PROTO_CJT188;
	spin_lock_init(&bus->lock);
	mutex_init(&bus->tx_mutex);
	init_completion(&bus->tx_done);
	INIT_WORK(&bus->tx_work, hm_tx_work_fn);
	mutex_init(&bus->meters_lock);
	INIT_LIST_HEAD(&bus->meters);
	INIT_DELAYED_WORK(&bus->poll_work, hm_poll_work);
	hm_scan_init(bus);
	hm_engine_init(&bus->engine, &hm_tty_line_ops, tty_get_baud_rate(tty));
	/* a USB adapter reports data only every latency timer (16 ms) */
	if (tty->driver && tty->driver->name &&
	    (!strncmp(tty->driver->name, "ttyUSB", 6) ||
	     !strncmp(tty->driver->name, "ttyACM", 6)))
		bus->engine.latency_ms = HM_USB_LATENCY_MS;

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
 * hm_bus_kill() - the line is gone (hangup or close); idempotent
 * @bus: the bus
 *
 * Sleeping readers return -ENODEV, the meters are removed, nothing of the
 * bus runs any more (timer, works) and the tty is forgotten.
 */
void hm_bus_kill(struct hm_bus *bus)
{
	struct hm_meter *m, *tmp;
	LIST_HEAD(gone);

	mutex_lock(&bus->meters_lock);
	if (bus->dead) {
		mutex_unlock(&bus->meters_lock);
		return;
	}
	WRITE_ONCE(bus->dead, true);
	mutex_unlock(&bus->meters_lock);

	hm_engine_kill(&bus->engine);
	cancel_work_sync(&bus->scan_work);
	cancel_delayed_work_sync(&bus->poll_work);
	cancel_work_sync(&bus->tx_work);
	debugfs_remove_recursive(bus->debugfs);
	bus->debugfs = NULL;

	mutex_lock(&bus->meters_lock);
	list_splice_init(&bus->meters, &gone);
	mutex_unlock(&bus->meters_lock);
	list_for_each_entry_safe(m, tmp, &gone, node) {
		list_del_init(&m->node);
		hm_meter_remove(m);
	}

	spin_lock(&bus->lock);
	bus->tty = NULL;
	spin_unlock(&bus->lock);
}

/**
 * hm_bus_destroy() - unregister a killed bus and drop it
 * @bus: the bus
 */
void hm_bus_destroy(struct hm_bus *bus)
{
	device_del(&bus->dev);
	put_device(&bus->dev);
}

int hm_bus_class_init(void)
{
	int ret;

	ret = class_register(&hm_bus_class);
	if (ret)
		return ret;
	ret = hm_meter_class_init();
	if (ret) {
		class_unregister(&hm_bus_class);
		return ret;
	}
	/* scans take minutes: their own workqueue, not system_wq */
	hm_scan_wq = alloc_workqueue("heatmeter_scan", WQ_UNBOUND, 0);
	if (!hm_scan_wq) {
		hm_meter_class_exit();
		class_unregister(&hm_bus_class);
		return -ENOMEM;
	}
	hm_debugfs_root = debugfs_create_dir("heatmeter", NULL);
	return 0;
}

void hm_bus_class_exit(void)
{
	debugfs_remove_recursive(hm_debugfs_root);
	destroy_workqueue(hm_scan_wq);
	hm_meter_class_exit();
	class_unregister(&hm_bus_class);
	ida_destroy(&hm_bus_ida);
}
