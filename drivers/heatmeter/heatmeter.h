/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heatmeter: internal definitions shared by the driver's files.
 */
#ifndef _HEATMETER_H
#define _HEATMETER_H

#include <linux/completion.h>
#include <linux/device.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/spinlock.h>
#include <linux/tty.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "cdev.h"
#include "engine.h"
#include "profile.h"
#include "reading.h"

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

/* class dev_uevent() took a const struct device * from 6.3 */
#ifdef HM_UEVENT_CONST
#define hm_uevent_dev_t	const struct device
#else
#define hm_uevent_dev_t	struct device
#endif

/* bytes kept by the debugfs line monitor (2 KiB: a bus fits kmalloc-8k) */
#define HM_MON_SIZE	2048
#define HM_TX_BUF	HM_WAKE_MAX

/**
 * enum hm_scan_state - state of a bus's discovery
 * @HM_SCAN_IDLE: never scanned
 * @HM_SCAN_RUNNING: in progress
 * @HM_SCAN_DONE: finished
 */
enum hm_scan_state {
	HM_SCAN_IDLE = 0,
	HM_SCAN_RUNNING,
	HM_SCAN_DONE,
};

/**
 * struct hm_scan - one discovery request and its progress
 * @state: enum hm_scan_state
 * @protocol: enum hm_protocol
 * @from: first M-Bus primary address
 * @to: last M-Bus primary address
 * @addr: CJ/T 188 address (A0..A6 on the wire)
 * @has_addr: @addr was given (else broadcast)
 * @secondary: an M-Bus secondary search under @mask
 * @mask: its selection mask (ID0..3 MAN VER MED, F nibbles / FF wildcards)
 * @stop: asked to stop (scan stop)
 * @selects: selection telegrams sent (secondary search)
 * @started: CLOCK_MONOTONIC of the start
 * @ms: duration of the finished scan
 * @done: probes finished
 * @total: probes to make
 * @found: meters found
 * @collisions: garbled replies (several meters answering)
 * @err: 0, or why the scan stopped
 */
struct hm_scan {
	u8 state;
	u8 protocol;
	u8 from;
	u8 to;
	u8 addr[7];
	bool has_addr;
	bool secondary;
	u8 mask[8];
	bool stop;
	u32 selects;
	ktime_t started;
	u32 ms;
	u32 done;
	u32 total;
	u32 found;
	u32 collisions;
	int err;
};

/**
 * struct hm_bus - one attached tty
 * @dev: the bus device, class heatmeter_bus
 * @id: instance number (hmbusN)
 * @lock: protects @tty, the tx state, @scan, @protocol and the monitor
 * @tty: the tty; NULL once the line is gone
 * @engine: transaction engine
 * @tx_mutex: one writer of the tty at a time (send and tx_work)
 * @txbuf: bytes of the current send
 * @tx_len: bytes in @txbuf
 * @tx_pos: bytes of @txbuf the tty has taken
 * @tx_active: a send is in progress
 * @tx_done: completed when the tty has taken all of @txbuf
 * @tx_work: continues a send from write_wakeup
 * @meters_lock: protects @meters and @dead
 * @meters: meters on this bus
 * @dead: the line is gone; no new meters
 * @allow_trigger: users without CAP_SYS_ADMIN may broadcast SYNC triggers
 * @scan: discovery state
 * @scan_work: runs a scan
 * @poll_work: periodic reads (@poll_ms)
 * @poll_ms: poll interval, 0 = on demand
 * @protocol: default protocol of scans (enum hm_protocol)
 * @mon: ring of the most recently received bytes (debugfs)
 * @mon_head: total bytes ever put into @mon
 * @debugfs: the bus's debugfs directory
 */
struct hm_bus {
	struct device dev;
	int id;
	spinlock_t lock;		/* see above */
	struct tty_struct *tty;
	struct hm_engine engine;
	struct mutex tx_mutex;		/* one tty writer */
	u8 txbuf[HM_TX_BUF];
	size_t tx_len;
	size_t tx_pos;
	bool tx_active;
	struct completion tx_done;
	struct work_struct tx_work;
	struct mutex meters_lock;	/* @meters, @dead */
	struct list_head meters;
	bool dead;
	bool allow_trigger;
	struct hm_scan scan;
	struct work_struct scan_work;
	struct delayed_work poll_work;
	u32 poll_ms;
	u8 protocol;
	u8 mon[HM_MON_SIZE];
	u64 mon_head;
	struct dentry *debugfs;
};

