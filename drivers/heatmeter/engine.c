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

/* inter-byte timeout: a few byte times plus adapter latency */
static ktime_t hm_gap(const struct hm_engine *e)
{
	return ns_to_ktime(hm_bits_ns(e->baud, 4 * HM_BITS_PER_BYTE) +
			   (u64)HM_GAP_SLACK_MS * NSEC_PER_MSEC);
}

static u32 hm_auto_timeout_ms(u32 baud, u8 expect)
{
	u64 ns;

	if (expect == HM_EXPECT_CJT188)
		ns = (u64)HM_CJT188_TR_MS * NSEC_PER_MSEC +
		     hm_bits_ns(baud, 30 * HM_BITS_PER_BYTE);
	else
		ns = hm_bits_ns(baud, 330) +
		     (u64)(50 + HM_MBUS_SLACK_MS) * NSEC_PER_MSEC;
	return (u32)div_u64(ns + NSEC_PER_MSEC - 1, NSEC_PER_MSEC);
}

/**
 * hm_engine_timeout_ms() - response timeout in effect
 * @e: engine
 * @expect: enum hm_expect of the transaction
 *
 * Return: the override, or the value derived from the baud rate
 * (CJ/T 188: 500 ms + 30 byte times; M-Bus: 330 bit times + 50 ms + slack).
 */
