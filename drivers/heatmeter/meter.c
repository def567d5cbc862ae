// SPDX-License-Identifier: GPL-2.0
/*
 * heatmeter: one device per meter (class heatmeter, parent = its bus).
 *
 * Reading a quantity returns the newest reading if it is younger than
 * max_age_ms; otherwise the reader queues one read on the bus and sleeps
 * until it completes. Readers arriving while a read is on its way share
 * it, so `cat` of several attributes costs one bus transaction. The outcome
 * of the newest read is what every attribute reports: its value, or its
 * error (-ETIMEDOUT silence, -EIO corrupt reply, -EREMOTEIO the meter
 * answered with an error, -ENODEV the line is gone). A quantity the meter
 * does not report is -ENODATA. No value outlives max_age_ms.
 */
#include <linux/ctype.h>
#include <linux/idr.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "heatmeter.h"
#include "cdev.h"
#include "cjt188.h"
#include "hm_err.h"
#include "mbus.h"

#define HM_MAX_AGE_DEFAULT	1000
#define HM_MAX_AGE_MAX		86400000

static DEFINE_IDA(hm_meter_ida);
/* a meter is about 1.5 KiB: its own cache, not kmalloc-2k (thousands) */
static struct kmem_cache *hm_meter_cache;

static struct hm_meter *to_hm_meter(struct device *dev)
{
	return container_of(dev, struct hm_meter, dev);
}

/**
 * hm_errno() - errno for a lib/ error
 * @lib_err: negative HM_E* (or 0)
 *
 * Return: 0, -EREMOTEIO (the meter reported an error), -EBUSY, -EPROTO
 * (a valid frame the driver cannot decode) or -EIO (corrupt).
 */
int hm_errno(int lib_err)
{
	switch (-lib_err) {
	case HM_OK:
		return 0;
	case HM_EMETERERR:
	case HM_EALARM:
		return -EREMOTEIO;
	case HM_EBUSY:
		return -EBUSY;
	case HM_EUNSUPPORTED:
	case HM_ENOENT:
	case HM_EPROTO:
	case HM_EUNIT:
		return -EPROTO;
	default:
		return -EIO;
	}
}

/**
 * hm_cjt188_addr_parse() - 14 hex digits A6..A0 to the wire order A0..A6
 * @s: text (exactly 14 hex digits)
 * @wire: output, 7 bytes
 *
 * Return: 0 or -EINVAL.
 */
int hm_cjt188_addr_parse(const char *s, u8 *wire)
{
	int i;

	if (strlen(s) != 14)
		return -EINVAL;
	for (i = 0; i < 7; i++)
		if (hex2bin(&wire[6 - i], s + 2 * i, 1))
			return -EINVAL;
	return 0;
}

/**
 * hm_mbus_sec_parse() - "ID[:MAN[:VV[:MM]]]" to a secondary address
 * @s: ID: 8 hex digits, most significant first, F = any digit; MAN: three
 *     letters or 4 hex digits (FFFF = any); VV, MM: version and medium, 2
 *     hex digits (FF = any). Parts left out are wildcards.
 * @sec: output, the 8 bytes of a selection (ID0..3 MAN0 MAN1 VER MED)
 *
 * Return: 0 or -EINVAL.
 */
int hm_mbus_sec_parse(const char *s, u8 *sec)
{
	const char *p = s;
	size_t n;
	u16 man;
	int i;

	memset(sec, 0xff, 8);
	if (strcspn(p, ":") != 8)
		return -EINVAL;
	for (i = 0; i < 4; i++)
		if (hex2bin(&sec[3 - i], p + 2 * i, 1))
			return -EINVAL;
	p += 8;
	if (!*p)
		return 0;
	n = strcspn(++p, ":");
	if (n == 3) {
		for (i = 0, man = 0; i < 3; i++) {
			if (p[i] < 'A' || p[i] > 'Z')
				return -EINVAL;
			man = man << 5 | (p[i] - 64);
		}
		sec[4] = man & 0xff;
		sec[5] = man >> 8;
	} else if (n != 4 || hex2bin(&sec[5], p, 1) ||
		   hex2bin(&sec[4], p + 2, 1)) {
		return -EINVAL;
	}
	for (i = 6; i < 8; i++) {
		p += n;
		if (!*p)
			return 0;
		n = strcspn(++p, ":");
		if (n != 2 || hex2bin(&sec[i], p, 1))
			return -EINVAL;
	}
	return p[n] ? -EINVAL : 0;
}

/**
 * hm_mbus_sec_text() - a secondary address as ID:MAN:VV:MM
 * @sec: the 8 bytes of a selection
 * @out: output
 * @size: its size (at least 19)
 */
void hm_mbus_sec_text(const u8 *sec, char *out, size_t size)
{
	u16 man = sec[4] | sec[5] << 8;
	char m[5];

	if (man == 0xffff || (man >> 15)) {
		snprintf(m, sizeof(m), "%04X", man);
	} else {
		m[0] = ((man >> 10) & 0x1f) + 64;
		m[1] = ((man >> 5) & 0x1f) + 64;
		m[2] = (man & 0x1f) + 64;
		m[3] = '\0';
	}
	snprintf(out, size, "%02X%02X%02X%02X:%s:%02X:%02X", sec[3], sec[2],
		 sec[1], sec[0], m, sec[6], sec[7]);
}

/**
 * hm_mbus_select_frame() - the selection telegram (SND_UD CI 52 to FD)
 * @buf: output
 * @size: its size
 * @sec: the 8 bytes of the mask as sent (ID0..3 MAN0 MAN1 VER MED)
 *
 * Return: the frame's length, or a negative HM_E* error.
 */
int hm_mbus_select_frame(u8 *buf, size_t size, const u8 *sec)
{
	struct hm_mbus_select sel = {
		.id = sec[0] | sec[1] << 8 | sec[2] << 16 | (u32)sec[3] << 24,
		.man = sec[4] | sec[5] << 8,
		.version = sec[6],
		.medium = sec[7],
	};

	return hm_mbus_build_select(buf, size, &sel, false);
}

static void hm_addr_text(u8 protocol, const u8 *wire, u8 primary, char *out)
{
	int i;

	if (protocol == HM_PROTO_MBUS && primary == HM_MBUS_ADDR_SECONDARY) {
		hm_mbus_sec_text(wire, out, 24);
		return;
	}
	if (protocol == HM_PROTO_MBUS) {
		snprintf(out, 16, "%u", primary);
		return;
	}
	for (i = 0; i < 7; i++)
		snprintf(out + 2 * i, 3, "%02X", wire[6 - i]);
}

/**
 * hm_meter_parse() - "cjt188 ADDR [profile]", "mbus PRIMARY [profile]" or
 *                    "mbus-secondary ID[:MAN[:VV[:MM]]] [profile]"
 * @buf: the text written to new_meter / delete_meter
 * @protocol: enum hm_protocol
 * @addr_wire: CJ/T 188 address, wire order; M-Bus secondary address (8
 *             bytes: the caller's buffer holds 8)
 * @primary: M-Bus primary address (HM_MBUS_ADDR_SECONDARY: secondary)
 * @profile: the named profile, or NULL (auto / generic)
 *
 * Return: 0 or -EINVAL.
 */
