/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * heatmeter: the character device ABI (/dev/heatmeterN).
 *
 * read() yields one struct heatmeter_reading per completed reading of the
 * meter; the ioctls below read on demand and drive the verification methods
 * of heat-meter test benches. Every struct begins with its size, which must
 * equal the size encoded in the ioctl number (a check that caller and
 * kernel agree); a struct that grows gets a new ioctl number. The kernel
 * writes every output field.
 *
 * Units (exact integers): energy mWh, volume mL, power mW, flow mL/h,
 * temperatures milli-degrees Celsius, temperature difference mK, operating time s.
 * Timestamps are nanoseconds of CLOCK_MONOTONIC unless named _real
 * (CLOCK_REALTIME); 0 means "did not happen".
 *
 * Documentation/userspace-api/heatmeter.rst describes each call.
 */
#ifndef _UAPI_LINUX_HEATMETER_H
#define _UAPI_LINUX_HEATMETER_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Quantities: index into values[] and bit number in valid. */
#define HEATMETER_Q_ENERGY		0	/* mWh, cumulative heat */
#define HEATMETER_Q_COOLING_ENERGY	1	/* mWh, cumulative cooling */
#define HEATMETER_Q_VOLUME		2	/* mL, cumulative */
#define HEATMETER_Q_POWER		3	/* mW */
#define HEATMETER_Q_FLOW		4	/* mL/h */
#define HEATMETER_Q_SUPPLY_TEMP		5	/* milli-degrees Celsius */
#define HEATMETER_Q_RETURN_TEMP		6	/* milli-degrees Celsius */
#define HEATMETER_Q_TEMP_DIFF		7	/* mK */
#define HEATMETER_Q_OPERATING_TIME	8	/* s */
#define HEATMETER_Q_METER_TIME		9	/* in meter_time, not values[] */
#define HEATMETER_Q_MAX			16	/* size of values[] */

#define HEATMETER_PROTO_CJT188		1
#define HEATMETER_PROTO_MBUS		2

/* heatmeter_reading.flags */
#define HEATMETER_RD_HIGHRES	(1U << 0) /* test (high-resolution) registers */
#define HEATMETER_RD_TEST_MODE	(1U << 1) /* meter was in test mode */
#define HEATMETER_RD_STATUS	(1U << 2) /* status is valid */
#define HEATMETER_RD_DROPPED	(1U << 3) /* a gap marker: see dropped */
#define HEATMETER_RD_SNAPSHOT	(1U << 4) /* taken by START/STOP */
#define HEATMETER_RD_SYNC	(1U << 5) /* taken by SYNC */
#define HEATMETER_RD_STORAGE	(1U << 6) /* stored values (READ_STORAGE) */

/**
 * struct heatmeter_time - the meter's clock as it reports it
 * @year: e.g. 2026; 0 if the meter reported no clock
 * @month: 1..12
 * @day: 1..31
 * @hour: 0..23
 * @minute: 0..59
 * @second: 0..59
 * @has_time: 0 when only a date was reported
 */
struct heatmeter_time {
	__u16 year;
	__u8 month;
	__u8 day;
	__u8 hour;
	__u8 minute;
	__u8 second;
	__u8 has_time;
};

/**
 * struct heatmeter_timestamps - instants of one bus transaction
 * @queued: the request was queued on the bus
 * @tx_start: its first byte was handed to the tty driver
 * @tx_done: its last byte had left the UART (tty drained)
 * @rx_first: the first byte of the reply arrived
 * @rx_last: the reply frame was complete
 * @complete_real: CLOCK_REALTIME when the reading completed
 */
struct heatmeter_timestamps {
	__s64 queued;
	__s64 tx_start;
	__s64 tx_done;
	__s64 rx_first;
	__s64 rx_last;
	__s64 complete_real;
};

/**
 * struct heatmeter_reading - one reading (read() and the ioctls)
 * @size: sizeof(struct heatmeter_reading)
 * @flags: HEATMETER_RD_*
 * @error: 0, or the negative errno of a failed reading (-ETIMEDOUT,
 *         -EIO, -ENODEV); values are then not valid
 * @valid: bit HEATMETER_Q_* set for each quantity the meter reported
 * @values: the quantities, in the units above
 * @meter_time: the meter's clock, if bit HEATMETER_Q_METER_TIME is valid
 * @status: meter status (CJ/T 188 ST bytes, M-Bus status byte), if
 *          HEATMETER_RD_STATUS
 * @tries: transmissions it took (1 = no retry)
 * @seq: per-meter sequence number of readings, from 1
 * @dropped: with HEATMETER_RD_DROPPED: readings this reader lost because
 *           it did not read fast enough (the record carries no values)
 * @reserved: zero
 * @ts: the transaction's instants
 */
