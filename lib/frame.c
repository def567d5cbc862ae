// SPDX-License-Identifier: GPL-2.0
/*
 * frame.c - byte-stream framer for CJ/T 188 and wired M-Bus.
 *
 * The candidate frame always starts at buf[0]; buf[pos..fill) holds bytes
 * already received but not yet examined (left over after a candidate that
 * failed and is re-scanned from its second byte). In AUTO mode a 0x68 opens
 * two candidates at once, CJ/T 188 (68 T A0..A6 C L) and M-Bus
 * (68 L L 68); each dies when its header is inconsistent or it completes
 * with a bad checksum, the first one complete and valid wins.
 *
 * Resync: when every candidate at a start byte has died, the framer drops
 * that start byte and re-scans the bytes it holds from the next start
 * byte. A candidate that died complete (bad checksum or stop byte) is not
 * reported at once: its bytes are kept in @out and reported when the line
 * goes quiet (hm_framer_timeout(), then the next hm_framer_push()), so
 * garbage holding a 0x68 or 0x10 before a frame costs nothing. A frame
 * reported meanwhile (good, or bad by a line error) supersedes it; it then
 * counts as one garbage byte.
 *
 * Quiet line: after hm_framer_timeout() no more bytes come for what is
 * held, so the next push finishes the re-scan of the held bytes: a
 * candidate still open when they run out is cut (its start byte is
 * garbage) and the scan goes on from the next start byte, until a frame is
 * found or the bytes are used up; then a held-back failure is reported.
 *
 * E5: a single character is an M-Bus acknowledgment only when nothing
 * follows it. An E5 followed by bytes the framer already holds is garbage
 * in every mode; in AUTO mode a fresh E5 is held until the next byte
 * (garbage: it was not alone) or hm_framer_timeout() (the line went quiet:
 * an acknowledgment, reported by the next hm_framer_push()). In MBUS mode
 * a fresh E5 is reported at once: the bus engine waits for it there.
 */
#include "frame.h"
#include "hm_err.h"
#include "hm_util.h"

#define CAND_CJT	0x01
#define CAND_LONG	0x02
#define CAND_SHORT	0x04
#define CAND_ACK	0x08	/* AUTO: E5 held, waiting for the next byte */
#define CAND_ACK_IDLE	0x10	/* AUTO: E5 followed by line idle: report it */

void hm_framer_init(struct hm_framer *f, enum hm_frame_mode mode)
{
	memset(f, 0, sizeof(*f));
	f->mode = mode;
	f->cjt_max_len = 0xff;
}

void hm_framer_reset(struct hm_framer *f)
{
	f->fill = 0;
	f->pos = 0;
	f->cand = 0;
	f->taint = 0;
	f->fail_err = 0;
	f->pend_err = 0;
	f->quiet = 0;
}

void hm_framer_set_mode(struct hm_framer *f, enum hm_frame_mode mode)
{
	hm_framer_reset(f);
	f->mode = mode;
}

bool hm_framer_midframe(const struct hm_framer *f)
{
	return f->fill > 0 || f->pend_err;
}

static void drop_front(struct hm_framer *f, unsigned int n)
{
	if (n >= f->fill) {
		f->fill = 0;
	} else {
		memmove(f->buf, f->buf + n, f->fill - n);
		f->fill -= n;
	}
	f->pos = 0;
	f->cand = 0;
	f->taint = 0;
	f->fail_err = 0;
}

int hm_framer_timeout(struct hm_framer *f)
{
	if (!f->fill && !f->pend_err)
		return 0;
	if (f->fill && f->pos == 0) {
		/* only unexamined bytes: nothing was truncated yet */
		return 0;
	}
	if (f->cand == CAND_ACK) {
		/* an E5 the line left alone: an acknowledgment */
		f->cand = CAND_ACK_IDLE;
		return 0;
	}
	/* no more bytes: the next push finishes the re-scan of those held */
	f->quiet = 1;
	if (f->pend_err) {
		/* what is open is part of the re-scan, not a frame cut short */
		return f->pend_err;
	}
	f->stats.truncated++;
	if (f->taint)
		drop_front(f, f->fill);
	else
		drop_front(f, 1);
	return -HM_ETRUNC;
}

static bool is_start(const struct hm_framer *f, u8 b)
{
	if (b == 0x68)
		return true;
	if (f->mode == HM_MODE_CJT188)
		return false;
	return b == 0x10 || b == 0xe5;
}

