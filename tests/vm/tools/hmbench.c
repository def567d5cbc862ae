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
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
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

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "readlat"))
		return cmd_readlat(argv[2], atoi(argv[3]), atoi(argv[4]));
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