u32 hm_engine_timeout_ms(struct hm_engine *e, u8 expect)
{
	unsigned long flags;
	u32 ms;

	spin_lock_irqsave(&e->lock, flags);
	ms = e->timeout_ms ? e->timeout_ms : hm_auto_timeout_ms(e->baud, expect);
	spin_unlock_irqrestore(&e->lock, flags);
	return ms;
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
	u32 ms = t->timeout_ms;

	if (!ms)
		ms = e->timeout_ms;
	if (!ms)
		ms = hm_auto_timeout_ms(e->baud, t->expect);
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

static bool hm_addr_ok(const struct hm_txn *t, const u8 *a, size_t n)
{
	return !t->match_len || (t->match_len == n && !memcmp(a, t->match, n));
}

/* is @f the reply @t waits for? */
static bool hm_reply_matches(const struct hm_txn *t,
			     const struct hm_frame_result *f)
{
	const u8 *d = f->data;

	switch (t->expect) {
	case HM_EXPECT_CJT188:
		return f->type == HM_FRAME_CJT188 && f->len > 10 &&
		       (d[9] & 0x80) && hm_addr_ok(t, d + 2, 7);
	case HM_EXPECT_MBUS_ACK:
		return f->type == HM_FRAME_MBUS_ACK;
	case HM_EXPECT_MBUS_ANY:
		if (f->type == HM_FRAME_MBUS_ACK)
			return true;
		fallthrough;
	case HM_EXPECT_MBUS_RSP:
		return f->type == HM_FRAME_MBUS_LONG && f->len > 6 &&
		       (d[4] & 0xcf) == 0x08 && hm_addr_ok(t, d + 5, 1);
	default:
		return false;
	}
}

/* is @f our own request coming back? */
static bool hm_is_echo(const struct hm_txn *t, const struct hm_frame_result *f)
{
	unsigned int i;

	for (i = 0; i < t->req_len && t->req[i] == 0xfe; i++)
		;
	return t->req_len - i == f->len && !memcmp(t->req + i, f->data, f->len);
}

/* a frame from the framer; lock held */
static void hm_engine_frame(struct hm_engine *e, struct hm_txn *t,
			    const struct hm_frame_result *f, ktime_t now)
{
	if (!t) {
		e->stats[HM_ES_UNSOLICITED]++;
		return;
	}
	if (f->status < 0) {
		e->stats[HM_ES_BAD_REPLIES]++;
		t->junk = true;
		hm_engine_try_done(e, -EIO, f->status);
		return;
	}
	if (hm_is_echo(t, f)) {
		e->stats[HM_ES_ECHOES]++;
		return;
	}
	if (!hm_reply_matches(t, f)) {
		e->stats[HM_ES_UNSOLICITED]++;
		return;
	}
	memcpy(t->reply, f->data, f->len);
	t->reply_len = f->len;
	t->reply_type = f->type;
	t->t.frame = now;
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
	unsigned long irqfl;
	struct hm_txn *t;
	size_t i = 0, n;

	spin_lock_irqsave(&e->lock, irqfl);
	e->stats[HM_ES_RX_BYTES] += len;
	if (e->dead)
		goto out;
	t = (e->state == HM_ENG_SEND || e->state == HM_ENG_WAIT) ? e->cur : NULL;
	while (i < len) {
		bool echoing = t && e->echo && t->echo_pos < t->req_len;

		if (echoing) {
			for (n = 0; i + n < len && t->echo_pos < t->req_len &&
			     data[i + n] == t->req[t->echo_pos] &&
			     (!flags || !flags[i + n]); n++)
				t->echo_pos++;
			if (n) {
				i += n;
				if (t->echo_pos == t->req_len)
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
				t->echo_pos = t->req_len;
		}
		n = echoing ? 1 : len - i;
		if (t && !t->t.first_rx)
			t->t.first_rx = now;
		hm_engine_feed(e, t, data + i, flags ? flags + i : NULL, n, now);
		i += n;
		/* the try may have ended; later bytes belong to no one */
		if (t && e->state != HM_ENG_SEND && e->state != HM_ENG_WAIT)
			t = NULL;
	}
	e->last_rx = now;
	if (e->state == HM_ENG_WAIT)
		hm_engine_arm(e);
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
	if (!t->not_before || t->wake_count ||
	    ktime_before(now, t->not_before) || ktime_before(now, e->idle_until))
		return false;
	hm_engine_start_try(e, t);
	t->timer_tx = true;
	t->t.tx_start = ktime_get();
	n = e->ops->write_atomic(e, t->req, t->req_len);
	t->timer_sent = n > 0 ? min_t(int, n, t->req_len) : 0;
	queue_work(system_wq, &e->work);
	return true;
}

static enum hrtimer_restart hm_engine_timer(struct hrtimer *timer)
{
	struct hm_engine *e = container_of(timer, struct hm_engine, timer);
	ktime_t now = ktime_get();
	unsigned long flags;
	struct hm_txn *t;

	spin_lock_irqsave(&e->lock, flags);
	t = e->cur;
	if (e->dead)
		goto out;
	switch (e->state) {
	case HM_ENG_IDLE:
		if (!hm_engine_start_timed(e, now))
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
		if (t->junk) {
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
	return HRTIMER_NORESTART;
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
	size_t n = 0;
	u32 baud;
	int ret, ret2;

	if (t->timer_tx) {
		/* the timer wrote the first bytes (hm_engine_start_timed()) */
		ret = e->ops->send(e, t->req + t->timer_sent,
				   t->req_len - t->timer_sent);
		goto sent;
	}
	if (t->wake_count) {
		while (n < HM_WAKE_MAX && n < t->wake_count)
			e->wakebuf[n++] = t->wake_byte;
		while (n < HM_WAKE_MAX && n < (size_t)t->wake_count + t->wake2_count)
			e->wakebuf[n++] = t->wake2_byte;
		spin_lock_irqsave(&e->lock, flags);
		baud = e->baud;
		e->in_wakeup = t->wake_baud && t->wake_baud != baud;
		spin_unlock_irqrestore(&e->lock, flags);
		ret = 0;
		if (e->in_wakeup)
			ret = e->ops->set_baud(e, t->wake_baud);
		if (!ret)
			ret = e->ops->send(e, e->wakebuf, n);
		if (e->in_wakeup) {
			/* send() waited until the bytes left the UART */
			ret2 = e->ops->set_baud(e, baud);
			spin_lock_irqsave(&e->lock, flags);
			e->in_wakeup = false;
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
	ret = e->ops->send(e, t->req, t->req_len);
sent:
	if (!ret) {
		spin_lock_irqsave(&e->lock, flags);
		e->stats[HM_ES_TX_BYTES] += t->req_len;
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
	t->result = 0;
	t->t.first_rx = 0;
	t->t.frame = 0;
	t->t.sent = 0;
	hm_framer_set_mode(&e->framer, t->expect == HM_EXPECT_CJT188 ?
			   HM_MODE_CJT188 : HM_MODE_MBUS);
}

static bool hm_retryable(int result)
{
	return result == -ETIMEDOUT || result == -EIO;
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
		if (e->state == HM_ENG_DONE) {
			t = e->cur;
			tries = t->tries ? t->tries : e->tries;
			e->cur = NULL;
			e->state = HM_ENG_IDLE;
			/*
			 * The line has been idle since the try's last byte
			 * came in, not since this work ran: count from there.
			 */
			e->idle_until = ktime_add(t->t.first_rx ? e->last_rx :
						  ktime_get(),
						  hm_idle(e, t->expect));
			if (hm_retryable(t->result) && !t->final &&
			    t->tries_used < tries) {
				e->stats[HM_ES_RETRIES]++;
				list_add(&t->node, &e->queue);
				spin_unlock_irqrestore(&e->lock, flags);
				continue;
			}
			e->stats[HM_ES_TRANSACTIONS]++;
			if (t->result == -EIO && (t->flags & HM_TXN_PROBE))
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
	if (e->cur && match(e->cur, key))
		e->cur->final = true;
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
	kfree(container_of(ref, struct hm_txn, ref));
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