int hm_meter_parse(const char *buf, u8 *protocol, u8 *addr_wire, u8 *primary,
		   const struct hm_profile **profile)
{
	char proto[16], addr[24], prof[32] = "";
	int n;

	n = sscanf(buf, "%15s %23s %31s", proto, addr, prof);
	if (n < 2)
		return -EINVAL;
	memset(addr_wire, 0, 8);
	*primary = 0;
	*profile = NULL;
	if (!strcmp(proto, "cjt188")) {
		*protocol = HM_PROTO_CJT188;
		if (hm_cjt188_addr_parse(addr, addr_wire))
			return -EINVAL;
	} else if (!strcmp(proto, "mbus")) {
		*protocol = HM_PROTO_MBUS;
		if (kstrtou8(addr, 10, primary) || *primary > 250)
			return -EINVAL;
	} else if (!strcmp(proto, "mbus-secondary")) {
		*protocol = HM_PROTO_MBUS;
		*primary = HM_MBUS_ADDR_SECONDARY;
		if (hm_mbus_sec_parse(addr, addr_wire))
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (n < 3 || !strcmp(prof, "auto") ||
	    (*protocol == HM_PROTO_MBUS && !strcmp(prof, "mbus")))
		return 0;
	*profile = hm_profile_find(prof);
	if (!*profile || (*profile)->protocol != *protocol)
		return -EINVAL;
	return 0;
}

/* with bus->meters_lock held */
struct hm_meter *hm_meter_find(struct hm_bus *bus, u8 protocol,
			       const u8 *addr_wire, u8 primary)
{
	struct hm_meter *m;

	list_for_each_entry(m, &bus->meters, node) {
		if (m->protocol != protocol)
			continue;
		if (protocol == HM_PROTO_MBUS && primary == HM_MBUS_ADDR_SECONDARY) {
			if (m->primary == primary && !memcmp(m->sec, addr_wire, 8))
				return m;
		} else if (protocol == HM_PROTO_MBUS ? m->primary == primary :
			   !memcmp(m->addr_wire, addr_wire, 7)) {
			return m;
		}
	}
	return NULL;
}

/* the wake-up sequence of a profile onto a transaction */
void hm_txn_wake(struct hm_txn *t, const struct hm_profile *prof)
{
	if (!prof || !prof->wire.wake_count)
		return;
	t->wake_baud = prof->wire.wake_baud;
	t->wake_byte = prof->wire.wake_byte;
	t->wake_count = prof->wire.wake_count;
	t->wake2_byte = prof->wire.wake2_byte;
	t->wake2_count = prof->wire.wake2_count;
	t->wake_pause_ms = prof->wire.wake_pause_ms;
}

static bool hm_meter_secondary(const struct hm_meter *m)
{
	return m->protocol == HM_PROTO_MBUS &&
	       m->primary == HM_MBUS_ADDR_SECONDARY;
}

/*
 * Adaptive timing: a meter seen answering later than the standard's window
 * gets a window that covers it (up to HM_METER_WINDOW_MAX_MS); such a
 * meter, if it always takes long, has replies far earlier than its fastest
 * discarded as late replies of an earlier request.
 */
static void hm_meter_timing(struct hm_meter *m, struct hm_txn *t)
{
	u32 late = READ_ONCE(m->late_ms), fast = READ_ONCE(m->lat_min_ms);
	u32 ms;

	if (late && !t->timeout_ms) {
		ms = late + late / 4 + 50;
		t->timeout_ms = min_t(u32, ms, HM_METER_WINDOW_MAX_MS);
		if (t->timeout_ms < hm_engine_timeout_ms(&m->bus->engine,
							 t->expect))
			t->timeout_ms = 0;
	}
	/*
	 * Only a meter that has answered after a timeout can have a stale
	 * reply in flight: a slow first read (a loaded system) is no reason
	 * to discard its later, faster answers.
	 */
	if (late && fast != U32_MAX && fast >= 100)
		t->min_latency_ms = fast / 2;
}

/**
 * hm_meter_late() - the engine saw a reply of the meter after its window
 * @owner: the meter (the engine forgets it before the meter goes)
 * @ms: how long after the request
 *
 * Atomic context (the engine's lock).
 */
void hm_meter_late(const void *owner, u32 ms)
{
	struct hm_meter *m = (struct hm_meter *)owner;

	ms = min_t(u32, ms, HM_METER_WINDOW_MAX_MS);
	if (ms > READ_ONCE(m->late_ms))
		WRITE_ONCE(m->late_ms, ms);
}

/*
 * Build a profile command for @m. @reply: the command is a read (expects
 * the meter's data), else a state command (E5 if the profile says so, else
 * nothing comes back).
 */
int hm_meter_build(struct hm_meter *m, struct hm_txn *t,
		   const struct hm_profile *prof, const struct hm_cmd *cmd,
		   bool reply)
{
	int len;

	switch (cmd->proto) {
	case HM_PROTO_CJT188:
		len = hm_cjt188_build_cmd(t->req, sizeof(t->req), prof, cmd,
					  m->addr_wire);
		if (cmd->flags & HM_CMD_NO_REPLY || !reply) {
			t->expect = HM_EXPECT_NONE;
		} else {
			t->expect = HM_EXPECT_CJT188;
			memcpy(t->match, m->addr_wire, 7);
			t->match_len = 7;
		}
		break;
	case HM_PROTO_MBUS:
		if (hm_meter_secondary(m)) {
			/* select it first; the selection clears its FCB */
			len = hm_mbus_select_frame(t->pre, sizeof(t->pre),
						   m->sec);
			if (len < 0)
				return -EINVAL;
			t->pre_len = len;
			m->fcb = false;
		}
		if (m->protocol == HM_PROTO_MBUS && cmd->ctrl == HM_MBUS_C_REQ_UD2) {
			m->fcb = !m->fcb;
			len = hm_mbus_build_req_ud2(t->req, sizeof(t->req),
						    m->primary, m->fcb);
		} else {
			len = hm_mbus_build_cmd(t->req, sizeof(t->req), cmd,
						m->protocol == HM_PROTO_MBUS ?
						m->primary : HM_MBUS_ADDR_BCAST_REPLY);
		}
		if (cmd->flags & HM_CMD_NO_REPLY)
			t->expect = HM_EXPECT_NONE;
		else if (cmd->flags & HM_CMD_ACK_E5)
			t->expect = HM_EXPECT_MBUS_ACK;
		else
			t->expect = reply ? HM_EXPECT_MBUS_RSP : HM_EXPECT_MBUS_ANY;
		if (t->expect == HM_EXPECT_MBUS_RSP && hm_meter_secondary(m)) {
			/* it answers with its own A: check who it says it is */
			memcpy(t->match, m->sec, 8);
			t->match_len = 8;
		} else if (t->expect == HM_EXPECT_MBUS_RSP &&
			   m->protocol == HM_PROTO_MBUS) {
			t->match[0] = m->primary;
			t->match_len = 1;
		}
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (len < 0)
		return len == -HM_ENOTSUPP ? -EOPNOTSUPP : -EINVAL;
	t->req_len = len;
	if (reply && t->expect != HM_EXPECT_NONE)
		hm_meter_timing(m, t);
	/* a meter switched to its own rate is talked to at it */
	t->baud = m->baud && !m->baud_fallback ? m->baud : 0;
	return 0;
}

/* generic M-Bus read (no profile): REQ_UD2 */
static const struct hm_cmd hm_mbus_read_cmd = {
	.proto = HM_PROTO_MBUS,
	.ctrl = HM_MBUS_C_REQ_UD2,
};

static const struct hm_cmd hm_mbus_nke_cmd = {
	.proto = HM_PROTO_MBUS,
	.ctrl = HM_MBUS_C_SND_NKE,
	.flags = HM_CMD_ACK_E5,
};

/**
 * hm_meter_profile() - the profile requests are built with
 * @m: meter; m->lock held
 *
 * Return: the named profile, else (CJ/T 188) the one the last reply
 * matched or the standard's, else NULL (generic M-Bus).
 */
const struct hm_profile *hm_meter_profile(struct hm_meter *m)
{
	lockdep_assert_held(&m->lock);
	if (m->profile)
		return m->profile;
	if (m->protocol == HM_PROTO_CJT188)
		return m->matched ? m->matched : hm_profile_default();
	return NULL;
}

/* queue @t as the meter's unless it is gone; m->lock held */
static int hm_meter_queue_locked(struct hm_meter *m, struct hm_txn *t)
{
	lockdep_assert_held(&m->lock);
	if (m->dead)
		return -ENODEV;
	t->owner = m;
	return hm_engine_submit(&m->bus->engine, t);
}

/**
 * hm_meter_queue() - queue a transaction of the meter
 * @m: meter
 * @t: transaction, built
 *
 * The meter's removal takes back every transaction queued this way.
 *
 * Return: 0, -ENODEV (meter or line gone) or -EINVAL.
 */
int hm_meter_queue(struct hm_meter *m, struct hm_txn *t)
{
	int ret;

	mutex_lock(&m->lock);
	ret = hm_meter_queue_locked(m, t);
	mutex_unlock(&m->lock);
	return ret;
}

/* queue an auxiliary command (test mode, link reset); m->lock held */
static int hm_meter_aux(struct hm_meter *m, const struct hm_profile *prof,
			const struct hm_cmd *cmd, bool *wake)
{
	struct hm_txn *t = hm_txn_alloc(GFP_KERNEL);
	int ret;

	if (!t)
		return -ENOMEM;
	ret = hm_meter_build(m, t, prof, cmd, false);
	if (!ret) {
		if (*wake)
			hm_txn_wake(t, prof);
		*wake = false;
		t->tries = 1;
		ret = hm_meter_queue_locked(m, t);
	}
	hm_txn_put(t);
	return ret;
}

/**
 * struct hm_mbus_acc - an M-Bus read over several telegrams
 * @rd: the telegrams decoded so far, merged in order
 * @id: the identity the first telegram gave
 * @dflags: HM_MBUS_DF_* of the decoding
 * @addr: A of the REQ_UD2s
 * @n: telegrams decoded
 * @fcb: FCB of the newest REQ_UD2
 * @err: 0, or -errno of a telegram that could not be decoded
 */
struct hm_mbus_acc {
	struct hm_reading rd;
	struct hm_identity id;
	unsigned int dflags;
	u8 addr;
	u8 n;
	bool fcb;
	int err;
};

/*
 * The engine's @more: decode the telegram that came and, if it announced
 * another (DIF 1F), ask for it with the FCB toggled. A bad or missing
 * telegram is resent by the engine with the same FCB. Atomic context.
 */
static bool hm_mbus_more(struct hm_txn *t)
{
	struct hm_mbus_acc *a = t->acc;
	int err, len;

	err = hm_mbus_decode(t->reply, t->reply_len,
			     a->dflags | (a->n ? HM_MBUS_DF_MERGE : 0),
			     a->n ? NULL : &a->id, &a->rd);
	a->n++;
	if (err) {
		a->err = hm_errno(err);
		return false;
	}
	if (!(a->rd.flags & HM_RD_MORE_RECORDS) ||
	    a->n >= HM_MBUS_TELEGRAMS_MAX)
		return false;
	len = hm_mbus_build_req_ud2(t->req, sizeof(t->req), a->addr, !a->fcb);
	if (len < 0)
		return false;
	a->fcb = !a->fcb;
	t->req_len = len;
	return true;
}

/* an M-Bus REQ_UD2 read: follow DIF 1F; m->lock held */
static int hm_meter_acc_init(struct hm_meter *m, struct hm_txn *t,
			     const struct hm_profile *prof)
{
	struct hm_mbus_acc *a = kzalloc(sizeof(*a), GFP_KERNEL);

	if (!a)
		return -ENOMEM;
	hm_identity_init(&a->id);
	hm_reading_init(&a->rd);
	a->dflags = (t->rd_flags & HM_RDF_HIGHRES) && prof &&
		    prof->mbus_subunit ? HM_MBUS_DF_SUBUNIT1 : 0;
	a->dflags |= HM_MBUS_DF_STORAGE(t->rd_storage);
	a->addr = m->primary;
	a->fcb = m->fcb;
	kfree(t->acc);
	t->acc = a;
	t->more = hm_mbus_more;
	return 0;
}

/**
 * hm_meter_submit_read() - queue a read of the meter as it is set up now
 * @m: meter; m->lock held
 * @t: transaction: the caller set complete, priv, not_before and tries
 * @verify: for the verification ioctls: never enter test mode on the way
 *          (the bench does that with TEST_MODE)
 *
 * The one place a read is built: the profile, the high-resolution
 * registers and the settings generation are recorded in @t (rd_*), so the
 * reply is decoded as what was asked, whatever changes meanwhile. An
 * M-Bus meter whose FCB state is unknown gets a link reset (SND_NKE)
 * first; a high-resolution read of a sysfs user enters test mode first.
 *
 * Return: 0, -ENODEV, -EOPNOTSUPP (no high-resolution read), -ENOMEM.
 */
int hm_meter_submit_read(struct hm_meter *m, struct hm_txn *t, bool verify)
{
	const struct hm_profile *prof;
	const struct hm_cmd *cmd;
	bool wake = true;
	int ret;

	lockdep_assert_held(&m->lock);
	if (m->dead)
		return -ENODEV;
	prof = m->profile;
	if (!prof && m->protocol == HM_PROTO_CJT188)
		prof = hm_profile_default();	/* the reply picks the layout */
	cmd = prof ? &prof->read : &hm_mbus_read_cmd;
	t->rd_flags = m->protocol == HM_PROTO_CJT188 && !m->profile ?
		      HM_RDF_AUTO : 0;
	if (m->highres) {
		if (!prof || prof->read_highres.proto == HM_PROTO_NONE)
			return -EOPNOTSUPP;
		cmd = &prof->read_highres;
		t->rd_flags |= HM_RDF_HIGHRES;
	}
	t->rd_prof = prof;
	t->rd_gen = m->gen;

	if (m->protocol == HM_PROTO_MBUS && m->need_reset &&
	    !hm_meter_secondary(m)) {
		/* SND_NKE: the meter's FCB state starts over */
		ret = hm_meter_aux(m, prof, &hm_mbus_nke_cmd, &wake);
		if (ret)
			return ret;
		m->need_reset = false;
		m->fcb = false;
	}
	if (!verify && m->highres &&
	    prof->test_enter.proto != HM_PROTO_NONE) {
		ret = hm_meter_aux(m, prof, &prof->test_enter, &wake);
		if (ret)
			return ret;
	}
	ret = hm_meter_build(m, t, prof, cmd, true);
	if (ret)
		return ret;
	if (m->protocol == HM_PROTO_MBUS && cmd->ctrl == HM_MBUS_C_REQ_UD2 &&
	    t->expect == HM_EXPECT_MBUS_RSP) {
		ret = hm_meter_acc_init(m, t, prof);
		if (ret)
			return ret;
	}
	if (wake)
		hm_txn_wake(t, prof);
	return hm_meter_queue_locked(m, t);
}

/**
 * hm_meter_decode() - decode a read's reply as it was asked
 * @m: meter
 * @t: the completed read (t->result 0)
 * @id: out: who the reply says the meter is, or NULL
 * @rd: out: the reading
 *
 * Return: 0 or -errno (hm_errno()); an M-Bus meter whose reply failed
 * gets a link reset before its next read.
 */
int hm_meter_decode(struct hm_meter *m, const struct hm_txn *t,
		    struct hm_identity *id, struct hm_reading *rd)
{
	const struct hm_profile *prof = t->rd_prof;
	/* telegrams decoded as they came (hm_mbus_more()) */
	const struct hm_mbus_acc *a = t->more == hm_mbus_more ? t->acc : NULL;
	int err;

	hm_reading_init(rd);
	if (m->protocol == HM_PROTO_CJT188) {
		if (t->rd_flags & HM_RDF_AUTO)
			prof = hm_profile_match(t->reply, t->reply_len);
		err = hm_errno(hm_cjt188_decode(t->reply, t->reply_len, prof,
						id, rd));
		if (t->rd_flags & HM_RDF_AUTO) {
			mutex_lock(&m->lock);
			if (t->rd_gen == m->gen)
				m->matched = prof;
			mutex_unlock(&m->lock);
		}
		return err;
	}
	if (a) {
		err = a->n ? a->err : -EIO;
		if (!err) {
			*rd = a->rd;
			if (id)
				*id = a->id;
		}
	} else {
		err = hm_errno(hm_mbus_decode(t->reply, t->reply_len,
					      ((t->rd_flags & HM_RDF_HIGHRES) &&
					       prof && prof->mbus_subunit ?
					       HM_MBUS_DF_SUBUNIT1 : 0) |
					      HM_MBUS_DF_STORAGE(t->rd_storage),
					      id, rd));
	}
	mutex_lock(&m->lock);
	if (a) {
		/* the FCB the meter saw last; several telegrams: start over */
		m->fcb = a->fcb;
		m->telegrams = a->n;
		if (a->n > 1)
			m->need_reset = true;
	}
	if (err)
		m->need_reset = true;
	mutex_unlock(&m->lock);
	return err;
}

static void hm_meter_read_done(struct hm_txn *t);

/* queue a read and make it the one in flight; m->lock held */
static int hm_meter_start_read(struct hm_meter *m)
{
	struct hm_txn *t = hm_txn_alloc(GFP_KERNEL);
	int ret;

	if (!t)
		return -ENOMEM;
	t->priv = m;
	t->complete = hm_meter_read_done;
	get_device(&m->dev);		/* the completion's */
	ret = hm_meter_submit_read(m, t, false);
	if (ret) {
		put_device(&m->dev);
		hm_txn_put(t);
		return ret;
	}
	m->inflight = t;	/* the allocation's reference */
	m->requests++;
	return 0;
}

static void hm_ident_merge(struct hm_identity *dst,
			   const struct hm_identity *src)
{
	if (src->id[0])
		strscpy(dst->id, src->id, sizeof(dst->id));
	if (src->manufacturer[0])
		strscpy(dst->manufacturer, src->manufacturer,
			sizeof(dst->manufacturer));
	if (src->fabrication[0])
		strscpy(dst->fabrication, src->fabrication,
			sizeof(dst->fabrication));
	if (src->protocol == HM_PROTO_CJT188) {
		dst->meter_type = src->meter_type;
	} else if (src->manufacturer[0]) {
		/* M-Bus long header */
		dst->medium = src->medium;
		dst->version = src->version;
		dst->access_no = src->access_no;
		dst->mbus_status = src->mbus_status;
	}
}

/**
 * hm_reading_to_uapi() - a uapi reading from a transaction and its decoding
 * @out: reading to fill
 * @t: the transaction (timestamps, tries), or NULL
 * @err: 0 or the reading's errno
 * @rd: decoded values (if @err is 0)
 * @flags: HEATMETER_RD_* to add
 */
void hm_reading_to_uapi(struct heatmeter_reading *out, const struct hm_txn *t,
			int err, const struct hm_reading *rd, u32 flags)
{
	unsigned int q;

	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->error = err;
	out->flags = flags;
	if (!err && rd) {
		out->valid = rd->valid & (HM_QBIT(HM_Q_COUNT) - 1);
		for (q = 0; q < HM_Q_COUNT && q < HEATMETER_Q_MAX; q++)
			if (q != HM_Q_METER_TIME && (rd->valid & HM_QBIT(q)))
				out->values[q] = rd->values[q];
		out->meter_time.year = rd->meter_time.year;
		out->meter_time.month = rd->meter_time.month;
		out->meter_time.day = rd->meter_time.day;
		out->meter_time.hour = rd->meter_time.hour;
		out->meter_time.minute = rd->meter_time.minute;
		out->meter_time.second = rd->meter_time.second;
		out->meter_time.has_time = rd->meter_time.has_time;
		if (rd->flags & HM_RD_HAS_STATUS) {
			out->status = rd->status;
			out->flags |= HEATMETER_RD_STATUS;
		}
		if (rd->flags & HM_RD_HIGHRES)
			out->flags |= HEATMETER_RD_HIGHRES;
		if (rd->flags & HM_RD_TEST_MODE)
			out->flags |= HEATMETER_RD_TEST_MODE;
	}
	if (!t)
		return;
	out->tries = t->tries_used;
	out->ts.queued = ktime_to_ns(t->t.queued);
	out->ts.tx_start = ktime_to_ns(t->t.tx_start);
	out->ts.tx_done = ktime_to_ns(t->t.sent);
	out->ts.rx_first = ktime_to_ns(t->t.first_rx);
	out->ts.rx_last = ktime_to_ns(t->t.frame);
	out->ts.complete_real = ktime_to_ns(t->t.done_real);
}

/* test mode as the driver knows it; m->lock held */
static bool hm_meter_test_mode_locked(struct hm_meter *m)
{
	if (m->test_mode && m->test_expires &&
	    ktime_after(ktime_get(), m->test_expires))
		m->test_mode = false;
	return m->test_mode;
}

/**
 * hm_meter_test_mode() - is the meter in test mode (entered by TEST_MODE)?
 * @m: meter
 * @expires: out: CLOCK_MONOTONIC ns when it ends by itself (0 = unknown)
 *
 * Return: true while in test mode.
 */
bool hm_meter_test_mode(struct hm_meter *m, s64 *expires)
{
	bool on;

	mutex_lock(&m->lock);
	on = hm_meter_test_mode_locked(m);
	*expires = on ? ktime_to_ns(m->test_expires) : 0;
	mutex_unlock(&m->lock);
	return on;
}

/**
 * hm_meter_set_test_mode() - the meter entered or left test mode
 * @m: meter
 * @prof: the profile the command was sent with
 * @on: entered
 * @expires: when it leaves by itself (0 = unknown); a re-entry is not
 *           known to extend it: the earlier end is kept
 *
 * Reads then use the high-resolution registers (if @prof has them).
 */
void hm_meter_set_test_mode(struct hm_meter *m, const struct hm_profile *prof,
			    bool on, ktime_t expires)
{
	mutex_lock(&m->lock);
	if (on) {
		if (!m->test_mode || !m->test_expires)
			m->test_expires = expires;
		m->test_mode = true;
	} else {
		m->test_mode = false;
		m->test_expires = 0;
	}
	if (m->profile == prof) {
		m->highres = on && prof->read_highres.proto != HM_PROTO_NONE;
		hm_meter_invalidate(m);
	}
	mutex_unlock(&m->lock);
}

/**
 * hm_meter_invalidate() - reads are built differently from now on
 * @m: meter; m->lock held
 *
 * The cache is forgotten, a read in flight is left to finish without
 * refilling it, and readers waiting for that read start a new one.
 */
void hm_meter_invalidate(struct hm_meter *m)
{
	lockdep_assert_held(&m->lock);
	m->gen++;
	m->have = false;
	if (m->inflight) {
		hm_txn_put(m->inflight);
		m->inflight = NULL;
	}
	wake_up_all(&m->wait);
}

/**
 * hm_meter_publish() - a reading of the meter is complete
 * @m: meter
 * @out: the reading (hm_reading_to_uapi()); its seq and the test-mode flag
 *       are set here
 *
 * Numbers it in the meter's sequence and hands it to the hook (the char
 * device's readers). A transaction that never reached the line as the
 * meter's (cancelled, or the meter or line gone) is no reading.
 */
void hm_meter_publish(struct hm_meter *m, struct heatmeter_reading *out)
{
	if (out->error == -ECANCELED || out->error == -ENODEV)
		return;
	mutex_lock(&m->lock);
	if (!m->dead) {
		if (hm_meter_test_mode_locked(m))
			out->flags |= HEATMETER_RD_TEST_MODE;
		out->seq = ++m->seq;
		if (m->publish)
			m->publish(m, out);
	}
	mutex_unlock(&m->lock);
}

static void hm_meter_read_done(struct hm_txn *t)
{
	struct hm_meter *m = t->priv;
	struct heatmeter_reading out;
	struct hm_identity id, old;
	struct hm_reading rd;
	bool changed = false, mine;
	int err = t->result;

	hm_identity_init(&id);
	hm_reading_init(&rd);
	if (!err)
		err = hm_meter_decode(m, t, &id, &rd);

	if (!err && t->t.first_rx && t->t.sent) {
		s64 lat = ktime_ms_delta(t->t.first_rx, t->t.sent);

		if (lat >= 0 && lat < READ_ONCE(m->lat_min_ms))
			WRITE_ONCE(m->lat_min_ms, (u32)lat);
	}
	mutex_lock(&m->lock);
	if (t->rd_gen == m->gen) {
		/* built with the settings in force: the newest outcome */
		m->have = true;
		m->err = err;
		m->when = t->t.done;
		m->times = t->t;
		if (!err) {
			m->rd = rd;
			m->ok_real = t->t.done_real;
		}
	}
	if (!err) {
		spin_lock(&m->id_lock);
		old = m->ident;
		hm_ident_merge(&m->ident, &id);
		changed = strcmp(old.id, m->ident.id) ||
			  strcmp(old.manufacturer, m->ident.manufacturer);
		spin_unlock(&m->id_lock);
	} else if (err == -ETIMEDOUT) {
		m->timeouts++;
		/* not heard at its rate (it fell back by itself?), or at ours */
		if (m->baud)
			m->baud_fallback = !m->baud_fallback;
	} else if (err != -ENODEV && err != -ECANCELED) {
		m->errors++;
	}
	mine = m->inflight == t;
	if (mine)
		m->inflight = NULL;
	if (changed && !m->dead)
		kobject_uevent(&m->dev.kobj, KOBJ_CHANGE);
	mutex_unlock(&m->lock);
	wake_up_all(&m->wait);
	hm_reading_to_uapi(&out, t, err, &rd, (t->rd_flags & HM_RDF_HIGHRES) ?
			   HEATMETER_RD_HIGHRES : 0);
	hm_meter_publish(m, &out);
	if (mine)
		hm_txn_put(t);
	put_device(&m->dev);
}

/**
 * hm_meter_refresh() - start a read unless one is on its way (polling)
 * @m: meter
 */
void hm_meter_refresh(struct hm_meter *m)
{
	mutex_lock(&m->lock);
	if (!m->dead && !m->inflight)
		hm_meter_start_read(m);
	mutex_unlock(&m->lock);
}

/* the newest outcome, reading the meter if it is too old */
struct hm_snap {
	int err;
	struct hm_reading rd;
};

static int hm_meter_fresh(struct hm_meter *m, struct hm_snap *s)
{
	struct hm_txn *t;
	u32 gen;
	int ret;

	mutex_lock(&m->lock);
	if (m->have && ktime_before(ktime_get(),
				    ktime_add_ms(m->when, m->max_age_ms)))
		goto copy;
	for (;;) {
		if (m->dead) {
			ret = -ENODEV;
			goto unlock;
		}
		if (!m->inflight) {
			ret = hm_meter_start_read(m);
			if (ret)
				goto unlock;
		}
		t = m->inflight;
		gen = m->gen;
		hm_txn_get(t);
		mutex_unlock(&m->lock);

		ret = wait_event_interruptible(m->wait,
					       READ_ONCE(m->inflight) != t ||
					       READ_ONCE(m->dead));
		hm_txn_put(t);
		if (ret)
			return ret;

		mutex_lock(&m->lock);
		/* the read waited for (or a newer one) as settings are now */
		if (!m->dead && m->have && m->gen == gen)
			goto copy;
	}
copy:
	s->err = m->err;
	s->rd = m->rd;
	ret = 0;
unlock:
	mutex_unlock(&m->lock);
	return ret;
}

/**
 * hm_meter_value() - one quantity, as a sysfs attribute reads it
 * @m: meter
 * @q: HM_Q_* (not HM_Q_METER_TIME)
 * @v: out: its value
 *
 * Return: 0; -ENODATA (not reported); the read's errno (-ETIMEDOUT,
 * -EIO, ...); -ENODEV; -ERESTARTSYS.
 */
int hm_meter_value(struct hm_meter *m, unsigned int q, s64 *v)
{
	struct hm_snap s;
	int ret;

	ret = hm_meter_fresh(m, &s);
	if (ret)
		return ret;
	if (s.err)
		return s.err;
	if (!(s.rd.valid & HM_QBIT(q)))
		return -ENODATA;
	*v = s.rd.values[q];
	return 0;
}

/* quantities */
struct hm_q_attr {
	struct device_attribute attr;
	unsigned int q;
};

static ssize_t hm_q_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct hm_q_attr *qa = container_of(attr, struct hm_q_attr, attr);
	struct hm_snap s;
	int ret;

	ret = hm_meter_fresh(to_hm_meter(dev), &s);
	if (ret)
		return ret;
	if (s.err)
		return s.err;
	if (!(s.rd.valid & HM_QBIT(qa->q)))
		return -ENODATA;
	if (qa->q == HM_Q_METER_TIME) {
		const struct hm_datetime *d = &s.rd.meter_time;

		if (!d->has_time)
			return sysfs_emit(buf, "%04u-%02u-%02u\n", d->year,
					  d->month, d->day);
		return sysfs_emit(buf, "%04u-%02u-%02uT%02u:%02u:%02u\n",
				  d->year, d->month, d->day, d->hour,
				  d->minute, d->second);
	}
	return sysfs_emit(buf, "%lld\n", s.rd.values[qa->q]);
}

#define HM_Q_ATTR(_name, _q)						\
	static struct hm_q_attr hm_q_##_name = {			\
		.attr = __ATTR(_name, 0444, hm_q_show, NULL),		\
		.q = (_q),						\
	}

