// SPDX-License-Identifier: GPL-2.0
/*
 * heatmeterctl verify - the verification ioctls of /dev/heatmeterN.
 *
 *   verify info DEV...
 *   verify read DEV...
 *   verify test-mode on|off DEV...
 *   verify start-stop [--wait SEC | --interactive] DEV...
 *   verify sync (--at MONO_NS | --in MS) [--trigger] DEV...
 *   verify raw DEV C HEX [CI]            (needs CAP_SYS_ADMIN)
 *
 * Output: one key=value line per meter (per snapshot pair, per SYNC), and
 * a summary line for sync; with "verify --json ..." one JSON object per
 * line instead (quantities in units named by their keys, timestamps in
 * ns of CLOCK_MONOTONIC as *_ns).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <json.h>
#include <linux/heatmeter.h>

#include "heatmeterctl.h"

#define VMAX 64

static int json;

/* reading -> JSON: the common fields plus the transaction's instants */
static struct json_object *jreading(const struct heatmeter_reading *r)
{
	struct json_object *o = json_object_new_object();

	hmctl_json_reading(o, r);
	json_object_object_add(o, "flags", json_object_new_int64(r->flags));
	json_object_object_add(o, "queued_ns", json_object_new_int64(r->ts.queued));
	json_object_object_add(o, "tx_start_ns", json_object_new_int64(r->ts.tx_start));
	json_object_object_add(o, "tx_done_ns", json_object_new_int64(r->ts.tx_done));
	json_object_object_add(o, "rx_first_ns", json_object_new_int64(r->ts.rx_first));
	json_object_object_add(o, "rx_last_ns", json_object_new_int64(r->ts.rx_last));
	return o;
}

static struct json_object *jdev(const char *dev)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "device", json_object_new_string(dev));
	return o;
}

static void jput(struct json_object *o)
{
	hmctl_json_print(o);
	json_object_put(o);
}

