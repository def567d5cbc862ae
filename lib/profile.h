/* SPDX-License-Identifier: GPL-2.0 */
/*
 * profile.h - vendor profiles as constant data.
 *
 * A profile describes a meter family: wire settings, wake-up, the request
 * frames for its commands and the field layouts of its CJ/T 188 replies.
 * The engine (cjt188.c, mbus.c) interprets these tables; adding a vendor is
 * adding a table entry in profiles.c plus vectors, never a branch in code.
 */
#ifndef HM_PROFILE_H
#define HM_PROFILE_H

#include "hm_shim.h"
#include "reading.h"

/* field encodings */
enum hm_enc {
	HM_ENC_BCD = 0,		/* BCD, least significant byte first */
	HM_ENC_BCD_MSB,		/* BCD, most significant byte first */
	HM_ENC_INT_LE,		/* unsigned binary, little endian */
	HM_ENC_FLOAT_LE,	/* IEEE 754 single, little endian */
	HM_ENC_DATETIME,	/* 7 BCD ss mm hh DD MM YYlo YYhi (or reversed) */
	HM_ENC_STATUS,		/* raw bytes LE into hm_reading.status */
	HM_ENC_ID_BCD,		/* BCD LE meter number into hm_identity.id */
};

/* field flags */
#define HM_FF_SIGN80	0x01	/* bit 7 of the top byte is a minus sign */
#define HM_FF_UNUSED33	0x02	/* all 0x33 or all 0xff = quantity absent */

/* unit source */
enum hm_usrc {
	HM_USRC_FIXED = 0,	/* @unit is the unit code */
	HM_USRC_BYTE,		/* unit code is the byte at data offset @unit */
	HM_USRC_NEXT,		/* unit code is the byte right after the value */
};

/*
 * Unit codes: CJ/T 188 codes (01 J ... 35 m3/h) plus internal codes for
 * fixed-unit fields.
 */
#define HM_UNIT_J	0x01
#define HM_UNIT_WH	0x02
#define HM_UNIT_KWH	0x05
#define HM_UNIT_MWH	0x08
#define HM_UNIT_MWH100	0x0a
#define HM_UNIT_KJ	0x0b
#define HM_UNIT_MJ	0x0e
#define HM_UNIT_GJ	0x11
#define HM_UNIT_GJ100	0x13
#define HM_UNIT_W	0x14
#define HM_UNIT_KW	0x17
#define HM_UNIT_MW	0x1a
#define HM_UNIT_L	0x29
#define HM_UNIT_M3	0x2c
#define HM_UNIT_LH	0x32
#define HM_UNIT_M3H	0x35
#define HM_UNIT_CELSIUS	0xf0	/* internal: °C */
#define HM_UNIT_KELVIN	0xf1	/* internal: K (difference) */
#define HM_UNIT_HOUR	0xf2	/* internal: hours */
#define HM_UNIT_SECOND	0xf3	/* internal: seconds */
#define HM_UNIT_NONE	0xff	/* internal: no unit (status, id, time) */

/**
 * struct hm_field - one field of a CJ/T 188 reply layout
 * @quantity: enum hm_quantity, or HM_FIELD_* below for non-quantities
 * @offset: offset of the value from the first byte after SER
 * @len: value length in bytes
 * @enc: enum hm_enc
 * @decimals: implied decimal places of the value
 * @usrc: enum hm_usrc
 * @unit: unit code (HM_USRC_FIXED), unit byte offset (HM_USRC_BYTE); for
 *        HM_USRC_NEXT the quantity whose unit codes the unit byte of a
 *        HM_FIELD_IGNORE field takes (evidence for the unit position),
 *        unused for other quantities
 * @flags: HM_FF_*
 */
struct hm_field {
	u8 quantity;
	u8 offset;
	u8 len;
	u8 enc;
	u8 decimals;
	u8 usrc;
	u8 unit;
	u8 flags;
};

#define HM_FIELD_IGNORE	0xf0	/* documented but not reported */
#define HM_FIELD_STATUS	0xf1
#define HM_FIELD_ID	0xf2

/* layout flags */
#define HM_LF_DI_EITHER	0x01	/* accept DI in both byte orders */
#define HM_LF_UNIT_SWAP	0x02	/* HM_USRC_NEXT groups may come as unit+value */
#define HM_LF_HIGHRES	0x04	/* this reply carries high-resolution values */
#define HM_LF_NO_AUTO	0x08	/* generic layout: no evidence for auto-selection */

/**
 * struct hm_layout - CJ/T 188 reply layout for one DI
 * @di: DI as sent on the wire: di[0] is the first byte after L
 * @reply_c: C of the reply (0x81 for read data)
 * @min_l: smallest L that holds all fields (longer replies are accepted)
 * @type_min: lowest meter type (T) this layout applies to
 * @type_max: highest meter type
 * @flags: HM_LF_*
 * @nfields: entries in @fields
 * @fields: field table
 */
struct hm_layout {
	u8 di[2];
	u8 reply_c;
	u8 min_l;
	u8 type_min;
	u8 type_max;
	u8 flags;
	u8 nfields;
	const struct hm_field *fields;
};

