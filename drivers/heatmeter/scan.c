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
 *                        and after an E5 a REQ_UD2 for the identity
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

/* submit a probe and wait for it; returns its result */
static int hm_scan_run(struct hm_bus *bus, struct hm_txn *t)
{
	int ret;

	t->flags |= HM_TXN_PROBE;
	ret = hm_engine_submit(&bus->engine, t);
	if (ret)
		return ret;
	/*
	 * Not a sleep the hung-task detector should watch: the engine
	 * bounds it (timeouts, or -ENODEV when the line goes). Pairs with
	 * the release in hm_txn_finish().
	 */
	wait_event_idle(t->wait, smp_load_acquire(&t->done));
	return t->result;
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

static int hm_scan_mbus_one(struct hm_bus *bus, u8 a)
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
	/* it acknowledged: a meter, with or without its identity */
	ret = hm_scan_add(bus, HM_PROTO_MBUS, NULL, a, ret ? NULL : &id);
	hm_scan_count(bus, !ret, false);
	return ret == -ENODEV || ret == -ENOMEM ? ret : 0;
}

static void hm_scan_work(struct work_struct *work)
{
	struct hm_bus *bus = container_of(work, struct hm_bus, scan_work);
	char *env[2];
	struct hm_scan sc;
	unsigned int a;
	int ret = 0;

	spin_lock(&bus->lock);
	sc = bus->scan;
	spin_unlock(&bus->lock);

	if (sc.protocol == HM_PROTO_CJT188) {
		ret = hm_scan_cjt188(bus, &sc);
	} else {
		for (a = sc.from; a <= sc.to && !ret; a++)
			ret = hm_scan_mbus_one(bus, a);
	}

	spin_lock(&bus->lock);
	bus->scan.state = HM_SCAN_DONE;
	bus->scan.err = ret;
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
 * @buf: "cjt188 [ADDR]" or "mbus-primary [A[-B]]"
 *
 * Return: 0, -EINVAL, -EBUSY (a scan is running) or -ENODEV.
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
	if (!strcmp(kind, "cjt188")) {
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
		if (sc.err)
			return sysfs_emit(buf, "failed: %d\n", sc.err);
		return sysfs_emit(buf, "done: found %u, collisions %u\n",
				  sc.found, sc.collisions);
	default:
		return sysfs_emit(buf, "idle\n");
	}
}
