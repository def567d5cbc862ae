// SPDX-License-Identifier: GPL-2.0
/*
 * hmcdev: drives /dev/heatmeterN for the guest tests (static, no libc
 * extras). Output is key=value lines; errors are printed as errno names.
 *
 *   hmcdev info DEV
 *   hmcdev read DEV                      HEATMETER_IOC_READ
 *   hmcdev stream DEV COUNT [MS]         poll()+read() COUNT records
 *   hmcdev nbread DEV | shortread DEV | blockread DEV
 *   hmcdev testmode DEV on|off
 *   hmcdev simflow DEV on|off
 *   hmcdev startstop [--wait MS] DEV...
 *   hmcdev sync [--in MS] [--count K] [--trigger] [--realtime] [--past] DEV...
 *   hmcdev raw DEV C HEX [CI]
 *   hmcdev perm DEV r|w|rw               every ioctl's result on such an fd
 *   hmcdev fuzz DEV N [SEED]             N random ioctls
 *   hmcdev bsync DEV MS [trigger]        one blocking SYNC MS ahead
 *   hmcdev tworead DEV [N]               two threads in read() on one fd
 *   hmcdev faultread DEV                 read() whose 2nd record faults
 *   hmcdev stopclear DEV                 STOP's outputs are all written
 *   hmcdev rawclear DEV C HEX            RAW NO_REPLY clears its outputs
 *   hmcdev cancelquiet DEV               a cancelled SYNC is no reading
 *   hmcdev ptmx                          TIOCSETD heatmeter on a pty master
 *   hmcdev ldswitch TTY MS               heatmeter for MS ms, then N_TTY
 *   hmcdev flood DEV THREADS             THREADS blocking READs on one fd
 *   hmcdev --uid UID COMMAND...          the same as that user (no caps)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <grp.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/heatmeter.h>

#define MAXDEV 16

static const char *ename(int e)
{
	switch (e) {
	case 0: return "ok";
	case EPERM: return "EPERM";
	case EBADF: return "EBADF";
	case EINVAL: return "EINVAL";
	case ENOTTY: return "ENOTTY";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENODEV: return "ENODEV";
	case EAGAIN: return "EAGAIN";
	case EBUSY: return "EBUSY";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EFAULT: return "EFAULT";
	case EIO: return "EIO";
	case EINTR: return "EINTR";
	case ENOENT: return "ENOENT";
	case EREMOTEIO: return "EREMOTEIO";
	default: return "E?";
	}
}

static int64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int xopen(const char *dev, int flags)
{
	int fd = open(dev, flags);

	if (fd < 0) {
		printf("open=%s\n", ename(errno));
		exit(1);
	}
	return fd;
}

static void print_reading(const char *pfx, const struct heatmeter_reading *r)
{
	printf("%sseq=%llu %sflags=0x%x %serror=%d %svalid=0x%x %stries=%u",
	       pfx, (unsigned long long)r->seq, pfx, r->flags, pfx, r->error,
	       pfx, r->valid, pfx, r->tries);
	if (r->flags & HEATMETER_RD_DROPPED)
		printf(" %sdropped=%u", pfx, r->dropped);
	if (r->valid & (1U << HEATMETER_Q_ENERGY))
		printf(" %senergy=%lld", pfx, (long long)r->values[HEATMETER_Q_ENERGY]);
	if (r->valid & (1U << HEATMETER_Q_VOLUME))
		printf(" %svolume=%lld", pfx, (long long)r->values[HEATMETER_Q_VOLUME]);
	if (r->valid & (1U << HEATMETER_Q_SUPPLY_TEMP))
		printf(" %ssupply_temp=%lld", pfx,
		       (long long)r->values[HEATMETER_Q_SUPPLY_TEMP]);
	printf(" %squeued=%lld %stx_start=%lld %stx_done=%lld %srx_first=%lld %srx_last=%lld %sreal=%lld",
	       pfx, (long long)r->ts.queued, pfx, (long long)r->ts.tx_start,
	       pfx, (long long)r->ts.tx_done, pfx, (long long)r->ts.rx_first,
	       pfx, (long long)r->ts.rx_last, pfx, (long long)r->ts.complete_real);
}

static int cmd_info(const char *dev)
{
	struct heatmeter_info in = { .size = sizeof(in) };
	int fd = xopen(dev, O_RDONLY);

	if (ioctl(fd, HEATMETER_IOC_GET_INFO, &in)) {
		printf("info=%s\n", ename(errno));
		return 1;
	}
	printf("protocol=%u address=%s id=%s manufacturer=%s profile=%s bus=%s caps=0x%x test_mode=%u expires=%lld medium=%u type=0x%x\n",
	       in.protocol, in.address, in.id, in.manufacturer, in.profile,
	       in.bus, in.caps, in.test_mode, (long long)in.test_mode_expires,
	       in.medium, in.meter_type);
	return 0;
}

static int cmd_read(const char *dev)
{
	struct heatmeter_reading r = { .size = sizeof(r) };
	int fd = xopen(dev, O_RDONLY);

	if (ioctl(fd, HEATMETER_IOC_READ, &r)) {
		printf("read=%s\n", ename(errno));
		return 1;
	}
	print_reading("", &r);
	printf("\n");
	return 0;
}

/* READ_STORAGE: the values of storage number N */
static int cmd_storage(const char *dev, unsigned int n)
{
	struct heatmeter_storage_read sr = { .size = sizeof(sr), .storage = n };
	int fd = xopen(dev, O_RDONLY);

	if (ioctl(fd, HEATMETER_IOC_READ_STORAGE, &sr)) {
		printf("storage=%s\n", ename(errno));
		return 1;
	}
	print_reading("", &sr.reading);
	if (sr.reading.valid & (1U << HEATMETER_Q_METER_TIME))
		printf(" date=%04u-%02u-%02u", sr.reading.meter_time.year,
		       sr.reading.meter_time.month, sr.reading.meter_time.day);
	printf("\n");
	return 0;
}

