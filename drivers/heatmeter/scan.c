// SPDX-License-Identifier: GPL-2.0
/*
 * heatmeter: discovery of the meters on a bus.
 *
 * Writing to a bus's "scan" attribute starts an asynchronous scan:
 *
 *   cjt188               read-address (C=03, DI 810A) to AA x 7: on a
 *                        point-to-point line the one meter answers with
 *                        its real address
 *   cjt188 ADDR          the same to one address
 *   mbus-primary [A[-B]] per primary address (default 0-250): SND_NKE,
 *                        and after an E5 a REQ_UD2 for the identity: only
 *                        an RSP_UD with that A makes a meter (a late E5 of
 *                        an earlier address is no meter); such an E5 makes
 *                        the addresses before it probed again with a wide
 *                        window, so a late meter is still found
 *   mbus-secondary [MASK] secondary search (below)
 *   stop                 stop the running scan after its current probe
 *
 * Secondary search: a selection (SND_UD CI 52 to FD) with wildcards is
 * answered by every meter it matches. Each probe listens to the end of
 * the response window: silence prunes the mask; a clean E5 alone is one
 * meter or several whose E5s coincided bit for bit, so a REQ_UD2 to FD
 * tells (a good RSP_UD is one meter: it becomes a device with its full
 * secondary address); anything else (bytes after the E5, a parity,
 * framing or break flag, a bad frame) is a collision, and the mask is
 * split on its least significant wildcard digit first, 0-9 (IDs are BCD),
 * which is cheapest for the consecutive serial numbers of a delivery and
 * costs the same as any order for random IDs. Meters with the same ID are
 * split by manufacturer, version and medium, each a whole byte (a nibble
 * of those is no wildcard), trying the values seen on the line and the
 * usual ones. The all-wildcard mask goes first: one probe for an empty
 * line or a single meter.
 *
 * Every answering meter becomes a device (unless it is known already). A
 * garbled reply (a bad frame or garbage in the reply window, e.g. several
 * meters answering at once) is a collision: counted, never a meter.
 * scan_status shows the progress; a KOBJ_CHANGE uevent on the bus tells
 * when the scan is done.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "heatmeter.h"
#include "cjt188.h"
#include "hm_err.h"
#include "mbus.h"

/*
 * Submit a probe and wait for it; returns its result. A try spoilt by one
 * stray byte (a line glitch: converters emit FC, FE, 00 ...) is counted
 * as such by the engine and made again, once: it is neither a meter nor
 * a collision.
 */
static int hm_scan_run(struct hm_bus *bus, struct hm_txn *t)
{
	int ret, again = 1;

	t->flags |= HM_TXN_PROBE;
	do {
		ret = hm_engine_submit(&bus->engine, t);
		if (ret)
			return ret;
		/*
		 * Not a sleep the hung-task detector should watch: the
		 * engine bounds it (timeouts, or -ENODEV when the line
		 * goes). Pairs with the release in hm_txn_finish().
		 */
		wait_event_idle(t->wait, smp_load_acquire(&t->done));
	} while (t->result == -EIO && t->glitch && again--);
	return t->result == -EIO && t->glitch ? -ETIMEDOUT : t->result;
}

static void hm_scan_count(struct hm_bus *bus, bool found, bool collision)
{
	spin_lock(&bus->lock);
	bus->scan.done++;
	if (found)
		bus->scan.found++;
	if (collision)
		bus->scan.collisions++;
	spin_unlock(&bus->lock);
}

/* a meter answered: add it unless it is known */
static int hm_scan_add(struct hm_bus *bus, u8 protocol, const u8 *wire,
		       u8 primary, const struct hm_identity *id)
{
	struct hm_meter *m;

	m = hm_meter_create(bus, protocol, wire, primary, NULL, id);
	if (IS_ERR(m) && PTR_ERR(m) != -EEXIST)
		return PTR_ERR(m);
	return 0;
}

