// SPDX-License-Identifier: GPL-2.0
/*
 * heatmeterctl monitor [--json] [--readings] [--count N] [--timeout SEC]
 *                      [--kernel]
 *
 * Meters and buses appearing and disappearing (libudev monitor: udevd's
 * events when udevd runs, else the kernel's), and with --readings every
 * reading of every meter as it arrives on the character devices (poll()
 * over all of them). One line per event; with --json one JSON object per
 * line, for scripts and MQTT bridges.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
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

struct mon_meter {
	int fd;
	char name[32], node[64], bus[32], protocol[8], address[24];
	char id[24], manufacturer[8];
};

static struct mon_meter *meters;
static size_t nmeters;
static int json, readings;
static long count = -1;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void now_iso(char *buf, size_t size)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	hmctl_iso_time(buf, size, (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec);
}

/* one line printed; stop after --count lines */
static void emitted(void)
{
	if (count > 0 && --count == 0)
		stop = 1;
}

static struct mon_meter *meter_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < nmeters; i++)
		if (!strcmp(meters[i].name, name))
			return &meters[i];
	return NULL;
}

static void meter_close(struct mon_meter *m)
{
	if (m->fd >= 0)
		close(m->fd);
	*m = meters[--nmeters];
}

static void meter_open(struct udev_device *d)
{
	struct heatmeter_info in = { .size = sizeof(in) };
	const char *node = udev_device_get_devnode(d);
	struct mon_meter *m, *nm;
	int fd;

	if (!node || meter_by_name(udev_device_get_sysname(d)))
		return;
	fd = open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		hmctl_err("%s: %s%s", node, strerror(errno),
			  errno == EACCES ? " (not in the group that owns it?)" : "");
		return;
	}
	nm = realloc(meters, (nmeters + 1) * sizeof(*meters));
	if (!nm) {
		close(fd);
		return;
	}
	meters = nm;
	m = &meters[nmeters++];
	memset(m, 0, sizeof(*m));
	m->fd = fd;
	snprintf(m->name, sizeof(m->name), "%s", udev_device_get_sysname(d));
	snprintf(m->node, sizeof(m->node), "%s", node);
	if (!ioctl(fd, HEATMETER_IOC_GET_INFO, &in)) {
		snprintf(m->bus, sizeof(m->bus), "%s", in.bus);
		snprintf(m->protocol, sizeof(m->protocol), "%s",
			 in.protocol == HEATMETER_PROTO_MBUS ? "mbus" : "cjt188");
		snprintf(m->address, sizeof(m->address), "%s", in.address);
		snprintf(m->id, sizeof(m->id), "%s", in.id);
		snprintf(m->manufacturer, sizeof(m->manufacturer), "%s",
			 in.manufacturer);
	}
}

static void print_device_event(struct udev_device *d)
{
	const char *action = udev_device_get_action(d);
	const char *sub = udev_device_get_subsystem(d);
	const char *name = udev_device_get_sysname(d);
	int is_meter = sub && !strcmp(sub, "heatmeter");
	struct json_object *o;
	const char *v;
	char t[40], tty[32] = "";

	if (!action || !sub)
		return;
	now_iso(t, sizeof(t));
	if (!is_meter && strcmp(action, "remove"))
		hmctl_read_attr(udev_device_get_syspath(d), "tty", tty, sizeof(tty));
	if (json) {
		o = json_object_new_object();
		json_object_object_add(o, "time", json_object_new_string(t));
		json_object_object_add(o, "event", json_object_new_string(action));
		if (is_meter) {
			json_object_object_add(o, "meter", json_object_new_string(name));
			if (udev_device_get_devnode(d))
				json_object_object_add(o, "device", json_object_new_string(
					udev_device_get_devnode(d)));
			if (udev_device_get_parent(d))
				json_object_object_add(o, "bus", json_object_new_string(
					hmctl_bus_of(d)));
			v = hmctl_prop(d, "HEATMETER_PROTOCOL");
			if (*v)
				json_object_object_add(o, "protocol", json_object_new_string(v));
			v = hmctl_prop(d, "HEATMETER_ADDRESS");
			if (*v)
				json_object_object_add(o, "address", json_object_new_string(v));
			v = hmctl_prop(d, "HEATMETER_ID");
			if (*v)
				json_object_object_add(o, "id", json_object_new_string(v));
			v = hmctl_prop(d, "HEATMETER_MANUFACTURER");
			if (*v)
				json_object_object_add(o, "manufacturer", json_object_new_string(v));
		} else {
			json_object_object_add(o, "bus", json_object_new_string(name));
			if (tty[0])
				json_object_object_add(o, "tty", json_object_new_string(tty));
			v = hmctl_prop(d, "HEATMETER_SCAN");
			if (*v)
				json_object_object_add(o, "scan", json_object_new_string(v));
		}
		hmctl_json_print(o);
		json_object_put(o);
	} else if (is_meter) {
		printf("%s %-6s %s %s %s bus %s\n", t, action, name,
		       hmctl_prop(d, "HEATMETER_PROTOCOL"),
		       hmctl_prop(d, "HEATMETER_ADDRESS"),
		       udev_device_get_parent(d) ? hmctl_bus_of(d) : "-");
		fflush(stdout);
	} else {
		v = hmctl_prop(d, "HEATMETER_SCAN");
		printf("%s %-6s %s%s%s%s%s\n", t, action, name, tty[0] ? " tty " : "",
		       tty, *v ? " scan " : "", v);
		fflush(stdout);
	}
	emitted();
}

