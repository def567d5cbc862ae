// SPDX-License-Identifier: GPL-2.0
/*
 * heatmeterctl - helpers shared by the subcommands: errors and exit codes,
 * finding meters and buses with libudev, sysfs attributes, units, JSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <json.h>
#include <libudev.h>
#include <linux/heatmeter.h>

#include "heatmeterctl.h"

const char *hmctl_prog = "heatmeterctl";

const struct hmctl_quantity hmctl_quantities[9] = {
	[HEATMETER_Q_ENERGY] = { "energy", "energy_kwh", "kWh", 6 },
	[HEATMETER_Q_COOLING_ENERGY] = { "cooling_energy", "cooling_energy_kwh", "kWh", 6 },
	[HEATMETER_Q_VOLUME] = { "volume", "volume_m3", "m3", 6 },
	[HEATMETER_Q_POWER] = { "power", "power_kw", "kW", 6 },
	[HEATMETER_Q_FLOW] = { "flow", "flow_m3h", "m3/h", 6 },
	[HEATMETER_Q_SUPPLY_TEMP] = { "supply_temp", "supply_temp_c", "°C", 3 },
	[HEATMETER_Q_RETURN_TEMP] = { "return_temp", "return_temp_c", "°C", 3 },
	[HEATMETER_Q_TEMP_DIFF] = { "temp_diff", "temp_diff_k", "K", 3 },
	[HEATMETER_Q_OPERATING_TIME] = { "operating_time", "operating_time_s", "s", 0 },
};

void hmctl_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", hmctl_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int hmctl_exit_for_errno(int err)
{
	switch (err) {
	case 0:
		return HMCTL_OK;
	case ENOENT:
	case ENXIO:
		return HMCTL_ENOTFOUND;
	case EACCES:
	case EPERM:
		return HMCTL_EPERM;
	case ENODEV:
		return HMCTL_ENODEV;
	case ETIMEDOUT:
		return HMCTL_ETIMEDOUT;
	case EBUSY:
		return HMCTL_EBUSY;
	default:
		return HMCTL_EFAIL;
	}
}

const char *hmctl_errno_name(int err)
{
	static const struct { int e; const char *n; } names[] = {
		{ ENODATA, "ENODATA" }, { ETIMEDOUT, "ETIMEDOUT" },
		{ EIO, "EIO" }, { EREMOTEIO, "EREMOTEIO" },
		{ EPROTO, "EPROTO" }, { EOPNOTSUPP, "EOPNOTSUPP" },
		{ ENODEV, "ENODEV" }, { EBUSY, "EBUSY" }, { EACCES, "EACCES" },
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EINVAL, "EINVAL" },
		{ EINTR, "EINTR" }, { ENOMEM, "ENOMEM" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].e == err)
			return names[i].n;
	return "EUNKNOWN";
}

struct udev *hmctl_udev(void)
{
	static struct udev *udev;

	if (!udev) {
		udev = udev_new();
		if (!udev) {
			hmctl_err("libudev: cannot initialize");
			exit(HMCTL_EFAIL);
		}
	}
	return udev;
}

/* 1 when the driver's classes exist */
int hmctl_have_module(void)
{
	struct stat st;

	return !stat("/sys/class/heatmeter_bus", &st);
}

/*
 * Read one attribute with its errno: a meter's quantity attributes fail
 * with ENODATA, ETIMEDOUT, EIO, ... and that is information, not noise.
 * Returns 0 or the errno; the trailing newline is removed.
 */
