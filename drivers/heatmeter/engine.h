/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heatmeter: the bus transaction engine.
 *
 * One engine per line. Transactions (request bytes, the kind of reply
 * expected, a completion callback) wait in a queue; exactly one is on the
 * wire at a time. The engine sends the profile's wake-up sequence (with a
 * temporary baud rate switch), the request, and then waits for the reply
 * under hrtimer-based response and inter-byte timeouts derived from the
 * baud rate, retrying failed tries and keeping the line idle between
 * frames. Received bytes go through lib/'s framer; the request's own echo
 * can be stripped.
 *
 * The engine knows nothing about ttys: the line is reached through a small
 * ops table (send, set_baud, abort), so the KUnit suite drives it against a
 * fake line (tests/kunit/hm_bus_test.c).
 */
#ifndef _HEATMETER_ENGINE_H
#define _HEATMETER_ENGINE_H

#include <linux/hrtimer.h>
#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "frame.h"

#define HM_TXN_REQ_MAX		272	/* request bytes (M-Bus long frame + FE) */
#define HM_TXN_PRE_MAX		24	/* selection before the request */
#define HM_WAKE_MAX		1024	/* wake-up bytes sent per try */

#define HM_DEFAULT_TRIES	3
#define HM_MAX_TRIES		10
#define HM_LINE_IDLE_MS		30	/* CJ/T 188: line idle between frames */
#define HM_MBUS_IDLE_BITS	33	/* M-Bus (FT 1.2): line idle, bit times */
#define HM_IDLE_AUTO		U32_MAX	/* idle_ms: the protocol's */
#define HM_CJT188_TR_MS		500	/* CJ/T 188: Tr = 500 ms + 30 Tbyte */
#define HM_USB_LATENCY_MS	20	/* USB adapters: latency timer + margin */
#define HM_LATE_MAX_MS		10000	/* later than this a reply is nobody's */
#define HM_GAP_SLACK_MS		100	/* inter-byte timeout slack (adapters) */
#define HM_STALL_MS		25	/* a timer this late: the system stalled */

/* what a transaction waits for */
enum hm_expect {
	HM_EXPECT_NONE = 0,	/* nothing: done when the request is sent */
	HM_EXPECT_CJT188,	/* a CJ/T 188 reply (direction bit set) */
	HM_EXPECT_MBUS_ACK,	/* E5 */
	HM_EXPECT_MBUS_RSP,	/* RSP_UD long frame */
	HM_EXPECT_MBUS_ANY,	/* E5 or RSP_UD */
};

/* transaction flags */
#define HM_TXN_PROBE	0x01	/* scan probe: a bad reply is a collision */
/*
 * HM_TXN_LISTEN: after the reply, listen to the end of the response window:
 * any further byte or a flagged byte makes the try a collision
 */
#define HM_TXN_LISTEN	0x02

/**
 * struct hm_txn_times - timestamps of one transaction
 * @queued: CLOCK_MONOTONIC when submitted
 * @tx_start: CLOCK_MONOTONIC when the request's first byte was handed to
 *            the line (of the last try; after any wake-up sequence)
 * @sent: CLOCK_MONOTONIC when the last request byte was handed to the
 *        UART and drained (of the last try)
 * @first_sent: @sent of the transaction's first try
 * @first_rx: CLOCK_MONOTONIC of the first reply byte (0 = none)
 * @frame: CLOCK_MONOTONIC when the reply frame was complete (0 = none)
 * @done: CLOCK_MONOTONIC of completion
 * @done_real: CLOCK_REALTIME of completion
 */
struct hm_txn_times {
	ktime_t queued;
	ktime_t tx_start;
	ktime_t sent;
	ktime_t first_sent;
	ktime_t first_rx;
	ktime_t frame;
	ktime_t done;
	ktime_t done_real;
};

struct hm_txn;
typedef void (*hm_txn_complete_t)(struct hm_txn *t);
typedef bool (*hm_txn_more_t)(struct hm_txn *t);