static int cmd_stream(const char *dev, int count, int ms)
{
	struct heatmeter_reading r[4];
	struct pollfd p;
	int fd = xopen(dev, O_RDONLY), got = 0, i;
	ssize_t n;

	printf("ready\n");
	fflush(stdout);
	while (got < count) {
		p.fd = fd;
		p.events = POLLIN;
		n = poll(&p, 1, ms);
		if (n == 0) {
			printf("stream=timeout\n");
			return 1;
		}
		if (p.revents & (POLLHUP | POLLERR))
			printf("poll=hup\n");
		n = read(fd, r, sizeof(r));
		if (n < 0) {
			printf("stream=%s\n", ename(errno));
			return 1;
		}
		for (i = 0; i < n / (int)sizeof(r[0]); i++, got++) {
			print_reading("", &r[i]);
			printf("\n");
		}
		fflush(stdout);
	}
	return 0;
}

static int cmd_simple_read(const char *dev, const char *how)
{
	struct heatmeter_reading r;
	int fd;
	ssize_t n;

	if (!strcmp(how, "nbread"))
		fd = xopen(dev, O_RDONLY | O_NONBLOCK);
	else
		fd = xopen(dev, O_RDONLY);
	if (!strcmp(how, "blockread")) {
		printf("blocking\n");
		fflush(stdout);
	}
	n = read(fd, &r, strcmp(how, "shortread") ? sizeof(r) : 8);
	printf("%s=%s\n", how, n < 0 ? ename(errno) : "ok");
	return 0;
}

static int cmd_onoff(const char *dev, int testmode, const char *arg)
{
	struct heatmeter_test_mode tm = { .size = sizeof(tm) };
	struct heatmeter_simulated_flow sf = { .size = sizeof(sf) };
	int fd = xopen(dev, O_RDWR), ret;

	tm.enable = sf.enable = !strcmp(arg, "on");
	if (testmode)
		ret = ioctl(fd, HEATMETER_IOC_TEST_MODE, &tm);
	else
		ret = ioctl(fd, HEATMETER_IOC_SIMULATED_FLOW, &sf);
	printf("%s=%s", testmode ? "testmode" : "simflow", ename(ret ? errno : 0));
	if (testmode && !ret)
		printf(" expires_in_s=%lld", tm.expires ?
		       (long long)(tm.expires - now_ns(CLOCK_MONOTONIC)) / 1000000000 : 0);
	printf("\n");
	return ret != 0;
}

static int opendevs(char **argv, int argc, int *fds)
{
	int i;

	for (i = 0; i < argc && i < MAXDEV; i++)
		fds[i] = xopen(argv[i], O_RDWR);
	return i;
}