static void print_reading(const struct mon_meter *m,
			  const struct heatmeter_reading *r)
{
	char t[40];

	if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "event", json_object_new_string(
			r->flags & HEATMETER_RD_DROPPED ? "dropped" : "reading"));
		json_object_object_add(o, "meter", json_object_new_string(m->name));
		json_object_object_add(o, "bus", json_object_new_string(m->bus));
		json_object_object_add(o, "protocol", json_object_new_string(m->protocol));
		json_object_object_add(o, "address", json_object_new_string(m->address));
		if (m->id[0])
			json_object_object_add(o, "id", json_object_new_string(m->id));
		if (m->manufacturer[0])
			json_object_object_add(o, "manufacturer",
					       json_object_new_string(m->manufacturer));
		hmctl_json_reading(o, r);
		hmctl_json_print(o);
		json_object_put(o);
	} else {
		if (r->ts.complete_real)
			hmctl_iso_time(t, sizeof(t), r->ts.complete_real);
		else
			now_iso(t, sizeof(t));
		printf("%s %-6s %s %s %s seq %llu", t, "read", m->name, m->protocol,
		       m->address, (unsigned long long)r->seq);
		hmctl_text_reading(stdout, r);
		printf("\n");
		fflush(stdout);
	}
	emitted();
}

/* drain one meter's readings; 0 when it is gone */
static int drain(struct mon_meter *m)
{
	struct heatmeter_reading r[16];
	ssize_t n;
	size_t i;

	for (;;) {
		n = read(m->fd, r, sizeof(r));
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		if (n == 0)
			return 0;
		for (i = 0; i < (size_t)n / sizeof(r[0]) && !stop; i++)
			print_reading(m, &r[i]);
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: heatmeterctl monitor [--json] [--readings] [--count N] [--timeout SEC] [--kernel]\n");
}

int hmctl_monitor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "readings", no_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "kernel", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct udev *udev = hmctl_udev();
	struct udev_monitor *mon;
	struct sigaction sa;
	struct pollfd *pfd = NULL;
	double timeout = -1;
	struct timespec t0, t;
	int c, kernel = 0;
	size_t i;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jrc:t:kh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'r':
			readings = 1;
			break;
		case 'c':
			count = atol(optarg);
			break;
		case 't':
			timeout = atof(optarg);
			break;
		case 'k':
			kernel = 1;
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
	/* udevd's events carry its work (links, modes); without udevd, the kernel's */
	if (access("/run/udev/control", F_OK))
		kernel = 1;
	mon = udev_monitor_new_from_netlink(udev, kernel ? "kernel" : "udev");
	if (!mon) {
		hmctl_err("libudev: cannot monitor %s events: %s",
			  kernel ? "kernel" : "udev", strerror(errno));
		return errno == EPERM || errno == EACCES ? HMCTL_EPERM : HMCTL_EFAIL;
	}
	udev_monitor_filter_add_match_subsystem_devtype(mon, "heatmeter", NULL);
	udev_monitor_filter_add_match_subsystem_devtype(mon, "heatmeter_bus", NULL);
	if (udev_monitor_enable_receiving(mon)) {
		hmctl_err("libudev: cannot receive events: %s", strerror(errno));
		udev_monitor_unref(mon);
		return HMCTL_EFAIL;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (readings && hmctl_have_module()) {
		struct udev_enumerate *en = udev_enumerate_new(udev);
		struct udev_list_entry *e;

		udev_enumerate_add_match_subsystem(en, "heatmeter");
		udev_enumerate_scan_devices(en);
		udev_list_entry_foreach(e, udev_enumerate_get_list_entry(en)) {
			struct udev_device *d;

			d = udev_device_new_from_syspath(udev, udev_list_entry_get_name(e));
			if (d) {
				meter_open(d);
				udev_device_unref(d);
			}
		}
		udev_enumerate_unref(en);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop) {
		int ms = -1, n;

		if (timeout >= 0) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			ms = (int)((timeout - (t.tv_sec - t0.tv_sec) -
				    (t.tv_nsec - t0.tv_nsec) / 1e9) * 1000);
			if (ms <= 0)
				break;
		}
		free(pfd);
		pfd = calloc(nmeters + 1, sizeof(*pfd));
		if (!pfd)
			break;
		pfd[0].fd = udev_monitor_get_fd(mon);
		pfd[0].events = POLLIN;
		for (i = 0; i < nmeters; i++) {
			pfd[i + 1].fd = meters[i].fd;
			pfd[i + 1].events = POLLIN;
		}
		n = poll(pfd, nmeters + 1, ms);
		if (n < 0 && errno != EINTR) {
			hmctl_err("poll: %s", strerror(errno));
			break;
		}
		if (n <= 0)
			continue;
		/* readings first: those of a meter that goes away still count */
		for (i = nmeters; i-- > 0 && !stop;) {
			if (!pfd[i + 1].revents)
				continue;
			if (!drain(&meters[i]) ||
			    (pfd[i + 1].revents & (POLLHUP | POLLERR | POLLNVAL)))
				meter_close(&meters[i]);
		}
		if (pfd[0].revents & POLLIN) {
			struct udev_device *d;

			while (!stop && (d = udev_monitor_receive_device(mon))) {
				const char *action = udev_device_get_action(d);
				const char *sub = udev_device_get_subsystem(d);

				print_device_event(d);
				if (readings && action && sub && !strcmp(sub, "heatmeter")) {
					struct mon_meter *m = meter_by_name(udev_device_get_sysname(d));

					if (!strcmp(action, "add"))
						meter_open(d);
					else if (!strcmp(action, "remove") && m)
						meter_close(m);
				}
				udev_device_unref(d);
			}
		}
	}
	free(pfd);
	while (nmeters)
		meter_close(&meters[0]);
	free(meters);
	udev_monitor_unref(mon);
	return HMCTL_OK;
}
