// SPDX-License-Identifier: GPL-2.0
/*
 * heatmeterctl list [--json] [--no-read]
 *
 * Every bus (attached tty) and every meter on it, with the newest values
 * in human units. Values come from sysfs: reading the first quantity
 * reads the meter once (or reuses a reading younger than max_age_ms);
 * --no-read shows only what is known without bus traffic.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>
#include <libudev.h>
#include <linux/heatmeter.h>

#include "heatmeterctl.h"

/* the quantities the table shows (JSON has every one the meter reports) */
static const unsigned int table_q[] = {
	HEATMETER_Q_ENERGY, HEATMETER_Q_VOLUME, HEATMETER_Q_SUPPLY_TEMP,
	HEATMETER_Q_RETURN_TEMP,
};

struct meter_row {
	char name[32], bus[32], tty[32], protocol[16], address[32], id[32];
	char manufacturer[16], medium[32], profile[32], online[8];
	char text[HEATMETER_Q_OPERATING_TIME + 1][80];
	int64_t values[HEATMETER_Q_OPERATING_TIME + 1];
	unsigned int valid;
	int err;	/* first error other than ENODATA, or 0 */
};

static int parse_i64(const char *s, int64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 10);
	return errno || end == s || *end;
}

static void load_meter(struct udev_device *d, const char *tty, int no_read,
		       struct meter_row *m)
{
	const char *sp = udev_device_get_syspath(d);
	char buf[64];
	unsigned int q;
	int err;

	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", udev_device_get_sysname(d));
	snprintf(m->bus, sizeof(m->bus), "%s", hmctl_bus_of(d));
	snprintf(m->tty, sizeof(m->tty), "%s", tty);
	hmctl_read_attr(sp, "protocol", m->protocol, sizeof(m->protocol));
	hmctl_read_attr(sp, "address", m->address, sizeof(m->address));
	hmctl_read_attr(sp, "profile", m->profile, sizeof(m->profile));
	for (q = 0; !no_read && q <= HEATMETER_Q_OPERATING_TIME; q++) {
		const struct hmctl_quantity *hq = &hmctl_quantities[q];

		err = hmctl_read_attr(sp, hq->attr, buf, sizeof(buf));
		if (!err && !parse_i64(buf, &m->values[q])) {
			m->valid |= 1U << q;
			hmctl_fixed(buf, sizeof(buf), m->values[q], hq->shift);
			snprintf(m->text[q], sizeof(m->text[q]), "%s %s", buf, hq->unit);
		} else if (err && err != ENODATA && !m->err) {
			m->err = err;
		}
	}
	/* after the read: the identity it taught the driver */
	if (no_read) {
		snprintf(m->id, sizeof(m->id), "%s", hmctl_prop(d, "HEATMETER_ID"));
		snprintf(m->manufacturer, sizeof(m->manufacturer), "%s",
			 hmctl_prop(d, "HEATMETER_MANUFACTURER"));
	} else {
		hmctl_read_attr(sp, "id", m->id, sizeof(m->id));
		hmctl_read_attr(sp, "manufacturer", m->manufacturer,
				sizeof(m->manufacturer));
		hmctl_read_attr(sp, "medium", m->medium, sizeof(m->medium));
	}
	hmctl_read_attr(sp, "online", m->online, sizeof(m->online));
}

static const char *dash(const char *s)
{
	return s && *s ? s : "-";
}

static void text_header(void)
{
	printf("%-7s %-8s %-11s %-6s %-14s %-14s %-4s %-8s %-6s %-16s %-16s %-10s %-10s\n",
	       "BUS", "TTY", "METER", "PROTO", "ADDRESS", "ID", "MAN", "MEDIUM",
	       "ONLINE", "ENERGY", "VOLUME", "SUPPLY", "RETURN");
}

static void text_row(const struct meter_row *m)
{
	char line[512];
	unsigned int i;
	size_t n;

	n = snprintf(line, sizeof(line), "%-7s %-8s %-11s %-6s %-14s %-14s %-4s %-8s %-6s",
		     m->bus, m->tty, m->name, m->protocol, m->address, dash(m->id),
		     dash(m->manufacturer), dash(m->medium),
		     !strcmp(m->online, "1") ? "yes" : "no");
	for (i = 0; i < sizeof(table_q) / sizeof(table_q[0]) && n < sizeof(line); i++)
		n += snprintf(line + n, sizeof(line) - n, " %-*s", i < 2 ? 16 : 10,
			      dash(m->text[table_q[i]]));
	if (m->err && n < sizeof(line))
		n += snprintf(line + n, sizeof(line) - n, " (%s: %s)",
			      hmctl_errno_name(m->err), strerror(m->err));
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	while (n > 0 && line[n - 1] == ' ')
		line[--n] = 0;
	puts(line);
}

static struct json_object *json_meter(const struct meter_row *m)
{
	struct json_object *o = json_object_new_object();
	char dev[48];
	unsigned int q;

