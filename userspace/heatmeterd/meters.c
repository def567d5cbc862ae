// SPDX-License-Identifier: GPL-2.0
/*
 * Meter side: libudev enumerate + monitor find the meters (class
 * "heatmeter", /dev/heatmeterN); each char device is opened O_NONBLOCK and
 * polled with the others, so one slow or silent meter never holds up the
 * rest. A reading updates the meter's state and its heating system's
 * registers at once (between two Modbus requests: no torn floats).
 *
 * [meters] source = a directory: its heatmeterN entries are used without
 * udev, rescanned every second: character devices (e.g. source = /dev on
 * a system without udevd) or, for tests, FIFOs standing in for them
 * (opened O_RDWR so they never report EOF; an optional heatmeterN.info
 * holds "protocol address [id]"). Everything after the open is the same.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libudev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include "hmd.h"

static int dir_mode(struct hmd *h)
{
	return h->cfg.source[0] == '/' || h->cfg.source[0] == '.';
}

static struct meter *find(struct hmd *h, const char *name)
{
	for (int i = 0; i < h->nmeters; i++)
		if (!strcmp(h->meters[i]->name, name))
			return h->meters[i];
	return NULL;
}

static const char *proto_name(int p)
{
	return p == HEATMETER_PROTO_CJT188 ? "cjt188" : p == HEATMETER_PROTO_MBUS ? "mbus" : "";
}

/* [systems] n = heatmeterN | <protocol>-<address> | <address> | <M-Bus id> */
static int assign_system(struct hmd *h, struct meter *m)
{
	char pa[64];
	int any = 0;

	snprintf(pa, sizeof(pa), "%s-%s", proto_name(m->st.proto), m->st.address);
	for (int n = 1; n <= h->cfg.systems; n++) {
		const char *v = h->cfg.system_meter[n];

		if (!*v)
			continue;
		any = 1;
		if (!strcmp(v, m->name) || !strcmp(v, pa) ||
		    (*m->st.address && !strcmp(v, m->st.address)) ||
		    (*m->st.id && !strcmp(v, m->st.id)))
			return n;
	}
	/* no [systems] entries: heatmeterN serves system N+1 */
	if (!any && m->st.index + 1 <= h->cfg.systems)
		return m->st.index + 1;
	return 0;
}

static void read_info_file(struct meter *m)
{
	char p[640], proto[16] = "", addr[24] = "", id[24] = "";
	FILE *f;

	snprintf(p, sizeof(p), "%s.info", m->path);
	f = fopen(p, "r");
	if (!f)
		return;
	if (fscanf(f, "%15s %23s %23s", proto, addr, id) >= 2) {
		m->st.proto = !strcmp(proto, "mbus") ? HEATMETER_PROTO_MBUS : HEATMETER_PROTO_CJT188;
		strcpy(m->st.address, addr);
		strcpy(m->st.id, id);
	}
	fclose(f);
}

static void meter_open(struct hmd *h, const char *name, const char *path,
		       struct udev_device *dev)
{
	struct meter *m = find(h, name);
	struct heatmeter_info inf = { .size = sizeof(inf) };
	struct stat sb;
	int fd, fifo;

	if (m && m->fd >= 0)
		return;
	fifo = !stat(path, &sb) && S_ISFIFO(sb.st_mode);
	fd = open(path, (fifo ? O_RDWR : O_RDONLY) | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		warn("%s: open %s: %s", name, path, strerror(errno));
		return;
	}
	if (!m) {
		if (h->nmeters == HMD_MAX_METERS) {
			warn("%s: more than %d meters, ignored", name, HMD_MAX_METERS);
			close(fd);
			return;
		}
		m = calloc(1, sizeof(*m));
		if (!m) {
			close(fd);
			return;
		}
		h->meters[h->nmeters++] = m;
		snprintf(m->name, sizeof(m->name), "%s", name);
		m->st.index = atoi(name + strlen("heatmeter"));
	}
	snprintf(m->path, sizeof(m->path), "%s", path);
	m->fd = fd;
	m->fill = 0;
	m->st.present = 1;
	if (fifo) {
		read_info_file(m);
	} else if (ioctl(fd, HEATMETER_IOC_GET_INFO, &inf) == 0) {
		m->st.proto = inf.protocol;
		snprintf(m->st.address, sizeof(m->st.address), "%.16s", inf.address);
		snprintf(m->st.id, sizeof(m->st.id), "%.23s", inf.id);
	} else if (dev) {
		const char *v = udev_device_get_property_value(dev, "HEATMETER_PROTOCOL");

		m->st.proto = v && !strcmp(v, "mbus") ? HEATMETER_PROTO_MBUS : HEATMETER_PROTO_CJT188;
		v = udev_device_get_property_value(dev, "HEATMETER_ADDRESS");
		snprintf(m->st.address, sizeof(m->st.address), "%s", v ? v : "");
		v = udev_device_get_property_value(dev, "HEATMETER_ID");
		snprintf(m->st.id, sizeof(m->st.id), "%s", v ? v : "");
	}
	m->system = assign_system(h, m);
	info("%s: %s %s%s%s -> system %d", name, proto_name(m->st.proto), m->st.address,
	     *m->st.id ? " id " : "", m->st.id, m->system);
	image_refresh(h, now_mono());
}