/**
 * struct hm_txn - one request/reply exchange
 * @ref: reference count (hm_txn_get()/hm_txn_put())
 * @node: queue entry (engine)
 * @req: request bytes as sent (preamble included)
 * @req_len: number of request bytes
 * @pre: a request sent first, answered by E5 (M-Bus selection): every try
 *       sends it, then @req; both go as one unit (nothing in between)
 * @pre_len: bytes in @pre (0 = none)
 * @phase: engine: 0 while @pre is on its way, 1 for @req
 * @expect: enum hm_expect
 * @flags: HM_TXN_*
 * @match: reply address that must match (CJ/T 188: A0..A6; M-Bus: A, or
 *         with 8 bytes the secondary address ID MAN VER MED as sent)
 * @match_len: bytes in @match (0 = any address)
 * @tries: number of tries (0 = the bus setting)
 * @timeout_ms: response timeout (0 = the bus setting / automatic)
 * @baud: line speed of this exchange (0 = the line's): a meter that was
 *        switched to another rate (M-Bus CI B8..BF) is talked to at its own;
 *        the line goes back to its speed after each try
 * @wake_baud: baud rate of the wake-up sequence (0 = line speed)
 * @wake_byte: first wake-up byte
 * @wake_count: number of @wake_byte (0 = no wake-up)
 * @wake2_byte: second wake-up byte
 * @wake2_count: number of @wake2_byte
 * @wake_pause_ms: pause after the wake-up
 * @min_latency_ms: a reply that starts earlier than this after the request
 *                  is a late reply of an earlier exchange: discarded
 * @more: called (engine lock held, atomic) after each good reply of @req:
 *        true if it rewrote @req for one more exchange (the next telegram),
 *        which then goes at once, before anything else; a failed one is
 *        resent as is (no @pre again)
 * @replies: good replies to @req so far
 * @acc: owner's: what @more keeps across the exchanges; kfree()d with the
 *       transaction
 * @complete: called once in process context when the transaction ends
 * @priv: owner's data
 * @not_before: CLOCK_MONOTONIC instant before which nothing of this
 *              transaction goes on the line (0 = at once); the engine's
 *              hrtimer starts it then, and it holds the queue until then
 * @owner: owner's tag (hm_engine_cancel_owner())
 * @rd_prof: owner's: the profile a read was built with
 * @rd_gen: owner's: generation of the owner's settings at submission
 * @rd_flags: owner's: how a read was built (HM_RDF_*)
 * @rd_storage: owner's: the storage number a read reports (0 = current)
 * @result: 0, -ETIMEDOUT (silence), -EIO (corrupt reply), -ENODEV (line
 *          gone), -ECANCELED, or an error of the line
 * @lib_err: HM_E* of the last bad frame (0 = none)
 * @tries_used: tries made
 * @reply: the reply frame (from its start byte to 16)
 * @reply_len: its length
 * @reply_type: enum hm_frame_type of @reply
 * @t: timestamps
 * @done: set when complete (then @result and @reply are final)
 * @wait: woken when @done is set
 * @echo_pos: engine: request bytes matched as echo in this try
 * @junk: engine: garbage or a bad frame arrived in this try
 * @stalled: engine: this try's deadline was already extended once because
 *           the timer ran late (the system, not the line, stalled)
 * @final: engine: the line failed, no retry
 * @taken: engine: cancelled while on the wire (the owner may be gone)
 * @flagged: engine: a byte of this try came with a parity, framing or
 *           break flag
 * @got: engine (HM_TXN_LISTEN): the reply came, listening on
 * @extra: engine (HM_TXN_LISTEN): more bytes came after the reply
 * @rx_bytes: engine: bytes of this try that were not our echo
 * @glitch: the try failed on a single stray byte (a line glitch, not a
 *          collision of replies)
 * @timer_tx: engine: the hrtimer started this try at @not_before; the work
 *            writes the rest of the request and waits for it to drain
 * @timer_sent: engine: request bytes the hrtimer handed to the line
 */
struct hm_txn {
	struct kref ref;
	struct list_head node;
	u8 req[HM_TXN_REQ_MAX];
	u16 req_len;
	u8 pre[HM_TXN_PRE_MAX];
	u8 pre_len;
	u8 phase;
	u8 expect;
	u8 flags;
	u8 match[8];
	u8 match_len;
	u8 tries;
	u32 timeout_ms;
	u32 baud;
	u32 wake_baud;
	u8 wake_byte;
	u8 wake2_byte;
	u16 wake_count;
	u16 wake2_count;
	u16 wake_pause_ms;
	u32 min_latency_ms;
	hm_txn_more_t more;
	u8 replies;
	void *acc;
	hm_txn_complete_t complete;
	void *priv;
	ktime_t not_before;
	const void *owner;
	const void *rd_prof;
	u32 rd_gen;
	u8 rd_flags;
	u16 rd_storage;
	int result;
	int lib_err;
	u8 tries_used;
	u8 reply[HM_FRAME_MAX];
	u16 reply_len;
	u8 reply_type;
	struct hm_txn_times t;
	bool done;
	wait_queue_head_t wait;
	u16 echo_pos;
	bool junk;
	bool stalled;
	bool final;
	bool taken;
	bool flagged;
	bool got;
	bool extra;
	u16 rx_bytes;
	bool glitch;
	bool timer_tx;
	u16 timer_sent;
};

struct hm_engine;

/**
 * struct hm_line_ops - how the engine reaches the line
 * @send: hand @len bytes to the line and wait until they have left it;
 *        process context, may sleep; 0 or -errno
 * @set_baud: change the line speed (wake-up sequences); process context
 * @abort: wake a @send sleeping on the line (the engine is being killed)
 * @late: a reply came @ms after the request of a transaction of @owner
 *        that had timed out; engine lock held (atomic context)
 * @write_atomic: optional: hand what the line takes now of @len bytes to
 *                it, without sleeping (hrtimer context, engine lock held);
 *                the number of bytes taken or -errno. With it, a
 *                transaction due at an instant (SYNC) starts from the
 *                timer itself, not from a work scheduled by the timer.
 */
