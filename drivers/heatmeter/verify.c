// SPDX-License-Identifier: GPL-2.0
/*
 * heatmeter: the ioctls of /dev/heatmeterN (include/uapi/linux/heatmeter.h,
 * Documentation/userspace-api/heatmeter.rst): reads on demand, test mode,
 * the start-stop and real-time synchronous verification methods, the
 * simulated flow and raw vendor commands.
 *
 * Each ioctl that talks to the meter queues one transaction (struct hm_vop
 * wraps it) on the meter's bus and, unless HEATMETER_ASYNC, sleeps until it
 * completes. With ASYNC the operation stays with the open file until a call
 * with HEATMETER_WAIT collects it; closing the file cancels it. SYNC sets
 * the transaction's not_before: the engine's hrtimer starts the line at
 * that instant, never earlier.
 *
 * A meter that does not answer is not an error of the call: the reading
 * comes back with its error field set. The call fails for bad arguments
 * (-EINVAL), what the profile cannot do (-EOPNOTSUPP), a busy ASYNC slot
 * (-EBUSY), a meter or line that went away (-ENODEV) and signals.
 */
#include <linux/capability.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "heatmeter.h"
#include "cdev.h"
#include "cjt188.h"
#include "mbus.h"

#define HM_SYNC_AHEAD_MAX_MS	10000	/* SYNC: at most this far ahead */
#define HM_RAW_TIMEOUT_MAX_MS	60000
/* hm_v_read_op(): with HEATMETER_RD_STORAGE, the storage number in 16..31 */
#define HM_V_STORAGE_MASK	0xffff0000U

/**
 * struct hm_vop - one verification transaction
 * @ref: the owner's and the completion's
 * @t: the transaction
 * @m: the meter (a device reference is held)
 * @decode: the reply is a reading
 * @deliver: give the reading to the readers too
 * @rdflags: HEATMETER_RD_* for the reading
 * @at: SYNC: the instant (CLOCK_MONOTONIC)
 * @sync_flags: SYNC: its flags
 * @rd: the reading, final once @t is done
 */
struct hm_vop {
	struct kref ref;
	struct hm_txn *t;
	struct hm_meter *m;
	bool decode;
	bool deliver;
	u32 rdflags;
	ktime_t at;
	u32 sync_flags;
	struct heatmeter_reading rd;
};

static void hm_vop_release(struct kref *ref)
{
	struct hm_vop *op = container_of(ref, struct hm_vop, ref);

	hm_txn_put(op->t);
	put_device(&op->m->dev);
	kfree(op);
}

static void hm_vop_put(struct hm_vop *op)
{
	if (op)
		kref_put(&op->ref, hm_vop_release);
}

/* completion: engine work, process context */
static void hm_vop_done(struct hm_txn *t)
{
	struct hm_vop *op = t->priv;
	struct hm_reading rd;
	int err = t->result;
	u32 flags = op->rdflags;

	hm_reading_init(&rd);
	if (op->decode && !err)
		err = hm_meter_decode(op->m, t, NULL, &rd);
	if (t->rd_flags & HM_RDF_HIGHRES)
		flags |= HEATMETER_RD_HIGHRES;
	hm_reading_to_uapi(&op->rd, t, err, op->decode ? &rd : NULL, flags);
	if (op->deliver)
		hm_meter_publish(op->m, &op->rd);
	hm_vop_put(op);
}

static struct hm_vop *hm_vop_alloc(struct hm_meter *m)
{
	struct hm_vop *op = kzalloc(sizeof(*op), GFP_KERNEL);

	if (!op)
		return NULL;
	op->t = hm_txn_alloc(GFP_KERNEL);
	if (!op->t) {
		kfree(op);
		return NULL;
	}
	kref_init(&op->ref);
	get_device(&m->dev);
	op->m = m;
	op->t->priv = op;
	op->t->complete = hm_vop_done;
	return op;
}

/* queue a built vop on its meter; the completion takes a reference */
static int hm_vop_submit(struct hm_vop *op)
{
	int ret;

	kref_get(&op->ref);		/* the completion's */
	ret = hm_meter_queue(op->m, op->t);
	if (ret)
		kref_put(&op->ref, hm_vop_release);
	return ret;
}

