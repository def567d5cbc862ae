/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cjt188.h - CJ/T 188-2004 requests and replies.
 */
#ifndef HM_CJT188_H
#define HM_CJT188_H

#include "hm_shim.h"
#include "reading.h"
#include "profile.h"

#define HM_CJT188_C_READ	0x01
#define HM_CJT188_C_READ_ADDR	0x03
#define HM_CJT188_C_WRITE	0x04
#define HM_CJT188_DIR_REPLY	0x80
#define HM_CJT188_ABNORMAL	0x40
#define HM_CJT188_TYPE_ANY	0xaa

/* a meter clock outside these years is not a plausible date */
#define HM_CJT188_YEAR_MIN	2000
#define HM_CJT188_YEAR_MAX	2099

/* the broadcast address AA x 7 */
extern const u8 hm_cjt188_broadcast[7];

/**
 * hm_cjt188_build() - build a CJ/T 188 request
 * @buf: output
 * @size: size of @buf
 * @preamble: number of FE bytes to put first (0..4)
 * @type: meter type T (0x20 heat, 0xAA any)
 * @addr: A0..A6 as on the wire (low byte first), e.g. hm_cjt188_broadcast
 * @ctrl: C
 * @payload: DI0 DI1 SER DATA as on the wire (NULL if @plen is 0)
 * @plen: payload length (L), at most 255
 *
 * Return: frame length (preamble included) or -HM_ENOSPC / -HM_EINVAL.
 */
int hm_cjt188_build(u8 *buf, size_t size, unsigned int preamble, u8 type,
		    const u8 *addr, u8 ctrl, const u8 *payload, size_t plen);

/**
 * hm_cjt188_build_cmd() - build a profile command as a CJ/T 188 request
 * @buf: output
 * @size: size of @buf
 * @prof: profile (preamble count and meter type come from it)
 * @cmd: one of the profile's commands (must be HM_PROTO_CJT188)
 * @addr: A0..A6 (NULL = broadcast)
 *
 * Return: frame length or negative HM_E* (-HM_ENOTSUPP if @cmd is empty).
 */
int hm_cjt188_build_cmd(u8 *buf, size_t size, const struct hm_profile *prof,
			const struct hm_cmd *cmd, const u8 *addr);

/**
 * hm_cjt188_build_read() - read data with a DI
 * @buf: output
 * @size: size of @buf
 * @prof: profile (preamble, meter type)
 * @addr: A0..A6 (NULL = broadcast)
 * @di0: first DI byte on the wire
 * @di1: second DI byte on the wire
 * @ser: SER
 *
 * Return: frame length or negative HM_E*.
 */
int hm_cjt188_build_read(u8 *buf, size_t size, const struct hm_profile *prof,
			 const u8 *addr, u8 di0, u8 di1, u8 ser);

/**
 * hm_cjt188_build_write() - write data (C=04) with a DI and data bytes
 * @buf: output
 * @size: size of @buf
 * @prof: profile
 * @addr: A0..A6 (NULL = broadcast)
 * @di0: first DI byte on the wire
 * @di1: second DI byte on the wire
 * @ser: SER
 * @data: data after SER
 * @dlen: length of @data
 *
 * Return: frame length or negative HM_E*.
 */
int hm_cjt188_build_write(u8 *buf, size_t size, const struct hm_profile *prof,
			  const u8 *addr, u8 di0, u8 di1, u8 ser,
			  const u8 *data, size_t dlen);

/**
 * hm_cjt188_check() - validate a CJ/T 188 frame (68 ... 16)
 * @frame: frame from 0x68
 * @len: its length
 *
 * Return: 0 or -HM_ELENGTH / -HM_EBADCS / -HM_ESTOP / -HM_EFORMAT.
 */
int hm_cjt188_check(const u8 *frame, size_t len);

/**
 * hm_cjt188_decode() - decode a CJ/T 188 reply
 * @frame: frame from 0x68 to 0x16
 * @len: its length
 * @prof: profile, or NULL to auto-select (hm_profile_match())
 * @id: filled with protocol, meter type, address (and id if the layout has
 *      one); may be NULL
 * @rd: filled with the quantities present; may be NULL
 *
 * Read-address replies (C=83) fill @id only. Fields that are unused
 * (33 33 33 33, FF FF FF FF) are left absent, and so is a field whose unit
 * byte does not fit its quantity (a zero filler 00 00 00 00 with a unit
 * byte of 00 included). With HM_LF_UNIT_SWAP the unit position (after or
 * before the values) is decided from all fields together; the real-time
 * field is read in the standard order or year first, whichever is a valid
 * date in HM_CJT188_YEAR_MIN..HM_CJT188_YEAR_MAX (both: the standard
 * order, flagged HM_RD_TIME_AMBIGUOUS; year first: HM_RD_TIME_YEAR_FIRST).
 * Documentation/heatmeter.rst, "CJ/T 188 replies", has the rules.
 *
 * Return: 0 or negative HM_E*: -HM_EMETERERR for an abnormal reply,
 * -HM_EBCD, -HM_EOVERFLOW, -HM_EUNIT, -HM_EUNSUPPORTED (no layout).
 */
int hm_cjt188_decode(const u8 *frame, size_t len,
		     const struct hm_profile *prof, struct hm_identity *id,
		     struct hm_reading *rd);

/**
 * hm_cjt188_decode_field() - decode one value in a unit into driver units
 * @p: value bytes
 * @len: number of bytes (1..8)
 * @enc: enum hm_enc (BCD, BCD_MSB, INT_LE, FLOAT_LE)
 * @decimals: implied decimals
 * @unit: HM_UNIT_* code
 * @q: enum hm_quantity the value is for (checks the unit's class)
 * @flags: HM_FF_*
 * @out: result
 *
 * A BCD value 80 00 .. 00 (0x80 in the top byte, all else zero) is a signed
 * zero and reads 0. Readings that cannot be are absent: a negative
 * cumulative register (energy, volume, operating time) and a temperature
 * below -273.15 °C.
 *
 * Return: 1 if a value was stored, 0 if the field is unused or impossible
 * (absent), negative HM_E* on error (-HM_EUNIT: @unit does not fit @q).
 */
int hm_cjt188_decode_field(const u8 *p, unsigned int len, unsigned int enc,
			   unsigned int decimals, unsigned int unit,
			   unsigned int q, unsigned int flags, s64 *out);

#endif /* HM_CJT188_H */
