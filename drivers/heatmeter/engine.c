// SPDX-License-Identifier: GPL-2.0
/*
 * heatmeter: the bus transaction engine (see engine.h).
 *
 * State machine, all transitions under e->lock:
 *
 *   IDLE --work--> SEND --work: sent--> WAIT --rx: reply / bad frame-->  DONE
 *                   |  rx: reply                  timer: timeout ------>  DONE
 *                   +---------------------------------------------------> DONE
 *   DONE --work--> IDLE (retry: back to the queue head, or complete)
 *
 * receive_buf (hm_engine_receive()) and the hrtimer only record results and
 * kick the work; the work (process context) sends, sleeps on the line and
 * runs completion callbacks. No lock is held while the line is written.
 */
#include <linux/delay.h>
#include <linux/errno.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "engine.h"
#include "hm_err.h"

#define HM_BITS_PER_BYTE	11

static u64 hm_bits_ns(u32 baud, u32 bits)
{
	return div_u64((u64)bits * NSEC_PER_SEC, baud ? baud : 2400);
}

/* the speed the line is at for the current exchange; lock held */
static u32 hm_line_baud(const struct hm_engine *e)
{
	return e->switched && e->cur && e->cur->baud ? e->cur->baud : e->baud;
}

/* inter-byte timeout: a few byte times plus adapter latency */
static ktime_t hm_gap(const struct hm_engine *e)
{
	return ns_to_ktime(hm_bits_ns(hm_line_baud(e), 4 * HM_BITS_PER_BYTE) +
			   (u64)HM_GAP_SLACK_MS * NSEC_PER_MSEC);
}

/**
 * hm_engine_window_ms() - the M-Bus response window
 * @baud: line speed
 * @latency_ms: the adapter's latency
 *
 * EN 13757-2: a slave answers between 11 bit times and 330 bit times +
 * 50 ms after the end of the master's telegram.
 *
 * Return: 330 bit times + 50 ms + @latency_ms, rounded up to ms.
 */
u32 hm_engine_window_ms(u32 baud, u32 latency_ms)
{
	u64 ns = hm_bits_ns(baud, 330) +
		 (u64)(50 + latency_ms) * NSEC_PER_MSEC;

	return (u32)div_u64(ns + NSEC_PER_MSEC - 1, NSEC_PER_MSEC);
}

static u32 hm_auto_timeout_ms(u32 baud, u32 latency_ms, u8 expect)
{
	u64 ns;

	if (expect != HM_EXPECT_CJT188)
		return hm_engine_window_ms(baud, latency_ms);
	ns = (u64)(HM_CJT188_TR_MS + latency_ms) * NSEC_PER_MSEC +
	     hm_bits_ns(baud, 30 * HM_BITS_PER_BYTE);
	return (u32)div_u64(ns + NSEC_PER_MSEC - 1, NSEC_PER_MSEC);
}

/**
 * hm_engine_timeout_ms() - response timeout in effect
 * @e: engine
 * @expect: enum hm_expect of the transaction
 *
 * Return: the override, or the value derived from the baud rate
 * (CJ/T 188: 500 ms + 30 byte times; M-Bus: 330 bit times + 50 ms),
 * both plus the adapter latency.
 */
u32 hm_engine_timeout_ms(struct hm_engine *e, u8 expect)
{
	unsigned long flags;
	u32 ms;

	spin_lock_irqsave(&e->lock, flags);
	ms = e->timeout_ms ? e->timeout_ms :
	     hm_auto_timeout_ms(e->baud, e->latency_ms, expect);
	spin_unlock_irqrestore(&e->lock, flags);
	return ms;
}

/* what the current phase of @t waits for */
static u8 hm_txn_expect(const struct hm_txn *t)
{
	return t->pre_len && !t->phase ? HM_EXPECT_MBUS_ACK : t->expect;
}

/* the bytes the current phase of @t sends */
static const u8 *hm_txn_bytes(const struct hm_txn *t, unsigned int *len)
{
	if (t->pre_len && !t->phase) {
		*len = t->pre_len;
		return t->pre;
	}
	*len = t->req_len;
	return t->req;
}

/*
 * Line idle after a try: the setting, or the protocol's (CJ/T 188: 30 ms;
 * M-Bus, whose frames are IEC 60870-5-1 FT 1.2: 33 bit times).
 */
static ktime_t hm_idle(const struct hm_engine *e, u8 expect)
{
	if (e->idle_ms != HM_IDLE_AUTO)
		return ms_to_ktime(e->idle_ms);
	if (expect == HM_EXPECT_MBUS_ACK || expect == HM_EXPECT_MBUS_RSP ||
	    expect == HM_EXPECT_MBUS_ANY)
		return ns_to_ktime(hm_bits_ns(e->baud, HM_MBUS_IDLE_BITS));
	return ms_to_ktime(HM_LINE_IDLE_MS);
}

