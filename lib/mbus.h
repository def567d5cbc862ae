/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mbus.h - wired M-Bus, EN 13757-2 link layer and EN 13757-3 records.
 */
#ifndef HM_MBUS_H
#define HM_MBUS_H

#include "hm_shim.h"
#include "reading.h"
#include "profile.h"

#define HM_MBUS_ACK		0xe5
#define HM_MBUS_C_SND_NKE	0x40
#define HM_MBUS_C_SND_UD	0x53
#define HM_MBUS_C_REQ_UD2	0x5b
#define HM_MBUS_FCB		0x20
#define HM_MBUS_ADDR_SECONDARY	0xfd
#define HM_MBUS_ADDR_BCAST_REPLY 0xfe
#define HM_MBUS_ADDR_BCAST	0xff
#define HM_MBUS_CI_APP_RESET	0x50
#define HM_MBUS_CI_DATA_SEND	0x51
#define HM_MBUS_CI_SELECT	0x52

#define HM_MBUS_MAX_DIFE	10
#define HM_MBUS_MAX_VIFE	10

/**
 * hm_mbus_build_short() - short frame 10 C A CS 16
 * @buf: output (>= 5 bytes)
 * @size: size of @buf
 * @ctrl: C
 * @addr: A
 *
 * Return: 5 or -HM_ENOSPC.
 */
int hm_mbus_build_short(u8 *buf, size_t size, u8 ctrl, u8 addr);

/**
 * hm_mbus_build_long() - long frame 68 L L 68 C A CI DATA CS 16
 * @buf: output
 * @size: size of @buf
 * @ctrl: C
 * @addr: A
 * @ci: CI
 * @data: bytes after CI (NULL if @dlen is 0)
 * @dlen: their number (at most 252)
 *
 * Return: frame length or negative HM_E*.
 */
int hm_mbus_build_long(u8 *buf, size_t size, u8 ctrl, u8 addr, u8 ci,
		       const u8 *data, size_t dlen);

/**
 * hm_mbus_build_snd_nke() - SND_NKE (link reset, clears the FCB state)
 * @buf: output
 * @size: size of @buf
 * @addr: primary address
 *
 * Return: frame length or negative HM_E*.
 */
int hm_mbus_build_snd_nke(u8 *buf, size_t size, u8 addr);

/**
 * hm_mbus_build_req_ud2() - REQ_UD2 (request class 2 data)
 * @buf: output
 * @size: size of @buf
 * @addr: primary address (FD = selected secondary, FE = any)
 * @fcb: frame count bit
 *
 * Return: frame length or negative HM_E*.
 */
int hm_mbus_build_req_ud2(u8 *buf, size_t size, u8 addr, bool fcb);

/**
 * struct hm_mbus_select - secondary address mask
 * @id: 8 BCD digits as nibbles; a nibble 0xF is a wildcard
 * @man: manufacturer code (0xffff = any)
 * @version: version (0xff = any)
 * @medium: medium (0xff = any)
 */
struct hm_mbus_select {
	u32 id;
	u16 man;
	u8 version;
	u8 medium;
};

/**
 * hm_mbus_build_select() - SND_UD to FD with CI 52 (select secondary)
 * @buf: output
 * @size: size of @buf
 * @sel: mask
 * @fcb: frame count bit
 *
 * Return: frame length or negative HM_E*.
 */
int hm_mbus_build_select(u8 *buf, size_t size,
			 const struct hm_mbus_select *sel, bool fcb);

/**
 * hm_mbus_build_app_reset() - SND_UD CI 50 (application reset)
 * @buf: output
 * @size: size of @buf
 * @addr: A (FE for a single meter on a bench)
 * @subcode: subcode byte (e.g. 0x90 test mode), or < 0 for none
 *
 * Return: frame length or negative HM_E*.
 */
int hm_mbus_build_app_reset(u8 *buf, size_t size, u8 addr, int subcode);