static const char *const qnames[] = {
	"energy", "cooling_energy", "volume", "power", "flow",
	"supply_temp", "return_temp", "temp_diff", "operating_time",
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int vopen(const char *dev, int flags)
{
	int fd = open(dev, flags);

	if (fd < 0)
		fprintf(stderr, "heatmeterctl: %s: %s\n", dev, strerror(errno));
	return fd;
}

static void vfail(const char *dev, const char *what)
{
	if (json) {
		int err = errno;
		struct json_object *o = jdev(dev);

		json_object_object_add(o, "operation", json_object_new_string(what));
		json_object_object_add(o, "error", json_object_new_string(hmctl_errno_name(err)));
		json_object_object_add(o, "error_message", json_object_new_string(strerror(err)));
		jput(o);
		return;
	}
	printf("dev=%s %s=error errno=%d msg=\"%s\"\n", dev, what, errno,
	       strerror(errno));
}

static void print_reading(const char *p, const struct heatmeter_reading *r)
{
	unsigned int q;

	printf(" %sseq=%llu %sflags=0x%x %serror=%d", p, (unsigned long long)r->seq,
	       p, r->flags, p, r->error);
	for (q = 0; q < sizeof(qnames) / sizeof(qnames[0]); q++)
		if (r->valid & (1U << q))
			printf(" %s%s=%lld", p, qnames[q], (long long)r->values[q]);
	printf(" %stx_start=%lld %stx_done=%lld %srx_first=%lld %srx_last=%lld",
	       p, (long long)r->ts.tx_start, p, (long long)r->ts.tx_done,
	       p, (long long)r->ts.rx_first, p, (long long)r->ts.rx_last);
}

static int v_info(int n, char **devs)
{
	int i, fd, rc = 0;

	for (i = 0; i < n; i++) {
		struct heatmeter_info in = { .size = sizeof(in) };

		fd = vopen(devs[i], O_RDONLY);
		if (fd < 0 || ioctl(fd, HEATMETER_IOC_GET_INFO, &in)) {
			if (fd >= 0)
				vfail(devs[i], "info");
			rc = 1;
		} else if (json) {
			struct json_object *o = jdev(devs[i]);

			json_object_object_add(o, "protocol", json_object_new_string(
				in.protocol == HEATMETER_PROTO_MBUS ? "mbus" : "cjt188"));
			json_object_object_add(o, "address", json_object_new_string(in.address));
			json_object_object_add(o, "id", json_object_new_string(in.id));
			json_object_object_add(o, "manufacturer", json_object_new_string(in.manufacturer));
			json_object_object_add(o, "profile", json_object_new_string(in.profile));
			json_object_object_add(o, "bus", json_object_new_string(in.bus));
			json_object_object_add(o, "caps", json_object_new_int64(in.caps));
			json_object_object_add(o, "test_mode", json_object_new_boolean(in.test_mode));
			json_object_object_add(o, "test_mode_expires_ns",
					       json_object_new_int64(in.test_mode_expires));
			jput(o);
		} else {
			printf("dev=%s protocol=%s address=%s id=%s manufacturer=%s profile=%s bus=%s caps=0x%x test_mode=%u test_mode_expires=%lld\n",
			       devs[i], in.protocol == HEATMETER_PROTO_MBUS ? "mbus" : "cjt188",
			       in.address, in.id, in.manufacturer, in.profile, in.bus,
			       in.caps, in.test_mode, (long long)in.test_mode_expires);
		}
		if (fd >= 0)
			close(fd);
	}
	return rc;
}

static int v_read(int n, char **devs)
{
	int i, fd, rc = 0;

	for (i = 0; i < n; i++) {
		struct heatmeter_reading r = { .size = sizeof(r) };

		fd = vopen(devs[i], O_RDONLY);
		if (fd < 0 || ioctl(fd, HEATMETER_IOC_READ, &r)) {
			if (fd >= 0)
				vfail(devs[i], "read");
			rc = 1;
		} else {
			if (json) {
				struct json_object *o = jdev(devs[i]);

				json_object_object_add(o, "reading", jreading(&r));
				jput(o);
			} else {
				printf("dev=%s", devs[i]);
				print_reading("", &r);
				printf("\n");
			}
			rc |= r.error != 0;
		}
		if (fd >= 0)
			close(fd);
	}
	return rc;
}

static int v_test_mode(int n, char **devs, int on)
{
	int i, fd, rc = 0;

	for (i = 0; i < n; i++) {
		struct heatmeter_test_mode tm = { .size = sizeof(tm), .enable = on };

		fd = vopen(devs[i], O_RDWR);
		if (fd < 0 || ioctl(fd, HEATMETER_IOC_TEST_MODE, &tm)) {
			if (fd >= 0)
				vfail(devs[i], "test_mode");
			rc = 1;
		} else if (json) {
			struct json_object *o = jdev(devs[i]);

			json_object_object_add(o, "test_mode", json_object_new_boolean(on));
			json_object_object_add(o, "expires_ns", json_object_new_int64(tm.expires));
			jput(o);
		} else {
			printf("dev=%s test_mode=%d expires=%lld\n", devs[i], on,
			       (long long)tm.expires);
		}
		if (fd >= 0)
			close(fd);
	}
	return rc;
}

/* ASYNC on every fd, then WAIT on every fd */
static int v_snap_all(int n, int *fds, char **devs, unsigned long cmd,
		      struct heatmeter_snapshot *s)
{
	int i, rc = 0;

	for (i = 0; i < n; i++) {
		s[i].size = sizeof(s[i]);
		s[i].flags = HEATMETER_ASYNC;
		if (ioctl(fds[i], cmd, &s[i])) {
			vfail(devs[i], cmd == HEATMETER_IOC_START ? "start" : "stop");
			rc = 1;
		}
	}
	for (i = 0; i < n; i++) {
		s[i].flags = HEATMETER_WAIT;
		if (ioctl(fds[i], cmd, &s[i])) {
			vfail(devs[i], cmd == HEATMETER_IOC_START ? "start" : "stop");
			rc = 1;
		}
	}
	return rc;
}

static int v_start_stop(int argc, char **argv)
{
	static struct heatmeter_snapshot s[VMAX];
	int fds[VMAX], n, i, interactive = 0;
	double wait_s = 10;
	char line[16];

	while (argc && argv[0][0] == '-') {
		if (!strcmp(argv[0], "--wait") && argc > 1) {
			wait_s = atof(argv[1]);
			argc--;
			argv++;
		} else if (!strcmp(argv[0], "--interactive")) {
			interactive = 1;
		} else {
			fprintf(stderr, "heatmeterctl verify start-stop: unknown option %s\n", argv[0]);
			return 2;
		}
		argc--;
		argv++;
	}
	n = argc < VMAX ? argc : VMAX;
	if (!n)
		return 2;
	for (i = 0; i < n; i++) {
		fds[i] = vopen(argv[i], O_RDWR);
		if (fds[i] < 0)
			return 1;
	}
	memset(s, 0, sizeof(s));
	if (v_snap_all(n, fds, argv, HEATMETER_IOC_START, s))
		return 1;
	if (interactive) {
		fprintf(stderr, "started; press Enter to stop\n");
		if (!fgets(line, sizeof(line), stdin))
			return 1;
	} else {
		usleep((useconds_t)(wait_s * 1e6));
	}
	if (v_snap_all(n, fds, argv, HEATMETER_IOC_STOP, s))
		return 1;
	for (i = 0; i < n && json; i++) {
		struct json_object *o = jdev(argv[i]);

		json_object_object_add(o, "start", jreading(&s[i].start));
		json_object_object_add(o, "stop", jreading(&s[i].stop));
		if (s[i].valid & 1)
			hmctl_json_fixed(o, "d_energy_kwh", s[i].d_energy, 6);
		if (s[i].valid & 2)
			hmctl_json_fixed(o, "d_volume_m3", s[i].d_volume, 6);
		json_object_object_add(o, "d_time_ns", json_object_new_int64(s[i].d_time));
		jput(o);
	}
	for (i = 0; i < n && !json; i++) {
		printf("dev=%s", argv[i]);
		print_reading("start_", &s[i].start);
		print_reading("stop_", &s[i].stop);
		if (s[i].valid & 1)
			printf(" d_energy=%lld", (long long)s[i].d_energy);
		if (s[i].valid & 2)
			printf(" d_volume=%lld", (long long)s[i].d_volume);
		printf(" d_time_ns=%lld\n", (long long)s[i].d_time);
	}
	return 0;
}

static int v_sync(int argc, char **argv)
{
	static struct heatmeter_sync s[VMAX];
	int fds[VMAX], n, i, trigger = 0, rc = 0;
	int64_t at = 0, lo = INT64_MAX, hi = INT64_MIN;

	while (argc && argv[0][0] == '-') {
		if (!strcmp(argv[0], "--at") && argc > 1) {
			at = strtoll(argv[1], NULL, 0);
			argc--;
			argv++;
		} else if (!strcmp(argv[0], "--in") && argc > 1) {
			at = mono_ns() + strtoll(argv[1], NULL, 0) * 1000000LL;
			argc--;
			argv++;
		} else if (!strcmp(argv[0], "--trigger")) {
			trigger = 1;
		} else {
			fprintf(stderr, "heatmeterctl verify sync: unknown option %s\n", argv[0]);
			return 2;
		}
		argc--;
		argv++;
	}
	n = argc < VMAX ? argc : VMAX;
	if (!n || !at) {
		fprintf(stderr, "heatmeterctl verify sync: --at or --in, and devices\n");
		return 2;
	}
	for (i = 0; i < n; i++) {
		fds[i] = vopen(argv[i], O_RDWR);
		if (fds[i] < 0)
			return 1;
		s[i].size = sizeof(s[i]);
		s[i].flags = HEATMETER_ASYNC | (trigger ? HEATMETER_SYNC_TRIGGER : 0);
		s[i].at = at;
		if (ioctl(fds[i], HEATMETER_IOC_SYNC, &s[i])) {
			vfail(argv[i], "sync");
			return 1;
		}
	}
	for (i = 0; i < n; i++) {
		s[i].flags = HEATMETER_WAIT;
		if (ioctl(fds[i], HEATMETER_IOC_SYNC, &s[i])) {
			vfail(argv[i], "sync");
			rc = 1;
			continue;
		}
		if (json) {
			struct json_object *o = jdev(argv[i]);

			json_object_object_add(o, "at_ns", json_object_new_int64(at));
			json_object_object_add(o, "late_ns", json_object_new_int64(s[i].late));
			if (!trigger)
				json_object_object_add(o, "reading", jreading(&s[i].reading));
			jput(o);
		} else {
			printf("dev=%s at=%lld late_ns=%lld", argv[i], (long long)at,
			       (long long)s[i].late);
			print_reading("", &s[i].reading);
			printf("\n");
		}
		if (s[i].reading.ts.tx_start < lo)
			lo = s[i].reading.ts.tx_start;
		if (s[i].reading.ts.tx_start > hi)
			hi = s[i].reading.ts.tx_start;
	}
	if (!rc && json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "meters", json_object_new_int(n));
		json_object_object_add(o, "skew_ns", json_object_new_int64(hi - lo));
		jput(o);
	} else if (!rc) {
		printf("meters=%d skew_ns=%lld\n", n, (long long)(hi - lo));
	}
	return rc;
}