/* a read of the meter as a vop, queued */
static struct hm_vop *hm_v_read_op(struct hm_meter *m, u32 rdflags,
				   ktime_t not_before, u8 tries)
{
	struct hm_vop *op;
	int ret;

	op = hm_vop_alloc(m);
	if (!op)
		return ERR_PTR(-ENOMEM);
	op->decode = true;
	/* stored values are no reading of the meter's state: not streamed */
	op->deliver = !(rdflags & HEATMETER_RD_STORAGE);
	op->rdflags = rdflags & ~HM_V_STORAGE_MASK;
	op->t->rd_storage = rdflags & HEATMETER_RD_STORAGE ?
			    (rdflags & HM_V_STORAGE_MASK) >> 16 : 0;
	op->t->not_before = not_before;
	op->t->tries = tries;
	kref_get(&op->ref);		/* the completion's */
	mutex_lock(&m->lock);
	ret = hm_meter_submit_read(m, op->t, true);
	mutex_unlock(&m->lock);
	if (ret) {
		kref_put(&op->ref, hm_vop_release);
		hm_vop_put(op);
		return ERR_PTR(ret);
	}
	return op;
}

/*
 * Sleep until @op is complete; on a signal the caller still owns it. A
 * meter removed meanwhile is -ENODEV, even if a reply to what was already
 * on the wire came in.
 */
static int hm_vop_wait(struct hm_vop *op)
{
	int ret = hm_txn_wait(op->t);

	if (!ret && (op->t->result == -ENODEV || READ_ONCE(op->m->dead)))
		return -ENODEV;
	return ret;
}

/* wait, and on a signal take the transaction back (or let it finish) */
static int hm_vop_wait_or_cancel(struct hm_vop *op)
{
	int ret = hm_vop_wait(op);

	if (ret == -ERESTARTSYS)
		hm_engine_cancel(&op->m->bus->engine, op->t);
	return ret;
}

/* a profile command that changes the meter's state; waits for it */
static int hm_v_command(struct hm_meter *m, const struct hm_cmd *cmd)
{
	const struct hm_profile *prof;
	struct hm_vop *op;
	int ret;

	if (cmd->proto == HM_PROTO_NONE)
		return -EOPNOTSUPP;
	op = hm_vop_alloc(m);
	if (!op)
		return -ENOMEM;
	mutex_lock(&m->lock);
	prof = hm_meter_profile(m);
	ret = hm_meter_build(m, op->t, prof, cmd, false);
	if (!ret)
		hm_txn_wake(op->t, prof);
	mutex_unlock(&m->lock);
	if (!ret)
		ret = hm_vop_submit(op);
	if (!ret)
		ret = hm_vop_wait_or_cancel(op);
	if (!ret)
		ret = op->t->result;
	hm_vop_put(op);
	return ret;
}

static void hm_v_strcpy(char *dst, const char *src, size_t size)
{
	strscpy(dst, src ? src : "", size);
}

static int hm_v_info(struct hm_meter *m, struct heatmeter_info *info)
{
	const struct hm_profile *prof;
	struct hm_identity id;
	s64 expires;

	spin_lock(&m->id_lock);
	id = m->ident;
	spin_unlock(&m->id_lock);
	mutex_lock(&m->lock);
	prof = m->profile;
	hm_v_strcpy(info->profile, prof ? prof->name :
		    m->protocol == HM_PROTO_MBUS ? "mbus" :
		    m->matched ? m->matched->name : "auto",
		    sizeof(info->profile));
	mutex_unlock(&m->lock);

	info->protocol = m->protocol == HM_PROTO_MBUS ? HEATMETER_PROTO_MBUS :
			 HEATMETER_PROTO_CJT188;
	info->meter_type = id.meter_type;
	info->medium = id.manufacturer[0] ? id.medium : 0xff;
	info->version = id.version;
	info->test_mode = hm_meter_test_mode(m, &expires);
	info->test_mode_expires = expires;
	if (prof && prof->test_enter.proto != HM_PROTO_NONE)
		info->caps |= HEATMETER_CAP_TEST_MODE;
	if (prof && prof->test_exit.proto != HM_PROTO_NONE)
		info->caps |= HEATMETER_CAP_TEST_MODE_EXIT;
	if (prof && prof->read_highres.proto != HM_PROTO_NONE)
		info->caps |= HEATMETER_CAP_HIGHRES;
	if (prof && prof->sim_flow.proto != HM_PROTO_NONE)
		info->caps |= HEATMETER_CAP_SIMULATED_FLOW;
	hm_v_strcpy(info->address, m->address, sizeof(info->address));
	hm_v_strcpy(info->id, id.id[0] ? id.id : m->protocol == HM_PROTO_CJT188 ?
		    m->address : "", sizeof(info->id));
	hm_v_strcpy(info->manufacturer, id.manufacturer,
		    sizeof(info->manufacturer));
	hm_v_strcpy(info->bus, dev_name(&m->bus->dev), sizeof(info->bus));
	return 0;
}

