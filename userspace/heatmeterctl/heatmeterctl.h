/* SPDX-License-Identifier: GPL-2.0 */
/* heatmeterctl - declarations shared by main.c and the subcommands */
#ifndef HEATMETERCTL_H
#define HEATMETERCTL_H

#include <stdint.h>
#include <stdio.h>

struct udev;
struct udev_device;
struct json_object;
struct heatmeter_reading;

struct hmctl_cmd {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);	/* argv[0] is the subcommand */
};

/*
 * Exit codes: documented in heatmeterctl(1), section EXIT STATUS. Scripts
 * rely on them: never renumber, only add.
 */
enum {
	HMCTL_OK = 0,		/* done */
	HMCTL_EFAIL = 1,	/* the meter or the line failed the operation */
	HMCTL_EUSAGE = 2,	/* bad command line */
	HMCTL_ENOTFOUND = 3,	/* no such meter, bus or tty; module not loaded */
	HMCTL_EPERM = 4,	/* permission denied */
	HMCTL_ENODEV = 5,	/* the line is gone: adapter unplugged, hangup */
	HMCTL_ETIMEDOUT = 6,	/* the meter did not answer */
	HMCTL_EBUSY = 7,	/* busy: a scan runs, the tty is in use */
};

#define HEATMETER_LDISC 29	/* N_DEVELOPMENT: see Documentation/heatmeter.rst */

int hmctl_decode(int argc, char **argv);
int hmctl_verify(int argc, char **argv);
int hmctl_list(int argc, char **argv);
int hmctl_monitor(int argc, char **argv);
int hmctl_read(int argc, char **argv);
int hmctl_scan(int argc, char **argv);
int hmctl_attach(int argc, char **argv);
int hmctl_detach(int argc, char **argv);

/* common.c */
extern const char *hmctl_prog;
void hmctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int hmctl_exit_for_errno(int err);
const char *hmctl_errno_name(int err);
struct udev *hmctl_udev(void);
int hmctl_have_module(void);
int hmctl_read_attr(const char *syspath, const char *attr, char *buf,
		    size_t size);
int hmctl_write_attr(const char *syspath, const char *attr, const char *val);
struct udev_device *hmctl_find_meter(const char *arg, int *ret);
struct udev_device *hmctl_find_bus(const char *arg, int *ret);
char *hmctl_tty_name(const char *arg, char *out, size_t size);
const char *hmctl_prop(struct udev_device *d, const char *key);
const char *hmctl_bus_of(struct udev_device *meter);
char *hmctl_fixed(char *buf, size_t size, int64_t v, unsigned int decimals);
char *hmctl_iso_time(char *buf, size_t size, int64_t real_ns);

/*
 * One quantity as users see it: the driver's exact integer, a human unit,
 * the JSON key that carries the unit, and the decimal shift between them.
 */
struct hmctl_quantity {
	const char *attr;	/* sysfs attribute, "energy" */
	const char *json;	/* JSON key, "energy_kwh" */
	const char *unit;	/* text unit, "kWh" */
	unsigned int shift;	/* unit = driver value / 10^shift */
};
extern const struct hmctl_quantity hmctl_quantities[9];

void hmctl_json_fixed(struct json_object *o, const char *key, int64_t v,
		      unsigned int decimals);
void hmctl_json_reading(struct json_object *o,
			const struct heatmeter_reading *r);
void hmctl_text_reading(FILE *f, const struct heatmeter_reading *r);
void hmctl_json_print(struct json_object *o);

#endif