static int v_raw(int argc, char **argv)
{
	struct heatmeter_raw raw = { .size = sizeof(raw) };
	const char *hex;
	int fd, i;

	if (argc < 3)
		return 2;
	raw.control = strtoul(argv[1], NULL, 16);
	raw.ci = argc > 3 ? strtoul(argv[3], NULL, 16) : 0;
	hex = argv[2];
	for (i = 0; hex[2 * i] && hex[2 * i + 1] && i < HEATMETER_RAW_MAX; i++) {
		char b[3] = { hex[2 * i], hex[2 * i + 1], 0 };

		raw.data[i] = strtoul(b, NULL, 16);
	}
	raw.len = i;
	fd = vopen(argv[0], O_RDWR);
	if (fd < 0)
		return 1;
	if (ioctl(fd, HEATMETER_IOC_RAW, &raw)) {
		vfail(argv[0], "raw");
		return 1;
	}
	if (json) {
		struct json_object *o = jdev(argv[0]);
		char hexbuf[2 * sizeof(raw.reply) + 1];

		for (i = 0; i < raw.reply_len; i++)
			snprintf(hexbuf + 2 * i, 3, "%02X", raw.reply[i]);
		hexbuf[2 * raw.reply_len] = 0;
		json_object_object_add(o, "reply_control", json_object_new_int(raw.reply_control));
		json_object_object_add(o, "reply_ci", json_object_new_int(raw.reply_ci));
		json_object_object_add(o, "reply", json_object_new_string(hexbuf));
		jput(o);
		return 0;
	}
	printf("dev=%s reply_control=%02X reply_ci=%02X reply=", argv[0],
	       raw.reply_control, raw.reply_ci);
	for (i = 0; i < raw.reply_len; i++)
		printf("%02X", raw.reply[i]);
	printf("\n");
	return 0;
}