HM_Q_ATTR(energy, HM_Q_ENERGY);
HM_Q_ATTR(cooling_energy, HM_Q_COOLING_ENERGY);
HM_Q_ATTR(volume, HM_Q_VOLUME);
HM_Q_ATTR(power, HM_Q_POWER);
HM_Q_ATTR(flow, HM_Q_FLOW);
HM_Q_ATTR(supply_temp, HM_Q_SUPPLY_TEMP);
HM_Q_ATTR(return_temp, HM_Q_RETURN_TEMP);
HM_Q_ATTR(temp_diff, HM_Q_TEMP_DIFF);
HM_Q_ATTR(operating_time, HM_Q_OPERATING_TIME);
HM_Q_ATTR(meter_time, HM_Q_METER_TIME);

static ssize_t protocol_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%s\n", to_hm_meter(dev)->protocol ==
			  HM_PROTO_MBUS ? "mbus" : "cjt188");
}
static DEVICE_ATTR_RO(protocol);

static ssize_t address_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", to_hm_meter(dev)->address);
}
static DEVICE_ATTR_RO(address);

enum hm_id_field { HM_ID_ID, HM_ID_MAN, HM_ID_VERSION, HM_ID_MEDIUM };

/* CJ/T 188 meter type T as an EN 13757-3 medium */
static u8 hm_cjt188_medium(u8 t)
{
	if (t >= 0x10 && t <= 0x19)
		return 0x07;		/* water */
	if (t == 0x21)
		return 0x0a;		/* cooling */
	if (t >= 0x20 && t <= 0x29)
		return 0x04;		/* heat */
	if (t >= 0x30 && t <= 0x39)
		return 0x03;		/* gas */
	return 0x00;			/* other */
}