static int hm_v_read(struct hm_meter *m, struct heatmeter_reading *rd)
{
	struct hm_vop *op;
	int ret;

	op = hm_v_read_op(m, 0, 0, 0);
	if (IS_ERR(op))
		return PTR_ERR(op);
	ret = hm_vop_wait_or_cancel(op);
	if (!ret)
		*rd = op->rd;
	hm_vop_put(op);
	return ret;
}

/*
 * READ_STORAGE: a read whose decoding reports the records of one storage
 * number (M-Bus DIF/DIFE storage bits): due-date values, or what a freeze
 * stored. Nothing is cached or streamed.
 */
static int hm_v_read_storage(struct hm_meter *m,
			     struct heatmeter_storage_read *sr)
{
	struct hm_vop *op;
	int ret;

	if (m->protocol != HM_PROTO_MBUS)
		return -EOPNOTSUPP;
	if (!sr->storage || sr->storage > 0xffff || sr->reserved)
		return -EINVAL;
	op = hm_v_read_op(m, HEATMETER_RD_STORAGE | sr->storage << 16, 0, 0);
	if (IS_ERR(op))
		return PTR_ERR(op);
	ret = hm_vop_wait_or_cancel(op);
	if (!ret)
		sr->reading = op->rd;
	hm_vop_put(op);
	return ret;
}

static int hm_v_test_mode(struct hm_meter *m, struct heatmeter_test_mode *tm)
{
	const struct hm_profile *prof;
	ktime_t expires = 0;
	s64 ends;
	int ret;

	if (tm->enable > 1)
		return -EINVAL;
	mutex_lock(&m->lock);
	prof = m->profile;		/* test mode needs a named profile */
	mutex_unlock(&m->lock);
	if (!prof)
		return -EOPNOTSUPP;
	ret = hm_v_command(m, tm->enable ? &prof->test_enter : &prof->test_exit);
	if (ret)
		return ret;
	if (tm->enable && prof->test_expiry_s)
		expires = ktime_add(ktime_get(), ktime_set(prof->test_expiry_s, 0));
	hm_meter_set_test_mode(m, prof, tm->enable, expires);
	hm_meter_test_mode(m, &ends);
	tm->expires = ends;
	return 0;
}

static int hm_v_simulated_flow(struct hm_meter *m,
			       struct heatmeter_simulated_flow *sf)
{
	const struct hm_profile *prof;

	if (sf->enable > 1)
		return -EINVAL;
	mutex_lock(&m->lock);
	prof = m->profile;
	mutex_unlock(&m->lock);
	/* profiles document a command to start it, none to stop it */
	if (!prof || !sf->enable)
		return -EOPNOTSUPP;
	return hm_v_command(m, &prof->sim_flow);
}

/* flags of START, STOP and SYNC: 0, ASYNC or WAIT */
static int hm_v_mode(u32 flags)
{
	if ((flags & HEATMETER_ASYNC) && (flags & HEATMETER_WAIT))
		return -EINVAL;
	return 0;
}

