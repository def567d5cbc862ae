// SPDX-License-Identifier: GPL-2.0
/*
 * heatmeter: the tty line discipline.
 *
 * Attaching the discipline to a tty (ldattach, TIOCSETD) creates one bus
 * and sets the line to 2400 8E1 with input parity checking, so parity and
 * framing errors reach receive_buf as TTY_PARITY / TTY_FRAME flags. Closing
 * or hanging up the tty destroys the bus. This file is the only one that
 * touches the tty: the engine reaches it through hm_tty_line_ops.
 *
 * Transmission (as in can327): hm_line_send() copies the bytes to the bus's
 * tx buffer and writes what the tty takes; write_wakeup schedules tx_work
 * for the rest. The engine's work sleeps until everything has been taken,
 * then in tty_wait_until_sent() until it has left the UART. A SYNC's
 * request starts from the engine's hrtimer (hm_line_write_atomic()); the
 * work sends the rest the same way.
 */
#include <linux/capability.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/tty.h>
#include <linux/tty_ldisc.h>

#include "heatmeter.h"

/*
 * Mainline has no number for heatmeter: it uses N_DEVELOPMENT, the one
 * include/uapi/linux/tty.h keeps for disciplines in development, and no
 * other (any other belongs to another discipline, 0 to N_TTY). A
 * distribution that assigns a number changes HM_LDISC here and in its
 * udev rules / systemd units (and ldattach's argument).
 */
#define HM_LDISC	N_DEVELOPMENT

static int ldisc = HM_LDISC;
module_param(ldisc, int, 0444);
MODULE_PARM_DESC(ldisc, "line discipline number: N_DEVELOPMENT (29) only");

#define HM_TX_SLACK_MS	2000	/* beyond the bytes' own time on the wire */

static struct hm_bus *engine_bus(struct hm_engine *e)
{
	return container_of(e, struct hm_bus, engine);
}

/* write what the tty takes now; process context */
static void hm_tx_push(struct hm_bus *bus)
{
	struct tty_struct *tty;
	bool done = false;
	ssize_t n;

	mutex_lock(&bus->tx_mutex);
	tty = READ_ONCE(bus->tty);
	if (!tty || !bus->tx_active)
		goto out;
	while (bus->tx_pos < bus->tx_len) {
		n = tty->ops->write(tty, bus->txbuf + bus->tx_pos,
				    bus->tx_len - bus->tx_pos);
		if (n <= 0)
			break;
		bus->tx_pos += n;
	}
	if (bus->tx_pos == bus->tx_len) {
		clear_bit(TTY_DO_WRITE_WAKEUP, &tty->flags);
		bus->tx_active = false;
		done = true;
	}
out:
	mutex_unlock(&bus->tx_mutex);
	if (done)
		complete(&bus->tx_done);
}

void hm_tx_work_fn(struct work_struct *work)
{
	hm_tx_push(container_of(work, struct hm_bus, tx_work));
}

static unsigned long hm_tx_timeout(u32 baud, size_t len)
{
	u64 ms = div_u64((u64)len * 11 * MSEC_PER_SEC, baud ? baud : 300);

	return msecs_to_jiffies(ms + HM_TX_SLACK_MS);
}

static int hm_line_send(struct hm_engine *e, const u8 *buf, size_t len)
{
	struct hm_bus *bus = engine_bus(e);
	struct tty_struct *tty = READ_ONCE(bus->tty);
	unsigned long tmo;

	if (!tty || READ_ONCE(bus->dead))
		return -ENODEV;
	if (len > sizeof(bus->txbuf))
		return -EMSGSIZE;
	tmo = hm_tx_timeout(tty_get_baud_rate(tty), len);

	mutex_lock(&bus->tx_mutex);
	if (READ_ONCE(bus->dead)) {
		/* hm_ldisc_abort_tx() ran before us */
		mutex_unlock(&bus->tx_mutex);
		return -ENODEV;
	}
	memcpy(bus->txbuf, buf, len);
	bus->tx_len = len;
	bus->tx_pos = 0;
	bus->tx_active = true;
	reinit_completion(&bus->tx_done);
	set_bit(TTY_DO_WRITE_WAKEUP, &tty->flags);
	mutex_unlock(&bus->tx_mutex);

	hm_tx_push(bus);
	if (!wait_for_completion_timeout(&bus->tx_done, tmo)) {
		mutex_lock(&bus->tx_mutex);
		bus->tx_active = false;
		clear_bit(TTY_DO_WRITE_WAKEUP, &tty->flags);
		mutex_unlock(&bus->tx_mutex);
		return -ETIMEDOUT;
	}
	if (READ_ONCE(bus->dead))
		return -ENODEV;
	/* the last byte handed over; wait until it has left the UART */
	tty_wait_until_sent(tty, tmo);
	return 0;
}

/*
 * From the engine's hrtimer (SYNC at its instant), under the engine lock:
 * tty_operations::write may not sleep. Nothing else writes to the tty
 * then: the engine is idle, so no send() is in progress and tx_work finds
 * no active transmission; the engine's work writes whatever the tty did
 * not take now through hm_line_send().
 */
static int hm_line_write_atomic(struct hm_engine *e, const u8 *buf, size_t len)
{
	struct hm_bus *bus = engine_bus(e);
	struct tty_struct *tty = READ_ONCE(bus->tty);

	if (!tty || READ_ONCE(bus->dead))
		return -ENODEV;
	return tty->ops->write(tty, buf, len);
}

/*
 * Also while the bus is being torn down: the engine puts the line speed
 * back after a wake-up sequence that a teardown interrupted (the tty is
 * the bus's until hm_bus_kill() has stopped the engine).
 */