static int cmd_startstop(int argc, char **argv)
{
	struct heatmeter_snapshot s[MAXDEV];
	int fds[MAXDEV], n, i, wait_ms = 200, rc = 0;
	int64_t t0, t1;

	if (argc > 1 && !strcmp(argv[0], "--wait")) {
		wait_ms = atoi(argv[1]);
		argc -= 2;
		argv += 2;
	}
	n = opendevs(argv, argc, fds);
	for (int op = 0; op < 2; op++) {
		unsigned long cmd = op ? HEATMETER_IOC_STOP : HEATMETER_IOC_START;

		t0 = now_ns(CLOCK_MONOTONIC);
		for (i = 0; i < n; i++) {
			memset(&s[i], 0, sizeof(s[i]));
			s[i].size = sizeof(s[i]);
			s[i].flags = HEATMETER_ASYNC;
			if (ioctl(fds[i], cmd, &s[i])) {
				printf("%s-async=%s\n", op ? "stop" : "start", ename(errno));
				return 1;
			}
		}
		for (i = 0; i < n; i++) {
			s[i].flags = HEATMETER_WAIT;
			if (ioctl(fds[i], cmd, &s[i])) {
				printf("%s-wait=%s\n", op ? "stop" : "start", ename(errno));
				return 1;
			}
		}
		t1 = now_ns(CLOCK_MONOTONIC);
		printf("%s_all_ms=%lld\n", op ? "stop" : "start",
		       (long long)(t1 - t0) / 1000000);
		if (!op)
			usleep(wait_ms * 1000);
	}
	for (i = 0; i < n; i++) {
		printf("dev=%s ", argv[i]);
		print_reading("start_", &s[i].start);
		printf(" ");
		print_reading("stop_", &s[i].stop);
		printf(" d_energy=%lld d_volume=%lld d_time=%lld dvalid=%u\n",
		       (long long)s[i].d_energy, (long long)s[i].d_volume,
		       (long long)s[i].d_time, s[i].valid);
		if (s[i].start.error || s[i].stop.error)
			rc = 1;
	}
	return rc;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmd_sync(int argc, char **argv)
{
	static int64_t lates[100000], skews[10000];
	int fds[MAXDEV], n, i, k, count = 1, in_ms = 100, rc = 0;
	int trigger = 0, realtime = 0, past = 0, nl = 0, ns = 0, early = 0;
	struct heatmeter_sync s[MAXDEV];

	while (argc && argv[0][0] == '-') {
		if (!strcmp(argv[0], "--in") && argc > 1) {
			in_ms = atoi(argv[1]);
			argc--;
			argv++;
		} else if (!strcmp(argv[0], "--count") && argc > 1) {
			count = atoi(argv[1]);
			argc--;
			argv++;
		} else if (!strcmp(argv[0], "--trigger")) {
			trigger = 1;
		} else if (!strcmp(argv[0], "--realtime")) {
			realtime = 1;
		} else if (!strcmp(argv[0], "--past")) {
			past = 1;
		}
		argc--;
		argv++;
	}
	n = opendevs(argv, argc, fds);
	for (k = 0; k < count; k++) {
		clockid_t c = realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC;
		int64_t at = now_ns(c) + (past ? -50000000LL : in_ms * 1000000LL);
		int64_t lo = INT64_MAX, hi = INT64_MIN, armed, done;

		/* from before the first arm to after the last WAIT: the round's
		 * window, in which the simulators see exactly its requests */
		armed = now_ns(CLOCK_MONOTONIC);
		for (i = 0; i < n; i++) {
			memset(&s[i], 0, sizeof(s[i]));
			s[i].size = sizeof(s[i]);
			s[i].flags = HEATMETER_ASYNC |
				     (trigger ? HEATMETER_SYNC_TRIGGER : 0) |
				     (realtime ? HEATMETER_SYNC_REALTIME : 0);
			s[i].at = at;
			if (ioctl(fds[i], HEATMETER_IOC_SYNC, &s[i])) {
				printf("sync-arm=%s\n", ename(errno));
				return 1;
			}
		}
		for (i = 0; i < n; i++) {
			s[i].flags = HEATMETER_WAIT;
			if (ioctl(fds[i], HEATMETER_IOC_SYNC, &s[i])) {
				printf("sync-wait=%s\n", ename(errno));
				return 1;
			}
			if (s[i].late < 0 || (!past && s[i].reading.ts.tx_start &&
					      !realtime &&
					      s[i].reading.ts.tx_start < at))
				early++;
			if (!trigger && s[i].reading.error)
				rc = 1;
			lates[nl++] = s[i].late;
			if (s[i].reading.ts.tx_start < lo)
				lo = s[i].reading.ts.tx_start;
			if (s[i].reading.ts.tx_start > hi)
				hi = s[i].reading.ts.tx_start;
		}
		done = now_ns(CLOCK_MONOTONIC);
		for (i = 0; i < n; i++) {
			const struct heatmeter_timestamps *ts = &s[i].reading.ts;

			if (count == 1) {
				printf("dev=%s late=%lld ", argv[i], (long long)s[i].late);
				print_reading("", &s[i].reading);
				printf("\n");
			} else {
				printf("round=%d dev=%d at=%lld armed=%lld done=%lld tx_start=%lld tx_done=%lld rx_first=%lld rx_last=%lld late=%lld error=%d\n",
				       k, i, (long long)at, (long long)armed,
				       (long long)done, (long long)ts->tx_start,
				       (long long)ts->tx_done, (long long)ts->rx_first,
				       (long long)ts->rx_last, (long long)s[i].late,
				       s[i].reading.error);
			}
		}
		skews[ns++] = hi - lo;
		if (count > 1)
			usleep(20000);
	}
	qsort(lates, nl, sizeof(lates[0]), cmp64);
	qsort(skews, ns, sizeof(skews[0]), cmp64);
	printf("syncs=%d early=%d late_min_us=%lld late_median_us=%lld late_max_us=%lld skew_median_us=%lld skew_max_us=%lld\n",
	       nl, early, (long long)lates[0] / 1000, (long long)lates[nl / 2] / 1000,
	       (long long)lates[nl - 1] / 1000, (long long)skews[ns / 2] / 1000,
	       (long long)skews[ns - 1] / 1000);
	return rc || early;
}

/* hex digits into raw->data; returns the number of bytes */
static unsigned int raw_data(struct heatmeter_raw *raw, const char *hex)
{
	unsigned int i;

	for (i = 0; hex[2 * i] && hex[2 * i + 1] && i < HEATMETER_RAW_MAX; i++) {
		char b[3] = { hex[2 * i], hex[2 * i + 1], 0 };

		raw->data[i] = strtoul(b, NULL, 16);
	}
	return i;
}

static int cmd_raw(const char *dev, const char *c, const char *hex, const char *ci)
{
	struct heatmeter_raw raw = { .size = sizeof(raw) };
	int fd = xopen(dev, O_RDWR), i;

	raw.control = strtoul(c, NULL, 16);
	raw.ci = ci ? strtoul(ci, NULL, 16) : 0;
	raw.len = raw_data(&raw, hex);
	if (ioctl(fd, HEATMETER_IOC_RAW, &raw)) {
		printf("raw=%s\n", ename(errno));
		return 1;
	}
	printf("raw=ok reply_control=%02X reply_ci=%02X reply_len=%u reply=", raw.reply_control,
	       raw.reply_ci, raw.reply_len);
	for (i = 0; i < raw.reply_len; i++)
		printf("%02X", raw.reply[i]);
	printf("\n");
	return 0;
}

/* what each ioctl returns on an fd opened @mode (no meter traffic needed) */
static int cmd_perm(const char *dev, const char *mode)
{
	union {
		struct heatmeter_info i;
		struct heatmeter_reading r;
		struct heatmeter_test_mode t;
		struct heatmeter_snapshot s;
		struct heatmeter_sync y;
		struct heatmeter_simulated_flow f;
		struct heatmeter_raw w;
	} u;
	static const struct {
		const char *name;
		unsigned long cmd;
		size_t size;
	} c[] = {
		{ "get_info", HEATMETER_IOC_GET_INFO, sizeof(u.i) },
		{ "read", HEATMETER_IOC_READ, sizeof(u.r) },
		{ "test_mode", HEATMETER_IOC_TEST_MODE, sizeof(u.t) },
		{ "start", HEATMETER_IOC_START, sizeof(u.s) },
		{ "stop", HEATMETER_IOC_STOP, sizeof(u.s) },
		{ "sync", HEATMETER_IOC_SYNC, sizeof(u.y) },
		{ "simulated_flow", HEATMETER_IOC_SIMULATED_FLOW, sizeof(u.f) },
		{ "raw", HEATMETER_IOC_RAW, sizeof(u.w) },
	};
	int flags = !strcmp(mode, "r") ? O_RDONLY : !strcmp(mode, "w") ? O_WRONLY : O_RDWR;
	int fd = xopen(dev, flags);
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int ret;

		memset(&u, 0, sizeof(u));
		u.i.size = c[i].size;
		/* arguments a correct call would give, cheap on the bus */
		if (c[i].cmd == HEATMETER_IOC_TEST_MODE)
			u.t.enable = 7;		/* invalid: no bus traffic */
		if (c[i].cmd == HEATMETER_IOC_SYNC)
			u.y.flags = HEATMETER_WAIT;	/* nothing armed */
		if (c[i].cmd == HEATMETER_IOC_START || c[i].cmd == HEATMETER_IOC_STOP)
			u.s.flags = HEATMETER_WAIT;
		if (c[i].cmd == HEATMETER_IOC_SIMULATED_FLOW)
			u.f.enable = 9;
		if (c[i].cmd == HEATMETER_IOC_RAW)
			u.w.len = 100000;	/* invalid */
		ret = ioctl(fd, c[i].cmd, &u);
		printf("%s%s=%s", i ? " " : "", c[i].name, ename(ret ? errno : 0));
	}
	printf("\n");
	return 0;
}

