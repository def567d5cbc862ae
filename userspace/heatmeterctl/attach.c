// SPDX-License-Identifier: GPL-2.0
/*
 * heatmeterctl attach [--baud N] [--protocol cjt188|mbus] [--scan SPEC]
 *                     [--no-udev] TTY
 *   sets the heatmeter line discipline (29, N_DEVELOPMENT) on TTY and the
 *   line settings, as ldattach does, and stays in the foreground holding
 *   the line (for systemd) until a signal, a detach or a hangup.
 * heatmeterctl detach TTY
 *   puts N_TTY back on TTY: its bus and meters go away.
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
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <libudev.h>

#include "heatmeterctl.h"

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static speed_t speed_of(long baud)
{
	static const struct { long b; speed_t s; } tab[] = {
		{ 300, B300 }, { 600, B600 }, { 1200, B1200 }, { 2400, B2400 },
		{ 4800, B4800 }, { 9600, B9600 }, { 19200, B19200 },
		{ 38400, B38400 }, { 57600, B57600 }, { 115200, B115200 },
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (tab[i].b == baud)
			return tab[i].s;
	return 0;
}

/* the bus the kernel made for this tty, waiting up to 2 s */
static struct udev_device *bus_of_tty(const char *ttyname)
{
	struct udev_device *bus;
	int i, ret, fd;

	/* hmctl_find_bus prints when it fails: keep quiet while waiting */
	for (i = 0; i < 20; i++) {
		int saved = dup(2);

		fd = open("/dev/null", O_WRONLY);
		dup2(fd, 2);
		close(fd);
		bus = hmctl_find_bus(ttyname, &ret);
		dup2(saved, 2);
		close(saved);
		if (bus)
			return bus;
		usleep(100000);
	}
	return NULL;
}

static int open_tty(const char *path)
{
	int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		int err = errno;

		hmctl_err("%s: %s", path, strerror(err));
		return -hmctl_exit_for_errno(err);
	}
	if (!isatty(fd)) {
		hmctl_err("%s: not a tty", path);
		close(fd);
		return -HMCTL_EUSAGE;
	}
	return fd;
}

static void attach_usage(FILE *f)
{
	fprintf(f, "usage: heatmeterctl attach [--baud N] [--protocol cjt188|mbus] [--scan SPEC] [--no-udev] TTY\n"
		   "       heatmeterctl detach TTY\n");
}