/**
 * struct hm_meter - one meter on a bus
 * @dev: the meter device, class heatmeter, parent = its bus
 * @bus: the bus (a reference is held)
 * @node: entry in @bus->meters
 * @id: instance number (heatmeterN)
 * @protocol: enum hm_protocol
 * @address: CJ/T 188: 14 hex digits A6..A0; M-Bus: decimal primary address,
 *           or the secondary address ID:MAN:VV:MM
 * @addr_wire: CJ/T 188 address as sent (A0..A6)
 * @primary: M-Bus primary address; HM_MBUS_ADDR_SECONDARY (0xFD): the meter
 *           is read by selecting @sec
 * @sec: M-Bus secondary address as sent in a selection (ID0..3 MAN VER MED)
 * @profile: profile named by the user, or NULL (auto / generic M-Bus)
 * @matched: profile auto-selected from the last reply (CJ/T 188)
 * @lock: protects the fields below
 * @dead: removed; readers get -ENODEV, nothing more is queued
 * @wait: readers sleeping for a read
 * @inflight: the read on its way (shared by all readers)
 * @gen: generation of the settings reads are built with (profile,
 *       highres, test mode); a read of an older one refills no cache
 * @fcb: M-Bus frame count bit of the next REQ_UD2
 * @need_reset: M-Bus: send SND_NKE before the next read
 * @telegrams: M-Bus: telegrams of the newest good read
 * @late_ms: M-Bus/CJ/T 188: the latest reply seen from the meter, in ms
 *           after its request (0 = none later than the window); the
 *           engine's late hook raises it (WRITE_ONCE, atomic context)
 * @lat_min_ms: the fastest reply seen, in ms after the request (U32_MAX =
 *              none yet)
 * @baud: M-Bus: the rate the meter was switched to (CI B8..BF), 0 = the
 *        line's
 * @baud_fallback: the meter was not heard at @baud: reads go at the line's
 *                 rate (alternating on each silence until one answers)
 * @have: a read has completed
 * @err: result of the newest read (0 or -errno)
 * @when: CLOCK_MONOTONIC of the newest read's completion
 * @rd: the newest good reading (valid when @err is 0)
 * @times: timestamps of the newest read
 * @ok_real: CLOCK_REALTIME of the newest good reading (0 = none)
 * @max_age_ms: cache lifetime
 * @highres: reads use the profile's high-resolution (test-mode) command
 * @test_mode: test mode was entered through TEST_MODE
 * @test_expires: CLOCK_MONOTONIC when the meter leaves it by itself (0 =
 *                the profile does not say)
 * @seq: readings published (the next gets @seq + 1)
 * @publish: where readings go (the char device's hook), or NULL
 * @requests: reads made
 * @timeouts: reads the meter did not answer
 * @errors: reads that failed otherwise
 * @id_lock: protects @ident (read by dev_uevent)
 * @ident: who the meter says it is
 * @cm: its character device /dev/heatmeterN
 * @hwmon_parent: the platform device heatmeter.N its hwmon device hangs on
 * @hwmon: its hwmon device, or NULL
 */
struct hm_meter {
	struct device dev;
	struct hm_bus *bus;
	struct list_head node;
	int id;
	u8 protocol;
	char address[24];
	u8 addr_wire[7];
	u8 primary;
	u8 sec[8];
	const struct hm_profile *profile;
	const struct hm_profile *matched;
	struct mutex lock;		/* see above */
	bool dead;
	wait_queue_head_t wait;
	struct hm_txn *inflight;
	u32 gen;
	bool fcb;
	bool need_reset;
	u8 telegrams;
	u32 late_ms;
	u32 lat_min_ms;
	u32 baud;
	bool baud_fallback;
	bool have;
	int err;
	ktime_t when;
	struct hm_reading rd;
	struct hm_txn_times times;
	ktime_t ok_real;
	u32 max_age_ms;
	bool highres;
	bool test_mode;
	ktime_t test_expires;
	u64 seq;
	void (*publish)(struct hm_meter *m, const struct heatmeter_reading *rd);
	u64 requests;
	u64 timeouts;
	u64 errors;
	spinlock_t id_lock;		/* @ident */
	struct hm_identity ident;
	struct hm_cmeter cm;
	struct platform_device *hwmon_parent;
	struct device *hwmon;
};