static void meter_gone(struct hmd *h, struct meter *m, const char *why)
{
	if (m->fd < 0)
		return;
	info("%s: gone (%s)", m->name, why);
	close(m->fd);
	m->fd = -1;
	m->st.present = 0;
	image_refresh(h, now_mono());
	pl_readings_changed(h);
}

static void scan_dir(struct hmd *h)
{
	DIR *d = opendir(h->cfg.source);
	struct dirent *e;
	char path[600];
	struct stat st;

	for (int i = 0; i < h->nmeters; i++) {
		struct meter *m = h->meters[i];

		if (m->fd >= 0 && (stat(m->path, &st) || !(S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))))
			meter_gone(h, m, "removed");
	}
	if (!d)
		return;
	while ((e = readdir(d))) {
		const char *n = e->d_name;

		if (strncmp(n, "heatmeter", 9) || !n[9] || strspn(n + 9, "0123456789") != strlen(n + 9))
			continue;
		snprintf(path, sizeof(path), "%s/%s", h->cfg.source, n);
		if (!stat(path, &st) && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)))
			meter_open(h, n, path, NULL);
	}
	closedir(d);
}

int meters_init(struct hmd *h)
{
	struct udev_enumerate *en;
	struct udev_list_entry *le;

	if (dir_mode(h)) {
		scan_dir(h);
		return 0;
	}
	h->udev = udev_new();
	if (!h->udev)
		return -1;
	/* the monitor first, so nothing added during the enumeration is missed */
	h->mon = udev_monitor_new_from_netlink(h->udev, "udev");
	if (h->mon) {
		udev_monitor_filter_add_match_subsystem_devtype(h->mon, "heatmeter", NULL);
		if (udev_monitor_enable_receiving(h->mon) < 0) {
			warn("udev monitor: cannot receive; meters added later are not seen");
			udev_monitor_unref(h->mon);
			h->mon = NULL;
		}
	}
	en = udev_enumerate_new(h->udev);
	udev_enumerate_add_match_subsystem(en, "heatmeter");
	udev_enumerate_scan_devices(en);
	udev_list_entry_foreach(le, udev_enumerate_get_list_entry(en)) {
		struct udev_device *dev = udev_device_new_from_syspath(h->udev,
								    udev_list_entry_get_name(le));
		const char *node = dev ? udev_device_get_devnode(dev) : NULL;

		if (node)
			meter_open(h, udev_device_get_sysname(dev), node, dev);
		if (dev)
			udev_device_unref(dev);
	}
	udev_enumerate_unref(en);
	return 0;
}

void meters_udev_event(struct hmd *h)
{
	struct udev_device *dev = udev_monitor_receive_device(h->mon);
	const char *act, *node, *name;
	struct meter *m;

	if (!dev)
		return;
	act = udev_device_get_action(dev);
	node = udev_device_get_devnode(dev);
	name = udev_device_get_sysname(dev);
	if (act && name) {
		m = find(h, name);
		if (!strcmp(act, "remove")) {
			if (m)
				meter_gone(h, m, "udev remove");
		} else if (node && (!m || m->fd < 0)) {
			meter_open(h, name, node, dev);
		} else if (m && !strcmp(act, "change")) {
			/* identity learned at the first read: re-read it */
			struct heatmeter_info inf = { .size = sizeof(inf) };

			if (ioctl(m->fd, HEATMETER_IOC_GET_INFO, &inf) == 0)
				snprintf(m->st.id, sizeof(m->st.id), "%.23s", inf.id);
			m->system = assign_system(h, m);
		}
	}
	udev_device_unref(dev);
}