/* keep a queued operation (flags 0 or ASYNC) in @slot; r->mutex held */
static void hm_v_keep(struct hm_reader *r, enum hm_vop_slot slot,
		      struct hm_vop *op)
{
	r->pending[slot] = op;
}

/*
 * Collect the operation of @slot: sleeps without r->mutex. On a signal an
 * ASYNC operation stays pending for the next WAIT; a synchronous one is
 * taken back.
 */
static struct hm_vop *hm_v_collect(struct hm_reader *r, enum hm_vop_slot slot,
				   bool keep)
{
	struct hm_vop *op = r->pending[slot];
	int ret;

	if (!op)
		return ERR_PTR(-EINVAL);
	r->pending[slot] = NULL;
	mutex_unlock(&r->mutex);
	ret = hm_vop_wait(op);
	mutex_lock(&r->mutex);
	if (ret == -ERESTARTSYS && keep && !r->pending[slot]) {
		r->pending[slot] = op;
		return ERR_PTR(ret);
	}
	if (ret) {
		if (ret == -ERESTARTSYS)
			hm_engine_cancel(&r->m->bus->engine, op->t);
		hm_vop_put(op);
		return ERR_PTR(ret);
	}
	return op;
}

static int hm_v_snapshot(struct hm_reader *r, bool stop,
			 struct heatmeter_snapshot *s)
{
	enum hm_vop_slot slot = stop ? HM_VS_STOP : HM_VS_START;
	const struct heatmeter_reading *a, *b;
	struct hm_vop *op;
	int ret;

	ret = hm_v_mode(s->flags);
	if (ret || s->reserved || (s->flags & ~(HEATMETER_ASYNC | HEATMETER_WAIT)))
		return -EINVAL;
	if (!(s->flags & HEATMETER_WAIT)) {
		if (r->pending[slot])
			return -EBUSY;
		if (stop && !r->have_start)
			return -EINVAL;		/* STOP without START */
		op = hm_v_read_op(r->m, HEATMETER_RD_SNAPSHOT, 0, 0);
		if (IS_ERR(op))
			return PTR_ERR(op);
		hm_v_keep(r, slot, op);
		if (s->flags & HEATMETER_ASYNC)
			return 0;
	}
	op = hm_v_collect(r, slot, s->flags & HEATMETER_WAIT);
	if (IS_ERR(op))
		return PTR_ERR(op);

	if (!stop) {
		r->start = op->rd;
		r->have_start = true;
		s->start = op->rd;
		hm_vop_put(op);
		return 0;
	}
	s->start = r->start;
	s->stop = op->rd;
	r->have_start = false;
	hm_vop_put(op);
	a = &s->start;
	b = &s->stop;
	if (!a->error && !b->error) {
		if (a->valid & b->valid & HM_QBIT(HM_Q_ENERGY)) {
			s->d_energy = b->values[HM_Q_ENERGY] - a->values[HM_Q_ENERGY];
			s->valid |= 1;
		}
		if (a->valid & b->valid & HM_QBIT(HM_Q_VOLUME)) {
			s->d_volume = b->values[HM_Q_VOLUME] - a->values[HM_Q_VOLUME];
			s->valid |= 2;
		}
	}
	if (a->ts.tx_done && b->ts.tx_done)
		s->d_time = b->ts.tx_done - a->ts.tx_done;
	return 0;
}

/* a trigger frame (M-Bus freeze broadcast, no reply) as a vop, queued */
static struct hm_vop *hm_v_trigger_op(struct hm_meter *m, ktime_t at)
{
	struct hm_vop *op;
	int len, ret;

	if (m->protocol != HM_PROTO_MBUS)
		return ERR_PTR(-EOPNOTSUPP);	/* CJ/T 188: no trigger known */
	/* a broadcast reaches every meter of the line */
	if (!capable(CAP_SYS_ADMIN) && !READ_ONCE(m->bus->allow_trigger))
		return ERR_PTR(-EPERM);
	op = hm_vop_alloc(m);
	if (!op)
		return ERR_PTR(-ENOMEM);
	len = hm_mbus_build_freeze(op->t->req, sizeof(op->t->req),
				   HM_MBUS_ADDR_BCAST, 1);
	if (len < 0) {
		hm_vop_put(op);
		return ERR_PTR(-EINVAL);
	}
	op->t->req_len = len;
	op->t->expect = HM_EXPECT_NONE;
	op->t->tries = 1;
	op->t->not_before = at;
	op->rdflags = HEATMETER_RD_SYNC;
	ret = hm_vop_submit(op);
	if (ret) {
		hm_vop_put(op);
		return ERR_PTR(ret);
	}
	return op;
}