/**
 * hm_engine_idle_ms() - line idle in effect after a transaction
 * @e: engine
 * @expect: enum hm_expect of the transaction
 *
 * Return: the setting, or the protocol's (CJ/T 188 30 ms, M-Bus 33 bit
 * times), in ms rounded up.
 */
u32 hm_engine_idle_ms(struct hm_engine *e, u8 expect)
{
	unsigned long flags;
	u64 ns;

	spin_lock_irqsave(&e->lock, flags);
	ns = ktime_to_ns(hm_idle(e, expect));
	spin_unlock_irqrestore(&e->lock, flags);
	return (u32)div_u64(ns + NSEC_PER_MSEC - 1, NSEC_PER_MSEC);
}

static ktime_t hm_resp_timeout(const struct hm_engine *e,
			       const struct hm_txn *t)
{
	u8 expect = hm_txn_expect(t);
	u32 ms = expect == t->expect ? t->timeout_ms : 0;

	if (!ms)
		ms = e->timeout_ms;
	if (!ms)
		ms = hm_auto_timeout_ms(hm_line_baud(e), e->latency_ms, expect);
	return ms_to_ktime(ms);
}

/* program the one timer for the current state; lock held */
static void hm_engine_arm(struct hm_engine *e)
{
	struct hm_txn *t = e->cur;
	ktime_t when;

	if (e->dead)
		return;
	switch (e->state) {
	case HM_ENG_IDLE:
		if (list_empty(&e->queue))
			return;
		when = e->idle_until;
		t = list_first_entry(&e->queue, struct hm_txn, node);
		if (ktime_after(t->not_before, when))
			when = t->not_before;
		break;
	case HM_ENG_WAIT:
		if (hm_framer_midframe(&e->framer))
			when = ktime_add(e->last_rx, hm_gap(e));
		else
			when = ktime_add(t->t.sent, hm_resp_timeout(e, t));
		break;
	default:
		return;
	}
	hrtimer_start(&e->timer, when, HRTIMER_MODE_ABS);
}

/* end the current try; lock held */
static void hm_engine_try_done(struct hm_engine *e, int result, int lib_err)
{
	struct hm_txn *t = e->cur;

	t->result = result;
	if (lib_err)
		t->lib_err = lib_err;
	e->state = HM_ENG_DONE;
	queue_work(system_wq, &e->work);
}

/*
 * A secondary address against a selection mask: an F nibble of the ID, a
 * whole FF byte of MAN, VER or MED matches anything (EN 13757-3).
 */
static bool hm_sec_ok(const u8 *mask, const u8 *a)
{
	int i;

	for (i = 0; i < 4; i++) {
		if ((mask[i] & 0xf0) != 0xf0 &&
		    (mask[i] & 0xf0) != (a[i] & 0xf0))
			return false;
		if ((mask[i] & 0x0f) != 0x0f &&
		    (mask[i] & 0x0f) != (a[i] & 0x0f))
			return false;
	}
	for (i = 4; i < 8; i++)
		if (mask[i] != 0xff && mask[i] != a[i])
			return false;
	return true;
}

/* the address @a (@n bytes) against @match (@len bytes; 0: any) */
static bool hm_match_ok(const u8 *match, size_t len, const u8 *a, size_t n)
{
	if (!len)
		return true;
	if (len != n)
		return false;
	return n == 8 ? hm_sec_ok(match, a) : !memcmp(a, match, n);
}

static bool hm_addr_ok(const struct hm_txn *t, const u8 *a, size_t n)
{
	return hm_match_ok(t->match, t->match_len, a, n);
}

/*
 * The address @f answers from, as a transaction matches it: CJ/T 188
 * A0..A6; M-Bus RSP_UD: A, or (@want 8) the header's secondary address.
 */
static const u8 *hm_frame_addr(const struct hm_frame_result *f, u8 want,
			       size_t *n)
{
	const u8 *d = f->data;

	if (f->type == HM_FRAME_CJT188 && f->len > 10 && (d[9] & 0x80)) {
		*n = 7;
		return d + 2;
	}
	if (f->type != HM_FRAME_MBUS_LONG || f->len <= 6 ||
	    (d[4] & 0xcf) != 0x08)
		return NULL;
	if (want == 8) {
		/* CI 72/76: the long header starts with ID MAN VER MED */
		if (f->len < 17 || (d[6] != 0x72 && d[6] != 0x76))
			return NULL;
		*n = 8;
		return d + 7;
	}
	*n = 1;
	return d + 5;
}

/* is @f the reply @t waits for? */
static bool hm_reply_matches(const struct hm_txn *t,
			     const struct hm_frame_result *f)
{
	const u8 *a;
	size_t n;

	switch (hm_txn_expect(t)) {
	case HM_EXPECT_CJT188:
		if (f->type != HM_FRAME_CJT188)
			return false;
		break;
	case HM_EXPECT_MBUS_ACK:
		return f->type == HM_FRAME_MBUS_ACK;
	case HM_EXPECT_MBUS_ANY:
		if (f->type == HM_FRAME_MBUS_ACK)
			return true;
		fallthrough;
	case HM_EXPECT_MBUS_RSP:
		if (f->type != HM_FRAME_MBUS_LONG)
			return false;
		break;
	default:
		return false;
	}
	a = hm_frame_addr(f, t->match_len, &n);
	return a && hm_addr_ok(t, a, n);
}