/**
 * hm_mbus_build_freeze() - SND_UD CI 51 "freeze data" (VIFE 0x0B)
 * @buf: output
 * @size: size of @buf
 * @addr: A (FF = broadcast without reply)
 * @storage: storage number to freeze into (1..15)
 *
 * Record sent: DIF (no data, storage bit) [DIFE], VIF 0xFE (any VIF),
 * VIFE 0x0B (freeze). The group standard's own trigger is not public.
 *
 * Return: frame length or negative HM_E*.
 */
int hm_mbus_build_freeze(u8 *buf, size_t size, u8 addr, unsigned int storage);

/**
 * hm_mbus_build_cmd() - build a profile command (proto HM_PROTO_MBUS)
 * @buf: output
 * @size: size of @buf
 * @cmd: command; ctrl 0x10 style short frames have @ci 0 and @len 0 and
 *       ctrl with bit 6 set (REQ_UD2/SND_NKE) are built as short frames
 * @addr: A
 *
 * Return: frame length or negative HM_E* (-HM_ENOTSUPP for an empty cmd).
 */
int hm_mbus_build_cmd(u8 *buf, size_t size, const struct hm_cmd *cmd, u8 addr);

/**
 * hm_mbus_check() - validate an M-Bus frame (E5, short or long)
 * @frame: frame bytes
 * @len: length
 *
 * Return: enum hm_frame_type (> 0) or negative HM_E*.
 */
int hm_mbus_check(const u8 *frame, size_t len);

/**
 * hm_mbus_man_decode() - manufacturer field to 3 letters
 * @man: the 16-bit field
 * @out: 4 bytes, NUL terminated
 */
void hm_mbus_man_decode(u16 man, char *out);

/* record functions (DIF bits 4-5) */
#define HM_MBUS_FN_INST		0
#define HM_MBUS_FN_MAX		1
#define HM_MBUS_FN_MIN		2
#define HM_MBUS_FN_ERR		3

/* record kinds */
enum hm_mbus_kind {
	HM_MBUS_REC_DATA = 0,	/* a data record */
	HM_MBUS_REC_MANUF,	/* 0x0F/0x1F: manufacturer data to the end */
	HM_MBUS_REC_IDLE,	/* 0x2F filler (not returned by the iterator) */
};

/**
 * struct hm_mbus_record - one EN 13757-3 data record
 * @kind: enum hm_mbus_kind
 * @dif: DIF
 * @vif: primary VIF (0xfb/0xfd: first VIFE gives the code)
 * @function: HM_MBUS_FN_*
 * @ndife: number of DIFEs
 * @nvife: number of VIFEs
 * @more_follows: DIF 0x1F seen
 * @storage: storage number: DIF bit 6, then 4 bits of each DIFE (41 bits)
 * @tariff: tariff: 2 bits of each DIFE (20 bits)
 * @subunit: subunit (device): 1 bit of each DIFE (10 bits)
 * @vife: the VIFE bytes (first HM_MBUS_MAX_VIFE)
 * @data: value bytes (points into the frame)
 * @dlen: value length
 * @vif_text: plain-text VIF (0x7C/0xFC) string bytes, reversed on the wire
 * @vif_text_len: its length
 * @msb: value bytes are most significant first (CI 76)
 * @medium: medium byte of the frame header (0xff when the header has none)
 */
struct hm_mbus_record {
	u8 kind;
	u8 dif;
	u8 vif;
	u8 function;
	u8 ndife;
	u8 nvife;
	u8 more_follows;
	u64 storage;
	u32 tariff;
	u16 subunit;
	u8 vife[HM_MBUS_MAX_VIFE];
	const u8 *data;
	u16 dlen;
	const u8 *vif_text;
	u8 vif_text_len;
	u8 msb;
	u8 medium;
};

/**
 * struct hm_mbus_iter - record iterator state (see hm_mbus_iter_init())
 * @p: records start
 * @len: records length
 * @pos: current offset
 * @count: records returned so far
 * @msb: CI 76 (values most significant byte first)
 * @medium: medium byte of the header (0xff when the header has none)
 */
struct hm_mbus_iter {
	const u8 *p;
	size_t len;
	size_t pos;
	unsigned int count;
	u8 msb;
	u8 medium;
};