/* command flags */
#define HM_CMD_NO_REPLY		0x01	/* broadcast, nothing comes back */
#define HM_CMD_STATE		0x02	/* changes meter state (needs FMODE_WRITE) */
#define HM_CMD_DESTRUCTIVE	0x04	/* zeroing, address change (CAP_SYS_ADMIN) */
#define HM_CMD_ACK_E5		0x08	/* M-Bus: answered by E5 */

/**
 * struct hm_cmd - a request frame described as data
 * @proto: enum hm_protocol; HM_PROTO_NONE = the profile has no such command
 * @ctrl: C field
 * @ci: M-Bus CI field (unused for CJ/T 188)
 * @len: payload length
 * @flags: HM_CMD_*
 * @data: payload: CJ/T 188 DI0 DI1 SER DATA as on the wire; M-Bus the bytes
 *        after CI
 */
struct hm_cmd {
	u8 proto;
	u8 ctrl;
	u8 ci;
	u8 len;
	u8 flags;
	u8 data[11];
};

/**
 * struct hm_wire - serial settings and wake-up
 * @baud: baud rate for talking
 * @parity: 'E', 'N' or 'O'
 * @data_bits: 8
 * @stop_bits: 1
 * @preamble: FE bytes before each CJ/T 188 request (2..4)
 * @wake_baud: baud rate of the wake-up sequence (0 = @baud)
 * @wake_byte: first wake-up byte value
 * @wake_count: number of @wake_byte (0 = no wake-up)
 * @wake2_byte: second wake-up byte value
 * @wake2_count: number of @wake2_byte
 * @wake_pause_ms: pause after the wake-up before the frame
 */
struct hm_wire {
	u32 baud;
	u8 parity;
	u8 data_bits;
	u8 stop_bits;
	u8 preamble;
	u32 wake_baud;
	u8 wake_byte;
	u16 wake_count;
	u8 wake2_byte;
	u16 wake2_count;
	u16 wake_pause_ms;
};

/**
 * struct hm_profile - a meter family
 * @name: short name ("cjt188", "delu-ultrasonic", ...)
 * @description: one line
 * @protocol: enum hm_protocol of normal reads
 * @wire: serial settings
 * @req_type: meter type T put in CJ/T 188 requests
 * @read: normal read command
 * @read_highres: high-resolution (test-mode) read
 * @read_address: read the meter address
 * @test_enter: enter test (verification) mode
 * @test_exit: leave test mode
 * @sim_flow: start the meter's simulated flow (JJG 225 6.7.3.3)
 * @zero: clear the registers (destructive)
 * @test_expiry_s: test mode ends by itself after this many s (0 = unknown)
 * @mbus_subunit: M-Bus subunit holding test-mode values (0 = same records)
 * @flags: HM_PF_*
 * @nlayouts: entries in @layouts
 * @layouts: CJ/T 188 reply layouts
 */
struct hm_profile {
	const char *name;
	const char *description;
	u8 protocol;
	struct hm_wire wire;
	u8 req_type;
	struct hm_cmd read;
	struct hm_cmd read_highres;
	struct hm_cmd read_address;
	struct hm_cmd test_enter;
	struct hm_cmd test_exit;
	struct hm_cmd sim_flow;
	struct hm_cmd zero;
	u32 test_expiry_s;
	u8 mbus_subunit;
	u8 flags;
	u8 nlayouts;
	const struct hm_layout *layouts;
};

/* profile flags */
#define HM_PF_NO_AUTO	0x01	/* layouts not distinctive: never auto-selected */

/**
 * hm_profile_find() - look a profile up by name
 * @name: profile name
 *
 * Return: the profile, or NULL.
 */
const struct hm_profile *hm_profile_find(const char *name);

/**
 * hm_profile_count() - number of profiles in the table
 *
 * Return: count.
 */
unsigned int hm_profile_count(void);

/**
 * hm_profile_get() - profile by index, for iteration
 * @idx: 0 .. hm_profile_count() - 1
 *
 * Return: the profile, or NULL past the end.
 */
const struct hm_profile *hm_profile_get(unsigned int idx);

/**
 * hm_profile_default() - the standard CJ/T 188 profile ("cjt188")
 *
 * Return: the profile, never NULL.
 */
const struct hm_profile *hm_profile_default(void);

/**
 * hm_profile_find_layout() - layout of @prof for a reply
 * @prof: profile
 * @c: C byte of the reply
 * @t: meter type byte of the reply
 * @di: the two DI bytes as received
 * @l: L of the reply
 *
 * Return: the first layout whose DI (in wire order, or either order with
 * HM_LF_DI_EITHER), C, meter type range and minimum L fit, or NULL.
 */
const struct hm_layout *hm_profile_find_layout(const struct hm_profile *prof,
					       u8 c, u8 t, const u8 *di, u8 l);

/**
 * hm_profile_match() - auto-select a profile for a CJ/T 188 reply
 * @frame: frame from 0x68 to 0x16
 * @len: frame length
 *
 * Picks the first profile in table order without HM_PF_NO_AUTO that has a
 * layout fitting (C, T, DI, L) of the reply; profiles whose layouts look
 * like the standard's (e.g. delu-mechanical) are only used when named.
 *
 * Return: a profile, never NULL (the standard one when nothing fits).
 */
const struct hm_profile *hm_profile_match(const u8 *frame, size_t len);

#endif /* HM_PROFILE_H */