static void v_usage(FILE *f)
{
	fprintf(f, "usage: heatmeterctl verify [--json] info DEV...\n"
		   "       heatmeterctl verify read DEV...\n"
		   "       heatmeterctl verify test-mode on|off DEV...\n"
		   "       heatmeterctl verify start-stop [--wait SEC | --interactive] DEV...\n"
		   "       heatmeterctl verify sync (--at MONO_NS | --in MS) [--trigger] DEV...\n"
		   "       heatmeterctl verify raw DEV C HEX [CI]   (CAP_SYS_ADMIN)\n");
}

int hmctl_verify(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--json")) {
		json = 1;
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	if (argc < 3) {
		v_usage(argc > 1 && !strcmp(argv[1], "--help") ? stdout : stderr);
		return argc > 1 && !strcmp(argv[1], "--help") ? 0 : 2;
	}
	if (!strcmp(argv[1], "info"))
		return v_info(argc - 2, argv + 2);
	if (!strcmp(argv[1], "read"))
		return v_read(argc - 2, argv + 2);
	if (!strcmp(argv[1], "test-mode") && argc > 3 &&
	    (!strcmp(argv[2], "on") || !strcmp(argv[2], "off")))
		return v_test_mode(argc - 3, argv + 3, !strcmp(argv[2], "on"));
	if (!strcmp(argv[1], "start-stop"))
		return v_start_stop(argc - 2, argv + 2);
	if (!strcmp(argv[1], "sync"))
		return v_sync(argc - 2, argv + 2);
	if (!strcmp(argv[1], "raw"))
		return v_raw(argc - 2, argv + 2);
	v_usage(stderr);
	return 2;
}