struct heatmeter_reading {
	__u32 size;
	__u32 flags;
	__s32 error;
	__u32 valid;
	__s64 values[HEATMETER_Q_MAX];
	struct heatmeter_time meter_time;
	__u32 status;
	__u32 tries;
	__u64 seq;
	__u32 dropped;
	__u32 reserved;
	struct heatmeter_timestamps ts;
};

/**
 * struct heatmeter_info - the meter (HEATMETER_IOC_GET_INFO)
 * @size: sizeof(struct heatmeter_info)
 * @protocol: HEATMETER_PROTO_*
 * @meter_type: CJ/T 188 meter type byte (0 for M-Bus)
 * @medium: M-Bus medium byte (0xff unknown)
 * @version: M-Bus version byte
 * @test_mode: 1 while the meter is known to be in test mode
 * @caps: HEATMETER_CAP_*
 * @test_mode_expires: when the meter leaves test mode by itself (0 = not
 *                     in test mode, or the profile does not say)
 * @address: CJ/T 188: 14 hex digits A6..A0; M-Bus: primary address
 * @id: identification number, "" if none
 * @manufacturer: M-Bus three-letter code, "" if none
 * @profile: vendor profile name
 * @bus: the bus device's name (hmbusN)
 */
struct heatmeter_info {
	__u32 size;
	__u8 protocol;
	__u8 meter_type;
	__u8 medium;
	__u8 version;
	__u8 test_mode;
	__u8 pad[3];
	__u32 caps;
	__s64 test_mode_expires;
	char address[16];
	char id[24];
	char manufacturer[4];
	char profile[28];
	char bus[16];
};

#define HEATMETER_CAP_TEST_MODE		(1U << 0) /* profile can enter it */
#define HEATMETER_CAP_TEST_MODE_EXIT	(1U << 1) /* ... and leave it */
#define HEATMETER_CAP_HIGHRES		(1U << 2) /* has a high-res read */
#define HEATMETER_CAP_SIMULATED_FLOW	(1U << 3) /* documented command */

/**
 * struct heatmeter_test_mode - enter or leave test mode
 * @size: sizeof(struct heatmeter_test_mode)
 * @enable: 1 enter, 0 leave
 * @expires: out: when the meter leaves test mode by itself (0: unknown)
 */
struct heatmeter_test_mode {
	__u32 size;
	__u32 enable;
	__s64 expires;
};

/* heatmeter_snapshot.flags, heatmeter_sync.flags */
#define HEATMETER_ASYNC	(1U << 0) /* queue and return at once */
#define HEATMETER_WAIT	(1U << 1) /* wait for what ASYNC queued */

/**
 * struct heatmeter_snapshot - start-stop method (START, STOP)
 * @size: sizeof(struct heatmeter_snapshot)
 * @flags: 0 (read and wait), HEATMETER_ASYNC or HEATMETER_WAIT: to take
 *         snapshots of several meters on several ports in parallel, call
 *         with ASYNC on each, then with WAIT on each
 * @start: START's reading (filled by START and by STOP)
 * @stop: STOP's reading (filled by STOP)
 * @d_energy: STOP: stop - start energy, mWh (valid if both have it)
 * @d_volume: STOP: stop - start volume, mL
 * @d_time: STOP: time between the two requests' last bytes on the wire, ns
 * @valid: STOP: bit 0 d_energy valid, bit 1 d_volume valid
 * @reserved: zero
 */
struct heatmeter_snapshot {
	__u32 size;
	__u32 flags;
	struct heatmeter_reading start;
	struct heatmeter_reading stop;
	__s64 d_energy;
	__s64 d_volume;
	__s64 d_time;
	__u32 valid;
	__u32 reserved;
};

#define HEATMETER_SYNC_REALTIME	(1U << 2) /* @at is CLOCK_REALTIME */
#define HEATMETER_SYNC_TRIGGER	(1U << 3) /* send the trigger frame only */