/* how a read was built (struct hm_txn @rd_flags) */
#define HM_RDF_HIGHRES	0x01	/* the high-resolution (test) registers */
#define HM_RDF_AUTO	0x02	/* CJ/T 188 without a named profile */

extern struct class hm_bus_class;
extern struct class hm_meter_class;

/* bus.c */
struct hm_bus *hm_bus_create(struct tty_struct *tty);
void hm_bus_kill(struct hm_bus *bus);
void hm_bus_destroy(struct hm_bus *bus);
void hm_bus_receive(struct hm_bus *bus, const u8 *cp, const hm_flag_t *fp,
		    size_t count);
int hm_bus_class_init(void);
void hm_bus_class_exit(void);

/* ldisc.c */
extern const struct hm_line_ops hm_tty_line_ops;
void hm_ldisc_abort_tx(struct hm_bus *bus);
void hm_tx_work_fn(struct work_struct *work);
int hm_ldisc_init(void);
void hm_ldisc_exit(void);

/* meter.c */
struct hm_meter *hm_meter_create(struct hm_bus *bus, u8 protocol,
				 const u8 *addr_wire, u8 primary,
				 const struct hm_profile *profile,
				 const struct hm_identity *ident);
struct hm_meter *hm_meter_find(struct hm_bus *bus, u8 protocol,
			       const u8 *addr_wire, u8 primary);
void hm_meter_remove(struct hm_meter *m);
void hm_meter_refresh(struct hm_meter *m);
int hm_meter_parse(const char *buf, u8 *protocol, u8 *addr_wire, u8 *primary,
		   const struct hm_profile **profile);
int hm_meter_class_init(void);
void hm_meter_class_exit(void);
int hm_errno(int lib_err);
int hm_cjt188_addr_parse(const char *s, u8 *wire);
int hm_meter_build(struct hm_meter *m, struct hm_txn *t,
		   const struct hm_profile *prof, const struct hm_cmd *cmd,
		   bool reply);
void hm_txn_wake(struct hm_txn *t, const struct hm_profile *prof);
const struct hm_profile *hm_meter_profile(struct hm_meter *m);
int hm_meter_queue(struct hm_meter *m, struct hm_txn *t);
int hm_meter_submit_read(struct hm_meter *m, struct hm_txn *t, bool verify);
int hm_meter_decode(struct hm_meter *m, const struct hm_txn *t,
		    struct hm_identity *id, struct hm_reading *rd);
void hm_reading_to_uapi(struct heatmeter_reading *out, const struct hm_txn *t,
			int err, const struct hm_reading *rd, u32 flags);
void hm_meter_publish(struct hm_meter *m, struct heatmeter_reading *out);
bool hm_meter_test_mode(struct hm_meter *m, s64 *expires);
void hm_meter_set_test_mode(struct hm_meter *m, const struct hm_profile *prof,
			    bool on, ktime_t expires);
void hm_meter_invalidate(struct hm_meter *m);
int hm_meter_value(struct hm_meter *m, unsigned int q, s64 *v);
void hm_meter_late(const void *owner, u32 ms);
int hm_mbus_sec_parse(const char *s, u8 *sec);
void hm_mbus_sec_text(const u8 *sec, char *out, size_t size);
int hm_mbus_select_frame(u8 *buf, size_t size, const u8 *sec);

/* the longest a meter's response window grows to (adaptive timing) */
#define HM_METER_WINDOW_MAX_MS	5000
/* telegrams of one M-Bus read at most (DIF 1F: more records follow) */
#define HM_MBUS_TELEGRAMS_MAX	16

/* hwmon.c */
void hm_hwmon_add(struct hm_meter *m);
void hm_hwmon_del(struct hm_meter *m);

extern struct workqueue_struct *hm_scan_wq;

/* scan.c */
void hm_scan_init(struct hm_bus *bus);
int hm_scan_start(struct hm_bus *bus, const char *buf);
ssize_t hm_scan_status(struct hm_bus *bus, char *buf);

#endif /* _HEATMETER_H */