/*
 * A frame nobody waits for: the late reply of the newest transaction that
 * timed out? Tell its owner how late it was (the meter widens its window).
 */
static bool hm_engine_late(struct hm_engine *e,
			   const struct hm_frame_result *f, ktime_t now)
{
	const u8 *a;
	size_t n;
	s64 ms;

	if (!e->late_owner || f->status < 0)
		return false;
	a = hm_frame_addr(f, e->late_match_len, &n);
	if (!a || !hm_match_ok(e->late_match, e->late_match_len, a, n))
		return false;
	ms = ktime_ms_delta(now, e->late_since);
	if (ms < 0 || ms > HM_LATE_MAX_MS)
		return false;
	e->stats[HM_ES_LATE]++;
	if (e->ops->late)
		e->ops->late(e, e->late_owner, (u32)ms);
	e->late_owner = NULL;
	return true;
}

/* is @f our own request coming back? */
static bool hm_is_echo(const struct hm_txn *t, const struct hm_frame_result *f)
{
	unsigned int i, len;
	const u8 *req = hm_txn_bytes(t, &len);

	for (i = 0; i < len && req[i] == 0xfe; i++)
		;
	return len - i == f->len && !memcmp(req + i, f->data, f->len);
}

/* a frame from the framer; lock held */
static void hm_engine_frame(struct hm_engine *e, struct hm_txn *t,
			    const struct hm_frame_result *f, ktime_t now)
{
	if (!t) {
		if (!hm_engine_late(e, f, now))
			e->stats[HM_ES_UNSOLICITED]++;
		return;
	}
	if (f->status < 0) {
		e->stats[HM_ES_BAD_REPLIES]++;
		t->junk = true;
		t->lib_err = f->status;
		/* a probe hears the line out: the rest must not meet the next */
		if (!(t->flags & HM_TXN_LISTEN))
			hm_engine_try_done(e, -EIO, f->status);
		return;
	}
	if (hm_is_echo(t, f)) {
		e->stats[HM_ES_ECHOES]++;
		return;
	}
	if (!hm_reply_matches(t, f)) {
		if (!hm_engine_late(e, f, now))
			e->stats[HM_ES_UNSOLICITED]++;
		return;
	}
	/* too early for an answer to this request: an older one's */
	if (t->min_latency_ms && hm_txn_expect(t) == t->expect &&
	    (!t->t.sent || ktime_before(t->t.first_rx,
					ktime_add_ms(t->t.sent,
						     t->min_latency_ms)))) {
		e->stats[HM_ES_LATE]++;
		t->t.first_rx = 0;
		return;
	}
	if (t->flags & HM_TXN_LISTEN) {
		/* keep listening to the end of the window */
		if (t->got) {
			t->extra = true;
			return;
		}
		t->got = true;
	}
	memcpy(t->reply, f->data, f->len);
	t->reply_len = f->len;
	t->reply_type = f->type;
	t->t.frame = now;
	if (!(t->flags & HM_TXN_LISTEN))
		hm_engine_try_done(e, 0, 0);
}

/* push bytes through the framer; lock held */
static void hm_engine_feed(struct hm_engine *e, struct hm_txn *t,
			   const u8 *data, const u8 *flags, size_t len,
			   ktime_t now)
{
	struct hm_frame_result f;
	u32 garbage = e->framer.stats.garbage_bytes;
	size_t n;

	do {
		n = hm_framer_push(&e->framer, data, flags, len, &f);
		data += n;
		if (flags)
			flags += n;
		len -= n;
		if (f.len) {
			/* only the frame the try is waiting for counts */
			if (t && e->state != HM_ENG_SEND && e->state != HM_ENG_WAIT)
				t = NULL;
			hm_engine_frame(e, t, &f, now);
		}
	} while (len || f.len);
	if (t && e->framer.stats.garbage_bytes != garbage)
		t->junk = true;
}

/* a byte of the wake-up sequence of @t (FE goes the preamble's way) */
static bool hm_is_wake_byte(const struct hm_txn *t, u8 b)
{
	return b != 0xfe && ((t->wake_count && b == t->wake_byte) ||
			     (t->wake2_count && b == t->wake2_byte));
}

/**
 * hm_engine_receive() - bytes from the line
 * @e: engine
 * @data: bytes
 * @flags: per-byte HM_FLAG_* (the tty's TTY_* flags), or NULL
 * @len: number of bytes
 *
 * Called from the tty's receive_buf; never sleeps.
 */