void meters_poll_add(struct hmd *h)
{
	if (h->mon)
		poll_add(h, udev_monitor_get_fd(h->mon), POLLIN, S_UDEV, NULL);
	for (int i = 0; i < h->nmeters; i++)
		if (h->meters[i]->fd >= 0)
			poll_add(h, h->meters[i]->fd, POLLIN, S_METER, h->meters[i]);
}

static void consume(struct meter *m, const struct heatmeter_reading *r,
		    int64_t now)
{
	if (r->size != sizeof(*r)) {
		warn("%s: record size %u, expected %zu", m->name, r->size, sizeof(*r));
		return;
	}
	if (r->flags & HEATMETER_RD_DROPPED) {
		m->st.dropped += r->dropped;
		warn("%s: %u readings dropped by the kernel (daemon too slow)", m->name, r->dropped);
		return;
	}
	m->st.readings++;
	if (r->error) {
		m->st.errors++;
		m->st.last_error = -r->error;
		dbg("%s: reading seq %llu failed: %s", m->name, (unsigned long long)r->seq,
		    strerror(-r->error));
		return;
	}
	m->st.last = *r;
	m->st.have = 1;
	m->st.last_ok_ns = now;
	m->st.last_error = 0;
	dbg("%s: reading seq %llu", m->name, (unsigned long long)r->seq);
}

void meters_event(struct hmd *h, struct meter *m, short revents)
{
	int64_t now = now_mono();
	int n = 0;

	if (revents & POLLIN) {
		/* a bounded batch per wakeup: a chatty meter cannot starve others */
		for (int k = 0; k < 16; k++) {
			ssize_t r = read(m->fd, m->buf + m->fill, sizeof(m->buf) - m->fill);

			if (r < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				meter_gone(h, m, strerror(errno));
				return;
			}
			if (r == 0)
				break;
			m->fill += r;
			if (m->fill == sizeof(m->buf)) {
				consume(m, (const struct heatmeter_reading *)m->buf, now);
				m->fill = 0;
				n++;
				/* each reading its own on-change check: a batch
				 * is not coalesced into its last value */
				if (m->system)
					image_fill(h->regs, m->system, &m->st, &h->io, now);
				pl_readings_changed(h);
				pl_produce(h, now);
			}
		}
	}
	if (n && !*m->st.id && m->st.proto == HEATMETER_PROTO_MBUS) {
		/* the identity may be learned at the first read (the kernel
		 * then sends a "change" uevent, which source = /dev cannot see) */
		struct heatmeter_info inf = { .size = sizeof(inf) };

		if (ioctl(m->fd, HEATMETER_IOC_GET_INFO, &inf) == 0 && inf.id[0]) {
			snprintf(m->st.id, sizeof(m->st.id), "%.23s", inf.id);
			m->system = assign_system(h, m);
			info("%s: id %s learned -> system %d", m->name, m->st.id, m->system);
			image_refresh(h, now);
		}
	}
	if (n) {
		if (m->system)
			image_fill(h->regs, m->system, &m->st, &h->io, now);
		pl_readings_changed(h);
	}
	if (revents & (POLLHUP | POLLERR | POLLNVAL))
		meter_gone(h, m, "hangup");
}

void image_refresh(struct hmd *h, int64_t now)
{
	for (int n = 1; n <= h->cfg.systems; n++) {
		struct meter *best = NULL;

		for (int i = 0; i < h->nmeters; i++) {
			struct meter *m = h->meters[i];

			/* a present meter wins over a departed one of the same system */
			if (m->system == n && (!best || (m->st.present && !best->st.present)))
				best = m;
		}
		image_fill(h->regs, n, best ? &best->st : NULL, &h->io, now);
	}
}

void meters_tick(struct hmd *h, int64_t now)
{
	if (dir_mode(h))
		scan_dir(h);
	image_refresh(h, now);
}
