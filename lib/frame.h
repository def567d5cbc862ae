/* SPDX-License-Identifier: GPL-2.0 */
/*
 * frame.h - byte-stream framer for CJ/T 188 and wired M-Bus.
 *
 * Fed with the chunks a tty's receive_buf delivers (bytes plus per-byte
 * flags), it skips preambles and garbage, finds frames, checks length,
 * checksum and stop byte and hands back one frame at a time. No callbacks,
 * no allocation: the frame buffer lives inside struct hm_framer.
 *
 * After an unflagged candidate frame fails (bad checksum, bad stop byte,
 * timeout) the framer re-scans the bytes that followed its start byte, so a
 * real frame hidden behind a garbage 0x68 or 0x10 (e.g. in a DTU's text
 * prefix) is still found. The failed candidate is reported (bad checksum,
 * bad stop byte) only if no frame came before the line went quiet
 * (hm_framer_timeout()). A candidate containing a byte with a line-error flag is reported
 * bad and dropped as a whole. An E5 followed by more bytes is garbage, not
 * an M-Bus acknowledgment; in AUTO mode an E5 is only reported once the
 * line has gone quiet after it (hm_framer_timeout()).
 */
#ifndef HM_FRAME_H
#define HM_FRAME_H

#include "hm_shim.h"

/* per-byte flags, equal to the kernel's TTY_NORMAL..TTY_OVERRUN */
#define HM_FLAG_NORMAL	0
#define HM_FLAG_BREAK	1
#define HM_FLAG_FRAME	2
#define HM_FLAG_PARITY	3
#define HM_FLAG_OVERRUN	4

/* 68 T A0..A6 C L (11) + 255 data + CS 16; M-Bus long frame is 261 */
#define HM_FRAME_MAX		268
#define HM_MBUS_FRAME_MAX	261
#define HM_CJT188_HDR		11

enum hm_frame_mode {
	HM_MODE_AUTO = 0,	/* both; 68 L L 68 with valid M-Bus CS wins */
	HM_MODE_CJT188,
	HM_MODE_MBUS,
};

enum hm_frame_type {
	HM_FRAME_NONE = 0,
	HM_FRAME_CJT188,	/* 68 T A0..A6 C L DATA CS 16 */
	HM_FRAME_MBUS_ACK,	/* E5 */
	HM_FRAME_MBUS_SHORT,	/* 10 C A CS 16 */
	HM_FRAME_MBUS_LONG,	/* 68 L L 68 C A CI ... CS 16 (L = 3: control) */
};

/**
 * struct hm_framer_stats - why bytes and frames were discarded
 * @rx_bytes: all bytes pushed
 * @preamble_bytes: FE bytes skipped between frames
 * @garbage_bytes: other bytes skipped between frames (text, FC tails, false
 *                 start bytes)
 * @checksum_errors: complete frames with a wrong checksum
 * @parity_errors: bytes flagged HM_FLAG_PARITY
 * @framing_errors: bytes flagged HM_FLAG_FRAME
 * @overrun_errors: bytes flagged HM_FLAG_OVERRUN
 * @break_errors: bytes flagged HM_FLAG_BREAK
 * @truncated: partial frames discarded by hm_framer_timeout()
 * @bad_length: length fields outside the limits (oversized frames)
 * @bad_stop: complete frames without the 0x16 stop byte
 * @bad_frames: frames reported with a negative status (all reasons)
 * @frames_cjt188: good CJ/T 188 frames
 * @frames_mbus_ack: good E5
 * @frames_mbus_short: good short frames
 * @frames_mbus_long: good long/control frames
 */
struct hm_framer_stats {
	u64 rx_bytes;
	u32 preamble_bytes;
	u32 garbage_bytes;
	u32 checksum_errors;
	u32 parity_errors;
	u32 framing_errors;
	u32 overrun_errors;
	u32 break_errors;
	u32 truncated;
	u32 bad_length;
	u32 bad_stop;
	u32 bad_frames;
	u32 frames_cjt188;
	u32 frames_mbus_ack;
	u32 frames_mbus_short;
	u32 frames_mbus_long;
};

/**
 * struct hm_frame_result - one frame, good or bad
 * @status: 0 for a good frame, else negative HM_E* (HM_EBADCS, HM_ESTOP,
 *          HM_EPARITY, HM_EFRAMING, HM_EOVERRUN, HM_EBREAK, HM_ELENGTH)
 * @type: enum hm_frame_type (best guess for a bad frame)
 * @data: frame bytes from the start byte (68/10/E5) to the stop byte;
 *        points into the framer, valid until the next call on it
 * @len: number of bytes at @data
 */