int hmctl_read_attr(const char *syspath, const char *attr, char *buf,
		    size_t size)
{
	char path[512];
	ssize_t n;
	int fd, err;

	buf[0] = 0;
	snprintf(path, sizeof(path), "%s/%s", syspath, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	n = read(fd, buf, size - 1);
	err = n < 0 ? errno : 0;
	close(fd);
	if (err)
		return err;
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return 0;
}

int hmctl_write_attr(const char *syspath, const char *attr, const char *val)
{
	char path[512];
	size_t len = strlen(val);
	ssize_t n;
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s", syspath, attr);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	n = write(fd, val, len);
	err = n < 0 ? errno : (size_t)n != len ? EIO : 0;
	close(fd);
	return err;
}

const char *hmctl_prop(struct udev_device *d, const char *key)
{
	const char *v = udev_device_get_property_value(d, key);

	return v ? v : "";
}

/* the name of the meter's bus (its parent), or "" */
const char *hmctl_bus_of(struct udev_device *meter)
{
	struct udev_device *p = udev_device_get_parent(meter);

	return p ? udev_device_get_sysname(p) : "";
}

static int meter_matches(struct udev_device *d, const char *arg,
			 dev_t rdev, int have_rdev)
{
	const char *proto = hmctl_prop(d, "HEATMETER_PROTOCOL");
	const char *addr = hmctl_prop(d, "HEATMETER_ADDRESS");
	const char *id = hmctl_prop(d, "HEATMETER_ID");
	const char *man = hmctl_prop(d, "HEATMETER_MANUFACTURER");
	const char *colon = strchr(arg, ':');
	char buf[96];

	if (have_rdev)
		return udev_device_get_devnum(d) == rdev;
	if (!strcmp(arg, udev_device_get_sysname(d)))
		return 1;
	/* BUS:ADDRESS, e.g. hmbus0:5 */
	if (colon) {
		size_t bl = (size_t)(colon - arg);
		const char *bus = hmctl_bus_of(d);

		return strlen(bus) == bl && !strncmp(arg, bus, bl) &&
		       meter_matches(d, colon + 1, rdev, 0);
	}
	if (!strcmp(arg, addr))
		return 1;
	/* by-address and by-id link names */
	snprintf(buf, sizeof(buf), "%s-%s", proto, addr);
	if (!strcmp(arg, buf))
		return 1;
	if (*man && *id) {
		snprintf(buf, sizeof(buf), "%s-%s", man, id);
		if (!strcmp(arg, buf))
			return 1;
	}
	return 0;
}

/*
 * METER: heatmeterN, /dev/heatmeterN or any path to it (by-address and
 * by-id links), a by-address (PROTOCOL-ADDRESS) or by-id (MAN-ID) name,
 * an address, or BUS:ADDRESS. On failure prints why, sets *ret to an exit
 * code and returns NULL.
 */
struct udev_device *hmctl_find_meter(const char *arg, int *ret)
{
	struct udev *udev = hmctl_udev();
	struct udev_enumerate *en;
	struct udev_list_entry *e;
	struct udev_device *found = NULL;
	char names[256] = "";
	int n = 0, have_rdev = 0;
	dev_t rdev = 0;
	struct stat st;

	if (!hmctl_have_module()) {
		hmctl_err("the heatmeter module is not loaded (no /sys/class/heatmeter_bus)");
		*ret = HMCTL_ENOTFOUND;
		return NULL;
	}
	if (strchr(arg, '/')) {
		if (stat(arg, &st) || !S_ISCHR(st.st_mode)) {
			hmctl_err("%s: %s", arg, errno ? strerror(errno) :
				  "not a character device");
			*ret = HMCTL_ENOTFOUND;
			return NULL;
		}
		rdev = st.st_rdev;
		have_rdev = 1;
	}
	en = udev_enumerate_new(udev);
	udev_enumerate_add_match_subsystem(en, "heatmeter");
	udev_enumerate_scan_devices(en);
	udev_list_entry_foreach(e, udev_enumerate_get_list_entry(en)) {
		struct udev_device *d;

		d = udev_device_new_from_syspath(udev, udev_list_entry_get_name(e));
		if (!d)
			continue;
		if (meter_matches(d, arg, rdev, have_rdev)) {
			n++;
			if (strlen(names) + 40 < sizeof(names))
				snprintf(names + strlen(names), sizeof(names) - strlen(names),
					 " %s (%s:%s)", udev_device_get_sysname(d),
					 hmctl_bus_of(d), hmctl_prop(d, "HEATMETER_ADDRESS"));
			if (!found) {
				found = d;
				continue;
			}
		}
		udev_device_unref(d);
	}
	udev_enumerate_unref(en);
	if (n == 1)
		return found;
	if (found)
		udev_device_unref(found);
	if (!n) {
		hmctl_err("%s: no such meter", arg);
		*ret = HMCTL_ENOTFOUND;
	} else {
		hmctl_err("%s: ambiguous, %d meters:%s; name one as BUS:ADDRESS or heatmeterN",
			  arg, n, names);
		*ret = HMCTL_EUSAGE;
	}
	return NULL;
}

/*
 * The kernel's name of a tty (tty_name(): "ttyUSB0", "pts3") from a path
 * or a name, following links such as /dev/serial/by-id/... .
 */
char *hmctl_tty_name(const char *arg, char *out, size_t size)
{
	char path[PATH_MAX], real[PATH_MAX];
	const char *p = arg;

	if (!strchr(arg, '/')) {
		snprintf(path, sizeof(path), "/dev/%s", arg);
		p = path;
	}
	if (realpath(p, real))
		p = real;
	if (!strncmp(p, "/dev/pts/", 9))
		snprintf(out, size, "pts%s", p + 9);
	else
		snprintf(out, size, "%s", strrchr(p, '/') ? strrchr(p, '/') + 1 : p);
	return out;
}

/* BUS: hmbusN, or its tty as ttyS2, /dev/ttyS2 or a link to it */
struct udev_device *hmctl_find_bus(const char *arg, int *ret)
{
	struct udev *udev = hmctl_udev();
	struct udev_enumerate *en;
	struct udev_list_entry *e;
	struct udev_device *found = NULL;
	char name[64];

	if (!strncmp(arg, "hmbus", 5))
		snprintf(name, sizeof(name), "%s", arg);
	else
		hmctl_tty_name(arg, name, sizeof(name));

	if (!hmctl_have_module()) {
		hmctl_err("the heatmeter module is not loaded (no /sys/class/heatmeter_bus)");
		*ret = HMCTL_ENOTFOUND;
		return NULL;
	}
	en = udev_enumerate_new(udev);
	udev_enumerate_add_match_subsystem(en, "heatmeter_bus");
	udev_enumerate_scan_devices(en);
	udev_list_entry_foreach(e, udev_enumerate_get_list_entry(en)) {
		const char *sp = udev_list_entry_get_name(e);
		char tty[64];
		struct udev_device *d;

		if (hmctl_read_attr(sp, "tty", tty, sizeof(tty)))
			tty[0] = 0;
		d = udev_device_new_from_syspath(udev, sp);
		if (!d)
			continue;
		if (!found && (!strcmp(name, udev_device_get_sysname(d)) ||
			       !strcmp(name, tty))) {
			found = d;
			continue;
		}
		udev_device_unref(d);
	}
	udev_enumerate_unref(en);
	if (!found) {
		hmctl_err("%s: no such bus (attach the tty first: heatmeterctl attach TTY)",
			  arg);
		*ret = HMCTL_ENOTFOUND;
	}
	return found;
}

/* v / 10^decimals as an exact decimal, trailing zeros trimmed ("75.31") */
char *hmctl_fixed(char *buf, size_t size, int64_t v, unsigned int decimals)
{
	uint64_t a = v < 0 ? -(uint64_t)v : (uint64_t)v, p = 1;
	unsigned int i;
	size_t n;

	for (i = 0; i < decimals; i++)
		p *= 10;
	if (!decimals) {
		snprintf(buf, size, "%" PRId64, v);
		return buf;
	}
	snprintf(buf, size, "%s%" PRIu64 ".%0*" PRIu64, v < 0 ? "-" : "",
		 a / p, (int)decimals, a % p);
	n = strlen(buf);
	while (n > 2 && buf[n - 1] == '0' && buf[n - 2] != '.')
		buf[--n] = 0;
	return buf;
}

/* CLOCK_REALTIME ns as ISO 8601 UTC with milliseconds */
char *hmctl_iso_time(char *buf, size_t size, int64_t real_ns)
{
	time_t s = (time_t)(real_ns / 1000000000);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)(real_ns / 1000000 % 1000));
	return buf;
}