/* an identity field, "" if not known (yet) */
static void hm_ident_field(struct hm_meter *m, enum hm_id_field f, char *out,
			   size_t size)
{
	struct hm_identity id;

	spin_lock(&m->id_lock);
	id = m->ident;
	spin_unlock(&m->id_lock);
	out[0] = '\0';
	switch (f) {
	case HM_ID_ID:
		/* a CJ/T 188 meter is known by its address */
		strscpy(out, id.id[0] ? id.id : m->protocol == HM_PROTO_CJT188 ?
			m->address : "", size);
		break;
	case HM_ID_MAN:
		if (id.manufacturer[0])
			strscpy(out, id.manufacturer, size);
		else if (m->protocol == HM_PROTO_CJT188)
			/* A6 A5: the manufacturer code */
			strscpy(out, m->address, min_t(size_t, size, 5));
		break;
	case HM_ID_VERSION:
		if (m->protocol == HM_PROTO_MBUS && id.manufacturer[0])
			snprintf(out, size, "%u", id.version);
		break;
	case HM_ID_MEDIUM:
		if (m->protocol == HM_PROTO_MBUS && id.manufacturer[0])
			strscpy(out, hm_medium_name(id.medium), size);
		else if (m->protocol == HM_PROTO_CJT188 && id.meter_type)
			strscpy(out, hm_medium_name(hm_cjt188_medium(id.meter_type)),
				size);
		break;
	}
}