void hm_engine_receive(struct hm_engine *e, const u8 *data, const u8 *flags,
		       size_t len)
{
	ktime_t now = ktime_get();
	unsigned int req_len = 0;
	const u8 *req = NULL;
	unsigned long irqfl;
	struct hm_txn *t;
	size_t i = 0, n;

	spin_lock_irqsave(&e->lock, irqfl);
	e->stats[HM_ES_RX_BYTES] += len;
	if (e->dead)
		goto out;
	t = (e->state == HM_ENG_SEND || e->state == HM_ENG_WAIT) ? e->cur : NULL;
	if (t) {
		req = hm_txn_bytes(t, &req_len);
		for (n = 0; flags && n < len; n++)
			if (flags[n])
				t->flagged = true;
	}
	while (i < len) {
		bool echoing = t && e->echo && t->echo_pos < req_len;

		if (echoing) {
			for (n = 0; i + n < len && t->echo_pos < req_len &&
			     data[i + n] == req[t->echo_pos] &&
			     (!flags || !flags[i + n]); n++)
				t->echo_pos++;
			if (n) {
				i += n;
				if (t->echo_pos == req_len)
					e->stats[HM_ES_ECHOES]++;
				continue;
			}
			/* the echo of this try's wake-up sequence: drop it */
			if (!t->echo_pos && hm_is_wake_byte(t, data[i]) &&
			    (!flags || !flags[i])) {
				i++;
				continue;
			}
			/* not our echo (FE: a preamble, keep matching) */
			if (data[i] != 0xfe)
				t->echo_pos = req_len;
		}
		n = echoing ? 1 : len - i;
		if (t && !t->t.first_rx)
			t->t.first_rx = now;
		if (t)
			t->rx_bytes += min_t(size_t, n, U16_MAX - t->rx_bytes);
		hm_engine_feed(e, t, data + i, flags ? flags + i : NULL, n, now);
		i += n;
		/* the try may have ended; later bytes belong to no one */
		if (t && e->state != HM_ENG_SEND && e->state != HM_ENG_WAIT)
			t = NULL;
	}
	e->last_rx = now;
	if (e->state == HM_ENG_WAIT) {
		hm_engine_arm(e);
	} else if (e->state != HM_ENG_SEND) {
		/* bytes on an idle line: the next request waits for quiet */
		ktime_t quiet = ktime_add(now, hm_idle(e, e->framer.mode ==
							 HM_MODE_CJT188 ?
							 HM_EXPECT_CJT188 :
							 HM_EXPECT_MBUS_ANY));

		if (ktime_after(quiet, e->idle_until)) {
			e->idle_until = quiet;
			if (e->state == HM_ENG_IDLE)
				hm_engine_arm(e);
		}
	}
out:
	spin_unlock_irqrestore(&e->lock, irqfl);
}

/*
 * A deadline timer that runs far later than it was set for says that the
 * system stalled (an overloaded host, a virtual machine descheduled), not
 * the line: bytes that arrived meanwhile may still wait in the UART or the
 * tty's flip buffer. Once per try, look again one inter-byte timeout
 * later instead of declaring silence or a truncated frame. Lock held.
 */
static bool hm_engine_stalled(struct hm_engine *e, struct hm_txn *t,
			      ktime_t now)
{
	ktime_t late = ktime_sub(now, hrtimer_get_expires(&e->timer));

	if (t->stalled || ktime_to_ms(late) < HM_STALL_MS)
		return false;
	t->stalled = true;
	hrtimer_start(&e->timer, ktime_add(now, hm_gap(e)), HRTIMER_MODE_ABS);
	return true;
}

static void hm_engine_start_try(struct hm_engine *e, struct hm_txn *t);

/*
 * The head of the queue is due at its instant (SYNC): put its request on
 * the line from the timer, without waiting for a worker to be scheduled
 * (median 0.6 ms, up to several ms later). The line takes what it can
 * now (a UART's buffer takes a whole request); the work writes the rest,
 * waits for the drain and arms the response timeout as for any try. Only
 * a try without a wake-up sequence (that one sleeps and changes the line
 * speed). Lock held.
 */
static bool hm_engine_start_timed(struct hm_engine *e, ktime_t now)
{
	struct hm_txn *t;
	int n;

	if (!e->ops->write_atomic || list_empty(&e->queue))
		return false;
	t = list_first_entry(&e->queue, struct hm_txn, node);
	/* only a plain request: no wake-up, selection or rate of its own */
	if (!t->not_before || t->wake_count || t->pre_len ||
	    (t->baud && t->baud != e->baud) ||
	    ktime_before(now, t->not_before) || ktime_before(now, e->idle_until))
		return false;
	hm_engine_start_try(e, t);
	t->timer_tx = true;
	t->t.tx_start = ktime_get();
	n = e->ops->write_atomic(e, t->req, t->req_len);
	t->timer_sent = n > 0 ? min_t(int, n, t->req_len) : 0;
	return true;
}

static enum hrtimer_restart hm_engine_timer(struct hrtimer *timer)
{
	struct hm_engine *e = container_of(timer, struct hm_engine, timer);
	ktime_t now = ktime_get();
	enum hrtimer_restart ret = HRTIMER_NORESTART;
	unsigned long flags;
	struct hm_txn *t;