/* the exact decimal as a JSON number (json-c keeps the text as given) */
void hmctl_json_fixed(struct json_object *o, const char *key, int64_t v,
		      unsigned int decimals)
{
	char buf[48];

	hmctl_fixed(buf, sizeof(buf), v, decimals);
	if (!decimals)
		json_object_object_add(o, key, json_object_new_int64(v));
	else
		json_object_object_add(o, key,
				       json_object_new_double_s(strtod(buf, NULL), buf));
}

static void meter_time_str(char *buf, size_t size, const struct heatmeter_time *t)
{
	if (t->has_time)
		snprintf(buf, size, "%04u-%02u-%02uT%02u:%02u:%02u", t->year,
			 t->month, t->day, t->hour, t->minute, t->second);
	else
		snprintf(buf, size, "%04u-%02u-%02u", t->year, t->month, t->day);
}

/* the fields of one reading (read(), the READ ioctl) */
void hmctl_json_reading(struct json_object *o, const struct heatmeter_reading *r)
{
	char buf[64];
	unsigned int q;

	json_object_object_add(o, "seq", json_object_new_uint64(r->seq));
	if (r->flags & HEATMETER_RD_DROPPED) {
		json_object_object_add(o, "dropped", json_object_new_int64(r->dropped));
		return;
	}
	if (r->ts.complete_real)
		json_object_object_add(o, "time",
				       json_object_new_string(hmctl_iso_time(buf, sizeof(buf),
									     r->ts.complete_real)));
	if (r->error) {
		json_object_object_add(o, "error",
				       json_object_new_string(hmctl_errno_name(-r->error)));
		json_object_object_add(o, "error_message",
				       json_object_new_string(strerror(-r->error)));
		return;
	}
	for (q = 0; q < sizeof(hmctl_quantities) / sizeof(hmctl_quantities[0]); q++)
		if (r->valid & (1U << q))
			hmctl_json_fixed(o, hmctl_quantities[q].json, r->values[q],
					 hmctl_quantities[q].shift);
	if (r->valid & (1U << HEATMETER_Q_METER_TIME)) {
		meter_time_str(buf, sizeof(buf), &r->meter_time);
		json_object_object_add(o, "meter_time", json_object_new_string(buf));
	}
	if (r->flags & HEATMETER_RD_STATUS)
		json_object_object_add(o, "status", json_object_new_int64(r->status));
	if (r->flags & HEATMETER_RD_HIGHRES)
		json_object_object_add(o, "high_resolution", json_object_new_boolean(1));
	if (r->flags & HEATMETER_RD_TEST_MODE)
		json_object_object_add(o, "test_mode", json_object_new_boolean(1));
	json_object_object_add(o, "tries", json_object_new_int64(r->tries));
}

/* " energy 2345.67 kWh volume ..." on one line */
void hmctl_text_reading(FILE *f, const struct heatmeter_reading *r)
{
	char buf[64];
	unsigned int q;

	if (r->flags & HEATMETER_RD_DROPPED) {
		fprintf(f, " dropped %u readings", r->dropped);
		return;
	}
	if (r->error) {
		fprintf(f, " error %s (%s)", hmctl_errno_name(-r->error),
			strerror(-r->error));
		return;
	}
	for (q = 0; q < sizeof(hmctl_quantities) / sizeof(hmctl_quantities[0]); q++)
		if (r->valid & (1U << q))
			fprintf(f, " %s %s %s", hmctl_quantities[q].attr,
				hmctl_fixed(buf, sizeof(buf), r->values[q],
					    hmctl_quantities[q].shift),
				hmctl_quantities[q].unit);
	if (r->valid & (1U << HEATMETER_Q_METER_TIME)) {
		meter_time_str(buf, sizeof(buf), &r->meter_time);
		fprintf(f, " meter_time %s", buf);
	}
}

void hmctl_json_print(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					       JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
}