static int hm_v_sync(struct hm_reader *r, struct heatmeter_sync *s)
{
	const u32 known = HEATMETER_ASYNC | HEATMETER_WAIT |
			  HEATMETER_SYNC_REALTIME | HEATMETER_SYNC_TRIGGER;
	struct hm_vop *op;
	ktime_t now, at;

	if (hm_v_mode(s->flags) || (s->flags & ~known))
		return -EINVAL;
	if (!(s->flags & HEATMETER_WAIT)) {
		if (s->at <= 0)
			return -EINVAL;
		now = ktime_get();
		at = s->at;
		if (s->flags & HEATMETER_SYNC_REALTIME)
			at = ktime_add(ktime_sub(at, ktime_get_real()), now);
		/* in the past: at once (late says by how much) */
		if (at <= 0)
			at = 1;
		if (ktime_after(at, ktime_add_ms(now, HM_SYNC_AHEAD_MAX_MS)))
			return -EINVAL;
		if (r->pending[HM_VS_SYNC])
			return -EBUSY;
		if (s->flags & HEATMETER_SYNC_TRIGGER)
			op = hm_v_trigger_op(r->m, at);
		else
			op = hm_v_read_op(r->m, HEATMETER_RD_SYNC, at, 1);
		if (IS_ERR(op))
			return PTR_ERR(op);
		op->at = at;
		op->sync_flags = s->flags;
		hm_v_keep(r, HM_VS_SYNC, op);
		if (s->flags & HEATMETER_ASYNC)
			return 0;
	}
	op = hm_v_collect(r, HM_VS_SYNC, s->flags & HEATMETER_WAIT);
	if (IS_ERR(op))
		return PTR_ERR(op);
	s->flags = (s->flags & (HEATMETER_ASYNC | HEATMETER_WAIT)) |
		   (op->sync_flags & (HEATMETER_SYNC_REALTIME |
				      HEATMETER_SYNC_TRIGGER));
	s->reading = op->rd;
	s->late = op->rd.ts.tx_start ? op->rd.ts.tx_start - ktime_to_ns(op->at) : 0;
	hm_vop_put(op);
	return 0;
}

/* the reply's payload into @raw, parsed as the meter's protocol */
static void hm_v_raw_reply(const struct hm_meter *m, const struct hm_txn *t,
			   struct heatmeter_raw *raw)
{
	const u8 *f = t->reply;
	size_t n = 0, off = 0;

	if (!t->reply_len)
		return;
	if (m->protocol == HM_PROTO_CJT188) {
		/* 68 T A0..A6 C L DI ... CS 16 */
		if (f[0] != 0x68 || t->reply_len <= 11)
			return;
		raw->reply_control = f[9];
		off = 11;
		n = f[10];
	} else if (f[0] == 0xe5) {
		raw->reply_control = 0xe5;
	} else if (f[0] == 0x10 && t->reply_len >= 5) {
		raw->reply_control = f[1];
	} else if (f[0] == 0x68 && t->reply_len >= 9) {
		/* 68 L L 68 C A CI data CS 16 */
		raw->reply_control = f[4];
		raw->reply_ci = f[6];
		off = 7;
		n = f[1] >= 3 ? f[1] - 3 : 0;
	}
	if (off + n > t->reply_len)
		n = t->reply_len > off ? t->reply_len - off : 0;
	n = min(n, sizeof(raw->reply));
	memcpy(raw->reply, f + off, n);
	raw->reply_len = n;
}