static int hm_line_set_baud(struct hm_engine *e, u32 baud)
{
	struct hm_bus *bus = engine_bus(e);
	struct tty_struct *tty = READ_ONCE(bus->tty);
	struct ktermios kt;

	if (!tty)
		return -ENODEV;
	down_read(&tty->termios_rwsem);
	kt = tty->termios;
	up_read(&tty->termios_rwsem);
	tty_termios_encode_baud_rate(&kt, baud, baud);
	return tty_set_termios(tty, &kt);
}

/**
 * hm_ldisc_abort_tx() - wake a send sleeping on the tty (bus teardown)
 * @bus: the bus, already marked dead
 */
void hm_ldisc_abort_tx(struct hm_bus *bus)
{
	struct tty_struct *tty = READ_ONCE(bus->tty);

	mutex_lock(&bus->tx_mutex);
	bus->tx_active = false;
	if (tty)
		clear_bit(TTY_DO_WRITE_WAKEUP, &tty->flags);
	complete_all(&bus->tx_done);
	mutex_unlock(&bus->tx_mutex);
	if (tty)
		wake_up_interruptible_all(&tty->write_wait);
}

static void hm_line_abort(struct hm_engine *e)
{
	hm_ldisc_abort_tx(engine_bus(e));
}

static void hm_line_late(struct hm_engine *e, const void *owner, u32 ms)
{
	hm_meter_late(owner, ms);
}

const struct hm_line_ops hm_tty_line_ops = {
	.send = hm_line_send,
	.write_atomic = hm_line_write_atomic,
	.set_baud = hm_line_set_baud,
	.abort = hm_line_abort,
	.late = hm_line_late,
};

/* 2400 8E1, raw, input parity checking with flags (not marks, not ignored) */
static void hm_ldisc_setup_termios(struct tty_struct *tty)
{
	struct ktermios kt;

	down_read(&tty->termios_rwsem);
	kt = tty->termios;
	up_read(&tty->termios_rwsem);
	kt.c_iflag &= ~(IGNBRK | BRKINT | IGNPAR | PARMRK | ISTRIP | INLCR |
			IGNCR | ICRNL | IXON | IXOFF | IXANY);
	kt.c_iflag |= INPCK;
	kt.c_oflag &= ~OPOST;
	kt.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	kt.c_cflag &= ~(CSIZE | PARODD | CSTOPB | CRTSCTS);
	kt.c_cflag |= CS8 | PARENB | CREAD | CLOCAL;
	tty_termios_encode_baud_rate(&kt, 2400, 2400);
	tty_set_termios(tty, &kt);
}

static int hm_ldisc_open(struct tty_struct *tty)
{
	struct hm_bus *bus;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (!tty->ops->write)
		return -EOPNOTSUPP;
	/* a pty master is the simulator's side (and tty_set_termios warns) */
	if (tty->driver->type == TTY_DRIVER_TYPE_PTY &&
	    tty->driver->subtype == PTY_TYPE_MASTER)
		return -EINVAL;

	hm_ldisc_setup_termios(tty);
	bus = hm_bus_create(tty);
	if (IS_ERR(bus))
		return PTR_ERR(bus);

	tty->disc_data = bus;
	tty->receive_room = 65536;
	return 0;
}

/*
 * After a hangup the bus is dead already, but the UART may still have
 * called write_wakeup since: whatever happened before, no tx work may
 * outlive the bus (as in can327).
 */
static void hm_ldisc_close(struct tty_struct *tty)
{
	struct hm_bus *bus = tty->disc_data;

	if (!bus)
		return;
	hm_bus_kill(bus);
	clear_bit(TTY_DO_WRITE_WAKEUP, &tty->flags);
	cancel_work_sync(&bus->tx_work);
	tty->disc_data = NULL;
	hm_bus_destroy(bus);
}

/* the line is gone: wake readers with -ENODEV, remove the meters */
static void hm_ldisc_hangup(struct tty_struct *tty)
{
	struct hm_bus *bus = tty->disc_data;

	if (bus)
		hm_bus_kill(bus);
}

static void hm_ldisc_receive_buf(struct tty_struct *tty, const u8 *cp,
				 const hm_flag_t *fp, hm_count_t count)
{
	struct hm_bus *bus = tty->disc_data;

	if (bus && count > 0)
		hm_bus_receive(bus, cp, fp, count);
}

static void hm_ldisc_write_wakeup(struct tty_struct *tty)
{
	struct hm_bus *bus = tty->disc_data;

	/* may run in interrupt context: continue from a work item */
	if (bus && !READ_ONCE(bus->dead))
		schedule_work(&bus->tx_work);
}

/* timeouts follow the line speed */
static void hm_ldisc_set_termios(struct tty_struct *tty,
				 const struct ktermios *old)
{
	struct hm_bus *bus = tty->disc_data;

	if (bus)
		hm_engine_set_baud(&bus->engine, tty_get_baud_rate(tty));
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
	.hangup		= hm_ldisc_hangup,
	.receive_buf	= hm_ldisc_receive_buf,
	.write_wakeup	= hm_ldisc_write_wakeup,
	.set_termios	= hm_ldisc_set_termios,
	.ioctl		= hm_ldisc_ioctl,
};

int hm_ldisc_init(void)
{
	int ret;

	if (ldisc != HM_LDISC) {
		pr_err("heatmeter: ldisc=%d refused: only %d (N_DEVELOPMENT)\n",
		       ldisc, HM_LDISC);
		return -EINVAL;
	}

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