	json_object_object_add(o, "meter", json_object_new_string(m->name));
	snprintf(dev, sizeof(dev), "/dev/%s", m->name);
	json_object_object_add(o, "device", json_object_new_string(dev));
	json_object_object_add(o, "bus", json_object_new_string(m->bus));
	json_object_object_add(o, "tty", json_object_new_string(m->tty));
	json_object_object_add(o, "protocol", json_object_new_string(m->protocol));
	json_object_object_add(o, "address", json_object_new_string(m->address));
	if (m->id[0])
		json_object_object_add(o, "id", json_object_new_string(m->id));
	if (m->manufacturer[0])
		json_object_object_add(o, "manufacturer",
				       json_object_new_string(m->manufacturer));
	if (m->medium[0])
		json_object_object_add(o, "medium", json_object_new_string(m->medium));
	json_object_object_add(o, "profile", json_object_new_string(m->profile));
	json_object_object_add(o, "online",
			       json_object_new_boolean(!strcmp(m->online, "1")));
	for (q = 0; q <= HEATMETER_Q_OPERATING_TIME; q++)
		if (m->valid & (1U << q))
			hmctl_json_fixed(o, hmctl_quantities[q].json, m->values[q],
					 hmctl_quantities[q].shift);
	if (m->err) {
		json_object_object_add(o, "error",
				       json_object_new_string(hmctl_errno_name(m->err)));
		json_object_object_add(o, "error_message",
				       json_object_new_string(strerror(m->err)));
	}
	return o;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: heatmeterctl list [--json] [--no-read]\n");
}

int hmctl_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "no-read", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct udev *udev = hmctl_udev();
	struct udev_enumerate *buses;
	struct udev_list_entry *be;
	struct json_object *root = NULL, *jbuses = NULL;
	int c, json = 0, no_read = 0, nbus = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jnh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'n':
			no_read = 1;
			break;
		case 'h':
			usage(stdout);
			return HMCTL_OK;
		default:
			usage(stderr);
			return HMCTL_EUSAGE;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return HMCTL_EUSAGE;
	}
	if (!hmctl_have_module()) {
		hmctl_err("the heatmeter module is not loaded (no /sys/class/heatmeter_bus)");
		return HMCTL_ENOTFOUND;
	}
	if (json) {
		root = json_object_new_object();
		jbuses = json_object_new_array();
		json_object_object_add(root, "buses", jbuses);
	} else {
		text_header();
	}
	buses = udev_enumerate_new(udev);
	udev_enumerate_add_match_subsystem(buses, "heatmeter_bus");
	udev_enumerate_scan_devices(buses);
	udev_list_entry_foreach(be, udev_enumerate_get_list_entry(buses)) {
		const char *bsp = udev_list_entry_get_name(be);
		struct udev_device *bus = udev_device_new_from_syspath(udev, bsp);
		struct udev_enumerate *meters;
		struct udev_list_entry *me;
		struct json_object *jb = NULL, *jm = NULL;
		char tty[32], baud[16], proto[16], scan[64];
		int nmeter = 0;

		if (!bus)
			continue;
		nbus++;
		hmctl_read_attr(bsp, "tty", tty, sizeof(tty));
		hmctl_read_attr(bsp, "baud", baud, sizeof(baud));
		hmctl_read_attr(bsp, "protocol", proto, sizeof(proto));
		hmctl_read_attr(bsp, "scan_status", scan, sizeof(scan));
		if (json) {
			jb = json_object_new_object();
			json_object_object_add(jb, "bus",
					       json_object_new_string(udev_device_get_sysname(bus)));
			json_object_object_add(jb, "tty", json_object_new_string(tty));
			json_object_object_add(jb, "baud", json_object_new_int(atoi(baud)));
			json_object_object_add(jb, "protocol", json_object_new_string(proto));
			json_object_object_add(jb, "scan_status", json_object_new_string(scan));
			jm = json_object_new_array();
			json_object_object_add(jb, "meters", jm);
			json_object_array_add(jbuses, jb);
		}
		meters = udev_enumerate_new(udev);
		udev_enumerate_add_match_subsystem(meters, "heatmeter");
		udev_enumerate_add_match_parent(meters, bus);
		udev_enumerate_scan_devices(meters);
		udev_list_entry_foreach(me, udev_enumerate_get_list_entry(meters)) {
			struct udev_device *d;
			struct meter_row m;

			d = udev_device_new_from_syspath(udev, udev_list_entry_get_name(me));
			/* match_parent includes the parent itself */
			if (!d || strcmp(udev_device_get_subsystem(d), "heatmeter")) {
				if (d)
					udev_device_unref(d);
				continue;
			}
			load_meter(d, tty, no_read, &m);
			nmeter++;
			if (json)
				json_object_array_add(jm, json_meter(&m));
			else
				text_row(&m);
			udev_device_unref(d);
		}
		udev_enumerate_unref(meters);
		if (!json && !nmeter)
			printf("%-7s %-8s %s\n", udev_device_get_sysname(bus), tty,
			       "(no meters: heatmeterctl scan, or new_meter)");
		udev_device_unref(bus);
	}
	udev_enumerate_unref(buses);
	if (json) {
		hmctl_json_print(root);
		json_object_put(root);
	} else if (!nbus) {
		printf("(no buses: heatmeterctl attach TTY)\n");
	}
	return HMCTL_OK;
}
