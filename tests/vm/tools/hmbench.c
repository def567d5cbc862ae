// SPDX-License-Identifier: GPL-2.0
/*
 * hmbench: the guest half of make bench (static). Output: key=value lines,
 * times in ns of CLOCK_MONOTONIC (the clock of the driver's timestamps).
 *
 *   hmbench readlat DEV COUNT GAP_MS
 *       COUNT reads (HEATMETER_IOC_READ on one fd, GAP_MS apart so that
 *       each starts on an idle bus) while a child sleeps in read() on a
 *       second fd; per reading: the kernel's instants and when the
 *       sleeping reader had it (delivered).
 *   hmbench sync COUNT IN_MS DEV...
 *       COUNT rounds of SYNC, all DEVs armed for one instant IN_MS ahead,
 *       and the test module's bare hrtimer (debugfs hmbench/arm) armed for
 *       the same instant first; per round the SYNC lateness of each port
 *       (tx_start - at), then the hrtimer's lateness of every round.
 *   hmbench open DEV N
 *       open DEV N times, print "opened=N", sleep until killed.
 *   hmbench upoll SECONDS TTY...
 *       the userspace master (libmbus's way) the driver is compared with:
 *       per TTY a process polls M-Bus primary addresses 1..250 round-robin
 *       over n_tty (raw, 2400 8E1): REQ_UD2, the reply read to its end or
 *       a 200 ms window, the M-Bus idle (N_TTY set on each: a pty keeps
 *       heatmeter while its master is open); prints "exchanges=N" per TTY,
 *       then the children's CPU time ("cpu_us=USER+SYS").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <linux/heatmeter.h>

#define MAXDEV 16
#define HMB_ARM "/sys/kernel/debug/hmbench/arm"
#define HMB_LATE "/sys/kernel/debug/hmbench/late"

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int xopen(const char *dev, int flags)
{
	int fd = open(dev, flags);

	if (fd < 0) {
		printf("open=%s error=%s\n", dev, strerror(errno));
		exit(1);
	}
	return fd;
}

static int cmd_readlat(const char *dev, int count, int gap_ms)
{
	int sfd = xopen(dev, O_RDONLY), cfd = xopen(dev, O_RDWR), i, st;
	struct heatmeter_reading rd;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		for (i = 0; i < count; i++) {
			ssize_t n = read(sfd, &rd, sizeof(rd));
			int64_t dl = now_ns();

			if (n != (ssize_t)sizeof(rd)) {
				printf("read=%s\n", strerror(errno));
				_exit(1);
			}
			printf("rd=%d error=%d queued=%lld tx_start=%lld tx_done=%lld rx_first=%lld rx_last=%lld delivered=%lld\n",
			       i, rd.error, (long long)rd.ts.queued,
			       (long long)rd.ts.tx_start, (long long)rd.ts.tx_done,
			       (long long)rd.ts.rx_first, (long long)rd.ts.rx_last,
			       (long long)dl);
			fflush(stdout);
		}
		_exit(0);
	}
	/* the child is asleep in read() before the first request */
	usleep(200000);
	for (i = 0; i < count; i++) {
		memset(&rd, 0, sizeof(rd));
		rd.size = sizeof(rd);
		if (ioctl(cfd, HEATMETER_IOC_READ, &rd))
			printf("ioctl=%s\n", strerror(errno));
		usleep(gap_ms * 1000);
	}
	waitpid(pid, &st, 0);
	return !WIFEXITED(st) || WEXITSTATUS(st);
}

static void put_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		printf("write=%s error=%s\n", path, strerror(errno));
		exit(1);
	}
	close(fd);
}