static void count_flag(struct hm_framer *f, u8 fl)
{
	switch (fl) {
	case HM_FLAG_BREAK:
		f->stats.break_errors++;
		break;
	case HM_FLAG_FRAME:
		f->stats.framing_errors++;
		break;
	case HM_FLAG_PARITY:
		f->stats.parity_errors++;
		break;
	case HM_FLAG_OVERRUN:
		f->stats.overrun_errors++;
		break;
	default:
		break;
	}
}

static int taint_err(u8 fl)
{
	switch (fl) {
	case HM_FLAG_BREAK:
		return -HM_EBREAK;
	case HM_FLAG_FRAME:
		return -HM_EFRAMING;
	case HM_FLAG_OVERRUN:
		return -HM_EOVERRUN;
	default:
		return -HM_EPARITY;
	}
}

/* report the @len bytes in @out; supersedes a pending failure */
static void report(struct hm_framer *f, struct hm_frame_result *out,
		   int status, u8 type, unsigned int len)
{
	if (f->pend_err) {
		/* its start byte was garbage after all */
		f->pend_err = 0;
		f->stats.garbage_bytes++;
	}
	out->status = status;
	out->type = type;
	out->data = f->out;
	out->len = len;
	if (status) {
		f->stats.bad_frames++;
		if (status == -HM_EBADCS)
			f->stats.checksum_errors++;
		else if (status == -HM_ESTOP)
			f->stats.bad_stop++;
		return;
	}
	switch (type) {
	case HM_FRAME_CJT188:
		f->stats.frames_cjt188++;
		break;
	case HM_FRAME_MBUS_ACK:
		f->stats.frames_mbus_ack++;
		break;
	case HM_FRAME_MBUS_SHORT:
		f->stats.frames_mbus_short++;
		break;
	default:
		f->stats.frames_mbus_long++;
		break;
	}
}

static void emit(struct hm_framer *f, struct hm_frame_result *out, int status,
		 u8 type, unsigned int len)
{
	memcpy(f->out, f->buf, len);
	report(f, out, status, type, len);
}

/* the line went quiet with no frame after it: report the failed candidate */
static void emit_pending(struct hm_framer *f, struct hm_frame_result *out)
{
	int err = f->pend_err;

	f->pend_err = 0;
	report(f, out, err, f->pend_type, f->pend_len);
}

/* check a complete candidate of @type and length @n: 0 or -HM_E* */
static int check_complete(const u8 *b, unsigned int n, u8 type)
{
	u8 cs;

	switch (type) {
	case HM_FRAME_MBUS_SHORT:
		cs = b[1] + b[2];
		break;
	case HM_FRAME_MBUS_LONG:
		cs = hm_u8_sum(b + 4, n - 6);
		break;
	default:
		cs = hm_u8_sum(b, n - 2);
		break;
	}
	if (cs != b[n - 2])
		return -HM_EBADCS;
	if (b[n - 1] != 0x16)
		return -HM_ESTOP;
	return 0;
}

/*
 * Candidate @type with total length @n reached pos == n.
 * Returns 1 if a frame was emitted, 0 to continue.
 */
static int complete(struct hm_framer *f, struct hm_frame_result *out,
		    u8 bit, u8 type, unsigned int n)
{
	int err;

	if (f->taint) {
		emit(f, out, taint_err(f->taint), type, n);
		drop_front(f, n);
		return 1;
	}
	err = check_complete(f->buf, n, type);
	if (!err) {
		emit(f, out, 0, type, n);
		drop_front(f, n);
		return 1;
	}
	f->cand &= ~bit;
	if (!f->fail_err) {
		f->fail_err = err;
		f->fail_type = type;
		f->fail_len = n;
	}
	return 0;
}

/* all candidates died: report the first full-length failure, or drop quietly */
static int all_dead(struct hm_framer *f, struct hm_frame_result *out)
{
	if (f->taint) {
		/* a line error inside what looked like a frame */
		emit(f, out, taint_err(f->taint),
		     f->buf[0] == 0x68 ? HM_FRAME_CJT188 : HM_FRAME_MBUS_SHORT,
		     f->pos);
		drop_front(f, f->pos);
		return 1;
	}
	if (f->fail_err && !f->pend_err) {
		/* held back: reported when the line goes quiet, unless a
		 * frame comes first
		 */
		memcpy(f->out, f->buf, f->fail_len);
		f->pend_err = f->fail_err;
		f->pend_type = f->fail_type;
		f->pend_len = f->fail_len;
	} else {
		f->stats.garbage_bytes++;
	}
	drop_front(f, 1);
	return 0;
}

