// SPDX-License-Identifier: GPL-2.0
/*
 * hmtty - a test-only tty driver for the heatmeter VM tests
 *
 * A pty keeps no parity and qemu's 16550 never reports a parity error from
 * a chardev, so the VM tests use this driver to make parity, framing, break
 * and overrun errors reach a line discipline through the real flip-buffer
 * path (tty_insert_flip_char() + tty_flip_buffer_push()), with the same
 * flags a UART driver would set. Never load it on a production system.
 *
 * Module parameter:
 *   count    number of devices /dev/ttyHMT0 .. ttyHMT<count-1> (default 2)
 *
 * debugfs, one directory per device, /sys/kernel/debug/hmtty/ttyHMT<n>/:
 *   tx          (r)  bytes the tty has transmitted and nobody has read yet,
 *                    as hex text "68 20 aa\n"; a read consumes what it
 *                    returns; empty (EOF) when nothing is pending. Holds up
 *                    to 64 KiB; further bytes are dropped and counted.
 *   tx_count    (r)  total bytes ever written to the tty (decimal)
 *   tx_dropped  (r)  bytes dropped because tx was full (decimal)
 *   rx          (w)  inject received bytes: whitespace-separated hex bytes
 *                    (one or two digits), each optionally suffixed with
 *                    ":p" (TTY_PARITY), ":f" (TTY_FRAME), ":b" (TTY_BREAK)
 *                    or ":o" (TTY_OVERRUN), e.g. "68 20:p aa aa". Malformed
 *                    input is rejected as a whole with -EINVAL; -EIO when
 *                    the tty is not open (or closing, or hung up). One
 *                    write is one tty_flip_buffer_push().
 *   rx_count    (r)  total bytes injected through rx (decimal)
 *   termios     (r)  the termios of the last set_termios (or the initial
 *                    one), e.g. "baud 2400 cs8 parenb -parodd -cmspar
 *                    -cstopb cread clocal -crtscts inpck -ignpar parmrk
 *                    -istrip -ignbrk -brkint\n" (one line)
 *   hangup      (w)  "1": tty_port_tty_hangup(port, false), as if the
 *                    adapter had been unplugged
 *   stall       (rw) "1": the transmitter takes nothing (write_room 0,
 *                    write returns 0), as a UART whose FIFO never drains;
 *                    "0": it takes bytes again (and tty_wakeup() runs)
 *   wakeup      (w)  "N": call tty_port_tty_wakeup() N times (1..100000),
 *                    as a UART's transmit interrupt would: the line
 *                    discipline's write_wakeup runs when it asked for it
 */

#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/kfifo.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/tty.h>
#include <linux/tty_driver.h>
#include <linux/tty_flip.h>
#include <linux/uaccess.h>

#define HMTTY_MAX_DEVICES	16
#define HMTTY_TX_SIZE		(64 * 1024)
#define HMTTY_WRITE_ROOM	4096
#define HMTTY_RX_MAX_INPUT	(64 * 1024)
#define HMTTY_TX_READ_MAX	4096

static unsigned int count = 2;
module_param(count, uint, 0444);
MODULE_PARM_DESC(count, "number of /dev/ttyHMT<n> devices (1-16, default 2)");

struct hmtty_dev {
	struct tty_port port;

	/* tx: filled by .write (any context), drained by debugfs reads */
	spinlock_t tx_lock;		/* tx_fifo, tx_count, tx_dropped */
	struct kfifo tx_fifo;
	u64 tx_count;
	u64 tx_dropped;
	struct mutex tx_read_lock;	/* one consumer of tx_fifo at a time */

	/* rx: one producer of the flip buffer at a time */
	struct mutex rx_lock;		/* rx_active, rx_count, flip buffer */
	bool rx_active;			/* between activate and shutdown */
	u64 rx_count;

	struct mutex termios_lock;	/* termios */
	struct ktermios termios;

	bool stall;			/* transmitter takes nothing */
};

static struct tty_driver *hmtty_driver;
static struct hmtty_dev *hmtty_devs;
static struct dentry *hmtty_debugfs;

/* tty_port */

/*
 * Like a UART enabling and disabling its receiver: rx injects only between
 * activate and shutdown, so nothing is pushed into the flip buffer once the
 * tty is being closed or hung up.
 */
static int hmtty_port_activate(struct tty_port *port, struct tty_struct *tty)
{
	struct hmtty_dev *dev = container_of(port, struct hmtty_dev, port);

	mutex_lock(&dev->rx_lock);
	dev->rx_active = true;
	mutex_unlock(&dev->rx_lock);
	return 0;
}

