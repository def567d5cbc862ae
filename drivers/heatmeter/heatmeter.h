/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heatmeter: internal definitions shared by the driver's files.
 */
#ifndef _HEATMETER_H
#define _HEATMETER_H

#include <linux/device.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/tty.h>
#include <linux/types.h>

/*
 * tty_ldisc_ops::receive_buf took (const char *fp, int count) until 6.6 and
 * (const u8 *fp, size_t count) since; Kbuild tests the headers for which.
 */
#ifdef HM_LDISC_FP_U8
#define hm_flag_t	u8
#define hm_count_t	size_t
#else
#define hm_flag_t	char
#define hm_count_t	int
#endif

#define HM_MON_SIZE	4096	/* bytes kept by the debugfs line monitor */

/**
 * enum hm_bus_stat - line statistics of one bus (stats/ in sysfs)
 * @HM_STAT_RX_BYTES: bytes received
 * @HM_STAT_TX_BYTES: bytes handed to the tty driver
 * @HM_STAT_PARITY_ERRORS: bytes received with TTY_PARITY
 * @HM_STAT_FRAMING_ERRORS: bytes received with TTY_FRAME
 * @HM_STAT_OVERRUNS: bytes received with TTY_OVERRUN
 * @HM_STAT_BREAKS: breaks received (TTY_BREAK)
 * @HM_BUS_NSTATS: number of statistics
 */
enum hm_bus_stat {
	HM_STAT_RX_BYTES,
	HM_STAT_TX_BYTES,
	HM_STAT_PARITY_ERRORS,
	HM_STAT_FRAMING_ERRORS,
	HM_STAT_OVERRUNS,
	HM_STAT_BREAKS,
	HM_BUS_NSTATS
};

/**
 * struct hm_bus - one attached tty
 * @dev: the bus device, class heatmeter_bus
 * @tty: the tty; NULL once the line is gone
 * @id: instance number (hmbusN)
 * @lock: protects @stats, @tty and the monitor ring
 * @tx_lock: serialises writers of the line
 * @stats: line statistics
 * @mon: ring of the most recently received bytes (debugfs)
 * @mon_head: total bytes ever put into @mon
 * @debugfs: the bus's debugfs directory
 */
struct hm_bus {
	struct device dev;
	struct tty_struct *tty;
	int id;
	spinlock_t lock;		/* stats, tty, monitor ring */
	struct mutex tx_lock;		/* one writer on the line */
	u64 stats[HM_BUS_NSTATS];
	u8 mon[HM_MON_SIZE];
	u64 mon_head;
	struct dentry *debugfs;
};

extern struct class hm_bus_class;

struct hm_bus *hm_bus_create(struct tty_struct *tty);
void hm_bus_destroy(struct hm_bus *bus);
void hm_bus_receive(struct hm_bus *bus, const u8 *cp, const hm_flag_t *fp,
		    size_t count);
ssize_t hm_bus_write(struct hm_bus *bus, const u8 *buf, size_t len);
int hm_bus_class_init(void);
void hm_bus_class_exit(void);

int hm_ldisc_init(void);
void hm_ldisc_exit(void);

#endif /* _HEATMETER_H */