/* the byte at buf[pos - 1] was added to the candidate */
static int advance(struct hm_framer *f, struct hm_frame_result *out)
{
	unsigned int p = f->pos - 1;
	const u8 *b = f->buf;
	u8 c = b[p];

	if (p == 0) {
		f->fail_err = 0;
		if (c == 0xe5) {
			if (f->fill > 1 && !f->taint) {
				/* bytes follow it: not a single character */
				f->stats.garbage_bytes++;
				drop_front(f, 1);
				return 0;
			}
			if (f->mode == HM_MODE_AUTO && !f->taint) {
				f->cand = CAND_ACK;
				return 0;
			}
			emit(f, out, f->taint ? taint_err(f->taint) : 0,
			     HM_FRAME_MBUS_ACK, 1);
			drop_front(f, 1);
			return 1;
		}
		if (c == 0x10) {
			f->cand = CAND_SHORT;
		} else {
			f->cand = 0;
			if (f->mode != HM_MODE_MBUS)
				f->cand |= CAND_CJT;
			if (f->mode != HM_MODE_CJT188)
				f->cand |= CAND_LONG;
		}
		return 0;
	}
	if (f->cand & CAND_SHORT) {
		if (p == 4 && complete(f, out, CAND_SHORT, HM_FRAME_MBUS_SHORT, 5))
			return 1;
	}
	if (f->cand & CAND_LONG) {
		if ((p == 1 && c < 3) || (p == 2 && c != b[1]) ||
		    (p == 3 && c != 0x68)) {
			f->cand &= ~CAND_LONG;
		} else if (p >= 5 && p == b[1] + 5u) {
			if (complete(f, out, CAND_LONG, HM_FRAME_MBUS_LONG,
				     b[1] + 6u))
				return 1;
		}
	}
	if (f->cand & CAND_CJT) {
		if (p == 10 && c > f->cjt_max_len) {
			f->stats.bad_length++;
			f->cand &= ~CAND_CJT;
		} else if (p > 10 && p == b[10] + 12u) {
			if (complete(f, out, CAND_CJT, HM_FRAME_CJT188,
				     b[10] + 13u))
				return 1;
		}
	}
	if (!f->cand)
		return all_dead(f, out);
	return 0;
}

size_t hm_framer_push(struct hm_framer *f, const u8 *data, const u8 *flags,
		      size_t len, struct hm_frame_result *out)
{
	size_t i = 0;

	out->status = 0;
	out->type = HM_FRAME_NONE;
	out->data = NULL;
	out->len = 0;

	for (;;) {
		u8 b, fl = HM_FLAG_NORMAL;

		if (f->cand == CAND_ACK_IDLE) {
			emit(f, out, 0, HM_FRAME_MBUS_ACK, 1);
			drop_front(f, 1);
			break;
		}
		if (f->pos < f->fill) {
			b = f->buf[f->pos];
			if (f->pos == 0 && !is_start(f, b)) {
				f->stats.garbage_bytes++;
				drop_front(f, 1);
				continue;
			}
		} else if (f->quiet) {
			/* the line went quiet: nothing more comes for these */
			if (f->cand == CAND_ACK) {
				emit(f, out, 0, HM_FRAME_MBUS_ACK, 1);
				drop_front(f, 1);
				break;
			}
			if (f->fill) {
				/* an open candidate of the re-scan: cut it */
				f->stats.garbage_bytes++;
				drop_front(f, f->taint ? f->fill : 1);
				continue;
			}
			f->quiet = 0;
			if (f->pend_err) {
				emit_pending(f, out);
				break;
			}
			continue;
		} else if (i < len) {
			b = data[i];
			if (flags)
				fl = flags[i];
			i++;
			f->stats.rx_bytes++;
			count_flag(f, fl);
			if (f->cand == CAND_ACK) {
				/* a byte after a held E5: it was not alone */
				f->stats.garbage_bytes++;
				drop_front(f, 1);
			}
			if (f->pos == 0 && !is_start(f, b)) {
				if (b == 0xfe && !fl)
					f->stats.preamble_bytes++;
				else
					f->stats.garbage_bytes++;
				continue;
			}
			if (f->fill >= HM_FRAME_MAX) {
				/* cannot happen: candidates end by then */
				f->stats.bad_length++;
				drop_front(f, f->fill);
				continue;
			}
			f->buf[f->fill++] = b;
		} else {
			break;
		}
		if (fl && !f->taint)
			f->taint = fl;
		f->pos++;
		if (advance(f, out))
			break;
	}
	return i;
}

const char *hm_frame_type_name(unsigned int type)
{
	switch (type) {
	case HM_FRAME_CJT188:
		return "cjt188";
	case HM_FRAME_MBUS_ACK:
		return "mbus-ack";
	case HM_FRAME_MBUS_SHORT:
		return "mbus-short";
	case HM_FRAME_MBUS_LONG:
		return "mbus-long";
	default:
		return "none";
	}
}