static void hmtty_port_shutdown(struct tty_port *port)
{
	struct hmtty_dev *dev = container_of(port, struct hmtty_dev, port);

	mutex_lock(&dev->rx_lock);
	dev->rx_active = false;
	mutex_unlock(&dev->rx_lock);
}

static const struct tty_port_operations hmtty_port_ops = {
	.activate = hmtty_port_activate,
	.shutdown = hmtty_port_shutdown,
};

/* tty_operations */

static int hmtty_install(struct tty_driver *driver, struct tty_struct *tty)
{
	struct hmtty_dev *dev = &hmtty_devs[tty->index];

	tty->driver_data = dev;
	return tty_port_install(&dev->port, driver, tty);
}

static int hmtty_open(struct tty_struct *tty, struct file *filp)
{
	struct hmtty_dev *dev = tty->driver_data;

	return tty_port_open(&dev->port, tty, filp);
}

static void hmtty_close(struct tty_struct *tty, struct file *filp)
{
	struct hmtty_dev *dev = tty->driver_data;

	tty_port_close(&dev->port, tty, filp);
}

static void hmtty_hangup(struct tty_struct *tty)
{
	struct hmtty_dev *dev = tty->driver_data;

	tty_port_hangup(&dev->port);
}

/* tty_operations::write became ssize_t/size_t in 6.6 (see Kbuild). */
#ifdef HMTTY_WRITE_SIZE_T
static ssize_t hmtty_write(struct tty_struct *tty, const u8 *buf, size_t len)
#else
static int hmtty_write(struct tty_struct *tty, const u8 *buf, int len)
#endif
{
	struct hmtty_dev *dev = tty->driver_data;
	unsigned long flags;
	unsigned int done;

	if (READ_ONCE(dev->stall))
		return 0;
	spin_lock_irqsave(&dev->tx_lock, flags);
	done = kfifo_in(&dev->tx_fifo, buf, len);
	dev->tx_count += len;
	dev->tx_dropped += len - done;
	spin_unlock_irqrestore(&dev->tx_lock, flags);

	return len;
}

static unsigned int hmtty_write_room(struct tty_struct *tty)
{
	struct hmtty_dev *dev = tty->driver_data;

	if (READ_ONCE(dev->stall))
		return 0;
	return HMTTY_WRITE_ROOM;
}

static unsigned int hmtty_chars_in_buffer(struct tty_struct *tty)
{
	return 0;
}

static void hmtty_set_termios(struct tty_struct *tty,
			      const struct ktermios *old)
{
	struct hmtty_dev *dev = tty->driver_data;

	mutex_lock(&dev->termios_lock);
	dev->termios = tty->termios;
	mutex_unlock(&dev->termios_lock);
}

static const struct tty_operations hmtty_ops = {
	.install = hmtty_install,
	.open = hmtty_open,
	.close = hmtty_close,
	.hangup = hmtty_hangup,
	.write = hmtty_write,
	.write_room = hmtty_write_room,
	.chars_in_buffer = hmtty_chars_in_buffer,
	.set_termios = hmtty_set_termios,
};

/* debugfs: tx */

static int hmtty_stream_open(struct inode *inode, struct file *file)
{
	file->private_data = inode->i_private;
	return stream_open(inode, file);
}

static ssize_t hmtty_tx_read(struct file *file, char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	struct hmtty_dev *dev = file->private_data;
	unsigned int n, i;
	ssize_t ret;
	u8 *bytes;
	char *text;

	/* "xx " per byte, the last separator being the newline */
	if (len < 3)
		return -EINVAL;
	n = min_t(size_t, len / 3, HMTTY_TX_READ_MAX);

	bytes = kmalloc(n, GFP_KERNEL);
	text = kmalloc(n * 3, GFP_KERNEL);
	if (!bytes || !text) {
		ret = -ENOMEM;
		goto out_free;
	}

	mutex_lock(&dev->tx_read_lock);
	n = kfifo_out_peek(&dev->tx_fifo, bytes, n);
	if (!n) {
		ret = 0;
		goto out_unlock;
	}
	for (i = 0; i < n; i++) {
		snprintf(text + 3 * i, 3, "%02x", bytes[i]);
		text[3 * i + 2] = i + 1 < n ? ' ' : '\n';
	}
	if (copy_to_user(ubuf, text, n * 3)) {
		ret = -EFAULT;
		goto out_unlock;
	}
	/* consumed only once the reader has it; we are the only consumer */
	n = kfifo_out(&dev->tx_fifo, bytes, n);
	ret = n * 3;
out_unlock:
	mutex_unlock(&dev->tx_read_lock);
out_free:
	kfree(text);
	kfree(bytes);
	return ret;
}