static ssize_t hm_ident_show(struct device *dev, enum hm_id_field f,
			     char *buf)
{
	struct hm_meter *m = to_hm_meter(dev);
	struct hm_snap s;
	char val[32];
	int ret;

	if (!READ_ONCE(m->ok_real) &&
	    !(f == HM_ID_VERSION && m->protocol == HM_PROTO_CJT188)) {
		/* nothing heard from the meter yet: a read tells who it is */
		ret = hm_meter_fresh(m, &s);
		if (!ret)
			ret = s.err;
	} else {
		ret = 0;
	}
	hm_ident_field(m, f, val, sizeof(val));
	if (!val[0])
		return ret ? ret : -ENODATA;
	return sysfs_emit(buf, "%s\n", val);
}

static ssize_t id_show(struct device *dev, struct device_attribute *attr,
		       char *buf)
{
	return hm_ident_show(dev, HM_ID_ID, buf);
}
static DEVICE_ATTR_RO(id);

static ssize_t manufacturer_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return hm_ident_show(dev, HM_ID_MAN, buf);
}
static DEVICE_ATTR_RO(manufacturer);

static ssize_t version_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return hm_ident_show(dev, HM_ID_VERSION, buf);
}
static DEVICE_ATTR_RO(version);

static ssize_t medium_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return hm_ident_show(dev, HM_ID_MEDIUM, buf);
}
static DEVICE_ATTR_RO(medium);