	spin_lock_irqsave(&e->lock, flags);
	t = e->cur;
	if (e->dead)
		goto out;
	switch (e->state) {
	case HM_ENG_IDLE:
		if (!hm_engine_start_timed(e, now)) {
			queue_work(system_wq, &e->work);
		} else {
			/*
			 * The work (which writes the rest) is queued from
			 * this timer once more, due now: after the other
			 * buses' timers due at the same instant (SYNC of
			 * several ports) have written their first bytes,
			 * which would otherwise wait for this wake-up of a
			 * worker. Nothing else arms the timer in SEND.
			 */
			hrtimer_set_expires(timer, now);
			ret = HRTIMER_RESTART;
		}
		break;
	case HM_ENG_SEND:
		queue_work(system_wq, &e->work);
		break;
	case HM_ENG_WAIT:
		if (hm_engine_stalled(e, t, now))
			break;
		if (hm_framer_midframe(&e->framer)) {
			if (ktime_before(now, ktime_add(e->last_rx, hm_gap(e)))) {
				hm_engine_arm(e);
				break;
			}
			/* the reply stopped in the middle of a frame */
			if (hm_framer_timeout(&e->framer)) {
				t->junk = true;
				hm_engine_feed(e, t, NULL, NULL, 0, now);
				if (e->state == HM_ENG_WAIT)
					hm_engine_try_done(e, -EIO, -HM_ETRUNC);
				break;
			}
		}
		if (ktime_before(now, ktime_add(t->t.sent, hm_resp_timeout(e, t)))) {
			hm_engine_arm(e);
			break;
		}
		if (t->got) {
			/* listened to the end: alone and clean, or not */
			hm_engine_try_done(e, t->junk || t->extra || t->flagged ?
					   -EIO : 0, 0);
		} else if (t->junk) {
			/* bytes came, no frame: corrupt */
			hm_engine_try_done(e, -EIO, 0);
		} else {
			e->stats[HM_ES_TIMEOUTS]++;
			hm_engine_try_done(e, -ETIMEDOUT, 0);
		}
		break;
	default:
		break;
	}
out:
	spin_unlock_irqrestore(&e->lock, flags);
	return ret;
}

static void hm_txn_finish(struct hm_txn *t, int result)
{
	if (result)
		t->result = result;
	t->t.done = ktime_get();
	t->t.done_real = ktime_get_real();
	if (t->complete)
		t->complete(t);
	/* pairs with hm_txn_wait() */
	smp_store_release(&t->done, true);
	wake_up_all(&t->wait);
	hm_txn_put(t);
}

/* wake-up sequence and request of the current try; no lock held */
static int hm_engine_transmit(struct hm_engine *e, struct hm_txn *t)
{
	unsigned long flags;
	unsigned int len;
	const u8 *req;
	size_t n = 0;
	bool wake_switch;
	u32 baud;
	int ret, ret2;

	if (t->timer_tx) {
		/* the timer wrote the first bytes (hm_engine_start_timed()) */
		len = t->req_len;
		ret = e->ops->send(e, t->req + t->timer_sent,
				   t->req_len - t->timer_sent);
		goto sent;
	}
	/* a meter at its own rate: the line follows for this try */
	spin_lock_irqsave(&e->lock, flags);
	baud = e->baud;
	if (t->baud && t->baud != baud && !e->switched) {
		e->switched = true;
		e->in_wakeup = true;
	}
	spin_unlock_irqrestore(&e->lock, flags);
	if (e->switched) {
		ret = e->ops->set_baud(e, t->baud);
		if (ret)
			return ret;
	}

	if (t->wake_count && (!t->pre_len || !t->phase)) {
		while (n < HM_WAKE_MAX && n < t->wake_count)
			e->wakebuf[n++] = t->wake_byte;
		while (n < HM_WAKE_MAX && n < (size_t)t->wake_count + t->wake2_count)
			e->wakebuf[n++] = t->wake2_byte;
		spin_lock_irqsave(&e->lock, flags);
		baud = hm_line_baud(e);
		wake_switch = t->wake_baud && t->wake_baud != baud;
		e->in_wakeup = e->switched || wake_switch;
		spin_unlock_irqrestore(&e->lock, flags);
		ret = 0;
		if (wake_switch)
			ret = e->ops->set_baud(e, t->wake_baud);
		if (!ret)
			ret = e->ops->send(e, e->wakebuf, n);
		if (wake_switch) {
			/* send() waited until the bytes left the UART */
			ret2 = e->ops->set_baud(e, baud);
			spin_lock_irqsave(&e->lock, flags);
			e->in_wakeup = e->switched;
			spin_unlock_irqrestore(&e->lock, flags);
			if (!ret)
				ret = ret2;
		}
		if (ret)
			return ret;
		spin_lock_irqsave(&e->lock, flags);
		e->stats[HM_ES_TX_BYTES] += n;
		spin_unlock_irqrestore(&e->lock, flags);
		if (t->wake_pause_ms)
			msleep(t->wake_pause_ms);
	}
	t->t.tx_start = ktime_get();
	req = hm_txn_bytes(t, &len);
	ret = e->ops->send(e, req, len);
sent:
	if (!ret) {
		spin_lock_irqsave(&e->lock, flags);
		e->stats[HM_ES_TX_BYTES] += len;
		spin_unlock_irqrestore(&e->lock, flags);
	}
	return ret;
}