static int cmd_sync(int count, int in_ms, int n, char **devs)
{
	struct heatmeter_sync s[MAXDEV];
	int fds[MAXDEV], i, k, rc = 0;
	char buf[64];
	FILE *f;

	if (n > MAXDEV)
		n = MAXDEV;
	for (i = 0; i < n; i++)
		fds[i] = xopen(devs[i], O_RDWR);
	put_file(HMB_LATE, "0\n");
	for (k = 0; k < count; k++) {
		int64_t at = now_ns() + in_ms * 1000000LL;

		snprintf(buf, sizeof(buf), "%lld\n", (long long)at);
		put_file(HMB_ARM, buf);
		for (i = 0; i < n; i++) {
			memset(&s[i], 0, sizeof(s[i]));
			s[i].size = sizeof(s[i]);
			s[i].flags = HEATMETER_ASYNC;
			s[i].at = at;
			if (ioctl(fds[i], HEATMETER_IOC_SYNC, &s[i])) {
				printf("sync-arm=%s\n", strerror(errno));
				return 1;
			}
		}
		printf("round=%d", k);
		for (i = 0; i < n; i++) {
			s[i].flags = HEATMETER_WAIT;
			if (ioctl(fds[i], HEATMETER_IOC_SYNC, &s[i])) {
				printf(" sync-wait=%s\n", strerror(errno));
				return 1;
			}
			if (s[i].reading.error)
				rc = 1;
			printf(" %lld:%d", (long long)(s[i].reading.ts.tx_start - at),
			       s[i].reading.error);
		}
		printf("\n");
		usleep(20000);
	}
	f = fopen(HMB_LATE, "r");
	while (f && fgets(buf, sizeof(buf), f))
		printf("hrtimer=%s", buf);
	if (f)
		fclose(f);
	return rc;
}

/* one M-Bus exchange of the userspace master: 1 = a whole reply */
static int upoll_one(int fd, int a)
{
	unsigned char req[5] = { 0x10, 0x5b, a, (0x5b + a) & 0xff, 0x16 };
	unsigned char buf[300];
	int64_t end;
	int got = 0, n;

	if (write(fd, req, sizeof(req)) != (ssize_t)sizeof(req))
		return 0;
	end = now_ns() + 200000000LL;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = end - now_ns();

		if (left <= 0 || poll(&p, 1, (int)(left / 1000000) + 1) <= 0)
			return 0;
		n = read(fd, buf + got, sizeof(buf) - got);
		if (n <= 0)
			return 0;
		got += n;
		if (buf[0] == 0xe5)
			return 1;
		if (buf[0] == 0x68 && got >= 2 && got >= buf[1] + 6)
			return 1;
		if (got == (int)sizeof(buf))
			return 0;
	}
}

static int cmd_upoll(int seconds, int n, char **ttys)
{
	struct rusage ru;
	int i, st;

	for (i = 0; i < n; i++) {
		if (fork() == 0) {
			int fd = xopen(ttys[i], O_RDWR | O_NOCTTY), a = 1;
			int64_t end = now_ns() + seconds * 1000000000LL;
			struct timespec idle = { 0, 13750000 };	/* 33 bits */
			struct termios tio;
			long ok = 0, tries = 0;
			char line[128];

			/* a pty keeps its discipline while its master is open */
			if (ioctl(fd, TIOCSETD, &(int){ N_TTY }))
				printf("tty=%s ldisc=%s\n", ttys[i], strerror(errno));
			tcgetattr(fd, &tio);
			cfmakeraw(&tio);
			cfsetspeed(&tio, B2400);
			tio.c_cflag |= PARENB | CS8 | CREAD | CLOCAL;
			tio.c_cflag &= ~(PARODD | CSTOPB);
			tio.c_iflag |= INPCK;
			tio.c_cc[VMIN] = 0;
			tio.c_cc[VTIME] = 0;
			tcsetattr(fd, TCSANOW, &tio);
			tcflush(fd, TCIOFLUSH);
			while (now_ns() < end) {
				ok += upoll_one(fd, a);
				tries++;
				a = a % 250 + 1;
				nanosleep(&idle, NULL);
			}
			snprintf(line, sizeof(line), "tty=%s exchanges=%ld tries=%ld\n",
				 ttys[i], ok, tries);
			if (write(1, line, strlen(line)) < 0)
				_exit(1);
			_exit(0);
		}
	}
	while (wait(&st) > 0)
		;
	getrusage(RUSAGE_CHILDREN, &ru);
	printf("cpu_us=%lld+%lld\n",
	       (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
	       (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "readlat"))
		return cmd_readlat(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc > 3 && !strcmp(argv[1], "upoll"))
		return cmd_upoll(atoi(argv[2]), argc - 3, argv + 3);
	if (argc > 4 && !strcmp(argv[1], "sync"))
		return cmd_sync(atoi(argv[2]), atoi(argv[3]), argc - 4, argv + 4);
	if (argc == 4 && !strcmp(argv[1], "open")) {
		int i, n = atoi(argv[3]);

		for (i = 0; i < n; i++)
			xopen(argv[2], O_RDONLY);
		printf("opened=%d\n", n);
		fflush(stdout);
		for (;;)
			pause();
	}
	fprintf(stderr, "usage: see the source\n");
	return 2;
}