static ssize_t profile_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct hm_meter *m = to_hm_meter(dev);
	const char *name;

	mutex_lock(&m->lock);
	if (m->profile)
		name = m->profile->name;
	else if (m->protocol == HM_PROTO_MBUS)
		name = "mbus";
	else if (m->matched)
		name = m->matched->name;
	else
		name = "auto";
	mutex_unlock(&m->lock);
	return sysfs_emit(buf, "%s\n", name);
}

static ssize_t profile_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	struct hm_meter *m = to_hm_meter(dev);
	const struct hm_profile *prof = NULL;
	char name[32];

	if (sscanf(buf, "%31s", name) != 1)
		return -EINVAL;
	if (strcmp(name, "auto") && strcmp(name, "mbus")) {
		prof = hm_profile_find(name);
		if (!prof || prof->protocol != m->protocol)
			return -EINVAL;
	} else if (!strcmp(name, "mbus") && m->protocol != HM_PROTO_MBUS) {
		return -EINVAL;
	}
	mutex_lock(&m->lock);
	if (m->profile != prof) {
		m->profile = prof;
		m->matched = NULL;
		if (!prof || prof->read_highres.proto == HM_PROTO_NONE)
			m->highres = false;
		hm_meter_invalidate(m);	/* another layout: forget */
	}
	mutex_unlock(&m->lock);
	return count;
}
static DEVICE_ATTR_RW(profile);

static const u32 hm_mbus_bauds[8] = {
	300, 600, 1200, 2400, 4800, 9600, 19200, 38400,	/* CI B8..BF */
};

/*
 * Wait for a queued transaction of the meter: its result, or -ERESTARTSYS
 * once it is taken back (or has finished its try on the wire).
 */
static int hm_meter_wait(struct hm_meter *m, struct hm_txn *t)
{
	int ret = hm_txn_wait(t);

	if (ret) {
		hm_engine_cancel(&m->bus->engine, t);
		/* pairs with the release in hm_txn_finish() */
		wait_event(t->wait, smp_load_acquire(&t->done));
		return ret;
	}
	return t->result;
}

/* queue @t (built) as the meter's and wait for it; 0 or -errno */
static int hm_meter_run(struct hm_meter *m, struct hm_txn *t)
{
	int ret = hm_meter_queue(m, t);

	return ret ? ret : hm_meter_wait(m, t);
}

/*
 * Switch an M-Bus meter to another rate (SND_UD CI B8..BF): it
 * acknowledges at the old rate, then listens at the new one; a read there
 * confirms it (and keeps the meter's fallback watchdog from reverting).
 * Not heard at the new rate: the meter keeps the old one.
 */