/* @t, the head of the queue, goes on the line now; lock held */
static void hm_engine_start_try(struct hm_engine *e, struct hm_txn *t)
{
	list_del_init(&t->node);
	e->cur = t;
	e->state = HM_ENG_SEND;
	t->tries_used++;
	t->echo_pos = 0;
	t->junk = false;
	t->stalled = false;
	t->timer_tx = false;
	t->timer_sent = 0;
	t->flagged = false;
	t->got = false;
	t->extra = false;
	t->rx_bytes = 0;
	t->glitch = false;
	t->result = 0;
	t->t.first_rx = 0;
	t->t.frame = 0;
	t->t.sent = 0;
	hm_framer_set_mode(&e->framer,
			   hm_txn_expect(t) == HM_EXPECT_CJT188 ?
			   HM_MODE_CJT188 : HM_MODE_MBUS);
}

static bool hm_retryable(int result)
{
	return result == -ETIMEDOUT || result == -EIO;
}

/*
 * The line is idle from its last activity (our request or the last byte
 * received), not from when the work got round to it: after a silent
 * window the next request may go at once. Lock held.
 */
static void hm_engine_idle_from(struct hm_engine *e, struct hm_txn *t)
{
	ktime_t last = t->t.sent ? t->t.sent : ktime_get();

	if (ktime_after(e->last_rx, last))
		last = e->last_rx;
	e->idle_until = ktime_add(last, hm_idle(e, hm_txn_expect(t)));
}

/*
 * A good try of a two-part transaction: go on with it, first in the queue.
 * After the selection (@pre) its request; after a reply the owner may
 * want one more telegram (@more). Lock held.
 */
static bool hm_engine_next_phase(struct hm_engine *e, struct hm_txn *t)
{
	if (t->result || t->final || t->taken || e->dead)
		return false;
	if (t->pre_len && !t->phase) {
		t->phase = 1;
		t->tries_used--;	/* the same try goes on */
		return true;
	}
	if (t->replies < U8_MAX)
		t->replies++;
	if (!t->more || !t->more(t))
		return false;
	t->tries_used = 0;
	return true;
}

/* remember a silent transaction: its reply may come late. Lock held. */
static void hm_engine_note_silent(struct hm_engine *e, struct hm_txn *t)
{
	if (!t->owner || !t->match_len || hm_txn_expect(t) != t->expect ||
	    !t->t.first_sent)
		return;
	e->late_owner = t->owner;
	memcpy(e->late_match, t->match, t->match_len);
	e->late_match_len = t->match_len;
	e->late_since = t->t.first_sent;
}

static void hm_engine_work(struct work_struct *work)
{
	struct hm_engine *e = container_of(work, struct hm_engine, work);
	unsigned long flags;
	struct hm_txn *t;
	u32 tries;
	int ret;

	for (;;) {
		spin_lock_irqsave(&e->lock, flags);
		if (e->dead)
			break;
		if (e->state == HM_ENG_DONE && e->switched) {
			/* the try at a meter's own rate is over: line speed */
			u32 baud = e->baud;

			spin_unlock_irqrestore(&e->lock, flags);
			e->ops->set_baud(e, baud);
			spin_lock_irqsave(&e->lock, flags);
			e->switched = false;
			e->in_wakeup = false;
			if (e->dead)
				break;
		}
		if (e->state == HM_ENG_DONE) {
			t = e->cur;
			tries = t->tries ? t->tries : e->tries;
			e->cur = NULL;
			e->state = HM_ENG_IDLE;
			hm_engine_idle_from(e, t);
			if (hm_engine_next_phase(e, t)) {
				/* the selection answered, or one more telegram */
				list_add(&t->node, &e->queue);
				spin_unlock_irqrestore(&e->lock, flags);
				continue;
			}
			if (t->result == -ETIMEDOUT && !t->taken)
				hm_engine_note_silent(e, t);
			/* one stray byte and nothing else: the line, not meters */
			if (t->result == -EIO && t->rx_bytes == 1 && !t->got) {
				t->glitch = true;
				e->stats[HM_ES_GLITCHES]++;
			}
			if (hm_retryable(t->result) && !t->final &&
			    t->tries_used < tries) {
				e->stats[HM_ES_RETRIES]++;
				/* reselect, unless telegrams already came */
				if (!t->replies)
					t->phase = 0;
				list_add(&t->node, &e->queue);
				spin_unlock_irqrestore(&e->lock, flags);
				continue;
			}
			e->stats[HM_ES_TRANSACTIONS]++;
			if (t->result == -EIO && !t->glitch &&
			    (t->flags & HM_TXN_PROBE))
				e->stats[HM_ES_COLLISIONS]++;
			spin_unlock_irqrestore(&e->lock, flags);
			hm_txn_finish(t, 0);
			continue;
		}
		if (e->state == HM_ENG_SEND && e->cur->timer_tx &&
		    !e->cur->t.sent) {
			/* the timer started it: the rest of the request */
			t = e->cur;
			spin_unlock_irqrestore(&e->lock, flags);
			goto transmit;
		}
		if (e->state != HM_ENG_IDLE || list_empty(&e->queue))
			break;
		t = list_first_entry(&e->queue, struct hm_txn, node);
		if (ktime_before(ktime_get(), e->idle_until) ||
		    ktime_before(ktime_get(), t->not_before)) {
			hm_engine_arm(e);
			break;
		}
		hm_engine_start_try(e, t);
		spin_unlock_irqrestore(&e->lock, flags);
transmit:
		ret = hm_engine_transmit(e, t);

		spin_lock_irqsave(&e->lock, flags);
		if (e->dead)
			break;
		t->t.sent = ktime_get();
		if (!t->t.first_sent && hm_txn_expect(t) == t->expect)
			t->t.first_sent = t->t.sent;
		if (e->state == HM_ENG_DONE) {
			/* the reply beat us */
		} else if (ret) {
			hm_engine_try_done(e, ret, 0);
			/* a line error is final */
			t->final = true;
		} else if (t->expect == HM_EXPECT_NONE) {
			hm_engine_try_done(e, 0, 0);
		} else {
			e->state = HM_ENG_WAIT;
			hm_engine_arm(e);
			break;
		}
		spin_unlock_irqrestore(&e->lock, flags);
	}
	spin_unlock_irqrestore(&e->lock, flags);
}