int hmctl_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "baud", required_argument, NULL, 'b' },
		{ "protocol", required_argument, NULL, 'p' },
		{ "scan", required_argument, NULL, 's' },
		{ "no-udev", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *protocol = NULL, *scan = NULL, *path, *ttyname;
	char bsp[256], bname[32], devpath[128], tname[64];
	struct udev_device *bus;
	struct sigaction sa;
	struct termios tio;
	long baud = 0;
	int c, fd, ld = HEATMETER_LDISC, cur, err, use_udev = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "b:p:s:nh", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			baud = atol(optarg);
			if (!speed_of(baud)) {
				hmctl_err("attach: unsupported baud rate '%s'", optarg);
				return HMCTL_EUSAGE;
			}
			break;
		case 'p':
			protocol = optarg;
			if (strcmp(protocol, "cjt188") && strcmp(protocol, "mbus")) {
				hmctl_err("attach: protocol is cjt188 or mbus");
				return HMCTL_EUSAGE;
			}
			break;
		case 's':
			scan = optarg;
			break;
		case 'n':
			use_udev = 0;
			break;
		case 'h':
			attach_usage(stdout);
			return HMCTL_OK;
		default:
			attach_usage(stderr);
			return HMCTL_EUSAGE;
		}
	}
	if (optind != argc - 1) {
		attach_usage(stderr);
		return HMCTL_EUSAGE;
	}
	path = argv[optind];
	if (!strchr(path, '/')) {
		snprintf(devpath, sizeof(devpath), "/dev/%s", path);
		path = devpath;
	}
	ttyname = hmctl_tty_name(path, tname, sizeof(tname));

	/* settings the admin gave the port in udev (ENV{HEATMETER_BAUD}, ...) */
	if (use_udev) {
		struct udev_device *t;

		t = udev_device_new_from_subsystem_sysname(hmctl_udev(), "tty", ttyname);
		if (t) {
			const char *v = hmctl_prop(t, "HEATMETER_BAUD");

			if (!baud && *v && speed_of(atol(v)))
				baud = atol(v);
			v = hmctl_prop(t, "HEATMETER_PROTOCOL");
			if (!protocol && (!strcmp(v, "cjt188") || !strcmp(v, "mbus")))
				protocol = strdup(v);
			v = hmctl_prop(t, "HEATMETER_SCAN");
			if (!scan && *v)
				scan = strdup(v);
			/* t is kept: the strings above may point into it */
		}
	}

	fd = open_tty(path);
	if (fd < 0)
		return -fd;
	if (!ioctl(fd, TIOCGETD, &cur) && cur == HEATMETER_LDISC) {
		hmctl_err("%s: already attached (another heatmeterctl attach or ldattach holds it)",
			  path);
		close(fd);
		return HMCTL_EBUSY;
	}
	/*
	 * The line settings first, as ldattach does: raw, 8E1, input parity
	 * checking, no flow control, the speed. (The discipline sets 2400
	 * 8E1 itself when it opens; a pty drops the parity bit.)
	 */
	if (!tcgetattr(fd, &tio)) {
		cfmakeraw(&tio);
		tio.c_cflag &= ~(CSIZE | PARODD | CSTOPB | CRTSCTS);
		tio.c_cflag |= CS8 | PARENB | CREAD | CLOCAL;
		tio.c_iflag |= INPCK;
		cfsetispeed(&tio, speed_of(baud ? baud : 2400));
		cfsetospeed(&tio, speed_of(baud ? baud : 2400));
		tcsetattr(fd, TCSANOW, &tio);
	}
	if (ioctl(fd, TIOCSETD, &ld)) {
		err = errno;
		if (err == EINVAL)
			hmctl_err("%s: line discipline %d is not registered: load the module (modprobe heatmeter)",
				  path, HEATMETER_LDISC);
		else if (err == EPERM)
			hmctl_err("%s: attaching needs CAP_SYS_ADMIN", path);
		else
			hmctl_err("%s: TIOCSETD %d: %s", path, HEATMETER_LDISC, strerror(err));
		close(fd);
		return err == EINVAL ? HMCTL_ENOTFOUND : hmctl_exit_for_errno(err);
	}
	/* the discipline set 2400 Bd when it opened; a speed given replaces it */
	if (baud && !tcgetattr(fd, &tio)) {
		cfsetispeed(&tio, speed_of(baud));
		cfsetospeed(&tio, speed_of(baud));
		if (tcsetattr(fd, TCSANOW, &tio))
			hmctl_err("%s: cannot set %ld Bd: %s", path, baud, strerror(errno));
	}
	bus = bus_of_tty(ttyname);
	if (!bus) {
		hmctl_err("%s: attached, but no heatmeter bus appeared", path);
		close(fd);
		return HMCTL_EFAIL;
	}
	snprintf(bsp, sizeof(bsp), "%s", udev_device_get_syspath(bus));
	snprintf(bname, sizeof(bname), "%s", udev_device_get_sysname(bus));
	udev_device_unref(bus);
	if (protocol) {
		err = hmctl_write_attr(bsp, "protocol", protocol);
		if (err)
			hmctl_err("%s: protocol %s: %s", bname, protocol, strerror(err));
	}
	{
		char b[16] = "?";

		hmctl_read_attr(bsp, "baud", b, sizeof(b));
		printf("%s: attached as %s, %s Bd 8E1\n", path, bname, b);
		fflush(stdout);
	}
	if (scan) {
		err = hmctl_write_attr(bsp, "scan", scan);
		if (err)
			hmctl_err("%s: scan '%s': %s", bname, scan, strerror(err));
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/*
	 * Hold the line. The discipline has no poll(), so poll() on the tty
	 * only wakes for a hangup's hung-up file operations: check once a
	 * second whether the line is still ours.
	 */
	for (;;) {
		struct pollfd p = { .fd = fd, .events = 0 };
		struct stat st;
		int n = poll(&p, 1, 1000);

		if (got_signal) {
			int ntty = 0;

			ioctl(fd, TIOCSETD, &ntty);
			printf("%s: detached (signal %d)\n", path, (int)got_signal);
			close(fd);
			return HMCTL_OK;
		}
		if ((n > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL))) ||
		    ioctl(fd, TIOCGETD, &cur)) {
			hmctl_err("%s: the line hung up (adapter unplugged?); %s is gone",
				  path, bname);
			close(fd);
			return HMCTL_ENODEV;
		}
		if (cur != HEATMETER_LDISC) {
			printf("%s: detached by another process\n", path);
			close(fd);
			return HMCTL_OK;
		}
		if (stat(bsp, &st)) {
			hmctl_err("%s: %s is gone", path, bname);
			close(fd);
			return HMCTL_ENODEV;
		}
	}
}

int hmctl_detach(int argc, char **argv)
{
	char devpath[128];
	const char *path;
	int fd, cur, ntty = 0;

	if (argc != 2 || argv[1][0] == '-') {
		attach_usage(argc == 2 && !strcmp(argv[1], "--help") ? stdout : stderr);
		return argc == 2 && !strcmp(argv[1], "--help") ? HMCTL_OK : HMCTL_EUSAGE;
	}
	path = argv[1];
	if (!strchr(path, '/')) {
		snprintf(devpath, sizeof(devpath), "/dev/%s", path);
		path = devpath;
	}
	fd = open_tty(path);
	if (fd < 0)
		return -fd;
	if (ioctl(fd, TIOCGETD, &cur)) {
		hmctl_err("%s: %s", path, strerror(errno));
		close(fd);
		return hmctl_exit_for_errno(errno);
	}
	if (cur != HEATMETER_LDISC) {
		hmctl_err("%s: not attached (line discipline %d)", path, cur);
		close(fd);
		return HMCTL_ENOTFOUND;
	}
	if (ioctl(fd, TIOCSETD, &ntty)) {
		int err = errno;

		hmctl_err("%s: TIOCSETD 0: %s", path, strerror(err));
		close(fd);
		return hmctl_exit_for_errno(err);
	}
	close(fd);
	printf("%s: detached\n", path);
	return HMCTL_OK;
}