static int hm_scan_cjt188(struct hm_bus *bus, const struct hm_scan *sc)
{
	const struct hm_profile *prof = hm_profile_default();
	struct hm_identity id;
	struct hm_txn *t;
	u8 wire[7];
	int ret, len;

	t = hm_txn_alloc(GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	len = hm_cjt188_build_cmd(t->req, sizeof(t->req), prof,
				  &prof->read_address,
				  sc->has_addr ? sc->addr : NULL);
	if (len < 0) {
		hm_txn_put(t);
		return -EINVAL;
	}
	t->req_len = len;
	t->expect = HM_EXPECT_CJT188;
	if (sc->has_addr) {
		memcpy(t->match, sc->addr, 7);
		t->match_len = 7;
	}
	ret = hm_scan_run(bus, t);
	if (!ret)
		ret = hm_errno(hm_cjt188_decode(t->reply, t->reply_len, NULL,
						&id, NULL));
	if (!ret)
		ret = hm_cjt188_addr_parse(id.address, wire);
	if (!ret)
		ret = hm_scan_add(bus, HM_PROTO_CJT188, wire, 0, &id);
	hm_scan_count(bus, !ret, ret == -EIO);
	hm_txn_put(t);
	return ret == -ENODEV || ret == -ENOMEM ? ret : 0;
}

/* 1 if the scan was asked to stop */
static bool hm_scan_stopping(struct hm_bus *bus)
{
	return READ_ONCE(bus->scan.stop) || READ_ONCE(bus->dead);
}

/* an E5 at @a the RSP_UD did not confirm: a late meter before it? */
#define HM_SCAN_ACK_ONLY	1

static int hm_scan_mbus_one(struct hm_bus *bus, u8 a, u32 window_ms)
{
	struct hm_identity id;
	struct hm_txn *t;
	int ret, len;

	/* SND_NKE: is anyone there? */
	t = hm_txn_alloc(GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	len = hm_mbus_build_snd_nke(t->req, sizeof(t->req), a);
	t->req_len = len;
	t->expect = HM_EXPECT_MBUS_ACK;
	t->tries = 1;
	t->timeout_ms = window_ms;
	ret = len < 0 ? -EINVAL : hm_scan_run(bus, t);
	hm_txn_put(t);
	if (ret == -ETIMEDOUT) {
		hm_scan_count(bus, false, false);
		return 0;
	}
	if (ret) {
		hm_scan_count(bus, false, ret == -EIO);
		return ret == -EIO ? 0 : ret;
	}

	/* E5: who is it? */
	t = hm_txn_alloc(GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	len = hm_mbus_build_req_ud2(t->req, sizeof(t->req), a, true);
	t->req_len = len;
	t->expect = HM_EXPECT_MBUS_RSP;
	t->match[0] = a;
	t->match_len = 1;
	t->timeout_ms = window_ms;
	ret = len < 0 ? -EINVAL : hm_scan_run(bus, t);
	hm_identity_init(&id);
	if (!ret)
		ret = hm_errno(hm_mbus_parse_header(t->reply, t->reply_len, &id,
						    NULL));
	hm_txn_put(t);
	if (ret == -EIO) {
		hm_scan_count(bus, false, true);
		return 0;
	}
	if (ret == -ENODEV || ret == -ENOMEM)
		return ret;
	if (ret) {
		/* an E5 nobody at @a confirms: no meter here */
		hm_scan_count(bus, false, false);
		return HM_SCAN_ACK_ONLY;
	}
	ret = hm_scan_add(bus, HM_PROTO_MBUS, NULL, a, &id);
	hm_scan_count(bus, !ret, false);
	return ret == -ENODEV || ret == -ENOMEM ? ret : 0;
}

/* addresses probed again, with a wide window, before an unconfirmed E5 */
#define HM_SCAN_LATE_BACK	10
#define HM_SCAN_LATE_MS		2000

static int hm_scan_mbus_primary(struct hm_bus *bus, const struct hm_scan *sc)
{
	DECLARE_BITMAP(again, 251);
	unsigned int a, b;
	int ret = 0;

	bitmap_zero(again, 251);
	for (a = sc->from; a <= sc->to && !ret; a++) {
		if (hm_scan_stopping(bus))
			return -ECANCELED;
		ret = hm_scan_mbus_one(bus, a, 0);
		if (ret == HM_SCAN_ACK_ONLY) {
			for (b = a > HM_SCAN_LATE_BACK ? a - HM_SCAN_LATE_BACK : 0;
			     b < a; b++)
				if (b >= sc->from)
					set_bit(b, again);
			ret = 0;
		}
	}
	/* a meter answering after the window: its E5 fell into a later one */
	for_each_set_bit(a, again, 251) {
		if (ret || hm_scan_stopping(bus))
			break;
		mutex_lock(&bus->meters_lock);
		b = !!hm_meter_find(bus, HM_PROTO_MBUS, NULL, a);
		mutex_unlock(&bus->meters_lock);
		if (b)
			continue;
		spin_lock(&bus->lock);
		bus->scan.total++;
		spin_unlock(&bus->lock);
		ret = hm_scan_mbus_one(bus, a, HM_SCAN_LATE_MS);
		if (ret == HM_SCAN_ACK_ONLY)
			ret = 0;
	}
	return ret;
}

/* ---- secondary search ---- */

enum { HM_SEC_NONE, HM_SEC_ONE, HM_SEC_COLLISION };

/* manufacturers of heat meters tried first when IDs coincide */
static const char * const hm_sec_man_codes[] = {
	"KAM", "SON", "ZRI", "ITW", "EFE", "LUG", "SEN", "HYD", "DME", "ELS",
	"SPX", "APA", "GWF", "QDS", "ENG", "EMH", "TCH", "ABB", "SLB", "WZG",
	"NZR", "BMT", "REL", "LSE", "HMU", "SDC", "AMT", "ACW", "KRO", "BHG",
};

static const u8 hm_sec_media[] = {
	0x04, 0x0c, 0x0a, 0x0b, 0x0d, 0x03, 0x07, 0x06, 0x02, 0x16, 0x00,
};

#define HM_SEC_STACK	1024
#define HM_SEC_SEEN	64

/**
 * struct hm_sec_ent - a mask to probe, or a check after a split
 * @mask: the selection mask
 * @check: no probe: the manufacturer candidates of @mask are done; if they
 *         found fewer than the two meters the collision proved, split the
 *         manufacturer byte by byte over every valid code
 * @found: scan.found when the candidates were queued (@check)
 */
struct hm_sec_ent {
	u8 mask[8];
	bool check;
	u32 found;
};

/**
 * struct hm_sec - state of one secondary search
 * @stack: masks still to probe
 * @n: masks on @stack
 * @seen: MAN, VER, MED values heard on the line (candidates for a split)
 * @nseen: entries in @seen
 */
struct hm_sec {
	struct hm_sec_ent stack[HM_SEC_STACK];
	unsigned int n;
	u8 seen[HM_SEC_SEEN][4];
	unsigned int nseen;
};

static void hm_sec_push(struct hm_bus *bus, struct hm_sec *st, const u8 *mask)
{
	if (st->n >= HM_SEC_STACK)
		return;		/* cannot happen: 8 x 10 + 256 + splits */
	memcpy(st->stack[st->n].mask, mask, 8);
	st->stack[st->n++].check = false;
	spin_lock(&bus->lock);
	bus->scan.total++;
	spin_unlock(&bus->lock);
}

static void hm_sec_push_check(struct hm_bus *bus, struct hm_sec *st,
			      const u8 *mask)
{
	if (st->n >= HM_SEC_STACK)
		return;
	memcpy(st->stack[st->n].mask, mask, 8);
	st->stack[st->n].check = true;
	spin_lock(&bus->lock);
	st->stack[st->n++].found = bus->scan.found;
	spin_unlock(&bus->lock);
}

/*
 * A manufacturer code is three letters A..Z, 5 bits each: its low byte
 * is (c2 & 7) << 5 | c3, its high byte c1 << 2 | c2 >> 3. Push a child per
 * valid value of the low byte (@high false: the high byte stays FF) or of
 * the high byte.
 */
static void hm_sec_split_man(struct hm_bus *bus, struct hm_sec *st,
			     const u8 *mask, bool high)
{
	unsigned int a, b;
	u8 child[8];

	memcpy(child, mask, 8);
	for (a = 0; a < (high ? 4 : 8); a++) {
		for (b = 1; b <= 26; b++) {
			if (high)
				child[5] = b << 2 | a;
			else
				child[4] = a << 5 | b;
			hm_sec_push(bus, st, child);
		}
	}
}

static void hm_sec_seen(struct hm_sec *st, const u8 *sec)
{
	unsigned int i;

	for (i = 0; i < st->nseen; i++)
		if (!memcmp(st->seen[i], sec + 4, 4))
			return;
	if (st->nseen < HM_SEC_SEEN)
		memcpy(st->seen[st->nseen++], sec + 4, 4);
}

/*
 * The selection telegram; 0, or -errno (-EIO: a collision). @listen: hear
 * the window out (a probe: bytes after the E5 are a collision), else the
 * E5 ends it.
 */
static int hm_sec_select(struct hm_bus *bus, const u8 *mask, bool listen)
{
	struct hm_txn *t;
	int ret, len;

	t = hm_txn_alloc(GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	len = hm_mbus_select_frame(t->req, sizeof(t->req), mask);
	t->req_len = len < 0 ? 0 : len;
	t->expect = HM_EXPECT_MBUS_ACK;
	t->flags = listen ? HM_TXN_LISTEN : 0;
	/* silence is an answer: no retry of an empty mask */
	t->tries = 1;
	ret = len < 0 ? -EINVAL : hm_scan_run(bus, t);
	hm_txn_put(t);
	spin_lock(&bus->lock);
	bus->scan.selects++;
	spin_unlock(&bus->lock);
	return ret;
}

/* probe @mask: none, one meter (its address in @sec, identity in @id), or
 * a collision; or -errno
 */
static int hm_sec_probe(struct hm_bus *bus, const u8 *mask, u8 *sec,
			struct hm_identity *id)
{
	struct hm_txn *t;
	int ret, len;

	ret = hm_sec_select(bus, mask, true);
	if (ret == -ETIMEDOUT)
		return HM_SEC_NONE;
	if (ret == -EIO)
		return HM_SEC_COLLISION;
	if (ret)
		return ret;

	/* one clean E5: one meter, or several in perfect step */
	t = hm_txn_alloc(GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	len = hm_mbus_build_req_ud2(t->req, sizeof(t->req),
				    HM_MBUS_ADDR_SECONDARY, true);
	t->req_len = len < 0 ? 0 : len;
	t->expect = HM_EXPECT_MBUS_RSP;
	t->flags = HM_TXN_LISTEN;
	memcpy(t->match, mask, 8);
	t->match_len = 8;
	/* a garbled reply is the answer (several meters): no retry */
	t->tries = 1;
	ret = len < 0 ? -EINVAL : hm_scan_run(bus, t);
	hm_identity_init(id);
	if (!ret)
		ret = hm_errno(hm_mbus_parse_header(t->reply, t->reply_len, id,
						    NULL));
	if (!ret)
		memcpy(sec, t->reply + 7, 8);
	hm_txn_put(t);
	/*
	 * Meters answering in step give the wired AND of their replies: if
	 * no parity error shows and the checksum holds, that is a valid
	 * frame of an address nobody has. A meter found under wildcards is
	 * selected once more by its whole address (its E5 is enough: meters
	 * of one whole address cannot be told apart); silence there makes
	 * it such a collision.
	 */
	if (!ret && memcmp(sec, mask, 8)) {
		ret = hm_sec_select(bus, sec, false);
		if (ret == -ETIMEDOUT)
			ret = -EIO;
	}
	if (!ret)
		return HM_SEC_ONE;
	if (ret == -EIO)
		return HM_SEC_COLLISION;
	if (ret == -ETIMEDOUT)
		return HM_SEC_NONE;	/* an E5 without a meter: a glitch */
	return ret;
}

/* split a collided mask into its children */
static void hm_sec_split(struct hm_bus *bus, struct hm_sec *st, const u8 *mask)
{
	u8 child[8];
	unsigned int i, p;
	u16 man;

	/* the least significant wildcard digit of the ID */
	for (p = 0; p < 8; p++) {
		u8 nib = p & 1 ? mask[p / 2] >> 4 : mask[p / 2] & 0x0f;

		if (nib != 0x0f)
			continue;
		for (i = 10; i-- > 0;) {
			memcpy(child, mask, 8);
			if (p & 1)
				child[p / 2] = (child[p / 2] & 0x0f) | i << 4;
			else
				child[p / 2] = (child[p / 2] & 0xf0) | i;
			hm_sec_push(bus, st, child);
		}
		return;
	}
	/* the same ID: manufacturer, then version, then medium */
	memcpy(child, mask, 8);
	if (mask[4] != 0xff && mask[5] == 0xff) {
		hm_sec_split_man(bus, st, mask, true);
		return;
	}
	if (mask[4] == 0xff && mask[5] == 0xff) {
		/* after the candidates: were both meters among them? */
		hm_sec_push_check(bus, st, mask);
		for (i = 0; i < st->nseen; i++) {
			child[4] = st->seen[i][0];
			child[5] = st->seen[i][1];
			hm_sec_push(bus, st, child);
		}
		for (i = 0; i < ARRAY_SIZE(hm_sec_man_codes); i++) {
			const char *c = hm_sec_man_codes[i];
			unsigned int k;

			man = (c[0] - 64) << 10 | (c[1] - 64) << 5 | (c[2] - 64);
			for (k = 0; k < st->nseen; k++)
				if (st->seen[k][0] == (man & 0xff) &&
				    st->seen[k][1] == man >> 8)
					break;
			if (k < st->nseen)
				continue;
			child[4] = man & 0xff;
			child[5] = man >> 8;
			hm_sec_push(bus, st, child);
		}
		return;
	}
	if (mask[6] == 0xff) {
		for (i = 0; i < 256; i++) {
			child[6] = i;
			hm_sec_push(bus, st, child);
		}
		return;
	}
	if (mask[7] == 0xff) {
		for (i = 0; i < ARRAY_SIZE(hm_sec_media); i++) {
			child[7] = hm_sec_media[i];
			hm_sec_push(bus, st, child);
		}
	}
	/* fully specified and still several: nothing more to split */
}

static int hm_scan_mbus_secondary(struct hm_bus *bus, const struct hm_scan *sc)
{
	struct hm_identity id;
	struct hm_sec_ent *ent;
	struct hm_sec *st;
	u8 mask[8], sec[8];
	int ret = 0, r;

	st = kvzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	hm_sec_push(bus, st, sc->mask);
	while (st->n && !ret) {
		if (hm_scan_stopping(bus)) {
			ret = -ECANCELED;
			break;
		}
		ent = &st->stack[--st->n];
		memcpy(mask, ent->mask, 8);
		if (ent->check) {
			spin_lock(&bus->lock);
			r = bus->scan.found - ent->found;
			spin_unlock(&bus->lock);
			/* a maker outside the candidates: every code */
			if (r < 2)
				hm_sec_split_man(bus, st, mask, false);
			continue;
		}
		r = hm_sec_probe(bus, mask, sec, &id);
		if (r < 0) {
			ret = r == -ENODEV || r == -ENOMEM ? r : 0;
			hm_scan_count(bus, false, false);
			continue;
		}
		if (r == HM_SEC_COLLISION) {
			hm_scan_count(bus, false, true);
			hm_sec_split(bus, st, mask);
			continue;
		}
		if (r == HM_SEC_ONE) {
			hm_sec_seen(st, sec);
			r = hm_scan_add(bus, HM_PROTO_MBUS, sec,
					HM_MBUS_ADDR_SECONDARY, &id);
			hm_scan_count(bus, !r, false);
			if (r == -ENODEV || r == -ENOMEM)
				ret = r;
			continue;
		}
		hm_scan_count(bus, false, false);
	}
	kvfree(st);
	return ret;
}

static void hm_scan_work(struct work_struct *work)
{
	struct hm_bus *bus = container_of(work, struct hm_bus, scan_work);
	char *env[2];
	struct hm_scan sc;
	int ret;

	spin_lock(&bus->lock);
	sc = bus->scan;
	spin_unlock(&bus->lock);

	if (sc.protocol == HM_PROTO_CJT188)
		ret = hm_scan_cjt188(bus, &sc);
	else if (sc.secondary)
		ret = hm_scan_mbus_secondary(bus, &sc);
	else
		ret = hm_scan_mbus_primary(bus, &sc);

	spin_lock(&bus->lock);
	bus->scan.state = HM_SCAN_DONE;
	bus->scan.err = ret;
	bus->scan.ms = ktime_ms_delta(ktime_get(), bus->scan.started);
	spin_unlock(&bus->lock);
	env[0] = (char *)"HEATMETER_SCAN=done";
	env[1] = NULL;
	if (!READ_ONCE(bus->dead))
		kobject_uevent_env(&bus->dev.kobj, KOBJ_CHANGE, env);
}

void hm_scan_init(struct hm_bus *bus)
{
	INIT_WORK(&bus->scan_work, hm_scan_work);
}

/**
 * hm_scan_start() - parse a scan request and start it
 * @bus: the bus
 * @buf: "cjt188 [ADDR]", "mbus-primary [A[-B]]", "mbus-secondary [MASK]"
 *       or "stop"
 *
 * Return: 0, -EINVAL, -EBUSY (a scan is running), -ENODEV, or -EALREADY
 * (stop: no scan is running).
 */
int hm_scan_start(struct hm_bus *bus, const char *buf)
{
	struct hm_scan sc = { .state = HM_SCAN_RUNNING };
	char kind[16], arg[24];
	unsigned int a, b;
	int n, ret = 0;

	n = sscanf(buf, "%15s %23s", kind, arg);
	if (n < 1)
		return -EINVAL;
	if (!strcmp(kind, "stop")) {
		spin_lock(&bus->lock);
		if (bus->scan.state == HM_SCAN_RUNNING)
			bus->scan.stop = true;
		else
			ret = -EALREADY;
		spin_unlock(&bus->lock);
		return ret;
	}
	sc.started = ktime_get();
	if (!strcmp(kind, "mbus-secondary")) {
		sc.protocol = HM_PROTO_MBUS;
		sc.secondary = true;
		memset(sc.mask, 0xff, 8);
		if (n == 2 && hm_mbus_sec_parse(arg, sc.mask))
			return -EINVAL;
	} else if (!strcmp(kind, "cjt188")) {
		sc.protocol = HM_PROTO_CJT188;
		sc.total = 1;
		if (n == 2) {
			if (hm_cjt188_addr_parse(arg, sc.addr))
				return -EINVAL;
			sc.has_addr = true;
		}
	} else if (!strcmp(kind, "mbus-primary")) {
		sc.protocol = HM_PROTO_MBUS;
		a = 0;
		b = 250;
		if (n == 2) {
			n = sscanf(arg, "%u-%u", &a, &b);
			if (n == 1)
				b = a;
			else if (n != 2)
				return -EINVAL;
		}
		if (a > b || b > 250)
			return -EINVAL;
		sc.from = a;
		sc.to = b;
		sc.total = b - a + 1;
	} else {
		return -EINVAL;
	}

	mutex_lock(&bus->meters_lock);
	spin_lock(&bus->lock);
	if (bus->dead)
		ret = -ENODEV;
	else if (bus->scan.state == HM_SCAN_RUNNING)
		ret = -EBUSY;
	else
		bus->scan = sc;
	spin_unlock(&bus->lock);
	if (!ret)
		queue_work(hm_scan_wq, &bus->scan_work);
	mutex_unlock(&bus->meters_lock);
	return ret;
}

/**
 * hm_scan_status() - "idle", "running N/M" or "done: found K, collisions C"
 * @bus: the bus
 * @buf: sysfs buffer
 *
 * Return: bytes written.
 */
ssize_t hm_scan_status(struct hm_bus *bus, char *buf)
{
	struct hm_scan sc;

	spin_lock(&bus->lock);
	sc = bus->scan;
	spin_unlock(&bus->lock);
	switch (sc.state) {
	case HM_SCAN_RUNNING:
		return sysfs_emit(buf, "running %u/%u\n", sc.done, sc.total);
	case HM_SCAN_DONE:
		if (sc.err == -ECANCELED)
			return sysfs_emit(buf, "stopped: found %u, collisions %u, %s %u, ms %u\n",
					  sc.found, sc.collisions, "selects",
					  sc.selects, sc.ms);
		if (sc.err)
			return sysfs_emit(buf, "failed: %d\n", sc.err);
		if (sc.secondary)
			return sysfs_emit(buf, "done: found %u, collisions %u, %s %u, ms %u\n",
					  sc.found, sc.collisions, "selects",
					  sc.selects, sc.ms);
		return sysfs_emit(buf, "done: found %u, collisions %u\n",
				  sc.found, sc.collisions);
	default:
		return sysfs_emit(buf, "idle\n");
	}
}
