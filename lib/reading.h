/* SPDX-License-Identifier: GPL-2.0 */
/*
 * reading.h - the normalized reading and meter identity.
 *
 * Units (fixed milli-units, exact integers, see DESIGN.md):
 * energy, cooling_energy mWh; volume mL; power mW; flow mL/h;
 * supply_temp, return_temp m°C; temp_diff mK; operating_time s.
 */
#ifndef HM_READING_H
#define HM_READING_H

#include "hm_shim.h"

enum hm_quantity {
	HM_Q_ENERGY = 0,
	HM_Q_COOLING_ENERGY,
	HM_Q_VOLUME,
	HM_Q_POWER,
	HM_Q_FLOW,
	HM_Q_SUPPLY_TEMP,
	HM_Q_RETURN_TEMP,
	HM_Q_TEMP_DIFF,
	HM_Q_OPERATING_TIME,
	HM_Q_METER_TIME,	/* in hm_reading.meter_time, not values[] */
	HM_Q_COUNT
};

#define HM_QBIT(q) (1U << (q))

/* hm_reading.flags */
#define HM_RD_HIGHRES		0x01	/* values come from test/high-res registers */
#define HM_RD_TEST_MODE		0x02	/* the meter reported test (verification) mode */
#define HM_RD_MORE_RECORDS	0x04	/* M-Bus DIF 0x1F: poll again (toggle FCB) */
#define HM_RD_HAS_STATUS	0x08	/* status is valid */
#define HM_RD_TIME_YEAR_FIRST	0x100	/* CJ/T 188 clock was sent year first */
#define HM_RD_TIME_AMBIGUOUS	0x200	/* ... both orders were dates: standard */

/**
 * struct hm_datetime - meter clock as the meter reports it (validated)
 * @year: 4-digit year
 * @month: 1..12
 * @day: 1..31
 * @hour: 0..23
 * @minute: 0..59
 * @second: 0..59
 * @has_time: 0 when only a date was reported
 */
struct hm_datetime {
	u16 year;
	u8 month;
	u8 day;
	u8 hour;
	u8 minute;
	u8 second;
	u8 has_time;
};

/**
 * struct hm_reading - one decoded reading
 * @valid: HM_QBIT(q) set for each quantity the meter reported
 * @values: value of each quantity in the units above (meter time excluded)
 * @meter_time: the meter clock, valid if HM_QBIT(HM_Q_METER_TIME)
 * @status: vendor/protocol status (CJ/T 188 ST bytes LE; M-Bus status byte)
 * @flags: HM_RD_*
 */
struct hm_reading {
	u32 valid;
	s64 values[HM_Q_COUNT];
	struct hm_datetime meter_time;
	u32 status;
	u32 flags;
};

enum hm_protocol {
	HM_PROTO_NONE = 0,
	HM_PROTO_CJT188,
	HM_PROTO_MBUS,
};

/**
 * struct hm_identity - who answered
 * @protocol: enum hm_protocol
 * @meter_type: CJ/T 188 T byte (0 for M-Bus)
 * @medium: M-Bus medium byte (0xff unknown); CJ/T 188: 0xff
 * @version: M-Bus version byte
 * @primary: M-Bus primary address (A field of the reply)
 * @access_no: M-Bus access number
 * @mbus_status: M-Bus status byte of the header
 * @signature: M-Bus signature
 * @address: CJ/T 188: 14 hex digits A6..A0, NUL terminated; M-Bus: decimal
 *           primary address
 * @id: identification number as digits (M-Bus ID, CJ/T vendor meter number,
 *      fabrication number when no other), "" if none
 * @manufacturer: M-Bus 3-letter code, "" if none
 * @fabrication: M-Bus fabrication number (VIF 0x78) digits, "" if none
 */
struct hm_identity {
	u8 protocol;
	u8 meter_type;
	u8 medium;
	u8 version;
	u8 primary;
	u8 access_no;
	u8 mbus_status;
	u16 signature;
	char address[16];
	char id[17];
	char manufacturer[4];
	char fabrication[17];
};

/**
 * hm_reading_init() - clear a reading (no quantity valid)
 * @rd: reading
 */
void hm_reading_init(struct hm_reading *rd);

/**
 * hm_identity_init() - clear an identity
 * @id: identity
 */
void hm_identity_init(struct hm_identity *id);

/**
 * hm_quantity_name() - sysfs/JSON name of a quantity ("energy", ...)
 * @q: enum hm_quantity
 *
 * Return: static string, "?" for out-of-range values.
 */
const char *hm_quantity_name(unsigned int q);

/**
 * hm_medium_name() - EN 13757-3 medium name ("heat", "water", ...)
 * @medium: medium byte
 *
 * Return: static string.
 */
const char *hm_medium_name(u8 medium);

#endif /* HM_READING_H */