static int hm_v_raw(struct hm_meter *m, struct heatmeter_raw *raw)
{
	const struct hm_profile *prof;
	struct hm_vop *op;
	struct hm_txn *t;
	bool reply = !(raw->flags & HEATMETER_RAW_NO_REPLY);
	int len, ret;

	if (raw->len > HEATMETER_RAW_MAX ||
	    (raw->flags & ~HEATMETER_RAW_NO_REPLY) ||
	    raw->timeout_ms > HM_RAW_TIMEOUT_MAX_MS)
		return -EINVAL;
	op = hm_vop_alloc(m);
	if (!op)
		return -ENOMEM;
	t = op->t;
	mutex_lock(&m->lock);
	prof = hm_meter_profile(m);
	if (m->protocol == HM_PROTO_CJT188) {
		len = hm_cjt188_build(t->req, sizeof(t->req), prof->wire.preamble,
				      prof->req_type, m->addr_wire, raw->control,
				      raw->len ? raw->data : NULL, raw->len);
		t->expect = reply ? HM_EXPECT_CJT188 : HM_EXPECT_NONE;
		memcpy(t->match, m->addr_wire, 7);
		t->match_len = reply ? 7 : 0;
	} else {
		if (!raw->len && !raw->ci)
			len = hm_mbus_build_short(t->req, sizeof(t->req),
						  raw->control, m->primary);
		else
			len = hm_mbus_build_long(t->req, sizeof(t->req),
						 raw->control, m->primary,
						 raw->ci, raw->data, raw->len);
		t->expect = reply ? HM_EXPECT_MBUS_ANY : HM_EXPECT_NONE;
	}
	if (len > 0)
		hm_txn_wake(t, prof);
	mutex_unlock(&m->lock);
	if (len <= 0) {
		hm_vop_put(op);
		return -EINVAL;
	}
	t->req_len = len;
	t->tries = 1;
	t->timeout_ms = raw->timeout_ms;
	ret = hm_vop_submit(op);
	if (!ret)
		ret = hm_vop_wait_or_cancel(op);
	if (!ret)
		ret = t->result;
	if (!ret)
		hm_v_raw_reply(m, t, raw);
	hm_vop_put(op);
	return ret;
}

/**
 * hm_verify_ioctl() - one ioctl on an open file
 * @r: the file
 * @cmd: HEATMETER_IOC_* (known; permissions checked; size checked)
 * @arg: kernel copy of the argument
 *
 * Return: 0 (the argument is copied back) or -errno.
 */
long hm_verify_ioctl(struct hm_reader *r, unsigned int cmd, void *arg)
{
	struct hm_meter *m = r->m;
	long ret;

	switch (cmd) {
	case HEATMETER_IOC_GET_INFO:
		return hm_v_info(m, arg);
	case HEATMETER_IOC_READ:
		return hm_v_read(m, arg);
	case HEATMETER_IOC_READ_STORAGE:
		return hm_v_read_storage(m, arg);
	case HEATMETER_IOC_TEST_MODE:
		return hm_v_test_mode(m, arg);
	case HEATMETER_IOC_SIMULATED_FLOW:
		return hm_v_simulated_flow(m, arg);
	case HEATMETER_IOC_RAW:
		return hm_v_raw(m, arg);
	default:
		break;
	}
	if (mutex_lock_interruptible(&r->mutex))
		return -ERESTARTSYS;
	switch (cmd) {
	case HEATMETER_IOC_START:
		ret = hm_v_snapshot(r, false, arg);
		break;
	case HEATMETER_IOC_STOP:
		ret = hm_v_snapshot(r, true, arg);
		break;
	case HEATMETER_IOC_SYNC:
		ret = hm_v_sync(r, arg);
		break;
	default:
		ret = -ENOTTY;
		break;
	}
	mutex_unlock(&r->mutex);
	return ret;
}

/**
 * hm_verify_release() - the file is closed: cancel its ASYNC operations
 * @r: the file
 */
void hm_verify_release(struct hm_reader *r)
{
	struct hm_vop *op;
	int i;

	for (i = 0; i < HM_VS_COUNT; i++) {
		op = r->pending[i];
		r->pending[i] = NULL;
		if (!op)
			continue;
		hm_engine_cancel(&r->m->bus->engine, op->t);
		hm_vop_put(op);
	}
}