/**
 * struct heatmeter_sync - real-time synchronous method (SYNC)
 * @size: sizeof(struct heatmeter_sync)
 * @flags: HEATMETER_ASYNC / HEATMETER_WAIT as for snapshots;
 *         HEATMETER_SYNC_REALTIME; HEATMETER_SYNC_TRIGGER: transmit the
 *         profile's trigger frame that gets no reply (e.g. an EN 13757-3
 *         "freeze data" broadcast), to be read later, instead of a read
 * @at: the instant to transmit at (CLOCK_MONOTONIC unless
 *      HEATMETER_SYNC_REALTIME); never earlier
 * @late: out: first byte handed to the UART minus @at, ns (>= 0)
 * @reading: out: the reading (not for TRIGGER); its ts carry tx_done,
 *           rx_first, rx_last
 */
struct heatmeter_sync {
	__u32 size;
	__u32 flags;
	__s64 at;
	__s64 late;
	struct heatmeter_reading reading;
};

/**
 * struct heatmeter_simulated_flow - the meter's self-simulated flow
 * @size: sizeof(struct heatmeter_simulated_flow)
 * @enable: 1 start, 0 stop
 */
struct heatmeter_simulated_flow {
	__u32 size;
	__u32 enable;
};

#define HEATMETER_RAW_MAX	240

/**
 * struct heatmeter_raw - a vendor command (HEATMETER_IOC_RAW)
 * @size: sizeof(struct heatmeter_raw)
 * @control: CJ/T 188 C or M-Bus C field
 * @ci: M-Bus CI field (ignored for CJ/T 188)
 * @flags: HEATMETER_RAW_NO_REPLY: do not wait for one
 * @timeout_ms: reply timeout (0: the bus's)
 * @len: bytes in @data: CJ/T 188 DI, SER and data; M-Bus data after CI
 * @reply_control: out: the reply's C (or 0xE5 for a single-character ack)
 * @reply_ci: out: the reply's CI (M-Bus)
 * @reply_len: out: bytes in @reply (the reply's L-counted payload after
 *             the header: CJ/T 188 from DI, M-Bus after CI)
 * @data: payload; the kernel adds preamble, framing, address, checksum
 * @reply: out: the reply payload
 */
struct heatmeter_raw {
	__u32 size;
	__u8 control;
	__u8 ci;
	__u16 flags;
	__u32 timeout_ms;
	__u32 len;
	__u8 reply_control;
	__u8 reply_ci;
	__u16 reply_len;
	__u8 data[HEATMETER_RAW_MAX];
	__u8 reply[HEATMETER_RAW_MAX + 16];
};

#define HEATMETER_RAW_NO_REPLY	(1U << 0)

/**
 * struct heatmeter_storage_read - stored values of a meter (READ_STORAGE)
 * @size: sizeof(struct heatmeter_storage_read)
 * @storage: the storage number, 1..65535: the M-Bus records of that
 *           storage number (1: a heat meter's due-date / billing values,
 *           or what a freeze, HEATMETER_SYNC_TRIGGER, stored)
 * @reserved: zero
 * @reading: out: those values (HEATMETER_RD_STORAGE set; the meter's
 *           clock quantity is the record's date); ENODATA-like: a
 *           quantity the meter keeps no record of is not valid
 */
struct heatmeter_storage_read {
	__u32 size;
	__u32 storage;
	__u64 reserved;
	struct heatmeter_reading reading;
};

#define HEATMETER_IOC_MAGIC	0xBB

#define HEATMETER_IOC_GET_INFO	_IOR(HEATMETER_IOC_MAGIC, 0x00, struct heatmeter_info)
#define HEATMETER_IOC_READ	_IOWR(HEATMETER_IOC_MAGIC, 0x01, struct heatmeter_reading)
#define HEATMETER_IOC_TEST_MODE	_IOWR(HEATMETER_IOC_MAGIC, 0x02, struct heatmeter_test_mode)
#define HEATMETER_IOC_START	_IOWR(HEATMETER_IOC_MAGIC, 0x03, struct heatmeter_snapshot)
#define HEATMETER_IOC_STOP	_IOWR(HEATMETER_IOC_MAGIC, 0x04, struct heatmeter_snapshot)
#define HEATMETER_IOC_SYNC	_IOWR(HEATMETER_IOC_MAGIC, 0x05, struct heatmeter_sync)
#define HEATMETER_IOC_SIMULATED_FLOW \
	_IOW(HEATMETER_IOC_MAGIC, 0x06, struct heatmeter_simulated_flow)
#define HEATMETER_IOC_RAW	_IOWR(HEATMETER_IOC_MAGIC, 0x07, struct heatmeter_raw)
#define HEATMETER_IOC_READ_STORAGE \
	_IOWR(HEATMETER_IOC_MAGIC, 0x08, struct heatmeter_storage_read)

#endif /* _UAPI_LINUX_HEATMETER_H */
