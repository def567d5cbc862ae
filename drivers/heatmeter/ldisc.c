// SPDX-License-Identifier: GPL-2.0
/*
 * heatmeter: the tty line discipline.
 *
 * Attaching the discipline to a tty (ldattach, TIOCSETD) creates one bus;
 * closing or hanging up the tty destroys it.
 */
#include <linux/capability.h>
#include <linux/module.h>
#include <linux/tty.h>
#include <linux/tty_ldisc.h>

#include "heatmeter.h"

static int ldisc = N_DEVELOPMENT;
module_param(ldisc, int, 0444);
MODULE_PARM_DESC(ldisc, "line discipline number (default N_DEVELOPMENT)");

static int hm_ldisc_open(struct tty_struct *tty)
{
	struct hm_bus *bus;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (!tty->ops->write)
		return -EOPNOTSUPP;

	bus = hm_bus_create(tty);
	if (IS_ERR(bus))
		return PTR_ERR(bus);

	tty->disc_data = bus;
	tty->receive_room = 65536;
	return 0;
}

static void hm_ldisc_close(struct tty_struct *tty)
{
	struct hm_bus *bus = tty->disc_data;

	tty->disc_data = NULL;
	if (bus)
		hm_bus_destroy(bus);
}

static void hm_ldisc_receive_buf(struct tty_struct *tty, const u8 *cp,
				 const hm_flag_t *fp, hm_count_t count)
{
	struct hm_bus *bus = tty->disc_data;

	if (bus)
		hm_bus_receive(bus, cp, fp, count);
}

static int hm_ldisc_ioctl(struct tty_struct *tty, unsigned int cmd,
			  unsigned long arg)
{
	/* termios and the other generic tty ioctls */
	return tty_mode_ioctl(tty, cmd, arg);
}

static struct tty_ldisc_ops hm_ldisc_ops = {
	.owner		= THIS_MODULE,
	.name		= "heatmeter",
	.open		= hm_ldisc_open,
	.close		= hm_ldisc_close,
	.receive_buf	= hm_ldisc_receive_buf,
	.ioctl		= hm_ldisc_ioctl,
};

int hm_ldisc_init(void)
{
	int ret;

	if (ldisc < 0 || ldisc >= NR_LDISCS)
		return -EINVAL;

	hm_ldisc_ops.num = ldisc;
	ret = tty_register_ldisc(&hm_ldisc_ops);
	if (ret)
		pr_err("heatmeter: cannot register line discipline %d: %d\n",
		       ldisc, ret);
	return ret;
}

void hm_ldisc_exit(void)
{
	tty_unregister_ldisc(&hm_ldisc_ops);
}