static const struct file_operations hmtty_tx_fops = {
	.owner = THIS_MODULE,
	.open = hmtty_stream_open,
	.read = hmtty_tx_read,
};

/* debugfs: counters */

static int hmtty_tx_count_get(void *data, u64 *val)
{
	struct hmtty_dev *dev = data;
	unsigned long flags;

	spin_lock_irqsave(&dev->tx_lock, flags);
	*val = dev->tx_count;
	spin_unlock_irqrestore(&dev->tx_lock, flags);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(hmtty_tx_count_fops, hmtty_tx_count_get, NULL,
			 "%llu\n");

static int hmtty_tx_dropped_get(void *data, u64 *val)
{
	struct hmtty_dev *dev = data;
	unsigned long flags;

	spin_lock_irqsave(&dev->tx_lock, flags);
	*val = dev->tx_dropped;
	spin_unlock_irqrestore(&dev->tx_lock, flags);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(hmtty_tx_dropped_fops, hmtty_tx_dropped_get, NULL,
			 "%llu\n");

static int hmtty_rx_count_get(void *data, u64 *val)
{
	struct hmtty_dev *dev = data;

	mutex_lock(&dev->rx_lock);
	*val = dev->rx_count;
	mutex_unlock(&dev->rx_lock);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(hmtty_rx_count_fops, hmtty_rx_count_get, NULL,
			 "%llu\n");

/* debugfs: rx */

static int hmtty_parse_flag(char c, u8 *flag)
{
	switch (c) {
	case 'p':
		*flag = TTY_PARITY;
		return 0;
	case 'f':
		*flag = TTY_FRAME;
		return 0;
	case 'b':
		*flag = TTY_BREAK;
		return 0;
	case 'o':
		*flag = TTY_OVERRUN;
		return 0;
	}
	return -EINVAL;
}

/*
 * Parse "68 20:p aa" into chars[] and flags[]; returns the number of bytes
 * or -EINVAL. chars[] and flags[] hold at least (strlen(s) + 1) / 2 entries.
 */
static int hmtty_parse_rx(char *s, u8 *chars, u8 *flags)
{
	int n = 0;
	char *tok;

	while ((tok = strsep(&s, " \t\n\r"))) {
		char *suffix;
		int hi, lo;
		u8 flag = TTY_NORMAL;

		if (!*tok)
			continue;
		suffix = strchr(tok, ':');
		if (suffix) {
			*suffix++ = '\0';
			if (strlen(suffix) != 1 ||
			    hmtty_parse_flag(suffix[0], &flag))
				return -EINVAL;
		}
		if (strlen(tok) == 1) {
			hi = 0;
			lo = hex_to_bin(tok[0]);
		} else if (strlen(tok) == 2) {
			hi = hex_to_bin(tok[0]);
			lo = hex_to_bin(tok[1]);
		} else {
			return -EINVAL;
		}
		if (hi < 0 || lo < 0)
			return -EINVAL;
		chars[n] = hi << 4 | lo;
		flags[n] = flag;
		n++;
	}
	return n;
}

static ssize_t hmtty_rx_write(struct file *file, const char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	struct hmtty_dev *dev = file->private_data;
	struct tty_struct *tty;
	u8 *chars, *flags;
	ssize_t ret;
	char *s;
	int i, n;

	if (len > HMTTY_RX_MAX_INPUT)
		return -EINVAL;
	s = memdup_user_nul(ubuf, len);
	if (IS_ERR(s))
		return PTR_ERR(s);
	chars = kmalloc(len / 2 + 1, GFP_KERNEL);
	flags = kmalloc(len / 2 + 1, GFP_KERNEL);
	if (!chars || !flags) {
		ret = -ENOMEM;
		goto out_free;
	}
	n = hmtty_parse_rx(s, chars, flags);
	if (n < 0) {
		ret = n;
		goto out_free;
	}

	/* a tty reference keeps the port open and its ldisc reachable */
	tty = tty_port_tty_get(&dev->port);
	if (!tty) {
		ret = -EIO;
		goto out_free;
	}
	mutex_lock(&dev->rx_lock);
	if (dev->rx_active) {
		for (i = 0; i < n; i++)
			if (tty_insert_flip_char(&dev->port, chars[i], flags[i]))
				dev->rx_count++;
		if (n)
			tty_flip_buffer_push(&dev->port);
		ret = len;
	} else {
		ret = -EIO;
	}
	mutex_unlock(&dev->rx_lock);
	tty_kref_put(tty);
out_free:
	kfree(flags);
	kfree(chars);
	kfree(s);
	return ret;
}

static const struct file_operations hmtty_rx_fops = {
	.owner = THIS_MODULE,
	.open = hmtty_stream_open,
	.write = hmtty_rx_write,
};

/* debugfs: termios */

/* stty style: "" when @bit is set in @flags, "-" when not */
static const char *hmtty_neg(tcflag_t flags, tcflag_t bit)
{
	return (flags & bit) ? "" : "-";
}

static ssize_t hmtty_termios_read(struct file *file, char __user *ubuf,
				  size_t len, loff_t *ppos)
{
	struct hmtty_dev *dev = file->private_data;
	struct ktermios t;
	static const char * const csize[] = { "cs5", "cs6", "cs7", "cs8" };
	char buf[256];
	int n;

	mutex_lock(&dev->termios_lock);
	t = dev->termios;
	mutex_unlock(&dev->termios_lock);

	n = scnprintf(buf, sizeof(buf),
		      "baud %u %s %sparenb %sparodd %scmspar %scstopb %scread %sclocal %scrtscts %sinpck %signpar %sparmrk %sistrip %signbrk %sbrkint\n",
		      tty_termios_baud_rate(&t),
		      csize[(t.c_cflag & CSIZE) >> 4],
		      hmtty_neg(t.c_cflag, PARENB), hmtty_neg(t.c_cflag, PARODD),
		      hmtty_neg(t.c_cflag, CMSPAR), hmtty_neg(t.c_cflag, CSTOPB),
		      hmtty_neg(t.c_cflag, CREAD), hmtty_neg(t.c_cflag, CLOCAL),
		      hmtty_neg(t.c_cflag, CRTSCTS), hmtty_neg(t.c_iflag, INPCK),
		      hmtty_neg(t.c_iflag, IGNPAR), hmtty_neg(t.c_iflag, PARMRK),
		      hmtty_neg(t.c_iflag, ISTRIP), hmtty_neg(t.c_iflag, IGNBRK),
		      hmtty_neg(t.c_iflag, BRKINT));

	return simple_read_from_buffer(ubuf, len, ppos, buf, n);
}

static const struct file_operations hmtty_termios_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = hmtty_termios_read,
	.llseek = default_llseek,
};

/* debugfs: hangup */

static ssize_t hmtty_hangup_write(struct file *file, const char __user *ubuf,
				  size_t len, loff_t *ppos)
{
	struct hmtty_dev *dev = file->private_data;
	unsigned int val;
	int ret;

	ret = kstrtouint_from_user(ubuf, len, 0, &val);
	if (ret)
		return ret;
	if (val != 1)
		return -EINVAL;
	tty_port_tty_hangup(&dev->port, false);
	return len;
}

static const struct file_operations hmtty_hangup_fops = {
	.owner = THIS_MODULE,
	.open = hmtty_stream_open,
	.write = hmtty_hangup_write,
};

/* debugfs: stall, wakeup */

static int hmtty_stall_get(void *data, u64 *val)
{
	struct hmtty_dev *dev = data;

	*val = READ_ONCE(dev->stall);
	return 0;
}

static int hmtty_stall_set(void *data, u64 val)
{
	struct hmtty_dev *dev = data;

	if (val > 1)
		return -EINVAL;
	WRITE_ONCE(dev->stall, val);
	if (!val)
		tty_port_tty_wakeup(&dev->port);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(hmtty_stall_fops, hmtty_stall_get, hmtty_stall_set,
			 "%llu\n");

static int hmtty_wakeup_set(void *data, u64 val)
{
	struct hmtty_dev *dev = data;
	u64 i;

	if (!val || val > 100000)
		return -EINVAL;
	for (i = 0; i < val; i++) {
		tty_port_tty_wakeup(&dev->port);
		cond_resched();
	}
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(hmtty_wakeup_fops, NULL, hmtty_wakeup_set, "%llu\n");

static void hmtty_debugfs_init(void)
{
	unsigned int i;

	hmtty_debugfs = debugfs_create_dir("hmtty", NULL);
	for (i = 0; i < count; i++) {
		struct hmtty_dev *dev = &hmtty_devs[i];
		struct dentry *d;
		char name[24];

		snprintf(name, sizeof(name), "ttyHMT%u", i);
		d = debugfs_create_dir(name, hmtty_debugfs);
		debugfs_create_file("tx", 0400, d, dev, &hmtty_tx_fops);
		debugfs_create_file_unsafe("tx_count", 0400, d, dev,
					   &hmtty_tx_count_fops);
		debugfs_create_file_unsafe("tx_dropped", 0400, d, dev,
					   &hmtty_tx_dropped_fops);
		debugfs_create_file("rx", 0200, d, dev, &hmtty_rx_fops);
		debugfs_create_file_unsafe("rx_count", 0400, d, dev,
					   &hmtty_rx_count_fops);
		debugfs_create_file("termios", 0400, d, dev,
				    &hmtty_termios_fops);
		debugfs_create_file("hangup", 0200, d, dev, &hmtty_hangup_fops);
		debugfs_create_file_unsafe("stall", 0600, d, dev,
					   &hmtty_stall_fops);
		debugfs_create_file_unsafe("wakeup", 0200, d, dev,
					   &hmtty_wakeup_fops);
	}
}

/* module */

static void hmtty_free_devs(unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		tty_port_destroy(&hmtty_devs[i].port);
		kfifo_free(&hmtty_devs[i].tx_fifo);
	}
	kfree(hmtty_devs);
	hmtty_devs = NULL;
}

static int __init hmtty_init(void)
{
	struct tty_driver *driver;
	unsigned int i, ndev = 0;
	int ret;

	if (count < 1 || count > HMTTY_MAX_DEVICES)
		return -EINVAL;

	hmtty_devs = kcalloc(count, sizeof(*hmtty_devs), GFP_KERNEL);
	if (!hmtty_devs)
		return -ENOMEM;
	for (ndev = 0; ndev < count; ndev++) {
		struct hmtty_dev *dev = &hmtty_devs[ndev];

		ret = kfifo_alloc(&dev->tx_fifo, HMTTY_TX_SIZE, GFP_KERNEL);
		if (ret)
			goto err_devs;
		tty_port_init(&dev->port);
		dev->port.ops = &hmtty_port_ops;
		spin_lock_init(&dev->tx_lock);
		mutex_init(&dev->tx_read_lock);
		mutex_init(&dev->rx_lock);
		mutex_init(&dev->termios_lock);
	}

	driver = tty_alloc_driver(count, TTY_DRIVER_REAL_RAW |
				  TTY_DRIVER_DYNAMIC_DEV);
	if (IS_ERR(driver)) {
		ret = PTR_ERR(driver);
		goto err_devs;
	}
	driver->driver_name = "hmtty";
	driver->name = "ttyHMT";
	driver->major = 0;
	driver->minor_start = 0;
	driver->type = TTY_DRIVER_TYPE_SERIAL;
	driver->subtype = SERIAL_TYPE_NORMAL;
	driver->init_termios = tty_std_termios;
	driver->init_termios.c_cflag = B9600 | CS8 | CREAD | HUPCL | CLOCAL;
	driver->init_termios.c_ispeed = 9600;
	driver->init_termios.c_ospeed = 9600;
	tty_set_operations(driver, &hmtty_ops);

	ret = tty_register_driver(driver);
	if (ret)
		goto err_driver;
	hmtty_driver = driver;

	for (i = 0; i < count; i++) {
		struct device *tdev;

		hmtty_devs[i].termios = driver->init_termios;
		tdev = tty_port_register_device(&hmtty_devs[i].port, driver, i,
						NULL);
		if (IS_ERR(tdev)) {
			ret = PTR_ERR(tdev);
			goto err_unregister;
		}
	}

	hmtty_debugfs_init();
	pr_info("hmtty: %u test devices ttyHMT0..%u (test use only)\n",
		count, count - 1);
	return 0;

err_unregister:
	while (i--)
		tty_unregister_device(driver, i);
	tty_unregister_driver(driver);
	hmtty_driver = NULL;
err_driver:
	tty_driver_kref_put(driver);
err_devs:
	hmtty_free_devs(ndev);
	return ret;
}

static void __exit hmtty_exit(void)
{
	unsigned int i;

	/* waits for debugfs readers and writers in flight */
	debugfs_remove_recursive(hmtty_debugfs);
	for (i = 0; i < count; i++)
		tty_unregister_device(hmtty_driver, i);
	tty_unregister_driver(hmtty_driver);
	hmtty_free_devs(count);
	tty_driver_kref_put(hmtty_driver);
}

module_init(hmtty_init);
module_exit(hmtty_exit);

MODULE_DESCRIPTION("Test-only tty driver injecting parity and framing errors");
MODULE_LICENSE("GPL");