struct hm_line_ops {
	int (*send)(struct hm_engine *e, const u8 *buf, size_t len);
	int (*write_atomic)(struct hm_engine *e, const u8 *buf, size_t len);
	int (*set_baud)(struct hm_engine *e, u32 baud);
	void (*abort)(struct hm_engine *e);
	void (*late)(struct hm_engine *e, const void *owner, u32 ms);
};

/* engine statistics (the framer counts the rest) */
enum hm_eng_stat {
	HM_ES_RX_BYTES,
	HM_ES_TX_BYTES,
	HM_ES_TRANSACTIONS,
	HM_ES_TIMEOUTS,
	HM_ES_RETRIES,
	HM_ES_COLLISIONS,
	HM_ES_ECHOES,
	HM_ES_UNSOLICITED,
	HM_ES_BAD_REPLIES,
	HM_ES_LATE,
	HM_ES_GLITCHES,
	HM_ES_COUNT
};

enum hm_eng_state {
	HM_ENG_IDLE = 0,	/* nothing on the wire */
	HM_ENG_SEND,		/* work is sending the current request */
	HM_ENG_WAIT,		/* waiting for the reply */
	HM_ENG_DONE,		/* current try ended; work decides */
};

/**
 * struct hm_engine - transaction engine of one line
 * @ops: the line
 * @lock: protects everything below except @wakebuf
 * @queue: transactions waiting
 * @cur: the transaction on the wire (or just finished)
 * @state: enum hm_eng_state
 * @dead: killed; nothing is accepted any more
 * @in_wakeup: a wake-up baud switch is in progress (ignore the line speed)
 * @switched: the line is at the current transaction's @baud, not @baud
 * @framer: lib/ framer
 * @work: the engine's process-context step
 * @timer: response, inter-byte and line-idle deadlines
 * @idle_until: no request before this instant
 * @last_rx: when the last byte came in
 * @late_owner: owner of the newest transaction that timed out (NULL: none)
 * @late_match: its reply address (@late_match_len bytes)
 * @late_match_len: bytes in @late_match
 * @late_since: its first try's end of request
 * @baud: line speed in baud
 * @timeout_ms: response timeout override (0 = from the baud rate)
 * @tries: tries per transaction
 * @latency_ms: adapter latency added to the M-Bus response window
 * @idle_ms: line idle between frames, ms; HM_IDLE_AUTO: the protocol's
 * @echo: strip the request's echo
 * @stats: enum hm_eng_stat counters
 * @wakebuf: wake-up bytes (used by the work only)
 */
struct hm_engine {
	const struct hm_line_ops *ops;
	spinlock_t lock;		/* see above */
	struct list_head queue;
	struct hm_txn *cur;
	u8 state;
	bool dead;
	bool in_wakeup;
	bool switched;
	struct hm_framer framer;
	struct work_struct work;
	struct hrtimer timer;
	ktime_t idle_until;
	ktime_t last_rx;
	const void *late_owner;
	u8 late_match[8];
	u8 late_match_len;
	ktime_t late_since;
	u32 baud;
	u32 timeout_ms;
	u32 tries;
	u32 idle_ms;
	u32 latency_ms;
	bool echo;
	u64 stats[HM_ES_COUNT];
	u8 wakebuf[HM_WAKE_MAX];
};

/**
 * struct hm_engine_stats - a consistent copy of all counters
 * @eng: engine counters
 * @fr: framer counters
 */
struct hm_engine_stats {
	u64 eng[HM_ES_COUNT];
	struct hm_framer_stats fr;
};

void hm_engine_init(struct hm_engine *e, const struct hm_line_ops *ops,
		    u32 baud);
void hm_engine_kill(struct hm_engine *e);
int hm_engine_submit(struct hm_engine *e, struct hm_txn *t);
int hm_engine_cancel(struct hm_engine *e, struct hm_txn *t);
unsigned int hm_engine_cancel_owner(struct hm_engine *e, const void *owner,
				    int result);
void hm_engine_receive(struct hm_engine *e, const u8 *data, const u8 *flags,
		       size_t len);
void hm_engine_set_baud(struct hm_engine *e, u32 baud);
void hm_engine_get_stats(struct hm_engine *e, struct hm_engine_stats *st);
u32 hm_engine_timeout_ms(struct hm_engine *e, u8 expect);
u32 hm_engine_window_ms(u32 baud, u32 latency_ms);
u32 hm_engine_idle_ms(struct hm_engine *e, u8 expect);

struct hm_txn *hm_txn_alloc(gfp_t gfp);
void hm_txn_get(struct hm_txn *t);
void hm_txn_put(struct hm_txn *t);
int hm_txn_wait(struct hm_txn *t);

#endif /* _HEATMETER_ENGINE_H */