static uint64_t rnd_state;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static int cmd_fuzz(const char *dev, long n, unsigned long seed)
{
	static unsigned char buf[8192] __attribute__((aligned(16)));
	int fd = xopen(dev, O_RDWR), counts[256] = { 0 };
	void *unmapped;
	long i;

	rnd_state = seed ? seed : 88172645463325252ULL;
	unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (i = 0; i < n; i++) {
		unsigned long cmd, arg;
		uint64_t x = rnd();
		unsigned int j;

		for (j = 0; j < sizeof(buf); j += 8)
			*(uint64_t *)(buf + j) = rnd();
		switch (x % 6) {
		case 0:		/* anything */
			cmd = (unsigned long)rnd();
			break;
		case 1:		/* our magic, random nr/dir/size */
			cmd = _IOC(rnd() % 4, HEATMETER_IOC_MAGIC, rnd() % 12,
				   rnd() % 1024);
			break;
		default:	/* a real command, random contents */
			cmd = ((unsigned long[]){ HEATMETER_IOC_GET_INFO,
				HEATMETER_IOC_READ, HEATMETER_IOC_TEST_MODE,
				HEATMETER_IOC_START, HEATMETER_IOC_STOP,
				HEATMETER_IOC_SYNC, HEATMETER_IOC_SIMULATED_FLOW,
				HEATMETER_IOC_RAW })[rnd() % 8];
			/* keep SYNC near now so the bus is not parked */
			if (cmd == HEATMETER_IOC_SYNC) {
				struct heatmeter_sync *s = (void *)buf;

				s->size = sizeof(*s);
				s->flags &= 0xf;
				s->flags &= ~(rnd() % 2 ? HEATMETER_SYNC_REALTIME : 0);
				s->at = now_ns(CLOCK_MONOTONIC) + (int64_t)(rnd() % 20000000);
			} else if (rnd() % 2) {
				*(uint32_t *)buf = _IOC_SIZE(cmd) + rnd() % 3;
			}
			if (cmd == HEATMETER_IOC_RAW) {
				struct heatmeter_raw *w = (void *)buf;

				/* mostly no reply: a timeout costs bus time */
				w->len %= 300;
				w->timeout_ms = w->timeout_ms % 50 + 1;
				if (rnd() % 4)
					w->flags = HEATMETER_RAW_NO_REPLY;
			}
			if (cmd == HEATMETER_IOC_TEST_MODE)
				((struct heatmeter_test_mode *)buf)->enable %= 3;
			break;
		}
		switch (rnd() % 8) {
		case 0:
			arg = (unsigned long)rnd();
			break;
		case 1:
			arg = (unsigned long)unmapped;
			break;
		case 2:
			arg = 0;
			break;
		case 3:
			arg = (unsigned long)(buf + sizeof(buf) - 1 - rnd() % 64);
			break;
		default:
			arg = (unsigned long)buf;
			break;
		}
		if (ioctl(fd, cmd, arg) == 0)
			counts[0]++;
		else
			counts[errno & 0xff]++;
	}
	printf("fuzz=%ld ok=%d ENOTTY=%d EINVAL=%d EFAULT=%d EBUSY=%d EOPNOTSUPP=%d ETIMEDOUT=%d\n",
	       n, counts[0], counts[ENOTTY], counts[EINVAL], counts[EFAULT],
	       counts[EBUSY], counts[EOPNOTSUPP], counts[ETIMEDOUT]);
	return 0;
}