/**
 * hm_mbus_parse_header() - check a RSP_UD and read its header
 * @frame: long frame from 0x68 to 0x16
 * @len: length
 * @id: filled with the identity from the header (may be NULL)
 * @it: set up to iterate the data records (may be NULL)
 *
 * Return: 0, or negative HM_E*: -HM_EMETERERR (CI 70), -HM_EALARM (CI 71),
 * -HM_EBUSY (application busy), -HM_EUNSUPPORTED (other CI), -HM_ETRUNC.
 */
int hm_mbus_parse_header(const u8 *frame, size_t len, struct hm_identity *id,
			 struct hm_mbus_iter *it);

/**
 * hm_mbus_next_record() - next data record
 * @it: iterator
 * @rec: the record
 *
 * Return: 1 with @rec filled, 0 at the end, negative HM_E* for a malformed
 * record (-HM_ETRUNC, -HM_ETOOMANY for > 10 DIFE/VIFE) or one whose length
 * is unknown (-HM_EUNSUPPORTED: reserved LVAR F7-FF).
 */
int hm_mbus_next_record(struct hm_mbus_iter *it, struct hm_mbus_record *rec);

/**
 * hm_mbus_record_value() - a record's value as a quantity in driver units
 * @rec: record
 * @q: set to the enum hm_quantity the record is, or HM_Q_COUNT when it is
 *     not one the driver reports (no data, a VIF or a combinable VIFE that
 *     makes it something else: see Documentation/heatmeter.rst); set even
 *     when the value cannot be decoded
 * @value: value in driver units (for HM_Q_METER_TIME: unused)
 * @dt: filled for date/time records (may be NULL)
 *
 * Storage, tariff, subunit and function are not looked at: the caller
 * decides which record counts.
 *
 * Return: 1 if @value/@dt is set, 0 if the record is no quantity (@q is
 * HM_Q_COUNT), negative HM_E* when it is quantity @q but its value cannot
 * be had (-HM_EBCD, -HM_EOVERFLOW, -HM_EFORMAT for NaN or a bad date,
 * -HM_EUNSUPPORTED for a text value).
 */
int hm_mbus_record_value(const struct hm_mbus_record *rec, unsigned int *q,
			 s64 *value, struct hm_datetime *dt);

/* hm_mbus_decode() flags */
#define HM_MBUS_DF_SUBUNIT1	0x01	/* report subunit-1 records (test mode) */
#define HM_MBUS_DF_MERGE	0x02	/* add to @rd: a later telegram of a read */
/* report the records of storage number N (due-date values), not storage 0 */
#define HM_MBUS_DF_STORAGE(n)	(((n) & 0xffffu) << 8)
#define HM_MBUS_DF_STORAGE_OF(f)	(((f) >> 8) & 0xffffu)

/**
 * hm_mbus_decode() - decode a RSP_UD into identity and reading
 * @frame: long frame from 0x68 to 0x16
 * @len: length
 * @flags: HM_MBUS_DF_*
 * @id: identity (may be NULL)
 * @rd: reading (may be NULL)
 *
 * The first record of each quantity with storage 0, tariff 0, subunit 0
 * (subunit 1 with HM_MBUS_DF_SUBUNIT1) and function instantaneous counts.
 * When its value cannot be decoded (invalid BCD, NaN, overflow) that
 * quantity is not valid in @rd; later records of the same quantity never
 * stand in for it, and errors in records that do not count are ignored.
 * HM_RD_MORE_RECORDS is set when a DIF 0x1F was seen.
 * With HM_MBUS_DF_MERGE, @rd is not cleared first: the telegram adds the
 * quantities @rd does not have yet (a multi-telegram read, in order), and
 * HM_RD_MORE_RECORDS tells whether this telegram announced another one.
 * HM_MBUS_DF_STORAGE(N) reports storage number N's records instead of the
 * current values (N = 1: the due-date values of a heat meter).
 *
 * Return: 0, or negative HM_E* for a frame or a record structure that
 * cannot be parsed.
 */
int hm_mbus_decode(const u8 *frame, size_t len, unsigned int flags,
		   struct hm_identity *id, struct hm_reading *rd);

#endif /* HM_MBUS_H */