static int hm_meter_switch_baud(struct hm_meter *m, unsigned int code,
				u32 baud)
{
	struct hm_cmd cmd = {
		.proto = HM_PROTO_MBUS,
		.ctrl = HM_MBUS_C_SND_UD,
		.ci = 0xb8 + code,
		.flags = HM_CMD_ACK_E5,
	};
	struct hm_txn *t = hm_txn_alloc(GFP_KERNEL);
	u32 old;
	int ret;

	if (!t)
		return -ENOMEM;
	mutex_lock(&m->lock);
	ret = hm_meter_build(m, t, NULL, &cmd, false);
	mutex_unlock(&m->lock);
	t->tries = 1;	/* a lost E5 may hide a switch already made */
	if (!ret)
		ret = hm_meter_run(m, t);
	hm_txn_put(t);
	if (ret)
		return ret;

	t = hm_txn_alloc(GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	mutex_lock(&m->lock);
	old = m->baud;
	m->baud = baud;
	m->baud_fallback = false;
	m->need_reset = true;
	m->gen++;
	ret = hm_meter_submit_read(m, t, true);
	mutex_unlock(&m->lock);
	if (!ret)
		ret = hm_meter_wait(m, t);
	hm_txn_put(t);
	if (ret && ret != -ERESTARTSYS && ret != -ENODEV) {
		mutex_lock(&m->lock);
		m->baud = old;
		mutex_unlock(&m->lock);
		ret = -EIO;
	}
	return ret;
}

static ssize_t baudrate_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct hm_meter *m = to_hm_meter(dev);
	u32 baud;

	mutex_lock(&m->lock);
	baud = m->baud;
	mutex_unlock(&m->lock);
	if (!baud)
		baud = READ_ONCE(m->bus->engine.baud);
	return sysfs_emit(buf, "%u\n", baud);
}

static ssize_t baudrate_store(struct device *dev,
			      struct device_attribute *attr,
			      const char *buf, size_t count)
{
	struct hm_meter *m = to_hm_meter(dev);
	unsigned int i;
	u32 baud;
	int ret;

	if (m->protocol != HM_PROTO_MBUS)
		return -EOPNOTSUPP;
	ret = kstrtou32(buf, 10, &baud);
	if (ret)
		return ret;
	for (i = 0; i < ARRAY_SIZE(hm_mbus_bauds); i++)
		if (hm_mbus_bauds[i] == baud)
			break;
	if (i == ARRAY_SIZE(hm_mbus_bauds))
		return -EINVAL;
	ret = hm_meter_switch_baud(m, i, baud);
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(baudrate);

static ssize_t online_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct hm_meter *m = to_hm_meter(dev);
	int v;

	mutex_lock(&m->lock);
	v = m->have && !m->err;
	mutex_unlock(&m->lock);
	return sysfs_emit(buf, "%d\n", v);
}
static DEVICE_ATTR_RO(online);

static ssize_t last_update_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct hm_meter *m = to_hm_meter(dev);
	struct timespec64 ts;
	ktime_t real;

	mutex_lock(&m->lock);
	real = m->ok_real;
	mutex_unlock(&m->lock);
	if (!real)
		return -ENODATA;
	ts = ktime_to_timespec64(real);
	return sysfs_emit(buf, "%lld.%03ld\n", (long long)ts.tv_sec,
			  ts.tv_nsec / NSEC_PER_MSEC);
}
static DEVICE_ATTR_RO(last_update);

static ssize_t max_age_ms_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_hm_meter(dev)->max_age_ms));
}

static ssize_t max_age_ms_store(struct device *dev,
				struct device_attribute *attr,
				const char *buf, size_t count)
{
	struct hm_meter *m = to_hm_meter(dev);
	u32 v;
	int ret;

	ret = kstrtou32(buf, 0, &v);
	if (ret)
		return ret;
	if (v > HM_MAX_AGE_MAX)
		return -ERANGE;
	mutex_lock(&m->lock);
	m->max_age_ms = v;
	mutex_unlock(&m->lock);
	return count;
}
static DEVICE_ATTR_RW(max_age_ms);

static ssize_t highres_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(to_hm_meter(dev)->highres));
}

static ssize_t highres_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	struct hm_meter *m = to_hm_meter(dev);
	bool v;
	int ret;

	ret = kstrtobool(buf, &v);
	if (ret)
		return ret;
	mutex_lock(&m->lock);
	if (v && (!m->profile ||
		  m->profile->read_highres.proto == HM_PROTO_NONE)) {
		mutex_unlock(&m->lock);
		return -EOPNOTSUPP;
	}
	if (m->highres != v) {
		m->highres = v;
		hm_meter_invalidate(m);	/* other registers: forget */
	}
	mutex_unlock(&m->lock);
	return count;
}
static DEVICE_ATTR_RW(highres);

/* sysfs: test_mode of the meter (1 while in it, as far as the driver knows) */
static ssize_t test_mode_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	s64 expires;

	return sysfs_emit(buf, "%d\n", hm_meter_test_mode(to_hm_meter(dev),
							   &expires));
}
static DEVICE_ATTR_RO(test_mode);

static struct attribute *hm_meter_attrs[] = {
	&dev_attr_protocol.attr,
	&dev_attr_address.attr,
	&dev_attr_id.attr,
	&dev_attr_manufacturer.attr,
	&dev_attr_version.attr,
	&dev_attr_medium.attr,
	&dev_attr_profile.attr,
	&hm_q_energy.attr.attr,
	&hm_q_cooling_energy.attr.attr,
	&hm_q_volume.attr.attr,
	&hm_q_power.attr.attr,
	&hm_q_flow.attr.attr,
	&hm_q_supply_temp.attr.attr,
	&hm_q_return_temp.attr.attr,
	&hm_q_temp_diff.attr.attr,
	&hm_q_operating_time.attr.attr,
	&hm_q_meter_time.attr.attr,
	&dev_attr_online.attr,
	&dev_attr_baudrate.attr,
	&dev_attr_last_update.attr,
	&dev_attr_max_age_ms.attr,
	&dev_attr_highres.attr,
	&dev_attr_test_mode.attr,
	NULL
};

static const struct attribute_group hm_meter_group = {
	.attrs = hm_meter_attrs,
};

/* stats/ */
enum hm_mstat {
	HM_MS_REQUESTS,
	HM_MS_TIMEOUTS,
	HM_MS_ERRORS,
	HM_MS_TX_US,
	HM_MS_LATENCY_US,
	HM_MS_RX_US,
	HM_MS_TOTAL_US,
};

struct hm_mstat_attr {
	struct device_attribute attr;
	unsigned int idx;
};

static s64 hm_us(ktime_t a, ktime_t b)
{
	return a && b ? ktime_us_delta(b, a) : -1;
}

static ssize_t hm_mstat_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct hm_mstat_attr *sa = container_of(attr, struct hm_mstat_attr, attr);
	struct hm_meter *m = to_hm_meter(dev);
	struct hm_txn_times tt;
	u64 v[3];
	s64 us;

	mutex_lock(&m->lock);
	v[0] = m->requests;
	v[1] = m->timeouts;
	v[2] = m->errors;
	tt = m->times;
	mutex_unlock(&m->lock);
	switch (sa->idx) {
	case HM_MS_REQUESTS:
	case HM_MS_TIMEOUTS:
	case HM_MS_ERRORS:
		return sysfs_emit(buf, "%llu\n", v[sa->idx]);
	case HM_MS_TX_US:
		us = hm_us(tt.queued, tt.sent);
		break;
	case HM_MS_LATENCY_US:
		us = hm_us(tt.sent, tt.first_rx);
		break;
	case HM_MS_RX_US:
		us = hm_us(tt.first_rx, tt.frame);
		break;
	default:
		us = hm_us(tt.queued, tt.done);
		break;
	}
	if (us < 0)
		return -ENODATA;
	return sysfs_emit(buf, "%lld\n", us);
}

#define HM_MSTAT_ATTR(_name, _idx)					\
	static struct hm_mstat_attr hm_mstat_##_name = {		\
		.attr = __ATTR(_name, 0444, hm_mstat_show, NULL),	\
		.idx = (_idx),						\
	}