struct hm_frame_result {
	int status;
	u8 type;
	const u8 *data;
	size_t len;
};

/**
 * struct hm_framer - framer state; treat as opaque, read @stats freely
 * @stats: counters, never reset by the framer
 * @mode: enum hm_frame_mode
 * @cjt_max_len: largest accepted CJ/T 188 L (default 0xff)
 * @fill: bytes held in @buf
 * @pos: bytes of @buf examined as part of the current candidate
 * @cand: live candidate kinds (internal bitmask)
 * @taint: first line-error flag seen inside the candidate (0 = none)
 * @fail_type: frame type of the first candidate that failed complete
 * @fail_err: its error (0 = none)
 * @fail_len: its length
 * @pend_err: error of a failed candidate not reported yet (0 = none): it is
 *            reported after hm_framer_timeout() unless a frame came first
 * @pend_type: its frame type
 * @pend_len: its length; its bytes are in @out
 * @quiet: hm_framer_timeout() came: the held bytes are all there will be
 * @buf: candidate bytes, then bytes still to be (re)scanned
 * @out: the frame returned last, or the pending failed candidate
 */
struct hm_framer {
	struct hm_framer_stats stats;
	u8 mode;
	u8 cjt_max_len;
	u16 fill;
	u16 pos;
	u8 cand;
	u8 taint;
	u8 fail_type;
	s8 fail_err;
	u16 fail_len;
	s8 pend_err;
	u8 pend_type;
	u16 pend_len;
	u8 quiet;
	u8 buf[HM_FRAME_MAX];
	u8 out[HM_FRAME_MAX];
};

/**
 * hm_framer_init() - reset a framer completely (counters included)
 * @f: framer
 * @mode: enum hm_frame_mode
 */
void hm_framer_init(struct hm_framer *f, enum hm_frame_mode mode);

/**
 * hm_framer_set_mode() - change the mode; drops a partial frame silently
 * @f: framer
 * @mode: enum hm_frame_mode
 */
void hm_framer_set_mode(struct hm_framer *f, enum hm_frame_mode mode);

/**
 * hm_framer_push() - feed bytes until a frame completes or input ends
 * @f: framer
 * @data: received bytes (may be NULL if @len is 0)
 * @flags: per-byte HM_FLAG_* values, or NULL for all normal
 * @len: number of bytes
 * @out: set to the frame found, or type HM_FRAME_NONE / len 0 if none
 *
 * Call it in a loop, advancing @data and @flags by the return value, until
 * all bytes are consumed and no frame is returned (bytes buffered after a
 * bad candidate may still produce a frame with @len 0).
 *
 * Return: number of bytes of @data consumed.
 */
size_t hm_framer_push(struct hm_framer *f, const u8 *data, const u8 *flags,
		      size_t len, struct hm_frame_result *out);

/**
 * hm_framer_midframe() - is a partial frame pending?
 * @f: framer
 *
 * Return: true when the caller should arm the inter-byte timeout (a partial
 * frame, a held E5 or a failed candidate held back is pending).
 */
bool hm_framer_midframe(const struct hm_framer *f);

/**
 * hm_framer_timeout() - the inter-byte timeout expired
 * @f: framer
 *
 * Discards the partial frame (counted in stats.truncated); bytes after its
 * start byte are kept for re-scanning by the next hm_framer_push() (call it
 * with @len 0 to re-scan at once): that re-scan takes no more bytes, a
 * candidate it leaves open is cut too. A failed candidate held back (bad
 * checksum or stop byte, see above) is reported by that push unless a frame
 * is found in the held bytes; a candidate open after it is then part of the
 * re-scan, not counted as truncated. In AUTO mode a held E5 becomes an
 * acknowledgment that the next hm_framer_push() reports.
 *
 * Return: the error of a held-back failed candidate (-HM_EBADCS,
 * -HM_ESTOP) now due, else -HM_ETRUNC if a partial frame was discarded, 0
 * if nothing was pending (or only an E5).
 */
int hm_framer_timeout(struct hm_framer *f);

/**
 * hm_framer_reset() - drop everything buffered (e.g. before a new request)
 * @f: framer
 *
 * Counters and mode are kept; a dropped partial frame is not counted.
 */
void hm_framer_reset(struct hm_framer *f);

/**
 * hm_frame_type_name() - "cjt188", "mbus-ack", "mbus-short", "mbus-long"
 * @type: enum hm_frame_type
 *
 * Return: static string.
 */
const char *hm_frame_type_name(unsigned int type);

#endif /* HM_FRAME_H */
