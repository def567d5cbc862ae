// SPDX-License-Identifier: GPL-2.0
/*
 * heatmeterctl read [--json] METER...
 *   reads each meter now through its character device (HEATMETER_IOC_READ)
 * heatmeterctl scan [--json] [--timeout SEC] BUS PROTOCOL [RANGE]
 *   starts a scan on the bus, shows its progress, waits for its end and
 *   lists the meters found
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <json.h>
#include <libudev.h>
#include <linux/heatmeter.h>

#include "heatmeterctl.h"

static int read_one(const char *arg, int json)
{
	struct heatmeter_info in = { .size = sizeof(in) };
	struct heatmeter_reading r = { .size = sizeof(r) };
	struct udev_device *d;
	const char *node;
	char tty[32] = "", buf[64];
	int fd, ret;

	d = hmctl_find_meter(arg, &ret);
	if (!d)
		return ret;
	node = udev_device_get_devnode(d);
	if (!node) {
		hmctl_err("%s: %s has no character device", arg,
			  udev_device_get_sysname(d));
		udev_device_unref(d);
		return HMCTL_ENOTFOUND;
	}
	fd = open(node, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = errno;
		if (ret == EACCES)
			hmctl_err("%s: %s (the user needs to be in the group that owns it, usually 'heatmeter')",
				  node, strerror(ret));
		else
			hmctl_err("%s: %s", node, strerror(ret));
		udev_device_unref(d);
		return hmctl_exit_for_errno(ret);
	}
	if (ioctl(fd, HEATMETER_IOC_GET_INFO, &in) ||
	    ioctl(fd, HEATMETER_IOC_READ, &r)) {
		ret = errno;
		hmctl_err("%s: %s", node, ret == ENODEV ?
			  "the meter or its line is gone (adapter unplugged?)" :
			  strerror(ret));
		close(fd);
		udev_device_unref(d);
		return hmctl_exit_for_errno(ret);
	}
	close(fd);
	if (udev_device_get_parent(d))
		hmctl_read_attr(udev_device_get_syspath(udev_device_get_parent(d)),
				"tty", tty, sizeof(tty));
	if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "meter",
				       json_object_new_string(udev_device_get_sysname(d)));
		json_object_object_add(o, "device", json_object_new_string(node));
		json_object_object_add(o, "bus", json_object_new_string(in.bus));
		json_object_object_add(o, "tty", json_object_new_string(tty));
		json_object_object_add(o, "protocol", json_object_new_string(
			in.protocol == HEATMETER_PROTO_MBUS ? "mbus" : "cjt188"));
		json_object_object_add(o, "address", json_object_new_string(in.address));
		if (in.id[0])
			json_object_object_add(o, "id", json_object_new_string(in.id));
		if (in.manufacturer[0])
			json_object_object_add(o, "manufacturer",
					       json_object_new_string(in.manufacturer));
		json_object_object_add(o, "profile", json_object_new_string(in.profile));
		hmctl_json_reading(o, &r);
		hmctl_json_print(o);
		json_object_put(o);
	} else {
		unsigned int q;

		printf("%-15s %s (%s)\n", "meter", udev_device_get_sysname(d), node);
		printf("%-15s %s (%s)\n", "bus", in.bus, tty);
		printf("%-15s %s\n", "protocol",
		       in.protocol == HEATMETER_PROTO_MBUS ? "mbus" : "cjt188");
		printf("%-15s %s\n", "address", in.address);
		printf("%-15s %s\n", "id", in.id[0] ? in.id : "-");
		printf("%-15s %s\n", "manufacturer", in.manufacturer[0] ? in.manufacturer : "-");
		printf("%-15s %s\n", "profile", in.profile);
		if (r.ts.complete_real)
			printf("%-15s %s\n", "time",
			       hmctl_iso_time(buf, sizeof(buf), r.ts.complete_real));
		if (r.error) {
			printf("%-15s %s (%s)\n", "error", hmctl_errno_name(-r.error),
			       strerror(-r.error));
		} else {
			for (q = 0; q <= HEATMETER_Q_OPERATING_TIME; q++)
				if (r.valid & (1U << q))
					printf("%-15s %s %s\n", hmctl_quantities[q].attr,
					       hmctl_fixed(buf, sizeof(buf), r.values[q],
							   hmctl_quantities[q].shift),
					       hmctl_quantities[q].unit);
			if (r.valid & (1U << HEATMETER_Q_METER_TIME))
				printf("%-15s %04u-%02u-%02uT%02u:%02u:%02u\n", "meter_time",
				       r.meter_time.year, r.meter_time.month,
				       r.meter_time.day, r.meter_time.hour,
				       r.meter_time.minute, r.meter_time.second);
		}
	}
	if (r.error)
		hmctl_err("%s: %s", arg, r.error == -ETIMEDOUT ?
			  "the meter did not answer" : strerror(-r.error));
	udev_device_unref(d);
	return hmctl_exit_for_errno(-r.error);
}

int hmctl_read(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, json = 0, ret = HMCTL_OK, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			printf("usage: heatmeterctl read [--json] METER...\n");
			return HMCTL_OK;
		default:
			fprintf(stderr, "usage: heatmeterctl read [--json] METER...\n");
			return HMCTL_EUSAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: heatmeterctl read [--json] METER...\n");
		return HMCTL_EUSAGE;
	}
	for (; optind < argc; optind++) {
		r = read_one(argv[optind], json);
		if (r && !ret)
			ret = r;
	}
	return ret;
}

static void scan_usage(FILE *f)
{
	fprintf(f, "usage: heatmeterctl scan [--json] [--timeout SEC] BUS cjt188 [ADDRESS]\n"
		   "       heatmeterctl scan [--json] [--timeout SEC] BUS mbus [FIRST[-LAST]]\n"
		   "BUS: hmbusN or its tty (ttyUSB0, /dev/ttyUSB0)\n");
}

int hmctl_scan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct udev_device *bus;
	struct udev_enumerate *en;
	struct udev_list_entry *e;
	struct json_object *o = NULL, *jm = NULL;
	char req[64], st[96], last[96] = "", bsp[256];
	unsigned int found = 0, coll = 0;
	double timeout = 1200;
	struct timespec t0, t;
	int c, json = 0, ret, err, tty = isatty(2);
	const char *proto;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jt:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 't':
			timeout = atof(optarg);
			break;
		case 'h':
			scan_usage(stdout);
			return HMCTL_OK;
		default:
			scan_usage(stderr);
			return HMCTL_EUSAGE;
		}
	}
	if (argc - optind < 2 || argc - optind > 3) {
		scan_usage(stderr);
		return HMCTL_EUSAGE;
	}
	proto = argv[optind + 1];
	if (!strcmp(proto, "mbus"))
		proto = "mbus-primary";
	if (strcmp(proto, "cjt188") && strcmp(proto, "mbus-primary")) {
		hmctl_err("scan: unknown protocol '%s' (cjt188 or mbus)", proto);
		return HMCTL_EUSAGE;
	}
	snprintf(req, sizeof(req), "%s%s%s", proto, argc - optind == 3 ? " " : "",
		 argc - optind == 3 ? argv[optind + 2] : "");
	bus = hmctl_find_bus(argv[optind], &ret);
	if (!bus)
		return ret;
	snprintf(bsp, sizeof(bsp), "%s", udev_device_get_syspath(bus));
	err = hmctl_write_attr(bsp, "scan", req);
	if (err) {
		hmctl_err("%s: scan '%s': %s", udev_device_get_sysname(bus), req,
			  err == EINVAL ? "invalid range or address" :
			  err == EBUSY ? "a scan is running already" :
			  err == ENODEV || err == ENOENT ? "the line is gone" :
			  strerror(err));
		udev_device_unref(bus);
		return err == EINVAL ? HMCTL_EUSAGE :
		       err == ENOENT ? HMCTL_ENODEV : hmctl_exit_for_errno(err);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		err = hmctl_read_attr(bsp, "scan_status", st, sizeof(st));
		if (err) {
			hmctl_err("%s: the line is gone during the scan (adapter unplugged?)",
				  udev_device_get_sysname(bus));
			udev_device_unref(bus);
			return HMCTL_ENODEV;
		}
		if (strcmp(st, last)) {
			snprintf(last, sizeof(last), "%s", st);
			if (!strncmp(st, "running", 7))
				fprintf(stderr, tty ? "\r%s: scan %s   " : "%s: scan %s\n",
					udev_device_get_sysname(bus), st);
		}
		if (strncmp(st, "running", 7))
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec + (t.tv_nsec - t0.tv_nsec) / 1e9 > timeout) {
			hmctl_err("%s: scan still %s after %g s", udev_device_get_sysname(bus),
				  st, timeout);
			udev_device_unref(bus);
			return HMCTL_ETIMEDOUT;
		}
		usleep(200000);
	}
	if (tty)
		fputc('\n', stderr);
	if (strncmp(st, "done:", 5) ||
	    sscanf(st, "done: found %u, collisions %u", &found, &coll) != 2) {
		hmctl_err("%s: scan %s", udev_device_get_sysname(bus), st);
		udev_device_unref(bus);
		return strstr(st, "-19") ? HMCTL_ENODEV : HMCTL_EFAIL;
	}
	if (json) {
		o = json_object_new_object();
		json_object_object_add(o, "bus",
				       json_object_new_string(udev_device_get_sysname(bus)));
		json_object_object_add(o, "scan", json_object_new_string(req));
		json_object_object_add(o, "found", json_object_new_int(found));
		json_object_object_add(o, "collisions", json_object_new_int(coll));
		jm = json_object_new_array();
		json_object_object_add(o, "meters", jm);
	} else {
		printf("%s: scan %s: found %u, collisions %u\n",
		       udev_device_get_sysname(bus), req, found, coll);
	}
	/* the bus's meters of that protocol now */
	en = udev_enumerate_new(hmctl_udev());
	udev_enumerate_add_match_subsystem(en, "heatmeter");
	udev_enumerate_add_match_parent(en, bus);
	udev_enumerate_scan_devices(en);
	udev_list_entry_foreach(e, udev_enumerate_get_list_entry(en)) {
		struct udev_device *d;
		const char *p;

		d = udev_device_new_from_syspath(hmctl_udev(), udev_list_entry_get_name(e));
		if (!d)
			continue;
		p = hmctl_prop(d, "HEATMETER_PROTOCOL");
		if (strcmp(udev_device_get_subsystem(d), "heatmeter") ||
		    strncmp(p, proto, strlen(p)) || !*p) {
			udev_device_unref(d);
			continue;
		}
		if (json) {
			struct json_object *m = json_object_new_object();

			json_object_object_add(m, "meter",
					       json_object_new_string(udev_device_get_sysname(d)));
			json_object_object_add(m, "protocol", json_object_new_string(p));
			json_object_object_add(m, "address", json_object_new_string(
				hmctl_prop(d, "HEATMETER_ADDRESS")));
			if (*hmctl_prop(d, "HEATMETER_ID"))
				json_object_object_add(m, "id", json_object_new_string(
					hmctl_prop(d, "HEATMETER_ID")));
			if (*hmctl_prop(d, "HEATMETER_MANUFACTURER"))
				json_object_object_add(m, "manufacturer", json_object_new_string(
					hmctl_prop(d, "HEATMETER_MANUFACTURER")));
			json_object_array_add(jm, m);
		} else {
			printf("%-11s %-6s %-14s %-4s %s\n", udev_device_get_sysname(d), p,
			       hmctl_prop(d, "HEATMETER_ADDRESS"),
			       *hmctl_prop(d, "HEATMETER_MANUFACTURER") ?
			       hmctl_prop(d, "HEATMETER_MANUFACTURER") : "-",
			       *hmctl_prop(d, "HEATMETER_ID") ? hmctl_prop(d, "HEATMETER_ID") : "-");
		}
		udev_device_unref(d);
	}
	udev_enumerate_unref(en);
	if (json) {
		hmctl_json_print(o);
		json_object_put(o);
	}
	udev_device_unref(bus);
	return HMCTL_OK;
}