HM_MSTAT_ATTR(requests, HM_MS_REQUESTS);
HM_MSTAT_ATTR(timeouts, HM_MS_TIMEOUTS);
HM_MSTAT_ATTR(errors, HM_MS_ERRORS);
HM_MSTAT_ATTR(last_tx_us, HM_MS_TX_US);
HM_MSTAT_ATTR(last_latency_us, HM_MS_LATENCY_US);
HM_MSTAT_ATTR(last_rx_us, HM_MS_RX_US);
HM_MSTAT_ATTR(last_total_us, HM_MS_TOTAL_US);

static struct attribute *hm_meter_stats_attrs[] = {
	&hm_mstat_requests.attr.attr,
	&hm_mstat_timeouts.attr.attr,
	&hm_mstat_errors.attr.attr,
	&hm_mstat_last_tx_us.attr.attr,
	&hm_mstat_last_latency_us.attr.attr,
	&hm_mstat_last_rx_us.attr.attr,
	&hm_mstat_last_total_us.attr.attr,
	NULL
};

static const struct attribute_group hm_meter_stats_group = {
	.name = "stats",
	.attrs = hm_meter_stats_attrs,
};

static const struct attribute_group *hm_meter_groups[] = {
	&hm_meter_group,
	&hm_meter_stats_group,
	NULL
};

static int hm_meter_uevent(hm_uevent_dev_t *dev, struct kobj_uevent_env *env)
{
	struct hm_meter *m = container_of(dev, struct hm_meter, dev);
	char id[32], man[8];
	int ret;

	hm_ident_field(m, HM_ID_ID, id, sizeof(id));
	hm_ident_field(m, HM_ID_MAN, man, sizeof(man));
	ret = add_uevent_var(env, "HEATMETER_PROTOCOL=%s",
			     m->protocol == HM_PROTO_MBUS ? "mbus" : "cjt188");
	if (!ret)
		ret = add_uevent_var(env, "HEATMETER_ADDRESS=%s", m->address);
	if (!ret && id[0])
		ret = add_uevent_var(env, "HEATMETER_ID=%s", id);
	if (!ret && man[0])
		ret = add_uevent_var(env, "HEATMETER_MANUFACTURER=%s", man);
	return ret;
}

struct class hm_meter_class = {
	.name = "heatmeter",
	.dev_groups = hm_meter_groups,
	.dev_uevent = hm_meter_uevent,
};

static void hm_meter_release(struct device *dev)
{
	struct hm_meter *m = to_hm_meter(dev);

	ida_free(&hm_meter_ida, m->id);
	put_device(&m->bus->dev);
	kmem_cache_free(hm_meter_cache, m);
}

/**
 * hm_meter_create() - add a meter to a bus
 * @bus: the bus
 * @protocol: enum hm_protocol
 * @addr_wire: CJ/T 188 address (wire order)
 * @primary: M-Bus primary address
 * @profile: profile, or NULL for auto (CJ/T 188) / generic (M-Bus)
 * @ident: identity already known (from a scan), or NULL
 *
 * Return: the meter, or ERR_PTR(-EEXIST / -ENODEV / -ENOMEM).
 */
struct hm_meter *hm_meter_create(struct hm_bus *bus, u8 protocol,
				 const u8 *addr_wire, u8 primary,
				 const struct hm_profile *profile,
				 const struct hm_identity *ident)
{
	struct hm_meter *m;
	int ret;

	m = kmem_cache_zalloc(hm_meter_cache, GFP_KERNEL);
	if (!m)
		return ERR_PTR(-ENOMEM);
	ret = ida_alloc(&hm_meter_ida, GFP_KERNEL);
	if (ret < 0) {
		kmem_cache_free(hm_meter_cache, m);
		return ERR_PTR(ret);
	}
	m->id = ret;
	m->bus = bus;
	get_device(&bus->dev);
	INIT_LIST_HEAD(&m->node);
	m->protocol = protocol;
	if (addr_wire)
		memcpy(m->addr_wire, addr_wire, 7);
	m->primary = primary;
	hm_addr_text(protocol, protocol == HM_PROTO_MBUS &&
		     primary == HM_MBUS_ADDR_SECONDARY ? addr_wire :
		     m->addr_wire, primary, m->address);
	m->profile = profile;
	mutex_init(&m->lock);
	init_waitqueue_head(&m->wait);
	spin_lock_init(&m->id_lock);
	hm_identity_init(&m->ident);
	m->ident.protocol = protocol;
	if (ident)
		hm_ident_merge(&m->ident, ident);
	m->need_reset = protocol == HM_PROTO_MBUS;
	m->max_age_ms = HM_MAX_AGE_DEFAULT;
	m->lat_min_ms = U32_MAX;
	if (protocol == HM_PROTO_MBUS && primary == HM_MBUS_ADDR_SECONDARY)
		memcpy(m->sec, addr_wire, 8);

	device_initialize(&m->dev);
	m->dev.class = &hm_meter_class;
	m->dev.parent = &bus->dev;
	m->dev.release = hm_meter_release;
	hm_cdev_setup(m);			/* /dev/heatmeterN */
	/* no power management, and "power" is the thermal power attribute */
	device_set_pm_not_required(&m->dev);
	ret = dev_set_name(&m->dev, "heatmeter%d", m->id);
	if (ret)
		goto put;

	mutex_lock(&bus->meters_lock);
	if (bus->dead)
		ret = -ENODEV;
	else if (hm_meter_find(bus, protocol, primary == HM_MBUS_ADDR_SECONDARY ?
				   m->sec : m->addr_wire, primary))
		ret = -EEXIST;
	else
		ret = hm_cdev_add(m);
	if (!ret) {
		list_add_tail(&m->node, &bus->meters);
		/* under meters_lock: a delete_meter cannot come before it */
		hm_hwmon_add(m);
	}
	mutex_unlock(&bus->meters_lock);
	if (ret)
		goto put;
	return m;
put:
	put_device(&m->dev);
	return ERR_PTR(ret);
}

/**
 * hm_meter_remove() - unregister a meter (already off the bus's list)
 * @m: meter
 *
 * Nothing of the meter stays queued: sleeping sysfs readers return
 * -ENODEV, every transaction it or its open files queued is taken back
 * (-ENODEV; one already on the wire ends within its response timeout),
 * then the char device is disconnected and removed.
 */
void hm_meter_remove(struct hm_meter *m)
{
	struct hm_txn *t;

	mutex_lock(&m->lock);
	m->dead = true;
	t = m->inflight;
	m->inflight = NULL;
	mutex_unlock(&m->lock);
	wake_up_all(&m->wait);
	hm_engine_cancel_owner(&m->bus->engine, m, -ENODEV);
	hm_txn_put(t);
	hm_hwmon_del(m);
	hm_cdev_disconnect(m);
	hm_cdev_del(m);
	put_device(&m->dev);
}

int hm_meter_class_init(void)
{
	int ret;

	hm_meter_cache = KMEM_CACHE(hm_meter, 0);
	if (!hm_meter_cache)
		return -ENOMEM;
	ret = class_register(&hm_meter_class);
	if (ret)
		kmem_cache_destroy(hm_meter_cache);
	return ret;
}

void hm_meter_class_exit(void)
{
	class_unregister(&hm_meter_class);
	ida_destroy(&hm_meter_ida);
	kmem_cache_destroy(hm_meter_cache);
}