/**
 * hm_engine_init() - set up an engine
 * @e: engine (zeroed by the caller)
 * @ops: the line
 * @baud: initial line speed
 */
void hm_engine_init(struct hm_engine *e, const struct hm_line_ops *ops,
		    u32 baud)
{
	e->ops = ops;
	spin_lock_init(&e->lock);
	INIT_LIST_HEAD(&e->queue);
	INIT_WORK(&e->work, hm_engine_work);
	hrtimer_init(&e->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	e->timer.function = hm_engine_timer;
	hm_framer_init(&e->framer, HM_MODE_AUTO);
	e->baud = baud ? baud : 2400;
	e->tries = HM_DEFAULT_TRIES;
	e->idle_ms = HM_IDLE_AUTO;
	e->state = HM_ENG_IDLE;
}

/**
 * hm_engine_kill() - stop the engine for good
 * @e: engine
 *
 * Refuses new transactions, wakes a sleeping send, cancels the timer and
 * the work, and completes every pending transaction with -ENODEV. When it
 * returns the engine runs nothing any more. Process context.
 */
void hm_engine_kill(struct hm_engine *e)
{
	struct hm_txn *t, *tmp;
	unsigned long flags;
	LIST_HEAD(dead);

	spin_lock_irqsave(&e->lock, flags);
	e->dead = true;
	spin_unlock_irqrestore(&e->lock, flags);

	if (e->ops->abort)
		e->ops->abort(e);
	hrtimer_cancel(&e->timer);
	cancel_work_sync(&e->work);

	spin_lock_irqsave(&e->lock, flags);
	if (e->cur)
		list_add_tail(&e->cur->node, &dead);
	e->cur = NULL;
	list_splice_tail_init(&e->queue, &dead);
	spin_unlock_irqrestore(&e->lock, flags);

	list_for_each_entry_safe(t, tmp, &dead, node) {
		list_del_init(&t->node);
		hm_txn_finish(t, -ENODEV);
	}
}

/**
 * hm_engine_submit() - queue a transaction
 * @e: engine
 * @t: transaction; the engine takes its own reference
 *
 * Return: 0, -ENODEV once the engine is killed, -EINVAL for a bad request.
 */
int hm_engine_submit(struct hm_engine *e, struct hm_txn *t)
{
	unsigned long flags;

	if (!t->req_len || t->req_len > HM_TXN_REQ_MAX)
		return -EINVAL;
	spin_lock_irqsave(&e->lock, flags);
	if (e->dead) {
		spin_unlock_irqrestore(&e->lock, flags);
		return -ENODEV;
	}
	hm_txn_get(t);
	t->done = false;
	t->tries_used = 0;
	t->final = false;
	t->result = 0;
	t->lib_err = 0;
	t->reply_len = 0;
	memset(&t->t, 0, sizeof(t->t));
	t->t.queued = ktime_get();
	list_add_tail(&t->node, &e->queue);
	if (e->state == HM_ENG_IDLE)
		queue_work(system_wq, &e->work);
	spin_unlock_irqrestore(&e->lock, flags);
	return 0;
}

static bool hm_txn_owned_by(const struct hm_txn *q, const void *key);

/*
 * Take the queued transactions @match selects off the queue and complete
 * them with @result. The queue's head may have held the line for its
 * instant (not_before): the work re-arms for what is now at the head.
 */
static unsigned int hm_engine_take(struct hm_engine *e,
				   bool (*match)(const struct hm_txn *q,
						 const void *key),
				   const void *key, int result)
{
	struct hm_txn *q, *tmp;
	unsigned long flags;
	unsigned int n = 0;
	LIST_HEAD(gone);

	spin_lock_irqsave(&e->lock, flags);
	list_for_each_entry_safe(q, tmp, &e->queue, node) {
		if (match(q, key)) {
			list_move_tail(&q->node, &gone);
			n++;
		}
	}
	/* the one on the wire ends with this try: no retry for it */
	if (e->cur && match(e->cur, key)) {
		e->cur->final = true;
		e->cur->taken = true;
	}
	if (e->late_owner && match == hm_txn_owned_by && e->late_owner == key)
		e->late_owner = NULL;
	if (n && !e->dead && e->state == HM_ENG_IDLE)
		queue_work(system_wq, &e->work);
	spin_unlock_irqrestore(&e->lock, flags);
	list_for_each_entry_safe(q, tmp, &gone, node) {
		list_del_init(&q->node);
		hm_txn_finish(q, result);
	}
	return n;
}

static bool hm_txn_is(const struct hm_txn *q, const void *key)
{
	return q == key;
}

static bool hm_txn_owned_by(const struct hm_txn *q, const void *key)
{
	return q->owner == key;
}

/**
 * hm_engine_cancel() - take a queued transaction back
 * @e: engine
 * @t: transaction
 *
 * A transaction already on the wire runs to the end of its try, without
 * retries. Whatever queued behind @t goes as soon as the line allows, not
 * at @t's instant.
 *
 * Return: 0 if it was cancelled (completed with -ECANCELED), -EBUSY if it
 * is on the wire or already done.
 */
int hm_engine_cancel(struct hm_engine *e, struct hm_txn *t)
{
	return hm_engine_take(e, hm_txn_is, t, -ECANCELED) ? 0 : -EBUSY;
}

/**
 * hm_engine_cancel_owner() - take back every queued transaction of an owner
 * @e: engine
 * @owner: the tag the transactions carry in their @owner
 * @result: what they complete with (e.g. -ENODEV: the owner is gone)
 *
 * The one on the wire, if it is the owner's, runs to the end of its try
 * (at most its response timeout) and is not retried; the owner must not
 * rely on its result.
 *
 * Return: the number of transactions taken back.
 */
unsigned int hm_engine_cancel_owner(struct hm_engine *e, const void *owner,
				    int result)
{
	return hm_engine_take(e, hm_txn_owned_by, owner, result);
}

/**
 * hm_engine_set_baud() - the line speed changed (set_termios)
 * @e: engine
 * @baud: new speed; timeouts follow it
 */
void hm_engine_set_baud(struct hm_engine *e, u32 baud)
{
	unsigned long flags;

	if (!baud)
		return;
	spin_lock_irqsave(&e->lock, flags);
	if (!e->in_wakeup)
		e->baud = baud;
	spin_unlock_irqrestore(&e->lock, flags);
}

/**
 * hm_engine_get_stats() - copy the counters
 * @e: engine
 * @st: output
 */
void hm_engine_get_stats(struct hm_engine *e, struct hm_engine_stats *st)
{
	unsigned long flags;

	spin_lock_irqsave(&e->lock, flags);
	memcpy(st->eng, e->stats, sizeof(st->eng));
	st->fr = e->framer.stats;
	spin_unlock_irqrestore(&e->lock, flags);
}

/**
 * hm_txn_alloc() - a new transaction with one reference
 * @gfp: allocation flags
 *
 * Return: the transaction or NULL.
 */
struct hm_txn *hm_txn_alloc(gfp_t gfp)
{
	struct hm_txn *t = kzalloc(sizeof(*t), gfp);

	if (!t)
		return NULL;
	kref_init(&t->ref);
	INIT_LIST_HEAD(&t->node);
	init_waitqueue_head(&t->wait);
	return t;
}

void hm_txn_get(struct hm_txn *t)
{
	kref_get(&t->ref);
}

static void hm_txn_release(struct kref *ref)
{
	struct hm_txn *t = container_of(ref, struct hm_txn, ref);

	kfree(t->acc);
	kfree(t);
}

void hm_txn_put(struct hm_txn *t)
{
	if (t)
		kref_put(&t->ref, hm_txn_release);
}

/**
 * hm_txn_wait() - sleep until a submitted transaction is complete
 * @t: transaction (the caller holds a reference)
 *
 * Return: 0 when done (see @t->result), -ERESTARTSYS on a signal.
 */
int hm_txn_wait(struct hm_txn *t)
{
	/* pairs with the release in hm_txn_finish() */
	return wait_event_interruptible(t->wait, smp_load_acquire(&t->done));
}