/* one blocking SYNC @ms ahead: what it returns and when */
static int cmd_bsync(const char *dev, int ms, int trigger)
{
	struct heatmeter_sync s = { .size = sizeof(s) };
	int fd = xopen(dev, O_RDWR);
	int64_t t0 = now_ns(CLOCK_MONOTONIC);
	int ret;

	s.at = t0 + ms * 1000000LL;
	s.flags = trigger ? HEATMETER_SYNC_TRIGGER : 0;
	ret = ioctl(fd, HEATMETER_IOC_SYNC, &s) ? errno : 0;
	printf("bsync=%s elapsed_ms=%lld error=%d\n", ename(ret),
	       (long long)(now_ns(CLOCK_MONOTONIC) - t0) / 1000000,
	       ret ? 0 : s.reading.error);
	return 0;
}

static int tr_fd, tr_want;
static volatile int tr_got, tr_errs[2];

static void *tr_thread(void *p)
{
	struct heatmeter_reading r;
	int me = (int)(long)p;

	while (__atomic_load_n(&tr_got, __ATOMIC_SEQ_CST) < tr_want) {
		if (read(tr_fd, &r, sizeof(r)) != sizeof(r)) {
			tr_errs[me] = errno;
			return NULL;
		}
		__atomic_add_fetch(&tr_got, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

/*
 * Two threads in read() on one fd while @n readings come in (READ ioctls
 * from another fd, delivered to every reader): neither may fail.
 */
static int cmd_tworead(const char *dev, int n)
{
	struct heatmeter_reading r;
	pthread_t th[2];
	int wfd, i;

	tr_fd = xopen(dev, O_RDONLY);
	wfd = xopen(dev, O_RDONLY);
	tr_want = n;
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, tr_thread, (void *)(long)i);
	usleep(100000);
	for (i = 0; i < 2 * n && __atomic_load_n(&tr_got, __ATOMIC_SEQ_CST) < n &&
	     !tr_errs[0] && !tr_errs[1]; i++) {
		memset(&r, 0, sizeof(r));
		r.size = sizeof(r);
		ioctl(wfd, HEATMETER_IOC_READ, &r);
	}
	/* readings for the threads still blocked, so that they return */
	for (i = 0; i < 2; i++) {
		memset(&r, 0, sizeof(r));
		r.size = sizeof(r);
		ioctl(wfd, HEATMETER_IOC_READ, &r);
	}
	usleep(300000);
	printf("tworead got=%d want=%d reader0=%s reader1=%s\n", tr_got, n,
	       ename(tr_errs[0]), ename(tr_errs[1]));
	fflush(stdout);
	_exit(0);
}

/* two readings pending; a read() whose 2nd record faults keeps the 2nd */
static int cmd_faultread(const char *dev)
{
	struct heatmeter_reading *r, next;
	long pg = sysconf(_SC_PAGESIZE);
	struct pollfd p;
	char *map;
	ssize_t n;
	int fd = xopen(dev, O_RDONLY | O_NONBLOCK);

	map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED || mprotect(map + pg, pg, PROT_NONE))
		return 2;
	r = (struct heatmeter_reading *)(map + pg - sizeof(*r));
	printf("ready\n");
	/* wait for two readings: the first poll, then a short pause */
	p.fd = fd;
	p.events = POLLIN;
	if (poll(&p, 1, 20000) != 1)
		return 2;
	usleep(1500000);
	n = read(fd, r, 2 * sizeof(*r));
	printf("first=%zd seq=%llu ", n, n > 0 ? (unsigned long long)r->seq : 0ULL);
	n = read(fd, &next, sizeof(next));
	printf("second=%zd seq=%llu\n", n, n > 0 ? (unsigned long long)next.seq : 0ULL);
	return 0;
}

/* START, then STOP with every output field pre-filled with junk */
static int cmd_stopclear(const char *dev)
{
	struct heatmeter_snapshot s;
	int fd = xopen(dev, O_RDWR);

	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	if (ioctl(fd, HEATMETER_IOC_START, &s)) {
		printf("start=%s\n", ename(errno));
		return 1;
	}
	memset(&s, 0x5a, sizeof(s));
	s.size = sizeof(s);
	s.flags = 0;
	s.reserved = 0;
	if (ioctl(fd, HEATMETER_IOC_STOP, &s)) {
		printf("stop=%s\n", ename(errno));
		return 1;
	}
	printf("junk=%u d_energy_ok=%d d_volume_ok=%d start_error=%d stop_error=%d\n",
	       s.valid & ~3U,
	       (s.valid & 1) || s.d_energy == 0, (s.valid & 2) || s.d_volume == 0,
	       s.start.error, s.stop.error);
	return 0;
}

static int cmd_rawclear(const char *dev, const char *c, const char *hex)
{
	struct heatmeter_raw raw;
	int fd = xopen(dev, O_RDWR);

	memset(&raw, 0x5a, sizeof(raw));
	raw.size = sizeof(raw);
	raw.control = strtoul(c, NULL, 16);
	raw.ci = 0;
	raw.flags = HEATMETER_RAW_NO_REPLY;
	raw.timeout_ms = 0;
	raw.len = raw_data(&raw, hex);
	if (ioctl(fd, HEATMETER_IOC_RAW, &raw)) {
		printf("raw=%s\n", ename(errno));
		return 1;
	}
	printf("raw=ok reply_control=%02X reply_ci=%02X reply_len=%u\n",
	       raw.reply_control, raw.reply_ci, raw.reply_len);
	return 0;
}

/* a SYNC armed far ahead on one fd, that fd closed: no reading anywhere */
static int cmd_cancelquiet(const char *dev)
{
	struct heatmeter_sync s = { .size = sizeof(s) };
	struct heatmeter_reading r;
	int rd = xopen(dev, O_RDONLY | O_NONBLOCK), w = xopen(dev, O_RDWR);

	s.flags = HEATMETER_ASYNC;
	s.at = now_ns(CLOCK_MONOTONIC) + 5000000000LL;
	if (ioctl(w, HEATMETER_IOC_SYNC, &s)) {
		printf("sync-arm=%s\n", ename(errno));
		return 1;
	}
	usleep(100000);
	close(w);
	usleep(300000);
	if (read(rd, &r, sizeof(r)) == sizeof(r))
		printf("after_cancel=record error=%d\n", r.error);
	else
		printf("after_cancel=%s\n", ename(errno));
	return 0;
}

/* attach heatmeter to @tty, hold it @ms, switch back to N_TTY, close */
static int cmd_ldswitch(const char *tty, int ms)
{
	int fd = open(tty, O_RDWR | O_NOCTTY), ld = 29, ntty = 0, a, b;

	if (fd < 0) {
		printf("open=%s\n", ename(errno));
		return 1;
	}
	a = ioctl(fd, TIOCSETD, &ld) ? errno : 0;
	usleep(ms * 1000);
	b = ioctl(fd, TIOCSETD, &ntty) ? errno : 0;
	printf("setd=%s back=%s\n", ename(a), ename(b));
	close(fd);
	return a || b;
}

/* the heatmeter discipline on a pty master */
static int cmd_ptmx(void)
{
	int fd = open("/dev/ptmx", O_RDWR | O_NOCTTY), ld = 29, ret;

	if (fd < 0 || grantpt(fd) || unlockpt(fd)) {
		printf("ptmx=%s\n", ename(errno));
		return 1;
	}
	ret = ioctl(fd, TIOCSETD, &ld) ? errno : 0;
	printf("setd=%s\n", ename(ret));
	return 0;
}

struct fl_arg {
	int fd;
	int err;
};

static void *fl_thread(void *p)
{
	struct fl_arg *a = p;
	struct heatmeter_reading r = { .size = sizeof(r) };

	a->err = ioctl(a->fd, HEATMETER_IOC_READ, &r) ? errno : 0;
	return NULL;
}

/* @n threads in a blocking READ on one fd: how many the kernel took */
static int cmd_flood(const char *dev, int n)
{
	struct fl_arg a[64];
	pthread_t th[64];
	int fd = xopen(dev, O_RDONLY), i, busy = 0, ok = 0, other = 0;

	if (n > 64)
		n = 64;
	for (i = 0; i < n; i++) {
		a[i].fd = fd;
		a[i].err = -1;
		pthread_create(&th[i], NULL, fl_thread, &a[i]);
	}
	for (i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		if (a[i].err == EBUSY)
			busy++;
		else if (a[i].err == 0)
			ok++;
		else
			other++;
	}
	printf("flood=%d done=%d ebusy=%d other=%d\n", n, ok, busy, other);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* --uid N: drop root (and with it every capability) first */
	if (argc > 2 && !strcmp(argv[1], "--uid")) {
		if (setgroups(0, NULL) || setgid(atoi(argv[2])) || setuid(atoi(argv[2]))) {
			perror("setuid");
			return 2;
		}
		argc -= 2;
		argv += 2;
	}
	if (argc == 2 && !strcmp(argv[1], "ptmx"))
		return cmd_ptmx();
	if (argc < 3) {
		fprintf(stderr, "usage: see the source\n");
		return 2;
	}
	if (!strcmp(argv[1], "info"))
		return cmd_info(argv[2]);
	if (!strcmp(argv[1], "read"))
		return cmd_read(argv[2]);
	if (!strcmp(argv[1], "storage") && argc > 3)
		return cmd_storage(argv[2], (unsigned int)strtoul(argv[3], NULL, 0));
	if (!strcmp(argv[1], "stream") && argc > 3)
		return cmd_stream(argv[2], atoi(argv[3]), argc > 4 ? atoi(argv[4]) : 10000);
	if (!strcmp(argv[1], "nbread") || !strcmp(argv[1], "shortread") ||
	    !strcmp(argv[1], "blockread"))
		return cmd_simple_read(argv[2], argv[1]);
	if (!strcmp(argv[1], "testmode") && argc > 3)
		return cmd_onoff(argv[2], 1, argv[3]);
	if (!strcmp(argv[1], "simflow") && argc > 3)
		return cmd_onoff(argv[2], 0, argv[3]);
	if (!strcmp(argv[1], "startstop"))
		return cmd_startstop(argc - 2, argv + 2);
	if (!strcmp(argv[1], "stop")) {
		struct heatmeter_snapshot st = { .size = sizeof(st) };
		int fd = xopen(argv[2], O_RDWR);

		printf("stop=%s\n", ename(ioctl(fd, HEATMETER_IOC_STOP, &st) ? errno : 0));
		return 0;
	}
	if (!strcmp(argv[1], "sync"))
		return cmd_sync(argc - 2, argv + 2);
	if (!strcmp(argv[1], "raw") && argc > 4)
		return cmd_raw(argv[2], argv[3], argv[4], argc > 5 ? argv[5] : NULL);
	if (!strcmp(argv[1], "bsync") && argc > 3)
		return cmd_bsync(argv[2], atoi(argv[3]), argc > 4);
	if (!strcmp(argv[1], "tworead"))
		return cmd_tworead(argv[2], argc > 3 ? atoi(argv[3]) : 40);
	if (!strcmp(argv[1], "faultread"))
		return cmd_faultread(argv[2]);
	if (!strcmp(argv[1], "stopclear"))
		return cmd_stopclear(argv[2]);
	if (!strcmp(argv[1], "rawclear") && argc > 4)
		return cmd_rawclear(argv[2], argv[3], argv[4]);
	if (!strcmp(argv[1], "ldswitch") && argc > 3)
		return cmd_ldswitch(argv[2], atoi(argv[3]));
	if (!strcmp(argv[1], "cancelquiet"))
		return cmd_cancelquiet(argv[2]);
	if (!strcmp(argv[1], "flood") && argc > 3)
		return cmd_flood(argv[2], atoi(argv[3]));
	if (!strcmp(argv[1], "perm") && argc > 3)
		return cmd_perm(argv[2], argv[3]);
	if (!strcmp(argv[1], "fuzz") && argc > 3)
		return cmd_fuzz(argv[2], atol(argv[3]), argc > 4 ? strtoul(argv[4], NULL, 0) : 0);
	fprintf(stderr, "unknown command\n");
	return 2;
}
